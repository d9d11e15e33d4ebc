"""The types of the guard expression language, shared by its compiler, runtime and built-ins.

Owns the expression types (:class:`ExprType`) and which fits where, the :class:`Scope` an expression
is checked against, the two errors (:class:`ExpressionError` at compile time, :class:`EvaluationError`
at runtime), the :class:`EvalContext` evaluation runs in, and the function registry
(:data:`FUNCTIONS`, :class:`FunctionSpec`, :func:`register_function`).
"""

from __future__ import annotations

import datetime
import enum
import keyword
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import msgspec

Env = Mapping[str, Mapping[str, Any]]


class ExprType(enum.Enum):
    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    NULL = "null"
    LIST = "list"
    ANY = "any"


NUMERIC = frozenset({ExprType.INTEGER, ExprType.NUMBER, ExprType.ANY})
STRINGY = frozenset({ExprType.STRING, ExprType.ANY})


def number_type(type_: ExprType) -> ExprType:
    return ExprType.NUMBER if type_ is ExprType.ANY else type_


def fits(actual: ExprType, expected: ExprType) -> bool:
    """Whether a value of type ``actual`` may be used where ``expected`` is wanted."""
    if ExprType.ANY in (actual, expected) or actual is expected:
        return True
    return actual is ExprType.INTEGER and expected is ExprType.NUMBER


class Scope(msgspec.Struct, frozen=True):
    """What an expression may refer to: root -> field -> type, and lookup table -> column -> type."""

    roots: Mapping[str, Mapping[str, ExprType]]
    lookup_tables: Mapping[str, Mapping[str, ExprType]] = msgspec.field(default_factory=dict)


class ExpressionError(Exception):
    """An expression failed to compile; ``problems`` lists everything found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class EvaluationError(Exception):
    """An expression failed at runtime (division by zero, wrong runtime types, ...)."""


class Lookups(Protocol):
    def rows(self, table: str, key: str) -> Sequence[Mapping[str, Any]]: ...


class EvalContext(msgspec.Struct, frozen=True):
    lookups: Lookups
    now: datetime.datetime
    is_working_time: Callable[[datetime.datetime], bool]


class FunctionSpec(msgspec.Struct, frozen=True):
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
NAMED_LITERALS: Mapping[str, Any] = {"true": True, "false": False, "none": None}


def register_function(spec: FunctionSpec) -> None:
    """Add ``spec`` to :data:`FUNCTIONS`; a name may be registered only once."""
    name = spec.name
    if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_") or name in NAMED_LITERALS:
        raise ValueError(f"invalid function name {name!r}")
    for index in spec.literal_params:
        if not 0 <= index < len(spec.params) or spec.params[index] not in STRINGY:
            raise ValueError(f"{name}: literal parameter {index} must be a string parameter")
    existing = FUNCTIONS.get(name)
    if existing is not None and existing is not spec:
        raise ValueError(f"function {name!r} is already registered")
    FUNCTIONS[name] = spec
