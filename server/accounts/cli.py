"""The account commands of ``khidma``: ``user add|list|password`` and ``token create|list|revoke``.

Each opens the SQLite file (``--db``, creating and migrating it if needed), does one thing and
closes it; a running server may have the same file open. Roles and departments are checked against
the organisation of the definitions tree (the shipped one unless ``--definitions`` says otherwise).
Secrets: a password is read from standard input only (never from the command line, where other
users could see it); an API token is printed once, on standard output, and only its hash is kept.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from server.accounts.passwords import WeakPassword, check_strength, hash_password
from server.accounts.tokens import new_api_token, token_hash
from server.definitions.model import Organisation
from server.directory.users import normalise_username, username_problem
from server.i18n import t
from server.settings import Settings
from server.store.interface import AlreadyExists, NotFound, Store

T = TypeVar("T")


class CommandError(Exception):
    """A refusal to print (to standard error) before exiting with status 1."""


def guarded(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """A ``CommandError`` becomes a message on standard error and exit status 1."""

    @functools.wraps(command)
    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except CommandError as exc:
            print(f"khidma {args.command}: {exc}", file=sys.stderr)
            return 1

    return run


def _run(args: argparse.Namespace, work: Callable[[Store], Awaitable[T]]) -> T:
    from server.store.open import open_any

    async def main() -> T:
        store = await open_any(args.db)
        try:
            return await work(store)
        finally:
            await store.close()

    return asyncio.run(main())


def _organisation(args: argparse.Namespace) -> Organisation:
    from server.runtime import DefinitionsInvalid, load_shipped

    settings = Settings() if not args.definitions else Settings(definitions=Path(args.definitions))
    try:
        return load_shipped(settings).organisation
    except DefinitionsInvalid as exc:
        raise CommandError(f"the definitions have errors:\n{exc}") from exc


def read_password(stream: Any = None) -> str:
    """The password on standard input: everything up to the first line end (which is not part of it)."""
    text = (stream or sys.stdin).readline()
    password = text[:-1] if text.endswith("\n") else text
    password = password[:-1] if password.endswith("\r") else password
    try:
        check_strength(password)
    except WeakPassword as exc:
        raise CommandError(str(exc)) from exc
    return password


def _now() -> datetime:
    return datetime.now(UTC)


def check_account(
    organisation: Organisation, username: str, roles: list[str], department: str | None
) -> None:
    problem = username_problem(username)
    if problem is not None:  # the web form's rule (server/directory/users.py)
        raise CommandError(f"{username!r} is not a valid username: {t(problem, 'en')}")
    unknown = [role for role in roles if role not in organisation.roles]
    if unknown:
        raise CommandError(
            f"unknown role(s) {', '.join(unknown)}; the organisation has: {', '.join(organisation.roles)}"
        )
    if department is not None and department not in organisation.departments:
        raise CommandError(
            f"unknown department {department!r}; the organisation has: {', '.join(organisation.departments)}"
        )
    scoped = [role for role in roles if organisation.roles[role].scope == "department"]
    if scoped and department is None:
        raise CommandError(f"the role(s) {', '.join(scoped)} work in a department: give --department")


# --- user ---------------------------------------------------------------------------------------


@guarded
def cmd_user_add(args: argparse.Namespace) -> int:
    roles: list[str] = list(dict.fromkeys(args.role))
    args.username = normalise_username(args.username)
    check_account(_organisation(args), args.username, roles, args.department)
    password_hash = hash_password(read_password()) if args.password_stdin else None

    async def work(store: Store) -> str:
        try:
            user = await store.add_user(
                username=args.username,
                name=args.name or args.username,
                roles=roles,
                department=args.department,
                email=args.email,
                phone=args.phone,
                password_hash=password_hash,
                now=_now(),
            )
        except AlreadyExists as exc:
            raise CommandError(f"the username {args.username!r} is taken") from exc
        return user.id

    user_id = _run(args, work)
    where = f", department {args.department}" if args.department else ""
    note = "" if password_hash else " (no password: it can log in only through single sign-on)"
    print(f"added user {args.username} (id {user_id}; roles {', '.join(roles)}{where}){note}")
    return 0


@guarded
def cmd_user_list(args: argparse.Namespace) -> int:
    users = _run(args, lambda store: store.list_users())
    for user in users:
        flags = [] if user.active else ["inactive"]
        if user.password_hash is None:
            flags.append("no password")
        print(
            "\t".join(
                [user.username, ",".join(user.roles), user.department or "-", user.name, " ".join(flags)]
            ).rstrip()
        )
    return 0


@guarded
def cmd_user_password(args: argparse.Namespace) -> int:
    password_hash = hash_password(read_password())

    async def work(store: Store) -> None:
        user = await store.get_user_by_username(args.username)
        if user is None:
            raise CommandError(f"no user {args.username!r}")
        await store.set_password(user.id, password_hash)

    _run(args, work)
    print(f"password of {args.username} changed; its sessions are ended")
    return 0


# --- token --------------------------------------------------------------------------------------


@guarded
def cmd_token_create(args: argparse.Namespace) -> int:
    token = new_api_token()

    async def work(store: Store) -> int:
        user = await store.get_user_by_username(args.username)
        if user is None or not user.active:
            raise CommandError(f"no active user {args.username!r}")
        created = await store.create_api_token(user.id, args.name, token_hash(token), now=_now())
        return created.id

    token_id = _run(args, work)
    print(
        f"API token {token_id} ({args.name!r}) for {args.username}; it is shown only now: "
        f"send it as 'Authorization: Bearer <token>'; revoke it with 'khidma token revoke {token_id}'",
        file=sys.stderr,
    )
    print(token, flush=True)
    return 0


@guarded
def cmd_token_list(args: argparse.Namespace) -> int:
    async def work(store: Store) -> list[str]:
        user = await store.get_user_by_username(args.username)
        if user is None:
            raise CommandError(f"no user {args.username!r}")
        lines = []
        for token in await store.list_tokens(user.id):
            status = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "active"
            used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never used"
            lines.append(
                f"{token.id}\t{token.name}\tcreated {token.created_at:%Y-%m-%d %H:%M}\t{used}\t{status}"
            )
        return lines

    for line in _run(args, work):
        print(line)
    return 0


@guarded
def cmd_token_revoke(args: argparse.Namespace) -> int:
    async def work(store: Store) -> None:
        try:
            await store.revoke_token(args.id, now=_now())
        except NotFound as exc:
            raise CommandError(f"no API token {args.id}") from exc

    _run(args, work)
    print(f"API token {args.id} revoked")
    return 0


# --- the parsers --------------------------------------------------------------------------------


def _db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", default="khidma.db", help="the SQLite file or a postgresql:// URL (default: khidma.db)"
    )


def add_account_commands(commands: Any) -> None:
    """Add ``user`` and ``token`` to the ``khidma`` sub-commands (``commands`` is the subparsers)."""
    user = commands.add_parser("user", help="manage user accounts")
    user_commands = user.add_subparsers(dest="user_command", required=True)

    add = user_commands.add_parser("add", help="add a user account")
    add.add_argument("username")
    add.add_argument("--role", action="append", required=True, help="a role of the organisation (repeatable)")
    add.add_argument("--department", help="the user's department (needed by department roles)")
    add.add_argument("--name", help="the name shown to others (default: the username)")
    add.add_argument("--email")
    add.add_argument("--phone")
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input (without it: no password)",
    )
    add.add_argument("--definitions", help="the definitions tree whose roles to check (default: shipped)")
    _db(add)
    add.set_defaults(func=cmd_user_add)

    listing = user_commands.add_parser("list", help="list the user accounts")
    _db(listing)
    listing.set_defaults(func=cmd_user_list)

    password = user_commands.add_parser("password", help="set a user's password (ends its sessions)")
    password.add_argument("username")
    password.add_argument("--password-stdin", action="store_true", required=True)
    _db(password)
    password.set_defaults(func=cmd_user_password)

    token = commands.add_parser("token", help="manage API bearer tokens")
    token_commands = token.add_subparsers(dest="token_command", required=True)

    create = token_commands.add_parser("create", help="create a token for a user and print it (once)")
    create.add_argument("username")
    create.add_argument("--name", default="api", help="a label to recognise the token by (default: api)")
    _db(create)
    create.set_defaults(func=cmd_token_create)

    tokens = token_commands.add_parser("list", help="list a user's tokens (never the tokens themselves)")
    tokens.add_argument("username")
    _db(tokens)
    tokens.set_defaults(func=cmd_token_list)

    revoke = token_commands.add_parser("revoke", help="revoke a token by its id")
    revoke.add_argument("id", type=int)
    _db(revoke)
    revoke.set_defaults(func=cmd_token_revoke)
