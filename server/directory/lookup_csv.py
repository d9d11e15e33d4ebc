"""Lookup tables as CSV: parse and validate an upload against the organisation's table definition,
and write a table back out.

A table is declared in ``organisation.json`` under ``lookups`` (a key column and typed columns). The
CSV is UTF-8 (a byte-order mark is accepted and written, so that Excel opens Arabic text correctly),
comma-separated, with a header row naming exactly the declared columns, in any order. Every data row
is checked against the column types; every problem is reported with its line number in Arabic and
English, and a file with any problem is refused as a whole (the caller replaces nothing).

Cell values as stored (JSON): ``string`` as is, ``integer`` an int, ``number`` an int or float,
``boolean`` true/false (``true/false``, ``1/0``, ``yes/no``, ``نعم/لا``), ``date`` an ISO
``YYYY-MM-DD`` string. An empty cell is ``null`` (``""`` for a string column), except in the key
column, where it is an error.

A string cell beginning with ``= + - @`` is written with a leading apostrophe, so a spreadsheet
does not run it as a formula; the apostrophe is removed again on import.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from server.definitions.model import LookupTable, Text

MAX_CSV_BYTES = 5 * 1024 * 1024
"""The largest CSV file accepted for import."""

BOM = "\ufeff"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_TRUE = frozenset({"true", "1", "yes", "نعم"})
_FALSE = frozenset({"false", "0", "no", "لا"})
_INTEGER = re.compile(r"^[+-]?\d+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class LineError(msgspec.Struct, frozen=True):
    """A problem of the file: ``line`` is the physical line of the CSV (the header is line 1; 0 for
    the file as a whole); ``column`` the column concerned, if any."""

    line: int
    column: str | None
    message: Text

    def describe(self, lang: str) -> str:
        where = Text(ar=f"السطر {self.line}", en=f"Line {self.line}").get(lang) if self.line else ""
        column = f" ({self.column})" if self.column else ""
        return f"{where}{column}: {self.message.get(lang)}" if where else f"{self.message.get(lang)}{column}"


class CsvRefused(Exception):
    """The file was refused; ``errors`` lists every problem found."""

    def __init__(self, errors: list[LineError]) -> None:
        super().__init__("; ".join(e.describe("en") for e in errors))
        self.errors = errors


def _cell(kind: str, raw: str) -> tuple[Any, Text | None]:
    """The stored value of one non-empty cell, or the problem with it."""
    value = raw.strip()
    if kind == "string":
        if raw[:2] in {f"'{c}" for c in _FORMULA_START}:
            return raw[1:], None
        return raw, None
    if kind == "integer":
        if _INTEGER.match(value):
            return int(value), None
        return None, Text(ar=f"«{value}» ليس عدداً صحيحاً", en=f"{value!r} is not a whole number")
    if kind == "number":
        if _INTEGER.match(value):
            return int(value), None
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if math.isfinite(number):
            return number, None
        return None, Text(ar=f"«{value}» ليس رقماً", en=f"{value!r} is not a number")
    if kind == "boolean":
        lowered = value.lower()
        if lowered in _TRUE:
            return True, None
        if lowered in _FALSE:
            return False, None
        return None, Text(
            ar=f"«{value}» ليست قيمة منطقية (true أو false)", en=f"{value!r} is not true or false"
        )
    if kind == "date":
        try:
            if not _DATE.match(value):
                raise ValueError(value)
            return dt.date.fromisoformat(value).isoformat(), None
        except ValueError:
            return None, Text(
                ar=f"«{value}» ليس تاريخاً بالصيغة YYYY-MM-DD", en=f"{value!r} is not a date (YYYY-MM-DD)"
            )
    raise ValueError(f"unknown column type {kind!r}")  # the meta-schema allows no other


def parse_csv(table: LookupTable, content: bytes) -> list[dict[str, Any]]:
    """The rows of ``content`` as the store keeps them; raises ``CsvRefused`` listing every problem."""
    if len(content) > MAX_CSV_BYTES:
        raise CsvRefused([LineError(0, None, too_large())])
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        raise CsvRefused(
            [
                LineError(
                    line,
                    None,
                    Text(
                        ar="الملف ليس بترميز UTF-8؛ احفظه من Excel بصيغة «CSV UTF-8»",
                        en="The file is not UTF-8; save it from Excel as “CSV UTF-8”",
                    ),
                )
            ]
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    errors: list[LineError] = []
    rows: list[dict[str, Any]] = []
    try:
        header = next(reader, None)
        if header is None or not any(h.strip() for h in header):
            raise CsvRefused([LineError(0, None, Text(ar="الملف فارغ", en="The file is empty"))])
        names = [h.strip() for h in header]
        declared = list(table.columns)
        missing = [c for c in declared if c not in names]
        unknown = [n for n in names if n not in table.columns]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        for column in missing:
            errors.append(LineError(1, column, Text(ar="عمود مفقود", en="missing column")))
        for column in unknown:
            errors.append(
                LineError(1, column or "?", Text(ar="عمود غير معرّف للجدول", en="not a column of this table"))
            )
        for column in duplicated:
            errors.append(LineError(1, column, Text(ar="عمود مكرر", en="column given twice")))
        if errors:
            raise CsvRefused(errors)
        line = reader.line_num + 1
        for record in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue  # blank lines, as spreadsheets leave at the end
            if len(record) != len(names):
                errors.append(
                    LineError(
                        start,
                        None,
                        Text(
                            ar=f"عدد الخانات {len(record)} والمتوقع {len(names)}",
                            en=f"{len(record)} cells where {len(names)} are expected",
                        ),
                    )
                )
                continue
            row: dict[str, Any] = {}
            for name, raw in zip(names, record, strict=True):
                kind = table.columns[name].type
                if not raw.strip():
                    if name == table.key:
                        errors.append(
                            LineError(start, name, Text(ar="المفتاح مطلوب", en="the key is required"))
                        )
                    row[name] = "" if kind == "string" else None
                    continue
                value, problem = _cell(kind, raw)
                if problem is not None:
                    errors.append(LineError(start, name, problem))
                row[name] = value
            if row[table.key] is not None and not key_type_ok(row[table.key]):
                errors.append(
                    LineError(
                        start,
                        table.key,
                        Text(ar="المفتاح نص أو عدد صحيح", en="a key is a text or a whole number"),
                    )
                )
            rows.append({c: row[c] for c in declared})
    except csv.Error as exc:
        errors.append(
            LineError(
                reader.line_num, None, Text(ar=f"صيغة CSV غير سليمة: {exc}", en=f"malformed CSV: {exc}")
            )
        )
    if errors:
        raise CsvRefused(errors)
    return rows


def key_type_ok(key: Any) -> bool:
    """A stored key is a string or an integer (``sqlite_directory.lookup_key``)."""
    return isinstance(key, str) or (isinstance(key, int) and not isinstance(key, bool))


def too_large() -> Text:
    limit = MAX_CSV_BYTES // (1024 * 1024)
    return Text(
        ar=f"حجم الملف أكبر من الحد المسموح ({limit} ميغابايت)",
        en=f"The file is larger than the limit ({limit} MB)",
    )


def _out(kind: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if kind == "string" and isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    if isinstance(value, float):
        return repr(value)
    return str(value)


def export_csv(table: LookupTable, rows: Iterable[Mapping[str, Any]]) -> bytes:
    """The table as UTF-8 CSV with a byte-order mark; the header is the declared columns."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    columns = list(table.columns)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_out(table.columns[c].type, row.get(c)) for c in columns])
    return (BOM + buffer.getvalue()).encode("utf-8")
