"""Firing the timers that fell due (the worker's round, ``FiringService.fire_due_timers``).

The timers are claimed in batches (``Store.claim_due_timers``, ``server/store/interface_timers.py``): on
PostgreSQL another process's timer loop takes other ones (``FOR UPDATE SKIP LOCKED``, each claim leased),
so no two processes compute and apply one timer side by side; on SQLite one process runs the worker. A
timer still fires once whatever happens (its ``pending → fired`` update is in the ticket's transaction).
A timer whose ticket moved on while it was being fired (a version conflict) is given back at the end
of the round, for the next one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from server.definitions.catalogue import CompiledService
from server.definitions.expressions import EvalContext
from server.engine.advance import fire_timer
from server.engine.model import Actor
from server.store.interface import Store, VersionConflict
from server.store.records import Timer
from server.tickets.notifications import Notifier
from server.tickets.transaction import change_of, new_event, rendered_messages, view


class FiringService(Protocol):
    """What firing needs of the ticket service (``server/tickets/service.py``)."""

    store: Store
    notifier: Notifier
    clock: Callable[[], dt.datetime]

    async def compiled_version(self, definition_version_id: int) -> CompiledService: ...

    async def context(
        self, compiled: CompiledService, sources: Iterable[Mapping[str, Mapping[str, Any]]], now: dt.datetime
    ) -> EvalContext: ...


TIMERS_PER_ROUND = 100
"""Timers claimed at a time; a round claims again until no more are due."""


async def fire_due_timers(service: FiringService) -> int:
    """Run the effects of every timer due at ``service.clock()``; returns how many fired."""
    now = service.clock()
    fired = 0
    moved_on: list[int] = []
    try:
        while True:
            claimed = await service.store.claim_due_timers(now=now, limit=TIMERS_PER_ROUND)
            for index, timer in enumerate(claimed):
                try:
                    outcome = await _fire(service, timer, now)
                except BaseException:
                    moved_on += [t.id for t in claimed[index:]]
                    raise
                if outcome is None:
                    moved_on.append(timer.id)
                else:
                    fired += outcome
            if len(claimed) < TIMERS_PER_ROUND:
                break
    finally:
        await service.store.release_timers(moved_on)
    return fired


async def _fire(service: FiringService, timer: Timer, now: dt.datetime) -> int | None:
    """Fire one claimed timer: 1 if it fired, 0 if it no longer applies (cancelled, or its ticket
    is gone), None if its ticket moved on meanwhile (a version conflict)."""
    ticket = await service.store.get_ticket(timer.ticket_id)
    if ticket is None:
        return 0
    compiled = await service.compiled_version(ticket.definition_version_id)
    ctx = await service.context(compiled, [{"data": ticket.data, "vars": ticket.vars}], now)
    outcome = fire_timer(compiled, view(ticket), timer_id=timer.timer, ctx=ctx)
    if outcome is None:
        await service.store.set_timer_status(timer.id, "cancelled")
        return 0
    system = Actor(id=None, name="system")
    prepared = await service.notifier.prepare(
        compiled,
        outcome.notifications,
        actor=system,
        data=ticket.data,
        requester_id=ticket.requester_id,
    )
    change = change_of(outcome)
    messages = rendered_messages(
        service.notifier,
        compiled,
        prepared,
        ticket,
        change,
        now,
        actor=system,
        action_data={},
        lang="ar",
    )
    try:
        await service.store.apply_change(
            ticket.id,
            ticket.version,
            change,
            [new_event(outcome, system, now, {})],
            messages,
            [],
            cancel_pending_timers=False,
            now=now,
            fired_timer_id=timer.id,
        )
    except VersionConflict:
        return None
    return 1
