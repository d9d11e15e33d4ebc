"""Bounds on what a form schema can make the server do: linear-time patterns, bounded ``$ref`` expansion.

Every regular expression a form can hold (``pattern`` anywhere a schema sits, the keys of
``patternProperties``) must compile on the engine submissions run on — jsonschema-rs, whose
``pattern`` is Rust's regex crate (time linear in the value), or fancy-regex under a hard backtracking
step budget for look-around and back-references (:data:`BACKTRACK_LIMIT`). A pattern
that does not compile there (``\\Z`` is Python's, not ECMA-262's) is refused here, at load, so no form
ever reaches a backtracking engine without a budget. The pattern's text is read before any engine
sees it: at most :data:`MAX_PATTERN_LENGTH` characters and :data:`MAX_GROUP_DEPTH` nested groups
(``"(" * 500`` is refused with a reason, not a stack overflow).

A ``$ref`` is inlined by every walk of the schema (the loader's field analysis, the validator), so a
small schema can stand for a huge one: 18 ``$defs`` each ``allOf`` two references to the next is
2^18 nodes in 4.6 KB. :func:`expansion_problems` measures the expanded size in time linear in the
document (each ``$ref`` target measured once) and refuses more than :data:`MAX_EXPANDED_NODES` nodes
or a chain of more than :data:`MAX_REF_DEPTH` references, before anything walks it. References are
resolved as the standard resolves them (``$id`` of embedded schemas, ``$anchor``, ``$dynamicRef`` —
measured as a reference to each ``$dynamicAnchor`` of its name), within the form only: a reference
to another document is refused (nothing is ever fetched). A reference back to a schema that contains
it (a recursive tree) counts once: it expands only as deep as the data, and every walk of the
schema stops on a node already on its path.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import jsonschema_rs

from server.definitions.dialect import draft_of, registry, specification
from server.definitions.errors import pointer

if TYPE_CHECKING:  # referencing is loaded with the first form checked (see dialect.py)
    from referencing._core import Resolver

MAX_PATTERN_LENGTH = 1_000
MAX_GROUP_DEPTH = 32
MAX_EXPANDED_NODES = 20_000
"""Schema nodes of a form with every ``$ref`` inlined; the largest shipped form has a few hundred."""
MAX_REF_DEPTH = 32
MAX_PATTERNS = 50
"""Different regular expressions in one form, each compiled at load (25 ms at worst, within
:data:`REGEX_SIZE_LIMIT`; an ordinary pattern takes a tenth of a millisecond)."""
REGEX_SIZE_LIMIT = 1_000_000
"""Bytes a compiled pattern (and its lazy DFA) may take: ``\\p{L}{20}`` fits, ``\\p{L}{100}`` or
``.{1000}`` does not, and the compiler gives up at this size instead of building hundreds of MB."""

Path = tuple[str | int, ...]

BACKTRACK_LIMIT = 100_000
"""Backtracking steps a pattern with look-around or a back-reference may take on one value (about 2 ms);
past it the value is reported as not matching. Every other pattern is run by Rust's regex crate, in time
linear in the value, and never comes near this."""


def rs_validator(schema: dict[str, Any]) -> jsonschema_rs.Validator:
    """The validator submissions run on (server.validation), with its engines and bounds, for the
    form's draft (2020-12, or draft-07 when its ``$schema`` says so)."""
    cls = (
        jsonschema_rs.Draft7Validator
        if draft_of(schema) == "draft-07"
        else jsonschema_rs.Draft202012Validator
    )
    return cls(
        schema,
        validate_formats=True,
        pattern_options=jsonschema_rs.FancyRegexOptions(
            backtrack_limit=BACKTRACK_LIMIT, size_limit=REGEX_SIZE_LIMIT, dfa_size_limit=REGEX_SIZE_LIMIT
        ),
        # "Name <a@b.sa>" is an RFC 5322 mailbox, not an address to send to
        email_options=jsonschema_rs.EmailOptions(allow_display_text=False),
        offline=True,  # a $ref is never fetched over the network
    )


@functools.lru_cache(maxsize=4096)
def regex_problem(pattern: str) -> str | None:
    """Why jsonschema-rs cannot compile ``pattern`` as a JSON Schema ``pattern``, or ``None``."""
    try:
        rs_validator({"pattern": pattern})
    except (ValueError, jsonschema_rs.ReferencingError) as exc:
        message = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        if 'is not a "regex"' in message:
            return (
                "it does not compile as an ECMA-262 regular expression of at most "
                f"{REGEX_SIZE_LIMIT:,} bytes (a large class such as \\p{{L}} or . repeated many times is larger)"
            )
        return message
    return None


def schema_problem(schema: dict[str, Any]) -> str | None:
    """Why jsonschema-rs cannot compile a whole form schema, or ``None``."""
    try:
        rs_validator(schema)
    except (ValueError, jsonschema_rs.ReferencingError) as exc:
        return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return None


# keywords whose value is a schema, a list of schemas, or a map of name → schema (JSON Schema 2020-12)
_ONE = (
    "items",
    "additionalProperties",
    "unevaluatedProperties",
    "unevaluatedItems",
    "contains",
    "propertyNames",
    "if",
    "then",
    "else",
    "not",
    "additionalItems",  # draft-07
)
_LIST = ("allOf", "anyOf", "oneOf", "prefixItems", "items")  # items: a list in draft-07
_MAP = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "dependencies")


def subschemas(node: Mapping[str, Any], path: Path) -> Iterator[tuple[Any, Path]]:
    """The schemas directly inside ``node``, with their paths (a draft-07 ``dependencies`` entry that
    is a list of names is no schema, nor is a schema keyword's value in the wrong shape)."""
    for key in _ONE:
        if key in node and isinstance(node[key], Mapping | bool):
            yield node[key], (*path, key)
    for key in _LIST:
        value = node.get(key)
        if isinstance(value, list):
            for index, item in enumerate(value):
                yield item, (*path, key, index)
    for key in _MAP:
        value = node.get(key)
        if isinstance(value, Mapping):
            for name, item in value.items():
                if isinstance(item, Mapping | bool):
                    yield item, (*path, key, name)


def patterns(node: Any, path: Path = ()) -> Iterator[tuple[Path, str]]:
    """(path, regular expression) for every ``pattern`` and ``patternProperties`` key of a schema."""
    if not isinstance(node, Mapping):
        return
    if isinstance(node.get("pattern"), str):
        yield (*path, "pattern"), node["pattern"]
    if isinstance(node.get("patternProperties"), Mapping):
        for key in node["patternProperties"]:
            yield (*path, "patternProperties", key), key
    for sub, sub_path in subschemas(node, path):
        yield from patterns(sub, sub_path)


def _group_depth(pattern: str) -> int:
    """The deepest nesting of ``(`` groups, escapes and classes skipped."""
    depth = deepest = 0
    i = 0
    in_class = False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        elif c == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif c == ")":
            depth = max(depth - 1, 0)
        i += 1
    return deepest


# Each alternative starts with a different character (\, [, or neither), so these expressions are
# unambiguous and run in linear time on any pattern text (the loader caps that text's length).
_GROUP = re.compile(r"\((?:\?:)?((?:\\.|\[(?:\\.|[^\]\\])*\]|[^()\\\[])+)\)(?:[+*]|\{\d+,\d*\})")
_QUANTIFIED = re.compile(r"(\\.|\[(?:\\.|[^\]\\])*\]|[^()|\\+*?{}\[])([+*]|\{\d+,\d*\})\??")


def nested_quantifier(pattern: str) -> bool:
    """Whether a regular expression repeats a group made only of repetitions of one same atom
    (``(a+)+``, ``(\\w*)*``, ``([a-z]+[a-z]*){2,}``) — the shape that backtracks exponentially.

    A heuristic: a repeated group whose repetitions are told apart by something else (a separator,
    ``(\\s+\\w+)+``) is accepted."""
    for group in _GROUP.finditer(pattern):
        body = group.group(1)
        parts = _QUANTIFIED.findall(body)
        if (
            parts
            and "".join(atom + q for atom, q in parts) == body.replace("?", "")
            and len({atom for atom, _q in parts}) == 1
        ):
            return True
        if "|" in body:
            alternatives = body.split("|")
            if len(set(alternatives)) < len(alternatives):
                return True
    return False


def pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot be used in a form, or ``None``."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        return f"the pattern is longer than {MAX_PATTERN_LENGTH} characters"
    if _group_depth(pattern) > MAX_GROUP_DEPTH:
        return f"the pattern nests groups more than {MAX_GROUP_DEPTH} deep"
    problem = regex_problem(pattern)
    if problem is None:
        if nested_quantifier(pattern):
            return (
                "this pattern repeats a group that itself repeats (like (a+)+): the server runs it in "
                "linear time, but browsers and other tools that read the schema backtrack exponentially "
                "on some values; write it without the nested repetition"
            )
        return None
    hints = []
    if "\\Z" in pattern or "\\A" in pattern or "\\z" in pattern:
        hints.append("\\A, \\Z and \\z are not JSON Schema (ECMA-262): write ^ and $")
    hint = f" ({'; '.join(hints)})" if hints else ""
    return (
        "the pattern is not a regular expression the server can run in bounded time "
        f"(ECMA-262 as JSON Schema defines it, on a linear-time engine): {problem}{hint}"
    )


def pattern_problems(schema: Any) -> Iterator[tuple[str, str]]:
    """(pointer, reason) for each pattern of a form schema that is refused."""
    seen: set[str] = set()
    for path, pattern in patterns(schema):
        seen.add(pattern)
        if len(seen) > MAX_PATTERNS:
            yield pointer(*path), f"a form has at most {MAX_PATTERNS} different patterns"
            return
        problem = pattern_problem(pattern)
        if problem is not None:
            yield pointer(*path), problem


class _TooLarge(Exception):
    def __init__(self, path: Path, message: str, code: str = "schema_too_large") -> None:
        super().__init__(message)
        self.path = path
        self.message = message
        self.code = code


def _location(schema: Mapping[str, Any]) -> dict[int, Path]:
    """The path of every schema node of the document, by object identity."""
    found: dict[int, Path] = {}
    stack: list[tuple[Any, Path]] = [(schema, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, Mapping) and id(node) not in found:
            found[id(node)] = path
            stack.extend(subschemas(node, path))
    return found


def _dynamic_anchors(schema: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Every node declaring a ``$dynamicAnchor``, by the anchor's name."""
    found: dict[str, list[Any]] = {}
    stack: list[Any] = [schema]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if not isinstance(node, Mapping) or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node.get("$dynamicAnchor"), str):
            found.setdefault(node["$dynamicAnchor"], []).append(node)
        stack.extend(sub for sub, _ in subschemas(node, ()))
    return found


KNOWN_DIALECTS = frozenset(
    {
        "https://json-schema.org/draft/2020-12/schema",
        "http://json-schema.org/draft-07/schema",
        "https://json-schema.org/draft-07/schema",
    }
)
"""The drafts an embedded schema may declare with ``$schema`` (their meta-schemas are known offline)."""


class _Expansion:
    def __init__(self, schema: Mapping[str, Any]) -> None:
        self.schema = schema
        self.draft = draft_of(schema)
        self.registry, self.uri = registry(schema)
        self.specification = specification(schema)
        self.where = _location(schema)
        self.dynamic = _dynamic_anchors(schema)
        self.sizes: dict[int, int] = {}
        self.open: set[int] = set()
        self.steps = 0
        """Nodes visited: at most the document's schema nodes plus one per reference."""

    def resolver(self) -> Resolver[Any]:
        return self.registry.resolver(base_uri=self.uri)

    def _lookup(self, resolver: Resolver[Any], ref: str, path: Path, keyword: str) -> Any:
        from referencing.exceptions import NoSuchResource, Unresolvable

        try:
            return resolver.lookup(ref)
        except (Unresolvable, NoSuchResource):
            raise _TooLarge(
                (*path, keyword),
                f"the reference {ref!r} names no part of this form (a form refers only to its own "
                "parts, by a JSON pointer such as #/$defs/name, an $anchor or an embedded $id; "
                "nothing is fetched)",
                "bad_reference",
            ) from None

    def _targets(self, node: Mapping[str, Any], path: Path, resolver: Any) -> Iterator[tuple[Any, Any]]:
        """(target node, its resolver) of each reference ``node`` makes."""
        ref = node.get("$ref")
        if isinstance(ref, str):
            found = self._lookup(resolver, ref, path, "$ref")
            yield found.contents, found.resolver
        dynamic = node.get("$dynamicRef") if self.draft == "2020-12" else None
        if isinstance(dynamic, str):
            found = self._lookup(resolver, dynamic, path, "$dynamicRef")
            yield found.contents, found.resolver
            # at run time it may land on any $dynamicAnchor of that name: measure each
            for target in self.dynamic.get(dynamic.rpartition("#")[2], ()):
                if target is not found.contents:
                    yield target, self.resolver()

    def size(self, node: Any, path: Path, refs: int, resolver: Any = None) -> int:
        self.steps += 1
        if not isinstance(node, Mapping):
            return 1
        if resolver is None:
            resolver = self.resolver()
        dialect = node.get("$schema")
        if path and isinstance(dialect, str) and dialect.rstrip("#") not in KNOWN_DIALECTS:
            raise _TooLarge(
                (*path, "$schema"),
                f"the meta-schema {dialect!r} is not a JSON Schema draft khidma knows (2020-12, draft-07); "
                "nothing is fetched",
                "bad_reference",
            )
        if path and isinstance(node.get("$id"), str) and not ("$ref" in node and self.draft == "draft-07"):
            resolver = resolver.in_subresource(self.specification.create_resource(node))
        total = 1
        for target, target_resolver in self._targets(node, path, resolver):
            if refs >= MAX_REF_DEPTH:
                raise _TooLarge(path, f"more than {MAX_REF_DEPTH} references followed one inside another")
            if not isinstance(target, Mapping):
                total += 1
                continue
            key = id(target)
            if key in self.open:  # a recursive schema: it expands as deep as the data, walks stop here
                total += 1
                continue
            if key not in self.sizes:
                self.open.add(key)
                target_path = self.where.get(key, path)
                self.sizes[key] = self.size(target, target_path, refs + 1, target_resolver)
                self.open.discard(key)
            total += self.sizes[key]
        for sub, sub_path in subschemas(node, path):
            if self.draft == "draft-07" and "$ref" in node:
                break  # draft-07 ignores every keyword beside a $ref
            total += self.size(sub, sub_path, refs, resolver)
            if total > MAX_EXPANDED_NODES:
                raise _TooLarge(
                    sub_path,
                    f"with every $ref inlined the form has more than {MAX_EXPANDED_NODES} schema nodes "
                    "(references that double at each level); write it without the repeated references",
                )
        if total > MAX_EXPANDED_NODES:
            raise _TooLarge(
                path,
                f"with every $ref inlined the form has more than {MAX_EXPANDED_NODES} schema nodes "
                "(references that double at each level); write it without the repeated references",
            )
        return total


def expanded_size(schema: Mapping[str, Any]) -> tuple[int, int]:
    """(schema nodes with every ``$ref`` inlined, nodes visited to count them); raises ``ValueError``
    with the path when a bound is passed."""
    expansion = _Expansion(schema)
    try:
        size = expansion.size(schema, (), 0)
    except _TooLarge as exc:
        raise ValueError(pointer(*exc.path), exc.message, exc.code) from None
    except RecursionError:  # references nested in deeply nested schemas, past Python's stack
        raise ValueError(
            "", "the form's references nest too deeply to be checked", "schema_too_large"
        ) from None
    return size, expansion.steps


def expansion_problems(schema: Mapping[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(pointer, reason, code) when the schema expands past the bounds or refers outside the form."""
    try:
        expanded_size(schema)
    except ValueError as exc:
        yield exc.args[0], exc.args[1], exc.args[2]
