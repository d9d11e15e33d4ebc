"""Which widget a field gets, and the HTML attributes that carry its constraints to the browser."""

from __future__ import annotations

import math

from server.forms.patterns import html_pattern
from server.forms.schema import JSON, choices, json_type

# x-widget → the FieldView kind; "number" depends on the JSON type.
_WIDGETS = {
    "text": "text",
    "textarea": "textarea",
    "select": "select",
    "radio": "radio",
    "checkboxes": "checkboxes",
    "file": "file",
    "hidden": "hidden",
    "password": "password",
    "date": "date",
    "time": "time",
    "datetime": "datetime",
    "email": "email",
    "tel": "tel",
    "url": "url",
}
_FORMATS = {
    "email": "email",
    "idn-email": "email",
    "date": "date",
    "time": "time",
    "date-time": "datetime",
    "uri": "url",
    "iri": "url",
}
INPUT_TYPES = {
    "text": "text",
    "email": "email",
    "tel": "tel",
    "url": "url",
    "password": "password",
    "date": "date",
    "time": "time",
    "datetime": "datetime-local",
    "number": "number",
    "integer": "number",
}
"""The ``<input type>`` of each kind rendered as a plain input."""
_PATTERN_TYPES = {"text", "email", "tel", "url", "password"}
_LENGTH_KINDS = {"text", "email", "tel", "url", "password", "textarea"}
_LTR = {"email", "tel", "url", "number", "integer"}
_INPUTMODE = {"tel": "tel", "email": "email", "url": "url", "integer": "numeric", "number": "decimal"}


def kind_of(schema: JSON, items: JSON | None = None) -> str:
    """The widget of a field: ``x-widget`` if given, else from its type, format and choices.

    ``items`` is the resolved schema of an array's items (see :func:`schema.item_schema`)."""
    kind = json_type(schema)
    widget = schema.get("x-widget")
    if widget == "number":
        return "integer" if kind == "integer" else "number"
    if isinstance(widget, str) and widget in _WIDGETS:
        if widget == "checkboxes" and kind != "array":
            return "checkbox" if kind == "boolean" else "select"
        return _WIDGETS[widget]
    if kind == "object":
        return "fieldset"
    if kind == "array":
        return "checkboxes" if items and choices(items) else "group"
    if choices(schema):
        return "select"
    if kind == "boolean":
        return "checkbox"
    if kind in ("integer", "number"):
        return kind
    return _FORMATS.get(str(schema.get("format")), "text")


def _number(value: float) -> str:
    return str(value) if isinstance(value, int) else repr(float(value))


def _limit(schema: JSON, key: str) -> int | float | None:
    value = schema.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return value
    return None


def numeric_attrs(schema: JSON, kind: str) -> dict[str, str]:
    """min, max and step of a number input; exclusive bounds become inclusive ones for integers."""
    attrs: dict[str, str] = {}
    integer = kind == "integer" or json_type(schema) == "integer"
    low, high = _limit(schema, "minimum"), _limit(schema, "maximum")
    x_low, x_high = _limit(schema, "exclusiveMinimum"), _limit(schema, "exclusiveMaximum")
    if x_low is not None:
        # an integer above x_low is at least floor(x_low) + 1; a number cannot say "more than"
        bound = math.floor(x_low) + 1 if integer else x_low
        low = bound if low is None else max(low, bound)
    if x_high is not None:
        bound = math.ceil(x_high) - 1 if integer else x_high
        high = bound if high is None else min(high, bound)
    if low is not None:
        attrs["min"] = _number(math.ceil(low) if integer else low)
    if high is not None:
        attrs["max"] = _number(math.floor(high) if integer else high)
    step = _limit(schema, "multipleOf")
    if step is not None and step > 0 and (not integer or float(step).is_integer()):
        attrs["step"] = _number(int(step) if integer else step)
    else:
        attrs["step"] = "1" if integer else "any"
    return attrs


def html_attrs(schema: JSON, kind: str, *, autocomplete: str | None) -> dict[str, str]:
    """minlength, maxlength, pattern, min, max, step, rows, accept, inputmode, dir, autocomplete."""
    attrs: dict[str, str] = {}
    if kind in _LENGTH_KINDS:
        for key, attr in (("minLength", "minlength"), ("maxLength", "maxlength")):
            value = schema.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                attrs[attr] = str(value)
    pattern = schema.get("pattern")
    if kind in _PATTERN_TYPES and isinstance(pattern, str):
        html = html_pattern(pattern)
        if html is not None:
            attrs["pattern"] = html
    if kind in ("number", "integer"):
        attrs.update(numeric_attrs(schema, kind))
    if kind == "textarea" and isinstance(schema.get("x-rows"), int):
        attrs["rows"] = str(schema["x-rows"])
    accept = schema.get("x-accept")
    if kind == "file" and isinstance(accept, list) and accept:
        attrs["accept"] = ",".join(str(a) for a in accept)
    if kind == "file" and isinstance(schema.get("x-max-bytes"), int):
        attrs["data-max-bytes"] = str(schema["x-max-bytes"])
    if kind in _INPUTMODE:
        attrs["inputmode"] = _INPUTMODE[kind]
    if kind in _LTR:
        attrs["dir"] = "ltr"
    elif kind in ("text", "textarea"):
        attrs["dir"] = "auto"  # free text shows in the direction it is typed in (bidi isolation)
    if autocomplete:
        attrs["autocomplete"] = autocomplete
    return attrs
