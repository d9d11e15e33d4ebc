"""Attachments, part of the ``Store`` of ``interface.py``: uploaded files, tied to a ticket once its
submission succeeds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from server.store.records import Attachment


class AttachmentsStore(Protocol):
    """Uploaded files: their metadata, bytes and clean-up."""

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
