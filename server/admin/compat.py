"""What changes for running tickets between two versions of a service: the compatibility report.

Fields are the top-level fields of the requester's form; a removed and an added field of the same
type are reported as a possible rename (the administrator decides). States are those of the
workflow; the open tickets of the old version are counted per state.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from server.definitions.catalogue import CompiledService
from server.definitions.forms import fields
from server.store.records import Ticket


@dataclass(frozen=True)
class Report:
    fields_added: list[str]
    fields_removed: list[str]
    renamed_suspects: list[tuple[str, str]]
    """(old name, new name) pairs of the same type, one removed and one added."""
    states_gone: list[str]
    open_per_state: dict[str, int]
    new_states: list[str]

    @property
    def open_total(self) -> int:
        return sum(self.open_per_state.values())


def report(old: CompiledService, new: CompiledService, open_tickets: Sequence[Ticket]) -> Report:
    old_fields = fields(old.form.schema)
    new_fields = fields(new.form.schema)
    added = sorted(set(new_fields) - set(old_fields))
    removed = sorted(set(old_fields) - set(new_fields))
    suspects = [(r, a) for r in removed for a in added if old_fields[r] is new_fields[a]]
    gone = sorted(set(old.workflow.states) - set(new.workflow.states))
    counts = Counter(ticket.state for ticket in open_tickets)
    return Report(
        fields_added=added,
        fields_removed=removed,
        renamed_suspects=suspects,
        states_gone=gone,
        open_per_state=dict(sorted(counts.items())),
        new_states=list(new.workflow.states),
    )
