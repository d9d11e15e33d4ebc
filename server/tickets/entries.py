"""A ticket's (or an action's) data as people read it: each field's label and its value as text.

Choices show their option's label, groups their rows, booleans yes/no — in the reader's language, in
the form's order (``x-order``, then the declared order); hidden fields and empty values are left out.

One rule for the staff ticket page, the requester's tracking page and the API.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from server.definitions.forms import label, properties, resolve
from server.definitions.model import Form

__all__ = ["Entry", "display", "entries", "named_entries", "title_of"]


class Entry(msgspec.Struct, frozen=True, kw_only=True):
    label: str
    value: str


def _option_label(node: Mapping[str, Any], value: Any, lang: str) -> str | None:
    for key in ("oneOf", "anyOf"):
        for option in node.get(key) or ():
            if isinstance(option, Mapping) and option.get("const") == value:
                title = option.get("x-title")
                if isinstance(title, Mapping):
                    return str(title.get("en" if lang == "en" else "ar", value))
                return str(option.get("title", value))
    return None


def title_of(node: Any, name: str, lang: str) -> str:
    """A field's ``x-title`` in ``lang``, else its ``title`` (plain JSON Schema), else its name."""
    return label(node, lang, name)


def display(schema: Mapping[str, Any], node: Any, value: Any, lang: str) -> str:
    """A submitted value as text: option labels for choices, rows for groups, yes/no for booleans."""
    node = resolve(schema, node) if isinstance(node, Mapping) else {}
    if isinstance(value, bool):
        return ("Yes" if value else "No") if lang == "en" else ("نعم" if value else "لا")
    if isinstance(value, list):
        items = resolve(schema, node.get("items") or {})
        parts = [display(schema, items, item, lang) for item in value]
        return "؛ ".join(parts) if lang != "en" else "; ".join(parts)
    if isinstance(value, Mapping):
        props = node.get("properties") or {}
        return "، ".join(
            f"{title_of(props.get(k, {}), k, lang)}: {display(schema, props.get(k, {}), v, lang)}"
            for k, v in value.items()
        )
    label = _option_label(node, value, lang)
    return label if label is not None else str(value)


def entries(form: Form | None, data: Mapping[str, Any], lang: str) -> list[Entry]:
    """The fields of ``data`` in form order, labelled in ``lang``."""
    return [entry for _name, entry in named_entries(form, data, lang)]


def named_entries(form: Form | None, data: Mapping[str, Any], lang: str) -> list[tuple[str, Entry]]:
    """:func:`entries` with each top-level field's name."""
    if form is None:
        return []
    schema = form.schema
    declared = properties(schema)
    order = list(schema.get("x-order") or []) + [
        k for k in declared if k not in (schema.get("x-order") or [])
    ]
    found = []
    for name in order:
        if name not in data or data[name] in (None, "", []):
            continue
        node = declared.get(name, {})
        if isinstance(node, Mapping) and node.get("x-widget") == "hidden":
            continue
        found.append(
            (name, Entry(label=title_of(node, name, lang), value=display(schema, node, data[name], lang)))
        )
    return found
