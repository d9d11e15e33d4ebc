"""The one parser of a posted HTML form, and the error summary every page shows the same way.

:func:`read_post` turns a form post (urlencoded or multipart) into a :class:`Posted`: the values as
lists of strings per name, and the uploaded files (only those with a file name) per name. Handlers
never call ``request.form()`` themselves.

A page that refuses a post shows a GOV.UK error summary at its top (``templates/_error_summary.html``):
a list of :data:`SummaryItem` — the id of the input the message links to (empty for a problem of the
whole form), the field's label, and the message.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec
from litestar import Request
from litestar.datastructures import State, UploadFile

from server.web.limits import Budget, check_values

__all__ = ["FieldProblem", "Posted", "SummaryItem", "read_post", "summary_of"]

SummaryItem = tuple[str, str, str]
"""(input id, label, message) — one line of an error summary."""


class FieldProblem(msgspec.Struct, frozen=True):
    """A problem of one input (``field`` is its id, which the summary links to) or of the whole form
    (``field`` empty)."""

    field: str
    text: str
    label: str = ""


def summary_of(problems: Iterable[FieldProblem]) -> list[SummaryItem]:
    return [(p.field, p.label, p.text) for p in problems]


class Posted(msgspec.Struct, frozen=True):
    values: dict[str, list[str]] = msgspec.field(default_factory=dict)
    files: dict[str, list[UploadFile]] = msgspec.field(default_factory=dict)

    def first(self, name: str, default: str = "") -> str:
        """The first value posted under ``name`` (``default`` when there is none)."""
        found = self.values.get(name)
        return found[0] if found else default

    def all(self, name: str) -> list[str]:
        return list(self.values.get(name) or ())

    def number(self, name: str, default: int = -1) -> int:
        """The first value as a non-negative whole number, else ``default`` (a malformed or huge value
        is not an error here: the caller treats it as absent or stale)."""
        raw = self.first(name).strip()
        return int(raw) if raw.isdigit() and len(raw) <= 18 else default


async def read_post(request: Request[Any, Any, State]) -> Posted:
    """The form post of ``request`` (see the module's text); a post over the request budgets or with
    control characters in a value raises ``limits.InputRefused`` (a clear 4xx page)."""
    form = await request.form()
    values: dict[str, list[str]] = {}
    files: dict[str, list[UploadFile]] = {}
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            if value.filename:
                files.setdefault(key, []).append(value)
        else:
            values.setdefault(key, []).append(str(value))
    # the post's text within budget (count, length, no control characters): else a 4xx, unread
    check_values((v for vs in values.values() for v in vs), Budget.of(request.app.state.settings))
    return Posted(values=values, files=files)
