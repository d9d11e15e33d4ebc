"""Applying for a service: the form, its HTMX fragments, the "check your answers" step, the submission.

The rules: a service that needs a log-in asks for one; a representative (a user among the service's
eligible staff roles) records the request under a staff channel and lands on the staff ticket page
afterwards; a requester lands on "request sent". A long form (``answers.is_long``) is checked before it
is sent; a short one is sent at once. The idempotency key travels with the form, so sending it twice
creates one ticket.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

import msgspec
from markupsafe import Markup

from server.definitions.catalogue import CompiledService
from server.definitions.model import Form, Text
from server.engine.model import Actor, Refusal
from server.forms.coerce import coerce, group_action
from server.forms.html import render_field, render_form_fields, render_group
from server.forms.view import build_form
from server.i18n import t
from server.notify.phones import telephone_fields_ascii, to_e164
from server.requests.answers import check_page, is_long, seal, unseal
from server.requests.fresh_forms import FreshForm, fresh_form
from server.requests.results import MISSING, NEEDS_LOGIN, GoTo, Missing, NeedsLogin, Result, Shown
from server.requests.services import (
    actor_of,
    published,
    requester_channel,
    staff_channels,
    ticket_lang,
    timezone,
)
from server.runtime import Runtime
from server.store.records import User
from server.tickets.service import Created
from server.tickets.uploads import Upload, link_uploads, store_uploads
from server.validation import FieldError, apply_defaults, validate

Values = Mapping[str, list[str]]
Files = Mapping[str, Sequence[Upload]]


class ApplyPage(msgspec.Struct, frozen=True):
    service_id: str
    service_name: str
    title: str
    fields: Markup
    error_summary: list[tuple[str, str, str]]
    multipart: bool
    channels: list[tuple[str, str]]
    """Channels a representative may record the request under (empty for requesters)."""
    channel: str
    idempotency_key: str
    """Carried across re-renders, so sending the same form twice creates one ticket."""
    notice: str = ""


class Fragment(msgspec.Struct, frozen=True):
    """HTML for HTMX to swap in (empty: nothing to swap, answered 204)."""

    html: str


def _fields_url(compiled: CompiledService) -> str:
    return f"/services/{compiled.service.id}/apply/fields"


def _apply_page(
    compiled: CompiledService,
    viewer: User | None,
    *,
    lang: str,
    channel: str,
    data: dict[str, Any] | None = None,
    errors: Sequence[FieldError] = (),
    files: dict[str, str] | None = None,
    key: str | None = None,
    action: tuple[str, str, int] | None = None,
    notice: str = "",
) -> ApplyPage:
    def render() -> FreshForm:
        view = build_form(
            compiled.form,
            data=data,
            errors=errors,
            lang=lang,
            files=files or {},
            hx_url=_fields_url(compiled),
            timezone=timezone(compiled),
        )
        if action is not None:
            view.focus_after(action)
        return FreshForm(
            title=view.title,
            fields=render_form_fields(view),
            multipart=view.multipart,
            error_summary=tuple(view.error_summary),
        )

    empty = data is None and not errors and not files and action is None
    form = fresh_form(compiled, lang, render) if empty else render()
    org = compiled.organisation
    return ApplyPage(
        service_id=compiled.service.id,
        service_name=compiled.service.name.get(lang),
        title=form.title,
        fields=form.fields,
        error_summary=list(form.error_summary),
        multipart=form.multipart,
        channels=[(c, org.channels[c].name.get(lang)) for c in staff_channels(compiled, actor_of(viewer))],
        channel=channel,
        idempotency_key=key or secrets.token_urlsafe(16),
        notice=notice,
    )


def _channel(compiled: CompiledService, viewer: User | None, requested: str = "") -> str | None:
    staff = staff_channels(compiled, actor_of(viewer))
    if requested in staff:
        return requested
    return staff[0] if staff else requester_channel(compiled)


async def _open(runtime: Runtime, service_id: str, viewer: User | None) -> CompiledService | Result:
    compiled = await published(runtime, service_id)
    if compiled is None:
        return MISSING
    if compiled.service.login_required and viewer is None:
        return NEEDS_LOGIN
    return compiled


async def apply_form(
    runtime: Runtime, service_id: str, viewer: User | None, lang: str, *, caller: str | None = None
) -> Result:
    """The empty form; with ``caller`` (``?from=``, a telephony screen-pop's caller ID) on a staff
    form, the requester's mobile field pre-filled with the number in E.164 and the phone channel."""
    compiled = await _open(runtime, service_id, viewer)
    if not isinstance(compiled, CompiledService):
        return compiled
    staff = staff_channels(compiled, actor_of(viewer))
    number = to_e164(caller) if caller and staff else None
    channel = _channel(compiled, viewer, "phone" if number else "")
    if channel is None:
        return MISSING
    field = (compiled.form.schema.get("x-requester") or {}).get("mobile")
    data = {field: number} if number and isinstance(field, str) else None
    return Shown(_apply_page(compiled, viewer, lang=lang, channel=channel, data=data))


def _first(values: Values, name: str) -> str:
    found = values.get(name)
    return found[0] if found else ""


async def submit(
    runtime: Runtime, service_id: str, values: Values, files: Files, viewer: User | None, lang: str
) -> Result:
    """A post of the form, of "change" or of "confirm" on the check-your-answers page."""
    compiled = await _open(runtime, service_id, viewer)
    if not isinstance(compiled, CompiledService):
        return compiled
    channel = _channel(compiled, viewer, _first(values, "_channel"))
    if channel is None:
        return MISSING
    key = _first(values, "_idempotency_key") or secrets.token_urlsafe(16)
    show = partial(_apply_page, compiled, viewer, lang=lang, channel=channel, key=key)
    sealed = _first(values, "_answers")
    if sealed:
        opened = unseal(runtime.settings.secret, service_id, sealed)
        if opened is None:
            return Shown(show(notice=t("answers_expired", lang)))
        data, filenames = opened
        if _first(values, "_change"):
            return Shown(show(data=data, files=filenames))
        return await _send(runtime, compiled, data, filenames, viewer, lang=lang, channel=channel, key=key)
    data = coerce(compiled.form, values, timezone=timezone(compiled))
    errors, filenames = await store_form_uploads(runtime, compiled.form, files, data)
    action = group_action(values)
    if action is not None or errors:
        return Shown(show(data=data, errors=errors, files=filenames, action=action))
    view = build_form(compiled.form, data=data, lang=lang, timezone=timezone(compiled))
    if not is_long(view):
        return await _send(runtime, compiled, data, filenames, viewer, lang=lang, channel=channel, key=key)
    errors = validate(compiled.form, apply_defaults(compiled.form, data))
    if errors:
        return Shown(show(data=data, errors=errors, files=filenames))
    token = seal(runtime.settings.secret, service_id, data, filenames)
    return Shown(check_page(compiled, data, filenames, lang=lang, answers=token, key=key, channel=channel))


async def _send(
    runtime: Runtime,
    compiled: CompiledService,
    data: dict[str, Any],
    filenames: dict[str, str],
    viewer: User | None,
    *,
    lang: str,
    channel: str,
    key: str,
) -> Result:
    actor = actor_of(viewer)
    result = await runtime.tickets.submit(
        compiled.service.id,
        data,
        channel=channel,
        actor=actor,
        requester_id=viewer.id if viewer is not None and "requester" in viewer.roles else None,
        idempotency_key=f"web:{key}",
        lang=ticket_lang(lang),
    )
    if isinstance(result, Refusal):
        errors = list(result.field_errors) or [FieldError(path="", message=result.message)]
        page = _apply_page(
            compiled, viewer, lang=lang, channel=channel, data=data, errors=errors, files=filenames, key=key
        )
        return Shown(page)
    assert isinstance(result, Created)
    ticket = result.ticket
    await link_uploads(runtime.store, ticket.id, compiled.form, ticket.data)
    if staff_channels(compiled, actor):  # a representative logged an intake: on to the ticket
        return GoTo(f"/staff/tickets/{ticket.id}")
    return GoTo(f"/track/{ticket.number}?code={ticket.tracking_code}&new=1")


async def store_form_uploads(
    runtime: Runtime, form: Form, files: Files, data: dict[str, Any], ticket_id: int | None = None
) -> tuple[list[FieldError], dict[str, str]]:
    """The files posted with ``form`` checked and stored (see ``server/tickets/uploads.py``)."""
    if not files:
        return [], {}
    max_bytes = runtime.settings.max_upload_bytes
    return await store_uploads(runtime.store, form, files, data, max_bytes=max_bytes, ticket_id=ticket_id)


async def fields_fragment(runtime: Runtime, service_id: str, values: Values, lang: str) -> Fragment | None:
    """HTMX: after a group button, that group alone (focus on the row added, or on "add" after a
    removal); after a change of a field that conditions read, all the fields."""
    compiled = await published(runtime, service_id)
    if compiled is None:
        return None
    data = coerce(compiled.form, values, timezone=timezone(compiled))
    view = build_form(
        compiled.form, data=data, lang=lang, hx_url=_fields_url(compiled), timezone=timezone(compiled)
    )
    action = group_action(values)
    group = view.focus_after(action) if action is not None else None
    if group is not None:
        return Fragment(str(render_group(group)))
    return Fragment(str(render_form_fields(view)))


async def validate_fragment(
    runtime: Runtime, service_id: str, values: Values, trigger: str, lang: str
) -> Fragment | None:
    """HTMX: the field just left, with its error (or none)."""
    compiled = await published(runtime, service_id)
    if compiled is None:
        return None
    data = coerce(compiled.form, values, timezone=timezone(compiled))
    errors = validate(compiled.form, apply_defaults(compiled.form, data))
    view = build_form(compiled.form, data=data, errors=errors, lang=lang, timezone=timezone(compiled))
    for field in view.walk():
        if field.name == trigger:
            return Fragment(str(render_field(field)))
    return Fragment("")


async def submit_json(
    runtime: Runtime,
    service_id: str,
    data: dict[str, Any],
    viewer: User | None,
    *,
    channel: str | None,
    key: str | None,
    lang: str,
) -> Created | Refusal | Missing | NeedsLogin:
    """``POST /api/services/{id}/tickets``: the form data as JSON, under the channel asked for (else the
    requesters' own channel, else the representative's first); a channel the caller may not choose is
    refused (see :func:`api_channel`)."""
    found = await runtime.published_service(service_id)
    if found is None:
        return MISSING
    compiled = found[1]
    if compiled.service.login_required and viewer is None:
        return NEEDS_LOGIN
    actor = actor_of(viewer)
    chosen = api_channel(compiled, actor, channel)
    if chosen is None:
        return Refusal(
            reason="not_eligible",
            message=Text(ar=t("channel_not_offered", "ar"), en=t("channel_not_offered", "en")),
        )
    return await runtime.tickets.submit(
        service_id,
        telephone_fields_ascii(compiled.form.schema, data),  # Arabic-Indic digits, as on the page
        channel=chosen,
        actor=actor,
        requester_id=viewer.id if viewer is not None and "requester" in viewer.roles else None,
        idempotency_key=f"api:{key}" if key else None,
        lang=ticket_lang(lang),
    )


def api_channel(compiled: CompiledService, actor: Actor, requested: str | None) -> str | None:
    """The channel an API submission comes in by: a requester only ever by a channel requesters open
    themselves (``intake: requester``: never an integration's or a staff-only one); the service's
    eligible staff also by their intake channels. None: the channel asked for is not the caller's."""
    staff = staff_channels(compiled, actor)
    own = [c for c in compiled.service.channels if compiled.organisation.channels[c].intake == "requester"]
    allowed = own + [c for c in staff if c not in own]
    if requested is None:
        return requester_channel(compiled) or (staff[0] if staff else None)
    return requested if requested in allowed else None
