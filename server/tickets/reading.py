"""Who may read a ticket, and its attachments: one rule for the staff ticket page, the ticket API and the
attachment download.

The rule itself is ``server.access`` (``read_scope`` / ``may_read``); here it meets the store: a ticket
that does not exist and one the user may not read both come back as None, so a caller answers the same
404 for both and reveals nothing. An attachment is readable when the ticket it belongs to is (an
attachment not yet tied to a ticket is nobody's to download).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from server.access import may_read, read_scope
from server.store.records import Ticket, User

if TYPE_CHECKING:
    from server.runtime import Runtime

__all__ = ["Download", "readable_attachment", "readable_ticket", "service_departments"]


class Download(msgspec.Struct, frozen=True):
    """An attachment the user may download: where its bytes are, and what to call them."""

    path: Path
    filename: str
    media_type: str


async def service_departments(runtime: Runtime) -> dict[str, str]:
    """Each published service's department (what department-scoped roles read by)."""
    return {compiled.service.id: compiled.service.department for _v, compiled in await runtime.published()}


async def may_read_ticket(runtime: Runtime, user: User | None, ticket: Ticket) -> bool:
    if user is None:
        return False
    return may_read(read_scope(user, runtime.org, await service_departments(runtime)), ticket)


async def readable_ticket(runtime: Runtime, user: User | None, ticket_id: int) -> Ticket | None:
    """The ticket, if it exists and ``user`` may read it; else None."""
    ticket = await runtime.store.get_ticket(ticket_id)
    if ticket is None or not await may_read_ticket(runtime, user, ticket):
        return None
    return ticket


async def readable_attachment(runtime: Runtime, user: User | None, attachment_id: str) -> Download | None:
    """The attachment, if it exists, belongs to a ticket and ``user`` may read that ticket; else None."""
    found = await runtime.store.get_attachment(attachment_id[:200])
    if found is None or found.ticket_id is None:
        return None
    if await readable_ticket(runtime, user, found.ticket_id) is None:
        return None
    return Download(
        path=runtime.store.attachment_path(found), filename=found.filename, media_type=found.media_type
    )
