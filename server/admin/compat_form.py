"""The requester's form of two versions compared: every field added, removed, possibly renamed, made
required or optional, relabelled, and every constraint tightened, loosened or changed — at any depth
(a repeatable group's fields, a section's fields). Paths name fields the way the definition does,
without the JSON Schema plumbing: ``requested_items/item`` is the ``item`` of each row of
``requested_items``.

The tickets a form change concerns are the open ones whose data breaks it: each ticket's data is
validated once against the new form, and its errors are matched to the differences by path."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from server.admin.difference import Difference, count_states
from server.definitions.catalogue import CompiledService
from server.definitions.forms import fields, properties, resolve
from server.store.records import Ticket
from server.validation import validate

UPPER = ("maxLength", "maximum", "exclusiveMaximum", "maxItems", "maxProperties", "x-max-bytes")
"""A smaller value (or a new one) tightens."""
LOWER = ("minLength", "minimum", "exclusiveMinimum", "minItems", "minProperties")
"""A larger value (or a new one) tightens."""
CHANGED = ("type", "pattern", "format", "const", "multipleOf", "x-accept", "uniqueItems", "x-widget")
"""Any change may break a stored value."""
HANDLED = frozenset({*UPPER, *LOWER, *CHANGED, "enum", "x-title", "properties", "items", "required", "$ref"})
"""Keywords compared one by one; any other that differs is reported as it is (``field_other``)."""
HARMLESS = frozenset({"title", "description", "examples", "default", "$comment", "deprecated", "readOnly"})
"""Keywords that validate nothing (nor do the ``x-`` hints)."""
FORM = "(form)"
"""The subject of a difference of the form as a whole (a condition, the order of its fields…)."""


def _show(value: Any, limit: int = 300) -> str:
    if value is None:
        return "—"
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _others(
    path: str, old: Mapping[str, Any], new: Mapping[str, Any], skip: frozenset[str]
) -> Iterator[Difference]:
    """Every other keyword that differs, as it is: a condition (``if``/``then``, ``allOf``…), a hint."""
    for key in sorted((set(old) | set(new)) - skip):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        if key in ("oneOf", "anyOf") and (choices(old) is not None or choices(new) is not None):
            if choices(old) != choices(new):
                continue  # reported as choices narrowed or widened
            breaking = False  # the same values, other labels
        else:
            breaking = not key.startswith("x-") and key not in HARMLESS
        yield Difference("field_other", path or FORM, f"{key}: {_show(a)} → {_show(b)}", breaking=breaking)


def choices(node: Mapping[str, Any]) -> list[Any] | None:
    """The values a field allows when it is a choice (``enum`` or ``oneOf``/``anyOf`` of ``const``)."""
    if "enum" in node and isinstance(node["enum"], list):
        return list(node["enum"])
    for key in ("oneOf", "anyOf"):
        options = node.get(key)
        if (
            isinstance(options, list)
            and options
            and all(isinstance(o, Mapping) and "const" in o for o in options)
        ):
            return [o["const"] for o in options]
    return None


def _required(node: Mapping[str, Any]) -> set[str]:
    return {str(n) for n in node.get("required") or () if isinstance(n, str)}


def _constraints(path: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[Difference]:
    for key in (*UPPER, *LOWER):
        a, b = old.get(key), new.get(key)
        if a == b or not (isinstance(a, int | float | None) and isinstance(b, int | float | None)):
            continue
        if b is None:
            tighter = False
        elif a is None:
            tighter = True
        else:
            tighter = b < a if key in UPPER else b > a
        kind = "constraint_tightened" if tighter else "constraint_loosened"
        yield Difference(kind, path, f"{key}: {_show(a)} → {_show(b)}", breaking=tighter)
    for key in CHANGED:
        a, b = old.get(key), new.get(key)
        if a != b:
            yield Difference("constraint_changed", path, f"{key}: {_show(a)} → {_show(b)}", breaking=True)
    before, after = choices(old), choices(new)
    if before is not None and after is not None and before != after:
        gone = [v for v in before if v not in after]
        added = [v for v in after if v not in before]
        if gone:
            detail = "− " + ", ".join(_show(v) for v in gone)
            if added:
                detail += "; + " + ", ".join(_show(v) for v in added)
            yield Difference("choices_narrowed", path, detail, breaking=True)
        elif added:
            yield Difference("choices_widened", path, "+ " + ", ".join(_show(v) for v in added))
    elif before is None and after is not None:
        yield Difference("choices_narrowed", path, "+ " + ", ".join(_show(v) for v in after), breaking=True)
    if old.get("x-title") != new.get("x-title") and "x-title" in old and "x-title" in new:
        yield Difference("field_label", path, f"{_show(old.get('x-title'))} → {_show(new.get('x-title'))}")
    yield from _others(path, old, new, HANDLED)


def _compare(
    path: str,
    old_root: Mapping[str, Any],
    new_root: Mapping[str, Any],
    old: Any,
    new: Any,
    depth: int = 0,
) -> Iterator[Difference]:
    """The differences of one field (and of the fields inside it)."""
    old, new = resolve(old_root, old), resolve(new_root, new)
    if not isinstance(old, Mapping) or not isinstance(new, Mapping) or depth > 16:
        if old != new:
            yield Difference("constraint_changed", path, f"{_show(old)} → {_show(new)}", breaking=True)
        return
    yield from _constraints(path, old, new)
    if "properties" in old or "properties" in new:
        yield from _members(path, old_root, new_root, old, new, depth)
    if "items" in old or "items" in new:
        yield from _compare(path, old_root, new_root, old.get("items"), new.get("items"), depth + 1)


def _members(
    base: str,
    old_root: Mapping[str, Any],
    new_root: Mapping[str, Any],
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    depth: int,
) -> Iterator[Difference]:
    """The fields inside an object (the form itself, a section, a group's row)."""
    if depth == 0:
        old_fields, new_fields = properties(old_root), properties(new_root)
    else:
        old_fields, new_fields = dict(old.get("properties") or {}), dict(new.get("properties") or {})
    old_required, new_required = _required(old), _required(new)
    prefix = f"{base}/" if base else ""
    for name in new_fields:
        if name not in old_fields:
            required = name in new_required
            yield Difference(
                "field_added",
                prefix + name,
                "required" if required else "optional",
                breaking=required and "default" not in (resolve(new_root, new_fields[name]) or {}),
            )
    for name in old_fields:
        if name not in new_fields:
            yield Difference("field_removed", prefix + name, breaking=True)
    for name in old_fields:
        if name not in new_fields:
            continue
        if name in new_required and name not in old_required:
            yield Difference("field_required", prefix + name, breaking=True)
        elif name in old_required and name not in new_required:
            yield Difference("field_optional", prefix + name)
        yield from _compare(prefix + name, old_root, new_root, old_fields[name], new_fields[name], depth + 1)


def rename_suspects(old: CompiledService, new: CompiledService) -> list[tuple[str, str]]:
    """(removed field, added field) pairs of the same type: perhaps one field under a new name."""
    before, after = fields(old.form.schema), fields(new.form.schema)
    removed = [n for n in before if n not in after]
    added = [n for n in after if n not in before]
    return [(r, a) for r in removed for a in added if before[r] is after[a]]


def schema_path(pointer: str) -> str:
    """``/requested_items/0/item`` (a pointer into the data) → ``requested_items/item``."""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
    return "/".join(p for p in parts if not p.isdigit())


def has_value(data: Any, parts: Sequence[str]) -> bool:
    """Whether ``data`` holds a filled value at the field path ``parts`` (through every group row)."""
    if isinstance(data, list):
        return any(has_value(row, parts) for row in data)
    if not parts:
        return data not in (None, "", [], {})
    return isinstance(data, Mapping) and has_value(data.get(parts[0]), parts[1:])


def broken_paths(new: CompiledService, ticket: Ticket) -> set[str]:
    """The field paths of ``ticket``'s data that the new form refuses."""
    return {schema_path(error.path) for error in validate(new.form, ticket.data)}


def form_differences(
    old: CompiledService, new: CompiledService, tickets: Sequence[Ticket]
) -> list[Difference]:
    old_root, new_root = old.form.schema, new.form.schema
    found = list(_members("", old_root, new_root, old_root, new_root, 0))
    found.extend(
        _others("", old_root, new_root, frozenset({"properties", "required", "examples", "x-title"}))
    )
    for removed, added in rename_suspects(old, new):
        found.append(Difference("field_renamed", removed, f"{removed} → {added}?", breaking=True))
    broken = [(ticket, broken_paths(new, ticket)) for ticket in tickets]
    out = []
    for difference in found:
        path = difference.subject
        if difference.kind in ("field_removed", "field_renamed"):
            concerned = [t for t in tickets if has_value(t.data, path.split("/"))]
        elif path == FORM:
            concerned = [t for t, paths in broken if paths] if difference.breaking else []
        else:
            concerned = [
                t for t, paths in broken if any(p == path or p.startswith(path + "/") for p in paths)
            ]
        out.append(
            Difference(
                difference.kind,
                difference.subject,
                difference.detail,
                difference.breaking,
                count_states(concerned),
            )
        )
    return out
