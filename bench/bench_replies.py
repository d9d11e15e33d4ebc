"""The customer-service replies log on many tickets: one page, a filtered page and the whole export.

    .venv/bin/python bench/bench_replies.py [--tickets 100000] [--repeat 5]

Fills a fresh SQLite file as ``bench/bench_tasks.py`` does (the nine shipped services in realistic
proportions over two years), then gives every e-mail ticket a sorting event and a reply event with its
two outbox rows (the sender, the general supervisor's copy), as the e-mail workflow writes them. Times
(median of ``--repeat`` runs, ms) ``reply_log`` for the first page of everything, the first page of
one class, the first page of one month, and every reply (the export's query).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_tasks import populate
from server.channels.replies import Filters, log_definition, query_of
from server.runtime import Runtime, load_shipped
from server.settings import Settings
from server.store.sqlite_codec import time_text

CLASSES = ("supplies_request", "supplies_maintenance", "outside_remit", "within_remit_other")
REPLY = {
    "supplies_request": "reply_eticket",
    "supplies_maintenance": "reply_eticket",
    "outside_remit": "reply_competent_body",
    "within_remit_other": "reply_within_remit",
}


def add_replies(path: Path) -> int:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    rows = conn.execute("SELECT id, created_at FROM tickets WHERE service_id = 'email'").fetchall()
    for n, (ticket_id, created) in enumerate(rows):
        klass = CLASSES[n % len(CLASSES)]
        at = dt.datetime.fromisoformat(created) + dt.timedelta(hours=2)
        conn.execute(
            "INSERT INTO events (ticket_id, seq, at, actor_id, actor_name, action, from_state, to_state, data,"
            " visibility, kind) VALUES (?, 2, ?, NULL, 'rep', 'sort', 'received', 'sorted', ?, 'internal', 'action')",
            (ticket_id, time_text(at), json.dumps({"classification": klass})),
        )
        reply_at = time_text(at + dt.timedelta(hours=1))
        event = conn.execute(
            "INSERT INTO events (ticket_id, seq, at, actor_id, actor_name, action, from_state, to_state, data,"
            " visibility, kind) VALUES (?, 3, ?, NULL, 'rep', ?, 'sorted', 'replied', ?, 'public', 'action')",
            (ticket_id, reply_at, REPLY[klass], json.dumps({"reply": f"رد رقم {n}"}, ensure_ascii=False)),
        ).lastrowid
        for recipient in ("sender@example.org", "supervisor@example.org"):
            conn.execute(
                "INSERT INTO outbox (ticket_id, event_id, created_at, channel, recipient, template, language,"
                " subject, body, status, next_attempt_at, gateway_request_id, updated_at)"
                " VALUES (?, ?, ?, 'email', ?, ?, 'ar', 'رد', 'نص الرد', 'sent', ?, ?, ?)",
                (
                    ticket_id,
                    event,
                    reply_at,
                    recipient,
                    REPLY[klass],
                    reply_at,
                    secrets.token_hex(16),
                    reply_at,
                ),
            )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    return len(rows)


async def run(tickets: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "replies.db"
        settings = Settings(db_path=path, background_worker=False)
        runtime = await Runtime.open(settings, load_shipped(settings))
        await runtime.close()
        populate(path, tickets, {d: ["nobody"] for d in runtime.org.departments})
        replies = add_replies(path)
        print(f"{tickets} tickets, {replies} replies")
        runtime = await Runtime.open(settings, load_shipped(settings))
        try:
            definition = await log_definition(runtime)
            tz = runtime.tickets.calendar.tz
            today = dt.datetime.now(dt.UTC).date()
            cases = {
                "first page, everything": Filters(),
                "first page, one class": Filters(klass="outside_remit"),
                "first page, one month": Filters(start=today - dt.timedelta(days=30), end=today),
            }
            for label, filters in cases.items():
                query = query_of(definition, filters, tz, offset=0, limit=25)
                await timed(runtime, label, query, repeat)
            await timed(
                runtime,
                "every reply (export)",
                query_of(definition, Filters(), tz, offset=0, limit=50_000),
                repeat,
            )
        finally:
            await runtime.close()


async def timed(runtime: Runtime, label: str, query: object, repeat: int) -> None:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        rows, total = await runtime.store.reply_log(query)  # type: ignore[arg-type]
        times.append((time.perf_counter() - started) * 1000)
    print(f"{label:28} {statistics.median(times):8.1f} ms  ({len(rows)} rows of {total})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(run(args.tickets, args.repeat))


if __name__ == "__main__":
    main()
