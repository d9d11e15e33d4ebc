"""A JSON Schema ``pattern`` as an HTML ``pattern`` attribute, when that is safe.

A browser compiles the attribute as ``^(?:PATTERN)$`` with JavaScript's ``v`` flag, whose syntax is
stricter than the ECMA-262 regular expressions JSON Schema uses (a ``-`` or ``(`` must be escaped
inside a class, ``\\-`` outside one is an error, ``&&`` means intersection …). A pattern that fails
to compile is silently ignored by the browser, and one that compiles with another meaning would
refuse good input, so :func:`html_pattern` accepts only a conservative subset it fully understands
and returns ``None`` for the rest — and for a pattern that repeats a group in which something repeats
(``(a+)+``, ``(\\w+\\s?)+``), which the browser's backtracking engine could take exponential time on:
the server validates every submission anyway, in linear time.

JSON Schema's ``pattern`` matches anywhere in the value; the attribute must match all of it. A
pattern anchored at both ends (``^…$`` with no ``|`` at the top level) is used as it is; any other is
wrapped as ``[\\s\\S]*(?:PATTERN)[\\s\\S]*``, which matches the same values.
"""

from __future__ import annotations

import re

from server.definitions.bounds import nested_quantifier

_SYNTAX = set("^$\\.*+?()[]{}|/")
_CLASS_RESERVED = set("&-!#%,:;<=>@`~")
_CLASS_DOUBLES = set("&!#$%*+,.:;<=>?@^`~")
_CLASS_FORBIDDEN = set("()[]{}/|")
_ESCAPE_CLASSES = set("dDwWsS")
_CONTROL = set("nrtfv")
_QUANTIFIER = re.compile(r"\{(\d+)(,(\d*))?\}")
_HEX4 = re.compile(r"[0-9A-Fa-f]{4}")
_HEX2 = re.compile(r"[0-9A-Fa-f]{2}")
_BRACED = re.compile(r"\{([0-9A-Fa-f]{1,6})\}")


class _Unsafe(Exception):
    pass


def _escape(pattern: str, i: int, in_class: bool) -> tuple[int, int | None]:
    """Read the escape at ``pattern[i] == '\\'``: (next index, code point if a single character)."""
    if i + 1 >= len(pattern):
        raise _Unsafe
    c = pattern[i + 1]
    if c in _ESCAPE_CLASSES:
        return i + 2, None
    if c == "u":
        if m := _HEX4.match(pattern, i + 2):
            return m.end(), int(m.group(), 16)
        if (m := _BRACED.match(pattern, i + 2)) and int(m.group(1), 16) <= 0x10FFFF:
            return m.end(), int(m.group(1), 16)
        raise _Unsafe
    if c == "x":
        if m := _HEX2.match(pattern, i + 2):
            return m.end(), int(m.group(), 16)
        raise _Unsafe
    if c in _CONTROL:
        return i + 2, ord({"n": "\n", "r": "\r", "t": "\t", "f": "\f", "v": "\v"}[c])
    if c in _SYNTAX or (in_class and c in _CLASS_RESERVED):
        return i + 2, ord(c)
    if c in "bB" and not in_class:
        return i + 2, None
    raise _Unsafe


def _class(pattern: str, i: int) -> int:
    """Check the class starting at ``pattern[i] == '['``; the index after its ``]``."""
    i += 1
    if pattern.startswith("^", i):
        i += 1
    start = i
    previous: int | None = None  # the code point of the last single character, for ranges
    while True:
        if i >= len(pattern):
            raise _Unsafe
        c = pattern[i]
        if c == "]":
            if i == start:
                raise _Unsafe  # [] and [^] mean something else in Python
            return i + 1
        if c == "\\":
            i, previous = _escape(pattern, i, in_class=True)
            continue
        if c in _CLASS_FORBIDDEN:
            raise _Unsafe
        if c in _CLASS_DOUBLES and pattern.startswith(c, i + 1):
            raise _Unsafe
        if c == "-":
            if previous is None or i + 1 >= len(pattern) or pattern[i + 1] == "]":
                raise _Unsafe  # a literal "-" must be escaped with the v flag
            if pattern[i + 1] == "\\":
                i, end = _escape(pattern, i + 1, in_class=True)
            elif pattern[i + 1] in _CLASS_FORBIDDEN or pattern[i + 1] == "-":
                raise _Unsafe
            else:
                end = ord(pattern[i + 1])
                i += 2
            if end is None or end < previous:
                raise _Unsafe
            previous = None
            continue
        previous = ord(c)
        i += 1


def _check(pattern: str) -> tuple[bool, bool, bool]:
    """(starts with ^, ends with $, has a top-level |), or :class:`_Unsafe`."""
    depth = 0
    i = 0
    quantifiable = False
    repeats: list[bool] = []  # per open group: whether something inside it is repeated
    closed_repeats = False  # the group just closed repeats something inside
    first_caret = pattern.startswith("^")
    last_dollar = False
    alternation = False
    while i < len(pattern):
        c = pattern[i]
        last_dollar = False
        if c == "\\":
            i, code = _escape(pattern, i, in_class=False)
            quantifiable = pattern[i - 1] not in "bB" or code is not None
            continue
        if c == "[":
            i = _class(pattern, i)
            quantifiable = True
            continue
        if c == "(":
            if pattern.startswith("(?", i):
                if not pattern.startswith("(?:", i):
                    raise _Unsafe
                i += 2
            depth += 1
            repeats.append(False)
            quantifiable = False
        elif c == ")":
            depth -= 1
            if depth < 0:
                raise _Unsafe
            closed_repeats = repeats.pop()
            if repeats:
                repeats[-1] = repeats[-1] or closed_repeats
            quantifiable = True
            i += 1
            continue
        elif c in "*+?" or c == "{":
            if not quantifiable:
                raise _Unsafe
            if pattern[i - 1] == ")" and closed_repeats and c != "?":
                raise _Unsafe  # a repeated group that repeats inside: (\w+\s?)+ backtracks in the browser
            if repeats:
                repeats[-1] = True
            if c == "{":
                m = _QUANTIFIER.match(pattern, i)
                if m is None or (m.group(3) and int(m.group(3)) < int(m.group(1))):
                    raise _Unsafe
                i = m.end() - 1
            if pattern.startswith("?", i + 1):
                i += 1
            quantifiable = False
        elif c in "}]":
            raise _Unsafe
        elif c == "|":
            alternation = alternation or depth == 0
            quantifiable = False
        elif c in "^$":
            quantifiable = False
            last_dollar = c == "$" and depth == 0
        else:
            quantifiable = True
        i += 1
    if depth:
        raise _Unsafe
    return first_caret, last_dollar, alternation


def html_pattern(pattern: str) -> str | None:
    """The ``pattern`` attribute for a JSON Schema ``pattern``, or ``None`` when it is not safe."""
    if nested_quantifier(pattern):  # (a+)+ backtracks exponentially in the browser
        return None
    try:
        starts, ends, alternation = _check(pattern)
    except _Unsafe:
        return None
    if starts and ends and not alternation:
        return pattern
    return f"[\\s\\S]*(?:{pattern})[\\s\\S]*"
