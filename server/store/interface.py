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
from pathlib import Path
from typing import Any, Protocol

from server.accounts.records import ApiToken
from server.audit.chain import Break as ChainBreak
from server.store.interface_cache import CacheStore
from server.store.interface_channels import ChannelsStore
from server.store.interface_report_mail import ReportMailStore
from server.store.interface_timers import TimerClaimsStore
from server.store.records import (
    Assignment,
    Attachment,
    DefinitionVersion,
    Draft,
    Event,
    InboundOutcome,
    IntegrationKey,
    Messages,
    NewEvent,
    NewTicket,
    NewTimer,
    OutboxMessage,
    OutboxStatus,
    ReadyReply,
    ReportBasis,
    ReportRating,
    ReportTicket,
    SurveyResponse,
    TaskFilter,
    TaskOrder,
    TaskRow,
    Ticket,
    TicketChange,
    Timer,
    TimerStatus,
    User,
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


class Store(ReportMailStore, ChannelsStore, CacheStore, TimerClaimsStore, Protocol):
    """Durable storage of definitions, tickets, their history, outbox, timers and directory data."""

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
        self, task_filter: TaskFilter, order: TaskOrder, *, offset: int, limit: int
    ) -> list[TaskRow]:
        """One page of the tickets ``task_filter`` selects — always inside its ``scope`` — in
        ``order``; each row with its assignee's name and its due time (earliest pending timer), the
        requester account's name and the ticket's form data."""
        ...

    async def list_task_ids(
        self, task_filter: TaskFilter, order: TaskOrder, *, offset: int, limit: int
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

    # --- outbox -------------------------------------------------------------------------
    async def claim_outbox(
        self, *, now: datetime, limit: int, channels: Sequence[str] | None = None
    ) -> list[OutboxMessage]:
        """Due ``pending``/``failed`` messages become ``sending`` (attempts + 1), oldest due first.
        With ``channels``, only messages on those channels are claimed (none for an empty list), so a
        dispatcher leaves alone the channels it has no gateway for."""
        ...

    async def mark_sent(self, message_id: int, *, now: datetime) -> None: ...

    async def mark_failed(
        self, message_id: int, *, now: datetime, error: str, retry_at: datetime | None
    ) -> None:
        """``failed`` and due again at ``retry_at``; ``dead`` when ``retry_at`` is None."""
        ...

    async def list_outbox(
        self, ticket_id: int | None = None, status: OutboxStatus | None = None
    ) -> list[OutboxMessage]: ...

    async def retry_outbox(self, message_id: int, *, now: datetime) -> bool:
        """A ``dead`` message that has a recipient goes back to ``pending``, due at ``now``, with its
        attempts reset and its ``gateway_request_id`` kept; False (nothing changed) for any other."""
        ...

    async def requeue_sending(self, *, now: datetime, older_than: timedelta = ...) -> int:
        """Messages left ``sending`` (by a crash) go back to ``pending``; returns how many."""
        ...

    # --- timers -------------------------------------------------------------------------
    async def due_timers(self, *, now: datetime) -> list[Timer]: ...

    async def set_timer_status(self, timer_id: int, status: TimerStatus) -> None: ...

    # --- definitions --------------------------------------------------------------------
    async def publish_definition(
        self,
        service_id: str,
        bundle: Mapping[str, Any],
        content_hash: str,
        *,
        created_by: str | None,
        note: str,
        now: datetime,
    ) -> DefinitionVersion:
        """A new version (previous + 1), unless the latest one has the same ``content_hash``:
        then that one, unchanged."""
        ...

    async def latest_definition(self, service_id: str) -> DefinitionVersion | None: ...

    async def get_definition(self, definition_id: int) -> DefinitionVersion | None: ...

    async def latest_definitions(self) -> list[DefinitionVersion]:
        """The latest published version of every service."""
        ...

    async def list_definitions(self, service_id: str) -> list[DefinitionVersion]: ...

    # --- drafts and moving tickets (administration, issue 6) ----------------------------
    async def save_draft(
        self, service_id: str, files: Mapping[str, str], *, by: str | None, now: datetime
    ) -> Draft:
        """Create or replace the draft of ``service_id`` (stored as typed, valid or not)."""
        ...

    async def get_draft(self, service_id: str) -> Draft | None: ...

    async def list_drafts(self) -> list[Draft]: ...

    async def delete_draft(self, service_id: str) -> None: ...

    async def open_tickets_on(self, definition_version_id: int) -> list[Ticket]:
        """The tickets not closed that run on this definition version, by id."""
        ...

    async def migrate_ticket(
        self,
        ticket_id: int,
        expected_version: int,
        new_definition_version_id: int,
        change: TicketChange,
        event: NewEvent,
        *,
        data: Mapping[str, Any],
        timers: Sequence[NewTimer],
        search_text: str | None = None,
        now: datetime,
    ) -> Ticket:
        """Move a ticket to another definition version, in one transaction: its state, category, holder
        and variables (``change``), its data and search text as given, version + 1; ``event`` (kind
        ``migration``) appended; the holder's change recorded; its pending timers cancelled and
        ``timers`` set. Raises ``VersionConflict`` or ``NotFound``."""
        ...

    # --- lookup tables ------------------------------------------------------------------
    async def replace_lookup_table(
        self, table: str, key_column: str, rows: Sequence[Mapping[str, Any]]
    ) -> None: ...

    async def lookup_rows(self, table: str, key: str) -> list[dict[str, Any]]: ...

    async def lookup_rows_many(self, table: str, keys: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """One query for many keys; every asked key is in the result (``[]`` when absent)."""
        ...

    # --- users --------------------------------------------------------------------------
    async def add_user(
        self,
        *,
        username: str,
        name: str,
        roles: Sequence[str],
        now: datetime,
        id: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        department: str | None = None,
        password_hash: str | None = None,
        active: bool = True,
    ) -> User: ...

    async def get_user(self, user_id: str) -> User | None: ...

    async def get_users(self, user_ids: Sequence[str]) -> dict[str, User]:
        """One query for many users, by id; an unknown id is left out."""
        ...

    async def get_user_by_username(self, username: str) -> User | None: ...

    async def users_in_department(
        self, department: str, role: str | None = None, *, active_only: bool = True
    ) -> list[User]: ...

    # --- accounts: passwords, sessions, API tokens, log-in throttle ---------------------
    # Secrets never reach the store: sessions and tokens arrive as the SHA-256 (hex) of the token
    # the client holds, passwords as their scrypt hash (``server.accounts``).

    async def set_password(
        self, user_id: str, password_hash: str | None, *, end_sessions: bool = True
    ) -> None:
        """Set (or, with None, remove) the user's password hash; by default also ends every session
        of the user. Raises ``NotFound``."""
        ...

    async def users_with_role(self, role: str, *, active_only: bool = True) -> list[User]:
        """Users holding ``role``, in every department (and none)."""
        ...

    async def list_users(self, *, active_only: bool = False) -> list[User]:
        """Every user, by username."""
        ...

    async def create_session(
        self, user_id: str, id_hash: str, *, now: datetime, expires_at: datetime
    ) -> None:
        """A new session ending at ``expires_at`` at the latest; also forgets the expired ones.
        Raises ``NotFound`` for an unknown user."""
        ...

    async def get_session_user(self, id_hash: str, *, now: datetime, idle: timedelta) -> User | None:
        """The session's user, if the session exists, is before its absolute end and was seen less
        than ``idle`` ago, and the user is active; ``last_seen_at`` becomes ``now`` (at most once a
        minute). An expired session is deleted."""
        ...

    async def delete_session(self, id_hash: str) -> None:
        """Idempotent."""
        ...

    async def delete_user_sessions(self, user_id: str) -> int:
        """Ends every session of the user; returns how many."""
        ...

    async def create_api_token(self, user_id: str, name: str, token_hash: str, *, now: datetime) -> ApiToken:
        """Raises ``NotFound`` for an unknown user."""
        ...

    async def get_token_user(self, token_hash: str, *, now: datetime) -> User | None:
        """The token's user, if the token exists, is not revoked and the user is active;
        ``last_used_at`` becomes ``now`` (at most once a minute)."""
        ...

    async def revoke_token(self, token_id: int, *, now: datetime) -> ApiToken:
        """Idempotent (the first revocation date stays). Raises ``NotFound``."""
        ...

    async def list_tokens(self, user_id: str) -> list[ApiToken]:
        """The user's tokens, revoked ones included, oldest first."""
        ...

    async def record_failed_login(
        self, keys: Sequence[str], *, now: datetime, forget_before: datetime | None = None
    ) -> None:
        """One failed attempt under each key; attempts older than ``forget_before`` are dropped."""
        ...

    async def count_failed_logins(self, key: str, *, since: datetime) -> int: ...

    async def clear_failed_logins(self, key: str) -> None: ...

    async def take_rate_token(self, key: str, *, limit: int, now: datetime, since: datetime) -> bool:
        """Count one hit under ``key`` unless it already has ``limit`` hits since ``since`` (then False
        and nothing is counted); hits before ``since`` are forgotten. One transaction, so every
        process sharing the file sees the same counts."""
        ...

    # --- survey responses ---------------------------------------------------------------
    async def add_survey_response(
        self, *, ticket_id: int, survey_id: str, answers: Mapping[str, int], comment: str, now: datetime
    ) -> SurveyResponse:
        """Record a ticket's rating; a second one raises ``AlreadyExists``."""
        ...

    async def get_survey_response(self, ticket_id: int) -> SurveyResponse | None: ...

    # --- reports (read-only; server/reports) ----------------------------------------------
    async def report_tickets(
        self,
        *,
        services: Sequence[str],
        basis: ReportBasis,
        start: datetime,
        end: datetime,
        variables: Sequence[str] = (),
        fields: Sequence[str] = (),
    ) -> list[ReportTicket]:
        """The tickets of ``services`` a report counts over ``[start, end)``: ``status`` — every ticket
        created before ``end``, with its state at ``end`` (the caller drops those closed before
        ``start``); ``current`` — the same for a period not yet ended (the state now, those closed
        before ``start`` left out); ``created`` / ``closed`` — those created / closed in the period. ``variables`` and
        ``fields`` name the values to read into :attr:`ReportTicket.values`."""
        ...

    async def report_overdue(
        self,
        *,
        services: Sequence[str],
        now: datetime,
        variables: Sequence[str] = (),
        fields: Sequence[str] = (),
    ) -> list[ReportTicket]:
        """The tickets of ``services`` not closed whose earliest pending timer is due at or before ``now``."""
        ...

    async def report_ratings(
        self, *, services: Sequence[str], start: datetime, end: datetime
    ) -> list[ReportRating]:
        """The survey responses given in ``[start, end)`` on tickets of ``services``."""
        ...

    # --- ready replies ------------------------------------------------------------------
    async def add_ready_reply(
        self,
        *,
        title_ar: str,
        title_en: str,
        body_ar: str,
        body_en: str,
        tags: Sequence[str] = (),
        active: bool = True,
    ) -> ReadyReply: ...

    async def search_ready_replies(self, query: str, *, limit: int = 20) -> list[ReadyReply]: ...

    # --- administration (users, lookup tables, ready replies) --------------------------
    async def update_user(
        self,
        user_id: str,
        *,
        name: str,
        email: str | None,
        phone: str | None,
        department: str | None,
        roles: Sequence[str],
    ) -> User:
        """Replace the user's contact details, department and roles. Raises ``NotFound``."""
        ...

    async def set_user_active(self, user_id: str, active: bool) -> User:
        """(De)activate the user; deactivating also ends every session. Raises ``NotFound``."""
        ...

    async def list_lookup_table(
        self, table: str, *, offset: int = 0, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """The table's rows in the order they were stored (all of them when ``limit`` is None)."""
        ...

    async def count_lookup_rows(self, table: str) -> int: ...

    async def get_ready_reply(self, reply_id: int) -> ReadyReply | None: ...

    async def update_ready_reply(
        self,
        reply_id: int,
        *,
        title_ar: str,
        title_en: str,
        body_ar: str,
        body_en: str,
        tags: Sequence[str],
        active: bool,
    ) -> ReadyReply:
        """Raises ``NotFound``."""
        ...

    async def list_ready_replies(
        self, query: str = "", *, include_inactive: bool = True, offset: int = 0, limit: int = 50
    ) -> list[ReadyReply]:
        """Replies whose titles, bodies or tags contain ``query`` (every reply when it is empty),
        active first."""
        ...

    # --- attachments --------------------------------------------------------------------
    async def add_attachment(
        self,
        *,
        ticket_id: int | None,
        field: str,
        filename: str,
        media_type: str,
        content: bytes,
        now: datetime,
    ) -> Attachment: ...

    async def get_attachment(self, attachment_id: str) -> Attachment | None: ...

    async def get_attachments(self, attachment_ids: Sequence[str]) -> dict[str, Attachment]:
        """One query for many attachments, by id; an unknown id is left out."""
        ...

    def attachment_path(self, attachment: Attachment) -> Path: ...

    async def link_attachments(self, ticket_id: int, attachment_ids: Sequence[str]) -> None: ...

    async def delete_orphan_attachments(self, older_than: timedelta, now: datetime) -> int:
        """Delete the attachments tied to no ticket (their submission failed) created more than
        ``older_than`` before ``now``, with their files unless another attachment shares them;
        returns how many were deleted."""
        ...

    # --- the audit chain (server/audit/chain.py) -----------------------------------------
    async def verify_event_chains(self) -> tuple[int, int, list[ChainBreak]]:
        """Check every ticket's chain of sealed events under the store's key: (tickets, events,
        the first broken link of each broken chain)."""
        ...

    async def rechain_events(self, *, reason: str, now: datetime) -> tuple[int, int]:
        """Seal the events not sealed yet (from before the chain), recording the run with ``reason``;
        (tickets, events) sealed. A sealed event is never resealed."""
        ...

    async def audit_chain_log(self) -> list[dict[str, Any]]:
        """Every recorded sealing run (id, at, action, reason, tickets, events), oldest first."""
        ...

    # --- maintenance --------------------------------------------------------------------
    async def integrity_check(self) -> str: ...

    # --- inbound channels (issue 12: integration keys, inbound e-mail) ---------------------
    async def create_integration_key(
        self, name: str, channel: str, key_hash: str, *, now: datetime
    ) -> IntegrationKey:
        """Raises ``AlreadyExists`` when a key (live or revoked) already has this name."""
        ...

    async def integration_key_by_hash(self, key_hash: str, *, now: datetime) -> IntegrationKey | None:
        """The live key with this hash (its ``last_used_at`` brought up to date), else None."""
        ...

    async def revoke_integration_key(self, name: str, *, now: datetime) -> IntegrationKey:
        """Raises ``NotFound`` for an unknown name."""
        ...

    async def list_integration_keys(self) -> list[IntegrationKey]: ...

    async def inbound_message_seen(self, message_id: str) -> bool: ...

    async def record_inbound_message(
        self, message_id: str, ticket_id: int | None, outcome: InboundOutcome, *, now: datetime
    ) -> bool:
        """Records an inbound e-mail by its Message-ID; False (nothing written) when already recorded."""
        ...

    async def ticket_of_messages(self, message_ids: Sequence[str], outbound_ids: Sequence[str]) -> int | None:
        """The ticket an e-mail replies to: the ticket of an inbound message recorded under one of
        ``message_ids``, else of the outbound notification whose ``gateway_request_id`` is one of
        ``outbound_ids``; None when neither is known."""
        ...
