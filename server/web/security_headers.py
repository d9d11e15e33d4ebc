"""The security headers of every answer, added as it is sent (a ``before_send`` hook of the app, so error
pages, 404s and refusals carry them too):

* ``Content-Security-Policy``: scripts and styles from this site only — no inline script, no
  ``eval``; htmx is configured for it (``templates/base.html`` turns off its injected indicator
  ``<style>``; the indicator rules are in ``app.css``); no framing (``frame-ancestors 'none'``),
  forms post only here, no ``<base>``, no plugins. An answer that sets its own policy keeps it (the
  service guide, a standalone document with its own ``<style>``). The OpenAPI viewers under
  ``/schema`` load their scripts from a CDN and get none.
* ``X-Frame-Options: DENY`` (older browsers), ``X-Content-Type-Options: nosniff``,
  ``Referrer-Policy: same-origin``.
* ``Cache-Control: no-store`` on every dynamic answer that does not say otherwise (pages of staff,
  administrators and requesters, API answers: most carry personal data); static files keep their
  own caching.
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

__all__ = ["CSP", "security_headers"]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)

_ALWAYS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


async def security_headers(message: Message, scope: Scope) -> None:
    """Add the headers above to the start of an HTTP answer (see the module's text)."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    for name, value in _ALWAYS.items():
        if name not in headers:
            headers[name] = value
    path = str(scope.get("path", ""))
    if "content-security-policy" not in headers and not path.startswith("/schema"):
        headers["content-security-policy"] = CSP
    if "cache-control" not in headers and not path.startswith("/static/"):
        headers["cache-control"] = "no-store"
