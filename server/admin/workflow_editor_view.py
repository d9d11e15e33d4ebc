"""The workflow builder's editor as the page shows it: a state's, an action's or a timer's values (or
what was typed, when refused), its notifications with a blank row to fill, and each error beside its
input in the page's language."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from server.admin import builder_draft, workflow_builder
from server.admin.workflow_builder import assignee_kind, notifications_of
from server.admin.workflow_edits import NOTICE, NotifyEdit
from server.i18n import t

NOTICE_KEYS = tuple(
    f"{NOTICE}{k}" for k in ("template", "to", "channel", "subject_ar", "subject_en", "body_ar", "body_en")
)
BLANK_NOTICE = NotifyEdit("", "requester", "", "", "", "", "")


def section(doc: Mapping[str, Any], key: str) -> dict[str, Any]:
    found = doc.get(key)
    return {k: v for k, v in found.items() if isinstance(v, Mapping)} if isinstance(found, Mapping) else {}


class WorkflowEditor(msgspec.Struct, frozen=True):
    kind: str
    original: str
    values: dict[str, str]
    sources: list[str]
    who: list[str]
    notices: list[NotifyEdit]
    errors: dict[str, str]
    heading: str


def editor(
    doc: Mapping[str, Any],
    kind: str,
    original: str,
    posted: Mapping[str, Sequence[str]] | None,
    errors: Mapping[str, str],
    lang: str,
) -> WorkflowEditor:
    node = section(doc, f"{kind}s").get(original, {})
    values: dict[str, str] = {"id": original, "title_ar": "", "title_en": ""}
    label = node.get("label") if isinstance(node.get("label"), Mapping) else {}
    values.update(title_ar=str(label.get("ar", "")), title_en=str(label.get("en", "")))
    sources: list[str] = []
    who: list[str] = []
    notices: list[NotifyEdit] = []
    if kind == "state":
        rule = node.get("assignee") if isinstance(node.get("assignee"), Mapping) else {}
        user = str(rule.get("user", ""))
        values.update(
            category=str(node.get("category", "open")),
            assignee=assignee_kind(rule) if node else "head",
            role=str(rule.get("role", "")),
            department=str(rule.get("head_of") or rule.get("department") or "$service"),
            chosen_field=user.removeprefix("action."),
            initial="on" if original and (doc.get("initial") or {}).get("default") == original else "",
        )
    elif kind == "action":
        guard = section(doc, "guards").get(workflow_builder.guard_id(original), {})
        message = guard.get("message") if isinstance(guard.get("message"), Mapping) else {}
        rules = [r for r in node.get("who") or [] if isinstance(r, Mapping)]
        values.update(
            to=str(node.get("to", "")),
            form=str(node.get("form", "")) if isinstance(node.get("form"), str) else "",
            visibility=str(node.get("visibility", "internal")),
            condition=str(guard.get("expr", "")),
            message_ar=str(message.get("ar", "")),
            message_en=str(message.get("en", "")),
            own_department="on" if any(r.get("department") == "$ticket" for r in rules) else "",
            cond_subject="",
            cond_op="==",
            cond_value="",
        )
        sources = [str(s) for s in node.get("from") or []]
        who = [str(r.get("role")) for r in rules]
        notices = notifications_of(doc, node.get("effects"))
    else:
        values.update(state=str(node.get("state", "")), hours=str(node.get("after_working_hours", "")))
        notices = notifications_of(doc, node.get("effects"))
    if posted is not None:
        values.update({k: (v[0] if v else "") for k, v in posted.items() if k in values})
        for box in ("initial", "own_department"):
            if box in values:
                values[box] = "on" if posted.get(box) else ""
        sources, who = list(posted.get("from") or []), list(posted.get("who") or [])
        rows = zip(
            *(list(posted.get(k) or []) for k in NOTICE_KEYS),
            strict=False,
        )
        notices = [NotifyEdit(*row) for row in rows if any(row[3:])]
    if kind != "state" and (kind == "action" or not notices):
        notices = [*notices, BLANK_NOTICE]
    heading = t(f"builder_edit_{kind}" if original else f"builder_add_{kind}", lang)
    return WorkflowEditor(
        kind, original, values, sources, who, notices, builder_draft.error_messages(errors, lang), heading
    )
