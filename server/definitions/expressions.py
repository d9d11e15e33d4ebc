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
import datetime
import enum
import keyword
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

MAX_SOURCE_LENGTH = 2000
MAX_DEPTH = 50

Env = Mapping[str, Mapping[str, Any]]


class ExprType(enum.Enum):
    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    NULL = "null"
    LIST = "list"
    ANY = "any"


_NUMERIC = frozenset({ExprType.INTEGER, ExprType.NUMBER, ExprType.ANY})
_STRINGY = frozenset({ExprType.STRING, ExprType.ANY})


def _number_type(type_: ExprType) -> ExprType:
    return ExprType.NUMBER if type_ is ExprType.ANY else type_


def _fits(actual: ExprType, expected: ExprType) -> bool:
    """Whether a value of type ``actual`` may be used where ``expected`` is wanted."""
    if ExprType.ANY in (actual, expected) or actual is expected:
        return True
    return actual is ExprType.INTEGER and expected is ExprType.NUMBER


@dataclass(frozen=True)
class Scope:
    """What an expression may refer to: root -> field -> type, and lookup table -> column -> type."""

    roots: Mapping[str, Mapping[str, ExprType]]
    lookup_tables: Mapping[str, Mapping[str, ExprType]] = field(default_factory=dict)


class ExpressionError(Exception):
    """An expression failed to compile; ``problems`` lists everything found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class EvaluationError(Exception):
    """An expression failed at runtime (division by zero, wrong runtime types, ...)."""


class Lookups(Protocol):
    def rows(self, table: str, key: str) -> Sequence[Mapping[str, Any]]: ...


@dataclass(frozen=True)
class EvalContext:
    lookups: Lookups
    now: datetime.datetime
    is_working_time: Callable[[datetime.datetime], bool]


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    params: tuple[ExprType, ...]
    returns: ExprType
    impl: Callable[..., Any]
    description: str
    literal_params: tuple[int, ...] = ()
    check: Callable[[tuple[Any, ...], Scope], list[str]] | None = None
    lookup_key_param: int | None = None
    """For a function reading a lookup table (named by its first, literal, argument): the index of
    the key argument, so that callers can prefetch the rows (see :attr:`Expression.lookups`)."""


FUNCTIONS: dict[str, FunctionSpec] = {}
_NAMED_LITERALS: Mapping[str, Any] = {"true": True, "false": False, "none": None}


def register_function(spec: FunctionSpec) -> None:
    """Add ``spec`` to :data:`FUNCTIONS`; a name may be registered only once."""
    name = spec.name
    if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_") or name in _NAMED_LITERALS:
        raise ValueError(f"invalid function name {name!r}")
    for index in spec.literal_params:
        if not 0 <= index < len(spec.params) or spec.params[index] not in _STRINGY:
            raise ValueError(f"{name}: literal parameter {index} must be a string parameter")
    existing = FUNCTIONS.get(name)
    if existing is not None and existing is not spec:
        raise ValueError(f"function {name!r} is already registered")
    FUNCTIONS[name] = spec


# --- runtime helpers ---------------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _tname(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "boolean"
    names = {int: "integer", float: "number", str: "string", list: "list", tuple: "list"}
    if type(value) in names:
        return names[type(value)]
    return "object" if isinstance(value, Mapping) else type(value).__name__


def _truth(value: Any, what: str) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    raise EvaluationError(f"{what} needs a boolean, got {_tname(value)}")


def _equal(left: Any, right: Any) -> bool:
    if isinstance(left, bool) != isinstance(right, bool):
        return False  # keep true == 1 false
    return bool(left == right)


def _contains(container: Any, item: Any) -> bool:
    if container is None:
        return False
    if isinstance(container, str):
        if item is None:
            return False
        if not isinstance(item, str):
            raise EvaluationError(f"'in' a string needs a string on the left, got {_tname(item)}")
        return item in container
    if isinstance(container, list | tuple | set | frozenset):
        return any(_equal(item, element) for element in container)
    raise EvaluationError(f"'in' needs a list or string on the right, got {_tname(container)}")


_ORDERING = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


def _compare(op: str, left: Any, right: Any) -> bool:
    if op in ("==", "!="):
        return _equal(left, right) == (op == "==")
    if op in ("in", "not in"):
        return _contains(right, left) == (op == "in")
    if left is None or right is None:
        return False
    if (_is_number(left) and _is_number(right)) or (isinstance(left, str) and isinstance(right, str)):
        return bool(_ORDERING[op](left, right))
    raise EvaluationError(f"cannot compare {_tname(left)} with {_tname(right)} using '{op}'")


def _arith(op: str, left: Any, right: Any) -> Any:
    for value in (left, right):
        if not _is_number(value):
            raise EvaluationError(f"'{op}' needs numbers, got {_tname(value)}")
    try:
        return _ARITHMETIC[op](left, right)
    except ZeroDivisionError:
        raise EvaluationError("division by zero") from None
    except OverflowError as exc:
        raise EvaluationError(f"arithmetic overflow in '{op}': {exc}") from exc


# --- compiled form: closures ``(env, ctx) -> value``, plus two inspectable literal nodes ---------------

_Eval = Callable[[Env, EvalContext], Any]


@dataclass(frozen=True, slots=True)
class _Const:
    value: Any

    def __call__(self, env: Env, ctx: EvalContext) -> Any:
        return self.value


@dataclass(frozen=True, slots=True)
class _ListLit:
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


@dataclass(frozen=True)
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
        return _truth(self.evaluate(env, ctx), "a condition")


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
        if name in _NAMED_LITERALS:
            value = _NAMED_LITERALS[name]
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
            if not _fits(type_, ExprType.BOOLEAN):
                self.problem(node, f"'not' needs a boolean, got {type_.value}")
            return (lambda env, ctx: not _truth(operand(env, ctx), "'not'")), ExprType.BOOLEAN
        if not isinstance(node.op, ast.USub):
            return self.fail(node, "only unary '-' is supported")
        if type_ not in _NUMERIC:
            return self.fail(node, f"unary '-' needs a number, got {type_.value}")
        if isinstance(operand, _Const) and _is_number(operand.value):
            return _Const(-operand.value), type_  # fold negative literals (so they work in lists)
        return (lambda env, ctx: _arith("-", 0, operand(env, ctx))), _number_type(type_)

    def visit_BoolOp(self, node: ast.BoolOp) -> _Compiled:
        is_and = isinstance(node.op, ast.And)
        word = "'and'" if is_and else "'or'"
        operands: list[_Eval] = []
        for value in node.values:
            operand, type_ = self.visit(value)
            if not _fits(type_, ExprType.BOOLEAN):
                self.problem(value, f"{word} needs boolean operands, got {type_.value}")
            operands.append(operand)

        def run(env: Env, ctx: EvalContext) -> bool:
            for each in operands:  # short-circuits like Python's and/or
                if _truth(each(env, ctx), word) != is_and:
                    return not is_and
            return is_and

        return run, ExprType.BOOLEAN

    def visit_BinOp(self, node: ast.BinOp) -> _Compiled:
        op = _ARITH_OPS.get(type(node.op))
        left, left_type = self.visit(node.left)
        right, right_type = self.visit(node.right)
        if op is None:
            return self.fail(node, "operator not supported (only + - * /)")
        if left_type not in _NUMERIC or right_type not in _NUMERIC:
            return self.fail(node, f"'{op}' needs numbers, got {left_type.value} and {right_type.value}")
        both_int = left_type is ExprType.INTEGER and right_type is ExprType.INTEGER
        type_ = ExprType.INTEGER if both_int and op != "/" else ExprType.NUMBER
        return (lambda env, ctx: _arith(op, left(env, ctx), right(env, ctx))), type_

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
                ok = ExprType.NULL in (lt, rt) or _fits(lt, rt) or _fits(rt, lt)
            elif op in ("in", "not in"):
                ok = rt in (ExprType.LIST, ExprType.ANY) or (rt is ExprType.STRING and lt in _STRINGY)
                if ok and isinstance(right, _ListLit) and lt not in (ExprType.ANY, ExprType.NULL):
                    kinds = {_LITERAL_TYPES[type(v)] for v in right.values} - {ExprType.NULL}
                    for kind in sorted(k.value for k in kinds if not (_fits(k, lt) or _fits(lt, k))):
                        self.problem(node, f"a {lt.value} can never be in a list of {kind} literals")
            else:
                ok = (lt in _NUMERIC and rt in _NUMERIC) or (lt in _STRINGY and rt in _STRINGY)
            if not ok:
                self.problem(node, f"cannot compare {lt.value} with {rt.value} using '{op}'")
        if len(ops) != len(node.ops):
            return _ERROR
        first, *rest = [n for n, _ in compiled]

        def run(env: Env, ctx: EvalContext) -> bool:
            left = first(env, ctx)
            for op, operand in zip(ops, rest, strict=True):  # a < b < c evaluates b once
                right = operand(env, ctx)
                if not _compare(op, left, right):
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
            if actual is not ExprType.NULL and not _fits(actual, expected):
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
    if expect is not None and not _fits(type_, expect):
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


# --- built-in functions ------------------------------------------------------------------------------


def _rows(ctx: EvalContext, table: str, key: Any) -> Sequence[Mapping[str, Any]]:
    return () if key is None else ctx.lookups.rows(table, str(key))


def _len(ctx: EvalContext, value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, str | list | tuple | Mapping):
        return len(value)
    raise EvaluationError(f"len() needs a string or list, got {_tname(value)}")


def _lower(ctx: EvalContext, value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value and value.lower()
    raise EvaluationError(f"lower() needs a string, got {_tname(value)}")


def _is_set(ctx: EvalContext, value: Any) -> bool:
    return value is not None and not (isinstance(value, str | list | tuple | Mapping) and len(value) == 0)


def _lookup_sum(ctx: EvalContext, table: str, key: Any, column: str) -> int | float:
    total: int | float = 0
    for row in _rows(ctx, table, key):
        value = row.get(column)
        if value is not None and not _is_number(value):
            raise EvaluationError(f"lookup_sum(): {table}.{column} holds {_tname(value)}, not a number")
        total += value or 0
    return total


def _check_table(literals: tuple[Any, ...], scope: Scope) -> list[str]:
    return [] if literals[0] in scope.lookup_tables else [f"unknown lookup table '{literals[0]}'"]


def _check_sum(literals: tuple[Any, ...], scope: Scope) -> list[str]:
    table, column = literals[0], literals[2]
    columns = scope.lookup_tables.get(table)
    if columns is None:
        return _check_table(literals, scope)
    if column not in columns:
        return [f"lookup table '{table}' has no column '{column}'"]
    if columns[column] not in (ExprType.INTEGER, ExprType.NUMBER):
        return [f"column '{table}.{column}' is {columns[column].value}, not a number"]
    return []


for _spec in (
    FunctionSpec(
        "within_working_hours",
        (),
        ExprType.BOOLEAN,
        lambda ctx: bool(ctx.is_working_time(ctx.now)),
        "Whether now falls within the organisation's working hours.",
    ),
    FunctionSpec("len", (ExprType.ANY,), ExprType.INTEGER, _len, "Length of a string or list (none -> 0)."),
    FunctionSpec("lower", (ExprType.STRING,), ExprType.STRING, _lower, "Lower-cased copy of a string."),
    FunctionSpec(
        "lookup_count",
        (ExprType.STRING, ExprType.ANY),
        ExprType.INTEGER,
        lambda ctx, table, key: len(_rows(ctx, table, key)),
        "Number of rows of a lookup table stored under a key.",
        literal_params=(0,),
        check=_check_table,
        lookup_key_param=1,
    ),
    FunctionSpec(
        "lookup_sum",
        (ExprType.STRING, ExprType.ANY, ExprType.STRING),
        ExprType.NUMBER,
        _lookup_sum,
        "Sum of a numeric column over the rows of a lookup table stored under a key.",
        literal_params=(0, 2),
        lookup_key_param=1,
        check=_check_sum,
    ),
    FunctionSpec("is_set", (ExprType.ANY,), ExprType.BOOLEAN, _is_set, "Not none, not empty string or list."),
):
    register_function(_spec)
