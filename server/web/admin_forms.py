"""What the administration controllers share: the app's Jinja environment (for the form renderer),
404 for what does not exist, and the answer to an action's :class:`~server.directory.outcome.Outcome`
(303 to the next page when done, the page again with 422 when refused, 404 when not found)."""

from __future__ import annotations

from typing import Any, TypeVar

from litestar import Request
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Template

from server.directory.outcome import Outcome
from server.web.rendering import render

__all__ = ["AnyRequest", "answer", "found"]

AnyRequest = Request[Any, Any, State]
T = TypeVar("T")


def found(value: T | None) -> T:
    """``value``, or 404 when there is none."""
    if value is None:
        raise NotFoundException()
    return value


def answer(request: AnyRequest, outcome: Outcome[Any], template: str, location: str) -> Template | Redirect:
    """303 to ``location`` when done (``{done}`` in it is replaced by what was done), ``template`` with
    the page again (422 when refused), or 404."""
    if not outcome.found:
        raise NotFoundException()
    if outcome.page is not None:
        return render(request, template, outcome.page, status_code=422 if outcome.refused else 200)
    return Redirect(location.replace("{done}", outcome.done), status_code=303)
