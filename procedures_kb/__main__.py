"""`python -m procedures_kb build|check|info`: build, validate or describe the KB database."""
from __future__ import annotations

import argparse
import sys

from procedures_kb import database_url
from procedures_kb.query import KBNotBuilt
from procedures_kb.records import RecordError, load_cases, load_procedures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m procedures_kb", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    build_p = sub.add_parser("build", help="validate the YAML records and (re)build the database")
    build_p.add_argument("--db", help="database URL (default: $KB_DATABASE_URL or the embedded SQLite)")
    sub.add_parser("check", help="validate the YAML records only")
    info_p = sub.add_parser("info", help="say which KB is served and what it holds")
    info_p.add_argument("--db", help="database URL")
    args = parser.parse_args(argv)

    try:
        if args.command == "check":
            n = sum(1 for _ in load_procedures())
            load_cases()
            print(f"{n} procedure records are valid.")
            return 0
        if args.command == "build":
            from procedures_kb.build import build

            url = args.db or database_url()
            procedures, cases = build(url)
            print(f"KB built: {procedures} procedures, {cases} demo cases → {url}")
            return 0
        if args.command == "info":
            from procedures_kb.query import KnowledgeBase

            kb = KnowledgeBase(args.db or database_url())
            meta = kb.meta()
            print(f"KB {kb.url}: {kb.count()} procedures (built {meta.get('built_at', '?')})")
            return 0
    except KBNotBuilt as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except RecordError as exc:
        print(f"Invalid KB record: {exc}", file=sys.stderr)
        return 2
    return 1


if __name__ == "__main__":
    sys.exit(main())
