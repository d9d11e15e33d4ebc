"""A form document as the builders read it: the kind of each field, its choices, and the fields of
each container (the form, a repeatable group's items, a section) with their conditions.

See :mod:`server.admin.form_builder` for the shapes the builder writes (and so reads back).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any

import msgspec

from server.admin.builder_edits import Condition

JSON = dict[str, Any]
CONTAINERS = ("group", "section")
MOBILE_PATTERN = "^(05[0-9]{8}|\\+?[1-9][0-9]{7,14})$"


def base_schema(kind: str) -> JSON:
    """A new field of ``kind`` (labels and limits are added from the edit)."""
    shapes: dict[str, JSON] = {
        "short_text": {"type": "string", "maxLength": 200},
        "long_text": {"type": "string", "maxLength": 2000, "x-widget": "textarea", "x-rows": 4},
        "number": {"type": "number"},
        "date": {"type": "string", "format": "date"},
        "time": {"type": "string", "format": "time"},
        "choice_one": {"type": "string", "x-widget": "select"},
        "choice_many": {"type": "array", "uniqueItems": True, "items": {"type": "string"}},
        "yes_no": {"type": "boolean"},
        "email": {"type": "string", "format": "email", "maxLength": 254},
        "mobile": {"type": "string", "x-widget": "tel", "pattern": MOBILE_PATTERN},
        "file": {"type": "string", "x-widget": "file", "x-max-bytes": 5 * 1024 * 1024},
        "member": {"type": "string", "minLength": 1, "x-department-member": True, "x-widget": "select"},
        "group": {"type": "array", "minItems": 1, "items": {"type": "object", "properties": {}}},
        "section": {"type": "object", "properties": {}},
    }
    return copy.deepcopy(shapes[kind])


def _items(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    items = schema.get("items")
    return items if isinstance(items, Mapping) else {}


def kind_of(schema: Mapping[str, Any]) -> str:
    """The builder's kind of a field's schema; ``other`` for what only the JSON view edits."""
    kind, widget = schema.get("type"), schema.get("x-widget")
    if kind == "array":
        items = _items(schema)
        if items.get("type") == "object":
            return "group"
        return "choice_many" if "oneOf" in items or "enum" in items else "other"
    if kind == "object":
        return "section"
    if widget == "file":
        return "file"
    if schema.get("x-department-member") is True:
        return "member"
    if kind == "boolean":
        return "yes_no"
    if "oneOf" in schema or "enum" in schema:
        return "choice_one"
    if kind in ("number", "integer"):
        return "number"
    if kind != "string":
        return "other"
    return {"date": "date", "time": "time", "email": "email"}.get(str(schema.get("format")), "") or {
        "tel": "mobile",
        "textarea": "long_text",
    }.get(str(widget), "short_text")


def choices_of(schema: Mapping[str, Any]) -> list[tuple[Any, str, str]]:
    """(value, Arabic, English) of a choice field's options (a choice-many field's items')."""
    node = _items(schema) if schema.get("type") == "array" else schema
    options = node.get("oneOf")
    if isinstance(options, list):
        out = []
        for option in options:
            if isinstance(option, Mapping) and "const" in option:
                title = option.get("x-title") or {}
                out.append((option["const"], str(title.get("ar", "")), str(title.get("en", ""))))
        return out
    enum = node.get("enum")
    return [(v, str(v), str(v)) for v in enum] if isinstance(enum, list) else []


# --- reading a form --------------------------------------------------------------------------------


def condition_of(branch: Any) -> Condition | None:
    """The condition of an ``if`` the builder writes: one field equal to a value or one of values."""
    if not isinstance(branch, Mapping) or set(branch) - {"required", "properties"}:
        return None
    props = branch.get("properties")
    if not isinstance(props, Mapping) or len(props) != 1:
        return None
    ((name, test),) = props.items()
    if not isinstance(test, Mapping) or branch.get("required", [name]) != [name]:
        return None
    if set(test) == {"const"}:
        return Condition(field=name, values=(test["const"],))
    if set(test) == {"enum"} and isinstance(test["enum"], list) and test["enum"]:
        return Condition(field=name, values=tuple(test["enum"]))
    return None


def condition_schema(condition: Condition) -> JSON:
    values = list(condition.values)
    test = {"const": values[0]} if len(values) == 1 else {"enum": values}
    return {"required": [condition.field], "properties": {condition.field: test}}


def holders(node: Mapping[str, Any]) -> Iterator[tuple[Any, Condition | None]]:
    """Where a container declares fields: itself, and each ``then`` whose ``if`` the builder reads."""
    yield node, None
    members = node.get("allOf")
    for member in [node, *(members if isinstance(members, list) else [])]:
        if isinstance(member, Mapping) and isinstance(member.get("then"), Mapping):
            condition = condition_of(member.get("if"))
            if condition is not None:
                yield member["then"], condition


class Declared(msgspec.Struct, frozen=True):
    name: str
    schema: JSON
    required: bool
    condition: Condition | None


def declared(node: Mapping[str, Any]) -> list[Declared]:
    """A container's fields in their order (``x-order``, then as written)."""
    found: dict[str, Declared] = {}
    for holder, condition in holders(node):
        props = holder.get("properties")
        listed = holder.get("required")
        required: list[Any] = listed if isinstance(listed, list) else []
        for name, schema in (props if isinstance(props, Mapping) else {}).items():
            if isinstance(schema, dict) and name not in found:
                found[name] = Declared(name, schema, name in required, condition)
    listed_order = node.get("x-order")
    order: list[Any] = listed_order if isinstance(listed_order, list) else []
    names = [n for n in order if n in found] + [n for n in found if n not in order]
    return [found[n] for n in names]


def container(doc: JSON, name: str) -> JSON | None:
    """The object schema holding a container's fields: the form (``""``), a group's items, a section."""
    if not name:
        return doc
    field = next((d for d in declared(doc) if d.name == name), None)
    if field is None:
        return None
    kind = kind_of(field.schema)
    if kind == "group":
        items = field.schema["items"]
        return items if isinstance(items, dict) else None
    return field.schema if kind == "section" else None


class FieldRow(msgspec.Struct, frozen=True):
    path: str
    """``name``, or ``group.name`` for a field of a group or section."""
    container: str
    name: str
    kind: str
    title: Mapping[str, str]
    required: bool
    condition: Condition | None
    schema: JSON


def rows(doc: JSON) -> list[FieldRow]:
    """Every field the builder lists, each container followed by its fields."""
    out: list[FieldRow] = []

    def add(node: JSON, where: str) -> None:
        for d in declared(node):
            given = d.schema.get("x-title")
            title: Mapping[str, str] = given if isinstance(given, Mapping) else {}
            path = f"{where}.{d.name}" if where else d.name
            kind = kind_of(d.schema)
            out.append(FieldRow(path, where, d.name, kind, title, d.required, d.condition, d.schema))
            inner = container(doc, d.name) if not where and kind in CONTAINERS else None
            if inner is not None:
                add(inner, d.name)

    add(doc, "")
    return out


def find(doc: JSON, path: str) -> FieldRow | None:
    return next((r for r in rows(doc) if r.path == path), None)
