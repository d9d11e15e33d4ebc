"""Rendering a page: the chrome every page shares, the typed context of each template, and the template.

Every page template receives ``chrome`` (a :class:`Chrome`), ``t`` (the interface text in the page's
language), ``lang``, and its own typed context object ``page``. Each context type declares the
templates it fills with :func:`page_context`; :func:`render` refuses a context of another type, and a
test renders every registered template from its type with ``StrictUndefined`` (the environment's
``undefined`` in the app too), so a template that reads a field its context lacks fails the tests
instead of rendering blank.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import msgspec
from litestar.connection import ASGIConnection
from litestar.response import Template

from server import __version__
from server.i18n import direction, other, t
from server.standing import contact, standing
from server.web.deps import language, runtime_of
from server.web.guards import viewer_of

__all__ = ["PAGES", "Chrome", "chrome", "page_context", "render"]

T = TypeVar("T")

PAGES: dict[str, type[Any]] = {}
"""Template name → the type of its ``page`` (filled by :func:`page_context`)."""


def page_context(*templates: str) -> Callable[[type[T]], type[T]]:
    """Class decorator: ``templates`` are rendered with an instance of this class as ``page``."""

    def register(cls: type[T]) -> type[T]:
        for template in templates:
            known = PAGES.get(template)
            if known is not None and known is not cls:
                raise ValueError(f"{template} already has the context {known.__name__}")
            PAGES[template] = cls
        return cls

    return register


class Chrome(msgspec.Struct, frozen=True):
    lang: str
    dir: str
    other_lang: str
    org_name: str
    org_parent: str
    phone: str
    email: str
    hours: str
    path: str
    user_name: str | None
    is_staff: bool = False
    """Whether to show the staff links (task lists, intake)."""
    is_admin: bool = False
    """Whether to show the administration links (the ``administer`` capability)."""
    is_auditor: bool = False
    """Whether to show the exports (the ``export`` capability)."""
    is_requester: bool = False
    """Whether to show "my tickets"."""
    sees_replies: bool = False
    """Whether to link the customer-service replies log (``server.channels.replies``)."""
    asset_version: str = __version__


def chrome(connection: ASGIConnection[Any, Any, Any, Any], lang: str) -> Chrome:
    runtime = runtime_of(connection)
    user = viewer_of(connection)
    path = connection.url.path + (f"?{connection.url.query}" if connection.url.query else "")
    here = contact(runtime, lang, t("extension", lang))
    viewer = standing(runtime, user)
    return Chrome(
        lang=lang,
        dir=direction(lang),
        other_lang=other(lang),
        org_name=here.org_name,
        org_parent=here.org_parent,
        phone=here.phone,
        email=here.email,
        hours=here.hours,
        path=path,
        user_name=user.name if user else None,
        is_staff=viewer.is_staff,
        is_admin=viewer.is_admin,
        is_auditor=viewer.is_auditor,
        is_requester=viewer.is_requester,
        sees_replies=viewer.sees_replies,
    )


def render(
    connection: ASGIConnection[Any, Any, Any, Any],
    template: str,
    page: Any,
    *,
    status_code: int = 200,
    lang: str | None = None,
    headers: dict[str, str] | None = None,
) -> Template:
    """``template`` with ``page`` (an instance of the type registered for it) and the chrome."""
    expected = PAGES.get(template)
    if expected is None or not isinstance(page, expected):
        raise TypeError(f"{template} is rendered with {type(page).__name__}; register it with @page_context")
    lang = lang or language(connection)
    return Template(
        template_name=template,
        context={"page": page, "chrome": chrome(connection, lang), "t": partial(t, lang=lang), "lang": lang},
        status_code=status_code,
        headers=headers,
    )
