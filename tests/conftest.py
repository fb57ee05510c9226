"""Shared fixtures: a KB built from the repository's records into a temporary SQLite file."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PORTAL_DIR = Path(os.environ.get("DVCQG_DATA", REPO.parent / "shared" / "data" / "dvcqg-2026"))


@pytest.fixture(scope="session")
def kb_url(tmp_path_factory) -> str:
    from procedures_kb.build import build

    url = f"sqlite:///{tmp_path_factory.mktemp('kb') / 'kb.sqlite'}"
    build(url)
    return url


@pytest.fixture(scope="session", autouse=True)
def _use_test_kb(kb_url):
    """Point every shared KB user (resolver, actions) at the test KB."""
    old = os.environ.get("KB_DATABASE_URL")
    os.environ["KB_DATABASE_URL"] = kb_url
    yield
    if old is None:
        os.environ.pop("KB_DATABASE_URL", None)
    else:
        os.environ["KB_DATABASE_URL"] = old


@pytest.fixture(scope="session")
def kb(kb_url):
    from procedures_kb.query import KnowledgeBase

    return KnowledgeBase(kb_url)


@pytest.fixture(scope="session")
def resolver(kb):
    from procedures_kb.resolver import ProcedureResolver

    return ProcedureResolver.from_kb(kb)


def portal_record(code: str):
    """The portal's record for a code, or None when the reference data is not here."""
    import json

    hits = list(PORTAL_DIR.glob(f"*/{code}.json"))
    return json.loads(hits[0].read_text(encoding="utf-8")) if hits else None
