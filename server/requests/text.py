"""Text from a definition as parts, so a page can show the web addresses in it as links.

:func:`linkify` splits a text into :class:`Part` s: plain text, and ``http``/``https`` addresses
(with their ``href``). The template escapes every part and isolates each link's direction
(``<bdi dir="ltr">``), so an address at the end of an Arabic sentence is not shown as ``/https://…``.
No other scheme becomes a link.
"""

from __future__ import annotations

import re

import msgspec

_URL = re.compile(r"https?://[^\s<>\"'()\[\]{}،؛]+", re.IGNORECASE)
_TRAILING = ".,;:!?؟»”’"


class Part(msgspec.Struct, frozen=True):
    text: str
    href: str | None = None
    """The address when this part is a link."""


def linkify(text: str) -> list[Part]:
    parts: list[Part] = []
    at = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        if len(url) <= len("https://"):
            continue
        start, end = match.start(), match.start() + len(url)
        if start > at:
            parts.append(Part(text[at:start]))
        parts.append(Part(url, href=url))
        at = end
    if at < len(text):
        parts.append(Part(text[at:]))
    return parts
