"""Directory data, PostgreSQL side (``sqlite_directory``' contract): users and their roles, admin
lookup tables, ready replies. Usernames are unique and compare case-insensitively for ASCII letters
(``khidma_nocase``, SQLite's NOCASE); lists sort in byte order (``COLLATE "C"``, SQLite's BINARY);
searches match as SQLite's LIKE does (ASCII case folded, ``%`` and ``_`` in the query literal)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from psycopg import errors

from server.store.interface import AlreadyExists, NotFound
from server.store.postgres_codec import (
    Conn,
    PgBase,
    Row,
    execute,
    execute_many,
    fetch_all,
    fetch_one,
    json_text,
    like_pattern,
    moment,
    nocase_like,
)
from server.store.records import ReadyReply, User
from server.store.sqlite_directory import lookup_key

# One statement per read, roles folded in as an array: a consistent snapshot without a transaction.
USERS = (
    'SELECT u.*, ARRAY(SELECT r.role FROM user_roles r WHERE r.user_id = u.id ORDER BY r.role COLLATE "C")'
    " AS roles FROM users AS u"
)
BYTE_ORDER = 'COLLATE "C"'


def user_from_row(row: Row) -> User:
    return User(
        id=row["id"],
        username=row["username"],
        name=row["name"],
        email=row["email"],
        phone=row["phone"],
        department=row["department"],
        roles=tuple(row["roles"]),
        password_hash=row["password_hash"],
        active=bool(row["active"]),
        created_at=row["created_at"],
    )


def reply_from_row(row: Row) -> ReadyReply:
    return ReadyReply(
        id=row["id"],
        title_ar=row["title_ar"],
        title_en=row["title_en"],
        body_ar=row["body_ar"],
        body_en=row["body_en"],
        tags=tuple(row["tags"]),
        active=bool(row["active"]),
    )


async def get_user(conn: Conn, user_id: str) -> User | None:
    row = await fetch_one(conn, USERS + " WHERE u.id = %s", (user_id,))
    return None if row is None else user_from_row(row)


async def _add_user(conn: Conn, user_id: str, fields: tuple[Any, ...], roles: Sequence[str]) -> User:
    username = fields[0]
    taken = await fetch_one(
        conn,
        "SELECT id FROM users WHERE id = %s OR khidma_nocase(username) = khidma_nocase(%s)",
        (user_id, username),
    )
    if taken is not None:
        raise AlreadyExists(f"a user with id {user_id!r} or username {username!r} already exists")
    try:
        await execute(
            conn,
            "INSERT INTO users (id, username, name, email, phone, department, password_hash, active, created_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (user_id, *fields),
        )
    except errors.UniqueViolation as exc:  # taken by another process a moment ago
        raise AlreadyExists(f"a user with id {user_id!r} or username {username!r} already exists") from exc
    await _set_roles(conn, user_id, roles)
    user = await get_user(conn, user_id)
    assert user is not None
    return user


async def _set_roles(conn: Conn, user_id: str, roles: Sequence[str]) -> None:
    await execute(conn, "DELETE FROM user_roles WHERE user_id = %s", (user_id,))
    await execute_many(
        conn,
        "INSERT INTO user_roles (user_id, role) VALUES (%s, %s)",
        [(user_id, r) for r in sorted(set(roles))],
    )


async def _update_user(conn: Conn, user_id: str, fields: tuple[Any, ...], roles: Sequence[str]) -> User:
    changed = await execute(
        conn,
        "UPDATE users SET name = %s, email = %s, phone = %s, department = %s WHERE id = %s",
        (*fields, user_id),
    )
    if changed == 0:
        raise NotFound(f"no user {user_id!r}")
    await _set_roles(conn, user_id, roles)
    user = await get_user(conn, user_id)
    assert user is not None
    return user


async def _set_active(conn: Conn, user_id: str, active: bool) -> User:
    if await execute(conn, "UPDATE users SET active = %s WHERE id = %s", (active, user_id)) == 0:
        raise NotFound(f"no user {user_id!r}")
    if not active:
        await execute(conn, "DELETE FROM sessions WHERE user_id = %s", (user_id,))
    user = await get_user(conn, user_id)
    assert user is not None
    return user


async def _replace_lookup(conn: Conn, table: str, values: list[tuple[str, str, str]]) -> None:
    await execute(conn, "DELETE FROM lookup_rows WHERE table_name = %s", (table,))
    await execute_many(
        conn, "INSERT INTO lookup_rows (table_name, key, row_json) VALUES (%s, %s, %s::json)", values
    )


class PgDirectoryMixin(PgBase):
    # --- lookup tables ------------------------------------------------------------------

    async def replace_lookup_table(
        self, table: str, key_column: str, rows: Sequence[Mapping[str, Any]]
    ) -> None:
        values: list[tuple[str, str, str]] = []
        for index, row in enumerate(rows):
            if key_column not in row:
                raise ValueError(f"lookup table {table!r}: row {index} has no key column {key_column!r}")
            values.append((table, lookup_key(row[key_column]), json_text(row)))
        await self._write(lambda conn: _replace_lookup(conn, table, values))

    async def lookup_rows(self, table: str, key: str) -> list[dict[str, Any]]:
        rows = await self._all(
            "SELECT row_json FROM lookup_rows WHERE table_name = %s AND key = %s ORDER BY id",
            (table, lookup_key(key)),
        )
        return [row["row_json"] for row in rows]

    async def lookup_rows_many(self, table: str, keys: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        wanted = [lookup_key(key) for key in keys]
        found: dict[str, list[dict[str, Any]]] = {key: [] for key in wanted}
        rows = await self._all(
            "SELECT key, row_json FROM lookup_rows WHERE table_name = %s AND key = ANY(%s) ORDER BY id",
            (table, wanted),
        )
        for row in rows:
            found[row["key"]].append(row["row_json"])
        return found

    async def list_lookup_table(
        self, table: str, *, offset: int = 0, limit: int | None = None
    ) -> list[dict[str, Any]]:
        rows = await self._all(
            "SELECT row_json FROM lookup_rows WHERE table_name = %s ORDER BY id LIMIT %s OFFSET %s",
            (table, limit, offset),
        )
        return [row["row_json"] for row in rows]

    async def count_lookup_rows(self, table: str) -> int:
        row = await self._one("SELECT count(*) AS n FROM lookup_rows WHERE table_name = %s", (table,))
        return 0 if row is None else int(row["n"])

    # --- users --------------------------------------------------------------------------

    async def add_user(
        self,
        *,
        username: str,
        name: str,
        roles: Sequence[str],
        now: datetime,
        id: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        department: str | None = None,
        password_hash: str | None = None,
        active: bool = True,
    ) -> User:
        user_id = uuid.uuid4().hex if id is None else id
        fields = (username, name, email, phone, department, password_hash, active, moment(now))
        changed = await self._write(lambda conn: _add_user(conn, user_id, fields, roles))
        self._directory.forget()
        return changed

    async def get_user(self, user_id: str) -> User | None:
        row = await self._one(USERS + " WHERE u.id = %s", (user_id,))
        return None if row is None else user_from_row(row)

    async def get_users(self, user_ids: Sequence[str]) -> dict[str, User]:
        rows = await self._all(USERS + " WHERE u.id = ANY(%s)", (sorted(set(user_ids)),))
        return {row["id"]: user_from_row(row) for row in rows}

    async def get_user_by_username(self, username: str) -> User | None:
        row = await self._one(USERS + " WHERE khidma_nocase(u.username) = khidma_nocase(%s)", (username,))
        return None if row is None else user_from_row(row)

    async def users_in_department(
        self, department: str, role: str | None = None, *, active_only: bool = True
    ) -> list[User]:
        return await self._directory.answer(
            (department, role, active_only),
            self._directory_stamp,
            lambda: self._users_in_department(department, role, active_only=active_only),
        )

    async def _users_in_department(
        self, department: str, role: str | None, *, active_only: bool
    ) -> list[User]:
        sql = USERS + " WHERE u.department = %s"
        params: list[Any] = [department]
        if role is not None:
            sql += " AND EXISTS (SELECT 1 FROM user_roles AS r WHERE r.user_id = u.id AND r.role = %s)"
            params.append(role)
        if active_only:
            sql += " AND u.active"
        rows = await self._all(sql + f" ORDER BY u.name {BYTE_ORDER}, u.id {BYTE_ORDER}", params)
        return [user_from_row(row) for row in rows]

    async def update_user(
        self,
        user_id: str,
        *,
        name: str,
        email: str | None,
        phone: str | None,
        department: str | None,
        roles: Sequence[str],
    ) -> User:
        fields = (name, email, phone, department)
        changed = await self._write(lambda conn: _update_user(conn, user_id, fields, roles))
        self._directory.forget()
        return changed

    async def set_user_active(self, user_id: str, active: bool) -> User:
        changed = await self._write(lambda conn: _set_active(conn, user_id, active))
        self._directory.forget()
        return changed

    # --- ready replies ------------------------------------------------------------------

    async def add_ready_reply(
        self,
        *,
        title_ar: str,
        title_en: str,
        body_ar: str,
        body_en: str,
        tags: Sequence[str] = (),
        active: bool = True,
    ) -> ReadyReply:
        params = (title_ar, title_en, body_ar, body_en, json_text(list(tags)), active)
        row = await self._write(
            lambda conn: fetch_one(
                conn,
                "INSERT INTO ready_replies (title_ar, title_en, body_ar, body_en, tags, active)"
                " VALUES (%s, %s, %s, %s, %s::json, %s) RETURNING *",
                params,
            )
        )
        assert row is not None
        return reply_from_row(row)

    async def search_ready_replies(self, query: str, *, limit: int = 20) -> list[ReadyReply]:
        pattern = like_pattern(query.strip())
        columns = ("title_ar", "title_en", "body_ar", "body_en")
        rows = await self._all(
            "SELECT * FROM ready_replies WHERE active AND ("
            + " OR ".join(nocase_like(c) for c in columns)
            + ") ORDER BY id LIMIT %s",
            [*[pattern] * len(columns), limit],
        )
        return [reply_from_row(row) for row in rows]

    async def get_ready_reply(self, reply_id: int) -> ReadyReply | None:
        row = await self._one("SELECT * FROM ready_replies WHERE id = %s", (reply_id,))
        return None if row is None else reply_from_row(row)

    async def update_ready_reply(
        self,
        reply_id: int,
        *,
        title_ar: str,
        title_en: str,
        body_ar: str,
        body_en: str,
        tags: Sequence[str],
        active: bool,
    ) -> ReadyReply:
        params = (title_ar, title_en, body_ar, body_en, json_text(list(tags)), active, reply_id)
        row = await self._write(
            lambda conn: fetch_one(
                conn,
                "UPDATE ready_replies SET title_ar = %s, title_en = %s, body_ar = %s, body_en = %s,"
                " tags = %s::json, active = %s WHERE id = %s RETURNING *",
                params,
            )
        )
        if row is None:
            raise NotFound(f"no ready reply {reply_id}")
        return reply_from_row(row)

    async def list_ready_replies(
        self, query: str = "", *, include_inactive: bool = True, offset: int = 0, limit: int = 50
    ) -> list[ReadyReply]:
        sql = "SELECT * FROM ready_replies WHERE TRUE"
        params: list[Any] = []
        if not include_inactive:
            sql += " AND active"
        if query.strip():
            columns = ("title_ar", "title_en", "body_ar", "body_en", "tags::text")
            sql += " AND (" + " OR ".join(nocase_like(c) for c in columns) + ")"
            params.extend([like_pattern(query.strip())] * len(columns))
        rows = await self._all(sql + " ORDER BY active DESC, id LIMIT %s OFFSET %s", [*params, limit, offset])
        return [reply_from_row(row) for row in rows]


async def all_users(conn: Conn, where: str, order: str, params: Sequence[Any]) -> list[User]:
    rows = await fetch_all(conn, f"{USERS} {where} ORDER BY {order}", params)
    return [user_from_row(row) for row in rows]
