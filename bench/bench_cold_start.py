"""Cold start of `khidma serve`, this tree against another, the two started in turns.

    .venv/bin/python bench/bench_cold_start.py --before /tmp/before [--starts 11]
    git archive <rev> | tar -x -C /tmp/before     # the tree to compare with

Each start is a real `khidma serve --no-rate-limits --no-worker` on a SQLite file made by a first start
of its own tree (so a start here opens an existing database, as a restart does), timed from the process's
start to the first 200 of `/healthz`; its CPU (user + system, from `/proc`) is read then. Both trees are
compiled to bytecode first (`compileall`, as `make setup` leaves them). The trees take turns, so a
machine whose speed drifts moves both; the medians and each start are printed. On a shared machine
whose speed swings by a third within minutes (docs/performance.md, tenth round), a single start — or a
median of three — says more about the minute than about the tree: compare the two columns of one run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_throughput import compiled, free_port, khidma_command, wait_ready

ROOT = Path(__file__).resolve().parent.parent


def start(db: Path, tree: Path) -> tuple[float, float]:
    """(wall seconds to the first 200 of /healthz, CPU seconds the process had used by then)."""
    port = free_port()
    began = time.monotonic()
    server = subprocess.Popen(
        khidma_command(port, db, 1),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}")
        wall = time.monotonic() - began
        fields = Path(f"/proc/{server.pid}/stat").read_text().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return wall, cpu
    finally:
        server.terminate()
        server.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--before", type=Path, required=True, help="the other tree (a git archive)")
    parser.add_argument("--starts", type=int, default=11, help="starts of each tree")
    args = parser.parse_args()
    trees = {"before": args.before.resolve(), "this tree": ROOT}
    with tempfile.TemporaryDirectory(prefix="khidma-cold-") as tmp:
        dbs = {name: Path(tmp) / f"{i}.db" for i, name in enumerate(trees)}
        for name, tree in trees.items():
            compiled(tree)
            start(dbs[name], tree)  # makes the database (migrations, the shipped definitions published)
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
        for _ in range(args.starts):
            for name, tree in trees.items():
                results[name].append(start(dbs[name], tree))
    for name, runs in results.items():
        print(
            f"{name:10} wall median {statistics.median(w for w, _ in runs):.3f} s"
            f"  CPU median {statistics.median(c for _, c in runs):.3f} s"
            f"  starts: {' '.join(f'{w:.2f}' for w, _ in runs)}"
        )
    print(
        f"under 1 s: {', '.join(f'{name} {sum(w < 1 for w, _ in runs)} of {len(runs)}' for name, runs in results.items())}"
    )


if __name__ == "__main__":
    main()
