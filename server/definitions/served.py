"""A form's schema as the server enforces it and as the API serves it.

The server refuses a top-level field the form does not declare (anywhere: a field of a branch is
declared). Written into the schema, any JSON Schema client knows it too: the served schema carries
``propertyNames`` naming the form's fields (draft-06 and later clients all read it) and, for a 2020-12
form without a rule of its own for other properties, ``unevaluatedProperties: false`` at its root,
which the server's validator enforces as well (:func:`enforced`): a property declared under a branch
that does not apply is refused.

Choices known only at run time — the members of the department holding a ticket, for a field marked
``x-department-member`` in an action form — are written in as ``oneOf`` of ``const`` with a ``title``
each (the member's id and name), or an empty ``enum`` when there is no one to choose: the served action
schema says what the server accepts.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from server.definitions.dialect import draft_of
from server.definitions.forms import fields

Choices = Mapping[str, Sequence[tuple[str, str]]]
"""(value, label) pairs by JSON pointer without array indices (``/assignee``)."""


def enforced(schema: Mapping[str, Any]) -> dict[str, Any]:
    """``schema`` as submissions are validated against it (a shallow copy): a 2020-12 form with no
    ``additionalProperties`` or ``unevaluatedProperties`` of its own gets ``unevaluatedProperties:
    false``."""
    document = dict(schema)
    own = "additionalProperties" in document or "unevaluatedProperties" in document
    if not own and draft_of(schema) == "2020-12":
        document["unevaluatedProperties"] = False
    return document


def served(schema: Mapping[str, Any], choices: Choices | None = None) -> dict[str, Any]:
    """The schema the API serves: :func:`enforced`, the form's fields named by ``propertyNames`` (in
    an ``allOf`` member when the form has a ``propertyNames`` of its own), the run-time ``choices``
    written in."""
    document = enforced(schema)
    names = {"propertyNames": {"enum": sorted(fields(schema))}}
    if "propertyNames" not in document:
        document.update(names)
    else:
        members = document.get("allOf")
        document["allOf"] = [*(members if isinstance(members, list) else ()), names]
    if choices:
        document = copy.deepcopy(document)
        _write_choices(document, "", choices)
    return document


def _write_choices(node: Any, base: str, choices: Choices) -> None:
    if not isinstance(node, dict):
        return
    properties = node.get("properties")
    for name, sub in properties.items() if isinstance(properties, Mapping) else ():
        if not isinstance(sub, dict):
            continue
        here = f"{base}/{name}"
        if sub.get("x-department-member") is True and here in choices:
            options = choices[here]
            if options:
                sub["oneOf"] = [{"const": value, "title": label} for value, label in options]
            else:
                sub["enum"] = []  # no one to choose: nothing is accepted
        _write_choices(sub, here, choices)
        _write_choices(sub.get("items"), here, choices)
    for key in ("then", "else"):
        _write_choices(node.get(key), base, choices)
    for key in ("allOf", "anyOf", "oneOf"):
        for branch in node.get(key) or ():
            _write_choices(branch, base, choices)
    dependents = node.get("dependentSchemas")
    for branch in dependents.values() if isinstance(dependents, Mapping) else ():
        _write_choices(branch, base, choices)
