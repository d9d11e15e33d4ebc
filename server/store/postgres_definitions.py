"""Published definition versions, drafts, and moving tickets between versions — PostgreSQL side
(``sqlite_definitions`` and ``sqlite_drafts``' contracts). Published rows are immutable (a trigger
refuses UPDATE, DELETE and TRUNCATE). Two publishers of one service at once are serialised by an
advisory lock on the service, so each gets the next version number."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from server.store import postgres_outbox
from server.store.interface import NotFound, VersionConflict
from server.store.postgres_codec import Conn, PgBase, Row, execute, fetch_one, json_text, moment
from server.store.postgres_tickets import TICKET_COLUMNS, append_events, record_assignment, ticket_from_row
from server.store.records import DefinitionVersion, Draft, NewEvent, NewTimer, Ticket, TicketChange
from server.store.stamp import StampCache


def definition_from_row(row: Row) -> DefinitionVersion:
    return DefinitionVersion(**{name: row[name] for name in DefinitionVersion.__struct_fields__})


def _draft(row: Row) -> Draft:
    return Draft(
        service_id=row["service_id"],
        files={str(k): str(v) for k, v in row["files"].items()},
        updated_at=row["updated_at"],
        updated_by=row["updated_by"],
    )


_LATEST = "SELECT * FROM definition_versions WHERE service_id = %s ORDER BY version DESC LIMIT 1"


async def _publish(
    conn: Conn,
    service_id: str,
    bundle: Mapping[str, Any],
    content_hash: str,
    created_by: str | None,
    note: str,
    now: datetime,
) -> DefinitionVersion:
    at = moment(now)
    await execute(conn, "SELECT pg_advisory_xact_lock(hashtextextended('publish:' || %s, 0))", (service_id,))
    previous = await fetch_one(conn, _LATEST, (service_id,))
    if previous is not None and previous["content_hash"] == content_hash:
        return definition_from_row(previous)
    row = await fetch_one(
        conn,
        "INSERT INTO definition_versions (service_id, version, content_hash, bundle, created_at, created_by, note)"
        " VALUES (%s, %s, %s, %s::json, %s, %s, %s) RETURNING *",
        (
            service_id,
            1 if previous is None else previous["version"] + 1,
            content_hash,
            json_text(bundle),
            at,
            created_by,
            note,
        ),
    )
    assert row is not None
    return definition_from_row(row)


async def _migrate_ticket(
    conn: Conn,
    key: bytes,
    ticket_id: int,
    expected_version: int,
    new_definition_version_id: int,
    change: TicketChange,
    event: NewEvent,
    data: Mapping[str, Any],
    timers: Sequence[NewTimer],
    search_text: str | None,
    now: datetime,
) -> Ticket:
    before_row = await fetch_one(
        conn, f"SELECT {TICKET_COLUMNS} FROM tickets WHERE id = %s FOR UPDATE", (ticket_id,)
    )
    if before_row is None:
        raise NotFound(f"no ticket {ticket_id}")
    before = ticket_from_row(before_row)
    if before.version != expected_version:
        raise VersionConflict(before.version)
    at = moment(now)
    row = await fetch_one(
        conn,
        "UPDATE tickets SET definition_version_id = %s, state = %s, category = %s, department = %s,"
        " assignee_role = %s, assignee_user = %s, vars = %s::json, data = %s::json,"
        " search_text = COALESCE(%s, search_text), updated_at = GREATEST(%s, created_at),"
        " closed_at = CASE WHEN %s THEN COALESCE(closed_at, %s) ELSE NULL END,"
        f" version = version + 1 WHERE id = %s RETURNING {TICKET_COLUMNS}",
        (
            new_definition_version_id,
            change.state,
            change.category,
            change.department,
            change.assignee_role,
            change.assignee_user,
            json_text(change.vars),
            json_text(dict(data)),
            search_text,
            at,
            change.closed,
            at,
            ticket_id,
        ),
    )
    assert row is not None
    ticket = ticket_from_row(row)
    # The ticket's history is not rewritten: the migration is one more event, sealed in the chain,
    # stamped with the version the ticket now runs on.
    event_id = await append_events(conn, key, ticket_id, [event], now=now)
    if (ticket.department, ticket.assignee_role, ticket.assignee_user) != (
        before.department,
        before.assignee_role,
        before.assignee_user,
    ):
        await record_assignment(conn, ticket, event_id, now=now)
    await postgres_outbox.cancel_pending_timers(conn, ticket_id)
    await postgres_outbox.insert_timers(conn, ticket_id, timers)
    return ticket


class PgDefinitionsMixin(PgBase):
    _stamp: StampCache

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
        moment(now)
        try:
            return await self._write(
                lambda conn: _publish(conn, service_id, bundle, content_hash, created_by, note, now)
            )
        finally:
            self._stamp.forget()

    async def latest_definition(self, service_id: str) -> DefinitionVersion | None:
        row = await self._one(_LATEST, (service_id,))
        return None if row is None else definition_from_row(row)

    async def get_definition(self, definition_id: int) -> DefinitionVersion | None:
        row = await self._one("SELECT * FROM definition_versions WHERE id = %s", (definition_id,))
        return None if row is None else definition_from_row(row)

    async def latest_definitions(self) -> list[DefinitionVersion]:
        rows = await self._all(
            'SELECT DISTINCT ON (service_id COLLATE "C") * FROM definition_versions'
            ' ORDER BY service_id COLLATE "C", version DESC'
        )
        return [definition_from_row(row) for row in rows]

    async def list_definitions(self, service_id: str) -> list[DefinitionVersion]:
        rows = await self._all(
            "SELECT * FROM definition_versions WHERE service_id = %s ORDER BY version", (service_id,)
        )
        return [definition_from_row(row) for row in rows]

    # --- drafts and moving tickets ------------------------------------------------------

    async def save_draft(
        self, service_id: str, files: Mapping[str, str], *, by: str | None, now: datetime
    ) -> Draft:
        params = (service_id, json_text(dict(files)), moment(now), by)
        row = await self._write(
            lambda conn: fetch_one(
                conn,
                "INSERT INTO drafts (service_id, files, updated_at, updated_by) VALUES (%s, %s::json, %s, %s)"
                " ON CONFLICT (service_id) DO UPDATE SET files = excluded.files, updated_at = excluded.updated_at,"
                " updated_by = excluded.updated_by RETURNING *",
                params,
            )
        )
        assert row is not None
        return _draft(row)

    async def get_draft(self, service_id: str) -> Draft | None:
        row = await self._one("SELECT * FROM drafts WHERE service_id = %s", (service_id,))
        return None if row is None else _draft(row)

    async def list_drafts(self) -> list[Draft]:
        return [
            _draft(row) for row in await self._all('SELECT * FROM drafts ORDER BY service_id COLLATE "C"')
        ]

    async def delete_draft(self, service_id: str) -> None:
        await self._write(
            lambda conn: execute(conn, "DELETE FROM drafts WHERE service_id = %s", (service_id,))
        )

    async def open_tickets_on(self, definition_version_id: int) -> list[Ticket]:
        rows = await self._all(
            f"SELECT {TICKET_COLUMNS} FROM tickets WHERE definition_version_id = %s AND closed_at IS NULL ORDER BY id",
            (definition_version_id,),
        )
        return [ticket_from_row(row) for row in rows]

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
        return await self._write(
            lambda conn: _migrate_ticket(
                conn,
                self._audit_key,
                ticket_id,
                expected_version,
                new_definition_version_id,
                change,
                event,
                data,
                timers,
                search_text,
                now,
            )
        )
