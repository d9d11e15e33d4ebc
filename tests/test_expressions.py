"""Tests for the guard/condition expression language (server/definitions/expressions.py)."""

from __future__ import annotations

import ast
import datetime
import operator
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.definitions.expressions import (
    FUNCTIONS,
    EvalContext,
    EvaluationError,
    Expression,
    ExpressionError,
    ExprType,
    FunctionSpec,
    Scope,
    compile_expression,
    register_function,
)

E = ExprType
SCOPE = Scope(
    roots={
        "data": {
            "employee_id": E.STRING,
            "count": E.INTEGER,
            "price": E.NUMBER,
            "name": E.STRING,
            "tags": E.LIST,
            "flag": E.BOOLEAN,
            "return_form": E.ANY,
            "address.city": E.STRING,
        },
        "action": {"comment": E.STRING},
        "vars": {"outcome": E.STRING},
        "actor": {"id": E.STRING, "roles": E.LIST, "department": E.STRING},
        "ticket": {"state": E.STRING, "channel": E.STRING, "department": E.STRING, "number": E.INTEGER},
    },
    lookup_tables={"custody": {"quantity": E.INTEGER, "weight": E.NUMBER, "label": E.STRING}},
)
ENV: dict[str, dict[str, Any]] = {
    "data": {
        "employee_id": "e1",
        "count": 3,
        "price": 2.5,
        "name": "Ahmad",
        "tags": ["a", "b"],
        "flag": True,
        "address": {"city": "Muscat"},
    },
    "action": {"comment": "ok"},
    "vars": {"outcome": "not_done_unavailable"},
    "actor": {"id": "u1", "roles": ["department_head", "staff"], "department": "it"},
    "ticket": {"state": "open", "channel": "itqan", "department": "it", "number": 42},
}
NOW = datetime.datetime(2025, 3, 2, 10, 30, tzinfo=datetime.UTC)
TABLES: dict[str, dict[str, list[dict[str, Any]]]] = {
    "custody": {
        "e1": [{"quantity": 2, "weight": 1.5}, {"quantity": None, "weight": 0.25}, {"label": "x"}],
        "7": [{"quantity": 1}],
        "bad": [{"quantity": "lots"}],
    }
}


class DictLookups:
    def __init__(self, tables: Mapping[str, Mapping[str, Sequence[Mapping[str, Any]]]]) -> None:
        self.tables = tables
        self.calls: list[tuple[str, str]] = []

    def rows(self, table: str, key: str) -> Sequence[Mapping[str, Any]]:
        self.calls.append((table, key))
        return self.tables.get(table, {}).get(key, [])


def make_ctx(working: bool = True, lookups: DictLookups | None = None) -> EvalContext:
    seen: list[datetime.datetime] = []

    def is_working_time(moment: datetime.datetime) -> bool:
        seen.append(moment)
        return working and moment == NOW

    return EvalContext(lookups=lookups or DictLookups(TABLES), now=NOW, is_working_time=is_working_time)


def run(source: str, env: Mapping[str, Mapping[str, Any]] = ENV, ctx: EvalContext | None = None) -> Any:
    return compile_expression(source, SCOPE, expect=None).evaluate(env, ctx or make_ctx())


def problems(source: str, expect: ExprType | None = E.BOOLEAN) -> list[str]:
    with pytest.raises(ExpressionError) as info:
        compile_expression(source, SCOPE, expect=expect)
    assert str(info.value) == "; ".join(info.value.problems)
    return info.value.problems


# --- the language ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('lookup_sum("custody", data.employee_id, "quantity") == 0', False),
        ('vars.outcome == "not_done_unavailable"', True),
        ('ticket.channel == "itqan" and not within_working_hours()', False),
        ('"department_head" in actor.roles', True),
        ("data.return_form != none", False),
    ],
)
def test_guards_from_the_brief(source: str, expected: bool) -> None:
    expression = compile_expression(source, SCOPE)
    assert expression.type is E.BOOLEAN
    assert expression.test(ENV, make_ctx()) is expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("true and false", False),
        ("true and true and data.flag", True),
        ("false or false or true", True),
        ("false or false", False),
        ("not false", True),
        ("not not data.flag", True),
        ("True and not False and None == none", True),
        ("1 == 1", True),
        ("1 == 1.0", True),
        ('"a" != "b"', True),
        ("1 != 1", False),
        ("1 < 2", True),
        ("2 <= 2", True),
        ("3 > 2", True),
        ("2 >= 3", False),
        ('"abc" < "abd"', True),
        ("1 < 2 < 3", True),
        ("1 < 3 < 2", False),
        ("1 < data.count <= 3 != 4", True),
        ("1 + 2", 3),
        ("5 - 7", -2),
        ("3 * 4", 12),
        ("7 / 2", 3.5),
        ("2 + 3 * 4", 14),
        ("(2 + 3) * 4", 20),
        ("-data.count", -3),
        ("-(1 + 2) * -1", 3),
        ("data.count * data.price", 7.5),
        ("ticket.number / 2 == 21", True),
        ('"a" in data.tags', True),
        ('"z" not in data.tags', True),
        ('"hm" in data.name', True),
        ('"x" not in data.name', True),
        ("data.count in [1, 2, 3]", True),
        ("data.count in [-3, 4]", False),
        ("-3 in [-3, 4]", True),
        ('ticket.state not in ["closed", "cancelled"]', True),
        ('data.address.city == "Muscat"', True),
        ("(1 < 2) == true", True),
        ("[1, 2]", [1, 2]),
        ("false and 1 / 0 > 1", False),  # short-circuit
        ("true or 1 / 0 > 1", True),
        ("2 > 3 > 1 / 0", False),  # chains short-circuit too
    ],
)
def test_operators(source: str, expected: Any) -> None:
    value = run(source)
    assert value == expected
    assert type(value) is type(expected)


def test_boolean_and_integer_are_not_equal_at_runtime() -> None:
    env = {"data": {"return_form": True}}
    assert run("data.return_form == 1", env) is False
    assert run("data.return_form in [1, 2]", env) is False
    assert run("data.return_form == true", env) is True


def test_expression_metadata() -> None:
    expression = compile_expression(
        'lookup_count("custody", data.employee_id) > 0 and "x" in actor.roles and data.address.city != none',
        SCOPE,
    )
    assert isinstance(expression, Expression)
    assert expression.type is E.BOOLEAN
    assert expression.references == {("data", "employee_id"), ("actor", "roles"), ("data", "address.city")}
    assert expression.functions == {"lookup_count"}
    assert compile_expression("data.count + 1", SCOPE, expect=None).type is E.INTEGER
    assert compile_expression("data.count / 1", SCOPE, expect=None).type is E.NUMBER
    assert compile_expression("data.count * 1.5", SCOPE, expect=E.NUMBER).type is E.NUMBER
    assert compile_expression("data.return_form", SCOPE).type is E.ANY  # ANY fits BOOLEAN
    assert compile_expression('  data.name == "x"  ', SCOPE).test(ENV, make_ctx()) is False


# --- built-in functions ------------------------------------------------------------------------------


def test_within_working_hours_uses_context() -> None:
    assert run("within_working_hours()", ctx=make_ctx(working=True)) is True
    assert run("within_working_hours()", ctx=make_ctx(working=False)) is False


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("len(data.name)", 5),
        ("len(data.tags)", 2),
        ("len(action.comment)", 2),
        ("len([1, 2, 3])", 3),
        ("len(none)", 0),
        ('lower("AbC")', "abc"),
        ("lower(data.name)", "ahmad"),
        ("lower(none)", None),
        ('lookup_count("custody", data.employee_id)', 3),
        ('lookup_count("custody", "nobody")', 0),
        ('lookup_count("custody", 7)', 1),  # the key is passed as a string
        ('lookup_count("custody", none)', 0),
        ('lookup_sum("custody", data.employee_id, "quantity")', 2),
        ('lookup_sum("custody", data.employee_id, "weight")', 1.75),
        ('lookup_sum("custody", "nobody", "quantity")', 0),
        ("is_set(data.name)", True),
        ('is_set("")', False),
        ("is_set([])", False),
        ("is_set(none)", False),
        ("is_set(0)", True),
        ("is_set(data.tags)", True),
    ],
)
def test_builtins(source: str, expected: Any) -> None:
    assert run(source) == expected


def test_lookup_key_is_stringified_and_none_key_skips_the_lookup() -> None:
    lookups = DictLookups(TABLES)
    ctx = make_ctx(lookups=lookups)
    run('lookup_count("custody", 7) + lookup_count("custody", none)', ctx=ctx)
    assert lookups.calls == [("custody", "7")]


# --- missing values ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("data.count == none", True),
        ("data.count != none", False),
        ("data.count > 1", False),
        ("data.count < 1", False),
        ("data.count <= 1 or data.count >= 1", False),
        ('"x" in data.tags', False),
        ('"x" not in data.tags', True),
        ("data.count in [1, 2]", False),
        ("not data.flag", True),
        ("data.flag", None),
        ("data.address.city == none", True),
        ("len(data.tags) == 0", True),
        ("is_set(data.name)", False),
        ('lookup_count("custody", data.employee_id) == 0', True),
    ],
)
def test_missing_fields_are_none(source: str, expected: Any) -> None:
    envs: list[dict[str, dict[str, Any]]] = [{}, {"data": {}}, {"data": {"address": "not a mapping"}}]
    for env in envs:
        assert run(source, env) is expected
        assert compile_expression(source, SCOPE).test(env, make_ctx()) is bool(expected)


# --- runtime errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "env", "message"),
    [
        ("1 / 0 > 0", ENV, "division by zero"),
        ("data.count / (data.count - 3) > 0", ENV, "division by zero"),
        ("data.count + 1 > 0", {}, "'+' needs numbers, got none"),
        ("-data.count < 0", {}, "needs numbers, got none"),
        ("data.return_form > 3", {"data": {"return_form": "x"}}, "cannot compare string with integer"),
        ('data.return_form in "abc"', {"data": {"return_form": 1}}, "needs a string on the left"),
        ("1 in data.return_form", {"data": {"return_form": 5}}, "needs a list or string"),
        ("data.return_form and true", {"data": {"return_form": "yes"}}, "'and' needs a boolean"),
        ('lower(data.return_form) == "x"', {"data": {"return_form": 1}}, "lower() needs a string"),
        ("len(data.return_form) > 0", {"data": {"return_form": 1}}, "len() needs a string or list"),
        ('lookup_sum("custody", "bad", "quantity") > 0', ENV, "holds string, not a number"),
        ("data.return_form", {"data": {"return_form": "x"}}, "a condition needs a boolean"),
    ],
)
def test_runtime_errors_raise_evaluation_error(source: str, env: Any, message: str) -> None:
    expression = compile_expression(source, SCOPE)
    with pytest.raises(EvaluationError, match=re.escape(message)):
        expression.test(env, make_ctx())


def test_overflow_is_an_evaluation_error() -> None:
    big = "9" * 400
    with pytest.raises(EvaluationError, match="overflow"):
        run(f"{big} * {big} / 3 > 0")


# --- rejections --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ('__import__("os")', "unknown function '__import__'"),
        ('__import__("os").system("ls")', "method calls"),
        ("data.__class__", "names starting with '_'"),
        ("().__class__.__bases__", "names starting with '_'"),
        ("data._private == 1", "names starting with '_'"),
        ("_x == 1", "names starting with '_'"),
        ("data.tags[0] == 1", "subscripts"),
        ("(lambda: true)()", "method calls"),
        ("lambda: true", "lambda"),
        ("[x for x in data.tags] == []", "comprehensions"),
        ("any(x for x in data.tags)", "comprehensions"),
        ("len(x=data.tags) > 0", "keyword arguments"),
        ("len(*data.tags) > 0", "starred arguments"),
        ("len(**data.tags) > 0", "keyword arguments"),
        ('data.name.lower() == "x"', "method calls"),
        ("foo.bar == 1", "unknown root 'foo'"),
        ("data.foo == 1", "data.foo: no such field"),
        ("data.address == none", "no such field"),
        ("data.count.real == 1", "no such field"),
        ("data == none", "root, not a value"),
        ("x == 1", "unknown name 'x'"),
        ("nope() == 1", "unknown function 'nope'"),
        ("len == 1", "is a function"),
        ("len(1, 2) == 1", "len() takes 1 argument, got 2"),
        ("within_working_hours(1)", "takes 0 arguments, got 1"),
        ('data.count + "x" == 1', "'+' needs numbers, got integer and string"),
        ('"a" and true', "'and' needs boolean operands, got string"),
        ("1 or true", "'or' needs boolean operands, got integer"),
        ("not 1", "'not' needs a boolean, got integer"),
        ('-"a" == 1', "unary '-' needs a number"),
        ("+1 == 1", "only unary '-'"),
        ("~1 == 1", "only unary '-'"),
        ("data.count % 2 == 0", "only + - * /"),
        ("2 ** 8 == 256", "only + - * /"),
        ('data.count == "3"', "cannot compare integer with string using '=='"),
        ("data.name < 3", "cannot compare string with integer using '<'"),
        ("data.count < none", "cannot compare integer with null"),
        ("data.flag > true", "cannot compare boolean with boolean"),
        ("1 in data.count", "cannot compare integer with integer using 'in'"),
        ('1 in "abc"', "cannot compare integer with string using 'in'"),
        ("data.employee_id in [1, 2]", "a string can never be in a list of integer literals"),
        ("data.count in [data.count]", "list elements must be literals"),
        ("data.count is none", "'is' / 'is not' are not supported"),
        ('lower(1) == "1"', "lower() argument 1 must be string, got integer"),
        ('lookup_count("nope", 1) > 0', "unknown lookup table 'nope'"),
        ('lookup_sum("nope", 1, "quantity") > 0', "unknown lookup table 'nope'"),
        ('lookup_sum("custody", 1, "zzz") > 0', "lookup table 'custody' has no column 'zzz'"),
        ('lookup_sum("custody", 1, "label") > 0', "column 'custody.label' is string, not a number"),
        ("lookup_count(data.employee_id, 1) > 0", "lookup_count() argument 1 must be a string literal"),
        ('lookup_sum("custody", 1, data.name) > 0', "argument 3 must be a string literal"),
        ("lookup_count(1, 1) > 0", "argument 1 must be a string literal"),
        ("data.count", "expected a boolean expression, got integer"),
        ("none", "expected a boolean expression, got null"),
        ('f"{data.name}" == "x"', "f-strings"),
        ("data.count if true else 1", "conditional expressions"),
        ("(y := 1) == 1", "assignment expressions"),
        ("{1: 2} == none", "dict literals"),
        ("{1} == none", "set literals"),
        ("(1, 2) == none", "tuples"),
        ("b'x' == none", "unsupported literal of type bytes"),
        ("1j == none", "unsupported literal of type complex"),
        ("... == none", "unsupported literal of type ellipsis"),
        ("await data.x", "Await"),
        ("", "expression is empty"),
        ("   ", "expression is empty"),
        ("1 +", "syntax error at the end of the expression"),
        ("data.count == = 1", "syntax error at column 15"),
        ("  1 2", "syntax error at column 5"),
        ("true\n and (1 1)", "syntax error at line 2, column"),
        ("data.count == 1; import os", "syntax error"),
        ("import os", "syntax error"),
        ("1\x00", "syntax error"),
    ],
)
def test_rejections(source: str, fragment: str) -> None:
    found = problems(source)
    assert any(fragment in p for p in found), found


def test_several_problems_are_reported_together() -> None:
    found = problems('data.foo == 1 and nope() and bar.x == 2 and data.count + "x" > 1 and data.tags[0]')
    assert len(found) == 5, found
    assert found[0] == "data.foo: no such field"
    assert any("unknown function 'nope'" in p for p in found)
    assert any("unknown root 'bar'" in p for p in found)
    assert any("needs numbers" in p for p in found)
    assert any("subscripts" in p for p in found)
    assert len(problems('lookup_sum(data.name, 1, data.name) > "x"')) == 3


@pytest.mark.parametrize(
    "source",
    [
        "(" * 1000 + "1" + ")" * 1000,
        "not " * 500 + "true",
        "(" * 300 + "true" + ")" * 300,  # the parser's own nesting limit
        "not " * 51 + "true",
        "-" * 60 + "1 > 0",
        "1" + " + 1" * 60 + " > 0",
        "len(" * 60 + "1" + ")" * 60 + " > 0",
        '"' + "a" * 1999 + '"',
    ],
)
def test_limits_raise_expression_error_not_recursion_error(source: str) -> None:
    found = problems(source)
    assert len(found) == 1
    assert any(word in found[0] for word in ("nested", "characters long", "syntax error")), found


def test_limits_are_inclusive() -> None:
    assert compile_expression("not " * 49 + "true", SCOPE).test({}, make_ctx()) is False
    source = '"' + "a" * 1992 + '" != ""'
    assert len(source) == 2000
    assert compile_expression(source, SCOPE).test({}, make_ctx()) is True
    assert "2001 characters long" in problems(source + " ")[0]


def test_parser_crashes_are_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    for error in (RecursionError, MemoryError):

        def explode(*args: Any, error: type[BaseException] = error, **kwargs: Any) -> ast.AST:
            raise error

        monkeypatch.setattr(ast, "parse", explode)
        assert "too deeply nested" in problems("true")[0]


# --- the registry ------------------------------------------------------------------------------------


def test_register_function() -> None:
    def starts_with(ctx: EvalContext, text: Any, prefix: Any) -> bool:
        return isinstance(text, str) and text.startswith(prefix)

    def check(literals: tuple[Any, ...], scope: Scope) -> list[str]:
        return [] if literals[1] else ["the prefix must not be empty"]

    spec = FunctionSpec("starts_with", (E.STRING, E.STRING), E.BOOLEAN, starts_with, "", (1,), check)
    register_function(spec)
    try:
        register_function(spec)  # the same spec again is harmless
        assert run('starts_with(data.name, "Ah")') is True
        assert run('starts_with(none, "Ah")') is False
        assert "the prefix must not be empty" in problems('starts_with(data.name, "")')[0]
        assert "must be a string literal" in problems("starts_with(data.name, data.name)")[0]
        with pytest.raises(ValueError, match="already registered"):
            register_function(FunctionSpec("starts_with", (), E.BOOLEAN, starts_with, ""))
    finally:
        del FUNCTIONS["starts_with"]
    for name in ("_hidden", "true", "not", "with space"):
        with pytest.raises(ValueError, match="invalid function name"):
            register_function(FunctionSpec(name, (), E.BOOLEAN, starts_with, ""))
    with pytest.raises(ValueError, match="literal parameter"):
        register_function(FunctionSpec("bad", (E.INTEGER,), E.BOOLEAN, starts_with, "", (0,)))
    assert "bad" not in FUNCTIONS
    assert {"within_working_hours", "len", "lower", "lookup_count", "lookup_sum", "is_set"} <= set(FUNCTIONS)


def test_function_type_errors_become_evaluation_errors() -> None:
    def boom(ctx: EvalContext) -> bool:
        raise ValueError("bad input")

    register_function(FunctionSpec("boom", (), E.BOOLEAN, boom, ""))
    try:
        with pytest.raises(EvaluationError, match=r"boom\(\): bad input"):
            run("boom()")
    finally:
        del FUNCTIONS["boom"]


# --- property: integer arithmetic and comparisons agree with Python ----------------------------------

ARITH = {"+": operator.add, "-": operator.sub, "*": operator.mul}
CMP = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
Built = tuple[str, Any]  # (source, expected value), built from the same random tree


def _binary(children: st.SearchStrategy[Built]) -> st.SearchStrategy[Built]:
    """``(a op b)`` or ``-(a op b)``: every level adds a leaf, so the depth stays bounded."""

    def build(op: str, a: Built, b: Built, negate: bool) -> Built:
        source, value = f"({a[0]} {op} {b[0]})", ARITH[op](a[1], b[1])
        return (f"-{source}", -value) if negate else (source, value)

    return st.builds(build, st.sampled_from(list(ARITH)), children, children, st.booleans())


def _chain(first: Built, rest: list[tuple[str, Built]]) -> Built:
    values = [first[1], *(b[1] for _, b in rest)]
    expected = all(CMP[op](values[i], values[i + 1]) for i, (op, _) in enumerate(rest))
    return first[0] + "".join(f" {op} {b[0]}" for op, b in rest), expected


def _logic(children: st.SearchStrategy[Built]) -> st.SearchStrategy[Built]:
    both = st.tuples(children, children)
    return st.one_of(
        both.map(lambda ab: (f"({ab[0][0]} and {ab[1][0]})", ab[0][1] and ab[1][1])),
        both.map(lambda ab: (f"({ab[0][0]} or {ab[1][0]})", ab[0][1] or ab[1][1])),
    )


LEAVES = st.integers(-(10**6), 10**6).map(lambda n: (str(n), n))
ARITHMETIC = st.recursive(LEAVES, _binary, max_leaves=12)
COMPARISONS = st.builds(
    _chain, ARITHMETIC, st.lists(st.tuples(st.sampled_from(list(CMP)), ARITHMETIC), min_size=1, max_size=3)
)
NEGATED = COMPARISONS.map(lambda c: (f"not ({c[0]})", not c[1]))
BOOLEANS = st.recursive(st.one_of(COMPARISONS, NEGATED), _logic, max_leaves=4)


@settings(deadline=None)
@given(st.one_of(ARITHMETIC, BOOLEANS))
def test_integer_arithmetic_matches_python(built: Built) -> None:
    source, expected = built
    expression = compile_expression(source, SCOPE, expect=None)
    assert expression.type is (E.BOOLEAN if isinstance(expected, bool) else E.INTEGER)
    assert expression.evaluate({}, make_ctx()) == expected


def test_lookups_name_their_table_and_key_for_prefetching() -> None:
    scope = Scope(
        roots={"data": {"employee_id": ExprType.STRING}},
        lookup_tables={"custody": {"employee_id": ExprType.STRING, "quantity": ExprType.INTEGER}},
    )
    expr = compile_expression(
        'lookup_sum("custody", data.employee_id, "quantity") == 0 and lookup_count("custody", lower("X")) == 0',
        scope,
    )
    assert expr.lookups == {("custody", ("data", "employee_id")), ("custody", None)}


def test_the_same_source_compiles_to_equal_expressions() -> None:
    """A compiled expression compares (and hashes) by what it was compiled from, not by its closure,
    which each compilation makes anew — and its repr does not show the closure."""
    first = compile_expression("data.count > 5", SCOPE)
    again = compile_expression("data.count > 5", SCOPE)
    assert first._run is not again._run
    assert first == again and hash(first) == hash(again)
    assert "_run" not in repr(first)
    assert first != compile_expression("data.count > 6", SCOPE)
