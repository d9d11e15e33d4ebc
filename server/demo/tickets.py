"""Drive the demo tickets through the real ticket service: each is submitted and moved on by the demo
accounts exactly as the pages would do it, so the forms, guards, department rule and notifications all
apply. A ticket whose idempotency key exists already is left as it is (seeding twice adds nothing)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

import msgspec

from server.definitions.catalogue import CompiledService
from server.demo import department_tickets, intake_tickets
from server.demo.script import PARTS, STAFF, DemoTicket, Step
from server.engine.model import Refusal
from server.store.interface import AlreadyExists, Store
from server.store.records import Ticket, User
from server.tickets.actors import actor_of
from server.tickets.service import Conflict, TicketService, UnknownService

SERVICES: tuple[Callable[[date], list[DemoTicket]], ...] = (
    department_tickets.inquiries,
    department_tickets.supplies,
    department_tickets.maintenance,
    department_tickets.transmission,
    intake_tickets.phone,
    intake_tickets.email,
    intake_tickets.clearance,
    intake_tickets.tawasul,
    intake_tickets.whatsapp,
)
"""The nine services' demo tickets, in catalogue order."""


WITHHELD = "demo data: never sent"


class DemoSeedError(Exception):
    """A demo ticket the definitions refuse (they changed since the demo data was written)."""


class TicketsSeeded(msgspec.Struct, frozen=True):
    created: int
    existing: int
    skipped_services: tuple[str, ...]


def demo_tickets(today: date) -> list[DemoTicket]:
    return [ticket for service in SERVICES for ticket in service(today)]


def describe(refusal: Refusal | Conflict) -> str:
    if isinstance(refusal, Conflict):
        return f"the ticket changed meanwhile (version {refusal.ticket.version})"
    errors = "; ".join(f"{e.path or '/'}: {e.message.en}" for e in refusal.field_errors)
    guard = f" (guard {refusal.guard})" if refusal.guard else ""
    return f"{refusal.reason}{guard}: {refusal.message.en}" + (f" [{errors}]" if errors else "")


class _Cast:
    """The demo users playing each part, looked up once."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._users: dict[str, User | None] = {}

    async def user(self, part: str, department: str) -> User:
        username = PARTS[part].format(department=department)
        if username not in self._users:
            self._users[username] = await self.store.get_user_by_username(username)
        found = self._users[username]
        if found is None:
            raise DemoSeedError(f"no demo account {username!r}")
        return found


async def _rate(store: Store, ticket: Ticket, compiled: CompiledService, demo: DemoTicket) -> None:
    survey_id = compiled.service.survey
    if demo.rating is None or survey_id is None or ticket.category != "closed":
        return
    survey = compiled.organisation.surveys.get(survey_id)
    if survey is None:
        return
    answers = {q.id: min(demo.rating, q.scale) for q in survey.questions}
    try:
        await store.add_survey_response(
            ticket_id=ticket.id,
            survey_id=survey_id,
            answers=answers,
            comment=demo.comment if survey.comment else "",
            now=datetime.now(UTC),
        )
    except AlreadyExists:
        return


async def _seed_one(tickets: TicketService, cast: _Cast, demo: DemoTicket, compiled: CompiledService) -> bool:
    department = compiled.service.department
    submitter = await cast.user(demo.by, department)
    created = await tickets.submit(
        demo.service,
        demo.data,
        channel=demo.channel,
        actor=actor_of(submitter),
        requester_id=submitter.id if demo.by == "requester" else None,
        idempotency_key=demo.idempotency_key,
    )
    if isinstance(created, Refusal):
        raise DemoSeedError(f"{demo.idempotency_key}: submit refused: {describe(created)}")
    if not created.created:
        return False
    ticket = created.ticket
    try:
        for step in demo.steps:
            ticket = await _act(tickets, cast, demo, department, ticket, step)
        await _rate(tickets.store, ticket, compiled, demo)
    finally:
        await withhold_messages(tickets.store, ticket)
    return True


async def _act(
    tickets: TicketService, cast: _Cast, demo: DemoTicket, department: str, ticket: Ticket, step: Step
) -> Ticket:
    user = await cast.user(step.by, department)
    data: dict[str, Any] = dict(step.data)
    for name, value in step.data.items():
        if value == STAFF:
            data[name] = (await cast.user("staff", department)).id
    result = await tickets.act(
        ticket.id, step.action, data, actor=actor_of(user), expected_version=ticket.version
    )
    if isinstance(result, Refusal | Conflict):
        raise DemoSeedError(f"{demo.idempotency_key}: {step.action} refused: {describe(result)}")
    return result


async def withhold_messages(store: Store, ticket: Ticket) -> None:
    """The messages a demo ticket caused go ``dead`` unsent: their addresses are made up, and a demo
    server given a real gateway must not send to them."""
    now = datetime.now(UTC)
    for message in await store.list_outbox(ticket.id, status="pending"):
        await store.mark_failed(message.id, now=now, error=WITHHELD, retry_at=None)


async def seed_tickets(tickets: TicketService, today: date) -> TicketsSeeded:
    """Submit and move on the demo tickets not seeded yet (services not published are skipped)."""
    return await seed_dated(tickets, [(None, demo) for demo in demo_tickets(today)])


async def seed_dated(
    tickets: TicketService, dated: Sequence[tuple[Callable[[], datetime] | None, DemoTicket]]
) -> TicketsSeeded:
    """Seed each ticket not seeded yet, with the ticket service reading the clock given with it (None:
    the real one) — the demo's earlier weeks."""
    cast = _Cast(tickets.store)
    compiled_of: dict[str, CompiledService | None] = {}
    created = existing = 0
    skipped: list[str] = []
    original = tickets.clock
    try:
        for clock, demo in dated:
            if demo.service not in compiled_of:
                try:
                    compiled_of[demo.service] = (await tickets.current(demo.service))[1]
                except UnknownService:
                    compiled_of[demo.service] = None
                    skipped.append(demo.service)
            compiled = compiled_of[demo.service]
            if compiled is None:
                continue
            tickets.clock = clock or original
            if await _seed_one(tickets, cast, demo, compiled):
                created += 1
            else:
                existing += 1
    finally:
        tickets.clock = original
    return TicketsSeeded(created=created, existing=existing, skipped_services=tuple(skipped))
