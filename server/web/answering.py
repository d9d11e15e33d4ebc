"""Turning what a requester service answers (``server/requests/results.py``) into a response: a page
rendered from its registered template, a 303, the log-in redirect or the 404 page."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Response, Template

from server.requests.results import GoTo, NeedsLogin, Result, Shown
from server.requests.submission import Fragment
from server.web.guards import LoginRequired
from server.web.rendering import PAGES, render

AnyRequest = Request[Any, Any, State]


def template_of(page: Any) -> str:
    """The template registered (``@page_context``) for the type of ``page``."""
    found = next((name for name, cls in PAGES.items() if type(page) is cls), None)
    if found is None:
        raise TypeError(f"{type(page).__name__} has no registered template")
    return found


def respond(connection: ASGIConnection[Any, Any, Any, Any], result: Result, lang: str) -> Template | Redirect:
    if isinstance(result, Shown):
        return render(connection, template_of(result.page), result.page, lang=lang, status_code=result.status)
    if isinstance(result, GoTo):
        return Redirect(result.location, status_code=303)
    if isinstance(result, NeedsLogin):
        raise LoginRequired()
    raise NotFoundException()


def fragment(found: Fragment | None) -> Response[str]:
    """An HTMX fragment (204 when empty, 404 when the service is unknown)."""
    if found is None:
        raise NotFoundException()
    return Response(found.html, media_type="text/html", status_code=200 if found.html else 204)
