"""Reading a form schema the way the renderer and the coercion need it.

An object's fields are gathered from its ``properties`` and from every part that can declare more:
``allOf`` members, ``if``/``then``/``else`` branches, ``dependentSchemas`` and ``dependentRequired``.
A field declared only under a branch is *conditional*: it applies when the branch's condition
holds for the current data. Conditions are evaluated with jsonschema against the object's data (an
``if`` schema is small, and evaluating it with the reference validator of the form's draft keeps its
meaning exact, ``$ref`` included).

A schema may refer to itself (a tree of nested objects): every walk here keeps the nodes on its
current path and does not enter one twice; the renderer stops at :data:`MAX_DEPTH`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from server.definitions.dialect import python_validator_class
from server.definitions.model import Form

JSON = Mapping[str, Any]
_MAX_REF_DEPTH = 32
MAX_DEPTH = 12
"""How deep the renderer and the coercion follow nested objects and arrays (a ``$ref`` may recurse)."""
MAX_FIELDS = 2000
"""The most fields one form view holds (a recursive ``$ref`` could otherwise grow without end)."""
_FIELD_KEYS = ("type", "$ref", "oneOf", "anyOf", "enum", "const", "x-widget", "items", "properties")


def resolve(root: JSON, node: Any) -> JSON:
    """``node`` with local ``$ref`` (``#/$defs/NAME``) followed; keywords beside a ``$ref`` win."""
    merged: dict[str, Any] = {}
    for _ in range(_MAX_REF_DEPTH):
        if not isinstance(node, Mapping):
            break
        for key, value in node.items():
            if key != "$ref":
                merged.setdefault(key, value)
        ref = node.get("$ref")
        # a JSON pointer from the form's root; an anchor, an embedded $id's reference or a $dynamicRef is
        # not followed here (the field shows as a plain input; the validator resolves it as the standard does)
        if not (isinstance(ref, str) and (ref == "#" or ref.startswith("#/"))):
            break
        target: Any = root
        for part in ref[1:].split("/")[1:]:
            part = part.replace("~1", "/").replace("~0", "~")
            target = target.get(part) if isinstance(target, Mapping) else None
        node = target
    return merged


def leaf(root: JSON, node: Any, seen: frozenset[int] = frozenset()) -> JSON:
    """A field's schema: ``$ref`` followed and ``allOf`` members folded in (the field's own keys win)."""
    if id(node) in seen or len(seen) > _MAX_REF_DEPTH:
        return {}
    seen = seen | {id(node)}
    merged = dict(resolve(root, node))
    members = merged.pop("allOf", None)
    for member in members if isinstance(members, list) else ():
        for key, value in leaf(root, member, seen).items():
            merged.setdefault(key, value)
    return merged


def json_type(schema: JSON) -> str | None:
    """The JSON type of a field: its ``type`` (the first that is not ``null``), else its choices' type."""
    declared = schema.get("type")
    if isinstance(declared, list):
        declared = next((t for t in declared if t != "null"), None)
    if isinstance(declared, str):
        return declared
    values = [value for value, _ in choices(schema)]
    if values:
        if all(isinstance(v, bool) for v in values):
            return "boolean"
        if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            return "integer"
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            return "number"
        if all(isinstance(v, str) for v in values):
            return "string"
    if "properties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return None


def choices(schema: JSON) -> list[tuple[Any, JSON]]:
    """The options of a choice field as (value, its schema): ``oneOf``/``anyOf`` of ``const``, or ``enum``."""
    for key in ("oneOf", "anyOf"):
        options = schema.get(key)
        if (
            isinstance(options, list)
            and options
            and all(isinstance(o, Mapping) and "const" in o for o in options)
        ):
            return [(o["const"], o) for o in options]
    enum = schema.get("enum")
    if isinstance(enum, list):
        return [(value, {}) for value in enum]
    return []


def option_value(value: Any) -> str:
    """How a choice's value travels in a form post."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def is_field(node: Any) -> bool:
    """A property schema that declares a field (not merely constrains one inside a branch)."""
    return isinstance(node, Mapping) and any(key in node for key in _FIELD_KEYS)


# --- an object's fields and their conditions -----------------------------------------------

# A predicate on an object's data: ("if", schema, expected outcome) or ("present", field name).
Predicate = tuple[str, Any, bool]
Condition = tuple[Predicate, ...]
"""A conjunction of predicates; ``()`` always holds."""


class Slot(msgspec.Struct):
    """One field of an object, with what the current data makes of it."""

    name: str
    schema: JSON
    required: bool
    conditional: bool
    visible: bool
    trigger: bool
    """Some condition of this object reads this field: changing it may show or hide others."""


class _Gathered(msgspec.Struct):
    declarations: dict[str, list[tuple[Any, Condition]]] = msgspec.field(default_factory=dict)
    required: list[tuple[str, Condition]] = msgspec.field(default_factory=list)
    triggers: set[str] = msgspec.field(default_factory=set)


def _gather(
    root: JSON,
    node: Any,
    condition: Condition,
    into: _Gathered,
    alternative: bool,
    depth: int,
    seen: frozenset[int] = frozenset(),
) -> None:
    if id(node) in seen:  # a schema that refers back to one enclosing it adds nothing new
        return
    seen = seen | {id(node)}
    node = resolve(root, node)
    if not node or depth > _MAX_REF_DEPTH:
        return
    for name, sub in (node.get("properties") or {}).items():
        if (not condition and not alternative) or is_field(sub):
            into.declarations.setdefault(name, []).append((sub, condition))
    if not alternative:
        for name in node.get("required") or ():
            into.required.append((name, condition))
    for member in node.get("allOf") or ():
        _gather(root, member, condition, into, alternative, depth + 1, seen)
    for key in ("anyOf", "oneOf"):
        for member in node.get(key) or ():
            if isinstance(member, Mapping) and "const" not in member:
                _gather(root, member, condition, into, True, depth + 1, seen)
    if "if" in node:
        test = resolve(root, node["if"])
        into.triggers.update(test.get("properties") or {})
        into.triggers.update(test.get("required") or ())
        for key, expected in (("then", True), ("else", False)):
            if key in node:
                branch = (*condition, ("if", node["if"], expected))
                _gather(root, node[key], branch, into, alternative, depth + 1, seen)
    for trigger, names in (node.get("dependentRequired") or {}).items():
        into.triggers.add(trigger)
        for name in names:
            into.required.append((name, (*condition, ("present", trigger, True))))
    for trigger, sub in (node.get("dependentSchemas") or {}).items():
        into.triggers.add(trigger)
        _gather(root, sub, (*condition, ("present", trigger, True)), into, alternative, depth + 1, seen)
    for trigger, dependency in (node.get("dependencies") or {}).items():  # draft-07: names or a schema
        into.triggers.add(trigger)
        present = (*condition, ("present", trigger, True))
        if isinstance(dependency, list):
            into.required.extend((name, present) for name in dependency)
        else:
            _gather(root, dependency, present, into, alternative, depth + 1, seen)


class Conditions:
    """Evaluates conditions against an object's data, with the form's own validator (for ``$ref``)."""

    def __init__(self, form: Form) -> None:
        self._root = python_validator_class(form.schema)(form.schema)

    def holds(self, condition: Condition, data: Mapping[str, Any]) -> bool:
        for kind, argument, expected in condition:
            if kind == "present":
                outcome = argument in data
            else:
                outcome = self._root.evolve(schema=argument).is_valid(data)
            if outcome != expected:
                return False
        return True


_conditions: dict[int, tuple[Form, Conditions]] = {}


def conditions_for(form: Form) -> Conditions:
    cached = _conditions.get(id(form))
    if cached is None or cached[0] is not form:
        if len(_conditions) > 512:
            _conditions.clear()
        cached = (form, Conditions(form))
        _conditions[id(form)] = cached
    return cached[1]


def layout(root: JSON, node: Any, data: Mapping[str, Any], conditions: Conditions) -> list[Slot]:
    """The fields of the object schema ``node`` in display order, given the object's ``data``."""
    gathered = _Gathered()
    _gather(root, node, (), gathered, False, 0)
    order: list[str] = [
        name for name in (resolve(root, node).get("x-order") or ()) if name in gathered.declarations
    ]
    order += [name for name in gathered.declarations if name not in order]
    slots = []
    for name in order:
        declarations = gathered.declarations[name]
        always = [sub for sub, cond in declarations if not cond]
        applying = [sub for sub, cond in declarations if cond and conditions.holds(cond, data)]
        chosen = (always or applying or [declarations[0][0]])[0]
        requirements = [cond for required, cond in gathered.required if required == name]
        slots.append(
            Slot(
                name=name,
                schema=leaf(root, chosen),
                required=any(conditions.holds(cond, data) for cond in requirements),
                conditional=not always or any(requirements),
                visible=bool(always or applying),
                trigger=name in gathered.triggers,
            )
        )
    return slots


def item_schema(root: JSON, array: JSON) -> JSON:
    """The schema of an array's items (``items``, else the first ``prefixItems`` — or of draft-07's
    ``items`` list)."""
    items = array.get("items")
    if not isinstance(items, Mapping):
        prefix = items if isinstance(items, list) else array.get("prefixItems")
        items = prefix[0] if isinstance(prefix, list) and prefix else {}
    return leaf(root, items)


def schema_at(root: JSON, pointer: Sequence[str], conditions: Conditions) -> JSON | None:
    """The field schema at a data path (``["requested_items", "0"]`` is the first row's schema)."""
    node: JSON = leaf(root, root)
    for part in pointer:
        if json_type(node) == "array":
            node = item_schema(root, node)
            continue
        slot = next((s for s in layout(root, node, {}, conditions) if s.name == part), None)
        if slot is None:
            return None
        node = slot.schema
    return node
