"""The form renderer, over the corpus of tests/forms_corpus.py and the shipped forms.

The HTML is parsed with a real HTML5 parser (selectolax/lexbor) and checked with CSS selectors; a
rendered form is read back the way a browser submits it (``forms_corpus.serialize``).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
import msgspec
import pytest
from selectolax.lexbor import LexborHTMLParser, LexborNode

from server.definitions import forms as definition_forms
from server.definitions import metaschema
from server.definitions.catalogue import Catalogue
from server.definitions.loader import load_tree
from server.definitions.model import Form, Text
from server.forms import (
    FormView,
    build_form,
    coerce,
    environment,
    render_error_summary,
    render_field,
    render_form_fields,
    render_group,
)
from server.forms.patterns import html_pattern
from server.paths import shipped_root
from server.requests.submission import _apply_page
from server.validation import FieldError, apply_defaults, validate
from tests.forms_corpus import BY_NAME, CASES, Case, parse, serialize

TZ = ZoneInfo("Asia/Riyadh")
LANGS = ("ar", "en")
ENV = environment()


def render(form: Form, data: Any = None, *, lang: str = "ar", errors: Any = (), **options: Any) -> str:
    view = build_form(form, data=data, errors=errors, lang=lang, timezone=TZ, **options)
    return str(render_form_fields(view, ENV, summary=True))


def submit(form: Form, post: dict[str, list[str]]) -> tuple[dict[str, Any], list[FieldError]]:
    data = coerce(form, post, timezone=TZ)
    return data, validate(form, apply_defaults(form, data))


def comparable(form: Form, data: dict[str, Any]) -> dict[str, Any]:
    """Data as a round trip through the page keeps it: defaults filled, passwords (never sent back) left out."""
    props = form.schema["properties"]
    return {
        k: v for k, v in apply_defaults(form, data).items() if props.get(k, {}).get("x-widget") != "password"
    }


def doc_of(form: Form, **kwargs: Any) -> LexborHTMLParser:
    return parse(render(form, **kwargs))


def one(doc: LexborHTMLParser, selector: str) -> LexborNode:
    found = doc.css(selector)
    assert len(found) == 1, f"{selector}: {len(found)} matches"
    return found[0]


def attr(node: LexborNode, name: str) -> str | None:
    """An attribute's value, ``""`` for one without a value (``required``), ``None`` when absent."""
    if name not in node.attributes:
        return None
    return node.attributes.get(name) or ""


def text(node: LexborNode) -> str:
    return " ".join(node.text(deep=True).split())


def label_of(doc: LexborHTMLParser, control: LexborNode) -> str:
    return text(one(doc, f'label[for="{attr(control, "id")}"]'))


def check_accessible(doc: LexborHTMLParser) -> None:
    """Unique ids; every visible control has a label bound to it; radios and checkboxes sit in a
    fieldset with a legend; aria-describedby names elements that exist."""
    ids = [attr(n, "id") for n in doc.css("[id]")]
    assert len(ids) == len(set(ids)), "duplicate ids"
    for control in doc.css("input, select, textarea"):
        if attr(control, "type") == "hidden":
            continue
        assert attr(control, "id"), control.html
        assert doc.css(f'label[for="{attr(control, "id")}"]'), f"no label for {control.html}"
        if attr(control, "type") in ("radio", "checkbox") and attr(control, "value") != "true":
            parent = control.parent
            while parent is not None and parent.tag != "fieldset":
                parent = parent.parent
            assert parent is not None and parent.css_first("legend") is not None
    for node in doc.css("[aria-describedby]"):
        for ref in (attr(node, "aria-describedby") or "").split():
            assert doc.css(f'[id="{ref}"]'), f"aria-describedby names a missing {ref}"


# --- the corpus, every case ------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_corpus_forms_are_valid_definitions(case: Case) -> None:
    assert list(metaschema.json_schema_problems(case.schema)) == []
    assert list(metaschema.problems("form", case.schema)) == []
    assert list(definition_forms.label_problems(case.schema)) == []


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fresh_form_renders_accessibly(case: Case, lang: str) -> None:
    doc = doc_of(case.form(), lang=lang)
    check_accessible(doc)
    container = one(doc, "[data-form-fields]")
    assert attr(container, "lang") == lang
    assert attr(container, "dir") == ("rtl" if lang == "ar" else "ltr")
    assert doc.css("[data-error-summary]") == []


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_valid_submission_round_trips(case: Case) -> None:
    form = case.form()
    data, errors = submit(form, case.valid)
    assert errors == []
    if case.valid_data is not None:
        assert data == case.valid_data
    for lang in LANGS:
        again = coerce(form, serialize(render(form, data, lang=lang)), timezone=TZ)
        assert comparable(form, again) == comparable(form, data), "a value was lost on the way back"


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_invalid_submission_shows_every_error_and_keeps_values(case: Case, lang: str) -> None:
    form = case.form()
    data, errors = submit(form, case.invalid)
    assert errors
    paths = {e.path for e in errors}
    for expected in case.invalid_paths:
        assert any(p == expected or p.startswith(expected + "/") for p in paths), (expected, paths)
    doc = doc_of(form, data=data, errors=errors, lang=lang)
    check_accessible(doc)
    summary = one(doc, "[data-error-summary]")
    links = summary.css("a[href]")
    assert len(summary.css("li")) >= len(case.invalid_paths)
    for link in links:
        target = (attr(link, "href") or "")[1:]
        assert doc.css(f'[id="{target}"]'), f"the summary links to a missing #{target}"
    messages = {e.message.get(lang) for e in errors}
    for node in doc.css(".kh-error-message"):
        message = text(node).split(" ", 1)[1]
        assert message in messages
        error_id = attr(node, "id")
        described = doc.css(f'[aria-describedby~="{error_id}"]')
        assert described, f"nothing is described by {error_id}"
        field = node.parent
        assert field is not None
        if field.tag != "fieldset" or "kh-choices" in (attr(field, "class") or ""):  # not an object or group
            assert all(attr(n, "aria-invalid") == "true" for n in field.css("input, select, textarea"))
    # what was typed comes back
    kept = {k: v for k, v in data.items() if k not in case.tampered}
    assert comparable(form, coerce(form, serialize(doc), timezone=TZ)) == comparable(form, kept)


# --- features, one by one --------------------------------------------------------------------


def test_objects_are_fieldsets_in_x_order() -> None:
    form = BY_NAME["nested_object"].form()
    doc = doc_of(form, lang="en")
    address = one(doc, "fieldset#f-address")
    assert text(address.css_first("legend")) == "Address (required)"
    names = [attr(n, "name") for n in address.css("input")]
    assert names == ["address[city]", "address[street]", "address[geo][lat]"]
    geo = one(doc, "fieldset#f-address fieldset#f-address-geo")
    assert text(geo.css_first("legend")) == "Coordinates"
    assert attr(one(doc, "#f-address-city"), "required") is not None


@pytest.mark.parametrize(
    ("field", "kind"),
    [("email", "email"), ("day", "date"), ("at", "time"), ("when", "datetime-local"), ("site", "url")],
)
def test_string_formats_pick_input_types(field: str, kind: str) -> None:
    doc = doc_of(BY_NAME["string_formats"].form())
    node = one(doc, f"#f-{field}")
    assert attr(node, "type") == kind
    if kind in ("email", "url"):
        assert attr(node, "dir") == "ltr"


def test_date_times_get_the_offset_and_show_in_the_zone() -> None:
    form = BY_NAME["string_formats"].form()
    data = coerce(form, {"when": ["2026-05-01T09:30"], "at": ["07:05"]}, timezone=TZ)
    assert data == {"when": "2026-05-01T09:30:00+03:00", "at": "07:05:00+03:00"}
    doc = doc_of(form, data={"when": "2026-05-01T06:30:00Z", "at": "07:05:00+03:00"})
    assert attr(one(doc, "#f-when"), "value") == "2026-05-01T09:30"
    assert attr(one(doc, "#f-at"), "value") == "07:05"


def test_widgets() -> None:
    form = BY_NAME["widgets"].form()
    doc = doc_of(form, data={"secret": "hunter22", "count": 2})
    story = one(doc, "textarea#f-story")
    assert attr(story, "rows") == "3"
    assert attr(story, "maxlength") == "500"
    mobile = one(doc, "#f-mobile")
    assert (attr(mobile, "type"), attr(mobile, "inputmode"), attr(mobile, "dir")) == ("tel", "tel", "ltr")
    secret = one(doc, "#f-secret")
    assert attr(secret, "type") == "password"
    assert attr(secret, "value") == "", "a password is never sent back"
    hidden = one(doc, 'input[name="source"]')
    assert (attr(hidden, "type"), attr(hidden, "value")) == ("hidden", "web")
    count = one(doc, "#f-count")
    assert (attr(count, "type"), attr(count, "step"), attr(count, "value")) == ("number", "1", "2")
    assert attr(one(doc, "#f-when"), "type") == "datetime-local"
    assert attr(one(doc, "#f-link"), "type") == "url"
    assert attr(one(doc, "#f-mail"), "type") == "email"
    assert attr(one(doc, "#f-plain"), "type") == "text", "x-widget wins over format"
    assert attr(one(doc, "#f-day"), "type") == "date"
    assert attr(one(doc, "#f-at"), "type") == "time"


def test_lengths_become_attributes() -> None:
    node = one(doc_of(BY_NAME["lengths"].form()), "#f-code")
    assert (attr(node, "minlength"), attr(node, "maxlength")) == ("3", "5")


def test_patterns_only_when_safe_in_html() -> None:
    doc = doc_of(BY_NAME["pattern"].form())
    assert attr(one(doc, "#f-anchored"), "pattern") == "^[0-9]{4}$"
    assert attr(one(doc, "#f-anywhere"), "pattern") == "[\\s\\S]*(?:uqu)[\\s\\S]*"
    assert attr(one(doc, "#f-unsafe"), "pattern") is None, "a bare '-' in a class breaks the v flag"
    assert attr(one(doc, "#f-alternatives"), "pattern") == "[\\s\\S]*(?:^a|b$)[\\s\\S]*"


PATTERNS = [
    "^[0-9]{4}$",
    "uqu",
    "^a|b$",
    "^(05[0-9]{8}|\\+?[1-9][0-9]{7,14})$",
    "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$",
    "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$",
    "^\\+?[0-9]{7,15}$",
    "^[\\u0600-\\u06FFa-z]+$",
    "^x{2,}?y*$",
    "^(?:ab)+$",
    "^\\d+(\\.\\d{1,2})?$",
]
UNSAFE = [
    "^[a-z-]+$",
    "^\\s*[A-Za-z\\u0600-\\u06FF.'-]+(\\s+[A-Za-z\\u0600-\\u06FF.'-]+){2,}\\s*$",
    "^(?=a)a$",
    "(a)\\1",
    "^[(]$",
    "[&&a]",
    "^a{2,1}$",
    "a{",
    "[]",
    "^\\p{L}+$",
    "(?P<x>a)",
    "^[z-a]$",
    "a)",
]
SAMPLES = [
    "",
    "2026",
    "26",
    "xuquy",
    "a",
    "xb",
    "ab",
    "0551234567",
    "+966551234567",
    "a@b.c",
    "a@b",
    "23:59",
    "24:00",
    "07:30:15",
    "مكة",
    "abc",
    "xx",
    "xxyy",
    "x",
    "ababab",
    "12.5",
    "12.567",
    "a\nb",
]


@pytest.mark.parametrize("pattern", UNSAFE)
def test_unsafe_patterns_are_left_out(pattern: str) -> None:
    assert html_pattern(pattern) is None


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_html_patterns_compile_with_the_v_flag_and_mean_the_same() -> None:
    """What the browser does with the attribute (JavaScript, v flag, whole value) agrees with what
    JSON Schema means (search anywhere) on every sample."""
    attributes = [html_pattern(p) for p in PATTERNS]
    assert all(a is not None for a in attributes)
    script = (
        "const [pats, samples] = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(pats.map(p => { const r = new RegExp('^(?:' + p + ')$', 'v');"
        " return samples.map(s => r.test(s)); })));"
    )
    run = subprocess.run(
        ["node", "-e", script],
        input=json.dumps([attributes, SAMPLES]),
        capture_output=True,
        text=True,
        check=True,
    )
    browser = json.loads(run.stdout)
    for pattern, results in zip(PATTERNS, browser, strict=True):
        for sample, matched in zip(SAMPLES, results, strict=True):
            if "\n" in sample:
                continue  # single-line inputs never hold a newline
            expected = re.search(pattern, sample) is not None
            assert matched == expected, (pattern, sample)


@pytest.mark.parametrize("lang", LANGS)
def test_enum_is_a_select_with_an_empty_choice(lang: str) -> None:
    doc = doc_of(BY_NAME["enum"].form(), lang=lang)
    options = one(doc, "select#f-size").css("option")
    assert [(attr(o, "value"), text(o)) for o in options] == [
        ("", "اختر…" if lang == "ar" else "Choose…"),
        ("small", "small"),
        ("large", "large"),
    ]


@pytest.mark.parametrize(
    ("lang", "labels"), [("ar", ["تقاعد", "استقالة"]), ("en", ["Retirement", "Resignation"])]
)
def test_one_of_const_labels_in_the_page_language(lang: str, labels: list[str]) -> None:
    form = BY_NAME["one_of_const"].form()
    select = one(doc_of(form, lang=lang), "select#f-reason")
    options = select.css("option")
    assert attr(options[0], "value") == "", "an unanswered select offers an empty choice"
    assert [text(o) for o in options[1:]] == labels
    assert attr(select, "required") is not None
    answered = one(doc_of(form, data={"reason": "resignation"}, lang=lang), "select#f-reason")
    assert [attr(o, "value") for o in answered.css("option[selected]")] == ["resignation"]
    assert "" not in [attr(o, "value") for o in answered.css("option")]


def test_any_of_const_is_a_select_typed_by_its_consts() -> None:
    form = BY_NAME["any_of_const"].form()
    select = one(doc_of(form, lang="en", data={"level": 2}), "select#f-level")
    assert [(attr(o, "value"), text(o)) for o in select.css("option")][1:] == [
        ("1", "First"),
        ("2", "Second"),
    ]
    assert [attr(o, "value") for o in select.css("option[selected]")] == ["2"]


@pytest.mark.parametrize("lang", LANGS)
def test_radios_sit_in_a_fieldset_with_a_legend(lang: str) -> None:
    form = BY_NAME["radio"].form()
    doc = doc_of(form, lang=lang)
    radios = doc.css('input[name="urgency"]')
    assert [attr(r, "type") for r in radios] == ["radio", "radio"]
    assert attr(radios[0], "id") == "f-urgency", "the summary links to the first radio"
    assert [label_of(doc, r) for r in radios] == (
        ["عادية", "عاجلة"] if lang == "ar" else ["Normal", "Urgent"]
    )
    fieldset = one(doc, "#f-urgency-field fieldset")
    assert text(fieldset.css_first("legend")).startswith("درجة الأهمية" if lang == "ar" else "Urgency")
    assert attr(fieldset, "aria-describedby") == "f-urgency-help"
    answers = doc.css('input[name="answer"]')
    assert [(attr(a, "value"), label_of(doc, a)) for a in answers] == (
        [("true", "نعم"), ("false", "لا")] if lang == "ar" else [("true", "Yes"), ("false", "No")]
    )


def test_numbers_carry_min_max_and_step() -> None:
    doc = doc_of(BY_NAME["numbers"].form())
    quantity, above = one(doc, "#f-quantity"), one(doc, "#f-above")
    ratio, price = one(doc, "#f-ratio"), one(doc, "#f-price")
    assert [attr(quantity, k) for k in ("type", "min", "max", "step", "inputmode")] == [
        "number",
        "1",
        "10",
        "1",
        "numeric",
    ]
    assert attr(above, "min") == "1", "exclusiveMinimum 0 for an integer"
    assert [attr(ratio, k) for k in ("min", "max", "step", "inputmode")] == ["0", "1", "any", "decimal"]
    assert attr(price, "step") == "0.25"
    assert attr(quantity, "dir") == "ltr"


def test_booleans_are_checkboxes() -> None:
    form = BY_NAME["boolean"].form()
    doc = doc_of(form, data={"newsletter": True, "agree": False}, lang="en")
    newsletter, agree = one(doc, "#f-newsletter"), one(doc, "#f-agree")
    assert (attr(newsletter, "type"), attr(newsletter, "value")) == ("checkbox", "true")
    assert attr(newsletter, "checked") is not None and attr(agree, "checked") is None
    assert attr(newsletter, "required") is None, "an unticked box is an answer"
    assert attr(agree, "required") is not None, "a box that must be ticked (const true)"
    assert label_of(doc, agree) == "I agree to the terms (required)"


def test_array_of_choices_is_checkboxes() -> None:
    form = BY_NAME["checkboxes"].form()
    doc = doc_of(form, data={"kinds": ["broadcasting"]}, lang="en")
    boxes = doc.css('input[name="kinds"]')
    assert [(attr(b, "type"), attr(b, "value"), label_of(doc, b)) for b in boxes] == [
        ("checkbox", "filming", "Filming"),
        ("checkbox", "recording", "Recording"),
        ("checkbox", "broadcasting", "Broadcasting"),
    ]
    assert [attr(b, "value") for b in doc.css('input[name="kinds"][checked]')] == ["broadcasting"]
    assert text(one(doc, "#f-kinds-field legend")) == "Kind of documentation (required)"


def group_form() -> Form:
    return BY_NAME["group"].form()


def test_group_rows_names_and_buttons() -> None:
    doc = doc_of(group_form(), lang="en")
    group = one(doc, "fieldset#f-items[data-group='/items']")
    rows = group.css("[data-group-row]")
    assert len(rows) == 1, "minItems rows at least"
    assert [attr(n, "name") for n in rows[0].css("input")] == ["items[0][item]", "items[0][quantity]"]
    assert text(rows[0].css_first("legend")) == "Item 1"
    assert rows[0].css("button") == [], "no remove below minItems"
    add = one(group, "button[data-group-add]")
    assert (attr(add, "type"), attr(add, "name"), attr(add, "value")) == ("submit", "_group", "add:/items/1")
    assert attr(add, "formnovalidate") is not None
    assert text(add) == "Add an item"


def test_group_add_and_remove_without_javascript() -> None:
    form = group_form()
    html = render(form, {"items": [{"item": "قلم", "quantity": 3}]})
    add = one(parse(html), "button[data-group-add]")
    # add: the page comes back with one more row, everything typed kept
    post = serialize(html, clicked=("_group", attr(add, "value") or ""))
    data = coerce(form, post)
    assert data == {"items": [{"item": "قلم", "quantity": 3}, {}]}
    html = render(form, data)
    doc = parse(html)
    assert len(doc.css("[data-group-row]")) == 2
    assert attr(one(doc, 'input[name="items[0][item]"]'), "value") == "قلم"
    assert attr(one(doc, 'input[name="items[1][item]"]'), "value") == ""
    # fill the second row, add a third: maxItems 3 reached, no more add button
    post = serialize(html, clicked=("_group", "add:/items/2"))
    post["items[1][item]"], post["items[1][quantity]"] = ["ممحاة"], ["1"]
    html = render(form, coerce(form, post))
    doc = parse(html)
    assert len(doc.css("[data-group-row]")) == 3
    assert doc.css("button[data-group-add]") == []
    removes = doc.css("button[data-group-remove]")
    assert [attr(b, "value") for b in removes] == ["remove:/items/0", "remove:/items/1", "remove:/items/2"]
    assert "(Item 1)" in text(removes[0]) or "(صنف 1)" in text(removes[0]), "each remove names its row"
    # remove the first row: the others move up
    data = coerce(form, serialize(html, clicked=("_group", "remove:/items/0")))
    assert data == {"items": [{"item": "ممحاة", "quantity": 1}, {}]}
    # a plain submission drops the empty row
    assert coerce(form, serialize(render(form, data))) == {"items": [{"item": "ممحاة", "quantity": 1}]}


def test_group_errors_map_to_the_row_field() -> None:
    form = group_form()
    data, errors = submit(form, BY_NAME["group"].invalid)
    doc = doc_of(form, data=data, errors=errors, lang="en")
    quantity = one(doc, 'input[name="items[0][quantity]"]')
    assert attr(quantity, "aria-invalid") == "true"
    assert "f-items-0-quantity-error" in (attr(quantity, "aria-describedby") or "")
    summary = [text(li) for li in one(doc, "[data-error-summary]").css("li")]
    assert summary[0] == "Quantity (Item 1): Enter a value of at least 1"
    assert [attr(a, "href") for a in one(doc, "[data-error-summary]").css("a")] == [
        "#f-items-0-quantity",
        "#f-items-1-item",
        "#f-items-1-quantity",
    ]
    too_few = [FieldError(path="/items", message=Text(ar="أضف عنصراً", en="Add at least 1 item(s)"))]
    doc = doc_of(form, data={}, errors=too_few, lang="en")
    assert text(one(doc, "#f-items-error")) == "Error: Add at least 1 item(s)"
    assert attr(one(doc, "fieldset#f-items"), "aria-describedby") == "f-items-error"


def test_group_htmx_hooks() -> None:
    doc = doc_of(group_form(), hx_url="/forms/fields")
    add = one(doc, "button[data-group-add]")
    assert (attr(add, "hx-post"), attr(add, "hx-target"), attr(add, "hx-swap")) == (
        "/forms/fields",
        "#f-items",
        "outerHTML",
    )
    assert one(doc, "button[data-default-submit]"), "Enter submits the form, not a group button"


@pytest.mark.parametrize(("lang", "marker"), [("ar", "(مطلوب)"), ("en", "(required)")])
def test_required_is_marked_in_text(lang: str, marker: str) -> None:
    doc = doc_of(BY_NAME["required"].form(), lang=lang)
    assert label_of(doc, one(doc, "#f-name")).endswith(marker)
    assert attr(one(doc, "#f-name"), "required") is not None
    assert marker not in label_of(doc, one(doc, "#f-note"))
    assert attr(one(doc, "#f-note"), "required") is None


def test_defaults_fill_a_fresh_form_only() -> None:
    form = BY_NAME["default"].form()
    doc = doc_of(form)
    assert attr(one(doc, "#f-copies"), "value") == "2"
    assert [attr(o, "value") for o in one(doc, "#f-colour").css("option[selected]")] == ["blue"]
    assert attr(one(doc, "#f-notify"), "checked") is not None
    doc = doc_of(form, data={"notify": False})
    assert attr(one(doc, "#f-copies"), "value") == "", "a value the user cleared stays cleared"
    assert attr(one(doc, "#f-notify"), "checked") is None


def test_read_only_fields() -> None:
    form = BY_NAME["read_only"].form()
    doc = doc_of(form, data={"name": "هند"})
    reference = one(doc, "#f-reference")
    assert attr(reference, "readonly") is not None and attr(reference, "value") == "REF-1"
    assert attr(one(doc, "select#f-office"), "disabled") is not None
    assert serialize(doc)["office"] == ["north"], "a disabled select's value travels in a hidden input"


@pytest.mark.parametrize("lang", LANGS)
def test_help_and_placeholder(lang: str) -> None:
    doc = doc_of(BY_NAME["help"].form(), lang=lang)
    node = one(doc, "#f-employee_id")
    assert attr(node, "aria-describedby") == "f-employee_id-help"
    assert text(one(doc, "#f-employee_id-help")) == ("أرقام فقط" if lang == "ar" else "Digits only")
    assert attr(node, "placeholder") == ("مثال: 100234" if lang == "ar" else "e.g. 100234")
    assert text(one(doc, "#f-remarks-help")) == "Anything else."


def test_ref_to_defs_is_followed() -> None:
    doc = doc_of(BY_NAME["ref_defs"].form(), lang="en")
    assert text(one(doc, "fieldset#f-home legend")) == "Home (required)"
    assert attr(one(doc, "#f-home-city"), "name") == "home[city]"
    assert attr(one(doc, "#f-work-city"), "required") is None, "work is optional"
    assert [text(o) for o in one(doc, "select#f-campus").css("option")] == [
        "Choose…",
        "Al-Abdiyah",
        "Al-Zaher",
    ]


def test_if_then_else_fields_appear_when_their_condition_holds() -> None:
    form = BY_NAME["if_then_else"].form()
    doc = doc_of(form, lang="en")
    assert doc.css("#f-company_name") == []
    assert doc.css("#f-national_id"), "the else branch holds while kind is unanswered"
    assert "conditional-trigger" in (attr(one(doc, "#f-kind"), "class") or "")
    details = one(doc, "#f-details")
    assert attr(details, "required") is None
    doc = doc_of(form, data={"kind": "company", "reason": "other"}, lang="en")
    company = one(doc, "#f-company_name")
    assert attr(company, "required") is not None
    assert attr(one(doc, "#f-company_name-field"), "data-conditional") is not None
    assert doc.css("#f-national_id") == []
    assert attr(one(doc, "#f-details"), "required") is not None, "then.required marks an existing field"
    assert label_of(doc, one(doc, "#f-details")) == "Details (required)"
    # with HTMX, a change of a trigger re-renders the fields
    doc = doc_of(form, lang="en", hx_url="/x/fields")
    kind = doc.css('input[name="kind"]')[0]
    assert (attr(kind, "hx-post"), attr(kind, "hx-target")) == ("/x/fields", "#kh-if_then_else-fields")
    assert attr(one(doc, "[data-form-fields]"), "id") == "kh-if_then_else-fields"


def test_dependent_required_and_schemas() -> None:
    form = BY_NAME["dependent"].form()
    doc = doc_of(form, lang="en")
    assert attr(one(doc, "#f-phone_kind"), "required") is None
    assert attr(one(doc, "#f-phone_kind-field"), "data-conditional") is not None
    assert doc.css("#f-plate") == []
    doc = doc_of(form, data={"phone": "0550000000", "has_car": True}, lang="en")
    assert attr(one(doc, "#f-phone_kind"), "required") is not None
    assert attr(one(doc, "#f-plate"), "required") is not None
    view = build_form(form, data={"phone": "0550000000"}, lang="en")
    flags = {f.name: (f.conditional, f.visible, f.trigger) for f in view.walk()}
    assert flags == {
        "phone": (False, True, True),
        "phone_kind": (True, True, False),
        "has_car": (False, True, True),
    }


def test_file_fields() -> None:
    form = BY_NAME["file"].form()
    view = build_form(form, data=None, lang="en")
    assert view.multipart
    doc = doc_of(form, lang="en")
    upload = one(doc, "#f-document")
    assert (attr(upload, "type"), attr(upload, "accept")) == ("file", "application/pdf,image/*")
    assert attr(upload, "required") is not None
    doc = doc_of(form, data={"document": "att-42"}, files={"att-42": "plan.pdf"}, lang="en")
    assert text(one(doc, "#f-document-current")).startswith("Attached file: plan.pdf")
    assert attr(one(doc, "#f-document"), "required") is None, "already uploaded"
    assert serialize(doc) == {"document": ["att-42"]}, "the attachment is kept by a hidden input"
    assert "f-document-current" in (attr(one(doc, "#f-document"), "aria-describedby") or "")
    assert not build_form(BY_NAME["required"].form(), data=None, lang="ar").multipart


@pytest.mark.parametrize("lang", LANGS)
def test_definition_text_is_escaped(lang: str) -> None:
    form = BY_NAME["script_title"].form()
    view = build_form(form, data=None, lang=lang)
    assert view.title == "<script>alert('title')</script>"
    html = render(form, lang=lang)
    doc = parse(html)
    assert doc.css("script, b, i, img") == []
    label = label_of(doc, one(doc, "#f-q"))
    assert label.startswith(f"<script>alert('{lang}')</script>")
    assert text(one(doc, "#f-q-help")) == ("<b>مساعدة</b>" if lang == "ar" else "<b>help</b>")
    assert attr(one(doc, "#f-q"), "placeholder") == '"><img src=x onerror=alert(1)>'
    option = one(doc, "select#f-pick").css("option")[1]
    assert (attr(option, "value"), text(option)) == (
        "<i>x</i>",
        "<i>خيار</i>" if lang == "ar" else "<i>option</i>",
    )
    data, errors = submit(form, {"q": ["<script>x</script>"]})
    doc = doc_of(form, data=data, errors=errors, lang=lang)
    assert doc.css("script") == [] and attr(one(doc, "#f-q"), "value") == "<script>x</script>"


def test_escaping_holds_in_an_environment_without_autoescape() -> None:
    plain = jinja2.Environment(loader=jinja2.FileSystemLoader(shipped_root() / "templates"), autoescape=False)
    view = build_form(BY_NAME["script_title"].form(), data=None, lang="en")
    html = str(render_form_fields(view, plain))
    assert parse(html).css("script") == []
    assert "&lt;script&gt;" in html


def test_form_level_and_unknown_errors_go_to_the_summary_only() -> None:
    form = BY_NAME["required"].form()
    errors = [
        FieldError(path="", message=Text(ar="أكمل أحد الخيارات", en="Complete one of the alternatives")),
        FieldError(path="/name", message=Text(ar="هذا الحقل مطلوب", en="This field is required")),
        FieldError(path="/ghost", message=Text(ar="حقل غير موجود", en="This field is not part of the form")),
    ]
    view = build_form(form, data={}, errors=errors, lang="en")
    assert view.error_summary == [
        ("", "", "Complete one of the alternatives"),
        ("", "", "This field is not part of the form"),
        ("f-name", "Name", "This field is required"),
    ]
    doc = parse(str(render_error_summary(view, ENV)))
    assert [attr(a, "href") for a in doc.css("a")] == ["#f-name"]
    assert text(one(doc, "h2")) == "There is a problem"
    assert "data-error-summary" not in str(render_form_fields(view, ENV)), "the page places the summary"


def test_name_prefix_nests_names_and_ids() -> None:
    form = BY_NAME["nested_object"].form()
    doc = doc_of(form, name_prefix="action")
    assert attr(one(doc, "#f-action-address-city"), "name") == "action[address][city]"
    post = {"action[name]": ["سارة"], "action[address][city]": ["مكة"], "name": ["x"]}
    assert coerce(form, post, name_prefix="action") == {"name": "سارة", "address": {"city": "مكة"}}


def test_partials_render_one_field_or_group() -> None:
    form = group_form()
    view = build_form(form, data=None, lang="en")
    group = parse(str(render_group(view, ENV, "/items")))
    assert len(group.css("fieldset[data-group='/items']")) == 1
    quantity = view.find("/items/0/quantity")
    assert quantity is not None
    field = parse(str(render_field(quantity, ENV)))
    assert attr(one(field, "input"), "name") == "items[0][quantity]"
    with pytest.raises(KeyError):
        render_group(view, ENV, "/nothing")


def test_runtime_choices_for_department_members() -> None:
    form = Form(
        id="delegation",
        title=Text(ar="إسناد", en="Delegation"),
        schema={
            "type": "object",
            "properties": {
                "assignee": {
                    "type": "string",
                    "x-widget": "select",
                    "x-department-member": True,
                    "x-title": {"ar": "الموظف", "en": "Staff member"},
                }
            },
        },
    )
    view = build_form(
        form, data={"assignee": "u2"}, lang="en", choices={"/assignee": [("u1", "Aisha"), ("u2", "Omar")]}
    )
    select = one(parse(str(render_form_fields(view, ENV))), "select#f-assignee")
    assert [(attr(o, "value"), text(o)) for o in select.css("option[selected]")] == [("u2", "Omar")]
    assert attr(select, "data-department-member") is not None


# --- the shipped forms -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    result = load_tree(shipped_root())
    assert result.catalogue is not None, [str(e) for e in result.errors]
    return result.catalogue


def test_every_shipped_form_renders_in_both_languages(catalogue: Catalogue) -> None:
    assert len(catalogue.services) == 9
    for form in catalogue.forms.values():
        for lang in LANGS:
            view = build_form(form, data=None, lang=lang)
            assert isinstance(view, FormView) and view.title == form.title.get(lang)
            doc = parse(str(render_form_fields(view, ENV)))
            check_accessible(doc)
            assert doc.css("input, select, textarea"), form.id


def test_every_shipped_example_round_trips(catalogue: Catalogue) -> None:
    checked = 0
    for form in catalogue.forms.values():
        members = [n for n, p in form.schema["properties"].items() if p.get("x-department-member")]
        for example in form.schema.get("examples") or ():
            # the department's members are known at run time; here, the example's own
            choices = {f"/{n}": [(example[n], "Staff member")] for n in members if n in example}
            for lang in LANGS:
                post = serialize(render(form, example, lang=lang, choices=choices))
                data, errors = submit(form, post)
                assert errors == [], (form.id, errors)
                assert apply_defaults(form, data) == apply_defaults(form, example), form.id
                checked += 1
    assert checked >= 2 * len(catalogue.services)


def test_shipped_service_forms_features(catalogue: Catalogue) -> None:
    supplies = catalogue.services["supplies"].form
    view = build_form(supplies, data=None, lang="ar")
    assert view.multipart and view.has_groups
    doc = parse(str(render_form_fields(view, ENV)))
    mobile = one(doc, "#f-contact_mobile")
    assert attr(mobile, "pattern") == "^(05[0-9]{8}|\\+?[1-9][0-9]{7,14})$"
    assert attr(mobile, "autocomplete") == "tel"
    phone = catalogue.services["phone"].form
    doc = parse(str(render_form_fields(build_form(phone, data=None, lang="ar", autocomplete=False), ENV)))
    assert attr(one(doc, "#f-full_name"), "pattern") is None, "an unescaped '-' in a class"
    assert doc.css("[autocomplete]") == [], "staff entering a caller's details get no autofill"
    maintenance = catalogue.services["maintenance"].form
    doc = parse(render(maintenance, {"device_type": "other"}, lang="en"))
    assert attr(one(doc, "#f-device_type_other"), "required") is not None
    assert "conditional-trigger" in (attr(one(doc, "#f-device_type"), "class") or "")


def test_focus_goes_to_the_row_added_or_to_add_after_a_removal() -> None:
    form = group_form()
    post = {"items[0][item]": ["قلم"], "items[0][quantity]": ["3"], "_group": ["add:/items/1"]}
    view = build_form(form, data=coerce(form, post), lang="ar", hx_url="/x/fields")
    group = view.focus_after(("add", "/items", 1))
    assert group is not None and group.pointer == "/items"
    doc = parse(str(render_group(group, ENV)))
    assert [attr(n, "name") for n in doc.css("[autofocus]")] == ["items[1][item]"]
    assert attr(one(doc, "button[data-group-add]"), "hx-target") == "#f-items"
    view = build_form(form, data={"items": [{"item": "قلم"}]}, lang="ar")
    removed = view.focus_after(("remove", "/items", 1))
    assert removed is not None
    focused = parse(str(render_group(removed, ENV))).css("[autofocus]")
    assert len(focused) == 1 and "data-group-add" in focused[0].attributes
    assert view.focus_after(("add", "/nothing", 0)) is None


def test_free_text_inputs_follow_the_direction_typed() -> None:
    doc = doc_of(group_form(), lang="en")
    assert attr(one(doc, 'input[name="items[0][item]"]'), "dir") == "auto"


def test_an_empty_apply_form_is_rendered_once_per_compiled_service_and_language(catalogue: Catalogue) -> None:
    """``server/requests/fresh_forms.py``: the page of an empty form reuses its fields; a page with
    data, errors or another compiled object (a new version) is rendered afresh."""
    compiled = catalogue.services["inquiries"]
    first = _apply_page(compiled, None, lang="ar", channel="web")
    again = _apply_page(compiled, None, lang="ar", channel="web")
    assert again.fields is first.fields  # the kept rendering
    assert again.idempotency_key != first.idempotency_key  # the page's own parts are new
    english = _apply_page(compiled, None, lang="en", channel="web")
    assert english.fields is not first.fields and 'lang="en"' not in str(first.fields)
    assert first.title == build_form(compiled.form, data=None, lang="ar").title
    typed = _apply_page(compiled, None, lang="ar", channel="web", data={"subject": "x"})
    assert typed.fields is not first.fields and 'value="x"' in str(typed.fields)
    newer = msgspec.structs.replace(compiled)  # what compiling a new published version gives: another object
    assert _apply_page(newer, None, lang="ar", channel="web").fields is not first.fields
    assert str(_apply_page(newer, None, lang="ar", channel="web").fields) == str(first.fields)
