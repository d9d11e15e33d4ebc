"""A workflow as a BPMN 2.0 XML document (model + diagram interchange), for auditors and BPMN tools.

The mapping (faithful, not executable by a BPMN engine — khidma's engine runs the workflow):

* one ``collaboration`` with one ``participant`` for the ``process``;
* a ``laneSet`` with one ``lane`` per role that holds work: the role each state is assigned to (a
  department head's role for ``head_of``) and the first role of each action's ``who``, in the order the
  flow reaches them;
* each state → an ``exclusiveGateway`` (the ticket waits there until one action is taken), in the lane of
  the role it is assigned to, else of the role taking most of the actions that leave it;
* each action → a ``userTask`` in the lane of its first role; a ``sequenceFlow`` from each of its ``from``
  states (conditioned on the action: ``action == 'ID'``) and one to its ``to`` state. An action without
  ``to`` keeps the state: it becomes one task per ``from`` state, flowing back to it;
* a ``startEvent`` into each initial state (the default one and one per channel-specific one);
* an ``endEvent`` after each closed state (the gateway's default flow: the ticket stays closed unless an
  action reopens it).

Names are the Arabic labels; each element's ``documentation`` holds the English label (and id).
The ``bpmndi`` section is the layered layout of server/exports/layout.py, left to right, one band per
lane: each task sized to its name, each gateway's and event's name in a ``BPMNLabel`` under it. A
workflow too large to lay out (``LayoutTooLarge``) is exported without the diagram interchange.
"""

from __future__ import annotations

import contextlib
import xml.etree.ElementTree as ET

import msgspec

from server.definitions.model import Organisation, Text, Workflow
from server.exports.layout import Box, Layout, LayoutTooLarge, initial_states, layered
from server.exports.textmeasure import SLACK, line_height, text_width, wrap

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
for _prefix, _uri in (("bpmn", BPMN), ("bpmndi", BPMNDI), ("dc", DC), ("di", DI), ("xsi", XSI)):
    ET.register_namespace(_prefix, _uri)

SYMBOLS = {"gateway": (50.0, 50.0), "event": (36.0, 36.0)}
"""A gateway's diamond, an event's circle; their names are drawn under them (a ``BPMNLabel``)."""
TASK_MIN = (100.0, 80.0)
LABEL_FONT = 11.0
TASK_WRAP = 120.0
LABEL_WRAP = 110.0
LEFT = 30.0
"""Width of the participant's and lanes' label band."""


def _q(tag: str, ns: str = BPMN) -> str:
    return f"{{{ns}}}{tag}"


class _Node(msgspec.Struct):
    id: str
    kind: str  # task | gateway | event
    tag: str
    name: str
    doc: str
    lane: str
    element: ET.Element | None = None
    box: Box | None = None
    """The node's place in the layout: a task's shape; a symbol above its label."""

    def size(self) -> tuple[float, float]:
        """The room the node takes in the layout."""
        lines = wrap(self.name, TASK_WRAP if self.kind == "task" else LABEL_WRAP, LABEL_FONT)
        text_w = max(text_width(line, LABEL_FONT) for line in lines) * SLACK
        text_h = len(lines) * line_height(LABEL_FONT)
        if self.kind == "task":
            return max(TASK_MIN[0], text_w + 16), max(TASK_MIN[1], text_h + 16)
        width, height = SYMBOLS[self.kind]
        return max(width, text_w), height + 4 + text_h

    def shape(self) -> tuple[float, float, float, float]:
        assert self.box is not None
        box = self.box
        if self.kind == "task":
            return box.x, box.y, box.width, box.height
        width, height = SYMBOLS[self.kind]
        return box.x + (box.width - width) / 2, box.y, width, height

    def label(self) -> tuple[float, float, float, float]:
        """Where a symbol's name is drawn: under it."""
        assert self.box is not None
        _, height = SYMBOLS[self.kind]
        return self.box.x, self.box.y + height + 4, self.box.width, self.box.height - height - 4


class _Flow(msgspec.Struct):
    id: str
    source: str
    target: str
    condition: str | None = None
    name: str = ""


class _Model(msgspec.Struct):
    nodes: dict[str, _Node] = msgspec.field(default_factory=dict)
    flows: list[_Flow] = msgspec.field(default_factory=list)
    defaults: dict[str, str] = msgspec.field(default_factory=dict)
    """gateway id → its default flow id."""

    def flow(self, source: str, target: str, condition: str | None = None, name: str = "") -> str:
        flow_id = f"Flow_{len(self.flows) + 1}"
        self.flows.append(_Flow(flow_id, source, target, condition, name))
        return flow_id


def _doc(text: Text | None, ident: str) -> str:
    return f"{text.en} [{ident}]" if text is not None else ident


def _assigned_role(workflow: Workflow, state_id: str, organisation: Organisation | None) -> str | None:
    """The role a state's tickets wait with: its assignee's role, or the head role of its department
    (for the service's own department, the head role all departments share, if they share one)."""
    assignee = workflow.states[state_id].assignee
    if assignee.role is not None:
        return assignee.role
    if assignee.head_of is None or organisation is None:
        return None
    if assignee.head_of in organisation.departments:
        return organisation.departments[assignee.head_of].head_role
    heads = {d.head_role for d in organisation.departments.values()}
    return heads.pop() if len(heads) == 1 else None


def _reached(workflow: Workflow) -> list[str]:
    """The states in the order the flow reaches them (breadth first from the initial states)."""
    order = list(initial_states(workflow))
    for state in order:
        for action in workflow.actions.values():
            if state in action.from_ and action.to is not None and action.to not in order:
                order.append(action.to)
    return order + [s for s in workflow.states if s not in order]


def lanes_of(workflow: Workflow, organisation: Organisation | None = None) -> list[str]:
    """One lane per role that holds work — the role each state is assigned to and the first role of each
    action's ``who`` — in the order the flow reaches them."""
    roles: list[str] = []
    for state in _reached(workflow):
        for role in (
            _assigned_role(workflow, state, organisation),
            *(a.who[0].role for a in workflow.actions.values() if state in a.from_),
        ):
            if role is not None and role not in roles:
                roles.append(role)
    for action in workflow.actions.values():
        if action.who[0].role not in roles:
            roles.append(action.who[0].role)
    return roles


def _model(workflow: Workflow, organisation: Organisation) -> tuple[_Model, list[str]]:
    lanes = lanes_of(workflow, organisation)
    model = _Model()

    def state_lane(state: str) -> str:
        assigned = _assigned_role(workflow, state, organisation)
        if assigned is not None:
            return assigned
        for leaving in (True, False):  # the role taking most of the actions that leave it (or enter it)
            roles = [
                a.who[0].role
                for a in workflow.actions.values()
                if (state in a.from_ if leaving else a.to == state)
            ]
            if roles:
                return max(roles, key=roles.count)
        return lanes[0]

    for state_id, state in workflow.states.items():
        node = _Node(
            f"State_{state_id}",
            "gateway",
            "exclusiveGateway",
            state.label.ar,
            _doc(state.label, state_id),
            state_lane(state_id),
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
        )
        model.nodes[start.id] = start
        model.flow(start.id, f"State_{state_id}")
    for action_id, action in workflow.actions.items():
        lane = action.who[0].role
        condition = f"action == '{action_id}'"
        if action.to is not None:
            task = _Node(
                f"Task_{action_id}",
                "task",
                "userTask",
                action.label.ar,
                _doc(action.label, action_id),
                lane,
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
            )
            model.nodes[end.id] = end
            model.defaults[gateway.id] = model.flow(gateway.id, end.id)
    return model, lanes


def _layout(model: _Model, lanes: list[str]) -> Layout:
    """Lay the nodes out (start events first: the roots of the cycle removal), lane by lane."""
    order = sorted(model.nodes.values(), key=lambda n: n.kind != "event" or n.tag != "startEvent")
    sizes = {n.id: n.size() for n in order}
    ports = {n.id: (SYMBOLS[n.kind][1] / 2, 0.0) for n in order if n.kind != "task"}
    layout = layered(
        [(n.id, *sizes[n.id], lanes.index(n.lane)) for n in order],
        [(f.source, f.target) for f in model.flows],
        lanes=len(lanes),
        ports=ports,
    )
    for node in model.nodes.values():
        box = layout.boxes[node.id]
        node.box = Box(box.x + 2 * LEFT, box.y, box.width, box.height)
    return layout


def _end(node: _Node, point: tuple[float, float]) -> list[tuple[float, float]]:
    """A route's end on the node's layout box, carried on to its symbol (at its middle's height)."""
    if node.kind == "task":
        return [point]
    x, _, width, _ = node.shape()
    corner = (x + width if point[0] >= x + width / 2 else x, point[1])
    return [corner, point] if corner != point else [point]


def _bounds(parent: ET.Element, x: float, y: float, width: float, height: float) -> None:
    ET.SubElement(
        parent, _q("Bounds", DC), x=f"{x:.1f}", y=f"{y:.1f}", width=f"{width:.1f}", height=f"{height:.1f}"
    )


def workflow_bpmn(workflow: Workflow, organisation: Organisation) -> str:
    """The BPMN 2.0 XML document of one workflow."""
    model, lanes = _model(workflow, organisation)
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

    with contextlib.suppress(LayoutTooLarge):  # the diagram interchange is optional: too large, none
        _diagram(root, model, lanes, _layout(model, lanes), wid)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _diagram(root: ET.Element, model: _Model, lanes: list[str], layout: Layout, wid: str) -> None:
    """The ``BPMNDiagram``: the participant, a band per lane, a shape per node, an edge per flow."""
    diagram = ET.SubElement(root, _q("BPMNDiagram", BPMNDI), id=f"Diagram_{wid}")
    plane = ET.SubElement(
        diagram, _q("BPMNPlane", BPMNDI), id=f"Plane_{wid}", bpmnElement=f"Collaboration_{wid}"
    )
    width = 2 * LEFT + layout.width
    shape = ET.SubElement(
        plane,
        _q("BPMNShape", BPMNDI),
        id=f"Participant_{wid}_di",
        bpmnElement=f"Participant_{wid}",
        isHorizontal="true",
    )
    _bounds(shape, 0, 0, width, layout.height)
    for role, (top, band) in zip(lanes, layout.lanes, strict=True):
        shape = ET.SubElement(
            plane,
            _q("BPMNShape", BPMNDI),
            id=f"Lane_{role}_di",
            bpmnElement=f"Lane_{role}",
            isHorizontal="true",
        )
        first, last = lanes[0] == role, lanes[-1] == role
        top, band = (0.0 if first else top), band + (top if first else 0.0)  # the margins go to the lanes
        _bounds(shape, LEFT, top, width - LEFT, band + (layout.height - top - band if last else 0.0))
    for node in model.nodes.values():
        attributes = {"id": f"{node.id}_di", "bpmnElement": node.id}
        if node.kind == "gateway":
            attributes["isMarkerVisible"] = "true"
        shape = ET.SubElement(plane, _q("BPMNShape", BPMNDI), attributes)
        _bounds(shape, *node.shape())
        if node.kind != "task":
            _bounds(ET.SubElement(shape, _q("BPMNLabel", BPMNDI)), *node.label())
    for flow, route in zip(model.flows, layout.routes, strict=True):
        source, target = model.nodes[flow.source], model.nodes[flow.target]
        edge = ET.SubElement(plane, _q("BPMNEdge", BPMNDI), id=f"{flow.id}_di", bpmnElement=flow.id)
        points = [(x + 2 * LEFT, y) for x, y in route]
        points = [*_end(source, points[0]), *points[1:-1], *reversed(_end(target, points[-1]))]
        for x, y in points:
            ET.SubElement(edge, _q("waypoint", DI), x=f"{x:.1f}", y=f"{y:.1f}")
