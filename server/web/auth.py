"""Who is asking: log-in sessions for the pages, bearer tokens for the API, optional trusted-header SSO.

``AuthMiddleware`` resolves the current user of every HTTP request (static files aside) and puts the
store's ``User`` — or None — in ``request.scope["khidma_user"]``:

* under ``/api``: from ``Authorization: Bearer <token>`` only (tokens are stored hashed and
  revocable). Cookies are not looked at there: ``/api`` is exempt from the CSRF check, so a cookie
  (or an SSO header a proxy adds to every browser request) accepted there would let any site act as
  the logged-in user;
* elsewhere (the pages): from the trusted SSO header when it is configured and the request comes
  from a trusted proxy, else from the session cookie ``khidma_session`` (a random token; the store
  keeps only its SHA-256; idle and absolute expiry in the settings).

Handlers ask for the user through ``server/web/deps.py`` and are guarded by ``server/web/guards.py``. The log-in
and log-out pages (``AuthPages``) throttle failed attempts per username and per client address, give
the same answer for an unknown user and a wrong password, and start a new session at each log-in.
"""

from __future__ import annotations

import functools
from typing import Any, cast

import msgspec
from litestar import Controller, Request, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, State
from litestar.enums import ScopeType
from litestar.exceptions import PermissionDeniedException
from litestar.middleware import ASGIMiddleware
from litestar.response import Redirect, Template
from litestar.types import ASGIApp, Receive, Scope, Send

from server.accounts import login
from server.accounts.login import MAX_USERNAME
from server.accounts.records import User
from server.accounts.tokens import SESSION_COOKIE
from server.engine.advance import READ_ONLY_REFUSAL
from server.i18n import t
from server.runtime import Runtime
from server.settings import Settings
from server.standing import reads_only
from server.web.api import BEARER, errors
from server.web.deps import CurrentUser, Lang, RuntimeDep, Viewer
from server.web.forms import FieldProblem, read_post
from server.web.guards import USER_SCOPE_KEY, is_api, login_required, safe_next
from server.web.limits import Network, client_address, in_networks, parse_networks, proxy_networks
from server.web.params import QueryOptStr
from server.web.rendering import page_context, render

__all__ = ["SESSION_COOKIE", "USER_SCOPE_KEY", "AuthAPI", "AuthMiddleware", "AuthPages"]

AnyRequest = Request[Any, Any, State]

# --- the middleware -------------------------------------------------------------------------------


class AuthConfig(msgspec.Struct, frozen=True):
    """What the middleware and the log-in page need from the settings, parsed once (the log-in rules
    themselves are ``server.accounts.login.LoginPolicy``)."""

    secure_cookies: bool
    sso_header: str | None
    trusted_proxies: tuple[Network, ...]
    """The SSO proxies, whose ``sso_header`` is believed."""
    forwarding_proxies: tuple[Network, ...]
    """Every trusted proxy, whose ``X-Forwarded-For`` is believed (``limits.proxy_networks``)."""

    @classmethod
    def from_settings(cls, settings: Settings) -> AuthConfig:
        return cls(
            secure_cookies=settings.secure_cookies,
            sso_header=(settings.sso_header or "").strip().lower() or None,
            trusted_proxies=parse_networks(settings.sso_trusted_proxies, "sso_trusted_proxies"),
            forwarding_proxies=proxy_networks(settings),
        )

    def from_trusted_proxy(self, connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
        client = connection.client
        return in_networks(client.host if client else None, self.trusted_proxies)

    def client_address(self, connection: ASGIConnection[Any, Any, Any, Any]) -> str:
        """The address the log-in throttle counts (``limits.client_address``: ``X-Forwarded-For`` only
        from a trusted proxy)."""
        client = connection.client
        return client_address(client.host if client else None, connection.scope, self.forwarding_proxies)


def _runtime(scope: Scope) -> Runtime | None:
    runtime = getattr(scope["app"].state, "runtime", None)
    return runtime if isinstance(runtime, Runtime) else None


@functools.lru_cache(maxsize=8)
def auth_config(settings: Settings) -> AuthConfig:
    return AuthConfig.from_settings(settings)


def bearer_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    scheme, _, token = connection.headers.get("authorization", "").strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


async def resolve_user(connection: ASGIConnection[Any, Any, Any, Any], config: AuthConfig) -> User | None:
    runtime = _runtime(connection.scope)
    if runtime is None:
        return None
    if is_api(connection):
        token = bearer_token(connection)
        return None if token is None else await login.token_user(runtime, token)
    if config.sso_header is not None and config.from_trusted_proxy(connection):
        username = connection.headers.get(config.sso_header, "").strip()
        if username:
            return await login.sso_user(runtime, username)
    session = connection.cookies.get(SESSION_COOKIE)
    return await login.session_user(runtime, session) if session else None


class AuthMiddleware(ASGIMiddleware):
    """Puts the request's ``User`` (or None) in ``scope["khidma_user"]``; see the module's text."""

    scopes = (ScopeType.HTTP,)

    @staticmethod
    def should_bypass_for_scope(scope: Scope) -> bool:
        """Static files need no user."""
        return str(scope.get("path", "")).startswith("/static/")

    def __init__(self, settings: Settings) -> None:
        self.config = auth_config(settings)  # a malformed proxy list refuses to start

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope, receive, send)
        user = await resolve_user(connection, self.config)
        cast(dict[str, Any], scope)[USER_SCOPE_KEY] = user
        refuse_read_only(scope, user)
        await next_app(scope, receive, send)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
READ_ONLY_ALLOWED = frozenset({"/logout"})
"""Unsafe requests a read-only user may still make."""


def refuse_read_only(scope: Scope, user: User | None) -> None:
    """The read-only guard: a user whose roles are all read-only (the auditor) may read everything
    they are allowed to, but every unsafe request (POST, PUT, PATCH, DELETE…) but log-out is refused
    with 403 — the bilingual error page, or a JSON body under ``/api`` (the app's error handler)."""
    if user is None or scope.get("method", "GET") in SAFE_METHODS or scope["path"] in READ_ONLY_ALLOWED:
        return
    runtime = _runtime(scope)
    if runtime is not None and reads_only(runtime, user):
        raise PermissionDeniedException(
            f"{READ_ONLY_REFUSAL.en} / {READ_ONLY_REFUSAL.ar}",
            extra={
                "reason": "read_only",
                "messages": {"ar": READ_ONLY_REFUSAL.ar, "en": READ_ONLY_REFUSAL.en},
            },
        )


# --- the log-in and log-out pages -----------------------------------------------------------------


@page_context("login.html")
class LoginPage(msgspec.Struct, frozen=True):
    next: str
    username: str
    problems: tuple[FieldProblem, ...] = ()
    message: str | None = None
    """A problem of the whole form (wrong credentials, too many attempts)."""

    def problem(self, field: str) -> str | None:
        return next((p.text for p in self.problems if p.field == field), None)


def _session_cookie(value: str, config: AuthConfig) -> Cookie:
    # No Max-Age: the cookie ends with the browser; the server ends the session in any case.
    return Cookie(
        key=SESSION_COOKIE,
        value=value,
        path="/",
        httponly=True,
        samesite="lax",
        secure=config.secure_cookies,
    )


def _refusal(page: LoginPage, lang: str, refusal: login.LoginRefused) -> tuple[LoginPage, int]:
    """The log-in page again: 429 when throttled, else 400 (the same answer for an unknown user and a
    wrong password)."""
    if refusal.throttled_minutes is not None:
        return msgspec.structs.replace(
            page, message=t("auth_throttled", lang).format(minutes=refusal.throttled_minutes)
        ), 429
    return msgspec.structs.replace(page, message=t("auth_failed", lang)), 400


class AuthPages(Controller):
    """``GET /login``, ``POST /login``, ``POST /logout`` (CSRF-checked by the app's CSRF config)."""

    include_in_schema = False

    @get("/login")
    async def login_form(
        self, request: AnyRequest, viewer: Viewer, next: QueryOptStr = None
    ) -> Template | Redirect:
        if viewer is not None:
            return Redirect(safe_next(next), status_code=303)
        return render(request, "login.html", LoginPage(next=safe_next(next), username=""))

    @post("/login", status_code=303)
    async def login(self, request: AnyRequest, runtime: RuntimeDep, page_lang: Lang) -> Template | Redirect:
        posted = await read_post(request)
        username, password = posted.first("username").strip()[:MAX_USERNAME], posted.first("password")
        page = LoginPage(next=safe_next(posted.first("next")), username=username)
        problems = [
            FieldProblem(name, t(f"auth_{name}_missing", page_lang))
            for name, value in (("username", username), ("password", password))
            if not value
        ]
        if problems:
            return render(
                request,
                "login.html",
                msgspec.structs.replace(page, problems=tuple(problems)),
                status_code=400,
            )
        config = auth_config(runtime.settings)
        done = await login.log_in(
            runtime,
            username,
            password,
            client_address=config.client_address(request),
            old_session=request.cookies.get(SESSION_COOKIE),
        )
        if isinstance(done, login.LoginRefused):
            request.logger.info("refused log-in for a username from %s", config.client_address(request))
            refused, status = _refusal(page, page_lang, done)
            return render(request, "login.html", refused, status_code=status)
        return Redirect(page.next, status_code=303, cookies=[_session_cookie(done.session_token, config)])

    @post("/logout", status_code=303)
    async def logout(self, request: AnyRequest, runtime: RuntimeDep) -> Redirect:
        await login.log_out(runtime, request.cookies.get(SESSION_COOKIE))
        response = Redirect("/", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response


# --- the API's own view of the caller -------------------------------------------------------------


class Me(msgspec.Struct, frozen=True):
    id: str
    username: str
    name: str
    email: str | None
    department: str | None
    roles: list[str]


class AuthAPI(Controller):
    path = "/api/me"
    tags = ["accounts"]  # noqa: RUF012 (Litestar's declared class attribute)

    @get("/", guards=[login_required], security=BEARER, responses=errors(401))
    async def me(self, user: CurrentUser) -> Me:
        """The caller as its bearer token identifies it (401 without a valid token)."""
        return Me(
            id=user.id,
            username=user.username,
            name=user.name,
            email=user.email,
            department=user.department,
            roles=list(user.roles),
        )
