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

LABELS: Mapping[str, tuple[str, str]] = {
    "id": ("رمز الخدمة", "Service id"),
    "name": ("اسم الخدمة", "Service name"),
    "department": ("القسم", "Department"),
    "order": ("الترتيب في الدليل", "Order in the guide"),
    "published": ("منشورة في الدليل", "Published in the guide"),
    "summary": ("ملخص الخدمة", "Summary"),
    "description": ("وصف الخدمة", "Service description"),
    "requirements": ("المتطلبات", "Requirements"),
    "steps": ("خطوات التقديم", "Submission steps"),
    "audience": ("الفئة المستهدفة", "Target audience"),
    "channels": ("قنوات تقديم الخدمة", "Delivery channels"),
    "contact": ("التواصل", "Contact"),
    "login_required": ("يتطلب تسجيل الدخول", "Log-in required"),
    "eligible_roles": ("من يحق له تقديم الطلب", "Who may submit"),
    "form": ("النموذج", "Form"),
    "workflow": ("سير العمل", "Workflow"),
    "survey": ("استبيان تقييم الخدمة", "Service survey"),
    "reports": ("التقارير", "Reports"),
    "ar": ("بالعربية", "In Arabic"),
    "en": ("بالإنجليزية", "In English"),
    "unit": ("الجهة", "Unit"),
    "phones": ("الهاتف", "Phones"),
    "number": ("الرقم", "Number"),
    "extension": ("التحويلة", "Extension"),
    "email": ("البريد الإلكتروني", "E-mail"),
    "hours": ("ساعات العمل", "Working hours"),
}
REPORTS: Mapping[str, tuple[str, str]] = {
    "weekly_department": ("تقرير أسبوعي للقسم", "Weekly department report"),
    "semiannual_unit": ("تقرير نصف سنوي للوحدة", "Semi-annual unit report"),
    "semester_completed": ("تقرير نهاية الفصل الدراسي", "End-of-semester report"),
}
COMMON = "common.schema.json#/$defs/"


def _title(ar: str, en: str) -> dict[str, str]:
    return {"ar": ar, "en": en}


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
    """Give every property its bilingual label; bilingual texts render as fields side by side."""
    if isinstance(node, dict):
        for name, sub in (node.get("properties") or {}).items():
            if isinstance(sub, dict) and name in LABELS:
                sub.setdefault("x-title", _title(*LABELS[name]))
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


def service_form(organisation: Organisation, forms: Iterable[str], workflows: Iterable[str]) -> Form:
    """The renderable form of a service definition, with choices from the organisation and the draft."""
    documents = metaschema.documents()
    # the shared shapes refer to each other locally (#/$defs/text); make those references shared too
    common = json.loads(json.dumps(documents["common"]["$defs"]).replace('"#/$defs/', f'"{COMMON}'))
    schema: dict[str, Any] = _inline(copy.deepcopy(documents["service"]), common)
    schema.pop("$id", None)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["x-title"] = _title("تعريف الخدمة", "Service definition")
    props = schema["properties"]
    _label(schema)
    props["id"]["readOnly"] = True
    props["department"]["oneOf"] = _choices((k, d.name) for k, d in organisation.departments.items())
    props["channels"]["items"]["oneOf"] = _choices((k, c.name) for k, c in organisation.channels.items())
    props["eligible_roles"]["items"]["oneOf"] = _choices((k, r.name) for k, r in organisation.roles.items())
    props["survey"]["oneOf"] = _choices((k, s.title) for k, s in organisation.surveys.items())
    props["form"]["oneOf"] = _choices((f, f) for f in sorted(forms))
    props["workflow"]["oneOf"] = _choices((w, w) for w in sorted(workflows))
    props["reports"]["items"] = {
        "type": "string",
        "oneOf": _choices((k, Text(ar=a, en=e)) for k, (a, e) in REPORTS.items()),
    }
    for name in ("department", "survey", "form", "workflow"):
        props[name]["x-widget"] = "select"
    for name in ("description", "requirements", "steps"):
        props[name]["x-add-label"] = _title("إضافة بند", "Add an item")
        props[name]["x-remove-label"] = _title("حذف البند", "Remove the item")
    for name in ("summary", "audience"):
        for lang in ("ar", "en"):
            props[name]["properties"][lang]["x-widget"] = "textarea"
            props[name]["properties"][lang]["x-rows"] = 2
    return Form(
        id="service_definition", title=Text(ar="تعريف الخدمة", en="Service definition"), schema=schema
    )
