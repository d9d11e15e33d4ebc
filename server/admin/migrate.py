"""Moving running tickets to a newer version of their service, with a dry run.

Each open ticket of the old version is planned: its state goes to the mapped state (or stays, when
the new workflow still has it); the form fields it holds that the new form no longer has are dropped
only when the administrator ticked them. A ticket whose state no longer exists and has no mapping,
or that would lose a filled field not ticked, is refused and left as it is. A real run moves each
ticket in its own transaction (``Store.migrate_ticket``) with an event of kind ``migration``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from server.definitions.catalogue import CompiledService
from server.definitions.forms import fields
from server.store.interface import Store, StoreError
from server.store.records import DefinitionVersion, NewEvent, Ticket


@dataclass(frozen=True)
class TicketPlan:
    ticket_id: int
    number: str
    version: int
    from_state: str
    to_state: str
    dropped: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def plan(
    tickets: Sequence[Ticket],
    old: CompiledService,
    new: CompiledService,
    mapping: Mapping[str, str],
    drop: frozenset[str],
) -> list[TicketPlan]:
    new_fields = set(fields(new.form.schema))
    plans = []
    for ticket in tickets:
        problems = []
        target = mapping.get(ticket.state) or ticket.state
        if target not in new.workflow.states:
            problems.append(
                f"the state {ticket.state} no longer exists: map it to a state of the new workflow"
            )
        lost = sorted(
            name for name, value in ticket.data.items() if name not in new_fields and value not in (None, "")
        )
        refused = [name for name in lost if name not in drop]
        problems.extend(f"the field {name} is filled and the new form has no such field" for name in refused)
        plans.append(
            TicketPlan(
                ticket_id=ticket.id,
                number=ticket.number,
                version=ticket.version,
                from_state=ticket.state,
                to_state=target,
                dropped=[name for name in lost if name in drop],
                problems=problems,
            )
        )
    return plans


async def run(
    store: Store,
    tickets: Sequence[Ticket],
    plans: Sequence[TicketPlan],
    new_version: DefinitionVersion,
    new: CompiledService,
    *,
    actor_id: str,
    actor_name: str,
    now: dt.datetime,
) -> list[tuple[TicketPlan, str]]:
    """Move every ticket whose plan is ok; (plan, outcome) per ticket: ``moved`` or why not."""
    by_id = {ticket.id: ticket for ticket in tickets}
    outcomes = []
    for item in plans:
        if not item.ok:
            outcomes.append((item, "; ".join(item.problems)))
            continue
        ticket = by_id[item.ticket_id]
        data = {k: v for k, v in ticket.data.items() if k not in item.dropped}
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
            },
            visibility="internal",
            kind="migration",
        )
        try:
            await store.migrate_ticket(
                ticket.id,
                item.version,
                new_version.id,
                item.to_state,
                event,
                category=new.workflow.states[item.to_state].category,
                data=data,
                now=now,
            )
        except StoreError as exc:
            outcomes.append((item, str(exc)))
            continue
        outcomes.append((item, "moved"))
    return outcomes
