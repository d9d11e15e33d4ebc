"""Accounts, SQLite side: passwords, log-in sessions, API tokens and the log-in throttle
(migration ``0003_sessions_and_tokens``).

Secrets never reach this module: sessions and API tokens arrive as the SHA-256 of the token, and
passwords as their scrypt hash. Reading a session or a token also "touches" it (``last_seen_at`` /
``last_used_at``), but at most once a minute, so browsing does not turn every page into a write.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta

import aiosqlite

from server.accounts.records import ApiToken
from server.store.directory_cache import DirectoryCache, TokenHolder
from server.store.interface import NotFound
from server.store.records import User
from server.store.sqlite_codec import fetch_all, fetch_one, maybe_parse_time, parse_time, time_text
from server.store.sqlite_connection import Writer
from server.store.sqlite_directory import _USERS, directory_stamp, user_from_row

TOUCH_EVERY = timedelta(minutes=1)
"""``last_seen_at`` / ``last_used_at`` are rewritten only when older than this."""

# The user columns and roles of ``sqlite_directory._USERS``, beside the session's or token's own.
_SESSION_USER = (
    "SELECT u.*, (SELECT json_group_array(role) FROM"
    " (SELECT role FROM user_roles WHERE user_id = u.id ORDER BY role)) AS roles_json,"
    " s.expires_at AS s_expires_at, s.last_seen_at AS s_last_seen_at"
    " FROM sessions AS s JOIN users AS u ON u.id = s.user_id WHERE s.id_hash = ?"
)
_BEARER_USER = (
    "SELECT u.*, (SELECT json_group_array(role) FROM"
    " (SELECT role FROM user_roles WHERE user_id = u.id ORDER BY role)) AS roles_json,"
    " t.id AS t_id, t.last_used_at AS t_last_used_at"
    " FROM api_tokens AS t JOIN users AS u ON u.id = t.user_id"
    " WHERE t.token_hash = ? AND t.revoked_at IS NULL AND u.active = 1"
)
_WITH_ROLE = " WHERE u.id IN (SELECT r.user_id FROM user_roles AS r WHERE r.role = ?)"


# --- users --------------------------------------------------------------------------------


async def set_password(
    conn: aiosqlite.Connection, user_id: str, password_hash: str | None, *, end_sessions: bool
) -> None:
    cursor = await conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))
    if cursor.rowcount != 1:
        raise NotFound(f"no user with id {user_id!r}")
    if end_sessions:
        await conn.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))


async def users_with_role(conn: aiosqlite.Connection, role: str, *, active_only: bool) -> list[User]:
    sql = _USERS + _WITH_ROLE
    if active_only:
        sql += " AND u.active = 1"
    rows = await fetch_all(conn, sql + " ORDER BY u.department, u.name, u.id", (role,))
    return [user_from_row(row) for row in rows]


async def list_users(conn: aiosqlite.Connection, *, active_only: bool) -> list[User]:
    sql = _USERS + (" WHERE u.active = 1" if active_only else "")
    rows = await fetch_all(conn, sql + " ORDER BY u.username, u.id")
    return [user_from_row(row) for row in rows]


# --- sessions -----------------------------------------------------------------------------


async def create_session(
    conn: aiosqlite.Connection, user_id: str, id_hash: str, *, now: datetime, expires_at: datetime
) -> None:
    """A new session; the sessions already past their absolute end go in the same transaction."""
    if await fetch_one(conn, "SELECT 1 FROM users WHERE id = ?", (user_id,)) is None:
        raise NotFound(f"no user with id {user_id!r}")
    await conn.execute("DELETE FROM sessions WHERE expires_at <= ?", (time_text(now),))
    await conn.execute(
        "INSERT INTO sessions (id_hash, user_id, created_at, expires_at, last_seen_at) VALUES (?, ?, ?, ?, ?)",
        (id_hash, user_id, time_text(now), time_text(expires_at), time_text(now)),
    )


async def get_session_user(
    reader: aiosqlite.Connection, writer: Writer, id_hash: str, *, now: datetime, idle: timedelta
) -> User | None:
    row = await fetch_one(reader, _SESSION_USER, (id_hash,))
    if row is None:
        return None
    last_seen = parse_time(row["s_last_seen_at"])
    if now >= parse_time(row["s_expires_at"]) or now >= last_seen + idle or not row["active"]:
        await writer.run(lambda conn: delete_session(conn, id_hash))
        return None
    if now - last_seen >= TOUCH_EVERY:
        await writer.run(lambda conn: _touch_session(conn, id_hash, now))
    return user_from_row(row)


async def _touch_session(conn: aiosqlite.Connection, id_hash: str, now: datetime) -> None:
    await conn.execute("UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?", (time_text(now), id_hash))


async def delete_session(conn: aiosqlite.Connection, id_hash: str) -> None:
    await conn.execute("DELETE FROM sessions WHERE id_hash = ?", (id_hash,))


async def delete_user_sessions(conn: aiosqlite.Connection, user_id: str) -> int:
    cursor = await conn.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))
    return cursor.rowcount


# --- API tokens ---------------------------------------------------------------------------


def token_from_row(row: sqlite3.Row) -> ApiToken:
    return ApiToken(
        id=row["id"],
        name=row["name"],
        user_id=row["user_id"],
        created_at=parse_time(row["created_at"]),
        revoked_at=maybe_parse_time(row["revoked_at"]),
        last_used_at=maybe_parse_time(row["last_used_at"]),
    )


async def create_api_token(
    conn: aiosqlite.Connection, user_id: str, name: str, token_hash: str, *, now: datetime
) -> ApiToken:
    if await fetch_one(conn, "SELECT 1 FROM users WHERE id = ?", (user_id,)) is None:
        raise NotFound(f"no user with id {user_id!r}")
    row = await fetch_one(
        conn,
        "INSERT INTO api_tokens (name, token_hash, user_id, created_at) VALUES (?, ?, ?, ?)"
        " RETURNING id, name, user_id, created_at, revoked_at, last_used_at",
        (name, token_hash, user_id, time_text(now)),
    )
    assert row is not None
    return token_from_row(row)


async def token_holder(reader: aiosqlite.Connection, token_hash: str) -> TokenHolder | None:
    """Whom a valid (not revoked) token names, its user active; None otherwise."""
    row = await fetch_one(reader, _BEARER_USER, (token_hash,))
    if row is None:
        return None
    return TokenHolder(user_from_row(row), row["t_id"], maybe_parse_time(row["t_last_used_at"]))


async def _touch_token(conn: aiosqlite.Connection, token_id: int, now: datetime) -> None:
    await conn.execute("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", (time_text(now), token_id))


async def revoke_token(conn: aiosqlite.Connection, token_id: int, *, now: datetime) -> ApiToken:
    """Revokes the token (kept, with ``revoked_at``); revoking it again keeps the first date."""
    row = await fetch_one(
        conn,
        "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?"
        " RETURNING id, name, user_id, created_at, revoked_at, last_used_at",
        (time_text(now), token_id),
    )
    if row is None:
        raise NotFound(f"no API token with id {token_id}")
    return token_from_row(row)


async def list_tokens(conn: aiosqlite.Connection, user_id: str) -> list[ApiToken]:
    rows = await fetch_all(
        conn,
        "SELECT id, name, user_id, created_at, revoked_at, last_used_at FROM api_tokens"
        " WHERE user_id = ? ORDER BY id",
        (user_id,),
    )
    return [token_from_row(row) for row in rows]


# --- the log-in throttle ------------------------------------------------------------------


async def record_failed_login(
    conn: aiosqlite.Connection, keys: Sequence[str], *, now: datetime, forget_before: datetime | None
) -> None:
    if forget_before is not None:
        await conn.execute("DELETE FROM login_attempts WHERE at < ?", (time_text(forget_before),))
    await conn.executemany(
        "INSERT INTO login_attempts (key, at) VALUES (?, ?)", [(key, time_text(now)) for key in keys]
    )


async def count_failed_logins(conn: aiosqlite.Connection, key: str, *, since: datetime) -> int:
    row = await fetch_one(
        conn, "SELECT count(*) FROM login_attempts WHERE key = ? AND at >= ?", (key, time_text(since))
    )
    assert row is not None
    count: int = row[0]
    return count


async def clear_failed_logins(conn: aiosqlite.Connection, key: str) -> None:
    await conn.execute("DELETE FROM login_attempts WHERE key = ?", (key,))


def take_rate_token(
    conn: sqlite3.Connection, key: str, *, limit: int, now: datetime, since: datetime
) -> bool:
    """Rate-limit hits share the table of failed log-ins, under keys of their own (``rate:…``); only
    those are forgotten here (through the ``at`` index: the old rows only), never a log-in's. One
    transaction on the writer's thread (``Writer.run_sync``: one hop, and it shares the COMMIT of the
    ticket it usually comes with)."""
    key = f"rate:{key}"
    conn.execute("DELETE FROM login_attempts WHERE at < ? AND key LIKE 'rate:%'", (time_text(since),))
    row = conn.execute("SELECT count(*) FROM login_attempts WHERE key = ?", (key,)).fetchone()
    assert row is not None
    if row[0] >= limit:
        return False
    conn.execute("INSERT INTO login_attempts (key, at) VALUES (?, ?)", (key, time_text(now)))
    return True


class SQLiteSessionsMixin:
    """``AccountsStore`` (``interface_accounts``) on the store's connections (a base of ``SQLiteStore``)."""

    _writer: Writer
    _reader: aiosqlite.Connection
    _directory: DirectoryCache

    async def set_password(
        self, user_id: str, password_hash: str | None, *, end_sessions: bool = True
    ) -> None:
        await self._writer.run(
            lambda conn: set_password(conn, user_id, password_hash, end_sessions=end_sessions)
        )
        self._directory.forget()

    async def users_with_role(self, role: str, *, active_only: bool = True) -> list[User]:
        return await self._directory.answer(
            (None, role, active_only),
            lambda: directory_stamp(self._reader),
            lambda: users_with_role(self._reader, role, active_only=active_only),
        )

    async def list_users(self, *, active_only: bool = False) -> list[User]:
        return await list_users(self._reader, active_only=active_only)

    async def create_session(
        self, user_id: str, id_hash: str, *, now: datetime, expires_at: datetime
    ) -> None:
        await self._writer.run(
            lambda conn: create_session(conn, user_id, id_hash, now=now, expires_at=expires_at)
        )

    async def get_session_user(self, id_hash: str, *, now: datetime, idle: timedelta) -> User | None:
        return await get_session_user(self._reader, self._writer, id_hash, now=now, idle=idle)

    async def delete_session(self, id_hash: str) -> None:
        await self._writer.run(lambda conn: delete_session(conn, id_hash))

    async def delete_user_sessions(self, user_id: str) -> int:
        return await self._writer.run(lambda conn: delete_user_sessions(conn, user_id))

    async def create_api_token(self, user_id: str, name: str, token_hash: str, *, now: datetime) -> ApiToken:
        return await self._writer.run(lambda conn: create_api_token(conn, user_id, name, token_hash, now=now))

    async def get_token_user(self, token_hash: str, *, now: datetime) -> User | None:
        holder = await self._directory.token(
            token_hash, lambda: directory_stamp(self._reader), lambda: token_holder(self._reader, token_hash)
        )
        if holder is None:
            return None
        if holder.last_used_at is None or now - holder.last_used_at >= TOUCH_EVERY:
            await self._writer.run(lambda conn: _touch_token(conn, holder.token_id, now))
            self._directory.token_used(token_hash, now)
        return holder.user

    async def revoke_token(self, token_id: int, *, now: datetime) -> ApiToken:
        revoked = await self._writer.run(lambda conn: revoke_token(conn, token_id, now=now))
        self._directory.forget()
        return revoked

    async def list_tokens(self, user_id: str) -> list[ApiToken]:
        return await list_tokens(self._reader, user_id)

    async def record_failed_login(
        self, keys: Sequence[str], *, now: datetime, forget_before: datetime | None = None
    ) -> None:
        await self._writer.run(
            lambda conn: record_failed_login(conn, keys, now=now, forget_before=forget_before)
        )

    async def count_failed_logins(self, key: str, *, since: datetime) -> int:
        return await count_failed_logins(self._reader, key, since=since)

    async def clear_failed_logins(self, key: str) -> None:
        await self._writer.run(lambda conn: clear_failed_logins(conn, key))

    async def take_rate_token(self, key: str, *, limit: int, now: datetime, since: datetime) -> bool:
        return await self._writer.run_sync(
            lambda conn: take_rate_token(conn, key, limit=limit, now=now, since=since)
        )
