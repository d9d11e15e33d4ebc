"""Property-based tests: random actors take random actions on every shipped workflow, and the
engine's invariants hold after every step."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.engine.advance import advance, available_actions, may_take, start
from server.engine.model import Actor, Outcome, Refusal
from tests.engine_harness import Ledger, apply, catalogue, context, example, new_ticket

SERVICES = sorted(catalogue().services)
DEPARTMENTS = sorted(catalogue().organisation.departments)
ROLES = sorted(catalogue().organisation.roles)


def actors() -> st.SearchStrategy[Actor]:
    """Any user: one or two roles, any department, sometimes the requester of the ticket."""
    return st.builds(
        lambda roles, dept, uid, tracking: Actor(
            id=uid, name="x", roles=frozenset(roles), department=dept, holds_tracking_code=tracking
        ),
        st.sets(st.sampled_from(ROLES), min_size=1, max_size=2),
        st.none() | st.sampled_from(DEPARTMENTS),
        st.sampled_from(["req-1", "other", "staff-x"]),
        st.booleans(),
    )


@pytest.mark.parametrize("service_id", SERVICES)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_walks_keep_the_invariants(service_id: str, data: st.DataObject) -> None:
    compiled = catalogue().services[service_id]
    workflow = compiled.workflow
    custody = data.draw(st.sampled_from([0, 1]), label="custody")
    ledger = Ledger({"custody": {"100234": [{"quantity": custody}]}})
    ctx = context(ledger, working=data.draw(st.booleans(), label="working"))
    creator = Actor(
        id="req-1", roles=frozenset(compiled.service.eligible_roles), department="customer_service"
    )
    channel = data.draw(st.sampled_from(compiled.service.channels), label="channel")
    form_data = dict(compiled.form.schema["examples"][0])
    first = start(compiled, data=form_data, channel=channel, actor=creator, ctx=ctx, requester_id="req-1")
    assert isinstance(first, Outcome)
    ticket = new_ticket(compiled, first, data=form_data, channel=channel, requester_id="req-1")
    for _ in range(data.draw(st.integers(min_value=1, max_value=25), label="steps")):
        who = data.draw(actors(), label="actor")
        allowed = available_actions(compiled, ticket, who)
        pick_allowed = allowed and data.draw(st.booleans(), label="pick allowed")
        action_id = data.draw(
            st.sampled_from(allowed if pick_allowed else sorted(workflow.actions)), label="action"
        )
        payload = example(compiled, action_id, data.draw(st.integers(0, 3), label="example"))
        if "assignee" in payload:
            payload["assignee"] = f"staff-{ticket.department}"
        outcome = advance(compiled, ticket, action_id=action_id, data=payload, actor=who, ctx=ctx)
        action = workflow.actions[action_id]
        if isinstance(outcome, Refusal):
            # a refusal names a real reason, in both languages, and changes nothing
            assert outcome.message.ar and outcome.message.en
            if not may_take(compiled, action, ticket, who):
                assert outcome.reason == "not_allowed_actor"
            elif ticket.state not in action.from_:
                assert outcome.reason == "not_allowed_state"
            continue
        # only permitted actors act, only from permitted states
        assert may_take(compiled, action, ticket, who)
        assert ticket.state in action.from_
        assert not any(role in who.roles for role in ("auditor",)) or set(who.roles) - {"auditor"}
        # the state is always declared, and its category is the state's
        assert outcome.state in workflow.states
        assert outcome.category == workflow.states[outcome.state].category
        assert outcome.state == (action.to or ticket.state)
        # variables are declared
        assert set(outcome.vars) <= set(workflow.variables)
        # a closed ticket is counted under exactly one department
        if outcome.closed:
            assert outcome.assignment.department in catalogue().organisation.departments
        # every notification uses a template of the workflow
        assert all(n.template in workflow.notifications for n in outcome.notifications)
        ticket = apply(ticket, outcome)
