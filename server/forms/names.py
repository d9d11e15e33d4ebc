"""HTML names and ids of form fields, and reading a form post.

Names follow the bracket convention: ``college``, ``address[city]``, ``requested_items[0][item]``,
``documentation_kinds`` (repeated for each ticked box). A ``name_prefix`` nests a whole form under one
name (``action[reply]``) so that two forms can share a page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_ID_SAFE = re.compile(r"[^A-Za-z0-9_]")


def child_name(base: str, key: str | int) -> str:
    return f"{base}[{key}]" if base else str(key)


def id_part(key: str | int) -> str:
    """A property name as part of an HTML id: ASCII letters, digits and ``_``; others as ``_hex_``."""
    return _ID_SAFE.sub(lambda m: f"_{ord(m.group()):x}_", str(key))


def child_id(base: str, key: str | int) -> str:
    return f"{base}-{id_part(key)}"


def child_pointer(base: str, key: str | int) -> str:
    return base + "/" + str(key).replace("~", "~0").replace("/", "~1")


def split_pointer(pointer: str) -> list[str]:
    if not pointer:
        return []
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]


def post_values(post: Any, key: str) -> list[Any]:
    """Every value posted under ``key``: ``post`` is a mapping of lists (or of single values) or a
    multi-dict with ``getall`` (multidict, Litestar) or ``getlist`` (Werkzeug, Django)."""
    getall = getattr(post, "getall", None)
    if callable(getall):
        return list(getall(key, []))
    getlist = getattr(post, "getlist", None)
    if callable(getlist):
        return list(getlist(key))
    value = post.get(key) if isinstance(post, Mapping) else None
    if value is None:
        return []
    if isinstance(value, str | bytes) or not isinstance(value, list | tuple):
        return [value]
    return list(value)


def post_keys(post: Any) -> list[str]:
    return list(dict.fromkeys(k for k in post.keys() if isinstance(k, str)))  # noqa: SIM118
