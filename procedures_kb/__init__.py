"""The procedure knowledge base: YAML records → SQL database → one query layer.

Both the NLU pipeline (procedure resolution) and the actions reach the KB only through
`procedures_kb.query.KnowledgeBase`.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE = REPO_ROOT / "procedures_kb" / "build" / "kb.sqlite"


def database_url() -> str:
    """Where the KB lives: `KB_DATABASE_URL` if set (e.g. PostgreSQL), else the embedded SQLite."""
    return os.environ.get("KB_DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE}"

PORTAL_ENV = "DVCQG_DATA"
DEFAULT_PORTAL_DIR = REPO_ROOT.parent / "shared" / "data" / "dvcqg-2026"


def portal_data_dir() -> Optional[Path]:
    """The national portal crawl to import, if any: `$DVCQG_DATA` when set, else
    ../shared/data/dvcqg-2026 beside the repository. None means: serve the curated core alone."""
    configured = os.environ.get(PORTAL_ENV)
    path = Path(configured) if configured else DEFAULT_PORTAL_DIR
    return path if path.is_dir() else None
