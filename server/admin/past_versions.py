"""Any past version of a service and the difference between two, for whoever audits (the ``export``
capability) as for the administrator: the list of versions, one version's files as an exported
bundle (``{files: {path: text}}``, what ``khidma import`` reads), and the difference between two
versions — the files' lines and every named difference of the compatibility report."""

from __future__ import annotations

from typing import Any

import msgspec

from server.admin import compat
from server.admin.history import DiffFile, DiffRow, diff_files, rows
from server.definitions.bundle import BundleInvalid
from server.runtime import Runtime
from server.store.records import DefinitionVersion


class VersionsPage(msgspec.Struct, frozen=True):
    service_id: str
    versions: list[DefinitionVersion]
    a: int
    b: int
    diff: list[DiffFile]
    rows: list[DiffRow]
    auditor: bool = False
    """The auditor's page (``/exports/…``): the downloads, not the editor's links."""


def _choose(versions: list[DefinitionVersion], a: int, b: int) -> tuple[int, int]:
    numbers = {v.version for v in versions}
    b = b if b in numbers else versions[-1].version
    a = a if a in numbers else max(1, b - 1)
    return a, b


async def named_differences(
    runtime: Runtime, old: DefinitionVersion, new: DefinitionVersion
) -> compat.Report | None:
    """The compatibility report between two versions (no tickets: what differs, not whom it concerns);
    None when a version no longer compiles under today's checks."""
    try:
        before = await runtime.tickets.compiled_version(old.id)
        after = await runtime.tickets.compiled_version(new.id)
    except BundleInvalid:
        return None
    return compat.report(before, after, [])


async def versions_page(
    runtime: Runtime, service_id: str, a: int, b: int, *, lang: str = "ar", auditor: bool = False
) -> VersionsPage | None:
    """The versions and the difference from ``a`` to ``b`` (by default the last two); None for an
    unknown service."""
    versions = await runtime.store.list_definitions(service_id)
    if not versions:
        return None
    a, b = _choose(versions, a, b)
    by_number = {v.version: v for v in versions}
    old, new = by_number[a], by_number[b]
    report = await named_differences(runtime, old, new) if a != b else None
    return VersionsPage(
        service_id,
        versions,
        a,
        b,
        diff_files(old.bundle, new.bundle),
        rows(report, lang, counted=False) if report is not None else [],
        auditor,
    )


def _summary(version: DefinitionVersion) -> dict[str, Any]:
    return {
        "version": version.version,
        "hash": version.content_hash,
        "by": version.created_by,
        "at": version.created_at.isoformat(),
        "note": version.note,
    }


async def version_list(runtime: Runtime, service_id: str) -> dict[str, Any] | None:
    versions = await runtime.store.list_definitions(service_id)
    if not versions:
        return None
    return {"service": service_id, "versions": [_summary(v) for v in versions]}


async def version_bundle(runtime: Runtime, service_id: str, number: int) -> dict[str, Any] | None:
    """One version's files, as an exported bundle ``{files: …}`` with its number and hash."""
    versions = {v.version: v for v in await runtime.store.list_definitions(service_id)}
    found = versions.get(number)
    if found is None:
        return None
    files = {str(path): str(text) for path, text in found.bundle.items()}
    return {"service": service_id, **_summary(found), "files": files}


async def version_diff(runtime: Runtime, service_id: str, a: int, b: int) -> dict[str, Any] | None:
    """The difference from version ``a`` to ``b``: the files' changed lines and the named differences."""
    versions = {v.version: v for v in await runtime.store.list_definitions(service_id)}
    old, new = versions.get(a), versions.get(b)
    if old is None or new is None:
        return None
    report = await named_differences(runtime, old, new)
    return {
        "service": service_id,
        "a": a,
        "b": b,
        "files": [
            {"path": f.path, "lines": [list(line) for line in f.lines]}
            for f in diff_files(old.bundle, new.bundle)
        ],
        "differences": [
            {"kind": d.kind, "subject": d.subject, "detail": d.detail, "breaking": d.breaking}
            for d in (report.differences if report is not None else [])
        ],
    }
