"""Versioned, forward-only schema migrations for the SQLite store.

A migration is a file ``migrations/NNNN_name.sql`` (``0001_initial.sql``, ``0002_…``); versions
run 1, 2, 3… with no gap. ``migrate`` applies the ones a database has not recorded, in order, each
in its own ``BEGIN IMMEDIATE`` transaction that also records it in
``schema_migrations(version, name, applied_at)`` — a migration is applied entirely or not at all,
and two processes opening one file at once cannot both apply it (the second re-reads the recorded
version inside its own write transaction and skips).

A database whose recorded version is newer than the newest file here was written by a newer khidma:
it is refused (``SchemaTooNew``) rather than run by code that does not know its schema. A released
migration is never edited; a change is the next file. A migration that has to rebuild a table
follows SQLite's documented 12-step procedure; ``PRAGMA foreign_keys`` cannot change inside a
transaction, so such a migration uses ``PRAGMA defer_foreign_keys = ON`` — ``migrate`` runs
``PRAGMA foreign_key_check`` before committing each migration and refuses one that breaks a
reference.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from datetime import datetime
from pathlib import Path

import aiosqlite
import msgspec

from server.store.interface import SchemaTooNew, StoreError
from server.store.sqlite_codec import time_text

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_FILE_NAME = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")

_BOOTSTRAP = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    applied_at  TEXT NOT NULL
)"""


class Migration(msgspec.Struct, frozen=True, kw_only=True):
    version: int
    name: str
    sql: str

    def statements(self) -> list[str]:
        return split_statements(self.sql)


class MigrationError(StoreError):
    """The migrations shipped with the code, or the ones recorded in a database, are inconsistent."""


def split_statements(sql: str) -> list[str]:
    """Split a script into statements at line ends, the way the ``sqlite3`` shell does
    (``CREATE TRIGGER … BEGIN …; END;`` stays one statement)."""
    statements: list[str] = []
    pending = ""
    for line in sql.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    rest = "\n".join(line for line in pending.splitlines() if not line.strip().startswith("--")).strip()
    if rest:
        raise MigrationError(f"incomplete SQL statement at the end of the script: {rest[:80]!r}")
    return statements


def load_migrations(directory: Path = MIGRATIONS_DIR) -> tuple[Migration, ...]:
    """The migrations in ``directory``, in version order; checks names and numbering."""
    migrations: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise MigrationError(f"{path}: a migration file is named NNNN_name.sql")
        migrations.append(
            Migration(version=int(match["version"]), name=match["name"], sql=path.read_text(encoding="utf-8"))
        )
    for expected, migration in enumerate(migrations, start=1):
        if migration.version != expected:
            raise MigrationError(
                f"{directory}: migration versions must run 1, 2, 3… without gaps; "
                f"found {migration.version:04d} where {expected:04d} was expected"
            )
    return tuple(migrations)


async def recorded_migrations(conn: aiosqlite.Connection) -> dict[int, str]:
    rows = await conn.execute_fetchall("SELECT version, name FROM schema_migrations ORDER BY version")
    return {int(row[0]): str(row[1]) for row in rows}


def _check_recorded(recorded: dict[int, str], known: tuple[Migration, ...], where: str) -> None:
    newest_known = known[-1].version if known else 0
    newest_recorded = max(recorded, default=0)
    if newest_recorded > newest_known:
        raise SchemaTooNew(
            f"{where} is at schema version {newest_recorded}, but this khidma knows versions up to "
            f"{newest_known}; upgrade khidma to open it (the database was not changed)"
        )
    for migration in known:
        name = recorded.get(migration.version)
        if name is not None and name != migration.name:
            raise MigrationError(
                f"{where} recorded migration {migration.version:04d} as {name!r}, but this khidma's "
                f"{migration.version:04d} is {migration.name!r}"
            )


async def migrate(
    conn: aiosqlite.Connection,
    *,
    now: datetime,
    migrations: tuple[Migration, ...] | None = None,
    where: str = "the database",
) -> list[int]:
    """Apply the pending migrations; returns the versions applied (``[]`` when up to date).

    ``conn`` is in autocommit mode (``isolation_level=None``) and not inside a transaction."""
    known = load_migrations() if migrations is None else migrations
    await conn.execute(_BOOTSTRAP)
    recorded = await recorded_migrations(conn)
    _check_recorded(recorded, known, where)
    applied: list[int] = []
    for migration in known:
        if migration.version in recorded:
            continue
        try:
            await conn.execute("BEGIN IMMEDIATE")
            # Another process may have migrated since we looked: decide again under the write lock.
            recorded = await recorded_migrations(conn)
            _check_recorded(recorded, known, where)
            if migration.version not in recorded:
                for statement in migration.statements():
                    await conn.execute(statement)
                broken = list(await conn.execute_fetchall("PRAGMA foreign_key_check"))
                if broken:
                    raise MigrationError(
                        f"migration {migration.version:04d}_{migration.name} breaks "
                        f"{len(broken)} foreign key reference(s)"
                    )
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (migration.version, migration.name, time_text(now)),
                )
                applied.append(migration.version)
            await conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.OperationalError):  # no transaction left to roll back
                await conn.execute("ROLLBACK")
            raise
    return applied
