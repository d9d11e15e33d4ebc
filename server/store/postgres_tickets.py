"""Tickets, their events and assignment history, PostgreSQL side (``sqlite_tickets``' contract).

Concurrency: ``apply_change`` locks the ticket's row (``SELECT … FOR UPDATE``) before it compares
versions, so of two changes made on one version in two processes, the second waits for the first to
commit and then sees the new version: ``VersionConflict``, nothing written. The ticket number comes
from ``ticket_counters`` updated in the ticket's own transaction (``INSERT … ON CONFLICT DO UPDATE``
takes the year's row lock until commit: no two tickets share a number, and a rolled-back creation
leaves no gap). An idempotency key already taken — even by a creation committed a moment ago in
another process — returns the existing ticket with nothing written.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from server.audit.chain import CHAIN_VERSION, seal, sealed_values
from server.store import postgres_outbox
from server.store.interface import NotFound, VersionConflict
from server.store.postgres_audit import chain_head
from server.store.postgres_codec import Conn, PgBase, Row, fetch_one, json_text, moment
from server.store.records import (
    Assignment,
    Event,
    Messages,
    NewEvent,
    NewMessage,
    NewTicket,
    NewTimer,
    Ticket,
    TicketChange,
)
from server.store.sqlite_codec import time_text

TICKET_COLUMNS = (
    "id, number, tracking_code, service_id, definition_version_id, state, category, department,"
    " assignee_role, assignee_user, channel, requester_id, data, vars, version, created_at, updated_at,"
    " closed_at, idempotency_key, language"
)


def ticket_from_row(row: Row) -> Ticket:
    return Ticket(**{name: row[name] for name in Ticket.__struct_fields__})


def event_from_row(row: Row) -> Event:
    return Event(**{name: row[name] for name in Event.__struct_fields__})


def assignment_from_row(row: Row) -> Assignment:
    return Assignment(
        id=row["id"],
        ticket_id=row["ticket_id"],
        event_id=row["event_id"],
        at=row["at"],
        department=row["department"],
        role=row["role"],
        user_id=row["user_id"],
    )


class _IdempotencyKeyTaken(Exception):
    """Another transaction committed a ticket under this key meanwhile: roll ours back."""


async def _next_number(conn: Conn, now: datetime) -> str:
    row = await fetch_one(
        conn,
        "INSERT INTO ticket_counters (year, last) VALUES (%s, 1)"
        " ON CONFLICT (year) DO UPDATE SET last = ticket_counters.last + 1 RETURNING last",
        (now.year,),
    )
    assert row is not None
    return f"{now.year:04d}-{row['last']:06d}"


async def append_events(
    conn: Conn, key: bytes, ticket_id: int, events: Sequence[NewEvent], *, now: datetime
) -> int:
    """Append the events after the ticket's last one, each sealed as it is inserted; returns the last
    one's id. The caller holds the ticket's row lock (or has just inserted the ticket)."""
    last_seq, prev_mac = await chain_head(conn, key, ticket_id, now=now)
    # each event records (and seals) the definition version its ticket runs on as it is written
    version = await fetch_one(conn, "SELECT definition_version_id FROM tickets WHERE id = %s", (ticket_id,))
    version_id = None if version is None else version["definition_version_id"]
    last_id = 0
    for seq, event in enumerate(events, start=last_seq + 1):
        at = moment(event.at)
        values = {
            "ticket_id": ticket_id,
            "seq": seq,
            "at": time_text(at),
            "actor_id": event.actor_id,
            "actor_name": event.actor_name,
            "actor_department": event.actor_department,
            "action": event.action,
            "from_state": event.from_state,
            "to_state": event.to_state,
            "data": json_text(event.data),
            "visibility": event.visibility,
            "kind": event.kind,
            "definition_version_id": version_id,
        }
        sealed = seal(key, sealed_values(values), prev_mac)
        row = await fetch_one(
            conn,
            "INSERT INTO events (ticket_id, seq, at, actor_id, actor_name, actor_department, action,"
            " from_state, to_state, data, visibility, kind, definition_version_id, mac, chain_version,"
            " field_tags) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s::json, %s, %s, %s, %s, %s, %s)"
            " RETURNING id",
            (*values.values(), sealed.mac, CHAIN_VERSION, sealed.tags_text()),
        )
        assert row is not None
        last_id = int(row["id"])
        prev_mac = sealed.mac
    return last_id


def _with_at(events: Sequence[NewEvent]) -> None:
    for event in events:
        moment(event.at)  # refuse naive times before anything is written


async def record_assignment(conn: Conn, ticket: Ticket, event_id: int, *, now: datetime) -> None:
    await conn.execute(
        "INSERT INTO assignments (ticket_id, event_id, at, department, role, user_id)"
        " VALUES (%s, %s, %s, %s, %s, %s)",
        (ticket.id, event_id, moment(now), ticket.department, ticket.assignee_role, ticket.assignee_user),
    )


def _holder(ticket: Ticket) -> tuple[str | None, str | None, str | None]:
    return (ticket.department, ticket.assignee_role, ticket.assignee_user)


def _resolve(messages: Messages, ticket: Ticket) -> Sequence[NewMessage]:
    return messages if isinstance(messages, Sequence) else messages(ticket)


def _require_events(events: Sequence[NewEvent]) -> None:
    if not events:
        raise ValueError("every ticket write appends at least one event (state changes are events)")


async def _create(
    conn: Conn,
    key: bytes,
    new: NewTicket,
    events: Sequence[NewEvent],
    messages: Messages,
    timers: Sequence[NewTimer],
    now: datetime,
) -> tuple[Ticket, bool]:
    if new.idempotency_key is not None:
        existing = await fetch_one(
            conn, f"SELECT {TICKET_COLUMNS} FROM tickets WHERE idempotency_key = %s", (new.idempotency_key,)
        )
        if existing is not None:
            return ticket_from_row(existing), False
    at = moment(now)
    row = await fetch_one(
        conn,
        "INSERT INTO tickets (number, tracking_code, service_id, definition_version_id, state, category,"
        " department, assignee_role, assignee_user, channel, requester_id, data, vars, version,"
        " created_at, updated_at, closed_at, idempotency_key, language, search_text)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::json, %s::json, 1, %s, %s, NULL, %s, %s, %s)"
        f" ON CONFLICT (idempotency_key) DO NOTHING RETURNING {TICKET_COLUMNS}",
        (
            await _next_number(conn, now),
            secrets.token_urlsafe(12),
            new.service_id,
            new.definition_version_id,
            new.state,
            new.category,
            new.department,
            new.assignee_role,
            new.assignee_user,
            new.channel,
            new.requester_id,
            json_text(new.data),
            json_text(new.vars),
            at,
            at,
            new.idempotency_key,
            new.language,
            new.search_text,
        ),
    )
    if row is None:
        raise _IdempotencyKeyTaken
    ticket = ticket_from_row(row)
    last_event_id = await append_events(conn, key, ticket.id, events, now=now)
    if _holder(ticket) != (None, None, None):
        await record_assignment(conn, ticket, last_event_id, now=now)
    await postgres_outbox.insert_messages(conn, ticket.id, last_event_id, _resolve(messages, ticket), now=now)
    await postgres_outbox.insert_timers(conn, ticket.id, timers)
    return ticket, True


async def _change(
    conn: Conn,
    key: bytes,
    ticket_id: int,
    expected_version: int,
    change: TicketChange,
    events: Sequence[NewEvent],
    messages: Messages,
    timers: Sequence[NewTimer],
    *,
    cancel_pending_timers: bool,
    now: datetime,
    fired_timer_id: int | None,
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
        "UPDATE tickets SET state = %s, category = %s, department = %s, assignee_role = %s, assignee_user = %s,"
        " vars = %s::json, closed_at = CASE WHEN %s THEN COALESCE(closed_at, %s) ELSE NULL END, updated_at = %s,"
        f" version = version + 1 WHERE id = %s RETURNING {TICKET_COLUMNS}",
        (
            change.state,
            change.category,
            change.department,
            change.assignee_role,
            change.assignee_user,
            json_text(change.vars),
            change.closed,
            at,
            at,
            ticket_id,
        ),
    )
    assert row is not None
    ticket = ticket_from_row(row)
    last_event_id = await append_events(conn, key, ticket_id, events, now=now)
    if _holder(ticket) != _holder(before):
        await record_assignment(conn, ticket, last_event_id, now=now)
    await postgres_outbox.insert_messages(conn, ticket_id, last_event_id, _resolve(messages, ticket), now=now)
    if fired_timer_id is not None:
        await postgres_outbox.fire_timer(conn, ticket_id, fired_timer_id)
    if cancel_pending_timers:
        await postgres_outbox.cancel_pending_timers(conn, ticket_id)
    await postgres_outbox.insert_timers(conn, ticket_id, timers)
    return ticket


class PgTicketsMixin(PgBase):
    async def create_ticket(
        self,
        new: NewTicket,
        events: Sequence[NewEvent],
        messages: Messages,
        timers: Sequence[NewTimer],
        *,
        now: datetime,
    ) -> tuple[Ticket, bool]:
        _require_events(events)
        _with_at(events)
        try:
            return await self._write(
                lambda conn: _create(conn, self._audit_key, new, events, messages, timers, now)
            )
        except _IdempotencyKeyTaken:
            assert new.idempotency_key is not None
            existing = await self.get_ticket_by_idempotency_key(new.idempotency_key)
            assert existing is not None
            return existing, False

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
        _require_events(events)
        _with_at(events)
        return await self._write(
            lambda conn: _change(
                conn,
                self._audit_key,
                ticket_id,
                expected_version,
                change,
                events,
                messages,
                timers,
                cancel_pending_timers=cancel_pending_timers,
                now=now,
                fired_timer_id=fired_timer_id,
            )
        )

    async def get_ticket(self, ticket_id: int) -> Ticket | None:
        row = await self._one(f"SELECT {TICKET_COLUMNS} FROM tickets WHERE id = %s", (ticket_id,))
        return None if row is None else ticket_from_row(row)

    async def get_ticket_by_number(self, number: str) -> Ticket | None:
        row = await self._one(f"SELECT {TICKET_COLUMNS} FROM tickets WHERE number = %s", (number,))
        return None if row is None else ticket_from_row(row)

    async def get_ticket_by_idempotency_key(self, key: str) -> Ticket | None:
        row = await self._one(f"SELECT {TICKET_COLUMNS} FROM tickets WHERE idempotency_key = %s", (key,))
        return None if row is None else ticket_from_row(row)

    async def list_events(self, ticket_id: int, *, public_only: bool = False) -> list[Event]:
        sql = "SELECT * FROM events WHERE ticket_id = %s"
        if public_only:
            sql += " AND visibility = 'public'"
        return [event_from_row(row) for row in await self._all(sql + " ORDER BY seq", (ticket_id,))]

    async def list_assignments(self, ticket_id: int) -> list[Assignment]:
        rows = await self._all("SELECT * FROM assignments WHERE ticket_id = %s ORDER BY id", (ticket_id,))
        return [assignment_from_row(row) for row in rows]

    async def ticket_due(self, ticket_id: int) -> datetime | None:
        row = await self._one("SELECT due_at FROM tickets WHERE id = %s", (ticket_id,))  # pg 0005's trigger
        return None if row is None else row["due_at"]
