"""A minimal valid definitions tree, as Python data, for tests that break it on purpose."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

SCHEMA = "https://json-schema.org/draft/2020-12/schema"


def t(ar: str, en: str) -> dict[str, str]:
    return {"ar": ar, "en": en}


ORGANISATION: dict[str, Any] = {
    "name": t("إدارة", "Administration"),
    "default_language": "ar",
    "roles": {
        "requester": {"name": t("مستفيد", "Requester"), "scope": "requester"},
        "customer_service": {"name": t("خدمة العملاء", "Customer service")},
        "department_head": {"name": t("رئيس القسم", "Head"), "scope": "department"},
        "director": {"name": t("المدير", "Director")},
    },
    "departments": {
        "customer_service": {"name": t("خدمة العملاء", "Customer service"), "head_role": "department_head"},
        "classrooms": {"name": t("الفصول", "Classrooms"), "head_role": "department_head"},
    },
    "channels": {"web": {"name": t("الموقع", "Website"), "kind": "web"}},
    "calendar": {"timezone": "Asia/Riyadh", "week": {"sunday": [{"start": "07:30", "end": "14:30"}]}},
    "contact": {"phones": [{"number": "+966125583888"}], "email": "a@example.org"},
    "surveys": {"rating": {"title": t("تقييم", "Rating"), "questions": [{"id": "q", "label": t("س", "Q")}]}},
    "links": {"eservices": {"url": "https://example.org/", "label": t("رابط", "Link")}},
    "lookups": {
        "custody": {
            "name": t("العهدة", "Custody"),
            "key": "employee_id",
            "columns": {
                "employee_id": {"type": "string", "label": t("الرقم", "Number")},
                "quantity": {"type": "integer", "label": t("الكمية", "Quantity")},
            },
        }
    },
}

SERVICE: dict[str, Any] = {
    "id": "request",
    "name": t("طلب", "Request"),
    "department": "classrooms",
    "description": [t("وصف", "Description")],
    "requirements": [],
    "steps": [t("املأ النموذج", "Fill the form")],
    "audience": t("الجميع", "Everyone"),
    "channels": ["web"],
    "login_required": False,
    "eligible_roles": ["requester"],
    "form": "request",
    "workflow": "request",
    "survey": "rating",
}

FORM: dict[str, Any] = {
    "$schema": SCHEMA,
    "type": "object",
    "x-title": t("طلب", "Request"),
    "required": ["employee_id"],
    "properties": {
        "employee_id": {"type": "string", "x-title": t("الرقم الوظيفي", "Employee number")},
        "kind": {
            "type": "string",
            "x-title": t("النوع", "Kind"),
            "oneOf": [{"const": "a", "x-title": t("أ", "A")}, {"const": "b", "x-title": t("ب", "B")}],
        },
    },
}

REPLY_FORM: dict[str, Any] = {
    "$schema": SCHEMA,
    "type": "object",
    "x-title": t("رد", "Reply"),
    "required": ["reply", "outcome"],
    "properties": {
        "reply": {"type": "string", "x-title": t("الرد", "Reply")},
        "outcome": {"type": "string", "enum": ["done", "unavailable"], "x-title": t("النتيجة", "Outcome")},
    },
}

WORKFLOW: dict[str, Any] = {
    "id": "request",
    "name": t("سير الطلب", "Request flow"),
    "initial": {"default": "received"},
    "variables": {"outcome": {"type": "string", "label": t("النتيجة", "Outcome")}},
    "states": {
        "received": {
            "label": t("مستلمة", "Received"),
            "category": "open",
            "assignee": {"role": "customer_service", "department": "customer_service"},
            "on_enter": [{"notify": "received", "to": "requester"}],
        },
        "with_department": {
            "label": t("لدى القسم", "With the department"),
            "category": "in_progress",
            "assignee": {"head_of": "$service"},
        },
        "closed": {"label": t("مغلقة", "Closed"), "category": "closed", "assignee": {"head_of": "$service"}},
    },
    "actions": {
        "route": {
            "label": t("تحويل", "Route"),
            "who": [{"role": "customer_service"}],
            "from": ["received"],
            "to": "with_department",
        },
        "answer": {
            "label": t("رد وإغلاق", "Answer and close"),
            "who": [{"role": "department_head", "department": "$ticket"}],
            "from": ["with_department"],
            "to": "closed",
            "form": "reply",
            "guards": ["no_custody"],
            "visibility": "public",
            "effects": [
                {"record": {"outcome": "action.outcome"}},
                {"notify": "closed", "to": "requester", "survey": True},
            ],
        },
        "reopen": {
            "label": t("إعادة فتح", "Reopen"),
            "who": [{"role": "customer_service"}],
            "from": ["closed"],
            "to": "with_department",
            "reopens": True,
            "guards": ["was_unavailable"],
        },
    },
    "guards": {
        "no_custody": {
            "expr": 'lookup_sum("custody", data.employee_id, "quantity") == 0',
            "message": t("لديه عهدة", "Custody outstanding"),
        },
        "was_unavailable": {"expr": 'vars.outcome == "unavailable"', "message": t("لا", "No")},
    },
    "notifications": {
        "received": {"body": t("استلمنا {{ ticket.number }}", "Received {{ ticket.number }}")},
        "closed": {
            "subject": t("أغلقت {{ ticket.number }}", "Closed {{ ticket.number }}"),
            "body": t("{{ action.reply }} {{ survey_url }}", "{{ action.reply }} {{ survey_url }}"),
        },
    },
    "timers": {"reminder": {"state": "with_department", "after_working_hours": 7}},
}


def minimal_files() -> dict[str, Any]:
    """relative path → document, a fresh deep copy each call."""
    return copy.deepcopy(
        {
            "service_definitions/organisation.json": ORGANISATION,
            "service_definitions/request.json": SERVICE,
            "form_schemas/request.json": FORM,
            "form_schemas/reply.json": REPLY_FORM,
            "workflows/request.json": WORKFLOW,
        }
    )


def write_tree(root: Path, files: dict[str, Any]) -> Path:
    for directory in ("service_definitions", "form_schemas", "workflows"):
        (root / directory).mkdir(parents=True, exist_ok=True)
    for relative, document in files.items():
        path = root / relative
        text = document if isinstance(document, str) else json.dumps(document, ensure_ascii=False, indent=1)
        path.write_text(text, encoding="utf-8")
    return root


# --- plain JSON Schema forms (issue 13): one service per form, on a two-state workflow -------------

PLAIN_WORKFLOW: dict[str, Any] = {
    "id": "plain",
    "name": t("مسار", "Flow"),
    "initial": {"default": "received"},
    "states": {
        "received": {
            "label": t("مستلمة", "Received"),
            "category": "open",
            "assignee": {"role": "customer_service", "department": "customer_service"},
        },
        "closed": {
            "label": t("مغلقة", "Closed"),
            "category": "closed",
            "assignee": {"role": "customer_service", "department": "customer_service"},
        },
    },
    "actions": {
        "close": {
            "label": t("إغلاق", "Close"),
            "who": [{"role": "customer_service"}],
            "from": ["received"],
            "to": "closed",
        }
    },
}


def plain_service(service_id: str, form_id: str) -> dict[str, Any]:
    """A service that anyone may submit on the web, with the form ``form_id`` and :data:`PLAIN_WORKFLOW`."""
    return {
        "id": service_id,
        "name": t(f"خدمة {service_id}", f"Service {service_id}"),
        "department": "customer_service",
        "description": [t("وصف", "Description")],
        "requirements": [],
        "steps": [t("املأ", "Fill")],
        "audience": t("الجميع", "Everyone"),
        "channels": ["web"],
        "login_required": False,
        "eligible_roles": ["requester"],
        "form": form_id,
        "workflow": "plain",
    }


def plain_tree(root: Path, forms: dict[str, Any]) -> Path:
    """A tree under ``root``: the minimal organisation, one :func:`plain_service` per form (by id)."""
    files: dict[str, Any] = {
        "service_definitions/organisation.json": ORGANISATION,
        "workflows/plain.json": PLAIN_WORKFLOW,
    }
    for form_id, form in forms.items():
        files[f"service_definitions/{form_id}.json"] = plain_service(form_id, form_id)
        files[f"form_schemas/{form_id}.json"] = form
    return write_tree(root, files)
