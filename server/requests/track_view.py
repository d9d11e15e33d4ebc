"""What a requester may see of a ticket: its state, its public history and replies — never internal notes.

One view model serves the tracking page and ``GET /api/track/{number}``; the data is shown by
``server/tickets/entries.py``, the rule the staff ticket page uses too.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from server.dates import both
from server.definitions.catalogue import CompiledService
from server.definitions.model import Text
from server.i18n import t
from server.store.records import Event, Ticket
from server.tickets.entries import Entry, entries


class TimelineItem(msgspec.Struct, frozen=True, kw_only=True):
    at: str
    """ISO 8601, for machines."""
    when: str
    """Gregorian and Hijri, for people."""
    action: str
    title: str
    state: str
    details: list[Entry]


class TrackView(msgspec.Struct, frozen=True, kw_only=True):
    number: str
    service_id: str
    service: str
    state: str
    state_label: str
    category: str
    closed: bool
    submitted: str
    updated: str
    data: list[Entry]
    timeline: list[TimelineItem]
    survey_url: str | None


def prompt_of(view: TrackView) -> list[Entry]:
    """What the latest step asked of the requester (the staff's question): the details of the newest
    public event, shown above the requester's answer box."""
    for item in reversed(view.timeline):
        return list(item.details) if item.action and item.details else []
    return []


def code_matches(ticket: Ticket, code: str | None) -> bool:
    return code is not None and hmac.compare_digest(ticket.tracking_code.encode(), code.encode())


def track_view(
    compiled_for: Mapping[int, CompiledService],
    ticket: Ticket,
    events: Sequence[Event],
    *,
    lang: str,
    base_url: str,
    tz: Any,
) -> TrackView:
    compiled = compiled_for[ticket.definition_version_id]
    workflow = compiled.workflow
    state = workflow.states.get(ticket.state)
    timeline = []
    for event in events:
        if event.visibility != "public":
            continue
        if event.kind == "created":
            title, details = t("created", lang), []
        else:
            action = workflow.actions.get(event.action)
            title = action.label.get(lang) if action else event.action
            details = entries(compiled.action_forms.get(event.action), event.data, lang)
        to_state = workflow.states.get(event.to_state)
        timeline.append(
            TimelineItem(
                at=event.at.isoformat(),
                when=both(event.at, lang, tz),
                action=event.action,
                title=title,
                state=to_state.label.get(lang) if to_state else event.to_state,
                details=details,
            )
        )
    closed = ticket.category == "closed"
    survey = None
    if closed and compiled.service.survey:
        survey = f"{base_url}/survey/{ticket.number}?code={ticket.tracking_code}"
    return TrackView(
        number=ticket.number,
        service_id=ticket.service_id,
        service=compiled.service.name.get(lang),
        state=ticket.state,
        state_label=state.label.get(lang) if state else ticket.state,
        category=ticket.category,
        closed=closed,
        submitted=both(ticket.created_at, lang, tz),
        updated=both(ticket.updated_at, lang, tz),
        data=entries(compiled.form, ticket.data, lang),
        timeline=timeline,
        survey_url=survey,
    )


def label(text: Text | None, lang: str, fallback: str = "") -> str:
    return text.get(lang) if text is not None else fallback
