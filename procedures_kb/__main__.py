"""`python -m procedures_kb build|check|info|import-portal|prepare`: build, validate, describe the
KB database, import the national portal crawl into it, or make the served KB current."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

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
    prep_p = sub.add_parser("prepare", help="make the served KB current (curated core + portal crawl if here)")
    prep_p.add_argument("--db", help="database URL (default: $KB_DATABASE_URL or the embedded SQLite)")
    prep_p.add_argument("--portal", help="portal crawl directory (default: $DVCQG_DATA or ../shared/data/dvcqg-2026)")
    prep_p.add_argument("--curated-only", action="store_true", help="serve the curated core alone")
    portal_p = sub.add_parser(
        "import-portal", help="import the national portal crawl (JSON files) next to the curated core"
    )
    portal_p.add_argument("path", help="a directory of portal JSON files (searched recursively) or one file")
    portal_p.add_argument("--db", help="database URL (default: $KB_DATABASE_URL or the embedded SQLite)")
    portal_p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
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
        if args.command == "import-portal":
            from procedures_kb.importer import NoPortalData, import_portal

            try:
                report = import_portal(Path(args.path), args.db or database_url(),
                                       progress=not args.no_progress)
            except NoPortalData as exc:
                print(f"Nothing to import: {exc}", file=sys.stderr)
                return 2
            print(report.format())
            return 0
        if args.command == "prepare":
            from procedures_kb import portal_data_dir
            from procedures_kb.prepare import describe, prepare

            portal = None if args.curated_only else (Path(args.portal) if args.portal else portal_data_dir())
            if portal is not None and not portal.is_dir():
                print(f"No portal crawl at {portal}", file=sys.stderr)
                return 2
            print(describe(prepare(args.db or database_url(), portal)))
            return 0
        if args.command == "info":
            from procedures_kb.prepare import describe
            from procedures_kb.query import KnowledgeBase

            kb = KnowledgeBase(args.db or database_url())
            print(f"{describe(kb)} (built {kb.meta().get('built_at', '?')})")
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
