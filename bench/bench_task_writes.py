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

    .venv/bin/python bench/bench_task_writes.py --backend postgresql [--tickets 2000] [--concurrency 16]

On PostgreSQL (a throwaway cluster, ``bench_scaleout.start_postgres``: default settings, durable
commits), through the store itself (``PostgresStore.create_ticket`` / ``apply_change``), for each way of
keeping the task counts — each in a fresh schema:

* ``none``: pg migration 0008's triggers dropped (no aggregate: the counts read the tickets);
* ``deltas``: 0008 as shipped (each write appends +1/-1 rows to ``ticket_count_deltas``);
* ``row``: one shared counter row per combination, upserted by the write (SQLite's way);
* ``sharded``: the same with 16 rows per combination, the shard the backend's pid mod 16.

Timed: creations one at a time and actions one at a time with ``synchronous_commit`` off (the
statements' cost, no WAL flush), µs per transaction, median; then ``--concurrency`` actions at once,
durable (``--commit-delay`` µs added to each WAL flush, as a slower disk would), on distinct tickets all making the same move (state, holder, category) — the case where a
shared counter row makes them wait on each other's row lock until commit: actions per second, p50 /
p99 ms.
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
from typing import Any

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


# --- PostgreSQL ---------------------------------------------------------------------------------

_DIMENSIONS = "department, assignee_role, assignee_user, service_id, channel, state, category"
_KEY = "service_id, state, channel, department, assignee_role, assignee_user, category"

_COUNTER_ROWS = f"""
CREATE TABLE bench_counts (shard integer NOT NULL, day date NOT NULL, department text, assignee_role text,
    assignee_user text, service_id text NOT NULL, channel text NOT NULL, state text NOT NULL,
    category text NOT NULL, n bigint NOT NULL,
    UNIQUE NULLS NOT DISTINCT (shard, day, {_KEY}));
CREATE FUNCTION bench_counter_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        INSERT INTO bench_counts AS c (shard, day, {_DIMENSIONS}, n)
        VALUES (%(shard)s, (OLD.created_at AT TIME ZONE 'UTC')::date, OLD.department, OLD.assignee_role,
                OLD.assignee_user, OLD.service_id, OLD.channel, OLD.state, OLD.category, -1)
        ON CONFLICT (shard, day, {_KEY}) DO UPDATE SET n = c.n - 1;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO bench_counts AS c (shard, day, {_DIMENSIONS}, n)
        VALUES (%(shard)s, (NEW.created_at AT TIME ZONE 'UTC')::date, NEW.department, NEW.assignee_role,
                NEW.assignee_user, NEW.service_id, NEW.channel, NEW.state, NEW.category, 1)
        ON CONFLICT (shard, day, {_KEY}) DO UPDATE SET n = c.n + 1;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER bench_counter_rows AFTER INSERT OR DELETE OR UPDATE ON tickets
    FOR EACH ROW EXECUTE FUNCTION bench_counter_rows();
"""
"""``row`` / ``sharded``: a counter row per combination and UTC day (shard 0, or the backend's pid mod
16), upserted in the write's transaction — the shape pg 0008 does not take."""

VARIANTS = ("none", "deltas", "row", "sharded")


def _variant_sql(variant: str) -> str:
    drop = (
        "DROP TRIGGER tickets_count_deltas ON tickets; DROP TRIGGER tickets_count_deltas_update ON tickets;"
    )
    if variant == "deltas":
        return ""
    if variant == "none":
        return drop
    shard = "0" if variant == "row" else "pg_backend_pid() % 16"
    return drop + _COUNTER_ROWS.replace("%(shard)s", shard)


def _new_pg_ticket(version: int, n: int) -> NewTicket:
    return NewTicket(
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


async def _pg_variant(url: str, variant: str, tickets: int, concurrency: int, commit_delay: int) -> str:
    import psycopg

    from server.store.postgres import open_postgres

    schema = f"bench_{variant}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")  # a fixed name
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
    change = TicketChange(
        state="t",
        category="in_progress",
        department="hr",
        assignee_role="r2",
        assignee_user=None,
        vars={},
        closed=False,
    )
    lines = []
    for durable in (False, True):
        options = f"-csearch_path%3D{schema}" + (
            f"%20-ccommit_delay%3D{commit_delay}" if durable else "%20-csynchronous_commit%3Doff"
        )
        store = await open_postgres(f"{url}?options={options}", pool_size=concurrency)
        try:
            if not durable:
                sql = _variant_sql(variant)
                if sql:
                    async with store._pool.connection() as conn:
                        await conn.execute(sql.encode())
                version = await store.publish_definition(
                    "svc", {"v": 1}, "h", created_by=None, note="", now=now
                )
                created: list[float] = []
                made = []
                for n in range(tickets):
                    timer = NewTimer(timer="sla", state="s", due_at=now + dt.timedelta(hours=n % 50))
                    started = time.perf_counter()
                    ticket, _ = await store.create_ticket(
                        _new_pg_ticket(version.id, n), [event], [message], [timer], now=now
                    )
                    created.append(time.perf_counter() - started)
                    made.append(ticket)
                acted: list[float] = []
                for ticket in made[: tickets // 2]:
                    started = time.perf_counter()
                    await store.apply_change(
                        ticket.id,
                        ticket.version,
                        change,
                        [event],
                        [message],
                        [],
                        cancel_pending_timers=True,
                        now=now,
                    )
                    acted.append(time.perf_counter() - started)
                lines.append(await _trigger_times(store, variant, min(tickets, 1000)))
                lines.append(
                    f"{variant:8} one at a time (synchronous_commit off): create median"
                    f" {statistics.median(created) * 1e6:.0f} µs, action median {statistics.median(acted) * 1e6:.0f} µs"
                )
                continue
            lines.append(await _concurrent_actions(store, variant, concurrency, change, event, message, now))
        finally:
            await store.close()
    return "\n".join(lines)


_COPY_COLUMNS = (
    "service_id, definition_version_id, state, category, department, assignee_role, assignee_user, channel,"
    " requester_id, data, vars, version, created_at, updated_at, search_text"
)


async def _trigger_times(store: Any, variant: str, rows: int) -> str:
    """The count triggers' own time per row (``EXPLAIN ANALYZE``'s trigger lines), for ``rows`` tickets
    inserted (copies of existing ones) and updated (state, holder and category) in one statement each —
    rolled back."""
    import json

    ours = ("tickets_count_deltas", "tickets_count_deltas_update", "bench_counter_rows")
    found = []
    for what, sql in (
        (
            "insert",
            f"INSERT INTO tickets (number, tracking_code, {_COPY_COLUMNS})"
            f" SELECT number || '-b', tracking_code || '-b', {_COPY_COLUMNS} FROM tickets ORDER BY id LIMIT {rows}",
        ),
        (
            "update",
            "UPDATE tickets SET state = state || '2', category = 'waiting', department = 'x'"
            f" WHERE id IN (SELECT id FROM tickets ORDER BY id LIMIT {rows})",
        ),
    ):
        async with store._pool.connection() as conn, conn.transaction(force_rollback=True):
            cursor = await conn.execute(("EXPLAIN (ANALYZE, FORMAT JSON) " + sql).encode())
            row = await cursor.fetchone()
        plan = row[0] if isinstance(row[0], list) else json.loads(row[0])
        spent = sum(t["Time"] for t in plan[0].get("Triggers", []) if t["Trigger Name"] in ours)
        calls = sum(t["Calls"] for t in plan[0].get("Triggers", []) if t["Trigger Name"] in ours)
        found.append(
            f"{what} {spent * 1000 / max(calls, 1):.1f} µs ({calls} calls)" if calls else f"{what} -"
        )
    return f"{variant:8} the count triggers per row: " + ", ".join(found)


async def _concurrent_actions(
    store: Any,
    variant: str,
    concurrency: int,
    change: TicketChange,
    event: NewEvent,
    message: NewMessage,
    now: dt.datetime,
) -> str:
    """``concurrency`` actions at a time on the tickets still in their first state, all the same move."""
    queue = await _tickets_in(store, "s")
    latencies: list[float] = []

    async def worker() -> None:
        while queue:
            ticket_id, version_no = queue.pop()
            started = time.perf_counter()
            await store.apply_change(
                ticket_id, version_no, change, [event], [message], [], cancel_pending_timers=True, now=now
            )
            latencies.append(time.perf_counter() - started)

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    latencies.sort()
    return (
        f"{variant:8} {concurrency} actions at once (durable): {len(latencies) / elapsed:.0f} actions/s,"
        f" p50 {latencies[len(latencies) // 2] * 1e3:.1f} ms, p99 {latencies[int(len(latencies) * 0.99)] * 1e3:.1f} ms"
    )


async def _tickets_in(store: Any, state: str) -> list[tuple[int, int]]:
    rows = await store._all("SELECT id, version FROM tickets WHERE state = %s ORDER BY id", (state,))
    return [(int(r["id"]), int(r["version"])) for r in rows]


def run_postgresql(tickets: int, concurrency: int, variants: list[str], commit_delay: int = 0) -> None:
    import shutil

    import bench_scaleout  # bench/ is the script's directory

    base = Path(tempfile.mkdtemp(prefix="khidma-pg-writes-"))
    url = bench_scaleout.start_postgres(base)
    try:
        for variant in variants:
            print(asyncio.run(_pg_variant(url, variant, tickets, concurrency, commit_delay)), flush=True)
    finally:
        bench_scaleout.stop_postgres(base)
        shutil.rmtree(base, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=3000)
    parser.add_argument("--drop", default="", help="triggers to drop first, comma-separated")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--concurrency", type=int, default=16, help="postgresql: actions at once")
    parser.add_argument(
        "--variants", default=",".join(VARIANTS), help=f"postgresql: which of {', '.join(VARIANTS)}"
    )
    parser.add_argument(
        "--commit-delay",
        type=int,
        default=0,
        help="postgresql: commit_delay (µs) for the concurrent actions — a slower WAL flush, as on a"
        " network disk: a row lock is held that much longer",
    )
    args = parser.parse_args()
    if args.backend == "postgresql":
        variants = [v for v in args.variants.split(",") if v]
        run_postgresql(args.tickets, args.concurrency, variants, args.commit_delay)
        return
    run(args.tickets, [t for t in args.drop.split(",") if t])


if __name__ == "__main__":
    main()
