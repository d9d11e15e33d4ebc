"""The form builder's pure operations (issue 13): each operation on a form document, and each refusal
with the input it concerns. The documents written are checked by the real loader (``drafts.check``)
and the real renderer, so what the builder writes is what the server accepts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from server.admin import drafts, form_builder
from server.admin.builder_edits import FieldEdit, check_edit, field_edit
from server.admin.form_builder import BuildRefused
from server.admin.form_shape import MOBILE_PATTERN
from server.definitions.crossref import form_file
from server.forms.view import build_form
from server.paths import shipped_root
from server.validation import validate

EMPTY: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "x-title": {"ar": "طلب", "en": "Request"},
    "properties": {},
}


def edit(kind: str, name: str, **values: Any) -> FieldEdit:
    posted: dict[str, list[str]] = {
        "kind": [kind],
        "name": [name],
        "title_ar": ["عنوان"],
        "title_en": ["Title"],
    }
    for key, value in values.items():
        posted[key] = value if isinstance(value, list) else [str(value)]
    return field_edit(posted, {"kind_of": "choice_one", "agree": "yes_no"})


def choice(name: str = "kind_of", **values: Any) -> FieldEdit:
    return edit(
        "choice_one",
        name,
        required="on",
        choice_value=["a", "b", ""],
        choice_ar=["أ", "ب", ""],
        choice_en=["A", "B", ""],
        **values,
    )


def built() -> dict[str, Any]:
    """A choice, a field shown only for one of its values, a group with a field, a yes/no."""
    doc = form_builder.add_field(EMPTY, "", choice())
    doc = form_builder.add_field(
        doc, "", edit("short_text", "other", required="on", condition_field="kind_of", condition_values=["b"])
    )
    doc = form_builder.add_field(doc, "", edit("group", "items", min_items="1"))
    doc = form_builder.add_field(
        doc, "items", edit("number", "quantity", required="on", minimum="1", whole="on")
    )
    return form_builder.add_field(doc, "", edit("yes_no", "agree"))


def test_a_form_built_field_by_field_is_standard_json_schema_the_loader_and_renderer_accept() -> None:
    doc = built()
    assert [r.path for r in form_builder.rows(doc)] == [
        "kind_of",
        "other",
        "items",
        "items.quantity",
        "agree",
    ]
    assert doc["x-order"] == ["kind_of", "other", "items", "agree"]
    assert doc["required"] == ["kind_of"]
    assert doc["allOf"] == [
        {
            "if": {"required": ["kind_of"], "properties": {"kind_of": {"const": "b"}}},
            "then": {
                "properties": {"other": doc["allOf"][0]["then"]["properties"]["other"]},
                "required": ["other"],
            },
        }
    ]
    assert doc["properties"]["items"]["items"]["properties"]["quantity"]["type"] == "integer"
    files = drafts.new_service_files("trial", "customer_service", ("customer_service", "requester"))
    files[form_file("trial")] = drafts.dumps(doc)
    organisation = (shipped_root() / "service_definitions" / "organisation.json").read_text(encoding="utf-8")
    assert drafts.check("trial", files, organisation) == []
    form = _form(doc)
    view = build_form(form, data={"kind_of": "b"}, lang="en")
    assert {f.name for f in view.fields} >= {"kind_of", "other", "items", "agree"}
    assert [e.path for e in validate(form, {"kind_of": "b", "items": [{"quantity": 2}]})] == ["/other"]
    assert validate(form, {"kind_of": "a", "items": [{"quantity": 2}]}) == []


def _form(doc: dict[str, Any]) -> Any:
    from server.definitions.model import Form, Text

    return Form(id="trial", title=Text(ar="طلب", en="Request"), schema=doc)


@pytest.mark.parametrize(
    ("kind", "values", "expected"),
    [
        (
            "short_text",
            {"min_length": "2", "max_length": "50"},
            {"type": "string", "minLength": 2, "maxLength": 50},
        ),
        ("long_text", {"max_length": "900"}, {"x-widget": "textarea", "maxLength": 900}),
        ("number", {"minimum": "0.5", "maximum": "10"}, {"type": "number", "minimum": 0.5, "maximum": 10}),
        ("date", {}, {"format": "date"}),
        ("time", {}, {"format": "time"}),
        ("email", {}, {"format": "email"}),
        ("mobile", {}, {"x-widget": "tel", "pattern": MOBILE_PATTERN}),
        (
            "file",
            {"accept": "application/pdf, image/*", "max_mb": "2"},
            {"x-accept": ["application/pdf", "image/*"], "x-max-bytes": 2097152},
        ),
        ("yes_no", {}, {"type": "boolean"}),
        ("member", {}, {"x-department-member": True, "x-widget": "select"}),
        ("section", {}, {"type": "object"}),
        (
            "group",
            {"min_items": "1", "max_items": "5", "add_ar": "أضف", "add_en": "Add"},
            {"type": "array", "minItems": 1, "maxItems": 5, "x-add-label": {"ar": "أضف", "en": "Add"}},
        ),
    ],
)
def test_each_kind_writes_its_schema_and_reads_back_as_that_kind(
    kind: str, values: dict[str, str], expected: dict[str, Any]
) -> None:
    doc = form_builder.add_field(EMPTY, "", edit(kind, "f", help_ar="مساعدة", help_en="Help", **values))
    schema = doc["properties"]["f"]
    assert {k: schema[k] for k in expected} == expected
    assert schema["x-title"] == {"ar": "عنوان", "en": "Title"} and schema["x-help"] == {
        "ar": "مساعدة",
        "en": "Help",
    }
    assert form_builder.kind_of(schema) == kind


def test_a_choice_of_many_is_an_array_of_bilingual_options_shown_as_checkboxes() -> None:
    doc = form_builder.add_field(
        EMPTY,
        "",
        edit(
            "choice_many",
            "days",
            choice_value=["sun", "mon"],
            choice_ar=["الأحد", "الاثنين"],
            choice_en=["Sunday", "Monday"],
        ),
    )
    schema = doc["properties"]["days"]
    assert schema["x-widget"] == "checkboxes" and schema["items"]["oneOf"][1] == {
        "const": "mon",
        "x-title": {"ar": "الاثنين", "en": "Monday"},
    }
    assert form_builder.choices_of(schema) == [("sun", "الأحد", "Sunday"), ("mon", "الاثنين", "Monday")]


def test_editing_a_field_keeps_what_the_builder_does_not_edit_and_renames_it_in_place() -> None:
    doc = built()
    doc["properties"]["kind_of"]["x-placeholder"] = {"ar": "اختر", "en": "Pick"}
    changed = form_builder.update_field(doc, "agree", edit("yes_no", "consent", required="on"))
    assert changed["x-order"] == ["kind_of", "other", "items", "consent"]
    assert "agree" not in changed["properties"] and changed["required"] == ["kind_of", "consent"]
    again = form_builder.update_field(changed, "kind_of", choice(widget="radio"))
    assert again["properties"]["kind_of"]["x-placeholder"] == {"ar": "اختر", "en": "Pick"}
    assert again["properties"]["kind_of"]["x-widget"] == "radio"
    assert doc["properties"]["kind_of"]["x-widget"] == "select"  # the input is never changed


def test_a_condition_moves_with_its_field_and_two_values_become_an_enum() -> None:
    doc = form_builder.update_field(
        built(), "other", edit("short_text", "other", condition_field="kind_of", condition_values=["a", "b"])
    )
    (member,) = doc["allOf"]
    assert (
        member["if"]["properties"] == {"kind_of": {"enum": ["a", "b"]}} and "required" not in member["then"]
    )
    unconditional = form_builder.update_field(doc, "other", edit("short_text", "other"))
    assert "allOf" not in unconditional and "other" in unconditional["properties"]
    assert form_builder.find(unconditional, "other").condition is None  # type: ignore[union-attr]


def test_up_down_and_into_a_group() -> None:
    doc = built()
    up = form_builder.move_field(doc, "agree", -1)
    assert up["x-order"] == ["kind_of", "other", "agree", "items"]
    assert form_builder.move_field(doc, "kind_of", -1)["x-order"] == doc["x-order"]  # the first stays first
    into = form_builder.move_into(doc, "agree", "items")
    assert into["properties"]["items"]["items"]["x-order"] == ["quantity", "agree"]
    assert "agree" not in into["properties"] and "agree" not in into["x-order"]
    back = form_builder.move_into(into, "items.agree", "")
    assert (
        back["x-order"][-1] == "agree" and "agree" not in back["properties"]["items"]["items"]["properties"]
    )


def test_removing_a_field_removes_its_declaration_required_and_order() -> None:
    doc = form_builder.remove_field(built(), "other")
    assert "allOf" not in doc and doc["x-order"] == ["kind_of", "items", "agree"]
    doc = form_builder.remove_field(doc, "items.quantity")
    assert doc["properties"]["items"]["items"]["properties"] == {}
    assert "required" not in doc["properties"]["items"]["items"]


def test_the_builder_reads_a_shipped_form_with_its_own_top_level_condition() -> None:
    doc = json.loads((shipped_root() / "form_schemas" / "maintenance.json").read_text(encoding="utf-8"))
    rows = {r.path: r for r in form_builder.rows(doc)}
    assert rows["device_type_other"].condition is not None and rows["device_type_other"].condition.values == (
        "other",
    )
    assert (
        rows["contact_mobile"].kind == "mobile"
        and rows["photo"].kind == "file"
        and rows["device_type"].kind == "choice_one"
    )
    removed = form_builder.remove_field(doc, "serial_number")
    assert "serial_number" not in removed["properties"] and removed["then"] == doc["then"]


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        ({"kind": "spaceship"}, {"kind": "builder_err_kind"}),
        ({"name": "Bad Name"}, {"name": "builder_err_name"}),
        ({"title_en": ""}, {"title_en": "builder_err_label_missing"}),
        ({"help_ar": "مساعدة"}, {"help_en": "builder_err_translation_missing"}),
        ({"min_length": "9", "max_length": "3"}, {"max_length": "builder_err_range"}),
        ({"max_length": "ten"}, {"max_length": "builder_err_not_whole"}),
        ({"kind": "number", "minimum": "abc"}, {"minimum": "builder_err_not_number"}),
        ({"kind": "number", "minimum": "5", "maximum": "1"}, {"maximum": "builder_err_range"}),
        ({"kind": "number", "maximum": "inf"}, {"maximum": "builder_err_not_number"}),
        ({"kind": "file", "accept": "pdf"}, {"accept": "builder_err_media_type"}),
        ({"kind": "file", "max_mb": "500"}, {"max_mb": "builder_err_file_size"}),
        ({"kind": "group", "min_items": "3", "max_items": "1"}, {"max_items": "builder_err_range"}),
        ({"kind": "choice_one"}, {"choices": "builder_err_choices_none"}),
        (
            {
                "kind": "choice_one",
                "choice_value": ["a", "a"],
                "choice_ar": ["أ", "ب"],
                "choice_en": ["A", "B"],
            },
            {"choices": "builder_err_choices"},
        ),
        (
            {"kind": "choice_one", "choice_value": ["a"], "choice_ar": ["أ"], "choice_en": [""]},
            {"choices": "builder_err_choices"},
        ),
        ({"condition_field": "kind_of"}, {"condition_values": "builder_err_condition_value"}),
    ],
)
def test_each_refusal_of_an_edit_names_its_input(values: dict[str, Any], errors: dict[str, str]) -> None:
    kind = values.pop("kind", "short_text")
    field = edit(kind, values.pop("name", "f"), **values)
    assert check_edit(field) == errors
    with pytest.raises(BuildRefused) as refused:
        form_builder.add_field(EMPTY, "", field)
    assert refused.value.errors == errors


@pytest.mark.parametrize(
    ("operation", "errors"),
    [
        (lambda d: form_builder.add_field(d, "", choice()), {"name": "builder_err_name_taken"}),
        (
            lambda d: form_builder.add_field(d, "items", edit("section", "inner")),
            {"kind": "builder_err_nested_group"},
        ),
        (
            lambda d: form_builder.add_field(d, "nowhere", edit("date", "when")),
            {"container": "builder_err_no_container"},
        ),
        (
            lambda d: form_builder.add_field(
                d, "", edit("date", "when", condition_field="other", condition_values=["x"])
            ),
            {"condition_field": "builder_err_condition_field"},
        ),
        (
            lambda d: form_builder.add_field(
                d, "", edit("date", "when", condition_field="kind_of", condition_values=["z"])
            ),
            {"condition_values": "builder_err_condition_value"},
        ),
        (
            lambda d: form_builder.add_field(
                d, "items", edit("date", "when", condition_field="kind_of", condition_values=["a"])
            ),
            {"condition_field": "builder_err_condition_field"},
        ),
        (lambda d: form_builder.remove_field(d, "kind_of"), {"path": "builder_err_trigger_in_use"}),
        (lambda d: form_builder.remove_field(d, "ghost"), {"path": "builder_err_no_field"}),
        (
            lambda d: form_builder.update_field(d, "kind_of", choice("renamed")),
            {"name": "builder_err_trigger_in_use"},
        ),
        (
            lambda d: form_builder.update_field(d, "items", edit("short_text", "items")),
            {"kind": "builder_err_group_not_empty"},
        ),
        (
            lambda d: form_builder.update_field(d, "ghost", edit("date", "ghost")),
            {"path": "builder_err_no_field"},
        ),
        (lambda d: form_builder.move_field(d, "ghost", 1), {"path": "builder_err_no_field"}),
        (lambda d: form_builder.move_into(d, "other", "items"), {"target": "builder_err_move_conditional"}),
        (lambda d: form_builder.move_into(d, "kind_of", "items"), {"target": "builder_err_move_conditional"}),
        (lambda d: form_builder.move_into(d, "items", "items"), {"target": "builder_err_no_container"}),
        (lambda d: form_builder.move_into(d, "agree", "nowhere"), {"target": "builder_err_no_container"}),
    ],
)
def test_each_refusal_of_an_operation_names_its_input_and_changes_nothing(
    operation: Any, errors: dict[str, str]
) -> None:
    doc = built()
    before = json.dumps(doc, sort_keys=True)
    with pytest.raises(BuildRefused) as refused:
        operation(doc)
    assert refused.value.errors == errors
    assert json.dumps(doc, sort_keys=True) == before


def test_a_field_moved_into_a_group_where_its_name_is_taken_is_refused() -> None:
    doc = form_builder.add_field(built(), "items", edit("yes_no", "agree"))
    with pytest.raises(BuildRefused) as refused:
        form_builder.move_into(doc, "agree", "items")
    assert refused.value.errors == {"target": "builder_err_name_taken"}


def _supplies() -> tuple[dict[str, str], str, dict[str, Any]]:
    from server.admin.drafts import draft_files

    root = shipped_root()
    files = {
        str(p.relative_to(root)): p.read_text(encoding="utf-8")
        for sub in ("service_definitions", "form_schemas", "workflows")
        for p in (root / sub).glob("*.json")
    }
    organisation = files.pop("service_definitions/organisation.json")
    service = json.loads(files["service_definitions/supplies.json"])
    workflow = json.loads(files["workflows/supplies.json"])
    used = {service["form"]} | {
        a["form"] for a in workflow["actions"].values() if isinstance(a.get("form"), str)
    }
    keep = {"service_definitions/supplies.json", "workflows/supplies.json"} | {form_file(f) for f in used}
    return (
        draft_files({p: t for p, t in files.items() if p in keep}),
        organisation,
        json.loads(files["form_schemas/supplies.json"]),
    )


def test_the_examples_follow_the_fields_so_an_edited_shipped_form_stays_publishable() -> None:
    from server.admin.form_examples import in_step

    files, organisation, doc = _supplies()
    for kind, name, values in [
        ("short_text", "plate", {"min_length": "8", "max_length": "10"}),
        ("number", "floor", {"minimum": "3", "whole": "on"}),
        ("date", "visit_day", {}),
        ("time", "visit_time", {}),
        ("email", "mail", {}),
        ("mobile", "phone", {}),
        ("yes_no", "agree", {}),
        ("choice_many", "days", {"choice_value": ["sun"], "choice_ar": ["الأحد"], "choice_en": ["Sunday"]}),
        ("choice_one", "shift", {"choice_value": ["am"], "choice_ar": ["صباحي"], "choice_en": ["Morning"]}),
    ]:
        doc = in_step(form_builder.add_field(doc, "", edit(kind, name, required="on", **values)))
    doc = in_step(form_builder.add_field(doc, "", edit("group", "guests", min_items="2", required="on")))
    doc = in_step(form_builder.add_field(doc, "guests", edit("short_text", "guest", required="on")))
    doc = in_step(form_builder.add_field(doc, "requested_items", edit("short_text", "colour", required="on")))
    doc = in_step(
        form_builder.update_field(doc, "room", edit("short_text", "room_number")), "room", "room_number"
    )
    doc = in_step(
        form_builder.remove_field(doc, "requested_items.specification"), "requested_items.specification", None
    )
    (example,) = doc["examples"]
    assert example["room_number"] == "204" and "room" not in example
    assert (
        example["floor"] == 3
        and example["days"] == ["sun"]
        and example["shift"] == "am"
        and example["agree"] is False
    )
    assert len(example["plate"]) == 8 and example["guests"] == [{"guest": "sample"}, {"guest": "sample"}]
    assert example["requested_items"] == [{"item": "جهاز عرض", "quantity": 2, "colour": "sample"}]
    assert validate(_form(doc), example) == []
    files[form_file("supplies")] = drafts.dumps(doc)
    assert drafts.check("supplies", files, organisation) == []


def test_the_form_title_is_set_in_both_languages_or_refused() -> None:
    assert form_builder.set_title(EMPTY, "طلب حجز", "Booking")["x-title"] == {
        "ar": "طلب حجز",
        "en": "Booking",
    }
    with pytest.raises(BuildRefused) as refused:
        form_builder.set_title(EMPTY, "طلب حجز", "")
    assert refused.value.errors == {"form_title_en": "builder_err_label_missing"}
