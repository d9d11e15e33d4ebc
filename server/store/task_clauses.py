"""The parts of a task list's WHERE clause that both backends write alike (``sqlite_tasks``,
``postgres_tasks``): the viewer's read scope (the rule of ``server.access.may_read`` in SQL) and the
view's holders. Only the dialect differs — a parameter's mark, a list of values, false — so it is
given, and the rule is written once. Values are always bound parameters, never spliced into the SQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from server.store.records import Seek, TaskCounts, TaskFilter, TaskOrder
from server.store.sqlite_codec import time_text


class Dialect(msgspec.Struct, frozen=True):
    mark: str
    """A parameter's placeholder: ``?`` or ``%s``."""
    false: str
    """The SQL for false: ``0`` or ``FALSE``."""
    member: Callable[[str, frozenset[str], list[Any]], str]
    """``column`` is one of the values (their parameters appended)."""
    time: Callable[[dt.datetime], Any]
    """A moment as the backend's columns hold it: SQLite's text, PostgreSQL's ``timestamptz``."""


def _sqlite_in(column: str, values: frozenset[str], params: list[Any]) -> str:
    ordered = sorted(values)
    params.extend(ordered)
    return f"{column} IN ({', '.join('?' * len(ordered))})"


def _postgres_in(column: str, values: frozenset[str], params: list[Any]) -> str:
    """One value is ``=``: PostgreSQL (before 17) reads an index in its order under ``= ANY(array)``
    only after sorting what it found — a department's list as ``department = ANY('{classrooms}')`` read
    all its 123,232 entries and sorted them for a deep page (35 ms), as ``department = 'classrooms'`` it
    walks ``tickets_department_updated`` backwards and stops at the page (15 ms)."""
    if len(values) == 1:
        params.extend(values)
        return f"{column} = %s"
    params.append(sorted(values))
    return f"{column} = ANY(%s)"


def _utc(moment: dt.datetime) -> dt.datetime:
    """``postgres_codec.moment`` for keys, which are aware already: that module imports psycopg, which
    a SQLite server never loads."""
    return moment.astimezone(dt.UTC)


SQLITE = Dialect(mark="?", false="0", member=_sqlite_in, time=time_text)
POSTGRES = Dialect(mark="%s", false="FALSE", member=_postgres_in, time=_utc)


def scope_clause(task_filter: TaskFilter, params: list[Any], sql: Dialect) -> str | None:
    """The read rule of ``server.access.may_read`` in SQL; None when it needs no condition."""
    scope = task_filter.scope
    if task_filter.scope_implied:
        return None
    parts = []
    if scope.departments:
        parts.append(sql.member("t.department", scope.departments, params))
    if scope.services:
        parts.append(sql.member("t.service_id", scope.services, params))
    if scope.user_id is not None:
        parts.append(f"t.assignee_user = {sql.mark}")
        params.append(scope.user_id)
    if scope.requester_id is not None:
        parts.append(f"t.requester_id = {sql.mark}")
        params.append(scope.requester_id)
    return "(" + " OR ".join(parts) + ")" if parts else sql.false


def view_clauses(task_filter: TaskFilter, params: list[Any], sql: Dialect) -> list[str]:
    """The view's conditions: the user's own tasks and queues (``mine``), the holding departments."""
    clauses = []
    if task_filter.mine:
        mine = []
        if task_filter.assigned_user is not None:
            mine.append(f"t.assignee_user = {sql.mark}")
            params.append(task_filter.assigned_user)
        if task_filter.queue_roles:
            queue = [
                "t.assignee_user IS NULL",
                sql.member("t.assignee_role", task_filter.queue_roles, params),
            ]
            if task_filter.queue_department is not None:
                queue.append(f"t.department = {sql.mark}")
                params.append(task_filter.queue_department)
            mine.append("(" + " AND ".join(queue) + ")")
        clauses.append("(" + " OR ".join(mine) + ")")
    if task_filter.held_by is not None:
        held = [sql.member("t.department", task_filter.held_by, params)] if task_filter.held_by else []
        if task_filter.unheld:
            held.append("t.department IS NULL")
        clauses.append("(" + " OR ".join(held) + ")" if held else sql.false)
    return clauses


def bounded(counts: dict[str, int], bound: int) -> TaskCounts:
    """Counts per category as they are when they add up to at most ``bound`` tickets, else "more than
    ``bound``" — the one rule both backends' ``count_tasks_bounded`` answer by, whatever they read."""
    if sum(counts.values()) > bound:
        return TaskCounts(more_than=bound)
    return TaskCounts(counts={c: n for c, n in counts.items() if n > 0})


def order_by(order: TaskOrder, table: str = "t") -> str:
    """The order of the lists by update or creation time, on both backends (by due time: ``DUE_ORDER``)."""
    direction = "DESC" if order.descending else "ASC"
    return f"{table}.{order.column} {direction}, {table}.id {direction}"


DUE_ORDER = "late, due_at {direction}, updated_at DESC, id DESC"
"""Tickets with a due time (``late`` 0) first, in due order; then those without (1); within either, the
most recently updated first."""


def from_the_end(
    order: TaskOrder, offset: int, limit: int, total: int | None
) -> tuple[TaskOrder, int, int] | None:
    """A page past the middle of a list of ``total`` tickets, as the same rows read from the list's
    other end: the reversed order, and the offset and limit there (the rows come back turned round;
    the caller turns them again). An ``OFFSET`` then walks at most half the list — the last page of
    a million tickets is the first of the reversed order. None: read the page as asked (the total is
    not known exactly, the page is in the first half, or the order is by due time, whose two parts
    are not one order to reverse)."""
    if total is None or order.key == "due" or 2 * offset <= total:
        return None
    end = min(offset + limit, total)
    return TaskOrder(key=order.key, descending=not order.descending), total - end, max(end - offset, 0)


KEY_COLUMNS = {
    "updated": "t.id, t.updated_at",
    "created": "t.id, t.created_at",
    "due": "t.id, t.updated_at, t.due_at",
}
"""What a page's choice of ids selects in each order (``list_sql`` on both backends): the id and what the
order sorts by, which the order's indexes hold — so the tickets an ``OFFSET`` walks past are index entries,
not table rows (SQLite's indexes hold the rowid; PostgreSQL's end with the id, pg 0010)."""


# --- pages read from a row's key (``Seek``) ---------------------------------------------------------

Term = tuple[str, bool]
"""A column of an order and whether it runs descending."""


class _Part(msgspec.Struct, frozen=True):
    """One ordered part of a list: its condition (None: every ticket), the terms it is sorted by, and
    by due time its ``late`` (0: the tickets with a due time, 1: those without; None: one part)."""

    condition: str | None
    terms: tuple[Term, ...]
    late: int | None = None


def _parts(order: TaskOrder, backwards: bool) -> list[_Part]:
    """The list's parts in the order they come (``backwards``: the last first, each one turned round):
    by update or creation time one; by due time the tickets with a due time, then the others
    (``DUE_ORDER``)."""
    if order.key == "due":
        parts = [
            _Part(
                "t.due_at IS NOT NULL", (("due_at", order.descending), ("updated_at", True), ("id", True)), 0
            ),
            _Part("t.due_at IS NULL", (("updated_at", True), ("id", True)), 1),
        ]
    else:
        parts = [_Part(None, ((order.column, order.descending), ("id", order.descending)))]
    if not backwards:
        return parts
    return [_Part(p.condition, tuple((c, not d) for c, d in p.terms), p.late) for p in reversed(parts)]


def _after(terms: Sequence[Term], values: Sequence[Any], params: list[Any], sql: Dialect) -> str:
    """The rows strictly after ``values`` in the order of ``terms`` (their parameters appended), written
    so that the first term bounds an index range (``c >= v AND (c > v OR …)``) on both backends."""
    (column, descending), *rest = terms
    op = "<" if descending else ">"
    if not rest:
        params.append(values[0])
        return f"t.{column} {op} {sql.mark}"
    params += [values[0], values[0]]
    later = _after(rest, values[1:], params, sql)
    return f"t.{column} {op}= {sql.mark} AND (t.{column} {op} {sql.mark} OR {later})"


def _order_sql(terms: Sequence[Term], table: str) -> str:
    return ", ".join(f"{table}{column} {'DESC' if descending else 'ASC'}" for column, descending in terms)


def seek_page(
    order: TaskOrder,
    seek: Seek,
    columns: str,
    clause: str,
    clause_params: list[Any],
    limit: int,
    sql: Dialect,
) -> tuple[str, list[Any]]:
    """The SELECT of ``columns`` of the ``limit`` rows next to ``seek``'s key (after it, or before it
    when ``backwards``) among the tickets ``clause`` selects, and its parameters. No ``OFFSET``: the
    key's part of the list starts at the key through its order's index range, so a deep page costs
    what the first does. By due time the key's part is read from the key on and the part after it from
    its start (each cut at ``limit``), the part before it not at all; their rows carry ``late`` as
    ``DUE_ORDER`` sorts them. Rows chosen backwards are the page before the key, in the reversed order;
    the caller sorts them into the list's (``list_sql``'s outer ``ORDER BY`` does)."""
    key = seek.key
    parts = _parts(order, seek.backwards)
    values: dict[str, Any] = {"id": key.id, "updated_at": key.at, "created_at": key.at}
    if key.due_at is not None:
        values["due_at"] = key.due_at
    start = next(i for i, p in enumerate(parts) if p.late is None or p.late == (key.due_at is None))
    params: list[Any] = []
    selects = []
    for index, part in enumerate(parts[start:], start=start):
        conditions = [clause] + ([part.condition] if part.condition else [])
        params += clause_params
        if index == start:
            keyed = [values[c] if c == "id" else sql.time(values[c]) for c, _descending in part.terms]
            conditions.append("(" + _after(part.terms, keyed, params, sql) + ")")
        late = "" if part.late is None else f", {part.late} AS late"
        selects.append(
            f"SELECT {columns}{late} FROM tickets t WHERE {' AND '.join(conditions)}"  # noqa: S608
            f" ORDER BY {_order_sql(part.terms, 't.')} LIMIT {sql.mark}"
        )
        params.append(limit)
    if parts[0].late is None:
        return selects[0], params
    # the order of the whole: ``late``, then the due time (the part without one holds only NULLs there),
    # then the update time and id — ``DUE_ORDER``, or backwards its reverse
    due_descending = order.descending != seek.backwards
    outer = (
        ("late", seek.backwards),
        ("due_at", due_descending),
        ("updated_at", not seek.backwards),
        ("id", not seek.backwards),
    )
    union = " UNION ALL ".join(f"SELECT * FROM ({select}) AS s{i}" for i, select in enumerate(selects))  # noqa: S608
    params.append(limit)
    return f"SELECT * FROM ({union}) AS u ORDER BY {_order_sql(outer, '')} LIMIT {sql.mark}", params  # noqa: S608
