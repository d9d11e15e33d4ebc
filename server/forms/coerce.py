"""From a form post (every value a string) to JSON data typed by the form's schema.

The rules, field by field (the form's schema decides; the post's other keys — ``_csrf_token``,
``_group``, anything unknown — are ignored):

- text: whitespace stripped (not for passwords), ``\\r\\n`` made ``\\n`` (so lengths match what the
  browser counted); an empty value means the field is absent, so ``required`` reports it.
- integer, number: parsed (Arabic-Indic digits too); a value that is not a number stays the string
  it was, so validation reports a type error on that field. Never an exception.
- a choice (select, radio): the option whose value was posted, with the option's JSON type.
- a boolean checkbox: ``true``/``on`` → ``true``, absent → ``false``.
- checkboxes (an array of choices): one value per ticked box, in the posted order, without repeats.
- an object: its fields from ``name[child]`` keys; absent when none of them is.
- a group (an array of objects or values): rows from ``name[i][child]`` (``name[i]``) keys, in index
  order, re-indexed densely; rows left entirely empty are dropped.
- a file field: the attachment id kept by the page's hidden input (uploads are the caller's business).
- dates and times stay strings; a ``date-time`` or ``time`` gets the offset of the ``timezone`` given
  (RFC 3339 requires one; the browser's inputs send none). Telephone numbers get Arabic-Indic digits
  as ASCII.

Conditional fields whose condition does not hold for the coerced data are dropped, as the page
would not show them.

Group buttons work without JavaScript: they submit ``_group=add:/POINTER/INDEX`` or
``remove:/POINTER/INDEX``, and :func:`coerce` applies that action to the data it returns (a new empty
row, or one row less; the empty rows of the post are kept then), so the page only has to do::

    data = coerce(form, post)
    if group_action(post) is not None:
        ...  # not a submission: show the form again with `data`, without errors
"""

from __future__ import annotations

import copy
import math
import re
from datetime import tzinfo
from typing import Any

import msgspec

from server.definitions.model import Form
from server.forms.fields import GROUP_BUTTON
from server.forms.names import child_name, post_keys, post_values, split_pointer
from server.forms.schema import (
    JSON,
    MAX_DEPTH,
    Conditions,
    choices,
    conditions_for,
    item_schema,
    json_type,
    layout,
    option_value,
    schema_at,
)
from server.forms.temporal import from_input
from server.forms.widgets import kind_of

_ABSENT: Any = object()
_TRUE = {"true", "on", "1", "yes"}
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫", "01234567890123456789.")


class _Post(msgspec.Struct):
    root: JSON
    conditions: Conditions
    post: Any
    keys: list[str]
    keep_empty_rows: bool
    timezone: tzinfo | None
    top: int
    """The nesting of the form's own names (a ``name_prefix`` may have brackets)."""

    def strings(self, name: str) -> list[str]:
        return [v for v in post_values(self.post, name) if isinstance(v, str)]

    def has_input(self, name: str, *, nested: bool) -> bool:
        """Whether anything was typed or ticked under ``name`` (its ``name[...]`` keys if ``nested``)."""
        inside = name + "["
        return any(
            value.strip()
            for key in self.keys
            if (key.startswith(inside) if nested else key == name)
            for value in self.strings(key)
        )


def coerce(
    form: Form,
    post: Any,
    *,
    name_prefix: str = "",
    keep_empty_rows: bool | None = None,
    timezone: tzinfo | None = None,
) -> dict[str, Any]:
    """The data of a form post, typed per the schema (see the module doc).

    ``post`` is a mapping of lists of strings (or of single strings) or a multi-dict with ``getall``
    or ``getlist``; ``name_prefix`` is the one given to ``build_form``. A group button's action is
    applied; rows left empty are dropped, unless ``keep_empty_rows`` (default: when a group button
    was pressed, so that the rows on screen stay where they are). ``timezone`` is the zone the form is
    filled in: it gives ``date-time`` and ``time`` values the offset RFC 3339 requires (``temporal.py``)."""
    action = group_action(post)
    keep = action is not None if keep_empty_rows is None else keep_empty_rows
    state = _Post(
        form.schema, conditions_for(form), post, post_keys(post), keep, timezone, name_prefix.count("[")
    )
    data = _object(state, form.schema, name_prefix)
    return apply_group_action(form, data, action) if action is not None else data


def _object(state: _Post, node: JSON, base: str) -> dict[str, Any]:
    if base and not any(key.startswith(base + "[") for key in state.keys):
        return {}  # nothing posted for this object
    if base.count("[") - state.top > MAX_DEPTH:
        return {}
    first: dict[str, Any] = {}
    for slot in layout(state.root, node, {}, state.conditions):
        value = _field(state, slot.schema, child_name(base, slot.name))
        if value is not _ABSENT:
            first[slot.name] = value
    # a second pass with the fields that apply to this data, typed by the branch that declares them
    result: dict[str, Any] = {}
    for slot in layout(state.root, node, first, state.conditions):
        if slot.visible and slot.name in first:
            value = _field(state, slot.schema, child_name(base, slot.name))
            if value is not _ABSENT:
                result[slot.name] = value
    return result


def _field(state: _Post, schema: JSON, name: str) -> Any:
    items = item_schema(state.root, schema) if json_type(schema) == "array" else None
    kind = kind_of(schema, items)
    if kind == "fieldset":
        value = _object(state, schema, name)
        return value if value else _ABSENT
    if kind == "group":
        return _group(state, items or {}, name)
    if kind == "checkboxes":
        picked: list[Any] = []
        for raw in state.strings(name):
            value = _choice(items or {}, raw.strip())
            if raw.strip() and value not in picked:
                picked.append(value)
        return picked if picked else _ABSENT
    if kind == "checkbox":
        return any(v.strip().lower() in _TRUE for v in state.strings(name))
    found = next((v for v in state.strings(name) if v.strip()), None)
    if found is None:
        return _ABSENT
    raw = found
    if kind != "password":
        raw = raw.strip()
    raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    if kind == "tel":
        raw = raw.translate(_DIGITS)
    if kind in ("select", "radio") or choices(schema):
        return _choice(schema, raw)
    if schema.get("format") in ("date-time", "time"):
        raw = from_input(schema.get("format"), raw, state.timezone)
    return _typed(json_type(schema), raw)


def _choice(schema: JSON, raw: str) -> Any:
    for value, _ in choices(schema):
        if option_value(value) == raw:
            return value
    return _typed(json_type(schema), raw)


def _typed(kind: str | None, raw: str) -> Any:
    if kind in ("integer", "number"):
        text = raw.translate(_DIGITS)
        if _INTEGER.fullmatch(text):
            return int(text)
        if _NUMBER.fullmatch(text):
            number = float(text)
            if not math.isfinite(number):
                return raw
            if kind == "integer":
                return int(number) if number.is_integer() else raw
            return number
        return raw
    if kind == "boolean":
        lowered = raw.lower()
        if lowered in _TRUE:
            return True
        if lowered in ("false", "off", "0", "no"):
            return False
        return raw
    if kind == "null" and raw == "":
        return None
    return raw


def _group(state: _Post, items: JSON, name: str) -> Any:
    pattern = re.compile(re.escape(name) + r"\[(\d+)\]")
    indices = sorted({int(m.group(1)) for key in state.keys if (m := pattern.match(key))})
    is_object = kind_of(items) == "fieldset"
    rows: list[Any] = []
    for index in indices:
        row_name = child_name(name, index)
        if not state.has_input(row_name, nested=is_object):
            if state.keep_empty_rows:
                rows.append({} if is_object else None)
            continue
        value = _object(state, items, row_name) if is_object else _field(state, items, row_name)
        rows.append(value if value is not _ABSENT else ({} if is_object else None))
    return rows if rows else _ABSENT


def group_action(post: Any) -> tuple[str, str, int] | None:
    """The group button that submitted the post, if any: (``add``|``remove``, array pointer, index).

    ``add:/requested_items/2`` asks for a new row at index 2 (the end), ``remove:/requested_items/1``
    to remove the second row."""
    values = [v for v in post_values(post, GROUP_BUTTON) if isinstance(v, str)]
    if not values:
        return None
    action, _, target = values[0].partition(":")
    pointer, _, index = target.rpartition("/")
    if action not in ("add", "remove") or not pointer.startswith("/"):
        return None
    if not (index.isascii() and index.isdigit()) or len(index) > 6:
        return None
    return action, pointer, int(index)


def apply_group_action(form: Form, data: dict[str, Any], action: tuple[str, str, int]) -> dict[str, Any]:
    """``data`` with a row added or removed as ``action`` (from :func:`group_action`) asks.

    An action that does not fit the data or the form (no such array, beyond ``maxItems``) changes nothing."""
    verb, pointer, index = action
    parts = split_pointer(pointer)
    schema = schema_at(form.schema, parts, conditions_for(form))
    if not parts or schema is None or json_type(schema) != "array":
        return data
    result = copy.deepcopy(data)
    container: Any = result
    for part in parts[:-1]:
        if isinstance(container, dict):
            container = container.setdefault(part, {})
        elif isinstance(container, list) and part.isdigit() and int(part) < len(container):
            container = container[int(part)]
        else:
            return data
    if not isinstance(container, dict):
        return data
    rows = container.get(parts[-1])
    rows = rows if isinstance(rows, list) else []
    if verb == "add":
        most = schema.get("maxItems")
        if isinstance(most, int) and len(rows) >= most:
            return data
        blank: dict[str, Any] | None = {} if kind_of(item_schema(form.schema, schema)) == "fieldset" else None
        rows.insert(min(index, len(rows)), blank)
    elif index < len(rows):
        del rows[index]
    container[parts[-1]] = rows
    return result
