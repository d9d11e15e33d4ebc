"""Reading a diagram's geometry back from the SVG and the BPMN documents, and the checks on it: boxes
that do not overlap, texts inside their boxes and clear of every other box and text, edges that start
and end on their boxes' borders and never cross a box."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from server.exports.bpmn import BPMN, BPMNDI, DC, DI, LABEL_FONT, LABEL_WRAP, TASK_WRAP
from server.exports.textmeasure import line_metrics, text_width, wrap

SVG = "{http://www.w3.org/2000/svg}"
EPS = 0.5
"""Coordinates are written to a tenth of a pixel."""

Rect = tuple[float, float, float, float]  # left, top, right, bottom
Point = tuple[float, float]


def overlap(a: Rect, b: Rect) -> bool:
    """Whether the interiors of two rectangles meet (touching borders is not overlapping)."""
    return a[0] < b[2] - EPS and b[0] < a[2] - EPS and a[1] < b[3] - EPS and b[1] < a[3] - EPS


def inside(inner: Rect, outer: Rect) -> bool:
    return (
        inner[0] >= outer[0] - EPS
        and inner[1] >= outer[1] - EPS
        and inner[2] <= outer[2] + EPS
        and inner[3] <= outer[3] + EPS
    )


def on_border(point: Point, rect: Rect) -> bool:
    x, y = point
    within_x = rect[0] - EPS <= x <= rect[2] + EPS
    within_y = rect[1] - EPS <= y <= rect[3] + EPS
    on_side = abs(x - rect[0]) <= EPS or abs(x - rect[2]) <= EPS
    on_edge = abs(y - rect[1]) <= EPS or abs(y - rect[3]) <= EPS
    return (on_side and within_y) or (on_edge and within_x)


def crosses(a: Point, b: Point, rect: Rect) -> bool:
    """Whether the segment a-b passes through the interior of ``rect`` (Liang–Barsky clipping)."""
    left, top, right, bottom = rect[0] + EPS, rect[1] + EPS, rect[2] - EPS, rect[3] - EPS
    if left >= right or top >= bottom:
        return False
    dx, dy = b[0] - a[0], b[1] - a[1]
    low, high = 0.0, 1.0
    for p, q in ((-dx, a[0] - left), (dx, right - a[0]), (-dy, a[1] - top), (dy, bottom - a[1])):
        if p == 0:
            if q <= 0:
                return False
            continue
        ratio = q / p
        if p < 0:
            low = max(low, ratio)
        else:
            high = min(high, ratio)
        if low >= high:
            return False
    return high - low > 1e-9


@dataclass
class Drawing:
    boxes: dict[str, Rect] = field(default_factory=dict)
    """Every box (state, action chip, task, symbol), by an id."""
    texts: list[tuple[str, Rect, str]] = field(default_factory=list)
    """(the box it belongs to or "", its extent, the text)."""
    edges: list[tuple[list[Point], str | None, str | None]] = field(default_factory=list)
    """(points, the box it starts on, the box it ends on) — None when the document does not say: then
    it must start (end) on the border of some box."""
    canvas: Rect = (0.0, 0.0, 0.0, 0.0)

    def problems(self) -> list[str]:
        found: list[str] = []
        ids = sorted(self.boxes)
        for i, a in enumerate(ids):
            if not inside(self.boxes[a], self.canvas):
                found.append(f"box {a} outside the canvas")
            for b in ids[i + 1 :]:
                if overlap(self.boxes[a], self.boxes[b]):
                    found.append(f"boxes {a} and {b} overlap")
        for k, (owner, extent, text) in enumerate(self.texts):
            if owner and not inside(extent, self.boxes[owner]):
                found.append(f"text {text!r} spills out of {owner}")
            if not inside(extent, self.canvas):
                found.append(f"text {text!r} outside the canvas")
            for box_id, rect in self.boxes.items():
                if box_id != owner and overlap(extent, rect):
                    found.append(f"text {text!r} overlaps box {box_id}")
            for other_owner, other, other_text in self.texts[k + 1 :]:
                if overlap(extent, other):
                    found.append(f"texts {text!r} ({owner}) and {other_text!r} ({other_owner}) overlap")
        for points, source, target in self.edges:
            if len(points) < 2:
                found.append(f"edge {source}→{target} has {len(points)} point(s)")
                continue
            for end, box_id, word in ((points[0], source, "start"), (points[-1], target, "end")):
                rects = [self.boxes[box_id]] if box_id is not None else list(self.boxes.values())
                if not any(on_border(end, rect) for rect in rects):
                    found.append(f"edge {source}→{target} does not {word} on its box's border")
            for a, b in itertools.pairwise(points):
                for box_id, rect in self.boxes.items():
                    if crosses(a, b, rect):
                        found.append(f"edge {source}→{target} crosses box {box_id}")
        return found


def _line_extent(x: float, y: float, size: float, text: str, bold: bool) -> Rect:
    ascent, descent = line_metrics()
    width = text_width(text, size, bold)
    return (x - width / 2, y - ascent * size, x + width / 2, y + descent * size)


def _translate(element: ET.Element) -> Point:
    found = re.fullmatch(r"translate\(([-\d.]+) ([-\d.]+)\)", element.get("transform", ""))
    assert found, element.get("transform")
    return float(found.group(1)), float(found.group(2))


def svg_drawing(svg: str) -> Drawing:
    root = ET.fromstring(svg)
    drawing = Drawing(canvas=(0.0, 0.0, float(root.get("width", 0)), float(root.get("height", 0))))
    group = root.find(f"{SVG}g")
    assert group is not None
    dx, dy = _translate(group)
    for text in root.findall(f"{SVG}text"):  # the title
        drawing.texts.append(("", _svg_text(text, 0, 0), text.text or ""))
    for node in group.findall(f"{SVG}g"):
        rect = node.find(f"{SVG}rect")
        assert rect is not None
        box_id = (
            f"{node.get('class')}:{node.get('data-state') or node.get('data-action')}:{len(drawing.boxes)}"
        )
        x, y = float(rect.get("x", 0)) + dx, float(rect.get("y", 0)) + dy
        drawing.boxes[box_id] = (x, y, x + float(rect.get("width", 0)), y + float(rect.get("height", 0)))
        for text in node.findall(f"{SVG}text"):
            drawing.texts.append((box_id, _svg_text(text, dx, dy), text.text or ""))
    for path in group.findall(f"{SVG}path"):
        points = [
            (float(x) + dx, float(y) + dy)
            for x, y in re.findall(r"[ML]([-\d.]+),([-\d.]+)", path.get("d", ""))
        ]
        drawing.edges.append((points, None, None))
    return drawing


def _svg_text(text: ET.Element, dx: float, dy: float) -> Rect:
    return _line_extent(
        float(text.get("x", 0)) + dx,
        float(text.get("y", 0)) + dy,
        float(text.get("font-size", 0)),
        text.text or "",
        text.get("font-weight") == "bold",
    )


def _bounds(element: ET.Element) -> Rect:
    bounds = element.find(f"{{{DC}}}Bounds")
    assert bounds is not None
    x, y = float(bounds.get("x", 0)), float(bounds.get("y", 0))
    return (x, y, x + float(bounds.get("width", 0)), y + float(bounds.get("height", 0)))


def bpmn_drawing(xml: str) -> tuple[Drawing, dict[str, Rect], dict[str, str]]:
    """The drawing of a BPMN document's diagram, its lanes' bounds, and each node's lane."""
    root = ET.fromstring(xml)
    names = {e.get("id", ""): e.get("name", "") for e in root.iter() if e.get("name") is not None}
    kinds = {e.get("id", ""): e.tag.split("}")[1] for e in root.iter() if e.get("id")}
    lane_of = {
        ref.text or "": lane.get("id", "")
        for lane in root.iter(f"{{{BPMN}}}lane")
        for ref in lane.findall(f"{{{BPMN}}}flowNodeRef")
    }
    flows = {
        f.get("id", ""): (f.get("sourceRef"), f.get("targetRef"))
        for f in root.iter(f"{{{BPMN}}}sequenceFlow")
    }
    drawing = Drawing()
    lanes: dict[str, Rect] = {}
    for shape in root.iter(f"{{{BPMNDI}}}BPMNShape"):
        element = shape.get("bpmnElement", "")
        rect = _bounds(shape)
        if kinds[element] == "participant":
            drawing.canvas = rect
            continue
        if kinds[element] == "lane":
            lanes[element] = rect
            continue
        drawing.boxes[element] = rect
        label = shape.find(f"{{{BPMNDI}}}BPMNLabel")
        name = names.get(element, "")
        if kinds[element] == "userTask":  # the name inside the task, wrapped as the export wraps it
            lines = wrap(name, TASK_WRAP, LABEL_FONT)
            _text_block(drawing, element, lines, rect)
        elif label is not None:
            label_rect = _bounds(label)
            drawing.boxes[f"{element}/label"] = label_rect
            _text_block(drawing, f"{element}/label", wrap(name, LABEL_WRAP, LABEL_FONT), label_rect)
    for edge in root.iter(f"{{{BPMNDI}}}BPMNEdge"):
        source, target = flows[edge.get("bpmnElement", "")]
        points = [(float(w.get("x", 0)), float(w.get("y", 0))) for w in edge.findall(f"{{{DI}}}waypoint")]
        drawing.edges.append((points, source, target))
    return drawing, lanes, lane_of


def _text_block(drawing: Drawing, owner: str, lines: list[str], rect: Rect) -> None:
    """Lines centred in ``rect``, one line height each (how a modeller draws a name)."""
    ascent, descent = line_metrics()
    step = (ascent + descent) * LABEL_FONT
    top = (rect[1] + rect[3]) / 2 - step * len(lines) / 2
    centre = (rect[0] + rect[2]) / 2
    for i, line in enumerate(lines):
        drawing.texts.append(
            (owner, _line_extent(centre, top + i * step + ascent * LABEL_FONT, LABEL_FONT, line, False), line)
        )
