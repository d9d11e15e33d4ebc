"""The service definition as a form our own renderer draws — from the service meta-schema itself.

The meta-schema (``server/definitions/metaschemas/service.schema.json``) is turned into a renderable form
schema: references to the shared shapes are inlined, every property gets its bilingual label (the
administration's own words), and the names that refer to the organisation (department, channels, roles,
survey) or to the draft's files (form, workflow) become choices. Validating the posted form against this
schema is validating against the meta-schema, so an administrator who edits a service through the form
cannot produce a file the loader refuses for its shape (cross-references are still checked by the loader).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from typing import Any

from server.definitions import metaschema
from server.definitions.model import Form, Organisation, Text
from server.i18n import MESSAGES

LABELLED = (
    "id",
    "name",
    "department",
    "order",
    "published",
    "summary",
    "description",
    "requirements",
    "steps",
    "audience",
    "channels",
    "contact",
    "login_required",
    "eligible_roles",
    "form",
    "workflow",
    "survey",
    "reports",
    "ar",
    "en",
    "unit",
    "phones",
    "number",
    "extension",
    "email",
    "hours",
)
"""The properties labelled from the catalogue (``admin_field_<name>`` in ``server/i18n/admin.py``)."""
REPORTS = ("weekly_department", "semiannual_unit", "semester_completed")
"""The reports a service may feed (``admin_report_<id>``)."""
HINTS = {
    "id": "admin_hint_id",
    "name": "admin_hint_text",
    "summary": "admin_hint_text",
    "audience": "admin_hint_text",
    "department": "admin_hint_department",
    "form": "admin_hint_form",
    "workflow": "admin_hint_workflow",
    "survey": "admin_hint_survey",
}
"""The hint under a property, from the catalogue in both languages (the meta-schema's own
``description`` texts are English notes for developers and are never shown)."""
COMMON = "common.schema.json#/$defs/"


def _title(ar: str, en: str) -> dict[str, str]:
    return {"ar": ar, "en": en}


def _words(key: str) -> dict[str, str]:
    """A catalogue text as a schema's bilingual ``x-…`` value."""
    text = MESSAGES[key]
    return _title(text.ar, text.en)


def _inline(node: Any, common: Mapping[str, Any]) -> Any:
    """Replace references to the shared shapes by copies of them, recursively."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(COMMON):
            merged = copy.deepcopy(common[ref.removeprefix(COMMON)])
            merged.update({k: v for k, v in node.items() if k != "$ref"})
            return _inline(merged, common)
        return {k: _inline(v, common) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v, common) for v in node]
    return node


def _label(node: Any) -> None:
    """Give every property its bilingual label, drop the meta-schema's English ``description`` notes;
    bilingual texts render as fields side by side."""
    if isinstance(node, dict):
        if isinstance(node.get("description"), str):  # a note, not the property named "description"
            del node["description"]
        for name, sub in (node.get("properties") or {}).items():
            if isinstance(sub, dict) and name in LABELLED:
                sub.setdefault("x-title", _words(f"admin_field_{name}"))
        for value in node.values():
            _label(value)
    elif isinstance(node, list):
        for value in node:
            _label(value)


def _choices(options: Iterable[tuple[str, Text | str]]) -> list[dict[str, Any]]:
    return [
        {
            "const": value,
            "x-title": _title(label, label) if isinstance(label, str) else _title(label.ar, label.en),
        }
        for value, label in options
    ]


def _offer(node: dict[str, Any], options: Iterable[tuple[str, Text | str]]) -> None:
    """Make ``node`` a choice among ``options``; with none, nothing is accepted (``oneOf`` must not be
    empty: jsonschema-rs would refuse the whole schema)."""
    choices = _choices(options)
    if choices:
        node["oneOf"] = choices
    else:
        node["enum"] = []


def service_form(organisation: Organisation, forms: Iterable[str], workflows: Iterable[str]) -> Form:
    """The renderable form of a service definition, with choices from the organisation and the draft."""
    documents = metaschema.documents()
    # the shared shapes refer to each other locally (#/$defs/text); make those references shared too
    common = json.loads(json.dumps(documents["common"]["$defs"]).replace('"#/$defs/', f'"{COMMON}'))
    schema: dict[str, Any] = _inline(copy.deepcopy(documents["service"]), common)
    schema.pop("$id", None)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["x-title"] = _words("admin_form_title")
    props = schema["properties"]
    _label(schema)
    props["id"]["readOnly"] = True
    _offer(props["department"], ((k, d.name) for k, d in organisation.departments.items()))
    _offer(props["channels"]["items"], ((k, c.name) for k, c in organisation.channels.items()))
    _offer(props["eligible_roles"]["items"], ((k, r.name) for k, r in organisation.roles.items()))
    _offer(props["survey"], ((k, s.title) for k, s in organisation.surveys.items()))
    _offer(props["form"], ((f, f) for f in sorted(forms)))
    _offer(props["workflow"], ((w, w) for w in sorted(workflows)))
    props["reports"]["items"] = {
        "type": "string",
        "oneOf": _choices((k, MESSAGES[f"admin_report_{k}"]) for k in REPORTS),
    }
    for name in ("department", "survey", "form", "workflow"):
        props[name]["x-widget"] = "select"
    for name in ("description", "requirements", "steps"):
        props[name]["x-add-label"] = _words("admin_add_item")
        props[name]["x-remove-label"] = _words("admin_remove_item")
    for name, key in HINTS.items():
        props[name]["x-help"] = _words(key)
    for name in ("summary", "audience"):
        for lang in ("ar", "en"):
            props[name]["properties"][lang]["x-widget"] = "textarea"
            props[name]["properties"][lang]["x-rows"] = 2
    return Form(id="service_definition", title=MESSAGES["admin_form_title"], schema=schema)
