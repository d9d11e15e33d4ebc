"""Open-loop load with Poisson arrivals: the latency of requests that come at a rate, each on its own.

    .venv/bin/python bench/open_loop.py URL --rate 500 --seconds 8 [--method POST --body FILE]
        [--header 'Content-Type: application/json'] [--seed 1]


Prints one JSON object: requests sent and answered (2xx and other), what went wrong with the others (by
status or exception), the achieved rate, and the latency's p50, p90, p99 and maximum in milliseconds.

Why not `hey -q`: hey starts its connections together and each sends at ``rate / connections`` per
second, so the requests come in bursts — all ten connections at once, every 20 ms at 500/s — and the
p99 it reports is the time to answer the last request of a burst (docs/performance.md, eleventh
round). Here the arrival times are drawn in advance as a Poisson process (independent requesters:
exponential gaps, seeded, so every server measured gets the same schedule), and each request is sent at
its time on an idle keep-alive connection, or a new one when none is idle. Its latency is counted from
its scheduled time, so a request the generator or the server could not start on time is not forgiven
("coordinated omission"). HTTP/1.1 over asyncio streams (uvloop when installed), the answer read by
its ``Content-Length``; the generator is one process of its own, started by the benchmark as `hey` is.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

MAX_CONNECTIONS = 512
"""No more than this many connections open at once; an arrival beyond them waits (its wait counted)."""

IDLE_LIMIT = 1.0
"""A connection idle this many seconds is closed rather than used again: a server closes an idle
keep-alive connection after a while (uvicorn: 5 s), and a request written on it as it does is lost."""


class Target:
    def __init__(self, url: str, method: str, body: bytes, headers: list[str]) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", "User-Agent: open_loop"]
        lines += headers
        if body or method not in ("GET", "HEAD"):
            lines.append(f"Content-Length: {len(body)}")
        self.request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def _answer(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response; its status and whether the connection may be used again."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length, keep = 0, True
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "connection" and value.strip().lower() == "close":
            keep = False
        elif name == "transfer-encoding":
            raise RuntimeError("chunked answers are not read here")
    if length:
        await reader.readexactly(length)
    return status, keep


async def run(target: Target, rate: float, seconds: float, seed: int) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    rng = random.Random(seed)
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []
    opened: list[asyncio.StreamWriter] = []
    slots = asyncio.Semaphore(MAX_CONNECTIONS)
    latencies: list[float] = []
    errors: dict[str, int] = {}
    """What went wrong, by answer status (answered, not 2xx) or by exception (not answered)."""

    async def one(at: float) -> None:
        async with slots:
            try:
                while idle and loop.time() - idle[-1][2] > IDLE_LIMIT:
                    idle.pop()[1].close()
                if idle:
                    reader, writer, _ = idle.pop()
                else:
                    reader, writer = await asyncio.open_connection(target.host, target.port)
                    opened.append(writer)
                writer.write(target.request)
                status, keep = await _answer(reader)
            except (OSError, asyncio.IncompleteReadError, ValueError, RuntimeError) as exc:
                kind = type(exc).__name__
                errors[kind] = errors.get(kind, 0) + 1
                return  # no answer: counted with those still unanswered at the end
            latencies.append(loop.time() - at)
            if not 200 <= status < 300:
                errors[str(status)] = errors.get(str(status), 0) + 1
            if keep:
                idle.append((reader, writer, loop.time()))
            else:
                writer.close()

    tasks = []
    start = loop.time() + 0.05
    at = start
    end = start + seconds
    while True:
        at += rng.expovariate(rate)
        if at >= end:
            break
        delay = at - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(one(at)))
    _, unanswered = await asyncio.wait(tasks, timeout=30)
    for task in unanswered:
        task.cancel()
    await asyncio.gather(*unanswered, return_exceptions=True)
    for writer in opened:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    latencies.sort()
    n = len(latencies)
    refused = sum(count for kind, count in errors.items() if kind.isdigit())

    def pct(p: float) -> float:
        return latencies[min(n - 1, int(n * p))] * 1000 if n else float("nan")

    return {
        "errors": errors,
        "sent": len(tasks),
        "ok": n - refused,
        "bad": refused + (len(tasks) - n),  # answered but not 2xx, and not answered at all
        "rps": n / seconds,
        "p50": pct(0.50),
        "p90": pct(0.90),
        "p99": pct(0.99),
        "max": latencies[-1] * 1000 if n else float("nan"),
        "mean": statistics.fmean(latencies) * 1000 if n else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("url")
    parser.add_argument("--rate", type=float, default=500.0, help="mean arrivals per second")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--method", default="GET")
    parser.add_argument("--body", type=Path, help="a file sent as the body of every request")
    parser.add_argument("--header", action="append", default=[], help="'Name: value', repeatable")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # plain asyncio: the figures are still the server's, the generator slower
        pass
    body = args.body.read_bytes() if args.body else b""
    target = Target(args.url, args.method, body, args.header)
    started = time.perf_counter()
    figures = asyncio.run(run(target, args.rate, args.seconds, args.seed))
    figures["wall"] = time.perf_counter() - started
    json.dump(figures, sys.stdout)
    print()


if __name__ == "__main__":
    main()
