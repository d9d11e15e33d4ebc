"""The "check your answers" step of a long form (GOV.UK): every answer with a "change" button, then
one button that sends the request.

The answers travel between the steps in one hidden field, signed with the server's secret
(:func:`seal`/:func:`unseal`): what is sent at the end is exactly what was checked, and a changed
field cannot slip in attachment ids the requester did not upload.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import msgspec

from server.definitions.catalogue import CompiledService
from server.forms.fields import FormView
from server.forms.names import child_id
from server.tickets.entries import named_entries

LONG_FORM_FIELDS = 6
"""A form with this many inputs or more (or any repeatable group) gets the "check your answers" step."""


class AnswerRow(msgspec.Struct, frozen=True):
    name: str
    label: str
    value: str
    field_id: str
    """The id of the field's input on the form (where "change" lands)."""


class CheckAnswersPage(msgspec.Struct, frozen=True):
    service_id: str
    service_name: str
    title: str
    rows: list[AnswerRow]
    answers: str
    """The signed answers (a hidden field)."""
    idempotency_key: str
    channel: str


def is_long(view: FormView) -> bool:
    inputs = [f for f in view.walk() if f.kind not in ("fieldset", "group", "hidden")]
    return view.has_groups or len(inputs) >= LONG_FORM_FIELDS


def _mac(secret: str, payload: bytes) -> str:
    digest = hmac.new(secret.encode(), payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def seal(secret: str, service_id: str, data: dict[str, Any], files: dict[str, str]) -> str:
    payload = json.dumps({"s": service_id, "d": data, "f": files}, ensure_ascii=False, sort_keys=True)
    body = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
    return f"{body}.{_mac(secret, body.encode())}"


def unseal(secret: str, service_id: str, token: str) -> tuple[dict[str, Any], dict[str, str]] | None:
    """The data and file names sealed for this service, or None (tampered, or another service's)."""
    body, _, mac = token.partition(".")
    if not body or not hmac.compare_digest(mac, _mac(secret, body.encode())):
        return None
    try:
        found = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError:
        return None
    if not isinstance(found, dict) or found.get("s") != service_id:
        return None
    data, files = found.get("d"), found.get("f")
    if not isinstance(data, dict) or not isinstance(files, dict):
        return None
    return data, {str(k): str(v) for k, v in files.items()}


def check_page(
    compiled: CompiledService,
    data: dict[str, Any],
    files: dict[str, str],
    *,
    lang: str,
    answers: str,
    key: str,
    channel: str,
) -> CheckAnswersPage:
    rows = []
    for name, entry in named_entries(compiled.form, data, lang):
        value = files.get(entry.value, entry.value)  # a file field shows its file's name
        rows.append(AnswerRow(name=name, label=entry.label, value=value, field_id=child_id("f", name)))
    return CheckAnswersPage(
        service_id=compiled.service.id,
        service_name=compiled.service.name.get(lang),
        title=compiled.form.title.get(lang),
        rows=rows,
        answers=answers,
        idempotency_key=key,
        channel=channel,
    )
