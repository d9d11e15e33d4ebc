"""The rows of a staff task list, labelled for a reader: what ``templates/staff/_task_list.html`` shows.

Each :class:`~server.store.records.TaskRow` becomes a :class:`TaskItem` in the viewer's language: the
service name and the state label from the ticket's own definition version (compiled once per
process), the requester and the subject from the ticket's form data with the form's hints
(``x-requester``; the first free-text field), the age since creation, and the due badge from the one
due rule (``TicketService.due``: the earliest pending timer against the service's clock — the ticket
page reads the same rule, so the two always agree).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import msgspec

from server.dates import both
from server.definitions.catalogue import CompiledService
from server.i18n import t
from server.runtime import Runtime
from server.store.records import TaskRow
from server.tickets.due import Due
from server.tickets.tasks import free_text_field

SUBJECT_CHARS = 80
"""A longer subject is cut (with an ellipsis) in the list."""


class TaskItem(msgspec.Struct, frozen=True):
    id: int
    number: str
    href: str
    requester: str
    """The requester's name ("" when the ticket has none)."""
    subject: str
    """The start of the ticket's subject ("" when its form has no free text)."""
    service: str
    state: str
    category: str
    category_label: str
    department: str
    assignee: str
    channel: str
    age: str
    """Calendar time since the ticket was created, short ("3 d")."""
    created: str
    """The creation date in full (Gregorian and Hijri), for the age's tooltip."""
    created_iso: str
    due: str
    """The badge text ("" when the ticket has no due time)."""
    due_class: str
    """``overdue``, ``due-soon`` (under a working day) or ``due``."""


# --- the cells ---------------------------------------------------------------------------------------


def _plural(n: int) -> str:
    """The Arabic number form of ``n``: one, two, few (3–10), many (11+); English uses the same keys."""
    if n == 1:
        return "one"
    if n == 2:
        return "two"
    return "few" if n <= 10 else "many"


def age_text(created: dt.datetime, now: dt.datetime, lang: str) -> str:
    """``12 min``, ``5 h``, ``3 d`` (whole units, rounded down) since ``created``."""
    seconds = max(0, int((now - created).total_seconds()))
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if minutes < 1:
        return t("tasks_age_now", lang)
    unit, n = ("day", days) if days else ("hour", hours) if hours else ("minute", minutes)
    return t(f"tasks_age_{unit}_{_plural(n)}", lang).format(n=n)


def due_badge(due: Due, lang: str) -> tuple[str, str]:
    """The badge text and class of a due state (``("", "")`` when there is no due time)."""
    if due.status == "none":
        return "", ""
    if due.status == "overdue":
        return t("tasks_overdue", lang), "overdue"
    css = "due-soon" if due.status == "due_soon" else "due"
    whole = due.working_hours_left or 0
    if whole < 1:
        return t("tasks_due_within_hour", lang), css
    if whole == 1:
        return t("tasks_due_in_one", lang), css
    if whole == 2:
        return t("tasks_due_in_two", lang), css
    key = "tasks_due_in_few" if whole <= 10 else "tasks_due_in"
    return t(key, lang).format(n=whole), css


def _one_line(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def requester_of(schema: Mapping[str, Any], data: Mapping[str, Any], account_name: str | None) -> str:
    """The name the form's ``x-requester`` hints point at, else the requester account's name."""
    field = (schema.get("x-requester") or {}).get("name")
    return _one_line(data.get(field)) if field and _one_line(data.get(field)) else (account_name or "")


def subject_of(schema: Mapping[str, Any], data: Mapping[str, Any], chars: int = SUBJECT_CHARS) -> str:
    """The ticket's subject: a field named ``subject``, else the first long-text field (a textarea),
    else the first free-text field that is not about the requester — cut to ``chars`` characters."""
    properties: Mapping[str, Any] = schema.get("properties") or {}
    requester = set((schema.get("x-requester") or {}).values())
    candidates = [
        name
        for name, field in properties.items()
        if name not in requester and free_text_field(field) and _one_line(data.get(name))
    ]
    long_text = [n for n in candidates if properties[n].get("x-widget") == "textarea"]
    chosen = next(
        iter([n for n in candidates if n == "subject"] + long_text + candidates),
        None,
    )
    text = _one_line(data.get(chosen)) if chosen else ""
    return text if len(text) <= chars else text[: chars - 1].rstrip() + "…"


# --- the rows ----------------------------------------------------------------------------------------


def row_due(runtime: Runtime, row: TaskRow) -> Due:
    """The row's due state by the one rule (as ``TicketService.ticket_due``: a closed ticket is not due)."""
    return runtime.tickets.due(None if row.category == "closed" else row.due_at)


async def items_of(runtime: Runtime, rows: list[TaskRow], lang: str) -> list[TaskItem]:
    org = runtime.org
    tz = runtime.tickets.calendar.tz
    now = runtime.tickets.clock()
    compiled: dict[int, CompiledService] = {}
    items = []
    for row in rows:
        if row.definition_version_id not in compiled:
            compiled[row.definition_version_id] = await runtime.tickets.compiled_version(
                row.definition_version_id
            )
        service = compiled[row.definition_version_id]
        schema = service.form.schema
        state = service.workflow.states.get(row.state)
        department = org.departments.get(row.department or "")
        role = org.roles.get(row.assignee_role or "")
        channel = org.channels.get(row.channel)
        due, due_class = due_badge(row_due(runtime, row), lang)
        items.append(
            TaskItem(
                id=row.id,
                number=row.number,
                href=f"/staff/tickets/{row.id}",
                requester=requester_of(schema, row.data, row.requester_name),
                subject=subject_of(schema, row.data),
                service=service.service.name.get(lang),
                state=state.label.get(lang) if state else row.state,
                category=row.category,
                category_label=t(f"category_{row.category}", lang),
                department=department.name.get(lang) if department else (row.department or "—"),
                assignee=row.assignee_name
                or (role.name.get(lang) if role else "")
                or t("tasks_unassigned", lang),
                channel=channel.name.get(lang) if channel else row.channel,
                age=age_text(row.created_at, now, lang),
                created=both(row.created_at, lang, tz),
                created_iso=row.created_at.isoformat(),
                due=due,
                due_class=due_class,
            )
        )
    return items
