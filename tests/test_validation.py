"""Submission validation (server/validation.py): one bilingual error per field, on the field's path,
whichever engine runs it; linear-time patterns; the shipped forms' examples."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from server.definitions.model import Form, Text
from server.paths import shipped_root
from server.validation import (
    CompiledForm,
    Engine,
    FieldError,
    apply_defaults,
    compiled,
    message_for,
    submission_problem,
    validate,
)

ENGINES: tuple[Engine, ...] = ("jsonschema-rs", "jsonschema")
SCHEMA_2020 = "https://json-schema.org/draft/2020-12/schema"
# what the validators say in English; none of it may reach a person
VALIDATOR_ENGLISH = (
    "is not valid under any of the given schemas",
    "is a required property",
    "is a dependency of",
    "does not match",
    "is not of type",
    "was unexpected",
    "were unexpected",
    "is not a",
    "is too short",
    "is too long",
    "is shorter than",
    "is longer than",
    "is less than",
    "is greater than",
    "has non-unique elements",
    "is not one of",
    "was expected",
    "schemas listed",
    "Additional properties",
)

REQUIRED = Text(ar="هذا الحقل مطلوب", en="This field is required")
KIND = Text(ar="القيمة ليست من النوع المطلوب", en="The value is not of the expected kind")
PATTERN = Text(ar="الصيغة غير صحيحة", en="The format is not valid")
CHOICE = Text(ar="اختر أحد الخيارات المتاحة", en="Choose one of the options")
ALTERNATIVES = Text(ar="أكمل أحد الخيارات المطلوبة", en="Complete one of the required alternatives")
NOT_IN_FORM = Text(ar="حقل غير موجود في النموذج", en="This field is not part of the form")


def make_form(properties: dict[str, Any], extra: dict[str, Any] | None = None) -> Form:
    for sub in properties.values():
        sub.setdefault("x-title", {"ar": "حقل", "en": "Field"})
    schema = {"$schema": SCHEMA_2020, "type": "object", "x-title": {"ar": "ن", "en": "F"}}
    schema |= {"properties": properties, **(extra or {})}
    return Form(id="t", title=Text(ar="ن", en="F"), schema=schema)


def errors_with(engine: Engine, form: Form, data: Any) -> list[FieldError]:
    return CompiledForm(form, engine=engine).errors(data)


def assert_bilingual(errors: list[FieldError]) -> None:
    for error in errors:
        assert any("\u0600" <= c <= "\u06ff" for c in error.message.ar), error
        assert error.message.en and error.message.en[0].isupper(), error
        for phrase in VALIDATOR_ENGLISH:
            assert phrase not in error.message.en and phrase not in error.message.ar, error


# --- each keyword: a valid value, an invalid one, the path and the message ------------------------

RS_ONLY: tuple[Engine, ...] = (
    "jsonschema-rs",
)  # formats jsonschema checks only with extras khidma does not install

KEYWORDS: list[tuple[str, dict[str, Any], Any, Any, str, Text, tuple[Engine, ...]]] = [
    ("type", {"type": "integer"}, 3, "3", "/f", KIND, ENGINES),
    (
        "minLength",
        {"type": "string", "minLength": 3},
        "abc",
        "ab",
        "/f",
        message_for("minLength", 3),
        ENGINES,
    ),
    ("minLength 1 is required", {"type": "string", "minLength": 1}, "a", "", "/f", REQUIRED, ENGINES),
    (
        "maxLength",
        {"type": "string", "maxLength": 2},
        "ab",
        "abc",
        "/f",
        message_for("maxLength", 2),
        ENGINES,
    ),
    (
        "pattern",
        {"type": "string", "pattern": "^05[0-9]{8}$"},
        "0551234567",
        "551234567",
        "/f",
        PATTERN,
        ENGINES,
    ),
    (
        "format email",
        {"type": "string", "format": "email"},
        "a@example.org",
        "nope",
        "/f",
        message_for("format", "email"),
        ENGINES,
    ),
    (
        "format date",
        {"type": "string", "format": "date"},
        "2026-12-15",
        "2026-02-30",
        "/f",
        message_for("format", "date"),
        ENGINES,
    ),
    (
        "format time",
        {"type": "string", "format": "time"},
        "10:30:00+03:00",
        "25:00:00Z",
        "/f",
        message_for("format", "time"),
        RS_ONLY,
    ),
    (
        "format date-time",
        {"type": "string", "format": "date-time"},
        "2026-12-15T10:30:00+03:00",
        "2026-12-15 10:30",
        "/f",
        message_for("format", "date-time"),
        RS_ONLY,
    ),
    (
        "format uri",
        {"type": "string", "format": "uri"},
        "https://example.org/a",
        "not a link",
        "/f",
        message_for("format", "uri"),
        RS_ONLY,
    ),
    ("enum", {"enum": ["a", "b"]}, "a", "c", "/f", CHOICE, ENGINES),
    ("const", {"const": True}, True, False, "/f", CHOICE, ENGINES),
    (
        "oneOf of consts",
        {"type": "string", "oneOf": [{"const": "a"}, {"const": "b"}]},
        "b",
        "c",
        "/f",
        CHOICE,
        ENGINES,
    ),
    ("anyOf of consts", {"anyOf": [{"const": 1}, {"const": 2}]}, 2, 3, "/f", CHOICE, ENGINES),
    ("minimum", {"type": "integer", "minimum": 1}, 1, 0, "/f", message_for("minimum", 1), ENGINES),
    (
        "exclusiveMinimum",
        {"type": "number", "exclusiveMinimum": 0},
        0.5,
        0,
        "/f",
        message_for("exclusiveMinimum", 0),
        ENGINES,
    ),
    ("maximum", {"type": "integer", "maximum": 10}, 10, 11, "/f", message_for("maximum", 10), ENGINES),
    (
        "exclusiveMaximum",
        {"type": "number", "exclusiveMaximum": 10},
        9.5,
        10,
        "/f",
        message_for("exclusiveMaximum", 10),
        ENGINES,
    ),
    ("minItems", {"type": "array", "minItems": 1}, [1], [], "/f", message_for("minItems", 1), ENGINES),
    ("maxItems", {"type": "array", "maxItems": 1}, [1], [1, 2], "/f", message_for("maxItems", 1), ENGINES),
    (
        "uniqueItems",
        {"type": "array", "uniqueItems": True},
        [1, 2],
        [1, 1],
        "/f",
        Text(ar="لا تكرر العناصر", en="Do not repeat items"),
        ENGINES,
    ),
    ("items", {"type": "array", "items": {"type": "integer"}}, [1, 2], [1, "x", 3], "/f/1", KIND, ENGINES),
    (
        "required inside an array",
        {
            "type": "array",
            "items": {"type": "object", "required": ["q"], "properties": {"q": {"type": "integer"}}},
        },
        [{"q": 1}],
        [{"q": 1}, {}],
        "/f/1/q",
        REQUIRED,
        ENGINES,
    ),
    (
        "additionalProperties",
        {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False},
        {"a": "x"},
        {"a": "x", "b": 1},
        "/f/b",
        NOT_IN_FORM,
        ENGINES,
    ),
    (
        "anyOf alternatives",
        {"type": "object", "anyOf": [{"required": ["a"]}, {"required": ["b"]}]},
        {"b": 1},
        {"c": 1},
        "/f",
        ALTERNATIVES,
        ENGINES,
    ),
    (
        "oneOf alternatives",
        {"oneOf": [{"type": "string"}, {"type": "integer"}]},
        "x",
        [],
        "/f",
        ALTERNATIVES,
        ENGINES,
    ),
]


@pytest.mark.parametrize(
    ("engine", "schema", "good", "bad", "path", "message"),
    [pytest.param(engine, *case[1:6], id=f"{case[0]}-{engine}") for case in KEYWORDS for engine in case[6]],
)
def test_each_keyword_has_its_bilingual_message_on_the_field(
    engine: Engine, schema: dict[str, Any], good: Any, bad: Any, path: str, message: Text
) -> None:
    form = make_form({"f": schema})
    assert errors_with(engine, form, {"f": good}) == []
    errors = errors_with(engine, form, {"f": bad})
    assert errors == [FieldError(path=path, message=message)]
    assert_bilingual(errors)


def test_the_messages_read_as_written() -> None:
    assert message_for("minLength", 3) == Text(
        ar="يجب ألا يقل النص عن 3 أحرف", en="Enter at least 3 characters"
    )
    assert message_for("maximum", 50) == Text(
        ar="يجب ألا تزيد القيمة عن 50", en="Enter a value of at most 50"
    )
    assert message_for("format", "email") == Text(
        ar="أدخل بريداً إلكترونياً صحيحاً", en="Enter a valid e-mail address"
    )
    assert message_for("format", "hostname") == Text(
        ar="أدخل قيمة بالصيغة المطلوبة", en="Enter a value in the expected format"
    )
    assert message_for("dependentRequired") == REQUIRED
    assert message_for("multipleOf", 2) == Text(ar="القيمة غير صحيحة", en="The value is not valid")


@pytest.mark.parametrize("engine", ENGINES)
def test_a_missing_required_field_is_reported_on_its_own_path(engine: Engine) -> None:
    form = make_form({"a": {"type": "string"}, "b": {"type": "string"}}, {"required": ["a", "b"]})
    errors = errors_with(engine, form, {})
    assert errors == [FieldError(path="/a", message=REQUIRED), FieldError(path="/b", message=REQUIRED)]


@pytest.mark.parametrize("engine", ENGINES)
def test_dependent_required_is_reported_on_the_missing_field(engine: Engine) -> None:
    form = make_form(
        {"card": {"type": "string"}, "expiry": {"type": "string"}, "cvv": {"type": "string"}},
        {"dependentRequired": {"card": ["expiry", "cvv"]}},
    )
    assert errors_with(engine, form, {"expiry": "12/30"}) == []
    assert errors_with(engine, form, {"card": "4111", "expiry": "12/30"}) == [
        FieldError(path="/cvv", message=REQUIRED)
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_if_then_requires_the_conditional_field(engine: Engine) -> None:
    form = make_form(
        {"kind": {"enum": ["a", "other"]}, "other": {"type": "string", "minLength": 3}},
        {
            "required": ["kind"],
            "if": {"properties": {"kind": {"const": "other"}}},
            "then": {"required": ["other"]},
        },
    )
    assert errors_with(engine, form, {"kind": "a"}) == []
    assert errors_with(engine, form, {"kind": "other"}) == [FieldError(path="/other", message=REQUIRED)]
    assert errors_with(engine, form, {"kind": "other", "other": "ab"}) == [
        FieldError(path="/other", message=message_for("minLength", 3))
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_one_error_per_field_the_most_telling(engine: Engine) -> None:
    form = make_form({"code": {"type": "string", "minLength": 4, "pattern": "^[0-9]+$"}})
    assert errors_with(engine, form, {"code": "ab"}) == [
        FieldError(path="/code", message=message_for("minLength", 4))
    ]
    form = make_form({"choice": {"type": "string", "oneOf": [{"const": "a"}, {"const": "b"}]}})
    assert errors_with(engine, form, {"choice": 5}) == [FieldError(path="/choice", message=KIND)]


@pytest.mark.parametrize("engine", ENGINES)
def test_errors_come_in_the_order_of_the_data(engine: Engine) -> None:
    items = {"type": "array", "items": {"type": "integer"}}
    form = make_form({"a": {"type": "string"}, "items": items, "z": {"type": "string"}})
    data = {"z": 1, "items": [0, 1, "x", 3, 4, 5, 6, 7, 8, 9, "y"], "a": 2, "extra": 1}
    paths = [e.path for e in errors_with(engine, form, data)]
    assert paths == ["/extra", "/a", "/items/2", "/items/10", "/z"]


# --- undeclared fields, odd data, defaults --------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_undeclared_top_level_fields_are_errors_conditional_ones_are_not(engine: Engine) -> None:
    form = make_form(
        {"kind": {"enum": ["a", "b"]}},
        {
            "if": {"properties": {"kind": {"const": "b"}}},
            "then": {"properties": {"detail": {"type": "string", "x-title": {"ar": "ت", "en": "D"}}}},
        },
    )
    assert errors_with(engine, form, {"kind": "b", "detail": "x"}) == []
    errors = errors_with(engine, form, {"kind": "a", "is_admin": True, "a/b": 1})
    assert errors == [
        FieldError(path="/is_admin", message=NOT_IN_FORM),
        FieldError(path="/a~1b", message=NOT_IN_FORM),
    ]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("data", [[], "text", 3, None])
def test_data_that_is_not_an_object_is_one_error_on_the_whole_form(engine: Engine, data: Any) -> None:
    assert errors_with(engine, make_form({"a": {"type": "string"}}), data) == [
        FieldError(path="", message=KIND)
    ]


@pytest.mark.parametrize("data", [{"a": {1, 2}}, {"a": b"bytes"}, {"a": {1: "x"}}])
def test_data_that_is_not_json_is_refused_not_raised(data: Any) -> None:
    errors = validate(make_form({"a": {"type": "string"}}), data)
    assert errors and all(isinstance(e, FieldError) for e in errors)


def test_apply_defaults_fills_only_absent_top_level_fields() -> None:
    form = make_form(
        {
            "path": {"type": "string", "default": "email"},
            "n": {"type": "integer", "default": 0},
            "o": {"type": "object", "properties": {"x": {"type": "string", "default": "no"}}},
            "plain": {"type": "string"},
        }
    )
    data = {"n": 5, "o": {}}
    filled = apply_defaults(form, data)
    assert filled == {"path": "email", "n": 5, "o": {}}
    assert data == {"n": 5, "o": {}}  # the caller's data is left alone
    assert validate(form, filled) == []


# --- the compiled form and its cache --------------------------------------------------------------


def test_each_form_is_compiled_once_and_a_new_form_anew() -> None:
    form = make_form({"a": {"type": "string"}})
    assert compiled(form) is compiled(form)
    assert compiled(form).engine == "jsonschema-rs"
    twin = make_form({"a": {"type": "string"}})
    assert compiled(twin) is not compiled(form)
    assert submission_problem(form) is None


def test_a_form_jsonschema_rs_cannot_compile_accepts_nothing() -> None:
    # \Z is Python's end of text; ECMA-262 (and so jsonschema-rs) has no such escape. The loader
    # refuses such a form; one built another way refuses every submission rather than running the
    # pattern on Python's backtracking re (issue 10).
    form = make_form({"code": {"type": "string", "pattern": "^[0-9]+\\Z"}})
    problem = submission_problem(form)
    assert problem is not None and "regex" in problem
    assert validate(form, {"code": "123"}) == [FieldError(path="", message=message_for(""))]


def test_a_ref_outside_the_form_is_never_fetched() -> None:
    form = make_form({"a": {"$ref": "https://example.invalid/schema.json"}})
    assert submission_problem(form) is not None
    started = time.perf_counter()
    assert validate(form, {"a": 1}) == [FieldError(path="", message=message_for(""))]
    assert time.perf_counter() - started < 1


# --- patterns in linear time ----------------------------------------------------------------------


@pytest.mark.parametrize("length", [24, 32, 100_000])
def test_a_pathological_pattern_is_answered_at_once(length: int) -> None:
    form = make_form({"code": {"type": "string", "pattern": "^(a+)+$"}})
    validate(form, {"code": "a"})  # compile outside the timing
    started = time.perf_counter()
    errors = validate(form, {"code": "a" * length + "!"})
    elapsed = time.perf_counter() - started
    assert errors == [FieldError(path="/code", message=PATTERN)]
    assert elapsed < 0.25, elapsed  # Python's re takes about a second at 24 characters, minutes at 32


def test_a_back_reference_is_bounded_and_reported_as_not_matching() -> None:
    form = make_form({"code": {"type": "string", "pattern": "^(a|aa)+\\1b$"}, "n": {"type": "integer"}})
    started = time.perf_counter()
    assert validate(form, {"code": "a" * 10_000}) == [FieldError(path="/code", message=PATTERN)]
    # jsonschema-rs drops the exhausted pattern when another field fails too: still refused
    assert validate(form, {"code": "a" * 10_000, "n": "x"}) == [FieldError(path="/n", message=KIND)]
    assert time.perf_counter() - started < 1


def test_patterns_follow_ecma_262_digits_are_ascii() -> None:
    """jsonschema-rs reads ``\\d`` as [0-9], as ECMA-262 (the dialect JSON Schema names) does; Python's
    ``re`` also takes Arabic-Indic digits. Forms that accept those must say so ([0-9٠-٩])."""
    form = make_form(
        {"n": {"type": "string", "pattern": "^\\d+$"}, "m": {"type": "string", "pattern": "^[0-9٠-٩]+$"}}
    )
    assert validate(form, {"n": "0123", "m": "٠١٢٣"}) == []
    assert validate(form, {"n": "٠١٢٣"}) == [FieldError(path="/n", message=PATTERN)]


# --- formats: at least as strict as the reference -------------------------------------------------

FORMAT_SAMPLES = {
    "email": [
        "a@example.org",
        "a@b",
        "nope",
        "a@@b",
        "@b.sa",
        "a@",
        "a b@c.sa",
        "Ahmed <a@b.sa>",
        "أحمد@مثال.السعودية",
        "a@[127.0.0.1]",
        "",
    ],
    "date": [
        "2026-12-15",
        "2026-02-29",
        "2028-02-29",
        "2026-13-01",
        "20261215",
        "2026-1-5",
        "١٤٤٧-٠١-٠١",
        "2026-12-15T10:00:00Z",
        " 2026-12-15",
        "",
    ],
    "date-time": [
        "2026-12-15T10:00:00Z",
        "2026-12-15T10:00:00+03:00",
        "2026-12-15T10:00",
        "2026-12-15 10:00:00",
        "",
    ],
}


@pytest.mark.parametrize("fmt", sorted(FORMAT_SAMPLES))
def test_formats_reject_whatever_jsonschema_rejects(fmt: str) -> None:
    reference = jsonschema.Draft202012Validator(
        {"format": fmt}, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    form = make_form({"v": {"type": "string", "format": fmt}})
    for value in FORMAT_SAMPLES[fmt]:
        if not reference.is_valid(value):
            assert validate(form, {"v": value}) == [
                FieldError(path="/v", message=message_for("format", fmt))
            ], value


def test_an_email_with_a_display_name_is_not_an_address() -> None:
    form = make_form({"v": {"type": "string", "format": "email"}})
    assert validate(form, {"v": "Ahmed <a@b.sa>"}) == [
        FieldError(path="/v", message=message_for("format", "email"))
    ]


def test_date_time_needs_its_offset() -> None:
    """RFC 3339: a browser's datetime-local value (no seconds, no offset) is not a date-time."""
    form = make_form({"at": {"type": "string", "format": "date-time"}})
    assert validate(form, {"at": "2026-12-15T10:00:00+03:00"}) == []
    assert validate(form, {"at": "2026-12-15T10:00"}) == [
        FieldError(path="/at", message=message_for("format", "date-time"))
    ]


# --- the shipped forms ----------------------------------------------------------------------------

SHIPPED = sorted((shipped_root() / "form_schemas").glob("*.json"))


def shipped_form(path: Path) -> Form:
    return Form(id=path.stem, title=Text(ar="ن", en="F"), schema=json.loads(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_examples_are_valid_and_broken_copies_are_not(engine: Engine, path: Path) -> None:
    form = shipped_form(path)
    compiled_form = CompiledForm(form, engine=engine)
    assert compiled_form.engine == engine, compiled_form.problem
    examples = form.schema["examples"]
    assert examples
    for example in examples:
        assert compiled_form.errors(apply_defaults(form, example)) == []

        # every required field taken out: each is reported on its own path
        required = form.schema.get("required", [])
        missing = {k: v for k, v in example.items() if k not in required}
        errors = compiled_form.errors(missing)
        assert {f"/{name}" for name in required} <= {e.path for e in errors}
        assert all(e.message == REQUIRED for e in errors if e.path[1:] in required)
        assert_bilingual(errors)

        # every field given a value of no kind any field takes, and one field too many
        broken = dict.fromkeys(example) | {"not_a_field": 1}
        errors = compiled_form.errors(broken)
        # a conditional field (declared under then/else) is checked only when its condition holds
        unconditional = {*form.schema["properties"], "not_a_field"}
        assert {e.path for e in errors} >= {f"/{name}" for name in broken if name in unconditional}
        assert_bilingual(errors)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_both_engines_agree_on_the_shipped_forms(path: Path) -> None:
    form = shipped_form(path)
    for example in form.schema["examples"]:
        for broken in (
            {},
            dict.fromkeys(example),
            {k: ("" if isinstance(v, str) else v) for k, v in example.items()},
            {k: ("x" * 5000 if isinstance(v, str) else v) for k, v in example.items()},
            {k: ([{}] if isinstance(v, list) else v) for k, v in example.items()},
        ):
            data = apply_defaults(form, broken)
            assert errors_with("jsonschema-rs", form, data) == errors_with("jsonschema", form, data), data


def test_a_realistic_invalid_submission_never_shows_validator_english() -> None:
    schema = json.loads((shipped_root() / "form_schemas" / "supplies.json").read_text(encoding="utf-8"))
    form = Form(id="supplies", title=Text(ar="ن", en="F"), schema=schema)
    data = copy.deepcopy(schema["examples"][0])
    data |= {"body_type": "university", "needed_by": "2026-02-30", "contact_mobile": "12", "extra": 1}
    data["requested_items"] = [{"item": "x", "quantity": 0, "colour": "red"}, {}]
    del data["college"]
    errors = validate(form, data)
    assert [e.path for e in errors] == [
        "/extra",
        "/body_type",
        "/college",
        "/contact_mobile",
        "/needed_by",
        "/requested_items/0/item",
        "/requested_items/0/quantity",
        "/requested_items/1/item",
        "/requested_items/1/quantity",
    ]
    assert_bilingual(errors)
