"""What a handler may ask for by name (Litestar's dependency injection), provided once for the app.

* ``runtime`` — the running :class:`~server.runtime.Runtime` (store, ticket service, catalogue);
* ``viewer`` — the logged-in :class:`~server.accounts.records.User`, or None (anonymous);
* ``user`` — the logged-in user; asking for it on a handler that has no login guard still answers
  the log-in redirect (pages) or 401 (API) for an anonymous request;
* ``page_lang`` — the page's language (the cookie, then ``Accept-Language``, then the organisation's default);
* ``api_lang`` — the API's language (``Accept-Language``, Arabic by default).

Controllers take these as parameters; the rules behind them (who is logged in, which language) live
here and in ``server/web/auth.py`` once.
"""

from __future__ import annotations

from typing import Any

import jinja2
from litestar import Litestar, Request
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import SkipValidation
from litestar.plugins.jinja import JinjaTemplateEngine

from server.accounts.records import User
from server.definitions.model import Language
from server.i18n import negotiate
from server.runtime import Runtime
from server.standing import default_language
from server.web.guards import LoginRequired, viewer_of

__all__ = [
    "DEPENDENCIES",
    "LANG_COOKIE",
    "ApiLang",
    "CurrentUser",
    "Lang",
    "RuntimeDep",
    "Viewer",
    "language",
    "resolve_in_sequence",
    "runtime_of",
    "template_env",
]

LANG_COOKIE = "lang"


def runtime_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Runtime:
    """The app's runtime (opened by the lifespan in ``server/app.py``)."""
    runtime: Runtime = connection.app.state.runtime
    return runtime


def template_env(connection: ASGIConnection[Any, Any, Any, Any]) -> jinja2.Environment:
    """The app's Jinja environment (the form renderer draws fields with its macros)."""
    engine = connection.app.template_engine
    if not isinstance(engine, JinjaTemplateEngine):
        raise TypeError("the app renders its templates with Jinja")
    return engine.engine


def language(connection: ASGIConnection[Any, Any, Any, Any]) -> Language:
    return negotiate(
        connection.cookies.get(LANG_COOKIE),
        connection.headers.get("accept-language"),
        default_language(runtime_of(connection)),
    )


def provide_runtime(state: State) -> Runtime:
    runtime: Runtime = state.runtime
    return runtime


def provide_viewer(request: Request[Any, Any, State]) -> User | None:
    return viewer_of(request)


def provide_user(request: Request[Any, Any, State]) -> User:
    user = viewer_of(request)
    if user is None:
        raise LoginRequired()
    return user


def provide_lang(request: Request[Any, Any, State]) -> Language:
    return language(request)


def provide_api_lang(request: Request[Any, Any, State]) -> Language:
    return negotiate(None, request.headers.get("accept-language"), "ar")


# Plain functions called on the event loop (``sync_to_thread=False``): none of them waits for
# anything, and as coroutines Litestar resolved two or more of them in an anyio task group per request.
DEPENDENCIES = {
    "runtime": Provide(provide_runtime, sync_to_thread=False),
    "viewer": Provide(provide_viewer, sync_to_thread=False),
    "user": Provide(provide_user, sync_to_thread=False),
    "page_lang": Provide(provide_lang, sync_to_thread=False),
    "api_lang": Provide(provide_api_lang, sync_to_thread=False),
}


def resolve_in_sequence(app: Litestar) -> Litestar:
    """Make every handler resolve its dependencies one after another.

    Litestar groups the dependencies a handler asks for into batches that do not depend on each other
    and resolves a batch of two or more in an anyio task group — a task per dependency, on every
    request (about a tenth of a submission's CPU, measured with py-spy). Ours are plain functions
    that wait for nothing, so each batch is split into batches of one, in an order that keeps every
    dependency after those it needs (the batches were already in such an order). This reads
    Litestar's ``HTTPRoute.route_handler_map`` and ``KwargsModel.dependency_batches``;
    ``tests/test_app.py`` fails if a Litestar upgrade moves them."""
    for route in app.routes:
        handler_map = getattr(route, "route_handler_map", None)
        if not isinstance(handler_map, dict):
            continue
        for _, model in handler_map.values():
            batches = getattr(model, "dependency_batches", None)
            if batches and any(len(batch) > 1 for batch in batches):
                model.dependency_batches = [
                    {one} for batch in batches for one in sorted(batch, key=lambda d: d.key)
                ]
    return app


# What a handler writes for each (the parameter's name must be the dependency's: ``runtime``,
# ``viewer``, ``user``, ``page_lang``, ``api_lang``), e.g. ``async def show(self, runtime: RuntimeDep,
# user: CurrentUser, page_lang: Lang) -> Template``. (Not ``lang``: that is a query parameter of
# some pages — the language of the ready replies offered.)
# Values we provide ourselves are not validated again (``SkipValidation``).
RuntimeDep = NamedDependency[SkipValidation[Runtime]]
Viewer = NamedDependency[SkipValidation[User | None]]
CurrentUser = NamedDependency[SkipValidation[User]]
Lang = NamedDependency[SkipValidation[Language]]
ApiLang = NamedDependency[SkipValidation[Language]]
