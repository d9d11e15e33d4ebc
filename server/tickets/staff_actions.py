"""Taking an action from the staff ticket page: the posted form in, the answer the page gives out.

:func:`take_action` reads the action's form from the post (``ACTION[field]`` names), stores its
uploads, and asks :meth:`TicketService.act <server.tickets.service.TicketService.act>` — which owns
every rule (the workflow's, the department-member rule) — to apply it. The answer:

* :class:`Applied` — done; the page redirects (303) to the ticket with ``?done=ACTION``. With
  ``in_place`` (an HTMX request) it is a :class:`Shown` page with the "done" notice instead, status 200;
* :class:`Shown` with 422 — invalid data or a refused guard: the errors beside the fields, what was
  typed kept, the reason as the page's problem; 403 for an action this user may not take; 409 for one
  that does not apply in the ticket's state;
* :class:`Shown` with 409 — a stale ``_version`` (someone acted first): the ticket as it is now, with
  a notice, what was typed kept, nothing applied;
* None — no such ticket, one the user may not read, or an action the workflow does not have (404).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import jinja2
import msgspec

from server.engine.model import Refusal
from server.forms.coerce import coerce, group_action
from server.i18n import t
from server.store.records import Ticket, User
from server.tickets.actors import actor_of
from server.tickets.reading import readable_ticket
from server.tickets.service import Conflict
from server.tickets.staff_view import Failed, StaffTicketPage, staff_page
from server.tickets.uploads import Upload, store_uploads
from server.validation import FieldError

if TYPE_CHECKING:
    from server.runtime import Runtime

__all__ = ["Applied", "Shown", "refusal_status", "take_action"]


class Applied(msgspec.Struct, frozen=True):
    ticket: Ticket
    action: str


class Shown(msgspec.Struct, frozen=True):
    """The page to show, and with which status."""

    page: StaffTicketPage
    status: int


def refusal_status(refusal: Refusal) -> int:
    if refusal.reason in ("invalid_data", "guard_refused"):
        return 422
    if refusal.reason == "not_allowed_state":
        return 409
    if refusal.reason == "unknown_action":
        return 404
    return 403


def _unprefixed(key: str, prefix: str) -> str:
    """``ACTION[field]`` → ``field`` (other names as they are)."""
    inner = key.removeprefix(prefix + "[")
    return inner[:-1] if inner != key and inner.endswith("]") else key


def _version(values: Mapping[str, Sequence[str]]) -> int:
    """The posted ``_version`` (-1, which never matches, when it is missing or malformed)."""
    raw = (values.get("_version") or [""])[0].strip()
    return int(raw) if raw.isdigit() and len(raw) <= 18 else -1


async def take_action(
    runtime: Runtime,
    user: User,
    ticket_id: int,
    action_id: str,
    values: Mapping[str, Sequence[str]],
    files: Mapping[str, Sequence[Upload]],
    *,
    lang: str,
    env: jinja2.Environment,
    in_place: bool = False,
) -> Applied | Shown | None:
    """Take ``action_id`` on the ticket with the posted ``values`` and ``files`` (see the module's text)."""
    ticket = await readable_ticket(runtime, user, ticket_id)
    if ticket is None:
        return None
    compiled = await runtime.tickets.compiled_version(ticket.definition_version_id)
    if action_id not in compiled.workflow.actions:
        return None
    form = compiled.action_forms.get(action_id)
    tz = ZoneInfo(compiled.organisation.calendar.timezone)
    data = coerce(form, values, name_prefix=action_id, timezone=tz) if form is not None else {}

    async def again(status: int, errors: list[FieldError], problem: str = "") -> Shown:
        page = await staff_page(
            runtime,
            user,
            ticket,
            lang=lang,
            env=env,
            problem=problem,
            notice_kind="error" if problem else "",
            failed=Failed(action=action_id, data=data, errors=errors),
        )
        return Shown(page=page, status=status)

    if form is not None and group_action(values) is not None:
        return await again(200, [])  # a row added or removed (``coerce`` did it): not a submission
    if form is not None and files:
        named = {_unprefixed(key, action_id): found for key, found in files.items()}
        errors, _names = await store_uploads(
            runtime.store, form, named, data, max_bytes=runtime.settings.max_upload_bytes, ticket_id=ticket.id
        )
        if errors:
            return await again(422, errors)
    result = await runtime.tickets.act(
        ticket.id,
        action_id,
        data,
        actor=actor_of(user),
        expected_version=_version(values),
        lang="en" if lang == "en" else "ar",
        known=ticket,
    )
    if isinstance(result, Ticket):
        if not in_place:
            return Applied(ticket=result, action=action_id)
        label = compiled.workflow.actions[action_id].label.get(lang)
        page = await staff_page(
            runtime,
            user,
            result,
            lang=lang,
            env=env,
            notice=t("stt_done", lang).format(action=label),
            notice_kind="ok",
        )
        return Shown(page=page, status=200)
    if isinstance(result, Conflict):
        page = await staff_page(
            runtime,
            user,
            result.ticket,
            lang=lang,
            env=env,
            notice=t("stale_action", lang),
            notice_kind="conflict",
            failed=Failed(action=action_id, data=data, errors=[]),  # what was typed is kept, not applied
        )
        return Shown(page=page, status=409)
    field_errors = list(result.field_errors) or [FieldError(path="", message=result.message)]
    return await again(refusal_status(result), field_errors, problem=result.message.get(lang))
