"""Hostile definitions and templates (issue 10): each is refused at load with its file and pointer, or
answered 4xx, and the work it causes is bounded — counted in steps, nodes, iterations and characters,
never timed."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from server.cli import main
from server.definitions import bounds, forms
from server.definitions.loader import load_sources
from server.definitions.model import Form, Text
from server.definitions.sandbox import MAX_ITERATIONS, MAX_RENDERED, Budget, Namespace
from server.definitions.texts import TemplateProblem, compile_template, render_bounded
from server.engine.model import Actor
from server.i18n import MESSAGES
from server.store.open import open_any
from server.tickets.service import Created, TicketService
from server.validation import compiled, message_for, validate
from server.working_time import WorkingCalendar
from tests.definition_trees import minimal_files, t, write_tree
from tests.test_requester_pages import login
from tests.web import client_for, csrf_of, html

FORM = "form_schemas/request.json"
REPLY = "form_schemas/reply.json"
WF = "workflows/request.json"
Files = dict[str, Any]

PAREN_BOMB = "(" * 500
PYTHON_END = r"^(\w+\s?)+\Z"  # the issue's pattern: Python's \Z, a nested quantifier
TOO_LONG = "a" * (bounds.MAX_PATTERN_LENGTH + 1)


def doubling(levels: int) -> dict[str, Any]:
    """$defs d0 … dN, each allOf two references to the next: 2^N nodes once inlined."""
    defs: dict[str, Any] = {
        f"d{i}": {"allOf": [{"$ref": f"#/$defs/d{i + 1}"}, {"$ref": f"#/$defs/d{i + 1}"}]}
        for i in range(levels)
    }
    defs[f"d{levels}"] = {"type": "string", "minLength": 1}
    return defs


def texts(files: Files) -> dict[str, str]:
    return {
        path: doc if isinstance(doc, str) else json.dumps(doc, ensure_ascii=False)
        for path, doc in files.items()
    }


def refusals(files: Files) -> set[tuple[str, str, str]]:
    result = load_sources(texts(files))
    assert result.catalogue is None
    return {(e.file, e.pointer, e.code) for e in result.errors}


def employee(f: Files) -> dict[str, Any]:
    node: dict[str, Any] = f[FORM]["properties"]["employee_id"]
    return node


# --- where a pattern can be written: every place, every hostile pattern -------------------------------


def in_field(f: Files, p: str) -> tuple[str, str]:
    employee(f)["pattern"] = p
    return FORM, "/properties/employee_id/pattern"


def in_group_item(f: Files, p: str) -> tuple[str, str]:
    f[FORM]["properties"]["rows"] = {
        "type": "array",
        "x-title": t("بنود", "Rows"),
        "items": {
            "type": "object",
            "properties": {"code": {"type": "string", "x-title": t("رمز", "Code"), "pattern": p}},
        },
    }
    return FORM, "/properties/rows/items/properties/code/pattern"


def in_pattern_properties(f: Files, p: str) -> tuple[str, str]:
    f[FORM]["patternProperties"] = {p: {"type": "string"}}
    return FORM, "/patternProperties/" + p.replace("~", "~0").replace("/", "~1")


def in_property_names(f: Files, p: str) -> tuple[str, str]:
    f[FORM]["propertyNames"] = {"pattern": p}
    return FORM, "/propertyNames/pattern"


def in_defs(f: Files, p: str) -> tuple[str, str]:
    f[FORM]["$defs"] = {"code": {"type": "string", "pattern": p}}
    employee(f)["$ref"] = "#/$defs/code"
    return FORM, "/$defs/code/pattern"


def in_action_form(f: Files, p: str) -> tuple[str, str]:
    f[REPLY]["properties"]["reply"]["pattern"] = p
    return REPLY, "/properties/reply/pattern"


def in_inline_action_form(f: Files, p: str) -> tuple[str, str]:
    f[WF]["actions"]["answer"]["form"] = {
        "type": "object",
        "x-title": t("رد", "Reply"),
        "required": ["reply", "outcome"],
        "properties": {
            "reply": {"type": "string", "x-title": t("الرد", "Reply"), "pattern": p},
            "outcome": {
                "type": "string",
                "enum": ["done", "unavailable"],
                "x-title": t("النتيجة", "Outcome"),
            },
        },
    }
    return WF, "/actions/answer/form/properties/reply/pattern"


PLACES = [
    in_field,
    in_group_item,
    in_pattern_properties,
    in_property_names,
    in_defs,
    in_action_form,
    in_inline_action_form,
]
HOSTILE = {
    "paren_bomb": PAREN_BOMB,
    "python_end": PYTHON_END,
    "too_long": TOO_LONG,
    "unclosed": "([0-9",
    "nested_quantifier": "^(a+)+$",  # linear on the server; refused for the browsers that read it
}


@pytest.mark.parametrize("place", PLACES, ids=lambda p: p.__name__)
@pytest.mark.parametrize("pattern", list(HOSTILE.values()), ids=list(HOSTILE))
def test_a_pattern_that_is_not_linear_time_is_refused_wherever_it_is_written(
    place: Callable[[Files, str], tuple[str, str]], pattern: str
) -> None:
    files = minimal_files()
    file, ptr = place(files, pattern)
    assert (file, ptr, "unsafe_pattern") in refusals(files)


def test_the_reason_says_what_to_write_instead() -> None:
    files = minimal_files()
    in_field(files, PYTHON_END)
    result = load_sources(texts(files))
    (error,) = [e for e in result.errors if e.code == "unsafe_pattern"]
    assert "write ^ and $" in error.message and str(error).startswith(
        f"{FORM}#/properties/employee_id/pattern:"
    )
    assert [e.message for e in refusals_of(PAREN_BOMB)] == [
        f"the pattern nests groups more than {bounds.MAX_GROUP_DEPTH} deep"
    ]


def refusals_of(pattern: str) -> list[Any]:
    files = minimal_files()
    in_field(files, pattern)
    return [e for e in load_sources(texts(files)).errors if e.code == "unsafe_pattern"]


@pytest.mark.parametrize("pattern", [r"^(\w+\s?)+$", r"(?<=a)b", r"^(a)\1$", r"^\p{L}+$"])
def test_patterns_that_run_linear_or_under_a_step_budget_load(pattern: str) -> None:
    files = minimal_files()
    in_field(files, pattern)
    assert load_sources(texts(files)).errors == []


@pytest.fixture
def no_python_re(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Counts (and refuses) every use of Python's re by the submission path."""
    calls: list[str] = []

    def refuse(name: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            raise AssertionError(f"re.{name} on a submission")

        return call

    for name in ("search", "match", "fullmatch", "compile"):
        monkeypatch.setattr(re, name, refuse(name))
    yield calls


def form(properties: dict[str, Any], **extra: Any) -> Form:
    return Form(
        id="f",
        title=Text(ar="ن", en="F"),
        schema={"type": "object", "properties": properties, **extra},
    )


def test_no_submission_reaches_python_re(no_python_re: list[str]) -> None:
    catastrophic = form(
        {"name": {"type": "string", "pattern": r"^(\w+\s?)+$"}},
        patternProperties={"^(a+)+$": {"type": "string"}},
    )
    hostile = {"name": "a" * 40 + "!", "a" * 40 + "!": "x"}
    assert {e.path for e in validate(catastrophic, hostile)} == {"/name", "/" + "a" * 40 + "!"}
    assert compiled(catastrophic).engine == "jsonschema-rs"
    # a form the loader would refuse (Python's \Z) accepts nothing rather than backtrack
    python_end = form({"name": {"type": "string", "pattern": PYTHON_END}})
    assert validate(python_end, {"name": "a" * 40 + "!"}) == [validate_refusal()]
    assert no_python_re == []


def validate_refusal() -> Any:
    from server.validation import FieldError

    return FieldError(path="", message=message_for(""))


# --- $ref / allOf expansion ----------------------------------------------------------------------------


def test_a_ref_doubling_schema_is_refused_in_steps_linear_in_its_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    files = minimal_files()
    files[FORM]["$defs"] = doubling(18)
    employee(files)["$ref"] = "#/$defs/d0"
    assert len(json.dumps(files[FORM])) < 5_000  # the issue's 4.6 KB schema, 2^18 nodes once inlined

    walked = 0
    original = forms._property_sources

    def counting(schema: Any, node: Any) -> Iterator[Any]:
        nonlocal walked
        walked += 1
        yield from original(schema, node)

    monkeypatch.setattr(forms, "_property_sources", counting)
    found = refusals(files)
    assert any(
        file == FORM and code == "schema_too_large" and ptr.startswith("/$defs/d")
        for file, ptr, code in found
    )
    assert walked < 100  # the other forms only: the bomb is refused before the field analysis walks it

    expansion = bounds._Expansion(files[FORM])
    with pytest.raises(bounds._TooLarge):
        expansion.size(files[FORM], (), 0)
    assert expansion.steps < 200  # each $defs entry measured once, not 2^18 times


def test_an_inline_action_form_is_bounded_like_a_form_file() -> None:
    files = minimal_files()
    in_inline_action_form(files, "^[a-z]+$")
    assert load_sources(texts(files)).errors == []
    files[WF]["actions"]["answer"]["form"]["$defs"] = doubling(18)
    files[WF]["actions"]["answer"]["form"]["properties"]["reply"]["$ref"] = "#/$defs/d0"
    assert any(
        file == WF and code == "schema_too_large" and ptr.startswith("/actions/answer/form/$defs/d")
        for file, ptr, code in refusals(files)
    )


def test_a_form_below_the_bound_loads_and_is_measured() -> None:
    files = minimal_files()
    files[FORM]["$defs"] = doubling(4)
    employee(files)["$ref"] = "#/$defs/d0"
    assert load_sources(texts(files)).errors == []
    size, steps = bounds.expanded_size(files[FORM])
    assert 2**4 < size < bounds.MAX_EXPANDED_NODES and steps < 100


@pytest.mark.parametrize("ref", ["#", "#/properties/employee_id"])
def test_a_recursive_reference_is_measured_once_and_every_walk_ends(ref: str) -> None:
    """Issue 13: a schema that refers back to one containing it is standard JSON Schema (a tree); it
    loads, and the field analysis and the renderer stop where it recurs."""
    from server.definitions.model import Form, Text
    from server.forms import build_form

    files = minimal_files()
    employee(files)["$ref"] = ref
    employee(files)["type"] = "object"
    employee(files)["properties"] = {"employee_id": {"$ref": ref}}
    assert load_sources(texts(files)).errors == []
    form = Form(id="f", title=Text(ar="ن", en="F"), schema=files[FORM])
    assert "employee_id" in forms.fields(files[FORM])
    build_form(form, data=None, lang="en")  # ends (MAX_DEPTH), whatever it shows


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"$ref": "https://example.invalid/x.json"}, "/properties/employee_id/$ref"),
        ({"$ref": "#anchor"}, "/properties/employee_id/$ref"),
        ({"$dynamicRef": "#/$defs/x"}, "/properties/employee_id/$dynamicRef"),
    ],
)
def test_a_reference_the_bound_cannot_follow_is_refused(change: dict[str, Any], where: str) -> None:
    files = minimal_files()
    employee(files).update(change)
    assert (FORM, where, "bad_reference") in refusals(files)


def test_a_form_has_a_bounded_number_of_patterns_each_compiled_within_a_size() -> None:
    files = minimal_files()
    for i in range(bounds.MAX_PATTERNS + 5):
        files[FORM]["properties"][f"f{i}"] = {"type": "string", "pattern": f"^a{i}$", "x-title": t("س", "F")}
    assert (FORM, f"/properties/f{bounds.MAX_PATTERNS}/pattern", "unsafe_pattern") in refusals(files)
    assert refusals_of(r"\p{L}{1000}")[0].message.startswith("the pattern is not a regular expression")
    assert refusals_of(r"^\p{L}{20}$") == [] and refusals_of(r"^[\u0600-\u06FF ]{1,1000}$") == []


def test_a_chain_of_references_past_the_depth_is_refused() -> None:
    files = minimal_files()
    depth = bounds.MAX_REF_DEPTH + 2
    files[FORM]["$defs"] = {f"c{i}": {"$ref": f"#/$defs/c{i + 1}"} for i in range(depth)}
    files[FORM]["$defs"][f"c{depth}"] = {"type": "string"}
    employee(files)["$ref"] = "#/$defs/c0"
    assert any(code == "schema_too_large" for _f, _p, code in refusals(files))


def test_the_validator_refuses_to_compile_an_expanding_form_built_outside_the_loader() -> None:
    bomb = form({"x": {"$ref": "#/$defs/d0"}}, **{"$defs": doubling(20)})
    checked = compiled(bomb)
    assert checked.problem is not None and "schema nodes" in checked.problem
    assert validate(bomb, {"x": "a"}) == [validate_refusal()]


# --- the CLI: khidma check and khidma import -----------------------------------------------------------


def hostile_tree(root: Path, pattern: str) -> Path:
    files = minimal_files()
    in_group_item(files, pattern)
    return write_tree(root, files)


@pytest.mark.parametrize("pattern", [PAREN_BOMB, PYTHON_END])
def test_khidma_check_names_the_file_and_pointer_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], pattern: str
) -> None:
    assert main(["check", str(hostile_tree(tmp_path, pattern))]) == 1
    out = capsys.readouterr()
    assert f"{FORM}#/properties/rows/items/properties/code/pattern:" in out.err
    assert "[unsafe_pattern]" in out.err and "Traceback" not in out.err + out.out


def test_khidma_import_refuses_a_tree_with_an_unsafe_pattern(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = hostile_tree(tmp_path / "tree", PAREN_BOMB)
    assert main(["import", "--db", str(tmp_path / "k.db"), str(tree)]) == 1
    err = capsys.readouterr().err
    assert f"{FORM}#/properties/rows/items/properties/code/pattern" in err and "nothing was published" in err


# --- templates: refused at load, bounded when rendered for real ------------------------------------------


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("{{ ((9**64)**64)**64 }}", "2**1024"),
        ("{{ (9**64) * (9**64) * (9**64) * (9**64) * (9**64) * (9**64) }}", "2**1024"),
        ("{{ data.employee_id.center(100000000) }}", "larger than 1000"),
        ("{{ data.employee_id|center(100000000) }}", "larger than 1000"),
        ("{{ data.employee_id.ljust(100000000) }}", "larger than 1000"),
        ("{{ data.employee_id|indent(100000000) }}", "larger than 1000"),
        ("{{ '%0999999999d'|format(1) }}", "larger than 1000"),
        ("{{ '%0999999999d' % 1 }}", "larger than 1000"),
        ("{{ '{:>999999999}'.format(1) }}", "larger than 1000"),
        ("{{ 'x' * 100000000 }}", "too large"),
        ("{{ [1]|batch(100000000, 0)|list }}", "larger than 1000"),
        ("{% set x = 'ab' %}" + "{% set x = x ~ x %}" * 30 + "{{ x|length }}", "produces more than"),
        ("{% set x = ['ab'] %}" + "{% set x = [x, x] %}" * 30 + "{{ x }}", "longer than"),
    ],
)
def test_a_template_bomb_is_refused_at_load(template: str, reason: str) -> None:
    files = minimal_files()
    files[WF]["notifications"]["received"]["body"]["en"] = template
    result = load_sources(texts(files))
    found = [e for e in result.errors if e.pointer == "/notifications/received/body/en"]
    assert [e.code for e in found] == ["template_budget"] and reason in found[0].message


@pytest.mark.parametrize(
    "template",
    [
        "{% macro m(x) %}{{ m(x ~ x) }}{% endmacro %}{{ m('a') }}",
        "{% for x in [1] recursive %}{{ loop([x]) }}{% endfor %}",
    ],
)
def test_macros_and_recursive_loops_are_refused(template: str) -> None:
    with pytest.raises(TemplateProblem) as refused:
        compile_template(template)
    assert refused.value.code == "template_unsafe"


MESSAGE = ("كلمة word " * 400)[:4000]
NESTED = "{% for a in data.message %}{% for b in data.message %}{{ b }}{% endfor %}{% endfor %}"
WIDE = "{% for a in data.message %}{{ data.message }}{% endfor %}"


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        (NESTED, f"more than {MAX_ITERATIONS} times"),
        ("{% for a in data.message %}{% for b in data.message %}{% endfor %}{% endfor %}", "times"),
        (WIDE, f"more than {MAX_RENDERED} characters"),
        ("{{ data.message|replace('', data.message) }}", "replace would produce"),
        ("{{ data.message.join(data.message) }}", "join would produce"),
        ("{{ data.message|list|join(data.message) }}", "join would produce"),
        ("{{ ('{0}' * 1000).format(data.message) }}", "formatted text"),
        ("{{ data.message|list|map('center', 1000)|join }}", "produces more than"),
    ],
)
def test_a_real_render_on_a_long_message_stops_at_its_budget(template: str, reason: str) -> None:
    compiled_template, _refs = compile_template(template)
    text, cut = render_bounded(compiled_template, {"data": Namespace({"message": MESSAGE})})
    assert cut is not None and reason in cut
    assert len(text) <= MAX_RENDERED
    if template == NESTED:  # one character per iteration: stopped at the iteration budget
        assert len(text) < MAX_ITERATIONS


def test_the_budget_counts_per_render() -> None:
    loop, _refs = compile_template("{% for a in data.items %}{{ a }}{% endfor %}")
    for _ in range(3):  # three renders of 4,000 iterations each: no budget carried over
        text, cut = render_bounded(loop, {"data": Namespace({"items": ["x"] * 4000})})
        assert cut is None and text == "x" * 4000
    assert Budget().iterations == 0


def test_an_ordinary_template_renders_whole() -> None:
    template, _refs = compile_template(
        "{{ ticket.number }}: {% for i in data.rows %}{{ i.name|upper }} {% endfor %}"
        "{{ data.note|upper }} {{ '%-4s|'|format('ab') }} {{ '{0:>3}'.format(7) }} {{ 2 ** 10 }}"
        " {{ '%d SAR'|format(data.amount) }} {{ data.missing|default(5000, true) }} {{ '{:,}'.format(data.amount) }}"
    )
    rows = [Namespace({"name": "a"}), Namespace({"name": "b"})]
    data = Namespace({"rows": rows, "note": "a long note here", "amount": 250000, "missing": None})
    context = {"ticket": {"number": 7}, "data": data}
    assert render_bounded(template, context) == (
        "7: A B A LONG NOTE HERE ab  |   7 1024 250000 SAR 5000 250,000",
        None,
    )


async def test_a_notification_over_its_budget_is_recorded_cut_and_the_ticket_created(
    tmp_path: Path, store_db: str
) -> None:
    files = minimal_files()
    files[WF]["notifications"]["received"]["body"] = {
        "ar": NESTED.replace("message", "employee_id"),
        "en": WIDE.replace("message", "employee_id"),
    }
    catalogue = load_sources(texts(files)).catalogue
    assert catalogue is not None  # the trial render, on sample values, is within budget
    store = await open_any(store_db, tmp_path / "files")
    try:
        from tests.test_ticket_service import NOW, Clock

        await store.add_user(
            id="req-1",
            username="r",
            name="r",
            roles=["requester"],
            department=None,
            email="r@example.org",
            phone=None,
            now=NOW,
        )
        service = TicketService(
            store, WorkingCalendar.from_definition(catalogue.organisation.calendar), clock=Clock()
        )
        await service.publish_shipped(catalogue)
        requester = Actor(id="req-1", name="r", roles=frozenset({"requester"}))
        for lang in ("ar", "en"):
            created = await service.submit(
                "request",
                {"employee_id": MESSAGE},
                channel="web",
                actor=requester,
                requester_id="req-1",
                lang=lang,
            )
            assert isinstance(created, Created)
            (message,) = await store.list_outbox(created.ticket.id)
            note = MESSAGES["notification_cut"].get(lang)
            assert message.body.endswith(note) and len(message.body) <= MAX_RENDERED + len(note) + 2
    finally:
        await store.close()


# --- the editor: live check, save and publish answer every hostile case, never a 500 ------------------------


async def test_the_editor_shows_every_refusal_and_keeps_working(tmp_path: Path) -> None:
    en = {"accept-language": "en"}
    async with client_for(tmp_path) as client:
        runtime = client.app.state.runtime
        before = await runtime.store.latest_definition("inquiries")
        await login(client, "admin", ["administrator"])
        edit = await client.get("/admin/services/inquiries/edit", headers=en)
        boxes = {str(n.attributes["name"]): n.text() for n in html(edit.text).css("textarea")}
        form_key = next(k for k in boxes if k.startswith("file:form_schemas/inquiries"))
        workflow_key = next(k for k in boxes if k.startswith("file:workflows/"))
        form_doc = json.loads(boxes[form_key])
        first = next(iter(form_doc["properties"]))
        workflow = json.loads(boxes[workflow_key])
        template_name = next(iter(workflow["notifications"]))

        def with_pattern(p: str) -> dict[str, str]:
            doc = copy.deepcopy(form_doc)
            doc["properties"]["code"] = {"type": "string", "pattern": p, "x-title": {"ar": "ر", "en": "C"}}
            return {**boxes, form_key: json.dumps(doc, ensure_ascii=False)}

        def with_doubling() -> dict[str, str]:
            doc = copy.deepcopy(form_doc)
            doc["$defs"] = doubling(18)
            doc["properties"]["code"] = {"$ref": "#/$defs/d0", "x-title": {"ar": "ر", "en": "C"}}
            return {**boxes, form_key: json.dumps(doc, ensure_ascii=False)}

        def with_template(text: str) -> dict[str, str]:
            doc = copy.deepcopy(workflow)
            doc["notifications"][template_name]["body"]["en"] = text
            return {**boxes, workflow_key: json.dumps(doc, ensure_ascii=False)}

        cases = [
            (with_pattern(PAREN_BOMB), form_key, "/properties/code/pattern"),
            (with_pattern(PYTHON_END), form_key, "/properties/code/pattern"),
            (with_pattern("(" + "[]" * 40 + "x"), form_key, "/properties/code/pattern"),
            (with_doubling(), form_key, "/$defs/d"),
            (
                with_template("{{ ((9**64)**64)**64 }}"),
                workflow_key,
                f"/notifications/{template_name}/body/en",
            ),
        ]
        assert first
        for files, key, ptr in cases:
            page = await client.get("/admin/services/inquiries/edit", headers=en)
            hx = {**en, "hx-request": "true", "x-csrftoken": csrf_of(page.text)}
            live = await client.post("/admin/services/inquiries/check", data=files, headers=hx)
            assert live.status_code == 200
            listed = [(i.attributes.get("data-file"), i.text()) for i in html(live.text).css("li[data-file]")]
            assert listed, live.text[:500]
            data = {"_csrf_token": csrf_of(page.text), "note": "hostile", **files}
            saved = await client.post("/admin/services/inquiries/draft", data=data, headers=en)
            published = await client.post("/admin/services/inquiries/publish", data=data, headers=en)
            assert (saved.status_code, published.status_code) == (200, 422)
            items = html(published.text).css("#draft-errors li")
            path = key.removeprefix("file:")
            assert any(i.attributes["data-file"] == path for i in items), [i.text() for i in items]
            assert any(ptr in i.text() for i in items), [i.text() for i in items]
            again = await client.get("/admin/services/inquiries/edit", headers=en)  # the saved draft
            assert again.status_code == 200 and html(again.text).css("#draft-errors li")
        after = await runtime.store.latest_definition("inquiries")
    assert before is not None and after is not None and after.id == before.id


async def test_a_check_that_fails_unexpectedly_is_shown_never_a_500(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from server.admin import drafts

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(drafts, "load_sources", broken)
    async with client_for(tmp_path) as client:
        await login(client, "admin", ["administrator"])
        page = await client.get("/admin/services/inquiries/edit", headers={"accept-language": "en"})
    assert page.status_code == 200
    assert [li.attributes["data-code"] for li in html(page.text).css("#draft-errors li")] == ["check_failed"]


@pytest.mark.parametrize("pattern", [r"^(\w+\s?)+$", "^(a+)+$", r"^(x(a+))+$"])
def test_the_browser_never_gets_a_pattern_that_repeats_a_repeating_group(pattern: str) -> None:
    # the server runs these in linear time; a browser's backtracking engine would not
    from server.forms.patterns import html_pattern

    assert html_pattern(pattern) is None
    assert html_pattern(r"^(\+9665|05)[0-9]{8}$") == r"^(\+9665|05)[0-9]{8}$"
