"""What the loader needs to know about a form schema: its fields, their types, and their labels.

The renderer and the validator read the JSON Schema itself; this module only answers the
cross-reference questions ("does the form have a field ``employee_id``, and of what type?").

Labels. A field's label is its ``x-title`` (Arabic and English); a form written as plain JSON Schema
has ``title`` (one language) instead, shown as written in both languages, and ``description`` for
``x-help``; a field with neither is labelled by its name (an option by its value). None of these is
an error: :func:`label_warnings` names each label missing in a language, which ``khidma check``
prints as a warning.

References. A ``$ref`` may point anywhere the standard allows, and may recur (a tree of nested
objects): every walk here keeps the nodes on its current path and never enters one twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from server.definitions.errors import pointer
from server.definitions.expressions import ExprType
from server.definitions.model import Text

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
    """The object schemas whose ``properties`` are fields of ``node``: itself and its conditional parts
    (each once along a path: a ``$ref`` back to an enclosing schema adds nothing new)."""
    return _sources(schema, node, frozenset())


def _sources(schema: Mapping[str, Any], node: Any, seen: frozenset[int]) -> Iterator[Mapping[str, Any]]:
    node = resolve(schema, node)
    if not isinstance(node, Mapping) or id(node) in seen:
        return
    seen = seen | {id(node)}
    yield node
    for key in _CONDITIONAL:
        yield from _sources(schema, node.get(key), seen)
    for key in _BRANCHES:
        for option in node.get(key) or ():
            yield from _sources(schema, option, seen)
    for key in ("dependentSchemas", "dependencies"):  # dependencies: draft-07
        dependents = node.get(key)
        for dependent in dependents.values() if isinstance(dependents, Mapping) else ():
            yield from _sources(schema, dependent, seen)


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
    """(pointer, message) for each ``required`` or ``x-order`` name that is not a field."""
    for ptr, message, level in _walk(schema, schema, ()):
        if level == "error":
            yield ptr, message


def label_warnings(schema: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(pointer, message) for each label missing in a language: the form's, a field's or an option's
    (see the module's doc)."""
    if "x-title" not in schema:
        yield "", _missing("the form", schema.get("title"), "its file name")
    for ptr, message, level in _walk(schema, schema, ()):
        if level == "warning":
            yield ptr, message


_ARABIC = range(0x0600, 0x0700)


def _missing(what: str, title: Any, fallback: str) -> str:
    """The warning for a label written in one language (a plain ``title``) or in none."""
    if isinstance(title, str) and title.strip():
        arabic = any(ord(c) in _ARABIC for c in title)
        written, missing = ("Arabic", "English") if arabic else ("English", "Arabic")
        return (
            f"{what} has a title in {written} only, shown as written on {missing} pages: "
            f'add x-title {{"ar": ..., "en": ...}} for a label in both languages'
        )
    return f"{what} has no title: it is labelled by {fallback} in both languages (add x-title)"


def text_of(node: Any, key: str, plain: str) -> Text | None:
    """A bilingual text: ``node[key]`` (an ``x-`` text), else the standard keyword ``node[plain]``
    (``title``, ``description``) as written, in both languages."""
    if not isinstance(node, Mapping):
        return None
    value = node.get(key)
    if isinstance(value, Mapping) and isinstance(value.get("ar"), str) and isinstance(value.get("en"), str):
        return Text(ar=value["ar"], en=value["en"])
    written = node.get(plain)
    if isinstance(written, str) and written.strip():
        return Text(ar=written, en=written)
    return None


def label(node: Any, lang: str, fallback: str) -> str:
    """A field's (or option's) label in ``lang``: ``x-title``, else ``title``, else ``fallback``."""
    text = text_of(node, "x-title", "title")
    return text.get(lang) if text is not None else fallback


def form_title(schema: Mapping[str, Any], fallback: Text) -> Text:
    """A form's title: its ``x-title``, else its ``title`` in both languages, else ``fallback``."""
    return text_of(schema, "x-title", "title") or fallback


def requester_problems(schema: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """``x-requester`` must name fields of the form."""
    declared = fields(schema)
    for role, name in (schema.get("x-requester") or {}).items():
        if name not in declared:
            yield pointer("x-requester", role), f"{name!r} is not a field of this form"


def _walk(
    schema: Mapping[str, Any], node: Any, path: tuple[str | int, ...]
) -> Iterator[tuple[str, str, str]]:
    """(pointer, message, "error" or "warning") along the document's own tree (a ``$ref`` is not
    followed here: its target is walked where it is written)."""
    if not isinstance(node, Mapping):
        return
    declared = {
        name for source in _property_sources(schema, node) for name in (source.get("properties") or {})
    }
    for source_key in ("required", "x-order"):
        for index, name in enumerate(node.get(source_key) or ()):
            if name not in declared and _is_object(schema, node):
                # a nested object may require a property it does not declare (the standard allows it),
                # but no page can fill it in; a form's own field must be declared
                level = "warning" if source_key == "required" and path else "error"
                yield pointer(*path, source_key, index), f"{name!r} is not a field of this form", level
    properties = node.get("properties")
    for name, sub in properties.items() if isinstance(properties, Mapping) else ():
        here = (*path, "properties", name)
        if _is_field(sub) and "x-title" not in sub:
            yield pointer(*here), _missing(f"the field {name!r}", sub.get("title"), "its name"), "warning"
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
    for defs in ("$defs", "definitions"):
        for name, sub in (node.get(defs) or {}).items():
            yield from _walk(schema, sub, (*path, defs, name))


def _is_object(schema: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    return node.get("type") == "object" or "properties" in node


def _options(node: Any, path: tuple[str | int, ...]) -> Iterator[tuple[str, str, str]]:
    """Choices written as ``oneOf``/``anyOf`` of ``const`` are labelled each."""
    if not isinstance(node, Mapping):
        return
    for key in ("oneOf", "anyOf"):
        for index, option in enumerate(node.get(key) or ()):
            if isinstance(option, Mapping) and "const" in option and "x-title" not in option:
                what = f"the option {option['const']!r}"
                yield pointer(*path, key, index), _missing(what, option.get("title"), "its value"), "warning"
