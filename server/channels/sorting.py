"""Sorting rules as data (service 6): a choice field of an action form may carry ``x-suggest`` — which
fields of the ticket to read and, in order, keywords that suggest each value. The staff ticket page
pre-fills the field with the first value whose keywords occur (compared folded: case, Arabic letter
forms and diacritics, digits), so the representative confirms the suggestion or picks another; nothing
is ever sorted without them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from server.definitions.model import Form
from server.tickets.tasks import normalize


def _choices(node: Mapping[str, Any]) -> set[str]:
    found = {str(o["const"]) for o in node.get("oneOf", ()) if isinstance(o, Mapping) and "const" in o}
    return found | {str(v) for v in node.get("enum", ())}


def suggest(form: Form | None, ticket_data: Mapping[str, Any]) -> dict[str, Any] | None:
    """The action form's data pre-filled from its ``x-suggest`` rules (None: nothing to suggest)."""
    if form is None:
        return None
    suggested: dict[str, Any] = {}
    for name, node in (form.schema.get("properties") or {}).items():
        rules = node.get("x-suggest") if isinstance(node, Mapping) else None
        if not isinstance(rules, Mapping):
            continue
        text = normalize(" ".join(str(ticket_data.get(f, "")) for f in rules.get("from", ())))
        allowed = _choices(node)
        for rule in rules.get("rules", ()):
            if rule["value"] in allowed and any(normalize(k) in text for k in rule["keywords"]):
                suggested[name] = rule["value"]
                break
    return suggested or None
