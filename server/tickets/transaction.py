"""What a ticket transaction writes, built before it starts (issue 14): the event, the timers and the
outbox rows. The store then runs the transaction as one function on its writer's thread; nothing here
runs while the write lock is held, except the builder of a NEW ticket's messages (they quote the number
that transaction assigns)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from server.definitions.catalogue import CompiledService
from server.definitions.model import Language
from server.engine.model import Actor, Assignment, Outcome, TicketView
from server.store.records import NewEvent, NewMessage, NewTimer, Ticket, TicketChange
from server.tickets.notifications import Notifier, Prepared
from server.working_time import WorkingCalendar


def new_timers(calendar: WorkingCalendar, outcome: Outcome, now: dt.datetime) -> list[NewTimer]:
    return [
        NewTimer(timer=t.timer, state=t.state, due_at=calendar.add_working_hours(now, t.after_working_hours))
        for t in outcome.timers
    ]


def new_event(outcome: Outcome, actor: Actor, now: dt.datetime, data: Mapping[str, Any]) -> NewEvent:
    event = outcome.event
    return NewEvent(
        at=now,
        actor_id=actor.id,
        actor_name=actor.name,
        actor_department=actor.department,
        action=event.action,
        from_state=event.from_state,
        to_state=event.to_state,
        data=dict(data),
        visibility=event.visibility,
        kind=event.kind,
    )


def rendered_messages(
    notifier: Notifier,
    compiled: CompiledService,
    prepared: list[Prepared],
    ticket: Ticket,
    change: TicketChange,
    now: dt.datetime,
    *,
    actor: Actor,
    action_data: Mapping[str, Any],
    lang: Language,
) -> list[NewMessage]:
    """The outbox rows of a change, rendered BEFORE its transaction (the write lock is not held while
    the sandbox renders), against the ticket as the change will leave it — its number and tracking code
    do not change; if the version check fails, they are thrown away."""
    after = msgspec.structs.replace(
        ticket,
        state=change.state,
        category=change.category,
        department=change.department,
        assignee_role=change.assignee_role,
        assignee_user=change.assignee_user,
        vars=change.vars,
        version=ticket.version + 1,
        updated_at=now,
        closed_at=(ticket.closed_at or now) if change.closed else None,
    )
    return notifier.render(
        compiled, after, prepared, actor=actor, action_data=action_data, lang=lang
    ).messages


def message_builder(
    notifier: Notifier,
    compiled: CompiledService,
    prepared: list[Prepared],
    *,
    actor: Actor,
    action_data: Mapping[str, Any],
    lang: Language,
) -> Callable[[Ticket], list[NewMessage]]:
    """The outbox rows of a new ticket, rendered in its transaction (on the writer's thread, no I/O):
    they quote the number the transaction assigns."""

    def build(ticket: Ticket) -> list[NewMessage]:
        return notifier.render(
            compiled, ticket, prepared, actor=actor, action_data=action_data, lang=lang
        ).messages

    return build


def change_of(outcome: Outcome) -> TicketChange:
    """The ticket row's new values after an outcome."""
    return TicketChange(
        state=outcome.state,
        category=outcome.category,
        department=outcome.assignment.department,
        assignee_role=outcome.assignment.role,
        assignee_user=outcome.assignment.user,
        vars=outcome.vars,
        closed=outcome.closed,
    )


def view(ticket: Ticket) -> TicketView:
    """The engine's view of a stored ticket."""
    return TicketView(
        number=ticket.number,
        service=ticket.service_id,
        state=ticket.state,
        channel=ticket.channel,
        assignment=Assignment(
            department=ticket.department, role=ticket.assignee_role, user=ticket.assignee_user
        ),
        requester_id=ticket.requester_id,
        data=ticket.data,
        vars=ticket.vars,
    )
