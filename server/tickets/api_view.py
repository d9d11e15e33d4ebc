"""The ticket API's answers (``GET /api/tickets/{id}``, ``POST /api/tickets/{id}/actions/{action}``).

Reading follows the one read rule (``server.tickets.reading``); acting goes through
:meth:`TicketService.act <server.tickets.service.TicketService.act>`, which owns the rules (the
workflow's, the department-member rule). Staff get a ticket's full history; a requester reading their
own ticket gets its public events only (never internal notes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import msgspec

from server.access import is_staff
from server.definitions.catalogue import CompiledService
from server.definitions.model import Language, Text
from server.definitions.served import served
from server.engine.advance import available_actions
from server.engine.model import Refusal
from server.store.records import Event, Ticket, User
from server.tickets.actors import actor_of
from server.tickets.members import member_choices, member_pointers
from server.tickets.reading import readable_ticket
from server.tickets.service import Conflict, view

if TYPE_CHECKING:
    from server.runtime import Runtime

__all__ = [
    "ActionOut",
    "ActorOut",
    "AssigneeOut",
    "ChoiceOut",
    "EventOut",
    "TicketDetail",
    "TicketSummary",
    "Unavailable",
    "act_on_ticket",
    "ticket_detail",
]


class AssigneeOut(msgspec.Struct, frozen=True, kw_only=True):
    role: str | None
    """The role whose queue holds the ticket (when it is not held by a user)."""
    user: str | None
    """The id of the user holding the ticket."""


class ActorOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str | None
    name: str
    department: str | None


class EventOut(msgspec.Struct, frozen=True, kw_only=True):
    seq: int
    at: dt.datetime
    actor: ActorOut
    action: str
    from_: str | None = msgspec.field(name="from")
    to: str
    data: dict[str, Any]
    visibility: str
    kind: str


class ChoiceOut(msgspec.Struct, frozen=True, kw_only=True):
    value: str
    label: str


class ActionOut(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    id: str
    label: Text
    form: dict[str, Any] | None
    """The action form's JSON Schema as the server enforces it (undeclared fields refused, department
    members written in as ``oneOf``), or null when the action takes no data."""
    choices: dict[str, list[ChoiceOut]] = {}
    """Options known only at run time, by JSON pointer: the department members of a delegation."""


class TicketSummary(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    number: str
    service: str
    version: int
    """The number of the definition version the ticket runs on."""
    ticket_version: int
    """The ticket's own version: send it back as ``expected_version`` with an action."""
    state: str
    category: str
    department: str | None
    assignee: AssigneeOut


class TicketDetail(TicketSummary, frozen=True, kw_only=True):
    channel: str
    created_at: dt.datetime
    updated_at: dt.datetime
    closed_at: dt.datetime | None
    data: dict[str, Any]
    events: list[EventOut]
    actions: list[ActionOut]


class Unavailable(msgspec.Struct, frozen=True):
    """No such ticket or one the caller may not read (``ticket``), or no such action (``action``)."""

    what: Literal["ticket", "action"]


async def _summary_fields(runtime: Runtime, ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "number": ticket.number,
        "service": ticket.service_id,
        "version": await runtime.tickets.version_number(ticket.definition_version_id),
        "ticket_version": ticket.version,
        "state": ticket.state,
        "category": ticket.category,
        "department": ticket.department,
        "assignee": AssigneeOut(role=ticket.assignee_role, user=ticket.assignee_user),
    }


async def _actions(
    runtime: Runtime, compiled: CompiledService, ticket: Ticket, user: User
) -> list[ActionOut]:
    action_ids = available_actions(compiled, view(ticket), actor_of(user))
    forms = [compiled.action_forms.get(a) for a in action_ids]
    choices = await member_choices(runtime.store, ticket, forms)
    found = []
    for action_id, form in zip(action_ids, forms, strict=True):
        mine = {
            pointer: [ChoiceOut(value=v, label=label) for v, label in choices.get(pointer, [])]
            for pointer in (member_pointers(form.schema) if form is not None else ())
        }
        found.append(
            ActionOut(
                id=action_id,
                label=compiled.workflow.actions[action_id].label,
                form=served(form.schema, {p: [(c.value, c.label) for c in cs] for p, cs in mine.items()})
                if form is not None
                else None,
                choices=mine,
            )
        )
    return found


def _event(e: Event) -> EventOut:
    return EventOut(
        seq=e.seq,
        at=e.at,
        actor=ActorOut(id=e.actor_id, name=e.actor_name, department=e.actor_department),
        action=e.action,
        from_=e.from_state,
        to=e.to_state,
        data=e.data,
        visibility=e.visibility,
        kind=e.kind,
    )


async def ticket_detail(runtime: Runtime, user: User, ticket_id: int) -> TicketDetail | None:
    """The ticket with its data, its history and the actions ``user`` may take now; None when there is
    no such ticket or ``user`` may not read it."""
    ticket = await readable_ticket(runtime, user, ticket_id)
    if ticket is None:
        return None
    compiled = await runtime.tickets.compiled_version(ticket.definition_version_id)
    events = await runtime.store.list_events(ticket.id, public_only=not is_staff(user, runtime.org))
    return TicketDetail(
        **await _summary_fields(runtime, ticket),
        channel=ticket.channel,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        closed_at=ticket.closed_at,
        data=ticket.data,
        events=[_event(e) for e in events],
        actions=await _actions(runtime, compiled, ticket, user),
    )


async def act_on_ticket(
    runtime: Runtime,
    user: User,
    ticket_id: int,
    action_id: str,
    data: Mapping[str, Any],
    *,
    expected_version: int,
    lang: Language,
) -> TicketSummary | Refusal | Conflict | Unavailable:
    """Take ``action_id`` with ``data``: the ticket as it is now, or why not."""
    ticket = await readable_ticket(runtime, user, ticket_id)
    if ticket is None:
        return Unavailable(what="ticket")
    compiled = await runtime.tickets.compiled_version(ticket.definition_version_id)
    if action_id not in compiled.workflow.actions:
        return Unavailable(what="action")
    result = await runtime.tickets.act(
        ticket.id,
        action_id,
        data,
        actor=actor_of(user),
        expected_version=expected_version,
        lang=lang,
        known=ticket,
    )
    if isinstance(result, Ticket):
        return TicketSummary(**await _summary_fields(runtime, result))
    return result
