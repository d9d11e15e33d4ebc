"""Editing the organisation (roles, departments, channels, calendar, surveys, links, lookups).

The organisation file is part of every service's bundle, so a new organisation is checked against
every service's latest files and published as a new version of every service at once; tickets keep
the versions they started on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import msgspec

from server.definitions.bundle import content_hash
from server.definitions.crossref import ORGANISATION_FILE
from server.definitions.errors import DefinitionError
from server.definitions.loader import load_sources
from server.directory.outcome import Outcome, again, refused
from server.i18n import t
from server.runtime import Runtime
from server.store.interface import Store
from server.store.records import DefinitionVersion, User


async def check(store: Store, text: str) -> list[DefinitionError]:
    """Every error the new organisation causes, in any service's latest files (each listed once)."""
    seen: dict[str, DefinitionError] = {}
    merged: dict[str, str] = {}
    for version in await store.latest_definitions():
        files = {**{k: str(v) for k, v in version.bundle.items()}, ORGANISATION_FILE: text}
        merged.update(files)
        for error in load_sources(files).errors:
            seen.setdefault(str(error), error)
    if merged:  # the whole tree: the reports' names (services, states, fields…) against every service
        for error in load_sources(merged, whole=True).errors:
            seen.setdefault(str(error), error)
    return list(seen.values())


async def publish(
    store: Store, text: str, *, by: str | None, note: str, now: dt.datetime
) -> list[DefinitionVersion]:
    """A new version of every service, with the new organisation file (after :func:`check` found nothing)."""
    published = []
    for version in await store.latest_definitions():
        files = {**{k: str(v) for k, v in version.bundle.items()}, ORGANISATION_FILE: text}
        published.append(
            await store.publish_definition(
                version.service_id, files, content_hash(files), created_by=by, note=note, now=now
            )
        )
    return published


# --- the page ---------------------------------------------------------------------------------------

MAX_NOTE = 500


class OrganisationPage(msgspec.Struct, frozen=True):
    text: str
    errors: list[DefinitionError]
    note: str = ""
    notice: str = ""


def organisation_page(runtime: Runtime, lang: str, *, published: bool = False) -> OrganisationPage:
    """The organisation file the runtime runs on; ``published``: say it was just published."""
    text = runtime.organisation_text or runtime.catalogue.sources[ORGANISATION_FILE]
    return OrganisationPage(
        text=text, errors=[], notice=t("admin_organisation_published", lang) if published else ""
    )


async def submit(runtime: Runtime, values: Mapping[str, list[str]], by: User) -> Outcome[OrganisationPage]:
    """``action=check``: the page again, with the errors if any; ``action=publish`` with no error: a new version of every service, and the runtime
    follows it (``done="published"``)."""
    first = {k: v[0] for k, v in values.items() if v}
    text = first.get("text", "").replace("\r\n", "\n")
    note = first.get("note", "")[:MAX_NOTE]
    errors = await check(runtime.store, text)
    if errors or first.get("action") != "publish":
        page = OrganisationPage(text=text, errors=errors, note=note)
        return refused(page) if errors else again(page)
    await publish(runtime.store, text, by=by.id, note=note or "organisation", now=dt.datetime.now(dt.UTC))
    await runtime.refresh()
    return Outcome(done="published")
