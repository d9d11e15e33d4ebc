"""The outbox and ticket timers, part of the ``Store`` of ``interface.py``: notifications written with the
change that caused them, claimed and marked by the dispatcher (``server/notify``); the timers' status."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from server.store.records import OutboxMessage, OutboxStatus, Timer, TimerStatus


class OutboxStore(Protocol):
    """The outbox and the ticket timers: what the dispatcher claims and marks, what the timer loop reads."""

    # --- outbox -------------------------------------------------------------------------
    async def claim_outbox(
        self, *, now: datetime, limit: int, channels: Sequence[str] | None = None
    ) -> list[OutboxMessage]:
        """Due ``pending``/``failed`` messages become ``sending`` (attempts + 1), oldest due first.
        With ``channels``, only messages on those channels are claimed (none for an empty list), so a
        dispatcher leaves alone the channels it has no gateway for."""
        ...

    async def mark_sent(self, message_id: int, *, now: datetime) -> None: ...

    async def mark_failed(
        self, message_id: int, *, now: datetime, error: str, retry_at: datetime | None
    ) -> None:
        """``failed`` and due again at ``retry_at``; ``dead`` when ``retry_at`` is None."""
        ...

    async def list_outbox(
        self, ticket_id: int | None = None, status: OutboxStatus | None = None
    ) -> list[OutboxMessage]: ...

    async def page_outbox(
        self, statuses: Sequence[OutboxStatus], *, offset: int, limit: int
    ) -> list[OutboxMessage]:
        """One page of the messages of ``statuses``, newest first (the outbox page: failed and dead
        messages, which pile up with the years — never read all at once)."""
        ...

    async def count_outbox(self, *, undeliverable: Sequence[str] = ()) -> dict[tuple[str, str], int]:
        """The messages not sent, by channel and status, counted without reading them out (``/healthz``
        and the outbox page ask; the sent ones, nearly all, are not read at all). A ``dead`` message
        whose ``last_error`` starts with one of the ``undeliverable`` texts counts under the status
        ``undeliverable`` instead (``server.notify.undeliverable.MARKS``)."""
        ...

    async def retry_outbox(self, message_id: int, *, now: datetime) -> bool:
        """A ``dead`` message that has a recipient goes back to ``pending``, due at ``now``, with its
        attempts reset and its ``gateway_request_id`` kept; False (nothing changed) for any other."""
        ...

    async def requeue_sending(self, *, now: datetime, older_than: timedelta = ...) -> int:
        """Messages left ``sending`` (by a crash) go back to ``pending``; returns how many."""
        ...

    # --- timers -------------------------------------------------------------------------
    async def due_timers(self, *, now: datetime) -> list[Timer]: ...

    async def set_timer_status(self, timer_id: int, status: TimerStatus) -> None: ...
