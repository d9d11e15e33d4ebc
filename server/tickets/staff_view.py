"""The staff ticket page's data: the ticket, its people, its due time, its history, and the actions the
workflow allows this user now, each with its form.

:func:`staff_page` builds the :class:`StaffTicketPage` (the typed context of ``staff/ticket.html`` and
of its in-place fragment ``staff/_ticket_main.html``) with a fixed number of store reads, whatever the
ticket holds: the events, the attachments (one query), the people named on the page (one query for the
requester, the assignee and the members chosen by delegations), the pending timer, the department's
members (when an action chooses one) and the ready replies (when an action has a reply field).

Whether the ticket is late is the one due rule (``server/tickets/due.py``): the earliest pending timer
read against the ticket service's clock — the same answer as the task lists.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import jinja2
import msgspec
from markupsafe import Markup

from server.channels.sorting import suggest
from server.dates import both
from server.definitions.catalogue import CompiledService
from server.engine.advance import available_actions
from server.forms.html import render_form_fields
from server.forms.view import build_form
from server.i18n import t
from server.notify.problems import DeliveryProblem, problems, user_ids
from server.store.records import Ticket, User
from server.tickets.actors import actor_of
from server.tickets.entries import Entry, entries
from server.tickets.members import member_choices
from server.tickets.reading import readable_ticket
from server.tickets.ready_replies import ReadyRepliesPanel, ReadyReplyView, find_ready_replies, reply_language
from server.tickets.service import view
from server.tickets.staff_history import (
    AttachmentLink,
    TimelineEvent,
    attachments,
    member_ids,
    named,
    timeline,
)
from server.validation import FieldError

if TYPE_CHECKING:
    from server.runtime import Runtime

__all__ = ["Failed", "StaffActionForm", "StaffTicketPage", "open_page", "staff_page"]

_CATEGORIES = ("open", "pending", "in_progress", "closed")


class StaffActionForm(msgspec.Struct, frozen=True):
    id: str
    label: str
    description: str
    fields: Markup
    error_summary: list[tuple[str, str, str]]
    multipart: bool
    internal: bool
    pickers: list[ReadyRepliesPanel] = msgspec.field(default_factory=list)
    failed: bool = False


class StaffTicketPage(msgspec.Struct, frozen=True):
    id: int
    number: str
    service: str
    service_id: str
    definition_version: int
    state: str
    state_label: str
    category: str
    category_label: str
    department: str
    assignee: str
    channel: str
    requester: list[str]
    """The requester's account name, then the name and contact the form marks as the requester's."""
    created: str
    updated: str
    due: str
    """When the earliest pending timer falls due (empty when none does)."""
    due_status: str
    """``none``, ``due``, ``due_soon`` or ``overdue`` (``server.tickets.due``)."""
    overdue: bool
    data: list[Entry]
    attachments: list[AttachmentLink]
    timeline: list[TimelineEvent]
    actions: list[StaffActionForm]
    version: int
    """The ticket's version when the page was built: sent back as ``_version`` with each action."""
    notice: str = ""
    notice_kind: str = ""
    """``ok`` (an action was taken), ``conflict`` (the ticket changed) or ``error`` (a refusal)."""
    problem: str = ""
    delivery: list[DeliveryProblem] = msgspec.field(default_factory=list)
    """Its notifications that did not leave: undeliverable, failed for good, or waiting to be retried."""


class Failed(msgspec.Struct, frozen=True):
    """An action that came back: its id, the data typed, the errors beside its fields."""

    action: str
    data: dict[str, Any]
    errors: list[FieldError]


def _assignee(compiled: CompiledService, ticket: Ticket, names: Mapping[str, str], lang: str) -> str:
    org = compiled.organisation
    if ticket.assignee_user:
        return names.get(ticket.assignee_user, ticket.assignee_user)
    if ticket.assignee_role:
        role = org.roles.get(ticket.assignee_role)
        assignee = role.name.get(lang) if role else ticket.assignee_role
        department = org.departments.get(ticket.department or "")
        dept_name = department.name.get(lang) if department else (ticket.department or "")
        return f"{assignee} — {dept_name}" if dept_name else assignee
    return t("stt_unassigned", lang)


def _requester(compiled: CompiledService, ticket: Ticket, names: Mapping[str, str]) -> list[str]:
    """The requester's account name, then the name and contact the form marks (``x-requester``)."""
    parts: list[str] = []
    if ticket.requester_id and ticket.requester_id in names:
        parts.append(names[ticket.requester_id])
    hints = compiled.form.schema.get("x-requester")
    if isinstance(hints, Mapping):
        for hint in ("name", "mobile", "email"):
            name = hints.get(hint)
            value = ticket.data.get(name) if isinstance(name, str) else None
            if isinstance(value, str) and value and value not in parts:
                parts.append(value)
    return parts


async def _actions(
    runtime: Runtime,
    compiled: CompiledService,
    ticket: Ticket,
    user: User,
    *,
    lang: str,
    env: jinja2.Environment,
    names: Mapping[str, str],
    failed: Failed | None,
    query: str,
    reply_lang: str | None,
) -> list[StaffActionForm]:
    """The actions the workflow allows ``user`` now, each with its form (the failed one with what was
    typed and its errors), reply fields with their ready-replies picker."""
    action_ids = available_actions(compiled, view(ticket), actor_of(user))
    forms = [compiled.action_forms.get(a) for a in action_ids]
    choices = await member_choices(runtime.store, ticket, forms)
    offered = reply_language(reply_lang, ticket.language)
    replies: list[ReadyReplyView] | None = None
    tz = ZoneInfo(compiled.organisation.calendar.timezone)
    found = []
    for action_id, form in zip(action_ids, forms, strict=True):
        action = compiled.workflow.actions[action_id]
        mine = failed if failed is not None and failed.action == action_id else None
        pickers: list[ReadyRepliesPanel] = []
        if form is not None:
            fv = build_form(
                form,
                data=mine.data
                if mine
                else suggest(form, ticket.data),  # x-suggest: server/channels/sorting.py
                errors=mine.errors if mine else [],
                lang=lang,
                name_prefix=action_id,
                files=names,
                choices=choices,
                autocomplete=False,
                timezone=tz,
            )
            for fieldview in fv.walk():
                if fieldview.ready_replies and fieldview.kind == "textarea":
                    if replies is None:
                        replies = await find_ready_replies(runtime.store, query, offered)
                    pickers.append(
                        ReadyRepliesPanel(
                            key=fieldview.id,
                            target=fieldview.id,
                            query=query,
                            lang=offered,
                            replies=replies,
                            ticket_id=ticket.id,
                        )
                    )
            fields, summary, multipart = render_form_fields(fv, env), list(fv.error_summary), fv.multipart
        else:
            fields, multipart = Markup(""), False
            summary = [("", "", e.message.get(lang)) for e in (mine.errors if mine else [])]
        found.append(
            StaffActionForm(
                id=action_id,
                label=action.label.get(lang),
                description=action.description.get(lang) if action.description else "",
                fields=fields,
                error_summary=[(a, b, c) for a, b, c in summary],
                multipart=multipart,
                internal=action.visibility == "internal",
                pickers=pickers,
                failed=mine is not None,
            )
        )
    return found


async def staff_page(
    runtime: Runtime,
    user: User,
    ticket: Ticket,
    *,
    lang: str,
    env: jinja2.Environment,
    notice: str = "",
    notice_kind: str = "",
    problem: str = "",
    failed: Failed | None = None,
    query: str = "",
    reply_lang: str | None = None,
) -> StaffTicketPage:
    """The page of ``ticket`` (one the user may read: see ``server.tickets.reading``) for ``user``.

    ``failed`` is an action that came back with errors (shown in its form, with what was typed);
    ``query`` and ``reply_lang`` are the ready-replies search of the page without JavaScript; ``env``
    renders the action forms' fields (the app's template environment)."""
    store = runtime.store
    compiled = await runtime.tickets.compiled_version(ticket.definition_version_id)
    definition_version = await runtime.tickets.version_number(ticket.definition_version_id)
    events = await store.list_events(ticket.id)
    files = await attachments(store, compiled, ticket, events, lang)
    outbox = await store.list_outbox(ticket.id)
    people = member_ids(compiled, events) | {u for u in (ticket.assignee_user, ticket.requester_id) if u}
    people |= user_ids(outbox)  # the staff an undeliverable notification names
    users = {i: u.name for i, u in (await store.get_users(sorted(people))).items()} if people else {}
    # what an id stands for on the page: an attachment's file name, a department member's name
    names = {**users, **{a.id: a.filename for a in files}}
    due = await runtime.tickets.ticket_due(ticket)
    tz = runtime.tickets.calendar.tz
    org = compiled.organisation
    state = compiled.workflow.states.get(ticket.state)
    department = org.departments.get(ticket.department or "")
    channel = org.channels.get(ticket.channel)
    category = ticket.category
    actions = await _actions(
        runtime,
        compiled,
        ticket,
        user,
        lang=lang,
        env=env,
        names=names,
        failed=failed,
        query=query,
        reply_lang=reply_lang,
    )
    return StaffTicketPage(
        id=ticket.id,
        number=ticket.number,
        service=compiled.service.name.get(lang),
        service_id=ticket.service_id,
        definition_version=definition_version,
        state=ticket.state,
        state_label=state.label.get(lang) if state else ticket.state,
        category=category,
        category_label=t(f"stt_category_{category}", lang) if category in _CATEGORIES else category,
        department=department.name.get(lang) if department else (ticket.department or ""),
        assignee=_assignee(compiled, ticket, users, lang),
        channel=channel.name.get(lang) if channel else ticket.channel,
        requester=_requester(compiled, ticket, users),
        created=both(ticket.created_at, lang, tz),
        updated=both(ticket.updated_at, lang, tz),
        due=both(due.at, lang, tz) if due.at else "",
        due_status=due.status,
        overdue=due.overdue,
        data=named(entries(compiled.form, ticket.data, lang), names),
        attachments=files,
        timeline=timeline(compiled, events, names, lang, tz),
        delivery=problems(outbox, lang, tz, users),
        actions=actions,
        version=ticket.version,
        notice=notice,
        notice_kind=notice_kind,
        problem=problem,
    )


async def open_page(
    runtime: Runtime,
    user: User,
    ticket_id: int,
    *,
    lang: str,
    env: jinja2.Environment,
    done: str | None = None,
    query: str = "",
    reply_lang: str | None = None,
) -> StaffTicketPage | None:
    """``GET /staff/tickets/{id}``: the page, when the ticket exists and ``user`` may read it (else
    None: the same answer for both). ``done`` names the action just taken (the notice says so)."""
    ticket = await readable_ticket(runtime, user, ticket_id)
    if ticket is None:
        return None
    notice = ""
    if done:
        compiled = await runtime.tickets.compiled_version(ticket.definition_version_id)
        action = compiled.workflow.actions.get(done)
        if action is not None:
            notice = t("stt_done", lang).format(action=action.label.get(lang))
    return await staff_page(
        runtime,
        user,
        ticket,
        lang=lang,
        env=env,
        notice=notice,
        notice_kind="ok" if notice else "",
        query=query,
        reply_lang=reply_lang,
    )
