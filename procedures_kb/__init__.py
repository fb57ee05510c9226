"""The procedure knowledge base: YAML records → SQL database → one query layer.

Both the NLU pipeline (procedure resolution) and the actions reach the KB only through
`procedures_kb.query.KnowledgeBase`.
"""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE = REPO_ROOT / "procedures_kb" / "build" / "kb.sqlite"


def database_url() -> str:
    """Where the KB lives: `KB_DATABASE_URL` if set (e.g. PostgreSQL), else the embedded SQLite."""
    return os.environ.get("KB_DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE}"
