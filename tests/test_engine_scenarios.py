"""Scenario tests: every shipped workflow walked along its paths through the pure engine."""

from __future__ import annotations

from typing import Any

import pytest

from server.engine.advance import advance, available_actions, start
from server.engine.model import Actor, Assignment, Outcome, Refusal, TicketView
from tests.engine_harness import (
    AUDITOR,
    COORDINATOR,
    CS,
    DIRECTOR,
    REQUESTER,
    Ledger,
    apply,
    context,
    example,
    head,
    new_ticket,
    service,
    staff,
)


class Walk:
    """A ticket walked step by step; each step asserts the state, category and assignment."""

    def __init__(
        self,
        service_id: str,
        *,
        channel: str = "web",
        creator: Actor = REQUESTER,
        ledger: Ledger | None = None,
        working: bool = True,
        data: dict[str, Any] | None = None,
    ) -> None:
        self.compiled = service(service_id)
        self.ledger = ledger or Ledger()
        self.ctx = context(self.ledger, working=working)
        data = data if data is not None else dict(self.compiled.form.schema["examples"][0])
        outcome = start(
            self.compiled,
            data=data,
            channel=channel,
            actor=creator,
            ctx=self.ctx,
            requester_id=creator.id if "requester" in creator.roles else None,
        )
        assert isinstance(outcome, Outcome), outcome
        self.last = outcome
        self.ticket: TicketView = new_ticket(
            self.compiled,
            outcome,
            data=data,
            channel=channel,
            requester_id=creator.id if "requester" in creator.roles else None,
        )

    def do(
        self,
        who: Actor,
        action: str,
        *,
        example_index: int = 0,
        data: dict[str, Any] | None = None,
        state: str,
        category: str,
        assignment: Assignment | None = None,
    ) -> Outcome:
        payload = data if data is not None else example(self.compiled, action, example_index)
        outcome = advance(self.compiled, self.ticket, action_id=action, data=payload, actor=who, ctx=self.ctx)
        assert isinstance(outcome, Outcome), outcome
        assert (outcome.state, outcome.category) == (state, category)
        if assignment is not None:
            assert outcome.assignment == assignment
        assert outcome.event.action == action and outcome.event.from_state == self.ticket.state
        self.ticket = apply(self.ticket, outcome)
        self.last = outcome
        return outcome

    def refused(self, who: Actor, action: str, reason: str, *, data: dict[str, Any] | None = None) -> Refusal:
        payload = data if data is not None else example(self.compiled, action)
        outcome = advance(self.compiled, self.ticket, action_id=action, data=payload, actor=who, ctx=self.ctx)
        assert isinstance(outcome, Refusal), outcome
        assert outcome.reason == reason, outcome
        return outcome


def templates(outcome: Outcome) -> list[tuple[str, str]]:
    return [(n.template, n.to) for n in outcome.notifications]


CS_QUEUE = Assignment(department="customer_service", role="customer_service")


def head_of(department: str) -> Assignment:
    return Assignment(department=department, role="department_head")


def test_supplies_unavailable_then_reopened_and_done() -> None:
    w = Walk("supplies")
    assert (w.ticket.state, w.last.category, w.ticket.assignment) == ("received", "open", CS_QUEUE)
    assert templates(w.last) == [("received_notice", "requester")]
    w.do(CS, "note_to_head", state="received", category="open", assignment=CS_QUEUE)
    assert w.last.event.visibility == "internal"
    out = w.do(
        CS, "route_to_department", state="with_department", category="open", assignment=head_of("classrooms")
    )
    assert templates(out) == [("assigned_to_head", "assignee")] and out.notifications[0].channel == "email"
    w.refused(staff("classrooms"), "delegate", "not_allowed_actor")
    w.refused(head("maintenance_center"), "delegate", "not_allowed_actor")
    delegation = {"assignee": "staff-classrooms", "note": "يرجى المتابعة"}
    w.do(
        head("classrooms"),
        "delegate",
        data=delegation,
        state="in_progress",
        category="in_progress",
        assignment=Assignment(department="classrooms", user="staff-classrooms"),
    )
    w.do(staff("classrooms"), "work_note", state="in_progress", category="in_progress")
    w.refused(staff("classrooms"), "return_to_customer_service", "invalid_data", data={"outcome": "done"})
    w.do(
        staff("classrooms"),
        "return_to_customer_service",
        example_index=1,
        state="answered",
        category="in_progress",
        assignment=CS_QUEUE,
    )
    assert w.ticket.vars["outcome"] == "not_done_unavailable"
    out = w.do(CS, "reply_and_close", state="closed", category="closed", assignment=head_of("classrooms"))
    assert out.closed and out.event.visibility == "public"
    assert templates(out) == [("closed_notice", "requester"), ("supply_delivery_date", "head:classrooms")]
    assert out.notifications[0].survey is True
    w.refused(CS, "route_to_department", "not_allowed_state")
    w.do(CS, "reopen", state="with_department", category="open", assignment=head_of("classrooms"))
    w.do(head("classrooms"), "return_to_customer_service", state="answered", category="in_progress")
    out = w.do(CS, "reply_and_close", state="closed", category="closed", assignment=head_of("classrooms"))
    assert templates(out) == [("closed_notice", "requester")]
    refusal = w.refused(CS, "reopen", "guard_refused")
    assert refusal.guard == "supply_was_unavailable" and refusal.message.ar and refusal.message.en


def test_supplies_clarification_round_trip_does_not_resend_the_receipt() -> None:
    w = Walk("supplies")
    w.do(CS, "request_clarification", state="awaiting_clarification", category="pending")
    assert templates(w.last) == [("clarification_needed", "requester")]
    w.refused(
        Actor(id="someone-else", roles=frozenset({"requester"})), "answer_clarification", "not_allowed_actor"
    )
    w.do(REQUESTER, "answer_clarification", state="received", category="open", assignment=CS_QUEUE)
    assert ("received_notice", "requester") not in templates(w.last)


def test_anonymous_requester_with_tracking_code_answers_a_clarification() -> None:
    anonymous = Actor(id=None, roles=frozenset({"requester"}))
    w = Walk("inquiries", creator=anonymous)
    assert w.ticket.assignment == head_of("administrative_affairs")
    w.do(
        head("administrative_affairs"),
        "request_clarification",
        state="awaiting_clarification",
        category="pending",
    )
    w.refused(anonymous, "answer_clarification", "not_allowed_actor")
    holder = Actor(id=None, roles=frozenset({"requester"}), holds_tracking_code=True)
    w.do(holder, "answer_clarification", state="with_department", category="open")
    w.do(
        staff("administrative_affairs"),
        "reply_and_close",
        state="closed",
        category="closed",
        assignment=head_of("administrative_affairs"),
    )


@pytest.mark.parametrize("service_id", ["maintenance", "transmission"])
def test_department_services_follow_the_supplies_flow(service_id: str) -> None:
    department = service(service_id).service.department
    w = Walk(service_id)
    w.do(CS, "route_to_department", state="with_department", category="open", assignment=head_of(department))
    w.do(
        head(department),
        "delegate",
        data={"assignee": f"staff-{department}", "note": "تفضل"},
        state="in_progress",
        category="in_progress",
    )
    w.do(staff(department), "return_to_customer_service", state="answered", category="in_progress")
    w.do(CS, "reply_and_close", state="closed", category="closed", assignment=head_of(department))
    assert "reopen" not in service(service_id).workflow.actions


def test_maintenance_reply_must_carry_a_completion_or_visit_date() -> None:
    w = Walk("maintenance")
    w.do(CS, "route_to_department", state="with_department", category="open")
    refusal = w.refused(
        head("maintenance_center"),
        "return_to_customer_service",
        "invalid_data",
        data={"outcome": "done", "reply": "تمت الصيانة"},
    )
    assert refusal.field_errors
    w.do(
        head("maintenance_center"),
        "return_to_customer_service",
        example_index=1,
        state="answered",
        category="in_progress",
    )
    assert w.ticket.vars["visit_date"] == "2026-12-03"


def test_itqan_reports_are_verified_before_reaching_the_center() -> None:
    w = Walk("maintenance", channel="itqan", creator=CS)
    assert (w.ticket.state, w.last.category) == ("itqan_review", "pending")
    w.refused(CS, "route_to_department", "not_allowed_state")
    w.do(
        CS,
        "verify_and_forward",
        state="with_department",
        category="open",
        assignment=head_of("maintenance_center"),
    )
    w2 = Walk("maintenance", channel="itqan", creator=CS)
    w2.do(CS, "reject_report", state="report_rejected", category="closed")


def test_clearance_refused_while_custody_is_held_and_accepted_after_the_return() -> None:
    ledger = Ledger({"custody": {"100234": [{"employee_id": "100234", "item": "حاسب", "quantity": 2}]}})
    w = Walk("clearance", channel="academic_system", ledger=ledger)
    refusal = w.refused(CS, "check_custody", "guard_refused")
    assert refusal.guard == "no_custody_held"
    w.do(CS, "request_custody_return", state="awaiting_custody_return", category="pending")
    w.do(
        REQUESTER,
        "attach_return_form",
        state="director_review",
        category="in_progress",
        assignment=Assignment(department="directorate", role="director"),
    )
    w.refused(DIRECTOR, "accept", "guard_refused")
    ledger.add("custody", "100234", {"employee_id": "100234", "item": "حاسب", "quantity": -2})
    w.refused(CS, "accept", "not_allowed_actor")
    out = w.do(DIRECTOR, "accept", state="completed", category="closed")
    assert templates(out) == [("clearance_completed", "requester")]


def test_clearance_with_custody_ever_issued_needs_the_return_form() -> None:
    ledger = Ledger({"custody": {"100234": [{"quantity": 1}, {"quantity": -1}]}})
    w = Walk("clearance", channel="academic_system", ledger=ledger)
    w.do(CS, "check_custody", state="director_review", category="in_progress")
    refusal = w.refused(DIRECTOR, "accept", "guard_refused")
    assert refusal.guard == "return_form_if_custody"
    clean = Walk("clearance", channel="academic_system")
    clean.do(CS, "check_custody", state="director_review", category="in_progress")
    clean.do(DIRECTOR, "accept", state="completed", category="closed")


def test_phone_call_logged_by_a_representative() -> None:
    w = Walk("phone", channel="phone", creator=CS)
    assert w.ticket.assignment == Assignment(department="customer_service", user="cs-1")
    bad = start(
        w.compiled,
        data={"full_name": "محمد", "mobile": "123", "inquiry": "؟؟"},
        channel="phone",
        actor=CS,
        ctx=w.ctx,
    )
    assert isinstance(bad, Refusal)
    assert {e.path for e in bad.field_errors} == {"/full_name", "/mobile"}
    out = w.do(CS, "guide_to_eticket", state="closed", category="closed")
    assert any(n.survey for n in out.notifications)
    assert w.ticket.vars["response_path"] == "eticket"
    refused = start(w.compiled, data=w.ticket.data, channel="phone", actor=REQUESTER, ctx=w.ctx)
    assert isinstance(refused, Refusal) and refused.reason == "not_eligible"


def test_email_sorted_then_answered_with_a_copy_to_the_general_supervisor() -> None:
    w = Walk("email", channel="email", creator=CS)
    w.do(CS, "sort", example_index=2, state="sorted", category="in_progress")
    w.refused(CS, "reply_eticket", "guard_refused")
    out = w.do(CS, "reply_competent_body", state="replied", category="closed")
    assert out.notifications[0].cc == ("role:general_supervisor",)
    assert out.notifications[0].channel == "email" and out.event.visibility == "public"


@pytest.mark.parametrize(
    ("path", "final", "extra"),
    [
        ("guide_to_eticket", "closed", None),
        ("raise_internal_transaction", "internal_transaction", "close_transaction"),
        ("transfer_out", "transferred_out", None),
    ],
)
def test_tawasul_three_response_paths(path: str, final: str, extra: str | None) -> None:
    w = Walk("tawasul", channel="tawasul", creator=CS)
    assert templates(w.last) == [("new_ticket", "role:tawasul_coordinator")]
    assert w.last.notifications[0].channel == "sms"
    w.do(
        COORDINATOR,
        "acknowledge",
        state="handling",
        category="in_progress",
        assignment=Assignment(department="customer_service", user="coord-1"),
    )
    category = "pending" if final == "internal_transaction" else "closed"
    w.do(COORDINATOR, path, state=final, category=category)
    if extra:
        w.do(CS, extra, state="closed", category="closed")
    assert w.ticket.vars["response_path"]


@pytest.mark.parametrize(("working", "expected"), [(True, ["welcome"]), (False, ["welcome", "out_of_hours"])])
def test_whatsapp_welcome_and_working_hours_auto_reply(working: bool, expected: list[str]) -> None:
    w = Walk("whatsapp", channel="whatsapp", creator=CS, working=working)
    assert [n.template for n in w.last.notifications] == expected
    assert all(n.channel == "whatsapp" for n in w.last.notifications)
    w.do(CS, "record_customer_info", state="answering", category="in_progress")
    assert w.ticket.vars["customer_category"] == "student"
    out = w.do(CS, "guide_to_eticket", state="closed", category="closed")
    assert out.notifications[0].survey


def test_auditor_can_take_no_action_anywhere() -> None:
    for service_id in ["supplies", "clearance", "tawasul"]:
        w = Walk(
            service_id,
            channel=service(service_id).service.channels[0],
            creator=CS if "requester" not in service(service_id).service.eligible_roles else REQUESTER,
        )
        assert available_actions(w.compiled, w.ticket, AUDITOR) == []
        action = next(iter(w.compiled.workflow.actions))
        refusal = w.refused(AUDITOR, action, "not_allowed_actor")
        assert refusal.message.en == "Your access is read-only"


def test_unknown_action_and_unexpected_fields_are_refused() -> None:
    w = Walk("supplies")
    w.refused(CS, "teleport", "unknown_action")
    w.refused(CS, "route_to_department", "invalid_data", data={"extra": 1})
    w.refused(CS, "note_to_head", "invalid_data", data={"note": "ok ok", "sneaky": "x"})
    bad = start(
        w.compiled, data={**w.ticket.data, "is_admin": True}, channel="web", actor=REQUESTER, ctx=w.ctx
    )
    assert isinstance(bad, Refusal) and [e.path for e in bad.field_errors] == ["/is_admin"]
