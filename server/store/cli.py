"""``khidma migrate-store``: the command around ``server/store/copy.py`` (imported when it runs, so the
command line starts without the PostgreSQL driver)."""

from __future__ import annotations

import argparse
import asyncio
import sys


def cmd_migrate_store(args: argparse.Namespace) -> int:
    import sqlite3
    from pathlib import Path

    import psycopg

    from server.store.copy import copy_store
    from server.store.interface import StoreError

    try:
        copied = asyncio.run(
            copy_store(
                args.source,
                args.target,
                source_attachments=Path(args.from_attachments) if args.from_attachments else None,
                target_attachments=Path(args.to_attachments) if args.to_attachments else None,
            )
        )
    except (StoreError, psycopg.Error, sqlite3.Error, OSError) as exc:
        print(f"khidma migrate-store: {exc}", file=sys.stderr)
        return 1
    for table, rows in copied.rows.items():
        print(f"{table}\t{rows}")
    print(f"copied {sum(copied.rows.values())} rows in {len(copied.rows)} tables; every count checked")
    files = copied.files
    print(
        f"attachment files: {files.total} ({files.copied} copied, {files.kept} already there);"
        " every file checked"
    )
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
    parser.add_argument(
        "--from-attachments",
        metavar="DIR",
        help="the source's directory of uploaded files (a SQLite file's default: <db>-attachments; a"
        " PostgreSQL database's must be given when it has any)",
    )
    parser.add_argument(
        "--to-attachments",
        metavar="DIR",
        help="where the copy's uploaded files go (a SQLite file's default: <db>-attachments; required for a"
        " PostgreSQL target when there are any)",
    )
    parser.set_defaults(func=cmd_migrate_store)
