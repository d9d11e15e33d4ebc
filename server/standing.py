"""Where a user stands in the running organisation, and what the page chrome says of it: the questions
the web layer's guards, read-only rule and page chrome ask (``server/web/guards.py``, ``auth.py``,
``rendering.py``), answered here from the current organisation so that the web layer never reads the
runtime's organisation, calendar or catalogue itself. The rules are ``server.access``'s."""

from __future__ import annotations

import msgspec

from server.access import has_capability, is_staff, read_only
from server.channels.replies import log_link_shown
from server.definitions.model import Capability, Language
from server.runtime import Runtime
from server.store.records import User


def staff(runtime: Runtime, user: User | None) -> bool:
    return is_staff(user, runtime.org)


def capable(runtime: Runtime, user: User | None, capability: Capability) -> bool:
    return has_capability(user, runtime.org, capability)


def reads_only(runtime: Runtime, user: User) -> bool:
    """Whether every role of ``user`` is read-only (the auditor): unsafe requests are refused."""
    return read_only(user.roles, runtime.org)


def default_language(runtime: Runtime) -> Language:
    return runtime.org.default_language


class Standing(msgspec.Struct, frozen=True):
    """What the page chrome shows for one viewer (None: anonymous)."""

    is_staff: bool
    is_admin: bool
    is_auditor: bool
    is_requester: bool
    sees_replies: bool
    """Whether to link the customer-service replies log (``server.channels.replies``)."""


def standing(runtime: Runtime, user: User | None) -> Standing:
    org = runtime.org
    return Standing(
        is_staff=is_staff(user, org),
        is_admin=has_capability(user, org, "administer"),
        is_auditor=has_capability(user, org, "export"),
        is_requester=user is not None
        and any(org.roles[r].scope == "requester" for r in user.roles if r in org.roles),
        sees_replies=log_link_shown(user, org, (c.service for c in runtime.catalogue.services.values())),
    )


class Contact(msgspec.Struct, frozen=True):
    """The organisation's contact line in the page footer, in one language."""

    org_name: str
    org_parent: str
    phone: str
    email: str
    hours: str


def contact(runtime: Runtime, lang: str, extension_word: str) -> Contact:
    """The footer's contact line; the opening hours are the organisation's text, or else the working
    calendar described. ``extension_word`` is how the page's language says "extension"."""
    org = runtime.org
    return Contact(
        org_name=org.name.get(lang),
        org_parent=org.parent.get(lang) if org.parent else "",
        phone=org.contact.phones[0].display(extension_word),
        email=org.contact.email or "",
        hours=org.contact.hours.get(lang) if org.contact.hours else runtime.tickets.calendar.describe(lang),
    )
