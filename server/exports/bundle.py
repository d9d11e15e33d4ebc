"""The definitions tree as published: export the latest version of every service as the same files the
repository ships, and import such a tree (or an exported ``{files: …}`` document) as new versions.

Export → import gives the same definitions: the exported texts are the published texts, byte for byte,
and importing them again publishes nothing. A text may come back with other line ends (a version
edited in the browser has the CRLF a form post carries; a tree read from disk has LF) or other
spacing: the import compares each service's files by their content — the JSON they hold, in their
own key order (:func:`semantic_hash`) — and publishes only a service whose content changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

from server.definitions.bundle import bundle_for, content_hash, semantic_hash
from server.definitions.errors import DefinitionError, ErrorSink
from server.definitions.loader import load_sources, read_sources
from server.store.interface import Store


class TreeExport(msgspec.Struct):
    files: dict[str, str]
    """relative path → text."""
    conflicts: list[str] = msgspec.field(default_factory=list)
    """Paths whose text differs between the latest versions of two services (the newest text is kept)."""


async def export_tree(store: Store) -> TreeExport:
    """The union of the files of every service's latest published version."""
    versions = sorted(await store.latest_definitions(), key=lambda v: (v.created_at, v.id))
    files: dict[str, str] = {}
    conflicts: set[str] = set()
    for version in versions:  # oldest first: a newer version's shared file (the organisation) wins
        for path, text in version.bundle.items():
            if not isinstance(text, str):
                continue
            if path in files and files[path] != text:
                conflicts.add(path)
            files[path] = text
    return TreeExport(files=dict(sorted(files.items())), conflicts=sorted(conflicts))


def safe_relative(path: str) -> bool:
    parts = path.split("/")
    return len(parts) == 2 and all(p and p not in (".", "..") and "\\" not in p for p in parts)


def write_tree(files: Mapping[str, str], out: Path) -> list[Path]:
    """Write the files under ``out`` (UTF-8, exactly the texts given); returns the paths written."""
    written = []
    for relative, text in files.items():
        if not safe_relative(relative):
            raise ValueError(f"not a definitions file path: {relative!r}")
        target = out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode("utf-8"))
        written.append(target)
    return written


class ImportRefused(Exception):
    """The tree has errors; nothing was published."""

    def __init__(self, errors: list[DefinitionError]) -> None:
        super().__init__(f"{len(errors)} error(s) in the definitions; nothing was published")
        self.errors = errors


class Imported(msgspec.Struct, frozen=True):
    service_id: str
    version: int
    changed: bool
    """True when this import published a new version."""


def read_import(path: Path) -> tuple[dict[str, str], ErrorSink]:
    """The file texts of a tree directory, or of an exported JSON document ``{"files": {path: text}}``."""
    sink = ErrorSink()
    if path.is_dir():
        return read_sources(path, sink), sink
    try:
        document: Any = msgspec.json.decode(path.read_bytes())
    except (OSError, msgspec.DecodeError) as exc:
        sink.add(path.name, "", f"not a definitions tree nor an exported bundle: {exc}", "json_syntax")
        return {}, sink
    files = document.get("files") if isinstance(document, dict) else None
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        sink.add(path.name, "/files", "an exported bundle is an object {files: {path: text}}", "schema")
        return {}, sink
    return {str(k): v for k, v in files.items()}, sink


async def import_sources(
    store: Store,
    sources: Mapping[str, str],
    *,
    created_by: str | None,
    note: str,
    now: dt.datetime,
    sink: ErrorSink | None = None,
) -> list[Imported]:
    """Check the whole tree with the loader; if valid, publish every service whose bundle changed.

    Raises :class:`ImportRefused` listing every error — and publishes nothing — when the tree is invalid.
    """
    sink = sink if sink is not None else ErrorSink()
    result = load_sources(sources, sink)
    if result.catalogue is None or sink.errors:
        raise ImportRefused(list(sink.errors) or result.errors)
    catalogue = result.catalogue
    imported = []
    for service_id in catalogue.services:
        bundle = bundle_for(catalogue, service_id)
        before = await store.latest_definition(service_id)
        if before is not None and semantic_hash(before.bundle) == semantic_hash(bundle):
            imported.append(Imported(service_id=service_id, version=before.version, changed=False))
            continue
        version = await store.publish_definition(
            service_id, bundle, content_hash(bundle), created_by=created_by, note=note, now=now
        )
        imported.append(
            Imported(
                service_id=service_id,
                version=version.version,
                changed=before is None or before.id != version.id,
            )
        )
    return imported
