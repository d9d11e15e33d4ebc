"""The service guide: the catalogue's cards and each service's page."""

from __future__ import annotations

import msgspec

from server.api_models import ServiceDetail, ServiceSummary, service_detail, service_summary
from server.definitions.model import Text
from server.i18n import t
from server.requests.results import MISSING, Missing, Shown
from server.requests.services import actor_of, department_name, published, staff_channels
from server.requests.text import Part, linkify
from server.runtime import Runtime
from server.store.records import User


class ServiceCard(msgspec.Struct, frozen=True):
    id: str
    name: str
    department: str
    summary: str
    login_required: bool
    """The service needs a log-in and the viewer is not logged in (the card says so)."""
    staff_only: bool


class CataloguePage(msgspec.Struct, frozen=True):
    services: list[ServiceCard]


class ServicePage(msgspec.Struct, frozen=True):
    id: str
    name: str
    department: str
    description: list[list[Part]]
    requirements: list[list[Part]]
    steps: list[list[Part]]
    """Each line as parts: text and the web addresses in it (see ``text.py``)."""
    audience: str
    channels: list[str]
    phones: list[str]
    email: str
    hours: str
    login_required: bool
    can_apply: bool
    staff_only: bool


async def catalogue_page(runtime: Runtime, viewer: User | None, lang: str) -> Shown:
    cards = []
    for _version, compiled in await runtime.published():
        service = compiled.service
        if not service.published:
            continue
        cards.append(
            ServiceCard(
                id=service.id,
                name=service.name.get(lang),
                department=department_name(compiled, lang),
                summary=(service.summary or service.description[0]).get(lang),
                login_required=service.login_required and viewer is None,
                staff_only="requester" not in service.eligible_roles,
            )
        )
    return Shown(CataloguePage(services=cards))


def _lines(items: tuple[Text, ...], lang: str) -> list[list[Part]]:
    return [linkify(item.get(lang)) for item in items]


async def service_page(runtime: Runtime, service_id: str, viewer: User | None, lang: str) -> Shown | Missing:
    compiled = await published(runtime, service_id)
    if compiled is None:
        return MISSING
    service, org = compiled.service, compiled.organisation
    contact = service.contact or org.contact
    hours = contact.hours or org.contact.hours
    staff_only = "requester" not in service.eligible_roles
    page = ServicePage(
        id=service.id,
        name=service.name.get(lang),
        department=department_name(compiled, lang),
        description=_lines(service.description, lang),
        requirements=_lines(service.requirements, lang),
        steps=_lines(service.steps, lang),
        audience=service.audience.get(lang),
        channels=[org.channels[c].name.get(lang) for c in service.channels],
        phones=[p.display(t("extension", lang)) for p in (contact.phones or org.contact.phones)],
        email=contact.email or org.contact.email or "",
        hours=hours.get(lang) if hours is not None else str(runtime.tickets.calendar.describe(lang)),
        login_required=service.login_required and viewer is None,
        can_apply=not staff_only or bool(staff_channels(compiled, actor_of(viewer))),
        staff_only=staff_only,
    )
    return Shown(page)


async def api_services(runtime: Runtime) -> list[ServiceSummary]:
    """``GET /api/services``: every published service."""
    return [service_summary(version, compiled) for version, compiled in await runtime.published()]


async def api_service(runtime: Runtime, service_id: str) -> ServiceDetail | None:
    """``GET /api/services/{id}``: a published service with its form and workflow, or None."""
    found = await runtime.published_service(service_id)
    return service_detail(*found) if found is not None else None
