"""What the auditor exports (``/api/export/…`` and ``/exports/…``): the published definitions as a
tree, each workflow as BPMN or SVG, the service guide, the tickets' audit trail and the log of
definition changes. Read-only; who may ask is the ``export`` capability (the web layer's guard)."""

from __future__ import annotations

from typing import Any

import msgspec

from server.exports import published as pub
from server.exports.audit import AuditFilter, audit_csv, audit_json, audit_rows, definition_changes
from server.exports.bpmn import workflow_bpmn
from server.exports.bundle import export_tree
from server.exports.guide import service_guide
from server.exports.svg import workflow_svg
from server.runtime import Runtime


class ExportsPage(msgspec.Struct, frozen=True):
    workflows: list[tuple[str, str]]
    """(workflow id, the name of the service that runs it)."""
    services: list[tuple[str, str]]


class Document(msgspec.Struct, frozen=True):
    """An exported file: its text and media type."""

    content: str | bytes
    media_type: str


async def exports_page(runtime: Runtime, lang: str) -> ExportsPage:
    published = await runtime.published()
    workflows = {c.workflow.id: c.service.name.get(lang) for _v, c in published}
    return ExportsPage(
        workflows=sorted(workflows.items()),
        services=[(c.service.id, c.service.name.get(lang)) for _v, c in published],
    )


async def definitions(runtime: Runtime) -> dict[str, Any]:
    """The latest published version of every service as a definitions tree."""
    tree = await export_tree(runtime.store)
    return {"files": tree.files, "conflicts": tree.conflicts}


async def workflow(runtime: Runtime, name: str, lang: str) -> Document | None:
    """``ID.bpmn`` (BPMN 2.0 XML) or ``ID.svg`` (the diagram in ``lang``); None for anything else."""
    stem, _, suffix = name.rpartition(".")
    found = pub.workflows(await runtime.published()).get(stem)
    if found is None or suffix not in ("bpmn", "svg"):
        return None
    flow, organisation = found
    if suffix == "bpmn":
        return Document(workflow_bpmn(flow, organisation), "application/xml")
    return Document(workflow_svg(flow, lang), "image/svg+xml")


async def guide(runtime: Runtime, lang: str) -> Document:
    """The service guide regenerated from the published definitions, as an HTML page."""
    services = await runtime.published()
    organisation = pub.organisation(services, runtime.org)
    return Document(service_guide([c for _v, c in services], organisation, lang), "text/html; charset=utf-8")


async def audit(runtime: Runtime, audit_filter: AuditFilter, format: str) -> Document | dict[str, Any]:
    """The audit trail, as CSV or as JSON-ready rows; the filter's days are the organisation's."""
    days_here = msgspec.structs.replace(audit_filter, timezone=runtime.org.calendar.timezone)
    rows = await audit_rows(runtime.store, days_here)
    if format == "csv":
        return Document(audit_csv(rows), "text/csv; charset=utf-8")
    return audit_json(rows)


async def changes(runtime: Runtime) -> dict[str, Any]:
    return {"changes": await definition_changes(runtime.store)}
