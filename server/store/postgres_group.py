"""Group commit of ticket creations on PostgreSQL (issue 14).

Every creation updates the year's row of ``ticket_counters`` (numbers without a gap), and that row
stays locked until the creation commits — so creations cannot overlap, however many connections
there are: each one's round trips, its share of the event loop and its WAL flush happen one after
another (measured: 16 concurrent submitters got *fewer* tickets per second than one). Here the
creations that queue in one process while a group is being written go together, up to
``MAX_GROUP``, in one transaction on one connection: one pipeline sends every ticket's
number-and-row statement; the answers come back in one round trip; each ticket's events are sealed
and its messages built; a second round trip sends every ticket's events, assignment, outbox rows and
timers and waits for them all (``sync``); the third is the one COMMIT — one counter-lock hold, one WAL
flush. Every caller is answered only after that COMMIT: an acknowledged ticket is durable exactly as
one committed alone (``synchronous_commit`` stays on).

When anything goes wrong before the COMMIT is sent — a statement refused, a message builder raising,
an idempotency key found taken (its counter increment must not stay behind: a gap) — the group is
rolled back, nothing of it written, and each of its creations runs again in a transaction of its
own, which answers its caller as it would have alone. A COMMIT that fails fails the whole group
(none acknowledged), as a lone COMMIT would fail its one caller. A creation whose caller gave up
(cancelled) before its group was formed is not written; if the writer itself is cancelled (the event
loop shutting down), every caller still waiting gets an error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from psycopg_pool import AsyncConnectionPool

from server.store import postgres_ticket_rows as rows
from server.store.postgres_codec import Conn, pipelined_transaction
from server.store.records import Messages, NewEvent, NewTicket, NewTimer, Ticket

MAX_GROUP = 64
"""Creations in one transaction at most."""


@dataclass
class Creation:
    """One queued ``create_ticket`` call and the future its caller awaits."""

    new: NewTicket
    events: Sequence[NewEvent]
    messages: Messages
    timers: Sequence[NewTimer]
    now: datetime
    answer: asyncio.Future[tuple[Ticket, bool]] = field(repr=False)


class _Alone(Exception):
    """The group cannot be committed as it is: roll it back and run each creation alone."""


class CreationGroups:
    """The queue of one process's creations and the one task that writes them, a group at a time."""

    def __init__(
        self,
        pool: AsyncConnectionPool[Conn],
        key: bytes,
        alone: Callable[[Creation], Awaitable[tuple[Ticket, bool]]],
    ) -> None:
        self._pool = pool
        self._key = key
        self._alone = alone
        self._queue: list[Creation] = []
        self._writer: asyncio.Task[None] | None = None
        self.groups = 0
        """Transactions that committed more than one creation (for benchmarks and tests)."""
        self.undone = 0
        """Groups rolled back before their COMMIT, their creations run alone."""

    async def create(
        self,
        new: NewTicket,
        events: Sequence[NewEvent],
        messages: Messages,
        timers: Sequence[NewTimer],
        now: datetime,
    ) -> tuple[Ticket, bool]:
        loop = asyncio.get_running_loop()
        creation = Creation(new, events, messages, timers, now, loop.create_future())
        self._queue.append(creation)
        if self._writer is None or self._writer.done():
            self._writer = loop.create_task(self._write(), name="khidma-pg-creations")
            self._writer.add_done_callback(self._written)
        return await creation.answer

    async def drain(self) -> None:
        """Wait for the queued creations to be written (before the pool closes)."""
        if self._writer is not None and not self._writer.done():
            await asyncio.shield(self._writer)

    async def _write(self) -> None:
        group: list[Creation] = []
        try:
            while self._queue:
                group = [c for c in self._queue[:MAX_GROUP] if not c.answer.done()]
                del self._queue[:MAX_GROUP]
                if len(group) == 1:
                    await self._one(group[0])
                elif group:
                    await self._group(group)
        finally:  # cancelled (the loop shutting down): no caller of this group left waiting
            for creation in group:
                _fail(creation, _stopped())

    def _written(self, writer: asyncio.Task[None]) -> None:
        """The writer ended: with nothing queued, unless it was cancelled (perhaps before it ran) or
        failed. (A writer that ended well may be followed already by a new one, with a new queue.)"""
        if writer is not self._writer or not (writer.cancelled() or writer.exception() is not None):
            return
        for creation in self._queue:
            _fail(creation, _stopped())
        self._queue.clear()

    async def _one(self, creation: Creation) -> None:
        try:
            result = await self._alone(creation)
        except Exception as exc:
            _fail(creation, exc)
        else:
            _answer(creation, result)

    async def _group(self, group: list[Creation]) -> None:
        committing = False
        try:
            async with pipelined_transaction(self._pool) as (conn, pipeline):
                sent = [await rows.queue(conn, rows.CREATE, rows.create_params(c.new, c.now)) for c in group]
                tickets: list[Ticket] = []
                for cursor in sent:
                    row = await cursor.fetchone()
                    if row is None:  # an idempotency key taken: its counter increment must go
                        raise _Alone
                    tickets.append(rows.ticket_from_row(row))
                for creation, ticket in zip(group, tickets, strict=True):
                    await rows.queue_created(
                        conn,
                        self._key,
                        ticket,
                        creation.events,
                        creation.messages,
                        creation.timers,
                        creation.now,
                    )
                await pipeline.sync()  # every statement answered: a refusal rolls the group back
                committing = True
        except BaseException as exc:
            if committing or not isinstance(exc, Exception):
                for creation in group:
                    _fail(creation, exc if isinstance(exc, Exception) else _stopped())
                if not isinstance(exc, Exception):
                    raise
                return
            self.undone += 1
            for creation in group:
                await self._one(creation)
            return
        self.groups += 1
        for creation, ticket in zip(group, tickets, strict=True):
            _answer(creation, (ticket, True))


def _stopped() -> RuntimeError:
    return RuntimeError("the store stopped before this ticket was written")


def _answer(creation: Creation, result: tuple[Ticket, bool]) -> None:
    if not creation.answer.done():
        creation.answer.set_result(result)


def _fail(creation: Creation, exc: Exception) -> None:
    if not creation.answer.done():
        creation.answer.set_exception(exc)
