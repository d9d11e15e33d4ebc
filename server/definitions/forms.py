"""What the loader needs to know about a form schema: its fields, their types, and missing labels.

The renderer and the validator read the JSON Schema itself; this module only answers the
cross-reference questions ("does the form have a field ``employee_id``, and of what type?").
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from server.definitions.errors import pointer
from server.definitions.expressions import ExprType

_JSON_TYPES = {
    "string": ExprType.STRING,
    "integer": ExprType.INTEGER,
    "number": ExprType.NUMBER,
    "boolean": ExprType.BOOLEAN,
    "array": ExprType.LIST,
    "object": ExprType.ANY,
    "null": ExprType.NULL,
}
_CONDITIONAL = ("then", "else")
_BRANCHES = ("allOf", "anyOf", "oneOf")


def resolve(schema: Mapping[str, Any], node: Any) -> Any:
    """Follow a local ``$ref`` (``#/$defs/NAME``) once; other nodes are returned as they are."""
    if isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
        ref: str = node["$ref"]
        if ref.startswith("#/"):
            target: Any = schema
            for part in ref[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(target, Mapping) or part not in target:
                    return node
                target = target[part]
            return target
    return node


def field_type(schema: Mapping[str, Any], node: Any) -> ExprType:
    """The expression type of a field schema."""
    node = resolve(schema, node)
    if not isinstance(node, Mapping):
        return ExprType.ANY
    declared = node.get("type")
    if isinstance(declared, str):
        return _JSON_TYPES.get(declared, ExprType.ANY)
    values = [node["const"]] if "const" in node else list(node.get("enum", ()))
    for key in _BRANCHES:
        for option in node.get(key, ()):
            if isinstance(option, Mapping) and "const" in option:
                values.append(option["const"])
    if values:
        kinds = {type(v) for v in values}
        if kinds == {str}:
            return ExprType.STRING
        if kinds == {bool}:
            return ExprType.BOOLEAN
        if kinds <= {int}:
            return ExprType.INTEGER
        if kinds <= {int, float}:
            return ExprType.NUMBER
    return ExprType.ANY


def _property_sources(schema: Mapping[str, Any], node: Any) -> Iterator[Mapping[str, Any]]:
    """The object schemas whose ``properties`` are fields of ``node``: itself and its conditional parts."""
    node = resolve(schema, node)
    if not isinstance(node, Mapping):
        return
    yield node
    for key in _CONDITIONAL:
        yield from _property_sources(schema, node.get(key))
    for key in _BRANCHES:
        for option in node.get(key, ()):
            yield from _property_sources(schema, option)
    for dependent in (node.get("dependentSchemas") or {}).values():
        yield from _property_sources(schema, dependent)


def properties(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The top-level field schemas of a form (conditional ones included; the first declaration wins)."""
    found: dict[str, Any] = {}
    for source in _property_sources(schema, schema):
        for name, sub in (source.get("properties") or {}).items():
            found.setdefault(name, sub)
    return found


def fields(schema: Mapping[str, Any]) -> dict[str, ExprType]:
    """The top-level fields of a form (including conditional ones) and their types."""
    found: dict[str, ExprType] = {}
    for source in _property_sources(schema, schema):
        for name, sub in (source.get("properties") or {}).items():
            kind = field_type(schema, sub)
            if name not in found or found[name] is ExprType.ANY:
                found[name] = kind
    return found


def _is_field(node: Any) -> bool:
    """A property schema that declares a field, not merely constrains one inside a condition."""
    return isinstance(node, Mapping) and any(
        key in node for key in ("type", "$ref", "oneOf", "anyOf", "x-widget", "items", "properties")
    )


def label_problems(schema: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(pointer, message) for each rendered field or option without a bilingual ``x-title``,
    each ``required`` or ``x-order`` name that is not a field."""
    yield from _walk(schema, schema, ())


def requester_problems(schema: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """``x-requester`` must name fields of the form."""
    declared = fields(schema)
    for role, name in (schema.get("x-requester") or {}).items():
        if name not in declared:
            yield pointer("x-requester", role), f"{name!r} is not a field of this form"


def _walk(schema: Mapping[str, Any], node: Any, path: tuple[str | int, ...]) -> Iterator[tuple[str, str]]:
    if not isinstance(node, Mapping):
        return
    declared = {
        name for source in _property_sources(schema, node) for name in (source.get("properties") or {})
    }
    for source_key in ("required", "x-order"):
        for index, name in enumerate(node.get(source_key) or ()):
            if name not in declared and _is_object(schema, node):
                yield pointer(*path, source_key, index), f"{name!r} is not a field of this form"
    for name, sub in (node.get("properties") or {}).items():
        here = (*path, "properties", name)
        if _is_field(sub) and "x-title" not in sub:
            yield pointer(*here), f"the field {name!r} has no x-title (its Arabic and English label)"
        yield from _options(sub, here)
        yield from _walk(schema, sub, here)
        items = sub.get("items") if isinstance(sub, Mapping) else None
        if isinstance(items, Mapping):
            yield from _options(items, (*here, "items"))
            yield from _walk(schema, items, (*here, "items"))
    for key in _CONDITIONAL:
        yield from _walk(schema, node.get(key), (*path, key))
    for key in _BRANCHES:
        for index, option in enumerate(node.get(key) or ()):
            if isinstance(option, Mapping) and "const" not in option:
                yield from _walk(schema, option, (*path, key, index))
    for name, sub in (node.get("$defs") or {}).items():
        yield from _walk(schema, sub, (*path, "$defs", name))


def _is_object(schema: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    return node.get("type") == "object" or "properties" in node


def _options(node: Any, path: tuple[str | int, ...]) -> Iterator[tuple[str, str]]:
    """Choices written as ``oneOf``/``anyOf`` of ``const`` need a label each."""
    if not isinstance(node, Mapping):
        return
    for key in ("oneOf", "anyOf"):
        for index, option in enumerate(node.get(key) or ()):
            if isinstance(option, Mapping) and "const" in option and "x-title" not in option:
                yield pointer(*path, key, index), f"the option {option['const']!r} has no x-title"
