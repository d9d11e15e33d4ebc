"""``khidma migrate-store``: the command around ``server/store/copy.py`` (imported when it runs, so the
command line starts without the PostgreSQL driver)."""

from __future__ import annotations

import argparse
import asyncio
import sys


def cmd_migrate_store(args: argparse.Namespace) -> int:
    import sqlite3

    import psycopg

    from server.store.copy import copy_store
    from server.store.interface import StoreError

    try:
        copied = asyncio.run(copy_store(args.source, args.target))
    except (StoreError, psycopg.Error, sqlite3.Error, OSError) as exc:
        print(f"khidma migrate-store: {exc}", file=sys.stderr)
        return 1
    for table, rows in copied.items():
        print(f"{table}\t{rows}")
    print(f"copied {sum(copied.values())} rows in {len(copied)} tables; every count checked")
    return 0


def add_migrate_store_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "migrate-store",
        help="copy a SQLite database into an empty PostgreSQL one, or back (counts checked)",
    )
    parser.add_argument(
        "--from", dest="source", required=True, help="the SQLite file or postgresql:// URL to copy"
    )
    parser.add_argument("--to", dest="target", required=True, help="the empty database to copy it into")
    parser.set_defaults(func=cmd_migrate_store)
