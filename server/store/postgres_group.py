"""Group commit of ticket creations on PostgreSQL (issue 14).

Every creation updates the year's row of ``ticket_counters`` (numbers without a gap), and that row
stays locked until the creation commits — so creations cannot overlap, however many connections
there are: each one's round trips, its share of the event loop and its WAL flush happen one after
another (measured: 16 concurrent submitters got *fewer* tickets per second than one). Here the
creations that queue in one process while a group is being written go together, up to
``MAX_GROUP``, in one transaction on one connection: the first round trip moves the year's counter by
the group's size and draws as many row ids from the tickets' identity sequence (``RESERVE``), so each
ticket's number and id are known here; each ticket's events are sealed and its messages built, and
its whole creation — row, events, assignment, outbox rows, timers — goes as ONE statement
(``reserved_creation``); the second round trip sends them all with the COMMIT and waits for every
answer (``sync``) — one counter-lock hold, one WAL flush, one statement a ticket. Every caller is
answered only after that COMMIT: an acknowledged ticket is durable exactly as one committed alone
(``synchronous_commit`` stays on). (A group whose creations fall in two years — around New Year's
midnight — runs each alone, in its own year's count.)

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
        year = group[0].now.year
        if any(c.now.year != year for c in group):  # around New Year: each in its own year's count
            for creation in group:
                await self._one(creation)
            return
        committing = False
        try:
            async with pipelined_transaction(self._pool) as (conn, pipeline):
                drawn = await (
                    await rows.queue(conn, rows.RESERVE, (year, len(group), len(group)))
                ).fetchone()
                assert drawn is not None
                first = int(drawn["last"]) - len(group) + 1
                tickets: list[Ticket] = []
                for offset, (creation, row_id) in enumerate(zip(group, drawn["ids"], strict=True)):
                    ticket, statement = rows.reserved_creation(
                        self._key,
                        creation.new,
                        creation.events,
                        creation.messages,
                        creation.timers,
                        creation.now,
                        row_id=int(row_id),
                        number=rows.number_text(year, first + offset),
                    )
                    await rows.queue_numbered(conn, *statement)
                    tickets.append(ticket)
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
