"""A ticket transaction's rows on PostgreSQL, sent down a connection's pipeline (issue 14): the
statements of ``postgres_tickets``' creations and changes and of ``postgres_group``'s grouped
creations, each built whole from what the caller gives so that they go to the server in one round
trip: the number and the ticket in one statement (``CREATE``); then the events (sealed here), the
assignment and outbox rows tied to the last of them, and the timers in one more (``Rows``).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime

from psycopg import AsyncCursor, AsyncRawCursor
from psycopg.rows import dict_row

from server.audit.chain import CHAIN_VERSION, seal, sealed_values
from server.store.postgres_codec import Conn, Row, json_text, moment
from server.store.records import Messages, NewEvent, NewMessage, NewTicket, NewTimer, Ticket
from server.store.request_ids import request_id, tracking_code
from server.store.row_values import ticket_params
from server.store.sqlite_codec import parse_json_object, time_text

TICKET_COLUMNS = (
    "id, number, tracking_code, service_id, definition_version_id, state, category, department,"
    " assignee_role, assignee_user, channel, requester_id, data, vars, version, created_at, updated_at,"
    " closed_at, idempotency_key, language"
)


def ticket_from_row(row: Row) -> Ticket:
    return Ticket(**{name: row[name] for name in Ticket.__struct_fields__})


def holder(ticket: Ticket) -> tuple[str | None, str | None, str | None]:
    return (ticket.department, ticket.assignee_role, ticket.assignee_user)


def resolve(messages: Messages, ticket: Ticket) -> Sequence[NewMessage]:
    return messages if isinstance(messages, Sequence) else messages(ticket)


# The number and the ticket in one statement: the year's counter row is updated (and locked until
# commit) and the ticket inserted with the number it gives, ``YYYY-NNNNNN`` (more digits past 999,999).
# A taken idempotency key inserts nothing (no row back): the caller rolls the counter back with it.
CREATE = (
    "WITH counter AS (INSERT INTO ticket_counters (year, last) VALUES (%s, 1)"
    " ON CONFLICT (year) DO UPDATE SET last = ticket_counters.last + 1 RETURNING last)"
    " INSERT INTO tickets (number, tracking_code, service_id, definition_version_id, state, category,"
    " department, assignee_role, assignee_user, channel, requester_id, data, vars, version,"
    " created_at, updated_at, closed_at, idempotency_key, language, search_text)"
    " SELECT %s || '-' || CASE WHEN last < 1000000 THEN lpad(last::text, 6, '0') ELSE last::text END,"
    " %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::json, %s::json, 1, %s, %s, NULL, %s, %s, %s FROM counter"
    f" ON CONFLICT (idempotency_key) DO NOTHING RETURNING {TICKET_COLUMNS}"
)


def create_params(new: NewTicket, now: datetime) -> tuple[object, ...]:
    """``CREATE``'s parameters for ``new`` created at ``now``."""
    return (
        now.year,
        f"{now.year:04d}",
        *ticket_params(new, new.tracking_code or tracking_code(), moment(now)),
    )


# A group's numbers and row ids, drawn at once (``postgres_group``): the year's counter moved by the
# group's size (its row locked until the group commits, as one creation's would be) and as many ids
# from the tickets' identity sequence, which an insert with no id would have drawn one at a time.
RESERVE = (
    "WITH counter AS (INSERT INTO ticket_counters (year, last) VALUES (%s, %s)"
    " ON CONFLICT (year) DO UPDATE SET last = ticket_counters.last + EXCLUDED.last RETURNING last)"
    " SELECT last, ARRAY(SELECT nextval(pg_get_serial_sequence('tickets', 'id'))"
    " FROM generate_series(1, %s)) AS ids FROM counter"
)

# A new ticket's row with the id and number drawn for it: the first part of its one statement.
INSERT_RESERVED = (
    "INSERT INTO tickets (id, number, tracking_code, service_id, definition_version_id, state, category,"
    " department, assignee_role, assignee_user, channel, requester_id, data, vars, version,"
    " created_at, updated_at, closed_at, idempotency_key, language, search_text)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::json, %s::json, 1, %s, %s, NULL, %s, %s, %s)"
)


def number_text(year: int, number: int) -> str:
    """``YYYY-NNNNNN`` (more digits past 999,999), as ``CREATE`` spells it in SQL."""
    return f"{year:04d}-{number:06d}"


def reserved_creation(
    key: bytes,
    new: NewTicket,
    events: Sequence[NewEvent],
    messages: Messages,
    timers: Sequence[NewTimer],
    now: datetime,
    *,
    row_id: int,
    number: str,
) -> tuple[Ticket, tuple[str, list[object]]]:
    """A new ticket whose id and number were drawn (``RESERVE``): the ticket as it will be written, and
    its whole creation as ONE statement — its row, its events sealed from the start of its chain, its
    assignment when it has a holder, its messages (built from it) and its timers. A taken idempotency
    key or any other refusal fails the statement (the group is then undone and run alone)."""
    params = create_params(new, now)[2:]  # without the year the counter is moved by
    created = moment(now)
    ticket = new.written(
        id=row_id,
        number=number,
        tracking_code=str(params[0]),
        created_at=created,
        data=parse_json_object(str(params[10])),  # as the json column reads back
        vars=parse_json_object(str(params[11])),
    )
    statement = Rows()
    statement.add("tk", INSERT_RESERVED, (row_id, number, *params))
    statement.events(key, row_id, new.definition_version_id, events, (0, None))
    statement.after_events(
        ticket, holder(ticket) != (None, None, None), resolve(messages, ticket), timers, created
    )
    return ticket, statement.statement()


@functools.lru_cache(maxsize=256)
def numbered(sql: str) -> str:
    """``sql`` with PostgreSQL's own placeholders, ``$1, $2…``, for each ``%s`` in turn (the
    statements here hold no other ``%``)."""
    parts = sql.split("%s")
    return "".join(f"{part}${n}" for n, part in enumerate(parts[:-1], start=1)) + parts[-1]


async def queue_numbered(conn: Conn, sql: str, params: Sequence[object]) -> AsyncCursor[Row]:
    """:func:`queue` for a statement of many parameters (a whole creation: 60 and more): psycopg keeps
    the parsed form of a statement of at most 50 and parses a longer one at every call, so it is sent
    through a raw cursor with its placeholders numbered here, once per shape (:func:`numbered`)."""
    cursor: AsyncCursor[Row] = AsyncRawCursor(conn, row_factory=dict_row)
    await cursor.execute(numbered(sql), params)
    return cursor


async def queue(conn: Conn, sql: str, params: Sequence[object]) -> AsyncCursor[Row]:
    """Send one statement down the connection's pipeline; its answer is read later (or at commit)."""
    cursor = conn.cursor(row_factory=dict_row)
    await cursor.execute(sql, params)
    return cursor


class Rows:
    """One statement of data-modifying CTEs for what a ticket's transaction writes after the ticket's
    row (and, for a change, the row's update too): PostgreSQL runs each CTE once, whether or not the
    statement reads it, so the events, assignment, outbox rows, timers and the timers' cancelling go
    to the server as one statement — parsed, planned (prepared after a few) and answered once. The
    assignment and the outbox rows take the id of the last event inserted by ``ev`` (``last``)."""

    def __init__(self) -> None:
        self.ctes: list[str] = []
        self.params: list[object] = []
        self.result = "SELECT 1"

    def add(self, name: str, sql: str, params: Sequence[object]) -> None:
        self.ctes.append(f"{name} AS ({sql})")
        self.params += params

    def statement(self) -> tuple[str, list[object]]:
        return f"WITH {', '.join(self.ctes)} {self.result}", self.params

    def events(
        self,
        key: bytes,
        ticket_id: int,
        version_id: int | None,
        events: Sequence[NewEvent],
        head: tuple[int, str | None],
    ) -> None:
        """``append_events``' rows as one multi-row INSERT: each event sealed after the one before it
        (``head``: the seq and seal of the ticket's last event, read under its row lock)."""
        last_seq, prev_mac = head
        rows: list[object] = []
        for seq, event in enumerate(events, start=last_seq + 1):
            values = {
                "ticket_id": ticket_id,
                "seq": seq,
                "at": time_text(moment(event.at)),
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
            rows += (*values.values(), sealed.mac, CHAIN_VERSION, sealed.tags_text())
            prev_mac = sealed.mac
        one = "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s::json, %s, %s, %s, %s, %s, %s)"
        self.add(
            "ev",
            "INSERT INTO events (ticket_id, seq, at, actor_id, actor_name, actor_department, action,"
            " from_state, to_state, data, visibility, kind, definition_version_id, mac, chain_version,"
            " field_tags) VALUES " + ", ".join([one] * len(events)) + " RETURNING id, seq",
            rows,
        )
        self.ctes.append("last AS (SELECT id FROM ev ORDER BY seq DESC LIMIT 1)")

    def after_events(
        self,
        ticket: Ticket,
        assigned: bool,
        messages: Sequence[NewMessage],
        timers: Sequence[NewTimer],
        at: datetime,
    ) -> None:
        """The assignment (when the holder changed) and the outbox messages, tied to the last event
        (``record_assignment``'s and ``postgres_outbox.insert_messages``' rows); the new timers."""
        if assigned:
            self.add(
                "assigned",
                "INSERT INTO assignments (ticket_id, event_id, at, department, role, user_id)"
                " VALUES (%s, (SELECT id FROM last), %s, %s, %s, %s)",
                (ticket.id, at, ticket.department, ticket.assignee_role, ticket.assignee_user),
            )
        if messages:
            one = "(%s, (SELECT id FROM last), %s, %s, %s, %s, %s, %s, %s, %s, 0, %s, %s, %s, %s)"
            rows: list[object] = []
            for m in messages:
                status = "pending" if m.undeliverable is None else "dead"
                rows += (ticket.id, at, m.channel, m.recipient, m.template, m.language, m.subject)
                rows += (m.body, status, at, request_id(), at, m.undeliverable)
            self.add(
                "sent",
                "INSERT INTO outbox (ticket_id, event_id, created_at, channel, recipient, template, language,"
                " subject, body, status, attempts, next_attempt_at, gateway_request_id, updated_at, last_error)"
                " VALUES " + ", ".join([one] * len(messages)),
                rows,
            )
        if timers:
            rows = []
            for t in timers:
                rows += (ticket.id, t.timer, t.state, moment(t.due_at))
            self.add(
                "timed",
                "INSERT INTO timers (ticket_id, timer, state, due_at, status) VALUES "
                + ", ".join(["(%s, %s, %s, %s, 'pending')"] * len(timers)),
                rows,
            )


async def queue_created(
    conn: Conn,
    key: bytes,
    ticket: Ticket,
    events: Sequence[NewEvent],
    messages: Messages,
    timers: Sequence[NewTimer],
    now: datetime,
) -> None:
    """What follows a new ticket's row (``CREATE``'s answer), as one statement down the pipeline: its
    events, sealed from the start of its chain, its assignment when it has a holder, its messages
    (built from it) and its timers."""
    rows = Rows()
    rows.events(key, ticket.id, ticket.definition_version_id, events, (0, None))
    rows.after_events(
        ticket, holder(ticket) != (None, None, None), resolve(messages, ticket), timers, moment(now)
    )
    await queue(conn, *rows.statement())
