"""The workflow diagrams people read: for every shipped workflow, in both languages, and for random
workflows — no two boxes overlap, every name fits inside its box (by the export's own text measure), no
text overlaps a box or another text, every edge starts and ends on a box's border and crosses no box.
The same for the BPMN export's diagram interchange, with every node inside its lane."""

from __future__ import annotations

import itertools
import time
import xml.etree.ElementTree as ET
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser, BpmnValidator  # type: ignore[import-untyped]

from server.definitions.catalogue import Catalogue
from server.definitions.loader import load_tree
from server.definitions.model import Workflow
from server.exports.bpmn import workflow_bpmn
from server.exports.graph_steps import isotonic
from server.exports.layout import initial_states, layered
from server.exports.svg import workflow_svg
from server.exports.textmeasure import text_width, wrap
from server.paths import shipped_root
from tests.diagram_geometry import SVG, Drawing, bpmn_drawing, inside, on_border, svg_drawing

CATALOGUE = load_tree(shipped_root()).catalogue
assert CATALOGUE is not None
SHIPPED: Catalogue = CATALOGUE


def _svg_checks(workflow: Workflow, lang: str) -> Drawing:
    svg = workflow_svg(workflow, lang)
    drawing = svg_drawing(svg)
    assert drawing.problems() == []
    paths = [p for p in ET.fromstring(svg).iter(f"{SVG}path") if p.get("class") == "edge"]
    assert len(paths) == len(drawing.edges)
    for path, (points, _, _) in zip(paths, drawing.edges, strict=True):  # its action's chip at one end
        chips = [r for k, r in drawing.boxes.items() if k.startswith(f"action:{path.get('data-action')}:")]
        assert any(on_border(end, chip) for end in (points[0], points[-1]) for chip in chips)
    states = sum(1 for key in drawing.boxes if key.startswith("state:"))
    assert states == len(workflow.states)
    return drawing


def _bpmn_checks(workflow: Workflow) -> None:
    drawing, lanes, lane_of = bpmn_drawing(workflow_bpmn(workflow, SHIPPED.organisation))
    assert drawing.problems() == []
    for node, rect in drawing.boxes.items():  # each node (and its label) inside its own lane
        lane = lane_of[node.split("/")[0]]
        assert inside(rect, lanes[lane]), (node, lane)
    ordered = sorted(lanes.values(), key=lambda r: r[1])
    for upper, lower in itertools.pairwise(ordered):
        assert abs(upper[3] - lower[1]) < 0.5  # lanes stacked without gaps or overlaps


@pytest.mark.parametrize("lang", ["ar", "en"])
@pytest.mark.parametrize("workflow_id", sorted(SHIPPED.workflows))
def test_shipped_diagram_geometry(workflow_id: str, lang: str) -> None:
    workflow = SHIPPED.workflows[workflow_id]
    drawing = _svg_checks(workflow, lang)
    first = drawing.boxes[
        next(k for k in drawing.boxes if k.startswith(f"state:{workflow.initial.default}:"))
    ]
    states = [r for k, r in drawing.boxes.items() if k.startswith("state:")]
    centres = [(r[0] + r[2]) / 2 for r in states]  # boxes are centred in their column
    if lang == "en":  # the flow starts on the left in English, on the right in Arabic
        assert (first[0] + first[2]) / 2 <= min(centres) + 0.1
    else:
        assert (first[0] + first[2]) / 2 >= max(centres) - 0.1


@pytest.mark.parametrize("workflow_id", sorted(SHIPPED.workflows))
def test_shipped_bpmn_diagram_geometry(workflow_id: str) -> None:
    _bpmn_checks(SHIPPED.workflows[workflow_id])


def test_svg_is_accessible_and_escaped() -> None:
    workflow = SHIPPED.workflows["supplies"]
    for lang in ("ar", "en"):
        root = ET.fromstring(workflow_svg(workflow, lang))
        assert root.get("role") == "img" and root.get("lang") == lang
        assert root.get("direction") == ("ltr" if lang == "en" else "rtl")
        title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
        assert title is not None and desc is not None
        assert root.get("aria-labelledby") == title.get("id")
        assert root.get("aria-describedby") == desc.get("id")
        assert workflow.name.get(lang) in (title.text or "")
        for state in workflow.states.values():  # the text alternative names every state and action
            assert state.label.get(lang) in (desc.text or "")
        for action in workflow.actions.values():
            assert action.label.get(lang) in (desc.text or "")
    hostile = msgspec.structs.replace(
        workflow,
        name=msgspec.structs.replace(workflow.name, en="<script>alert(1)</script> & co"),
    )
    svg = workflow_svg(hostile, "en")
    assert "<script" not in svg and "&lt;script&gt;" in svg
    ET.fromstring(svg)


def test_long_names_wrap_and_fit() -> None:
    words = "a very long state name that certainly does not fit on a single line of the box"
    lines = wrap(words, 150, 13)
    assert len(lines) > 2 and all(text_width(line, 13) <= 150 for line in lines)
    assert " ".join(lines) == words
    assert wrap("Supercalifragilisticexpialidocious", 40, 13) == ["Supercalifragilisticexpialidocious"]
    arabic = "طلب توفير المستلزمات والأجهزة التعليمية للقاعات الدراسية في الكلية"
    assert len(wrap(arabic, 150, 13)) > 1
    assert text_width("مم", 13) > text_width("م", 13) > 0
    workflow = _workflow(
        {"s0": words, "s1": arabic * 2},
        [("go", ["s0"], "s1", "r", words), ("back", ["s1"], "s0", "r", arabic)],
    )
    for lang in ("ar", "en"):
        _svg_checks(workflow, lang)
    _bpmn_checks(workflow)


def test_isotonic_regression() -> None:
    assert isotonic([3.0, 1.0, 2.0], [1.0, 1.0, 1.0]) == [2.0, 2.0, 2.0]
    assert isotonic([1.0, 2.0, 3.0], [1.0, 1.0, 1.0]) == [1.0, 2.0, 3.0]
    assert isotonic([4.0, 0.0], [3.0, 1.0]) == [3.0, 3.0]


def test_layout_reverses_cycles_and_removes_crossings() -> None:
    # a cycle a→b→c→a: the back edge is drawn backwards, every edge still joins its boxes
    layout = layered([(n, 40, 20, 0) for n in "abc"], [("a", "b"), ("b", "c"), ("c", "a")])
    assert layout.boxes["a"].x < layout.boxes["b"].x < layout.boxes["c"].x
    back = layout.routes[2]
    assert back[0][0] == layout.boxes["c"].x and back[-1][0] == layout.boxes["a"].right
    # two crossing edges in the declared order get untangled
    nodes = [(n, 40, 20, 0) for n in ("a", "b", "x", "y")]
    layout = layered(nodes, [("a", "y"), ("b", "x")])
    ya, yb = layout.boxes["a"].y, layout.boxes["b"].y
    yx, yy = layout.boxes["x"].y, layout.boxes["y"].y
    assert (ya < yb) == (yy < yx)
    # right to left: mirrored
    rtl = layered([(n, 40, 20, 0) for n in "ab"], [("a", "b")], rtl=True)
    assert rtl.boxes["a"].x > rtl.boxes["b"].x
    # lanes: each node in its band, bands in order
    laned = layered([("a", 40, 20, 1), ("b", 40, 20, 0)], [("a", "b")], lanes=2)
    (top0, h0), (top1, h1) = laned.lanes
    assert top0 + h0 <= top1
    assert top1 <= laned.boxes["a"].y and laned.boxes["a"].bottom <= top1 + h1
    assert top0 <= laned.boxes["b"].y and laned.boxes["b"].bottom <= top0 + h0


def test_layout_time_of_the_largest_shipped_workflow() -> None:
    largest = max(SHIPPED.workflows.values(), key=lambda w: len(w.states) + len(w.actions))
    start = time.perf_counter()
    for lang in ("ar", "en"):
        workflow_svg(largest, lang)
    workflow_bpmn(largest, SHIPPED.organisation)
    assert time.perf_counter() - start < 2.0  # measured: ~10 ms (docs/performance.md)


# --- random workflows ------------------------------------------------------------------------------

WORDS = [
    "طلب",
    "الموافقة",
    "رئيس",
    "القسم",
    "إعادة",
    "تحويل",
    "Approve",
    "request",
    "department",
    "x",
    "W" * 12,
]


def _workflow(
    states: dict[str, str], actions: list[tuple[str, list[str], str | None, str, str]], initial: str = "s0"
) -> Workflow:
    document: dict[str, Any] = {
        "id": "random",
        "name": {"ar": "سير عشوائي", "en": "Random flow"},
        "initial": {"default": initial},
        "states": {
            s: {
                "label": {"ar": label, "en": label},
                "category": "closed" if i == len(states) - 1 else "open",
                "assignee": {"role": f"role{i % 3}"},
            }
            for i, (s, label) in enumerate(states.items())
        },
        "actions": {
            a: {
                "label": {"ar": label, "en": label},
                "who": [{"role": role}],
                "from": sources,
                **({"to": target} if target is not None else {}),
            }
            for a, sources, target, role, label in actions
        },
    }
    return msgspec.convert(document, Workflow)


@st.composite
def workflows(draw: st.DrawFn) -> Workflow:
    count = draw(st.integers(1, 7))
    names = [f"s{i}" for i in range(count)]
    text = st.lists(st.sampled_from(WORDS), min_size=1, max_size=8).map(" ".join)
    states = {n: draw(text) for n in names}
    actions = []
    for k in range(draw(st.integers(1, 10))):
        sources = draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True))
        target = draw(st.none() | st.sampled_from(names))
        role = draw(st.sampled_from(["r0", "r1", "r2"]))
        actions.append((f"a{k}", sources, target, role, draw(text)))
    return _workflow(states, actions)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workflows())
def test_random_workflows_have_no_overlaps(workflow: Workflow) -> None:
    assert initial_states(workflow) == ["s0"]
    for lang in ("ar", "en"):
        _svg_checks(workflow, lang)
    _bpmn_checks(workflow)


def test_a_workflow_too_large_to_lay_out_says_so() -> None:
    count = 150  # a chain, and a cancel from every state to the last: long edges, ~22,000 dummies
    states = {f"s{i}": f"State {i}" for i in range(count)}
    actions = [(f"next{i}", [f"s{i}"], f"s{i + 1}", "r0", "Next") for i in range(count - 1)]
    actions.append(("cancel", [f"s{i}" for i in range(count - 1)], f"s{count - 1}", "r1", "Cancel"))
    workflow = _workflow(states, actions)
    start = time.perf_counter()
    for lang in ("ar", "en"):
        root = ET.fromstring(workflow_svg(workflow, lang))
        assert root.get("role") == "img" and root.find(f"{SVG}desc") is not None
        note = [t.text or "" for t in root.iter(f"{SVG}text")]
        assert any("150" in line for line in note), note
        assert root.find(f".//{SVG}rect") is None
    xml = workflow_bpmn(workflow, SHIPPED.organisation)
    assert time.perf_counter() - start < 5.0
    assert "BPMNDiagram" not in xml
    parser = BpmnParser(validator=BpmnValidator())  # still a valid BPMN model, without its diagram
    parser.add_bpmn_str(xml.encode("utf-8"), filename="large.bpmn")
    assert parser.get_spec("Process_random").task_specs
