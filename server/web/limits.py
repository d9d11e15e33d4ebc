"""Budgets on requests, checked before anything parses them: a hostile body is a clear 4xx, never a 500
and never seconds of work on the event loop.

``LimitsMiddleware`` (after routing, so it knows the route) refuses:

* an integer path parameter outside SQLite's range (``/api/tickets/99999999999999999999``), or a text
  one holding a control character (a NUL, which PostgreSQL refuses in text): 404; a control character
  in the query string: 400;
* an unsafe ``/api`` request whose body is not ``application/json``: 415 (a ``text/plain`` body is
  never parsed as JSON);
* a JSON body over ``max_json_bytes`` (413), nested deeper than ``max_json_depth`` or holding more
  than ``max_json_values`` values (413), or carrying control characters (400) — measured on the raw
  bytes in C-speed passes (strings blanked by one linear regex, brackets counted), before msgspec
  (whose recursion a deep body would exhaust) sees it;
* an urlencoded form over ``max_form_bytes`` or with more than ``max_form_fields`` fields (413);
  multipart posts are held to the same field count by Litestar's part limit, and their values are
  checked by :func:`check_values` from ``read_post``;
* anonymous submissions and tracking look-ups over the per-client rate (429, ``Retry-After``),
  counted in the store so every server process sees the same counts (``server.requests.throttle``);
  a bearer-token or logged-in caller is not counted.

Text values (``check_values``, for form posts) may not carry control characters (Unicode ``Cc``
other than tab, CR and LF): the format characters Arabic text needs (RLM, ZWNJ, …) are ``Cf`` and
stay allowed. A value longer than ``max_field_chars`` is refused rather than echoed back.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Any, cast

import msgspec
from litestar.enums import ScopeType
from litestar.exceptions import HTTPException, NotFoundException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, ReceiveMessage, Scope, Send

from server.forms.fields import GROUP_BUTTON
from server.requests import throttle
from server.runtime import Runtime
from server.settings import Settings
from server.web.guards import USER_SCOPE_KEY

__all__ = [
    "SQLITE_MAX",
    "Budget",
    "InputRefused",
    "LimitsMiddleware",
    "check_values",
    "client_address",
    "json_problem",
    "parse_networks",
]

SQLITE_MAX = 2**63 - 1
"""The largest integer SQLite stores; a larger id cannot name anything."""

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class InputRefused(HTTPException):
    """A request refused before it was read: ``key`` names the message in ``server/i18n/common.py``
    (rendered in the page's language by the app's error handler; both languages under ``/api``)."""

    def __init__(
        self, status_code: int, key: str, *, headers: dict[str, str] | None = None, **values: Any
    ) -> None:
        self.key = key
        self.values = values
        super().__init__(detail=key, status_code=status_code, headers=headers)


# --- who the client is --------------------------------------------------------------------------------

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: Iterable[str], setting: str = "trusted_proxies") -> tuple[Network, ...]:
    """Addresses or networks (``10.0.0.0/8``; a bare address is a one-address network); raises
    ``ValueError`` naming a malformed entry."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"{setting}: {entry!r} is not an IP address or network") from exc
    return tuple(networks)


def in_networks(address: str | None, networks: tuple[Network, ...]) -> bool:
    if not address or not networks:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip.version == net.version and ip in net for net in networks)


def proxy_networks(settings: Settings) -> tuple[Network, ...]:
    """The proxies whose ``X-Forwarded-For`` is honoured: ``trusted_proxies`` and the SSO ones."""
    return parse_networks(settings.trusted_proxies) + parse_networks(
        settings.sso_trusted_proxies, "sso_trusted_proxies"
    )


def client_address(peer: str | None, scope: Scope, proxies: tuple[Network, ...]) -> str:
    """The address a throttle counts: the peer's; when the peer is a trusted proxy, the nearest hop
    of ``X-Forwarded-For`` that is not itself a trusted proxy. Without a trusted proxy the header is
    ignored, so rotating it changes nothing."""
    address = peer or "unknown"
    if not in_networks(peer, proxies):
        return address
    forwarded = ",".join(
        value.decode("latin-1") for name, value in scope.get("headers", ()) if name == b"x-forwarded-for"
    )
    for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
        address = hop
        if not in_networks(hop, proxies):
            break
    return address


# --- the raw-JSON measures --------------------------------------------------------------------------

_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_NOT_CONTROL = bytes(
    b
    for b in range(256)
    if b not in b"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c" + bytes(range(0x0E, 0x20)) + b"\x7f"
)
"""Every byte but the C0 controls (tab, LF, CR aside) and DEL: deleting these leaves the controls."""
_C1 = re.compile(rb"\xc2[\x80-\x9f]")  # U+0080–U+009F in UTF-8
_CONTROL_ESCAPE = re.compile(rb"\\(?:[bf]|u00(?:0[0-8bBcCeEfF]|1[0-9a-fA-F]|7[fF]|[89][0-9a-fA-F]))")
_CONTROL_PERCENT = re.compile(rb"%(?:0[0-8bBcCeEfF]|1[0-9a-fA-F]|7[fF])|%[cC]2%[89][0-9a-fA-F]")
_CONTROL_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class Budget(msgspec.Struct, frozen=True):
    json_bytes: int
    json_depth: int
    json_values: int
    form_bytes: int
    form_fields: int
    field_chars: int

    @classmethod
    def of(cls, settings: Settings) -> Budget:
        return cls(
            json_bytes=settings.max_json_bytes,
            json_depth=settings.max_json_depth,
            json_values=settings.max_json_values,
            form_bytes=settings.max_form_bytes,
            form_fields=settings.max_form_fields,
            field_chars=settings.max_field_chars,
        )


def _has_control_bytes(body: bytes) -> bool:
    return bool(body.translate(None, _NOT_CONTROL)) or (b"\xc2" in body and _C1.search(body) is not None)


def json_problem(body: bytes, budget: Budget) -> InputRefused | None:
    """What is wrong with a raw JSON body, before it is parsed (None: within budget).

    Every step is a C-speed pass over the bytes (no per-character Python, no backtracking): escaped
    backslashes become ``__``, after which every remaining backslash starts an escape (a control
    character's ``\\u0000`` is found by one literal-led regex) and, with escaped quotes blanked too,
    the quotes split the body into text outside and inside strings; commas and brackets are counted
    outside only."""
    if len(body) > budget.json_bytes:
        return InputRefused(413, "input_too_large", limit=budget.json_bytes)
    unescaped = body.replace(b"\\\\", b"__")
    if _has_control_bytes(body) or (b"\\" in unescaped and _CONTROL_ESCAPE.search(unescaped)):
        return InputRefused(400, "input_control_characters")
    outside = b"".join(unescaped.replace(b'\\"', b"__").split(b'"')[::2])
    brackets = outside.translate(None, _NOT_BRACKETS)
    # every bracket pair is a value, every comma separates two: both bound the values held
    if outside.count(b",") + 1 > budget.json_values or len(brackets) > 2 * budget.json_values:
        return InputRefused(413, "input_too_many_values", limit=budget.json_values)
    depth = deepest = 0
    for byte in brackets:
        depth += 1 if byte in b"[{" else -1
        deepest = max(deepest, depth)
    if deepest > budget.json_depth:
        return InputRefused(413, "input_too_deep", limit=budget.json_depth)
    return None


def form_problem(body: bytes, budget: Budget) -> InputRefused | None:
    """What is wrong with an urlencoded body, before it is parsed (None: within budget)."""
    if len(body) > budget.form_bytes:
        return InputRefused(413, "input_too_large", limit=budget.form_bytes)
    if body.count(b"&") + 1 > budget.form_fields:
        return InputRefused(413, "input_too_many_fields", limit=budget.form_fields)
    if _has_control_bytes(body) or (b"%" in body and _CONTROL_PERCENT.search(body)):
        return InputRefused(400, "input_control_characters")
    return None


def check_values(values: Iterable[str], budget: Budget) -> None:
    """Refuse a parsed post's text values: too many, too long, or with control characters."""
    for count, value in enumerate(values, 1):
        if count > budget.form_fields:
            raise InputRefused(413, "input_too_many_fields", limit=budget.form_fields)
        if len(value) > budget.field_chars:
            raise InputRefused(413, "input_value_too_long", limit=budget.field_chars)
        if _CONTROL_TEXT.search(value):
            raise InputRefused(400, "input_control_characters")


# --- the middleware ---------------------------------------------------------------------------------


def _content_type(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return value.decode("latin-1").split(";")[0].strip().lower()
    return ""


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return int(value) if value.isdigit() and len(value) < 19 else None
    return None


RAW_BODIES = {"/api/integrations/mail": frozenset({"message/rfc822"})}
"""The ``/api`` routes that take a body other than JSON, and its media types."""


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or (
        content_type.startswith("application/") and content_type.endswith("+json")
    )


async def _read(receive: Receive, limit: int) -> bytes:
    """The whole body, refusing (413) as soon as it passes ``limit`` — never more held in memory."""
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise InputRefused(413, "input_too_large", limit=limit)
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    given = False

    async def replay() -> ReceiveMessage:
        nonlocal given
        if not given:
            given = True
            return cast(ReceiveMessage, {"type": "http.request", "body": body, "more_body": False})
        return await receive()

    return cast(Receive, replay)


def _path_and_query_checked(scope: Scope) -> None:
    """An integer path parameter outside SQLite's range, or a text one holding a control character
    (``/api/export/services/%00x/versions``), names nothing: 404 — PostgreSQL refuses a NUL in a text
    parameter outright, so without this the two backends would answer differently. A control character
    in the query string is a 400."""
    params: dict[str, Any] = dict(scope.get("path_params") or {})
    for value in params.values():
        if isinstance(value, int) and not -SQLITE_MAX <= value <= SQLITE_MAX:
            raise NotFoundException("no such item / لا يوجد هذا العنصر")
        if isinstance(value, str) and _CONTROL_TEXT.search(value):
            raise NotFoundException("no such item / لا يوجد هذا العنصر")
    query = scope.get("query_string") or b""
    if query and (_has_control_bytes(query) or (b"%" in query and _CONTROL_PERCENT.search(query))):
        raise InputRefused(400, "input_control_characters")


_SUBMIT = re.compile(r"^(?:/services/[^/]+/apply/?|/api/services/[^/]+/tickets/?)$")
_LOOKUP = re.compile(r"^(?:/track/[^/]+/?|/api/track/[^/]+/?|/survey/[^/]+/?)$")


class LimitsMiddleware(ASGIMiddleware):
    """See the module's text. Runs after ``AuthMiddleware`` (it reads who is asking)."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, settings: Settings) -> None:
        self.budget = Budget.of(settings)
        self.settings = settings
        self.proxies = proxy_networks(settings)

    @staticmethod
    def should_bypass_for_scope(scope: Scope) -> bool:
        return str(scope.get("path", "")).startswith("/static/")

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        _path_and_query_checked(scope)
        method = str(scope.get("method", "GET"))
        body = None
        if method in UNSAFE:
            receive, body = await self._checked_body(scope, receive)
        # a group's add/remove button (a page without JavaScript) re-shows the form: not a submission
        if body is None or f"{GROUP_BUTTON}=".encode() not in body:
            await self._rate_limit(scope, method)
        await next_app(scope, receive, send)

    async def _checked_body(self, scope: Scope, receive: Receive) -> tuple[Receive, bytes | None]:
        """``receive`` replaying the body once checked (and the body, when it was read)."""
        content_type = _content_type(scope)
        path = str(scope.get("path", ""))
        length = _content_length(scope)
        if path in RAW_BODIES and content_type in RAW_BODIES[path]:
            return receive, None  # a document of its own kind (a raw e-mail): the app's body size bounds it
        if path.startswith("/api/") and not _is_json(content_type) and length != 0:
            raise InputRefused(415, "input_json_required")
        if _is_json(content_type):
            limit, check = self.budget.json_bytes, json_problem
        elif content_type == "application/x-www-form-urlencoded":
            limit, check = self.budget.form_bytes, form_problem
        else:
            return receive, None  # multipart: Litestar's part limit and body size, then check_values
        if length is not None and length > limit:
            raise InputRefused(413, "input_too_large", limit=limit)
        body = await _read(receive, limit)
        problem = check(body, self.budget)
        if problem is not None:
            raise problem
        return _replay(body, receive), body

    async def _rate_limit(self, scope: Scope, method: str) -> None:
        settings = self.settings
        if not settings.rate_limits or scope.get(USER_SCOPE_KEY) is not None:
            return  # off, or a caller with a bearer token or a session: not anonymous
        path = str(scope.get("path", ""))
        if method == "POST" and _SUBMIT.match(path):
            kind, limit = "submit", settings.rate_limit_submissions
        elif method == "GET" and _LOOKUP.match(path):
            kind, limit = "lookup", settings.rate_limit_lookups
        else:
            return
        runtime = getattr(scope["app"].state, "runtime", None)
        if not isinstance(runtime, Runtime):
            return
        client = scope.get("client")
        address = client_address(client[0] if client else None, scope, self.proxies)
        window = settings.rate_limit_window_seconds
        if not await throttle.take(runtime, f"{kind}:{address}", limit=limit, window_seconds=window):
            minutes = max(1, round(window / 60))
            raise InputRefused(
                429, "input_rate_limited", headers={"Retry-After": str(window)}, minutes=minutes
            )
