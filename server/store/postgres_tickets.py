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

from collections.abc import Sequence
from datetime import datetime

import msgspec
from psycopg import AsyncCursor

from server.audit.chain import CHAIN_VERSION, seal, sealed_values
from server.store import postgres_ticket_rows as rows
from server.store.interface import NotFound, VersionConflict
from server.store.postgres_audit import chain_head
from server.store.postgres_codec import Conn, PgBase, Row, fetch_one, json_text, moment, pipelined_transaction
from server.store.postgres_group import Creation, CreationGroups
from server.store.postgres_ticket_rows import TICKET_COLUMNS as TICKET_COLUMNS  # re-exported
from server.store.postgres_ticket_rows import ticket_from_row as ticket_from_row
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


def _require_events(events: Sequence[NewEvent]) -> None:
    if not events:
        raise ValueError("every ticket write appends at least one event (state changes are events)")


_UPDATE = (
    "UPDATE tickets SET state = %s, category = %s, department = %s, assignee_role = %s, assignee_user = %s,"
    " vars = %s::json, closed_at = CASE WHEN %s THEN COALESCE(closed_at, %s) ELSE NULL END,"
    " updated_at = GREATEST(%s, created_at),"
    f" version = version + 1 WHERE id = %s RETURNING {TICKET_COLUMNS}"
)


async def _create(
    conn: Conn,
    key: bytes,
    new: NewTicket,
    events: Sequence[NewEvent],
    messages: Messages,
    timers: Sequence[NewTimer],
    now: datetime,
) -> tuple[Ticket, bool]:
    """Two round trips in a pipeline: BEGIN and the number-and-ticket statement; then (the events
    sealed and the messages built, here) the events, assignment, outbox, timers and COMMIT."""
    row = await (await rows.queue(conn, rows.CREATE, rows.create_params(new, now))).fetchone()
    if row is None:
        raise _IdempotencyKeyTaken
    ticket = ticket_from_row(row)
    await rows.queue_created(conn, key, ticket, events, messages, timers, now)
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
) -> AsyncCursor[Row] | Ticket:
    """Two round trips in a pipeline (three when the messages are built from the changed ticket):
    BEGIN, the ticket's row locked, its last event (read after the lock: its own snapshot) and the
    fired timer; then the update, events, assignment, outbox, timers and COMMIT. Returns the changed
    ticket, or (when it was not needed before) the update's cursor, to read once the COMMIT answered."""
    locked = await rows.queue(
        conn, f"SELECT {TICKET_COLUMNS} FROM tickets WHERE id = %s FOR UPDATE", (ticket_id,)
    )
    last = await rows.queue(
        conn, "SELECT seq, mac FROM events WHERE ticket_id = %s ORDER BY seq DESC LIMIT 1", (ticket_id,)
    )
    fired = None
    if fired_timer_id is not None:
        fired = await rows.queue(
            conn,
            "UPDATE timers SET status = 'fired' WHERE id = %s AND ticket_id = %s AND status = 'pending' RETURNING id",
            (fired_timer_id, ticket_id),
        )
    before_row = await locked.fetchone()
    if before_row is None:
        raise NotFound(f"no ticket {ticket_id}")
    before = ticket_from_row(before_row)
    if before.version != expected_version:
        raise VersionConflict(before.version)
    head_row = await last.fetchone()
    if fired is not None and await fired.fetchone() is None:
        raise NotFound(f"ticket {ticket_id} has no pending timer {fired_timer_id}")
    if head_row is None:
        head: tuple[int, str | None] = (0, None)
    elif head_row["mac"] is None:  # events from before the chain: sealed first (postgres_audit)
        head = await chain_head(conn, key, ticket_id, now=now)
    else:
        head = (int(head_row["seq"]), str(head_row["mac"]))
    at = moment(now)
    update = (
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
    )
    holder = (change.department, change.assignee_role, change.assignee_user)  # what the update sets
    written = rows.Rows()
    if isinstance(messages, Sequence):  # the usual case: built before the transaction
        written.add("changed", _UPDATE, update)
        written.result = f"SELECT {TICKET_COLUMNS} FROM changed"
        ticket = msgspec.structs.replace(
            before, department=holder[0], assignee_role=holder[1], assignee_user=holder[2]
        )
        resolved: Sequence[NewMessage] = messages
    else:
        after_row = await (await rows.queue(conn, _UPDATE, update)).fetchone()
        assert after_row is not None
        ticket = ticket_from_row(after_row)
        resolved = messages(ticket)
    written.events(key, ticket_id, before.definition_version_id, events, head)
    if cancel_pending_timers:  # the timers below are not in this statement's snapshot: they stay
        written.add(
            "cancelled",
            "UPDATE timers SET status = 'cancelled' WHERE ticket_id = %s AND status = 'pending'",
            (ticket_id,),
        )
    written.after_events(ticket, holder != rows.holder(before), resolved, timers, at)
    updated = await rows.queue(conn, *written.statement())
    return updated if isinstance(messages, Sequence) else ticket


class PgTicketsMixin(PgBase):
    _creations: CreationGroups

    async def create_ticket(
        self,
        new: NewTicket,
        events: Sequence[NewEvent],
        messages: Messages,
        timers: Sequence[NewTimer],
        *,
        now: datetime,
    ) -> tuple[Ticket, bool]:
        """Queued for this process's next group of creations (``postgres_group``): answered once the
        group's COMMIT is done."""
        _require_events(events)
        _with_at(events)
        return await self._creations.create(new, events, messages, timers, now)

    async def _create_alone(self, creation: Creation) -> tuple[Ticket, bool]:
        """One creation in a transaction of its own (a group of one, or a group that had to be undone)."""
        try:
            return await self._pipelined(
                lambda conn: _create(
                    conn,
                    self._audit_key,
                    creation.new,
                    creation.events,
                    creation.messages,
                    creation.timers,
                    creation.now,
                )
            )
        except _IdempotencyKeyTaken:
            assert creation.new.idempotency_key is not None
            existing = await self.get_ticket_by_idempotency_key(creation.new.idempotency_key)
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
        async with pipelined_transaction(self._pool) as (conn, _):
            updated = await _change(
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
        if isinstance(updated, Ticket):
            return updated
        row = await updated.fetchone()  # answered before the COMMIT's
        assert row is not None
        return ticket_from_row(row)

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
