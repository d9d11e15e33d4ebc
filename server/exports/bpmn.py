"""A workflow as a BPMN 2.0 XML document (model + diagram interchange), for auditors and BPMN tools.

The mapping (faithful, not executable by a BPMN engine — khidma's engine runs the workflow):

* one ``collaboration`` with one ``participant`` for the ``process``;
* a ``laneSet`` with one ``lane`` per role named in the workflow's ``who`` rules (first use first);
* each state → an ``exclusiveGateway`` (the ticket waits there until one action is taken), in the lane of
  the first action that leaves it;
* each action → a ``userTask`` in the lane of its first role; a ``sequenceFlow`` from each of its ``from``
  states (conditioned on the action: ``action == 'ID'``) and one to its ``to`` state. An action without
  ``to`` keeps the state: it becomes one task per ``from`` state, flowing back to it;
* a ``startEvent`` into each initial state (the default one and one per channel-specific one);
* an ``endEvent`` after each closed state (the gateway's default flow: the ticket stays closed unless an
  action reopens it).

Names are the Arabic labels; each element's ``documentation`` holds the English label (and id).
The ``bpmndi`` section lays the nodes out in columns by BFS depth from the initial state.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from server.definitions.model import Organisation, Text, Workflow
from server.exports.layout import depths, initial_states

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
for _prefix, _uri in (("bpmn", BPMN), ("bpmndi", BPMNDI), ("dc", DC), ("di", DI), ("xsi", XSI)):
    ET.register_namespace(_prefix, _uri)

SIZES = {"task": (120, 80), "gateway": (50, 50), "event": (36, 36)}
COLUMN = 170
ROW = 110
LEFT = 30
"""Width of the participant's and lanes' label band."""


def _q(tag: str, ns: str = BPMN) -> str:
    return f"{{{ns}}}{tag}"


@dataclass
class _Node:
    id: str
    kind: str  # task | gateway | event
    tag: str
    name: str
    doc: str
    lane: str
    column: int
    element: ET.Element | None = None
    slot: int = 0
    x: float = 0
    y: float = 0

    @property
    def size(self) -> tuple[int, int]:
        return SIZES[self.kind]


@dataclass
class _Flow:
    id: str
    source: str
    target: str
    condition: str | None = None
    name: str = ""


@dataclass
class _Model:
    nodes: dict[str, _Node] = field(default_factory=dict)
    flows: list[_Flow] = field(default_factory=list)
    defaults: dict[str, str] = field(default_factory=dict)
    """gateway id → its default flow id."""

    def flow(self, source: str, target: str, condition: str | None = None, name: str = "") -> str:
        flow_id = f"Flow_{len(self.flows) + 1}"
        self.flows.append(_Flow(flow_id, source, target, condition, name))
        return flow_id


def _doc(text: Text | None, ident: str) -> str:
    return f"{text.en} [{ident}]" if text is not None else ident


def lanes_of(workflow: Workflow) -> list[str]:
    """The roles of the ``who`` rules, in order of first use."""
    roles: list[str] = []
    for action in workflow.actions.values():
        for rule in action.who:
            if rule.role not in roles:
                roles.append(rule.role)
    return roles


def _model(workflow: Workflow) -> tuple[_Model, list[str]]:
    lanes = lanes_of(workflow)
    depth = depths(workflow)
    model = _Model()

    def state_lane(state: str) -> str:
        for action in workflow.actions.values():
            if state in action.from_:
                return action.who[0].role
        for action in workflow.actions.values():
            if action.to == state:
                return action.who[0].role
        return lanes[0]

    for state_id, state in workflow.states.items():
        node = _Node(
            f"State_{state_id}",
            "gateway",
            "exclusiveGateway",
            state.label.ar,
            _doc(state.label, state_id),
            state_lane(state_id),
            2 * depth[state_id] + 1,
        )
        model.nodes[node.id] = node
    for state_id in initial_states(workflow):
        start = _Node(
            f"Start_{state_id}",
            "event",
            "startEvent",
            "بداية",
            f"Start [{state_id}]",
            model.nodes[f"State_{state_id}"].lane,
            0,
        )
        model.nodes[start.id] = start
        model.flow(start.id, f"State_{state_id}")
    for action_id, action in workflow.actions.items():
        lane = action.who[0].role
        condition = f"action == '{action_id}'"
        if action.to is not None:
            column = 2 * min(depth[s] for s in action.from_) + 2
            task = _Node(
                f"Task_{action_id}",
                "task",
                "userTask",
                action.label.ar,
                _doc(action.label, action_id),
                lane,
                column,
            )
            model.nodes[task.id] = task
            for source in action.from_:
                model.flow(f"State_{source}", task.id, condition)
            model.flow(task.id, f"State_{action.to}")
        else:
            for source in action.from_:
                task = _Node(
                    f"Task_{action_id}__{source}",
                    "task",
                    "userTask",
                    action.label.ar,
                    _doc(action.label, action_id),
                    lane,
                    2 * depth[source] + 2,
                )
                model.nodes[task.id] = task
                model.flow(f"State_{source}", task.id, condition)
                model.flow(task.id, f"State_{source}")
    for state_id, state in workflow.states.items():
        if state.category == "closed":
            gateway = model.nodes[f"State_{state_id}"]
            end = _Node(
                f"End_{state_id}",
                "event",
                "endEvent",
                state.label.ar,
                _doc(state.label, state_id),
                gateway.lane,
                gateway.column + 1,
            )
            model.nodes[end.id] = end
            model.defaults[gateway.id] = model.flow(gateway.id, end.id)
    return model, lanes


def _layout(model: _Model, lanes: list[str]) -> dict[str, tuple[float, float]]:
    """Place the nodes; returns lane → (top, height)."""
    slots: dict[tuple[str, int], int] = {}
    for node in model.nodes.values():
        key = (node.lane, node.column)
        node.slot = slots.get(key, 0)
        slots[key] = node.slot + 1
    bands: dict[str, tuple[float, float]] = {}
    top = 0.0
    for lane in lanes:
        rows = max((n for (name, _), n in slots.items() if name == lane), default=1)
        bands[lane] = (top, rows * ROW)
        top += rows * ROW
    for node in model.nodes.values():
        width, height = node.size
        lane_top, _ = bands[node.lane]
        node.x = LEFT * 2 + node.column * COLUMN + (COLUMN - 50 - width) / 2
        node.y = lane_top + node.slot * ROW + (ROW - height) / 2
    return bands


def _bounds(parent: ET.Element, x: float, y: float, width: float, height: float) -> None:
    ET.SubElement(parent, _q("Bounds", DC), x=f"{x:g}", y=f"{y:g}", width=f"{width:g}", height=f"{height:g}")


def workflow_bpmn(workflow: Workflow, organisation: Organisation) -> str:
    """The BPMN 2.0 XML document of one workflow."""
    model, lanes = _model(workflow)
    bands = _layout(model, lanes)
    wid = workflow.id
    root = ET.Element(
        _q("definitions"),
        {
            "id": f"Definitions_{wid}",
            "targetNamespace": f"urn:khidma:workflows:{wid}",
            "exporter": "khidma",
            "exporterVersion": "1",
        },
    )
    collaboration = ET.SubElement(root, _q("collaboration"), id=f"Collaboration_{wid}")
    ET.SubElement(
        collaboration,
        _q("participant"),
        id=f"Participant_{wid}",
        name=workflow.name.ar,
        processRef=f"Process_{wid}",
    )
    process = ET.SubElement(
        root, _q("process"), id=f"Process_{wid}", name=workflow.name.ar, isExecutable="true"
    )
    ET.SubElement(process, _q("documentation")).text = _doc(workflow.name, wid)
    lane_set = ET.SubElement(process, _q("laneSet"), id=f"LaneSet_{wid}")
    for role in lanes:
        label = organisation.roles[role].name if role in organisation.roles else None
        lane = ET.SubElement(lane_set, _q("lane"), id=f"Lane_{role}", name=label.ar if label else role)
        ET.SubElement(lane, _q("documentation")).text = _doc(label, role)
        for node in model.nodes.values():
            if node.lane == role:
                ET.SubElement(lane, _q("flowNodeRef")).text = node.id
    for node in model.nodes.values():
        attributes = {"id": node.id, "name": node.name}
        if node.id in model.defaults:
            attributes["default"] = model.defaults[node.id]
        node.element = ET.SubElement(process, _q(node.tag), attributes)
        ET.SubElement(node.element, _q("documentation")).text = node.doc
    for tag in ("incoming", "outgoing"):  # the XSD wants every incoming before any outgoing
        for flow in model.flows:
            element = model.nodes[flow.target if tag == "incoming" else flow.source].element
            assert element is not None
            ET.SubElement(element, _q(tag)).text = flow.id
    for flow in model.flows:
        element = ET.SubElement(
            process, _q("sequenceFlow"), id=flow.id, sourceRef=flow.source, targetRef=flow.target
        )
        if flow.condition is not None:
            condition = ET.SubElement(
                element, _q("conditionExpression"), {f"{{{XSI}}}type": "bpmn:tFormalExpression"}
            )
            condition.text = flow.condition

    diagram = ET.SubElement(root, _q("BPMNDiagram", BPMNDI), id=f"Diagram_{wid}")
    plane = ET.SubElement(
        diagram, _q("BPMNPlane", BPMNDI), id=f"Plane_{wid}", bpmnElement=f"Collaboration_{wid}"
    )
    width = LEFT * 2 + (max((n.column for n in model.nodes.values()), default=0) + 1) * COLUMN
    height = sum(h for _, h in bands.values())
    shape = ET.SubElement(
        plane,
        _q("BPMNShape", BPMNDI),
        id=f"Participant_{wid}_di",
        bpmnElement=f"Participant_{wid}",
        isHorizontal="true",
    )
    _bounds(shape, 0, 0, width, height)
    for role, (top, band) in bands.items():
        shape = ET.SubElement(
            plane,
            _q("BPMNShape", BPMNDI),
            id=f"Lane_{role}_di",
            bpmnElement=f"Lane_{role}",
            isHorizontal="true",
        )
        _bounds(shape, LEFT, top, width - LEFT, band)
    for node in model.nodes.values():
        attributes = {"id": f"{node.id}_di", "bpmnElement": node.id}
        if node.kind == "gateway":
            attributes["isMarkerVisible"] = "true"
        shape = ET.SubElement(plane, _q("BPMNShape", BPMNDI), attributes)
        _bounds(shape, node.x, node.y, *node.size)
    for flow in model.flows:
        source, target = model.nodes[flow.source], model.nodes[flow.target]
        edge = ET.SubElement(plane, _q("BPMNEdge", BPMNDI), id=f"{flow.id}_di", bpmnElement=flow.id)
        for x, y in _waypoints(source, target):
            ET.SubElement(edge, _q("waypoint", DI), x=f"{x:g}", y=f"{y:g}")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _waypoints(source: _Node, target: _Node) -> list[tuple[float, float]]:
    sw, sh = source.size
    tw, th = target.size
    if target.x > source.x + sw:  # forwards: right side → left side
        start = (source.x + sw, source.y + sh / 2)
        end = (target.x, target.y + th / 2)
        if start[1] == end[1]:
            return [start, end]
        middle = (start[0] + end[0]) / 2
        return [start, (middle, start[1]), (middle, end[1]), end]
    # backwards (or in the same column): under both, then up
    below = max(source.y + sh, target.y + th) + 15
    start = (source.x + sw / 2, source.y + sh)
    end = (target.x + tw / 2, target.y + th)
    return [start, (start[0], below), (end[0], below), end]
