"""Files uploaded with a form: checked against their field's limits, stored, then tied to the ticket.

One place for the requester's form, the tracking page's answers and the staff actions. A file field
(``x-widget: file``) may set ``x-max-bytes`` (else the server's ``max_upload_bytes``) and ``x-accept``
(media types, ``image/*`` allowed). A good file is stored as an attachment (not yet tied to a ticket
when the ticket does not exist yet) and its id goes into the form data in place of the file.

A file's type is read from its bytes (``puremagic``'s signatures), never from the browser's claimed
``Content-Type`` nor from the file name: ``invoice.pdf.exe`` — or ``invoice.pdf`` — holding a Windows
executable is an executable, refused by a field that accepts PDF and images. Bytes no signature knows
are ``text/plain`` when they are UTF-8 text without control characters, else
``application/octet-stream``. The detected type is the one stored (and sent back on download).

An attachment whose submission then failed is never tied to a ticket; ``delete_orphan_attachments``
(run hourly by the background worker, see ``server/runtime.py``) removes those older than a day.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from server.definitions.model import Form, Text
from server.i18n import t
from server.store.interface import Store
from server.validation import FieldError

log = logging.getLogger("khidma.uploads")


class Upload(Protocol):
    """What is needed of an uploaded file (Litestar's ``UploadFile`` is one)."""

    filename: str
    content_type: str

    async def read(self, size: int = -1) -> bytes: ...


def _message(key: str, **values: str) -> Text:
    return Text(ar=t(key, "ar").format(**values), en=t(key, "en").format(**values))


def _accepted(media: str, accept: Sequence[str]) -> bool:
    return not accept or any(media == a or (a.endswith("/*") and media.startswith(a[:-1])) for a in accept)


OCTET_STREAM = "application/octet-stream"
_INLINE_DETECTION_BYTES = 256 * 1024
_TEXT_CONTROLS = frozenset(range(32)) - {9, 10, 13}


def _looks_like_text(content: bytes) -> bool:
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not _TEXT_CONTROLS.intersection(content[:65536])


def detect_media_types(content: bytes) -> list[str]:
    """The media types ``content``'s bytes say it is, the most certain first (several when a signature
    is shared: an ``.xlsx`` and a ``.docx`` both begin as a zip), never empty."""
    import puremagic  # with the first upload: its signature tables are a twentieth of a start

    try:
        matches = [m for m in puremagic.magic_string(content) if m.mime_type]
    except (puremagic.PureError, ValueError):  # no signature matches, or no bytes at all
        matches = []
    if matches:
        best = max(m.confidence for m in matches)
        found = [m.mime_type.lower() for m in matches if m.confidence == best]
        return list(dict.fromkeys(found))
    if content and _looks_like_text(content):
        return ["text/plain"]
    return [OCTET_STREAM]


def file_fields(form: Form) -> dict[str, Mapping[str, Any]]:
    """The form's top-level file fields, by name."""
    props = form.schema.get("properties") or {}
    return {
        name: node
        for name, node in props.items()
        if isinstance(node, Mapping) and node.get("x-widget") == "file"
    }


async def store_uploads(
    store: Store,
    form: Form,
    uploads: Mapping[str, Sequence[Upload]],
    data: dict[str, Any],
    *,
    max_bytes: int,
    ticket_id: int | None = None,
) -> tuple[list[FieldError], dict[str, str]]:
    """Check each uploaded file against its field's limits and store the good ones; their ids go into
    ``data``. Returns the errors and attachment id → file name."""
    errors: list[FieldError] = []
    names: dict[str, str] = {}
    fields = file_fields(form)
    for name, files in uploads.items():
        node = fields.get(name)
        if node is None or not files:
            continue
        upload = files[0]
        content = await upload.read()
        limit = int(node.get("x-max-bytes") or max_bytes)
        if len(content) > limit:
            errors.append(
                FieldError(
                    path=f"/{name}",
                    message=_message("upload_too_large", limit=f"{limit / 1024 / 1024:.1f} MB"),
                )
            )
            continue
        accept = node.get("x-accept") or []
        # the browser's claim and the file name are not trusted; a large file is read off the event loop
        detected = (
            await asyncio.to_thread(detect_media_types, content)
            if len(content) > _INLINE_DETECTION_BYTES
            else detect_media_types(content)
        )
        media = next((m for m in detected if _accepted(m, accept)), None)
        if media is None:
            errors.append(
                FieldError(
                    path=f"/{name}",
                    message=_message("upload_content_refused", found=detected[0], accepted=", ".join(accept)),
                )
            )
            continue
        attachment = await store.add_attachment(
            ticket_id=ticket_id,
            field=name,
            filename=upload.filename or name,
            media_type=media,
            content=content,
            now=dt.datetime.now(dt.UTC),
        )
        data[name] = attachment.id
        names[attachment.id] = attachment.filename
    return errors, names


async def link_uploads(store: Store, ticket_id: int, form: Form, data: Mapping[str, Any]) -> None:
    """Tie the attachments a submission uploaded to the ticket it created."""
    ids = [str(data[name]) for name in file_fields(form) if data.get(name)]
    if ids:
        await store.link_attachments(ticket_id, ids)


class OrphanCleanup:
    """The background worker's periodic task that removes orphaned uploads: at most once per
    ``every`` (the worker's round is seconds), it deletes the attachments tied to no ticket that are
    older than ``grace`` — long enough for a requester to correct a refused form and send it again."""

    def __init__(
        self,
        store: Store,
        *,
        grace: dt.timedelta = dt.timedelta(hours=24),
        every: dt.timedelta = dt.timedelta(hours=1),
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.store = store
        self.grace = grace
        self.every = every
        self.clock = clock
        self.last_run: dt.datetime | None = None

    async def __call__(self) -> int:
        """Deleted attachments (0 when not yet due)."""
        now = self.clock()
        if self.last_run is not None and now - self.last_run < self.every:
            return 0
        self.last_run = now
        deleted = await self.store.delete_orphan_attachments(self.grace, now)
        if deleted:
            log.info("removed %d orphaned attachment(s) older than %s", deleted, self.grace)
        return deleted
