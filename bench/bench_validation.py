"""Submission validation: jsonschema against jsonschema-rs, per submission and on a pathological pattern.

    .venv/bin/python bench/bench_validation.py [--repeat 7] [--timeout 10]

Each figure is a whole ``server.validation`` call — validator, undeclared-field check and the mapping
of every error to its bilingual message — on a form compiled once, as the server does. Best and median
of ``--repeat`` timings, each of enough calls to take about 0.2 s. jsonschema's runs of the pathological
pattern go in a child process killed after ``--timeout`` seconds (Python's ``re`` cannot be interrupted).

Prints a Markdown table; docs/performance.md records it with this command.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import timeit
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from server.definitions.model import Form, Text
from server.validation import CompiledForm, Engine

ENGINES: tuple[Engine, ...] = ("jsonschema", "jsonschema-rs")
EVIL = "^(a+)+$"


def _text(en: str) -> dict[str, str]:
    return {"ar": en, "en": en}


def twenty_field_schema() -> dict[str, Any]:
    """A realistic request form: 20 fields (21 with the conditional one) of every kind the shipped forms use."""
    name = "^\\s*[A-Za-z\\u0600-\\u06FF.'-]+(\\s+[A-Za-z\\u0600-\\u06FF.'-]+){2,}\\s*$"
    props: dict[str, Any] = {
        "full_name": {"type": "string", "minLength": 3, "maxLength": 150, "pattern": name},
        "national_id": {"type": "string", "pattern": "^[12][0-9]{9}$"},
        "mobile": {"type": "string", "pattern": "^(05[0-9]{8}|\\+?[1-9][0-9]{7,14})$"},
        "email": {"type": "string", "format": "email", "maxLength": 254},
        "birth_date": {"type": "string", "format": "date"},
        "gender": {"type": "string", "oneOf": [{"const": "male"}, {"const": "female"}]},
        "college": {"type": "string", "enum": ["engineering", "medicine", "science", "arts", "law"]},
        "employee_number": {"type": "string", "pattern": "^[0-9]{1,20}$"},
        "years_of_service": {"type": "integer", "minimum": 0, "maximum": 50},
        "request_kind": {
            "type": "string",
            "oneOf": [{"const": "new"}, {"const": "repair"}, {"const": "other"}],
        },
        "other_kind": {"type": "string", "minLength": 3, "maxLength": 200},
        "urgency": {"type": "string", "enum": ["normal", "urgent"]},
        "subject": {"type": "string", "minLength": 5, "maxLength": 300},
        "details": {"type": "string", "minLength": 10, "maxLength": 4000},
        "building": {"type": "string", "minLength": 1, "maxLength": 100},
        "room": {"type": "string", "maxLength": 50},
        "total_quantity": {"type": "integer", "minimum": 1, "maximum": 10000},
        "items": {
            "type": "array",
            "minItems": 1,
            "maxItems": 50,
            "items": {
                "type": "object",
                "required": ["item", "quantity"],
                "additionalProperties": False,
                "properties": {
                    "item": {"type": "string", "minLength": 2, "maxLength": 200},
                    "quantity": {"type": "integer", "minimum": 1, "maximum": 10000},
                    "specification": {"type": "string", "maxLength": 1000},
                },
            },
        },
        "needed_by": {"type": "string", "format": "date"},
        "consent": {"type": "boolean", "const": True},
        "contact_time": {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"},
    }
    for sub in props.values():
        sub["x-title"] = _text("field")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "x-title": _text("A 20-field request"),
        "required": [n for n in props if n not in ("room", "other_kind", "specification")],
        "properties": props,
        "if": {"properties": {"request_kind": {"const": "other"}}, "required": ["request_kind"]},
        "then": {"required": ["other_kind"]},
    }


VALID: dict[str, Any] = {
    "full_name": "أحمد محمد علي",
    "national_id": "1012345678",
    "mobile": "0551234567",
    "email": "ahmed@example.org",
    "birth_date": "1990-05-17",
    "gender": "male",
    "college": "engineering",
    "employee_number": "40213",
    "years_of_service": 12,
    "request_kind": "other",
    "other_kind": "تجهيز معمل",
    "urgency": "normal",
    "subject": "تجهيز معمل الحاسب",
    "details": "نحتاج إلى أجهزة حاسب ومقاعد لمعمل جديد في المبنى",
    "building": "B12",
    "total_quantity": 32,
    "items": [
        {"item": "جهاز حاسب", "quantity": 30, "specification": "16 GB"},
        {"item": "جهاز عرض", "quantity": 2},
    ],
    "needed_by": "2026-12-15",
    "consent": True,
    "contact_time": "09:30",
}

# 13 field errors: nine top-level fields wrong, one missing through if/then, three in the array of objects
INVALID: dict[str, Any] = {
    **VALID,
    "full_name": "أحمد",
    "mobile": "12345",
    "email": "not an address",
    "birth_date": "1990-02-30",
    "gender": "other",
    "years_of_service": 60,
    "subject": "abc",
    "items": [{"item": "جهاز حاسب"}, {"item": "x", "quantity": 0}],
    "consent": False,
    "contact_time": "24:00",
}
del INVALID["other_kind"]


def form(schema: dict[str, Any], form_id: str = "bench") -> Form:
    return Form(id=form_id, title=Text(ar=form_id, en=form_id), schema=schema)


def per_call_us(call: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(best, median) µs per call."""
    timer = timeit.Timer(call)
    number, taken = timer.autorange()
    number = max(1, int(number * 0.2 / max(taken, 1e-9)))
    runs = timer.repeat(repeat=repeat, number=number)
    return min(runs) / number * 1e6, statistics.median(runs) / number * 1e6


def fmt_us(best: float, median: float) -> str:
    return f"{best:,.1f} / {median:,.1f}"


def fmt_s(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:,.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:,.2f} ms"
    return f"{seconds * 1e6:,.1f} µs"


_CHILD = """
import sys, time
sys.path.insert(0, {root!r})
from bench.bench_validation import evil_form
from server.validation import CompiledForm
compiled = CompiledForm(evil_form(), engine={engine!r})
started = time.perf_counter()
errors = compiled.errors({{"code": "a" * {n} + "!"}})
print(time.perf_counter() - started, len(errors))
"""


def evil_form() -> Form:
    return form(
        {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "x-title": _text("evil"),
            "properties": {"code": {"type": "string", "pattern": EVIL, "x-title": _text("code")}},
        },
        "evil",
    )


def pathological(engine: Engine, n: int, timeout: float) -> float | None:
    """Seconds for one validation of 'a'*n + '!' against ^(a+)+$, or None past ``timeout``."""
    if engine == "jsonschema-rs":
        compiled = CompiledForm(evil_form(), engine=engine)
        data = {"code": "a" * n + "!"}
        assert len(compiled.errors(data)) == 1
        best, _ = per_call_us(lambda: compiled.errors(data), 3)
        return best / 1e6
    code = _CHILD.format(root=str(Path(__file__).resolve().parent.parent), engine=engine, n=n)
    try:
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, check=True
        )
    except subprocess.TimeoutExpired:
        return None
    seconds, errors = out.stdout.split()
    assert errors == "1", out.stdout
    return float(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=7, help="timings per figure (best and median)")
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds for one jsonschema pathological run"
    )
    args = parser.parse_args()

    bench_form = form(twenty_field_schema())
    supplies_path = Path(__file__).resolve().parent.parent / "form_schemas" / "supplies.json"
    supplies = form(json.loads(supplies_path.read_text(encoding="utf-8")), "supplies")
    supplies_example = supplies.schema["examples"][0]
    one_wrong = {**VALID, "mobile": "12345"}
    compile_row = "compile the form (once per Form)"
    cases: dict[str, tuple[Form, dict[str, Any], int]] = {
        "valid 20-field submission, µs best / median": (bench_form, VALID, 0),
        "the same with one field wrong, µs best / median": (bench_form, one_wrong, 1),
        "invalid submission (13 field errors), µs best / median": (bench_form, INVALID, 13),
        "shipped `supplies` form, its example, µs best / median": (supplies, supplies_example, 0),
    }
    rows: dict[str, list[str]] = {compile_row: [], **{label: [] for label in cases}}
    for engine in ENGINES:
        started = time.perf_counter()
        compiled = CompiledForm(bench_form, engine=engine)
        rows[compile_row].append(fmt_s(time.perf_counter() - started))
        assert compiled.engine == engine
        for label, (case_form, data, expected) in cases.items():
            case = CompiledForm(case_form, engine=engine)
            errors = case.errors(data)
            assert len(errors) == expected, [e.path for e in errors]
            rows[label].append(fmt_us(*per_call_us(partial(case.errors, data), args.repeat)))
    same = CompiledForm(bench_form, engine="jsonschema").errors(INVALID) == CompiledForm(bench_form).errors(
        INVALID
    )

    measured: dict[tuple[Engine, int], float | None] = {}
    for engine in ENGINES:
        for n in (20, 24, 32, 10_000):
            if engine == "jsonschema" and n > 32:
                continue
            measured[engine, n] = pathological(engine, n, args.timeout)
            if engine == "jsonschema" and measured[engine, n] is None:
                break
    for n in (20, 24, 32, 10_000):
        label = f"`{EVIL}` on {n:,} × 'a' + '!'"
        cells = []
        for engine in ENGINES:
            if (engine, n) not in measured:
                cells.append("—")
            elif (seconds := measured[engine, n]) is not None:
                cells.append(fmt_s(seconds))
            else:
                t24 = measured.get((engine, 24))
                guess = f", ≈ {fmt_s(t24 * 2 ** (n - 24))} at ×2 per character" if t24 else ""
                cells.append(f"> {args.timeout:g} s (killed{guess})")
        rows[label] = cells

    print(
        f"| {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores | ", end=""
    )
    print(" | ".join(ENGINES) + " |")
    print("|---|" + "---|" * len(ENGINES))
    for label, cells in rows.items():
        print(f"| {label} | " + " | ".join(cells) + " |")
    print()
    print(f"same field errors from both engines on the invalid submission: {same}")


if __name__ == "__main__":
    main()
