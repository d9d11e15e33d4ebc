"""The bare-endpoint baseline every throughput figure of `docs/performance.md` is a ratio to.

    .venv/bin/python bench/baseline.py --db /tmp/baseline.db --port 8100

A bare Litestar app under the same server settings as `khidma serve` (uvicorn, uvloop and httptools,
`log_level=warning`, one process): `POST /tickets` reads a JSON body and writes one row into each of three
bare tables — ticket, event, outbox — in one `BEGIN IMMEDIATE … COMMIT` on a SQLite file in WAL mode
with `synchronous=FULL`, run as one hop to a writer thread (one `sqlite3` connection owned by a
single-thread executor), and answers 201 with the new id. `GET /healthz` answers 200. This is the cost of
HTTP plus one durable three-row transaction and nothing else: what khidma's submission path cannot beat.
`bench/bench_throughput.py` starts it beside `khidma serve` and drives both in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS ticket (id INTEGER PRIMARY KEY, data TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS event (id INTEGER PRIMARY KEY, ticket_id INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY, ticket_id INTEGER NOT NULL, body TEXT NOT NULL);
"""


def build_app(db: Path) -> Any:
    import msgspec
    from litestar import Litestar, get, post

    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="baseline-writer")

    def open_connection() -> sqlite3.Connection:
        conn = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA busy_timeout = 5000")
        conn.executescript(SCHEMA)
        return conn

    conn = executor.submit(open_connection).result()

    def write(text: str) -> int:
        conn.execute("BEGIN IMMEDIATE")
        try:
            cur = conn.execute("INSERT INTO ticket (data, created_at) VALUES (?, datetime('now'))", (text,))
            ticket_id = int(cur.lastrowid or 0)
            conn.execute("INSERT INTO event (ticket_id, data) VALUES (?, ?)", (ticket_id, text))
            conn.execute("INSERT INTO outbox (ticket_id, body) VALUES (?, ?)", (ticket_id, "created"))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return ticket_id

    @post("/tickets", status_code=201)
    async def create(data: dict[str, Any]) -> dict[str, int]:
        text = msgspec.json.encode(data).decode()
        ticket_id = await asyncio.get_running_loop().run_in_executor(executor, write, text)
        return {"id": ticket_id}

    @get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return Litestar(route_handlers=[create, healthz])


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    args = parser.parse_args()
    # the same call as `khidma serve` (server/cli.py)
    uvicorn.run(
        build_app(Path(args.db)), host=args.host, port=args.port, log_level="warning", proxy_headers=False
    )


if __name__ == "__main__":
    main()
