"""A form's ``examples`` kept in step with the builder's changes (issue 13).

The loader checks every example against the form (``bad_example``), and tests, demos and benchmarks
submit them; an administrator who adds a required field with the builder must not have to mend the
examples in the JSON view. After each operation the examples follow the fields: the value of a field
removed is dropped, a renamed field's value moves to its new name, a field moved into or out of a
group leaves the examples (its value cannot be carried), and a required field an example lacks gets a
value made from its schema (the first choice, the smallest number, a date …). What cannot be made (a
required file: its value is a stored attachment's id) is left to the loader to report.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from server.admin.form_shape import choices_of, container, declared, kind_of

JSON = dict[str, Any]
SAMPLES: dict[str, Any] = {
    "date": "2026-01-15",
    "time": "09:00:00+03:00",
    "email": "name@example.org",
    "mobile": "0551234567",
    "yes_no": False,
    "member": "staff-example",
}


def sample(schema: Mapping[str, Any]) -> Any:
    """A value the field accepts, made from its schema; None when none can be made."""
    kind = kind_of(schema)
    if kind in SAMPLES:
        return SAMPLES[kind]
    if kind == "choice_one":
        options = choices_of(schema)
        return options[0][0] if options else None
    if kind == "choice_many":
        options = choices_of(schema)
        return [options[0][0]] if options else None
    if kind == "number":
        low, high = schema.get("minimum"), schema.get("maximum")
        value = (
            low if isinstance(low, int | float) else 1 if not isinstance(high, int | float) else min(1, high)
        )
        return int(value) if schema.get("type") == "integer" else value
    if kind in ("short_text", "long_text"):
        low = schema.get("minLength")
        high = schema.get("maxLength")
        length = max(int(low) if isinstance(low, int) else 1, 6)
        if isinstance(high, int):
            length = min(length, high)
        return ("sample" * (length // 6 + 1))[:length]
    if kind == "group":
        given = schema.get("items")
        items: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
        low = schema.get("minItems")
        row = _filled({}, items)
        return [copy.deepcopy(row) for _ in range(int(low) if isinstance(low, int) and low > 0 else 1)]
    if kind == "section":
        return _filled({}, schema)
    return None


def _filled(value: JSON, node: Mapping[str, Any]) -> JSON:
    """``value`` (one object of the form, a group's row or a section) with each required
    unconditional field of ``node`` it lacks given a sample (nothing else is touched)."""
    fields = {d.name: d for d in declared(node)}
    out = dict(value)
    for name, field in fields.items():
        inner = (
            container({"properties": {name: field.schema}}, name)
            if kind_of(field.schema) in ("group", "section")
            else None
        )
        if name in out and inner is not None:
            if isinstance(out[name], list):
                out[name] = [_filled(row, inner) if isinstance(row, dict) else row for row in out[name]]
            elif isinstance(out[name], dict):
                out[name] = _filled(out[name], inner)
        if field.required and field.condition is None and name not in out:
            made = sample(field.schema)
            if made is not None:
                out[name] = made
    return out


def _renamed(value: JSON, old: str, new: str | None) -> JSON:
    """``value`` with the field at path ``old`` (``name`` or ``group.name``) moved to the name of
    ``new``, or dropped when ``new`` is None."""
    where, _, name = old.rpartition(".")
    if not where:
        if new is None:
            return {k: v for k, v in value.items() if k != name}
        new_name = new.rpartition(".")[2]
        return {(new_name if k == name else k): v for k, v in value.items()}
    out = dict(value)
    inner = out.get(where)
    if isinstance(inner, list):
        out[where] = [_renamed(row, name, new) if isinstance(row, dict) else row for row in inner]
    elif isinstance(inner, dict):
        out[where] = _renamed(inner, name, new)
    return out


def in_step(doc: JSON, old: str = "", new: str | None = None) -> JSON:
    """``doc`` with its examples following its fields: the field at path ``old`` renamed to ``new``
    or, ``new`` None, dropped; then every required field given a value."""
    examples = doc.get("examples")
    if not isinstance(examples, list):
        return doc
    kept = []
    for example in examples:
        if not isinstance(example, dict):
            kept.append(example)
            continue
        value = _renamed(example, old, new) if old and old != new else example
        kept.append(_filled(value, doc))
    return {**doc, "examples": kept}
