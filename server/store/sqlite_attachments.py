"""Attachments: metadata in SQLite, bytes on disk, content-addressed.

A file's bytes live at ``attachments_dir/<sha256[:2]>/<sha256>``: written to a temporary file in the
same directory, fsynced, renamed into place, the directory fsynced — so a reader never sees a partial
file, and identical content is stored once however many attachments point at it. The bytes are
written before the metadata row is committed; a crash between the two leaves an unreferenced file
(harmless, collectable), never a row without its file.

Orphans: a file uploaded with a submission that then failed is never tied to a ticket.
``delete_orphans`` removes such rows older than a cut-off, and the bytes no remaining row points at.
It unlinks inside the write transaction, and ``SQLiteStore.add_attachment`` re-checks its bytes are on
disk inside its own: the two are serialised by SQLite's write lock, so an upload of the same content at
the same moment can never end up with a row whose file was just removed.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
import sqlite3
import tempfile
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import aiosqlite

from server.store.interface import NotFound
from server.store.records import Attachment
from server.store.sqlite_codec import fetch_all, fetch_one, json_text, parse_time, time_text
from server.store.sqlite_connection import Writer


def blob_path(root: Path, sha256: str) -> Path:
    return root / sha256[:2] / sha256


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def store_blob(root: Path, content: bytes) -> str:
    """Write ``content`` under ``root`` unless it is already there; returns its sha256 (blocking)."""
    sha256 = hashlib.sha256(content).hexdigest()
    target = blob_path(root, sha256)
    if target.is_file() and target.stat().st_size == len(content):
        return sha256
    if not target.parent.is_dir():
        target.parent.mkdir(parents=True, exist_ok=True)
        _fsync_dir(target.parent.parent)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        Path(temporary).replace(target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)
    return sha256


def attachment_from_row(row: sqlite3.Row) -> Attachment:
    return Attachment(
        id=row["id"],
        ticket_id=row["ticket_id"],
        field=row["field"],
        filename=row["filename"],
        media_type=row["media_type"],
        size=row["size"],
        sha256=row["sha256"],
        created_at=parse_time(row["created_at"]),
    )


async def _require_ticket(conn: aiosqlite.Connection, ticket_id: int) -> None:
    if await fetch_one(conn, "SELECT 1 FROM tickets WHERE id = ?", (ticket_id,)) is None:
        raise NotFound(f"no ticket {ticket_id}")


async def insert_attachment(
    conn: aiosqlite.Connection,
    *,
    ticket_id: int | None,
    field: str,
    filename: str,
    media_type: str,
    size: int,
    sha256: str,
    now: datetime,
) -> Attachment:
    if ticket_id is not None:
        await _require_ticket(conn, ticket_id)
    row = await fetch_one(
        conn,
        "INSERT INTO attachments (id, ticket_id, field, filename, media_type, size, sha256, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
        (secrets.token_urlsafe(18), ticket_id, field, filename, media_type, size, sha256, time_text(now)),
    )
    assert row is not None
    return attachment_from_row(row)


async def get_attachment(conn: aiosqlite.Connection, attachment_id: str) -> Attachment | None:
    row = await fetch_one(conn, "SELECT * FROM attachments WHERE id = ?", (attachment_id,))
    return None if row is None else attachment_from_row(row)


async def get_attachments(conn: aiosqlite.Connection, attachment_ids: Sequence[str]) -> dict[str, Attachment]:
    rows = await fetch_all(
        conn,
        "SELECT * FROM attachments WHERE id IN (SELECT value FROM json_each(?))",
        (json_text(sorted(set(attachment_ids))),),
    )
    return {row["id"]: attachment_from_row(row) for row in rows}


async def link_attachments(conn: aiosqlite.Connection, ticket_id: int, attachment_ids: Sequence[str]) -> None:
    """Attach uploaded files to ``ticket_id``. Every id must exist and be unlinked (or linked to this
    ticket already); otherwise nothing is linked."""
    await _require_ticket(conn, ticket_id)
    wanted = sorted(set(attachment_ids))
    rows = await fetch_all(
        conn,
        "SELECT id FROM attachments WHERE id IN (SELECT value FROM json_each(?))"
        " AND (ticket_id IS NULL OR ticket_id = ?)",
        (json_text(wanted), ticket_id),
    )
    missing = set(wanted) - {row["id"] for row in rows}
    if missing:
        raise NotFound(f"{len(missing)} attachment(s) do not exist or belong to another ticket")
    await conn.execute(
        "UPDATE attachments SET ticket_id = ? WHERE id IN (SELECT value FROM json_each(?))",
        (ticket_id, json_text(wanted)),
    )


async def delete_orphans(conn: aiosqlite.Connection, root: Path, cutoff: datetime) -> int:
    """Delete the attachments tied to no ticket and created before ``cutoff``, and the files no other
    attachment shares; returns how many attachments were deleted."""
    rows = await fetch_all(
        conn,
        "DELETE FROM attachments WHERE ticket_id IS NULL AND created_at < ? RETURNING sha256",
        (time_text(cutoff),),
    )
    for sha256 in sorted({row["sha256"] for row in rows}):
        if await fetch_one(conn, "SELECT 1 FROM attachments WHERE sha256 = ? LIMIT 1", (sha256,)) is None:
            blob_path(root, sha256).unlink(missing_ok=True)
    return len(rows)


class SQLiteAttachmentsMixin:
    """``AttachmentsStore`` (``interface_attachments``) on the store's connections and its
    ``attachments_dir`` (a base of ``SQLiteStore``)."""

    _writer: Writer
    _reader: aiosqlite.Connection
    attachments_dir: Path

    async def add_attachment(
        self,
        *,
        ticket_id: int | None,
        field: str,
        filename: str,
        media_type: str,
        content: bytes,
        now: datetime,
    ) -> Attachment:
        sha256 = await asyncio.to_thread(store_blob, self.attachments_dir, content)

        async def insert(conn: aiosqlite.Connection) -> Attachment:
            # The orphan clean-up may have removed identical bytes since: write them again (rare).
            if not blob_path(self.attachments_dir, sha256).is_file():
                store_blob(self.attachments_dir, content)
            return await insert_attachment(
                conn,
                ticket_id=ticket_id,
                field=field,
                filename=filename,
                media_type=media_type,
                size=len(content),
                sha256=sha256,
                now=now,
            )

        return await self._writer.run(insert)

    async def get_attachment(self, attachment_id: str) -> Attachment | None:
        return await get_attachment(self._reader, attachment_id)

    async def get_attachments(self, attachment_ids: Sequence[str]) -> dict[str, Attachment]:
        return await get_attachments(self._reader, attachment_ids)

    def attachment_path(self, attachment: Attachment) -> Path:
        return blob_path(self.attachments_dir, attachment.sha256)

    async def link_attachments(self, ticket_id: int, attachment_ids: Sequence[str]) -> None:
        await self._writer.run(lambda conn: link_attachments(conn, ticket_id, attachment_ids))

    async def delete_orphan_attachments(self, older_than: timedelta, now: datetime) -> int:
        return await self._writer.run(
            lambda conn: delete_orphans(conn, self.attachments_dir, now - older_than)
        )
