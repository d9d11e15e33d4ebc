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

from litestar.types import Message, Scope

__all__ = ["CSP", "security_headers"]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)

_ALWAYS = (
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)
_CSP = (b"content-security-policy", CSP.encode("ascii"))
_NO_STORE = (b"cache-control", b"no-store")


async def security_headers(message: Message, scope: Scope) -> None:
    """Add the headers above to the start of an HTTP answer (see the module's text): the raw header
    list is read once and the missing ones appended (a header the answer sets itself is kept)."""
    if message["type"] != "http.response.start":
        return
    headers = message.get("headers")
    if not isinstance(headers, list):
        headers = list(headers or ())
        message["headers"] = headers
    present = {name.lower() for name, _ in headers}
    headers.extend(pair for pair in _ALWAYS if pair[0] not in present)
    path = str(scope.get("path", ""))
    if _CSP[0] not in present and not path.startswith("/schema"):
        headers.append(_CSP)
    if _NO_STORE[0] not in present and not path.startswith("/static/"):
        headers.append(_NO_STORE)
