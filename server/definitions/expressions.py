"""Guard and condition expressions for workflow definitions.

Administrators write small boolean expressions in definition files, for example::

    lookup_sum("custody", data.employee_id, "quantity") == 0
    ticket.channel == "itqan" and not within_working_hours()
    "department_head" in actor.roles

The language is a tiny, safe subset of Python expression syntax:

* literals: strings, integers, floats, ``true``/``false``/``none`` (``True``/``False``/``None`` too)
  and lists of literals such as ``["a", "b"]``;
* references ``ROOT.FIELD`` to the roots of a :class:`Scope` (``data``, ``action``, ``vars``, ``actor``,
  ``ticket``...); ``ROOT.FIELD.SUB`` works when the scope declares the dotted field ``"FIELD.SUB"``.
  A field missing at runtime evaluates to ``none``;
* ``and``, ``or``, ``not``; comparisons ``== != < <= > >= in`` and ``not in`` (chains allowed);
  ``+ - * /`` and unary ``-`` on numbers;
* calls of functions registered in :data:`FUNCTIONS` (positional arguments only).

Sources are parsed with :func:`ast.parse`, only whitelisted node types are accepted, and the result
is type-checked against the scope and turned into a tree of closures that :meth:`Expression.evaluate`
calls.  Nothing is ever passed to ``eval``/``exec``/``compile``.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

# imported for its side effect: registers the built-in functions into FUNCTIONS
import server.definitions.expression_functions  # noqa: F401
from server.definitions.expression_runtime import arith, compare, is_number, truth
from server.definitions.expression_types import (
    FUNCTIONS,
    NAMED_LITERALS,
    NUMERIC,
    STRINGY,
    Env,
    EvalContext,
    EvaluationError,
    ExpressionError,
    ExprType,
    FunctionSpec,
    Lookups,
    Scope,
    fits,
    number_type,
    register_function,
)

__all__ = [
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_SOURCE_LENGTH",
    "Env",
    "EvalContext",
    "EvaluationError",
    "ExprType",
    "Expression",
    "ExpressionError",
    "FunctionSpec",
    "Lookups",
    "Scope",
    "compile_expression",
    "register_function",
]

MAX_SOURCE_LENGTH = 2000
MAX_DEPTH = 50


# --- compiled form: closures ``(env, ctx) -> value``, plus two inspectable literal nodes ---------------

_Eval = Callable[[Env, EvalContext], Any]


class _Const(msgspec.Struct, frozen=True):
    value: Any

    def __call__(self, env: Env, ctx: EvalContext) -> Any:
        return self.value


class _ListLit(msgspec.Struct, frozen=True):
    values: tuple[Any, ...]

    def __call__(self, env: Env, ctx: EvalContext) -> Any:
        return list(self.values)


def _read(env: Env, root: str, path: tuple[str, ...]) -> Any:
    value: Any = env.get(root)
    for name in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(name)
    return value


@dataclass(frozen=True)  # a dataclass: its compiled closure stays out of ==, hash and repr
class Expression:
    source: str
    type: ExprType
    references: frozenset[tuple[str, str]]
    functions: frozenset[str]
    _run: _Eval = field(repr=False, compare=False)
    lookups: frozenset[tuple[str, tuple[str, str] | None]] = frozenset()
    """(table, key) of each lookup the expression makes; key is the (root, field) it is looked up by,
    or None when the key is computed — so a caller can fetch the rows before evaluating."""

    def evaluate(self, env: Env, ctx: EvalContext) -> Any:
        """The expression's value; raises :class:`EvaluationError` on runtime errors."""
        return self._run(env, ctx)

    def test(self, env: Env, ctx: EvalContext) -> bool:
        """Evaluate as a condition: ``none`` is false, a non-boolean raises :class:`EvaluationError`."""
        return truth(self.evaluate(env, ctx), "a condition")


# --- compiler ----------------------------------------------------------------------------------------

_REJECTED = {
    **dict.fromkeys(("ListComp", "SetComp", "DictComp", "GeneratorExp"), "comprehensions"),
    "Subscript": "subscripts (x[...])",
    "Lambda": "lambda",
    "IfExp": "conditional expressions (x if c else y)",
    "NamedExpr": "assignment expressions (:=)",
    "JoinedStr": "f-strings",
    "Dict": "dict literals",
    "Set": "set literals",
    "Tuple": "tuples",
    "Starred": "starred arguments (*x)",
}
_ARITH_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_CMP_OPS = dict(
    zip(
        (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn),
        ("==", "!=", "<", "<=", ">", ">=", "in", "not in"),
        strict=True,
    )
)
_LITERAL_TYPES: Mapping[type, ExprType] = {
    str: ExprType.STRING,
    bool: ExprType.BOOLEAN,
    int: ExprType.INTEGER,
    float: ExprType.NUMBER,
    type(None): ExprType.NULL,
}
_Compiled = tuple[_Eval, ExprType]
_ERROR: _Compiled = (_Const(None), ExprType.ANY)


def _depth(tree: ast.AST) -> int:
    """Nesting depth of expression nodes, computed without recursion (stops early past the limit)."""
    deepest = 0
    stack = [(tree, 1)]
    while stack and deepest <= MAX_DEPTH:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((c, depth + isinstance(c, ast.expr)) for c in ast.iter_child_nodes(node))
    return deepest


class _Compiler:
    def __init__(self, source: str, scope: Scope) -> None:
        self.source = source
        self.scope = scope
        self.problems: list[str] = []
        self.references: set[tuple[str, str]] = set()
        self.functions: set[str] = set()
        self.lookups: set[tuple[str, tuple[str, str] | None]] = set()

    def problem(self, node: ast.AST, message: str) -> None:
        text = " ".join((ast.get_source_segment(self.source, node) or "").split())
        self.problems.append(f"{text if len(text) <= 60 else text[:57] + '...'}: {message}")

    def fail(self, node: ast.AST, message: str) -> _Compiled:
        self.problem(node, message)
        return _ERROR

    def visit(self, node: ast.expr) -> _Compiled:
        kind = type(node).__name__
        method: Callable[[Any], _Compiled] | None = getattr(self, f"visit_{kind}", None)
        if method is None:
            return self.fail(node, f"{_REJECTED.get(kind, kind + ' expressions')} not allowed")
        return method(node)

    def visit_Constant(self, node: ast.Constant) -> _Compiled:
        type_ = _LITERAL_TYPES.get(type(node.value))
        if type_ is None:
            return self.fail(node, f"unsupported literal of type {type(node.value).__name__}")
        return _Const(node.value), type_

    def visit_Name(self, node: ast.Name) -> _Compiled:
        name = node.id
        if name in NAMED_LITERALS:
            value = NAMED_LITERALS[name]
            return _Const(value), _LITERAL_TYPES[type(value)]
        if name.startswith("_"):
            return self.fail(node, "names starting with '_' are not allowed")
        if name in self.scope.roots:
            return self.fail(node, f"'{name}' is a root, not a value; use {name}.FIELD")
        if name in FUNCTIONS:
            return self.fail(node, f"'{name}' is a function; call it as {name}(...)")
        return self.fail(node, f"unknown name '{name}'")

    def visit_Attribute(self, node: ast.Attribute) -> _Compiled:
        path: list[str] = []
        base: ast.expr = node
        while isinstance(base, ast.Attribute):
            path.insert(0, base.attr)
            base = base.value
        if any(p.startswith("_") for p in path) or (isinstance(base, ast.Name) and base.id.startswith("_")):
            return self.fail(node, "names starting with '_' are not allowed")
        if not isinstance(base, ast.Name):
            return self.fail(node, "fields can only be read from a root, as in data.FIELD")
        fields = self.scope.roots.get(base.id)
        if fields is None:
            return self.fail(node, f"unknown root '{base.id}' (known: {', '.join(sorted(self.scope.roots))})")
        key = ".".join(path)
        if key not in fields:
            return self.fail(node, "no such field")
        root, steps = base.id, tuple(path)
        self.references.add((root, key))
        return (lambda env, ctx: _read(env, root, steps)), fields[key]

    def visit_List(self, node: ast.List) -> _Compiled:
        values = []
        for element in node.elts:
            compiled, _ = self.visit(element)
            if isinstance(compiled, _Const):
                values.append(compiled.value)
            elif compiled is not _ERROR[0]:
                self.problem(element, "list elements must be literals")
        return _ListLit(tuple(values)), ExprType.LIST

    def visit_UnaryOp(self, node: ast.UnaryOp) -> _Compiled:
        operand, type_ = self.visit(node.operand)
        if isinstance(node.op, ast.Not):
            if not fits(type_, ExprType.BOOLEAN):
                self.problem(node, f"'not' needs a boolean, got {type_.value}")
            return (lambda env, ctx: not truth(operand(env, ctx), "'not'")), ExprType.BOOLEAN
        if not isinstance(node.op, ast.USub):
            return self.fail(node, "only unary '-' is supported")
        if type_ not in NUMERIC:
            return self.fail(node, f"unary '-' needs a number, got {type_.value}")
        if isinstance(operand, _Const) and is_number(operand.value):
            return _Const(-operand.value), type_  # fold negative literals (so they work in lists)
        return (lambda env, ctx: arith("-", 0, operand(env, ctx))), number_type(type_)

    def visit_BoolOp(self, node: ast.BoolOp) -> _Compiled:
        is_and = isinstance(node.op, ast.And)
        word = "'and'" if is_and else "'or'"
        operands: list[_Eval] = []
        for value in node.values:
            operand, type_ = self.visit(value)
            if not fits(type_, ExprType.BOOLEAN):
                self.problem(value, f"{word} needs boolean operands, got {type_.value}")
            operands.append(operand)

        def run(env: Env, ctx: EvalContext) -> bool:
            for each in operands:  # short-circuits like Python's and/or
                if truth(each(env, ctx), word) != is_and:
                    return not is_and
            return is_and

        return run, ExprType.BOOLEAN

    def visit_BinOp(self, node: ast.BinOp) -> _Compiled:
        op = _ARITH_OPS.get(type(node.op))
        left, left_type = self.visit(node.left)
        right, right_type = self.visit(node.right)
        if op is None:
            return self.fail(node, "operator not supported (only + - * /)")
        if left_type not in NUMERIC or right_type not in NUMERIC:
            return self.fail(node, f"'{op}' needs numbers, got {left_type.value} and {right_type.value}")
        both_int = left_type is ExprType.INTEGER and right_type is ExprType.INTEGER
        type_ = ExprType.INTEGER if both_int and op != "/" else ExprType.NUMBER
        return (lambda env, ctx: arith(op, left(env, ctx), right(env, ctx))), type_

    def visit_Compare(self, node: ast.Compare) -> _Compiled:
        compiled = [self.visit(n) for n in (node.left, *node.comparators)]
        ops: list[str] = []
        for op_node, (_, lt), (right, rt) in zip(node.ops, compiled, compiled[1:], strict=False):
            op = _CMP_OPS.get(type(op_node))
            if op is None:
                self.problem(node, "'is' / 'is not' are not supported; use == / !=")
                continue
            ops.append(op)
            if op in ("==", "!="):
                ok = ExprType.NULL in (lt, rt) or fits(lt, rt) or fits(rt, lt)
            elif op in ("in", "not in"):
                ok = rt in (ExprType.LIST, ExprType.ANY) or (rt is ExprType.STRING and lt in STRINGY)
                if ok and isinstance(right, _ListLit) and lt not in (ExprType.ANY, ExprType.NULL):
                    kinds = {_LITERAL_TYPES[type(v)] for v in right.values} - {ExprType.NULL}
                    for kind in sorted(k.value for k in kinds if not (fits(k, lt) or fits(lt, k))):
                        self.problem(node, f"a {lt.value} can never be in a list of {kind} literals")
            else:
                ok = (lt in NUMERIC and rt in NUMERIC) or (lt in STRINGY and rt in STRINGY)
            if not ok:
                self.problem(node, f"cannot compare {lt.value} with {rt.value} using '{op}'")
        if len(ops) != len(node.ops):
            return _ERROR
        first, *rest = [n for n, _ in compiled]

        def run(env: Env, ctx: EvalContext) -> bool:
            left = first(env, ctx)
            for op, operand in zip(ops, rest, strict=True):  # a < b < c evaluates b once
                right = operand(env, ctx)
                if not compare(op, left, right):
                    return False
                left = right
            return True

        return run, ExprType.BOOLEAN

    def visit_Call(self, node: ast.Call) -> _Compiled:
        if not isinstance(node.func, ast.Name):
            return self.fail(node, "only registered functions can be called (no method calls)")
        name = node.func.id
        if node.keywords:
            self.problem(node, "keyword arguments are not allowed")
        compiled = [self.visit(arg) for arg in node.args]
        spec = FUNCTIONS.get(name)
        if spec is None:
            return self.fail(node.func, f"unknown function '{name}' (known: {', '.join(sorted(FUNCTIONS))})")
        self.functions.add(name)
        if len(compiled) != len(spec.params):
            count = len(spec.params)
            return self.fail(
                node, f"{name}() takes {count} argument{'s' * (count != 1)}, got {len(compiled)}"
            )
        for position, ((_, actual), expected) in enumerate(zip(compiled, spec.params, strict=True), 1):
            if actual is not ExprType.NULL and not fits(actual, expected):
                self.problem(
                    node, f"{name}() argument {position} must be {expected.value}, got {actual.value}"
                )
        literals = tuple(arg.value if isinstance(arg, ast.Constant) else None for arg in node.args)
        literal_ok = True
        for index in spec.literal_params:
            if not isinstance(literals[index], str):
                literal_ok = False
                self.problem(node.args[index], f"{name}() argument {index + 1} must be a string literal")
        if spec.check is not None and literal_ok:
            for message in spec.check(literals, self.scope):
                self.problem(node, message)
        if spec.lookup_key_param is not None and isinstance(literals[0], str):
            key = node.args[spec.lookup_key_param]
            ref = (
                (key.value.id, key.attr)
                if isinstance(key, ast.Attribute) and isinstance(key.value, ast.Name)
                else None
            )
            self.lookups.add((literals[0], ref))
        args = [n for n, _ in compiled]

        def run(env: Env, ctx: EvalContext) -> Any:
            values = [arg(env, ctx) for arg in args]
            try:
                return spec.impl(ctx, *values)
            except (TypeError, ValueError, ArithmeticError) as exc:
                raise EvaluationError(f"{name}(): {exc}") from exc

        return run, spec.returns


def compile_expression(
    source: str, scope: Scope, *, expect: ExprType | None = ExprType.BOOLEAN
) -> Expression:
    """Parse and type-check ``source``; raises :class:`ExpressionError` listing every problem."""
    if len(source) > MAX_SOURCE_LENGTH:
        raise ExpressionError(
            [f"expression is {len(source)} characters long; the limit is {MAX_SOURCE_LENGTH}"]
        )
    text = source.strip()
    if not text:
        raise ExpressionError(["expression is empty"])
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        lead = len(source) - len(source.lstrip()) if (exc.lineno or 1) == 1 else 0
        where = f"line {exc.lineno}, " if exc.lineno and exc.lineno > 1 else ""
        where = f"at {where}column {exc.offset + lead}" if exc.offset else "at the end of the expression"
        raise ExpressionError([f"syntax error {where}: {exc.msg}"]) from None
    except (RecursionError, MemoryError):
        raise ExpressionError(["expression is too deeply nested to parse"]) from None
    except ValueError as exc:  # e.g. null bytes on some Python versions
        raise ExpressionError([f"invalid expression: {exc}"]) from None
    if _depth(tree.body) > MAX_DEPTH:
        raise ExpressionError([f"expression is nested more than {MAX_DEPTH} levels deep"])
    compiler = _Compiler(text, scope)
    node, type_ = compiler.visit(tree.body)
    if expect is not None and not fits(type_, expect):
        compiler.problems.append(f"expected a {expect.value} expression, got {type_.value}")
    if compiler.problems:
        raise ExpressionError(compiler.problems)
    return Expression(
        source,
        type_,
        frozenset(compiler.references),
        frozenset(compiler.functions),
        node,
        frozenset(compiler.lookups),
    )
