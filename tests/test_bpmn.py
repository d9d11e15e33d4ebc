"""Every shipped workflow exports as BPMN 2.0 that validates against the XSD and parses in SpiffWorkflow."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser, BpmnValidator  # type: ignore[import-untyped]

from server.definitions.catalogue import Catalogue
from server.definitions.loader import load_tree
from server.exports.bpmn import BPMN, BPMNDI, lanes_of, workflow_bpmn
from server.paths import shipped_root

CATALOGUE = load_tree(shipped_root()).catalogue
assert CATALOGUE is not None
SHIPPED: Catalogue = CATALOGUE
NS = {"bpmn": BPMN, "bpmndi": BPMNDI}


@pytest.mark.parametrize("workflow_id", sorted(SHIPPED.workflows))
def test_every_shipped_workflow_is_valid_bpmn(workflow_id: str) -> None:
    workflow = SHIPPED.workflows[workflow_id]
    xml = workflow_bpmn(workflow, SHIPPED.organisation)
    parser = BpmnParser(validator=BpmnValidator())  # the BPMN 2.0 XSD
    parser.add_bpmn_str(xml.encode("utf-8"), filename=f"{workflow_id}.bpmn")
    spec = parser.get_spec(f"Process_{workflow_id}")
    assert spec.task_specs

    root = ET.fromstring(xml)
    lanes = root.findall(".//bpmn:lane", NS)
    assert [lane.get("id") for lane in lanes] == [
        f"Lane_{r}" for r in lanes_of(workflow, SHIPPED.organisation)
    ]
    assert len(root.findall(".//bpmn:participant", NS)) == 1
    tasks = root.findall(".//bpmn:userTask", NS)
    assert {t.get("id", "").removeprefix("Task_").split("__")[0] for t in tasks} == set(workflow.actions)
    for action_id, action in workflow.actions.items():  # each task sits in its first role's lane
        lane = root.find(f".//bpmn:lane[@id='Lane_{action.who[0].role}']", NS)
        assert lane is not None
        refs = {ref.text for ref in lane.findall("bpmn:flowNodeRef", NS)}
        assert any(r and r.removeprefix("Task_").split("__")[0] == action_id for r in refs)
    for state_id, state in workflow.states.items():  # each state waits in its assignee's lane
        role = state.assignee.role
        if state.assignee.head_of in SHIPPED.organisation.departments:
            role = SHIPPED.organisation.departments[state.assignee.head_of].head_role
        if role is not None:
            lane = root.find(f".//bpmn:lane[@id='Lane_{role}']", NS)
            assert lane is not None
            assert f"State_{state_id}" in {ref.text for ref in lane.findall("bpmn:flowNodeRef", NS)}
    assert len(root.findall(".//bpmn:exclusiveGateway", NS)) == len(workflow.states)
    closed = [s for s in workflow.states.values() if s.category == "closed"]
    assert len(root.findall(".//bpmn:endEvent", NS)) == len(closed)
    # diagram interchange: a shape for every node, an edge for every flow
    ids = {e.get("id") for e in root.iter() if e.tag.endswith(("Task", "Gateway", "Event"))}
    shapes = {s.get("bpmnElement") for s in root.findall(".//bpmndi:BPMNShape", NS)}
    assert ids <= shapes
    flows = {f.get("id") for f in root.findall(".//bpmn:sequenceFlow", NS)}
    assert flows == {e.get("bpmnElement") for e in root.findall(".//bpmndi:BPMNEdge", NS)}


def test_names_are_arabic_with_english_documentation() -> None:
    workflow = SHIPPED.workflows["supplies"]
    root = ET.fromstring(workflow_bpmn(workflow, SHIPPED.organisation))
    action = next(iter(workflow.actions.values()))
    task = root.find(f".//bpmn:userTask[@name='{action.label.ar}']", NS)
    assert task is not None
    documentation = task.find("bpmn:documentation", NS)
    assert documentation is not None and action.label.en in (documentation.text or "")
