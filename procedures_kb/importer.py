"""Import the national portal crawl into the KB database, next to the curated core.

`import_portal(path)` parses every `*.json` under `path` (procedures_kb.portal, two worker
processes), then writes all of them in one transaction:

- a code that has a curated row (origin "curated") is never touched ("kept curated");
- a code that already has a portal row is replaced ("updated"), any other is inserted
  ("imported"), so running the import twice gives the same database content;
- a file that cannot be parsed is skipped with the field and the reason; nothing is written
  for it;
- Meta rows `portal_source`, `portal_procedures` and `portal_imported_at` describe the import.

The rows are made by build.procedure_row (in the workers, with the parsing), flattened to column
values and written with one executemany per table under keys that follow the current maxima: the
ORM's one INSERT per row took ~10 s for the ~70,000 rows of the crawl, this takes ~1 s, and a
repeated import reuses the same keys. The report's flags and missing fields are counted over
every parsed record, curated codes included.

If the KB database does not exist yet, the curated core is built first (procedures_kb.build).
Note that `python -m procedures_kb build` rebuilds the database from the YAML records only, so
run the import again after a build.
"""
from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from sqlalchemy import create_engine, delete, func, insert, inspect as sa_inspect, select
from sqlalchemy.orm import Session

from procedures_kb import database_url
from procedures_kb.build import build, procedure_row
from procedures_kb.models import (
    Agency,
    Alias,
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
from procedures_kb.portal import FLAG_KINDS, flag_kind, parse_file
from procedures_kb.records import RecordError

WORKERS = 2
_PARALLEL_FROM = 64  # below this many files, parsing in-process is faster than starting workers
_CHUNK = 500  # codes per DELETE … IN (…) statement
_CHILDREN = (("aliases", Alias), ("agencies", Agency), ("documents", Document),
             ("channels", Channel), ("steps", Step), ("conditions", Condition),
             ("legal_bases", LegalBasis), ("corrections", Correction))


class NoPortalData(ValueError):
    """The import path does not exist or holds no JSON file."""


@dataclass
class ImportReport:
    source: str
    url: str
    files: int = 0
    imported: int = 0  # new portal rows
    updated: int = 0  # portal rows replaced
    kept_curated: int = 0  # codes with a curated row, left untouched
    skipped: List[Tuple[str, str, str]] = field(default_factory=list)  # (file, field, reason)
    missing: Counter = field(default_factory=Counter)  # record field → records missing it
    flags: List[Tuple[str, str]] = field(default_factory=list)  # (code, flag line)
    seconds: float = 0.0
    phases: Dict[str, float] = field(default_factory=dict)  # seconds per phase
    portal_procedures: int = 0  # portal-origin procedures in the DB after the import
    built_core: bool = False  # the curated core had to be built first

    @property
    def parsed(self) -> int:
        return self.files - len(self.skipped)

    def flag_counts(self) -> Counter:
        """Flags per kind (portal.FLAG_KINDS)."""
        return Counter(flag_kind(f) for _, f in self.flags)

    def flagged_records(self) -> Counter:
        """Records with at least one flag of each kind."""
        return Counter(kind for kind, _ in {(flag_kind(f), code) for code, f in self.flags})

    def format(self, examples: int = 3) -> str:
        lines = [
            f"Portal import: {self.source} → {self.url}",
            f"  {self.files} files read in {self.seconds:.1f} s: {self.parsed} parsed, "
            f"{len(self.skipped)} skipped"
            + (f" ({', '.join(f'{k} {v:.1f} s' for k, v in self.phases.items())})" if self.phases else ""),
            f"  imported (new): {self.imported}; updated (replaced portal rows): {self.updated}; "
            f"kept curated: {self.kept_curated}",
            f"  portal procedures now in the KB: {self.portal_procedures}",
        ]
        if self.built_core:
            lines.append("  (the KB did not exist: the curated core was built first)")
        if self.missing:
            lines.append(f"Missing fields (records where the portal left it empty or "
                         f"'Không có thông tin', of {self.parsed}):")
            for name, n in self.missing.most_common(10):
                lines.append(f"  {name:<12} {n}")
        counts, records = self.flag_counts(), self.flagged_records()
        lines.append(f"Flagged values: {len(self.flags)} flags in "
                     f"{len({c for c, _ in self.flags})} records")
        for kind, description in FLAG_KINDS.items():
            if not counts[kind]:
                continue
            lines.append(f"  {kind:<20} {counts[kind]:>5} flags in {records[kind]:>4} records  "
                         f"({description})")
            shown: List[str] = []  # examples from different records
            for code, flag in self.flags:
                if flag_kind(flag) == kind and code not in shown and len(shown) < examples:
                    text = flag.split(": ", 1)[1]
                    lines.append(f"      e.g. {code}: {text[:150]}{'…' if len(text) > 150 else ''}")
                    shown.append(code)
        if self.skipped:
            lines.append(f"Skipped files ({len(self.skipped)}):")
            for file, fld, reason in self.skipped:
                lines.append(f"  {file}: field '{fld}': {reason}")
        else:
            lines.append("Skipped files: none")
        return "\n".join(lines)


# --- parsing (in worker processes) -----------------------------------------------------------

def _values(obj) -> Dict[str, object]:
    """The column values of a new ORM object, as its INSERT would send them: attributes that
    were set, else the column's scalar default. Keys and foreign keys are left out (assigned
    when the rows are written)."""
    state = sa_inspect(obj)
    out: Dict[str, object] = {}
    for attr in state.mapper.column_attrs:
        column = attr.columns[0]
        if column.primary_key or column.foreign_keys:
            continue
        if attr.key in state.dict:
            out[attr.key] = state.dict[attr.key]
        elif column.default is not None and column.default.is_scalar:
            out[attr.key] = column.default.arg
        else:
            out[attr.key] = None
    return out


def flatten_row(row: Procedure) -> dict:
    """A Procedure built by build.procedure_row → plain column values per table (cheap to send
    between processes, inserted with one executemany per table)."""
    return {
        "procedure": _values(row),
        "children": {attr: [_values(c) for c in getattr(row, attr)]
                     for attr, _ in _CHILDREN if attr != "channels"},
        "channels": [(_values(ch), [_values(f) for f in ch.fees]) for ch in row.channels],
    }


def _parse_one(path: str):
    """Parse one file and build its rows with build.procedure_row (in a worker: both are
    CPU-bound). Returns ("ok", path, code, flags, missing, flattened rows) or
    ("skip", path, field, reason)."""
    try:
        parsed = parse_file(Path(path))
        row = flatten_row(procedure_row(parsed.record, origin="portal"))
        return ("ok", path, parsed.record.code, parsed.flags, parsed.missing, row)
    except RecordError as exc:
        return ("skip", path, exc.field, exc.message)
    except Exception as exc:  # a parser bug must not stop the import of the other files
        return ("skip", path, "-", f"parser error: {type(exc).__name__}: {exc}")


def _parse_all(paths: Sequence[Path], progress: bool) -> List[tuple]:
    from tqdm import tqdm

    names = [str(p) for p in paths]
    bar = tqdm(total=len(names), desc="parsing", unit="file", file=sys.stderr,
               disable=not progress, leave=False)
    results: List[tuple] = []
    workers = min(WORKERS, os.cpu_count() or 1)
    try:
        if workers > 1 and len(names) >= _PARALLEL_FROM:
            methods = multiprocessing.get_all_start_methods()
            ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
            with ctx.Pool(workers) as pool:
                for result in pool.imap(_parse_one, names, chunksize=16):
                    results.append(result)
                    bar.update()
        else:
            for name in names:
                results.append(_parse_one(name))
                bar.update()
    finally:
        bar.close()
    return results


# --- database --------------------------------------------------------------------------------

def _kb_exists(url: str) -> bool:
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).exists():
        return False
    engine = create_engine(url, future=True)
    try:
        return sa_inspect(engine).has_table(Procedure.__tablename__)
    finally:
        engine.dispose()


def _chunks(items: Sequence[str], size: int = _CHUNK) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _delete_portal_rows(session: Session, codes: Sequence[str]) -> None:
    """Delete the portal rows of these codes with their children (SQLite does not enforce
    ON DELETE CASCADE unless asked, so children are deleted explicitly)."""
    for chunk in _chunks(sorted(codes)):
        ids = session.scalars(
            select(Procedure.id).where(Procedure.origin == "portal", Procedure.code.in_(chunk))
        ).all()
        if not ids:
            continue
        channel_ids = select(Channel.id).where(Channel.procedure_id.in_(ids))
        session.execute(delete(Fee).where(Fee.channel_id.in_(channel_ids)),
                        execution_options={"synchronize_session": False})
        for model in (Alias, Agency, Document, Channel, Step, Condition, LegalBasis, Correction):
            session.execute(delete(model).where(model.procedure_id.in_(ids)),
                            execution_options={"synchronize_session": False})
        session.execute(delete(Procedure).where(Procedure.id.in_(ids)),
                        execution_options={"synchronize_session": False})


def _insert_rows(session: Session, rows: Sequence[dict]) -> None:
    """Insert flattened procedures (flatten_row) with keys after the current maxima, in the
    given order, one executemany per table. A repeated import therefore reuses the same keys."""
    next_id = {
        model: (session.scalar(select(func.max(model.id))) or 0) + 1
        for model in (Procedure, Fee, *(m for _, m in _CHILDREN))
    }
    batches: Dict[type, List[dict]] = {model: [] for model in next_id}

    def add(model, values: dict, **keys) -> int:
        new_id = next_id[model]
        next_id[model] += 1
        batches[model].append({**values, "id": new_id, **keys})
        return new_id

    for row in rows:
        pid = add(Procedure, row["procedure"])
        for attr, model in _CHILDREN:
            if attr == "channels":
                for channel, fees in row["channels"]:
                    cid = add(Channel, channel, procedure_id=pid)
                    for fee in fees:
                        add(Fee, fee, channel_id=cid)
            else:
                for child in row["children"][attr]:
                    add(model, child, procedure_id=pid)
    for model in (Procedure, *(m for _, m in _CHILDREN), Fee):
        if batches[model]:
            session.execute(insert(model.__table__), batches[model])


def _set_meta(session: Session, values: Dict[str, str]) -> None:
    for key, value in values.items():
        row = session.get(Meta, key)
        if row is None:
            session.add(Meta(key=key, value=value))
        else:
            row.value = value


def import_portal(path: Path, url: Optional[str] = None, progress: bool = True) -> ImportReport:
    """Import every portal record under `path` into the KB at `url` (see the module doc)."""
    started = time.perf_counter()
    path = Path(path)
    if not path.exists():
        raise NoPortalData(f"{path} does not exist")
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*.json") if p.is_file())
    if not files:
        raise NoPortalData(f"{path} holds no .json file")
    url = url or database_url()
    report = ImportReport(source=str(path.resolve()), url=url, files=len(files))

    if not _kb_exists(url):
        build(url)
        report.built_core = True
        report.phases["build core"] = time.perf_counter() - started
    mark = time.perf_counter()

    rows: Dict[str, dict] = {}
    seen: Dict[str, str] = {}
    for result in _parse_all(files, progress):
        if result[0] == "skip":
            _, file, fld, reason = result
            report.skipped.append((file, fld, reason))
            continue
        _, file, code, flags, missing, row = result
        if code in seen:
            report.skipped.append((file, "ma_thu_tuc", f"code {code} already read from {seen[code]}"))
            continue
        seen[code] = file
        rows[code] = row
        report.missing.update(missing)
        report.flags.extend((code, f) for f in flags)
    report.phases["parse"] = time.perf_counter() - mark
    mark = time.perf_counter()

    engine = create_engine(url, future=True)
    try:
        with Session(engine, future=True) as session, session.begin():
            origins = dict(session.execute(select(Procedure.code, Procedure.origin)).all())
            to_write, to_replace = [], []
            for code in sorted(rows):
                origin = origins.get(code)
                if origin is None:
                    report.imported += 1
                elif origin == "portal":
                    report.updated += 1
                    to_replace.append(code)
                else:
                    report.kept_curated += 1
                    continue
                to_write.append(rows[code])
            _delete_portal_rows(session, to_replace)
            _insert_rows(session, to_write)
            report.portal_procedures = session.scalar(
                select(func.count()).select_from(Procedure).where(Procedure.origin == "portal")
            )
            _set_meta(session, {
                "portal_source": report.source,
                "portal_procedures": str(report.portal_procedures),
                "portal_imported_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            })
    finally:
        engine.dispose()
    report.phases["write"] = time.perf_counter() - mark
    report.seconds = time.perf_counter() - started
    return report
