"""A report's figures as files and data: CSV (UTF-8 with a BOM, so Excel reads Arabic), XLSX (XlsxWriter;
the sheet right-to-left for Arabic) and the JSON of the API — one layout for the three: a heading (the
report, the period, the department), then each table (item, value, count), then the counted tickets when
the report lists them."""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

import msgspec

from server.dates import both
from server.definitions.model import Organisation
from server.i18n import t
from server.reports.service import Result

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class FigureOut(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    label: str
    value: float
    count: int
    total: bool
    ticket_ids: list[int]


class TableOut(msgspec.Struct, frozen=True, kw_only=True):
    title: str
    average: bool
    figures: list[FigureOut]


class TicketOut(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    number: str
    service: str
    state: str
    created_at: str
    closed_at: str | None
    due_at: str | None


class ReportSummaryOut(msgspec.Struct, frozen=True, kw_only=True):
    """A report the caller may see (``GET /api/reports``)."""

    name: str
    title: str
    description: str
    period: str
    """The kind of period it is counted over (week, month, semester, half_year, custom, now)."""


class ReportOut(msgspec.Struct, frozen=True, kw_only=True):
    """A report's figures over one period (``GET /api/reports/{name}``)."""

    name: str
    title: str
    period: str
    """The period token (``week:2026-11-22``, ``month:2026-11``, ``custom:FIRST..LAST`` …)."""
    first_day: str
    last_day: str
    department: str | None
    generated_at: str
    tables: list[TableOut]
    tickets: list[TicketOut]


def period_text(result: Result, lang: str) -> str:
    period = result.period
    if period.kind == "now":
        return t("report_period_now", lang)
    name = f"{period.name.get(lang)}: " if period.name else ""
    return f"{name}{both(period.first, lang)} – {both(period.last, lang)}"


def value_text(value: float, average: bool) -> str:
    return f"{value:.2f}" if average else str(int(value))


def to_data(result: Result, lang: str) -> ReportOut:
    return ReportOut(
        name=result.report_id,
        title=result.report.name.get(lang),
        period=result.period.token,
        first_day=result.period.first.isoformat(),
        last_day=result.period.last.isoformat(),
        department=result.department,
        generated_at=result.generated_at.isoformat(),
        tables=[
            TableOut(
                title=table.title.get(lang),
                average=table.average,
                figures=[
                    FigureOut(
                        key=row.key,
                        label=row.label.get(lang),
                        value=row.value,
                        count=row.count,
                        total=row.total,
                        ticket_ids=list(row.ticket_ids),
                    )
                    for row in table.rows
                ],
            )
            for table in result.tables
        ],
        tickets=[
            TicketOut(
                id=line.id,
                number=line.number,
                service=line.service.get(lang),
                state=line.state.get(lang),
                created_at=line.created_at.isoformat(),
                closed_at=line.closed_at.isoformat() if line.closed_at else None,
                due_at=line.due_at.isoformat() if line.due_at else None,
            )
            for line in result.tickets
        ],
    )


def _lines(result: Result, org: Organisation, lang: str) -> list[list[str]]:
    """The rows of the file, as text."""
    tz = ZoneInfo(org.calendar.timezone)
    department = org.departments.get(result.department) if result.department else None
    out = [
        [result.report.name.get(lang)],
        [t("report_period", lang), period_text(result, lang)],
        [
            t("report_department", lang),
            department.name.get(lang) if department else t("report_all_departments", lang),
        ],
        [t("report_generated", lang), both(result.generated_at, lang, tz)],
    ]
    for table in result.tables:
        out.append([])
        out.append([table.title.get(lang)])
        value = t("report_average" if table.average else "report_count", lang)
        out.append([t("report_figure", lang), value] + ([t("report_ratings", lang)] if table.average else []))
        for row in table.rows:
            line = [row.label.get(lang), value_text(row.value, table.average)]
            out.append(line + ([str(row.count)] if table.average else []))
    if result.report.tickets:
        out.append([])
        out.append([t("report_tickets", lang)])
        out.append(
            [t(k, lang) for k in ("report_number", "report_service", "report_state", "report_created")]
        )
        for ticket in result.tickets:
            out.append(
                [
                    ticket.number,
                    ticket.service.get(lang),
                    ticket.state.get(lang),
                    both(ticket.created_at, lang, tz),
                ]
            )
    return out


def to_csv(result: Result, org: Organisation, lang: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(_lines(result, org, lang))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(result: Result, org: Organisation, lang: str) -> bytes:
    buffer = io.BytesIO()
    import xlsxwriter  # loaded with the first spreadsheet, not with the server (60 ms of its start)

    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet(result.report_id[:31])
    if lang != "en":
        sheet.right_to_left()
    bold = book.add_format({"bold": True})
    numbers = {"int": book.add_format({"num_format": "0"}), "avg": book.add_format({"num_format": "0.00"})}
    row_index = 0
    averages = {table.title.get(lang) for table in result.tables if table.average}
    current_average = False
    for row_index, line in enumerate(_lines(result, org, lang)):
        if len(line) == 1:
            current_average = line[0] in averages
        for col, cell in enumerate(line):
            if col == 1 and _number(cell) is not None and row_index > 3:
                fmt = numbers["avg" if current_average else "int"]
                sheet.write_number(row_index, col, _number(cell) or 0.0, fmt)
            elif col == 2 and current_average and cell.isdigit():
                sheet.write_number(row_index, col, int(cell), numbers["int"])
            else:
                sheet.write_string(row_index, col, cell, bold if len(line) == 1 and cell else None)
    sheet.set_column(0, 0, 40)
    sheet.set_column(1, 3, 22)
    book.close()
    return buffer.getvalue()


def _number(cell: str) -> float | None:
    try:
        return float(cell)
    except ValueError:
        return None
