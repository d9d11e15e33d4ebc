"""The sandbox notification templates run in, with a budget per render.

Every render (the trial at load and the real one) counts loop iterations, characters produced,
widths and number sizes, and stops at the first budget it passes (:class:`BudgetExceeded`).
``server/definitions/texts.py`` parses, checks and renders templates with it.
"""

from __future__ import annotations

import functools
import operator
import re
import string
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any

from jinja2 import StrictUndefined, nodes, pass_context
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

MAX_OUTPUT = 20_000
"""Characters a trial render (with sample values) may produce."""
MAX_RENDERED = 100_000
"""Characters a real render may produce; past it the message is cut (:func:`render_bounded`)."""
MAX_PRODUCED = 1_000_000
"""Characters produced in all during one render: output, captured blocks, joins and concatenations."""
MAX_ITERATIONS = 10_000
"""Loop iterations during one render, every loop counted."""
MAX_WIDTH = 1_000
"""The largest width, precision, count or repetition a template may ask of a filter or method
(``center``, ``indent``, ``ljust``, ``format`` and ``%`` widths, ``batch``…)."""
MAX_INT_BITS = 1_024
"""Integers a template computes (``**``, ``*``) stay below 2**1024."""


class BudgetExceeded(SecurityError):
    """A render passed one of its budgets."""


class Budget:
    """What one render has used; one per render (:data:`CURRENT_BUDGET`)."""

    __slots__ = ("iterations", "produced")

    def __init__(self) -> None:
        self.iterations = 0
        self.produced = 0

    def produce(self, size: int) -> None:
        self.produced += size
        if self.produced > MAX_PRODUCED:
            raise BudgetExceeded(f"the template produces more than {MAX_PRODUCED} characters")


CURRENT_BUDGET: ContextVar[Budget | None] = ContextVar("template_budget", default=None)


def _budget() -> Budget:
    # outside render()/trial_render() (a direct Template.render) each call gets a budget of its own
    return CURRENT_BUDGET.get() or Budget()


class Namespace:
    """Form fields for a template: ``data.items`` is the field ``items``, never a dict method."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = values

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]

    def __getitem__(self, name: str) -> Any:
        return self._values.get(name, "")

    def __str__(self) -> str:
        return ", ".join(f"{k}: {v}" for k, v in self._values.items())


def text_size(value: Any, limit: int = MAX_PRODUCED) -> int:
    """How many characters ``value`` turns into as text, counted only up to ``limit`` (a list that
    holds itself twice, 30 levels deep, is not walked 2^30 times); raises :class:`BudgetExceeded`."""
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str | bytes):
            total += len(item)
        elif isinstance(item, bool) or item is None:
            total += 5
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 1
        elif isinstance(item, Mapping):
            total += 2 * len(item) + 2
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            total += 2 * len(item) + 2
            stack.extend(item)
        elif isinstance(item, Namespace):
            stack.append(item._values)
        else:
            total += 8
        if total > limit:
            raise BudgetExceeded(f"a value of the template is longer than {limit} characters")
    return total


# A width never starts with 0 (a flag) and a mapping key is short: each part starts where the one before
# cannot go on, so this runs in time linear in the format string (which may come from the data).
_PERCENT_SPEC = re.compile(r"%(?:\([^)]{0,200}\))?[#0 +-]*(\*|[1-9]\d*)?(?:\.(\*|\d*))?[hlL]?[a-zA-Z%]")


def _check_number(value: Any, what: str) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_WIDTH:
        raise BudgetExceeded(f"{what} {value} is larger than {MAX_WIDTH}")


def _check_fields(template: str, fields: int, arguments: Any) -> None:
    """``fields`` replacement fields, each at most the largest argument: refuse what would pass
    :data:`MAX_PRODUCED` before it is built (``'{0}{0}{0}…'.format(long_text)``)."""
    items = arguments.values() if isinstance(arguments, Mapping) else arguments
    items = items if isinstance(items, list | tuple) or isinstance(arguments, Mapping) else (arguments,)
    largest = max((text_size(item) for item in items), default=0)
    if len(template) + fields * largest > MAX_PRODUCED:
        raise BudgetExceeded(f"the formatted text would be longer than {MAX_PRODUCED} characters")


def _check_percent_format(template: str, arguments: Any = ()) -> None:
    _check_fields(template, len(_PERCENT_SPEC.findall(template)), arguments)
    for match in _PERCENT_SPEC.finditer(template):
        for group in match.groups():
            if group == "*":
                raise BudgetExceeded("a width taken from the arguments (*) is not allowed")
            if group and int(group) > MAX_WIDTH:
                raise BudgetExceeded(f"the width {group} is larger than {MAX_WIDTH}")


def _check_brace_format(template: str, arguments: Any = ()) -> None:
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        return  # str.format raises the same error itself
    _check_fields(template, sum(1 for part in parsed if part[1] is not None), arguments)
    for _literal, _field, spec, _conversion in parsed:
        if spec and "{" in spec:
            raise BudgetExceeded("a format width taken from the arguments is not allowed")
        for number in re.findall(r"\d+", spec or ""):
            if int(number) > MAX_WIDTH:
                raise BudgetExceeded(f"the width {number} is larger than {MAX_WIDTH}")


def _check_int(value: Any) -> Any:
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise BudgetExceeded(f"a number of the template is larger than 2**{MAX_INT_BITS}")
    return value


_WIDTHS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs", "indent", "batch", "slice"})
"""Filters and methods whose numeric arguments are widths or counts of what they build (other numbers,
such as an amount given to ``format`` or ``default``, are values, not budgets)."""


def _check_arguments(name: str, value: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    """Before a filter or a method runs: no width past :data:`MAX_WIDTH`, no result that would
    obviously pass :data:`MAX_PRODUCED` (a ``replace`` or ``join`` that multiplies lengths)."""
    if name in _WIDTHS:
        for argument in (*args, *kwargs.values()):
            _check_number(argument, f"the width given to {name}")
    size = text_size(value) if isinstance(value, str | list | tuple | Mapping | Namespace) else 0
    others = [text_size(a) for a in (*args, *kwargs.values()) if isinstance(a, str | list | tuple | Mapping)]
    if name == "indent" and isinstance(value, str):
        width = args[0] if args else kwargs.get("width", 4)
        prefix = width if isinstance(width, int) else text_size(width)
        if (value.count("\n") + 1) * prefix > MAX_PRODUCED:
            raise BudgetExceeded(f"indent would produce more than {MAX_PRODUCED} characters")
    elif name in ("replace", "join", "wordwrap", "translate") and others:
        # each occurrence, item or line may receive the other text once
        old = args[0] if args else kwargs.get("old")
        if name == "replace" and isinstance(value, str) and isinstance(old, str):
            grown = (value.count(old) + 1) * max(others)
        else:
            grown = size * max(others)
        if grown > MAX_PRODUCED:
            raise BudgetExceeded(f"{name} would produce more than {MAX_PRODUCED} characters")
    if name == "expandtabs" and isinstance(value, str):
        width = args[0] if args else kwargs.get("tabsize", 8)
        if isinstance(width, int) and value.count("\t") * width > MAX_PRODUCED:
            raise BudgetExceeded(f"expandtabs would produce more than {MAX_PRODUCED} characters")
    if name == "format" and isinstance(value, str):  # the format filter is %-formatting
        _check_percent_format(value, tuple(args) or dict(kwargs))


def _guarded_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    pass_arg = getattr(function, "jinja_pass_arg", None)

    @functools.wraps(function)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        rest = args[1:] if pass_arg is not None else args
        if rest:
            _check_arguments(name, rest[0], tuple(rest[1:]), kwargs)
        result = function(*args, **kwargs)
        if isinstance(result, str):
            _budget().produce(len(result))
        return result

    if pass_arg is not None:
        guarded.jinja_pass_arg = pass_arg  # type: ignore[attr-defined]
    return guarded


@pass_context
def _loop(_context: Any, iterable: Any) -> Iterator[Any]:
    budget = _budget()
    for item in iterable:
        budget.iterations += 1
        if budget.iterations > MAX_ITERATIONS:
            raise BudgetExceeded(f"the template's loops run more than {MAX_ITERATIONS} times")
        yield item


@pass_context
def _output(_context: Any, value: Any) -> Any:
    _budget().produce(text_size(value))
    return value


@pass_context
def _concat(_context: Any, *parts: Any) -> str:
    budget = _budget()
    for part in parts:
        budget.produce(text_size(part))
    return "".join(str(part) for part in parts)


@pass_context
def _value(_context: Any, value: Any) -> Any:
    text_size(value)
    return value


_LOOP, _OUTPUT, _CONCAT, _VALUE = "khidma_loop", "khidma_output", "khidma_concat", "khidma_value"


def _filter(node: nodes.Node, name: str, *args: nodes.Node) -> nodes.Filter:
    return nodes.Filter(node, name, list(args), [], None, None, lineno=node.lineno)


class Budgeted(NodeTransformer):
    """Rewrites a parsed template so that every loop, output and concatenation goes through the
    budget: ``{% for x in y %}`` iterates ``y|khidma_loop``, ``{{ e }}`` outputs ``e|khidma_output``…"""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = _filter(node.iter, _LOOP)
        return node

    def visit_Output(self, node: nodes.Output) -> nodes.Node:
        self.generic_visit(node)
        node.nodes = [
            _filter(nodes.Const(child.data, lineno=child.lineno), _OUTPUT)
            if isinstance(child, nodes.TemplateData)
            else _filter(child, _OUTPUT)
            for child in node.nodes
        ]
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        first, *rest = node.nodes
        return _filter(first, _CONCAT, *rest)

    def visit_Assign(self, node: nodes.Assign) -> nodes.Node:
        self.generic_visit(node)
        node.node = _filter(node.node, _VALUE)
        return node

    def visit_With(self, node: nodes.With) -> nodes.Node:
        self.generic_visit(node)
        node.values = [_filter(value, _VALUE) for value in node.values]
        return node


_DICT_NAMES = frozenset(dir(dict))
_NAMESPACE_NAMES = frozenset(dir(Namespace))
_PLAIN_VALUES = frozenset({str, int, float, bool, type(None), list, dict, Namespace})
"""The values a :class:`Namespace` field holds that cannot be a method (``wrap_str_format``'s case)."""


class TemplateSandbox(ImmutableSandboxedEnvironment):
    """The sandbox, with no globals (no ``range``, ``cycler`` …) and a budget per render: loop
    iterations, characters produced, widths and repetitions, and the size of numbers (``**``, ``*``).

    Every filter is wrapped to check its arguments before it runs; method calls (``"x".center(n)``)
    and ``str.format`` are checked in :meth:`call` and :meth:`wrap_str_format`; the operators in
    :attr:`intercepted_binops` in :meth:`call_binop`; loops, output and ``~`` by rewriting the parsed
    template (:class:`Budgeted`)."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self) -> None:
        super().__init__(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
        self.globals.clear()
        self.filters = {name: _guarded_filter(name, f) for name, f in self.filters.items()}
        self.filters.update({_LOOP: _loop, _OUTPUT: _output, _CONCAT: _concat, _VALUE: _value})

    def getattr(self, obj: Any, attribute: str) -> Any:
        """``ticket.number`` and ``data.kind`` without the sandbox's general path, where that path's
        answer is known: a plain dict has no attribute of that name (so the item, or undefined), and
        a :class:`Namespace`'s field that is not a method is always safe. Anything else — a dict's own
        method name (``links.items``), another type, a value that is a method — goes the general way.
        Half of rendering a notification was that path (docs/performance.md)."""
        kind = type(obj)
        if kind is dict and attribute not in _DICT_NAMES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        if kind is Namespace and attribute not in _NAMESPACE_NAMES:
            value = obj[attribute]
            if type(value) in _PLAIN_VALUES:
                return value
        return super().getattr(obj, attribute)

    def call_binop(self, context: Any, operator_: str, left: Any, right: Any) -> Any:
        if operator_ == "**":
            if isinstance(right, int | float) and abs(right) > 64:
                raise BudgetExceeded("exponent too large")
            if isinstance(left, int) and isinstance(right, int) and left.bit_length() * right > MAX_INT_BITS:
                raise BudgetExceeded(f"the power would be larger than 2**{MAX_INT_BITS}")
            return operator.pow(left, right)
        if operator_ == "%":
            if isinstance(left, str):
                _check_percent_format(left, right)
                result = operator.mod(left, right)
                _budget().produce(len(result))
                return result
            return operator.mod(left, right)
        if operator_ == "+":
            if isinstance(left, str | bytes | list | tuple) and isinstance(right, str | bytes | list | tuple):
                _budget().produce(text_size(left) + text_size(right))
            return _check_int(operator.add(left, right))
        # "*"
        if isinstance(left, int) and isinstance(right, int):
            if left.bit_length() + right.bit_length() > MAX_INT_BITS:
                raise BudgetExceeded(f"the product would be larger than 2**{MAX_INT_BITS}")
            return operator.mul(left, right)
        for side, other in ((left, right), (right, left)):
            if (
                isinstance(side, str | bytes | list | tuple)
                and isinstance(other, int)
                and (other > MAX_WIDTH or text_size(side) * max(other, 0) > MAX_OUTPUT)
            ):
                raise BudgetExceeded("the result would be too large")
        return operator.mul(left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        name = getattr(__obj, "__name__", "")
        owner = getattr(__obj, "__self__", None)
        if owner is not None and not isinstance(owner, type):  # a bound method: "x".center(9)
            _check_arguments(name, owner, args, kwargs)
        result = super().call(__context, __obj, *args, **kwargs)
        if isinstance(result, str):
            _budget().produce(len(result))
        return _check_int(result)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        template: str = value.__self__

        def checked(*args: Any, **kwargs: Any) -> str:
            _check_brace_format(template, (*args, *kwargs.values()))
            return wrapped(*args, **kwargs)

        return checked


SANDBOX = TemplateSandbox()
