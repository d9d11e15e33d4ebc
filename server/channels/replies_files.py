"""The customer-service replies log as files: CSV (UTF-8 with a BOM, so Excel reads Arabic) and XLSX
(XlsxWriter; the sheet right-to-left for Arabic). One heading row, then one row per reply."""

from __future__ import annotations

import csv
import io

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    """A value a spreadsheet shows as text: one that would start a formula gets a leading quote."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(heading: list[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(heading)
    writer.writerows([[_cell(c) for c in row] for row in rows])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(heading: list[str], rows: list[list[str]], lang: str) -> bytes:
    buffer = io.BytesIO()
    import xlsxwriter  # loaded with the first spreadsheet, not with the server (60 ms of its start)

    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet("replies")
    if lang != "en":
        sheet.right_to_left()
    bold = book.add_format({"bold": True})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    for col, title in enumerate(heading):
        sheet.write_string(0, col, title, bold)
    for index, row in enumerate(rows, start=1):
        for col, cell in enumerate(row):
            sheet.write_string(index, col, cell, wrap)
    sheet.freeze_panes(1, 0)
    sheet.set_column(0, 5, 22)
    sheet.set_column(6, 6, 60)
    sheet.set_column(7, 8, 22)
    sheet.set_column(9, 9, 80)
    book.close()
    return buffer.getvalue()
