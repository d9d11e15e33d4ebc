"""The embedded store: one SQLite file, through aiosqlite.

Connections, PRAGMAs and the single writer: ``sqlite_connection``. In short: WAL,
``synchronous=FULL``, ``foreign_keys=ON``, ``busy_timeout=5000``; one writer connection behind an
asyncio lock, every write one ``BEGIN IMMEDIATE`` transaction; reads on a second, query-only
connection.

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

Times are ISO-8601 UTC text of fixed width (text order is time order); JSON documents are text,
checked by ``json_valid``; tables are STRICT, hence SQLite ≥ 3.37 (checked at open).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import aiosqlite

from server.accounts.records import ApiToken
from server.audit.chain import Break as ChainBreak
from server.store import (
    sqlite_attachments,
    sqlite_audit,
    sqlite_definitions,
    sqlite_directory,
    sqlite_drafts,
    sqlite_integrations,
    sqlite_outbox,
    sqlite_reports,
    sqlite_sessions,
    sqlite_surveys,
    sqlite_tasks,
    sqlite_tickets,
)
from server.store.interface import SENDING_LEASE
from server.store.migrate import migrate
from server.store.records import (
    Assignment,
    Attachment,
    DefinitionVersion,
    Draft,
    Event,
    InboundOutcome,
    IntegrationKey,
    Messages,
    NewEvent,
    NewTicket,
    NewTimer,
    OutboxMessage,
    OutboxStatus,
    ReadyReply,
    ReportBasis,
    ReportRating,
    ReportTicket,
    SurveyResponse,
    TaskFilter,
    TaskOrder,
    TaskRow,
    Ticket,
    TicketChange,
    Timer,
    TimerStatus,
    User,
)
from server.store.sqlite_cache import SQLiteCacheMixin
from server.store.sqlite_channels import SQLiteChannelsMixin
from server.store.sqlite_codec import fetch_all
from server.store.sqlite_connection import Synchronous, Writer, WriteTurns, connect
from server.store.sqlite_report_mail import SQLiteReportMailMixin
from server.store.sqlite_timers import SQLiteTimersMixin
from server.store.stamp import StampCache

if TYPE_CHECKING:
    from server.store.interface import Store


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
        reader = await connect(path, synchronous=synchronous, read_only=True)
    except BaseException:
        await writer.close()
        raise
    store = SQLiteStore(
        Writer(writer, WriteTurns(path)),
        reader,
        attachments_dir or path.with_name(path.name + "-attachments"),
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


class SQLiteStore(SQLiteReportMailMixin, SQLiteChannelsMixin, SQLiteCacheMixin, SQLiteTimersMixin):
    """The ``Store`` on one SQLite file. Make one with ``open_store``; ``close()`` it when done."""

    def __init__(
        self,
        writer: Writer,
        reader: aiosqlite.Connection,
        attachments_dir: Path,
        *,
        path: Path,
        audit_key: bytes = b"",
    ) -> None:
        self.path = path
        self._audit_key = audit_key or DEVELOPMENT_AUDIT_KEY
        self.attachments_dir = attachments_dir
        self._writer = writer
        self._reader = reader
        self._stamp = StampCache()

    async def __aenter__(self) -> SQLiteStore:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        await self._writer.close()  # after the write in progress, if any
        await self._reader.close()

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
        return await self._writer.run_sync(
            lambda conn: sqlite_tickets.create_ticket(
                conn, new, events, messages, timers, now=now, key=self._audit_key
            )
        )

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
        self, task_filter: TaskFilter, order: TaskOrder, *, offset: int, limit: int
    ) -> list[TaskRow]:
        return await sqlite_tasks.list_tasks(self._reader, task_filter, order, offset=offset, limit=limit)

    async def list_task_ids(
        self, task_filter: TaskFilter, order: TaskOrder, *, offset: int, limit: int
    ) -> list[int]:
        return await sqlite_tasks.list_task_ids(self._reader, task_filter, order, offset=offset, limit=limit)

    async def count_tasks(self, task_filter: TaskFilter) -> dict[str, int]:
        return await sqlite_tasks.count_tasks(self._reader, task_filter)

    async def tickets_without_search_text(self, limit: int) -> list[Ticket]:
        return await sqlite_tasks.tickets_without_search_text(self._reader, limit)

    async def set_search_texts(self, texts: Mapping[int, str]) -> None:
        await self._writer.run(lambda conn: sqlite_tasks.set_search_texts(conn, texts))

    # --- outbox and timers --------------------------------------------------------------

    async def claim_outbox(
        self, *, now: datetime, limit: int, channels: Sequence[str] | None = None
    ) -> list[OutboxMessage]:
        return await self._writer.run(
            lambda conn: sqlite_outbox.claim(conn, now=now, limit=limit, channels=channels)
        )

    async def mark_sent(self, message_id: int, *, now: datetime) -> None:
        await self._writer.run(lambda conn: sqlite_outbox.mark_sent(conn, message_id, now=now))

    async def mark_failed(
        self, message_id: int, *, now: datetime, error: str, retry_at: datetime | None
    ) -> None:
        await self._writer.run(
            lambda conn: sqlite_outbox.mark_failed(conn, message_id, now=now, error=error, retry_at=retry_at)
        )

    async def retry_outbox(self, message_id: int, *, now: datetime) -> bool:
        return await self._writer.run(lambda conn: sqlite_outbox.retry(conn, message_id, now=now))

    async def list_outbox(
        self, ticket_id: int | None = None, status: OutboxStatus | None = None
    ) -> list[OutboxMessage]:
        return await sqlite_outbox.list_messages(self._reader, ticket_id, status)

    async def requeue_sending(self, *, now: datetime, older_than: timedelta = SENDING_LEASE) -> int:
        return await self._writer.run(
            lambda conn: sqlite_outbox.requeue_sending(conn, now=now, older_than=older_than)
        )

    async def due_timers(self, *, now: datetime) -> list[Timer]:
        return await sqlite_outbox.due_timers(self._reader, now=now)

    async def set_timer_status(self, timer_id: int, status: TimerStatus) -> None:
        await self._writer.run(lambda conn: sqlite_outbox.set_timer_status(conn, timer_id, status))

    # --- definitions --------------------------------------------------------------------

    async def publish_definition(
        self,
        service_id: str,
        bundle: Mapping[str, Any],
        content_hash: str,
        *,
        created_by: str | None,
        note: str,
        now: datetime,
    ) -> DefinitionVersion:
        try:
            return await self._writer.run(
                lambda conn: sqlite_definitions.publish(
                    conn, service_id, bundle, content_hash, created_by=created_by, note=note, now=now
                )
            )
        finally:
            self._stamp.forget()

    async def latest_definition(self, service_id: str) -> DefinitionVersion | None:
        return await sqlite_definitions.latest(self._reader, service_id)

    async def get_definition(self, definition_id: int) -> DefinitionVersion | None:
        return await sqlite_definitions.get(self._reader, definition_id)

    async def latest_definitions(self) -> list[DefinitionVersion]:
        return await sqlite_definitions.latest_of_each(self._reader)

    async def list_definitions(self, service_id: str) -> list[DefinitionVersion]:
        return await sqlite_definitions.list_versions(self._reader, service_id)

    # --- drafts and moving tickets (administration) -------------------------------------

    async def save_draft(
        self, service_id: str, files: Mapping[str, str], *, by: str | None, now: datetime
    ) -> Draft:
        return await self._writer.run(
            lambda conn: sqlite_drafts.save(conn, service_id, files, by=by, now=now)
        )

    async def get_draft(self, service_id: str) -> Draft | None:
        return await sqlite_drafts.get(self._reader, service_id)

    async def list_drafts(self) -> list[Draft]:
        return await sqlite_drafts.list_all(self._reader)

    async def delete_draft(self, service_id: str) -> None:
        await self._writer.run(lambda conn: sqlite_drafts.delete(conn, service_id))

    async def open_tickets_on(self, definition_version_id: int) -> list[Ticket]:
        return await sqlite_drafts.open_tickets(self._reader, definition_version_id)

    async def migrate_ticket(
        self,
        ticket_id: int,
        expected_version: int,
        new_definition_version_id: int,
        change: TicketChange,
        event: NewEvent,
        *,
        data: Mapping[str, Any],
        timers: Sequence[NewTimer],
        search_text: str | None = None,
        now: datetime,
    ) -> Ticket:
        return await self._writer.run(
            lambda conn: sqlite_drafts.migrate_ticket(
                conn,
                ticket_id,
                expected_version,
                new_definition_version_id,
                change,
                event,
                data=data,
                timers=timers,
                search_text=search_text,
                now=now,
                key=self._audit_key,
            )
        )

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
        return await self._writer.run(
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

    async def get_user(self, user_id: str) -> User | None:
        return await sqlite_directory.get_user(self._reader, user_id)

    async def get_users(self, user_ids: Sequence[str]) -> dict[str, User]:
        return await sqlite_directory.get_users(self._reader, user_ids)

    async def get_user_by_username(self, username: str) -> User | None:
        return await sqlite_directory.get_user_by_username(self._reader, username)

    async def users_in_department(
        self, department: str, role: str | None = None, *, active_only: bool = True
    ) -> list[User]:
        return await sqlite_directory.users_in_department(
            self._reader, department, role, active_only=active_only
        )

    # --- accounts: passwords, sessions, API tokens, log-in throttle (sqlite_sessions) --------

    async def set_password(
        self, user_id: str, password_hash: str | None, *, end_sessions: bool = True
    ) -> None:
        await self._writer.run(
            lambda conn: sqlite_sessions.set_password(conn, user_id, password_hash, end_sessions=end_sessions)
        )

    async def users_with_role(self, role: str, *, active_only: bool = True) -> list[User]:
        return await sqlite_sessions.users_with_role(self._reader, role, active_only=active_only)

    async def list_users(self, *, active_only: bool = False) -> list[User]:
        return await sqlite_sessions.list_users(self._reader, active_only=active_only)

    async def create_session(
        self, user_id: str, id_hash: str, *, now: datetime, expires_at: datetime
    ) -> None:
        await self._writer.run(
            lambda conn: sqlite_sessions.create_session(
                conn, user_id, id_hash, now=now, expires_at=expires_at
            )
        )

    async def get_session_user(self, id_hash: str, *, now: datetime, idle: timedelta) -> User | None:
        return await sqlite_sessions.get_session_user(self._reader, self._writer, id_hash, now=now, idle=idle)

    async def delete_session(self, id_hash: str) -> None:
        await self._writer.run(lambda conn: sqlite_sessions.delete_session(conn, id_hash))

    async def delete_user_sessions(self, user_id: str) -> int:
        return await self._writer.run(lambda conn: sqlite_sessions.delete_user_sessions(conn, user_id))

    async def create_api_token(self, user_id: str, name: str, token_hash: str, *, now: datetime) -> ApiToken:
        return await self._writer.run(
            lambda conn: sqlite_sessions.create_api_token(conn, user_id, name, token_hash, now=now)
        )

    async def get_token_user(self, token_hash: str, *, now: datetime) -> User | None:
        return await sqlite_sessions.get_token_user(self._reader, self._writer, token_hash, now=now)

    async def revoke_token(self, token_id: int, *, now: datetime) -> ApiToken:
        return await self._writer.run(lambda conn: sqlite_sessions.revoke_token(conn, token_id, now=now))

    async def list_tokens(self, user_id: str) -> list[ApiToken]:
        return await sqlite_sessions.list_tokens(self._reader, user_id)

    async def record_failed_login(
        self, keys: Sequence[str], *, now: datetime, forget_before: datetime | None = None
    ) -> None:
        await self._writer.run(
            lambda conn: sqlite_sessions.record_failed_login(conn, keys, now=now, forget_before=forget_before)
        )

    async def count_failed_logins(self, key: str, *, since: datetime) -> int:
        return await sqlite_sessions.count_failed_logins(self._reader, key, since=since)

    async def clear_failed_logins(self, key: str) -> None:
        await self._writer.run(lambda conn: sqlite_sessions.clear_failed_logins(conn, key))

    async def take_rate_token(self, key: str, *, limit: int, now: datetime, since: datetime) -> bool:
        return await self._writer.run_sync(
            lambda conn: sqlite_sessions.take_rate_token(conn, key, limit=limit, now=now, since=since)
        )

    # --- survey responses ---------------------------------------------------------------

    async def add_survey_response(
        self, *, ticket_id: int, survey_id: str, answers: Mapping[str, int], comment: str, now: datetime
    ) -> SurveyResponse:
        return await self._writer.run(
            lambda conn: sqlite_surveys.add(
                conn, ticket_id=ticket_id, survey_id=survey_id, answers=answers, comment=comment, now=now
            )
        )

    async def get_survey_response(self, ticket_id: int) -> SurveyResponse | None:
        return await sqlite_surveys.get(self._reader, ticket_id)

    # --- reports (read-only) --------------------------------------------------------------

    async def report_tickets(
        self,
        *,
        services: Sequence[str],
        basis: ReportBasis,
        start: datetime,
        end: datetime,
        variables: Sequence[str] = (),
        fields: Sequence[str] = (),
    ) -> list[ReportTicket]:
        return await sqlite_reports.report_tickets(
            self._reader, services, basis, start, end, variables=variables, fields=fields
        )

    async def report_overdue(
        self,
        *,
        services: Sequence[str],
        now: datetime,
        variables: Sequence[str] = (),
        fields: Sequence[str] = (),
    ) -> list[ReportTicket]:
        return await sqlite_reports.report_overdue(
            self._reader, services, now, variables=variables, fields=fields
        )

    async def report_ratings(
        self, *, services: Sequence[str], start: datetime, end: datetime
    ) -> list[ReportRating]:
        return await sqlite_reports.report_ratings(self._reader, services, start, end)

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
        return await self._writer.run(
            lambda conn: sqlite_directory.add_ready_reply(
                conn,
                title_ar=title_ar,
                title_en=title_en,
                body_ar=body_ar,
                body_en=body_en,
                tags=tags,
                active=active,
            )
        )

    async def search_ready_replies(self, query: str, *, limit: int = 20) -> list[ReadyReply]:
        return await sqlite_directory.search_ready_replies(self._reader, query, limit=limit)

    # --- administration (users, lookup tables, ready replies) --------------------------

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
        return await self._writer.run(
            lambda conn: sqlite_directory.update_user(
                conn, user_id, name=name, email=email, phone=phone, department=department, roles=roles
            )
        )

    async def set_user_active(self, user_id: str, active: bool) -> User:
        return await self._writer.run(lambda conn: sqlite_directory.set_user_active(conn, user_id, active))

    async def list_lookup_table(
        self, table: str, *, offset: int = 0, limit: int | None = None
    ) -> list[dict[str, Any]]:
        return await sqlite_directory.list_lookup_table(self._reader, table, offset=offset, limit=limit)

    async def count_lookup_rows(self, table: str) -> int:
        return await sqlite_directory.count_lookup_rows(self._reader, table)

    async def get_ready_reply(self, reply_id: int) -> ReadyReply | None:
        return await sqlite_directory.get_ready_reply(self._reader, reply_id)

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
        return await self._writer.run(
            lambda conn: sqlite_directory.update_ready_reply(
                conn,
                reply_id,
                title_ar=title_ar,
                title_en=title_en,
                body_ar=body_ar,
                body_en=body_en,
                tags=tags,
                active=active,
            )
        )

    async def list_ready_replies(
        self, query: str = "", *, include_inactive: bool = True, offset: int = 0, limit: int = 50
    ) -> list[ReadyReply]:
        return await sqlite_directory.list_ready_replies(
            self._reader, query, include_inactive=include_inactive, offset=offset, limit=limit
        )

    # --- attachments --------------------------------------------------------------------

    async def add_attachment(
        self,
        *,
        ticket_id: int | None,
        field: str,
        filename: str,
        media_type: str,
        content: bytes,
        now: datetime,
    ) -> Attachment:
        sha256 = await asyncio.to_thread(sqlite_attachments.store_blob, self.attachments_dir, content)

        async def insert(conn: aiosqlite.Connection) -> Attachment:
            # The orphan clean-up may have removed identical bytes since: write them again (rare).
            if not sqlite_attachments.blob_path(self.attachments_dir, sha256).is_file():
                sqlite_attachments.store_blob(self.attachments_dir, content)
            return await sqlite_attachments.insert_attachment(
                conn,
                ticket_id=ticket_id,
                field=field,
                filename=filename,
                media_type=media_type,
                size=len(content),
                sha256=sha256,
                now=now,
            )

        return await self._writer.run(insert)

    async def get_attachment(self, attachment_id: str) -> Attachment | None:
        return await sqlite_attachments.get_attachment(self._reader, attachment_id)

    async def get_attachments(self, attachment_ids: Sequence[str]) -> dict[str, Attachment]:
        return await sqlite_attachments.get_attachments(self._reader, attachment_ids)

    def attachment_path(self, attachment: Attachment) -> Path:
        return sqlite_attachments.blob_path(self.attachments_dir, attachment.sha256)

    async def link_attachments(self, ticket_id: int, attachment_ids: Sequence[str]) -> None:
        await self._writer.run(
            lambda conn: sqlite_attachments.link_attachments(conn, ticket_id, attachment_ids)
        )

    async def delete_orphan_attachments(self, older_than: timedelta, now: datetime) -> int:
        return await self._writer.run(
            lambda conn: sqlite_attachments.delete_orphans(conn, self.attachments_dir, now - older_than)
        )

    # --- the audit chain (server/audit) --------------------------------------------------

    async def verify_event_chains(self) -> tuple[int, int, list[ChainBreak]]:
        return await sqlite_audit.verify(self._reader, self._audit_key)

    async def rechain_events(self, *, reason: str, now: datetime) -> tuple[int, int]:
        return await self._writer.run(
            lambda conn: sqlite_audit.rechain(conn, self._audit_key, reason=reason, now=now)
        )

    async def audit_chain_log(self) -> list[dict[str, Any]]:
        return [dict(row) for row in await sqlite_audit.chain_log(self._reader)]

    # --- maintenance --------------------------------------------------------------------

    async def integrity_check(self) -> str:
        rows = await fetch_all(self._reader, "PRAGMA integrity_check")
        return "\n".join(str(row[0]) for row in rows)

    # --- inbound channels (sqlite_integrations) ------------------------------------------

    async def create_integration_key(
        self, name: str, channel: str, key_hash: str, *, now: datetime
    ) -> IntegrationKey:
        return await self._writer.run(
            lambda conn: sqlite_integrations.create_key(conn, name, channel, key_hash, now=now)
        )

    async def integration_key_by_hash(self, key_hash: str, *, now: datetime) -> IntegrationKey | None:
        return await sqlite_integrations.key_by_hash(self._reader, self._writer, key_hash, now=now)

    async def revoke_integration_key(self, name: str, *, now: datetime) -> IntegrationKey:
        return await self._writer.run(lambda conn: sqlite_integrations.revoke_key(conn, name, now=now))

    async def list_integration_keys(self) -> list[IntegrationKey]:
        return await sqlite_integrations.list_keys(self._reader)

    async def inbound_message_seen(self, message_id: str) -> bool:
        return await sqlite_integrations.inbound_seen(self._reader, message_id)

    async def record_inbound_message(
        self, message_id: str, ticket_id: int | None, outcome: InboundOutcome, *, now: datetime
    ) -> bool:
        return await self._writer.run(
            lambda conn: sqlite_integrations.record_inbound(conn, message_id, ticket_id, outcome, now=now)
        )

    async def ticket_of_messages(self, message_ids: Sequence[str], outbound_ids: Sequence[str]) -> int | None:
        return await sqlite_integrations.ticket_of_messages(self._reader, message_ids, outbound_ids)


if TYPE_CHECKING:

    def _implements_store(store: SQLiteStore) -> Store:
        return store
