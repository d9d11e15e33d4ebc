"""Building the view-model of a form (a tree of :class:`FieldView`) from its JSON Schema.

The view holds no HTML; ``html.py`` renders it with ``templates/forms/_fields.html``.

Conditional fields. A field declared only under ``then``/``else`` (of an ``if``, at any object
level) or under ``dependentSchemas`` applies only when its condition holds for the current data;
the condition is evaluated on the server against the data being shown (the submitted data, or the
defaults on a fresh form). A field that applies is in the view with ``conditional=True``; a field that
does not apply is *not rendered at all* — never rendered and hidden, because a page must work
without JavaScript: with HTMX, changing a field marked ``trigger`` re-renders the fields (the
``hx_url`` of :func:`build_form`), and without JavaScript the page comes back from the server after a
submission with the field shown once its condition holds (and the error "this field is required"
beside it when the branch requires it). Fields made required by a branch (``then.required``,
``dependentRequired``) are ``conditional`` too, always rendered, and marked required when the
condition holds.

Values. On a fresh form (``data=None``) each field shows its ``default``. When ``data`` is given
(a submission coming back with errors, a group row added), each field shows the submitted value —
even if invalid, so nothing typed is lost — and only hidden or read-only fields fall back to their
default — and so does a checkbox absent from the data (a post always holds every checkbox: unticked
is ``false``, so an absent one means data that did not come from this page, such as an example).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import tzinfo
from typing import Any

import msgspec

from server.definitions.model import Form
from server.forms.errors import attach_errors
from server.forms.fields import GROUP_BUTTON, FieldView, FormView, Option, SummaryItem
from server.forms.messages import ui
from server.forms.names import child_id, child_name, child_pointer, id_part
from server.forms.schema import (
    JSON,
    MAX_DEPTH,
    MAX_FIELDS,
    Conditions,
    choices,
    conditions_for,
    item_schema,
    json_type,
    layout,
    option_value,
)
from server.forms.temporal import for_input
from server.forms.widgets import html_attrs, kind_of
from server.validation import FieldError

__all__ = ["GROUP_BUTTON", "FieldView", "FormView", "Option", "SummaryItem", "build_form", "display"]

_AUTOCOMPLETE = {"name": "name", "email": "email", "mobile": "tel"}


def display(value: Any) -> str:
    """A value as an input shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | str):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


def _text(schema: JSON, key: str, lang: str) -> str:
    value = schema.get(key)
    if isinstance(value, Mapping):
        chosen = value.get("en" if lang == "en" else "ar")
        return chosen if isinstance(chosen, str) else ""
    return ""


def _label(schema: JSON, lang: str, fallback: str) -> str:
    title = schema.get("title")
    return _text(schema, "x-title", lang) or (title if isinstance(title, str) else "") or fallback


class _Context(msgspec.Struct):
    root: JSON
    conditions: Conditions
    lang: str
    ui: Mapping[str, str]
    fresh: bool
    files: Mapping[str, str]
    choices: Mapping[str, Sequence[tuple[str, str]]]
    autocomplete: Mapping[str, str]
    hx_url: str | None
    form_id: str
    timezone: tzinfo | None
    built: int = 0


def build_form(
    form: Form,
    *,
    data: Mapping[str, Any] | None,
    errors: Sequence[FieldError] = (),
    lang: str,
    name_prefix: str = "",
    files: Mapping[str, str] | None = None,
    choices: Mapping[str, Sequence[tuple[str, str]]] | None = None,
    hx_url: str | None = None,
    autocomplete: bool = True,
    timezone: tzinfo | None = None,
) -> FormView:
    """The view of ``form`` in ``lang`` showing ``data`` (``None``: a fresh form with its defaults).

    ``errors`` are the validation errors of ``data``; ``files`` maps attachment ids to file names (to
    show what a file field already holds); ``choices`` gives the options of fields whose choices are
    known only at run time (``x-department-member``), by JSON pointer without array indices
    (``/assignee``), as (value, label) pairs; ``hx_url`` adds HTMX attributes posting to that URL
    (group buttons, and fields whose change shows or hides others); ``autocomplete=False`` leaves out
    the ``autocomplete`` hints of the requester's name, e-mail and mobile (for staff entering a
    caller's details); ``timezone`` shows ``date-time`` values in that zone (see ``temporal.py``).
    """
    lang = "en" if lang == "en" else "ar"
    root = form.schema
    form_id = "kh-" + id_part(form.id) + (f"-{id_part(name_prefix)}" if name_prefix else "") + "-fields"
    requester = root.get("x-requester") if autocomplete else None
    hints = {
        "/" + field: _AUTOCOMPLETE[role]
        for role, field in (requester.items() if isinstance(requester, Mapping) else ())
        if role in _AUTOCOMPLETE and isinstance(field, str)
    }
    ctx = _Context(
        root=root,
        conditions=conditions_for(form),
        lang=lang,
        ui=ui(lang),
        fresh=data is None,
        files=files or {},
        choices=choices or {},
        autocomplete=hints,
        hx_url=hx_url,
        form_id=form_id,
        timezone=timezone,
    )
    base_id = "f" + (f"-{id_part(name_prefix)}" if name_prefix else "")
    fields = _object_fields(ctx, root, data or {}, pointer="", name=name_prefix, id_=base_id, required=True)
    view = FormView(
        id=form_id, title=form.title.get(lang), lang=lang, ui=ctx.ui, fields=fields, hx_url=hx_url
    )
    attach_errors(view, errors, lang)
    return view


def _effective(ctx: _Context, node: JSON, data: Mapping[str, Any]) -> dict[str, Any]:
    """The object's values as shown: ``data``, with defaults where they apply (see the module doc)."""
    values = dict(data)
    for slot in layout(ctx.root, node, values, ctx.conditions):
        if slot.name in values or "default" not in slot.schema:
            continue
        # what a post cannot leave out: a hidden or read-only value, a checkbox (unticked is false)
        fixed = (
            slot.schema.get("x-widget") == "hidden"
            or slot.schema.get("readOnly") is True
            or kind_of(slot.schema) == "checkbox"
        )
        if ctx.fresh or fixed:
            values[slot.name] = slot.schema["default"]
    return values


def _object_fields(
    ctx: _Context, node: JSON, data: Mapping[str, Any], *, pointer: str, name: str, id_: str, required: bool
) -> list[FieldView]:
    if pointer.count("/") > MAX_DEPTH or ctx.built > MAX_FIELDS:
        return []
    values = _effective(ctx, node, data)
    fields = []
    for slot in layout(ctx.root, node, values, ctx.conditions):
        if not slot.visible:
            continue
        view = _field(
            ctx,
            slot.schema,
            values.get(slot.name),
            key=slot.name,
            pointer=child_pointer(pointer, slot.name),
            name=child_name(name, slot.name),
            id_=child_id(id_, slot.name),
            required=required and slot.required,
        )
        view.conditional, view.trigger = slot.conditional, slot.trigger
        fields.append(view)
    return fields


def _field(
    ctx: _Context, schema: JSON, value: Any, *, key: str, pointer: str, name: str, id_: str, required: bool
) -> FieldView:
    ctx.built += 1
    items = item_schema(ctx.root, schema) if json_type(schema) == "array" else None
    kind = kind_of(schema, items)
    if kind == "checkbox":
        required = required and schema.get("const") is True  # an unticked box is an answer too
    label = _label(schema, ctx.lang, key)
    view = FieldView(
        kind=kind,
        name=name,
        id=id_,
        pointer=pointer,
        label=label,
        summary_label=label,
        lang=ctx.lang,
        ui=ctx.ui,
        help=_text(schema, "x-help", ctx.lang) or str(schema.get("description") or ""),
        placeholder=_text(schema, "x-placeholder", ctx.lang),
        required=required and kind != "hidden",
        readonly=schema.get("readOnly") is True,
        attrs=html_attrs(schema, kind, autocomplete=ctx.autocomplete.get(pointer)),
        ready_replies=schema.get("x-ready-replies") is True,
        department_member=schema.get("x-department-member") is True,
        hx_url=ctx.hx_url,
        form_id=ctx.form_id,
    )
    if kind == "fieldset":
        data = value if isinstance(value, Mapping) else {}
        view.children = _object_fields(
            ctx, schema, data, pointer=pointer, name=name, id_=id_, required=required
        )
        for inner in (f for child in view.children for f in child.walk()):
            if inner.summary_label == inner.label:  # "City (Home)" in the error summary
                inner.summary_label = f"{inner.label} ({label})"
    elif kind == "group":
        _rows(ctx, view, schema, items or {}, value)
    elif kind == "checkboxes":
        chosen = {display(v) for v in value} if isinstance(value, list) else set()
        view.options = _options(ctx, items or {}, pointer, chosen)
    elif kind in ("select", "radio"):
        view.options = _options(ctx, schema, pointer, {display(value)} if value is not None else set())
    elif kind == "checkbox":
        view.value, view.checked = "true", value is True
    elif kind != "password":  # a password is never sent back to the browser
        view.value = for_input(kind, display(value), ctx.timezone)
        if kind == "file" and view.value:
            view.filename = ctx.files.get(view.value, view.value)
    return view


def _options(ctx: _Context, schema: JSON, pointer: str, chosen: set[str]) -> list[Option]:
    found = [(option_value(v), _label(sub, ctx.lang, display(v))) for v, sub in choices(schema)]
    if not found:
        runtime = ctx.choices.get(pointer) or ctx.choices.get("/" + "/".join(_no_index(pointer))) or ()
        found = [(str(v), str(label)) for v, label in runtime]
    if not found and json_type(schema) == "boolean":
        found = [("true", ctx.ui["yes"]), ("false", ctx.ui["no"])]
    return [Option(value, label, value in chosen) for value, label in found]


def _no_index(pointer: str) -> list[str]:
    return [p for p in pointer.split("/")[1:] if not p.isdigit()]


def _count(schema: JSON, key: str) -> int | None:
    value = schema.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _rows(ctx: _Context, view: FieldView, schema: JSON, items: JSON, value: Any) -> None:
    data = value if isinstance(value, list) else []
    least = max(_count(schema, "minItems") or 0, 1 if view.required else 0)
    most = _count(schema, "maxItems")
    count = max(len(data), least)
    item_label = _label(items, ctx.lang, view.label)
    single = kind_of(items, item_schema(ctx.root, items) if json_type(items) == "array" else None)
    for index in range(count):
        row_value = data[index] if index < len(data) else None
        row_label = f"{item_label} {index + 1}"
        pointer, name, id_ = (
            child_pointer(view.pointer, index),
            child_name(view.name, index),
            f"{view.id}-{index}",
        )
        if single == "fieldset":
            row_data = row_value if isinstance(row_value, Mapping) else {}
            row = _object_fields(ctx, items, row_data, pointer=pointer, name=name, id_=id_, required=True)
        else:
            if row_value is None and ctx.fresh:
                row_value = items.get("default")
            row = [
                _field(
                    ctx, items, row_value, key=item_label, pointer=pointer, name=name, id_=id_, required=True
                )
            ]
        for child in row:
            for inner in child.walk():
                inner.summary_label = f"{inner.label} ({row_label})"
        view.rows.append(row)
        view.row_labels.append(row_label)
    view.add_label = _text(schema, "x-add-label", ctx.lang) or ctx.ui["add"]
    view.remove_label = _text(schema, "x-remove-label", ctx.lang) or ctx.ui["remove"]
    view.can_add = most is None or count < most
    view.can_remove = count > least
