"""Rebuilding a ticket from its event log: the audit check that the log says everything.

The event log is the history of record; the ticket row is a summary of it. ``replay_ticket``
runs the engine over the stored events of a ticket and returns what the row should hold.
"""

from __future__ import annotations

from typing import Any

from server.definitions.catalogue import CompiledService
from server.definitions.expressions import EvalContext
from server.engine.advance import replay
from server.engine.model import Actor, TicketView
from server.store.records import Event, Ticket
from server.tickets.service import TicketService


async def replay_ticket(service: TicketService, ticket: Ticket) -> TicketView:
    compiled: CompiledService = await service.compiled_version(ticket.definition_version_id)
    events: list[Event] = await service.store.list_events(ticket.id)
    steps: list[tuple[str, dict[str, Any], Actor, EvalContext]] = []
    for event in events:
        actor = Actor(
            id=event.actor_id,
            name=event.actor_name,
            department=event.actor_department,
        )
        ctx = await service.context(
            compiled, [{"data": ticket.data, "vars": ticket.vars, "action": event.data}], event.at
        )
        steps.append((event.action, event.data, actor, ctx))
    return replay(compiled, steps, channel=ticket.channel, requester_id=ticket.requester_id)
