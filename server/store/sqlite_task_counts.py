"""Task-list counts that stop at a bound, SQLite side (``interface_tasks.TaskCountsStore``).

A list without free text is counted exactly from the aggregates (``ticket_counts``, and
``ticket_day_counts`` with the edges of a date range: ``sqlite_task_totals.count_tasks``). With free text no
aggregate answers, so the list is counted up to ``bound`` + 1 tickets and, past ``bound``, said to hold
"more than ``bound``": one query with a LIMIT, read in the cheaper of two ways —

* from the text's side: the trigram index's matches in its order, each ticket's row read and the rest
  of the filter tested — when the filter holds many tickets (it finds ``bound`` soon);
* from the filter's side: the filter's own indexes, each ticket's number / search text tested with
  ``LIKE`` — when the filter holds few (it ends soon), and always for text under three characters.

A text that few tickets hold (fewer than ``RARE`` of all, counted from the index and stopped there) is
counted exactly through its matches, as ``count_tasks`` does. Which way is taken changes the cost,
never the answer: exact counts when the list holds at most ``bound`` tickets, else ``more_than``.
"""

from __future__ import annotations

from collections import Counter

import aiosqlite
import msgspec

from server.store.interface_tasks import COUNT_BOUND
from server.store.records import TaskCounts, TaskFilter
from server.store.sqlite_codec import fetch_all, fetch_one
from server.store.sqlite_task_totals import count_sql, count_tasks, filter_size
from server.store.sqlite_task_where import TRIGRAM, text_match, where
from server.store.task_clauses import bounded

RARE = 5000
"""A text fewer tickets than this hold (of all) is counted exactly through the trigram index's matches:
at most this many rows read."""

FEW = 10_000
"""A filter (without its text) that holds at most this many tickets — read from the aggregates — is
counted from its own side: at most this many rows read."""


async def text_matches(conn: aiosqlite.Connection, text: str, limit: int) -> int:
    """How many tickets the trigram index says hold ``text``, counted up to ``limit``."""
    row = await fetch_one(
        conn,
        "SELECT count(*) FROM (SELECT rowid FROM tickets_text WHERE tickets_text MATCH ? LIMIT ?)",
        (text_match(text), limit),
    )
    return int(row[0]) if row is not None else 0


async def reads_an_index(conn: aiosqlite.Connection, sql: str, params: list[object]) -> bool:
    """Whether the plan of ``sql`` reads the tickets through an index rather than walking the table."""
    steps = [str(row[3]) for row in await fetch_all(conn, "EXPLAIN QUERY PLAN " + sql, params)]
    return not any(step.startswith("SCAN t") and "USING" not in step for step in steps)


def _narrowed(task_filter: TaskFilter, category_aside: bool) -> TaskFilter:
    return msgspec.structs.replace(task_filter, category=None) if category_aside else task_filter


def bounded_sql(task_filter: TaskFilter, *, bound: int, from_text: bool) -> tuple[str, list[object]]:
    """The categories of at most ``bound`` + 1 tickets of ``task_filter`` (its category included),
    read from the text's side (``from_text``) or the filter's."""
    if from_text:
        assert task_filter.text is not None
        clause, params = where(msgspec.structs.replace(task_filter, text=None))
        sql = (
            "SELECT t.category FROM tickets_text CROSS JOIN tickets t ON t.id = tickets_text.rowid"  # noqa: S608
            f" WHERE tickets_text MATCH ? AND {clause} LIMIT ?"
        )
        return sql, [text_match(task_filter.text), *params, bound + 1]
    clause, params = where(task_filter, text_way="row")
    return f"SELECT t.category FROM tickets t WHERE {clause} LIMIT ?", [*params, bound + 1]  # noqa: S608


async def count_bounded(
    conn: aiosqlite.Connection, task_filter: TaskFilter, *, bound: int, category_aside: bool
) -> TaskCounts:
    narrowed = _narrowed(task_filter, category_aside)
    text = narrowed.text
    if not text:
        counts = await count_tasks(conn, narrowed)
        if narrowed.category is not None:
            counts = {c: n for c, n in counts.items() if c == narrowed.category}
        return TaskCounts(counts=counts)
    long_text = len(text) >= TRIGRAM
    matches = await text_matches(conn, text, RARE) if long_text else None
    if matches is not None and matches < RARE:
        sql, params = count_sql(narrowed)  # through the index's matches: exact, at most RARE rows
        if narrowed.category is not None:
            sql, params = _one_category(narrowed)
        rows = await fetch_all(conn, sql, params)
        return bounded({row["category"]: int(row["n"]) for row in rows}, bound)
    sql, params = bounded_sql(narrowed, bound=bound, from_text=False)
    if long_text:
        size = await filter_size(conn, narrowed)
        # from the filter's side only when it is small and has an index ("mine" has none: the table)
        if size is None or size > FEW or not await reads_an_index(conn, sql, params):
            sql, params = bounded_sql(narrowed, bound=bound, from_text=True)
    found = Counter(str(row["category"]) for row in await fetch_all(conn, sql, params))
    return bounded(dict(found), bound)


def _one_category(task_filter: TaskFilter) -> tuple[str, list[object]]:
    clause, params = where(task_filter)
    return f"SELECT t.category, COUNT(*) AS n FROM tickets t WHERE {clause} GROUP BY +t.category", [*params]  # noqa: S608


class SQLiteTaskCountsMixin:
    _scans: aiosqlite.Connection

    async def count_tasks_bounded(
        self, task_filter: TaskFilter, *, bound: int = COUNT_BOUND, category_aside: bool = True
    ) -> TaskCounts:
        return await count_bounded(self._scans, task_filter, bound=bound, category_aside=category_aside)
