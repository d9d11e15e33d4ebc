"""Who may open what: guards attached to controllers and handlers (``guards=[…]``). They are coroutine
functions though they wait for nothing: Litestar runs a plain-function guard in a worker thread, a hop
per request.

The roles a guard accepts are read from the organisation (a role's ``scope`` and ``capabilities`` in
``organisation.json``), never written here:

* :func:`login_required` — anyone logged in;
* :func:`staff_required` — a user with an organisation- or department-scoped role;
* :func:`admin_required` — a role with the ``administer`` capability;
* :func:`export_required` — a role with the ``export`` capability (the auditor, the administrator).

An anonymous request raises :class:`LoginRequired`; a logged-in one without the right role raises
``PermissionDeniedException``. :func:`not_authorised` answers both: under ``/api`` 401 with
``WWW-Authenticate: Bearer`` (or 403), on a page 303 to the log-in page — which comes back to the page
afterwards — (or the bilingual 403 page, from the app's error handler).
"""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import quote, urlsplit

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.response import Redirect

from server.accounts.records import User
from server.definitions.model import Capability
from server.runtime import Runtime
from server.standing import capable, staff

__all__ = [
    "USER_SCOPE_KEY",
    "LoginRequired",
    "admin_required",
    "export_required",
    "is_api",
    "login_redirect",
    "login_required",
    "safe_next",
    "staff_required",
    "viewer_of",
]

USER_SCOPE_KEY = "khidma_user"
"""Where ``AuthMiddleware`` (``server/web/auth.py``) puts the request's user."""

AnyConnection = ASGIConnection[Any, Any, Any, Any]


class LoginRequired(NotAuthorizedException):
    """The request has no (valid) user; a page answers with the log-in redirect, the API with 401."""

    def __init__(self) -> None:
        super().__init__(
            "a valid bearer token is required (Authorization: Bearer <token>) / يلزم رمز وصول صالح",
            headers={"WWW-Authenticate": 'Bearer realm="khidma"'},
        )


def viewer_of(connection: AnyConnection) -> User | None:
    """The logged-in user of this request, or None (anonymous)."""
    user = cast(dict[str, Any], connection.scope).get(USER_SCOPE_KEY)
    return user if isinstance(user, User) else None


def is_api(connection: AnyConnection) -> bool:
    path: str = connection.scope["path"]
    return path == "/api" or path.startswith("/api/")


def _runtime(connection: AnyConnection) -> Runtime:
    runtime: Runtime = connection.app.state.runtime
    return runtime


def _user(connection: AnyConnection) -> User:
    user = viewer_of(connection)
    if user is None:
        raise LoginRequired()
    return user


async def login_required(connection: AnyConnection, _: BaseRouteHandler) -> None:
    _user(connection)


async def staff_required(connection: AnyConnection, _: BaseRouteHandler) -> None:
    if not staff(_runtime(connection), _user(connection)):
        raise PermissionDeniedException()


def _capability(connection: AnyConnection, capability: Capability) -> None:
    if not capable(_runtime(connection), _user(connection), capability):
        raise PermissionDeniedException()


async def admin_required(connection: AnyConnection, _: BaseRouteHandler) -> None:
    _capability(connection, "administer")


async def export_required(connection: AnyConnection, _: BaseRouteHandler) -> None:
    _capability(connection, "export")


# --- the log-in redirect --------------------------------------------------------------------------


def safe_next(target: str | None, default: str = "/") -> str:
    """``target`` when it is a path on this site (``/…``), else ``default``: never an open redirect
    (``//host``, ``/\\host``, ``https://host``, control characters are all refused)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def login_redirect(connection: AnyConnection) -> Redirect:
    """303 to the log-in page, which comes back to this page afterwards."""
    target = connection.url.path + (f"?{connection.url.query}" if connection.url.query else "")
    return Redirect(f"/login?next={quote(safe_next(target), safe='')}", status_code=303)
