"""Forms written as plain JSON Schema, the way other tools write them (issue 13): ``title`` and
``description`` instead of ``x-`` hints, no ``$schema`` or a draft-07 one, ``definitions``,
``dependencies``, ``unevaluatedProperties``, a field with no title at all.

Each of ``tests/standard_forms/*.json`` passes ``khidma check`` (with a warning per label written in
one language only, none of them an error), renders in Arabic and English with its titles as labels
(the field's name when it has none), and accepts data generated independently from the schema the API
serves for it (hypothesis-jsonschema), through the validator submissions run on.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis_jsonschema import from_schema

from server.cli import main
from server.definitions.catalogue import Catalogue
from server.definitions.loader import load_tree
from server.definitions.served import served
from server.forms import build_form, environment, render_form_fields
from server.validation import validate
from tests.definition_trees import plain_tree
from tests.web import html

CORPUS = Path(__file__).parent / "standard_forms"
FORMS = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(CORPUS.glob("*.json"))}
ENV = environment()
# characters Python's str methods take for whitespace that are no JSON Schema whitespace: a generated
# value made of them tells nothing about the forms (see tests/test_openapi_fuzz.py)
_ODD = {"\x1c", "\x1d", "\x1e", "\x1f", "\x85"}


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return plain_tree(tmp_path_factory.mktemp("standard"), FORMS)


@pytest.fixture(scope="module")
def catalogue(tree: Path) -> Catalogue:
    result = load_tree(tree)
    assert result.errors == []
    assert result.catalogue is not None
    return result.catalogue


def test_the_corpus_is_plain_json_schema() -> None:
    assert len(FORMS) >= 8
    for form in FORMS.values():
        assert not any(key.startswith("x-") for key in _keys(form))
    drafts = {form.get("$schema") for form in FORMS.values()}
    assert None in drafts and "http://json-schema.org/draft-07/schema#" in drafts


def _keys(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [k for key, value in node.items() for k in [key, *_keys(value)]]
    if isinstance(node, list):
        return [k for item in node for k in _keys(item)]
    return []


def test_khidma_check_accepts_them_with_warnings_not_errors(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(tree)]) == 0
    out, err = capsys.readouterr()
    assert f"{len(FORMS)} services, no errors" in out and "warning(s)" in out
    warnings = [line for line in err.splitlines() if line.startswith("warning: ")]
    assert warnings and all("[missing_translation]" in line for line in warnings)
    # an English title, an Arabic one, and a field with none
    assert any(
        "form_schemas/contact_us.json#/properties/name: the field 'name' has a title in English only" in w
        for w in warnings
    )
    assert any(
        "form_schemas/complaint.json#/properties/details" in w and "in Arabic only" in w for w in warnings
    )
    assert any(
        "form_schemas/contact_us.json#/properties/subject: the field 'subject' has no title" in w
        for w in warnings
    )


@pytest.mark.parametrize("form_id", sorted(FORMS))
@pytest.mark.parametrize("lang", ["ar", "en"])
def test_each_renders_in_both_languages_labelled_by_its_titles(
    catalogue: Catalogue, form_id: str, lang: str
) -> None:
    form = catalogue.forms[form_id]
    schema = FORMS[form_id]
    assert form.title.get(lang) == schema["title"]
    page = html(str(render_form_fields(build_form(form, data=None, lang=lang), ENV)))
    labels = {" ".join(node.text().split()) for node in page.css("label, legend")}
    for name, field in schema["properties"].items():
        title = field.get("title", name) if isinstance(field, dict) else name
        assert any(label.startswith(title) for label in labels), (name, title, sorted(labels))
    helps = " ".join(node.text() for node in page.css(".kh-help, [id$=-help]"))
    for field in schema["properties"].values():
        if isinstance(field, dict) and "description" in field:
            assert field["description"] in helps


def test_a_draft_07_form_is_stored_as_written_and_read_by_its_draft(catalogue: Catalogue) -> None:
    form = catalogue.forms["event_registration"]
    assert form.schema == FORMS["event_registration"]
    # draft-07 "dependencies": a plate needs the parking answer
    assert [
        e.path for e in validate(form, {"attendee": "Sara", "sessions": ["morning"], "plate": "ABC"})
    ] == ["/needs_parking"]
    # draft-07 reads "$ref" alone: the title beside it is a label, the person's fields are checked
    leave = catalogue.forms["leave_request"]
    data = {"employee": {"name": "S"}, "leave_type": "sick", "start_date": "2026-01-04", "days": 2}
    assert {e.path for e in validate(leave, data)} == {"/employee/name", "/employee/employee_number"}


@pytest.mark.parametrize("form_id", sorted(FORMS))
def test_each_accepts_data_generated_from_its_served_schema(catalogue: Catalogue, form_id: str) -> None:
    form = catalogue.forms[form_id]
    strategy = from_schema(served(form.schema)).filter(
        lambda data: (
            not any(c in _ODD for text in _texts(data) for c in text)
            # jsonschema-rs 0.61 refuses an e-mail domain whose punycode label is not all lower-case
            # ("a@b.XN--P1AI"; "a@b.xn--p1ai" passes): a difference of the validator, left out here
            and not any("@" in t and "xn--" in t.lower() and t != t.lower() for t in _texts(data))
        )
    )

    @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(strategy)
    def accepted(data: dict[str, Any]) -> None:
        assert validate(form, data) == [], data

    accepted()


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [text for item in value for text in _texts(item)]
    if isinstance(value, dict):
        return [text for key, item in value.items() for text in [key, *_texts(item)]]
    return []


def test_the_served_schema_refuses_what_the_server_refuses(catalogue: Catalogue) -> None:
    contact = catalogue.forms["contact_us"]
    document = served(contact.schema)
    assert document["unevaluatedProperties"] is False
    data = {"name": "Sara", "email": "sara@example.org", "message": "Hello there, again", "extra": 1}
    assert [e.path for e in validate(contact, data)] == ["/extra"]
    assert set(document["propertyNames"]["enum"]) == set(FORMS["contact_us"]["properties"])
    draft7 = served(catalogue.forms["event_registration"].schema)
    assert "unevaluatedProperties" not in draft7
    assert set(draft7["propertyNames"]["enum"]) == set(FORMS["event_registration"]["properties"])
    own = served(catalogue.forms["it_support"].schema)  # a propertyNames of its own is kept
    assert own["propertyNames"] == {"maxLength": 20}
    assert set(own["allOf"][-1]["propertyNames"]["enum"]) == set(FORMS["it_support"]["properties"])


# --- the schemas the API serves say what the server enforces ------------------------------------


async def test_the_api_serves_the_enforced_schema_with_the_department_members(tmp_path: Path) -> None:
    import jsonschema

    from tests.test_staff_ticket import HEAD, STAFF, routed, token_for, user
    from tests.web import client_for

    async with client_for(tmp_path) as client:
        ticket = await routed(client)
        staff = await user(client, STAFF)
        head = await token_for(client, HEAD)
        service = (await client.get("/api/services/supplies")).json()
        body = (await client.get(f"/api/tickets/{ticket.id}", headers=head)).json()
        delegate = next(a for a in body["actions"] if a["id"] == "delegate")
        outsider = await client.post(
            f"/api/tickets/{ticket.id}/actions/delegate",
            json={"data": {"assignee": "nobody", "note": "x"}, "expected_version": ticket.version},
            headers=head,
        )
    form = service["form"]
    assert form["unevaluatedProperties"] is False and "college" in form["propertyNames"]["enum"]
    schema = delegate["form"]
    members = {c["value"]: c["label"] for c in delegate["choices"]["/assignee"]}
    assert staff.id in members
    assert {o["const"]: o["title"] for o in schema["properties"]["assignee"]["oneOf"]} == members
    # any JSON Schema client filling the served schema sends what the server accepts, and no other member
    checker = jsonschema.Draft202012Validator(schema)
    assert checker.is_valid({"assignee": staff.id, "note": "please"})
    assert not checker.is_valid({"assignee": "nobody", "note": "x"})
    assert not checker.is_valid({"assignee": staff.id, "note": "x", "other": 1})
    assert outsider.status_code == 422


async def test_the_editor_takes_a_plain_form_shows_its_warnings_and_previews_it(tmp_path: Path) -> None:
    from tests.test_admin_editor import EN, _textareas
    from tests.test_requester_pages import login
    from tests.web import client_for, csrf_of

    async with client_for(tmp_path) as client:
        await login(client, "admin", ["administrator"])
        edit = await client.get("/admin/services/supplies/edit", headers=EN)
        files = _textareas(edit.text)
        form = json.loads(files["file:form_schemas/supplies.json"])
        plain = json.loads(json.dumps(form).replace('"x-title"', '"x-title-was"'))
        plain = _strip(plain)
        plain.pop("$schema", None)
        plain["title"] = "Supplies"
        changed = {**files, "file:form_schemas/supplies.json": json.dumps(plain, ensure_ascii=False)}
        hx = {"hx-request": "true", "x-csrftoken": csrf_of(edit.text)}
        english = await client.post("/admin/services/supplies/check", data=changed, headers={**hx, **EN})
        arabic = await client.post(
            "/admin/services/supplies/check", data=changed, headers={**hx, "accept-language": "ar"}
        )
    page = html(english.text)
    assert page.css("#draft-errors li") == [], [n.text() for n in page.css("#draft-errors li")]
    warned = page.css("#draft-warnings li")
    assert warned and all(n.attributes["data-code"] == "missing_translation" for n in warned)
    assert "add x-title in Arabic and English" in warned[0].text()
    assert "أضف x-title" in html(arabic.text).css_first("#draft-warnings li").text()
    assert len(page.css("#draft-preview .preview")) == 2  # rendered in both languages, labelled by names


def _strip(node: Any) -> Any:
    """The form with its x-title labels removed (renamed by the caller), the other hints kept."""
    if isinstance(node, dict):
        return {k: _strip(v) for k, v in node.items() if k != "x-title-was"}
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


# --- the hostile-definition bounds hold for standard forms ---------------------------------------


def _refusals(form: dict[str, Any]) -> set[tuple[str, str]]:
    from server.definitions.loader import load_sources
    from tests.definition_trees import ORGANISATION, PLAIN_WORKFLOW, plain_service

    sources = {
        "service_definitions/organisation.json": json.dumps(ORGANISATION),
        "service_definitions/hostile.json": json.dumps(plain_service("hostile", "hostile")),
        "form_schemas/hostile.json": json.dumps(form),
        "workflows/plain.json": json.dumps(PLAIN_WORKFLOW),
    }
    return {(e.pointer, e.code) for e in load_sources(sources).errors}


def test_a_draft_07_reference_bomb_is_refused() -> None:
    defs = {f"d{i}": {"allOf": [{"$ref": f"#/definitions/d{i + 1}"}] * 2} for i in range(18)}
    defs["d18"] = {"type": "string"}
    form = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "definitions": defs,
        "properties": {"a": {"$ref": "#/definitions/d0", "title": "A"}},
    }
    assert any(code == "schema_too_large" for _, code in _refusals(form))


def test_a_dynamic_reference_bomb_is_refused() -> None:
    defs = {
        f"d{i}": {"$dynamicAnchor": f"n{i}", "allOf": [{"$dynamicRef": f"#n{i + 1}"}] * 2} for i in range(18)
    }
    defs["d18"] = {"$dynamicAnchor": "n18", "type": "string"}
    form = {"type": "object", "$defs": defs, "properties": {"a": {"$ref": "#/$defs/d0"}}}
    assert any(code == "schema_too_large" for _, code in _refusals(form))


def test_a_catastrophic_pattern_is_refused_wherever_a_draft_puts_a_schema() -> None:
    form = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "properties": {
            "pair": {
                "type": "array",
                "items": [{"type": "string", "pattern": "^(a+)+$"}, {"type": "integer"}],
            },
            "other": {"dependencies": {"x": {"properties": {"x": {"pattern": "(\\w*)*"}}}}},
        },
    }
    assert _refusals(form) >= {
        ("/properties/pair/items/0/pattern", "unsafe_pattern"),
        ("/properties/other/dependencies/x/properties/x/pattern", "unsafe_pattern"),
    }


def test_a_reference_outside_the_form_is_refused_never_fetched() -> None:
    for ref in ("https://example.invalid/x.json", "other.json#/a", "#missing"):
        form = {"type": "object", "properties": {"a": {"$ref": ref}}}
        assert _refusals(form) == {("/properties/a/$ref", "bad_reference")}, ref
