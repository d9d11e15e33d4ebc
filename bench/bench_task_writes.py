"""What the task lists' aids (migrations 0012–0013) cost a ticket transaction in the writer.

    PYTHONPATH=. .venv/bin/python bench/bench_task_writes.py [--tickets 3000] [--drop TRIGGER,…]
    PYTHONPATH=/tmp/before .venv/bin/python bench/bench_task_writes.py     # another checkout

The SQLite store's own transaction functions (``sqlite_tickets.create_ticket`` and ``apply_change``, as
``Writer.run_sync`` runs them), called directly on a ``sqlite3`` connection with ``synchronous=NORMAL``
— no asyncio, no service layer, no fsync — so what is timed is the statements alone: a creation with a
search text of ~100 characters, one event, one message and one timer; then an action on each ticket
that changes its state, holder and category, cancels its timer and sets a new one. ``--drop`` drops
triggers first (``tickets_text_insert``, ``ticket_counts_insert``, ``timers_due_leave``…) to see what
each costs. Prints the median and mean per transaction (the mean carries the WAL checkpoints).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from server.store import sqlite_tickets
from server.store.records import NewEvent, NewMessage, NewTicket, NewTimer, TicketChange
from server.store.sqlite import open_store

KEY = b"k" * 32
TEXT = "عبدالله الغامدي | طلب صيانة للمكيف في القاعة 12 | 0551234567 | abdullah@example.org"


async def _prepare(path: Path) -> int:
    store = await open_store(path, synchronous="NORMAL")
    version = await store.publish_definition(
        "svc", {"v": 1}, "h", created_by=None, note="", now=dt.datetime.now(dt.UTC)
    )
    await store.close()
    return version.id


def run(tickets: int, drop: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "writes.db"
        version = asyncio.run(_prepare(path))
        conn = sqlite3.connect(path, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA synchronous = NORMAL")
        for trigger in drop:
            conn.execute(f"DROP TRIGGER {trigger}")  # a name given on the command line
        now = dt.datetime.now(dt.UTC)
        event = NewEvent(
            at=now,
            actor_id="u",
            actor_name="U",
            action="submit",
            from_state=None,
            to_state="s",
            data={"a": 1},
            visibility="public",
            kind="created",
        )
        message = NewMessage(
            channel="email", recipient="a@b", template="t", language="ar", subject="s", body="b" * 200
        )
        created: list[float] = []
        acted: list[float] = []
        made: list[tuple[int, int]] = []
        for n in range(tickets):
            new = NewTicket(
                service_id="svc",
                definition_version_id=version,
                state="s",
                category="open",
                department="it",
                assignee_role="r",
                assignee_user=None,
                channel="web",
                requester_id=None,
                data={"subject": "x" * 300, "name": "y" * 50},
                vars={},
                search_text=f"{TEXT} {n}",
            )
            timer = NewTimer(timer="sla", state="s", due_at=now + dt.timedelta(hours=n % 50))
            started = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            ticket, _ = sqlite_tickets.create_ticket(conn, new, [event], [message], [timer], now=now, key=KEY)
            conn.execute("COMMIT")
            created.append(time.perf_counter() - started)
            made.append((ticket.id, ticket.version))
        change = TicketChange(
            state="t",
            category="in_progress",
            department="hr",
            assignee_role="r2",
            assignee_user=None,
            vars={},
            closed=False,
        )
        for ticket_id, version_no in made:
            started = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            sqlite_tickets.apply_change(
                conn,
                ticket_id,
                version_no,
                change,
                [event],
                [message],
                [NewTimer(timer="b", state="t", due_at=now)],
                cancel_pending_timers=True,
                now=now,
                fired_timer_id=None,
                key=KEY,
            )
            conn.execute("COMMIT")
            acted.append(time.perf_counter() - started)
        conn.close()
    print(
        f"create: median {statistics.median(created) * 1e6:.0f} µs, mean {statistics.mean(created) * 1e6:.0f} µs;"
        f" action: median {statistics.median(acted) * 1e6:.0f} µs, mean {statistics.mean(acted) * 1e6:.0f} µs"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=3000)
    parser.add_argument("--drop", default="", help="triggers to drop first, comma-separated")
    args = parser.parse_args()
    run(args.tickets, [t for t in args.drop.split(",") if t])


if __name__ == "__main__":
    main()
