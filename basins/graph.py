"""Graph algorithms for the network checks, each linear in the size of the network (nodes + edges).

A basin of a few thousand nodes must validate in well under a second, so nothing here recomputes a
reachability per node: one breadth-first search covers every start at once, and strongly connected
components (Tarjan's algorithm, iterative so that a long river does not hit Python's recursion limit)
find every cycle in one pass.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence

Graph = Mapping[str, Sequence[str]]


def reverse(adj: Graph) -> dict[str, list[str]]:
    """The graph with every edge turned round (upstream neighbours of each node)."""
    out: dict[str, list[str]] = {}
    for a, targets in adj.items():
        for b in targets:
            out.setdefault(b, []).append(a)
    return out


def reach(adj: Graph, starts: Iterable[str]) -> set[str]:
    """Every node reachable from any of ``starts`` by zero or more edges (the starts included)."""
    seen = set(starts)
    queue = deque(seen)
    while queue:
        for b in adj.get(queue.popleft(), ()):
            if b not in seen:
                seen.add(b)
                queue.append(b)
    return seen


def path(adj: Graph, start: str, goal: str, within: set[str] | None = None) -> list[str] | None:
    """A shortest path ``[start, ..., goal]`` by one or more edges (staying ``within`` a node set if given),
    or None. With ``start == goal`` it is a shortest cycle through ``start``."""
    parent: dict[str, str] = {}
    queue = deque([start])
    while queue:
        a = queue.popleft()
        for b in adj.get(a, ()):
            if within is not None and b not in within:
                continue
            if b == goal:
                out = [goal, a]
                while out[-1] != start:
                    out.append(parent[out[-1]])
                return out[::-1]
            if b not in parent and b != start:
                parent[b] = a
                queue.append(b)
    return None


def components(adj: Graph, nodes: Iterable[str]) -> dict[str, int]:
    """Strongly connected component number of every node (Tarjan, iterative). Two nodes share a number
    exactly when each is reachable from the other, i.e. when they lie on a common directed cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    comp: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    counter = n_comp = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(adj.get(root, ())))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(adj.get(w, ()))))
                    advanced = True
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp[w] = n_comp
                    if w == v:
                        break
                n_comp += 1
    return comp


def cycles(adj: Graph, nodes: Iterable[str]) -> list[list[str]]:
    """One shortest directed cycle ``[a, b, ..., a]`` in every strongly connected component of more than one
    node (self-loops are left to the caller). Linear in the network plus the size of the cyclic parts."""
    nodes = list(nodes)
    comp = components(adj, nodes)
    members: dict[int, list[str]] = {}
    for n in nodes:
        members.setdefault(comp[n], []).append(n)
    out = []
    for group in members.values():
        if len(group) > 1:
            cyc = path(adj, group[0], group[0], within=set(group))
            if cyc is not None:
                out.append(cyc)
    return out


def topological_positions(adj: Graph, nodes: Iterable[str]) -> dict[str, int]:
    """Position of every node in a topological order (Kahn's algorithm); nodes on or below a cycle get none."""
    nodes = list(nodes)
    indegree = dict.fromkeys(nodes, 0)
    for a in nodes:
        for b in adj.get(a, ()):
            if b in indegree:
                indegree[b] += 1
    queue = deque(n for n in nodes if indegree[n] == 0)
    pos: dict[str, int] = {}
    while queue:
        a = queue.popleft()
        pos[a] = len(pos)
        for b in adj.get(a, ()):
            if b in indegree:
                indegree[b] -= 1
                if indegree[b] == 0:
                    queue.append(b)
    return pos


def reaches(adj: Graph, starts: Iterable[str], goal: str, pos: Mapping[str, int] | None = None,
            downstream: bool = True) -> bool:
    """Whether ``goal`` is reachable from any of ``starts`` by one or more edges. With the topological
    positions ``pos`` of the (acyclic) graph the search skips every node that cannot lie on such a path:
    searching ``downstream`` (``adj`` forward) nodes placed after the goal, searching upstream (``adj``
    reversed) nodes placed before it. The answer is the same; typically only a few nodes are visited."""
    pos = pos or {}
    limit = pos.get(goal)
    seen: set[str] = set()
    queue = deque(starts)
    while queue:
        for b in adj.get(queue.popleft(), ()):
            if b == goal:
                return True
            if b in seen:
                continue
            seen.add(b)
            if limit is not None and b in pos and (pos[b] > limit if downstream else pos[b] < limit):
                continue
            queue.append(b)
    return False
