"""A report as an e-mail: one bilingual message (Arabic, then English) with the figures as a text body
and an HTML alternative (each table with its bars, drawn in HTML so every mail reader shows them), and the
files attached — the chart as SVG, the CSV (UTF-8 with a BOM) and the XLSX, in both languages.

Everything an administrator wrote (report and department names, labels) is escaped.
"""

from __future__ import annotations

from html import escape
from zoneinfo import ZoneInfo

from server.dates import both
from server.definitions.model import Organisation
from server.i18n import t
from server.reports import files
from server.reports.service import Result, Table
from server.store.records import MailAttachment, NewMail, User

LANGUAGES = ("ar", "en")
TEMPLATE = "report"
"""The outbox's ``template`` of a report's e-mail."""
CHART_WIDTH = 640
LABEL_WIDTH = 230
BAR = 26


def subject(result: Result, org: Organisation) -> str:
    department = org.departments.get(result.department) if result.department else None
    parts = []
    for lang in LANGUAGES:
        where = f" — {department.name.get(lang)}" if department else ""
        parts.append(f"{result.report.name.get(lang)}{where}: {files.period_text(result, lang)}")
    return " | ".join(parts)


def _heading(result: Result, org: Organisation, lang: str) -> list[tuple[str, str]]:
    department = org.departments.get(result.department) if result.department else None
    tz = ZoneInfo(org.calendar.timezone)
    return [
        (t("report_period", lang), files.period_text(result, lang)),
        (
            t("report_department", lang),
            department.name.get(lang) if department else t("report_all_departments", lang),
        ),
        (t("report_generated", lang), both(result.generated_at, lang, tz)),
    ]


def text_body(result: Result, org: Organisation, base_url: str = "") -> str:
    out: list[str] = []
    for lang in LANGUAGES:
        out.append(result.report.name.get(lang))
        out.extend(f"{name}: {value}" for name, value in _heading(result, org, lang))
        for table in result.tables:
            out.append("")
            out.append(table.title.get(lang))
            for row in table.rows:
                out.append(f"  {row.label.get(lang)}: {files.value_text(row.value, table.average)}")
        if result.report.tickets:
            out.append("")
            out.append(t("report_tickets", lang))
            for line in result.tickets:
                link = f" {base_url}/staff/tickets/{line.id}" if base_url else ""
                out.append(f"  {line.number} — {line.state.get(lang)}{link}")
        out.append("")
        out.append(t("report_mail_attached", lang))
        out.append("")
        out.append("-" * 40)
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _html_table(table: Table, lang: str) -> str:
    top = max((row.value for row in table.rows), default=0) or 1
    value_header = t("report_average" if table.average else "report_count", lang)
    rows = []
    for row in table.rows:
        width = round(200 * row.value / top)
        weight = "bold" if row.total else "normal"
        rows.append(
            f'<tr><th scope="row" style="text-align:start;font-weight:{weight};padding:4px 8px">'
            f"{escape(row.label.get(lang))}</th>"
            f'<td style="padding:4px 8px">{escape(files.value_text(row.value, table.average))}</td>'
            f'<td style="padding:4px 8px"><div style="background:#0b5d43;height:14px;width:{width}px"></div>'
            "</td></tr>"
        )
    return (
        f'<h3 style="margin:16px 0 4px">{escape(table.title.get(lang))}</h3>'
        '<table style="border-collapse:collapse" role="table">'
        f'<thead><tr><th scope="col" style="text-align:start;padding:4px 8px">{escape(t("report_figure", lang))}</th>'
        f'<th scope="col" style="padding:4px 8px">{escape(value_header)}</th>'
        f'<th scope="col" style="padding:4px 8px">{escape(t("report_chart", lang))}</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def html_body(result: Result, org: Organisation, base_url: str = "") -> str:
    sections = []
    for lang in LANGUAGES:
        direction = "rtl" if lang == "ar" else "ltr"
        heading = "".join(
            f"<li>{escape(name)}: {escape(value)}</li>" for name, value in _heading(result, org, lang)
        )
        tables = "".join(_html_table(table, lang) for table in result.tables)
        tickets = ""
        if result.report.tickets:
            items = []
            for line in result.tickets:
                number = escape(line.number)
                if base_url:
                    number = f'<a href="{escape(base_url)}/staff/tickets/{line.id}">{number}</a>'
                items.append(f"<li>{number} — {escape(line.state.get(lang))}</li>")
            empty = f"<li>{escape(t('report_mail_no_tickets', lang))}</li>"
            tickets = f"<h3>{escape(t('report_tickets', lang))}</h3><ul>{''.join(items) or empty}</ul>"
        sections.append(
            f'<section lang="{lang}" dir="{direction}" style="margin-bottom:32px">'
            f"<h2>{escape(result.report.name.get(lang))}</h2><ul>{heading}</ul>{tables}{tickets}"
            f"<p>{escape(t('report_mail_attached', lang))}</p></section>"
        )
    title = escape(subject(result, org))
    return (
        '<!DOCTYPE html><html lang="ar"><head><meta charset="utf-8">'
        f"<title>{title}</title></head>"
        f'<body style="font-family:sans-serif">{"<hr>".join(sections)}</body></html>'
    )


def chart_svg(result: Result, lang: str) -> bytes:
    """The report's bar charts (one per table) as one SVG, with a title and a text alternative."""
    parts: list[str] = []
    y = 0
    span = CHART_WIDTH - LABEL_WIDTH - 60
    rtl = lang != "en"
    for table in result.tables:
        y += 24
        anchor_x = CHART_WIDTH - 8 if rtl else 8
        parts.append(
            f'<text x="{anchor_x}" y="{y - 6}" font-size="15" font-weight="bold" '
            f'text-anchor="{"end" if rtl else "start"}">{escape(table.title.get(lang))}</text>'
        )
        top = max((row.value for row in table.rows), default=0) or 1
        for row in table.rows:
            width = round(span * row.value / top)
            label, value = escape(row.label.get(lang)), escape(files.value_text(row.value, table.average))
            if rtl:
                right = CHART_WIDTH - LABEL_WIDTH
                bar_x, label_x, value_x, anchor, value_anchor = (
                    right - width,
                    right + 8,
                    right - width - 6,
                    "start",
                    "end",
                )
            else:
                bar_x, label_x, value_x, anchor, value_anchor = (
                    LABEL_WIDTH,
                    LABEL_WIDTH - 8,
                    LABEL_WIDTH + width + 6,
                    "end",
                    "start",
                )
            parts.append(
                f'<text x="{label_x}" y="{y + 18}" text-anchor="{anchor}" font-size="13">{label}</text>'
                f'<rect x="{bar_x}" y="{y + 2}" width="{width}" height="22" fill="#0b5d43"/>'
                f'<text x="{value_x}" y="{y + 18}" text-anchor="{value_anchor}" font-size="13">{value}</text>'
            )
            y += BAR + 8
    title = escape(f"{t('report_chart', lang)}: {result.report.name.get(lang)}")
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{CHART_WIDTH}" height="{y + 8}" '
        f'viewBox="0 0 {CHART_WIDTH} {y + 8}" direction="{"rtl" if rtl else "ltr"}" font-family="sans-serif">'
        f"<title>{title}</title><desc>{escape(t('report_chart_alt', lang))}</desc>{''.join(parts)}</svg>"
    )
    return svg.encode("utf-8")


def attachments(result: Result, org: Organisation) -> tuple[MailAttachment, ...]:
    stem = f"{result.report_id}-{result.period.token.replace(':', '-').replace('..', '-')}"
    if result.department:
        stem += f"-{result.department}"
    found: list[MailAttachment] = []
    for lang in LANGUAGES:
        found.append(
            MailAttachment(
                filename=f"{stem}-{lang}.svg", content_type="image/svg+xml", content=chart_svg(result, lang)
            )
        )
        found.append(
            MailAttachment(
                filename=f"{stem}-{lang}.csv",
                content_type="text/csv",
                content=files.to_csv(result, org, lang),
            )
        )
        found.append(
            MailAttachment(
                filename=f"{stem}-{lang}.xlsx",
                content_type=files.XLSX_MEDIA_TYPE,
                content=files.to_xlsx(result, org, lang),
            )
        )
    return tuple(found)


def mail_for(result: Result, org: Organisation, user: User, *, base_url: str = "") -> NewMail:
    """The e-mail of ``result`` to ``user`` (who has an address)."""
    return NewMail(
        recipient=user.email or "",
        recipient_id=user.id,
        department=result.department,
        template=TEMPLATE,
        language=org.default_language,
        subject=subject(result, org),
        body=text_body(result, org, base_url),
        html=html_body(result, org, base_url),
        attachments=attachments(result, org),
    )
