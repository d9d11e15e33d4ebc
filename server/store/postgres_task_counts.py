"""Task-list counts, PostgreSQL side (``count_tasks``, ``count_tasks_bounded``): from aggregates that
concurrent ticket writes never wait on (pg migration 0008).

A ticket write appends rows to ``ticket_count_deltas`` (its triggers: +1 for the combination of holder,
service, channel, state, category and UTC day of creation a ticket enters, -1 for the one it leaves);
nothing a write touches is written by another transaction, so writers queue on no counter row. A list
whose filter names only those columns (``sqlite_task_totals.counted_by_day``: no free text, no requester in
the read scope) is counted as the summaries ``ticket_counts`` / ``ticket_day_counts`` plus the deltas
not yet folded into them — one statement, so one snapshot: exact whatever is committing meanwhile (a
fold commits its deletes and its additions at once). A range of creation dates sums the whole UTC
days inside it and counts the tickets of the partial days at its two edges, as on SQLite.

The deltas are folded in (``compact``) by the store when a count finds at least ``COMPACT_AT`` of them:
one transaction deletes the deltas its snapshot sees and adds them up into the summaries, under a
transaction-level advisory lock it only tries to take (a process that finds it taken counts without
folding). Deltas committed while it runs are not in its snapshot: they stay, to be counted and folded
later. Only the fold writes summary rows, so a fold waits for no writer and no writer for a fold.

Any other list is counted from the tickets as before; with free text up to a bound
(``count_tasks_bounded``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from server.store.interface_tasks import COUNT_BOUND
from server.store.postgres_codec import Conn, PgBase, fetch_one
from server.store.postgres_tasks import count_sql, fetch_planned, where
from server.store.records import TaskCounts, TaskFilter
from server.store.sqlite_task_totals import counted_by_day, utc_midnight
from server.store.task_clauses import bounded

COMPACT_AT = 1000
"""A count that finds at least this many deltas folds them into the summaries first (a few ms for a
thousand); fewer are read as they are (well under a millisecond)."""

COMPACT_LOCK = "SELECT pg_try_advisory_xact_lock(hashtext('khidma-task-counts:' || current_schema()))"
"""The fold's lock, per schema (several khidma schemas may share one database)."""

_DIMENSIONS = "department, assignee_role, assignee_user, service_id, channel, state, category"
_KEY = (
    "service_id, state, channel, category, COALESCE(department, ''), (department IS NULL),"
    " COALESCE(assignee_role, ''), (assignee_role IS NULL), COALESCE(assignee_user, ''), (assignee_user IS NULL)"
)
"""The summaries' unique key (a NULL holder a value of its own), which a fold's upsert names."""

_FOLD = f"""
WITH moved AS (DELETE FROM ticket_count_deltas RETURNING day, {_DIMENSIONS}, n),
days AS (
    INSERT INTO ticket_day_counts AS c (day, {_DIMENSIONS}, n)
    SELECT day, {_DIMENSIONS}, SUM(n) FROM moved GROUP BY day, {_DIMENSIONS} HAVING SUM(n) <> 0
    ON CONFLICT (day, {_KEY}) DO UPDATE SET n = c.n + EXCLUDED.n
),
whole AS (
    INSERT INTO ticket_counts AS c ({_DIMENSIONS}, n)
    SELECT {_DIMENSIONS}, SUM(n) FROM moved GROUP BY {_DIMENSIONS} HAVING SUM(n) <> 0
    ON CONFLICT ({_KEY}) DO UPDATE SET n = c.n + EXCLUDED.n
)
SELECT count(*) AS n FROM moved"""

_WHOLE = (
    f"(SELECT {_DIMENSIONS}, n FROM ticket_counts"
    f" UNION ALL SELECT {_DIMENSIONS}, n FROM ticket_count_deltas) t"
)
_BY_DAY = (
    f"(SELECT day, {_DIMENSIONS}, n FROM ticket_day_counts"
    f" UNION ALL SELECT day, {_DIMENSIONS}, n FROM ticket_count_deltas) t"
)


async def compact(conn: Conn) -> int | None:
    """Fold the deltas into the summaries in one transaction; how many were folded, or None when
    another transaction is folding (its lock taken)."""
    async with conn.transaction():
        locked = await fetch_one(conn, COMPACT_LOCK + " AS locked")
        if locked is None or not locked["locked"]:
            return None
        row = await fetch_one(conn, _FOLD)
        return int(row["n"]) if row is not None else 0


async def pending_deltas(conn: Conn, limit: int) -> int:
    """How many deltas await a fold, counted up to ``limit``."""
    row = await fetch_one(
        conn, "SELECT count(*) AS n FROM (SELECT 1 FROM ticket_count_deltas LIMIT %s) d", (limit,)
    )
    return int(row["n"]) if row is not None else 0


def aggregate_sql(task_filter: TaskFilter) -> tuple[str, list[Any]]:
    """The counts per category of ``task_filter`` (its category aside; ``counted_by_day`` holds) from
    the summaries and the deltas — one statement. With creation dates: the whole UTC days inside the
    range by day, the tickets of the partial days at its edges from the tickets (under a day each)."""
    start, before = task_filter.created_from, task_filter.created_before
    if start is None and before is None:
        clause, params = where(task_filter, with_category=False)
        sql = f"SELECT t.category, SUM(t.n) AS n FROM {_WHOLE} WHERE {clause} GROUP BY t.category"
        return sql + " HAVING SUM(t.n) > 0", params
    first = utc_midnight(start, up=True) if start is not None else None
    last = utc_midnight(before, up=False) if before is not None else None
    if first is not None and last is not None and first >= last:  # no whole day inside: the tickets
        return count_sql(task_filter)
    undated = msgspec.structs.replace(task_filter, created_from=None, created_before=None)
    clause, params = where(undated, with_category=False)
    days = [(f"t.day {op} %s", edge.date()) for op, edge in ((">=", first), ("<", last)) if edge is not None]
    parts = [f"SELECT t.category, t.n FROM {_BY_DAY} WHERE {clause} AND {' AND '.join(d for d, _ in days)}"]
    params += [day for _, day in days]
    edges: list[tuple[dt.datetime | None, dt.datetime | None]] = []
    if start is not None and first is not None and start < first:
        edges.append((start, first))
    if before is not None and last is not None and last < before:
        edges.append((last, before))
    for edge_from, edge_before in edges:
        edge = msgspec.structs.replace(task_filter, created_from=edge_from, created_before=edge_before)
        edge_clause, edge_params = where(edge, with_category=False)
        parts.append(f"SELECT t.category, 1 AS n FROM tickets t WHERE {edge_clause}")
        params += edge_params
    sql = (
        "SELECT s.category, SUM(s.n) AS n FROM ("
        + " UNION ALL ".join(parts)
        + ") s GROUP BY s.category HAVING SUM(s.n) > 0"
    )
    return sql, params


class PgTaskCountsMixin(PgBase):
    async def count_tasks(self, task_filter: TaskFilter) -> dict[str, int]:
        async with self._pool.connection() as conn:
            if not counted_by_day(task_filter):
                sql, params = count_sql(task_filter)
                rows = await fetch_planned(conn, sql, params)
                return {row["category"]: int(row["n"]) for row in rows}
            sql, params = aggregate_sql(task_filter)
            if await pending_deltas(conn, COMPACT_AT) >= COMPACT_AT:
                await compact(conn)
            rows = await fetch_planned(conn, sql, params)
        return {row["category"]: int(row["n"]) for row in rows}

    async def count_tasks_bounded(
        self, task_filter: TaskFilter, *, bound: int = COUNT_BOUND, category_aside: bool = True
    ) -> TaskCounts:
        """Without free text, exact (``count_tasks``); with it, at most ``bound`` + 1 of the tickets read
        (``LIMIT``: the planner's choice of the trigram index or the filter's own), past ``bound`` "more
        than ``bound``" — the same answers as SQLite's."""
        narrowed = msgspec.structs.replace(task_filter, category=None) if category_aside else task_filter
        if not narrowed.text:
            counts = await self.count_tasks(narrowed)
            if narrowed.category is not None:
                counts = {c: n for c, n in counts.items() if c == narrowed.category}
            return TaskCounts(counts=counts)
        clause, params = where(narrowed)
        sql = (
            "SELECT s.category, COUNT(*) AS n FROM"
            f" (SELECT t.category FROM tickets t WHERE {clause} LIMIT %s) s GROUP BY s.category"
        )
        async with self._pool.connection() as conn:
            rows = await fetch_planned(conn, sql, [*params, bound + 1])
        return bounded({row["category"]: int(row["n"]) for row in rows}, bound)
