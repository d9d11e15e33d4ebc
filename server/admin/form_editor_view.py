"""The form builder's field editor as the page shows it: the field's values (or what was typed, when
refused), its choices with blank rows to fill, the fields a condition may read with their values, and
each error beside its input in the page's language."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from server.admin import builder_draft, form_builder
from server.admin.form_builder import TRIGGER_KINDS, FieldRow
from server.i18n import t
from server.runtime import Runtime

BLANK_CHOICES = 3


def title_of(schema: Mapping[str, Any], lang: str, fallback: str) -> str:
    title = schema.get("x-title")
    return str(title.get(lang) or fallback) if isinstance(title, Mapping) else fallback


class Trigger(msgspec.Struct, frozen=True):
    """A field a condition may read, with its values (value as posted, label)."""

    name: str
    title: str
    options: list[tuple[str, str]]


class FieldEditor(msgspec.Struct, frozen=True):
    path: str
    """The field edited; empty when adding."""
    container: str
    values: dict[str, str]
    choices: list[tuple[str, str, str]]
    triggers: list[Trigger]
    condition: list[str]
    """The condition's picks, ``field=value``."""
    errors: dict[str, str]
    lookups: list[tuple[str, str]]


def posted_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def options(row: FieldRow, lang: str) -> list[tuple[str, str]]:
    if row.kind == "yes_no":
        return [("true", t("builder_yes", lang)), ("false", t("builder_no", lang))]
    return [
        (posted_value(v), en if lang == "en" else ar) for v, ar, en in form_builder.choices_of(row.schema)
    ]


def _editor_values(row: FieldRow | None, kind: str) -> dict[str, str]:
    schema = row.schema if row is not None else form_builder.base_schema(kind)
    given = schema.get("items")
    items: Mapping[str, Any] = given if isinstance(given, Mapping) else {}

    def text(key: str, lang: str) -> str:
        node = schema.get(key)
        return str(node.get(lang, "")) if isinstance(node, Mapping) else ""

    def number(key: str, source: Mapping[str, Any] = schema) -> str:
        value = source.get(key)
        return "" if value is None or isinstance(value, bool) else str(value)

    max_bytes = schema.get("x-max-bytes")
    accept = schema.get("x-accept")
    return {
        "name": row.name if row else "",
        "kind": kind,
        "title_ar": text("x-title", "ar"),
        "title_en": text("x-title", "en"),
        "help_ar": text("x-help", "ar"),
        "help_en": text("x-help", "en"),
        "add_ar": text("x-add-label", "ar"),
        "add_en": text("x-add-label", "en"),
        "required": "on" if row and row.required else "",
        "min_length": number("minLength"),
        "max_length": number("maxLength"),
        "minimum": number("minimum"),
        "maximum": number("maximum"),
        "whole": "on" if schema.get("type") == "integer" else "",
        "min_items": number("minItems"),
        "max_items": number("maxItems"),
        "accept": ", ".join(str(a) for a in accept) if isinstance(accept, list) else "",
        "max_mb": f"{max_bytes / 1048576:g}" if isinstance(max_bytes, int) else "",
        "widget": str(schema.get("x-widget") or "select"),
        "items_kind": str(items.get("type", "")),
    }


def _triggers(
    doc: dict[str, Any], where: str, rows: Sequence[FieldRow], lang: str, exclude: str
) -> list[Trigger]:
    return [
        Trigger(r.name, title_of(r.schema, lang, r.name), options(r, lang))
        for r in rows
        if r.container == where and r.kind in TRIGGER_KINDS and r.path != exclude
    ]


def editor(
    runtime: Runtime,
    doc: dict[str, Any],
    rows: Sequence[FieldRow],
    lang: str,
    *,
    path: str,
    container: str,
    kind: str,
    posted: Mapping[str, Sequence[str]] | None,
    errors: Mapping[str, str],
) -> FieldEditor:
    row = form_builder.find(doc, path) if path else None
    values = _editor_values(row, kind)
    choices = [(posted_value(v), ar, en) for v, ar, en in form_builder.choices_of(row.schema)] if row else []
    condition = (
        [f"{row.condition.field}={posted_value(v)}" for v in row.condition.values]
        if row and row.condition
        else []
    )
    if posted is not None:  # a refused edit: the page again with what was typed
        values.update({k: (v[0] if v else "") for k, v in posted.items() if k in values})
        values["required"] = "on" if posted.get("required") else ""
        values["whole"] = "on" if posted.get("whole") else ""
        choices = list(
            zip(
                *(list(posted.get(k) or []) for k in ("choice_value", "choice_ar", "choice_en")), strict=False
            )
        )
        condition = list(posted.get("condition") or [])
    lookups = [(table_id, table.name.get(lang)) for table_id, table in runtime.org.lookups.items()]
    return FieldEditor(
        path=path,
        container=row.container if row else container,
        values=values,
        choices=[*choices, *[("", "", "")] * BLANK_CHOICES],
        triggers=_triggers(doc, row.container if row else container, rows, lang, path),
        condition=condition,
        errors=builder_draft.error_messages(errors, lang),
        lookups=lookups,
    )
