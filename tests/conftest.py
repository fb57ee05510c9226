"""Shared fixtures: a KB built from the repository's records into a temporary SQLite file."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _portal_dir():
    from procedures_kb import portal_data_dir

    return portal_data_dir()


PORTAL_DIR = _portal_dir() or REPO.parent / "shared" / "data" / "dvcqg-2026"


@pytest.fixture(scope="session")
def curated_kb_url(tmp_path_factory) -> str:
    """The embedded default: the curated core alone."""
    from procedures_kb.build import build

    url = f"sqlite:///{tmp_path_factory.mktemp('kb') / 'curated.sqlite'}"
    build(url)
    return url


@pytest.fixture(scope="session")
def full_kb_url(tmp_path_factory) -> str:
    """The curated core plus every portal record ($DVCQG_DATA or ../shared/data/dvcqg-2026)."""
    from procedures_kb.build import build
    from procedures_kb.importer import import_portal

    portal = _portal_dir()
    if portal is None:
        pytest.skip("the portal crawl is not here (set DVCQG_DATA)")
    url = f"sqlite:///{tmp_path_factory.mktemp('kb') / 'full.sqlite'}"
    build(url)
    import_portal(portal, url, progress=False)
    return url


@pytest.fixture(scope="session")
def kb_url(request) -> str:
    """The KB the suite serves, like `make run`: the full dataset when present, else the core."""
    if _portal_dir() is not None:
        return request.getfixturevalue("full_kb_url")
    return request.getfixturevalue("curated_kb_url")


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
def full_kb(full_kb_url):
    from procedures_kb.query import KnowledgeBase

    return KnowledgeBase(full_kb_url)


@pytest.fixture(scope="session")
def resolver(curated_kb_url):
    """The resolver over the curated core alone (the embedded default)."""
    from procedures_kb.query import KnowledgeBase
    from procedures_kb.resolver import ProcedureResolver

    return ProcedureResolver.from_kb(KnowledgeBase(curated_kb_url))


def portal_record(code: str):
    """The portal's record for a code, or None when the reference data is not here."""
    import json

    hits = list(PORTAL_DIR.glob(f"*/{code}.json"))
    return json.loads(hits[0].read_text(encoding="utf-8")) if hits else None


def pytest_report_header(config):
    portal = _portal_dir()
    if portal is None:
        return "KB under test: the curated core alone (no portal crawl found; set DVCQG_DATA)"
    return f"KB under test: the curated core + the portal crawl at {portal}"
