"""Litestar's CSRF middleware, with its cookie written from a template (issue 14: the form page's CPU).

The checks are Litestar's own (``CSRFMiddleware``: a token in a cookie, the same token in the
``_csrf_token`` field or the ``x-csrftoken`` header of every unsafe request, paths under ``/api``
excluded). What differs is how the cookie is written for a visitor who has none — every first page,
and every page a client that keeps no cookies asks for: Litestar builds a ``Cookie`` and serialises it
through ``dataclasses.asdict`` and ``http.cookies``, about 45 µs a page (a tenth of the form page's CPU
in process). Here the header is made once, by that same ``Cookie``, around a placeholder, and each page
puts its token in it. The token is hex, so the header is byte for byte the one Litestar writes
(``tests/test_security_headers.py`` compares them).

``create_app`` installs this as the innermost of the app's middleware — where Litestar puts its own —
and so passes no ``csrf_config`` to Litestar.
"""

from __future__ import annotations

from litestar.config.csrf import CSRFConfig
from litestar.datastructures import Cookie
from litestar.datastructures.headers import MutableScopeHeaders
from litestar.middleware.csrf import CSRFMiddleware
from litestar.types import ASGIApp, HTTPSendMessage

from server.settings import Settings

_PLACEHOLDER = "khidmacsrftokenplaceholder"


def cookie_header(config: CSRFConfig, token: str) -> str:
    """The ``Set-Cookie`` value Litestar's middleware writes for ``token``."""
    return Cookie(
        key=config.cookie_name,
        value=token,
        path=config.cookie_path,
        secure=config.cookie_secure,
        httponly=config.cookie_httponly,
        samesite=config.cookie_samesite,
        domain=config.cookie_domain,
    ).to_header(header="")


_made: list[tuple[CSRFConfig, str, str]] = []
"""The header around the placeholder for the last config asked: Litestar makes a middleware per route
(210 of them), all with the app's one config."""


def _template(config: CSRFConfig) -> tuple[str, str]:
    if not _made or _made[0][0] is not config:
        before, _, after = cookie_header(config, _PLACEHOLDER).partition(_PLACEHOLDER)
        _made[:] = [(config, before, after)]
    return _made[0][1], _made[0][2]


class CSRF(CSRFMiddleware):
    """See the module's text."""

    def __init__(self, app: ASGIApp, config: CSRFConfig) -> None:
        super().__init__(app, config)
        self._before, self._after = _template(config)

    def _set_cookie_if_needed(self, message: HTTPSendMessage, token: str) -> None:
        if not (
            token.isascii() and token.isalnum()
        ):  # never: Litestar's tokens are hex; anything else is quoted by Cookie
            super()._set_cookie_if_needed(message, token)
            return
        MutableScopeHeaders.from_message(message).add("set-cookie", f"{self._before}{token}{self._after}")


def csrf_config(settings: Settings) -> CSRFConfig:
    """The app's CSRF settings: the API (bearer tokens, no cookies) is excluded."""
    return CSRFConfig(
        secret=settings.secret,
        exclude=["/api"],
        cookie_samesite="lax",
        cookie_httponly=True,
        cookie_secure=settings.secure_cookies,
    )
