"""The outbox's two reads that every page and health check make, over an outbox of many sent messages.

    .venv/bin/python bench/bench_outbox_reads.py [--tickets 4000] [--copies 50] [--repeat 15]

`khidma serve --demo` (fresh file, `--no-worker`) takes `--tickets` inquiries through the API (`hey`), and
is stopped: each left its notifications `pending` in the outbox. The outbox then gets `--copies` more of
every row, marked `sent` (what a year of delivered notifications leaves: nearly every row sent, a backlog
of a few thousand), and ``ANALYZE``. Measured on that file, each side the same number of times, taking
turns (medians, ms):

* **a ticket's messages** (the staff ticket page, ``list_outbox(ticket_id)``): the query as it was, with
  ``(? IS NULL OR ticket_id = ?)`` conditions (SQLite then walks the whole outbox), against
  ``sqlite_outbox.list_sql`` (only the conditions asked for: the ``outbox_ticket`` index);
* **the unsent messages counted** (``/healthz`` at every poll, the outbox page, ``khidma dispatch``'s
  status): each unsent status's rows read out and counted in Python, as it was, against
  ``Store.count_outbox`` (counted by SQLite from ``outbox_due``).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_group_writes import served_database
from bench_throughput import ROOT

sys.path.insert(0, str(ROOT))
from server.notify.problems import kind, outbox_counts
from server.store.sqlite import open_store
from server.store.sqlite_outbox import list_sql, message_from_row

OLD_LIST = (
    "SELECT * FROM outbox WHERE (?1 IS NULL OR ticket_id = ?1) AND (?2 IS NULL OR status = ?2) ORDER BY id"
)
"""``sqlite_outbox.list_messages``' query before this change."""

COPY = """
WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < :copies)
INSERT INTO outbox (ticket_id, event_id, created_at, channel, recipient, template, language, subject, body,
                    status, attempts, next_attempt_at, gateway_request_id, updated_at, sent_at)
SELECT ticket_id, event_id, created_at, channel, recipient, template, language, subject, body,
       'sent', 1, next_attempt_at, lower(hex(randomblob(16))), updated_at, updated_at
  FROM outbox CROSS JOIN n
"""


def grown(db: Path, copies: int) -> tuple[int, int]:
    with sqlite3.connect(db) as conn:
        conn.execute(COPY, {"copies": copies})
        conn.execute("ANALYZE")
        total = conn.execute("SELECT count(*) FROM outbox").fetchone()[0]
        unsent = conn.execute("SELECT count(*) FROM outbox WHERE status != 'sent'").fetchone()[0]
    conn.close()
    return total, unsent


def timed(fn: Callable[..., object], *args: object) -> float:
    started = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - started) * 1000


async def measure(db: Path, repeat: int) -> dict[str, list[float]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    ids = [r[0] for r in conn.execute("SELECT id FROM tickets")]
    store = await open_store(db)
    results: dict[str, list[float]] = {}

    def read(sql: str, params: tuple[object, ...]) -> list[sqlite3.Row]:
        return conn.execute(sql, params).fetchall()

    def old_counts() -> Counter[str]:
        counted: Counter[str] = Counter()
        for status in ("pending", "sending", "failed", "dead"):
            rows = conn.execute(OLD_LIST, (None, status)).fetchall()
            counted.update(kind(message_from_row(row)) for row in rows)
        return counted

    try:
        for _ in range(repeat):
            ticket = random.choice(ids)
            results.setdefault("a ticket's messages, as it was", []).append(
                timed(read, OLD_LIST, (ticket, None))
            )
            results.setdefault("a ticket's messages, list_sql", []).append(
                timed(read, *list_sql(ticket, None))
            )
            results.setdefault("unsent counted, rows read out", []).append(timed(old_counts))
            started = time.perf_counter()
            await outbox_counts(store)
            results.setdefault("unsent counted, count_outbox", []).append(
                (time.perf_counter() - started) * 1000
            )
    finally:
        await store.close()
        conn.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=4000)
    parser.add_argument("--copies", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = served_database(Path(tmp), args.tickets)
        total, unsent = grown(db, args.copies)
        results = asyncio.run(measure(db, args.repeat))
    print(f"outbox: {total} messages, {unsent} not sent; {args.repeat} runs each, medians (ms)")
    for name, figures in results.items():
        print(f"  {name:34} {statistics.median(figures):9.2f}  (max {max(figures):.2f})")


if __name__ == "__main__":
    main()
