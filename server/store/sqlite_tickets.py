"""Tickets, their events and assignment history, SQLite side.

``create_ticket`` and ``apply_change`` are whole transactions run on the writer's thread
(``Writer.run_sync``: one hop, issue 14); ``append_events`` runs inside another caller's
``BEGIN IMMEDIATE`` transaction (``Writer.run``). Either all of a write lands or, when one part raises,
none does.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

import aiosqlite

from server.audit.chain import CHAIN_VERSION, seal, sealed_values
from server.store import sqlite_audit
from server.store import sqlite_ticket_rows as rows
from server.store.interface import NotFound, VersionConflict
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
from server.store.request_ids import tracking_code
from server.store.row_values import ticket_params
from server.store.sqlite_codec import (
    fetch_all,
    fetch_one,
    json_text,
    maybe_parse_time,
    parse_json_object,
    parse_time,
    time_text,
)


def ticket_from_row(row: sqlite3.Row) -> Ticket:
    return Ticket(
        id=row["id"],
        number=row["number"],
        tracking_code=row["tracking_code"],
        service_id=row["service_id"],
        definition_version_id=row["definition_version_id"],
        state=row["state"],
        category=row["category"],
        department=row["department"],
        assignee_role=row["assignee_role"],
        assignee_user=row["assignee_user"],
        channel=row["channel"],
        requester_id=row["requester_id"],
        data=parse_json_object(row["data"]),
        vars=parse_json_object(row["vars"]),
        version=row["version"],
        created_at=parse_time(row["created_at"]),
        updated_at=parse_time(row["updated_at"]),
        closed_at=maybe_parse_time(row["closed_at"]),
        idempotency_key=row["idempotency_key"],
        language=row["language"],
    )


def event_from_row(row: sqlite3.Row) -> Event:
    return Event(
        id=row["id"],
        ticket_id=row["ticket_id"],
        seq=row["seq"],
        at=parse_time(row["at"]),
        actor_id=row["actor_id"],
        actor_name=row["actor_name"],
        actor_department=row["actor_department"],
        action=row["action"],
        from_state=row["from_state"],
        to_state=row["to_state"],
        data=parse_json_object(row["data"]),
        visibility=row["visibility"],
        kind=row["kind"],
        definition_version_id=row["definition_version_id"],
    )


def assignment_from_row(row: sqlite3.Row) -> Assignment:
    return Assignment(
        id=row["id"],
        ticket_id=row["ticket_id"],
        event_id=row["event_id"],
        at=parse_time(row["at"]),
        department=row["department"],
        role=row["role"],
        user_id=row["user_id"],
    )


# --- writes -------------------------------------------------------------------------------


async def append_events(
    conn: aiosqlite.Connection, key: bytes, ticket_id: int, events: Sequence[NewEvent], *, now: datetime
) -> int:
    """Append the events after the ticket's last one, each sealed in the audit chain (``key``: see
    ``server/audit/chain.py``) as it is inserted, in this same transaction; returns the last one's id."""
    last_seq, prev_mac = await sqlite_audit.chain_head(conn, key, ticket_id, now=now)
    # each event records (and seals) the definition version its ticket runs on as it is written (0010)
    version = await fetch_one(conn, "SELECT definition_version_id FROM tickets WHERE id = ?", (ticket_id,))
    version_id = None if version is None else version["definition_version_id"]
    last_id = 0
    for seq, event in enumerate(events, start=last_seq + 1):
        values = rows.event_values(ticket_id, seq, event, version_id)
        sealed = seal(key, sealed_values(values), prev_mac)
        row = await fetch_one(
            conn,
            "INSERT INTO events (ticket_id, seq, at, actor_id, actor_name, actor_department, action,"
            " from_state, to_state, data, visibility, kind, definition_version_id, mac, chain_version,"
            " field_tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (*values.values(), sealed.mac, CHAIN_VERSION, sealed.tags_text()),
        )
        assert row is not None
        last_id = int(row["id"])
        prev_mac = sealed.mac
    return last_id


async def record_assignment(
    conn: aiosqlite.Connection, ticket: Ticket, event_id: int, *, now: datetime
) -> None:
    """The holder's change, on the async path (``sqlite_drafts.migrate_ticket``)."""
    await conn.execute(
        "INSERT INTO assignments (ticket_id, event_id, at, department, role, user_id) VALUES (?, ?, ?, ?, ?, ?)",
        (ticket.id, event_id, time_text(now), ticket.department, ticket.assignee_role, ticket.assignee_user),
    )


def _record_assignment(conn: sqlite3.Connection, ticket: Ticket, event_id: int, *, now: datetime) -> None:
    conn.execute(
        "INSERT INTO assignments (ticket_id, event_id, at, department, role, user_id) VALUES (?, ?, ?, ?, ?, ?)",
        (ticket.id, event_id, time_text(now), ticket.department, ticket.assignee_role, ticket.assignee_user),
    )


def _holder(ticket: Ticket) -> tuple[str | None, str | None, str | None]:
    return (ticket.department, ticket.assignee_role, ticket.assignee_user)


def _resolve(messages: Messages, ticket: Ticket) -> Sequence[NewMessage]:
    return messages if isinstance(messages, Sequence) else messages(ticket)


def _require_events(events: Sequence[NewEvent]) -> None:
    if not events:
        raise ValueError("every ticket write appends at least one event (state changes are events)")


# The ticket transactions: plain functions over the ``sqlite3`` connection, each run whole on the
# writer's thread by ``Writer.run_sync`` (one thread hop per transaction, issue 14). Everything that can
# be computed before the transaction (JSON texts, times, seals' inputs) is, by the caller or here before
# the first statement.


def create_ticket(
    conn: sqlite3.Connection,
    new: NewTicket,
    events: Sequence[NewEvent],
    messages: Messages,
    timers: Sequence[NewTimer],
    *,
    now: datetime,
    key: bytes,
) -> tuple[Ticket, bool]:
    """One transaction (run by ``Writer.run_sync``): the idempotency key, the ticket row, its sealed
    events, its assignment, its outbox rows and its timers."""
    _require_events(events)
    at = time_text(now)
    params = ticket_params(new, new.tracking_code or tracking_code(), at)
    if new.idempotency_key is not None:
        existing = rows.one(conn, "SELECT * FROM tickets WHERE idempotency_key = ?", (new.idempotency_key,))
        if existing is not None:
            return ticket_from_row(existing), False
    number = rows.next_number_sync(conn, now)
    row = rows.one(
        conn,
        "INSERT INTO tickets (number, tracking_code, service_id, definition_version_id, state, category,"
        " department, assignee_role, assignee_user, channel, requester_id, data, vars, version,"
        " created_at, updated_at, closed_at, idempotency_key, language, search_text)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, NULL, ?, ?, ?) RETURNING id",
        (number, *params),
    )
    assert row is not None
    # the row as written, without reading it back: only its id is the database's (tests compare it
    # with get_ticket's on both backends)
    ticket = new.written(
        id=row["id"],
        number=number,
        tracking_code=str(params[0]),
        created_at=parse_time(at),
        data=parse_json_object(str(params[10])),
        vars=parse_json_object(str(params[11])),
    )
    # a new ticket has no events yet: its chain starts here, on the version it was made on
    last_event_id = rows.insert_sealed_events(
        conn, key, ticket.id, events, 0, None, ticket.definition_version_id
    )
    if _holder(ticket) != (None, None, None):
        _record_assignment(conn, ticket, last_event_id, now=now)
    rows.insert_messages(conn, ticket.id, last_event_id, _resolve(messages, ticket), now=now)
    rows.insert_timers(conn, ticket.id, timers)
    return ticket, True


CHANGEABLE = ("state", "category", "department", "assignee_role", "assignee_user", "vars", "closed_at")
"""The columns a change may move (besides ``updated_at`` and ``version``, which it always does)."""

BEFORE_CHANGE = f"SELECT version, {', '.join(CHANGEABLE)} FROM tickets WHERE id = ?"  # noqa: S608 (constant)


def changed_columns(before: sqlite3.Row, change: TicketChange, at: str) -> tuple[str, list[object]]:
    """The ``SET`` terms (each ending ", ") and their values for the columns ``change`` moves from the
    row ``before`` holds. A column left out is not written: SQLite rewrites the entry of every index
    that holds a column a statement assigns, changed or not — a note, which moves none of the ticket's
    own columns, rewrote nine index entries, not five (``docs/performance.md``, thirteenth round)."""
    wanted: dict[str, object] = {
        "state": change.state,
        "category": change.category,
        "department": change.department,
        "assignee_role": change.assignee_role,
        "assignee_user": change.assignee_user,
        "vars": json_text(change.vars),
        "closed_at": (before["closed_at"] or at) if change.closed else None,  # kept once closed
    }
    moved = {column: value for column, value in wanted.items() if before[column] != value}
    return "".join(f"{column} = ?, " for column in moved), list(moved.values())


def apply_change(
    conn: sqlite3.Connection,
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
    key: bytes,
) -> Ticket:
    """One transaction (run by ``Writer.run_sync``): the optimistic update of the ticket row (a stale
    ``expected_version`` raises ``VersionConflict``), its sealed events, the assignment when the holder
    changed, the outbox rows, the fired or cancelled timers and the new ones."""
    _require_events(events)
    at = time_text(now)
    # what the change is checked against: the version, and the holder (an assignment is recorded when
    # it moves) — and what the change would leave as it was, not written again (``changed_columns``);
    # not the whole row, whose form data would be parsed for nothing
    before = rows.one(conn, BEFORE_CHANGE, (ticket_id,))
    if before is None:
        raise NotFound(f"no ticket {ticket_id}")
    assigned, params = changed_columns(before, change, at)
    row = rows.one(
        conn,
        f"UPDATE tickets SET {assigned}updated_at = max(?, created_at), version = version + 1"  # noqa: S608
        " WHERE id = ? AND version = ? RETURNING *",
        (*params, at, ticket_id, expected_version),
    )
    if row is None:
        raise VersionConflict(int(before["version"]))
    ticket = ticket_from_row(row)
    last_event_id = rows.append_events_sync(
        conn, key, ticket_id, events, now=now, version_id=ticket.definition_version_id
    )
    if _holder(ticket) != (before["department"], before["assignee_role"], before["assignee_user"]):
        _record_assignment(conn, ticket, last_event_id, now=now)
    rows.insert_messages(conn, ticket_id, last_event_id, _resolve(messages, ticket), now=now)
    if fired_timer_id is not None:
        fired = rows.one(
            conn,
            "UPDATE timers SET status = 'fired' WHERE id = ? AND ticket_id = ? AND status = 'pending' RETURNING id",
            (fired_timer_id, ticket_id),
        )
        if fired is None:
            raise NotFound(f"ticket {ticket_id} has no pending timer {fired_timer_id}")
    if cancel_pending_timers:
        conn.execute(
            "UPDATE timers SET status = 'cancelled' WHERE ticket_id = ? AND status = 'pending'", (ticket_id,)
        )
    rows.insert_timers(conn, ticket_id, timers)
    return ticket


# --- reads --------------------------------------------------------------------------------


async def get_ticket(conn: aiosqlite.Connection, ticket_id: int) -> Ticket | None:
    row = await fetch_one(conn, "SELECT * FROM tickets WHERE id = ?", (ticket_id,))
    return None if row is None else ticket_from_row(row)


async def get_ticket_by_number(conn: aiosqlite.Connection, number: str) -> Ticket | None:
    row = await fetch_one(conn, "SELECT * FROM tickets WHERE number = ?", (number,))
    return None if row is None else ticket_from_row(row)


async def get_ticket_by_idempotency_key(conn: aiosqlite.Connection, key: str) -> Ticket | None:
    row = await fetch_one(conn, "SELECT * FROM tickets WHERE idempotency_key = ?", (key,))
    return None if row is None else ticket_from_row(row)


async def list_events(conn: aiosqlite.Connection, ticket_id: int, *, public_only: bool) -> list[Event]:
    sql = "SELECT * FROM events WHERE ticket_id = ?"
    if public_only:
        sql += " AND visibility = 'public'"
    rows = await fetch_all(conn, sql + " ORDER BY seq", (ticket_id,))
    return [event_from_row(row) for row in rows]


async def list_assignments(conn: aiosqlite.Connection, ticket_id: int) -> list[Assignment]:
    rows = await fetch_all(conn, "SELECT * FROM assignments WHERE ticket_id = ? ORDER BY id", (ticket_id,))
    return [assignment_from_row(row) for row in rows]


async def ticket_due(conn: aiosqlite.Connection, ticket_id: int) -> datetime | None:
    """The earliest pending timer of the ticket (its due time; ``server/tickets/due.py``), as the
    ticket row keeps it (migration 0012's triggers)."""
    async with conn.execute("SELECT due_at FROM tickets WHERE id = ?", (ticket_id,)) as cursor:
        row = await cursor.fetchone()
    return maybe_parse_time(row[0]) if row is not None else None
