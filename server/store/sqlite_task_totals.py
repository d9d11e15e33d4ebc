"""Staff task lists' exact counts per category, SQLite side (``count_tasks``): from ``ticket_counts``
(migration 0013: tickets per holder, service, channel, state and category, kept by triggers) when the
filter names only those columns; with creation dates from ``ticket_day_counts`` (0015) over the whole
UTC days inside the range and the tickets of the partial days at its edges (``day_count_sqls``); else
from the tickets themselves. Counts that stop at a bound (free text) are ``sqlite_task_counts``'; the
lists' pages, ``sqlite_tasks``'. The WHERE clause is ``sqlite_task_where``'s."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import aiosqlite
import msgspec

from server.store.records import TaskFilter
from server.store.sqlite_codec import fetch_all, fetch_one
from server.store.sqlite_task_where import TRIGRAM, TextWay, text_match, where

COMMON = 1000
"""A free text that at least this many tickets hold is *common*."""


async def common(conn: aiosqlite.Connection, text: str | None) -> bool:
    """Whether ``text`` (through the trigram index) matches at least ``COMMON`` tickets of all — read
    from the index and stopped there (well under a millisecond at a million tickets). A common text's
    matches are looked up as a set while the list's index is walked in order, which stops at the page's
    end; a rarer one's few rows are read directly (walking would find them late or never)."""
    if not text or len(text) < TRIGRAM:
        return False
    row = await fetch_one(
        conn,
        "SELECT count(*) FROM (SELECT rowid FROM tickets_text WHERE tickets_text MATCH ? LIMIT ?)",
        (text_match(text), COMMON),
    )
    return row is not None and int(row[0]) >= COMMON


async def filter_size(conn: aiosqlite.Connection, task_filter: TaskFilter) -> int | None:
    """How many tickets ``task_filter`` selects without its text (its category included), from the
    aggregates; None when they cannot say (a requester in the read scope)."""
    plain = msgspec.structs.replace(task_filter, text=None)
    if not counted_by_day(plain):
        return None
    counts = await count_tasks(conn, plain)
    return counts.get(plain.category, 0) if plain.category else sum(counts.values())


def counted_whole(task_filter: TaskFilter) -> bool:
    """Whether the filter names only columns ``ticket_counts`` keeps (migration 0013): the holder, the
    service, channel, state and category — no dates, no free text, no requester in the read scope."""
    return (
        task_filter.created_from is None
        and task_filter.created_before is None
        and counted_by_day(task_filter)
    )


def counted_by_day(task_filter: TaskFilter) -> bool:
    """Whether ``ticket_day_counts`` (migration 0015) and the edges of the date range answer the
    counts: the columns ``ticket_counts`` keeps, and creation dates — no free text, no requester in
    the read scope."""
    return not task_filter.text and (task_filter.scope_implied or task_filter.scope.requester_id is None)


def count_sql(task_filter: TaskFilter, *, text_way: TextWay = "index") -> tuple[str, list[Any]]:
    """The counts per category of ``task_filter`` (its category aside) over ``ticket_counts`` when it
    answers, else over the tickets (for a filter with dates: ``day_count_sqls``)."""
    # Common text in a department's list: walk the department's covering index, looking each ticket up
    # in the set of matches, rather than read every matching ticket's row (a family name in 12 % of a
    # million tickets: 81 ms instead of 160–230). Not for the other views: walking every ticket's
    # index entry costs more than the rows of the matches (426 ms against 170 for "all").
    department_list = bool(task_filter.held_by) and not task_filter.unheld
    set_way: TextWay = "set" if text_way == "set" and department_list else "index"
    clause, params = where(task_filter, with_category=False, text_way=set_way)
    if counted_whole(task_filter):
        # the same WHERE clause over the per-combination counts: a few thousand rows, not the tickets
        sql = (
            f"SELECT t.category, SUM(t.n) AS n FROM ticket_counts t WHERE {clause}"  # noqa: S608
            " GROUP BY t.category HAVING SUM(t.n) > 0"
        )
        return sql, params
    # Counting everything reads the category index alone. With a condition, ``+`` keeps the planner
    # from walking that index over the whole table to avoid sorting a handful of groups: it then
    # uses the condition's indexes (one per branch of an OR) — 130 ms → 10–20 ms on 100,000 tickets.
    group = "t.category" if clause == "1" else "+t.category"
    sql = f"SELECT t.category, COUNT(*) AS n FROM tickets t WHERE {clause} GROUP BY {group}"  # noqa: S608
    return sql, params


def utc_midnight(moment: dt.datetime, *, up: bool) -> dt.datetime:
    """The UTC midnight at or after (``up``) / at or before ``moment``."""
    day = moment.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day + dt.timedelta(days=1) if up and day < moment else day


def day_count_sqls(task_filter: TaskFilter, *, scan: bool = False) -> list[tuple[str, list[Any]]]:
    """The queries whose counts per category, added up, are those of ``task_filter`` with creation
    dates (``counted_by_day``): the whole UTC days inside the range summed from ``ticket_day_counts``
    (``scan``: its rows read in table order, not through its index — ``scans_day_counts``), and the
    tickets of the partial days at its edges (each under a day: a range of the date index)."""
    start, before = task_filter.created_from, task_filter.created_before
    first = utc_midnight(start, up=True) if start is not None else None
    last = utc_midnight(before, up=False) if before is not None else None
    if first is not None and last is not None and first >= last:  # no whole day inside: the tickets
        return [count_sql(task_filter)]
    undated = msgspec.structs.replace(task_filter, created_from=None, created_before=None)
    clause, params = where(undated, with_category=False)
    days = []
    if first is not None:
        days.append("t.day >= ?")
        params.append(first.date().isoformat())
    if last is not None:
        days.append("t.day < ?")
        params.append(last.date().isoformat())
    table = "ticket_day_counts t NOT INDEXED" if scan else "ticket_day_counts t"
    sql = (
        f"SELECT t.category, SUM(t.n) AS n FROM {table} WHERE {clause}"  # noqa: S608
        f" AND {' AND '.join(days)} GROUP BY t.category"
    )
    queries = [(sql, params)]
    if start is not None and first is not None and start < first:
        queries.append(count_sql(msgspec.structs.replace(task_filter, created_before=first)))
    if before is not None and last is not None and last < before:
        queries.append(count_sql(msgspec.structs.replace(task_filter, created_from=last)))
    return queries


DAY_SCAN = 6
"""Whole days that span at least 1/``DAY_SCAN`` of the days ``ticket_day_counts`` holds are summed by
reading its rows in table order when nothing but the dates filters them (``scans_day_counts``)."""


async def scans_day_counts(conn: aiosqlite.Connection, task_filter: TaskFilter) -> bool:
    """Whether the whole days of ``task_filter``'s range are summed from ``ticket_day_counts`` read in
    table order: the list has no condition but the dates (the director's "all", a year) and the range
    spans a large share of the days the table holds. Its index (day, then the columns a filter names)
    then only serves the range, and each of its entries costs a lookup of the row for ``n`` — at a
    million tickets a year of two took 77–86 ms that way, 25 ms reading the table's 56,250 rows in
    order; a month is cheaper through the index. Its first and last day: two index reads."""
    undated = msgspec.structs.replace(task_filter, created_from=None, created_before=None)
    if where(undated, with_category=False)[0] != "1":
        return False  # the index tests the filter's columns before any row is read
    row = await fetch_one(conn, "SELECT min(day), max(day) FROM ticket_day_counts")
    if row is None or row[0] is None:
        return False
    low, high = dt.date.fromisoformat(row[0]), dt.date.fromisoformat(row[1])
    start, before = task_filter.created_from, task_filter.created_before
    first = max(low, utc_midnight(start, up=True).date()) if start is not None else low
    last = (
        min(high, utc_midnight(before, up=False).date() - dt.timedelta(days=1))
        if before is not None
        else high
    )
    return DAY_SCAN * ((last - first).days + 1) >= (high - low).days + 1


async def count_tasks(conn: aiosqlite.Connection, task_filter: TaskFilter) -> dict[str, int]:
    if counted_by_day(task_filter) and not counted_whole(task_filter):
        counts: Counter[str] = Counter()
        scan = await scans_day_counts(conn, task_filter)
        for sql, params in day_count_sqls(task_filter, scan=scan):
            for row in await fetch_all(conn, sql, params):
                counts[row["category"]] += int(row["n"])
        return {category: n for category, n in counts.items() if n > 0}
    common_text = await common(conn, task_filter.text)
    sql, params = count_sql(task_filter, text_way="set" if common_text else "index")
    return {row["category"]: int(row["n"]) for row in await fetch_all(conn, sql, params)}
