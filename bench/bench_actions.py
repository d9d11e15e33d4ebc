"""Staff actions per second through HTTP as a ratio to the bare baseline, measured side by side in one run.

    .venv/bin/python bench/bench_actions.py [--runs 3] [--seconds 8] [--connections 16] [--workers 1]
    .venv/bin/python bench/bench_actions.py --backend postgresql [--workers 2] [--pg-url postgresql://…]

An action needs a ticket and its current version, so one URL replayed (`hey`) cannot measure it. This
script starts `bench/baseline.py` and `khidma serve --demo` (fresh files, `--no-rate-limits --no-worker`,
the demo's accounts so the head of the department the inquiries go to exists), submits enough inquiries
through the API beforehand (`hey -n`), reads their ids, creates an API token for their assignee with
`khidma token create`, and then drives `POST /api/tickets/{id}/actions/add_note` with `wrk` (Debian
package `wrk`) and a Lua script that gives every request a ticket of its own at `expected_version` 1: the
whole staff path — bearer token, read scope, the action's form, the guard, the engine, the transaction with
its event and audit seal, the answer. Every run uses tickets no earlier run touched. The baseline takes
the same number of connections on its one durable three-row transaction. Figures are medians of the
runs; the ratio is khidma's median over the baseline's median in the same invocation. With `--backend
postgresql`, `khidma serve --db postgresql://…` on a fresh throwaway cluster (as `bench_throughput.py`
does; the baseline stays the bare SQLite endpoint), and PostgreSQL's own CPU per action is reported too.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
from bench_throughput import ROOT, cpu_seconds, databases, free_port, hey, khidma_command, wait_ready

ACTION = "add_note"
BODY = {"data": {"note": "تم التواصل مع العميل هاتفياً"}, "expected_version": 1}

LUA = """
local ids = {%(ids)s}
local body = %(body)s
local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer %(token)s"}
local threads = {}
function setup(thread)
  thread:set("offset", #threads)
  table.insert(threads, thread)
end
function init(args)
  step = %(threads)d
  next_index = offset + 1
end
function request()
  local id = ids[next_index]
  if id == nil then id = ids[#ids] end
  next_index = next_index + step
  return wrk.format("POST", "/api/tickets/" .. id .. "/actions/%(action)s", headers, body)
end
"""

BASE_LUA = """
wrk.method = "POST"
wrk.body = %(body)s
wrk.headers["Content-Type"] = "application/json"
"""


def lua_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def wrk(script: Path, url: str, seconds: int, connections: int, threads: int) -> dict[str, float]:
    out = subprocess.run(
        [
            "wrk",
            "--latency",
            "-t",
            str(threads),
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    figures = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    figures["bad"] = float(bad.group(1)) if bad else 0.0
    figures["ok"] = total - figures["bad"]
    if figures["bad"]:  # answers that did no action (a run that used up its tickets): not throughput
        duration = re.search(r"requests in ([\d.]+)(ms|s|m),", out)
        if duration is not None:
            scale = {"ms": 0.001, "s": 1.0, "m": 60.0}[duration.group(2)]
            figures["rps"] = figures["ok"] / (float(duration.group(1)) * scale)
    for pct in ("50", "99"):
        hit = re.search(rf"\s{pct}(?:\.000)?%\s+([\d.]+)(us|ms|s)", out)
        if hit:
            scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[hit.group(2)]
            figures[f"p{pct}"] = float(hit.group(1)) * scale
        else:
            figures[f"p{pct}"] = float("nan")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1, help="khidma serve --workers")
    parser.add_argument("--per-run", type=int, default=24000, help="tickets submitted for each run's actions")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--pg-url", help="with --backend postgresql: an empty database to use, not a fresh cluster"
    )
    args = parser.parse_args()
    for tool in ("hey", "wrk"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed: apt-get install {tool}")
    threads = 2
    example = json.loads((ROOT / "form_schemas" / "inquiries.json").read_text(encoding="utf-8"))["examples"][
        0
    ]
    results: dict[str, list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp, databases(args, Path(tmp)) as (database, postmaster):
        body = Path(tmp) / "body.json"
        body.write_text(json.dumps(example, ensure_ascii=False), encoding="utf-8")
        db = database("khidma")

        def query(statement: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
            if isinstance(db, Path):
                with sqlite3.connect(db) as conn:
                    return conn.execute(statement, params).fetchall()
            with psycopg.connect(db) as pg:
                return list(pg.execute(statement.replace("?", "%s").encode(), params).fetchall())

        base_port, port = free_port(), free_port()
        command = khidma_command(port, db, args.workers, demo=True)
        baseline = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "bench" / "baseline.py"),
                "--db",
                str(Path(tmp) / "b.db"),
                "--port",
                str(base_port),
            ],
            cwd=ROOT,
        )
        khidma = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
        try:
            base, served = f"http://127.0.0.1:{base_port}", f"http://127.0.0.1:{port}"
            wait_ready(base)
            wait_ready(served)
            submit = ["-m", "POST", "-T", "application/json", "-D", str(body), "-c", "16"]
            wanted = args.per_run * args.runs
            # hey gives each of its 16 connections n // 16 requests: round up, or up to 15 go missing
            hey([*submit, "-n", str(-(-wanted // 16) * 16), f"{served}/api/services/inquiries/tickets"])
            rows = query(
                "SELECT id, department FROM tickets"
                " WHERE service_id = 'inquiries' AND version = 1 AND state = 'with_department'"
                " ORDER BY id"
            )
            if len(rows) < wanted:
                sys.exit(f"only {len(rows)} fresh tickets were made")
            username = f"head.{rows[0][1]}"  # the demo's head of the department they went to
            token = subprocess.run(
                [sys.executable, "-m", "server", "token", "create", username, "--db", str(db)],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
            ).stdout.strip()
            base_script = Path(tmp) / "base.lua"
            base_script.write_text(
                BASE_LUA % {"body": lua_string(body.read_text(encoding="utf-8"))}, encoding="utf-8"
            )
            action_body = lua_string(json.dumps(BODY, ensure_ascii=False))
            for run in range(args.runs):
                ids = [r[0] for r in rows[run * args.per_run : (run + 1) * args.per_run]]
                script = Path(tmp) / f"run{run}.lua"
                script.write_text(
                    LUA
                    % {
                        "ids": ",".join(map(str, ids)),
                        "body": action_body,
                        "token": token,
                        "threads": threads,
                        "action": ACTION,
                    },
                    encoding="utf-8",
                )
                for name, target, lua in (
                    ("baseline", f"{base}/tickets", base_script),
                    ("khidma actions", served, script),
                ):
                    process = baseline if name == "baseline" else khidma
                    cpu_before = cpu_seconds(process.pid)
                    pg_before = cpu_seconds(postmaster) if postmaster else 0.0
                    figures = wrk(lua, target, args.seconds, args.connections, threads)
                    figures["cpu_ms"] = (cpu_seconds(process.pid) - cpu_before) * 1000 / max(figures["ok"], 1)
                    if postmaster and process is khidma:
                        figures["pg_cpu_ms"] = (
                            (cpu_seconds(postmaster) - pg_before) * 1000 / max(figures["ok"], 1)
                        )
                    results.setdefault(name, []).append(figures)
                    print(
                        f"run {run + 1} {name:15} {figures['rps']:8.0f}/s  p50 {figures['p50']:6.1f} ms"
                        f"  p99 {figures['p99']:6.1f} ms  server CPU {figures['cpu_ms']:.2f} ms/request"
                        f"  ok {figures['ok']:.0f} bad {figures['bad']:.0f}",
                        flush=True,
                    )
            acted = query("SELECT count(*) FROM events WHERE kind = 'action' AND action = ?", (ACTION,))[0][0]
            answered = sum(r["ok"] for r in results["khidma actions"])
            print(f"\nactions answered 2xx: {answered:.0f}; notes recorded in the store: {acted}")
        finally:
            for running in (baseline, khidma):
                running.terminate()
                running.wait(timeout=20)

    def median(name: str, key: str) -> float:
        return statistics.median(r[key] for r in results[name])

    print(
        f"{args.runs} runs, {args.seconds} s each, {args.connections} connections, {os.cpu_count()} cores,"
        f" khidma workers {args.workers}, {args.backend}; medians"
    )
    for name in results:
        print(
            f"  {name:15} {median(name, 'rps'):8.0f}/s  p50 {median(name, 'p50'):6.1f} ms"
            f"  p99 {median(name, 'p99'):6.1f} ms  CPU {median(name, 'cpu_ms'):.2f} ms/request"
            + (f", PostgreSQL {median(name, 'pg_cpu_ms'):.2f}" if "pg_cpu_ms" in results[name][0] else "")
        )
    print(f"  ratio: {median('khidma actions', 'rps') / median('baseline', 'rps'):.2f} of the baseline")


if __name__ == "__main__":
    main()
