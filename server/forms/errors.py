"""Placing validation errors in a form view: beside their field and in the error summary.

An error's JSON pointer goes to the rendered field with the longest matching pointer: an error on
``/requested_items/0/quantity`` to that row's quantity, one on ``/documentation_kinds/1`` to the
checkboxes, one on ``/requested_items`` (too few rows) to the group. An error with the pointer
``""`` (the whole form), or for no rendered field, goes to the summary only. A field shows its
first error; the summary lists the form's errors first, then one line per field in page order,
each a link to the field (GOV.UK's error summary).
"""

from __future__ import annotations

from collections.abc import Sequence

from server.forms.fields import FieldView, FormView, SummaryItem
from server.validation import FieldError


def attach_errors(view: FormView, errors: Sequence[FieldError], lang: str) -> None:
    fields = list(view.walk())
    by_pointer = {f.pointer: f for f in fields}
    general: list[SummaryItem] = []
    per_field: dict[int, list[str]] = {}
    for error in errors:
        message = error.message.get(lang)
        target = _target(by_pointer, error.path)
        if target is None:
            general.append(SummaryItem("", "", message))
        elif target.kind == "hidden":
            general.append(SummaryItem("", target.summary_label, message))
        else:
            per_field.setdefault(id(target), []).append(message)
    summary: list[tuple[str, str, str]] = list(general)
    for f in fields:
        messages = per_field.get(id(f))
        if messages:
            f.error = messages[0]
            summary.append(SummaryItem(f.id, f.summary_label, f.error))
    view.error_summary = summary


def _target(by_pointer: dict[str, FieldView], path: str) -> FieldView | None:
    while path:
        if path in by_pointer:
            return by_pointer[path]
        path = path.rpartition("/")[0]
    return None
