"""Parse one record of the national portal crawl (dichvucong.gov.vn) into an imported KB record.

The crawl (`../shared/data/dvcqg-2026/<ministry>/<code>.json`, described in
`../shared/data/README.md`) stores each procedure page as 22 text fields; the tables (channels,
documents, legal bases) are flattened into one string with the column headers glued to the
values. This module turns one such record into a validated `ImportedProcedureRecord` and says
what it had to repair or could not trust:

- `ParsedRecord.flags`: one English line per repaired or doubtful value, prefixed with its kind
  (`FLAG_KINDS`), e.g. ``"outlier-time: post 4 ngày làm việc vs online/in_person 18 ngày làm
  việc"``;
- `ParsedRecord.missing`: the record fields the portal left empty or "Không có thông tin";
- `record.corrections`: Vietnamese lines for the values the assistant should warn about (the
  portal's "Miễn phí" overruled by the description, a time without unit, an outlier).

The six known defects of the crawl and what is done about them:
1. flattened tables: split on the channel names and on the count pattern `N bản chính/sao`;
   digits glued across cells ("1100 VNĐ" = time 1 + fee 100) are separated and flagged;
2. "Miễn phí" beside a description that states a fee: the description wins;
3. a time without unit: no unit is guessed (time_limit None, explained in time_note), except
   when the steps text itself says the result is returned the same working day;
4. "0 bản chính" note lines: left out of the documents (their text is dropped, the flag says so);
5. legal-basis numbers glued to the preceding text ("202068/2020/QH14" → "68/2020/QH14");
6. outliers (one channel's time far from the others, implausible fee amounts): kept (or, for a
   fee, replaced by the one clear amount its description states) and flagged in `corrections`.

Descriptive portal sentences are never copied into `summary` (it stays None); steps, conditions,
time notes and fee descriptions keep the portal's wording, cleaned.
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

from pydantic import ValidationError

from bot.text import nfc
from procedures_kb.records import (
    AGENCY_ROLES,
    CODE_RE,
    LEVELS,
    TIME_UNITS,
    ImportedProcedureRecord,
    RecordError,
)

# --- flags ---------------------------------------------------------------------------------------

FLAG_KINDS: Dict[str, str] = {
    "table": "defect 1: flattened table needed repair (glued cells, rows without count)",
    "free-vs-description": "defect 2: 'Miễn phí' while the description states a fee",
    "time-no-unit": "defect 3: time limit without unit",
    "note-line": "defect 4: '0 bản chính' note line left out of the documents",
    "glued-number": "defect 5: legal-basis number glued to the preceding text",
    "outlier-time": "defect 6: one channel's time far from the others",
    "absurd-fee": "defect 6: implausible fee amount",
}


def flag_kind(flag: str) -> str:
    """The kind of a flag line ('time-no-unit: ...' → 'time-no-unit')."""
    return flag.split(":", 1)[0]


@dataclass
class ParsedRecord:
    record: ImportedProcedureRecord
    flags: List[str] = field(default_factory=list)
    missing: List[str] = field(default_factory=list)


class _Notes:
    """Collects flags, corrections (deduplicated, in order) and missing fields while parsing."""

    def __init__(self) -> None:
        self.flags: List[str] = []
        self.corrections: List[str] = []
        self.missing: List[str] = []

    def flag(self, kind: str, message: str) -> None:
        assert kind in FLAG_KINDS, kind
        line = f"{kind}: {message}"
        if line not in self.flags:
            self.flags.append(line)

    def correct(self, text: str) -> None:
        if text not in self.corrections:
            self.corrections.append(text)

    def miss(self, name: str) -> None:
        if name not in self.missing:
            self.missing.append(name)


# --- text helpers --------------------------------------------------------------------------------

NO_INFO = "Không có thông tin"
# Upper-/lower-case Vietnamese letters as regex classes ([A-Z…] ranges like À-Ỹ mix both cases).
UPPER = "".join(ch for ch in map(chr, range(0x41, 0x1EFA)) if ch.isupper() and ch.isalpha())
LOWER = "".join(ch for ch in map(chr, range(0x61, 0x1EFA)) if ch.islower() and ch.isalpha())
_WS_RE = re.compile(r"\s+")  # \xa0 included
_CONTROL_CHARS_RE = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200b-\u200f\ufeff]")
_BULLET_RE = re.compile(r"^(?:[-+*•·–]+|\.\s)\s*")


def clean(text: Optional[str]) -> str:
    """NFC, no control characters, whitespace (newlines included) collapsed to single spaces."""
    text = text or ""
    if not unicodedata.is_normalized("NFC", text) or _CONTROL_CHARS_RE.search(text):
        text = nfc(text)
    return _WS_RE.sub(" ", text).strip()


def is_empty(text: Optional[str]) -> bool:
    """Empty or the portal's 'Không có thông tin' placeholder."""
    if text and len(text) > 3 * len(NO_INFO):
        return False
    t = clean(text).rstrip(".").strip()
    return not t or t.casefold() == NO_INFO.casefold()


def _strip_bullet(text: str) -> str:
    return _BULLET_RE.sub("", text.strip()).strip()


def _balanced(text: str, start: int) -> Tuple[str, int]:
    """The content of the parenthesis opening at text[start] and the index after it closes
    (the rest of the text when it never closes)."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return text[start + 1:i], i + 1
    return text[start + 1:], len(text)


def _sentences(text: str) -> List[str]:
    parts = re.split(r"(?<=[.;])\s+|\s+-\s+|^\s*-\s*|\n+", text)
    return [p.strip(" ;-") for p in parts if p and p.strip(" ;-.")]


# --- name, levels, agencies, applicants -------------------------------------------------------------

_LEVEL_SUFFIX_RE = re.compile(
    r"\s*[-–]?\s*\(\s*(?:thực hiện\s+(?:tại|ở)\s+)?cấp\s+"
    r"(?:tỉnh|tinh|xã|huyện|bộ|trung ương|tw)\s*\)\s*$",
    re.IGNORECASE,
)


def parse_name(raw: str) -> Tuple[str, List[str]]:
    """Official name (whitespace collapsed, NFC) and short cleaned variants of it as aliases:
    without a leading 'Thủ tục', a trailing period or a trailing level '(cấp tỉnh)'."""
    name = clean(raw)
    variant = name
    for _ in range(2):
        variant = re.sub(r"^thủ tục\s*:?\s*", "", variant, flags=re.IGNORECASE)
        variant = variant.rstrip(" .;")
        variant = _LEVEL_SUFFIX_RE.sub("", variant).rstrip(" .;")
    aliases = []
    if variant and variant != name:
        aliases.append(variant[:1].upper() + variant[1:])
    return name, aliases


def parse_levels(raw: str) -> List[str]:
    """'Cấp bộ, Cấp tỉnh' → ['Cấp bộ', 'Cấp tỉnh'] (values checked by the record validator)."""
    out: List[str] = []
    for part in re.split(r"[,;]", clean(raw)):
        part = part.strip()
        if part and not is_empty(part) and part not in out:
            out.append(part)
    return out


AGENCY_FIELDS = (
    ("co_quan_thuc_hien", "thực hiện"),
    ("co_quan_co_tham_quyen", "có thẩm quyền"),
    ("dia_chi_tiep_nhan", "tiếp nhận"),
    ("co_quan_phoi_hop", "phối hợp"),
    ("co_quan_duoc_uy_quyen", "được ủy quyền"),
)
assert all(role in AGENCY_ROLES for _, role in AGENCY_FIELDS)


def split_agencies(raw: str, commas: bool = True) -> List[str]:
    """A comma-separated agency list; a piece starting in lower case continues the previous
    name ('Ủy ban nhân dân tỉnh, thành phố trực thuộc trung ương' stays one agency). An address
    (commas=False) is split on lines and bullets only."""
    if is_empty(raw):
        return []
    if not commas:
        lines = [_strip_bullet(clean(line)) for line in re.split(r"\n+", nfc(raw))]
        out: List[str] = []
        for line in lines:
            line = line.strip(" .;")
            if not line or is_empty(line):
                continue
            if out and line[:1].islower():
                out[-1] = f"{out[-1]} {line}"
            else:
                out.append(line)
        return list(dict.fromkeys(out))
    text = clean(raw).replace("Văn hóa, Thể thao", "Văn hóa\u2063 Thể thao")
    names: List[str] = []
    for piece in (p.replace("\u2063", ",") for p in re.split(r"\s*[,;]\s*", text)):
        piece = piece.strip(" .")
        if not piece or is_empty(piece):
            continue
        if names and piece[:1].islower():
            names[-1] = f"{names[-1]}, {piece}"
        else:
            names.append(piece)
    return list(dict.fromkeys(names))


def parse_agencies(data: dict) -> List[dict]:
    out: List[dict] = []
    for key, role in AGENCY_FIELDS:
        value = data.get(key) if isinstance(data.get(key), str) else ""
        for name in split_agencies(value, commas=key != "dia_chi_tiep_nhan"):
            item = {"role": role, "name": name}
            if item not in out:
                out.append(item)
    return out


# --- steps, conditions, result ---------------------------------------------------------------------

_STEP_BREAK_RE = re.compile(r"(?<=[.;:])\s*(?=(?:[-+*•]\s*)?Bước\s*\d+\s*[:.)-])")


def split_paragraphs(raw: str) -> List[str]:
    """Free text → list of non-empty steps/bullets: one per line (or per inline 'Bước N'),
    bullet marks dropped, a line starting in lower case joined to the previous one."""
    text = nfc(raw or "").replace("\r", "\n").replace("\xa0", " ")
    if is_empty(text):
        return []
    text = _STEP_BREAK_RE.sub("\n", text)
    out: List[str] = []
    for line in text.split("\n"):
        line = _strip_bullet(clean(line))
        if not line or not re.search(r"\w", line):
            continue
        if out and line[:1].islower():
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
    return out


_NONE_CONDITIONS = {"không", "không có", "không quy định", "không có yêu cầu", "không yêu cầu"}


def parse_conditions(raw: str) -> List[str]:
    if clean(raw).rstrip(".").casefold() in _NONE_CONDITIONS:
        return []
    return split_paragraphs(raw)


_RESULT_CODE_RE = re.compile(r"Mã\s*:\s*KQ\.[A-Z0-9]+\.\d+")
_RESULT_JUNK_RE = re.compile(r"Từ khóa|Chọn cơ quan thực hiện|Hệ thống chỉ hiển thị|Nộp hồ sơ$")


def parse_result(raw: str) -> Optional[str]:
    """Only the result names: the portal appends the result codes ('Mã: KQ.G15.000031') and
    page junk ('Từ khóa…Chọn cơ quan thực hiện…Nộp hồ sơ'); several results are joined by '; '."""
    text = clean(raw)
    junk = _RESULT_JUNK_RE.search(text)
    if junk:
        text = text[:junk.start()]
    names = []
    for piece in _RESULT_CODE_RE.split(text):
        piece = piece.strip(" ;,.")
        if piece and not is_empty(piece) and piece not in names:
            names.append(piece)
    return "; ".join(names) or None


# --- channels: time limits and fees -------------------------------------------------------------

CHANNELS = {"Trực tuyến": "online", "Trực tiếp": "in_person", "Dịch vụ bưu chính": "post"}
CHANNEL_NAMES = {v: k for k, v in CHANNELS.items()}
_CH_HEADER = "Hình thức nộpThời gianPhí, lệ phíMô tả"
_CH_ALT = "|".join(CHANNELS)
_UNITS = {
    "ngày làm việc": "ngày làm việc", "ngày": "ngày", "giờ": "giờ", "giờ làm việc": "giờ",
    "tháng": "tháng", "năm": "năm", "phút": "phút", "tuần": "tuần",
}
_UNIT_ALT = "|".join(sorted(_UNITS, key=len, reverse=True))
_CUR_ALT = r"Việt Nam Đồng|VNĐ|VND|USD|Đồng|đồng"
_FEE_CELL_RE = re.compile(rf"Miễn phí|{NO_INFO}|(?P<amount>[\d.,]*)\s?(?P<cur>{_CUR_ALT})")
# A row starts with a channel name glued to its time cell: a number, 'Không có thông tin', or
# a capitalised phrase directly followed by a fee cell.
_ROW_START_RE = re.compile(
    rf"(?P<ch>{_CH_ALT})(?=\d|{NO_INFO}|[{UPPER}][^\n]{{0,200}}?(?:Miễn phí|{NO_INFO}|\d[\d.,]*\s?(?:{_CUR_ALT})))"
)
_TIME_RE = re.compile(rf"(?P<value>\d+(?:[.,]\d{{1,2}}(?!\d))?)\s?(?P<unit>{_UNIT_ALT})?", re.IGNORECASE)
_GLUED_FEE_RE = re.compile(rf"(?P<digits>\d[\d.,]*)\s?(?P<cur>{_CUR_ALT})")
# Money stated in words: '135.000 đồng', '20.000đ/tờ khai', '150.000 VNĐ'.
_MONEY_RE = re.compile(
    rf"(?<![\d.,])(\d{{1,3}}(?:[.,]\d{{3}})+|\d+)(?![\d]|[.,]\d)\s*(?:đồng|đ|vnđ|vnd)(?![{LOWER}{UPPER}])",
    re.IGNORECASE,
)
_USD_RE = re.compile(r"(?<![\d.,])\d[\d.,]*\s*USD", re.IGNORECASE)
_DESC_FEE_RE = re.compile(
    r"(?P<kind>Lệ phí|Phí)\s*:\s*(?P<amount>\d[\d.,]*)\s*(?:Đồng|đồng|VNĐ|đ)\b\s*(?P<paren>\()?"
)
_FREE_WORDS_RE = re.compile(
    r"^(?:[-+(\s]*)(?:miễn|không thu|không có|không quy định|không được quy định|chưa quy định|"
    r"không|a)\b",
    re.IGNORECASE,
)
_FEE_WORDS_RE = re.compile(r"lệ phí|phí|giá dịch vụ|mức thu", re.IGNORECASE)
_TIME_WORDS_RE = re.compile(
    r"\b(?:ngày|giờ|tháng|thời hạn|thời gian|kể từ|trong vòng|không quá)\b", re.IGNORECASE
)
_EXEMPT_RE = re.compile(r"\b(?:miễn|giảm)\b", re.IGNORECASE)
_DAYS = {"giờ": 1 / 24, "phút": 1 / 1440, "ngày": 1, "ngày làm việc": 1, "tuần": 7, "tháng": 30,
         "năm": 365}


def money_amounts(text: str) -> List[int]:
    """Distinct VND amounts stated in a text ('135.000 đồng/lần' → [135000]), in order."""
    out: List[int] = []
    for m in _MONEY_RE.finditer(text or ""):
        value = int(re.sub(r"[.,]", "", m.group(1)))
        if value not in out:
            out.append(value)
    return out


def _amount(digits: str) -> Optional[int]:
    """'100,000' / '1.350.000' / '135' → int; None when not a plain amount."""
    digits = digits.strip()
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+|\d+", digits):
        return int(re.sub(r"[.,]", "", digits))
    return None


def _fee_kind(*texts: Optional[str]) -> str:
    for text in texts:
        m = re.search(r"lệ phí|giá dịch vụ|phí", text or "", re.IGNORECASE)
        if m:
            return {"lệ phí": "Lệ phí", "phí": "Phí", "giá dịch vụ": "Giá dịch vụ"}[m.group(0).lower()]
    return "Phí, lệ phí"


# The crawl ran in June-July 2026: a temporary rate "đến hết ngày 31/12/2025" no longer applies.
CRAWL_DATE = (2026, 6, 1)
_UNTIL_RE = re.compile(r"đến (?:hết )?ngày (\d{1,2})/(\d{1,2})/(\d{4})", re.IGNORECASE)


def _expired(sentence: str) -> bool:
    m = _UNTIL_RE.search(sentence)
    return bool(m) and (int(m.group(3)), int(m.group(2)), int(m.group(1))) < CRAWL_DATE


def _split_exemptions(text: str) -> Tuple[Optional[str], Optional[str]]:
    """(description, exemptions): sentences about exemptions/reductions go to exemptions."""
    text = clean(text)
    if not text:
        return None, None
    sentences = _sentences(text)
    exempt = [s for s in sentences if _EXEMPT_RE.search(s)]
    if not exempt or len(exempt) == len(sentences):
        return text, None
    rest = [s for s in sentences if s not in exempt]
    return "; ".join(rest), "; ".join(exempt)


def _money(value: int) -> str:
    return f"{value:,}".replace(",", ".") + " đồng"


@dataclass
class _Row:
    channel: str
    time_value: Optional[float] = None
    time_unit: Optional[str] = None
    time_raw: str = ""  # the time cell as written
    time_text: Optional[str] = None  # a time cell that is a phrase, not a number
    glued: Optional[str] = None  # '1100 VNĐ' when time and fee digits were glued
    fee_cell: Optional[str] = None  # 'free' | 'none' | 'amount' | None (no fee cell found)
    fee_digits: str = ""
    fee_currency: str = ""
    fee_desc: str = ""
    description: str = ""


def _split_glued(digits: str, context: str) -> Tuple[str, str]:
    """'1100' (time 1 glued to fee 100) → ('1', '100'). The split whose fee the description
    confirms (as itself or in thousands) wins; otherwise the time is the first digit."""
    stated = money_amounts(context)
    options = []
    for k in range(1, len(digits)):
        time, fee = digits[:k], digits[k:]
        if not time.isdigit() or fee[:1] in "0.," or _amount(fee) is None:
            continue
        options.append((time, fee))
    for time, fee in options:
        value = _amount(fee)
        if value in stated or value * 1000 in stated:
            return time, fee
    return options[0] if options else (digits, "")


def split_channel_rows(raw: str) -> List[_Row]:
    """The flattened 'Hình thức nộp | Thời gian | Phí, lệ phí | Mô tả' table → one _Row per
    table row (a channel may have several rows, e.g. one per fee)."""
    text = nfc(raw or "").replace("\xa0", " ")
    if text.startswith(_CH_HEADER):
        text = text[len(_CH_HEADER):]
    starts = [m for m in _ROW_START_RE.finditer(text)]
    rows: List[_Row] = []
    for i, m in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        body = text[m.end():end]
        row = _Row(channel=CHANNELS[m.group("ch")])
        pos = 0
        glued = _GLUED_FEE_RE.match(body)
        timed = _TIME_RE.match(body)
        if glued and (not timed or not timed.group("unit")):
            # Time without unit glued to the fee digits: 'Trực tuyến1100 VNĐ(…100.000 đồng…)'.
            time, fee = _split_glued(glued.group("digits"), body[glued.end():glued.end() + 400])
            row.time_raw, row.time_value = time, float(time)
            row.glued = glued.group(0).strip()
            pos = glued.start("digits") + len(time)
        elif timed:
            row.time_raw = timed.group(0).strip()
            row.time_value = float(timed.group("value").replace(",", "."))
            unit = timed.group("unit")
            row.time_unit = _UNITS[unit.lower()] if unit else None
            pos = timed.end()
        elif body.startswith(NO_INFO):
            pos = len(NO_INFO)
        else:
            cell = _FEE_CELL_RE.search(body)
            stop = cell.start() if cell else len(body)
            row.time_text = clean(body[:stop]) or None
            pos = stop
        cell = _FEE_CELL_RE.match(body, pos)
        if cell:
            if cell.group(0) == "Miễn phí":
                row.fee_cell = "free"
            elif cell.group(0) == NO_INFO:
                row.fee_cell = "none"
            else:
                row.fee_cell = "amount"
                row.fee_digits, row.fee_currency = cell.group("amount") or "", cell.group("cur")
            pos = cell.end()
            if body[pos:pos + 1] == "(":
                row.fee_desc, pos = _balanced(body, pos)
        row.description = body[pos:]
        rows.append(row)
    return rows


def _description_fees(text: str) -> Tuple[List[dict], str]:
    """Fees stated in the 'Mô tả' column ('- Lệ phí : 20.000 Đồng (…)'), and the text without them."""
    fees, rest, pos = [], [], 0
    for m in _DESC_FEE_RE.finditer(text):
        detail, end = ("", m.end())
        if m.group("paren"):
            detail, end = _balanced(text, m.end() - 1)
        amount = _amount(m.group("amount"))
        if amount is None:
            continue
        fees.append({"kind": m.group("kind"), "amount": amount,
                     "description": clean(detail) or None, "exemptions": None})
        rest.append(text[pos:m.start()])
        pos = end
    rest.append(text[pos:])
    return fees, " ".join(rest)


TIME_NOTE_MAX = 400  # characters of portal text kept as a time note; the rest is at source_url


def _time_note_from(description: str) -> Optional[str]:
    """The sentences of the row description that qualify the time limit ('kể từ ngày nhận đủ
    hồ sơ hợp lệ'), at most TIME_NOTE_MAX characters (cut at a sentence, marked '…')."""
    kept: List[str] = []
    for sentence in dict.fromkeys(s for s in _sentences(clean(description)) if _TIME_WORDS_RE.search(s)):
        if kept and len("; ".join(kept + [sentence])) > TIME_NOTE_MAX:
            kept.append("…")
            break
        kept.append(sentence if len(sentence) <= TIME_NOTE_MAX else sentence[:TIME_NOTE_MAX].rsplit(" ", 1)[0] + " …")
    return "; ".join(kept).replace("; …", " …") or None


_SAME_DAY_RE = re.compile(r"sau 15 giờ.{0,200}?ngày làm việc tiếp theo|ngay trong ngày", re.IGNORECASE | re.DOTALL)


def _row_fees(row: _Row, notes: _Notes, label: str) -> Tuple[List[dict], Optional[str]]:
    """The fees of one table row and what is left of its description."""
    desc = _strip_bullet(clean(row.fee_desc))
    desc_fees, description = _description_fees(row.description)
    fees: List[dict] = []
    if row.fee_cell == "amount":
        if row.fee_currency.upper() == "USD":
            stated = f"{row.fee_digits} USD".strip()
            fees.append({"kind": _fee_kind(desc), "amount": None,
                         "description": f"{stated}" + (f" ({desc})" if desc else ""),
                         "exemptions": None})
        elif (_amount(row.fee_digits) or 0) < 1000 and re.search(
            rf"(?<![\d.,]){re.escape(row.fee_digits.strip() or '-')}\s*USD", desc, re.IGNORECASE
        ):
            # '155 VNĐ(… 155 USD/thẻ.)': the currency is wrong, the description says USD.
            notes.flag("absurd-fee", f"{label} fee {row.fee_digits} VND but the description "
                       f"states {row.fee_digits} USD: amount left open, description kept")
            notes.correct(f"Cổng ghi mức phí {row.fee_digits} đồng nhưng mô tả cùng dòng ghi "
                          f"{row.fee_digits} USD: lấy theo mô tả (đô la Mỹ).")
            fees.append({"kind": _fee_kind(desc), "amount": None,
                         "description": f"{row.fee_digits} USD ({desc})", "exemptions": None})
        else:
            value = _amount(row.fee_digits)
            if value is None:
                # No number in the fee cell (' VNĐ(…)'): the description is all there is.
                stated = money_amounts(desc)
                if len(stated) == 1:
                    value = stated[0]
                fees.append({"kind": _fee_kind(desc), "amount": value,
                             "description": desc or "Cổng không ghi số tiền.", "exemptions": None})
            else:
                stated = money_amounts(desc)
                if 0 < value < 1000 or value > 1_000_000_000:
                    if len(stated) == 1 and 1000 <= stated[0] <= 1_000_000_000:
                        notes.flag("absurd-fee", f"{label} fee {value} VND; the description states "
                                   f"{stated[0]} VND: used the description")
                        notes.correct(f"Cổng ghi mức phí {value} đồng, khó tin; mô tả cùng dòng ghi "
                                      f"{_money(stated[0])}: lấy theo mô tả.")
                        value = stated[0]
                    else:
                        notes.flag("absurd-fee", f"{label} fee {value} VND is implausible (kept)")
                        notes.correct(f"Cổng ghi mức phí {value} đồng, con số khó tin (có thể là "
                                      f"nghìn đồng); giữ nguyên, cần hỏi lại cơ quan giải quyết.")
                description_, exemptions = _split_exemptions(desc)
                fees.append({"kind": _fee_kind(desc), "amount": value,
                             "description": description_, "exemptions": exemptions})
        fees.extend(desc_fees)
    elif row.fee_cell == "free":
        stated = money_amounts(desc)
        usd = _USD_RE.findall(desc)
        current = money_amounts(" ".join(s for s in _sentences(desc) if not _expired(s)))
        expired_note = ""
        if len(stated) > 1 and len(current) == 1 and not usd:
            stated, expired_note = current, " (a temporary rate that ended before the crawl ignored)"
        if desc_fees:
            notes.flag("free-vs-description", f"{label} shows 'Miễn phí' but its description "
                       f"lists {len(desc_fees)} fee(s): used the description")
            notes.correct("Cổng ghi 'Miễn phí' nhưng phần mô tả ghi mức lệ phí: lấy theo mô tả.")
            fees.extend(desc_fees)
        elif stated or usd:
            if len(stated) == 1 and not usd:
                amount = stated[0]
                notes.flag("free-vs-description", f"{label} shows 'Miễn phí' but the description "
                           f"states {amount} VND: used the description{expired_note}")
                notes.correct(f"Cổng ghi 'Miễn phí' nhưng mô tả cùng dòng ghi {_money(amount)}: "
                              f"lấy theo mô tả.")
            else:
                amount = None
                notes.flag("free-vs-description", f"{label} shows 'Miễn phí' but the description "
                           f"states several amounts ({', '.join(map(str, stated)) or ', '.join(usd)}): "
                           f"amount left open, description kept")
                notes.correct("Cổng ghi 'Miễn phí' nhưng mô tả cùng dòng nêu mức thu (nhiều mức): "
                              "không ghi một số tiền, xem mô tả.")
            description_, exemptions = _split_exemptions(desc)
            if amount is None:
                description_ = desc
            fees.append({"kind": _fee_kind(desc), "amount": amount,
                         "description": description_, "exemptions": exemptions})
        elif desc and _FEE_WORDS_RE.search(desc) and not _FREE_WORDS_RE.search(desc):
            notes.flag("free-vs-description", f"{label} shows 'Miễn phí' but the description says "
                       f"a fee is charged without an amount: amount left open")
            notes.correct("Cổng ghi 'Miễn phí' nhưng mô tả cùng dòng nói có thu phí/lệ phí mà không "
                          "ghi số tiền: không ghi là miễn phí, xem mô tả.")
            description_, exemptions = _split_exemptions(desc)
            fees.append({"kind": _fee_kind(desc), "amount": None, "description": desc,
                         "exemptions": exemptions})
        else:
            keep = desc if desc and not re.fullmatch(r"(?i)[-\s]*(?:không(?: có)?|a)\.?", desc) else None
            fees.append({"kind": _fee_kind(desc), "amount": 0, "description": keep, "exemptions": None})
    else:
        fees.extend(desc_fees)
        if desc:
            stated = money_amounts(desc)
            fees.append({"kind": _fee_kind(desc), "amount": stated[0] if len(stated) == 1 else None,
                         "description": desc, "exemptions": None})
    return fees, description


def _fmt_time(value: float, unit: Optional[str]) -> str:
    number = int(value) if float(value).is_integer() else value
    return f"{number} {unit}" if unit else f"{number}"


def parse_channels(raw: str, steps_text: str, notes: _Notes) -> List[dict]:
    """The submission-channel table → channel dicts (time limit, note, fees), flags included."""
    rows = split_channel_rows(raw)
    if not rows:
        notes.miss("channels")
        return []
    merged: Dict[str, dict] = {}
    order: List[str] = []
    for row in rows:
        label = row.channel
        fees, description = _row_fees(row, notes, label)
        if row.fee_cell in (None, "none") and not fees:
            notes.miss("fees")
        time_limit, note_parts = None, []
        if row.glued:
            notes.flag("table", f"{label} time and fee digits glued ('{row.glued}'): read as "
                       f"time '{row.time_raw}' without unit + the rest as the fee")
        if row.time_value is not None and row.time_unit:
            if row.time_value > 0:
                time_limit = {"value": row.time_value, "unit": row.time_unit}
                if row.time_unit not in TIME_UNITS:
                    time_limit = None
                    note_parts.append(f"Cổng ghi thời hạn {row.time_raw}.")
            else:
                note_parts.append(f"Cổng ghi thời hạn '{row.time_raw}'.")
                notes.miss("time_limit")
        elif row.time_value is not None:
            raw_value = row.time_raw
            if raw_value == "1" and _SAME_DAY_RE.search(steps_text or ""):
                time_limit = {"value": 1, "unit": "ngày làm việc"}
                note_parts.append("Cổng chỉ ghi thời hạn '1', không có đơn vị; theo phần trình tự, "
                                  "hồ sơ đủ được trả trong ngày (nhận sau 15 giờ thì trả ngày làm "
                                  "việc tiếp theo), nên ghi 1 ngày làm việc.")
                notes.flag("time-no-unit", f"{label} time '1' has no unit; the steps say same "
                           f"working day: used 1 ngày làm việc")
                notes.correct("Cổng chỉ ghi thời hạn '1', không có đơn vị; theo phần trình tự "
                              "trả trong ngày làm việc, nên ghi 1 ngày làm việc.")
            else:
                note_parts.append(f"Cổng chỉ ghi thời hạn '{raw_value}', không ghi đơn vị (ngày, "
                                  f"ngày làm việc, giờ…); chưa rõ thời hạn thực tế.")
                notes.flag("time-no-unit", f"{label} time '{raw_value}' has no unit: left open")
                notes.correct(f"Cổng chỉ ghi thời hạn '{raw_value}' không có đơn vị: không tự đoán "
                              f"đơn vị, thời hạn để trống.")
        else:
            notes.miss("time_limit")
            if row.time_text and not is_empty(row.time_text):
                note_parts.append(row.time_text)
        qualifier = _time_note_from(description)
        if qualifier:
            note_parts.append(qualifier)
        if row.channel not in merged:
            order.append(row.channel)
            merged[row.channel] = {"channel": row.channel, "time_limit": time_limit,
                                   "notes": note_parts, "fees": []}
        else:
            ch = merged[row.channel]
            if ch["time_limit"] is None and time_limit is not None:
                ch["time_limit"] = time_limit
            elif time_limit is not None and time_limit != ch["time_limit"]:
                first = ch["time_limit"]
                note_parts.append(f"Cổng còn ghi thời hạn {_fmt_time(time_limit['value'], time_limit['unit'])} "
                                  f"ở một dòng khác của cách nộp này.")
                notes.flag("table", f"{label} listed in several rows with different times "
                           f"({_fmt_time(first['value'], first['unit'])} kept, "
                           f"{_fmt_time(time_limit['value'], time_limit['unit'])} in the note)")
            ch["notes"].extend(note_parts)
        ch = merged[row.channel]
        for fee in fees:
            if fee not in ch["fees"]:
                ch["fees"].append(fee)
    channels = []
    for name in order:
        ch = merged[name]
        parts = list(dict.fromkeys(p.strip() for p in ch["notes"] if p.strip()))
        ours = [p for p in parts if p.startswith("Cổng ")]  # what we say about the portal value
        note = " ".join(ours + [p for p in parts if p not in ours])
        if len(note) > 1.5 * TIME_NOTE_MAX:
            note = note[:int(1.5 * TIME_NOTE_MAX)].rsplit(" ", 1)[0] + " …"
        note = note or None
        channels.append({"channel": name, "time_limit": ch["time_limit"], "time_note": note,
                         "fees": ch["fees"]})
    _flag_time_outliers(channels, notes)
    return channels


def _flag_time_outliers(channels: List[dict], notes: _Notes) -> None:
    """Defect 6: one channel's time far from the others (ratio ≥ 3 and ≥ 5 days apart)."""
    timed = [(c["channel"], c["time_limit"]) for c in channels if c["time_limit"]]
    if len(timed) < 2:
        return
    days = {ch: t["value"] * _DAYS.get(t["unit"], 1) for ch, t in timed}
    low, high = min(days.values()), max(days.values())
    if low <= 0 or high / low < 3 or high - low < 5:
        return
    limits = dict(timed)
    values = list(days.values())
    odd = [ch for ch, d in days.items() if values.count(d) == 1]
    if len(timed) >= 3 and len(odd) == 1:
        odd_ch = odd[0]
        others = [ch for ch in days if ch != odd_ch]
    else:
        odd_ch = min(days, key=days.get)
        others = [ch for ch in days if days[ch] == high]
    t_odd, t_other = limits[odd_ch], limits[others[0]]
    notes.flag("outlier-time", f"{odd_ch} time {_fmt_time(t_odd['value'], t_odd['unit'])} vs "
               f"{'/'.join(others)} {_fmt_time(t_other['value'], t_other['unit'])}: outlier, kept")
    notes.correct(
        f"Thời hạn khi nộp {CHANNEL_NAMES[odd_ch].lower()} ({_fmt_time(t_odd['value'], t_odd['unit'])}) "
        f"khác hẳn các cách nộp khác ({_fmt_time(t_other['value'], t_other['unit'])}); có thể là lỗi "
        f"nhập liệu trên cổng, nên hỏi lại cơ quan giải quyết."
    )


# --- documents -------------------------------------------------------------------------------------

_DOC_HEADER = "Tên giấy tờMẫu đơn, tờ khaiSố lượng"
# A count cell ends a row: it is followed by the next row/heading (glued), the end, or the copies.
_COUNT_RE = re.compile(
    r"(?P<n>\d+) bản (?P<what>chính|sao)(?:\s*,\s*(?P<copies>\d+) bản sao)?(?=$|[^\s),;.:])"
)
_FORM_EXT_RE = re.compile(r"\.(?:docx?|pdf|xlsx?|rtf|odt|zip|rar)$", re.IGNORECASE)
_NO_CASE_RE = re.compile(r"^(?:[-*\s]*|(?:[a-z]\)\s*)?thành phần hồ sơ\s*(?:gồm|bao gồm)?\s*:?)$", re.IGNORECASE)


def _is_junction(text: str, i: int) -> bool:
    """True when text[i] starts a cell glued to the previous one without a space
    ('…thống nhấtMẫu TP-LS-02.docx', '…NĐ-CPMẫu số 16.docx', '…(theo mẫu)12.1.PL.docx')."""
    prev, cur = text[i - 1], text[i]
    nxt = text[i + 1:i + 2]
    if prev.isspace() or cur.isspace():
        return False
    capital_word = cur.isupper() and nxt.islower()
    if prev.islower():
        return cur.isupper() or cur.isdigit()
    if prev in ";:":
        return cur.isalnum()
    if prev == ")":
        return cur.isalnum()
    if prev == ",":
        return cur.isupper()
    if prev == ".":
        return cur.isupper() and not text[i - 2:i - 1].isdigit()
    if prev.isupper() or prev.isdigit():
        return capital_word
    return False


def _split_form(text: str) -> Tuple[str, Optional[str]]:
    """'Giấy đề nghị theo mẫu thống nhấtMẫu TP-LS-02-sđ.docx' → (name, 'Mẫu TP-LS-02-sđ.docx'):
    the 'Mẫu đơn, tờ khai' cell is a file name glued to the document name; it starts at the
    first junction (see _is_junction) of the last 120 characters."""
    if not _FORM_EXT_RE.search(text):
        return text, None
    start = max(4, len(text) - 120)
    for i in range(start, len(text) - 4):
        if _is_junction(text, i):
            return text[:i].strip(), text[i:].strip()
    glued = re.search(r"theo mẫu(?=[^\s.,;:)])", text[start:], re.IGNORECASE)  # 'theo mẫuvăn bản….docx'
    if glued:
        i = start + glued.end()
        return text[:i].strip(), text[i:].strip()
    # No junction: the file name is the last word.
    head, _, tail = text.rpartition(" ")
    return (head.strip(), tail.strip()) if head.strip() else (text, None)


def _doc_name(text: str) -> str:
    return _strip_bullet(clean(text)).strip(" ;,")


def _heading(text: str) -> Tuple[Optional[str], Optional[str]]:
    """A group heading → (kind or None when unchanged, case or None)."""
    t = _strip_bullet(clean(text)).strip()
    low = t.lower()
    if "phải xuất trình" in low and len(t) < 60:
        return "present", None
    if "phải nộp" in low and len(t) < 60:
        return "submit", None
    t = t.rstrip(" :")
    if not t or _NO_CASE_RE.match(t) or is_empty(t):
        return None, None
    return None, t


def _count(n: str) -> Tuple[int, str]:
    """A count cell's number and the digits that belong to the text before it ('20231' →
    (1, '2023')); '01' is 1."""
    if len(n) > 1 and not n.startswith("0"):
        return int(n[-1]), n[:-1]
    return int(n), ""


def parse_documents(raw: str, notes: _Notes) -> List[dict]:
    text = nfc(raw or "").replace("\xa0", " ")
    if is_empty(text) or not _COUNT_RE.search(text):
        notes.miss("documents")
        return []
    parts = text.split(_DOC_HEADER)
    if len(parts) == 1:
        parts = ["", parts[0]]
    docs: List[dict] = []
    kind, case = "submit", None
    k, c = _heading(parts[0])
    kind, case = k or kind, c if not k else None
    dropped: List[str] = []
    for index, part in enumerate(parts[1:], start=1):
        pos = 0
        for m in _COUNT_RE.finditer(part):
            count, glued = _count(m.group("n"))
            row_text = part[pos:m.start()] + glued
            if glued:
                notes.flag("table", f"document count glued to its name ('{m.group('n')} bản "
                           f"{m.group('what')}'): read as {count}")
            pos = m.end()
            originals = count if m.group("what") == "chính" else 0
            copies = count if m.group("what") == "sao" else int(m.group("copies") or 0)
            name_text, form = _split_form(clean(row_text))
            name = _doc_name(name_text)
            if originals == 0 and copies == 0:
                dropped.append(name)
                continue
            if not name:
                notes.flag("table", "document row without a name dropped")
                continue
            docs.append({"name": name, "form": form, "originals": originals, "copies": copies,
                         "kind": kind, "case": case})
        tail = part[pos:]
        if index < len(parts) - 1:
            k, c = _heading(tail)
            kind, case = (k, None) if k else ("submit", c)
        elif clean(tail) and re.search(r"\w{3,}", tail):
            notes.flag("table", f"document text without a count dropped: "
                       f"{clean(tail)[:60]}{'…' if len(clean(tail)) > 60 else ''}")
    if dropped:
        first = dropped[0][:60] + ("…" if len(dropped[0]) > 60 else "")
        notes.flag("note-line", f"{len(dropped)} '0 bản chính' note line(s) left out of the "
                   f"documents and dropped (first: '{first}')")
    if not docs:
        notes.miss("documents")
    return docs


# --- legal bases ---------------------------------------------------------------------------------

_LB_HEADER = "Tên văn bản pháp lýMã văn bản"
_DOC_TYPES = (r"Luật|Bộ luật|Thông tư liên tịch|Thông tư|Nghị định|Nghị quyết|Quyết định|Pháp lệnh|"
              r"Văn bản hợp nhất|Chỉ thị|Công văn")
_U = UPPER
_NUM_BODY = r"\d+(?:\.\d+)?[a-z]?/(?:\d{4}/)?(?:TTg|[A-ZĐ][A-ZĐ\d]*)(?:[-/](?:TTg|[A-ZĐ][A-ZĐ\d]*))*"
_LB_NUMBER_RE = re.compile(rf"(?<![\d/])(?P<num>{_NUM_BODY})")
_LB_NUMBER_AT_RE = re.compile(rf"(?P<num>{_NUM_BODY})")
_GLUED_YEAR_RE = re.compile(rf"(?<!\d)(?P<year>(?:19|20)\d{{2}})(?P<rest>\d{{1,4}}(?:\.\d+)?/(?:\d{{4}}/)?(?:TTg|[{_U}]))")
_GLUE_MARK = "\u2063"
_LB_PREFIX_RE = re.compile(rf"(?:{_DOC_TYPES})(?:\s+số)?\s*$")
_VOWELS = "".join(ch for ch in LOWER if unicodedata.normalize("NFD", ch)[0] in "aeiouy")
_SYLLABLE_RE = re.compile(
    rf"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnprstvx])?[{_VOWELS}]{{1,3}}(?:ng|nh|ch|[cmnpt])?"
)


def _is_syllable(word: str) -> bool:
    """True for one Vietnamese syllable ('nghị', 'THÔNG', 'quy'), False for 'psửa', 'canghị'."""
    return bool(word) and _SYLLABLE_RE.fullmatch(word.lower()) is not None


# Issuer codes that end document numbers: a number ending in one of them is complete.
_ISSUER_CODES = {
    "CP", "BTC", "BTP", "BCA", "BCT", "BYT", "BXD", "BQP", "BNV", "BGTVT", "BTTTT", "BLĐTBXH",
    "BKHĐT", "BKHCN", "BVHTTDL", "BTNMT", "BNNPTNT", "BNNMT", "NHNN", "UBND", "HĐND", "BGDĐT",
    "BNG", "TANDTC", "VKSNDTC", "KTNN", "UBTVQH", "VPCP",
}


def _cut_digits(num: str, digits: str) -> int:
    """How many trailing digits of a suffix ('QH1360', 'BVHTTDL4533') belong to the next,
    glued number: all of them, except the two of a legislature suffix (QH13 + 60/2014/…)."""
    keep = min(2 if re.search(r"QH\d+$", num) else 0, len(digits))
    return len(digits) - keep


def _legal_numbers(text: str) -> Iterable[Tuple[int, int, str]]:
    """(start, end, number) of each document number in the flattened legal-basis text, with the
    two kinds of over-reach undone: a suffix that swallowed the digits of a glued next number
    ('QH1360/2014/QH13', 'BVHTTDL4533/BHXH-CSXH') or the capital(s) starting a glued next title
    ('NĐ-CPNghị định', 'NĐ-CPTHÔNG TƯ')."""
    pos, forced = 0, False
    while True:
        m = (_LB_NUMBER_AT_RE.match(text, pos) if forced else None) or _LB_NUMBER_RE.search(text, pos)
        forced = False
        if not m:
            return
        num, start, end = m.group("num"), m.start("num"), m.end("num")
        head = re.match(r"\d+(?:\.\d+)?[a-z]?/(?:\d{4}/)?", num).end()
        inner = re.search(r"[A-ZĐ](\d+)/", num[head:])
        digits = re.search(r"(?<=[A-ZĐ])\d+$", num)
        if inner:  # 'TT-BVHTTDL4533/BHXH-CSXH'
            cut_at = head + inner.start(1) + (len(inner.group(1)) - _cut_digits(num[:head + inner.end(1)], inner.group(1)))
            num, end, forced = num[:cut_at], start + cut_at, True
        elif text[end:end + 1] == "/" and digits:  # 'QH1360/2014/QH13'
            cut = _cut_digits(num, digits.group())
            if cut:
                num, end, forced = num[:-cut], end - cut, True
        elif num[-1] in "ABCDEFGHIJKLMNOPQRSTUVWXYZĐ":
            # The last capitals may start the next title's first word: 'CPNghị' → 'CP' + 'Nghị',
            # 'CPTHÔNG' → 'CP' + 'THÔNG', 'CPQUY ĐỊNH' → 'CP' + 'QUY ĐỊNH'; 'CPsửa' stays.
            tail = re.search(r"[A-ZĐ]+$", num).group()
            after = text[end:end + 30]
            if re.split(r"[-/]", num)[-1] in _ISSUER_CODES:
                yield start, end, num  # 'TT-BTChướng dẫn': BTC is complete, 'hướng' starts
                pos = end
                continue
            if after[:1].islower():
                rest = re.match(rf"[{LOWER}]*", after).group()
                longest = 1  # 'Nghị': one capital, then lower case
            else:
                rest = re.match(rf"[{UPPER}]*", after).group()
                longest = len(tail)
            after_digit = len(tail) < len(num) and num[-len(tail) - 1].isdigit()
            if not after_digit:
                longest = min(longest, len(tail) - 1)  # a code segment keeps one letter
            for k in range(longest, 0, -1):
                word = tail[-k:] + rest
                if rest and _is_syllable(word):
                    num, end = num[:-k], end - k
                    break
                if not rest and word in ("QUY", "BAN") and re.match(rf" [{UPPER}]", after[k - k:]):
                    num, end = num[:-k], end - k  # 'NĐ-CPQUY ĐỊNH'
                    break
        yield start, end, num
        pos = end


def parse_legal_bases(raw: str, notes: _Notes) -> List[dict]:
    """'Tên văn bản pháp lýMã văn bản' + title/number pairs glued together → [{number, title}].

    A number ends a pair (it is the 'Mã văn bản' cell) when the next title follows it directly
    ('…QH14Nghị định…', '…NĐ-CP Nghị định…') or the text ends; a number followed by ' ngày',
    ' của', ', '… is part of a title. A year glued in front of a number ('202068/2020/QH14',
    defect 5) is given back to the title before it."""
    text = clean(raw)
    if text.startswith(_LB_HEADER):
        text = text[len(_LB_HEADER):]
    if is_empty(text):
        notes.miss("legal_bases")
        return []

    def unglue(m: re.Match) -> str:
        found = next(iter(_legal_numbers(m.string[m.start("rest"):m.start("rest") + 80])), None)
        number = found[2] if found and found[0] == 0 else m.group("rest") + "…"
        notes.flag("glued-number", f"legal-basis number '{m.group('year')}{number}' has a year "
                   f"glued in front: read as '{number}'")
        return m.group("year") + _GLUE_MARK + m.group("rest")

    text = re.sub(r"(\d{4}/[A-ZĐ]+)-\s+(?=[A-ZĐ])", r"\1-", text)  # '105/2025/NĐ- CP'
    text = _GLUED_YEAR_RE.sub(unglue, text)
    pairs: List[Tuple[str, str]] = []
    prev_end = 0
    for start, end, number in _legal_numbers(text):
        after = text[end:end + 2]
        is_cell = (
            not after
            or (after[0] not in " ,;.):" + _GLUE_MARK and not after[0].isdigit())
            or (after[0] == "." and len(after) == 1)
            or (after[0] == " " and after[1:2].isupper())
            # '…NĐ-CP 05/2013/TT-BLĐTBXH - …' but not '…Luật 23/2004/QH11 2004‣48/2014/QH13'
            or (after[0] == " " and after[1:2].isdigit()
                and not re.match(r" \d{4}" + _GLUE_MARK, text[end:end + 6]))
        )
        if not is_cell:
            continue
        title = text[prev_end:start].replace(_GLUE_MARK, "")
        prev_end = end
        prefix = _LB_PREFIX_RE.search(title)
        if prefix and prefix.start() > 0 and not title[prefix.start() - 1].isspace():
            title = title[:prefix.start()]  # the number cell was written 'Thông tư số 03/2023/TT-BTP'
        pairs.append((number, clean(title).strip(" ;,.:-")))
    leftover = text[prev_end:].replace(_GLUE_MARK, "")
    numbers = [n for _, _, n in _legal_numbers(leftover)]
    if numbers and numbers[-1] not in {n for n, _ in pairs}:
        # The last cell is a bare or truncated number ('Nghị định số 46/2020/NĐ-CP46/2020'):
        # take the full number its title states.
        title = re.sub(r"\d+(?:\.\d+)?/\d{4}\s*$", "", leftover)
        pairs.append((numbers[-1], clean(title).strip(" ;,.:-")))
    out: List[dict] = []
    for number, title in pairs:
        if out and out[-1]["number"] == number:
            # The same number twice in a row: the first was the end of the title ('Nghị định
            # 05/2021/NĐ-CP05/2021/NĐ-CP') or the title was cut at a capital ('… NĐ-CP Quy định').
            prev = out[-1]
            prev["title"] = " ".join(x for x in (prev["title"], number, title) if x)
            continue
        if any(b["number"] == number for b in out):
            continue
        out.append({"number": number, "title": title or None})
    if not out:
        notes.miss("legal_bases")
    return out


# --- the record ----------------------------------------------------------------------------------

def parse_record(data: dict, path: Path) -> ParsedRecord:
    """One portal record → ParsedRecord; RecordError(path, field, message) when it cannot be
    imported (no/bad code, no name, no URL, no level, a value the record schema rejects)."""
    if not isinstance(data, dict):
        raise RecordError(path, "-", "a portal record must be a JSON object")
    notes = _Notes()

    def text(key: str) -> str:
        value = data.get(key)
        return value if isinstance(value, str) else ""

    code = clean(text("ma_thu_tuc"))
    if not code:
        raise RecordError(path, "ma_thu_tuc", "no procedure code")
    if not re.match(CODE_RE, code):
        raise RecordError(path, "ma_thu_tuc", f"'{code}' is not a national code (d.dddddd)")
    name, aliases = parse_name(text("ten_thu_tuc"))
    if not name:
        raise RecordError(path, "ten_thu_tuc", "no procedure name")
    url = clean(text("detail_url"))
    if not url.startswith("https://"):
        raise RecordError(path, "detail_url", f"no https source URL ({url or 'empty'})")
    levels = parse_levels(text("cap_thuc_hien"))
    if not levels:
        raise RecordError(path, "cap_thuc_hien", "no level")
    bad = [lv for lv in levels if lv not in LEVELS]
    if bad:
        raise RecordError(path, "cap_thuc_hien", f"unknown level(s) {', '.join(bad)}")
    fld = clean(text("linh_vuc"))
    if is_empty(fld):
        raise RecordError(path, "linh_vuc", "no field (lĩnh vực)")

    applicants = clean(text("doi_tuong_thuc_hien"))
    if is_empty(applicants):
        applicants = None
        notes.miss("applicants")
    agencies = parse_agencies(data)
    if not agencies:
        notes.miss("agencies")
    steps = split_paragraphs(text("trinh_tu_thuc_hien"))
    if not steps:
        notes.miss("steps")
    conditions = parse_conditions(text("yeu_cau_dieu_kien"))
    if is_empty(text("yeu_cau_dieu_kien")):
        notes.miss("conditions")
    result = parse_result(text("ket_qua_xu_ly"))
    if not result:
        notes.miss("result")
    channels = parse_channels(text("cach_thuc_thuc_hien"), text("trinh_tu_thuc_hien"), notes)
    documents = parse_documents(text("thanh_phan_ho_so"), notes)
    legal_bases = parse_legal_bases(text("can_cu_phap_ly"), notes)

    fields = dict(
        code=code, name=name, aliases=aliases, field=fld, levels=levels, agencies=agencies,
        applicants=applicants, summary=None, documents=documents, channels=channels, steps=steps,
        conditions=conditions, result=result, legal_bases=legal_bases, source_url=url,
        checked_on=None, corrections=notes.corrections,
    )
    try:
        record = ImportedProcedureRecord(**fields)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise RecordError(path, ".".join(str(p) for p in err["loc"]), err["msg"]) from exc
    return ParsedRecord(record=record, flags=notes.flags, missing=notes.missing)


def parse_file(path: Path) -> ParsedRecord:
    """Read one crawl file (UTF-8 JSON object) and parse it."""
    path = Path(path)
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise RecordError(path, "-", "not UTF-8 text") from exc
    except json.JSONDecodeError as exc:
        raise RecordError(path, "-", f"not valid JSON: {exc.msg} (line {exc.lineno})") from exc
    except OSError as exc:
        raise RecordError(path, "-", f"cannot read: {exc.strerror or exc}") from exc
    if not isinstance(data, dict):
        raise RecordError(path, "-", "a portal record must be a JSON object")
    return parse_record(data, path)
