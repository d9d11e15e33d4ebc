"""The built-in functions of the guard expression language, registered into :data:`FUNCTIONS`.

Owns ``within_working_hours``, ``len``, ``lower``, ``lookup_count``, ``lookup_sum`` and ``is_set``:
their implementations, their compile-time checks of lookup tables and columns, and their
registration (done when this module is imported, which :mod:`server.definitions.expressions` does).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from server.definitions.expression_runtime import is_number, type_name
from server.definitions.expression_types import (
    EvalContext,
    EvaluationError,
    ExprType,
    FunctionSpec,
    Scope,
    register_function,
)


def _rows(ctx: EvalContext, table: str, key: Any) -> Sequence[Mapping[str, Any]]:
    return () if key is None else ctx.lookups.rows(table, str(key))


def _len(ctx: EvalContext, value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, str | list | tuple | Mapping):
        return len(value)
    raise EvaluationError(f"len() needs a string or list, got {type_name(value)}")


def _lower(ctx: EvalContext, value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value and value.lower()
    raise EvaluationError(f"lower() needs a string, got {type_name(value)}")


def _is_set(ctx: EvalContext, value: Any) -> bool:
    return value is not None and not (isinstance(value, str | list | tuple | Mapping) and len(value) == 0)


def _lookup_sum(ctx: EvalContext, table: str, key: Any, column: str) -> int | float:
    total: int | float = 0
    for row in _rows(ctx, table, key):
        value = row.get(column)
        if value is not None and not is_number(value):
            raise EvaluationError(f"lookup_sum(): {table}.{column} holds {type_name(value)}, not a number")
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
