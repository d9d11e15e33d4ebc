"""Validating submitted data against a form schema, with field errors in Arabic and English.

Submissions are checked with jsonschema-rs, picked by ``bench/bench_validation.py`` (issue 4; figures
in docs/performance.md): a few microseconds for a 20-field submission where jsonschema takes a few
hundred, and ``pattern`` runs on Rust's regex engine, in time linear in the value, where Python's
backtracking ``re`` takes half a second for ``^(a+)+$`` on 24 characters and minutes on 32. A pattern
with look-around or a back-reference (which no linear engine can run) goes to fancy-regex, bounded by
:data:`server.definitions.bounds.BACKTRACK_LIMIT`.

jsonschema stays the reference for definitions (the loader's meta-schema checks), never for submissions:
a form jsonschema-rs cannot compile (a pattern in Python's dialect such as ``\\Z``, a ``$ref`` outside
the form) is refused by the loader (:func:`submission_problem`, :mod:`server.definitions.bounds`), and
one built some other way accepts no submission at all — no submission ever reaches Python's
backtracking ``re``.

Messages never show the validator's English: each JSON Schema keyword maps to a bilingual sentence
(:func:`message_for`), attached to the JSON pointer of the field; a missing required field (``required``
or ``dependentRequired``) has its error on its own path, not on the object holding it.
"""

from __future__ import annotations

import ast
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Literal

import jsonschema_rs
import msgspec

from server.definitions import check_cache
from server.definitions.bounds import expansion_problems
from server.definitions.bounds import rs_validator as _rs_validator
from server.definitions.dialect import python_validator_class
from server.definitions.errors import pointer_from_path
from server.definitions.forms import fields
from server.definitions.model import Form, Text
from server.definitions.served import enforced

if TYPE_CHECKING:  # imported where used: jsonschema (and the format libraries it loads) cost a
    # third of a second of start-up, and submissions never run on it
    import jsonschema
    from jsonschema.exceptions import ValidationError

log = logging.getLogger(__name__)

Engine = Literal["jsonschema-rs", "jsonschema"]
Path = tuple[str | int, ...]
Problem = tuple[Path, str, Any]
"""(path into the data, JSON Schema keyword, the keyword's value), whichever validator found it."""

_K = jsonschema_rs.ValidationErrorKind
_REQUIRED = Text(ar="هذا الحقل مطلوب", en="This field is required")
_NOT_IN_FORM = Text(ar="حقل غير موجود في النموذج", en="This field is not part of the form")
_INVALID = Text(ar="القيمة غير صحيحة", en="The value is not valid")
_FORMATS = {
    "email": ("بريداً إلكترونياً صحيحاً", "a valid e-mail address"),
    "date": ("تاريخاً صحيحاً", "a valid date"),
    "time": ("وقتاً صحيحاً", "a valid time"),
    "date-time": ("تاريخاً ووقتاً صحيحين", "a valid date and time"),
    "uri": ("رابطاً صحيحاً", "a valid link"),
}
# Which error of a field is shown when it breaks several keywords: the kind first, the length before the
# pattern it also fails ("Enter at least 2 characters" says more than "The format is not valid").
_RANK = {
    "type": 0,
    "required": 0,
    "enum": 1,
    "const": 1,
    "minLength": 2,
    "maxLength": 2,
    "format": 3,
    "pattern": 4,
}
_LAST = 9


class FieldError(msgspec.Struct, frozen=True, kw_only=True):
    path: str
    """A JSON pointer into the submitted data (``/items/0/quantity``); ``""`` is the whole form."""
    message: Text


def _n(value: Any) -> str:
    return str(value)


def message_for(keyword: str, limit: Any = None) -> Text:
    """The bilingual message for data that breaks ``keyword`` (a JSON Schema keyword) whose value is
    ``limit`` (the format's name for ``format``). A ``oneOf``/``anyOf`` whose options are all ``const``
    is a choice: report it as ``enum``."""
    if keyword in ("required", "dependentRequired"):
        return _REQUIRED
    if keyword == "type":
        return Text(ar="القيمة ليست من النوع المطلوب", en="The value is not of the expected kind")
    if keyword == "minLength":
        if limit == 1:
            return _REQUIRED
        return Text(ar=f"يجب ألا يقل النص عن {_n(limit)} أحرف", en=f"Enter at least {_n(limit)} characters")
    if keyword == "maxLength":
        return Text(ar=f"يجب ألا يزيد النص عن {_n(limit)} حرفاً", en=f"Enter at most {_n(limit)} characters")
    if keyword == "pattern":
        return Text(ar="الصيغة غير صحيحة", en="The format is not valid")
    if keyword == "format":
        ar, en = _FORMATS.get(str(limit), ("قيمة بالصيغة المطلوبة", "a value in the expected format"))
        return Text(ar=f"أدخل {ar}", en=f"Enter {en}")
    if keyword in ("enum", "const"):
        return Text(ar="اختر أحد الخيارات المتاحة", en="Choose one of the options")
    if keyword in ("minimum", "exclusiveMinimum"):
        return Text(ar=f"يجب ألا تقل القيمة عن {_n(limit)}", en=f"Enter a value of at least {_n(limit)}")
    if keyword in ("maximum", "exclusiveMaximum"):
        return Text(ar=f"يجب ألا تزيد القيمة عن {_n(limit)}", en=f"Enter a value of at most {_n(limit)}")
    if keyword == "minItems":
        return Text(ar=f"أضف {_n(limit)} عنصراً على الأقل", en=f"Add at least {_n(limit)} item(s)")
    if keyword == "maxItems":
        return Text(ar=f"لا يزيد العدد عن {_n(limit)}", en=f"Add at most {_n(limit)} item(s)")
    if keyword == "uniqueItems":
        return Text(ar="لا تكرر العناصر", en="Do not repeat items")
    if keyword in ("additionalProperties", "unevaluatedProperties"):
        return _NOT_IN_FORM
    if keyword in ("anyOf", "oneOf"):
        return Text(ar="أكمل أحد الخيارات المطلوبة", en="Complete one of the required alternatives")
    return _INVALID


# --- jsonschema-rs -------------------------------------------------------------------------------


def _all_consts(context: list[list[jsonschema_rs.ValidationError]], path: list[str | int]) -> bool:
    """Whether every option of a failed ``oneOf``/``anyOf`` failed on its ``const``: a choice."""
    return bool(context) and all(
        any(isinstance(e.kind, _K.Constant) and e.instance_path == path for e in option) for option in context
    )


def _rs_problems(errors: Iterable[jsonschema_rs.ValidationError]) -> Iterator[Problem]:
    for error in errors:
        path = tuple(error.instance_path)
        kind = error.kind
        if isinstance(kind, _K.Required):  # dependentRequired reports as Required too
            yield (*path, kind.property), "required", None
        elif isinstance(kind, _K.AdditionalProperties | _K.UnevaluatedProperties):
            for name in kind.unexpected:
                yield (*path, name), kind.name, None
        elif isinstance(kind, _K.OneOfNotValid | _K.AnyOf):
            choice = _all_consts(kind.context, error.instance_path)
            yield path, "enum" if choice else kind.name, None
        elif isinstance(kind, _K.BacktrackLimitExceeded | _K.RegexEngineFailure):
            yield path, "pattern", None
        else:
            yield path, kind.name, kind.value


# --- jsonschema (for benchmarks only) -------------------------------------------------------------


def _py_validator(schema: Mapping[str, Any]) -> jsonschema.Draft7Validator | jsonschema.Draft202012Validator:
    import referencing  # with jsonschema: benchmarks only, not loaded with the server

    cls = python_validator_class(schema)
    return cls(
        schema,
        format_checker=cls.FORMAT_CHECKER,
        registry=referencing.Registry(),  # an empty registry: a $ref is never fetched over the network
    )


def _is_choice(options: Any) -> bool:
    return isinstance(options, list) and all(isinstance(o, Mapping) and "const" in o for o in options)


def _unexpected(error: ValidationError) -> list[str]:
    schema, instance = error.schema, error.instance
    if not isinstance(schema, Mapping) or not isinstance(instance, Mapping):
        return []
    declared = schema.get("properties") or {}
    patterns = list(schema.get("patternProperties") or {})
    return [
        name for name in instance if name not in declared and not any(re.search(p, name) for p in patterns)
    ]


_UNEVALUATED = re.compile(r"\((.*) (?:was|were) unexpected\)$")


def _py_problems(errors: Iterable[ValidationError]) -> Iterator[Problem]:
    for error in errors:
        path = tuple(error.absolute_path)
        keyword, value = str(error.validator), error.validator_value
        if keyword in ("required", "dependentRequired"):
            # which name is missing is only in the message: "'x' is a required property",
            # "'x' is a dependency of 'y'"
            names: list[Any] = []
            if isinstance(value, list):
                names = value
            elif isinstance(value, Mapping):
                names = [n for dependencies in value.values() for n in dependencies]
            missing = next((n for n in names if error.message.startswith(f"{n!r} is ")), None)
            yield (path if missing is None else (*path, missing)), "required", None
        elif keyword == "unevaluatedProperties":
            # the names are only in the message: "... ('x', 'y' were unexpected)"
            found = _UNEVALUATED.search(error.message)
            try:
                extra = list(ast.literal_eval(f"({found.group(1)},)")) if found else []
            except (ValueError, SyntaxError):  # a name whose repr the pattern cut
                extra = []
            if not extra:
                yield path, keyword, None
            for name in extra:
                yield (*path, name), keyword, None
        elif keyword == "additionalProperties":
            unexpected = _unexpected(error)
            if not unexpected:
                yield path, keyword, None
            for name in unexpected:
                yield (*path, name), keyword, None
        elif keyword in ("oneOf", "anyOf"):
            yield path, "enum" if _is_choice(value) else keyword, None
        else:
            yield path, keyword, value


# --- the compiled form ---------------------------------------------------------------------------


def _in_order(paths: Iterable[Path]) -> list[Path]:
    """Paths as the data holds them (``/items/2`` before ``/items/10``). Two paths differ first at
    keys of one container, both strings or both indices; anything else is ordered as text."""
    try:
        return sorted(paths)
    except TypeError:
        return sorted(paths, key=lambda path: tuple(map(str, path)))


class CompiledForm:
    """A form's schema compiled once for submissions (see :func:`compiled`)."""

    __slots__ = ("_py", "_rs", "declared", "engine", "problem")

    def __init__(self, form: Form, engine: Engine = "jsonschema-rs") -> None:
        self.problem: str | None = None
        """Why the schema cannot validate submissions, when it cannot (then it refuses every one)."""
        self._rs: jsonschema_rs.Validator | None = None
        self._py: jsonschema.Draft7Validator | jsonschema.Draft202012Validator | None = None
        self.declared: frozenset[str] = frozenset()
        # a schema that passed the loader's checks (check_cache) was found within the bounds then
        if not check_cache.passed("form", form.schema):
            for _ptr, reason, _code in expansion_problems(form.schema):
                self.problem = reason
        if self.problem is None:
            self.declared = frozenset(fields(form.schema))
            schema = enforced(form.schema)  # what the API serves: undeclared fields refused
            if engine == "jsonschema":  # bench/bench_validation.py compares the two; never for submissions
                self._py = _py_validator(schema)
            else:
                try:
                    self._rs = _rs_validator(schema)
                except (ValueError, jsonschema_rs.ReferencingError) as exc:
                    self.problem = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        if self.problem is not None:
            log.warning(
                "form %s cannot validate submissions (%s): it refuses every one", form.id, self.problem
            )
        self.engine: Engine = engine

    def problems(self, data: Any) -> list[Problem]:
        """What the validator finds wrong with ``data``, not yet one per field."""
        if self._rs is None:
            if self._py is None:  # the schema cannot be compiled: nothing is accepted
                return [((), "", None)]
            from referencing.exceptions import Unresolvable

            try:
                return list(_py_problems(self._py.iter_errors(data)))
            except Unresolvable:
                return [((), "", None)]
        try:
            if self._rs.is_valid(data):
                return []
            found = list(_rs_problems(self._rs.iter_errors(data)))
        except ValueError:  # not JSON data: a set, bytes, a key that is not a string
            return [((), "type", None)]
        # jsonschema-rs leaves out a pattern that ran out of backtracking when something else failed
        # too; whatever it leaves out, invalid data never comes back without an error
        return found or [((), "", None)]

    def errors(self, data: Any) -> list[FieldError]:
        """One error per field: undeclared top-level fields first, then the others in path order."""
        if self._rs is None and self._py is None:  # the schema cannot be compiled: nothing is accepted
            return [FieldError(path="", message=_INVALID)]
        errors: dict[str, FieldError] = {}
        if isinstance(data, Mapping):
            for name in data:
                if name not in self.declared:
                    path = pointer_from_path([name])
                    errors[path] = FieldError(path=path, message=_NOT_IN_FORM)
        best: dict[Path, tuple[int, str, Any]] = {}
        for path_parts, keyword, limit in self.problems(data):
            rank = _RANK.get(keyword, _LAST)
            kept = best.get(path_parts)
            if kept is None or rank < kept[0]:
                best[path_parts] = (rank, keyword, limit)
        for path_parts in _in_order(best):
            path = pointer_from_path(path_parts)
            if path not in errors:
                _, keyword, limit = best[path_parts]
                errors[path] = FieldError(path=path, message=message_for(keyword, limit))
        return list(errors.values())


_MAX_CACHED = 1024
_compiled: dict[int, tuple[Form, CompiledForm]] = {}


def compiled(form: Form) -> CompiledForm:
    """The form's compiled schema, built on first use and kept while the Form object lives in the
    cache (keyed on the object, not its id alone: a new Form is compiled anew)."""
    cached = _compiled.get(id(form))
    if cached is None or cached[0] is not form:
        if len(_compiled) >= _MAX_CACHED:
            _compiled.pop(next(iter(_compiled)), None)
        cached = (form, CompiledForm(form))
        _compiled[id(form)] = cached
    return cached[1]


def submission_problem(form: Form) -> str | None:
    """Why ``form`` cannot validate submissions on jsonschema-rs (it then refuses every one), or
    ``None``: the loader refuses such a form at definition time."""
    return compiled(form).problem


def apply_defaults(form: Form, data: Mapping[str, Any]) -> dict[str, Any]:
    """Fill top-level fields that are absent and declare a ``default`` (hidden and read-only fields)."""
    filled = dict(data)
    for name, sub in (form.schema.get("properties") or {}).items():
        if name not in filled and isinstance(sub, Mapping) and "default" in sub:
            filled[name] = sub["default"]
    return filled


def validate(form: Form, data: Any) -> list[FieldError]:
    """Every problem of ``data`` against ``form``, one per field (the most telling one for that field).

    A top-level field the form does not declare (anywhere, conditional fields included) is an error
    too: what is stored is what the form asked for, nothing else."""
    return compiled(form).errors(data)
