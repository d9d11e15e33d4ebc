"""One difference between two versions of a service, with the open tickets it concerns."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import msgspec

from server.store.records import Ticket


class Difference(msgspec.Struct, frozen=True):
    kind: str
    """A stable code (``field_added``, ``constraint_tightened``, ``state_assignee``…); its words are
    ``change_kind_<kind>`` in ``server/i18n/changes.py``."""
    subject: str
    """What changed: a field path (``requested_items/item``), a state, action, notification or timer id."""
    detail: str = ""
    """The change itself in the definition language's terms (``maxLength: 200 → 50``)."""
    breaking: bool = False
    """Whether an open ticket can end up invalid or stuck without the administrator's choice."""
    states: dict[str, int] = msgspec.field(default_factory=dict)
    """The old version's states whose open tickets it concerns, with how many in each."""

    @property
    def affected(self) -> int:
        return sum(self.states.values())


def count_states(tickets: Iterable[Ticket]) -> dict[str, int]:
    """How many of ``tickets`` are in each state."""
    return dict(sorted(Counter(ticket.state for ticket in tickets).items()))


def in_states(tickets: Iterable[Ticket], states: Iterable[str]) -> dict[str, int]:
    """How many of ``tickets`` are in each of ``states`` (states without one left out)."""
    wanted = set(states)
    return count_states(t for t in tickets if t.state in wanted)
