"""Who may see which tickets: one rule, used by the task lists, the ticket page and the API.

Acting is decided by the workflow (the engine's ``who`` rules); reading is decided here:

* a role whose ``scope`` is ``organisation`` (customer service, the Tawasul coordinator, the director,
  the general supervisor, the administrator, the auditor) reads every ticket;
* a role whose ``scope`` is ``department`` (heads and staff) reads the tickets currently held by the
  user's department, the tickets of the services that department owns (so a head still sees a ticket
  while customer service answers it, and every closed ticket counted under the department), and any
  ticket assigned to the user by name;
* a requester reads only their own tickets (and, without an account, a ticket whose tracking code they
  hold — that is the tracking page, not this module);
* a user whose roles are all ``read_only`` (the auditor) may read but never change anything.
"""

from __future__ import annotations

from collections.abc import Iterable

from server.definitions.model import Capability, Organisation
from server.store.records import ReadScope, Ticket, User

STAFF_SCOPES = ("organisation", "department")


def read_scope(
    user: User | None, organisation: Organisation, service_departments: dict[str, str]
) -> ReadScope:
    """The tickets ``user`` may read. ``service_departments`` maps each service id to its department."""
    if user is None or not user.active:
        return ReadScope()
    scopes = {organisation.roles[r].scope for r in user.roles if r in organisation.roles}
    if "organisation" in scopes:
        return ReadScope(everything=True)
    departments: frozenset[str] = frozenset()
    services: frozenset[str] = frozenset()
    staff_id = None
    if "department" in scopes and user.department:
        departments = frozenset({user.department})
        services = frozenset(s for s, d in service_departments.items() if d == user.department)
        staff_id = user.id
    requester = user.id if "requester" in scopes else None
    return ReadScope(departments=departments, services=services, user_id=staff_id, requester_id=requester)


def may_read(scope: ReadScope, ticket: Ticket) -> bool:
    return (
        scope.everything
        or (ticket.department is not None and ticket.department in scope.departments)
        or ticket.service_id in scope.services
        or (scope.user_id is not None and ticket.assignee_user == scope.user_id)
        or (scope.requester_id is not None and ticket.requester_id == scope.requester_id)
    )


def is_staff(user: User | None, organisation: Organisation) -> bool:
    """Whether the user works in the staff pages (any organisation or department role)."""
    return user is not None and any(
        organisation.roles[r].scope in STAFF_SCOPES for r in user.roles if r in organisation.roles
    )


def read_only(roles: Iterable[str], organisation: Organisation) -> bool:
    """True when every role is read-only (the auditor): no unsafe request is allowed."""
    known = [organisation.roles[r] for r in roles if r in organisation.roles]
    return bool(known) and all(role.read_only for role in known)


def has_capability(user: User | None, organisation: Organisation, capability: Capability) -> bool:
    """Whether one of the user's roles has ``capability`` (``administer``, ``export``, ``intake``): the
    organisation says which roles do, so no role id is written in the code."""
    return (
        user is not None
        and user.active
        and any(
            capability in organisation.roles[r].capabilities for r in user.roles if r in organisation.roles
        )
    )


def roles_with(organisation: Organisation, capability: Capability) -> frozenset[str]:
    """The ids of the roles that have ``capability``."""
    return frozenset(r for r, role in organisation.roles.items() if capability in role.capabilities)


def intake_departments(organisation: Organisation) -> frozenset[str]:
    """The units that receive requests first (``intake: true``): the ``incoming`` list is their queue."""
    return frozenset(d for d, dept in organisation.departments.items() if dept.intake)
