"""The seam where the engine meets storage: load a ticket, run the engine, persist the outcome.

Each call is one store transaction: the ticket row, its events, its assignment and its outbox rows
are written together or not at all. A stale ``expected_version`` comes back as a
:class:`Conflict` carrying the fresh ticket — never a lost update. Creation takes an idempotency key
so a client can retry safely.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import msgspec

from server.definitions.bundle import BundleInvalid, bundle_for, compile_bundle, content_hash
from server.definitions.catalogue import Catalogue, CompiledService
from server.definitions.expressions import EvalContext
from server.definitions.model import Language
from server.engine.advance import advance, start
from server.engine.model import Actor, Refusal
from server.store.interface import Store, VersionConflict
from server.store.records import (
    DefinitionVersion,
    NewTicket,
    Ticket,
)
from server.store.request_ids import tracking_code
from server.tickets.due import Due, due_state
from server.tickets.lookups import evaluation_context
from server.tickets.members import members_refusal
from server.tickets.notifications import Notifier
from server.tickets.tasks import search_text
from server.tickets.timer_firing import fire_due_timers
from server.tickets.transaction import change_of as _change
from server.tickets.transaction import message_builder, new_event, new_timers, provisional, rendered_messages
from server.tickets.transaction import view as _view
from server.working_time import WorkingCalendar


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Conflict(msgspec.Struct, frozen=True, kw_only=True):
    """The ticket changed since the caller read it; here it is as it is now."""

    ticket: Ticket


class UnknownService(Exception):
    pass


class UnknownTicket(Exception):
    pass


class Created(msgspec.Struct, frozen=True):
    ticket: Ticket
    created: bool
    """False when the idempotency key had already created this ticket."""
    skipped_notifications: tuple[str, ...] = ()


view = _view
"""The engine's view of a stored ticket (``server/tickets/transaction.py``; named here for its readers)."""


class TicketService:
    def __init__(
        self,
        store: Store,
        calendar: WorkingCalendar,
        *,
        base_url: str = "",
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.store = store
        self.calendar = calendar
        self.clock = clock
        self.notifier = Notifier(store, calendar, base_url=base_url)
        self._compiled: dict[int, CompiledService] = {}
        self._by_content: dict[str, CompiledService] = {}
        """content hash → the service compiled from that content (versions with the same content share
        it; the shipped tree's, compiled when it was loaded, are put here by :meth:`seed`)."""
        self._compiling: dict[int, asyncio.Lock] = {}
        self._latest: dict[str, DefinitionVersion] = {}
        self._numbers: dict[int, int] = {}  # each published version's number, by version id
        self.stamp: int | None = None  # the store's definitions_stamp _latest was read at (None: not yet)
        self._reading_latest = asyncio.Lock()

    # --- definitions ------------------------------------------------------------------

    async def publish_shipped(
        self, catalogue: Catalogue, *, created_by: str = "system"
    ) -> list[DefinitionVersion]:
        """On first start: publish every service that has no version yet (later edits are kept)."""
        published = []
        for service_id in catalogue.services:
            if await self.store.latest_definition(service_id) is not None:
                continue
            bundle = bundle_for(catalogue, service_id)
            published.append(
                await self.store.publish_definition(
                    service_id,
                    bundle,
                    content_hash(bundle),
                    created_by=created_by,
                    note="shipped definitions",
                    now=self.clock(),
                )
            )
        return published

    def due(self, due_at: dt.datetime | None) -> Due:
        """Whether a ticket due at ``due_at`` is late now (one rule: ``server/tickets/due.py``)."""
        return due_state(due_at, self.clock(), self.calendar)

    async def ticket_due(self, ticket: Ticket) -> Due:
        return self.due(None if ticket.category == "closed" else await self.store.ticket_due(ticket.id))

    async def version_number(self, definition_version_id: int) -> int:
        """A published version's number (0: none), read once per process: versions never change."""
        number = self._numbers.get(definition_version_id)
        if number is None:
            version = await self.store.get_definition(definition_version_id)
            if version is None:
                return 0
            number = self._numbers[definition_version_id] = version.version
        return number

    async def compiled_version(
        self, definition_version_id: int, *, known: DefinitionVersion | None = None
    ) -> CompiledService:
        """A published version, compiled once per process; concurrent first calls share one compilation.
        ``known``: that version as the caller has just read it (not read and parsed again)."""
        compiled = self._compiled.get(definition_version_id)
        if compiled is not None:
            return compiled
        lock = self._compiling.setdefault(definition_version_id, asyncio.Lock())
        async with lock:
            compiled = self._compiled.get(definition_version_id)
            if compiled is None:
                version = (
                    known
                    if known is not None and known.id == definition_version_id
                    else await self.store.get_definition(definition_version_id)
                )
                if version is None:
                    raise UnknownService(f"no definition version {definition_version_id}")
                self._numbers[definition_version_id] = version.version
                compiled = self._by_content.get(version.content_hash)
                if compiled is None:
                    compiled = compile_bundle(version.bundle)
                    self._by_content[version.content_hash] = compiled
                self._compiled[definition_version_id] = compiled
        self._compiling.pop(definition_version_id, None)
        return compiled

    def seed(self, catalogue: Catalogue) -> None:
        """The services of a loaded tree are compiled already: a published version with the same
        content (hash) takes them as they are instead of compiling its bundle again (start-up)."""
        for service_id, compiled in catalogue.services.items():
            self._by_content.setdefault(content_hash(bundle_for(catalogue, service_id)), compiled)

    async def warm(self) -> int:
        """Compile every latest version ahead of the first request (one that today's checks refuse is
        logged and left out, never stops the start), then fill missing search texts."""
        # read (and parsed) once for the start: the runtime's refresh then finds them cached
        versions = list((await self.latest_versions()).values())
        for version in versions:
            try:
                await self.compiled_version(version.id, known=version)
            except BundleInvalid as exc:
                logging.getLogger("khidma").error(
                    "%s v%d is refused: %s", version.service_id, version.version, exc
                )
        await self.fill_search_texts()
        return len(versions)

    async def fill_search_texts(self, batch: int = 500) -> int:
        """Task lists (issue 5): compute the search text of the tickets that have none; returns how many."""
        filled = 0
        while tickets := await self.store.tickets_without_search_text(batch):
            texts = {}
            for ticket in tickets:
                compiled = await self.compiled_version(ticket.definition_version_id)
                texts[ticket.id] = search_text(compiled.form.schema, ticket.data)
            await self.store.set_search_texts(texts)
            filled += len(texts)
        return filled

    async def latest_versions(self) -> Mapping[str, DefinitionVersion]:
        """Every service's latest published version, by service id — read from the store (and every
        bundle parsed) only when the definitions stamp moved: a publish by this process or another."""
        stamp = await self.store.definitions_stamp()
        if stamp != self.stamp:
            async with self._reading_latest:
                if stamp != self.stamp:
                    versions = await self.store.latest_definitions()
                    self._latest = {version.service_id: version for version in versions}
                    self._numbers.update((version.id, version.version) for version in versions)
                    self.stamp = stamp  # read before the versions: a later publish reads them again
        return self._latest

    async def current(self, service_id: str) -> tuple[DefinitionVersion, CompiledService]:
        version = (await self.latest_versions()).get(service_id)
        if version is None:
            raise UnknownService(service_id)
        return version, await self.compiled_version(version.id)

    # --- evaluation context --------------------------------------------------------------

    async def context(
        self,
        compiled: CompiledService,
        sources: Iterable[Mapping[str, Mapping[str, Any]]],
        now: dt.datetime,
    ) -> EvalContext:
        """Fetch the lookup rows the service's expressions could read, keyed by the values at hand."""
        return await evaluation_context(self.store, self.calendar, compiled, sources, now)

    # --- tickets -------------------------------------------------------------------------

    async def submit(
        self,
        service_id: str,
        data: Mapping[str, Any],
        *,
        channel: str,
        actor: Actor,
        requester_id: str | None = None,
        idempotency_key: str | None = None,
        lang: Language = "ar",
    ) -> Created | Refusal:
        version, compiled = await self.current(service_id)
        now = self.clock()
        if idempotency_key is not None:
            existing = await self.store.get_ticket_by_idempotency_key(idempotency_key)
            if existing is not None:
                return Created(ticket=existing, created=False)
        ctx = await self.context(compiled, [{"data": data}], now)
        outcome = start(compiled, data=data, channel=channel, actor=actor, ctx=ctx, requester_id=requester_id)
        if isinstance(outcome, Refusal):
            return outcome
        # the form data as validated (defaults filled) is what the created event records
        stored_data = outcome.event.data or dict(data)
        prepared = await self.notifier.prepare(
            compiled, outcome.notifications, actor=actor, data=stored_data, requester_id=requester_id
        )
        new = NewTicket(
            service_id=service_id,
            definition_version_id=version.id,
            state=outcome.state,
            category=outcome.category,
            department=outcome.assignment.department,
            assignee_role=outcome.assignment.role,
            assignee_user=outcome.assignment.user,
            channel=channel,
            requester_id=requester_id,
            data=stored_data,
            vars=outcome.vars,
            idempotency_key=idempotency_key,
            language=lang,
            # task lists (issue 5): what their free text matches besides the number
            search_text=search_text(compiled.form.schema, stored_data),
            tracking_code=tracking_code(),  # the texts rendered before the transaction quote it
        )
        messages = message_builder(
            self.notifier, compiled, prepared, provisional(new, now), actor=actor, action_data={}, lang=lang
        )
        ticket, created = await self.store.create_ticket(
            new,
            [new_event(outcome, actor, now, stored_data)],
            messages,
            new_timers(self.calendar, outcome, now),
            now=now,
        )
        return Created(ticket=ticket, created=created)

    async def act(
        self,
        ticket_id: int,
        action_id: str,
        data: Mapping[str, Any],
        *,
        actor: Actor,
        expected_version: int,
        lang: Language = "ar",
        known: Ticket | None = None,
    ) -> Ticket | Refusal | Conflict:
        """Take ``action_id`` on the ticket. ``known``: the ticket as the caller has just read it (to
        check who may see it) — not read again; if it has changed since, its transaction's version check
        finds out (``Conflict``), as for any change made meanwhile."""
        ticket = (
            known if known is not None and known.id == ticket_id else await self.store.get_ticket(ticket_id)
        )
        if ticket is None:
            raise UnknownTicket(str(ticket_id))
        if ticket.version != expected_version:
            return Conflict(ticket=ticket)
        compiled = await self.compiled_version(ticket.definition_version_id)
        now = self.clock()
        ctx = await self.context(compiled, [{"data": ticket.data, "vars": ticket.vars, "action": data}], now)
        outcome = advance(compiled, view(ticket), action_id=action_id, data=data, actor=actor, ctx=ctx)
        if isinstance(outcome, Refusal):
            return outcome
        refused = await members_refusal(self.store, ticket, compiled.action_forms.get(action_id), data)
        if refused is not None:
            return refused
        prepared = await self.notifier.prepare(
            compiled, outcome.notifications, actor=actor, data=ticket.data, requester_id=ticket.requester_id
        )
        change = _change(outcome)
        messages = rendered_messages(
            self.notifier,
            compiled,
            prepared,
            ticket,
            change,
            now,
            actor=actor,
            action_data=outcome.event.data,
            lang=lang,
        )
        try:
            return await self.store.apply_change(
                ticket.id,
                expected_version,
                change,
                [new_event(outcome, actor, now, outcome.event.data)],
                messages,
                new_timers(self.calendar, outcome, now),
                cancel_pending_timers=outcome.cancel_timers,
                now=now,
            )
        except VersionConflict:
            fresh = await self.store.get_ticket(ticket.id)
            assert fresh is not None
            return Conflict(ticket=fresh)

    async def fire_due_timers(self) -> int:
        """Run the effects of every timer that fell due; returns how many fired
        (``server/tickets/timer_firing.py``)."""
        return await fire_due_timers(self)
