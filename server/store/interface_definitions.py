"""Published service definitions, drafts and moving tickets between definition versions (administration,
issue 6), part of the ``Store`` of ``interface.py``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from server.store.records import DefinitionVersion, Draft, NewEvent, NewTimer, Ticket, TicketChange


class DefinitionsStore(Protocol):
    """Published definition versions, their drafts, and moving tickets between versions."""

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
