"""What a ticket transaction writes, built before it starts (issue 14): the event, the timers and the
outbox rows. The store then runs the transaction as one function on its writer's thread; nothing here
runs while the write lock is held: a NEW ticket's messages quote the number that transaction assigns,
so they are rendered before it with stand-ins the transaction replaces (or, for a template that does
more with the number than quote it, rendered in it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from server.definitions.catalogue import CompiledService
from server.definitions.model import Language
from server.engine.model import Actor, Assignment, Outcome, TicketView
from server.store.records import NewEvent, NewMessage, NewTicket, NewTimer, Ticket, TicketChange
from server.store.request_ids import random_bytes
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


def provisional(new: NewTicket, now: dt.datetime) -> Ticket:
    """A new ticket as its transaction will write it, but for the row id and number it assigns (0 and
    "" here): what its notifications are rendered against before the transaction."""
    return new.written(id=0, number="", tracking_code=new.tracking_code or "", created_at=now)


def message_builder(
    notifier: Notifier,
    compiled: CompiledService,
    prepared: list[Prepared],
    ticket: Ticket,
    *,
    actor: Actor,
    action_data: Mapping[str, Any],
    lang: Language,
) -> Callable[[Ticket], list[NewMessage]]:
    """The outbox rows of a new ticket (``ticket``: its :func:`provisional` self), for its transaction
    to finish with the number and row id it assigns.

    When every template quotes those only whole (``NotificationTemplate.assigned_plainly``: the shipped
    ones all do), the texts are rendered now, before the transaction, with random stand-ins for both;
    the transaction only replaces the stand-ins (two ``str.replace`` per text) — no sandbox runs while
    the write lock is held. Otherwise (``{{ ticket.number | replace(…) }}``, ``{% set t = ticket %}``…)
    they are rendered in the transaction, on the writer's thread, as before."""
    if all(compiled.templates[item.notify.template].assigned_plainly for item in prepared):
        drawn = random_bytes(18)
        number, row = f"N{drawn[:10].hex()}", 10**17 + int.from_bytes(drawn[10:]) % (9 * 10**17)
        stood_in = msgspec.structs.replace(ticket, number=number, id=row)
        early = notifier.render(
            compiled, stood_in, prepared, actor=actor, action_data=action_data, lang=lang, who="a new ticket"
        ).messages

        def fill(written: Ticket) -> list[NewMessage]:
            pairs = ((number, written.number), (str(row), str(written.id)))
            return [
                msgspec.structs.replace(m, subject=_replaced(m.subject, pairs), body=_replaced(m.body, pairs))
                for m in early
            ]

        return fill

    def build(written: Ticket) -> list[NewMessage]:
        return notifier.render(
            compiled, written, prepared, actor=actor, action_data=action_data, lang=lang
        ).messages

    return build


def _replaced(text: str, pairs: tuple[tuple[str, str], ...]) -> str:
    for stand_in, value in pairs:
        text = text.replace(stand_in, value)
    return text


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
