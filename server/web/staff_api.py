"""The staff ticket API: ``GET /api/tickets/{id}`` and ``POST /api/tickets/{id}/actions/{action}``.

Bearer token only (401 without). Reading follows ``server.access`` (the same rule as the ticket page
and the task lists): a ticket the caller may not read is a 404 on GET and a 403 on POST — the same
answer as for a ticket that does not exist, so nothing is revealed. Staff get the full history;
a requester reading their own ticket gets its public events only (never internal notes).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, JSONBody

from server.access import is_staff
from server.definitions.catalogue import CompiledService
from server.definitions.model import Text
from server.engine.advance import available_actions
from server.engine.model import Refusal
from server.runtime import Runtime
from server.store.records import Ticket, User
from server.tickets.service import Conflict, view
from server.web.api import ApiError, refusal_error
from server.web.auth import actor_for, api_user_or_401
from server.web.deps import runtime_of
from server.web.staff_ticket import (
    api_language,
    member_choices,
    member_errors,
    member_pointers,
    readable_ticket,
)

AnyRequest = Request[Any, Any, State]


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
    """The action form's JSON Schema (2020-12), or null when the action takes no data."""
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


class TicketDetail(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    number: str
    service: str
    version: int
    ticket_version: int
    state: str
    category: str
    department: str | None
    assignee: AssigneeOut
    channel: str
    created_at: dt.datetime
    updated_at: dt.datetime
    closed_at: dt.datetime | None
    data: dict[str, Any]
    events: list[EventOut]
    actions: list[ActionOut]


class ActionRequest(msgspec.Struct, frozen=True, kw_only=True):
    expected_version: int
    """The ``ticket_version`` the caller last read; a stale one is a 409 and nothing is applied."""
    data: dict[str, Any] = {}


async def _summary(runtime: Runtime, ticket: Ticket) -> TicketSummary:
    definition = await runtime.store.get_definition(ticket.definition_version_id)
    return TicketSummary(
        id=ticket.id,
        number=ticket.number,
        service=ticket.service_id,
        version=definition.version if definition else 0,
        ticket_version=ticket.version,
        state=ticket.state,
        category=ticket.category,
        department=ticket.department,
        assignee=AssigneeOut(role=ticket.assignee_role, user=ticket.assignee_user),
    )


async def _actions(
    runtime: Runtime, compiled: CompiledService, ticket: Ticket, user: User
) -> list[ActionOut]:
    action_ids = available_actions(compiled, view(ticket), actor_for(user))
    forms = [compiled.action_forms.get(a) for a in action_ids]
    choices = await member_choices(runtime, ticket, forms)
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
                form=form.schema if form is not None else None,
                choices=mine,
            )
        )
    return found


def _not_yours() -> ApiError:
    return ApiError(
        403,
        "you may not act on this ticket / ليس لك أن تتخذ إجراءً على هذه التذكرة",
        reason="not_allowed_actor",
    )


class TicketsAPI(Controller):
    path = "/api/tickets"
    tags = ["staff"]  # noqa: RUF012 (Litestar's declared class attribute)

    @get("/{ticket_id:int}")
    async def get_ticket(self, request: AnyRequest, ticket_id: FromPath[int]) -> TicketDetail:
        """A ticket with its data, its history and the actions the caller may take now (each with its
        bilingual label and action form). 401 without a token; 404 when there is no such ticket or the
        caller may not read it. Staff get every event; a requester, on their own ticket, the public ones."""
        user = api_user_or_401(request)
        runtime = runtime_of(request)
        ticket = await readable_ticket(runtime, user, ticket_id)
        if ticket is None:
            raise NotFoundException("no such ticket / لا توجد هذه التذكرة")
        compiled = await runtime.tickets.compiled_version(ticket.definition_version_id)
        staff = is_staff(user, runtime.org)
        events = await runtime.store.list_events(ticket.id, public_only=not staff)
        summary = await _summary(runtime, ticket)
        return TicketDetail(
            **{f: getattr(summary, f) for f in summary.__struct_fields__},
            channel=ticket.channel,
            created_at=ticket.created_at,
            updated_at=ticket.updated_at,
            closed_at=ticket.closed_at,
            data=ticket.data,
            events=[
                EventOut(
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
                for e in events
            ],
            actions=await _actions(runtime, compiled, ticket, user),
        )

    @post("/{ticket_id:int}/actions/{action_id:str}", status_code=200)
    async def act(
        self,
        request: AnyRequest,
        ticket_id: FromPath[int],
        action_id: FromPath[str],
        data: JSONBody[ActionRequest],
    ) -> TicketSummary:
        """Take an action: ``{"data": {...}, "expected_version": N}``. 200 with the ticket as it is now;
        403 when the caller may not take it (or may not read the ticket); 404 for an action the workflow
        does not have; 409 when ``expected_version`` is stale (``current_version`` in the body) or the
        action does not apply in the ticket's state; 422 for invalid data (``errors`` with JSON pointers)
        or a refused guard (``reason``, ``guard`` and ``messages`` in both languages)."""
        user = api_user_or_401(request)
        runtime = runtime_of(request)
        lang = api_language(request)
        ticket = await readable_ticket(runtime, user, ticket_id)
        if ticket is None:
            raise _not_yours()
        compiled = await runtime.tickets.compiled_version(ticket.definition_version_id)
        if action_id not in compiled.workflow.actions:
            raise NotFoundException(f"unknown action {action_id!r} / إجراء غير معروف")
        form = compiled.action_forms.get(action_id)
        if ticket.version == data.expected_version and form is not None:
            # a delegation must name a member of the department (checked before the engine runs)
            errors = member_errors(form, data.data, await member_choices(runtime, ticket, [form]))
            if errors and action_id in available_actions(compiled, view(ticket), actor_for(user)):
                raise refusal_error(
                    Refusal(
                        reason="invalid_data",
                        message=Text(ar="البيانات المدخلة غير صحيحة", en="The data entered is not valid"),
                        field_errors=tuple(errors),
                    ),
                    lang,
                )
        result = await runtime.tickets.act(
            ticket.id,
            action_id,
            data.data,
            actor=actor_for(user),
            expected_version=data.expected_version,
            lang=lang,
        )
        if isinstance(result, Conflict):
            raise ApiError(
                409,
                "the ticket changed since you read it; read it again / تغيّرت التذكرة منذ قراءتها؛ أعد قراءتها",
                reason="stale_version",
                current_version=result.ticket.version,
                state=result.ticket.state,
            )
        if isinstance(result, Refusal):
            raise refusal_error(result, lang)
        return await _summary(runtime, result)
