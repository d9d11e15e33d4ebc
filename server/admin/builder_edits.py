"""What the form builder's field editor posts, read into a typed edit and checked on its own.

:func:`field_edit` reads the posted values (every value a string; nothing is trusted); :func:`check_edit`
answers input name → error key (``builder_err_…`` in ``server/i18n/builder.py``) for what is wrong with
the edit whatever the form around it: a bad name, a missing label, a limit that is not a number or is
below its minimum, choices without a value or with the same value twice.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
MEDIA_TYPE = re.compile(r"^[a-z]+/([a-z0-9.+-]+|\*)$")
MAX_TEXT = 500
MAX_CHOICES = 200
MAX_BYTES = 104857600
NUMBER_LIMIT = 1e15
KINDS = (
    "short_text",
    "long_text",
    "number",
    "date",
    "time",
    "choice_one",
    "choice_many",
    "yes_no",
    "email",
    "mobile",
    "file",
    "member",
    "group",
    "section",
)
"""The kinds of field the builder adds."""


class Condition(msgspec.Struct, frozen=True):
    """Show the field only when ``field`` (of the same container) has one of ``values``."""

    field: str
    values: tuple[Any, ...]


class FieldEdit(msgspec.Struct, frozen=True):
    name: str
    kind: str
    title_ar: str = ""
    title_en: str = ""
    help_ar: str = ""
    help_en: str = ""
    required: bool = False
    min_length: int | None = None
    max_length: int | None = None
    minimum: int | float | None = None
    maximum: int | float | None = None
    whole: bool = False
    min_items: int | None = None
    max_items: int | None = None
    accept: tuple[str, ...] = ()
    max_bytes: int | None = None
    widget: str = "select"
    choices: tuple[tuple[str, str, str], ...] = ()
    add_ar: str = ""
    add_en: str = ""
    condition: Condition | None = None
    problems: Mapping[str, str] = msgspec.field(default_factory=dict)
    """Inputs that could not be read (a limit that is not a number …): input name → error key."""


def _one(values: Mapping[str, Sequence[str]], name: str) -> str:
    got = values.get(name) or [""]
    return got[0].strip()[:MAX_TEXT]


def _all(values: Mapping[str, Sequence[str]], name: str) -> list[str]:
    return [v.strip()[:MAX_TEXT] for v in (values.get(name) or [])][:MAX_CHOICES]


def _integer(raw: str, name: str, problems: dict[str, str]) -> int | None:
    if not raw:
        return None
    if not re.fullmatch(r"\d{1,12}", raw):
        problems[name] = "builder_err_not_whole"
        return None
    return int(raw)


def _number(raw: str, name: str, problems: dict[str, str]) -> int | float | None:
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not abs(value) <= NUMBER_LIMIT:  # NaN and infinities too
        problems[name] = "builder_err_not_number"
        return None
    return int(value) if value.is_integer() else value


def _megabytes(raw: str, problems: dict[str, str]) -> int | None:
    value = _number(raw, "max_mb", problems)
    if value is None:
        return None
    size = int(value * 1024 * 1024)
    if not 1 <= size <= MAX_BYTES:
        problems["max_mb"] = "builder_err_file_size"
        return None
    return size


def condition_value(raw: str, trigger_kind: str) -> Any:
    """A posted condition value as the trigger field holds it (yes/no: a boolean)."""
    if trigger_kind == "yes_no":
        return raw == "true"
    return raw


def field_edit(values: Mapping[str, Sequence[str]], trigger_kinds: Mapping[str, str]) -> FieldEdit:
    """The posted field editor; ``trigger_kinds`` gives the kind of each field a condition may read
    (to read its values as that field holds them)."""
    problems: dict[str, str] = {}
    values_ar, values_en = _all(values, "choice_ar"), _all(values, "choice_en")
    choices = []
    for index, value in enumerate(_all(values, "choice_value")):
        ar = values_ar[index] if index < len(values_ar) else ""
        en = values_en[index] if index < len(values_en) else ""
        if value or ar or en:
            choices.append((value, ar, en))
    condition = None
    trigger = _one(values, "condition_field")
    if trigger:
        kind = trigger_kinds.get(trigger, "")
        picked = [condition_value(v, kind) for v in _all(values, "condition_values") if v]
        condition = Condition(field=trigger, values=tuple(dict.fromkeys(picked)))
    kind = _one(values, "kind")
    return FieldEdit(
        name=_one(values, "name"),
        kind=kind,
        title_ar=_one(values, "title_ar"),
        title_en=_one(values, "title_en"),
        help_ar=_one(values, "help_ar"),
        help_en=_one(values, "help_en"),
        required=bool(_one(values, "required")),
        min_length=_integer(_one(values, "min_length"), "min_length", problems),
        max_length=_integer(_one(values, "max_length"), "max_length", problems),
        minimum=_number(_one(values, "minimum"), "minimum", problems),
        maximum=_number(_one(values, "maximum"), "maximum", problems),
        whole=bool(_one(values, "whole")),
        min_items=_integer(_one(values, "min_items"), "min_items", problems),
        max_items=_integer(_one(values, "max_items"), "max_items", problems),
        accept=tuple(a.strip().lower() for a in _one(values, "accept").split(",") if a.strip()),
        max_bytes=_megabytes(_one(values, "max_mb"), problems),
        widget=_one(values, "widget") or "select",
        choices=tuple(choices),
        add_ar=_one(values, "add_ar"),
        add_en=_one(values, "add_en"),
        condition=condition,
        problems=problems,
    )


def _pair_problem(low: float | None, high: float | None) -> bool:
    return low is not None and high is not None and low > high


def check_edit(edit: FieldEdit) -> dict[str, str]:
    """input name → error key, for what is wrong with the edit on its own."""
    errors = dict(edit.problems)
    if edit.kind not in KINDS:
        errors["kind"] = "builder_err_kind"
    if not NAME.match(edit.name):
        errors["name"] = "builder_err_name"
    for key in ("title_ar", "title_en"):
        if not getattr(edit, key):
            errors[key] = "builder_err_label_missing"
    if bool(edit.help_ar) != bool(edit.help_en):
        errors["help_ar" if not edit.help_ar else "help_en"] = "builder_err_translation_missing"
    if _pair_problem(edit.min_length, edit.max_length):
        errors["max_length"] = "builder_err_range"
    if _pair_problem(edit.minimum, edit.maximum):
        errors["maximum"] = "builder_err_range"
    if _pair_problem(edit.min_items, edit.max_items):
        errors["max_items"] = "builder_err_range"
    if edit.kind == "file" and any(not MEDIA_TYPE.match(a) for a in edit.accept):
        errors["accept"] = "builder_err_media_type"
    if edit.kind in ("choice_one", "choice_many"):
        seen: set[str] = set()
        for value, ar, en in edit.choices:
            if not value or not ar or not en or value in seen:
                errors["choices"] = "builder_err_choices"
            seen.add(value)
        if not edit.choices:
            errors.setdefault("choices", "builder_err_choices_none")
    if edit.condition is not None and not edit.condition.values:
        errors["condition_values"] = "builder_err_condition_value"
    return errors
