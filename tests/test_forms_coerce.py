"""Coercing a form post (strings) into JSON data typed by the form's schema."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from multidict import MultiDict

from server.definitions.model import Form, Text
from server.forms import apply_group_action, build_form, coerce, group_action
from server.validation import apply_defaults, validate
from tests.forms_corpus import BY_NAME, CASES


def form_of(properties: dict[str, Any], **extra: Any) -> Form:
    schema = {"type": "object", "x-title": {"ar": "ن", "en": "F"}, "properties": properties, **extra}
    return Form(id="f", title=Text(ar="ن", en="F"), schema=schema)


INTEGER = form_of({"n": {"type": "integer"}})
NUMBER = form_of({"x": {"type": "number"}})


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12", 12),
        (" 12 ", 12),
        ("-3", -3),
        ("+4", 4),
        ("1.0", 1),
        ("١٢", 12),
        ("۴۵", 45),
        ("1e3", 1000),
        ("1.5", "1.5"),
        ("abc", "abc"),
        ("1_000", "1_000"),
        ("0x10", "0x10"),
        ("nan", "nan"),
        ("1e999", "1e999"),
        ("99999999999999999999999", 99999999999999999999999),
    ],
)
def test_integers(raw: str, expected: Any) -> None:
    assert coerce(INTEGER, {"n": [raw]}) == {"n": expected}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("2.5", 2.5), ("3", 3), (".5", 0.5), ("-1e-3", -0.001), ("٢٫٥", 2.5), ("inf", "inf"), ("1,5", "1,5")],
)
def test_numbers(raw: str, expected: Any) -> None:
    data = coerce(NUMBER, {"x": [raw]})
    assert data == {"x": expected}
    assert type(data["x"]) is type(expected)


def test_a_number_that_is_not_one_gets_a_type_error_on_its_field() -> None:
    data = coerce(INTEGER, {"n": ["twelve"]})
    assert [e.path for e in validate(INTEGER, data)] == ["/n"]


def test_empty_values_are_absent_and_text_is_trimmed() -> None:
    form = form_of(
        {
            "a": {"type": "string"},
            "b": {"type": "string"},
            "n": {"type": "integer"},
            "p": {"type": "string", "x-widget": "password"},
            "t": {"type": "string", "x-widget": "textarea"},
        },
        required=["a"],
    )
    data = coerce(
        form, {"a": ["   "], "b": ["  x y  "], "n": [""], "p": ["  s3cret "], "t": ["one\r\ntwo\r"]}
    )
    assert data == {"b": "x y", "p": "  s3cret ", "t": "one\ntwo"}
    assert [e.path for e in validate(form, data)] == ["/a"]


def test_booleans() -> None:
    form = form_of({"b": {"type": "boolean"}, "c": {"type": "boolean"}, "d": {"type": "boolean"}})
    assert coerce(form, {"b": ["true"], "c": ["on"]}) == {"b": True, "c": True, "d": False}
    assert coerce(form, {"b": ["false"]}) == {"b": False, "c": False, "d": False}


def test_choices_keep_their_json_type() -> None:
    form = form_of(
        {
            "level": {"anyOf": [{"const": 1}, {"const": 2}]},
            "flag": {"type": "boolean", "x-widget": "radio"},
            "size": {"type": "string", "enum": ["s", "m"]},
            "mixed": {"enum": [1, "1.5", True]},
        }
    )
    post = {"level": ["2"], "flag": ["false"], "size": ["xl"], "mixed": ["true"]}
    assert coerce(form, post) == {"level": 2, "flag": False, "size": "xl", "mixed": True}


def test_checkboxes_from_repeated_keys() -> None:
    case = BY_NAME["checkboxes"]
    form = case.form()
    assert coerce(form, {"kinds": ["recording", "filming", "recording", ""]}) == {
        "kinds": ["recording", "filming"]
    }
    assert coerce(form, {}) == {}
    numbers = form_of({"days": {"type": "array", "items": {"type": "integer", "enum": [1, 2, 3]}}})
    assert coerce(numbers, {"days": ["3", "1", "7"]}) == {"days": [3, 1, 7]}


def test_nested_objects_from_bracket_names() -> None:
    form = BY_NAME["nested_object"].form()
    post = {
        "name": ["x"],
        "address[city]": [" مكة "],
        "address[geo][lat]": ["21.4"],
        "address[geo][x]": ["1"],
    }
    assert coerce(form, post) == {"name": "x", "address": {"city": "مكة", "geo": {"lat": 21.4}}}
    assert coerce(form, {"address[street]": [""], "address[geo][lat]": [""]}) == {}, (
        "an empty object is absent"
    )


def test_groups_are_reindexed_and_empty_rows_dropped() -> None:
    form = BY_NAME["group"].form()
    post = {
        "items[3][item]": ["ب"],
        "items[3][quantity]": ["2"],
        "items[0][item]": ["  "],
        "items[0][quantity]": [""],
        "items[10][quantity]": ["x"],
        "items[1]": ["stray"],
        "items[a][item]": ["no index"],
    }
    assert coerce(form, post) == {"items": [{"item": "ب", "quantity": 2}, {"quantity": "x"}]}
    assert coerce(form, {"items[0][item]": [""]}) == {}


def test_groups_of_single_values() -> None:
    form = form_of({"tags": {"type": "array", "items": {"type": "integer"}}})
    assert coerce(form, {"tags[2]": ["7"], "tags[0]": ["5"], "tags[1]": [""]}) == {"tags": [5, 7]}


def test_unknown_and_control_keys_are_ignored() -> None:
    form = BY_NAME["required"].form()
    post = {
        "name": ["خالد"],
        "_csrf_token": ["t"],
        "_idempotency_key": ["k"],
        "admin": ["true"],
        "name[x]": ["y"],
    }
    assert coerce(form, post) == {"name": "خالد"}


def test_dates_stay_strings_and_times_get_an_offset_when_a_zone_is_given() -> None:
    form = BY_NAME["string_formats"].form()
    post = {"day": ["2026-05-01"], "when": ["2026-05-01T09:30"], "at": ["09:30:15"]}
    assert coerce(form, post) == {"day": "2026-05-01", "when": "2026-05-01T09:30", "at": "09:30:15"}
    riyadh = coerce(form, post, timezone=ZoneInfo("Asia/Riyadh"))
    assert riyadh == {"day": "2026-05-01", "when": "2026-05-01T09:30:00+03:00", "at": "09:30:15+03:00"}
    assert coerce(form, {"when": ["soon"]}, timezone=ZoneInfo("UTC")) == {"when": "soon"}
    pattern_time = form_of({"t": {"type": "string", "x-widget": "time", "pattern": "^[0-9:]+$"}})
    assert coerce(pattern_time, {"t": ["09:30"]}, timezone=ZoneInfo("UTC")) == {"t": "09:30"}


def test_telephone_numbers_get_ascii_digits() -> None:
    form = form_of({"m": {"type": "string", "x-widget": "tel"}, "s": {"type": "string"}})
    assert coerce(form, {"m": ["٠٥٥ ١٢٣"], "s": ["٠٥٥"]}) == {"m": "055 123", "s": "٠٥٥"}


def test_file_fields_keep_the_attachment_id_and_ignore_uploads() -> None:
    form = BY_NAME["file"].form()

    class Upload:
        filename = "plan.pdf"

    post = MultiDict([("document", Upload()), ("document", "att-9")])
    assert coerce(form, post) == {"document": "att-9"}
    assert coerce(form, MultiDict([("document", Upload())])) == {}


def test_conditional_fields_that_do_not_apply_are_dropped() -> None:
    form = BY_NAME["if_then_else"].form()
    post = {"kind": ["person"], "company_name": ["x"], "national_id": ["1234567890"]}
    assert coerce(form, post) == {"kind": "person", "national_id": "1234567890"}
    post["kind"] = ["company"]
    assert coerce(form, post) == {"kind": "company", "company_name": "x"}
    dependent = BY_NAME["dependent"].form()
    assert coerce(dependent, {"plate": ["ABC"]}) == {"has_car": False}
    assert coerce(dependent, {"plate": ["ABC"], "has_car": ["true"]}) == {"has_car": True, "plate": "ABC"}


class GetList:
    """A Werkzeug/Django-style multi-dict."""

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self.items = items

    def keys(self) -> list[str]:
        return [k for k, _ in self.items]

    def getlist(self, key: str) -> list[str]:
        return [v for k, v in self.items if k == key]


@pytest.mark.parametrize(
    "post",
    [
        {"kinds": ["filming", "recording"], "_group": ["x"]},
        MultiDict([("kinds", "filming"), ("kinds", "recording")]),
        GetList([("kinds", "filming"), ("kinds", "recording")]),
    ],
    ids=["dict-of-lists", "multidict", "getlist"],
)
def test_post_shapes(post: Any) -> None:
    assert coerce(BY_NAME["checkboxes"].form(), post) == {"kinds": ["filming", "recording"]}


def test_a_dict_of_single_strings() -> None:
    assert coerce(BY_NAME["required"].form(), {"name": "خالد"}) == {"name": "خالد"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("add:/requested_items/2", ("add", "/requested_items", 2)),
        ("remove:/requested_items/0", ("remove", "/requested_items", 0)),
        ("remove:/a/1/b/3", ("remove", "/a/1/b", 3)),
        ("drop:/requested_items/0", None),
        ("add:requested_items/0", None),
        ("add:/requested_items/x", None),
        ("add:/requested_items/-1", None),
        ("add:/requested_items/٣", None),
        ("add:/requested_items/99999999", None),
        ("add:/0", None),
        ("", None),
    ],
)
def test_group_action(value: str, expected: Any) -> None:
    assert group_action({"_group": [value]}) == expected


def test_no_group_action() -> None:
    assert group_action({"name": ["x"]}) is None


def test_group_buttons_apply_in_coerce() -> None:
    form = BY_NAME["group"].form()
    post = {"items[0][item]": ["أ"], "items[1][item]": [""], "items[2][item]": ["ج"]}
    assert coerce(form, {**post, "_group": ["remove:/items/1"]}) == {"items": [{"item": "أ"}, {"item": "ج"}]}
    assert coerce(form, {**post, "_group": ["remove:/items/0"]}) == {"items": [{}, {"item": "ج"}]}
    assert coerce(form, {**post, "_group": ["add:/items/3"]}, keep_empty_rows=False) == {
        "items": [{"item": "أ"}, {"item": "ج"}, {}]
    }
    two = {"items[0][item]": ["أ"], "items[1][item]": [""]}
    assert coerce(form, {**two, "_group": ["add:/items/2"]}) == {"items": [{"item": "أ"}, {}, {}]}
    assert coerce(form, {**two, "_group": ["add:/items/0"]}) == {"items": [{}, {"item": "أ"}, {}]}
    full = {f"items[{i}][item]": [str(i)] for i in range(3)}
    assert len(coerce(form, {**full, "_group": ["add:/items/3"]})["items"]) == 3, "maxItems"
    assert coerce(form, {"_group": ["add:/nothing/0"]}) == {}


def test_apply_group_action_in_nested_groups() -> None:
    form = form_of(
        {
            "rooms": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"seats": {"type": "array", "items": {"type": "integer"}}},
                },
            }
        }
    )
    data = {"rooms": [{"seats": [1, 2]}, {}]}
    assert apply_group_action(form, data, ("add", "/rooms/1/seats", 0)) == {
        "rooms": [{"seats": [1, 2]}, {"seats": [None]}]
    }
    assert apply_group_action(form, data, ("remove", "/rooms/0/seats", 0)) == {"rooms": [{"seats": [2]}, {}]}
    assert apply_group_action(form, data, ("add", "/rooms", 0)) == {"rooms": [{}, {"seats": [1, 2]}, {}]}
    assert apply_group_action(form, data, ("remove", "/rooms/5/seats", 0)) == data
    assert data == {"rooms": [{"seats": [1, 2]}, {}]}, "the data given is not changed"
    post = {"rooms[0][seats][0]": ["4"], "rooms[0][seats][1]": ["5"], "rooms[1][seats][0]": ["6"]}
    assert coerce(form, post) == {"rooms": [{"seats": [4, 5]}, {"seats": [6]}]}


def test_corpus_valid_posts_validate() -> None:
    for case in CASES:
        form = case.form()
        data = coerce(form, case.valid, timezone=ZoneInfo("Asia/Riyadh"))
        assert validate(form, apply_defaults(form, data)) == [], case.name


_keys = st.sampled_from(
    [
        "name",
        "address[city]",
        "address[geo][lat]",
        "items[0][item]",
        "items[1][quantity]",
        "items[x]",
        "kinds",
        "quantity",
        "ratio",
        "agree",
        "kind",
        "company_name",
        "has_car",
        "plate",
        "document",
        "_group",
        "when",
        "at",
    ]
)
_values = st.lists(
    st.one_of(
        st.text(max_size=12), st.sampled_from(["1", "1e400", "true", "add:/items/0", "remove:/items/0", ""])
    ),
    max_size=3,
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(CASES), st.dictionaries(_keys, _values, max_size=8))
def test_any_post_coerces_without_crashing(case: Any, post: dict[str, list[str]]) -> None:
    form = case.form()
    data = coerce(form, post, timezone=ZoneInfo("Asia/Riyadh"))
    assert isinstance(data, dict)
    validate(form, apply_defaults(form, data))


def test_a_recursive_schema_stops_at_a_depth() -> None:
    form = form_of(
        {"person": {"$ref": "#/$defs/person"}},
        **{
            "$defs": {
                "person": {
                    "type": "object",
                    "x-title": {"ar": "شخص", "en": "Person"},
                    "required": ["name"],
                    "properties": {
                        "name": {"type": "string", "x-title": {"ar": "الاسم", "en": "Name"}},
                        "parent": {"$ref": "#/$defs/person"},
                        "children": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/person"}},
                        "mother": {"$ref": "#/$defs/person"},
                        "father": {"$ref": "#/$defs/person"},
                    },
                }
            }
        },
    )
    assert coerce(form, {"person[name]": ["a"], "person[parent][name]": ["b"]}) == {
        "person": {"name": "a", "parent": {"name": "b"}}
    }
    view = build_form(form, data=None, lang="en")
    assert len(list(view.walk())) <= 2100
