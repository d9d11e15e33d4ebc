"""``bench/open_loop.py``, the Poisson load generator the throughput benchmark reads p99s with: against a
tiny HTTP server on loopback, it sends on its schedule (the same for the same seed), reads every answer,
counts a non-2xx answer as bad, and counts a request's latency from its scheduled time."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.benches import bench_module

pytestmark = pytest.mark.single_backend("a benchmark's load generator: no store")


def _open_loop() -> Any:
    return bench_module("open_loop.py", "open_loop_under_test")


async def _measure(status: int, delay: float, seed: int) -> tuple[dict[str, float], int]:
    open_loop = _open_loop()
    seen = 0
    handlers: list[asyncio.Task[Any]] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal seen
        handlers.append(asyncio.current_task())  # type: ignore[arg-type]
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")
                    ),
                    0,
                )
                await reader.readexactly(length)
                seen += 1
                await asyncio.sleep(delay)
                writer.write(f"HTTP/1.1 {status} X\r\nContent-Length: 2\r\n\r\nok".encode())
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
            await writer.wait_closed()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    target = open_loop.Target(f"http://127.0.0.1:{port}/x", "POST", b"{}", ["Content-Type: application/json"])
    try:
        figures = await open_loop.run(target, 200.0, 0.5, seed)
    finally:
        server.close()
        await asyncio.wait_for(asyncio.gather(*handlers), 5)  # each ends when its client hangs up
        await server.wait_closed()
    return figures, seen


def test_every_request_sent_on_its_schedule_is_answered_and_counted() -> None:
    figures, seen = asyncio.run(_measure(200, 0.0, seed=1))
    again, _ = asyncio.run(_measure(200, 0.0, seed=1))
    assert 60 <= figures["sent"] <= 140  # 200/s for half a second, Poisson
    assert figures["sent"] == again["sent"]  # the same seed, the same schedule
    assert seen == figures["sent"] == figures["ok"] and figures["bad"] == 0
    assert figures["p50"] <= figures["p99"] <= figures["max"]


def test_a_refusal_is_bad_and_a_slow_answer_is_counted_from_the_schedule() -> None:
    refused, _ = asyncio.run(_measure(503, 0.0, seed=2))
    assert refused["sent"] > 0 and refused["bad"] == refused["sent"] and refused["ok"] == 0
    slow, _ = asyncio.run(_measure(200, 0.05, seed=3))
    assert slow["p50"] >= 50.0
