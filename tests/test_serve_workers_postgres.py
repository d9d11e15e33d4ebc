"""Several ``khidma serve`` processes on one PostgreSQL database (issue 14): one started with
``--workers 2`` and one more on its own (as on a second machine) take submissions and racing actions
at once — none is lost, numbers have no gap, each race has exactly one winner, exactly one process
runs the background work (the advisory-lock election of server/workers.py), and each outbox message
reaches the loopback SMTP server once. ``bench/bench_scaleout.py`` runs the same check at 10,000."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = 100


class Counting:
    """An aiosmtpd handler that keeps the Message-ID of every mail it accepts."""

    def __init__(self) -> None:
        self.ids: list[str] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        for line in content.decode("utf-8", "replace").splitlines():
            if line.lower().startswith("message-id:"):
                self.ids.append(line.split(":", 1)[1].strip())
                break
        else:
            self.ids.append(f"(none {len(self.ids)})")
        return "250 OK"


def khidma(*args: str, db: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "server", *args, "--db", db],
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return done.stdout


@contextlib.contextmanager
def serving(db: str, env: dict[str, str], *extra: str) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "server",
            "serve",
            "--port",
            str(port),
            "--db",
            db,
            "--no-rate-limits",
            *extra,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **env},
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise RuntimeError("khidma serve did not answer within 30 s")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def rows(db: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(db, autocommit=True) as conn:
        return conn.execute(sql).fetchall()  # type: ignore[arg-type]


async def test_processes_on_one_postgres_lose_nothing_and_race_fairly(pg_url: str) -> None:
    example = json.loads((ROOT / "form_schemas" / "inquiries.json").read_text(encoding="utf-8"))["examples"][
        0
    ]
    mailbox = Counting()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    env = {
        "KHIDMA_SMTP_HOST": "127.0.0.1",
        "KHIDMA_SMTP_PORT": str(smtp.port),
        "KHIDMA_SECRET": "one-secret-for-every-process",
    }
    try:
        with (
            serving(pg_url, env, "--workers", "2", "--worker-interval", "0.5") as first,
            serving(pg_url, env, "--worker-interval", "0.5") as second,
        ):
            khidma("user", "add", "cs.rep", "--role", "customer_service", db=pg_url)
            token = khidma("token", "create", "cs.rep", db=pg_url).strip().split()[-1]
            bases = [first, second]
            async with (
                httpx.AsyncClient(timeout=30) as client,
            ):
                await asyncio.gather(*(client.get(f"{bases[i % 2]}/healthz") for i in range(8)))
                elected = rows(
                    pg_url,
                    "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                    " WHERE l.locktype = 'advisory' AND l.granted"
                    " AND a.application_name = 'khidma-worker-election'",
                )
                gate = asyncio.Semaphore(16)

                async def submit(i: int) -> httpx.Response:
                    async with gate:
                        return await client.post(
                            f"{bases[i % 2]}/api/services/inquiries/tickets", json=example
                        )

                answers = await asyncio.gather(*(submit(i) for i in range(SUBMISSIONS)))
                assert [a.status_code for a in answers] == [201] * SUBMISSIONS, answers[0].text

                async def act(base: str, ticket: dict[str, Any]) -> httpx.Response:
                    async with gate:
                        return await client.post(
                            f"{base}/api/tickets/{ticket['id']}/actions/add_note",
                            json={"data": {"note": "first"}, "expected_version": ticket["ticket_version"]},
                            headers=auth,
                        )

                tickets = [a.json() for a in answers]
                auth = {"authorization": f"Bearer {token}"}
                versions = await asyncio.gather(
                    *(client.get(f"{first}/api/tickets/{t['id']}", headers=auth) for t in tickets)
                )
                for ticket, seen in zip(tickets, versions, strict=True):
                    ticket["ticket_version"] = seen.json()["ticket_version"]
                races = await asyncio.gather(
                    *(asyncio.gather(act(first, t), act(second, t)) for t in tickets)
                )
            outcomes = [sorted(r.status_code for r in race) for race in races]
            assert outcomes == [[200, 409]] * SUBMISSIONS, [r.text for r in races[0]]
            # the elected worker sends what the submissions queued; wait for it (the outbox drains)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                waiting = rows(
                    pg_url,
                    "SELECT count(*) FROM outbox WHERE channel = 'email' AND status IN ('pending', 'failed', 'sending')",
                )
                if waiting[0][0] == 0:
                    break
                await asyncio.sleep(0.3)
            await asyncio.sleep(1.5)  # a second sender would show itself now
    finally:
        smtp.stop()
    assert elected == [(1,)], "exactly one process holds the background-work lock"
    acknowledged = {t["number"] for t in tickets}
    found = rows(
        pg_url,
        "SELECT number, (SELECT count(*) FROM events e WHERE e.ticket_id = t.id), version FROM tickets t",
    )
    assert len(found) == SUBMISSIONS and acknowledged == {n for n, _, _ in found}, "nothing lost"
    assert sorted(int(n.split("-")[1]) for n, _, _ in found) == list(range(1, SUBMISSIONS + 1)), "no gaps"
    assert {events for _, events, _ in found} == {2}, "one submission and one winning note each"
    # (a message undeliverable when queued — no address for its recipient — is dead at once, unsent)
    email = rows(
        pg_url,
        "SELECT status, attempts FROM outbox WHERE channel = 'email' AND NOT (status = 'dead' AND attempts = 0)",
    )
    assert email, "the submissions queued e-mail"
    assert set(email) == {("sent", 1)}, "each message claimed and sent once"
    assert len(mailbox.ids) == len(email) and len(set(mailbox.ids)) == len(email), "each mail arrived once"


def test_one_process_per_database_schema_is_elected(pg_url: str) -> None:
    from server import workers

    held = list(workers._held)
    try:
        assert workers.take_postgres_worker_lock(pg_url) is True
        assert workers.take_postgres_worker_lock(pg_url) is False, "a second connection is not elected"
        other = pg_url.rsplit("%3D", 1)[0] + "%3Dpublic"
        assert workers.take_postgres_worker_lock(other) is True, "another schema elects its own"
        for conn in workers._held[len(held) :]:
            conn.close()  # the holder goes away: the lock is free again
        assert workers.take_postgres_worker_lock(pg_url) is True
    finally:
        for conn in workers._held[len(held) :]:
            conn.close()
        workers._held[:] = held
