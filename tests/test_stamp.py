"""The stamp caches' reads (server/store/stamp.py): remembered for a while, one read shared by every
caller that asks while it runs, and never a read begun before this store forgot the stamp kept."""

from __future__ import annotations

import asyncio

import pytest

from server.store.stamp import StampCache


class Source:
    """A stamp in a database: ``value``, read in ``delay`` seconds, each read counted."""

    def __init__(self, value: int = 1, delay: float = 0.01) -> None:
        self.value, self.delay, self.reads = value, delay, 0
        self.error: Exception | None = None

    async def fetch(self) -> int:
        self.reads += 1
        value = self.value
        await asyncio.sleep(self.delay)
        if self.error is not None:
            raise self.error
        return value


async def test_callers_that_ask_at_once_share_one_read_and_it_is_remembered() -> None:
    cache, source = StampCache(recheck=3600.0), Source(7)
    assert await asyncio.gather(*(cache.read(source.fetch) for _ in range(16))) == [7] * 16
    assert source.reads == 1
    source.value = 8  # changed elsewhere: within the recheck interval the stamp read stands
    assert await cache.read(source.fetch) == 7
    assert source.reads == 1


async def test_once_the_recheck_interval_passed_the_stamp_is_read_again() -> None:
    cache, source = StampCache(recheck=0.0), Source(1)
    assert await cache.read(source.fetch) == 1
    source.value = 2
    assert await cache.read(source.fetch) == 2
    assert source.reads == 2


async def test_a_read_begun_before_this_store_forgot_the_stamp_is_not_kept() -> None:
    cache, source = StampCache(recheck=3600.0), Source(1, delay=0.1)
    early = asyncio.ensure_future(cache.read(source.fetch))
    await asyncio.sleep(0.01)  # the read is in flight, holding the stamp as it was
    source.value, source.delay = 2, 0.01
    cache.forget()  # this store published: the read in flight may have missed it
    late = await cache.read(source.fetch)  # a new read, not the one in flight; it ends first
    assert (await early, late) == (1, 2)
    assert source.reads == 2
    assert await cache.read(source.fetch) == 2  # the late read was remembered, the early one not
    assert source.reads == 2


async def test_a_failed_read_fails_every_caller_waiting_and_the_next_caller_reads_again() -> None:
    cache, source = StampCache(recheck=3600.0), Source(3)
    source.error = OSError("disk")
    results = await asyncio.gather(*(cache.read(source.fetch) for _ in range(4)), return_exceptions=True)
    assert all(isinstance(r, OSError) for r in results)
    assert source.reads == 1
    source.error = None
    assert await cache.read(source.fetch) == 3
    assert source.reads == 2


async def test_a_caller_cancelled_while_waiting_does_not_cancel_the_others_read() -> None:
    cache, source = StampCache(recheck=3600.0), Source(5, delay=0.05)
    first = asyncio.ensure_future(cache.read(source.fetch))
    second = asyncio.ensure_future(cache.read(source.fetch))
    await asyncio.sleep(0.01)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    assert await second == 5
    assert source.reads == 1
    assert await cache.read(source.fetch) == 5  # and what it read is remembered
    assert source.reads == 1


def test_a_read_left_on_a_closed_loop_does_not_stop_the_next_loops_reads() -> None:
    cache, source = StampCache(recheck=0.0), Source(9, delay=0.05)

    abandoned: list[asyncio.Future[int]] = []

    async def abandon() -> None:
        abandoned.append(asyncio.ensure_future(cache.read(source.fetch)))
        await asyncio.sleep(0)  # the loop ends with the read in flight

    asyncio.run(abandon())
    assert asyncio.run(cache.read(source.fetch)) == 9
