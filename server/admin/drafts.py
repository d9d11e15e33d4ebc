"""A service's draft: the definition files an administrator edits, checked as typed, then published.

A draft maps relative paths (``service_definitions/x.json``, ``form_schemas/x.json``,
``workflows/x.json`` and the action forms) to texts; it never holds the organisation file, which
comes from the running catalogue. It is stored as typed — even invalid — so nothing is lost.
Publishing validates everything (:func:`check`) and creates a new immutable definition version;
tickets keep the version they started on, new tickets take the latest.

Regular expressions: form patterns are run by Rust's regex engine in linear time
(``server.validation``), so a catastrophic pattern cannot hang a submission; the editor still refuses
a pattern with a nested quantifier (``^(a+)+$``), as it would backtrack in the browser and in any
other tool that reads the exported schema.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from server.definitions.bounds import MAX_PATTERN_LENGTH
from server.definitions.crossref import ORGANISATION_FILE, form_file, service_file, workflow_file
from server.definitions.errors import DefinitionError, ErrorSink, pointer
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


def new_service_files(service_id: str, department: str, roles: tuple[str, str]) -> dict[str, str]:
    """A small valid service: one text field and a two-state workflow (received → closed).

    ``roles`` is (the role that handles the ticket, the requester role)."""
    handler, requester = roles
    service = {
        "id": service_id,
        "name": {"ar": "خدمة جديدة", "en": "New service"},
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

_TOKEN = re.compile(r"\\.|\[(?:\\.|[^\]\\])*\]|[^()|\\]")
_UNBOUNDED = re.compile(r"[+*]|\{\d+,\}")
# Each alternative starts with a different character (\, [, or neither), so these expressions are
# unambiguous and run in linear time on any pattern text (the loader caps that text's length).
_GROUP = re.compile(r"\((?:\?:)?((?:\\.|\[(?:\\.|[^\]\\])*\]|[^()\\\[])+)\)(?:[+*]|\{\d+,\d*\})")
_QUANTIFIED = re.compile(r"(\\.|\[(?:\\.|[^\]\\])*\]|[^()|\\+*?{}\[])([+*]|\{\d+,\d*\})\??")


def nested_quantifier(pattern: str) -> bool:
    """Whether a regular expression repeats a group made only of repetitions of one same atom
    (``(a+)+``, ``(\\w*)*``, ``([a-z]+[a-z]*){2,}``) — the shape that backtracks exponentially.

    A heuristic: a repeated group whose repetitions are told apart by something else (a separator,
    ``(\\s+\\w+)+``) is accepted."""
    for group in _GROUP.finditer(pattern):
        body = group.group(1)
        parts = _QUANTIFIED.findall(body)
        if (
            parts
            and "".join(atom + q for atom, q in parts) == body.replace("?", "")
            and len({atom for atom, _q in parts}) == 1
        ):
            return True
        if "|" in body:
            alternatives = body.split("|")
            if len(set(alternatives)) < len(alternatives):
                return True
    return False


def _patterns(node: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                yield pointer(*path, key), value
            elif key == "patternProperties" and isinstance(value, dict):
                for name in value:
                    yield pointer(*path, key, name), name
            yield from _patterns(value, (*path, key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _patterns(item, (*path, index))


def pattern_problems(files: Mapping[str, str], sink: ErrorSink) -> None:
    for path, text in files.items():
        if not path.startswith("form_schemas/"):
            continue
        try:
            document = json.loads(text)
        except (ValueError, RecursionError):
            continue  # the loader reports it
        for ptr, pattern in _patterns(document):
            if len(pattern) <= MAX_PATTERN_LENGTH and nested_quantifier(
                pattern
            ):  # longer: the loader refuses
                sink.add(
                    path,
                    ptr,
                    "this pattern repeats a group that itself repeats (like (a+)+): it can take "
                    "exponential time on some values; write it without the nested repetition",
                    "unsafe_pattern",
                )


def check(service_id: str, files: Mapping[str, str], organisation_text: str) -> list[DefinitionError]:
    """Every error of a draft, each with its file and JSON pointer; empty when it can be published."""
    sink = ErrorSink()
    if len(files) > MAX_DRAFT_FILES:
        sink.add("", "", f"a service has at most {MAX_DRAFT_FILES} files", "too_many_files")
        return sink.errors
    if ORGANISATION_FILE in files:
        sink.add(
            ORGANISATION_FILE, "", "the organisation file is not part of a service's draft", "bad_file_name"
        )
        return sink.errors
    if service_file(service_id) not in files:
        sink.add(service_file(service_id), "", "the draft has no service definition file", "missing_file")
    pattern_problems(files, sink)
    try:
        result = load_sources(bundle_of(files, organisation_text), sink)
    except Exception:  # a check that fails is a refusal the editor shows, never a 500 (issue 10)
        log.exception("checking the draft of %s failed", service_id)
        sink.add("", "", "the draft could not be checked; it cannot be published as it is", "check_failed")
        return sink.errors
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
    return sink.errors


class PublishRefused(Exception):
    def __init__(self, errors: list[DefinitionError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class Published:
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
    from server.definitions.bundle import content_hash

    errors = check(service_id, files, organisation_text)
    if errors:
        raise PublishRefused(errors)
    bundle = bundle_of(files, organisation_text)
    before = await store.latest_definition(service_id)
    version = await store.publish_definition(
        service_id, bundle, content_hash(bundle), created_by=by, note=note, now=now
    )
    await store.delete_draft(service_id)
    return Published(version=version, new=before is None or before.id != version.id)
