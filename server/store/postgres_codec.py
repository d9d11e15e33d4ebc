"""How the PostgreSQL backend reads and writes Python values, and the base its repositories share.

Times are ``timestamptz`` (the connection's zone is UTC, so every datetime read back carries
``datetime.UTC``, as the SQLite store's do); naive datetimes are refused before anything is sent.
JSON documents are ``json`` columns: the text written is the SQLite store's (``sqlite_codec.json_text``,
msgspec), kept exactly, and read back through msgspec — so the records are the same on both backends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import msgspec
from psycopg import AsyncConnection, AsyncPipeline
from psycopg.errors import Error as PgError
from psycopg.pq import TransactionStatus
from psycopg.rows import dict_row
from psycopg.types.json import set_json_loads
from psycopg_pool import AsyncConnectionPool

from server.store.directory_cache import DirectoryCache
from server.store.sqlite_codec import json_text, like_pattern

__all__ = ["Conn", "PgBase", "Row", "fetch_all", "fetch_one", "json_text", "like_pattern", "moment"]

T = TypeVar("T")
Conn = AsyncConnection[Any]
Row = dict[str, Any]
Params = Sequence[Any] | dict[str, Any]

_JSON_ANY = msgspec.json.Decoder()


def moment(value: datetime) -> datetime:
    """``value`` in UTC; refuses naive datetimes (the message is the SQLite store's)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: the store takes timezone-aware datetimes only")
    return value.astimezone(UTC)


def maybe_moment(value: datetime | None) -> datetime | None:
    return None if value is None else moment(value)


def _loads(data: bytes | bytearray | memoryview | str) -> Any:
    return _JSON_ANY.decode(data.encode("utf-8") if isinstance(data, str) else bytes(data))


async def configure(conn: Conn) -> None:
    """Every pooled connection: ``json`` read through msgspec."""
    set_json_loads(_loads, conn)


async def fetch_all(conn: Conn, sql: str, params: Params = ()) -> list[Row]:
    async with conn.cursor(row_factory=dict_row) as cursor:
        await cursor.execute(sql, params)
        return await cursor.fetchall()


async def fetch_one(conn: Conn, sql: str, params: Params = ()) -> Row | None:
    async with conn.cursor(row_factory=dict_row) as cursor:
        await cursor.execute(sql, params)
        return await cursor.fetchone()


async def execute(conn: Conn, sql: str, params: Params = ()) -> int:
    """Run one statement; returns the rows it touched."""
    async with conn.cursor() as cursor:
        await cursor.execute(sql, params)
        return cursor.rowcount


async def execute_many(conn: Conn, sql: str, params: Sequence[Params]) -> None:
    if params:
        async with conn.cursor() as cursor:
            await cursor.executemany(sql, params)


def nocase_like(column: str) -> str:
    """``column LIKE %s`` as SQLite's LIKE matches: ASCII letters in either case, ``\\`` escaping."""
    return f"khidma_nocase({column}) LIKE khidma_nocase(%s) ESCAPE '\\'"


@asynccontextmanager
async def pipelined_transaction(
    pool: AsyncConnectionPool[Conn],
) -> AsyncIterator[tuple[Conn, AsyncPipeline]]:
    """One transaction on one pooled connection in pipeline mode: what the block sends goes without
    waiting for answers — BEGIN with its first statement — until it reads one; at the end COMMIT goes
    with the block's last statements and one Sync, whose answer (every statement's, the COMMIT's
    last) is awaited before the block's caller goes on. A block that raises, or a statement the
    server refused, rolls it all back (a block's own exception with ROLLBACK in the same round trip).

    BEGIN and COMMIT are sent as statements: psycopg's ``transaction()`` in a pipeline syncs when it
    opens and again before it commits — two round trips more per transaction."""
    async with pool.connection() as conn:
        try:
            async with conn.pipeline() as pipeline:
                await conn.execute("BEGIN")
                try:
                    yield conn, pipeline
                except Exception as exc:
                    if not isinstance(exc, PgError):  # the block gave up (a version conflict, say):
                        await conn.execute("ROLLBACK")  # sent with the Sync that ends the pipeline
                    raise
                await conn.execute("COMMIT")
        except BaseException:
            if not conn.closed and conn.info.transaction_status != TransactionStatus.IDLE:
                with suppress(PgError):  # a broken connection: the pool discards it
                    await conn.execute("ROLLBACK")
            raise


class PgBase:
    """What every part of ``PostgresStore`` shares: the pool, the audit key, the attachments directory.

    A write is one transaction on one pooled connection (``_write``): committed when ``work`` returns,
    rolled back when it raises. Reads are single statements on an autocommit connection, so each sees
    one committed snapshot."""

    _pool: AsyncConnectionPool[Conn]
    _audit_key: bytes
    attachments_dir: Path
    _directory: DirectoryCache

    async def _directory_stamp(self) -> int:
        """The directory stamp (migration 0007: moved by every change to users and their roles)."""
        row = await self._one("SELECT value FROM directory_stamp WHERE id = 1", ())
        assert row is not None
        return int(row["value"])

    async def _write(self, work: Callable[[Conn], Awaitable[T]]) -> T:
        async with self._pool.connection() as conn, conn.transaction():
            return await work(conn)

    async def _pipelined(self, work: Callable[[Conn], Awaitable[T]]) -> T:
        """``_write`` in pipeline mode (``pipelined_transaction``)."""
        async with pipelined_transaction(self._pool) as (conn, _):
            return await work(conn)

    async def _all(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._pool.connection() as conn:
            return await fetch_all(conn, sql, params)

    async def _one(self, sql: str, params: Params = ()) -> Row | None:
        async with self._pool.connection() as conn:
            return await fetch_one(conn, sql, params)
