"""The small graph algorithms the layered layout (``layout.py``) is built from: breaking cycles by a
depth-first order, counting the crossings between two layers, and isotonic regression (the positions
closest to the wanted ones that keep a layer's order). Pure functions over plain lists."""

from __future__ import annotations


def acyclic(order: list[str], edges: list[tuple[str, str]]) -> list[bool]:
    """Which edges to reverse so the graph has no cycle (back edges of a DFS in ``order``)."""
    outgoing: dict[str, list[int]] = {n: [] for n in order}
    for index, (source, _) in enumerate(edges):
        outgoing[source].append(index)
    reverse = [False] * len(edges)
    state: dict[str, int] = {}  # 1 on the path, 2 done
    for root in order:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(outgoing[root]))]
        while stack:
            node, pending = stack[-1]
            index = next(pending, -1)
            if index < 0:
                state[node] = 2
                stack.pop()
                continue
            target = edges[index][1]
            if state.get(target) == 1:
                reverse[index] = True
            elif target not in state:
                state[target] = 1
                stack.append((target, iter(outgoing[target])))
    return reverse


def crossings(upper: list[str], lower: list[str], down: dict[str, list[str]]) -> int:
    """Crossings between two adjacent layers: the inversions of the links' lower ends read in the order
    of their upper ends (links sharing an end do not cross), counted with a Fenwick tree."""
    position = {n: i for i, n in enumerate(lower)}
    tree = [0] * (len(lower) + 1)
    count = seen = 0
    for node in upper:
        for end in sorted(position[b] for b in down[node]):
            k, at_most = end + 1, 0
            while k > 0:
                at_most += tree[k]
                k -= k & -k
            count += seen - at_most
            k = end + 1
            while k <= len(lower):
                tree[k] += 1
                k += k & -k
            seen += 1
    return count


def isotonic(targets: list[float], weights: list[float]) -> list[float]:
    """The non-decreasing sequence nearest ``targets`` (weighted least squares; pool adjacent violators)."""
    blocks: list[list[float]] = []  # [mean, weight, count]
    for target, weight in zip(targets, weights, strict=True):
        blocks.append([target, weight, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            mean2, weight2, count2 = blocks.pop()
            mean1, weight1, count1 = blocks.pop()
            total = weight1 + weight2
            blocks.append([(mean1 * weight1 + mean2 * weight2) / total, total, count1 + count2])
    result: list[float] = []
    for mean, _, count in blocks:
        result.extend([mean] * int(count))
    return result
