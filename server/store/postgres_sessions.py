"""Accounts, PostgreSQL side (``sqlite_sessions``' contract): passwords, log-in sessions, API tokens,
the log-in throttle and the rate limits. Secrets never reach this module (hashes only). Reading a
session or token touches it at most once a minute. ``take_rate_token`` counts under an advisory lock
on its key, so processes sharing the database never let more than ``limit`` hits through."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from server.accounts.records import ApiToken
from server.store.directory_cache import TokenHolder
from server.store.interface import NotFound
from server.store.postgres_codec import Conn, PgBase, Row, execute, execute_many, fetch_one, moment
from server.store.postgres_directory import BYTE_ORDER, all_users, user_from_row
from server.store.records import User
from server.store.sqlite_sessions import TOUCH_EVERY

_ROLES = 'ARRAY(SELECT r.role FROM user_roles r WHERE r.user_id = u.id ORDER BY r.role COLLATE "C") AS roles'
_SESSION_USER = (
    f"SELECT u.*, {_ROLES}, s.expires_at AS s_expires_at, s.last_seen_at AS s_last_seen_at"
    " FROM sessions AS s JOIN users AS u ON u.id = s.user_id WHERE s.id_hash = %s"
)
_BEARER_USER = (
    f"SELECT u.*, {_ROLES}, t.id AS t_id, t.last_used_at AS t_last_used_at"
    " FROM api_tokens AS t JOIN users AS u ON u.id = t.user_id"
    " WHERE t.token_hash = %s AND t.revoked_at IS NULL AND u.active"
)
_BEARER_COLUMNS = "id, name, user_id, created_at, revoked_at, last_used_at"


def token_from_row(row: Row) -> ApiToken:
    return ApiToken(
        id=row["id"],
        name=row["name"],
        user_id=row["user_id"],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
        last_used_at=row["last_used_at"],
    )


async def _require_user(conn: Conn, user_id: str) -> None:
    if await fetch_one(conn, "SELECT 1 FROM users WHERE id = %s", (user_id,)) is None:
        raise NotFound(f"no user with id {user_id!r}")


async def _set_password(conn: Conn, user_id: str, password_hash: str | None, end_sessions: bool) -> None:
    if (
        await execute(conn, "UPDATE users SET password_hash = %s WHERE id = %s", (password_hash, user_id))
        != 1
    ):
        raise NotFound(f"no user with id {user_id!r}")
    if end_sessions:
        await execute(conn, "DELETE FROM sessions WHERE user_id = %s", (user_id,))


async def _create_session(
    conn: Conn, user_id: str, id_hash: str, now: datetime, expires_at: datetime
) -> None:
    await _require_user(conn, user_id)
    await execute(conn, "DELETE FROM sessions WHERE expires_at <= %s", (now,))
    await execute(
        conn,
        "INSERT INTO sessions (id_hash, user_id, created_at, expires_at, last_seen_at) VALUES (%s, %s, %s, %s, %s)",
        (id_hash, user_id, now, expires_at, now),
    )


async def _create_token(conn: Conn, user_id: str, name: str, token_hash: str, now: datetime) -> ApiToken:
    await _require_user(conn, user_id)
    row = await fetch_one(
        conn,
        f"INSERT INTO api_tokens (name, token_hash, user_id, created_at) VALUES (%s, %s, %s, %s) RETURNING {_BEARER_COLUMNS}",
        (name, token_hash, user_id, now),
    )
    assert row is not None
    return token_from_row(row)


async def _record_failed(
    conn: Conn, keys: Sequence[str], now: datetime, forget_before: datetime | None
) -> None:
    if forget_before is not None:
        await execute(conn, "DELETE FROM login_attempts WHERE at < %s", (forget_before,))
    await execute_many(
        conn, "INSERT INTO login_attempts (key, at) VALUES (%s, %s)", [(key, now) for key in keys]
    )


async def _take_rate_token(conn: Conn, key: str, limit: int, now: datetime, since: datetime) -> bool:
    key = f"rate:{key}"
    await execute(conn, "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (key,))
    await execute(conn, "DELETE FROM login_attempts WHERE at < %s AND key LIKE 'rate:%%'", (since,))
    row = await fetch_one(conn, "SELECT count(*) AS n FROM login_attempts WHERE key = %s", (key,))
    assert row is not None
    if row["n"] >= limit:
        return False
    await execute(conn, "INSERT INTO login_attempts (key, at) VALUES (%s, %s)", (key, now))
    return True


class PgSessionsMixin(PgBase):
    async def set_password(
        self, user_id: str, password_hash: str | None, *, end_sessions: bool = True
    ) -> None:
        await self._write(lambda conn: _set_password(conn, user_id, password_hash, end_sessions))
        self._directory.forget()

    async def users_with_role(self, role: str, *, active_only: bool = True) -> list[User]:
        return await self._directory.answer(
            (None, role, active_only),
            self._directory_stamp,
            lambda: self._users_with_role(role, active_only=active_only),
        )

    async def _users_with_role(self, role: str, *, active_only: bool) -> list[User]:
        where = "WHERE u.id IN (SELECT r.user_id FROM user_roles AS r WHERE r.role = %s)"
        if active_only:
            where += " AND u.active"
        order = f"u.department {BYTE_ORDER}, u.name {BYTE_ORDER}, u.id {BYTE_ORDER}"
        async with self._pool.connection() as conn:
            return await all_users(conn, where, order, (role,))

    async def list_users(self, *, active_only: bool = False) -> list[User]:
        async with self._pool.connection() as conn:
            where = "WHERE u.active" if active_only else ""
            order = f"khidma_nocase(u.username) {BYTE_ORDER}, u.id {BYTE_ORDER}"  # SQLite: a NOCASE column
            return await all_users(conn, where, order, ())

    async def create_session(
        self, user_id: str, id_hash: str, *, now: datetime, expires_at: datetime
    ) -> None:
        at, end = moment(now), moment(expires_at)
        await self._write(lambda conn: _create_session(conn, user_id, id_hash, at, end))

    async def get_session_user(self, id_hash: str, *, now: datetime, idle: timedelta) -> User | None:
        at = moment(now)
        row = await self._one(_SESSION_USER, (id_hash,))
        if row is None:
            return None
        last_seen = row["s_last_seen_at"]
        if at >= row["s_expires_at"] or at >= last_seen + idle or not row["active"]:
            await self.delete_session(id_hash)
            return None
        if at - last_seen >= TOUCH_EVERY:
            await self._write(
                lambda conn: execute(
                    conn, "UPDATE sessions SET last_seen_at = %s WHERE id_hash = %s", (at, id_hash)
                )
            )
        return user_from_row(row)

    async def delete_session(self, id_hash: str) -> None:
        await self._write(lambda conn: execute(conn, "DELETE FROM sessions WHERE id_hash = %s", (id_hash,)))

    async def delete_user_sessions(self, user_id: str) -> int:
        return await self._write(
            lambda conn: execute(conn, "DELETE FROM sessions WHERE user_id = %s", (user_id,))
        )

    async def create_api_token(self, user_id: str, name: str, token_hash: str, *, now: datetime) -> ApiToken:
        at = moment(now)
        return await self._write(lambda conn: _create_token(conn, user_id, name, token_hash, at))

    async def get_token_user(self, token_hash: str, *, now: datetime) -> User | None:
        at = moment(now)
        holder = await self._directory.token(
            token_hash, self._directory_stamp, lambda: self._token_holder(token_hash)
        )
        if holder is None:
            return None
        if holder.last_used_at is None or at - holder.last_used_at >= TOUCH_EVERY:
            token_id = holder.token_id
            await self._write(
                lambda conn: execute(
                    conn, "UPDATE api_tokens SET last_used_at = %s WHERE id = %s", (at, token_id)
                )
            )
            self._directory.token_used(token_hash, at)
        return holder.user

    async def _token_holder(self, token_hash: str) -> TokenHolder | None:
        """Whom a valid (not revoked) token names, its user active; None otherwise."""
        row = await self._one(_BEARER_USER, (token_hash,))
        if row is None:
            return None
        return TokenHolder(user_from_row(row), row["t_id"], row["t_last_used_at"])

    async def revoke_token(self, token_id: int, *, now: datetime) -> ApiToken:
        at = moment(now)
        row = await self._write(
            lambda conn: fetch_one(
                conn,
                f"UPDATE api_tokens SET revoked_at = coalesce(revoked_at, %s) WHERE id = %s RETURNING {_BEARER_COLUMNS}",
                (at, token_id),
            )
        )
        self._directory.forget()
        if row is None:
            raise NotFound(f"no API token with id {token_id}")
        return token_from_row(row)

    async def list_tokens(self, user_id: str) -> list[ApiToken]:
        rows = await self._all(
            f"SELECT {_BEARER_COLUMNS} FROM api_tokens WHERE user_id = %s ORDER BY id", (user_id,)
        )
        return [token_from_row(row) for row in rows]

    async def record_failed_login(
        self, keys: Sequence[str], *, now: datetime, forget_before: datetime | None = None
    ) -> None:
        at, before = moment(now), (None if forget_before is None else moment(forget_before))
        await self._write(lambda conn: _record_failed(conn, keys, at, before))

    async def count_failed_logins(self, key: str, *, since: datetime) -> int:
        row = await self._one(
            "SELECT count(*) AS n FROM login_attempts WHERE key = %s AND at >= %s", (key, moment(since))
        )
        return 0 if row is None else int(row["n"])

    async def clear_failed_logins(self, key: str) -> None:
        await self._write(lambda conn: execute(conn, "DELETE FROM login_attempts WHERE key = %s", (key,)))

    async def take_rate_token(self, key: str, *, limit: int, now: datetime, since: datetime) -> bool:
        at, start = moment(now), moment(since)
        return await self._write(lambda conn: _take_rate_token(conn, key, limit, at, start))
