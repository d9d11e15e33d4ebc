"""Building a report: its definition (the organisation's ``reports``) → Store queries → figures.

Who may see a report is decided here too: a role with the ``see_all`` capability sees every report for
every department (or one department it picks); a department head (a user holding their department's
``head_role``) sees a report with ``heads: true`` for the services their department owns; anyone else
is refused (:class:`NotAllowed`). No role id is written here: the organisation says who has what.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import msgspec

from server.access import has_capability
from server.definitions.catalogue import CompiledService
from server.definitions.model import CATEGORIES, Organisation, Report, ReportGroup, Text
from server.definitions.reports import covered
from server.i18n import MESSAGES
from server.reports.periods import Period
from server.runtime import Runtime
from server.store.records import ReportBasis, ReportCount, ReportRating, ReportTicket, User
from server.tickets.due import due_state


class UnknownReport(LookupError):
    """No report of that name in the organisation."""


class NotAllowed(PermissionError):
    """The user may not see this report (or not for that department)."""


class Row(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    label: Text
    value: float
    """A count of tickets, or an average rating."""
    count: int
    """Tickets (or ratings) behind the figure."""
    total: bool = False
    ticket_ids: tuple[int, ...] = ()


class Table(msgspec.Struct, frozen=True, kw_only=True):
    title: Text
    average: bool
    """Whether the values are average ratings (else counts of tickets)."""
    rows: tuple[Row, ...]


class TicketLine(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    number: str
    service: Text
    state: Text
    created_at: dt.datetime
    closed_at: dt.datetime | None
    due_at: dt.datetime | None = None


class Result(msgspec.Struct, frozen=True, kw_only=True):
    report_id: str
    report: Report
    period: Period
    department: str | None
    """The department the figures are limited to (None: every department)."""
    tables: tuple[Table, ...]
    tickets: tuple[TicketLine, ...]
    """Every counted ticket (the drill-down lists a figure's ``ticket_ids`` of these)."""
    generated_at: dt.datetime

    def line(self, ticket_id: int) -> TicketLine | None:
        return next((t for t in self.tickets if t.id == ticket_id), None)


def _text(key: str) -> Text:
    return MESSAGES[key]


def report_of(org: Organisation, report_id: str) -> Report:
    report = org.reports.get(report_id)
    if report is None:
        raise UnknownReport(report_id)
    return report


def sees_all(user: User | None, org: Organisation) -> bool:
    return has_capability(user, org, "see_all")


def headed_department(user: User | None, org: Organisation) -> str | None:
    """The department ``user`` heads (holds its ``head_role``), if any."""
    if user is None or not user.active or not user.department:
        return None
    department = org.departments.get(user.department)
    return user.department if department is not None and department.head_role in user.roles else None


def departments_of(report: Report, services: dict[str, CompiledService]) -> list[str]:
    found: list[str] = []
    for service_id in covered(report, services):
        if services[service_id].service.department not in found:
            found.append(services[service_id].service.department)
    return found


def audience(
    user: User | None,
    org: Organisation,
    report: Report,
    services: dict[str, CompiledService],
    asked: str | None,
) -> str | None:
    """The department ``user`` sees the report for (None: all); :class:`NotAllowed` when none."""
    if sees_all(user, org):
        if asked and asked not in org.departments:
            raise NotAllowed(asked)
        return asked or None
    head_of = headed_department(user, org)
    if report.heads and head_of is not None and head_of in departments_of(report, services):
        if asked and asked != head_of:
            raise NotAllowed(asked)
        return head_of
    raise NotAllowed(report.name.en)


def visible(user: User | None, org: Organisation, services: dict[str, CompiledService]) -> list[str]:
    """The ids of the reports ``user`` may open."""
    found = []
    for report_id, report in org.reports.items():
        try:
            audience(user, org, report, services, None)
        except NotAllowed:
            continue
        found.append(report_id)
    return found


async def current_services(runtime: Runtime) -> dict[str, CompiledService]:
    """Every service as last published (the catalogue's order)."""
    return {compiled.service.id: compiled for _, compiled in await runtime.published()}


# --- the figures ----------------------------------------------------------------------------------


def _category(ticket: Counted, services: dict[str, CompiledService]) -> str:
    compiled = services.get(ticket.service_id)
    state = compiled.workflow.states.get(ticket.state) if compiled else None
    return state.category if state is not None else ticket.category


def _state_label(service_id: str, state: str, services: dict[str, CompiledService]) -> Text:
    compiled = services.get(service_id)
    found = compiled.workflow.states.get(state) if compiled else None
    return found.label if found is not None else Text(ar=state, en=state)


class Counted(Protocol):
    """A counted ticket (``ReportTicket``) or a count of alike tickets (``ReportCount``)."""

    @property
    def service_id(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def channel(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def values(self) -> dict[str, Any]: ...


def _keep(report: Report, ticket: Counted, category: str) -> bool:
    where = report.where
    if where.categories and category not in where.categories:
        return False
    if where.states and ticket.state not in where.states:
        return False
    if where.channels and ticket.channel not in where.channels:
        return False
    return all(str(ticket.values.get(f"var:{name}")) in values for name, values in where.variables.items())


class _Grouping:
    """The key and label of a ticket (or rating) in one group, and the rows shown even when empty."""

    def __init__(self, group: ReportGroup, org: Organisation, services: dict[str, CompiledService]) -> None:
        self.group, self.org, self.services = group, org, services

    def title(self) -> Text:
        return self.group.label or _text(f"report_by_{self.group.by}")

    def empty_rows(self, counted: Sequence[str]) -> list[str]:
        by = self.group.by
        if by == "category":
            return list(CATEGORIES)
        if by == "service":
            return list(counted)
        if by == "department":
            return list(dict.fromkeys(self.services[s].service.department for s in counted))
        return list(self.group.labels)

    def label(self, key: str, service_id: str | None = None) -> Text:
        by, org = self.group.by, self.org
        if key in self.group.labels:
            return self.group.labels[key]
        if by == "category":
            return _text(f"report_category_{key}")
        if by == "service" and key in self.services:
            return self.services[key].service.name
        if by == "department" and key in org.departments:
            return org.departments[key].name
        if by == "channel" and key in org.channels:
            return org.channels[key].name
        if by == "state" and service_id is not None:
            return _state_label(service_id, key, self.services)
        return _text("report_none") if key == "" else Text(ar=key, en=key)

    def key(self, ticket: Counted, category: str) -> str:
        by = self.group.by
        if by == "category":
            return category
        if by == "state":
            return ticket.state
        if by == "channel":
            return ticket.channel
        if by == "service":
            return ticket.service_id
        if by == "department":
            return self.services[ticket.service_id].service.department
        value = ticket.values.get(f"{'var' if by == 'variable' else 'field'}:{self.group.name}")
        return "" if value is None else str(value)


def _count_table(
    grouping: _Grouping, tickets: Sequence[tuple[Counted, str]], counted: Sequence[str]
) -> Table:
    """Each item a ticket (its id kept for the drill-down) or a count of alike tickets (figures only)."""
    buckets: dict[str, list[int]] = {key: [] for key in grouping.empty_rows(counted)}
    sizes: dict[str, int] = dict.fromkeys(buckets, 0)
    services_of: dict[str, str] = {}
    for ticket, category in tickets:
        key = grouping.key(ticket, category)
        ids = buckets.setdefault(key, [])
        sizes[key] = sizes.get(key, 0) + _size(ticket, ids)
        services_of.setdefault(key, ticket.service_id)
    rows = [
        Row(
            key=key,
            label=grouping.label(key, services_of.get(key)),
            value=sizes[key],
            count=sizes[key],
            ticket_ids=tuple(ids),
        )
        for key, ids in buckets.items()
    ]
    total = grouping.group.total
    if total is not None:
        ids = []
        size = sum(_size(t, ids) for t, category in tickets if total == "all" or category != "closed")
        rows.append(
            Row(
                key=f"total_{total}",
                label=_text(f"report_total_{total}"),
                value=size,
                count=size,
                total=True,
                ticket_ids=tuple(ids),
            )
        )
    return Table(title=grouping.title(), average=False, rows=tuple(rows))


def _size(item: Counted, ids: list[int]) -> int:
    """How many tickets ``item`` stands for; a ticket's id goes to ``ids``."""
    if isinstance(item, ReportCount):
        return item.count
    if isinstance(item, ReportTicket):
        ids.append(item.id)
    return 1


def _rating_table(
    grouping: _Grouping, ratings: Sequence[ReportRating], question: str, counted: Sequence[str]
) -> Table:
    buckets: dict[str, list[ReportRating]] = {key: [] for key in grouping.empty_rows(counted)}
    names: dict[str, str] = {}
    for rating in ratings:
        if question not in rating.answers:
            continue
        by = grouping.group.by
        if by == "employee":
            key = rating.employee_id or ""
            names[key] = rating.employee_name
        elif by == "department":
            key = grouping.services[rating.service_id].service.department
        else:
            key = rating.service_id
        buckets.setdefault(key, []).append(rating)
    rows = []
    for key, found in buckets.items():
        scores = [r.answers[question] for r in found]
        label = Text(ar=names[key], en=names[key]) if names.get(key) else grouping.label(key)
        rows.append(
            Row(
                key=key,
                label=label,
                value=round(sum(scores) / len(scores), 2) if scores else 0.0,
                count=len(scores),
                ticket_ids=tuple(r.ticket_id for r in found),
            )
        )
    return Table(title=grouping.title(), average=True, rows=tuple(rows))


async def build(
    runtime: Runtime,
    report_id: str,
    period: Period,
    user: User | None,
    *,
    department: str | None = None,
    now: dt.datetime | None = None,
    trusted: bool = False,
    detail: bool = True,
) -> Result:
    """The figures of ``report_id`` over ``period`` as ``user`` may see them (``trusted``: the CLI and the
    scheduler, which see everything). ``detail``: each figure with its tickets (the drill-down, the API);
    without it a report of tickets is counted in SQL and its figures carry no ticket ids (the page, the
    files, the e-mail) — unless the report lists its tickets (``tickets: true``)."""
    org = runtime.org
    report = report_of(org, report_id)
    services = await current_services(runtime)
    scope = department if trusted else audience(user, org, report, services, department)
    counted = [
        s for s in covered(report, services) if scope is None or services[s].service.department == scope
    ]
    tz = ZoneInfo(org.calendar.timezone)
    now = now or runtime.tickets.clock()
    start, end = period.bounds(tz)
    groupings = [_Grouping(g, org, services) for g in report.groups]
    variables = sorted(
        {*report.where.variables, *(g.name for g in report.groups if g.by == "variable" and g.name)}
    )
    fields = sorted({g.name for g in report.groups if g.by == "field" and g.name})
    if report.measure == "ratings":
        ratings = await runtime.store.report_ratings(services=counted, start=start, end=end)
        question = report.question or ""
        ratings = [r for r in ratings if question in r.answers]
        tables = [_rating_table(g, ratings, question, counted) for g in groupings]
        ids = [r.ticket_id for r in ratings]
        lines = await _lines_of(runtime, ids, services)
    else:
        found: Sequence[ReportTicket | ReportCount]
        if report.measure == "overdue":
            found = await runtime.store.report_overdue(
                services=counted, now=now, variables=variables, fields=fields
            )
            calendar = runtime.tickets.calendar
            found = [
                t for t in found if isinstance(t, ReportTicket) and due_state(t.due_at, now, calendar).overdue
            ]
        else:
            basis: ReportBasis = "current" if report.basis == "status" and end > now else report.basis
            if not detail and not report.tickets:  # the figures alone: counted in SQL
                found = await runtime.store.report_counts(
                    services=counted, basis=basis, start=start, end=end, variables=variables, fields=fields
                )
            else:
                found = await runtime.store.report_tickets(
                    services=counted, basis=basis, start=start, end=end, variables=variables, fields=fields
                )
        kept: list[tuple[ReportTicket | ReportCount, str]] = []
        where = report.where
        filtered = bool(where.categories or where.states or where.channels or where.variables)
        by_status = report.basis == "status" and report.measure == "tickets"
        for ticket in found:
            category = _category(ticket, services)
            if by_status and category == "closed" and _early(ticket, start):
                continue  # closed before the period
            if not filtered or _keep(report, ticket, category):
                kept.append((ticket, category))
        tables = [_count_table(g, kept, counted) for g in groupings]
        lines = [_line(t, services) for t, _ in kept if isinstance(t, ReportTicket)]
    return Result(
        report_id=report_id,
        report=report,
        period=period,
        department=scope,
        tables=tuple(tables),
        tickets=tuple(lines),
        generated_at=now,
    )


def _early(ticket: ReportTicket | ReportCount, start: dt.datetime) -> bool:
    return ticket.early if isinstance(ticket, ReportCount) else ticket.state_since < start


def _line(ticket: ReportTicket, services: dict[str, CompiledService]) -> TicketLine:
    compiled = services.get(ticket.service_id)
    return TicketLine(
        id=ticket.id,
        number=ticket.number,
        service=compiled.service.name if compiled else Text(ar=ticket.service_id, en=ticket.service_id),
        state=_state_label(ticket.service_id, ticket.state, services),
        created_at=ticket.created_at,
        closed_at=ticket.closed_at,
        due_at=ticket.due_at,
    )


async def _lines_of(
    runtime: Runtime, ids: Iterable[int], services: dict[str, CompiledService]
) -> list[TicketLine]:
    lines = []
    for ticket_id in ids:
        ticket = await runtime.store.get_ticket(ticket_id)
        if ticket is None:
            continue
        compiled = services.get(ticket.service_id)
        lines.append(
            TicketLine(
                id=ticket.id,
                number=ticket.number,
                service=compiled.service.name
                if compiled
                else Text(ar=ticket.service_id, en=ticket.service_id),
                state=_state_label(ticket.service_id, ticket.state, services),
                created_at=ticket.created_at,
                closed_at=ticket.closed_at,
            )
        )
    return lines


def drill(result: Result, table: int, key: str) -> tuple[Row, list[TicketLine]]:
    """The figure ``key`` of table ``table`` and its tickets; LookupError when there is none."""
    if not 0 <= table < len(result.tables):
        raise LookupError(table)
    row = next((r for r in result.tables[table].rows if r.key == key), None)
    if row is None:
        raise LookupError(key)
    by_id = {t.id: t for t in result.tickets}
    return row, [by_id[i] for i in row.ticket_ids if i in by_id]
