"""Staff task lists, PostgreSQL side: a :class:`~server.store.records.TaskFilter` as one WHERE clause
(``sqlite_tasks``' rules: the viewer's read scope is part of every clause unless the view alone keeps
the list inside it; values are always bound parameters, never spliced into the SQL). The free text
matches as SQLite's LIKE does (ASCII letters in either case); from three characters on, pg_trgm's GIN
indexes on the number and the search text serve it (pg migration 0005). Sorted by due time: the ticket
row's ``due_at`` (kept by a trigger on ``timers``), in two ordered parts as on SQLite. The counts:
``postgres_task_counts``."""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

from psycopg.rows import dict_row

from server.store.postgres_codec import Conn, PgBase, Row, execute_many, like_pattern, moment, nocase_like
from server.store.postgres_tickets import TICKET_COLUMNS, ticket_from_row
from server.store.records import Seek, TaskFilter, TaskOrder, TaskRow, Ticket
from server.store.task_clauses import (
    DUE_ORDER,
    KEY_COLUMNS,
    POSTGRES,
    from_the_end,
    order_by,
    scope_clause,
    seek_page,
    view_clauses,
)

TRIGRAM = 3
"""The shortest free text a trigram index can match."""


def where(task_filter: TaskFilter, *, with_category: bool = True) -> tuple[str, list[Any]]:
    """The WHERE clause (without the keyword) of ``task_filter`` over ``tickets t``, and its parameters."""
    params: list[Any] = []
    clauses = []
    scope = scope_clause(task_filter, params, POSTGRES)
    if scope is not None:
        clauses.append(scope)
    clauses += view_clauses(task_filter, params, POSTGRES)
    for column, value in (
        ("t.service_id", task_filter.service),
        ("t.category", task_filter.category if with_category else None),
        ("t.state", task_filter.state),
        ("t.channel", task_filter.channel),
    ):
        if value is not None:
            clauses.append(f"{column} = %s")
            params.append(value)
    if task_filter.created_from is not None:
        clauses.append("t.created_at >= %s")
        params.append(moment(task_filter.created_from))
    if task_filter.created_before is not None:
        clauses.append("t.created_at < %s")
        params.append(moment(task_filter.created_before))
    if task_filter.text:
        clauses.append(text_clause(task_filter.text, params))
    return " AND ".join(clauses) or "TRUE", params


def text_clause(text: str, params: list[Any]) -> str:
    """The free text's condition (its parameters appended): the number too when it has a digit
    (numbers are digits and a hyphen). A text without ASCII letters matches the column itself exactly
    as it matches the column with ASCII case folded (``khidma_nocase``: only ASCII letters change, and
    only into ASCII letters), so the text is looked for as it is first on each row (``strpos``: several
    times cheaper than folding a long Arabic text, and the planner does not take it for a second,
    independent condition as it would a second ``LIKE`` — it underestimated a common text's rows
    ×7 and read page 200 of a family name through the whole trigram bitmap, 1.8 s, instead of walking
    the list's order, 0.2 s); the folded ``LIKE`` stays beside it for the trigram indexes, from three
    characters on (a shorter text has no trigram: the index would be read whole — a plain ``LIKE``
    alone)."""
    pattern = like_pattern(text)
    columns = ("t.number", "t.search_text") if any(c.isdigit() for c in text) else ("t.search_text",)
    plain = not any(c in string.ascii_letters for c in text)
    parts = []
    for column in columns:
        if plain and len(text) < TRIGRAM:
            parts.append(f"{column} LIKE %s ESCAPE '\\'")
            params.append(pattern)
        elif plain:
            parts.append(f"(strpos({column}, %s) > 0 AND {nocase_like(column)})")
            params += [text, pattern]
        else:
            parts.append(nocase_like(column))
            params.append(pattern)
    return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"


def _page(
    task_filter: TaskFilter,
    order: TaskOrder,
    columns: str,
    *,
    offset: int,
    limit: int,
    seek: Seek | None = None,
) -> tuple[str, list[Any]]:
    """The SELECT of one page's ``columns`` (from ``tickets t``, in the list's order) and its parameters:
    from ``offset``, or next to ``seek``'s key (``task_clauses.seek_page``; ``offset`` is then unused)."""
    clause, params = where(task_filter)
    if seek is not None:
        return seek_page(order, seek, columns, clause, params, limit, POSTGRES)
    if order.key != "due":
        sql = f"SELECT {columns} FROM tickets t WHERE {clause} ORDER BY {order_by(order)} LIMIT %s OFFSET %s"
        return sql, [*params, limit, offset]
    # Two parts, each in an index's order: the tickets with a due time, then the others by update time.
    # The first part comes whole before the second, so the page is the first part's rows from
    # ``offset``, then the second's from ``offset`` less the first part's size. The first part is read
    # once up to the page's end (``a``: its size, when it ends before the page does, is exact); the
    # second from its own offset, never read past the page. Its ``due_at IS NULL`` is read from the
    # update-order indexes (pg 0010 ``INCLUDE``s it), so a deep page walks no table row.
    direction = "DESC" if order.descending else "ASC"
    sql = (
        f"WITH a AS MATERIALIZED (SELECT {columns}, 0 AS late FROM tickets t"
        f" WHERE {clause} AND t.due_at IS NOT NULL"
        f" ORDER BY t.due_at {direction}, t.updated_at DESC, t.id DESC LIMIT %s)"
        f" SELECT * FROM (SELECT * FROM (SELECT * FROM a ORDER BY due_at {direction}, updated_at DESC, id DESC"
        f" LIMIT %s OFFSET %s) a1"
        f" UNION ALL SELECT * FROM (SELECT {columns}, 1 AS late FROM tickets t"
        f" WHERE {clause} AND t.due_at IS NULL ORDER BY t.updated_at DESC, t.id DESC"
        f" LIMIT %s OFFSET GREATEST(%s - (SELECT count(*) FROM a), 0)) b) u"
        f" ORDER BY {DUE_ORDER.format(direction=direction)} LIMIT %s"
    )
    return sql, [*params, offset + limit, limit, offset, *params, limit, offset, limit]


async def fetch_planned(conn: Conn, sql: str, params: list[Any]) -> list[Row]:
    """A list's (or its counts') rows, the query planned for its values every time: never prepared.
    psycopg prepares a statement run five times on a connection, and PostgreSQL then may keep one
    generic plan for it, blind to the values — which text, which dates, which department decide the
    plan here (measured at 1,000,000 tickets: a list in 6 ms became 156–209 ms from the eleventh call)."""
    async with conn.cursor(row_factory=dict_row) as cursor:
        await cursor.execute(sql, params, prepare=False)
        return await cursor.fetchall()


def _row(row: Row) -> TaskRow:
    return TaskRow(**{name: row[name] for name in TaskRow.__struct_fields__})


def list_sql(
    task_filter: TaskFilter, order: TaskOrder, *, offset: int, limit: int, seek: Seek | None = None
) -> tuple[str, list[Any]]:
    """The page's ids are chosen first, then only those rows are joined to their assignee, requester
    and form data (a "deferred join"). The choice reads the ids and the order's own columns alone, so in
    update or creation order an index that holds the filter's columns, the order and the id (pg
    migration 0010) serves it index-only: a deep page's OFFSET walks index entries, not table rows."""
    page, params = _page(task_filter, order, KEY_COLUMNS[order.key], offset=offset, limit=limit, seek=seek)
    if order.key == "due":
        due_order = DUE_ORDER.format(direction="DESC" if order.descending else "ASC")
        outer = ", ".join(f"p.{term}" for term in due_order.split(", "))
    else:
        outer = order_by(order, "p")
    sql = (
        f"WITH p AS ({page})"
        " SELECT t.id, t.number, t.service_id, t.definition_version_id, t.state, t.category, t.department,"
        " t.assignee_role, t.assignee_user, u.name AS assignee_name, t.channel, t.created_at, t.updated_at,"
        " t.due_at, r.name AS requester_name, t.data"
        " FROM p JOIN tickets t ON t.id = p.id LEFT JOIN users u ON u.id = t.assignee_user"
        " LEFT JOIN users r ON r.id = t.requester_id"
        f" ORDER BY {outer}"
    )
    return sql, params


def count_sql(task_filter: TaskFilter) -> tuple[str, list[Any]]:
    """The counts per category (its category aside) from the tickets themselves — for the lists no
    aggregate counts (``postgres_task_counts``: free text, a requester in the read scope)."""
    clause, params = where(task_filter, with_category=False)
    return f"SELECT t.category, COUNT(*) AS n FROM tickets t WHERE {clause} GROUP BY t.category", params


class PgTasksMixin(PgBase):
    async def list_tasks(
        self,
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
            reversed_order, offset, limit = turned
            if limit == 0:
                return []
            return (await self.list_tasks(task_filter, reversed_order, offset=offset, limit=limit))[::-1]
        sql, params = list_sql(task_filter, order, offset=offset, limit=limit, seek=seek)
        async with self._pool.connection() as conn:
            return [_row(row) for row in await fetch_planned(conn, sql, params)]

    async def list_task_ids(
        self, task_filter: TaskFilter, order: TaskOrder, *, offset: int, limit: int, seek: Seek | None = None
    ) -> list[int]:
        columns = "t.id, t.updated_at, t.due_at" if order.key == "due" else "t.id"
        sql, params = _page(task_filter, order, columns, offset=offset, limit=limit, seek=seek)
        async with self._pool.connection() as conn:
            ids = [int(row["id"]) for row in await fetch_planned(conn, sql, params)]
        return ids[::-1] if seek is not None and seek.backwards else ids  # chosen walking back

    async def tickets_without_search_text(self, limit: int) -> list[Ticket]:
        rows = await self._all(
            f"SELECT {TICKET_COLUMNS} FROM tickets WHERE search_text IS NULL ORDER BY id LIMIT %s", (limit,)
        )
        return [ticket_from_row(row) for row in rows]

    async def set_search_texts(self, texts: Mapping[int, str]) -> None:
        values = [(text, ticket_id) for ticket_id, text in texts.items()]
        await self._write(
            lambda conn: execute_many(conn, "UPDATE tickets SET search_text = %s WHERE id = %s", values)
        )
