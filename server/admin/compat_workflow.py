"""The workflow of two versions compared: the initial state, states (added, removed, possibly renamed,
their category, who is assigned, what happens on entering), actions (added, removed, possibly
renamed, from and to which states, who may take them, their form, conditions and effects),
conditions (guard expressions), notification texts, timers and variables.

The tickets a workflow change concerns are the open ones in the states it touches: a state's own
tickets, the tickets from which an action (or a notification it sends) can next be taken, the tickets
waiting in a timer's state."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import msgspec

from server.admin.difference import Difference, in_states
from server.definitions.catalogue import CompiledService
from server.definitions.model import Action, Workflow
from server.store.records import Ticket


def _show(value: Any) -> str:
    if value is None:
        return "—"
    return json.dumps(msgspec.to_builtins(value), ensure_ascii=False, sort_keys=True)


def _action_form(compiled: CompiledService, action_id: str) -> Any:
    form = compiled.action_forms.get(action_id)
    return None if form is None else form.schema


def _entering(workflow: Workflow, state: str) -> set[str]:
    """The states from which an action leads into ``state``."""
    return {s for a in workflow.actions.values() if a.to == state for s in a.from_}


def _sending(workflow: Workflow, notification: str) -> set[str]:
    """The states whose tickets may next send ``notification`` (by an action, on entering a state, by a
    timer)."""
    states: set[str] = set()
    for action in workflow.actions.values():
        if any(e.notify == notification for e in action.effects):
            states.update(action.from_)
    for state_id, state in workflow.states.items():
        if any(e.notify == notification for e in state.on_enter):
            states.update(_entering(workflow, state_id))
    for timer in workflow.timers.values():
        if any(e.notify == notification for e in timer.effects):
            states.add(timer.state)
    return states


def _states(old: CompiledService, new: CompiledService) -> Iterator[tuple[str, str, str, set[str], bool]]:
    a, b = old.workflow, new.workflow
    for sid, state in b.states.items():
        if sid not in a.states:
            into = {s for s in _entering(b, sid) if s in a.states}
            yield "state_added", sid, state.category, into, False
    for sid in a.states:
        if sid not in b.states:
            yield "state_removed", sid, a.states[sid].category, {sid}, True
    for sid, before in a.states.items():
        after = b.states.get(sid)
        if after is None:
            continue
        if before.category != after.category:
            yield "state_category", sid, f"{before.category} → {after.category}", {sid}, False
        if before.assignee != after.assignee:
            yield "state_assignee", sid, f"{_show(before.assignee)} → {_show(after.assignee)}", {sid}, False
        if before.on_enter != after.on_enter:
            detail = f"{_show(before.on_enter)} → {_show(after.on_enter)}"
            yield "state_on_enter", sid, detail, _entering(a, sid) | _entering(b, sid), False
        if (before.label, before.description) != (after.label, after.description):
            detail = (
                f"{_show([before.label, before.description])} → {_show([after.label, after.description])}"
            )
            yield "state_label", sid, detail, {sid}, False


def _action(
    old: CompiledService, new: CompiledService, aid: str, before: Action, after: Action
) -> Iterator[tuple[str, str, str, set[str], bool]]:
    at = set(before.from_)
    if before.from_ != after.from_:
        gone, added = set(before.from_) - set(after.from_), set(after.from_) - set(before.from_)
        detail = f"{_show(sorted(before.from_))} → {_show(sorted(after.from_))}"
        yield "action_from", aid, detail, gone | added, bool(gone)
    if before.to != after.to:
        yield "action_to", aid, f"{before.to} → {after.to}", at, False
    if before.who != after.who:
        yield "action_who", aid, f"{_show(before.who)} → {_show(after.who)}", at, False
    if _action_form(old, aid) != _action_form(new, aid):
        yield "action_form", aid, f"{_show(before.form)} → {_show(after.form)}", at, False
    if before.guards != after.guards:
        yield "action_condition", aid, f"{_show(before.guards)} → {_show(after.guards)}", at, False
    when_before = [e.when for e in before.effects]
    when_after = [e.when for e in after.effects]
    if when_before != when_after:
        yield "effect_condition", aid, f"{_show(when_before)} → {_show(when_after)}", at, False
    if before.effects != after.effects:
        yield "action_effects", aid, f"{_show(before.effects)} → {_show(after.effects)}", at, False
    if before.visibility != after.visibility:
        yield "action_visibility", aid, f"{before.visibility} → {after.visibility}", at, False
    if before.reopens != after.reopens:
        yield "action_effects", aid, f"reopens: {before.reopens} → {after.reopens}", at, False
    if (before.label, before.description) != (after.label, after.description):
        detail = f"{_show([before.label, before.description])} → {_show([after.label, after.description])}"
        yield "action_label", aid, detail, at, False


def _actions(old: CompiledService, new: CompiledService) -> Iterator[tuple[str, str, str, set[str], bool]]:
    a, b = old.workflow, new.workflow
    for aid, action in b.actions.items():
        if aid not in a.actions:
            yield (
                "action_added",
                aid,
                f"{_show(sorted(action.from_))} → {action.to}",
                set(action.from_),
                False,
            )
    for aid, action in a.actions.items():
        if aid not in b.actions:
            yield (
                "action_removed",
                aid,
                f"{_show(sorted(action.from_))} → {action.to}",
                set(action.from_),
                True,
            )
    for aid, before in a.actions.items():
        after = b.actions.get(aid)
        if after is not None:
            yield from _action(old, new, aid, before, after)
    for gid, guard in b.guards.items():
        previous = a.guards.get(gid)
        users = {s for act in b.actions.values() if gid in act.guards for s in act.from_}
        if previous is not None and previous.expr != guard.expr:
            yield "condition_changed", gid, f"{previous.expr} → {guard.expr}", users, False
        if previous is not None and previous.message != guard.message:
            yield (
                "condition_message",
                gid,
                f"{_show(previous.message)} → {_show(guard.message)}",
                users,
                False,
            )


def _texts(old: CompiledService, new: CompiledService) -> Iterator[tuple[str, str, str, set[str], bool]]:
    a, b = old.workflow, new.workflow
    for nid, text in b.notifications.items():
        previous = a.notifications.get(nid)
        if previous is None:
            yield "notification_added", nid, "", _sending(b, nid), False
        elif previous != text:
            parts = [
                f"{part}.{lang}"
                for part in ("subject", "body")
                for lang in ("ar", "en")
                if getattr(getattr(previous, part), lang, None) != getattr(getattr(text, part), lang, None)
            ]
            yield "notification_text", nid, ", ".join(parts), _sending(a, nid) | _sending(b, nid), False
    for nid in a.notifications:
        if nid not in b.notifications:
            yield "notification_removed", nid, "", _sending(a, nid), False


def _timers(old: CompiledService, new: CompiledService) -> Iterator[tuple[str, str, str, set[str], bool]]:
    a, b = old.workflow, new.workflow
    for tid, timer in b.timers.items():
        previous = a.timers.get(tid)
        if previous is None:
            yield "timer_added", tid, f"{timer.state}: {timer.after_working_hours} h", {timer.state}, False
        elif previous != timer:
            detail = f"{previous.state}: {previous.after_working_hours} h → {timer.state}: {timer.after_working_hours} h"
            if previous.effects != timer.effects:
                detail += f"; {_show(previous.effects)} → {_show(timer.effects)}"
            yield "timer_changed", tid, detail, {previous.state, timer.state}, False
    for tid, timer in a.timers.items():
        if tid not in b.timers:
            yield "timer_removed", tid, f"{timer.state}: {timer.after_working_hours} h", {timer.state}, False


def _variables(old: CompiledService, new: CompiledService) -> Iterator[tuple[str, str, str, set[str], bool]]:
    a, b = old.workflow, new.workflow
    for name, variable in b.variables.items():
        previous = a.variables.get(name)
        if previous is None:
            yield "variable_added", name, variable.type, set(), False
        elif previous != variable:
            yield "variable_changed", name, f"{_show(previous)} → {_show(variable)}", set(a.states), False
    for name in a.variables:
        if name not in b.variables:
            yield "variable_removed", name, "", set(a.states), False


def state_suspects(old: CompiledService, new: CompiledService) -> list[tuple[str, str]]:
    """(removed state, added state) pairs of the same category: perhaps one state under a new id."""
    a, b = old.workflow.states, new.workflow.states
    removed = [s for s in a if s not in b]
    added = [s for s in b if s not in a]
    return [(r, n) for r in removed for n in added if a[r].category == b[n].category]


def workflow_differences(
    old: CompiledService, new: CompiledService, tickets: Sequence[Ticket]
) -> list[Difference]:
    a, b = old.workflow, new.workflow
    found: list[tuple[str, str, str, set[str], bool]] = []
    if (a.name, a.description) != (b.name, b.description):
        detail = f"{_show([a.name, a.description])} → {_show([b.name, b.description])}"
        found.append(("workflow_label", a.id, detail, set(), False))
    if a.initial != b.initial:
        found.append(("initial_changed", "initial", f"{_show(a.initial)} → {_show(b.initial)}", set(), False))
    found.extend(_states(old, new))
    for removed, added in state_suspects(old, new):
        found.append(("state_renamed", removed, f"{removed} → {added}?", {removed}, True))
    found.extend(_actions(old, new))
    removed_actions = [i for i in a.actions if i not in b.actions]
    for aid in removed_actions:
        for nid, action in b.actions.items():
            if nid not in a.actions and (action.from_, action.to) == (
                a.actions[aid].from_,
                a.actions[aid].to,
            ):
                found.append(("action_renamed", aid, f"{aid} → {nid}?", set(action.from_), False))
    found.extend(_texts(old, new))
    found.extend(_timers(old, new))
    found.extend(_variables(old, new))
    return [
        Difference(kind, subject, detail, breaking, in_states(tickets, states))
        for kind, subject, detail, states, breaking in found
    ]
