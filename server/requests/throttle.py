"""Per-client rate limits of anonymous requests (submissions, tracking look-ups), counted in the store
so that every server process sharing the database sees the same counts. The HTTP side decides what is
counted and who is exempt (``server/web/limits.py``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from server.runtime import Runtime

__all__ = ["take"]


async def take(runtime: Runtime, key: str, *, limit: int, window_seconds: int) -> bool:
    """Whether one more request under ``key`` fits ``limit`` per ``window_seconds`` (and count it)."""
    now = datetime.now(UTC)
    return await runtime.store.take_rate_token(
        key, limit=limit, now=now, since=now - timedelta(seconds=window_seconds)
    )
