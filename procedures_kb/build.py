"""Build the KB database from the YAML records.

The build is all-or-nothing: every record is validated first, then the database is written in
one transaction (for SQLite into a temporary file swapped in at the end), so a bad record never
leaves a half-built KB behind and running the build twice gives the same database.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
from functools import lru_cache
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from bot.text import match_key, unique
from procedures_kb import database_url
from procedures_kb.models import (
    Agency,
    Alias,
    Base,
    Case,
    Channel,
    Condition,
    Correction,
    Document,
    Fee,
    LegalBasis,
    Meta,
    Procedure,
    Step,
)
from procedures_kb.records import (
    ALIASES_DIR,
    CASES_FILE,
    PROCEDURES_DIR,
    CaseRecord,
    ProcedureRecord,
    load_aliases,
    load_cases,
    load_procedures,
)


@lru_cache(maxsize=None)
def everyday_names() -> Dict[str, Tuple[str, ...]]:
    """procedures_kb/data/aliases, read once per process (the importer's workers each read it)."""
    return load_aliases(ALIASES_DIR)


def procedure_row(record: ProcedureRecord, origin: str = "curated") -> Procedure:
    """Turn a validated record into ORM rows (one Procedure with its children); the names are
    the official one, the record's aliases and the everyday names written for its code."""
    names = unique([record.name, *record.aliases, *everyday_names().get(record.code, ())])
    return Procedure(
        code=record.code,
        name=record.name,
        field=record.field,
        levels="; ".join(record.levels),
        applicants=record.applicants,
        summary=record.summary,
        result=record.result,
        source_url=record.source_url,
        checked_on=record.checked_on,
        origin=origin,
        aliases=[Alias(text=n, key=match_key(n)) for n in names],
        agencies=[Agency(role=a.role, name=a.name) for a in record.agencies],
        documents=[
            Document(position=i, name=d.name, form=d.form, originals=d.originals,
                     copies=d.copies, kind=d.kind, case=d.case)
            for i, d in enumerate(record.documents)
        ],
        channels=[
            Channel(
                channel=c.channel,
                time_value=c.time_limit.value if c.time_limit else None,
                time_unit=c.time_limit.unit if c.time_limit else None,
                time_note=c.time_note,
                fees=[Fee(kind=f.kind, amount=f.amount, description=f.description,
                          exemptions=f.exemptions) for f in c.fees],
            )
            for c in record.channels
        ],
        steps=[Step(position=i, text=s) for i, s in enumerate(record.steps)],
        conditions=[Condition(position=i, text=s) for i, s in enumerate(record.conditions)],
        legal_bases=[LegalBasis(position=i, number=b.number, title=b.title)
                     for i, b in enumerate(record.legal_bases)],
        corrections=[Correction(text=c) for c in record.corrections],
    )


def case_row(record: CaseRecord) -> Case:
    return Case(**record.dict())


def _fingerprint(paths: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def build(
    url: Optional[str] = None,
    procedures_dir: Path = PROCEDURES_DIR,
    cases_file: Path = CASES_FILE,
) -> Tuple[int, int]:
    """Validate all records and (re)build the database. Returns (procedures, cases)."""
    url = url or database_url()
    records: List[ProcedureRecord] = [r for _, r in load_procedures(procedures_dir)]
    if not records:
        raise SystemExit(f"No procedure records found in {procedures_dir}")
    cases = load_cases(cases_file)
    known = {r.code for r in records}
    for case in cases:
        if case.procedure_code not in known:
            raise SystemExit(
                f"{cases_file}: case {case.code}: procedure {case.procedure_code} is not in the KB"
            )

    target: Optional[Path] = None
    write_url = url
    if url.startswith("sqlite:///"):
        target = Path(url[len("sqlite:///"):])
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(target.suffix + f".tmp{os.getpid()}")
        tmp.unlink(missing_ok=True)
        write_url = f"sqlite:///{tmp}"

    engine = create_engine(write_url, future=True)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    sources = [*procedures_dir.glob("*.yml"), *ALIASES_DIR.glob("*.yml"), cases_file]
    with Session(engine, future=True) as session, session.begin():
        session.add_all(procedure_row(r) for r in records)
        session.add_all(case_row(c) for c in cases)
        session.add_all([
            Meta(key="fingerprint", value=_fingerprint(sources)),
            Meta(key="built_at", value=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")),
            Meta(key="curated_procedures", value=str(len(records))),
        ])
    engine.dispose()
    if target is not None:
        os.replace(tmp, target)
    return len(records), len(cases)
