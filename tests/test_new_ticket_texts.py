"""A new ticket's notifications are rendered before its transaction, with stand-ins for the number and
row id the transaction assigns (server/tickets/transaction.py), unless a template does more with those
than quote them whole (server/definitions/texts.py: ``assigned_plainly``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import msgspec
import pytest

from server.definitions.texts import compile_template, render_bounded
from server.tickets import notifications
from server.tickets.service import Created
from tests.test_notifications_trust import outbox, person
from tests.test_requester_pages import example
from tests.test_staff_ticket import REQUESTER, actor, user
from tests.web import client_for


@pytest.mark.parametrize(
    ("source", "plainly"),
    [
        ("{{ ticket.number }}", True),
        ("{{ ticket['number'] }} {{ ticket.url }} {{ survey_url }} {{ ticket.state | upper }}", True),
        ("{% for line in data.lines %}{{ ticket.number }}{% endfor %}", True),
        ("{{ ticket.number | upper }}", False),
        ("{{ ticket.number ~ '/' }}", False),
        ("{% if ticket.number %}yes{% endif %}", False),
        ("{{ ticket.url[:10] }}", False),
        ("{{ survey_url | length }}", False),
        ("{% set t = ticket %}{{ t.number }}", False),
        ("{% for n in [ticket.number] %}{{ n }}{% endfor %}", False),
    ],
)
def test_which_templates_quote_the_assigned_values_only_whole(source: str, plainly: bool) -> None:
    assert compile_template(source)[1].assigned_plainly is plainly


async def _submit(client: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, list[bool]]:
    """Submit an inquiry; which renders ran while the store's ``create_ticket`` was under way."""
    runtime = client.app.state.runtime
    during: list[bool] = []
    inside = False
    real_render, real_create = render_bounded, runtime.store.create_ticket

    def render(template: Any, context: Any) -> tuple[str, str | None]:
        during.append(inside)
        return real_render(template, context)

    async def create(*args: Any, **kwargs: Any) -> Any:
        nonlocal inside
        inside = True
        try:
            return await real_create(*args, **kwargs)
        finally:
            inside = False

    monkeypatch.setattr(notifications, "render_bounded", render)
    monkeypatch.setattr(runtime.store, "create_ticket", create)
    created = await runtime.tickets.submit(
        "inquiries", example("inquiries"), channel="web", actor=actor(await user(client, REQUESTER))
    )
    assert isinstance(created, Created), created
    return created.ticket, during


def _check_texts(ticket: Any, messages: list[Any]) -> None:
    by = {m.template: m for m in messages}
    assert f"http://testserver.local/staff/tickets/{ticket.id}" in by["assigned_to_head"].body
    assert f"/track/{ticket.number}?code={ticket.tracking_code}" in by["received_notice"].body
    for message in messages:
        assert not re.search(r"N[0-9a-f]{20}|\d{18}", message.subject + message.body), message


async def test_a_new_tickets_texts_are_rendered_before_its_transaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with client_for(tmp_path) as client:
        await person(client, "aa.head", ["department_head"], "administrative_affairs", email="h@example.org")
        ticket, during = await _submit(client, monkeypatch)
        assert during and not any(during)  # every render before the transaction began
        _check_texts(ticket, list(await outbox(client, ticket)))


async def test_a_template_that_does_more_with_the_number_is_rendered_in_the_transaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with client_for(tmp_path) as client:
        await person(client, "aa.head", ["department_head"], "administrative_affairs", email="h@example.org")
        _, compiled = await client.app.state.runtime.tickets.current("inquiries")
        for template_id, template in list(compiled.templates.items()):
            compiled.templates[template_id] = msgspec.structs.replace(template, assigned_plainly=False)
        ticket, during = await _submit(client, monkeypatch)
        assert during and all(during)
        _check_texts(ticket, list(await outbox(client, ticket)))
