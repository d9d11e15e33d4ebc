"""Runtime value helpers of the guard expression language: the semantics of its operators.

Owns how values behave when an expression runs: truthiness of conditions, equality (``true`` is not
``1``), ``in``, ordering comparisons and arithmetic, each raising :class:`EvaluationError` on values
of the wrong type, and the type names those errors use.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from typing import Any

from server.definitions.expression_types import EvaluationError


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def type_name(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "boolean"
    names = {int: "integer", float: "number", str: "string", list: "list", tuple: "list"}
    if type(value) in names:
        return names[type(value)]
    return "object" if isinstance(value, Mapping) else type(value).__name__


def truth(value: Any, what: str) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    raise EvaluationError(f"{what} needs a boolean, got {type_name(value)}")


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
            raise EvaluationError(f"'in' a string needs a string on the left, got {type_name(item)}")
        return item in container
    if isinstance(container, list | tuple | set | frozenset):
        return any(_equal(item, element) for element in container)
    raise EvaluationError(f"'in' needs a list or string on the right, got {type_name(container)}")


_ORDERING = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


def compare(op: str, left: Any, right: Any) -> bool:
    if op in ("==", "!="):
        return _equal(left, right) == (op == "==")
    if op in ("in", "not in"):
        return _contains(right, left) == (op == "in")
    if left is None or right is None:
        return False
    if (is_number(left) and is_number(right)) or (isinstance(left, str) and isinstance(right, str)):
        return bool(_ORDERING[op](left, right))
    raise EvaluationError(f"cannot compare {type_name(left)} with {type_name(right)} using '{op}'")


def arith(op: str, left: Any, right: Any) -> Any:
    for value in (left, right):
        if not is_number(value):
            raise EvaluationError(f"'{op}' needs numbers, got {type_name(value)}")
    try:
        return _ARITHMETIC[op](left, right)
    except ZeroDivisionError:
        raise EvaluationError("division by zero") from None
    except OverflowError as exc:
        raise EvaluationError(f"arithmetic overflow in '{op}': {exc}") from exc
