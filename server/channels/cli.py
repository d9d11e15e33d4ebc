"""``khidma integration key create|list|revoke``: the integrations' API keys (``server/channels/keys.py``).

A key is printed once, alone on standard output (``KEY=$(khidma integration key create tawasul
--channel tawasul)`` works); only its SHA-256 is stored. Channels are checked against the organisation
of the definitions tree (the shipped one unless ``--definitions`` says otherwise).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from server.accounts.cli import CommandError, _now, _organisation, _run, guarded
from server.channels.keys import KeyRefused, create_key
from server.store.interface import AlreadyExists, NotFound, Store
from server.store.records import IntegrationKey


@guarded
def cmd_key_create(args: argparse.Namespace) -> int:
    organisation = _organisation(args)

    async def work(store: Store) -> tuple[IntegrationKey, str]:
        try:
            return await create_key(store, organisation, args.name, args.channel, now=_now())
        except KeyRefused as exc:
            raise CommandError(str(exc)) from exc
        except AlreadyExists as exc:
            raise CommandError(str(exc)) from exc

    record, key = _run(args, work)
    print(key)
    print(
        f"integration key {record.name} (channel {record.channel}) created; it is shown only now."
        f" Revoke it with: khidma integration key revoke {record.name}",
        file=sys.stderr,
    )
    return 0


def _when(moment: Any) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment is not None else "-"


@guarded
def cmd_key_list(args: argparse.Namespace) -> int:
    async def work(store: Store) -> list[IntegrationKey]:
        return await store.list_integration_keys()

    for key in _run(args, work):
        revoked = f"  revoked {_when(key.revoked_at)}" if key.revoked_at else ""
        print(
            f"{key.name}\t{key.channel}\tcreated {_when(key.created_at)}\tlast used {_when(key.last_used_at)}{revoked}"
        )
    return 0


@guarded
def cmd_key_revoke(args: argparse.Namespace) -> int:
    async def work(store: Store) -> IntegrationKey:
        try:
            return await store.revoke_integration_key(args.name, now=_now())
        except NotFound as exc:
            raise CommandError(str(exc)) from exc

    key = _run(args, work)
    print(f"integration key {key.name} revoked ({_when(key.revoked_at)})")
    return 0


def _db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", default="khidma.db", help="the SQLite file or a postgresql:// URL (default: khidma.db)"
    )


def add_integration_commands(commands: Any) -> None:
    """Add ``integration key create|list|revoke`` to the ``khidma`` sub-commands."""
    integration = commands.add_parser("integration", help="manage the integrations' API keys")
    integration_commands = integration.add_subparsers(dest="integration_command", required=True)
    key = integration_commands.add_parser(
        "key", help="integration API keys (Tawasul, Itqan, the mail gateway)"
    )
    key_commands = key.add_subparsers(dest="key_command", required=True)

    create = key_commands.add_parser("create", help="create an integration's key and print it (once)")
    create.add_argument("name", help="a unique name for the integration (shown in the tickets' history)")
    create.add_argument(
        "--channel",
        required=True,
        help="the organisation's channel its tickets come by (tawasul, itqan, email)",
    )
    create.add_argument(
        "--definitions", help="the definitions tree whose channels to check (default: shipped)"
    )
    _db(create)
    create.set_defaults(func=cmd_key_create)

    listing = key_commands.add_parser("list", help="list the integration keys (never the keys themselves)")
    _db(listing)
    listing.set_defaults(func=cmd_key_list)

    revoke = key_commands.add_parser("revoke", help="revoke an integration's key at once")
    revoke.add_argument("name")
    _db(revoke)
    revoke.set_defaults(func=cmd_key_revoke)
