"""``khidma serve --workers 2``: two processes take submissions on one SQLite file at once; none is
lost, numbers have no gap, and one idempotency key sent to both at once makes one ticket."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from pathlib import Path

import httpx

from tests.conftest import running_server

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = 60


def _processes_with_open(path: Path) -> set[int]:
    """The ids of the processes (other than this one) that have ``path`` open."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            for fd in (entry / "fd").iterdir():
                if os.readlink(fd) == str(path):
                    found.add(int(entry.name))
                    break
        except OSError:  # gone, or not ours to read
            continue
    return found


async def test_two_processes_take_submissions_on_one_file(tmp_path: Path) -> None:
    db = tmp_path / "khidma.db"
    example = json.loads((ROOT / "form_schemas" / "inquiries.json").read_text(encoding="utf-8"))["examples"][
        0
    ]
    url = "/api/services/inquiries/tickets"
    with running_server(db, "--workers", "2", "--no-rate-limits") as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            # warm both processes (each answers after its own start; the second may start later)
            deadline = asyncio.get_running_loop().time() + 30
            while len(_processes_with_open(db)) < 2 and asyncio.get_running_loop().time() < deadline:
                await asyncio.gather(*(client.get("/healthz") for _ in range(8)))
                await asyncio.sleep(0.2)
            assert len(_processes_with_open(db)) == 2, "two server processes share the file"
            gate = asyncio.Semaphore(16)

            async def submit(key: str | None = None) -> httpx.Response:
                async with gate:
                    headers = {"Idempotency-Key": key} if key else {}
                    return await client.post(url, json=example, headers=headers)

            answers = await asyncio.gather(*(submit() for _ in range(SUBMISSIONS)))
            same_key = await asyncio.gather(*(submit("one-key") for _ in range(8)))
    assert [a.status_code for a in answers] == [201] * SUBMISSIONS
    acknowledged = {a.json()["number"] for a in answers}
    assert len(acknowledged) == SUBMISSIONS
    assert {a.status_code for a in same_key} <= {200, 201}
    assert [a.status_code for a in same_key].count(201) == 1
    assert len({a.json()["number"] for a in same_key}) == 1
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(
            "SELECT number, (SELECT count(*) FROM events e WHERE e.ticket_id = t.id) FROM tickets t"
        ).fetchall()
    finally:
        conn.close()
    numbers = {number for number, _ in rows}
    assert acknowledged <= numbers, "an acknowledged ticket is lost"
    assert len(rows) == SUBMISSIONS + 1
    assert {events for _, events in rows} == {1}
    assert sorted(int(n.split("-")[1]) for n in numbers) == list(range(1, len(rows) + 1))
