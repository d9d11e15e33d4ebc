"""A service's empty form, rendered once per language (issue 14): the form page's fields for a requester
who has typed nothing yet.

Building the form's view and rendering its fields was about 40 % of the form page's CPU, and for an
empty form it depends only on the compiled service (its form, its time zone, its URL) and the language:
no store read, no request state (the CSRF token and the idempotency key are outside the fields). So it
is kept, per compiled service object — a new published version compiles a new object, which misses
here and is rendered afresh. Only the most recent :data:`KEPT` are kept.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

import msgspec
from markupsafe import Markup

from server.definitions.catalogue import CompiledService

KEPT = 64
"""Rendered empty forms kept (a service in a language is one)."""


class FreshForm(msgspec.Struct, frozen=True):
    title: str
    fields: Markup
    multipart: bool
    error_summary: tuple[tuple[str, str, str], ...] = ()
    """Empty for an empty form (the one kept); a rendering with errors is not kept."""


_kept: OrderedDict[tuple[int, str], tuple[CompiledService, FreshForm]] = OrderedDict()


def fresh_form(compiled: CompiledService, lang: str, render: Callable[[], FreshForm]) -> FreshForm:
    """The empty form of ``compiled`` in ``lang``, from ``render`` the first time."""
    key = (id(compiled), lang)
    found = _kept.get(key)
    if found is not None and found[0] is compiled:  # the same object, not one reusing its id
        _kept.move_to_end(key)
        return found[1]
    form = render()
    _kept[key] = (compiled, form)
    while len(_kept) > KEPT:
        _kept.popitem(last=False)
    return form
