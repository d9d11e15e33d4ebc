"""The storage interface: what the service layer may ask of a store, whatever the backend.

SQLite (``server.store.sqlite``) is the embedded default; a PostgreSQL backend implements the same
Protocol. Contract every backend keeps:

* every write method is ONE transaction — all of it is durable when the method returns, none of it
  is when the method raises;
* a ticket's ``version`` is the optimistic-concurrency token: ``apply_change`` succeeds only if the
  caller's ``expected_version`` is still current, else raises ``VersionConflict`` and writes nothing;
* events and published definitions are never updated or deleted;
* an outbox message keeps its ``gateway_request_id`` across retries, so a gateway can deduplicate;
* records carry timezone-aware datetimes; inputs with naive datetimes are refused (``ValueError``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from server.store.interface_accounts import AccountsStore
from server.store.interface_attachments import AttachmentsStore
from server.store.interface_audit import AuditStore
from server.store.interface_cache import CacheStore
from server.store.interface_channels import ChannelsStore
from server.store.interface_definitions import DefinitionsStore
from server.store.interface_directory import DirectoryStore
from server.store.interface_integrations import IntegrationsStore
from server.store.interface_outbox import OutboxStore
from server.store.interface_report_mail import ReportMailStore
from server.store.interface_reports import ReportsStore
from server.store.interface_tasks import TaskCountsStore
from server.store.interface_timers import TimerClaimsStore
from server.store.records import (
    Assignment,
    Event,
    Messages,
    NewEvent,
    NewTicket,
    NewTimer,
    Seek,
    TaskFilter,
    TaskOrder,
    TaskRow,
    Ticket,
    TicketChange,
)

SENDING_LEASE = timedelta(minutes=5)
"""How long a message may stay ``sending`` before it is taken for a crashed sender's and re-queued. A
live dispatcher finishes a send well within it, so another process opening the store never re-queues a
message that is being sent right now."""


class StoreError(Exception):
    """Base of the errors a store raises on purpose."""


class NotFound(StoreError):
    """The ticket, message, timer, attachment… named by the caller does not exist."""


class VersionConflict(StoreError):
    """The ticket changed since the caller read it; nothing was written."""

    def __init__(self, current_version: int) -> None:
        super().__init__(f"the ticket is at version {current_version}; reload it and try again")
        self.current_version = current_version


class AlreadyExists(StoreError):
    """A unique value (a username, for example) is already taken."""


class SchemaTooNew(StoreError):
    """The database was migrated by a newer khidma than this one."""


class Store(
    TaskCountsStore,
    OutboxStore,
    DefinitionsStore,
    DirectoryStore,
    AccountsStore,
    ReportsStore,
    AttachmentsStore,
    AuditStore,
    IntegrationsStore,
    ReportMailStore,
    ChannelsStore,
    CacheStore,
    TimerClaimsStore,
    Protocol,
):
    """Durable storage of definitions, tickets, their history, outbox, timers and directory data.

    Tickets and task lists are declared here; every other area in a Protocol of its own
    (``interface_<area>.py``), a base of this one."""

    async def close(self) -> None: ...

    # --- tickets ------------------------------------------------------------------------
    async def create_ticket(
        self,
        new: NewTicket,
        events: Sequence[NewEvent],
        messages: Messages,
        timers: Sequence[NewTimer],
        *,
        now: datetime,
    ) -> tuple[Ticket, bool]:
        """Insert a ticket with its events, first assignment, outbox rows and timers. ``messages``
        may be a builder called with the ticket as inserted (see ``records.Messages``).

        Returns ``(ticket, True)``; or, when ``new.idempotency_key`` is already taken,
        ``(existing ticket, False)`` having written nothing."""
        ...

    async def apply_change(
        self,
        ticket_id: int,
        expected_version: int,
        change: TicketChange,
        events: Sequence[NewEvent],
        messages: Messages,
        timers: Sequence[NewTimer],
        *,
        cancel_pending_timers: bool,
        now: datetime,
        fired_timer_id: int | None = None,
    ) -> Ticket:
        """Update the ticket (version + 1), append events, record an assignment when the holder
        changed, queue messages, cancel pending timers if asked, add timers; and, when
        ``fired_timer_id`` is given, mark that timer fired — all in one transaction.

        Raises ``VersionConflict`` (stale ``expected_version``) or ``NotFound``."""
        ...

    async def get_ticket(self, ticket_id: int) -> Ticket | None: ...

    async def get_ticket_by_number(self, number: str) -> Ticket | None: ...

    async def get_ticket_by_idempotency_key(self, key: str) -> Ticket | None: ...

    async def list_events(self, ticket_id: int, *, public_only: bool = False) -> list[Event]: ...

    async def list_assignments(self, ticket_id: int) -> list[Assignment]: ...

    async def ticket_due(self, ticket_id: int) -> datetime | None:
        """The earliest pending timer's due time (what the task lists sort and badge by)."""
        ...

    # --- task lists (server/tickets/tasks.py) ---------------------------------------------------
    async def list_tasks(
        self,
        task_filter: TaskFilter,
        order: TaskOrder,
        *,
        offset: int,
        limit: int,
        total: int | None = None,
        seek: Seek | None = None,
    ) -> list[TaskRow]:
        """One page of the tickets ``task_filter`` selects — always inside its ``scope`` — in
        ``order``; each row with its assignee's name and its due time (earliest pending timer), the
        requester account's name and the ticket's form data. ``total``: how many tickets the filter
        selects, when the caller has counted them exactly — a page past the middle is then read from
        the list's other end (``task_clauses.from_the_end``). ``seek``: the ``limit`` rows next to a
        row's key instead (``offset`` and ``total`` unused), in the list's order either way."""
        ...

    async def list_task_ids(
        self, task_filter: TaskFilter, order: TaskOrder, *, offset: int, limit: int, seek: Seek | None = None
    ) -> list[int]:
        """The ids of the rows ``list_tasks`` would give, alone (for walking a list: "next ticket")."""
        ...

    async def count_tasks(self, task_filter: TaskFilter) -> dict[str, int]:
        """category → how many tickets ``task_filter`` selects, its ``category`` aside (categories
        without a ticket are left out)."""
        ...

    async def tickets_without_search_text(self, limit: int) -> list[Ticket]:
        """Tickets whose search text was never computed (created before it existed), oldest first."""
        ...

    async def set_search_texts(self, texts: Mapping[int, str]) -> None:
        """ticket id → its search text, in one transaction."""
        ...

    # --- maintenance --------------------------------------------------------------------
    async def integrity_check(self) -> str: ...
