"""The workflow builder's page and its operations (issue 13): states, actions and timers as lists, an
editor for one of them, the workflow drawn, and each loader error beside the state, action or timer it
concerns (a guard's or a template's beside the action or timer that uses it).

Each operation changes the workflow document with :mod:`server.admin.workflow_builder` and saves the
draft the JSON view edits.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import jinja2
import msgspec
from markupsafe import Markup

from server.admin import builder_draft, workflow_builder
from server.admin.builder_draft import Draft
from server.admin.form_builder import BuildRefused
from server.admin.workflow_builder import Known, assignee_kind, notifications_of
from server.admin.workflow_editor_view import WorkflowEditor, section
from server.admin.workflow_editor_view import editor as editor_view
from server.admin.workflow_edits import CATEGORIES, action_edit, state_edit, timer_edit
from server.definitions.crossref import ACTOR_FIELDS, TICKET_FIELDS
from server.definitions.expressions import ExprType, Scope
from server.definitions.forms import fields as form_fields
from server.directory.outcome import Outcome, not_found, refused
from server.i18n import t
from server.runtime import Runtime
from server.store.records import User

KINDS = ("state", "action", "timer")
_VARIABLE_TYPES = {
    "string": ExprType.STRING,
    "integer": ExprType.INTEGER,
    "number": ExprType.NUMBER,
    "boolean": ExprType.BOOLEAN,
}

log = logging.getLogger(__name__)


class ItemView(msgspec.Struct, frozen=True):
    kind: str
    id: str
    title: str
    details: list[str]
    errors: list[str]


class WorkflowBuilderPage(msgspec.Struct, frozen=True):
    service_id: str
    ok: bool
    states: list[ItemView]
    actions: list[ItemView]
    timers: list[ItemView]
    editor: WorkflowEditor | None
    state_options: list[tuple[str, str]]
    roles: list[tuple[str, str]]
    departments: list[tuple[str, str]]
    forms: list[str]
    categories: list[tuple[str, str]]
    recipients: list[tuple[str, str]]
    subjects: list[tuple[str, str]]
    diagrams: list[tuple[str, Markup]]
    file_errors: list[str]
    other_errors: list[str]
    refusal: str = ""


def _label(node: Any, lang: str, fallback: str) -> str:
    label = node.get("label") if isinstance(node, Mapping) else None
    return str(label.get(lang) or fallback) if isinstance(label, Mapping) else fallback


def _item_of(doc: Mapping[str, Any]) -> Any:
    guards = {
        g: f"action:{a}"
        for a, action in section(doc, "actions").items()
        for g in action.get("guards") or []
        if isinstance(g, str)
    }
    templates: dict[str, str] = {}
    for kind, key in (("action", "actions"), ("timer", "timers")):
        for item_id, node in section(doc, key).items():
            for notice in notifications_of(doc, node.get("effects")):
                templates.setdefault(notice.template, f"{kind}:{item_id}")
    for state_id, state in section(doc, "states").items():
        for notice in notifications_of(doc, state.get("on_enter")):
            templates.setdefault(notice.template, f"state:{state_id}")

    def item(pointer: str) -> str:
        parts = builder_draft.pointer_parts(pointer)
        if len(parts) < 2:
            return ""
        section, name = parts[0], parts[1]
        if section in ("states", "actions", "timers"):
            return f"{section[:-1]}:{name}"
        if section == "guards":
            return guards.get(name, "")
        return templates.get(name, "") if section == "notifications" else ""

    return item


def _fields(form: Mapping[str, Any] | None) -> dict[str, ExprType]:
    """A form's fields and their types for conditions; none when the form has a shape not read."""
    try:
        return form_fields(form) if form else {}
    except builder_draft.SHAPE_ERRORS:
        return {}


def _known(runtime: Runtime, draft: Draft, doc: Mapping[str, Any]) -> Known:
    org = runtime.org
    data = _fields(draft.form)
    variables = {
        name: _VARIABLE_TYPES.get(str(v.get("type")), ExprType.ANY)
        for name, v in section(doc, "variables").items()
    }
    tables = {
        table_id: {col: _VARIABLE_TYPES.get(c.type, ExprType.STRING) for col, c in table.columns.items()}
        for table_id, table in org.lookups.items()
    }

    def scope(form_id: str) -> Scope:
        action_doc = draft.form_document(form_id) if form_id else None
        action = _fields(action_doc)
        roots = {
            "data": data,
            "action": action,
            "vars": variables,
            "actor": ACTOR_FIELDS,
            "ticket": TICKET_FIELDS,
        }
        return Scope(roots=roots, lookup_tables=tables)

    return Known(
        roles=frozenset(org.roles),
        requester_roles=frozenset(r for r, role in org.roles.items() if role.scope == "requester"),
        departments=frozenset(org.departments),
        forms=frozenset(draft.forms()),
        scope=scope,
    )


def _assignee_text(rule: Any, runtime: Runtime, lang: str) -> str:
    kind = assignee_kind(rule)
    rule = rule if isinstance(rule, Mapping) else {}
    department = str(rule.get("head_of") or rule.get("department") or "")
    dept = runtime.org.departments.get(department)
    where = (
        dept.name.get(lang)
        if dept
        else t("builder_dept_service_text", lang)
        if department == "$service"
        else department
    )
    if kind == "role":
        role = runtime.org.roles.get(str(rule.get("role")))
        return t("builder_assignee_role_text", lang).format(
            role=role.name.get(lang) if role else rule.get("role"), department=where
        )
    if kind == "head":
        return t("builder_assignee_head_text", lang).format(department=where)
    return t(f"builder_assignee_{kind}", lang)


def build_page(
    runtime: Runtime,
    env: jinja2.Environment,
    lang: str,
    draft: Draft,
    *,
    kind: str = "",
    original: str = "",
    posted: Mapping[str, Sequence[str]] | None = None,
    errors: Mapping[str, str] | None = None,
    refusal: str = "",
) -> WorkflowBuilderPage:
    """The page; a workflow of a shape the builder cannot read is shown as one to mend in the JSON view."""
    try:
        return _build_page(
            runtime,
            env,
            lang,
            draft,
            kind=kind,
            original=original,
            posted=posted,
            errors=errors,
            refusal=refusal,
        )
    except builder_draft.SHAPE_ERRORS:
        log.info("the workflow of %s has a shape the builder cannot read", draft.service_id, exc_info=True)
        draft.workflow = None
        return _build_page(runtime, env, lang, draft, refusal=refusal)


def _build_page(
    runtime: Runtime,
    env: jinja2.Environment,
    lang: str,
    draft: Draft,
    *,
    kind: str = "",
    original: str = "",
    posted: Mapping[str, Sequence[str]] | None = None,
    errors: Mapping[str, str] | None = None,
    refusal: str = "",
) -> WorkflowBuilderPage:
    org = runtime.org
    doc = draft.workflow or {}
    result = builder_draft.checked(runtime, env, draft)
    placed = builder_draft.place(result, draft.workflow_path, _item_of(doc), lang)
    states = section(doc, "states")
    state_title = {s: _label(node, lang, s) for s, node in states.items()}
    initial = (doc.get("initial") or {}).get("default") if isinstance(doc.get("initial"), Mapping) else None
    state_views = [
        ItemView(
            "state",
            s,
            state_title[s],
            [
                t(f"builder_category_{node.get('category')}", lang)
                if node.get("category") in CATEGORIES
                else "",
                _assignee_text(node.get("assignee"), runtime, lang),
            ]
            + ([t("builder_initial_state", lang)] if s == initial else []),
            placed.of(f"state:{s}"),
        )
        for s, node in states.items()
    ]
    action_views = []
    for a, node in section(doc, "actions").items():
        sources = "، ".join(state_title.get(str(s), str(s)) for s in node.get("from") or [])
        target = (
            state_title.get(str(node.get("to")), t("builder_stays", lang))
            if node.get("to")
            else t("builder_stays", lang)
        )
        details = [f"{sources} ← {target}" if lang == "ar" else f"{sources} → {target}"]
        if workflow_builder.guard_id(a) in (node.get("guards") or []):
            details.append(t("builder_has_condition", lang))
        count = len(notifications_of(doc, node.get("effects")))
        if count:
            details.append(t("builder_notices_count", lang).format(count=count))
        action_views.append(ItemView("action", a, _label(node, lang, a), details, placed.of(f"action:{a}")))
    timer_views = [
        ItemView(
            "timer",
            tid,
            _label(node, lang, tid),
            [
                t("builder_timer_text", lang).format(
                    hours=node.get("after_working_hours"), state=state_title.get(str(node.get("state")), "")
                )
            ],
            placed.of(f"timer:{tid}"),
        )
        for tid, node in section(doc, "timers").items()
    ]
    data_fields = _fields(draft.form)
    subjects = [(f"data.{name}", f"{t('builder_subject_data', lang)}: {name}") for name in data_fields]
    subjects += [
        (f"ticket.{name}", f"{t('builder_subject_ticket', lang)}: {name}")
        for name in ("channel", "department")
    ]
    subjects += [
        (f"vars.{name}", f"{t('builder_subject_vars', lang)}: {name}") for name in section(doc, "variables")
    ]
    recipients = [(r, t(f"builder_to_{r}", lang)) for r in ("requester", "assignee", "actor")]
    recipients.append(("head:$service", t("builder_to_head", lang)))
    recipients += [
        (f"role:{r}", t("builder_to_role", lang).format(role=role.name.get(lang)))
        for r, role in org.roles.items()
        if role.scope != "requester"
    ]
    editor = None
    if kind in KINDS and (not original or original in section(doc, f"{kind}s")):
        editor = editor_view(doc, kind, original, posted, errors or {}, lang)
    return WorkflowBuilderPage(
        service_id=draft.service_id,
        ok=draft.workflow is not None,
        states=state_views,
        actions=action_views,
        timers=timer_views,
        editor=editor,
        state_options=list(state_title.items()),
        roles=[(r, role.name.get(lang)) for r, role in org.roles.items()],
        departments=[
            ("$service", t("builder_dept_service", lang)),
            ("$ticket", t("builder_dept_ticket", lang)),
        ]
        + [(d, dept.name.get(lang)) for d, dept in org.departments.items()],
        forms=draft.forms(),
        categories=[(c, t(f"builder_category_{c}", lang)) for c in CATEGORIES],
        recipients=recipients,
        subjects=subjects,
        diagrams=result.diagrams,
        file_errors=placed.file,
        other_errors=placed.other,
        refusal=refusal,
    )


async def workflow_page(
    runtime: Runtime,
    env: jinja2.Environment,
    lang: str,
    service_id: str,
    *,
    kind: str = "",
    original: str = "",
) -> WorkflowBuilderPage | None:
    draft = await builder_draft.load(runtime, service_id)
    return None if draft is None else build_page(runtime, env, lang, draft, kind=kind, original=original)


async def change_workflow(
    runtime: Runtime,
    env: jinja2.Environment,
    lang: str,
    service_id: str,
    kind: str,
    operation: str,
    original: str,
    values: Mapping[str, Sequence[str]],
    by: User,
) -> Outcome[WorkflowBuilderPage]:
    """``save`` (a new one when ``original`` is empty) or ``remove`` a state, action or timer, saved
    into the draft (``done``: the service id); refused: the page again, each error beside its input."""
    draft = await builder_draft.load(runtime, service_id)
    if draft is None or draft.workflow is None or kind not in KINDS or operation not in ("save", "remove"):
        return not_found()
    doc, old = draft.workflow, original or None
    try:
        if operation == "remove":
            remove = {
                "state": workflow_builder.remove_state,
                "action": workflow_builder.remove_action,
                "timer": workflow_builder.remove_timer,
            }
            doc = remove[kind](doc, original)
        elif kind == "state":
            doc = workflow_builder.set_state(doc, old, state_edit(values), _known(runtime, draft, doc))
        elif kind == "action":
            doc = workflow_builder.set_action(doc, old, action_edit(values), _known(runtime, draft, doc))
        else:
            doc = workflow_builder.set_timer(doc, old, timer_edit(values))
    except builder_draft.SHAPE_ERRORS:
        return refused(build_page(runtime, env, lang, draft, refusal=t("builder_fix_json_first", lang)))
    except BuildRefused as refusal:
        if operation == "remove":
            key = next(iter(refusal.errors.values()))
            return refused(build_page(runtime, env, lang, draft, refusal=t(key, lang)))
        page = build_page(
            runtime, env, lang, draft, kind=kind, original=original, posted=values, errors=refusal.errors
        )
        return refused(page)
    await builder_draft.save(runtime, draft, draft.workflow_path, doc, by)
    return Outcome(done=service_id)
