"""Rendering a page: the language, the chrome every page shares, and the template.

Every page template receives ``chrome`` (a :class:`Chrome`), ``t`` (the interface text in the page's
language), ``lang``, and its own typed context object ``page``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.response import Template

from server import __version__
from server.access import is_staff
from server.i18n import direction, negotiate, other, t
from server.runtime import Runtime
from server.store.records import User

LANG_COOKIE = "lang"


@dataclass(frozen=True)
class Chrome:
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
    """Whether to show the administration links."""
    is_auditor: bool = False
    """Whether to show the exports (auditors and administrators)."""
    asset_version: str = __version__


def runtime_of(request: Request[Any, Any, State]) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def language(request: Request[Any, Any, State]) -> str:
    org = runtime_of(request).org
    return negotiate(
        request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"), org.default_language
    )


def chrome(request: Request[Any, Any, State], lang: str) -> Chrome:
    runtime = runtime_of(request)
    org = runtime.org
    phone = org.contact.phones[0]
    user = request.scope.get("khidma_user")
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Chrome(
        lang=lang,
        dir=direction(lang),
        other_lang=other(lang),
        org_name=org.name.get(lang),
        org_parent=org.parent.get(lang) if org.parent else "",
        phone=phone.display(t("extension", lang)),
        email=org.contact.email or "",
        hours=org.contact.hours.get(lang) if org.contact.hours else runtime.tickets.calendar.describe(lang),
        path=path,
        user_name=getattr(user, "name", None),
        is_staff=is_staff(user, org) if isinstance(user, User) else False,
        is_admin=isinstance(user, User) and "administrator" in user.roles,
        is_auditor=isinstance(user, User) and bool({"auditor", "administrator"} & set(user.roles)),
    )


def render(
    request: Request[Any, Any, State],
    template: str,
    page: Any,
    *,
    status_code: int = 200,
    lang: str | None = None,
) -> Template:
    lang = lang or language(request)
    return Template(
        template_name=template,
        context={"page": page, "chrome": chrome(request, lang), "t": partial(t, lang=lang), "lang": lang},
        status_code=status_code,
    )
