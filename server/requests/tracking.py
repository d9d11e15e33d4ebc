"""Tracking a ticket: what its requester sees, and the actions they may take on it.

Who may see a ticket here: whoever holds its number and tracking code, and its requester when logged
in (from "my tickets", without the code). Never internal notes (``track_view.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import msgspec
from markupsafe import Markup

from server.engine.advance import available_actions
from server.engine.model import Actor
from server.forms.coerce import coerce
from server.forms.html import render_form_fields
from server.forms.view import build_form
from server.i18n import t
from server.requests.results import MISSING, GoTo, Result, Shown
from server.requests.services import ticket_lang
from server.requests.submission import store_form_uploads
from server.requests.track_view import TrackView, code_matches, prompt_of, track_view
from server.runtime import Runtime
from server.store.records import Ticket, User
from server.tickets.entries import Entry
from server.tickets.service import Conflict
from server.tickets.service import view as ticket_view
from server.tickets.uploads import Upload
from server.validation import FieldError

HOLDER = Actor(id=None, name="", roles=frozenset({"requester"}), holds_tracking_code=True)
"""Whoever acts on a ticket from its tracking page (the code, or the requester's own log-in)."""


class ActionForm(msgspec.Struct, frozen=True):
    id: str
    label: str
    prompt: list[Entry]
    """What the requester is answering (the staff's question), shown above the answer box."""
    fields: Markup
    error_summary: list[tuple[str, str, str]]
    multipart: bool


class TrackPage(msgspec.Struct, frozen=True):
    view: TrackView
    code: str
    new: bool
    version: int
    actions: list[ActionForm] = msgspec.field(default_factory=list)
    notice: str = ""

    @property
    def has_errors(self) -> bool:
        return any(form.error_summary for form in self.actions)


class TrackLookupPage(msgspec.Struct, frozen=True):
    number: str
    error: str


def lookup_page(number: str | None, code: str | None) -> Result:
    """The look-up form, or (both given) the ticket's page."""
    if number and code:
        return GoTo(f"/track/{quote(number.strip())}?code={quote(code.strip())}")
    return Shown(TrackLookupPage(number=number or "", error=""))


async def _ticket(runtime: Runtime, number: str, code: str | None, viewer: User | None) -> Ticket | None:
    ticket = await runtime.store.get_ticket_by_number(number)
    if ticket is None:
        return None
    if code_matches(ticket, code) or (viewer is not None and ticket.requester_id == viewer.id):
        return ticket
    return None


async def api_view(runtime: Runtime, number: str, code: str, lang: str) -> TrackView | None:
    """``GET /api/track/{number}``: the view for the number and its tracking code."""
    ticket = await _ticket(runtime, number, code, None)
    if ticket is None:
        return None
    compiled = await runtime.tickets.compiled_version(ticket.definition_version_id)
    events = await runtime.store.list_events(ticket.id, public_only=True)
    return track_view(
        {ticket.definition_version_id: compiled},
        ticket,
        events,
        lang=lang,
        base_url=runtime.settings.base_url,
        tz=runtime.tickets.calendar.tz,
    )


async def _page(
    runtime: Runtime,
    ticket: Ticket,
    *,
    new: bool,
    lang: str,
    notice: str = "",
    failed: tuple[str, dict[str, Any], list[FieldError]] | None = None,
) -> TrackPage:
    compiled = await runtime.tickets.compiled_version(ticket.definition_version_id)
    events = await runtime.store.list_events(ticket.id, public_only=True)
    tz = runtime.tickets.calendar.tz
    view = track_view({ticket.definition_version_id: compiled}, ticket, events, lang=lang, base_url="", tz=tz)
    prompt = prompt_of(view)
    forms = []
    for action_id in available_actions(compiled, ticket_view(ticket), HOLDER):
        label = compiled.workflow.actions[action_id].label.get(lang)
        form = compiled.action_forms.get(action_id)
        if form is None:
            forms.append(ActionForm(action_id, label, prompt, Markup(""), [], False))
            continue
        data, errors = (failed[1], failed[2]) if failed and failed[0] == action_id else (None, [])
        fv = build_form(form, data=data, errors=errors, lang=lang)
        forms.append(
            ActionForm(action_id, label, prompt, render_form_fields(fv), fv.error_summary, fv.multipart)
        )
    return TrackPage(
        view=view, code=ticket.tracking_code, new=new, version=ticket.version, actions=forms, notice=notice
    )


async def track_page(
    runtime: Runtime, number: str, code: str | None, viewer: User | None, *, new: bool, lang: str
) -> Shown:
    ticket = await _ticket(runtime, number, code, viewer)
    if ticket is None:
        return Shown(TrackLookupPage(number=number, error=t("not_found_ticket", lang)), 404)
    return Shown(await _page(runtime, ticket, new=new, lang=lang))


async def act(
    runtime: Runtime,
    number: str,
    action_id: str,
    values: Mapping[str, list[str]],
    files: Mapping[str, Sequence[Upload]],
    viewer: User | None,
    lang: str,
) -> Result:
    """The requester's action (an answer to a question…) from the tracking page."""
    code = (values.get("_code") or [""])[0] or None
    ticket = await _ticket(runtime, number, code, viewer)
    if ticket is None:
        return MISSING
    compiled = await runtime.tickets.compiled_version(ticket.definition_version_id)
    form = compiled.action_forms.get(action_id)
    data = coerce(form, values) if form is not None else {}
    if form is not None and files:
        upload_errors, _names = await store_form_uploads(runtime, form, files, data, ticket_id=ticket.id)
        if upload_errors:
            failed = (action_id, data, upload_errors)
            return Shown(await _page(runtime, ticket, new=False, lang=lang, failed=failed), 422)
    raw = (values.get("_version") or ["0"])[0]
    expected = int(raw) if raw.isdigit() and len(raw) < 18 else 0
    result = await runtime.tickets.act(
        ticket.id,
        action_id,
        data,
        actor=HOLDER,
        expected_version=expected,
        lang=ticket_lang(lang),
        known=ticket,
    )
    if isinstance(result, Ticket):
        return GoTo(f"/track/{ticket.number}?code={ticket.tracking_code}")
    if isinstance(result, Conflict):
        notice = t("stale_action", lang)
        return Shown(await _page(runtime, result.ticket, new=False, lang=lang, notice=notice), 409)
    errors = list(result.field_errors) or [FieldError(path="", message=result.message)]
    page = await _page(runtime, ticket, new=False, lang=lang, failed=(action_id, data, errors))
    return Shown(page, 422 if result.field_errors else 403)
