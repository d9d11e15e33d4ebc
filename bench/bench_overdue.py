"""The overdue report's query: read from ``tickets.due_at`` (now) against the earliest pending timer
computed from ``timers`` (before; kept here as the reference), side by side on one database.

    .venv/bin/python bench/bench_overdue.py [--tickets 100000] [--history 2] [--repeat 15] [--db PATH]

Fills a SQLite file as ``bench/bench_tasks.py`` does (the nine shipped services, 80 % closed, a pending
timer on a tenth of the open tickets), then gives every ticket ``--history`` finished timers (one fired,
one cancelled…: what a live database accumulates, and what the query from ``timers`` walked past).
Checks both queries answer the same rows, prints both plans and the median of ``--repeat`` alternating
runs of each (ms). An existing ``--db`` is reused as it is.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sqlite3
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_tasks import populate
from server.runtime import Runtime, load_shipped
from server.settings import Settings
from server.store.sqlite_codec import time_text

COLUMNS = (
    "t.id, t.number, t.service_id, t.channel, t.category, t.created_at, t.closed_at, t.state, t.updated_at"
)
BEFORE = (
    f"SELECT {COLUMNS}, d.due_at FROM (SELECT ticket_id, MIN(due_at) AS due_at FROM timers"
    " WHERE status = 'pending' GROUP BY ticket_id) d JOIN tickets t ON t.id = d.ticket_id"
    " WHERE d.due_at <= ? AND t.category != 'closed' AND t.service_id IN (SELECT value FROM json_each(?))"
    " ORDER BY d.due_at, t.id"
)
NOW = (  # server/store/sqlite_reports.py's report_overdue
    f"SELECT {COLUMNS}, t.due_at FROM tickets t WHERE t.due_at IS NOT NULL AND t.due_at <= ?"
    " AND t.category != 'closed' AND t.service_id IN (SELECT value FROM json_each(?)) ORDER BY t.due_at, t.id"
)


async def build(path: Path, tickets: int, history: int) -> None:
    settings = Settings(db_path=path, background_worker=False)
    runtime = await Runtime.open(settings, load_shipped(settings))
    staff: dict[str, list[str]] = {}
    now = dt.datetime.now(dt.UTC)
    for department in runtime.org.departments:
        user = await runtime.store.add_user(
            username=f"staff.{department}", name=department, roles=["department_staff"], department=department,
            now=now,
        )  # fmt: skip
        staff[department] = [user.id]
    await runtime.close()
    populate(path, tickets, staff)
    with sqlite3.connect(path) as conn:
        for n in range(history):
            status = ("fired", "cancelled")[n % 2]
            conn.execute(
                "INSERT INTO timers (ticket_id, timer, state, due_at, status)"
                " SELECT id, ?, state, created_at, ? FROM tickets",
                (f"finished_{n}", status),
            )
        conn.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--history", type=int, default=2, help="finished timers per ticket")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--db", default="/tmp/khidma-overdue.db")
    args = parser.parse_args()
    path = Path(args.db)
    if not path.exists():
        started = time.perf_counter()
        asyncio.run(build(path, args.tickets, args.history))
        print(f"built {path} in {time.perf_counter() - started:.1f} s")
    conn = sqlite3.connect(path)
    services = json.dumps([row[0] for row in conn.execute("SELECT DISTINCT service_id FROM tickets")])
    params = (time_text(dt.datetime.now(dt.UTC)), services)
    for label, query in (("before", BEFORE), ("now", NOW)):
        plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + query, params)]
        print(f"{label:6} plan: {'; '.join(plan)}")
    answer = conn.execute(NOW, params).fetchall()
    assert conn.execute(BEFORE, params).fetchall() == answer, "the two queries differ"
    samples: dict[str, list[float]] = {"before": [], "now": []}
    for _ in range(args.repeat):
        for label, query in (("before", BEFORE), ("now", NOW)):
            started = time.perf_counter()
            conn.execute(query, params).fetchall()
            samples[label].append((time.perf_counter() - started) * 1000)
    counts = dict(conn.execute("SELECT status, count(*) FROM timers GROUP BY 1").fetchall())
    print(
        f"{conn.execute('SELECT count(*) FROM tickets').fetchone()[0]} tickets, timers {counts}, {len(answer)} overdue"
    )
    for label, values in samples.items():
        print(f"  {label:6} median {statistics.median(values):7.2f} ms  (min {min(values):.2f})")


if __name__ == "__main__":
    main()
