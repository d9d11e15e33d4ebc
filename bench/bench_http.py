"""Form page renders and submissions per second through HTTP, against `khidma serve` on loopback.

    .venv/bin/python bench/bench_http.py [--seconds 10] [--connections 16]

Starts `khidma serve` (uvicorn with uvloop and httptools) on a free loopback port with a fresh
SQLite file, then drives it with `hey` (Debian package `hey`): GET the supplies form page (Arabic),
GET the catalogue, and POST inquiries submissions as JSON to the API (each creates a ticket: validate,
engine, one durable transaction). Prints requests/s and latency percentiles.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def hey(args: list[str]) -> dict[str, str]:
    out = subprocess.run(["hey", *args], capture_output=True, text=True, check=True).stdout
    figures = {"rps": re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)}  # type: ignore[union-attr]
    for pct in ("50", "95", "99"):
        found = re.search(rf"\s{pct}%% in ([\d.]+) secs", out.replace("%", "%%"))
        figures[f"p{pct}"] = f"{float(found.group(1)) * 1000:.1f} ms" if found else "?"
    codes = re.findall(r"\[(\d{3})\]\s+(\d+) responses", out)
    figures["status"] = ", ".join(f"{c}×{n}" for c, n in codes)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    if shutil.which("hey") is None:
        sys.exit("hey is not installed: apt-get install hey")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "server",
                "serve",
                "--port",
                str(port),
                "--db",
                str(Path(tmp) / "bench.db"),
                "--no-rate-limits",  # one client submitting as fast as it can is the point here
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=ROOT,
        )
        try:
            for _ in range(300):
                try:
                    urllib.request.urlopen(f"{base}/healthz", timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            example = json.loads((ROOT / "form_schemas" / "inquiries.json").read_text(encoding="utf-8"))[
                "examples"
            ][0]
            body = Path(tmp) / "body.json"
            body.write_text(json.dumps(example, ensure_ascii=False), encoding="utf-8")
            duration = f"{args.seconds}s"
            common = ["-z", duration, "-c", str(args.connections)]
            results = {
                "GET /services/inquiries/apply (form page, Arabic)": hey(
                    [*common, "-H", "Accept-Language: ar", f"{base}/services/inquiries/apply"]
                ),
                "GET / (catalogue)": hey([*common, "-H", "Accept-Language: ar", f"{base}/"]),
                "POST /api/services/inquiries/tickets (submission)": hey(
                    [
                        *common,
                        "-m",
                        "POST",
                        "-T",
                        "application/json",
                        "-D",
                        str(body),
                        f"{base}/api/services/inquiries/tickets",
                    ]
                ),
            }
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(
        f"khidma serve on loopback, {args.connections} connections, {args.seconds} s each, {os.cpu_count()} cores"
    )
    for name, figures in results.items():
        print(
            f"  {name:52} {float(figures['rps']):8.0f} req/s  p50 {figures['p50']:>9}  p95 {figures['p95']:>9}  "
            f"p99 {figures['p99']:>9}  [{figures['status']}]"
        )


if __name__ == "__main__":
    main()
