"""Editing the organisation (roles, departments, channels, calendar, surveys, links, lookups).

The organisation file is part of every service's bundle, so a new organisation is checked against
every service's latest files and published as a new version of every service at once; tickets keep
the versions they started on.
"""

from __future__ import annotations

import datetime as dt

from server.definitions.bundle import content_hash
from server.definitions.crossref import ORGANISATION_FILE
from server.definitions.errors import DefinitionError
from server.definitions.loader import load_sources
from server.store.interface import Store
from server.store.records import DefinitionVersion


async def check(store: Store, text: str) -> list[DefinitionError]:
    """Every error the new organisation causes, in any service's latest files (each listed once)."""
    seen: dict[str, DefinitionError] = {}
    for version in await store.latest_definitions():
        files = {**{k: str(v) for k, v in version.bundle.items()}, ORGANISATION_FILE: text}
        for error in load_sources(files).errors:
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
