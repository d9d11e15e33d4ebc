"""The workflow builder (issue 13): states, actions and timers, changed one operation at a time.

Pure functions over the workflow document (as parsed from the draft): each answers a new document or
raises :class:`~server.admin.form_builder.BuildRefused` (input name → error key). What the builder
does not edit (variables, ``record`` and ``assign`` effects, a state's ``on_enter``, other guards)
is kept as it is.

How the builder writes a workflow:

- a state's assignee: ``{"role", "department"}``, ``{"head_of"}``, the user chosen in the action form
  (``{"user": "action.FIELD", "department"}``), the actor, or unchanged;
- an action's condition is the guard ``<action>_condition`` (its expression and refusal message),
  checked with the guard language's compiler (:mod:`server.definitions.expressions`) against the
  service's form and the action's form before it is written;
- a notification is a ``notify`` effect and its template ``<action>_notice_<n>`` (a timer's:
  ``<timer>_notice``); an action leaving a closed state is marked ``reopens``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import msgspec

from server.admin.form_builder import BuildRefused
from server.admin.workflow_edits import ActionEdit, NotifyEdit, StateEdit, TimerEdit
from server.definitions.expressions import ExpressionError, Scope, compile_expression

JSON = dict[str, Any]


class Known(msgspec.Struct, frozen=True):
    """What the edits may name: the organisation's roles and departments, the draft's forms, and the
    scope a condition is checked in (given the action's form id, or ``""``)."""

    roles: frozenset[str]
    requester_roles: frozenset[str]
    departments: frozenset[str]
    forms: frozenset[str]
    scope: Callable[[str], Scope]


def _section(doc: JSON, key: str) -> JSON:
    section = doc.get(key)
    if not isinstance(section, dict):
        section = doc[key] = {}
    return section


def _refuse_if(errors: Mapping[str, str]) -> None:
    if errors:
        raise BuildRefused(errors)


def _renamed(section: JSON, original: str | None, new_id: str, value: JSON) -> JSON:
    """``section`` with ``original`` replaced by ``new_id`` → ``value`` in the same place."""
    if original is None or original not in section:
        return {**section, new_id: value}
    return {
        (new_id if key == original else key): (value if key == original else v) for key, v in section.items()
    }


def _text(ar: str, en: str) -> dict[str, str]:
    return {"ar": ar, "en": en}


# --- states ----------------------------------------------------------------------------------------


def assignee_kind(rule: Any) -> str:
    if not isinstance(rule, Mapping):
        return "role"
    for key, kind in (("head_of", "head"), ("user", "chosen"), ("actor", "actor"), ("keep", "keep")):
        if key in rule:
            return kind
    return "role"


def _assignee(edit: StateEdit) -> JSON:
    if edit.assignee == "head":
        return {"head_of": edit.department}
    if edit.assignee == "chosen":
        return {"user": f"action.{edit.chosen_field}", "department": edit.department}
    if edit.assignee == "actor":
        return {"actor": True}
    if edit.assignee == "keep":
        return {"keep": True}
    return {"role": edit.role, "department": edit.department}


def _department_ok(department: str, known: Known) -> bool:
    return department in ("$service", "$ticket") or department in known.departments


def set_state(doc: JSON, original: str | None, edit: StateEdit, known: Known) -> JSON:
    """A new state (``original`` None) or the state ``original`` changed (renamed everywhere)."""
    errors = edit.check()
    out = copy.deepcopy(doc)
    states = _section(out, "states")
    if original is not None and original not in states:
        raise BuildRefused({"id": "builder_err_no_state"})
    if edit.id in states and edit.id != original:
        errors["id"] = "builder_err_name_taken"
    if edit.assignee == "role" and edit.role and edit.role not in known.roles:
        errors["role"] = "builder_err_unknown_role"
    if edit.assignee in ("role", "head", "chosen") and not _department_ok(edit.department, known):
        errors["department"] = "builder_err_unknown_department"
    _refuse_if(errors)
    state = copy.deepcopy(states.get(original or "", {}))
    state.update(label=_text(edit.title_ar, edit.title_en), category=edit.category, assignee=_assignee(edit))
    out["states"] = _renamed(states, original, edit.id, state)
    if original is not None and original != edit.id:
        _rename_state(out, original, edit.id)
    initial = _section(out, "initial")
    if edit.initial or not initial.get("default"):
        initial["default"] = edit.id
    return out


def _rename_state(doc: JSON, old: str, new: str) -> None:
    for action in (doc.get("actions") or {}).values():
        if isinstance(action, dict):
            action["from"] = [new if s == old else s for s in action.get("from") or []]
            if action.get("to") == old:
                action["to"] = new
    for timer in (doc.get("timers") or {}).values():
        if isinstance(timer, dict) and timer.get("state") == old:
            timer["state"] = new
    initial = _section(doc, "initial")
    if initial.get("default") == old:
        initial["default"] = new
    by_channel = initial.get("by_channel")
    if isinstance(by_channel, dict):
        initial["by_channel"] = {k: (new if v == old else v) for k, v in by_channel.items()}


def state_users(doc: Mapping[str, Any], state_id: str) -> list[str]:
    """The actions and timers that name a state (it cannot be removed while they do)."""
    users = [
        a_id
        for a_id, a in (doc.get("actions") or {}).items()
        if isinstance(a, Mapping) and (a.get("to") == state_id or state_id in (a.get("from") or []))
    ]
    users += [
        t_id
        for t_id, t in (doc.get("timers") or {}).items()
        if isinstance(t, Mapping) and t.get("state") == state_id
    ]
    return users


def remove_state(doc: JSON, state_id: str) -> JSON:
    out = copy.deepcopy(doc)
    states = _section(out, "states")
    if state_id not in states:
        raise BuildRefused({"id": "builder_err_no_state"})
    initial = _section(out, "initial")
    if initial.get("default") == state_id or state_id in (initial.get("by_channel") or {}).values():
        raise BuildRefused({"id": "builder_err_state_initial"})
    if state_users(out, state_id):
        raise BuildRefused({"id": "builder_err_state_in_use"})
    del states[state_id]
    return out


# --- notifications ---------------------------------------------------------------------------------


def notifications_of(doc: Mapping[str, Any], effects: Any) -> list[NotifyEdit]:
    """The notify effects of a list, with their templates' texts, as the editor shows them."""
    given = doc.get("notifications")
    templates: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
    out = []
    for effect in effects if isinstance(effects, list) else []:
        if isinstance(effect, Mapping) and isinstance(effect.get("notify"), str):
            tpl = templates.get(effect["notify"]) or {}
            subject, body = tpl.get("subject") or {}, tpl.get("body") or {}
            out.append(
                NotifyEdit(
                    template=effect["notify"],
                    to=str(effect.get("to", "")),
                    channel=str(effect.get("channel", "")),
                    subject_ar=str(subject.get("ar", "")),
                    subject_en=str(subject.get("en", "")),
                    body_ar=str(body.get("ar", "")),
                    body_en=str(body.get("en", "")),
                )
            )
    return out


def _template_uses(doc: Mapping[str, Any]) -> Iterator[str]:
    def effects(node: Any) -> Iterator[str]:
        for effect in node.get("effects") or [] if isinstance(node, Mapping) else []:
            if isinstance(effect, Mapping) and isinstance(effect.get("notify"), str):
                yield effect["notify"]

    for key in ("actions", "timers"):
        for node in (doc.get(key) or {}).values():
            yield from effects(node)
    for state in (doc.get("states") or {}).values():
        yield from effects({"effects": state.get("on_enter") if isinstance(state, Mapping) else []})


def _write_notifications(doc: JSON, owner: str, old: Any, rows: Sequence[NotifyEdit]) -> list[JSON]:
    """``old`` effects with their notify effects replaced by ``rows`` (each with its template)."""
    templates = _section(doc, "notifications")
    before = {
        e["notify"]: e for e in old or [] if isinstance(e, Mapping) and isinstance(e.get("notify"), str)
    }
    kept = [e for e in old or [] if not (isinstance(e, Mapping) and "notify" in e)]
    written = []
    for row in rows:
        template = row.template if row.template in before else _free_id(templates, owner)
        effect = {k: v for k, v in (before.get(template) or {}).items() if k not in ("to", "channel")}
        effect.update(notify=template, to=row.to)
        if row.channel:
            effect["channel"] = row.channel
        templates[template] = {
            "subject": _text(row.subject_ar, row.subject_en),
            "body": _text(row.body_ar, row.body_en),
        }
        written.append(effect)
    return [*kept, *written]


def _free_id(templates: Mapping[str, Any], owner: str) -> str:
    number = 1
    while f"{owner}_notice_{number}" in templates:
        number += 1
    return f"{owner}_notice_{number}"


def _drop_unused_templates(doc: JSON, candidates: Sequence[str]) -> None:
    used = set(_template_uses(doc))
    templates = _section(doc, "notifications")
    for template in candidates:
        if template not in used:
            templates.pop(template, None)
    if not templates:
        doc.pop("notifications")


# --- actions ---------------------------------------------------------------------------------------


def guard_id(action_id: str) -> str:
    return f"{action_id}_condition"


def set_action(doc: JSON, original: str | None, edit: ActionEdit, known: Known) -> JSON:
    errors = edit.check()
    out = copy.deepcopy(doc)
    actions, states = _section(out, "actions"), _section(out, "states")
    if original is not None and original not in actions:
        raise BuildRefused({"id": "builder_err_no_action"})
    if edit.id in actions and edit.id != original:
        errors["id"] = "builder_err_name_taken"
    if any(s not in states for s in edit.sources):
        errors["from"] = "builder_err_no_state"
    if edit.target and edit.target not in states:
        errors["to"] = "builder_err_no_state"
    if any(r not in known.roles for r in edit.who):
        errors["who"] = "builder_err_unknown_role"
    if edit.form and edit.form not in known.forms:
        errors["form"] = "builder_err_unknown_form"
    if edit.condition and "condition" not in errors and "cond_subject" not in errors:
        try:
            compile_expression(edit.condition, known.scope(edit.form))
        except ExpressionError:
            errors["condition"] = "builder_err_bad_expression"
    _refuse_if(errors)
    action = copy.deepcopy(actions.get(original or "", {}))
    old_templates = [n.template for n in notifications_of(out, action.get("effects"))]
    action.update(label=_text(edit.title_ar, edit.title_en), visibility=edit.visibility)
    action["who"] = [
        {"role": r, "department": "$ticket"}
        if edit.own_department and r not in known.requester_roles
        else {"role": r}
        for r in edit.who
    ]
    action["from"] = list(edit.sources)
    for key, value in (("to", edit.target), ("form", edit.form)):
        _set_or_drop(action, key, value)
    closed = {
        s for s, state in states.items() if isinstance(state, Mapping) and state.get("category") == "closed"
    }
    _set_or_drop(action, "reopens", True if closed & set(edit.sources) and edit.target else None)
    guards = _section(out, "guards")
    for gid in {guard_id(original or edit.id), guard_id(edit.id)}:
        guards.pop(gid, None)
    others = [g for g in action.get("guards") or [] if g not in (guard_id(original or ""), guard_id(edit.id))]
    if edit.condition:
        guards[guard_id(edit.id)] = {
            "expr": edit.condition,
            "message": _text(edit.message_ar, edit.message_en),
        }
        others.append(guard_id(edit.id))
    _set_or_drop(action, "guards", others or None)
    if not guards:
        out.pop("guards")
    _set_or_drop(
        action,
        "effects",
        _write_notifications(out, edit.id, action.get("effects"), edit.notifications) or None,
    )
    out["actions"] = _renamed(actions, original, edit.id, action)
    _drop_unused_templates(out, old_templates)
    return out


def _set_or_drop(node: JSON, key: str, value: Any) -> None:
    if value in (None, "", []):
        node.pop(key, None)
    else:
        node[key] = value


def remove_action(doc: JSON, action_id: str) -> JSON:
    out = copy.deepcopy(doc)
    actions = _section(out, "actions")
    if action_id not in actions:
        raise BuildRefused({"id": "builder_err_no_action"})
    if len(actions) == 1:
        raise BuildRefused({"id": "builder_err_last_action"})
    old = [n.template for n in notifications_of(out, actions[action_id].get("effects"))]
    del actions[action_id]
    guards = out.get("guards")
    if isinstance(guards, dict):
        guards.pop(guard_id(action_id), None)
        if not guards:
            out.pop("guards")
    _drop_unused_templates(out, old)
    return out


# --- timers ----------------------------------------------------------------------------------------


def set_timer(doc: JSON, original: str | None, edit: TimerEdit) -> JSON:
    errors = edit.check()
    out = copy.deepcopy(doc)
    timers, states = _section(out, "timers"), _section(out, "states")
    if original is not None and original not in timers:
        raise BuildRefused({"id": "builder_err_no_timer"})
    if edit.id in timers and edit.id != original:
        errors["id"] = "builder_err_name_taken"
    if edit.state not in states:
        errors["state"] = "builder_err_no_state"
    _refuse_if(errors)
    timer = copy.deepcopy(timers.get(original or "", {}))
    old = [n.template for n in notifications_of(out, timer.get("effects"))]
    hours = edit.hours if edit.hours is not None else 1
    timer.update(state=edit.state, after_working_hours=int(hours) if float(hours).is_integer() else hours)
    _set_or_drop(timer, "label", _text(edit.title_ar, edit.title_en) if edit.title_ar else None)
    timer["effects"] = _write_notifications(out, edit.id, timer.get("effects"), edit.notifications)
    out["timers"] = _renamed(timers, original, edit.id, timer)
    _drop_unused_templates(out, old)
    return out


def remove_timer(doc: JSON, timer_id: str) -> JSON:
    out = copy.deepcopy(doc)
    timers = _section(out, "timers")
    if timer_id not in timers:
        raise BuildRefused({"id": "builder_err_no_timer"})
    old = [n.template for n in notifications_of(out, timers[timer_id].get("effects"))]
    del timers[timer_id]
    if not timers:
        out.pop("timers")
    _drop_unused_templates(out, old)
    return out
