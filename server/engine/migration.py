"""A ticket moved to another version of its service: who holds it and which timers run, decided the
way entering a state decides them (``advance.py``), without the state's ``on_enter`` notifications —
the requester is not told again that a ticket was received because the administrator published a
new version.

The new state's assignee rule applies: a role's queue in its department, the department head, a
fixed user. A rule that names the user chosen in an action (``user: action.…``) keeps the user who
holds the ticket, in the department the rule names; when nobody holds it by name, it goes to that
department's head, who can choose someone. ``actor`` and ``keep`` keep the ticket where it is. The
new state's timers are set; those of the old state end."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from server.definitions.catalogue import CompiledService
from server.definitions.errors import pointer
from server.definitions.expressions import EvalContext
from server.engine.advance import _Run
from server.engine.model import Actor, Assignment, EventRecord, Outcome, SetTimer, TicketView

SYSTEM = Actor(id=None, name="system")


def migrated(
    compiled: CompiledService,
    ticket: TicketView,
    *,
    to_state: str,
    data: Mapping[str, Any],
    event_data: Mapping[str, Any],
    ctx: EvalContext,
) -> Outcome:
    """The ticket as it runs on ``compiled`` (the new version) in ``to_state`` with ``data``."""
    moved = TicketView(
        number=ticket.number,
        service=ticket.service,
        state=to_state,
        channel=ticket.channel,
        assignment=ticket.assignment,
        requester_id=ticket.requester_id,
        data=dict(data),
        vars=ticket.vars,
    )
    run = _Run(compiled, moved, SYSTEM, {}, ctx)
    rule = compiled.workflow.states[to_state].assignee
    if rule.kind == "user":
        department = run.department(rule.department_ref)
        if ticket.assignment.user is not None:
            run.assignment = Assignment(department=department, user=ticket.assignment.user)
        else:
            dept = compiled.organisation.departments.get(department or "")
            run.assignment = Assignment(department=department, role=dept.head_role if dept else None)
    else:
        run.assign(pointer("states", to_state, "assignee"), rule)
    timers = tuple(
        SetTimer(timer=timer_id, state=to_state, after_working_hours=timer.after_working_hours)
        for timer_id, timer in compiled.workflow.timers.items()
        if timer.state == to_state
    )
    state = compiled.workflow.states[to_state]
    return Outcome(
        state=to_state,
        category=state.category,
        assignment=run.assignment,
        vars=dict(ticket.vars),
        timers=timers,
        cancel_timers=True,
        event=EventRecord(
            action="migration",
            from_state=ticket.state,
            to_state=to_state,
            data=dict(event_data),
            visibility="internal",
            kind="migration",
        ),
    )
