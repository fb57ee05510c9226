"""The KB access layer: the only code that queries the KB database.

It returns plain frozen dataclasses, so callers (resolver, actions, renderer, tests) never hold
a database session or depend on the ORM.
"""
from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from pathlib import Path
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from sqlalchemy import create_engine, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, selectinload

from procedures_kb import database_url
from bot.text import unique
from procedures_kb.models import Agency, Alias, Case, Channel, Document, Meta, Procedure


@dataclass(frozen=True)
class FeeView:
    kind: str
    amount: Optional[int]
    description: Optional[str]
    exemptions: Optional[str]


@dataclass(frozen=True)
class ChannelView:
    channel: str  # in_person | online | post
    time_value: Optional[float]
    time_unit: Optional[str]
    time_note: Optional[str]
    fees: Tuple[FeeView, ...]


@dataclass(frozen=True)
class DocumentView:
    name: str
    form: Optional[str]
    originals: int
    copies: int
    kind: str
    case: Optional[str]


@dataclass(frozen=True)
class LegalBasisView:
    number: str
    title: Optional[str]


@dataclass(frozen=True)
class ProcedureView:
    code: str
    name: str
    aliases: Tuple[str, ...]
    field: str
    levels: Tuple[str, ...]
    agencies: Tuple[Tuple[str, str], ...]  # (role, name)
    applicants: Optional[str]
    summary: Optional[str]
    documents: Tuple[DocumentView, ...]
    channels: Tuple[ChannelView, ...]
    steps: Tuple[str, ...]
    conditions: Tuple[str, ...]
    result: Optional[str]
    legal_bases: Tuple[LegalBasisView, ...]
    source_url: str
    checked_on: Optional[dt.date]
    origin: str

    def channel(self, name: str) -> Optional[ChannelView]:
        return next((c for c in self.channels if c.channel == name), None)


@dataclass(frozen=True)
class ProcedureEntry:
    """What the resolver indexes for a procedure: its names and the words around them."""

    code: str
    name: str
    aliases: Tuple[str, ...]  # alias texts as written (name included)
    alias_keys: Tuple[str, ...]  # bot.text.match_key of each alias
    field: str
    levels: Tuple[str, ...]
    documents: Tuple[str, ...] = ()  # document names, weaker evidence than the names
    agencies: Tuple[str, ...] = ()  # agency names ("Công an cấp xã"), used to tell siblings apart


@dataclass(frozen=True)
class CaseView:
    code: str
    procedure_code: str
    procedure_name: Optional[str]
    status: str
    received_on: dt.date
    appointment_on: Optional[dt.date]
    returned_on: Optional[dt.date]
    agency: str
    note: Optional[str]


def _procedure_view(p: Procedure) -> ProcedureView:
    return ProcedureView(
        code=p.code,
        name=p.name,
        aliases=tuple(a.text for a in p.aliases),
        field=p.field,
        levels=tuple(x.strip() for x in p.levels.split(";") if x.strip()),
        agencies=tuple((a.role, a.name) for a in p.agencies),
        applicants=p.applicants,
        summary=p.summary,
        documents=tuple(
            DocumentView(d.name, d.form, d.originals, d.copies, d.kind, d.case) for d in p.documents
        ),
        channels=tuple(
            ChannelView(
                c.channel, c.time_value, c.time_unit, c.time_note,
                tuple(FeeView(f.kind, f.amount, f.description, f.exemptions) for f in c.fees),
            )
            for c in p.channels
        ),
        steps=tuple(s.text for s in p.steps),
        conditions=tuple(c.text for c in p.conditions),
        result=p.result,
        legal_bases=tuple(LegalBasisView(b.number, b.title) for b in p.legal_bases),
        source_url=p.source_url,
        checked_on=p.checked_on,
        origin=p.origin,
    )


class KBNotBuilt(RuntimeError):
    """The embedded KB file does not exist yet."""


class KnowledgeBase:
    """Read-only access to a built KB. Cheap to share; caches procedure views."""

    def __init__(self, url: Optional[str] = None, engine: Optional[Engine] = None):
        self.url = url or database_url()
        if engine is None and self.url.startswith("sqlite:///"):
            path = Path(self.url[len("sqlite:///"):])
            if not path.exists():
                raise KBNotBuilt(f"The KB database {path} does not exist: run `python -m procedures_kb build`.")
        self.engine = engine or create_engine(self.url, future=True)
        self._cache: Dict[str, Optional[ProcedureView]] = {}
        self._lock = threading.Lock()

    def _session(self) -> Session:
        return Session(self.engine, future=True)

    def get_procedure(self, code: str) -> Optional[ProcedureView]:
        """The procedure with this national code, or None."""
        if code in self._cache:
            return self._cache[code]
        stmt = (
            select(Procedure)
            .where(Procedure.code == code)
            .options(
                selectinload(Procedure.aliases), selectinload(Procedure.agencies),
                selectinload(Procedure.documents), selectinload(Procedure.steps),
                selectinload(Procedure.conditions), selectinload(Procedure.legal_bases),
                selectinload(Procedure.channels).selectinload(Channel.fees),
            )
        )
        with self._session() as session:
            row = session.execute(stmt).scalar_one_or_none()
            view = _procedure_view(row) if row is not None else None
        with self._lock:
            self._cache[code] = view
        return view

    def entries(self) -> List[ProcedureEntry]:
        """Every procedure's names, aliases, documents and agencies, for the resolver's index.

        Read with four flat queries (not the ORM graph): the full portal KB has ~40,000 rows.
        """
        with self._session() as session:
            procs = session.execute(
                select(Procedure.id, Procedure.code, Procedure.name, Procedure.field, Procedure.levels)
                .order_by(Procedure.code)
            ).all()
            children: Dict[str, Dict[int, List[Tuple[str, ...]]]] = {}
            for label, stmt in (
                ("aliases", select(Alias.procedure_id, Alias.text, Alias.key).order_by(Alias.id)),
                ("documents", select(Document.procedure_id, Document.name).order_by(Document.position)),
                ("agencies", select(Agency.procedure_id, Agency.name).order_by(Agency.id)),
            ):
                grouped: Dict[int, List[Tuple[str, ...]]] = defaultdict(list)
                for row in session.execute(stmt):
                    grouped[row[0]].append(tuple(row[1:]))
                children[label] = grouped
        return [
            ProcedureEntry(
                code=code,
                name=name,
                aliases=tuple(a[0] for a in children["aliases"][pid]),
                alias_keys=tuple(a[1] for a in children["aliases"][pid]),
                field=field,
                levels=tuple(x.strip() for x in levels.split(";") if x.strip()),
                documents=tuple(d[0] for d in children["documents"][pid]),
                agencies=tuple(unique(a[0] for a in children["agencies"][pid])),
            )
            for pid, code, name, field, levels in procs
        ]

    def find_case(self, code: str) -> Optional[CaseView]:
        """The case with exactly this code (parameterised query; nothing else is revealed)."""
        with self._session() as session:
            case = session.execute(select(Case).where(Case.code == code)).scalar_one_or_none()
            if case is None:
                return None
            proc = session.execute(
                select(Procedure.name).where(Procedure.code == case.procedure_code)
            ).scalar_one_or_none()
            return CaseView(case.code, case.procedure_code, proc, case.status, case.received_on,
                            case.appointment_on, case.returned_on, case.agency, case.note)

    def meta(self) -> Dict[str, str]:
        with self._session() as session:
            return {m.key: m.value for m in session.execute(select(Meta)).scalars()}

    def count(self) -> int:
        with self._session() as session:
            return len(session.execute(select(Procedure.id)).all())


_shared: Dict[str, KnowledgeBase] = {}
_shared_lock = threading.Lock()


def shared_kb(url: Optional[str] = None) -> KnowledgeBase:
    """One KnowledgeBase per database URL per process (actions and NLU components share it)."""
    url = url or database_url()
    with _shared_lock:
        if url not in _shared:
            _shared[url] = KnowledgeBase(url)
        return _shared[url]
