"""A layered (Sugiyama) layout of a directed graph of boxes, drawn left to right (or mirrored, right to left).

The four classic steps (Sugiyama, Tagawa & Toda 1981; the refinements of Gansner et al., "A technique
for drawing directed graphs", 1993 — Graphviz's ``dot``):

1. **cycle removal** — a depth-first search from the first nodes reverses every edge that goes back to a
   node still on the search path; the edge is drawn with its arrow turned back;
2. **layer assignment** — the longest path from a source; an edge spanning several layers is cut by
   *dummy* nodes, one per layer it crosses, so that every edge joins two adjacent layers;
3. **crossing reduction** — sweeps down and up the layers ordering each by the barycentre of its
   neighbours in the layer before (Sugiyama's heuristic), then adjacent swaps while they remove
   crossings (``dot``'s transposition); the best order seen is kept. Nodes of one *lane* stay together,
   lanes in their given order;
4. **coordinate assignment** — layers are columns as wide as their widest box, separated by a gap that
   only edges use; in each column the boxes keep their order and a minimum gap, each placed as near the
   weighted mean of its neighbours as those constraints allow (an isotonic regression solved by pooling
   adjacent violators), in sweeps; straight long edges weigh more (``dot``'s 1/2/8 weights).

Edges are routed inside that structure: from the side of its box (ports spread along the side, in the
order of the other ends, so parallel edges do not cross) straight out to the column's border, across the
gap, and into the next box; a long edge runs through its dummies. No segment enters a box: the gaps hold
no boxes and a box's own stub runs at a height its column neighbours do not occupy.

The caller gives box sizes (measured text); the layout never resizes a box, so no two boxes overlap.
"""

from __future__ import annotations

import itertools

import msgspec

from server.definitions.model import Workflow
from server.exports.graph_steps import acyclic, crossings, isotonic

Point = tuple[float, float]

RANK_GAP = 56.0
"""Horizontal gap between two columns: edges only."""
NODE_GAP = 22.0
"""Vertical gap between two boxes of a column."""
DUMMY_SIZE = 10.0
"""Height a long edge takes in a column it crosses."""
MARGIN = 20.0
LANE_PAD = 18.0
"""Space above the first and below the last box of a lane."""
SWEEPS = 12
"""Ordering and placement sweeps of an ordinary diagram; a larger one gets fewer (:func:`_sweeps`)."""
FULL_EFFORT_NODES = 1_000
"""Up to this many nodes (boxes and dummies), every sweep and the transposition run."""
MAX_LAYOUT_NODES = 6_000
"""More than this (a definition of about a hundred states with long return edges) is not laid out: at the
limit a layout takes about half a second on one core (bench/bench_diagrams.py); beyond it the caller says
the diagram is too large."""


class LayoutTooLarge(ValueError):
    """The graph would need more than :data:`MAX_LAYOUT_NODES` boxes and dummies."""

    def __init__(self, nodes: int) -> None:
        super().__init__(f"{nodes} layout nodes (at most {MAX_LAYOUT_NODES})")
        self.nodes = nodes


class Box(msgspec.Struct):
    x: float
    y: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height


class Layout(msgspec.Struct):
    boxes: dict[str, Box]
    routes: list[list[Point]]
    """One polyline per edge, in the order given, from its source's border to its target's border."""
    width: float
    height: float
    lanes: list[tuple[float, float]] = msgspec.field(default_factory=list)
    """(top, height) of each lane, in the order given."""


class _Node(msgspec.Struct):
    id: str
    width: float
    height: float
    lane: int
    dummy: bool = False
    layer: int = 0
    y: float = 0.0
    """Centre, across the columns."""


def initial_states(workflow: Workflow) -> list[str]:
    found = [workflow.initial.default]
    for state in workflow.initial.by_channel.values():
        if state not in found:
            found.append(state)
    return found


class _Graph:
    def __init__(
        self, nodes: list[tuple[str, float, float, int]], edges: list[tuple[str, str]], lanes: int
    ) -> None:
        self.nodes = {n: _Node(n, w, h, lane) for n, w, h, lane in nodes}
        self.order = [n for n, *_ in nodes]
        self.edges = edges
        self.lane_count = max(lanes, 1)
        self.reversed = acyclic(self.order, edges)
        self.chains: list[list[str]] = []
        """Each edge as its path of nodes, in the drawing's direction (left to right)."""
        self.layers: list[list[str]] = []

    def sweeps(self) -> int:
        """All of :data:`SWEEPS` up to :data:`FULL_EFFORT_NODES` nodes, proportionally fewer above (two at least)."""
        return max(2, SWEEPS * FULL_EFFORT_NODES // max(len(self.nodes), FULL_EFFORT_NODES))

    def links(self) -> list[tuple[str, str]]:
        return [(a, b) for chain in self.chains for a, b in itertools.pairwise(chain)]

    def assign_layers(self) -> None:
        forward = [(b, a) if r else (a, b) for (a, b), r in zip(self.edges, self.reversed, strict=True)]
        preds: dict[str, list[str]] = {n: [] for n in self.order}
        for a, b in forward:
            preds[b].append(a)
        layer: dict[str, int] = {}

        def depth(node: str) -> int:
            stack = [node]
            while stack:
                top = stack[-1]
                missing = [p for p in preds[top] if p not in layer]
                if missing:
                    stack.extend(missing)
                    continue
                stack.pop()
                layer[top] = max((layer[p] + 1 for p in preds[top]), default=0)
            return layer[node]

        for node in self.order:
            depth(node)
        for node_id, value in layer.items():
            self.nodes[node_id].layer = value
        total = len(self.nodes) + sum(max(layer[b] - layer[a] - 1, 0) for a, b in forward)
        if total > MAX_LAYOUT_NODES:
            raise LayoutTooLarge(total)
        for index, (a, b) in enumerate(forward):
            chain = [a]
            for step in range(layer[a] + 1, layer[b]):
                dummy = f"\x00{index}.{step}"
                lane = self.nodes[a].lane if step - layer[a] <= layer[b] - step else self.nodes[b].lane
                self.nodes[dummy] = _Node(dummy, 0.0, DUMMY_SIZE, lane, dummy=True, layer=step)
                chain.append(dummy)
            chain.append(b)
            self.chains.append(chain)
        count = max(n.layer for n in self.nodes.values()) + 1 if self.nodes else 0
        self.layers = [[] for _ in range(count)]
        for node_id in [*self.order, *(n for n in self.nodes if n not in self.order)]:
            self.layers[self.nodes[node_id].layer].append(node_id)

    def total_crossings(self, layers: list[list[str]], down: dict[str, list[str]]) -> int:
        return sum(crossings(layers[i], layers[i + 1], down) for i in range(len(layers) - 1))

    def reduce_crossings(self) -> None:
        up: dict[str, list[str]] = {n: [] for n in self.nodes}
        down: dict[str, list[str]] = {n: [] for n in self.nodes}
        for a, b in self.links():
            down[a].append(b)
            up[b].append(a)
        layers = [sorted(layer, key=lambda n: self.nodes[n].lane) for layer in self.layers]
        best, best_count = [list(layer) for layer in layers], self.total_crossings(layers, down)
        for sweep in range(self.sweeps()):
            if best_count == 0:
                break
            downward = sweep % 2 == 0
            indices = range(1, len(layers)) if downward else range(len(layers) - 2, -1, -1)
            for i in indices:
                fixed = {n: p for p, n in enumerate(layers[i - 1 if downward else i + 1])}
                current = {n: p for p, n in enumerate(layers[i])}
                centres: dict[str, float] = {}
                for node in layers[i]:
                    around = [fixed[m] for m in (up if downward else down)[node]]
                    centres[node] = sum(around) / len(around) if around else float(current[node])
                lane = {n: self.nodes[n].lane for n in layers[i]}
                layers[i].sort(key=lambda n: (lane[n], centres[n]))
            if len(self.nodes) <= FULL_EFFORT_NODES:
                self._transpose(layers, up, down)
            count = self.total_crossings(layers, down)
            if count < best_count:
                best, best_count = [list(layer) for layer in layers], count
        self.layers = best

    def _transpose(
        self, layers: list[list[str]], up: dict[str, list[str]], down: dict[str, list[str]]
    ) -> None:
        """Swap neighbours of one lane while that removes crossings (``dot``'s transposition)."""
        position = {n: p for layer in layers for p, n in enumerate(layer)}

        def crossings(left: str, right: str) -> int:
            count = 0
            for around in (up, down):
                for a in around[left]:
                    count += sum(1 for b in around[right] if position[a] > position[b])
            return count

        for _ in range(4):
            improved = False
            for layer in layers:
                for j in range(len(layer) - 1):
                    a, b = layer[j], layer[j + 1]
                    if self.nodes[a].lane == self.nodes[b].lane and crossings(b, a) < crossings(a, b):
                        layer[j], layer[j + 1] = b, a
                        position[a], position[b] = j + 1, j
                        improved = True
            if not improved:
                break

    def _lane_bands(self) -> list[tuple[float, float]]:
        """(top, height) of each lane: as tall as its fullest column, with padding."""
        heights = [0.0] * self.lane_count
        for layer in self.layers:
            stacks = [0.0] * self.lane_count
            for node_id in layer:
                node = self.nodes[node_id]
                stacks[node.lane] += node.height + (NODE_GAP if stacks[node.lane] else 0.0)
            heights = [max(h, s) for h, s in zip(heights, stacks, strict=True)]
        bands: list[tuple[float, float]] = []
        top = 0.0
        for height in heights:
            band = max(height, DUMMY_SIZE) + 2 * LANE_PAD
            bands.append((top, band))
            top += band
        return bands

    def assign_coordinates(self, lanes: bool) -> list[tuple[float, float]]:
        bands = self._lane_bands()
        links = self.links()
        neighbours: dict[str, list[tuple[str, float]]] = {n: [] for n in self.nodes}
        for a, b in links:
            weight = (
                8.0
                if self.nodes[a].dummy and self.nodes[b].dummy
                else 2.0
                if self.nodes[a].dummy or self.nodes[b].dummy
                else 1.0
            )
            neighbours[a].append((b, weight))
            neighbours[b].append((a, weight))
        for layer in self.layers:  # packed from the top of each lane
            fill = [top + LANE_PAD for top, _ in bands]
            for node_id in layer:
                node = self.nodes[node_id]
                node.y = fill[node.lane] + node.height / 2
                fill[node.lane] += node.height + NODE_GAP
        for sweep in range(self.sweeps()):
            indices = range(len(self.layers)) if sweep % 2 == 0 else range(len(self.layers) - 1, -1, -1)
            for i in indices:
                self._place(self.layers[i], neighbours, bands if lanes else None)
        return bands

    def _place(
        self,
        layer: list[str],
        neighbours: dict[str, list[tuple[str, float]]],
        bands: list[tuple[float, float]] | None,
    ) -> None:
        if not layer:
            return
        nodes = [self.nodes[n] for n in layer]
        targets, weights = [], []
        for node in nodes:
            around = neighbours[node.id]
            total = sum(w for _, w in around)
            targets.append(sum(self.nodes[m].y * w for m, w in around) / total if total else node.y)
            weights.append(total or 0.5)
        offsets = [0.0]
        for previous, node in itertools.pairwise(nodes):
            offsets.append(offsets[-1] + (previous.height + node.height) / 2 + NODE_GAP)
        placed = isotonic([t - o for t, o in zip(targets, offsets, strict=True)], weights)
        centres = [p + o for p, o in zip(placed, offsets, strict=True)]
        if bands is not None:  # keep each box inside its lane, its order and its gaps
            for k, node in enumerate(nodes):
                low = bands[node.lane][0] + LANE_PAD + node.height / 2
                if k:
                    low = max(low, centres[k - 1] + (nodes[k - 1].height + node.height) / 2 + NODE_GAP)
                centres[k] = max(centres[k], low)
            for k in range(len(nodes) - 1, -1, -1):
                node = nodes[k]
                top, band = bands[node.lane]
                high = top + band - LANE_PAD - node.height / 2
                if k + 1 < len(nodes):
                    high = min(high, centres[k + 1] - (nodes[k + 1].height + node.height) / 2 - NODE_GAP)
                centres[k] = min(centres[k], high)
        for node, centre in zip(nodes, centres, strict=True):
            node.y = centre


def layered(
    nodes: list[tuple[str, float, float, int]],
    edges: list[tuple[str, str]],
    *,
    rtl: bool = False,
    lanes: int = 0,
    ports: dict[str, tuple[float, float]] | None = None,
) -> Layout:
    """Lay out ``nodes`` (id, width, height, lane) joined by ``edges`` (source, target).

    The first nodes are the roots of the cycle removal: give the starting points first. With ``lanes``,
    each node stays in the horizontal band of its lane (0 … lanes-1), bands stacked from the top; without,
    lane numbers are ignored. ``rtl`` mirrors the drawing: the flow runs right to left. ``ports`` narrows
    where edges meet a node's sides to a band (offset from its top, height): a symbol above its label.
    """
    lane_count = lanes if lanes > 0 else 1
    graph = _Graph([(n, w, h, lane if lanes > 0 else 0) for n, w, h, lane in nodes], edges, lane_count)
    graph.assign_layers()
    graph.reduce_crossings()
    bands = graph.assign_coordinates(lanes > 0)
    starts: list[float] = []
    widths: list[float] = []
    x = MARGIN
    for layer in graph.layers:
        width = max((graph.nodes[n].width for n in layer), default=0.0)
        starts.append(x)
        widths.append(width)
        x += width + RANK_GAP
    width = x - RANK_GAP + MARGIN
    top = min((n.y - n.height / 2 for n in graph.nodes.values()), default=0.0)
    shift = MARGIN - (0.0 if lanes > 0 else top)
    bottom = max((n.y + n.height / 2 for n in graph.nodes.values()), default=0.0)
    height = (bands[-1][0] + bands[-1][1] if lanes > 0 else bottom - top) + 2 * MARGIN

    boxes: dict[str, Box] = {}
    for node in graph.nodes.values():
        column = node.layer
        left = starts[column] + (widths[column] - node.width) / 2
        boxes[node.id] = Box(left, node.y - node.height / 2 + shift, node.width, node.height)
    at = _ports(graph, boxes, ports or {})
    routes: list[list[Point]] = []
    for index, chain in enumerate(graph.chains):
        points: list[Point] = []
        for a, b in itertools.pairwise(chain):
            link = (index, a, b)
            ya, yb = at[("out", *link)], at[("in", *link)]
            column = graph.nodes[a].layer
            segment = [
                (boxes[a].right, ya),
                (starts[column] + widths[column], ya),
                (starts[column + 1], yb),
                (boxes[b].x, yb),
            ]
            points.extend(segment if not points else segment[1:] if points[-1] == segment[0] else segment)
        points = _simplify(points)
        if graph.reversed[index]:
            points.reverse()
        routes.append(points)
    real = {k: v for k, v in boxes.items() if not graph.nodes[k].dummy}
    if rtl:
        for box in real.values():
            box.x = width - box.x - box.width
        routes = [[(width - px, py) for px, py in route] for route in routes]
    lane_bands = [(t + shift, h) for t, h in bands] if lanes > 0 else []
    return Layout(real, routes, width, height, lane_bands)


def _ports(
    graph: _Graph, boxes: dict[str, Box], bands: dict[str, tuple[float, float]]
) -> dict[tuple[str, int, str, str], float]:
    """The height at which each link leaves (``out``, right side) or enters (``in``, left side) its box."""
    sides: dict[tuple[str, str], list[tuple[float, int, tuple[int, str, str]]]] = {}
    for index, chain in enumerate(graph.chains):
        for a, b in itertools.pairwise(chain):
            link = (index, a, b)
            sides.setdefault(("out", a), []).append((graph.nodes[b].y, index, link))
            sides.setdefault(("in", b), []).append((graph.nodes[a].y, index, link))
    ports: dict[tuple[str, int, str, str], float] = {}
    for (side, node_id), entries in sides.items():
        box = boxes[node_id]
        offset, height = bands.get(node_id, (0.0, box.height))
        entries.sort()
        for k, (_, _, link) in enumerate(entries):
            ports[(side, *link)] = box.y + offset + height * (k + 1) / (len(entries) + 1)
    return ports


def _simplify(points: list[Point]) -> list[Point]:
    """Drop repeated points and the middle of three on one horizontal line."""
    result: list[Point] = []
    for point in points:
        if result and result[-1] == point:
            continue
        if len(result) >= 2 and result[-2][1] == result[-1][1] == point[1]:
            result[-1] = point
            continue
        result.append(point)
    return result
