"""Layout time of the workflow diagrams (SVG in Arabic and English, BPMN with lanes): every shipped
workflow, then generated workflows of growing size (a chain of states, each with a note action that keeps
the state, a forward action, and every few states a return to an earlier one and a cancel from several).

    .venv/bin/python bench/bench_diagrams.py --repeat 5
"""

from __future__ import annotations

import argparse
import random
import time
from typing import Any

import msgspec

from server.definitions.loader import load_tree
from server.definitions.model import Organisation, Workflow
from server.exports.bpmn import workflow_bpmn
from server.exports.svg import workflow_svg
from server.paths import shipped_root


def generated(states: int, seed: int = 1) -> Workflow:
    rng = random.Random(seed)
    names = [f"s{i}" for i in range(states)]
    text = {"ar": "مرحلة المراجعة والاعتماد", "en": "Review and approval stage"}
    actions: dict[str, Any] = {}
    for i, state in enumerate(names[:-1]):
        role = {"role": f"r{i % 4}"}
        actions[f"note{i}"] = {"label": text, "who": [role], "from": [state]}
        actions[f"next{i}"] = {"label": text, "who": [role], "from": [state], "to": names[i + 1]}
        if i % 3 == 2:
            actions[f"back{i}"] = {
                "label": text,
                "who": [role],
                "from": [state],
                "to": names[rng.randrange(i)],
            }
            sources = rng.sample(names[: i + 1], min(3, i + 1))
            actions[f"cancel{i}"] = {"label": text, "who": [role], "from": sources, "to": names[-1]}
    document = {
        "id": f"generated{states}",
        "name": text,
        "initial": {"default": names[0]},
        "states": {
            s: {"label": text, "category": "closed" if s == names[-1] else "open", "assignee": {"keep": True}}
            for s in names
        },
        "actions": actions,
    }
    return msgspec.convert(document, Workflow)


def best(repeat: int, fn: Any) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times) * 1000


def row(name: str, workflow: Workflow, organisation: Organisation, repeat: int) -> None:
    svg_ar = best(repeat, lambda: workflow_svg(workflow, "ar"))
    svg_en = best(repeat, lambda: workflow_svg(workflow, "en"))
    bpmn = best(repeat, lambda: workflow_bpmn(workflow, organisation))
    print(
        f"| {name} | {len(workflow.states)} | {len(workflow.actions)} | {svg_ar:.1f} ms | {svg_en:.1f} ms "
        f"| {bpmn:.1f} ms |"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sizes", default="10,25,50,100")
    args = parser.parse_args()
    catalogue = load_tree(shipped_root()).catalogue
    assert catalogue is not None
    workflow_svg(catalogue.workflows["phone"], "ar")  # the font tables, read once
    print("| workflow | states | actions | SVG ar | SVG en | BPMN |")
    print("|---|---|---|---|---|---|")
    for workflow_id, workflow in sorted(catalogue.workflows.items()):
        row(workflow_id, workflow, catalogue.organisation, args.repeat)
    for size in (int(s) for s in args.sizes.split(",")):
        row(f"generated, {size} states", generated(size), catalogue.organisation, args.repeat)


if __name__ == "__main__":
    main()
