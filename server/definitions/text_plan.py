"""Straight-line renders of the plainest notification templates (issue 14).

Most notification texts are text with ``{{ ticket.number }}``-like outputs and perhaps an ``{% if
data.kind == "suggestion" %}``. Jinja renders them through a new context, a generator and a filter call
per output; here such a template is also turned, once, into a *plan* — a tuple of steps — which
:func:`run` walks with the very objects and rules Jinja's compiled code uses: names are looked up in
the context (undefined, and so an error when printed or tested, when absent), attributes through the
sandbox's ``getattr``, each output counted by the render's budget (``text_size``, the count kept in a
local rather than a ``Budget``) before it is turned into text with ``str``, tests and comparisons by
Python's own truth and ``==``. A template with anything else — filters, loops, calls, assignments,
arithmetic, a test that is not a plain comparison — has no plan and renders through Jinja.
``tests/test_text_plan.py`` renders templates both ways and requires the same text, the same cut and
the same error.

A plan holds only tuples, strings and constants, so the template cache (``template_cache``) keeps it
beside the compiled code.

Steps: ``(TEXT, text)``; ``(VALUE, name, attributes)`` — ``{{ name.a.b }}``; ``(BRANCH, test,
then_steps, else_steps)``. Tests: ``(VALUE, name, attributes)`` — its truth; ``(EQ | NE, (name,
attributes), constant)``; ``(NOT, test)``; ``(AND | OR, test, test)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import nodes

from server.definitions.sandbox import MAX_PRODUCED, SANDBOX, BudgetExceeded, text_size

TEXT, VALUE, BRANCH, EQ, NE, NOT, AND, OR = range(8)

Plan = tuple[Any, ...]
"""A template's steps (see the module's text)."""

_CONSTANTS = (str, int, float, bool, type(None))


class _NoPlan(Exception):
    """The template uses something a plan does not do: Jinja renders it."""


def plan_of(tree: nodes.Template) -> Plan | None:
    """The plan of a parsed (not yet budgeted) template, or None when it has none."""
    try:
        return _steps(tree.body)
    except _NoPlan:
        return None


def _steps(body: list[nodes.Node]) -> Plan:
    steps: list[tuple[Any, ...]] = []
    for node in body:
        if isinstance(node, nodes.Output):
            for child in node.nodes:
                if isinstance(child, nodes.TemplateData):
                    steps.append((TEXT, child.data))
                elif isinstance(child, nodes.Const) and type(child.value) is str:
                    steps.append((TEXT, child.value))
                else:
                    steps.append((VALUE, *_path(child)))
        elif isinstance(node, nodes.If):
            otherwise = _steps(node.else_)
            for elif_ in reversed(node.elif_):  # if … elif … else: an if in the else, inside out
                otherwise = ((BRANCH, _test(elif_.test), _steps(elif_.body), otherwise),)
            steps.append((BRANCH, _test(node.test), _steps(node.body), otherwise))
        else:
            raise _NoPlan
    return tuple(steps)


def _path(node: nodes.Node) -> tuple[str, tuple[str, ...]]:
    """``name.a.b`` → ("name", ("a", "b")); anything else has no plan."""
    attributes: list[str] = []
    while isinstance(node, nodes.Getattr):
        attributes.append(node.attr)
        node = node.node
    if not isinstance(node, nodes.Name) or node.ctx != "load":
        raise _NoPlan
    return node.name, tuple(reversed(attributes))


def _test(node: nodes.Node) -> tuple[Any, ...]:
    if isinstance(node, nodes.Not):
        return (NOT, _test(node.node))
    if isinstance(node, nodes.And | nodes.Or):
        return (AND if isinstance(node, nodes.And) else OR, _test(node.left), _test(node.right))
    if isinstance(node, nodes.Compare) and len(node.ops) == 1 and node.ops[0].op in ("eq", "ne"):
        operand = node.ops[0].expr
        if isinstance(operand, nodes.Const) and type(operand.value) in _CONSTANTS:
            return (EQ if node.ops[0].op == "eq" else NE, _path(node.expr), operand.value)
        raise _NoPlan
    return (VALUE, *_path(node))


def _lookup(context: Mapping[str, Any], name: str, attributes: tuple[str, ...]) -> Any:
    value = context[name] if name in context else SANDBOX.undefined(name=name)
    for attribute in attributes:
        value = SANDBOX.getattr(value, attribute)
    return value


def _holds(test: tuple[Any, ...], context: Mapping[str, Any]) -> bool:
    kind = test[0]
    if kind == VALUE:
        return bool(_lookup(context, test[1], test[2]))
    if kind == EQ:
        return bool(_lookup(context, *test[1]) == test[2])
    if kind == NE:
        return bool(_lookup(context, *test[1]) != test[2])
    if kind == NOT:
        return not _holds(test[1], context)
    if kind == AND:
        return _holds(test[1], context) and _holds(test[2], context)
    return _holds(test[1], context) or _holds(test[2], context)


def run(plan: Plan, context: Mapping[str, Any], limit: int, out: list[str]) -> None:
    """Render ``plan`` into ``out`` under a fresh budget, as ``texts._generate`` renders a template:
    :class:`BudgetExceeded` past ``limit`` characters, what was rendered until then left in ``out``."""
    length, _ = _walk(plan, context, limit, out, 0, 0)
    if length > limit:
        raise BudgetExceeded(f"the template renders more than {limit} characters")


def _walk(
    plan: Plan, context: Mapping[str, Any], limit: int, out: list[str], length: int, produced: int
) -> tuple[int, int]:
    """The steps rendered into ``out``: (the text's length so far, the characters produced so far — the
    budget's count, as :meth:`Budget.produce` keeps it, held here in a local). A plain string's size is
    its length, as :func:`text_size` counts it; any other value is counted by ``text_size``."""
    for step in plan:
        kind = step[0]
        if kind == BRANCH:
            length, produced = _walk(
                step[2] if _holds(step[1], context) else step[3], context, limit, out, length, produced
            )
            if length > limit:
                return length, produced
            continue
        if kind == TEXT:
            chunk = step[1]
            produced += len(chunk)
            if produced > MAX_PRODUCED:
                raise BudgetExceeded(f"the template produces more than {MAX_PRODUCED} characters")
        else:
            value = _lookup(context, step[1], step[2])
            plain = type(value) is str and len(value) <= MAX_PRODUCED
            produced += len(value) if plain else text_size(value)  # text_size raises past its limit
            if produced > MAX_PRODUCED:
                raise BudgetExceeded(f"the template produces more than {MAX_PRODUCED} characters")
            chunk = value if plain else str(value)
        length += len(chunk)
        if length > limit:
            out.append(chunk[: max(0, limit - (length - len(chunk)))])
            return length, produced
        out.append(chunk)
    return length, produced
