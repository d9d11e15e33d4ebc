"""What every requester page needs of a service: the published version, who is asking, the channels."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from server.definitions.catalogue import CompiledService
from server.definitions.model import Language
from server.engine.model import Actor
from server.runtime import Runtime
from server.store.records import User


async def published(runtime: Runtime, service_id: str) -> CompiledService | None:
    """The latest published version of the service, or None (unknown or unpublished)."""
    found = await runtime.published_service(service_id)
    if found is None or not found[1].service.published:
        return None
    return found[1]


def actor_of(user: User | None) -> Actor:
    """The engine's actor for a page's viewer (anonymous: a requester without an id)."""
    if user is None:
        return Actor(id=None, name="", roles=frozenset({"requester"}))
    return Actor(id=user.id, name=user.name, roles=frozenset(user.roles), department=user.department)


def staff_channels(compiled: CompiledService, actor: Actor) -> list[str]:
    """Channels a representative may record this service under (those requesters do not open
    themselves); empty when the actor is not one of the service's eligible staff."""
    org = compiled.organisation
    if not (set(compiled.service.eligible_roles) & (actor.roles - {"requester"})):
        return []
    return [c for c in compiled.service.channels if org.channels[c].intake != "requester"] or list(
        compiled.service.channels
    )


def requester_channel(compiled: CompiledService) -> str | None:
    """The channel a requester's own submission comes in by (None: the service takes none)."""
    org = compiled.organisation
    return next((c for c in compiled.service.channels if org.channels[c].intake == "requester"), None)


def timezone(compiled: CompiledService) -> ZoneInfo:
    return ZoneInfo(compiled.organisation.calendar.timezone)


def department_name(compiled: CompiledService, lang: str) -> str:
    dept = compiled.organisation.departments.get(compiled.service.department)
    return dept.name.get(lang) if dept else compiled.service.department


def ticket_lang(lang: str) -> Language:
    """The language a ticket records (Arabic for anything but English)."""
    return "en" if lang == "en" else "ar"
