"""Ticket creations that share a group commit, written together in a few statements (issue 14).

Every call into SQLite from the writer's thread gives up the GIL and takes it back; while the event
loop's thread runs Python, the taking-back waits for it. A creation written row by row makes a dozen
such calls — its savepoint, the counter, the ticket, each event, the assignment, the outbox rows, the
timers — and under load the writer spent half of each group's time waiting rather than working
(measured in docs/performance.md, "Throughput, sixth round").

Here the creations queued together (:class:`Creation`, one per ``create_ticket`` call) are written
by :func:`create_together` in one savepoint: one statement moves the year's counter by the group's size
and reads the last ticket and event row ids (the write lock is held, so the next ones are the group's);
every ticket's number and id are then known, its events are sealed and its messages built in Python;
and the whole group's rows go into SQLite as ONE row of JSON arrays, inserted into the writer
connection's own TEMP table ``creation_batch``, whose trigger inserts them into the five tables
(``INSERT … SELECT … FROM json_each(…)``, the rows' own triggers — full-text index, counts — firing as
before) and empties it. Two calls into SQLite for the group instead of a dozen a ticket. The rows are
the same as :func:`sqlite_tickets.create_ticket` writes one at a time (tests compare them column by
column).

Anything unusual sends the group back to that path, one savepoint a creation, as if it had never been
tried (``Writer`` rolls back to the savepoint and runs each alone): an idempotency key already taken
or twice in the group (a retried submission: the one-by-one path answers it with the ticket it made),
creations in two years (New Year's midnight), a text SQLite's JSON would not carry whole (a NUL), or
any error from SQLite (a constraint, a full disk), so that an error is still its own creation's.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

import aiosqlite
import msgspec

from server.audit.chain import CHAIN_VERSION, seal, sealed_values
from server.store import sqlite_ticket_rows as rows
from server.store import sqlite_tickets
from server.store.records import Messages, NewEvent, NewTicket, NewTimer, Ticket
from server.store.request_ids import tracking_code
from server.store.row_values import message_row, ticket_params
from server.store.sqlite_codec import parse_json_object, parse_time, time_text


class Apart(Exception):
    """This group is written one creation at a time instead (see the module's docstring)."""


class Creation(msgspec.Struct, frozen=True):
    """One ``create_ticket`` call as a writer's work: alone, ``sqlite_tickets.create_ticket``; with
    the creations queued beside it, :func:`create_together` (``Writer`` looks for ``together``). Its
    ``repr`` (aiosqlite's debug log names each job) shows neither the audit key nor the form's data."""

    new: NewTicket
    events: Sequence[NewEvent]
    messages: Messages
    timers: Sequence[NewTimer]
    now: datetime
    key: bytes

    def __repr__(self) -> str:
        return f"Creation(service_id={self.new.service_id!r})"

    def __call__(self, conn: sqlite3.Connection) -> tuple[Ticket, bool]:
        return sqlite_tickets.create_ticket(
            conn, self.new, self.events, self.messages, self.timers, now=self.now, key=self.key
        )

    @staticmethod
    def together(conn: sqlite3.Connection, works: Sequence[Creation]) -> list[tuple[Ticket, bool]]:
        return create_together(conn, works)


TICKETS = (
    "INSERT INTO tickets (id, number, tracking_code, service_id, definition_version_id, state, category,"
    " department, assignee_role, assignee_user, channel, requester_id, data, vars, version, created_at,"
    " updated_at, closed_at, idempotency_key, language, search_text)"
    " SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, value->>7,"
    " value->>8, value->>9, value->>10, value->>11, value->>12, value->>13, 1, value->>14, value->>15,"
    " NULL, value->>16, value->>17, value->>18 FROM json_each(?)"
)
EVENTS = (
    "INSERT INTO events (id, ticket_id, seq, at, actor_id, actor_name, actor_department, action,"
    " from_state, to_state, data, visibility, kind, definition_version_id, mac, chain_version, field_tags)"
    " SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, value->>7,"
    " value->>8, value->>9, value->>10, value->>11, value->>12, value->>13, value->>14, value->>15,"
    " value->>16 FROM json_each(?)"
)
ASSIGNMENTS = (
    "INSERT INTO assignments (ticket_id, event_id, at, department, role, user_id)"
    " SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5 FROM json_each(?)"
)
OUTBOX = (
    "INSERT INTO outbox (ticket_id, event_id, created_at, channel, recipient, template, language,"
    " subject, body, status, attempts, next_attempt_at, gateway_request_id, updated_at, last_error)"
    " SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, value->>7,"
    " value->>8, value->>9, 0, value->>10, value->>11, value->>12, value->>13 FROM json_each(?)"
)
TIMERS = (
    "INSERT INTO timers (ticket_id, timer, state, due_at, status)"
    " SELECT value->>0, value->>1, value->>2, value->>3, 'pending' FROM json_each(?)"
)

_encode = msgspec.json.Encoder().encode

BATCH = (
    "CREATE TEMP TABLE creation_batch (tickets TEXT, events TEXT, assignments TEXT, outbox TEXT, timers TEXT)",
    "CREATE TEMP TRIGGER creation_batch_insert AFTER INSERT ON creation_batch BEGIN\n"
    + ";\n".join(
        sql.replace("json_each(?)", f"json_each(NEW.{column})")
        for sql, column in (
            (TICKETS, "tickets"),
            (EVENTS, "events"),
            (ASSIGNMENTS, "assignments"),
            (OUTBOX, "outbox"),
            (TIMERS, "timers"),
        )
    )
    + ";\nDELETE FROM creation_batch;\nEND",
)
"""The writer connection's own (TEMP) table and trigger: a group's rows go in as one row of JSON arrays,
and the trigger inserts them into the five tables — one call into SQLite for all of them."""


async def prepare_writer(conn: aiosqlite.Connection) -> None:
    """Make ``BATCH`` on the writer's connection, once, outside any transaction (a TEMP table made
    inside a group's savepoint would go with its rollback)."""
    for statement in BATCH:
        await conn.execute(statement)


def _carried(items: Sequence[object]) -> bytes:
    """``items`` as the JSON array ``json_each`` reads (SQLite's JSON functions stop a text at NUL)."""
    payload = _encode(items)
    if b"\\u0000" in payload:
        raise Apart("a NUL in a text")
    return payload


def _check_keys(conn: sqlite3.Connection, works: Sequence[Creation]) -> None:
    keys = [w.new.idempotency_key for w in works if w.new.idempotency_key is not None]
    if not keys:
        return
    if len(set(keys)) != len(keys):
        raise Apart("an idempotency key twice in the group")
    taken = conn.execute(
        "SELECT 1 FROM tickets WHERE idempotency_key IN (SELECT value FROM json_each(?)) LIMIT 1",
        (_carried(keys),),
    ).fetchone()
    if taken is not None:
        raise Apart("an idempotency key already taken")


def create_together(conn: sqlite3.Connection, works: Sequence[Creation]) -> list[tuple[Ticket, bool]]:
    """Write ``works`` (inside the caller's transaction and savepoint); each one's answer, in order,
    as ``sqlite_tickets.create_ticket`` would give it. Raises :class:`Apart` (or SQLite's error) when the
    group must be written one creation at a time."""
    years = {w.now.year for w in works}
    if len(years) != 1:
        raise Apart("creations in two years")
    (year,) = years
    for w in works:
        if not w.events:
            raise Apart("a creation without events")  # create_ticket refuses it, alone
    _check_keys(conn, works)
    counted, last_ticket, last_event = conn.execute(
        "INSERT INTO ticket_counters (year, last) VALUES (?, ?)"
        " ON CONFLICT (year) DO UPDATE SET last = last + excluded.last RETURNING last,"
        " (SELECT coalesce(max(id), 0) FROM tickets), (SELECT coalesce(max(id), 0) FROM events)",
        (year, len(works)),
    ).fetchone()
    first_number = int(counted) - len(works) + 1
    tickets: list[tuple[object, ...]] = []
    events: list[tuple[object, ...]] = []
    assignments: list[tuple[object, ...]] = []
    outbox: list[tuple[object, ...]] = []
    timers: list[tuple[object, ...]] = []
    answers: list[tuple[Ticket, bool]] = []
    event_id = int(last_event)
    for index, w in enumerate(works):
        new = w.new
        ticket_id = int(last_ticket) + 1 + index
        number = f"{year:04d}-{first_number + index:06d}"
        at = time_text(w.now)
        code = new.tracking_code or tracking_code()
        params = ticket_params(new, code, at)
        tickets.append((ticket_id, number, *params))
        ticket = new.written(
            id=ticket_id,
            number=number,
            tracking_code=code,
            created_at=parse_time(at),
            data=parse_json_object(str(params[10])),
            vars=parse_json_object(str(params[11])),
        )
        prev_mac: str | None = None
        for seq, event in enumerate(w.events, start=1):
            values = rows.event_values(ticket_id, seq, event, ticket.definition_version_id)
            sealed = seal(w.key, sealed_values(values), prev_mac)
            event_id += 1
            events.append((event_id, *values.values(), sealed.mac, CHAIN_VERSION, sealed.tags_text()))
            prev_mac = sealed.mac
        if (ticket.department, ticket.assignee_role, ticket.assignee_user) != (None, None, None):
            assignments.append(
                (ticket_id, event_id, at, ticket.department, ticket.assignee_role, ticket.assignee_user)
            )
        messages = w.messages if isinstance(w.messages, Sequence) else w.messages(ticket)
        outbox.extend(message_row(ticket_id, event_id, at, m) for m in messages)
        timers.extend((ticket_id, t.timer, t.state, time_text(t.due_at)) for t in w.timers)
        answers.append((ticket, True))
    conn.execute(
        "INSERT INTO creation_batch (tickets, events, assignments, outbox, timers) VALUES (?, ?, ?, ?, ?)",
        tuple(_carried(table) for table in (tickets, events, assignments, outbox, timers)),
    )
    return answers
