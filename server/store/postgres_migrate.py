"""Versioned, forward-only schema migrations for the PostgreSQL store — ``migrate.py``'s rules, on
PostgreSQL.

A migration is a file ``pg_migrations/NNNN_name.sql``, numbered 1, 2, 3… without gaps (the SQLite
store's ``migrations/`` are a separate series: the two schemas differ in types, not in meaning).
``migrate`` applies the ones a database has not recorded, in order, each in its own transaction that
also records it in ``schema_migrations(version, name, applied_at)``; PostgreSQL's DDL is
transactional, so a migration lands entirely or not at all. The run holds an advisory lock (and each
transaction takes it too), so two processes starting at once never both apply one: the second waits
until the first has applied them all, re-reads the recorded versions and skips. A database recorded at a version newer than the newest file is refused
(``SchemaTooNew``); a recorded name that differs from the file's is refused (``MigrationError``).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from server.store.migrate import Migration, _check_recorded, load_migrations
from server.store.postgres_codec import Conn, execute, fetch_all, moment

MIGRATIONS_DIR = Path(__file__).with_name("pg_migrations")
MIGRATION_LOCK = 0x6B6869646D61  # "khidma": the advisory lock every migrating process takes

_BOOTSTRAP = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     integer PRIMARY KEY,
    name        text NOT NULL,
    applied_at  timestamptz NOT NULL
)"""


def load_pg_migrations(directory: Path = MIGRATIONS_DIR) -> tuple[Migration, ...]:
    return load_migrations(directory)


async def recorded_migrations(conn: Conn) -> dict[int, str]:
    rows = await fetch_all(conn, "SELECT version, name FROM schema_migrations ORDER BY version")
    return {int(row["version"]): str(row["name"]) for row in rows}


async def migrate(
    conn: Conn,
    *,
    now: datetime,
    migrations: tuple[Migration, ...] | None = None,
    where: str = "the database",
) -> list[int]:
    """Apply the pending migrations; returns the versions applied (``[]`` when up to date).
    ``conn`` is in autocommit mode and not inside a transaction."""
    known = load_pg_migrations() if migrations is None else migrations
    applied: list[int] = []
    # Held across the whole run too (a session lock): another process starting at once waits until
    # every pending migration is applied, instead of applying the later ones in between.
    await execute(conn, "SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
    try:
        await _apply(conn, known, applied, now=now, where=where)
    finally:
        await execute(conn, "SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
    return applied


async def _apply(
    conn: Conn, known: tuple[Migration, ...], applied: list[int], *, now: datetime, where: str
) -> None:
    for migration in (None, *known):
        async with conn.transaction():
            await execute(conn, "SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            await execute(conn, _BOOTSTRAP)
            recorded = await recorded_migrations(conn)
            _check_recorded(recorded, known, where)
            if migration is None or migration.version in recorded:
                continue
            await conn.execute(migration.sql.encode("utf-8"))  # a script: no parameters, many statements
            await execute(
                conn,
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (%s, %s, %s)",
                (migration.version, migration.name, moment(now)),
            )
            applied.append(migration.version)
