"""``khidma migrate-store``: copy a whole database from one backend to the other — SQLite into
PostgreSQL, or back — with every table's row count checked.

Both ends are opened first (so each is migrated to this khidma's schema); the target must hold no
data yet. The tables are those the two schemas share, which must have the same columns (a table or
column on one side only is refused, naming it: the two migration series have drifted). They are copied
parents first (the foreign keys decide the order), ids kept, in ONE transaction on the target: a copy
that fails — or whose counts differ — leaves the target as empty as it was. Values are converted
exactly: a SQLite time text is the ISO text of the PostgreSQL ``timestamptz`` it becomes (and back),
JSON keeps its text, booleans are 0/1 on SQLite; so the audit chain's seals still verify after the
copy. PostgreSQL's identity sequences continue after the highest id copied.

The attachment files the rows name come along (``copy_attachments.py``): checked and copied, each
verified, before the rows — a copy that is refused for them changes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import aiosqlite
import msgspec
import psycopg
from psycopg import sql

from server.store import copy_attachments, postgres_task_counts
from server.store.copy_attachments import FilesCopied
from server.store.interface import StoreError
from server.store.open import is_postgres_url, open_any
from server.store.sqlite_codec import parse_time, time_text
from server.store.sqlite_connection import connect

SKIPPED = frozenset(
    {"schema_migrations", "ticket_counts", "ticket_day_counts", "ticket_count_deltas", "directory_stamp"}
)
"""Each side records its own migrations; the task counts (SQLite's migrations 0013, 0015, PostgreSQL's
0008) are derived from the tickets by triggers, which fill them as the tickets are copied in (on
PostgreSQL as deltas, folded into the summaries before the copy commits); the directory stamp
(SQLite 0014, PostgreSQL 0007) is a counter each side's triggers move."""
PG_LEASES = frozenset({("timers", "claimed_until")})
"""PostgreSQL-only columns that hold a lease, not data (``postgres_timers``): not compared, not copied."""


class CopyError(StoreError):
    """The copy was refused or failed; the target was left unchanged."""


class Column(msgspec.Struct, frozen=True):
    name: str
    kind: str
    """The PostgreSQL type: ``timestamptz``, ``json``, ``bool``, ``int8``, ``text``…"""


async def _pg_columns(conn: psycopg.AsyncConnection[Any]) -> dict[str, list[Column]]:
    cursor = await conn.execute(
        "SELECT c.relname, a.attname, t.typname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
        " JOIN pg_type t ON t.oid = a.atttypid JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relkind = 'r' AND n.nspname = current_schema() AND a.attnum > 0 AND NOT a.attisdropped"
        " ORDER BY c.relname, a.attnum"
    )
    tables: dict[str, list[Column]] = {}
    for table, column, kind in await cursor.fetchall():
        if table not in SKIPPED and (table, column) not in PG_LEASES:
            tables.setdefault(table, []).append(Column(column, kind))
    return tables


async def _pg_parents(conn: psycopg.AsyncConnection[Any]) -> dict[str, set[str]]:
    cursor = await conn.execute(
        "SELECT c.relname, p.relname FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid"
        " JOIN pg_class p ON p.oid = k.confrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE k.contype = 'f' AND n.nspname = current_schema()"
    )
    parents: dict[str, set[str]] = {}
    for child, parent in await cursor.fetchall():
        if child != parent:
            parents.setdefault(child, set()).add(parent)
    return parents


async def _sqlite_columns(conn: aiosqlite.Connection) -> dict[str, list[str]]:
    tables: dict[str, list[str]] = {}
    # ordinary tables only: the FTS5 index (``tickets_text``, migration 0012) and its shadow tables are
    # rebuilt from the tickets by their triggers, not copied (PostgreSQL indexes the text itself)
    rows = await conn.execute_fetchall(
        "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table'"
        " AND name NOT LIKE 'sqlite_%' ORDER BY name"
    )
    for (table,) in rows:
        if table in SKIPPED:
            continue
        info = await conn.execute_fetchall(f"PRAGMA table_info({table})")  # a name from the schema
        tables[table] = [str(row[1]) for row in info]
    return tables


def _ordered(tables: Iterable[str], parents: dict[str, set[str]]) -> list[str]:
    """Parents before children; ties by name."""
    pending, done = sorted(tables), []
    while pending:
        ready = [t for t in pending if not (parents.get(t, set()) & set(pending)) - {t}]
        if not ready:
            raise CopyError(f"circular foreign keys between {', '.join(pending)}")
        done += ready
        pending = [t for t in pending if t not in ready]
    return done


def _check_same(pg: dict[str, list[Column]], lite: dict[str, list[str]]) -> None:
    problems = [f"table {t} is only in the PostgreSQL schema" for t in sorted(set(pg) - set(lite))]
    problems += [f"table {t} is only in the SQLite schema" for t in sorted(set(lite) - set(pg))]
    for table in sorted(set(pg) & set(lite)):
        one, other = {c.name for c in pg[table]}, set(lite[table])
        problems += [f"column {table}.{c} is only in the PostgreSQL schema" for c in sorted(one - other)]
        problems += [f"column {table}.{c} is only in the SQLite schema" for c in sorted(other - one)]
    if problems:
        raise CopyError("the two schemas differ: " + "; ".join(problems))


def _to_pg(value: Any, column: Column) -> Any:
    if value is None:
        return None
    if column.kind == "timestamptz":
        return parse_time(value)
    if column.kind == "bool":
        return bool(value)
    return value


def _to_sqlite(value: Any, column: Column) -> Any:
    if value is None:
        return None
    if isinstance(value, datetime):
        return time_text(value)
    if isinstance(value, bool):
        return int(value)
    return value


async def _count_sqlite(conn: aiosqlite.Connection, table: str) -> int:
    rows = list(await conn.execute_fetchall(f"SELECT count(*) FROM {table}"))  # noqa: S608 (schema name)
    return int(rows[0][0])


async def _count_pg(conn: psycopg.AsyncConnection[Any], table: str) -> int:
    cursor = await conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
    row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


class Copied(msgspec.Struct, frozen=True):
    rows: dict[str, int]
    """Table → rows copied (each count checked against the source)."""
    files: FilesCopied = msgspec.field(default_factory=lambda: FilesCopied(0, 0))
    """The attachment files (each verified in the target)."""


async def copy_store(
    source: str,
    target: str,
    *,
    source_attachments: Path | None = None,
    target_attachments: Path | None = None,
) -> Copied:
    """Copy every row of ``source`` into the empty ``target`` (one a SQLite path, the other a
    ``postgresql://`` URL), and the attachment files its rows name from ``source_attachments`` into
    ``target_attachments`` (a SQLite database's default: ``<db>-attachments``; a PostgreSQL one's must
    be given when there are files)."""
    if is_postgres_url(source) == is_postgres_url(target):
        raise CopyError("copy between a SQLite file and a PostgreSQL database (one of each)")
    if not is_postgres_url(source) and not Path(source).is_file():
        raise CopyError(f"{source}: no such SQLite file")
    for db in (source, target):  # both migrated to this khidma's schema
        store = await open_any(db)
        await store.close()
    url, path = (target, source) if is_postgres_url(target) else (source, target)
    lite = await connect(Path(path), synchronous="FULL", read_only=False)
    try:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as pg:
            pg_tables = await _pg_columns(pg)
            _check_same(pg_tables, await _sqlite_columns(lite))
            order = _ordered(pg_tables, await _pg_parents(pg))
            into_pg = is_postgres_url(target)
            for table in order:  # again inside the copy's transaction; first here, before any file
                if await (_count_pg(pg, table) if into_pg else _count_sqlite(lite, table)):
                    raise CopyError(
                        f"the target already holds data (table {table}); copy into an empty database"
                    )
            hashes = await (_sqlite_hashes(lite) if into_pg else _pg_hashes(pg))
            directories = copy_attachments.plan(
                hashes, source, target, source_attachments, target_attachments
            )
            files = FilesCopied(0, 0)
            if directories is not None:
                files = await asyncio.to_thread(copy_attachments.copy_files, hashes, *directories)
            if into_pg:
                return Copied(await _into_pg(lite, pg, pg_tables, order), files)
            return Copied(await _into_sqlite(pg, lite, pg_tables, order), files)
    finally:
        await lite.close()


async def _sqlite_hashes(conn: aiosqlite.Connection) -> set[str]:
    return {str(r[0]) for r in await conn.execute_fetchall("SELECT DISTINCT sha256 FROM attachments")}


async def _pg_hashes(conn: psycopg.AsyncConnection[Any]) -> set[str]:
    cursor = await conn.execute("SELECT DISTINCT sha256 FROM attachments")
    return {str(r[0]) for r in await cursor.fetchall()}


async def _into_pg(
    lite: aiosqlite.Connection,
    pg: psycopg.AsyncConnection[Any],
    tables: dict[str, list[Column]],
    order: list[str],
) -> dict[str, int]:
    copied: dict[str, int] = {}
    async with pg.transaction():
        for table in order:
            if await _count_pg(pg, table):
                raise CopyError(f"the target already holds data (table {table}); copy into an empty database")
        for table in order:
            columns = tables[table]
            names = sql.SQL(", ").join(sql.Identifier(c.name) for c in columns)
            query = sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(table), names)
            select = f"SELECT {', '.join(c.name for c in columns)} FROM {table}"  # noqa: S608 (schema names)
            async with pg.cursor().copy(query) as copy, lite.execute(select) as rows:
                async for row in rows:
                    await copy.write_row([_to_pg(v, c) for v, c in zip(row, columns, strict=True)])
            copied[table] = await _count_pg(pg, table)
            if copied[table] != await _count_sqlite(lite, table):
                raise CopyError(
                    f"table {table}: {copied[table]} rows in the target, not as many as the source"
                )
            if any(c.name == "id" for c in columns) and await _identity(pg, table):
                await pg.execute(
                    sql.SQL(
                        "SELECT setval(pg_get_serial_sequence({t}, 'id'), COALESCE(MAX(id), 0) + 1, false) FROM {i}"
                    ).format(t=sql.Literal(table), i=sql.Identifier(table))
                )
        await postgres_task_counts.compact(pg)  # the tickets' count deltas, into the summaries
    return copied


async def _identity(pg: psycopg.AsyncConnection[Any], table: str) -> bool:
    cursor = await pg.execute("SELECT pg_get_serial_sequence(%s, 'id') IS NOT NULL", (table,))
    row = await cursor.fetchone()
    return bool(row and row[0])


async def _into_sqlite(
    pg: psycopg.AsyncConnection[Any],
    lite: aiosqlite.Connection,
    tables: dict[str, list[Column]],
    order: list[str],
) -> dict[str, int]:
    copied: dict[str, int] = {}
    await lite.execute("BEGIN IMMEDIATE")
    try:
        for table in order:
            if await _count_sqlite(lite, table):
                raise CopyError(f"the target already holds data (table {table}); copy into an empty database")
        for table in order:
            columns = tables[table]
            # json as its text, exactly; everything else as the driver reads it, converted below
            select = sql.SQL("SELECT {} FROM {}").format(
                sql.SQL(", ").join(
                    sql.SQL("{}::text").format(sql.Identifier(c.name))
                    if c.kind == "json"
                    else sql.Identifier(c.name)
                    for c in columns
                ),
                sql.Identifier(table),
            )
            insert = f"INSERT INTO {table} ({', '.join(c.name for c in columns)}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608
            async with pg.cursor() as cursor:
                batch: list[Sequence[Any]] = []
                async for row in cursor.stream(select):
                    batch.append([_to_sqlite(v, c) for v, c in zip(row, columns, strict=True)])
                    if len(batch) >= 1000:
                        await lite.executemany(insert, batch)
                        batch = []
                await lite.executemany(insert, batch)
            copied[table] = await _count_sqlite(lite, table)
            if copied[table] != await _count_pg(pg, table):
                raise CopyError(
                    f"table {table}: {copied[table]} rows in the target, not as many as the source"
                )
        broken = list(await lite.execute_fetchall("PRAGMA foreign_key_check"))
        if broken:
            raise CopyError(f"{len(broken)} foreign key reference(s) broken in the copy")
        await lite.execute("COMMIT")
    except BaseException:
        await lite.execute("ROLLBACK")
        raise
    return copied
