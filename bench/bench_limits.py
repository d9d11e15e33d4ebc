"""The cost of the request budgets (``server/web/limits.py``) beside a baseline request.

Times the raw-body checks on an ordinary submission and on the largest hostile bodies the budgets let
through to the check (1 MB each), then an ordinary ``POST /api/services/inquiries/tickets`` through the
whole app in-process (ASGI, real SQLite file), and hostile bodies through the app (refused)::

    .venv/bin/python bench/bench_limits.py
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from litestar.testing import AsyncTestClient

from server.app import create_app
from server.settings import Settings
from server.web.limits import Budget, check_values, form_problem, json_problem
from tests.engine_harness import catalogue

MB = 1024 * 1024


def timed(work: Callable[[], object], runs: int) -> float:
    """The median of ``runs`` timings of ``work``, in milliseconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


async def timed_async(work: Callable[[], Awaitable[object]], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        await work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    budget = Budget.of(Settings())
    example: dict[str, Any] = dict(catalogue().services["inquiries"].form.schema["examples"][0])
    ordinary = json.dumps(example, ensure_ascii=False).encode()
    bodies = {
        f"ordinary submission ({len(ordinary)} B)": ordinary,
        "1 MB of one long string": b'"' + b"x" * (MB - 2) + b'"',
        "1 MB of escaped quotes, unterminated": b'"' + b'\\"' * (MB // 2 - 1),
        "1 MB array of 10,000 strings": json.dumps(["x" * 100] * 10_000).encode()[:MB],
        "990-deep nesting": b"[" * 990 + b"]" * 990,
        "1 MB of commas (500k values)": b"[" + b"0," * (MB // 2 - 2) + b"0]",
    }
    print("raw-body checks (median of 20), ms")
    for name, body in bodies.items():
        problem = json_problem(body, budget)
        verdict = "refused: " + problem.key if problem else "passes"
        print(f"  json  {name:<40} {timed(lambda b=body: json_problem(b, budget), 20):8.3f}  {verdict}")
    form = "&".join(f"f{i}=" + "x" * 900 for i in range(1000)).encode()[:MB]
    print(
        f"  form  {'1 MB urlencoded, 1000 fields':<40} {timed(lambda: form_problem(form, budget), 20):8.3f}"
    )
    values = ["x" * 1000] * 1000
    print(
        f"  form  {'check_values, 1000 values of 1000 chars':<40} {timed(lambda: check_values(values, budget), 20):8.3f}"
    )

    async def through_the_app() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            app = create_app(Settings(db_path=Path(tmp) / "bench.db", rate_limits=False))
            async with AsyncTestClient(app=app) as client:
                url = "/api/services/inquiries/tickets"
                for _ in range(5):
                    await client.post(url, json=example)  # warm up
                baseline = await timed_async(lambda: client.post(url, json=example), 100)
                print("\nthrough the whole app in-process (median of 100 / 20), ms")
                print(f"  POST {url} (ordinary, 201)            {baseline:8.3f}")
                headers = {"content-type": "application/json"}
                for name in ("990-deep nesting", "1 MB of commas (500k values)", "1 MB of one long string"):
                    body = bodies[name]
                    status = (await client.post(url, content=body, headers=headers)).status_code
                    cost = await timed_async(lambda b=body: client.post(url, content=b, headers=headers), 20)
                    print(f"  POST {name:<40} {cost:8.3f}  ({status})")
                health = await timed_async(lambda: client.get("/healthz"), 100)
                print(f"  GET /healthz                                   {health:8.3f}")

    asyncio.run(through_the_app())


if __name__ == "__main__":
    main()
