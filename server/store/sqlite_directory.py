"""Directory data, SQLite side: users and their roles, admin lookup tables (ready replies: ``sqlite_ready_replies``)."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from server.store.interface import AlreadyExists, NotFound
from server.store.records import User
from server.store.sqlite_codec import (
    fetch_all,
    fetch_one,
    json_text,
    parse_json,
    parse_json_object,
    parse_time,
    time_text,
)

# --- users --------------------------------------------------------------------------------

# One statement per read, roles folded in as a JSON array: a consistent snapshot without a
# read transaction.
_USERS = (
    "SELECT u.*, (SELECT json_group_array(role) FROM"
    " (SELECT role FROM user_roles WHERE user_id = u.id ORDER BY role)) AS roles_json FROM users AS u"
)


def user_from_row(row: sqlite3.Row) -> User:
    return User(
        id=row["id"],
        username=row["username"],
        name=row["name"],
        email=row["email"],
        phone=row["phone"],
        department=row["department"],
        roles=tuple(parse_json(row["roles_json"])),
        password_hash=row["password_hash"],
        active=bool(row["active"]),
        created_at=parse_time(row["created_at"]),
    )


async def add_user(
    conn: aiosqlite.Connection,
    *,
    user_id: str | None,
    username: str,
    name: str,
    email: str | None,
    phone: str | None,
    department: str | None,
    roles: Sequence[str],
    password_hash: str | None,
    active: bool,
    now: datetime,
) -> User:
    user_id = uuid.uuid4().hex if user_id is None else user_id
    taken = await fetch_one(
        conn, "SELECT id, username FROM users WHERE id = ? OR username = ?", (user_id, username)
    )
    if taken is not None:
        raise AlreadyExists(f"a user with id {user_id!r} or username {username!r} already exists")
    await conn.execute(
        "INSERT INTO users (id, username, name, email, phone, department, password_hash, active, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (user_id, username, name, email, phone, department, password_hash, int(active), time_text(now)),
    )
    await conn.executemany(
        "INSERT INTO user_roles (user_id, role) VALUES (?, ?)",
        [(user_id, role) for role in sorted(set(roles))],
    )
    user = await get_user(conn, user_id)
    assert user is not None
    return user


async def get_user(conn: aiosqlite.Connection, user_id: str) -> User | None:
    row = await fetch_one(conn, _USERS + " WHERE u.id = ?", (user_id,))
    return None if row is None else user_from_row(row)


async def get_users(conn: aiosqlite.Connection, user_ids: Sequence[str]) -> dict[str, User]:
    sql = _USERS + " WHERE u.id IN (SELECT value FROM json_each(?))"  # noqa: S608 (constant text)
    rows = await fetch_all(conn, sql, (json_text(sorted(set(user_ids))),))
    return {row["id"]: user_from_row(row) for row in rows}


async def get_user_by_username(conn: aiosqlite.Connection, username: str) -> User | None:
    """Usernames compare case-insensitively (ASCII)."""
    row = await fetch_one(conn, _USERS + " WHERE u.username = ?", (username,))
    return None if row is None else user_from_row(row)


async def directory_stamp(conn: aiosqlite.Connection) -> int:
    """The directory stamp (migration 0014: moved by every change to users and their roles)."""
    rows = await fetch_all(conn, "SELECT value FROM directory_stamp WHERE id = 1")
    return int(rows[0][0])


async def users_in_department(
    conn: aiosqlite.Connection, department: str, role: str | None, *, active_only: bool
) -> list[User]:
    sql = _USERS + " WHERE u.department = ?"
    params: list[Any] = [department]
    if role is not None:
        sql += " AND EXISTS (SELECT 1 FROM user_roles AS r WHERE r.user_id = u.id AND r.role = ?)"
        params.append(role)
    if active_only:
        sql += " AND u.active = 1"
    rows = await fetch_all(conn, sql + " ORDER BY u.name, u.id", params)
    return [user_from_row(row) for row in rows]


# --- lookup tables ------------------------------------------------------------------------


def lookup_key(value: object) -> str:
    """Keys are stored as text: a string as is, an integer in decimal."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"a lookup key is a string or an integer, not {value!r}")


async def replace_lookup_table(
    conn: aiosqlite.Connection, table: str, key_column: str, rows: Sequence[Mapping[str, Any]]
) -> None:
    values: list[tuple[str, str, str]] = []
    for index, row in enumerate(rows):
        if key_column not in row:
            raise ValueError(f"lookup table {table!r}: row {index} has no key column {key_column!r}")
        values.append((table, lookup_key(row[key_column]), json_text(row)))
    await conn.execute("DELETE FROM lookup_rows WHERE table_name = ?", (table,))
    await conn.executemany("INSERT INTO lookup_rows (table_name, key, row_json) VALUES (?, ?, ?)", values)


async def lookup_rows(conn: aiosqlite.Connection, table: str, key: str) -> list[dict[str, Any]]:
    rows = await fetch_all(
        conn,
        "SELECT row_json FROM lookup_rows WHERE table_name = ? AND key = ? ORDER BY id",
        (table, lookup_key(key)),
    )
    return [parse_json_object(row["row_json"]) for row in rows]


async def lookup_rows_many(
    conn: aiosqlite.Connection, table: str, keys: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    wanted = [lookup_key(key) for key in keys]
    found: dict[str, list[dict[str, Any]]] = {key: [] for key in wanted}
    rows = await fetch_all(
        conn,
        "SELECT key, row_json FROM lookup_rows WHERE table_name = ?"
        " AND key IN (SELECT value FROM json_each(?)) ORDER BY id",
        (table, json_text(wanted)),
    )
    for row in rows:
        found[row["key"]].append(parse_json_object(row["row_json"]))
    return found


# --- administration (server/web/admin_directory.py) ---------------------------------------


async def update_user(
    conn: aiosqlite.Connection,
    user_id: str,
    *,
    name: str,
    email: str | None,
    phone: str | None,
    department: str | None,
    roles: Sequence[str],
) -> User:
    cursor = await conn.execute(
        "UPDATE users SET name = ?, email = ?, phone = ?, department = ? WHERE id = ?",
        (name, email, phone, department, user_id),
    )
    if cursor.rowcount == 0:
        raise NotFound(f"no user {user_id!r}")
    await conn.execute("DELETE FROM user_roles WHERE user_id = ?", (user_id,))
    await conn.executemany(
        "INSERT INTO user_roles (user_id, role) VALUES (?, ?)",
        [(user_id, role) for role in sorted(set(roles))],
    )
    user = await get_user(conn, user_id)
    assert user is not None
    return user


async def set_user_active(conn: aiosqlite.Connection, user_id: str, active: bool) -> User:
    """Deactivating a user also ends every session of theirs."""
    cursor = await conn.execute("UPDATE users SET active = ? WHERE id = ?", (int(active), user_id))
    if cursor.rowcount == 0:
        raise NotFound(f"no user {user_id!r}")
    if not active:
        await conn.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))
    user = await get_user(conn, user_id)
    assert user is not None
    return user


async def list_lookup_table(
    conn: aiosqlite.Connection, table: str, *, offset: int, limit: int | None
) -> list[dict[str, Any]]:
    rows = await fetch_all(
        conn,
        "SELECT row_json FROM lookup_rows WHERE table_name = ? ORDER BY id LIMIT ? OFFSET ?",
        (table, -1 if limit is None else limit, offset),
    )
    return [parse_json_object(row["row_json"]) for row in rows]


async def count_lookup_rows(conn: aiosqlite.Connection, table: str) -> int:
    row = await fetch_one(conn, "SELECT count(*) AS n FROM lookup_rows WHERE table_name = ?", (table,))
    return 0 if row is None else int(row["n"])
