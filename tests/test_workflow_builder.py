"""The workflow builder's pure operations (issue 13): states, actions (with a condition checked by the
guard language's compiler and notifications), timers — each operation, each refusal with its input.
The workflows written are checked by the real loader (``drafts.check``)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from server.admin import drafts, workflow_builder
from server.admin.form_builder import BuildRefused
from server.admin.workflow_builder import Known
from server.admin.workflow_edits import action_edit, state_edit, timer_edit
from server.definitions.crossref import ACTOR_FIELDS, TICKET_FIELDS, workflow_file
from server.definitions.expressions import ExprType, Scope
from server.paths import shipped_root

ORGANISATION = (shipped_root() / "service_definitions" / "organisation.json").read_text(encoding="utf-8")


def known(forms: frozenset[str] = frozenset({"trial", "note"})) -> Known:
    data = {"details": ExprType.STRING, "count": ExprType.INTEGER}

    def scope(form: str) -> Scope:
        action = {"note": ExprType.STRING} if form == "note" else {}
        roots = {"data": data, "action": action, "vars": {}, "actor": ACTOR_FIELDS, "ticket": TICKET_FIELDS}
        return Scope(roots=roots)

    org = json.loads(ORGANISATION)
    return Known(
        roles=frozenset(org["roles"]),
        requester_roles=frozenset({"requester"}),
        departments=frozenset(org["departments"]),
        forms=forms,
        scope=scope,
    )


def start() -> dict[str, Any]:
    files = drafts.new_service_files("trial", "customer_service", ("customer_service", "requester"))
    return dict(json.loads(files[workflow_file("trial")]))


def posted(**values: Any) -> dict[str, list[str]]:
    return {k: (v if isinstance(v, list) else [str(v)]) for k, v in values.items()}


def state(**values: Any) -> Any:
    base = {
        "id": "preparing",
        "title_ar": "قيد التجهيز",
        "title_en": "Being prepared",
        "category": "in_progress",
        "assignee": "head",
    }
    return state_edit(posted(**{**base, **values}))


def action(**values: Any) -> Any:
    base = {
        "id": "prepare",
        "title_ar": "تجهيز",
        "title_en": "Prepare",
        "from": ["received"],
        "to": "preparing",
        "who": ["customer_service"],
        "visibility": "public",
    }
    return action_edit(posted(**{**base, **values}))


NOTICE = {
    "n_template": [""],
    "n_to": ["requester"],
    "n_channel": ["email"],
    "n_subject_ar": ["تذكرتكم {{ ticket.number }}"],
    "n_subject_en": ["Your ticket {{ ticket.number }}"],
    "n_body_ar": ["نجهزها"],
    "n_body_en": ["We are preparing it"],
}


def three_states() -> dict[str, Any]:
    doc = workflow_builder.set_state(start(), None, state(), known())
    doc = workflow_builder.set_action(
        doc,
        None,
        action(
            cond_subject="data.count",
            cond_op="!=",
            cond_value="0",
            message_ar="لا",
            message_en="No",
            **NOTICE,
        ),
        known(),
    )
    close = action(id="close", title_ar="إغلاق", title_en="Close", **{"from": ["preparing"]}, to="closed")
    return workflow_builder.set_action(doc, "close", close, known())


def check(doc: dict[str, Any]) -> list[Any]:
    files = drafts.new_service_files("trial", "customer_service", ("customer_service", "requester"))
    files[workflow_file("trial")] = drafts.dumps(doc)
    files["form_schemas/note.json"] = files["form_schemas/trial.json"]
    form = json.loads(files["form_schemas/trial.json"])
    form["properties"]["count"] = {"type": "integer", "x-title": {"ar": "العدد", "en": "Count"}}
    files["form_schemas/trial.json"] = drafts.dumps(form)
    return drafts.check("trial", files, ORGANISATION)


def test_a_three_state_workflow_with_a_condition_and_a_notification_is_one_the_loader_accepts() -> None:
    doc = three_states()
    assert list(doc["states"]) == ["received", "closed", "preparing"]
    assert doc["states"]["preparing"]["assignee"] == {"head_of": "$service"}
    assert doc["actions"]["prepare"]["guards"] == ["prepare_condition"]
    assert doc["guards"]["prepare_condition"] == {
        "expr": "data.count != 0",
        "message": {"ar": "لا", "en": "No"},
    }
    assert doc["actions"]["prepare"]["effects"] == [
        {"notify": "prepare_notice_1", "to": "requester", "channel": "email"}
    ]
    assert doc["notifications"]["prepare_notice_1"]["subject"]["en"] == "Your ticket {{ ticket.number }}"
    assert doc["actions"]["close"]["from"] == ["preparing"]
    assert check(doc) == []


def test_a_picked_condition_quotes_text_and_keeps_numbers_and_booleans() -> None:
    picked = {"cond_subject": "data.details", "cond_op": "==", "message_ar": "لا", "message_en": "No"}
    text = workflow_builder.set_action(
        start(), None, action(to="closed", cond_value='say "hi"', **picked), known()
    )
    assert text["guards"]["prepare_condition"]["expr"] == 'data.details == "say \\"hi\\""'
    assert check(text) == []


@pytest.mark.parametrize(
    ("kind", "values"),
    [
        ("state", {"assignee": "role", "role": "customer_service", "department": "customer_service"}),
        ("state", {"assignee": "chosen", "chosen_field": "assignee"}),
        ("state", {"assignee": "actor"}),
        ("state", {"assignee": "keep"}),
    ],
)
def test_each_assignee_rule(kind: str, values: dict[str, str]) -> None:
    doc = workflow_builder.set_state(start(), None, state(**values), known())
    rule = doc["states"]["preparing"]["assignee"]
    assert workflow_builder.assignee_kind(rule) == values["assignee"]
    assert {
        "role": {"role": "customer_service", "department": "customer_service"},
        "chosen": {"user": "action.assignee", "department": "$service"},
        "actor": {"actor": True},
        "keep": {"keep": True},
    }[values["assignee"]] == rule


def test_renaming_a_state_renames_it_in_actions_timers_and_the_initial_state() -> None:
    doc = workflow_builder.set_timer(
        three_states(), None, timer_edit(posted(id="remind", state="preparing", hours="8", **NOTICE))
    )
    renamed = workflow_builder.set_state(doc, "preparing", state(id="in_hand", initial="on"), known())
    assert list(renamed["states"]) == ["received", "closed", "in_hand"]
    assert renamed["actions"]["prepare"]["to"] == "in_hand" and renamed["actions"]["close"]["from"] == [
        "in_hand"
    ]
    assert renamed["timers"]["remind"]["state"] == "in_hand" and renamed["initial"]["default"] == "in_hand"


def test_editing_an_action_keeps_its_template_and_what_the_builder_does_not_edit() -> None:
    doc = three_states()
    doc["actions"]["prepare"]["effects"].insert(0, {"record": {"outcome": "action.note"}})
    doc["actions"]["prepare"]["effects"][1]["when"] = "data.count > 1"
    notice = {**NOTICE, "n_template": ["prepare_notice_1"], "n_body_en": ["Being prepared"]}
    changed = workflow_builder.set_action(doc, "prepare", action(visibility="internal", **notice), known())
    effects = changed["actions"]["prepare"]["effects"]
    assert effects[0] == {"record": {"outcome": "action.note"}}
    assert effects[1] == {
        "notify": "prepare_notice_1",
        "to": "requester",
        "channel": "email",
        "when": "data.count > 1",
    }
    assert changed["notifications"]["prepare_notice_1"]["body"]["en"] == "Being prepared"
    assert (
        "guards" not in changed and "guards" not in changed["actions"]["prepare"]
    )  # the condition was cleared


def test_a_notification_row_left_out_removes_its_template() -> None:
    changed = workflow_builder.set_action(three_states(), "prepare", action(), known())
    assert "effects" not in changed["actions"]["prepare"] and "notifications" not in changed


def test_an_action_from_a_closed_state_is_a_reopen() -> None:
    doc = workflow_builder.set_action(
        three_states(), None, action(id="reopen", **{"from": ["closed"]}, to="preparing"), known()
    )
    assert doc["actions"]["reopen"]["reopens"] is True
    assert check(doc) == []


def test_removing_an_action_removes_its_condition_and_templates_and_a_timer_its_own() -> None:
    doc = workflow_builder.set_timer(
        three_states(),
        None,
        timer_edit(
            posted(
                id="remind", state="preparing", hours="2.5", title_ar="تذكير", title_en="Reminder", **NOTICE
            )
        ),
    )
    assert (
        doc["timers"]["remind"]["after_working_hours"] == 2.5
        and doc["timers"]["remind"]["label"]["en"] == "Reminder"
    )
    assert check(doc) == []
    without = workflow_builder.remove_action(doc, "prepare")
    assert "guards" not in without and list(without["notifications"]) == ["remind_notice_1"]
    assert list(workflow_builder.remove_timer(without, "remind")) == [
        k for k in without if k not in ("timers", "notifications")
    ]


def test_a_state_no_action_names_can_be_removed() -> None:
    doc = workflow_builder.set_state(start(), None, state(), known())
    assert "preparing" not in workflow_builder.remove_state(doc, "preparing")["states"]


@pytest.mark.parametrize(
    ("operation", "errors"),
    [
        (
            lambda d: workflow_builder.set_state(d, None, state(id="received"), known()),
            {"id": "builder_err_name_taken"},
        ),
        (lambda d: workflow_builder.set_state(d, None, state(id="Bad"), known()), {"id": "builder_err_name"}),
        (
            lambda d: workflow_builder.set_state(d, None, state(id="waiting", title_en=""), known()),
            {"title_en": "builder_err_label_missing"},
        ),
        (
            lambda d: workflow_builder.set_state(d, None, state(id="waiting", category="done"), known()),
            {"category": "builder_err_category"},
        ),
        (
            lambda d: workflow_builder.set_state(d, None, state(id="waiting", assignee="someone"), known()),
            {"assignee": "builder_err_assignee"},
        ),
        (
            lambda d: workflow_builder.set_state(d, None, state(id="waiting", assignee="role"), known()),
            {"role": "builder_err_role_missing"},
        ),
        (
            lambda d: workflow_builder.set_state(
                d, None, state(id="waiting", assignee="role", role="wizard"), known()
            ),
            {"role": "builder_err_unknown_role"},
        ),
        (
            lambda d: workflow_builder.set_state(
                d, None, state(id="waiting", department="atlantis"), known()
            ),
            {"department": "builder_err_unknown_department"},
        ),
        (
            lambda d: workflow_builder.set_state(
                d, None, state(id="waiting", assignee="chosen", chosen_field="Who?"), known()
            ),
            {"chosen_field": "builder_err_name"},
        ),
        (lambda d: workflow_builder.set_state(d, "ghost", state(), known()), {"id": "builder_err_no_state"}),
        (lambda d: workflow_builder.remove_state(d, "received"), {"id": "builder_err_state_initial"}),
        (lambda d: workflow_builder.remove_state(d, "preparing"), {"id": "builder_err_state_in_use"}),
        (lambda d: workflow_builder.remove_state(d, "ghost"), {"id": "builder_err_no_state"}),
        (
            lambda d: workflow_builder.set_action(d, None, action(id="close"), known()),
            {"id": "builder_err_name_taken"},
        ),
        (
            lambda d: workflow_builder.set_action(d, None, action(id="x", **{"from": []}), known()),
            {"from": "builder_err_from_missing"},
        ),
        (
            lambda d: workflow_builder.set_action(d, None, action(id="x", **{"from": ["nowhere"]}), known()),
            {"from": "builder_err_no_state"},
        ),
        (
            lambda d: workflow_builder.set_action(d, None, action(id="x", to="nowhere"), known()),
            {"to": "builder_err_no_state"},
        ),
        (
            lambda d: workflow_builder.set_action(d, None, action(id="x", who=[]), known()),
            {"who": "builder_err_who_missing"},
        ),
        (
            lambda d: workflow_builder.set_action(d, None, action(id="x", who=["wizard"]), known()),
            {"who": "builder_err_unknown_role"},
        ),
        (
            lambda d: workflow_builder.set_action(d, None, action(id="x", form="ghost"), known()),
            {"form": "builder_err_unknown_form"},
        ),
        (
            lambda d: workflow_builder.set_action(d, None, action(id="x", visibility="secret"), known()),
            {"visibility": "builder_err_visibility"},
        ),
        (
            lambda d: workflow_builder.set_action(
                d,
                None,
                action(id="x", condition="data.nothing == 1", message_ar="لا", message_en="No"),
                known(),
            ),
            {"condition": "builder_err_bad_expression"},
        ),
        (
            lambda d: workflow_builder.set_action(
                d,
                None,
                action(id="x", condition='data.count == "many"', message_ar="لا", message_en="No"),
                known(),
            ),
            {"condition": "builder_err_bad_expression"},
        ),
        (
            lambda d: workflow_builder.set_action(
                d,
                None,
                action(
                    id="x", condition="action.note == 1 or", message_ar="لا", message_en="No", form="note"
                ),
                known(),
            ),
            {"condition": "builder_err_bad_expression"},
        ),
        (
            lambda d: workflow_builder.set_action(
                d, None, action(id="x", condition="data.count > 1"), known()
            ),
            {"message_ar": "builder_err_label_missing", "message_en": "builder_err_label_missing"},
        ),
        (
            lambda d: workflow_builder.set_action(
                d, None, action(id="x", cond_subject="__import__", cond_value="1"), known()
            ),
            {"cond_subject": "builder_err_bad_expression"},
        ),
        (
            lambda d: workflow_builder.set_action(
                d, None, action(id="x", **{**NOTICE, "n_to": ["everyone"]}), known()
            ),
            {"n_to.0": "builder_err_recipient"},
        ),
        (
            lambda d: workflow_builder.set_action(
                d, None, action(id="x", **{**NOTICE, "n_channel": ["pigeon"]}), known()
            ),
            {"n_channel.0": "builder_err_channel"},
        ),
        (
            lambda d: workflow_builder.set_action(
                d, None, action(id="x", **{**NOTICE, "n_body_en": [""]}), known()
            ),
            {"n_body_en.0": "builder_err_label_missing"},
        ),
        (
            lambda d: workflow_builder.set_action(d, "ghost", action(), known()),
            {"id": "builder_err_no_action"},
        ),
        (lambda d: workflow_builder.remove_action(d, "ghost"), {"id": "builder_err_no_action"}),
        (
            lambda d: workflow_builder.remove_action(workflow_builder.remove_action(d, "prepare"), "close"),
            {"id": "builder_err_last_action"},
        ),
        (
            lambda d: workflow_builder.set_timer(
                d, None, timer_edit(posted(id="t", state="preparing", hours="0", **NOTICE))
            ),
            {"hours": "builder_err_hours"},
        ),
        (
            lambda d: workflow_builder.set_timer(
                d, None, timer_edit(posted(id="t", state="preparing", hours="nan", **NOTICE))
            ),
            {"hours": "builder_err_hours"},
        ),
        (
            lambda d: workflow_builder.set_timer(
                d, None, timer_edit(posted(id="t", state="nowhere", hours="1", **NOTICE))
            ),
            {"state": "builder_err_no_state"},
        ),
        (
            lambda d: workflow_builder.set_timer(
                d, None, timer_edit(posted(id="t", state="preparing", hours="1"))
            ),
            {"n_subject_ar.0": "builder_err_timer_notice"},
        ),
        (
            lambda d: workflow_builder.set_timer(
                d, None, timer_edit(posted(id="t", state="preparing", hours="1", title_ar="تذكير", **NOTICE))
            ),
            {"title_en": "builder_err_translation_missing"},
        ),
        (
            lambda d: workflow_builder.set_timer(
                d, "ghost", timer_edit(posted(id="t", state="preparing", hours="1", **NOTICE))
            ),
            {"id": "builder_err_no_timer"},
        ),
        (lambda d: workflow_builder.remove_timer(d, "ghost"), {"id": "builder_err_no_timer"}),
    ],
)
def test_each_refusal_names_its_input_and_changes_nothing(operation: Any, errors: dict[str, str]) -> None:
    doc = three_states()
    before = json.dumps(doc, sort_keys=True)
    with pytest.raises(BuildRefused) as refused:
        operation(doc)
    assert refused.value.errors == errors
    assert json.dumps(doc, sort_keys=True) == before
