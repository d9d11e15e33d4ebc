"""Lookup tables declared in the organisation: the list, one table's rows (paged), CSV export and CSV
import (``server.directory.lookup_csv``: a file with any error replaces nothing)."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec

from server.directory.lookup_csv import MAX_CSV_BYTES, CsvRefused, LineError, export_csv, parse_csv, too_large
from server.directory.outcome import Outcome, not_found, refused
from server.i18n import MESSAGES
from server.runtime import Runtime

ROWS_PER_PAGE = 50


class TableLink(msgspec.Struct, frozen=True):
    id: str
    name: str
    rows: int


class LookupsPage(msgspec.Struct, frozen=True):
    tables: list[TableLink]
    notice: str = ""


class ColumnHead(msgspec.Struct, frozen=True):
    name: str
    label: str
    type: str
    key: bool


class TablePage(msgspec.Struct, frozen=True):
    id: str
    name: str
    columns: list[ColumnHead]
    rows: list[list[str]]
    total: int
    page: int
    pages: int
    csv_errors: list[str]
    notice: str
    max_mb: int


class CsvFile(msgspec.Struct, frozen=True):
    name: str
    content: bytes


def _show(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


async def lookups_page(runtime: Runtime, lang: str) -> LookupsPage:
    return LookupsPage(
        tables=[
            TableLink(table_id, table.name.get(lang), await runtime.store.count_lookup_rows(table_id))
            for table_id, table in runtime.org.lookups.items()
        ]
    )


async def table_page(
    runtime: Runtime,
    lang: str,
    table_id: str,
    *,
    page_number: int = 1,
    csv_errors: list[str] | None = None,
    notice: str = "",
) -> TablePage | None:
    """One table's page (``page_number`` clamped to the pages there are), None for an unknown table."""
    table = runtime.org.lookups.get(table_id)
    if table is None:
        return None
    store = runtime.store
    total = await store.count_lookup_rows(table_id)
    pages = max(1, -(-total // ROWS_PER_PAGE))
    page_number = min(max(1, page_number), pages)
    rows = await store.list_lookup_table(
        table_id, offset=(page_number - 1) * ROWS_PER_PAGE, limit=ROWS_PER_PAGE
    )
    columns = [
        ColumnHead(name, column.label.get(lang), column.type, name == table.key)
        for name, column in table.columns.items()
    ]
    return TablePage(
        id=table_id,
        name=table.name.get(lang),
        columns=columns,
        rows=[[_show(row.get(c.name)) for c in columns] for row in rows],
        total=total,
        page=page_number,
        pages=pages,
        csv_errors=csv_errors or [],
        notice=notice,
        max_mb=MAX_CSV_BYTES // (1024 * 1024),
    )


async def table_csv(runtime: Runtime, table_id: str) -> CsvFile | None:
    """The whole table as CSV (UTF-8 with a byte-order mark), None for an unknown table."""
    table = runtime.org.lookups.get(table_id)
    if table is None:
        return None
    rows = await runtime.store.list_lookup_table(table_id)
    return CsvFile(name=f"{table_id}.csv", content=export_csv(table, rows))


async def import_csv(
    runtime: Runtime, lang: str, table_id: str, content: bytes | None, *, too_big: bool = False
) -> Outcome[TablePage]:
    """Replaces the table by the uploaded CSV, or the page with every problem found and
    the table unchanged. ``content`` None: no file was chosen; ``too_big``: the upload was refused."""
    table = runtime.org.lookups.get(table_id)
    if table is None:
        return not_found()
    errors: list[LineError] = []
    if too_big:
        errors = [LineError(0, None, too_large())]
    elif content is None:
        errors = [LineError(0, None, MESSAGES["dir_choose_file"])]
    else:
        try:
            rows = await asyncio.to_thread(parse_csv, table, content)
        except CsvRefused as exc:
            errors = exc.errors
    page = await table_page(runtime, lang, table_id, csv_errors=[e.describe(lang) for e in errors])
    if errors and page is not None:
        return refused(page)
    await runtime.store.replace_lookup_table(table_id, table.key, rows)
    return Outcome(done="imported")
