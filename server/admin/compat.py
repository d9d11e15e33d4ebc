"""What changes for running tickets between two versions of a service: the compatibility report.

Every difference between the two versions is named (:class:`Difference`): the requester's form
(``compat_form.py``: fields added, removed, renamed, made required or optional, constraints tightened
or loosened, choices narrowed, types and patterns changed, at any depth) and the workflow
(``compat_workflow.py``: states, actions, who is assigned, who may act, conditions, notification
texts, timers, variables, the initial state). Each carries its effect on the open tickets of the old
version: how many and in which states — for a form change, the tickets whose data breaks it (checked
with the validator against the new form); for a workflow change, the tickets in the states it
concerns. A removed and an added field (state, action) of the same type are reported as a possible
rename, which the administrator confirms on the migration page.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import msgspec

from server.admin.compat_form import form_differences, rename_suspects
from server.admin.compat_workflow import state_suspects, workflow_differences
from server.admin.difference import Difference, count_states
from server.definitions.catalogue import CompiledService
from server.store.records import Ticket

__all__ = ["Difference", "Report", "report"]


class Report(msgspec.Struct, frozen=True):
    differences: list[Difference]
    open_per_state: dict[str, int]
    new_states: list[str]
    old_states: list[str]
    renamed_suspects: list[tuple[str, str]]
    """(old field, new field): one removed and one added field of the same type."""
    state_suspects: list[tuple[str, str]] = msgspec.field(default_factory=list)
    """(old state, new state): a removed and an added state of the same category."""
    new_fields: list[str] = msgspec.field(default_factory=list)

    @property
    def open_total(self) -> int:
        return sum(self.open_per_state.values())

    def of_kind(self, *kinds: str) -> list[Difference]:
        return [d for d in self.differences if d.kind in kinds]

    def _subjects(self, kind: str) -> list[str]:
        return [d.subject for d in self.differences if d.kind == kind]

    @property
    def fields_added(self) -> list[str]:
        return self._subjects("field_added")

    @property
    def fields_removed(self) -> list[str]:
        return self._subjects("field_removed")

    @property
    def states_gone(self) -> list[str]:
        return self._subjects("state_removed")

    @property
    def kinds(self) -> set[str]:
        return {d.kind for d in self.differences}


def _service_differences(
    old: CompiledService, new: CompiledService, tickets: Sequence[Ticket]
) -> list[Difference]:
    """The service definition's and the organisation's own fields that differ. A new department of the
    service moves the tickets its rules send to ``$service`` when they are moved."""
    found = []
    before, after = msgspec.to_builtins(old.service), msgspec.to_builtins(new.service)
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            concerned = count_states(tickets) if key == "department" else {}
            detail = f"{_show(before.get(key))} → {_show(after.get(key))}"
            found.append(Difference("service_changed", key, detail, states=concerned))
    before, after = msgspec.to_builtins(old.organisation), msgspec.to_builtins(new.organisation)
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            found.append(Difference("organisation_changed", key, ""))
    return found


def _show(value: object, limit: int = 200) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def report(old: CompiledService, new: CompiledService, open_tickets: Sequence[Ticket]) -> Report:
    differences = [
        *_service_differences(old, new, open_tickets),
        *form_differences(old, new, open_tickets),
        *workflow_differences(old, new, open_tickets),
    ]
    return Report(
        differences=differences,
        open_per_state=count_states(open_tickets),
        new_states=list(new.workflow.states),
        old_states=list(old.workflow.states),
        renamed_suspects=rename_suspects(old, new),
        state_suspects=state_suspects(old, new),
        new_fields=sorted(new.form.schema.get("properties") or {}),
    )
