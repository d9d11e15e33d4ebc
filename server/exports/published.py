"""The latest published version of every service, compiled — for exports run without a server."""

from __future__ import annotations

from collections.abc import Sequence

from server.definitions.bundle import compile_bundle
from server.definitions.catalogue import CompiledService
from server.definitions.model import Organisation, Workflow
from server.store.interface import Store
from server.store.records import DefinitionVersion

Published = Sequence[tuple[DefinitionVersion, CompiledService]]


async def published(store: Store) -> list[tuple[DefinitionVersion, CompiledService]]:
    found = [(v, compile_bundle(v.bundle)) for v in await store.latest_definitions()]
    found.sort(key=lambda pair: (pair[1].service.order, pair[1].service.id))
    return found


def workflows(services: Published) -> dict[str, tuple[Workflow, Organisation]]:
    """workflow id → the workflow and the organisation it was published with (the newest service's)."""
    found: dict[str, tuple[Workflow, Organisation]] = {}
    for _version, compiled in sorted(services, key=lambda pair: (pair[0].created_at, pair[0].id)):
        found[compiled.workflow.id] = (compiled.workflow, compiled.organisation)
    return dict(sorted(found.items()))


def organisation(services: Published, default: Organisation) -> Organisation:
    """The organisation of the most recently published version."""
    if not services:
        return default
    return max(services, key=lambda pair: (pair[0].created_at, pair[0].id))[1].organisation
