"""Staff task lists, SQLite side: a :class:`~server.tickets.tasks.TaskFilter`'s page and counts, and how
each is read. The WHERE clause itself is built in ``sqlite_task_where`` (the orders, shared with
PostgreSQL, in ``task_clauses``).

The viewer's read scope (``server/access.py``) is part of every WHERE clause — of the rows
and of the counts — unless the view alone already keeps the list inside it
(``TaskFilter.scope_implied``: the scope reads everything, or the list is of departments the scope
reads whole). Values are always bound parameters, never spliced into the SQL.

Plans (``EXPLAIN QUERY PLAN``, 100,000 tickets; ``bench/bench_tasks.py``): a department's list walks
``tickets_department_updated`` (or ``_created``) in order and stops after the page; its counts sum
``ticket_counts`` (migration 0013: tickets per holder, service, channel, state and category, kept by
triggers) when the filter names only those columns, else read the tickets' indexes (a department's:
``tickets_department_queue``, covering); the requester's account name and the ticket's
form data (``t.data``, for the requester and subject columns) are joined to the page's 25 rows only.

Sorted by due time (migration 0012): the due time is the ticket row's ``due_at`` (kept by triggers on
``timers``). The list is two ordered parts — the tickets with a due time, in due order, from the
partial indexes ``tickets_due`` / ``tickets_department_due`` (a department's list reads the latter;
every other view walks the former in order); then those without, most recently updated first, from the
update-order indexes — each cut at the page's end, merged, and the page taken from that.

Free text (0012): a query of three characters or more matches through the FTS5 trigram table
``tickets_text`` (the number and the search text); a shorter one cannot (a trigram is three
characters) and stays a ``LIKE``: tested on the rows the list's walk reaches when many tickets hold it,
else over the whole table once, in its own order, and its few matches read by id (``short_text_ids``).
A text many tickets hold is tested on the rows the list's index walk reaches, which stops at the
page's end (``choose_way``).

Dates: a wide creation-date range is tested on the rows the list's walk reaches; a narrow one read
through the date index. The exact counts are ``sqlite_task_totals``'; those that stop at a bound (free
text), ``sqlite_task_counts``'.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

import aiosqlite
import msgspec

from server.store.records import Seek, TaskFilter, TaskOrder, TaskRow, Ticket
from server.store.sqlite_codec import (
    fetch_all,
    fetch_one,
    maybe_parse_time,
    parse_json_object,
    parse_time,
    time_text,
)
from server.store.sqlite_task_totals import COMMON, filter_size
from server.store.sqlite_task_where import TRIGRAM, TextWay, short_text_clause, text_match, where
from server.store.sqlite_tickets import ticket_from_row
from server.store.task_clauses import DUE_ORDER, KEY_COLUMNS, SQLITE, from_the_end, order_by, seek_page

WALK_ROWS = 5000
"""A common text's page is read by testing the rows its index walk reaches (``row``) when that walk is
expected to read at most this many tickets (about 12 ms at a million); else the set of the text's
matches is built first (``set``: about 50 ms for 124,534 matches at a million tickets, whatever the
page) and the index walked without reading rows — so no page costs more than that however deep it is.
The expectation: the matches are spread over the tickets' ids (``text_spread``), so a page ending at
the list's ``end``-th ticket walks about ``end`` × (ids per match) tickets."""


async def text_spread(conn: aiosqlite.Connection, text: str) -> tuple[int, int]:
    """How many tickets hold ``text`` (through the trigram index, counted up to ``COMMON``), and the
    id of the last one counted: matches come in id order, so ``COMMON`` matches among the first ``id``
    tickets say how thinly the text is spread (the same read as ``common``: under a millisecond)."""
    row = await fetch_one(
        conn,
        "SELECT count(*), max(rowid) FROM"
        " (SELECT rowid FROM tickets_text WHERE tickets_text MATCH ? LIMIT ?)",
        (text_match(text), COMMON),
    )
    return (int(row[0]), int(row[1] or 0)) if row is not None else (0, 0)


WIDE = 1000
"""A creation-date range that at least this many tickets (of all) fall in — counted from the date
index and stopped there — is *wide*; a list in update order whose walk reaches such a range within
this many tickets (``walk_reaches_dates``) walks its own index and tests each ticket's date, instead
of reading the whole range and sorting it."""


class Way(msgspec.Struct, frozen=True):
    """How a list's page query reads the tickets (``choose_way``)."""

    text: TextWay = "index"
    date_index: bool = True
    """False: the dates are tested on each row the list's index walk reaches."""
    ids: tuple[int, ...] | None = None
    """A text shorter than a trigram that few tickets hold: the ids of all that do (``short_text_ids``),
    the rows to read instead of walking the list's index testing each one."""


async def _count_upto(conn: aiosqlite.Connection, index: str, clauses: list[str], params: list[Any]) -> int:
    """How many tickets ``clauses`` (over one column of ``index``) select, counted up to ``WIDE``."""
    row = await fetch_one(
        conn,
        f"SELECT count(*) FROM (SELECT 1 FROM tickets INDEXED BY {index}"  # noqa: S608 (fixed names)
        f" WHERE {' AND '.join(clauses)} LIMIT ?)",
        (*params, WIDE),
    )
    return int(row[0]) if row is not None else 0


async def walk_reaches_dates(conn: aiosqlite.Connection, task_filter: TaskFilter, order: TaskOrder) -> bool:
    """Whether a list in update or due order should walk its index testing each ticket's creation date: the
    range is wide (at least ``WIDE`` tickets of all, from ``tickets_created``) and the walk reaches it
    soon. A ticket is updated at or after its creation (every write keeps it; migration 0016), so oldest
    first the walk starts at the range's start (``where`` adds ``updated_at >= start``); newest first it
    must pass every ticket updated after the range's end, so it walks only when fewer than ``WIDE`` were
    (from ``tickets_updated``) — a range months back is read through the date index and sorted. By due time the walk is
    that of the newest first (the tickets with a due time, walked first, are few). Two counts stopped
    at a thousand: about a millisecond."""
    start, before = task_filter.created_from, task_filter.created_before
    if order.key == "created" or (start is None and before is None):
        return False  # in creation order the date index is the list's own: its range is the walk's start
    clauses, params = [], []
    for clause, moment in (("created_at >= ?", start), ("created_at < ?", before)):
        if moment is not None:
            clauses.append(clause)
            params.append(time_text(moment))
    if await _count_upto(conn, "tickets_created", clauses, params) < WIDE:
        return False
    # by due time: the tickets with a due time (few: the partial index) first, then the rest newest first
    newest_first = order.descending or order.key == "due"
    if not newest_first or before is None:
        return True  # oldest first the walk starts at the range's start (``where``: ``updated_at >= start``)
    return await _count_upto(conn, "tickets_updated", ["updated_at >= ?"], [time_text(before)]) < WIDE


async def choose_way(
    conn: aiosqlite.Connection, task_filter: TaskFilter, order: TaskOrder, *, end: int
) -> Way:
    """The way a page ending at the list's ``end``-th ticket is read: a rare text through the trigram
    index's matches; a common one by testing the rows the list's index walk reaches when that walk is
    short (``WALK_ROWS``), else by the set of its matches (a deep page, a thinly spread text); a wide
    date range the walk reaches soon by testing each row's date (``walk_reaches_dates``), any other
    through the date index. Each estimate is a count stopped at a thousand: about a millisecond."""
    text = task_filter.text
    if text and len(text) >= TRIGRAM:
        matches, last = await text_spread(conn, text)
        if matches < COMMON:
            return Way(text="index")
        way = Way(text="row" if end * last <= WALK_ROWS * matches else "set")
    elif text:
        size = await filter_size(conn, task_filter)
        small = size is not None and size <= SMALL_FILTER  # its walk ends soon however rare the text
        way = Way(ids=None if small else await short_text_ids(conn, text))
    else:
        way = Way()
    if await walk_reaches_dates(conn, task_filter, order):
        return Way(text=way.text, date_index=False, ids=way.ids)
    return way


SMALL_FILTER = 10_000
"""A list (without its text) of at most this many tickets — read from the aggregates — is walked testing
a short text on each ticket, whatever the text: at most this many rows read."""


async def short_text_ids(conn: aiosqlite.Connection, text: str) -> tuple[int, ...] | None:
    """The ids of every ticket a text shorter than a trigram matches when fewer than ``COMMON`` do; None
    when at least ``COMMON`` do. One pass over the table in its own order, stopped at ``COMMON`` matches:
    a common text stops it early, a rare one reads every row once, in order — where walking a list's
    index to test each ticket reads them all in random order (11 s instead of 0.3 s at a million)."""
    clause, params = short_text_clause(text)
    rows = await fetch_all(
        conn,
        f"SELECT t.id FROM tickets t NOT INDEXED WHERE {clause} LIMIT ?",  # noqa: S608 (fixed fragments)
        (*params, COMMON),
    )
    return None if len(rows) >= COMMON else tuple(int(row[0]) for row in rows)


def _page(
    task_filter: TaskFilter,
    order: TaskOrder,
    columns: str,
    *,
    offset: int,
    limit: int,
    way: Way,
    seek: Seek | None = None,
) -> tuple[str, list[Any]]:
    """The SELECT of one page's ``columns`` (from ``tickets t``, in the list's order) and its parameters:
    from ``offset``, or next to ``seek``'s key (``task_clauses.seek_page``; ``offset`` is then unused)."""
    clause, params = where(task_filter, text_way=way.text, date_index=way.date_index, text_ids=way.ids)
    if seek is not None:
        return seek_page(order, seek, columns, clause, params, limit, SQLITE)
    if order.key != "due":
        sql = f"SELECT {columns} FROM tickets t WHERE {clause} ORDER BY {order_by(order)} LIMIT ? OFFSET ?"  # noqa: S608
        return sql, [*params, limit, offset]
    # Two parts, each in an index's order: the tickets with a due time (the partial indexes hold only
    # those), then the others by update time. The first part comes whole before the second, so the page
    # is the first part's rows from ``offset``, then the second's from ``offset`` less the first part's
    # size. The first part is read once up to the page's end (``a``: its size, when it ends before the
    # page does, is exact); the second from its own offset, never read past the page. Deep in the
    # second part (``DEEP``) its tickets are the list's less those with a due time (a set built once),
    # so the walk of the update-order index reads no table row for ``due_at IS NULL``.
    direction = "DESC" if order.descending else "ASC"
    if offset >= DEEP:
        without = f"t.id NOT IN (SELECT t.id FROM tickets t WHERE {clause} AND t.due_at IS NOT NULL)"  # noqa: S608
        without_params, later = params, columns.replace("t.due_at", "NULL AS due_at")
    else:
        without, without_params, later = "t.due_at IS NULL", [], columns
    sql = (
        f"WITH a AS MATERIALIZED (SELECT {columns}, 0 AS late FROM tickets t"  # noqa: S608
        f" WHERE {clause} AND t.due_at IS NOT NULL"
        f" ORDER BY t.due_at {direction}, t.updated_at DESC, t.id DESC LIMIT ?)"
        f" SELECT * FROM (SELECT * FROM (SELECT * FROM a ORDER BY due_at {direction}, updated_at DESC, id DESC"
        f" LIMIT ? OFFSET ?)"
        f" UNION ALL SELECT * FROM (SELECT {later}, 1 AS late FROM tickets t"
        f" WHERE {clause} AND {without} ORDER BY t.updated_at DESC, t.id DESC"
        f" LIMIT ? OFFSET max(? - (SELECT count(*) FROM a), 0)))"
        f" ORDER BY {DUE_ORDER.format(direction=direction)} LIMIT ?"
    )
    return sql, [*params, offset + limit, limit, offset, *params, *without_params, limit, offset, limit]


DEEP = 1000
"""A page by due time starting this far down its list excludes the tickets with a due time from the
second part's walk by their ids (``t.id NOT IN``: a set of the open tickets with a timer, built once)
instead of testing each walked ticket's row (``due_at IS NULL``: a table row read per ticket — a
department's last page at 1,000,000 tickets walked 123,000 of them, 0.35 s)."""


def _row(row: sqlite3.Row) -> TaskRow:
    return TaskRow(
        id=row["id"],
        number=row["number"],
        service_id=row["service_id"],
        definition_version_id=row["definition_version_id"],
        state=row["state"],
        category=row["category"],
        department=row["department"],
        assignee_role=row["assignee_role"],
        assignee_user=row["assignee_user"],
        assignee_name=row["assignee_name"],
        channel=row["channel"],
        created_at=parse_time(row["created_at"]),
        updated_at=parse_time(row["updated_at"]),
        due_at=maybe_parse_time(row["due_at"]),
        requester_name=row["requester_name"],
        data=parse_json_object(row["data"]),
    )


def list_sql(
    task_filter: TaskFilter,
    order: TaskOrder,
    *,
    offset: int,
    limit: int,
    way: Way | None = None,
    seek: Seek | None = None,
) -> tuple[str, list[Any]]:
    """The page query: the page's ids are chosen first (in index order where possible), then only
    those rows are joined to their assignee, requester and form data (in the list's order, however
    they were chosen)."""
    page, params = _page(
        task_filter, order, KEY_COLUMNS[order.key], offset=offset, limit=limit, way=way or Way(), seek=seek
    )
    if order.key == "due":
        due_order = DUE_ORDER.format(direction="DESC" if order.descending else "ASC")
        outer = ", ".join(f"p.{term}" for term in due_order.split(", "))
    else:
        outer = order_by(order, "p")
    # every value is a bound parameter; the SQL is built from fixed fragments only
    sql = (
        f"WITH p AS ({page})"  # noqa: S608
        " SELECT t.id, t.number, t.service_id, t.definition_version_id, t.state, t.category, t.department,"
        " t.assignee_role, t.assignee_user, u.name AS assignee_name, t.channel, t.created_at, t.updated_at,"
        " t.due_at, r.name AS requester_name, t.data"
        " FROM p JOIN tickets t ON t.id = p.id LEFT JOIN users u ON u.id = t.assignee_user"
        " LEFT JOIN users r ON r.id = t.requester_id"
        f" ORDER BY {outer}"
    )
    return sql, params


async def list_tasks(
    conn: aiosqlite.Connection,
    task_filter: TaskFilter,
    order: TaskOrder,
    *,
    offset: int,
    limit: int,
    total: int | None = None,
    seek: Seek | None = None,
) -> list[TaskRow]:
    turned = None if seek is not None else from_the_end(order, offset, limit, total)
    if turned is not None:
        order, offset, limit = turned
        if limit == 0:
            return []
        return (await list_tasks(conn, task_filter, order, offset=offset, limit=limit))[::-1]
    # from a key the walk starts there: it reads ``limit`` rows, not ``offset`` + ``limit``
    way = await choose_way(conn, task_filter, order, end=limit if seek is not None else offset + limit)
    sql, params = list_sql(task_filter, order, offset=offset, limit=limit, way=way, seek=seek)
    rows = await fetch_all(conn, sql, params)
    return [_row(row) for row in rows]


def ids_sql(
    task_filter: TaskFilter,
    order: TaskOrder,
    *,
    offset: int,
    limit: int,
    way: Way | None = None,
    seek: Seek | None = None,
) -> tuple[str, list[Any]]:
    """The ids of the page query's rows, in its order (from a key backwards: the reversed order),
    without joining anything to them."""
    columns = "t.id, t.updated_at, t.due_at" if order.key == "due" else "t.id"
    return _page(task_filter, order, columns, offset=offset, limit=limit, way=way or Way(), seek=seek)


async def list_task_ids(
    conn: aiosqlite.Connection,
    task_filter: TaskFilter,
    order: TaskOrder,
    *,
    offset: int,
    limit: int,
    seek: Seek | None = None,
) -> list[int]:
    way = await choose_way(conn, task_filter, order, end=limit if seek is not None else offset + limit)
    sql, params = ids_sql(task_filter, order, offset=offset, limit=limit, way=way, seek=seek)
    ids = [int(row["id"]) for row in await fetch_all(conn, sql, params)]
    return ids[::-1] if seek is not None and seek.backwards else ids  # chosen walking back


# --- the search column -----------------------------------------------------------------------------


WITHOUT_SEARCH_TEXT = "SELECT * FROM tickets WHERE search_text IS NULL ORDER BY id LIMIT ?"
"""Asked at every start (``TicketService.fill_search_texts``): ``tickets_search_missing`` (0018), an
index of only the tickets without one, answers it without reading the others."""


async def tickets_without_search_text(conn: aiosqlite.Connection, limit: int) -> list[Ticket]:
    rows = await fetch_all(conn, WITHOUT_SEARCH_TEXT, (limit,))
    return [ticket_from_row(row) for row in rows]


async def set_search_texts(conn: aiosqlite.Connection, texts: Mapping[int, str]) -> None:
    await conn.executemany(
        "UPDATE tickets SET search_text = ? WHERE id = ?", [(text, i) for i, text in texts.items()]
    )
