"""SQLite's own cost of writing new tickets, by the size of the group that shares a commit.

    .venv/bin/python bench/bench_group_writes.py [--tickets 4000] [--runs 3] [--sizes 1,4,8,16,32]

What the writer's thread spends inside SQLite (its C code and the kernel's page writes, the GIL let go)
for each new ticket, apart from Python: `khidma serve --demo` (fresh file, `--no-rate-limits
--no-worker`) takes `--tickets` inquiries through the API (`hey`), and is stopped; then, for each group
size, a copy of that database (`VACUUM INTO`) gets the same tickets written again — every row of the five
tables a creation writes (ticket, events, assignment, outbox, timers), with fresh ids, numbers, tracking
codes and request ids — through the writer's own statement (`sqlite_creations.BATCH`: one row of JSON
arrays into the TEMP table whose trigger inserts them, every table's triggers and indexes firing), one
`BEGIN IMMEDIATE … COMMIT` per group (its savepoint, in memory, as the writer's), `synchronous=OFF`
so that the disk's flushes are left out. (A lone creation is written row by row by the server
(`sqlite_tickets.create_ticket`); here, a group of one goes through the same statement as the others.) Also
with the free-text index's trigger dropped (`tickets_text_insert`), to show its share. Prints CPU
microseconds per ticket (medians of `--runs`, the variants taking turns) and WAL bytes per group.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_throughput import ROOT, free_port, hey, khidma_command, wait_ready

sys.path.insert(0, str(ROOT))
from server.store.sqlite_creations import BATCH

TABLES = {
    "tickets": "id, number, tracking_code, service_id, definition_version_id, state, category, department,"
    " assignee_role, assignee_user, channel, requester_id, data, vars, created_at, updated_at,"
    " idempotency_key, language, search_text",
    "events": "id, ticket_id, seq, at, actor_id, actor_name, actor_department, action, from_state, to_state,"
    " data, visibility, kind, definition_version_id, mac, chain_version, field_tags",
    "assignments": "ticket_id, event_id, at, department, role, user_id",
    "outbox": "ticket_id, event_id, created_at, channel, recipient, template, language, subject, body,"
    " status, next_attempt_at, gateway_request_id, updated_at, last_error",
    "timers": "ticket_id, timer, state, due_at",
}
"""The columns of each table in the order ``sqlite_creations``' statements read them."""


def served_database(tmp: Path, tickets: int) -> Path:
    db = tmp / "served.db"
    example = json.loads((ROOT / "form_schemas" / "inquiries.json").read_text(encoding="utf-8"))["examples"][
        0
    ]
    body = tmp / "body.json"
    body.write_text(json.dumps(example, ensure_ascii=False), encoding="utf-8")
    port = free_port()
    khidma = subprocess.Popen(
        khidma_command(port, db, 1, demo=True), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT
    )
    try:
        served = f"http://127.0.0.1:{port}"
        wait_ready(served)
        post = ["-m", "POST", "-T", "application/json", "-D", str(body), "-c", "16"]
        hey([*post, "-n", str(-(-tickets // 16) * 16), f"{served}/api/services/inquiries/tickets"])
    finally:
        khidma.terminate()
        khidma.wait(timeout=20)
    return db


def groups(conn: sqlite3.Connection, size: int) -> list[tuple[bytes, ...]]:
    """The served tickets' rows again, as the payloads of groups of ``size``: every id moved past the
    last one, and every unique value made new."""
    rows: dict[str, dict[int, list[list[object]]]] = {}
    for table, columns in TABLES.items():
        key = "id" if table == "tickets" else "ticket_id"
        found: dict[int, list[list[object]]] = {}
        for row in conn.execute(f"SELECT {columns}, {key} FROM {table} ORDER BY rowid"):
            found.setdefault(row[-1], []).append(list(row[:-1]))
        rows[table] = found
    ids = sorted(rows["tickets"])
    ticket_shift = ids[-1] + 1
    event_shift = int(conn.execute("SELECT max(id) FROM events").fetchone()[0]) + 1
    payloads = []
    for start in range(0, len(ids) - size + 1, size):
        batch: dict[str, list[list[object]]] = {table: [] for table in TABLES}
        for old in ids[start : start + size]:
            new = old + ticket_shift
            for ticket in rows["tickets"][old]:
                ticket[0:3] = [new, f"B-{new}", f"code-{new}"]
                ticket[16] = None  # no idempotency key
                batch["tickets"].append(ticket)
            for event in rows["events"].get(old, []):
                event[0:2] = [int(event[0]) + event_shift, new]  # type: ignore[call-overload]
                batch["events"].append(event)
            for assignment in rows["assignments"].get(old, []):
                assignment[0:2] = [new, int(assignment[1]) + event_shift]  # type: ignore[call-overload]
                batch["assignments"].append(assignment)
            for message in rows["outbox"].get(old, []):
                message[0:2] = [new, int(message[1]) + event_shift]  # type: ignore[call-overload]
                message[11] = f"{message[11]}-{new}"
                batch["outbox"].append(message)
            for timer in rows["timers"].get(old, []):
                timer[0] = new
                batch["timers"].append(timer)
        payloads.append(tuple(msgspec.json.encode(batch[table]) for table in TABLES))
    return payloads


def measure(served: Path, copy: Path, size: int, drop: list[str]) -> tuple[float, float]:
    """CPU µs per ticket and WAL bytes per group, writing the served tickets again in groups of ``size``."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    with sqlite3.connect(served) as source:
        source.execute("VACUUM INTO ?", (str(copy),))
    source.close()
    conn = sqlite3.connect(copy, isolation_level=None)
    pragmas = ("journal_mode = WAL", "synchronous = OFF", "wal_autocheckpoint = 0", "foreign_keys = ON")
    for pragma in (*pragmas, "temp_store = MEMORY"):  # the writer's connection's (server/store/sqlite.py)
        conn.execute(f"PRAGMA {pragma}")
    for statement in (*drop, *BATCH):
        conn.execute(statement)
    payloads = groups(conn, size)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    started = time.process_time()
    for payload in payloads:
        conn.execute("BEGIN IMMEDIATE")
        if size > 1:  # as the writer runs a group's creations together (sqlite_connection._together)
            conn.execute("SAVEPOINT together")
        conn.execute(
            "INSERT INTO creation_batch (tickets, events, assignments, outbox, timers) VALUES (?, ?, ?, ?, ?)",
            payload,
        )
        if size > 1:
            conn.execute("RELEASE together")
        conn.execute("COMMIT")
    cpu = time.process_time() - started
    wal = Path(f"{copy}-wal").stat().st_size
    conn.close()
    return cpu / (len(payloads) * size) * 1e6, wal / len(payloads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=4000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", default="1,4,8,16,32")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    variants = {"all": [], "no free-text index": ["DROP TRIGGER tickets_text_insert"]}
    with tempfile.TemporaryDirectory() as tmp:
        served = served_database(Path(tmp), args.tickets)
        results: dict[tuple[int, str], list[tuple[float, float]]] = {}
        for _ in range(args.runs):
            for size in sizes:
                for name, drop in variants.items():
                    results.setdefault((size, name), []).append(
                        measure(served, Path(tmp) / "copy.db", size, drop)
                    )
    print(f"{args.tickets} tickets written again, groups of each size, {args.runs} runs (medians)")
    print(f"{'group':>6} {'variant':20} {'CPU µs/ticket':>14} {'WAL KiB/group':>14}")
    for (size, name), figures in results.items():
        cpu = statistics.median(f[0] for f in figures)
        wal = statistics.median(f[1] for f in figures) / 1024
        print(f"{size:>6} {name:20} {cpu:14.0f} {wal:14.0f}")


if __name__ == "__main__":
    main()
