"""A service's draft: the definition files an administrator edits, checked as typed, then published.

A draft maps relative paths (``service_definitions/x.json``, ``form_schemas/x.json``,
``workflows/x.json`` and the action forms) to texts; it never holds the organisation file, which
comes from the running catalogue. It is stored as typed — even invalid — so nothing is lost.
Publishing validates everything (:func:`check`) and creates a new immutable definition version;
tickets keep the version they started on, new tickets take the latest.

Regular expressions, ``$ref`` expansion and templates are bounded by the loader
(:mod:`server.definitions.bounds`, :mod:`server.definitions.texts`), which this check runs: the editor,
``khidma check`` and ``khidma import`` refuse the same things.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Mapping
from typing import Any

import msgspec

from server.definitions.crossref import ORGANISATION_FILE, form_file, service_file, workflow_file
from server.definitions.errors import DefinitionError, ErrorSink
from server.definitions.loader import load_sources
from server.store.interface import Store
from server.store.records import DefinitionVersion

log = logging.getLogger(__name__)

SERVICE_ID = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
MAX_DRAFT_FILES = 40


def dumps(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def draft_files(bundle: Mapping[str, Any]) -> dict[str, str]:
    """A published bundle's files as a draft (without the organisation file)."""
    return {path: str(text) for path, text in sorted(bundle.items()) if path != ORGANISATION_FILE}


def bundle_of(files: Mapping[str, str], organisation_text: str) -> dict[str, str]:
    return dict(sorted({ORGANISATION_FILE: organisation_text, **files}.items()))


def new_service_files(
    service_id: str, department: str, roles: tuple[str, str], name: dict[str, str] | None = None
) -> dict[str, str]:
    """A small valid service: one text field and a two-state workflow (received → closed).

    ``roles`` is (the role that handles the ticket, the requester role); ``name`` the bilingual name
    (a placeholder when not given)."""
    handler, requester = roles
    service = {
        "id": service_id,
        "name": name or {"ar": "خدمة جديدة", "en": "New service"},
        "department": department,
        "published": True,
        "description": [{"ar": "وصف الخدمة", "en": "What the service is"}],
        "requirements": [],
        "steps": [{"ar": "املأ النموذج", "en": "Fill the form"}],
        "audience": {"ar": "الجميع", "en": "Everyone"},
        "channels": ["web"],
        "login_required": False,
        "eligible_roles": [requester],
        "form": service_id,
        "workflow": service_id,
    }
    form = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "x-title": {"ar": "طلب", "en": "Request"},
        "required": ["details"],
        "properties": {
            "details": {"type": "string", "maxLength": 2000, "x-title": {"ar": "التفاصيل", "en": "Details"}}
        },
    }
    workflow = {
        "id": service_id,
        "name": {"ar": "سير الطلب", "en": "Request flow"},
        "initial": {"default": "received"},
        "states": {
            "received": {
                "label": {"ar": "مستلمة", "en": "Received"},
                "category": "open",
                "assignee": {"role": handler, "department": department},
            },
            "closed": {
                "label": {"ar": "مغلقة", "en": "Closed"},
                "category": "closed",
                "assignee": {"role": handler, "department": department},
            },
        },
        "actions": {
            "close": {
                "label": {"ar": "إغلاق", "en": "Close"},
                "who": [{"role": handler}],
                "from": ["received"],
                "to": "closed",
            }
        },
    }
    return {
        service_file(service_id): dumps(service),
        form_file(service_id): dumps(form),
        workflow_file(service_id): dumps(workflow),
    }


def copied_files(files: Mapping[str, str], source_id: str, new_id: str) -> dict[str, str]:
    """A service's files under a new id: its service file renamed, with ``id`` set (form and workflow
    keep their ids: every version is a bundle of its own)."""
    out = {path: text for path, text in files.items() if path != service_file(source_id)}
    document = json.loads(files[service_file(source_id)])
    document["id"] = new_id
    out[service_file(new_id)] = dumps(document)
    return dict(sorted(out.items()))


def with_published(files: Mapping[str, str], service_id: str, published: bool) -> dict[str, str]:
    document = json.loads(files[service_file(service_id)])
    document["published"] = published
    return {**files, service_file(service_id): dumps(document)}


# --- checks ---------------------------------------------------------------------------------------


def check(service_id: str, files: Mapping[str, str], organisation_text: str) -> list[DefinitionError]:
    """Every error of a draft, each with its file and JSON pointer; empty when it can be published."""
    return check_all(service_id, files, organisation_text).errors


def check_all(service_id: str, files: Mapping[str, str], organisation_text: str) -> ErrorSink:
    """The errors of a draft (:func:`check`) and its warnings (labels missing a language), which
    refuse nothing."""
    sink = ErrorSink()
    if len(files) > MAX_DRAFT_FILES:
        sink.add("", "", f"a service has at most {MAX_DRAFT_FILES} files", "too_many_files")
        return sink
    if ORGANISATION_FILE in files:
        sink.add(
            ORGANISATION_FILE, "", "the organisation file is not part of a service's draft", "bad_file_name"
        )
        return sink
    if service_file(service_id) not in files:
        sink.add(service_file(service_id), "", "the draft has no service definition file", "missing_file")
    try:
        result = load_sources(bundle_of(files, organisation_text), sink)
    except Exception:  # a check that fails is a refusal the editor shows, never a 500 (issue 10)
        log.exception("checking the draft of %s failed", service_id)
        sink.add("", "", "the draft could not be checked; it cannot be published as it is", "check_failed")
        return sink
    if result.catalogue is not None and list(result.catalogue.services) != [service_id]:
        sink.add(
            service_file(service_id),
            "/id",
            f"the draft must define exactly one service, {service_id}",
            "wrong_service",
        )
    if result.catalogue is not None:
        service_text = json.loads(files[service_file(service_id)])
        if service_text.get("id") != service_id:
            sink.add(service_file(service_id), "/id", f"the id must be {service_id}", "wrong_service")
    return sink


class PublishRefused(Exception):
    def __init__(self, errors: list[DefinitionError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


class Published(msgspec.Struct, frozen=True):
    version: DefinitionVersion
    new: bool
    """False when the draft was the same as the latest version (nothing new was published)."""


async def publish(
    store: Store,
    service_id: str,
    files: Mapping[str, str],
    organisation_text: str,
    *,
    by: str | None,
    note: str,
    now: dt.datetime,
) -> Published:
    """Validate everything and publish a new version; raises :class:`PublishRefused` (nothing written)."""
    from server.definitions.bundle import content_hash, semantic_hash

    errors = check(service_id, files, organisation_text)
    if errors:
        raise PublishRefused(errors)
    bundle = bundle_of(files, organisation_text)
    before = await store.latest_definition(service_id)
    if before is not None and semantic_hash(before.bundle) == semantic_hash(bundle):
        # the same definitions (only line ends or spacing differ, as a browser's CRLF): nothing new
        await store.delete_draft(service_id)
        return Published(version=before, new=False)
    version = await store.publish_definition(
        service_id, bundle, content_hash(bundle), created_by=by, note=note, now=now
    )
    await store.delete_draft(service_id)
    return Published(version=version, new=before is None or before.id != version.id)
