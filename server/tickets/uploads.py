"""Files uploaded with a form: checked against their field's limits, stored, then tied to the ticket.

One place for the requester's form, the tracking page's answers and the staff actions. A file field
(``x-widget: file``) may set ``x-max-bytes`` (else the server's ``max_upload_bytes``) and ``x-accept``
(media types, ``image/*`` allowed). A good file is stored as an attachment (not yet tied to a ticket
when the ticket does not exist yet) and its id goes into the form data in place of the file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from server.definitions.model import Form, Text
from server.i18n import t
from server.store.interface import Store
from server.validation import FieldError


class Upload(Protocol):
    """What is needed of an uploaded file (Litestar's ``UploadFile`` is one)."""

    filename: str
    content_type: str

    async def read(self, size: int = -1) -> bytes: ...


def _message(key: str, **values: str) -> Text:
    return Text(ar=t(key, "ar").format(**values), en=t(key, "en").format(**values))


def _accepted(media: str, accept: Sequence[str]) -> bool:
    return not accept or any(media == a or (a.endswith("/*") and media.startswith(a[:-1])) for a in accept)


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
        media = (upload.content_type or "application/octet-stream").split(";")[0].strip().lower()
        if len(content) > limit:
            errors.append(
                FieldError(
                    path=f"/{name}",
                    message=_message("upload_too_large", limit=f"{limit / 1024 / 1024:.1f} MB"),
                )
            )
            continue
        if not _accepted(media, node.get("x-accept") or []):
            errors.append(FieldError(path=f"/{name}", message=_message("upload_wrong_type")))
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
