"""Moving running tickets to a newer version of their service: the plan (a dry run) and the move.

Each open ticket of the old version is planned (:func:`plan`, pure):

* its state goes to the mapped state, or stays when the new workflow still has it;
* its data is carried over: a renamed field's value goes to its new name (the administrator's
  mapping), a field the new form lacks is dropped only when the administrator ticked it, a value
  supplied for one ticket (or a default for all, used where the field is missing or refused) is set;
* the data is validated against the new form: each error is a problem of the ticket (the field and
  the reason, in both languages) — a ticket with a problem is not moved, so no ticket ever runs
  invalid under its form;
* who holds it after the move is worked out by the engine (``server/engine/migration.py``): the new
  state's assignee rule, as on entering the state.

The administrator can leave a ticket on its version (it finishes there). :func:`run` moves every
ticket whose plan is ok, each in its own transaction (``Store.migrate_ticket``): the new version,
state, data, holder and timers (due from when the ticket entered its state, in working hours), and an
event of kind ``migration`` recording what was done.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from server.admin.compat_form import has_value
from server.definitions.catalogue import CompiledService
from server.definitions.expressions import EvalContext
from server.definitions.forms import resolve
from server.definitions.model import Text
from server.engine.migration import migrated
from server.engine.model import Assignment, Outcome
from server.forms.coerce import coerce
from server.i18n import MESSAGES
from server.store.interface import Store, StoreError
from server.store.records import DefinitionVersion, Event, NewEvent, NewTimer, Ticket, TicketChange
from server.tickets.service import view
from server.tickets.tasks import search_text
from server.validation import apply_defaults, validate
from server.working_time import WorkingCalendar


class Choices(msgspec.Struct, frozen=True):
    """What the administrator chose on the migration page."""

    mapping: Mapping[str, str] = msgspec.field(default_factory=dict)
    """old state → new state (a state the new workflow lacks must be mapped)."""
    renames: Mapping[str, str] = msgspec.field(default_factory=dict)
    """old field → new field: the value is carried to the new name."""
    drop: frozenset[str] = frozenset()
    """Fields the new form lacks whose values may be dropped."""
    defaults: Mapping[str, str] = msgspec.field(default_factory=dict)
    """field → a value (as typed) for every ticket where it is missing or refused."""
    values: Mapping[tuple[int, str], str] = msgspec.field(default_factory=dict)
    """(ticket id, field) → a value (as typed) for that ticket."""
    leave: frozenset[int] = frozenset()
    """Tickets kept on their version."""


class Problem(msgspec.Struct, frozen=True):
    field: str
    """The field's path in the data (``/room``), ``""`` for the ticket's state."""
    message: Text


class TicketPlan(msgspec.Struct, frozen=True):
    ticket_id: int
    number: str
    version: int
    from_state: str
    to_state: str
    data: dict[str, Any] = msgspec.field(default_factory=dict)
    dropped: list[str] = msgspec.field(default_factory=list)
    renamed: list[tuple[str, str]] = msgspec.field(default_factory=list)
    supplied: list[str] = msgspec.field(default_factory=list)
    problems: list[Problem] = msgspec.field(default_factory=list)
    left: bool = False
    outcome: Outcome | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and not self.left

    @property
    def assignment(self) -> Assignment | None:
        return None if self.outcome is None else self.outcome.assignment

    @property
    def problem_fields(self) -> list[str]:
        return [p.field.lstrip("/").split("/")[0] for p in self.problems if p.field]


def _message(key: str, **values: str) -> Text:
    text = MESSAGES[key]
    return Text(ar=text.ar.format(**values), en=text.en.format(**values))


def typed(new: CompiledService, name: str, raw: str) -> Any:
    """A value typed by the administrator, as the new form's field holds it (a number, a choice…); a
    repeatable group or a section is typed as JSON (``[{"item": "…", "quantity": 1}]``)."""
    node = resolve(new.form.schema, (new.form.schema.get("properties") or {}).get(name))
    if isinstance(node, Mapping) and node.get("type") in ("array", "object"):
        try:
            return msgspec.json.decode(raw.encode("utf-8"))
        except msgspec.DecodeError:
            return raw  # the validator names it: not of the expected kind
    data = coerce(new.form, {name: [raw]})
    return data.get(name, raw)


class Carried(msgspec.Struct, frozen=True):
    """A ticket's data under the new form's names."""

    data: dict[str, Any]
    renamed: list[tuple[str, str]]
    dropped: list[str]
    lost: list[str]
    """Filled fields the new form lacks, neither renamed nor allowed to be dropped."""


def carry(ticket: Ticket, new: CompiledService, choices: Choices) -> Carried:
    declared = set(new.form.schema.get("properties") or {})
    data = dict(ticket.data)
    renamed = []
    for old_name, new_name in choices.renames.items():
        if old_name in data and new_name in declared and old_name != new_name and new_name not in data:
            data[new_name] = data.pop(old_name)
            renamed.append((old_name, new_name))
    lost = sorted(n for n in data if n not in declared and has_value(data, [n]))
    for name in [n for n in data if n not in declared]:
        if name in choices.drop or not has_value(data, [name]):
            del data[name]
    return Carried(
        data=data,
        renamed=renamed,
        dropped=[n for n in lost if n in choices.drop],
        lost=[n for n in lost if n not in choices.drop],
    )


def plan_ticket(ticket: Ticket, new: CompiledService, choices: Choices, ctx: EvalContext) -> TicketPlan:
    target = choices.mapping.get(ticket.state) or ticket.state
    if ticket.id in choices.leave:
        return TicketPlan(ticket.id, ticket.number, ticket.version, ticket.state, target, left=True)
    problems: list[Problem] = []
    if target not in new.workflow.states:
        problems.append(Problem("", _message("change_state_gone", state=ticket.state)))
    carried = carry(ticket, new, choices)
    data, renamed, dropped = carried.data, carried.renamed, carried.dropped
    problems.extend(Problem(f"/{n}", _message("change_field_lost", field=n)) for n in carried.lost)
    refused = {e.path.lstrip("/").split("/")[0] for e in validate(new.form, apply_defaults(new.form, data))}
    supplied = []
    for name, raw in choices.defaults.items():
        if raw != "" and (name in refused or not has_value(data, [name])):
            data[name] = typed(new, name, raw)
            supplied.append(name)
    for (ticket_id, name), raw in choices.values.items():
        if ticket_id == ticket.id and raw != "":
            data[name] = typed(new, name, raw)
            supplied.append(name)
    data = apply_defaults(new.form, data)
    problems.extend(Problem(e.path, e.message) for e in validate(new.form, data))
    outcome = None
    if target in new.workflow.states:
        event_data = {"renamed_fields": dict(renamed), "supplied_fields": sorted(set(supplied))}
        outcome = migrated(new, view(ticket), to_state=target, data=data, event_data=event_data, ctx=ctx)
    return TicketPlan(
        ticket.id,
        ticket.number,
        ticket.version,
        ticket.state,
        target,
        data=data,
        dropped=dropped,
        renamed=renamed,
        supplied=sorted(set(supplied)),
        problems=problems,
        outcome=outcome,
    )


def plan(
    tickets: Sequence[Ticket], new: CompiledService, choices: Choices, ctx: EvalContext
) -> list[TicketPlan]:
    """What moving each ticket would do (nothing is written)."""
    return [plan_ticket(ticket, new, choices, ctx) for ticket in tickets]


def entered_at(events: Sequence[Event], state: str, fallback: dt.datetime) -> dt.datetime:
    """When the ticket last entered ``state`` (its timers count from then)."""
    for event in reversed(events):
        if event.to_state == state and event.from_state != state:
            return event.at
    return fallback


async def run(
    store: Store,
    tickets: Sequence[Ticket],
    plans: Sequence[TicketPlan],
    new_version: DefinitionVersion,
    new: CompiledService,
    calendar: WorkingCalendar,
    *,
    actor_id: str,
    actor_name: str,
    now: dt.datetime,
) -> list[tuple[TicketPlan, str]]:
    """Move every ticket whose plan is ok; (plan, outcome) per ticket: ``moved``, ``left``, ``refused``
    (its plan has problems) or ``conflict`` (it changed since it was planned: plan it again)."""
    by_id = {ticket.id: ticket for ticket in tickets}
    outcomes = []
    for item in plans:
        if item.left:
            outcomes.append((item, "left"))
            continue
        if not item.ok or item.outcome is None:
            outcomes.append((item, "refused"))
            continue
        ticket, outcome = by_id[item.ticket_id], item.outcome
        since = now
        if item.to_state == ticket.state:
            since = entered_at(await store.list_events(ticket.id), ticket.state, now)
        timers = [
            NewTimer(
                timer=t.timer, state=t.state, due_at=calendar.add_working_hours(since, t.after_working_hours)
            )
            for t in outcome.timers
        ]
        event = NewEvent(
            at=now,
            actor_id=actor_id,
            actor_name=actor_name,
            action="migration",
            from_state=item.from_state,
            to_state=item.to_state,
            data={
                "from_definition_version_id": ticket.definition_version_id,
                "to_definition_version_id": new_version.id,
                "to_version": new_version.version,
                "dropped_fields": item.dropped,
                **outcome.event.data,
            },
            visibility="internal",
            kind="migration",
        )
        change = TicketChange(
            state=outcome.state,
            category=outcome.category,
            department=outcome.assignment.department,
            assignee_role=outcome.assignment.role,
            assignee_user=outcome.assignment.user,
            vars=outcome.vars,
            closed=outcome.closed,
        )
        try:
            await store.migrate_ticket(
                ticket.id,
                item.version,
                new_version.id,
                change,
                event,
                data=item.data,
                timers=timers,
                search_text=search_text(new.form.schema, item.data),
                now=now,
            )
        except StoreError:
            outcomes.append((item, "conflict"))
            continue
        outcomes.append((item, "moved"))
    return outcomes
