"""The report pages as data: the list of reports, one report (tables, bar charts, the period picker) and
the tickets behind one figure. The web layer (``server/web/report_pages.py``) renders these."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import msgspec

from server.dates import both
from server.definitions.model import Organisation, Report
from server.i18n import t
from server.reports import files, periods
from server.reports.files import period_text, value_text
from server.reports.service import (
    Result,
    TicketLine,
    build,
    drill,
    headed_department,
    report_of,
    sees_all,
    visible,
)
from server.reports.service import current_services as _services
from server.runtime import Runtime
from server.store.records import User

CHART_WIDTH = 640
LABEL_WIDTH = 230
BAR_HEIGHT = 26
BAR_GAP = 8


class Choice(msgspec.Struct, frozen=True):
    value: str
    label: str
    selected: bool = False


class ReportLink(msgspec.Struct, frozen=True):
    id: str
    href: str
    name: str
    description: str


class ReportsIndexPage(msgspec.Struct, frozen=True):
    reports: list[ReportLink]


class Bar(msgspec.Struct, frozen=True):
    label: str
    value: str
    x: int
    width: int
    y: int
    label_x: int
    value_x: int
    anchor: str


class FigureRow(msgspec.Struct, frozen=True):
    label: str
    value: str
    count: int
    href: str
    total: bool


class TableView(msgspec.Struct, frozen=True):
    id: str
    title: str
    value_header: str
    average: bool
    rows: list[FigureRow]
    bars: list[Bar]
    chart_height: int


class TicketRow(msgspec.Struct, frozen=True):
    number: str
    href: str
    service: str
    state: str
    created: str
    closed: str
    due: str


class ReportPage(msgspec.Struct, frozen=True):
    name: str
    title: str
    description: str
    period_text: str
    period_token: str
    kinds: list[Choice]
    day: str
    first: str
    last: str
    departments: list[Choice]
    """Empty unless the viewer may pick one (``see_all``)."""
    department_text: str
    tables: list[TableView]
    tickets: list[TicketRow]
    show_tickets: bool
    previous_href: str
    csv_href: str
    xlsx_href: str
    generated: str


class FigureTicketsPage(msgspec.Struct, frozen=True):
    title: str
    figure: str
    period_text: str
    back_href: str
    tickets: list[TicketRow]


def query(period: str, department: str | None, **more: str) -> str:
    params = {"period": period, **({"department": department} if department else {}), **more}
    return "?" + urlencode(params)


def period_of(report: Report, org: Organisation, ask: Mapping[str, str], today: dt.date) -> periods.Period:
    """The period a page request asks for: ``period`` (a token), or the picker's ``kind`` / ``day`` /
    ``from`` / ``to``, or the report's own kind holding today. :class:`PeriodError` when invalid."""
    if ask.get("period"):
        return periods.parse(ask["period"], org, today)
    kind = ask.get("kind") or report.period
    if kind == "custom":
        return periods.parse(f"custom:{ask.get('from', '')}..{ask.get('to', '')}", org, today)
    return periods.parse(f"{kind}:{ask.get('day') or today.isoformat()}", org, today)


def today_of(runtime: Runtime) -> dt.date:
    return runtime.tickets.clock().astimezone(ZoneInfo(runtime.org.calendar.timezone)).date()


async def index_page(runtime: Runtime, user: User, lang: str) -> ReportsIndexPage:
    org = runtime.org
    services = await _services(runtime)
    links = []
    for report_id in visible(user, org, services):
        report = org.reports[report_id]
        description = report.description.get(lang) if report.description else ""
        links.append(
            ReportLink(
                id=report_id,
                href=f"/reports/{report_id}",
                name=report.name.get(lang),
                description=description,
            )
        )
    return ReportsIndexPage(reports=links)


async def mine(runtime: Runtime, user: User) -> str:
    """The address of "my weekly report": the first report the user heads a department of, or the list."""
    org = runtime.org
    head_of = headed_department(user, org)
    services = await _services(runtime)
    for report_id in visible(user, org, services):
        report = org.reports[report_id]
        if report.heads and report.period == "week" and head_of:
            return f"/reports/{report_id}"
    return "/reports/"


def _bars(rows: list[FigureRow], values: list[float], lang: str) -> list[Bar]:
    top = max(values, default=0) or 1
    span = CHART_WIDTH - LABEL_WIDTH - 60
    bars = []
    for index, (row, value) in enumerate(zip(rows, values, strict=True)):
        width = round(span * value / top)
        y = index * (BAR_HEIGHT + BAR_GAP)
        if lang == "en":
            x, label_x, value_x, anchor = LABEL_WIDTH, LABEL_WIDTH - 8, LABEL_WIDTH + width + 6, "end"
        else:
            right = CHART_WIDTH - LABEL_WIDTH
            x, label_x, value_x, anchor = right - width, right + 8, right - width - 6, "start"
        bars.append(
            Bar(
                label=row.label,
                value=row.value,
                x=x,
                width=width,
                y=y,
                label_x=label_x,
                value_x=value_x,
                anchor=anchor,
            )
        )
    return bars


def _ticket_rows(lines: list[TicketLine], lang: str, tz: ZoneInfo) -> list[TicketRow]:
    return [
        TicketRow(
            number=line.number,
            href=f"/staff/tickets/{line.id}",
            service=line.service.get(lang),
            state=line.state.get(lang),
            created=both(line.created_at, lang, tz),
            closed=both(line.closed_at, lang, tz) if line.closed_at else "",
            due=both(line.due_at, lang, tz) if line.due_at else "",
        )
        for line in lines
    ]


async def report_result(
    runtime: Runtime, user: User, report_id: str, ask: Mapping[str, str], *, detail: bool
) -> Result:
    """The figures of the period and department ``ask`` names (``period``, ``department``).
    Raises UnknownReport, NotAllowed, PeriodError for the controller to answer 404 / 403 / 400."""
    org = runtime.org
    report = report_of(org, report_id)
    period = period_of(report, org, ask, today_of(runtime))
    department = ask.get("department") or None
    return await build(runtime, report_id, period, user, department=department, detail=detail)


async def report_page(
    runtime: Runtime, user: User, report_id: str, ask: Mapping[str, str], lang: str
) -> ReportPage:
    """Raises UnknownReport, NotAllowed, PeriodError for the controller to answer 404 / 403 / 400."""
    result = await report_result(runtime, user, report_id, ask, detail=False)
    return _page(runtime, user, result, lang, today_of(runtime))


def report_file(runtime: Runtime, result: Result, format: str, lang: str) -> tuple[bytes, str, str]:
    """The report as a file, ``csv`` (UTF-8 with a BOM) or ``xlsx``: content, media type, file name."""
    if format == "csv":
        content, media_type = files.to_csv(result, runtime.org, lang), files.CSV_MEDIA_TYPE
    else:
        content, media_type = files.to_xlsx(result, runtime.org, lang), files.XLSX_MEDIA_TYPE
    token = result.period.token.replace(":", "-").replace("..", "_")
    return content, media_type, f"{result.report_id}-{token}.{format}"


async def summaries(runtime: Runtime, user: User, lang: str) -> list[files.ReportSummaryOut]:
    """The reports ``user`` may see, for the API: name, title, description, the kind of period."""
    page = await index_page(runtime, user, lang)
    return [
        files.ReportSummaryOut(
            name=link.id,
            title=link.name,
            description=link.description,
            period=runtime.org.reports[link.id].period,
        )
        for link in page.reports
    ]


def _page(runtime: Runtime, user: User, result: Result, lang: str, today: dt.date) -> ReportPage:
    org = runtime.org
    tz = ZoneInfo(org.calendar.timezone)
    report, period, name = result.report, result.period, result.report_id
    base = f"/reports/{name}"
    tables = []
    for index, table in enumerate(result.tables):
        rows = [
            FigureRow(
                label=row.label.get(lang),
                value=value_text(row.value, table.average),
                count=row.count,
                href=f"{base}/tickets"
                + query(period.token, result.department, table=str(index), key=row.key),
                total=row.total,
            )
            for row in table.rows
        ]
        values = [row.value for row in table.rows]
        bars = _bars(rows, values, lang)
        tables.append(
            TableView(
                id=f"table-{index}",
                title=table.title.get(lang),
                value_header=t("report_average" if table.average else "report_count", lang),
                average=table.average,
                rows=rows,
                bars=bars,
                chart_height=max(1, len(bars)) * (BAR_HEIGHT + BAR_GAP),
            )
        )
    kinds_offered = ["week", "month", "semester", "half_year", "custom"] if period.kind != "now" else ["now"]
    departments: list[Choice] = []
    if sees_all(user, org) and report.heads:
        departments = [Choice("", t("report_all_departments", lang), result.department is None)] + [
            Choice(d, org.departments[d].name.get(lang), d == result.department) for d in org.departments
        ]
    try:
        previous = periods.previous(period, org).token
    except periods.PeriodError:
        previous = period.token
    department = org.departments.get(result.department) if result.department else None
    return ReportPage(
        name=name,
        title=report.name.get(lang),
        description=report.description.get(lang) if report.description else "",
        period_text=period_text(result, lang),
        period_token=period.token,
        kinds=[Choice(k, t(f"report_period_{k}", lang), k == period.kind) for k in kinds_offered],
        day=period.first.isoformat() if period.kind != "now" else today.isoformat(),
        first=period.first.isoformat(),
        last=period.last.isoformat(),
        departments=departments,
        department_text=department.name.get(lang) if department else t("report_all_departments", lang),
        tables=tables,
        tickets=_ticket_rows(list(result.tickets), lang, tz) if report.tickets else [],
        show_tickets=report.tickets,
        previous_href=base + query(previous, result.department),
        csv_href=f"{base}/csv" + query(period.token, result.department, lang=lang),
        xlsx_href=f"{base}/xlsx" + query(period.token, result.department, lang=lang),
        generated=both(result.generated_at, lang, tz),
    )


async def figure_page(
    runtime: Runtime, user: User, report_id: str, ask: Mapping[str, str], lang: str
) -> FigureTicketsPage:
    """The tickets behind one figure. Raises UnknownReport, NotAllowed, PeriodError, LookupError."""
    org = runtime.org
    report = report_of(org, report_id)
    period = period_of(report, org, ask, today_of(runtime))
    result = await build(runtime, report_id, period, user, department=ask.get("department") or None)
    table = ask.get("table", "")
    row, lines = drill(result, int(table) if table.isdigit() else -1, ask.get("key", ""))
    return FigureTicketsPage(
        title=report.name.get(lang),
        figure=row.label.get(lang),
        period_text=period_text(result, lang),
        back_href=f"/reports/{report_id}" + query(period.token, result.department),
        tickets=_ticket_rows(lines, lang, ZoneInfo(org.calendar.timezone)),
    )
