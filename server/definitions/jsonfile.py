"""Reading a definition file: JSON with line/column on syntax errors and pointers to duplicate keys."""

from __future__ import annotations

import json
from typing import Any

from server.definitions.errors import pointer

MAX_DEPTH = 64
"""Definitions nest a dozen levels at most; deeper input is refused before any recursive walk."""


class _Object(dict[str, Any]):
    """A JSON object that remembers the keys it saw twice."""

    duplicates: list[str]


def _pairs(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object()
    obj.duplicates = []
    for key, value in pairs:
        if key in obj:
            obj.duplicates.append(key)
        obj[key] = value
    return obj


def _duplicates(node: Any, path: tuple[str | int, ...]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        for key in getattr(node, "duplicates", ()):
            found.append((pointer(*path, key), f"the key {key!r} appears more than once"))
        for key, value in node.items():
            found.extend(_duplicates(value, (*path, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_duplicates(value, (*path, index)))
    return found


class JSONFileError(Exception):
    def __init__(self, message: str, code: str = "json_syntax") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def parse(text: str) -> tuple[Any, list[tuple[str, str]]]:
    """Parse JSON text; return the value and (pointer, message) for each duplicate key.

    Raises :class:`JSONFileError` with the line and column on a syntax error.
    """
    try:
        value = json.loads(text, object_pairs_hook=_pairs)
    except json.JSONDecodeError as exc:
        raise JSONFileError(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise JSONFileError(f"nested more than {MAX_DEPTH} levels deep", "too_deep") from None
    if _depth(value) > MAX_DEPTH:
        raise JSONFileError(f"nested more than {MAX_DEPTH} levels deep", "too_deep")
    return _plain(value), _duplicates(value, ())


def _depth(root: Any) -> int:
    """The nesting depth of a JSON value, computed without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            break
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)
    return deepest


def _plain(node: Any) -> Any:
    """Replace the bookkeeping objects by plain dicts."""
    if isinstance(node, dict):
        return {key: _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(value) for value in node]
    return node
