"""A service's definition bundle: the exact files it runs on, as published and stored.

A bundle maps relative paths (``workflows/supplies.json``) to file texts: the organisation, the
service definition, its form, its workflow and the action forms the workflow names. It is what a
published version stores, what exports write out, and what the loader compiles back — so a
ticket keeps running on the very files it started on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import msgspec

from server.definitions.catalogue import Catalogue, CompiledService
from server.definitions.crossref import ORGANISATION_FILE, form_file, service_file, workflow_file
from server.definitions.errors import DefinitionError
from server.definitions.loader import load_sources


class BundleInvalid(Exception):
    def __init__(self, errors: list[DefinitionError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


def bundle_for(catalogue: Catalogue, service_id: str) -> dict[str, str]:
    """The files one service runs on, taken from the texts the catalogue was loaded from."""
    compiled = catalogue.services[service_id]
    paths = {
        ORGANISATION_FILE,
        service_file(service_id),
        form_file(compiled.service.form),
        workflow_file(compiled.workflow.id),
    }
    for action in compiled.workflow.actions.values():
        if isinstance(action.form, str):
            paths.add(form_file(action.form))
    return {path: catalogue.sources[path] for path in sorted(paths)}


def content_hash(bundle: Mapping[str, str]) -> str:
    """A stable hash of a bundle's files (sorted by path)."""
    canonical = msgspec.json.encode(sorted(bundle.items()))
    return hashlib.sha256(canonical).hexdigest()


def _content(text: str) -> str:
    """A file's JSON re-encoded (key order kept, spacing dropped); its text with LF line ends if it
    does not parse."""
    try:
        return msgspec.json.encode(msgspec.json.decode(text)).decode("utf-8")
    except msgspec.DecodeError:
        return text.replace("\r\n", "\n")


def semantic_hash(bundle: Mapping[str, Any]) -> str:
    """The content hash of a bundle, blind to line ends and spacing: two bundles with the same hash
    run the same definitions."""
    return content_hash({path: _content(str(text)) for path, text in bundle.items()})


def compile_bundle(bundle: Mapping[str, str]) -> CompiledService:
    """Load a bundle back into the one service it holds; raises :class:`BundleInvalid`."""
    result = load_sources(bundle)
    if result.catalogue is None or len(result.catalogue.services) != 1:
        raise BundleInvalid(result.errors)
    return next(iter(result.catalogue.services.values()))
