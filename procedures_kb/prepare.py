"""Make the served KB current: the curated core, plus the portal crawl when it is here.

`make run` and `make test` call this. It rebuilds only when something it depends on changed (the
curated records, the KB code, or the portal files), and always says which KB is served:

    python -m procedures_kb prepare [--db URL] [--portal PATH | --curated-only]

The portal crawl is found at `$DVCQG_DATA`, else at ../shared/data/dvcqg-2026 beside the
repository (procedures_kb.portal_data_dir). Without it the curated core alone is served.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Optional

from sqlalchemy import create_engine, delete
from sqlalchemy.orm import Session

from procedures_kb import REPO_ROOT, database_url
from procedures_kb.build import build
from procedures_kb.models import Meta
from procedures_kb.query import KBNotBuilt, KnowledgeBase

FINGERPRINT_META = "prepared_fingerprint"
_INPUTS = ("procedures_kb/data/procedures/*.yml", "procedures_kb/data/aliases/*.yml",
           "procedures_kb/data/outside/*.yml",
           "procedures_kb/data/cases.yml", "procedures_kb/*.py",
           "bot/text.py")


def fingerprint(portal: Optional[Path]) -> str:
    """What the KB content depends on: our records and code, and the portal files (names, sizes
    and modification times, so a changed crawl is re-imported without reading it all)."""
    digest = hashlib.sha256()
    for pattern in _INPUTS:
        for path in sorted(REPO_ROOT.glob(pattern)):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    if portal is not None:
        digest.update(str(portal.resolve()).encode())
        for path in sorted(portal.rglob("*.json")):
            stat = path.stat()
            digest.update(f"{path.name}:{stat.st_size}:{int(stat.st_mtime)}".encode())
    return digest.hexdigest()[:16]


def _write_meta(url: str, values: dict) -> None:
    engine = create_engine(url, future=True)
    with Session(engine, future=True) as session, session.begin():
        session.execute(delete(Meta).where(Meta.key.in_(list(values))))
        session.add_all(Meta(key=k, value=v) for k, v in values.items())
    engine.dispose()


def describe(kb: KnowledgeBase) -> str:
    """One line saying which KB is served."""
    meta = kb.meta()
    total = kb.count()
    if meta.get("portal_procedures"):
        return (f"Serving the full KB: {total} procedures ({meta.get('curated_procedures', '?')} curated "
                f"+ {meta['portal_procedures']} imported from {meta.get('portal_source')}) → {kb.url}")
    return (f"Serving the curated core alone: {total} procedures → {kb.url} "
            "(set DVCQG_DATA to a portal crawl to serve the full dataset)")


def prepare(url: Optional[str] = None, portal: Optional[Path] = None, progress: bool = True) -> KnowledgeBase:
    """Rebuild the KB when its inputs changed; return it."""
    from procedures_kb.resolver import LEXICON_META, build_lexicon, outside_entries

    url = url or database_url()
    wanted = fingerprint(portal)
    try:
        if KnowledgeBase(url).meta().get(FINGERPRINT_META) == wanted:
            return KnowledgeBase(url)
    except KBNotBuilt:
        pass
    except Exception:  # an older or damaged database: rebuild it
        pass
    procedures, cases = build(url)
    print(f"KB built: {procedures} curated procedures, {cases} demo cases")
    if portal is not None:
        from procedures_kb.importer import import_portal

        print(import_portal(portal, url, progress=progress).format())
    kb = KnowledgeBase(url)
    # Every name the resolver indexes: the KB's and the outside catalogue's.
    lexicon = sorted("_".join(w) for w in build_lexicon([*kb.entries(), *outside_entries()[0]]))
    _write_meta(url, {LEXICON_META: json.dumps(lexicon, ensure_ascii=False), FINGERPRINT_META: wanted})
    return KnowledgeBase(url)
