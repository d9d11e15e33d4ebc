"""The embedded store: one SQLite file, through aiosqlite.

Connections, PRAGMAs and the single writer: ``sqlite_connection``. In short: WAL,
``synchronous=FULL``, ``foreign_keys=ON``, ``busy_timeout=5000``; one writer connection behind an
asyncio lock, every write one ``BEGIN IMMEDIATE`` transaction; reads on two query-only connections,
one for point reads and one for the reads that scan (``SQLiteStore._scans``).

Schema (``migrations/0001_initial.sql``; ``migrate.py`` applies and records migrations)
--------------------------------------------------------------------------------------------
* ``definition_versions`` — immutable published versions (UNIQUE service_id + version; index on
  content_hash; triggers refuse UPDATE and DELETE).
* ``ticket_counters(year, last)`` — the per-year counter behind ``YYYY-NNNNNN`` ticket numbers,
  incremented in the ticket's own transaction.
* ``tickets`` — the current state; ``version`` for optimistic concurrency; UNIQUE number,
  tracking_code and (nullable) idempotency_key; indexes for the task lists:
  (department, category, updated_at), (assignee_user, category), (service_id, created_at), (state),
  (requester_id, created_at).
* ``events`` — the history, append-only (triggers ABORT any UPDATE of its content, and any DELETE);
  UNIQUE(ticket_id, seq).
* ``assignments`` — one row per change of department / role / user, pointing at its event.
* ``outbox`` — notifications written with the change that caused them; UNIQUE gateway_request_id;
  index (status, next_attempt_at) for the dispatcher.
* ``timers`` — index (status, due_at).
* ``attachments`` — metadata; bytes on disk, content-addressed (``sqlite_attachments``).
* ``users``, ``user_roles`` — username UNIQUE, case-insensitive (ASCII).
* ``lookup_rows(table_name, key, row_json)`` — admin lookup tables; index (table_name, key).
* ``ready_replies`` — the knowledge bank.
* ``schema_migrations(version, name, applied_at)``.
* ``0005_task_lists.sql`` adds ``tickets.search_text`` (the task lists' free text) and the indexes of
  the task lists (``sqlite_tasks``): (department, updated_at), (department, created_at), (updated_at),
  (created_at), (category, updated_at), (assignee_role, department, updated_at); ``timers_ticket``
  becomes (ticket_id, status, due_at).
* ``0007_event_chain.sql`` adds the audit chain: ``events.mac``, ``chain_version``, ``field_tags``
  (``sqlite_audit``, ``server/audit/chain.py``); the update trigger now names the content columns, and
  ``events_sealed_once`` refuses to change a seal once set; ``audit_chain_log`` records sealing runs.
* ``0012_due_on_ticket_and_text_index.sql`` (issue 14) adds ``tickets.due_at`` — the earliest pending
  timer, kept by triggers on ``timers`` — with the partial indexes ``tickets_due`` and
  ``tickets_department_due``; and ``tickets_text``, an external-content FTS5 table (trigram tokenizer)
  over the number and the search text, kept by triggers on ``tickets``.
* ``0013_task_counts.sql`` adds ``ticket_counts`` — tickets per holder, service, channel, state and
  category, kept by triggers on ``tickets`` — for the task lists' counts; drops
  ``tickets_assignee_user`` and ``tickets_role_queue``.
* ``0014_directory_stamp.sql`` (issue 14) adds ``directory_stamp``, moved by triggers on ``users`` and
  ``user_roles``: the store keeps who holds a role in a department while it stands
  (``directory_cache.py``).
* ``0015_task_day_counts.sql`` (issue 14) adds ``ticket_day_counts`` — the same counts per UTC day of
  creation, kept by triggers on ``tickets`` — for the counts of lists filtered by creation dates.
* ``0016_updated_not_before_created.sql`` (issue 14) brings every ticket's ``updated_at`` to at least its
  ``created_at`` (every write keeps it since), which the task lists' date walk relies on.
* ``0017_token_stamp.sql`` (issue 14): a token revoked, deleted or moved moves ``directory_stamp`` too;
  the store keeps whom a bearer token names while it stands (``directory_cache.py``).

Times are ISO-8601 UTC text of fixed width (text order is time order); JSON documents are text,
checked by ``json_valid``; tables are STRICT, hence SQLite ≥ 3.37 (checked at open).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import aiosqlite

from server.store import sqlite_directory, sqlite_task_totals, sqlite_tasks, sqlite_tickets
from server.store.directory_cache import DirectoryCache
from server.store.migrate import migrate
from server.store.records import (
    Assignment,
    Event,
    Messages,
    NewEvent,
    NewTicket,
    NewTimer,
    Seek,
    TaskFilter,
    TaskOrder,
    TaskRow,
    Ticket,
    TicketChange,
    User,
)
from server.store.sqlite_attachments import SQLiteAttachmentsMixin
from server.store.sqlite_audit import SQLiteAuditMixin
from server.store.sqlite_cache import SQLiteCacheMixin
from server.store.sqlite_channels import SQLiteChannelsMixin
from server.store.sqlite_checkpoint import Checkpointer
from server.store.sqlite_codec import fetch_all
from server.store.sqlite_connection import Synchronous, Writer, WriteTurns, connect
from server.store.sqlite_creations import Creation, prepare_writer
from server.store.sqlite_definitions import SQLiteDefinitionsMixin
from server.store.sqlite_drafts import SQLiteDraftsMixin
from server.store.sqlite_integrations import SQLiteIntegrationsMixin
from server.store.sqlite_outbox import SQLiteOutboxMixin
from server.store.sqlite_ready_replies import SQLiteReadyRepliesMixin
from server.store.sqlite_report_mail import SQLiteReportMailMixin
from server.store.sqlite_reports import SQLiteReportsMixin
from server.store.sqlite_sessions import SQLiteSessionsMixin
from server.store.sqlite_surveys import SQLiteSurveysMixin
from server.store.sqlite_task_counts import SQLiteTaskCountsMixin
from server.store.sqlite_timers import SQLiteTimersMixin
from server.store.stamp import StampCache

if TYPE_CHECKING:
    from server.store.interface import Store


SCANS_CACHE_KIB = 32 * 1024
"""The page cache of the connection for scans (SQLite's default: 2 MB a connection). A staff list is read
again and again (the page refreshes itself, many staff open the same department's): at a million
tickets the pages a department's family-name count reads fit in 32 MB and not in 2, and from the cache
its two ways took 13–16 ms instead of 24–28 (docs/performance.md). It is the process's own memory, at
most this much more; the point reads keep the default."""


async def open_store(
    path: Path,
    attachments_dir: Path | None = None,
    *,
    synchronous: Synchronous = "FULL",
    now: datetime | None = None,
    audit_key: bytes | None = None,
) -> SQLiteStore:
    """Open (creating if needed) the store at ``path``, apply pending migrations, and put messages
    a crash left ``sending`` longer than the lease back to ``pending`` (``now``: the time of the
    opening, the wall clock by default). Attachments go to ``attachments_dir``, by default the
    directory ``<path>-attachments`` beside the database. ``audit_key`` seals the events in the audit
    chain (``server/audit``; the server passes the configured one, ``server.audit.keys.audit_key``);
    without one (a test, a one-off command writing no events), a fixed development key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = await connect(path, synchronous=synchronous, read_only=False)
    try:
        await migrate(writer, now=datetime.now(UTC), where=str(path))
        await writer.execute("PRAGMA wal_autocheckpoint = 0")  # the Checkpointer's thread does it
        # Each grouped transaction runs in a SAVEPOINT, whose rollback copies of the pages it changes
        # (the sub-journal) went to a temporary file: 3.5 times the WAL's own writes, 78 % of the
        # writer's pwrite calls. In memory they are a memcpy (docs/performance.md). Set after the
        # migrations, whose statements over every ticket may need statement journals of any size;
        # every multi-row statement the writer runs later is bounded (a group's tickets, a session's rows).
        await writer.execute("PRAGMA temp_store = MEMORY")
        await prepare_writer(writer)
        reader = await connect(path, synchronous=synchronous, read_only=True)
    except BaseException:
        await writer.close()
        raise
    try:
        scans = await connect(path, synchronous=synchronous, read_only=True, cache_kib=SCANS_CACHE_KIB)
    except BaseException:
        await writer.close()
        await reader.close()
        raise
    store = SQLiteStore(
        Writer(writer, WriteTurns(path), Checkpointer(path, WriteTurns(path))),
        reader,
        attachments_dir or path.with_name(path.name + "-attachments"),
        scans=scans,
        path=path,
        audit_key=audit_key or DEVELOPMENT_AUDIT_KEY,
    )
    try:
        await store.requeue_sending(now=now or datetime.now(UTC))
    except BaseException:
        await store.close()
        raise
    return store


DEVELOPMENT_AUDIT_KEY = b"khidma development audit key: not for production"


class SQLiteStore(
    SQLiteOutboxMixin,
    SQLiteDefinitionsMixin,
    SQLiteDraftsMixin,
    SQLiteSessionsMixin,
    SQLiteSurveysMixin,
    SQLiteReportsMixin,
    SQLiteAttachmentsMixin,
    SQLiteAuditMixin,
    SQLiteIntegrationsMixin,
    SQLiteReportMailMixin,
    SQLiteChannelsMixin,
    SQLiteCacheMixin,
    SQLiteTimersMixin,
    SQLiteTaskCountsMixin,
    SQLiteReadyRepliesMixin,
):
    """The ``Store`` on one SQLite file. Make one with ``open_store``; ``close()`` it when done.

    Tickets, task lists and directory data are here; every other area is a mixin of its
    ``sqlite_<area>.py`` (the module of its queries), for the Protocol of its ``interface_<area>.py``."""

    def __init__(
        self,
        writer: Writer,
        reader: aiosqlite.Connection,
        attachments_dir: Path,
        *,
        scans: aiosqlite.Connection,
        path: Path,
        audit_key: bytes = b"",
    ) -> None:
        self.path = path
        self._audit_key = audit_key or DEVELOPMENT_AUDIT_KEY
        self.attachments_dir = attachments_dir
        self._writer = writer
        self._reader = reader
        """The point reads: a ticket, its events, a user, a session, a definition — each a few rows."""
        self._scans = scans
        """The reads that may walk many rows: task lists and their counts, reports, the audit chain's
        verification, the replies log. A connection runs one statement at a time, so on one connection
        a ticket's read waited behind a staff list's 30–70 ms count at a million tickets (p99 0.8 → 66
        ms, docs/performance.md); on their own they do not."""
        self._stamp = StampCache()
        self._directory = DirectoryCache()

    async def __aenter__(self) -> SQLiteStore:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        await self._writer.close()  # after the write in progress, if any
        await self._reader.close()
        await self._scans.close()

    # --- tickets ------------------------------------------------------------------------

    async def create_ticket(
        self,
        new: NewTicket,
        events: Sequence[NewEvent],
        messages: Messages,
        timers: Sequence[NewTimer],
        *,
        now: datetime,
    ) -> tuple[Ticket, bool]:
        return await self._writer.run_sync(Creation(new, events, messages, timers, now, self._audit_key))

    async def apply_change(
        self,
        ticket_id: int,
        expected_version: int,
        change: TicketChange,
        events: Sequence[NewEvent],
        messages: Messages,
        timers: Sequence[NewTimer],
        *,
        cancel_pending_timers: bool,
        now: datetime,
        fired_timer_id: int | None = None,
    ) -> Ticket:
        return await self._writer.run_sync(
            lambda conn: sqlite_tickets.apply_change(
                conn,
                ticket_id,
                expected_version,
                change,
                events,
                messages,
                timers,
                cancel_pending_timers=cancel_pending_timers,
                now=now,
                fired_timer_id=fired_timer_id,
                key=self._audit_key,
            )
        )

    async def get_ticket(self, ticket_id: int) -> Ticket | None:
        return await sqlite_tickets.get_ticket(self._reader, ticket_id)

    async def get_ticket_by_number(self, number: str) -> Ticket | None:
        return await sqlite_tickets.get_ticket_by_number(self._reader, number)

    async def get_ticket_by_idempotency_key(self, key: str) -> Ticket | None:
        return await sqlite_tickets.get_ticket_by_idempotency_key(self._reader, key)

    async def list_events(self, ticket_id: int, *, public_only: bool = False) -> list[Event]:
        return await sqlite_tickets.list_events(self._reader, ticket_id, public_only=public_only)

    async def list_assignments(self, ticket_id: int) -> list[Assignment]:
        return await sqlite_tickets.list_assignments(self._reader, ticket_id)

    async def ticket_due(self, ticket_id: int) -> datetime | None:
        return await sqlite_tickets.ticket_due(self._reader, ticket_id)

    # --- task lists ---------------------------------------------------------------------

    async def list_tasks(
        self,
        task_filter: TaskFilter,
        order: TaskOrder,
        *,
        offset: int,
        limit: int,
        total: int | None = None,
        seek: Seek | None = None,
    ) -> list[TaskRow]:
        return await sqlite_tasks.list_tasks(
            self._scans, task_filter, order, offset=offset, limit=limit, total=total, seek=seek
        )

    async def list_task_ids(
        self, task_filter: TaskFilter, order: TaskOrder, *, offset: int, limit: int, seek: Seek | None = None
    ) -> list[int]:
        return await sqlite_tasks.list_task_ids(
            self._scans, task_filter, order, offset=offset, limit=limit, seek=seek
        )

    async def count_tasks(self, task_filter: TaskFilter) -> dict[str, int]:
        return await sqlite_task_totals.count_tasks(self._scans, task_filter)

    async def tickets_without_search_text(self, limit: int) -> list[Ticket]:
        return await sqlite_tasks.tickets_without_search_text(self._reader, limit)

    async def set_search_texts(self, texts: Mapping[int, str]) -> None:
        await self._writer.run(lambda conn: sqlite_tasks.set_search_texts(conn, texts))

    # --- lookup tables ------------------------------------------------------------------

    async def replace_lookup_table(
        self, table: str, key_column: str, rows: Sequence[Mapping[str, Any]]
    ) -> None:
        await self._writer.run(
            lambda conn: sqlite_directory.replace_lookup_table(conn, table, key_column, rows)
        )

    async def lookup_rows(self, table: str, key: str) -> list[dict[str, Any]]:
        return await sqlite_directory.lookup_rows(self._reader, table, key)

    async def lookup_rows_many(self, table: str, keys: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        return await sqlite_directory.lookup_rows_many(self._reader, table, keys)

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
        changed = await self._writer.run(
            lambda conn: sqlite_directory.add_user(
                conn,
                user_id=id,
                username=username,
                name=name,
                email=email,
                phone=phone,
                department=department,
                roles=roles,
                password_hash=password_hash,
                active=active,
                now=now,
            )
        )
        self._directory.forget()
        return changed

    async def get_user(self, user_id: str) -> User | None:
        return await sqlite_directory.get_user(self._reader, user_id)

    async def get_users(self, user_ids: Sequence[str]) -> dict[str, User]:
        return await sqlite_directory.get_users(self._reader, user_ids)

    async def get_user_by_username(self, username: str) -> User | None:
        return await sqlite_directory.get_user_by_username(self._reader, username)

    async def users_in_department(
        self, department: str, role: str | None = None, *, active_only: bool = True
    ) -> list[User]:
        return await self._directory.answer(
            (department, role, active_only),
            lambda: sqlite_directory.directory_stamp(self._reader),
            lambda: sqlite_directory.users_in_department(
                self._reader, department, role, active_only=active_only
            ),
        )

    # --- administration (users, lookup tables) --------------------------

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
        changed = await self._writer.run(
            lambda conn: sqlite_directory.update_user(
                conn, user_id, name=name, email=email, phone=phone, department=department, roles=roles
            )
        )
        self._directory.forget()
        return changed

    async def set_user_active(self, user_id: str, active: bool) -> User:
        changed = await self._writer.run(lambda conn: sqlite_directory.set_user_active(conn, user_id, active))
        self._directory.forget()
        return changed

    async def list_lookup_table(
        self, table: str, *, offset: int = 0, limit: int | None = None
    ) -> list[dict[str, Any]]:
        return await sqlite_directory.list_lookup_table(self._reader, table, offset=offset, limit=limit)

    async def count_lookup_rows(self, table: str) -> int:
        return await sqlite_directory.count_lookup_rows(self._reader, table)

    # --- maintenance --------------------------------------------------------------------

    async def integrity_check(self) -> str:
        rows = await fetch_all(self._reader, "PRAGMA integrity_check")
        return "\n".join(str(row[0]) for row in rows)


if TYPE_CHECKING:

    def _implements_store(store: SQLiteStore) -> Store:
        return store
