"""Hostile definitions and templates (issue 10): how long each refusal takes, beside a normal check.

    .venv/bin/python bench/bench_hostile.py [--repeat 5] [--timeout 20]

"after" is the loader (or the template sandbox) as it is now: the best of ``--repeat`` runs of a whole
``load_sources`` of a small tree whose form or workflow holds the hostile case (the refusal), or of a
real render (the cut). "before" re-runs what the server did before issue 10 on the same input — the
loader's field walk over every inlined ``$ref`` (``forms.label_problems``), Python's ``re.compile`` of
the pattern (the official meta-schema's ``regex`` format), the template in a plain Jinja sandbox — in a
child process killed after ``--timeout`` seconds.

Prints a Markdown table; docs/performance.md records it with this command.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.definitions.loader import load_sources, load_tree
from server.definitions.model import Form, Text
from server.definitions.sandbox import Namespace
from server.definitions.texts import compile_template, render_bounded
from server.paths import shipped_root
from server.validation import validate
from tests.definition_trees import minimal_files

FORM = "form_schemas/request.json"
WF = "workflows/request.json"
MESSAGE = ("word " * 800)[:4000]
NESTED = "{% for a in data.message %}{% for b in data.message %}{{ b }}{% endfor %}{% endfor %}"
POW = "{{ ((9**64)**64)**64 }}"


def doubling(levels: int) -> dict[str, Any]:
    defs: dict[str, Any] = {
        f"d{i}": {"allOf": [{"$ref": f"#/$defs/d{i + 1}"}, {"$ref": f"#/$defs/d{i + 1}"}]}
        for i in range(levels)
    }
    defs[f"d{levels}"] = {"type": "string"}
    return defs


def tree(change: Callable[[dict[str, Any]], None] | None = None) -> dict[str, str]:
    files = minimal_files()
    if change is not None:
        change(files)
    return {k: json.dumps(v, ensure_ascii=False) for k, v in files.items()}


def with_pattern(pattern: str) -> Callable[[dict[str, Any]], None]:
    def change(files: dict[str, Any]) -> None:
        files[FORM]["properties"]["employee_id"]["pattern"] = pattern

    return change


def with_doubling(levels: int) -> Callable[[dict[str, Any]], None]:
    def change(files: dict[str, Any]) -> None:
        files[FORM]["$defs"] = doubling(levels)
        files[FORM]["properties"]["employee_id"]["$ref"] = "#/$defs/d0"

    return change


def with_template(text: str) -> Callable[[dict[str, Any]], None]:
    def change(files: dict[str, Any]) -> None:
        files[WF]["notifications"]["received"]["body"]["en"] = text

    return change


def best(work: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def before(code: str, timeout: float) -> str:
    """How the old code path ends in a child process (seconds of the work alone, and the exception
    it raised if any), or that it was killed past the timeout."""
    body = "\n".join("    " + line for line in code.strip().splitlines())
    script = (
        f"import sys, time\nsys.path.insert(0, {str(Path(__file__).resolve().parent.parent)!r})\n"
        f"started = time.perf_counter()\ntry:\n{body}\n    outcome = ''\n"
        "except BaseException as exc:\n    outcome = type(exc).__name__\n"
        "print(time.perf_counter() - started, outcome)\n"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", script], timeout=timeout, check=False, capture_output=True, text=True
        )
    except subprocess.TimeoutExpired:
        return f"> {timeout:.0f} s (killed)"
    seconds, _, outcome = done.stdout.strip().partition(" ")
    return fmt(float(seconds), timeout) + (f", then {outcome} (a 500)" if outcome else "")


def old_walk(levels: int) -> str:
    return (
        "from server.definitions.forms import label_problems\n"
        "from bench.bench_hostile import doubling\n"
        "schema = {'type': 'object', 'x-title': {'ar': 'a', 'en': 'a'}, "
        f"'$defs': doubling({levels}), 'properties': {{'a': {{'$ref': '#/$defs/d0', 'x-title': 1}}}}}}\n"
        "list(label_problems(schema))\n"
    )


def old_template(text: str) -> str:
    return (
        "from jinja2.sandbox import ImmutableSandboxedEnvironment\n"
        f"message = {MESSAGE!r}\n"
        f"ImmutableSandboxedEnvironment().from_string({text!r}).render(data={{'message': message}})\n"
    )


def fmt(seconds: float, timeout: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.1f} s"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=20)
    args = parser.parse_args()
    repeat, timeout = args.repeat, args.timeout

    rows: list[tuple[str, str, str, str]] = []

    def refusal(name: str, files: dict[str, str], old: str | None) -> None:
        errors = load_sources(files).errors
        codes = sorted({e.code for e in errors}) or ["loads"]
        after = best(lambda: load_sources(files), repeat)
        rows.append((name, ", ".join(codes), fmt(after, timeout), before(old, timeout) if old else "—"))

    shipped = shipped_root()
    rows.append(
        (
            "baseline: the shipped tree (9 services)",
            "loads",
            fmt(best(lambda: load_tree(shipped), repeat), timeout),
            "—",
        )
    )
    refusal("baseline: a small tree", tree(), None)
    refusal('pattern "(" * 500', tree(with_pattern("(" * 500)), "import re\nre.compile('(' * 500)")
    refusal(r"pattern ^(\w+\s?)+\Z", tree(with_pattern(r"^(\w+\s?)+\Z")), None)
    catastrophic = Form(
        id="f", title=Text(ar="f", en="f"), schema={"properties": {"a": {"pattern": r"^(\w+\s?)+$"}}}
    )
    value = {"a": "a" * 40 + "!"}
    rows.append(
        (
            r"a 40-character submission against ^(\w+\s?)+$ (\Z before)",
            "not valid (jsonschema-rs, linear)",
            fmt(best(lambda: validate(catastrophic, value), repeat), timeout),
            before("import re\nre.search(r'^(\\w+\\s?)+\\Z', 'a' * 40 + '!')", timeout),
        )
    )
    for levels in (14, 16, 18):
        refusal(f"$ref doubling, 2^{levels} nodes", tree(with_doubling(levels)), old_walk(levels))
    refusal("template ((9**64)**64)**64", tree(with_template(POW)), old_template(POW))
    nested, _refs = compile_template(NESTED)
    context = {"data": Namespace({"message": MESSAGE})}
    text, cut = render_bounded(nested, context)
    rows.append(
        (
            "real render: two nested loops over a 4,000-character message",
            f"cut at {len(text):,} characters ({cut})",
            fmt(best(lambda: render_bounded(nested, context), repeat), timeout),
            before(old_template(NESTED), timeout),
        )
    )

    print(f"Python {platform.python_version()} on {platform.machine()}, best of {repeat}\n")
    print("| case | outcome | after | before |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
