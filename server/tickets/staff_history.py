"""What the staff ticket page shows of a ticket's past: its attachments and its history, newest first.

The ids that the data holds are shown as what they stand for: a file field's attachment id as the
file's name, a department-member field's user id as the member's name. Both are read in one query each
(``Store.get_attachments``, ``Store.get_users``), however many there are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import msgspec

from server.dates import both
from server.definitions.catalogue import CompiledService
from server.definitions.forms import resolve
from server.definitions.model import Form
from server.i18n import t
from server.store.interface import Store
from server.store.records import Event, Ticket
from server.tickets.entries import Entry, entries, title_of
from server.tickets.members import member_pointers

CUSTOMER_MESSAGE = "whatsapp_message"
"""A customer's later message in a WhatsApp chat (``server.channels.whatsapp``)."""

__all__ = ["AttachmentLink", "TimelineEvent", "attachments", "member_ids", "named", "timeline"]


class AttachmentLink(msgspec.Struct, frozen=True):
    id: str
    url: str
    label: str
    filename: str
    media_type: str
    size: str


class TimelineEvent(msgspec.Struct, frozen=True):
    seq: int
    at: str
    """ISO 8601, for machines (the ``datetime`` attribute)."""
    when: str
    who: str
    title: str
    from_state: str
    to_state: str
    moved: bool
    internal: bool
    badge: str
    details: list[Entry]


def _size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} B"


def _files_of(form: Form | None, data: Mapping[str, Any], lang: str) -> Iterable[tuple[str, str]]:
    """(attachment id, field label) for each file field of ``form`` that ``data`` fills."""
    if form is None:
        return
    schema = form.schema
    for name, node in (schema.get("properties") or {}).items():
        is_file = isinstance(node, Mapping) and resolve(schema, node).get("x-widget") == "file"
        if is_file and isinstance(data.get(name), str):
            yield str(data[name]), title_of(node, name, lang)


async def attachments(
    store: Store, compiled: CompiledService, ticket: Ticket, events: Sequence[Event], lang: str
) -> list[AttachmentLink]:
    """The ticket's attachments: the file fields of its form and of the actions taken on it (only
    those that belong to this ticket)."""
    wanted = dict(_files_of(compiled.form, ticket.data, lang))
    for event in events:
        for attachment_id, label in _files_of(compiled.action_forms.get(event.action), event.data, lang):
            wanted.setdefault(attachment_id, label)
    if not wanted:
        return []
    found = await store.get_attachments(list(wanted))
    links = []
    for attachment_id, label in wanted.items():
        attachment = found.get(attachment_id)
        if attachment is None or attachment.ticket_id != ticket.id:
            continue
        links.append(
            AttachmentLink(
                id=attachment.id,
                url=f"/staff/attachments/{attachment.id}",
                label=label,
                filename=attachment.filename,
                media_type=attachment.media_type,
                size=_size(attachment.size),
            )
        )
    return links


def member_ids(compiled: CompiledService, events: Sequence[Event]) -> set[str]:
    """The users the actions taken chose as department members (a delegation's assignee)."""
    ids: set[str] = set()
    for event in events:
        form = compiled.action_forms.get(event.action)
        for pointer in member_pointers(form.schema) if form is not None else ():
            value = event.data.get(pointer.removeprefix("/"))
            if isinstance(value, str):
                ids.add(value)
    return ids


def named(items: list[Entry], names: Mapping[str, str]) -> list[Entry]:
    """Entries whose value is an attachment id (a user id) show the file's (the user's) name instead."""
    return [Entry(label=e.label, value=names.get(e.value, e.value)) for e in items]


def _state_label(compiled: CompiledService, state: str | None, lang: str) -> str:
    if state is None:
        return ""
    found = compiled.workflow.states.get(state)
    return found.label.get(lang) if found else state


def timeline(
    compiled: CompiledService, events: Sequence[Event], names: Mapping[str, str], lang: str, tz: Any
) -> list[TimelineEvent]:
    """Every event of the ticket, newest first: who did what, when, from which state to which, with the
    data the action recorded; internal notes and public replies told apart."""
    workflow = compiled.workflow
    items = []
    for event in events:
        details: list[Entry] = []
        if event.kind == "created":
            title = t("stt_ticket_created", lang)
        elif event.kind == "timer":
            timer = workflow.timers.get(event.action.removeprefix("timer:"))
            title = timer.label.get(lang) if timer and timer.label else t("stt_timer", lang)
        elif event.action == CUSTOMER_MESSAGE:  # a later message of a WhatsApp chat
            title = t("dlv_whatsapp_customer_message", lang)
            details = [Entry(label=t("dlv_whatsapp_message", lang), value=str(event.data.get("message", "")))]
        else:
            action = workflow.actions.get(event.action)
            title = action.label.get(lang) if action else event.action
            details = named(entries(compiled.action_forms.get(event.action), event.data, lang), names)
        if event.actor_name == "system" and event.actor_id is None:
            who = t("stt_system", lang)
        else:
            who = event.actor_name or t("stt_requester_actor", lang)
        internal = event.visibility == "internal"
        if internal:
            badge = t("stt_internal_note" if details else "stt_internal", lang)
        else:
            badge = t("stt_public_reply" if details else "stt_public", lang)
        items.append(
            TimelineEvent(
                seq=event.seq,
                at=event.at.isoformat(),
                when=both(event.at, lang, tz),
                who=who,
                title=title,
                from_state=_state_label(compiled, event.from_state, lang),
                to_state=_state_label(compiled, event.to_state, lang),
                moved=event.from_state is not None and event.from_state != event.to_state,
                internal=internal,
                badge=badge,
                details=details,
            )
        )
    items.reverse()  # newest first
    return items
