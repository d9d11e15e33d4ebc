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
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_throughput import compiled, timed_start

ROOT = Path(__file__).resolve().parent.parent


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
            timed_start(
                dbs[name], 1, tree
            )  # makes the database (migrations, the shipped definitions published)
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
        for _ in range(args.starts):
            for name, tree in trees.items():
                results[name].append(timed_start(dbs[name], 1, tree))
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
