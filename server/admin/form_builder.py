"""The form builder (issue 13): a form's fields as a list, changed one operation at a time.

Pure functions over the form document (a JSON Schema 2020-12 object with khidma's ``x-`` hints, as
parsed from the draft): each takes the document and an operation and answers a new document, or
raises :class:`BuildRefused` with an error key (``server/i18n/builder.py``) per input it concerns.
Nothing else of the document is touched, so what the JSON view holds and the builder does not
understand survives every operation.

How the builder writes a form (the shapes it also reads back):

- a field is a property of its *container*: the form itself, a repeatable group (an array whose
  ``items`` is an object) or a section (an object); groups and sections sit at the top level;
- ``required`` lists the required fields; ``x-order`` lists every field of a container in order;
- a field shown only when another field (a choice or yes/no of the same container) has one of some
  values is declared under ``then`` of an ``allOf`` member whose ``if`` says so:
  ``{"if": {"required": ["f"], "properties": {"f": {"const": v}}}, "then": {"properties": {…}}}``
  (several values: ``enum``). A form's own top-level ``if``/``then`` of that shape is read the same.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from server.admin.builder_edits import Condition, FieldEdit, check_edit
from server.admin.form_shape import (
    CONTAINERS,
    FieldRow,
    base_schema,
    choices_of,
    condition_of,
    condition_schema,
    container,
    declared,
    find,
    holders,
    kind_of,
    rows,
)

__all__ = [
    "CONTAINERS",
    "TRIGGER_KINDS",
    "BuildRefused",
    "FieldRow",
    "add_field",
    "apply_edit",
    "base_schema",
    "choices_of",
    "find",
    "kind_of",
    "move_field",
    "move_into",
    "remove_field",
    "rows",
    "set_title",
    "update_field",
]

JSON = dict[str, Any]

TRIGGER_KINDS = ("choice_one", "yes_no")
"""The kinds a "show only when …" condition may read."""


class BuildRefused(Exception):
    """The operation is refused: input name → error key (``builder_err_…``)."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(", ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


# --- writing ---------------------------------------------------------------------------------------


def _put_text(schema: JSON, key: str, ar: str, en: str) -> None:
    if ar or en:
        schema[key] = {"ar": ar, "en": en}
    else:
        schema.pop(key, None)


def _put(schema: JSON, key: str, value: Any) -> None:
    if value is None:
        schema.pop(key, None)
    else:
        schema[key] = value


def apply_edit(schema: JSON, edit: FieldEdit) -> JSON:
    """``schema`` (a field of ``edit.kind``) with the edit's labels, limits and choices."""
    out = copy.deepcopy(schema)
    _put_text(out, "x-title", edit.title_ar, edit.title_en)
    _put_text(out, "x-help", edit.help_ar, edit.help_en)
    kind = edit.kind
    if kind in ("short_text", "long_text", "email", "mobile"):
        _put(out, "minLength", edit.min_length)
        _put(out, "maxLength", edit.max_length)
    elif kind == "number":
        out["type"] = "integer" if edit.whole else "number"
        _put(out, "minimum", edit.minimum)
        _put(out, "maximum", edit.maximum)
    elif kind in ("choice_one", "choice_many"):
        options = [{"const": v, "x-title": {"ar": ar, "en": en}} for v, ar, en in edit.choices]
        node = out["items"] if kind == "choice_many" else out
        node.pop("enum", None)
        node["oneOf"] = options
        if kind == "choice_one":
            out["x-widget"] = edit.widget if edit.widget in ("select", "radio") else "select"
        else:
            out["x-widget"] = "checkboxes"
    elif kind == "file":
        _put(out, "x-accept", list(edit.accept) or None)
        _put(out, "x-max-bytes", edit.max_bytes)
    elif kind == "group":
        _put(out, "minItems", edit.min_items)
        _put(out, "maxItems", edit.max_items)
        _put_text(out, "x-add-label", edit.add_ar, edit.add_en)
    return out


def _detach(node: JSON, name: str) -> None:
    """Remove a field's declaration, its ``required`` entry and its ``x-order`` entry; an ``allOf``
    member left with nothing to declare goes too."""
    for holder, _ in list(holders(node)):
        props = holder.get("properties")
        if isinstance(props, dict):
            props.pop(name, None)
        req = holder.get("required")
        if isinstance(req, list) and name in req:
            req.remove(name)
            if not req and holder is not node:
                holder.pop("required")
    members = node.get("allOf")
    if isinstance(members, list):
        kept = [
            m
            for m in members
            if not (
                isinstance(m, Mapping)
                and condition_of(m.get("if")) is not None
                and isinstance(m.get("then"), Mapping)
                and not m["then"].get("properties")
                and set(m) <= {"if", "then"}
            )
        ]
        if kept:
            node["allOf"] = kept
        else:
            node.pop("allOf")
    if isinstance(node.get("x-order"), list) and name in node["x-order"]:
        node["x-order"].remove(name)
    if node is not None and isinstance(node.get("required"), list) and not node["required"]:
        node.pop("required")


def _attach(node: JSON, name: str, schema: JSON, required: bool, condition: Condition | None) -> None:
    """Declare a field in a container (unconditionally, or under the member of its condition)."""
    holder: JSON = node
    if condition is not None:
        wanted = condition_schema(condition)
        members = node.setdefault("allOf", [])
        member = next(
            (m for m in members if isinstance(m, dict) and m.get("if") == wanted and "then" in m), None
        )
        if member is None:
            member = {"if": wanted, "then": {"properties": {}}}
            members.append(member)
        holder = member["then"]
    holder.setdefault("properties", {})[name] = schema
    if required:
        req = holder.setdefault("required", [])
        if name not in req:
            req.append(name)


def _order(node: JSON, names: list[str]) -> None:
    node["x-order"] = names


def _refuse_if(errors: Mapping[str, str]) -> None:
    if errors:
        raise BuildRefused(errors)


def _context_errors(doc: JSON, where: str, edit: FieldEdit, current: str | None) -> dict[str, str]:
    """What the edit may not do in its container: a taken name, a group inside a group, a condition
    on a field that is not a choice or yes/no of the same container."""
    errors: dict[str, str] = {}
    node = container(doc, where)
    fields = {d.name: d for d in declared(node)} if node is not None else {}
    if edit.name in fields and edit.name != current:
        errors["name"] = "builder_err_name_taken"
    if where and edit.kind in CONTAINERS:
        errors["kind"] = "builder_err_nested_group"
    if edit.condition is not None:
        trigger = fields.get(edit.condition.field)
        if (
            trigger is None
            or trigger.name in (edit.name, current)
            or kind_of(trigger.schema) not in TRIGGER_KINDS
        ):
            errors["condition_field"] = "builder_err_condition_field"
        else:
            allowed = (
                {v for v, _, _ in choices_of(trigger.schema)}
                if kind_of(trigger.schema) == "choice_one"
                else {True, False}
            )
            if not set(edit.condition.values) <= allowed:
                errors["condition_values"] = "builder_err_condition_value"
    return errors


def add_field(doc: JSON, where: str, edit: FieldEdit) -> JSON:
    """A new field at the end of a container (``""``: the form)."""
    _refuse_if(check_edit(edit))
    out = copy.deepcopy(doc)
    node = container(out, where)
    if node is None:
        raise BuildRefused({"container": "builder_err_no_container"})
    _refuse_if(_context_errors(out, where, edit, None))
    names = [d.name for d in declared(node)]
    _attach(node, edit.name, apply_edit(base_schema(edit.kind), edit), edit.required, edit.condition)
    _order(node, [*names, edit.name])
    return out


def _triggers(node: Mapping[str, Any], name: str) -> list[str]:
    """The fields of a container shown only depending on ``name``."""
    return [d.name for d in declared(node) if d.condition is not None and d.condition.field == name]


def update_field(doc: JSON, path: str, edit: FieldEdit) -> JSON:
    """The field at ``path`` changed as edited (a new name, kind, labels, limits, condition…)."""
    _refuse_if(check_edit(edit))
    out = copy.deepcopy(doc)
    row = find(out, path)
    node = container(out, row.container) if row is not None else None
    if row is None or node is None:
        raise BuildRefused({"path": "builder_err_no_field"})
    errors = _context_errors(out, row.container, edit, row.name)
    if edit.name != row.name and _triggers(node, row.name):
        errors["name"] = "builder_err_trigger_in_use"
    if (
        row.kind in CONTAINERS
        and edit.kind != row.kind
        and container(out, row.name)
        and declared(container(out, row.name) or {})
    ):
        errors["kind"] = "builder_err_group_not_empty"
    _refuse_if(errors)
    schema = row.schema if edit.kind == row.kind else base_schema(edit.kind)
    names = [d.name for d in declared(node)]
    _detach(node, row.name)
    _attach(node, edit.name, apply_edit(schema, edit), edit.required, edit.condition)
    _order(node, [edit.name if n == row.name else n for n in names])
    return out


def remove_field(doc: JSON, path: str) -> JSON:
    out = copy.deepcopy(doc)
    row = find(out, path)
    node = container(out, row.container) if row is not None else None
    if row is None or node is None:
        raise BuildRefused({"path": "builder_err_no_field"})
    if _triggers(node, row.name):
        raise BuildRefused({"path": "builder_err_trigger_in_use"})
    names = [d.name for d in declared(node) if d.name != row.name]
    _detach(node, row.name)
    _order(node, names)
    return out


def move_field(doc: JSON, path: str, step: int) -> JSON:
    """The field one place up (``-1``) or down (``1``) among its container's fields."""
    out = copy.deepcopy(doc)
    row = find(out, path)
    node = container(out, row.container) if row is not None else None
    if row is None or node is None:
        raise BuildRefused({"path": "builder_err_no_field"})
    names = [d.name for d in declared(node)]
    index = names.index(row.name)
    other = index + step
    if 0 <= other < len(names):
        names[index], names[other] = names[other], names[index]
    _order(node, names)
    return out


def move_into(doc: JSON, path: str, target: str) -> JSON:
    """The field moved to the end of another container (``""``: the form itself); a field with a
    condition, or one another field's condition reads, stays where its condition is."""
    out = copy.deepcopy(doc)
    row = find(out, path)
    source = container(out, row.container) if row is not None else None
    into = container(out, target)
    if row is None or source is None:
        raise BuildRefused({"path": "builder_err_no_field"})
    if into is None or target == row.name or (target and row.kind in CONTAINERS):
        raise BuildRefused({"target": "builder_err_no_container"})
    if row.condition is not None or _triggers(source, row.name):
        raise BuildRefused({"target": "builder_err_move_conditional"})
    if any(d.name == row.name for d in declared(into)):
        raise BuildRefused({"target": "builder_err_name_taken"})
    kept = [d.name for d in declared(source) if d.name != row.name]
    _detach(source, row.name)
    _order(source, kept)
    names = [d.name for d in declared(into)]
    _attach(into, row.name, row.schema, row.required, None)
    _order(into, [*names, row.name])
    return out


def set_title(doc: JSON, ar: str, en: str) -> JSON:
    """The form's own title (``x-title`` at its root), in both languages."""
    errors = {
        key: "builder_err_label_missing"
        for key, text in (("form_title_ar", ar), ("form_title_en", en))
        if not text
    }
    _refuse_if(errors)
    return {**doc, "x-title": {"ar": ar, "en": en}}
