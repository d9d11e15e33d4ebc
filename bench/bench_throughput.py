"""Submissions per second through HTTP as a ratio to the bare baseline, measured side by side in one run.

    .venv/bin/python bench/bench_throughput.py [--runs 3] [--seconds 10] [--connections 16] [--rate 500]
    .venv/bin/python bench/bench_throughput.py --workers 2      # khidma serve --workers 2
    .venv/bin/python bench/bench_throughput.py --backend postgresql [--workers 2] [--pg-url postgresql://…]

Starts `bench/baseline.py` (a bare Litestar endpoint: one durable three-row transaction, one hop to a
writer thread) and `khidma serve` (fresh SQLite files, `--no-rate-limits --no-worker --demo` — the demo's
accounts, so the head each inquiry is assigned to exists and gets its e-mail, as in a real
installation — the same uvicorn settings) on loopback — with `--backend postgresql`, `khidma serve --db
postgresql://…` on a fresh PostgreSQL 15 cluster started in a temporary directory with its default
durability (`fsync` and `synchronous_commit` on; Debian's binaries, as `bench/bench_scaleout.py` does),
or on the empty database `--pg-url` names (the baseline stays the same bare SQLite endpoint, so the
ratios of both backends are to one yardstick) — then, for each run, drives one after the other with
`hey` (Debian package `hey`;
`apt-get install hey`):

* closed loop: `--connections` connections for `--seconds`, as fast as each answers;
* open loop: `--rate` requests/s offered (hey's `-q` per connection), to read p99 at a fixed load;
* the form page `GET /services/inquiries/apply` (Arabic) at 300/s offered;
* the same two open loops with Poisson arrivals (`bench/open_loop.py`, the same seeded schedule for
  every server): hey's connections start together and send in step, so its "open loop" comes in bursts
  of ten requests and its p99 is that of a burst's last one (docs/performance.md, eleventh round).

`--pg-socket`: khidma (and the `--before` checkout) reach the fresh cluster through its Unix socket, as a
server on the same machine as its database usually does, instead of TCP on loopback.

Each figure is the median of the runs; the ratio is khidma's median over the baseline's median in the
same invocation, so a busy machine moves both. Each run's own ratio (khidma's closed loop over the
baseline's, measured one right after the other) is printed too, with its median: the figure a machine
whose speed drifts from run to run moves least. Also measures the cold start of `khidma serve` (process
start to the first 200 of `/healthz`, on an existing database: the second start).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scaleout import start_postgres, stop_postgres

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


def poisson(url: str, rate: float, seconds: int, *extra: str) -> dict[str, float]:
    """``bench/open_loop.py``: Poisson arrivals at ``rate`` for ``seconds``, in a process of its own."""
    command = [sys.executable, str(ROOT / "bench" / "open_loop.py"), url, "--rate", str(rate)]
    out = subprocess.run(
        [*command, "--seconds", str(seconds), *extra], capture_output=True, text=True, check=True
    ).stdout
    figures = json.loads(out)
    return {key: float(figures[key]) for key in ("rps", "p50", "p99", "ok", "bad")}


def cpu_seconds(pid: int) -> float:
    """User + system CPU of process ``pid`` and its children, from /proc: those alive now (``--workers``,
    PostgreSQL's backends) and those it has reaped (a backend that ended between two readings moves
    from the first sum to the second, instead of vanishing from the figure)."""
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(c) for c in children.read_text().split()]
    total = 0.0
    for one in pids:
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
        if one == pid:  # the children it has waited for: cutime, cstime
            total += (int(fields[13]) + int(fields[14])) / tick
    return total


def wait_ready(base: str, timeout: float = 180.0) -> float:
    """Seconds until ``/healthz`` first answers 200."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1) as answer:
                if answer.status == 200:
                    return time.monotonic() - start
        except OSError:
            time.sleep(0.02)
    raise SystemExit(f"{base} did not start within {timeout} s")


def khidma_command(
    port: int, db: Path | str, workers: int, python: str = sys.executable, *, demo: bool = False
) -> list[str]:
    command = [python, "-m", "server", "serve", "--port", str(port), "--db", str(db)]
    command += ["--no-rate-limits", "--no-worker"]  # one client submitting as fast as it can is the point
    if demo:  # the demo's accounts: the head each new inquiry is assigned to exists and is e-mailed
        command.append("--demo")
    if workers > 1:
        command += ["--workers", str(workers)]
    return command


def compiled(tree: Path) -> None:
    """The tree's own modules compiled to bytecode, as `make setup` leaves them (the Makefile's
    `bytecode`): a cold start measures the server as installed, not Python compiling it from source
    (which it does at every start where PYTHONDONTWRITEBYTECODE is set)."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "server")], check=True, cwd=tree)


def timed_start(db: Path | str, workers: int, tree: Path = ROOT) -> tuple[float, float]:
    """Start `khidma serve` from ``tree`` on ``db``: (seconds from the process's start to the first 200 of
    `/healthz`, CPU seconds — user + system, from `/proc` — the process had used by then); then stop it."""
    port = free_port()
    start = time.monotonic()
    server = subprocess.Popen(
        khidma_command(port, db, workers),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}")
        wall = time.monotonic() - start
        return wall, cpu_seconds(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=20)


def cold_start(db: Path | str, workers: int, tree: Path = ROOT) -> float:
    compiled(tree)
    return timed_start(db, workers, tree)[0]


@contextmanager
def databases(
    args: argparse.Namespace, tmp: Path
) -> Iterator[tuple[Callable[[str], Path | str], int | None]]:
    """Where each `khidma serve` of the run keeps its data, by name: a SQLite file in ``tmp``, or a
    database of the PostgreSQL cluster (a fresh one, stopped at the end, unless ``--pg-url``); and the
    cluster's postmaster when it was started here (its CPU, with its backends', is measured too)."""
    if args.backend == "sqlite":
        yield (lambda name: tmp / f"{name}.db"), None
        return
    cluster = None if args.pg_url else Path(tempfile.mkdtemp(prefix="khidma-bench-pg-"))
    url = args.pg_url or start_postgres(cluster)  # type: ignore[arg-type]
    made: dict[str, str] = {}

    def database(name: str) -> str:
        if args.pg_url and name == "khidma":
            return str(args.pg_url)
        if name not in made:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(f"khidma_{name}")))
            made[name] = url.rsplit("/", 1)[0] + f"/khidma_{name}"
            if getattr(args, "pg_socket", False) and cluster is not None:  # through its Unix socket
                port = url.rsplit(":", 1)[1].split("/")[0]
                made[name] = f"postgresql://postgres@/khidma_{name}?host={cluster}&port={port}"
        return made[name]

    postmaster = None
    if cluster is not None:
        postmaster = int((cluster / "data" / "postmaster.pid").read_text().split()[0])
    try:
        yield database, postmaster
    finally:
        if cluster is not None:
            stop_postgres(cluster)
            shutil.rmtree(cluster, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rate", type=int, default=500, help="open-loop offered submissions/s")
    parser.add_argument("--page-rate", type=int, default=300, help="open-loop offered form pages/s")
    parser.add_argument("--workers", type=int, default=1, help="khidma serve --workers")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--pg-url", help="with --backend postgresql: an empty database to use, not a fresh cluster"
    )
    parser.add_argument(
        "--pg-socket",
        action="store_true",
        help="with --backend postgresql: khidma reaches the fresh cluster through its Unix socket (as on"
        " one machine, libpq's default) instead of TCP on loopback",
    )
    parser.add_argument(
        "--before",
        type=Path,
        help="another checkout of khidma (e.g. `git archive 640b85d | tar -x -C /tmp/before`) whose"
        " `khidma serve` also takes the closed-loop submissions, one process, in the same run",
    )
    args = parser.parse_args()
    if shutil.which("hey") is None:
        sys.exit("hey is not installed: apt-get install hey")
    example = json.loads((ROOT / "form_schemas" / "inquiries.json").read_text(encoding="utf-8"))["examples"][
        0
    ]
    results: dict[str, list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp, databases(args, Path(tmp)) as (database, postmaster):
        body = Path(tmp) / "body.json"
        body.write_text(json.dumps(example, ensure_ascii=False), encoding="utf-8")
        khidma_db = database("khidma")
        cold_start(
            khidma_db, 1
        )  # the first start creates and migrates the file and publishes the definitions
        colds = [cold_start(khidma_db, 1) for _ in range(3)]
        colds_before: list[float] = []
        if args.before:
            cold_start(database("before_cold"), 1, args.before)
            colds_before = [cold_start(database("before_cold"), 1, args.before) for _ in range(3)]
        base_port, khidma_port = free_port(), free_port()
        baseline = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "bench" / "baseline.py"),
                "--db",
                str(Path(tmp) / "baseline.db"),
                "--port",
                str(base_port),
            ],
            cwd=ROOT,
        )
        khidma = subprocess.Popen(
            khidma_command(khidma_port, khidma_db, args.workers, demo=True),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=ROOT,
        )
        before_port = free_port()
        before = (
            subprocess.Popen(
                khidma_command(before_port, database("before"), 1, sys.executable, demo=True),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                cwd=args.before,
                env={**os.environ, "PYTHONPATH": str(args.before)},
            )
            if args.before
            else None
        )
        try:
            if before is not None:
                wait_ready(f"http://127.0.0.1:{before_port}")
            base = f"http://127.0.0.1:{base_port}"
            served = f"http://127.0.0.1:{khidma_port}"
            wait_ready(base)
            wait_ready(served)
            post = ["-m", "POST", "-T", "application/json", "-D", str(body)]
            closed = ["-z", f"{args.seconds}s", "-c", str(args.connections)]
            per_conn = 10
            opened = ["-z", f"{args.seconds}s", "-c", str(per_conn), "-q", str(args.rate / per_conn)]
            paged = ["-z", f"{args.seconds}s", "-c", str(per_conn), "-q", str(args.page_rate / per_conn)]
            hey([*post, "-z", "2s", "-c", "4", f"{base}/tickets"])  # warm both
            hey([*post, "-z", "2s", "-c", "4", f"{served}/api/services/inquiries/tickets"])
            for run in range(args.runs):
                cases = {
                    "baseline closed": [*post, *closed, f"{base}/tickets"],
                    "khidma closed": [*post, *closed, f"{served}/api/services/inquiries/tickets"],
                    "baseline open": [*post, *opened, f"{base}/tickets"],
                    "khidma open": [*post, *opened, f"{served}/api/services/inquiries/tickets"],
                    **(
                        {
                            "before closed": [
                                *post,
                                *closed,
                                f"http://127.0.0.1:{before_port}/api/services/inquiries/tickets",
                            ]
                        }
                        if before is not None
                        else {}
                    ),
                    "khidma form page": [
                        *paged,
                        "-H",
                        "Accept-Language: ar",
                        f"{served}/services/inquiries/apply",
                    ],
                }
                json_post = [
                    "--method",
                    "POST",
                    "--body",
                    str(body),
                    "--header",
                    "Content-Type: application/json",
                ]
                arrivals = {
                    "baseline poisson": (f"{base}/tickets", args.rate, json_post),
                    "khidma poisson": (f"{served}/api/services/inquiries/tickets", args.rate, json_post),
                    "khidma page poisson": (
                        f"{served}/services/inquiries/apply",
                        args.page_rate,
                        ["--header", "Accept-Language: ar"],
                    ),
                }
                for name, load in [*cases.items(), *arrivals.items()]:
                    process = {"baseline": baseline, "before": before}.get(name.split()[0]) or khidma
                    cpu_before = cpu_seconds(process.pid)
                    pg_before = cpu_seconds(postmaster) if postmaster else 0.0
                    if isinstance(load, tuple):
                        url, rate, extra = load
                        figures = poisson(url, rate, args.seconds, *extra, "--seed", str(run + 1))
                    else:
                        figures = hey(load)
                    answered = max(figures["ok"], 1)
                    figures["cpu_ms"] = (cpu_seconds(process.pid) - cpu_before) * 1000 / answered
                    pg_cpu = ""
                    if postmaster and process is not baseline:
                        figures["pg_cpu_ms"] = (cpu_seconds(postmaster) - pg_before) * 1000 / answered
                        pg_cpu = f"  PostgreSQL CPU {figures['pg_cpu_ms']:.2f} ms/request"
                    results.setdefault(name, []).append(figures)
                    print(
                        f"run {run + 1} {name:18} {figures['rps']:8.0f}/s  p50 {figures['p50']:7.1f} ms"
                        f"  p99 {figures['p99']:7.1f} ms  server CPU {figures['cpu_ms']:.2f} ms/request{pg_cpu}"
                        f"  ok {figures['ok']:.0f} bad {figures['bad']:.0f}",
                        flush=True,
                    )
        finally:
            for running in (baseline, khidma, before):
                if running is not None:
                    running.terminate()
                    running.wait(timeout=20)

    def median(name: str, key: str) -> float:
        return statistics.median(r[key] for r in results[name])

    print(
        f"\n{args.runs} runs, {args.seconds} s each, {os.cpu_count()} cores, khidma on {args.backend},"
        f" workers {args.workers};"
        " medians"
    )
    for name in results:
        print(
            f"  {name:18} {median(name, 'rps'):8.0f}/s  p50 {median(name, 'p50'):6.1f} ms  p99 {median(name, 'p99'):6.1f} ms"
        )
    ratio = median("khidma closed", "rps") / median("baseline closed", "rps")
    print(f"  submissions/s, khidma over baseline ({args.connections} connections): {ratio:.2f}")
    # each run's khidma over the same run's baseline, measured one right after the other: a machine
    # whose speed drifts between runs moves both figures of a pair
    paired = [
        k["rps"] / b["rps"] for k, b in zip(results["khidma closed"], results["baseline closed"], strict=True)
    ]
    print(
        f"  the same, run by run: {', '.join(f'{r:.2f}' for r in paired)}"
        f" (median {statistics.median(paired):.2f})"
    )
    if "before closed" in results:
        was = median("before closed", "rps") / median("baseline closed", "rps")
        print(f"  submissions/s, the --before checkout over baseline: {was:.2f}")
    cpu_ratio = median("khidma closed", "cpu_ms") / median("baseline closed", "cpu_ms")
    print(f"  server CPU per submission, khidma over baseline: {cpu_ratio:.1f}")
    if postmaster:
        print(
            f"  PostgreSQL's CPU per submission (postmaster and backends): {median('khidma closed', 'pg_cpu_ms'):.2f} ms"
        )
    print(
        f"  p99 at {args.rate}/s offered: khidma {median('khidma open', 'p99'):.1f} ms,"
        f" baseline {median('baseline open', 'p99'):.1f} ms (hey: bursts of {per_conn})"
    )
    print(
        f"  p99 at {args.rate}/s, Poisson arrivals: khidma {median('khidma poisson', 'p99'):.1f} ms,"
        f" baseline {median('baseline poisson', 'p99'):.1f} ms"
    )
    print(
        f"  form page p99 at {args.page_rate}/s: hey {median('khidma form page', 'p99'):.1f} ms,"
        f" Poisson arrivals {median('khidma page poisson', 'p99'):.1f} ms"
    )
    print(
        f"  cold start (process start to the first 200 of /healthz), median of 3: {statistics.median(colds):.2f} s"
    )
    if colds_before:
        print(f"  cold start of the --before checkout, the same: {statistics.median(colds_before):.2f} s")


if __name__ == "__main__":
    main()
