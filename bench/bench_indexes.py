"""What one index on ``tickets`` costs a write: the same rows inserted and updated with and without it.

    .venv/bin/python bench/bench_indexes.py [--tickets 20000] [--runs 3] [--index tickets_state]

Two fresh SQLite files get the real schema (``open_store``: every migration); on one, the pruned index
(migration 0011, issue 14) is created again, as it was before. Then, in turns (so both see the same
machine state), each gets ``--tickets`` ticket rows inserted and then each row updated (state,
category, department, updated_at — what an action changes), in transactions of 100 with
``synchronous=OFF`` so that the disk's flushes, which would hide it, are left out: this is the CPU and
page work of maintaining the index. Medians of ``--runs`` (the two files take turns going first), rows per second.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from server.store.sqlite import open_store

DEFINITIONS = {"tickets_state": "CREATE INDEX tickets_state ON tickets (state)"}
STATES = ["received", "in_review", "with_department", "waiting", "done", "rejected"]


async def _fresh(path: Path) -> None:
    store = await open_store(path)
    await store.close()


def _round(path: Path, tickets: int, seed: int) -> tuple[float, float]:
    rng = random.Random(seed)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("DELETE FROM tickets")
    version = conn.execute("SELECT id FROM definition_versions LIMIT 1").fetchone()
    if version is None:
        conn.execute(
            "INSERT INTO definition_versions (service_id, version, content_hash, bundle, created_at)"
            " VALUES ('s', 1, 'h', '{}', '2026-01-01T00:00:00Z')"
        )
        version = conn.execute("SELECT id FROM definition_versions LIMIT 1").fetchone()
    started = time.perf_counter()
    for start in range(0, tickets, 100):
        conn.execute("BEGIN")
        for i in range(start, min(start + 100, tickets)):
            conn.execute(
                "INSERT INTO tickets (number, tracking_code, service_id, definition_version_id, state, category,"
                " department, channel, data, vars, version, created_at, updated_at)"
                " VALUES (?, ?, 'maintenance', ?, ?, 'new', 'classrooms', 'web', '{}', '{}', 1, ?, ?)",
                (
                    f"{seed}-{i:07d}",
                    f"t{seed}-{i}",
                    version[0],
                    rng.choice(STATES),
                    f"2026-{i:09d}",
                    f"2026-{i:09d}",
                ),
            )
        conn.execute("COMMIT")
    inserted = time.perf_counter() - started
    ids = [row[0] for row in conn.execute("SELECT id FROM tickets")]
    started = time.perf_counter()
    for start in range(0, len(ids), 100):
        conn.execute("BEGIN")
        for ticket_id in ids[start : start + 100]:
            conn.execute(
                "UPDATE tickets SET state = ?, category = 'in_progress', department = 'maintenance_center',"
                " updated_at = ?, version = version + 1 WHERE id = ?",
                (rng.choice(STATES), f"2027-{ticket_id:09d}", ticket_id),
            )
        conn.execute("COMMIT")
    updated = time.perf_counter() - started
    conn.close()
    return tickets / inserted, len(ids) / updated


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--index", default="tickets_state", choices=sorted(DEFINITIONS))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        pruned, kept = Path(tmp) / "pruned.db", Path(tmp) / "kept.db"
        for path in (pruned, kept):
            asyncio.run(_fresh(path))
        conn = sqlite3.connect(kept)
        conn.execute(DEFINITIONS[args.index])
        conn.close()
        rates: dict[str, list[tuple[float, float]]] = {"pruned": [], "kept": []}
        for run in range(args.runs):
            turns = [("kept", kept), ("pruned", pruned)]
            for label, path in turns if run % 2 == 0 else turns[::-1]:  # neither always first
                rates[label].append(_round(path, args.tickets, run))
        indexes = {}
        for label, path in (("kept", kept), ("pruned", pruned)):
            conn = sqlite3.connect(path)
            indexes[label] = conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tickets'"
            ).fetchone()[0]
            conn.close()
    print(f"{args.tickets} tickets, {args.runs} runs in turns, medians (rows/s), synchronous=OFF:")
    for label in ("kept", "pruned"):
        ins = statistics.median(r[0] for r in rates[label])
        upd = statistics.median(r[1] for r in rates[label])
        print(
            f"  {args.index} {label:6} ({indexes[label]:2d} indexes on tickets): insert {ins:9.0f}/s  update {upd:9.0f}/s"
        )


if __name__ == "__main__":
    main()
