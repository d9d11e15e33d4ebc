"""``khidma audit verify`` and ``khidma audit rechain``: the audit chain of ticket events, checked and
(for events from before it) sealed, on the SQLite file the server uses (``--db``).

The key is the server's (``server/audit/keys.py``: ``KHIDMA_AUDIT_KEY_FILE``, ``KHIDMA_AUDIT_KEY`` or
``--key-file``); it is never printed. ``verify`` exits 0 when every chain verifies, 1 naming the first
broken link of each broken chain (ticket number, event seq, the field that cannot be verified), 2 when
the key cannot be read.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from pathlib import Path

import msgspec

from server.audit.keys import AuditKeyError, audit_key
from server.settings import Settings
from server.store.open import db_settings


def _key(args: argparse.Namespace) -> bytes:
    settings = Settings(**db_settings(args.db))
    if args.key_file:
        settings = msgspec.structs.replace(settings, audit_key_file=Path(args.key_file))
    return audit_key(settings)


def cmd_verify(args: argparse.Namespace) -> int:
    from server.store.open import open_any

    try:
        key = _key(args)
    except AuditKeyError as exc:
        print(f"khidma audit verify: {exc}", file=sys.stderr)
        return 2

    async def main() -> int:
        store = await open_any(args.db, audit_key=key)
        try:
            tickets, events, breaks = await store.verify_event_chains()
        finally:
            await store.close()
        for found in breaks:
            print(f"BROKEN {found}", file=sys.stdout)
        print(f"{tickets} tickets, {events} events checked; {len(breaks)} broken chain(s)")
        return 1 if breaks else 0

    return asyncio.run(main())


def cmd_rechain(args: argparse.Namespace) -> int:
    from server.store.open import open_any

    try:
        key = _key(args)
    except AuditKeyError as exc:
        print(f"khidma audit rechain: {exc}", file=sys.stderr)
        return 2

    async def main() -> int:
        store = await open_any(args.db, audit_key=key)
        try:
            tickets, events = await store.rechain_events(reason=args.reason, now=dt.datetime.now(dt.UTC))
        finally:
            await store.close()
        print(f"sealed {events} event(s) of {tickets} ticket(s) (recorded in audit_chain_log)")
        return 0

    return asyncio.run(main())


def add_audit_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = commands.add_parser("audit", help="the audit chain of ticket events: verify, rechain")
    sub = audit.add_subparsers(dest="audit_command", required=True)
    verify = sub.add_parser("verify", help="check every ticket's chain; name the first broken link of each")
    rechain = sub.add_parser("rechain", help="seal the events from before the audit chain (recorded)")
    rechain.add_argument(
        "--reason", default="events from before the audit chain", help="recorded with the run"
    )
    for parser, func in ((verify, cmd_verify), (rechain, cmd_rechain)):
        parser.add_argument("--db", default="khidma.db", help="the SQLite file or a postgresql:// URL")
        parser.add_argument("--key-file", help="the audit key file (else KHIDMA_AUDIT_KEY_FILE / _KEY)")
        parser.set_defaults(func=func)
