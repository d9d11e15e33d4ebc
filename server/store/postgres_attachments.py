"""Attachments and inbound channels, PostgreSQL side (``sqlite_attachments`` and
``sqlite_integrations``' contracts).

Attachments: metadata in PostgreSQL, bytes on disk, content-addressed by the SQLite store's own
SQL-free code (``sqlite_attachments.store_blob`` / ``blob_path``). The orphan clean-up unlinks a file
no row points at any more; an upload of the same bytes at that moment re-checks its file inside its
own transaction. SQLite serialises the two with its write lock; here they take one advisory lock —
shared by uploads, exclusive for the clean-up — so neither sees the other half-done.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from psycopg import IntegrityError

from server.store.interface import AlreadyExists, NotFound
from server.store.postgres_codec import Conn, PgBase, Row, execute, fetch_all, fetch_one, moment
from server.store.records import Attachment, InboundOutcome, IntegrationKey
from server.store.sqlite_attachments import blob_path, store_blob
from server.store.sqlite_integrations import TOUCH_EVERY

BLOBS_LOCK = 0x6B6869646D62  # the advisory lock between uploads (shared) and the orphan clean-up
_KEY = "id, name, channel, created_at, revoked_at, last_used_at"


def attachment_from_row(row: Row) -> Attachment:
    return Attachment(**{name: row[name] for name in Attachment.__struct_fields__})


def _key(row: Row) -> IntegrationKey:
    return IntegrationKey(**{name: row[name] for name in IntegrationKey.__struct_fields__})


async def _require_ticket(conn: Conn, ticket_id: int) -> None:
    if await fetch_one(conn, "SELECT 1 FROM tickets WHERE id = %s", (ticket_id,)) is None:
        raise NotFound(f"no ticket {ticket_id}")


async def _insert(
    conn: Conn, root: Path, content: bytes, sha256: str, values: tuple[object, ...]
) -> Attachment:
    await execute(conn, "SELECT pg_advisory_xact_lock_shared(%s)", (BLOBS_LOCK,))
    ticket_id = values[0]
    if isinstance(ticket_id, int):
        await _require_ticket(conn, ticket_id)
    if not blob_path(root, sha256).is_file():  # the clean-up removed identical bytes since (rare)
        await asyncio.to_thread(store_blob, root, content)
    row = await fetch_one(
        conn,
        "INSERT INTO attachments (id, ticket_id, field, filename, media_type, size, sha256, created_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING *",
        (secrets.token_urlsafe(18), *values),
    )
    assert row is not None
    return attachment_from_row(row)


async def _link(conn: Conn, ticket_id: int, wanted: list[str]) -> None:
    await _require_ticket(conn, ticket_id)
    rows = await fetch_all(
        conn,
        "SELECT id FROM attachments WHERE id = ANY(%s) AND (ticket_id IS NULL OR ticket_id = %s) FOR UPDATE",
        (wanted, ticket_id),
    )
    if set(wanted) - {row["id"] for row in rows}:
        missing = len(set(wanted) - {row["id"] for row in rows})
        raise NotFound(f"{missing} attachment(s) do not exist or belong to another ticket")
    await execute(conn, "UPDATE attachments SET ticket_id = %s WHERE id = ANY(%s)", (ticket_id, wanted))


async def _delete_orphans(conn: Conn, root: Path, cutoff: datetime) -> int:
    await execute(conn, "SELECT pg_advisory_xact_lock(%s)", (BLOBS_LOCK,))
    rows = await fetch_all(
        conn,
        "DELETE FROM attachments WHERE ticket_id IS NULL AND created_at < %s RETURNING sha256",
        (cutoff,),
    )
    for sha256 in sorted({row["sha256"] for row in rows}):
        if await fetch_one(conn, "SELECT 1 FROM attachments WHERE sha256 = %s LIMIT 1", (sha256,)) is None:
            blob_path(root, sha256).unlink(missing_ok=True)
    return len(rows)


class PgAttachmentsMixin(PgBase):
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
        at = moment(now)
        sha256 = await asyncio.to_thread(store_blob, self.attachments_dir, content)
        values = (ticket_id, field, filename, media_type, len(content), sha256, at)
        return await self._write(lambda conn: _insert(conn, self.attachments_dir, content, sha256, values))

    async def get_attachment(self, attachment_id: str) -> Attachment | None:
        row = await self._one("SELECT * FROM attachments WHERE id = %s", (attachment_id,))
        return None if row is None else attachment_from_row(row)

    async def get_attachments(self, attachment_ids: Sequence[str]) -> dict[str, Attachment]:
        rows = await self._all("SELECT * FROM attachments WHERE id = ANY(%s)", (sorted(set(attachment_ids)),))
        return {row["id"]: attachment_from_row(row) for row in rows}

    def attachment_path(self, attachment: Attachment) -> Path:
        return blob_path(self.attachments_dir, attachment.sha256)

    async def link_attachments(self, ticket_id: int, attachment_ids: Sequence[str]) -> None:
        wanted = sorted(set(attachment_ids))
        await self._write(lambda conn: _link(conn, ticket_id, wanted))

    async def delete_orphan_attachments(self, older_than: timedelta, now: datetime) -> int:
        cutoff = moment(now) - older_than
        return await self._write(lambda conn: _delete_orphans(conn, self.attachments_dir, cutoff))

    # --- inbound channels ---------------------------------------------------------------

    async def create_integration_key(
        self, name: str, channel: str, key_hash: str, *, now: datetime
    ) -> IntegrationKey:
        params = (name, channel, key_hash, moment(now))
        try:
            row = await self._write(
                lambda conn: fetch_one(
                    conn,
                    "INSERT INTO integration_keys (name, channel, key_hash, created_at) VALUES (%s, %s, %s, %s)"
                    f" RETURNING {_KEY}",
                    params,
                )
            )
        except IntegrityError as exc:
            raise AlreadyExists(f"an integration key named {name!r} already exists") from exc
        assert row is not None
        return _key(row)

    async def integration_key_by_hash(self, key_hash: str, *, now: datetime) -> IntegrationKey | None:
        at = moment(now)
        row = await self._one(
            f"SELECT {_KEY} FROM integration_keys WHERE key_hash = %s AND revoked_at IS NULL", (key_hash,)
        )
        if row is None:
            return None
        key = _key(row)
        if key.last_used_at is None or at - key.last_used_at >= TOUCH_EVERY:
            await self._write(
                lambda conn: execute(
                    conn, "UPDATE integration_keys SET last_used_at = %s WHERE id = %s", (at, key.id)
                )
            )
        return key

    async def revoke_integration_key(self, name: str, *, now: datetime) -> IntegrationKey:
        at = moment(now)
        row = await self._write(
            lambda conn: fetch_one(
                conn,
                f"UPDATE integration_keys SET revoked_at = coalesce(revoked_at, %s) WHERE name = %s RETURNING {_KEY}",
                (at, name),
            )
        )
        if row is None:
            raise NotFound(f"no integration key named {name!r}")
        return _key(row)

    async def list_integration_keys(self) -> list[IntegrationKey]:
        return [_key(row) for row in await self._all(f"SELECT {_KEY} FROM integration_keys ORDER BY id")]

    async def inbound_message_seen(self, message_id: str) -> bool:
        return (
            await self._one("SELECT 1 FROM inbound_messages WHERE message_id = %s", (message_id,)) is not None
        )

    async def record_inbound_message(
        self, message_id: str, ticket_id: int | None, outcome: InboundOutcome, *, now: datetime
    ) -> bool:
        params = (message_id, ticket_id, outcome, moment(now))
        written = await self._write(
            lambda conn: execute(
                conn,
                "INSERT INTO inbound_messages (message_id, ticket_id, outcome, received_at) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT (message_id) DO NOTHING",
                params,
            )
        )
        return written == 1

    async def ticket_of_messages(self, message_ids: Sequence[str], outbound_ids: Sequence[str]) -> int | None:
        found: int | None = None
        if message_ids:
            row = await self._one(
                "SELECT ticket_id FROM inbound_messages WHERE message_id = ANY(%s) AND ticket_id IS NOT NULL"
                " ORDER BY received_at DESC LIMIT 1",
                (list(message_ids),),
            )
            found = None if row is None else int(row["ticket_id"])
        if found is None and outbound_ids:
            row = await self._one(
                "SELECT ticket_id FROM outbox WHERE gateway_request_id = ANY(%s) ORDER BY id DESC LIMIT 1",
                (list(outbound_ids),),
            )
            found = None if row is None else int(row["ticket_id"])
        return found
