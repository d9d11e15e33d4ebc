"""The PostgreSQL store: the ``Store`` Protocol on a PostgreSQL database, through psycopg 3 and its
connection pool, for several processes (or machines) sharing one database.

``khidma serve --db postgresql://user@host/dbname`` opens it (``server/store/open.py``). The parts,
one module per area as on the SQLite side: tickets (``postgres_tickets``), the audit chain
(``postgres_audit``), outbox and timers (``postgres_outbox``), task lists (``postgres_tasks``),
definitions and drafts (``postgres_definitions``), directory (``postgres_directory``), accounts
(``postgres_sessions``), reports and surveys (``postgres_reports``), attachments and inbound
channels (``postgres_attachments``), the channels' queries (``postgres_channels``), the report
scheduler's lease, runs and counts (``postgres_report_mail``), the definitions' cache stamp
(``postgres_cache``); values and the shared base in ``postgres_codec``; the schema in
``pg_migrations/`` applied by ``postgres_migrate``.

The contract is the SQLite store's (``server/store/interface.py``), and so are the records: the same
operations give equal records on both backends (ids aside: a PostgreSQL sequence does not give back
the number of a rolled-back insert). What differs is how it is kept between processes:

* every write is one transaction on one pooled connection (READ COMMITTED);
* a ticket's row is locked (``FOR UPDATE``) by the write that changes it, before its version is
  compared: of two changes made on one version, one commits and the other gets ``VersionConflict``;
* ticket numbers come from a per-year counter row updated in the ticket's own transaction;
* an idempotency key is UNIQUE: a creation that finds it taken — even by a transaction that
  committed a moment ago in another process — returns the existing ticket, having written nothing;
* the outbox is claimed with ``FOR UPDATE SKIP LOCKED`` (two dispatchers never send one message); so
  are the due timers, leased to the process that fires them (``postgres_timers``), and a timer fires
  once (its ``pending → fired`` update in the ticket's transaction);
* publishing, rate limits and the attachment clean-up serialise on advisory locks.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg.errors import Error as PgError
from psycopg_pool import AsyncConnectionPool

from server.store.directory_cache import DirectoryCache
from server.store.postgres_attachments import PgAttachmentsMixin
from server.store.postgres_audit import PgAuditMixin
from server.store.postgres_cache import PgCacheMixin
from server.store.postgres_channels import PgChannelsMixin
from server.store.postgres_codec import Conn, configure, fetch_all
from server.store.postgres_definitions import PgDefinitionsMixin
from server.store.postgres_directory import PgDirectoryMixin
from server.store.postgres_group import CreationGroups
from server.store.postgres_migrate import migrate
from server.store.postgres_outbox import PgOutboxMixin
from server.store.postgres_report_mail import PgReportMailMixin
from server.store.postgres_reports import PgReportsMixin
from server.store.postgres_sessions import PgSessionsMixin
from server.store.postgres_task_counts import PgTaskCountsMixin
from server.store.postgres_tasks import PgTasksMixin
from server.store.postgres_tickets import PgTicketsMixin
from server.store.postgres_timers import PgTimersMixin
from server.store.sqlite import DEVELOPMENT_AUDIT_KEY
from server.store.stamp import StampCache

if TYPE_CHECKING:
    from server.store.interface import Store

POOL_SIZE = 10
"""Connections per process at most (the pool opens one at start, more as requests need them)."""


async def open_postgres(
    url: str,
    attachments_dir: Path | None = None,
    *,
    now: datetime | None = None,
    audit_key: bytes | None = None,
    pool_size: int = POOL_SIZE,
) -> PostgresStore:
    """Connect to the database at ``url`` (a libpq URL: ``postgresql://user:password@host:port/db``;
    ``PG*`` environment variables fill in what it leaves out), apply pending migrations, and put
    messages left ``sending`` longer than the lease back to ``pending``, as ``sqlite.open_store``
    does. Attachments go to ``attachments_dir`` (default ``./khidma-attachments``: on several
    machines, a directory they share)."""
    pool: AsyncConnectionPool[Conn] = AsyncConnectionPool(
        url,
        min_size=1,
        max_size=pool_size,
        kwargs={"autocommit": True, "options": _options(url)},
        configure=configure,
        open=False,
        name="khidma",
    )
    await pool.open(wait=True, timeout=30)
    try:
        async with pool.connection() as conn:
            await migrate(conn, now=datetime.now(UTC), where=_redacted(url))
        store = PostgresStore(
            pool,
            attachments_dir or Path("khidma-attachments"),
            url=url,
            audit_key=audit_key or DEVELOPMENT_AUDIT_KEY,
        )
        await store.requeue_sending(now=now or datetime.now(UTC))
    except BaseException:
        await pool.close()
        raise
    return store


def _options(url: str) -> str:
    """The URL's own server options (a ``search_path``, say), and the session zone: UTC."""
    given = conninfo_to_dict(url).get("options")
    return f"{given} -c TimeZone=UTC" if given else "-c TimeZone=UTC"


def _redacted(url: str) -> str:
    """The URL without its password, for messages."""
    scheme, _, rest = url.partition("://")
    credentials, at, place = rest.rpartition("@")
    if not at:
        return url
    return f"{scheme}://{credentials.partition(':')[0]}@{place}"


class PostgresStore(
    PgTicketsMixin,
    PgAuditMixin,
    PgOutboxMixin,
    PgTasksMixin,
    PgTaskCountsMixin,
    PgDefinitionsMixin,
    PgDirectoryMixin,
    PgSessionsMixin,
    PgReportsMixin,
    PgAttachmentsMixin,
    PgCacheMixin,
    PgChannelsMixin,
    PgReportMailMixin,
    PgTimersMixin,
):
    """The ``Store`` on a PostgreSQL database. Make one with ``open_postgres``; ``close()`` it when done."""

    def __init__(
        self, pool: AsyncConnectionPool[Conn], attachments_dir: Path, *, url: str, audit_key: bytes = b""
    ) -> None:
        self._pool = pool
        self._audit_key = audit_key or DEVELOPMENT_AUDIT_KEY
        self._creations = CreationGroups(pool, self._audit_key, self._create_alone)
        self.attachments_dir = attachments_dir
        self.url = url
        self._stamp = StampCache()
        self._directory = DirectoryCache()

    async def __aenter__(self) -> PostgresStore:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        await self._creations.drain()
        await self._pool.close()  # waits for the connections in use to come back

    async def integrity_check(self) -> str:
        """``ok``, or one line per problem: every table of the schema is read whole (a damaged page
        fails the read), and with the ``amcheck`` extension installed every B-tree index is checked."""
        problems: list[str] = []
        async with self._pool.connection() as conn:
            tables = await fetch_all(
                conn, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
            )
            for row in tables:
                query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(row["tablename"]))
                try:
                    await conn.execute(query)
                except PgError as exc:
                    problems.append(f"table {row['tablename']}: {exc}")
            amcheck = await fetch_all(conn, "SELECT 1 FROM pg_extension WHERE extname = 'amcheck'")
            if amcheck:
                indexes = await fetch_all(
                    conn,
                    "SELECT c.oid, c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
                    " JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE a.amname = 'btree' AND n.nspname = current_schema() ORDER BY c.relname",
                )
                for index in indexes:
                    try:
                        await conn.execute("SELECT bt_index_check(%s)", (index["oid"],))
                    except PgError as exc:
                        problems.append(f"index {index['relname']}: {exc}")
        return "\n".join(problems) or "ok"


if TYPE_CHECKING:

    def _implements_store(store: PostgresStore) -> Store:
        return store
