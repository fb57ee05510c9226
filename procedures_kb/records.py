"""Reading and validating the YAML procedure records (the KB's source of truth).

A bad record must stop the build with the file and the field named, so the schema is declared
once here (pydantic, v1 API as pinned by Rasa 3.6) and every loader goes through it.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import yaml
from pydantic import BaseModel, Extra, ValidationError, conint, constr, validator

from bot.text import nfc

DATA_DIR = Path(__file__).resolve().parent / "data"
PROCEDURES_DIR = DATA_DIR / "procedures"
CASES_FILE = DATA_DIR / "cases.yml"
ALIASES_DIR = DATA_DIR / "aliases"
OUTSIDE_DIR = DATA_DIR / "outside"
OUTSIDE_WORDS_FILE = DATA_DIR / "outside_scope.yml"
MAX_ALIAS_CHARS = 120

CODE_RE = r"^\d\.\d{6}$"
# National case code (mã hồ sơ): agency.province-YYMMDD-sequence, e.g. 000.00.04.H51-200221-0001.
CASE_CODE_PATTERN = r"\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}-\d{6}-\d{4}"
CASE_CODE_RE = rf"^{CASE_CODE_PATTERN}$"
LEVELS = ("Cấp bộ", "Cấp tỉnh", "Cấp xã", "Cơ quan khác")
TIME_UNITS = ("giờ", "ngày", "ngày làm việc", "tháng")
AGENCY_ROLES = ("thực hiện", "có thẩm quyền", "tiếp nhận", "phối hợp", "được ủy quyền")

Text = constr(strip_whitespace=True, min_length=1)


def _one_of(value: str, allowed) -> str:
    """Validator body: the value must be one of a fixed vocabulary."""
    if value not in allowed:
        raise ValueError(f"must be one of {', '.join(allowed)}")
    return value


class RecordError(ValueError):
    """A record that cannot go into the KB: names the file and the field."""

    def __init__(self, path: Path, field: str, message: str):
        self.path, self.field, self.message = path, field, message
        super().__init__(f"{path}: field '{field}': {message}")


class _Strict(BaseModel):
    class Config:
        extra = Extra.forbid
        anystr_strip_whitespace = True


class AgencyRecord(_Strict):
    role: Text
    name: Text

    @validator("role")
    def _role(cls, v: str) -> str:
        return _one_of(v, AGENCY_ROLES)


class DocumentRecord(_Strict):
    name: Text
    form: Optional[str] = None
    originals: conint(ge=0) = 0
    copies: conint(ge=0) = 0
    kind: str = "submit"
    case: Optional[str] = None

    @validator("kind")
    def _kind(cls, v: str) -> str:
        return _one_of(v, ("submit", "present"))

    @validator("copies")
    def _some_copy(cls, v: int, values: Dict[str, Any]) -> int:
        if v == 0 and values.get("originals", 0) == 0:
            raise ValueError("a document needs at least one original or copy (0/0 is a note line)")
        return v


class TimeLimitRecord(_Strict):
    value: float
    unit: str

    @validator("value")
    def _positive(cls, v: float) -> float:
        if v <= 0:
            raise ValueError("must be positive")
        return v

    @validator("unit")
    def _unit(cls, v: str) -> str:
        return _one_of(v, TIME_UNITS)


class FeeRecord(_Strict):
    kind: Text
    amount: Optional[conint(ge=0)] = None
    description: Optional[str] = None
    exemptions: Optional[str] = None

    @validator("description", always=True)
    def _described_when_unknown(cls, v: Optional[str], values: Dict[str, Any]) -> Optional[str]:
        if values.get("amount") is None and not v:
            raise ValueError("a fee without an amount needs a description saying who sets it")
        return v


class ChannelRecord(_Strict):
    channel: str
    time_limit: Optional[TimeLimitRecord] = None
    time_note: Optional[str] = None
    fees: List[FeeRecord] = []

    @validator("channel")
    def _channel(cls, v: str) -> str:
        from procedures_kb.models import CHANNELS

        return _one_of(v, CHANNELS)


class LegalBasisRecord(_Strict):
    number: Text
    title: Optional[str] = None

    @validator("number")
    def _not_glued(cls, v: str) -> str:
        # Defect 5 of the portal data: '202068/2020/QH14' is a year glued to the number.
        if re.match(r"^(19|20)\d{2}\d+/", v):
            raise ValueError(f"'{v}' looks like a year glued to the number")
        return v


class ProcedureRecord(_Strict):
    code: constr(regex=CODE_RE)
    name: Text
    aliases: List[Text] = []
    field: Text
    levels: List[str]
    agencies: List[AgencyRecord]
    applicants: Optional[str] = None
    summary: Text
    documents: List[DocumentRecord]
    channels: List[ChannelRecord]
    steps: List[Text]
    conditions: List[Text] = []
    result: Text
    legal_bases: List[LegalBasisRecord]
    source_url: constr(regex=r"^https://")
    checked_on: dt.date
    corrections: List[Text] = []

    @validator("levels", each_item=True)
    def _level(cls, v: str) -> str:
        if v not in LEVELS:
            raise ValueError(f"'{v}' is not a level since 1 July 2025 ({', '.join(LEVELS)})")
        return v

    @validator("levels", "agencies", "documents", "channels", "steps", "legal_bases")
    def _not_empty(cls, v: list) -> list:
        if not v:
            raise ValueError("must list at least one item")
        return v

    @validator("channels")
    def _distinct_channels(cls, v: List[ChannelRecord]) -> List[ChannelRecord]:
        names = [c.channel for c in v]
        if len(names) != len(set(names)):
            raise ValueError("each channel may appear once")
        return v


class CaseRecord(_Strict):
    code: constr(regex=CASE_CODE_RE)
    procedure_code: constr(regex=CODE_RE)
    status: str
    received_on: dt.date
    appointment_on: Optional[dt.date] = None
    returned_on: Optional[dt.date] = None
    agency: Text
    note: Optional[str] = None

    @validator("status")
    def _status(cls, v: str) -> str:
        from procedures_kb.models import CASE_STATUSES

        return _one_of(v, CASE_STATUSES)


def _nfc_tree(value: Any) -> Any:
    if isinstance(value, str):
        return nfc(value)
    if isinstance(value, list):
        return [_nfc_tree(v) for v in value]
    if isinstance(value, dict):
        return {k: _nfc_tree(v) for k, v in value.items()}
    return value


def _first_error(path: Path, exc: ValidationError) -> RecordError:
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"])
    return RecordError(path, field, err["msg"])


def _read_yaml(path: Path) -> Any:
    try:
        return _nfc_tree(yaml.safe_load(path.read_text(encoding="utf-8")))
    except yaml.YAMLError as exc:
        raise RecordError(path, "-", f"not valid YAML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise RecordError(path, "-", "not UTF-8 text") from exc


def load_procedure(path: Path) -> ProcedureRecord:
    """Read and validate one procedure file; raise RecordError naming the field on failure."""
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise RecordError(path, "-", "a record must be a mapping of fields")
    try:
        record = ProcedureRecord(**data)
    except ValidationError as exc:
        raise _first_error(path, exc) from exc
    if path.stem != record.code:
        raise RecordError(path, "code", f"'{record.code}' does not match the file name '{path.stem}'")
    return record


def load_procedures(directory: Path = PROCEDURES_DIR) -> Iterator[Tuple[Path, ProcedureRecord]]:
    """All procedure records of a directory, in file-name order."""
    for path in sorted(directory.glob("*.yml")):
        yield path, load_procedure(path)


def load_aliases(directory: Path = ALIASES_DIR) -> Dict[str, Tuple[str, ...]]:
    """The everyday names people use for procedures ("làm sổ đỏ lần đầu"), by national code.

    The portal gives only official names, which citizens rarely type; these files add the words
    they do use, for curated and imported procedures alike (build.procedure_row merges them).
    Each file is `aliases: {"1.001193": ["làm giấy khai sinh", …]}`; a bad entry stops the build
    with the file and the code named.
    """
    merged: Dict[str, List[str]] = {}
    for path in sorted(directory.glob("*.yml")):
        data = _read_yaml(path)
        items = data.get("aliases") if isinstance(data, dict) else None
        if not isinstance(items, dict):
            raise RecordError(path, "aliases", "must map procedure codes to lists of names")
        for code, names in items.items():
            code = str(code)
            if not re.match(CODE_RE, code):
                raise RecordError(path, f"aliases.{code}", "not a national procedure code (d.dddddd)")
            if not isinstance(names, list) or not names:
                raise RecordError(path, f"aliases.{code}", "must be a non-empty list of names")
            for name in names:
                if not isinstance(name, str) or not name.strip() or len(name) > MAX_ALIAS_CHARS:
                    raise RecordError(path, f"aliases.{code}",
                                      f"each name must be text of 1 to {MAX_ALIAS_CHARS} characters")
            merged.setdefault(code, []).extend(" ".join(n.split()) for n in names)
    return {code: tuple(dict.fromkeys(names)) for code, names in merged.items()}


class OutsideProcedureRecord(_Strict):
    name: Text
    aliases: List[constr(strip_whitespace=True, min_length=1, max_length=MAX_ALIAS_CHARS)] = []


class OutsideRecord(_Strict):
    """Procedures of a field the KB does not cover (procedures_kb/data/outside/*.yml): names
    only, so a question about them is recognised as outside the KB and pointed to the field's
    agency instead of being matched to the nearest KB procedure."""

    field: Text  # "y tế và bảo trợ xã hội"
    agency: Text  # who to ask, e.g. "Bộ Y tế, Sở Y tế hoặc Ủy ban nhân dân cấp xã"
    procedures: List[OutsideProcedureRecord]

    @validator("procedures")
    def _some(cls, v: list) -> list:
        if not v:
            raise ValueError("must list at least one procedure")
        return v


def load_outside(directory: Path = OUTSIDE_DIR) -> List[Tuple[str, OutsideRecord]]:
    """The catalogue of uncovered fields, as (file stem, record) in file-name order."""
    out = []
    for path in sorted(directory.glob("*.yml")):
        data = _read_yaml(path)
        if not isinstance(data, dict):
            raise RecordError(path, "-", "must be a mapping with field, agency and procedures")
        try:
            out.append((path.stem, OutsideRecord(**data)))
        except ValidationError as exc:
            raise _first_error(path, exc) from exc
    return out


def load_outside_words(path: Path = OUTSIDE_WORDS_FILE) -> List[str]:
    """Words of the fields the KB does not cover (procedures_kb/data/outside_scope.yml)."""
    data = _read_yaml(path)
    domains = data.get("domains") if isinstance(data, dict) else None
    if not isinstance(domains, dict) or not all(isinstance(v, list) for v in domains.values()):
        raise RecordError(path, "domains", "must map each field to a list of words")
    return [str(w) for words in domains.values() for w in words]


def load_cases(path: Path = CASES_FILE) -> List[CaseRecord]:
    """The demo case register."""
    data = _read_yaml(path)
    items = (data or {}).get("cases") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise RecordError(path, "cases", "must be a list of cases")
    records = []
    for i, item in enumerate(items):
        try:
            records.append(CaseRecord(**item))
        except (ValidationError, TypeError) as exc:
            detail = _first_error(path, exc) if isinstance(exc, ValidationError) else None
            field = f"cases.{i}.{detail.field}" if detail else f"cases.{i}"
            raise RecordError(path, field, detail.message if detail else str(exc)) from exc
    return records


class ImportedProcedureRecord(ProcedureRecord):
    """A procedure imported from the national portal crawl (procedures_kb.portal), not curated.

    Same fields and vocabularies as a curated record, but the portal often leaves parts empty,
    so agencies, documents, channels, steps, conditions and legal bases may be empty lists, and
    summary (never copied from the portal), result and checked_on (the crawl has no per-record
    date) may be None. Levels must still name at least one level.
    """

    agencies: List[AgencyRecord] = []
    summary: Optional[str] = None
    documents: List[DocumentRecord] = []
    channels: List[ChannelRecord] = []
    steps: List[Text] = []
    result: Optional[str] = None
    legal_bases: List[LegalBasisRecord] = []
    checked_on: Optional[dt.date] = None

    # Same name as ProcedureRecord._not_empty, so it replaces it (pydantic v1 keys validators by
    # name): of these lists only the levels must be non-empty here.
    @validator("levels", "agencies", "documents", "channels", "steps", "legal_bases")
    def _not_empty(cls, v: list, field) -> list:
        if field.name == "levels" and not v:
            raise ValueError("must list at least one item")
        return v
