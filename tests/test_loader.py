"""The loader: a minimal tree loads, and each kind of mistake is reported with file + pointer."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from server.definitions.loader import load_tree
from tests.definition_trees import minimal_files, t, write_tree

Files = dict[str, Any]
WF = "workflows/request.json"
SVC = "service_definitions/request.json"
FORM = "form_schemas/request.json"
ORG = "service_definitions/organisation.json"


def errors_of(tmp_path: Path, files: Files) -> set[tuple[str, str, str]]:
    result = load_tree(write_tree(tmp_path, files))
    return {(e.file, e.pointer, e.code) for e in result.errors}


def test_minimal_tree_loads(tmp_path: Path) -> None:
    result = load_tree(write_tree(tmp_path, minimal_files()))
    assert result.errors == []
    assert result.catalogue is not None
    compiled = result.catalogue.services["request"]
    assert set(compiled.guards) == {"no_custody", "was_unavailable"}
    assert compiled.action_forms["answer"].id == "reply"
    assert set(compiled.templates) == {"received", "closed"}


# --- one mutation per kind of mistake ------------------------------------------------------


def wf(files: Files) -> dict[str, Any]:
    doc: dict[str, Any] = files[WF]
    return doc


def action_into_missing_state(f: Files) -> None:
    wf(f)["actions"]["route"]["to"] = "nowhere"


def action_from_missing_state(f: Files) -> None:
    wf(f)["actions"]["route"]["from"] = ["received", "limbo"]


def unknown_role(f: Files) -> None:
    wf(f)["actions"]["route"]["who"][0]["role"] = "janitor"


def unknown_role_in_assignee(f: Files) -> None:
    wf(f)["states"]["received"]["assignee"]["role"] = "janitor"


def unknown_department_in_assignee(f: Files) -> None:
    wf(f)["states"]["received"]["assignee"]["department"] = "kitchen"


def missing_form_field_in_guard(f: Files) -> None:
    wf(f)["guards"]["no_custody"]["expr"] = 'lookup_sum("custody", data.staff_no, "quantity") == 0'


def guard_type_error(f: Files) -> None:
    wf(f)["guards"]["was_unavailable"]["expr"] = "vars.outcome + 1 == 2"


def guard_unknown_lookup_column(f: Files) -> None:
    wf(f)["guards"]["no_custody"]["expr"] = 'lookup_sum("custody", data.employee_id, "weight") == 0'


def lookup_key_not_a_field(f: Files) -> None:
    wf(f)["guards"]["no_custody"]["expr"] = 'lookup_sum("custody", lower("A"), "quantity") == 0'


def guard_eval_attempt(f: Files) -> None:
    wf(f)["guards"]["was_unavailable"]["expr"] = '__import__("os").system("true") == 0'


def unknown_guard(f: Files) -> None:
    wf(f)["actions"]["answer"]["guards"] = ["no_custody", "is_friday"]


def template_syntax_error(f: Files) -> None:
    wf(f)["notifications"]["received"]["body"]["ar"] = "استلمنا {{ ticket.number "


def template_outside_sandbox(f: Files) -> None:
    wf(f)["notifications"]["received"]["body"]["en"] = "{{ ticket.number.__class__.__mro__ }}"


def template_unknown_name(f: Files) -> None:
    wf(f)["notifications"]["received"]["subject"] = t("{{ config }}", "{{ self }}")


def template_unknown_field(f: Files) -> None:
    wf(f)["notifications"]["closed"]["body"]["en"] = "{{ data.room }} {{ survey_url }}"


def template_survey_not_attached(f: Files) -> None:
    wf(f)["actions"]["answer"]["effects"][1]["survey"] = False


def template_huge_output(f: Files) -> None:
    wf(f)["notifications"]["received"]["body"]["en"] = "{{ 'x' * 100000000 }}"


def unknown_template(f: Files) -> None:
    wf(f)["states"]["received"]["on_enter"][0]["notify"] = "welcome"


def unknown_variable(f: Files) -> None:
    wf(f)["actions"]["answer"]["effects"][0]["record"] = {"result": "action.outcome"}


def record_missing_action_field(f: Files) -> None:
    wf(f)["actions"]["answer"]["effects"][0]["record"] = {"outcome": "action.verdict"}


def unreachable_state(f: Files) -> None:
    wf(f)["states"]["limbo"] = {
        "label": t("معلقة", "Limbo"),
        "category": "pending",
        "assignee": {"keep": True},
    }


def undeclared_reopen(f: Files) -> None:
    del wf(f)["actions"]["reopen"]["reopens"]


def bad_category(f: Files) -> None:
    wf(f)["states"]["closed"]["category"] = "archived"


def unknown_action_form(f: Files) -> None:
    wf(f)["actions"]["answer"]["form"] = "verdict"


def invalid_inline_action_form(f: Files) -> None:
    wf(f)["actions"]["route"]["form"] = {"type": "object", "properties": {"x": {"type": "strng"}}}


def duplicate_state(f: Files) -> None:
    text = json.dumps(f[WF], ensure_ascii=False)
    f[WF] = text.replace('"states": {', '"states": {"closed": {}, ', 1)


def duplicate_service_id(f: Files) -> None:
    f["service_definitions/copy.json"] = dict(f[SVC])


def workflow_id_mismatch(f: Files) -> None:
    wf(f)["id"] = "other"


def invalid_json_schema(f: Files) -> None:
    f[FORM]["properties"]["kind"]["type"] = "strin"


def invalid_regex(f: Files) -> None:
    f[FORM]["properties"]["employee_id"]["pattern"] = "([0-9"


def missing_label(f: Files) -> None:
    del f[FORM]["properties"]["kind"]["x-title"]


def missing_option_label(f: Files) -> None:
    del f[FORM]["properties"]["kind"]["oneOf"][1]["x-title"]


def required_not_a_field(f: Files) -> None:
    f[FORM]["required"] = ["employee_id", "salary"]


def unknown_x_keyword(f: Files) -> None:
    f[FORM]["properties"]["kind"]["x-colour"] = "red"


def deep_form(f: Files) -> None:
    """A schema nested a thousand levels deep, written as text (json.dumps would itself recurse)."""
    level = '{"type": "object", "x-title": {"ar": "ع", "en": "deep"}, "properties": {"inner": '
    leaf = '{"type": "string", "x-title": {"ar": "ع", "en": "deep"}}'
    nested = level * 1000 + leaf + "}}" * 1000
    text = json.dumps(f[FORM], ensure_ascii=False)
    f[FORM] = text.replace('"properties": {', '"properties": {"nested": ' + nested + ", ", 1)


def invalid_example(f: Files) -> None:
    f[FORM]["examples"] = [{"employee_id": "1", "kind": "c"}]


def requester_field_missing(f: Files) -> None:
    f[FORM]["x-requester"] = {"email": "mail"}


def json_syntax_error(f: Files) -> None:
    f[FORM] = '{"type": "object",, }'


def unknown_department(f: Files) -> None:
    f[SVC]["department"] = "kitchen"


def unknown_form(f: Files) -> None:
    f[SVC]["form"] = "missing"


def unknown_workflow(f: Files) -> None:
    f[SVC]["workflow"] = "missing"


def unknown_survey(f: Files) -> None:
    f[SVC]["survey"] = "poll"


def unknown_channel(f: Files) -> None:
    f[SVC]["channels"] = ["web", "fax"]


def missing_required_key(f: Files) -> None:
    del f[SVC]["audience"]


def monolingual_label(f: Files) -> None:
    f[SVC]["name"] = {"ar": "طلب"}


def unknown_timezone(f: Files) -> None:
    f[ORG]["calendar"]["timezone"] = "Mars/Olympus"


def head_role_unknown(f: Files) -> None:
    f[ORG]["departments"]["classrooms"]["head_role"] = "dean"


CASES: list[tuple[Callable[[Files], None], str, str, str]] = [
    (action_into_missing_state, WF, "/actions/route/to", "unknown_state"),
    (action_from_missing_state, WF, "/actions/route/from/1", "unknown_state"),
    (unknown_role, WF, "/actions/route/who/0/role", "unknown_role"),
    (unknown_role_in_assignee, WF, "/states/received/assignee/role", "unknown_role"),
    (unknown_department_in_assignee, WF, "/states/received/assignee/department", "unknown_department"),
    (missing_form_field_in_guard, WF, "/guards/no_custody/expr", "bad_expression"),
    (guard_type_error, WF, "/guards/was_unavailable/expr", "bad_expression"),
    (guard_unknown_lookup_column, WF, "/guards/no_custody/expr", "bad_expression"),
    (lookup_key_not_a_field, WF, "/guards/no_custody/expr", "bad_expression"),
    (guard_eval_attempt, WF, "/guards/was_unavailable/expr", "bad_expression"),
    (unknown_guard, WF, "/actions/answer/guards/1", "unknown_guard"),
    (template_syntax_error, WF, "/notifications/received/body/ar", "template_syntax"),
    (template_outside_sandbox, WF, "/notifications/received/body/en", "template_unsafe"),
    (template_unknown_name, WF, "/notifications/received/subject/ar", "template_name"),
    (template_unknown_field, WF, "/notifications/closed/body/en", "unknown_field"),
    (template_survey_not_attached, WF, "/notifications/closed/body/ar", "survey_not_attached"),
    (template_huge_output, WF, "/notifications/received/body/en", "template_budget"),
    (unknown_template, WF, "/states/received/on_enter/0/notify", "unknown_template"),
    (unknown_variable, WF, "/actions/answer/effects/0/record/result", "unknown_variable"),
    (record_missing_action_field, WF, "/actions/answer/effects/0/record/outcome", "unknown_field"),
    (unreachable_state, WF, "/states/limbo", "unreachable_state"),
    (undeclared_reopen, WF, "/actions/reopen/reopens", "undeclared_reopen"),
    (bad_category, WF, "/states/closed/category", "schema"),
    (unknown_action_form, WF, "/actions/answer/form", "unknown_form"),
    (invalid_inline_action_form, WF, "/actions/route/form/properties/x/type", "invalid_form"),
    (duplicate_state, WF, "/states/closed", "duplicate_id"),
    (duplicate_service_id, "service_definitions/copy.json", "/id", "duplicate_id"),
    (workflow_id_mismatch, WF, "/id", "id_mismatch"),
    (invalid_json_schema, FORM, "/properties/kind/type", "invalid_json_schema"),
    (invalid_regex, FORM, "/properties/employee_id/pattern", "unsafe_pattern"),
    (required_not_a_field, FORM, "/required/1", "missing_label"),
    (unknown_x_keyword, FORM, "/properties/kind", "schema"),
    (deep_form, FORM, "", "too_deep"),
    (json_syntax_error, FORM, "", "json_syntax"),
    (requester_field_missing, FORM, "/x-requester/email", "unknown_field"),
    (invalid_example, FORM, "/examples/0/kind", "bad_example"),
    (unknown_department, SVC, "/department", "unknown_department"),
    (unknown_form, SVC, "/form", "unknown_form"),
    (unknown_workflow, SVC, "/workflow", "unknown_workflow"),
    (unknown_survey, SVC, "/survey", "unknown_survey"),
    (unknown_channel, SVC, "/channels/1", "unknown_channel"),
    (missing_required_key, SVC, "", "schema"),
    (monolingual_label, SVC, "/name", "schema"),
    (unknown_timezone, ORG, "/calendar/timezone", "unknown_timezone"),
    (head_role_unknown, ORG, "/departments/classrooms/head_role", "unknown_role"),
]


@pytest.mark.parametrize(("mutate", "file", "ptr", "code"), CASES, ids=[c[0].__name__ for c in CASES])
def test_each_mistake_is_reported_with_file_and_pointer(
    tmp_path: Path, mutate: Callable[[Files], None], file: str, ptr: str, code: str
) -> None:
    files = minimal_files()
    mutate(files)
    found = errors_of(tmp_path, files)
    assert (file, ptr, code) in found, sorted(found)
    assert load_tree(tmp_path).catalogue is None


@pytest.mark.parametrize(
    ("mutate", "ptr"),
    [(missing_label, "/properties/kind"), (missing_option_label, "/properties/kind/oneOf/1")],
)
def test_a_missing_label_is_a_warning_not_an_error(
    tmp_path: Path, mutate: Callable[[Files], None], ptr: str
) -> None:
    """Issue 13: a field or option without x-title is labelled by its name (value); the load warns."""
    files = minimal_files()
    mutate(files)
    result = load_tree(write_tree(tmp_path, files))
    assert result.errors == [] and result.catalogue is not None
    assert [(w.file, w.pointer, w.code, w.level) for w in result.warnings] == [
        (FORM, ptr, "missing_translation", "warning")
    ]


# Mutations that touch different places and so can all be made to one tree at once.
COMBINABLE = [
    c
    for c in CASES
    if c[0]
    not in {
        json_syntax_error,
        invalid_example,
        requester_field_missing,
        deep_form,
        duplicate_state,
        invalid_json_schema,
        invalid_regex,
        unknown_x_keyword,
        required_not_a_field,
        unknown_form,
        unknown_workflow,
        missing_required_key,
        monolingual_label,
        bad_category,
        unknown_department_in_assignee,
        guard_unknown_lookup_column,
        guard_eval_attempt,
        lookup_key_not_a_field,
        template_unknown_field,
        template_survey_not_attached,
        template_huge_output,
        template_unknown_name,
        unknown_variable,
        unknown_timezone,
        action_from_missing_state,
        workflow_id_mismatch,
    }
]


def test_all_mistakes_are_reported_in_one_run(tmp_path: Path) -> None:
    files = minimal_files()
    for mutate, *_ in COMBINABLE:
        mutate(files)
    found = errors_of(tmp_path, files)
    missing = [(file, ptr, code) for _, file, ptr, code in COMBINABLE if (file, ptr, code) not in found]
    assert missing == [], sorted(found)
    assert len(COMBINABLE) >= 15


def test_every_error_renders_as_file_pointer_message(tmp_path: Path) -> None:
    files = minimal_files()
    unknown_role(files)
    result = load_tree(write_tree(tmp_path, files))
    assert [str(e) for e in result.errors] == [
        "workflows/request.json#/actions/route/who/0/role: unknown role 'janitor' [unknown_role]"
    ]


def test_workflow_without_service_still_has_its_expressions_checked(tmp_path: Path) -> None:
    files = minimal_files()
    orphan = json.loads(json.dumps(files[WF]))
    orphan["id"] = "orphan"
    orphan["guards"]["was_unavailable"]["expr"] = "vars.nothing == 1"
    files["workflows/orphan.json"] = orphan
    found = errors_of(tmp_path, files)
    assert ("workflows/orphan.json", "/guards/was_unavailable/expr", "bad_expression") in found


def test_missing_directories_are_reported(tmp_path: Path) -> None:
    result = load_tree(tmp_path)
    codes = {(e.file, e.code) for e in result.errors}
    assert ("service_definitions/organisation.json", "missing_file") in codes
    assert ("workflows", "missing_directory") in codes


def test_templates_may_loop_over_a_list_field(tmp_path: Path) -> None:
    files = minimal_files()
    files[FORM]["properties"]["items"] = {
        "type": "array",
        "x-title": t("الأصناف", "Items"),
        "items": {"type": "object", "properties": {"item": {"type": "string", "x-title": t("صنف", "Item")}}},
    }
    body = "{% for row in data.items %}- {{ row.item }}\n{% endfor %}{{ survey_url }}"
    files[WF]["notifications"]["closed"]["body"] = t(body, body)
    assert errors_of(tmp_path, files) == set()


def test_bundle_round_trip_compiles_the_same_service() -> None:
    from server.definitions.bundle import bundle_for, compile_bundle, content_hash
    from server.paths import shipped_root

    catalogue = load_tree(shipped_root()).catalogue
    assert catalogue is not None
    bundle = bundle_for(catalogue, "supplies")
    assert "form_schemas/department_return.json" in bundle
    assert "service_definitions/organisation.json" in bundle
    compiled = compile_bundle(bundle)
    assert compiled.workflow == catalogue.services["supplies"].workflow
    assert compiled.form.schema == catalogue.services["supplies"].form.schema
    assert content_hash(bundle) == content_hash(dict(reversed(list(bundle.items()))))
    changed = dict(bundle, **{"workflows/supplies.json": bundle["workflows/supplies.json"] + " "})
    assert content_hash(changed) != content_hash(bundle)
