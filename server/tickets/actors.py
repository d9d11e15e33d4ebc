"""The engine's view of who acts: one function from a user (or nobody) to an ``Actor``."""

from __future__ import annotations

from server.engine.model import Actor
from server.store.records import User

ANONYMOUS = Actor(id=None, name="", roles=frozenset({"requester"}))
"""Someone not logged in, submitting a requester's form."""


def actor_of(user: User | None) -> Actor:
    """The engine's view of a user: id, name, roles and department (anonymous: a requester)."""
    if user is None:
        return ANONYMOUS
    return Actor(id=user.id, name=user.name, roles=frozenset(user.roles), department=user.department)
