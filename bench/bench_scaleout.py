"""Several processes on one database (issue 14): submissions and racing actions, checked, with rates.

    .venv/bin/python bench/bench_scaleout.py [--count 10000] [--backend postgresql|sqlite|both]
                                             [--connections 16] [--pg-url postgresql://…]

For each backend: `khidma serve --workers 2` (two processes; the background worker ON, elected — on
PostgreSQL by the advisory lock of server/workers.py — and sending e-mail to a loopback aiosmtpd
started here) on a fresh database: PostgreSQL 15 started here in a temporary directory with its default
durability (fsync on, synchronous_commit on; Debian's binaries in /usr/lib/postgresql/15/bin, or
`--pg-url`), or a fresh SQLite file. Then:

1. `--count` submissions, `hey -n COUNT -c CONNECTIONS` (Debian package `hey`);
2. `--count` races: for each ticket, two identical `add_note` actions at the same `expected_version`
   sent at once (`--connections` requests in flight, from an httpx client in this process);
3. the checks: every ticket there, numbers 1..COUNT without a gap, exactly one 2xx per race and the
   other 409, one note event per ticket, the outbox drained with every sendable message `sent` at its
   first attempt, and the SMTP server given each Message-ID exactly once.

The bare baseline (`bench/baseline.py`, one process, one durable three-row SQLite transaction per
request) takes the same `hey -n COUNT -c CONNECTIONS` in the same run; the submission rate is also
printed as a ratio to it. Exits non-zero when a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psycopg
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path(os.environ.get("KHIDMA_PG_BIN", "/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(base: str, timeout: float = 120.0) -> None:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"{base} did not start within {timeout} s")


def hey(args: list[str]) -> dict[str, float]:
    out = subprocess.run(["hey", *args], capture_output=True, text=True, check=True).stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    figures = {"rps": float(found.group(1)) if found else 0.0}
    for pct in ("50", "99"):
        hit = re.search(rf"\s{pct}% in ([\d.]+) secs", out)
        figures[f"p{pct}"] = float(hit.group(1)) * 1000 if hit else float("nan")
    codes = dict(re.findall(r"\[(\d{3})\]\s+(\d+) responses", out))
    figures["ok"] = float(sum(int(n) for c, n in codes.items() if c.startswith("2")))
    figures["bad"] = float(sum(int(n) for c, n in codes.items() if not c.startswith("2")))
    return figures


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


def _as_owner(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.getuid() == 0 else command


def start_postgres(base: Path) -> str:
    """A fresh PostgreSQL 15 cluster in ``base`` with its default durability; its URL."""
    if os.getuid() == 0:
        import pwd

        owner = pwd.getpwnam("postgres")
        os.chown(base, owner.pw_uid, owner.pw_gid)
    data, log, port = base / "data", base / "server.log", free_port()
    initdb = [str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8"]
    subprocess.run(_as_owner([*initdb, "--locale=C.UTF-8"]), check=True, capture_output=True)
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {base} -c max_connections=200"
    pg_ctl = [str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start"]
    subprocess.run(_as_owner(pg_ctl), check=True, capture_output=True)
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", autocommit=True) as conn:
        conn.execute("CREATE DATABASE khidma_bench")
    return f"postgresql://postgres@127.0.0.1:{port}/khidma_bench"


def stop_postgres(base: Path) -> None:
    pg_ctl = [str(PG_BIN / "pg_ctl"), "-D", str(base / "data"), "-m", "fast", "-w", "stop"]
    subprocess.run(_as_owner(pg_ctl), capture_output=True)


def khidma(*args: str, db: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "server", *args, "--db", db],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return done.stdout


def query_for(db: str) -> Callable[[str], list[tuple[Any, ...]]]:
    def query(sql: str) -> list[tuple[Any, ...]]:
        if db.startswith("postgresql://"):
            with psycopg.connect(db, autocommit=True) as conn:
                return conn.execute(sql).fetchall()  # type: ignore[arg-type]
        conn = sqlite3.connect(db)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()

    return query


async def race(base: str, token: str, tickets: list[tuple[int, int]], connections: int) -> list[list[int]]:
    """Two identical actions at once per ticket; the sorted status codes of each pair."""
    gate = asyncio.Semaphore(connections)
    auth = {"authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:

        async def act(ticket_id: int, version: int) -> int:
            async with gate:
                answer = await client.post(
                    f"/api/tickets/{ticket_id}/actions/add_note",
                    json={"data": {"note": "the first word"}, "expected_version": version},
                    headers=auth,
                )
                return answer.status_code

        async def pair(ticket_id: int, version: int) -> list[int]:
            return sorted(await asyncio.gather(act(ticket_id, version), act(ticket_id, version)))

        return list(await asyncio.gather(*(pair(t, v) for t, v in tickets)))


def run_backend(name: str, db: str, args: argparse.Namespace, body: Path) -> dict[str, float]:
    mailbox = Counting()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    port = free_port()
    env = {
        **os.environ,
        "KHIDMA_SMTP_HOST": "127.0.0.1",
        "KHIDMA_SMTP_PORT": str(smtp.port),
        "KHIDMA_SECRET": "one-secret-for-every-process",
    }
    command = [sys.executable, "-m", "server", "serve", "--port", str(port), "--db", db]
    command += ["--no-rate-limits", "--workers", "2", "--worker-interval", "1"]
    server = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, env=env
    )
    query = query_for(db)
    failures: list[str] = []
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(base)
        khidma("user", "add", "cs.rep", "--role", "customer_service", db=db)
        token = khidma("token", "create", "cs.rep", db=db).strip().split()[-1]
        url = f"{base}/api/services/inquiries/tickets"
        post = ["-m", "POST", "-T", "application/json", "-D", str(body)]
        submitted = hey([*post, "-n", str(args.count), "-c", str(args.connections), url])
        tickets = [(int(i), int(v)) for i, v in query("SELECT id, version FROM tickets ORDER BY id")]
        start = time.monotonic()
        outcomes = asyncio.run(race(base, token, tickets, args.connections))
        race_seconds = time.monotonic() - start
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            left = query("SELECT count(*) FROM outbox WHERE status IN ('pending', 'failed', 'sending')")[0][0]
            if left == 0:
                break
            time.sleep(0.5)
        time.sleep(2)  # a second sender would show itself now
    finally:
        server.terminate()
        server.wait(timeout=30)
        smtp.stop()
    numbers = sorted(int(str(n).split("-")[1]) for (n,) in query("SELECT number FROM tickets"))
    if submitted["ok"] != args.count or submitted["bad"]:
        failures.append(f"submissions: {submitted['ok']:.0f} acknowledged, {submitted['bad']:.0f} refused")
    if numbers != list(range(1, args.count + 1)):
        failures.append(
            f"tickets: {len(numbers)} found, numbers with gaps: {numbers != list(range(1, len(numbers) + 1))}"
        )
    wrong = [o for o in outcomes if o != [200, 409]]
    if wrong:
        failures.append(f"races: {len(wrong)} without exactly one winner, e.g. {wrong[0]}")
    notes = query("SELECT count(*) FROM events WHERE ticket_id IN (SELECT id FROM tickets)")[0][0]
    if notes != 2 * args.count:
        failures.append(f"events: {notes}, expected {2 * args.count} (one submission and one note each)")
    sendable = query(
        "SELECT status, attempts, count(*) FROM outbox WHERE NOT (status = 'dead' AND attempts = 0)"
        " GROUP BY status, attempts"
    )
    sent = sum(n for status, attempts, n in sendable if (status, attempts) == ("sent", 1))
    if {(s, a) for s, a, _ in sendable} != {("sent", 1)}:
        failures.append(f"outbox: {sendable}")
    if len(mailbox.ids) != sent or len(set(mailbox.ids)) != sent:
        failures.append(
            f"mail: {len(mailbox.ids)} received ({len(set(mailbox.ids))} distinct) for {sent} sent"
        )
    figures = {
        "submissions/s": submitted["rps"],
        "submit p50 ms": submitted["p50"],
        "submit p99 ms": submitted["p99"],
        "races/s": len(outcomes) / race_seconds,
        "actions/s": 2 * len(outcomes) / race_seconds,
        "mails": float(sent),
    }
    print(
        f"{name:10} {args.count} submissions {figures['submissions/s']:7.0f}/s"
        f" (p50 {figures['submit p50 ms']:.1f} ms, p99 {figures['submit p99 ms']:.1f} ms);"
        f" {len(outcomes)} races {figures['races/s']:6.0f}/s ({figures['actions/s']:.0f} actions/s);"
        f" {sent} mails each sent once: {'yes' if not failures else 'NO'}",
        flush=True,
    )
    for failure in failures:
        print(f"  FAILED {failure}", flush=True)
    figures["failed"] = float(len(failures))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--backend", choices=["postgresql", "sqlite", "both"], default="both")
    parser.add_argument("--pg-url", help="an empty PostgreSQL database to use instead of a fresh cluster")
    args = parser.parse_args()
    args.count -= args.count % args.connections  # hey sends COUNT rounded down to a multiple of -c
    if shutil.which("hey") is None:
        sys.exit("hey is not installed: apt-get install hey")
    example = json.loads((ROOT / "form_schemas" / "inquiries.json").read_text(encoding="utf-8"))["examples"][
        0
    ]
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        body = Path(tmp) / "body.json"
        body.write_text(json.dumps(example, ensure_ascii=False), encoding="utf-8")
        base_port = free_port()
        baseline = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "bench" / "baseline.py"),
                "--db",
                f"{tmp}/baseline.db",
                "--port",
                str(base_port),
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_ready(f"http://127.0.0.1:{base_port}")
            post = ["-m", "POST", "-T", "application/json", "-D", str(body)]
            bare = hey(
                [
                    *post,
                    "-n",
                    str(args.count),
                    "-c",
                    str(args.connections),
                    f"http://127.0.0.1:{base_port}/tickets",
                ]
            )
        finally:
            baseline.terminate()
            baseline.wait(timeout=20)
        print(
            f"baseline   {args.count} submissions {bare['rps']:7.0f}/s (p99 {bare['p99']:.1f} ms)", flush=True
        )
        if args.backend in ("postgresql", "both"):
            pg_dir = Path(tempfile.mkdtemp(prefix="khidma-bench-pg-"))  # the postgres user must reach it
            url = args.pg_url or start_postgres(pg_dir)
            try:
                results["postgresql"] = run_backend("postgresql", url, args, body)
            finally:
                if not args.pg_url:
                    stop_postgres(pg_dir)
                shutil.rmtree(pg_dir, ignore_errors=True)
        if args.backend in ("sqlite", "both"):
            results["sqlite"] = run_backend("sqlite", f"{tmp}/khidma.db", args, body)
    for name, figures in results.items():
        print(
            f"{name:10} submissions {figures['submissions/s'] / bare['rps']:.2f} of the baseline;"
            f" racing actions {figures['actions/s'] / bare['rps']:.2f} of it",
            flush=True,
        )
    if any(figures["failed"] for figures in results.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
