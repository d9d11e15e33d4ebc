"""How a task list is walked: a page by its number (an ``OFFSET``) or from a row's key (a ``cursor``,
the "next" and "previous" links), and the ticket after one (the ticket page's "next ticket").

A cursor is the key of the row a page starts next to (``server.store.records.TaskKey``): ``a`` (the
page after it) or ``b`` (the page before it), the ticket's id, and the times the list's order sorts by
in microseconds since 1970 (UTC). The store reads the page from the key through the order's index
(``task_clauses.seek_page``), so a deep page costs what the first does."""

from __future__ import annotations

import datetime as dt
import re

import msgspec

from server.store.interface import Store
from server.store.records import Seek, TaskFilter, TaskKey, TaskOrder, TaskRow

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)
_CURSOR = re.compile(r"([ab])([1-9][0-9]{0,17})\.([0-9]{1,17})(?:\.([0-9]{1,17}))?")


def cursor_of(row: TaskRow, order: TaskOrder, *, backwards: bool = False) -> str:
    """The ``cursor`` of the page after ``row`` (or, ``backwards``, before it): ``a`` (after) or ``b``
    (before), the ticket's id, and the times ``order`` sorts by in microseconds since 1970 (UTC) — its
    update or creation time, and by due time its due time when it has one. Opaque to the user; a
    forged one reads no more than the list's filter and read scope allow."""
    key = TaskKey.of(row, order)
    parts = [f"{'b' if backwards else 'a'}{key.id}", str((key.at - _EPOCH) // _MICROSECOND)]
    if key.due_at is not None:
        parts.append(str((key.due_at - _EPOCH) // _MICROSECOND))
    return ".".join(parts)


def parse_cursor(text: str) -> Seek | None:
    """The :class:`Seek` a ``cursor`` names; None when it is empty or not one."""
    match = _CURSOR.fullmatch(text)
    if match is None:
        return None
    direction, ticket_id, at, due = match.groups()  # 17 digits of µs: before the year 5139, no overflow
    key = TaskKey(
        id=int(ticket_id),
        at=_EPOCH + int(at) * _MICROSECOND,
        due_at=None if due is None else _EPOCH + int(due) * _MICROSECOND,
    )
    return Seek(key=key, backwards=direction == "b")


async def page_rows(
    store: Store,
    task_filter: TaskFilter,
    order: TaskOrder,
    seek: Seek | None,
    page: int,
    *,
    total: int | None,
    page_size: int,
) -> tuple[list[TaskRow], bool, int]:
    """Page ``page``'s rows, whether a page follows, and the page's number: read from the cursor's key
    when there is one (the rows after the last of the page before, or before the first of the page
    after), else by offset, with one row more to know whether a next page follows. A cursor that finds
    nothing after its key (the list shrank), or less than a page before it (the list's start), gives way
    to the offset: the page by its number, or the first."""
    if seek is not None and not seek.backwards:
        rows = await store.list_tasks(task_filter, order, offset=0, limit=page_size + 1, seek=seek)
        if rows:
            return rows[:page_size], len(rows) > page_size, page
    elif seek is not None:
        rows = await store.list_tasks(task_filter, order, offset=0, limit=page_size + 1, seek=seek)
        if len(rows) > page_size:  # a page before this one too: this is not the first
            after = msgspec.structs.replace(seek, backwards=False)
            following = await store.list_task_ids(task_filter, order, offset=0, limit=1, seek=after)
            return rows[1:], bool(following), max(page, 2)
        page = 1
    rows = await store.list_tasks(
        task_filter, order, offset=(page - 1) * page_size, limit=page_size + 1, total=total
    )
    return rows[:page_size], len(rows) > page_size, page


async def next_in_list(store: Store, task_filter: TaskFilter, order: TaskOrder, after: int) -> int | None:
    """The ticket after ``after`` in the list (in the list's order), or None at the end of the list.
    When ``after`` is not (or no longer) in the list — it moved on after an action — the list's
    first ticket. Read from ``after``'s key as it is now, however deep in the list it stands: the two
    ids from just before it (the same times, the id one step back in the list's order) are ``after``
    itself, when the list holds it, and the ticket that follows it."""
    ticket = await store.get_ticket(after)
    if ticket is not None:
        back = 1 if order.key == "due" or order.descending else -1  # the id sorts last, this way
        key = TaskKey(
            id=after + back,
            at=getattr(ticket, order.column),
            due_at=await store.ticket_due(after) if order.key == "due" else None,
        )
        ids = await store.list_task_ids(task_filter, order, offset=0, limit=2, seek=Seek(key=key))
        if ids[:1] == [after]:
            return ids[1] if len(ids) > 1 else None
    first = await store.list_task_ids(task_filter, order, offset=0, limit=2)
    return next((ticket_id for ticket_id in first if ticket_id != after), None)
