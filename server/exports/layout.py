"""A simple layered layout of a workflow: each state's depth is its BFS distance from an initial state."""

from __future__ import annotations

from collections import deque

from server.definitions.model import Workflow


def initial_states(workflow: Workflow) -> list[str]:
    found = [workflow.initial.default]
    for state in workflow.initial.by_channel.values():
        if state not in found:
            found.append(state)
    return found


def depths(workflow: Workflow) -> dict[str, int]:
    """state → BFS depth from the initial states (unreached states go one layer past the deepest)."""
    depth: dict[str, int] = {}
    queue: deque[str] = deque()
    for state in initial_states(workflow):
        depth[state] = 0
        queue.append(state)
    while queue:
        state = queue.popleft()
        for action in workflow.actions.values():
            if state in action.from_ and action.to is not None and action.to not in depth:
                depth[action.to] = depth[state] + 1
                queue.append(action.to)
    last = max(depth.values(), default=-1) + 1
    for state in workflow.states:
        depth.setdefault(state, last)
    return depth


def layers(workflow: Workflow) -> list[list[str]]:
    """States grouped by depth, in declaration order within a layer."""
    depth = depths(workflow)
    grouped: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for state in workflow.states:
        grouped[depth[state]].append(state)
    return grouped
