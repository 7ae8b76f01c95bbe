"""Semantic checks of a basin: what a well-formed file can still get wrong about where water goes.

Each is a located :class:`~basins.errors.Problem` naming the fix, found before anything is solved:

* cycles of links (water circulating within a month, counted again on every pass of a receipt link);
* a reservoir spilling to a node upstream of itself;
* the same link or inflow counted twice in one party's receipts or in a rule's resource, or as receipts of
  both parties of one rule;
* a receipt inflow upstream of one of the same party's receipt links (its water would count twice);
* nodes fed by nothing, and demand nodes without an intake;
* a tolerance on a hard rule (it would be silently dropped).

Every check is linear in the size of the network (see :mod:`basins.graph`); :func:`basins.network.check`
calls them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from itertools import pairwise
from typing import Protocol, TypeVar

from . import graph
from .messages import Msg
from .schema import BasinSpec, Node, Quota, Receipt, ShareRule, StorageSplit



class Add(Protocol):
    """Appends a located problem: entry, field, a message key of basins/messages_text.py and its parameters."""

    def __call__(self, entry: str, field: str, key: str, /, **params: object) -> None: ...


Party = TypeVar("Party", bound=str)  # a party id (schema.Country) or any str


def physical_graph(spec: BasinSpec, nodes: dict[str, Node]) -> dict[str, list[str]]:
    """Every way water moves between two declared nodes, within the month or later: links, a link's seepage
    (``loss_to``), an aquifer's discharge, an inflow node's infiltration (``recharge_to``), a demand's return flow
    and a reservoir's spill (``spill_to``)."""
    adj: dict[str, list[str]] = {}
    edges = [(lk.source, lk.target) for lk in spec.links]
    edges += [(a.node, a.discharge_to) for a in spec.aquifers]
    edges += [(lk.source, lk.loss_to) for lk in spec.links if lk.loss_to is not None]  # a link's seepage
    edges += [(n.id, n.recharge_to) for n in spec.nodes if n.recharge_to is not None]
    edges += [(d.node, d.return_node) for d in spec.demands if d.return_node is not None]
    edges += [(r.node, r.spill_to) for r in spec.reservoirs if r.spill_to is not None]
    for a, b in edges:
        if a in nodes and b in nodes and a != b:
            adj.setdefault(a, []).append(b)
    return adj


def _arrows(cycle: list[str]) -> str:
    return " -> ".join(cycle)


def receipt_users(spec: BasinSpec) -> dict[str, list[Msg]]:
    """For each link id, the agreement entries that count it as a party's receipt ("KZ in share rule 'x'", as
    messages that render in the current language)."""
    users: dict[str, list[Msg]] = {}
    groups = [(f"share rule {r.id!r}", r.receipts) for r in spec.agreement.share_rules]
    groups += [(f"storage split {s.id!r}", s.receipts) for s in spec.agreement.storage_splits]
    groups += [(f"quota {q.id!r}", {q.party: q.receipts}) for q in spec.agreement.quotas]
    for entry, receipts in groups:
        for party, r in receipts.items():
            for lid in dict.fromkeys(r.links):
                users.setdefault(lid, []).append(Msg("sem.party_in_entry", {"party": party, "entry": entry}))
    return users


def check_cycles(spec: BasinSpec, nodes: dict[str, Node], add: Add) -> None:
    """Directed cycles of links, and reservoirs whose ``spill_to`` lies upstream of them."""
    link_adj: dict[str, list[str]] = {}
    link_of: dict[tuple[str, str], str] = {}
    for lk in spec.links:
        if lk.source in nodes and lk.target in nodes and lk.source != lk.target:
            link_adj.setdefault(lk.source, []).append(lk.target)
            link_of.setdefault((lk.source, lk.target), lk.id)
    users = receipt_users(spec)
    for cyc in graph.cycles(link_adj, nodes):
        ids = [link_of[(a, b)] for a, b in pairwise(cyc)]
        counted = [lid for lid in ids if lid in users]
        cycle, cycle_links = _arrows(cyc), ", ".join(ids)
        if counted:
            lid = counted[0]
            add(f"link {lid!r}", "target", "sem.cycle_counted_again", cycle=cycle, links=cycle_links,
                users=tuple(users[lid]))
        else:
            add(f"link {ids[0]!r}", "target", "sem.cycle_within_month", cycle=cycle, links=cycle_links)

    spill_adj = {a: list(b) for a, b in link_adj.items()}
    for r in spec.reservoirs:
        if r.spill_to is not None and r.node in nodes and r.spill_to in nodes:
            spill_adj.setdefault(r.node, []).append(r.spill_to)
    comp = graph.components(spill_adj, nodes)
    for r in spec.reservoirs:
        e, s = f"reservoir {r.node!r}", r.spill_to
        if s is None or r.node not in nodes or s not in nodes:
            continue
        if s == r.node:
            add(e, "spill_to", "sem.reservoir_cannot_spill_into")
        elif comp[s] == comp[r.node]:
            back = graph.path(spill_adj, s, r.node) or [s, r.node]
            add(e, "spill_to", "sem.upstream_reservoir_spilled_water", value=s, back=_arrows(back), node=r.node)


def check_feeding(spec: BasinSpec, nodes: dict[str, Node], has_intake: set[str], add: Add) -> None:
    """Demand nodes without an intake, and nodes no water can reach (fed only by a loop, or by nothing)."""
    for n in spec.nodes:
        if n.kind == "demand" and n.id not in has_intake:
            add(f"node {n.id!r}", "links", "sem.demand_node_with_no")
    fed = graph.reach(physical_graph(spec, nodes), [n for n, v in nodes.items() if v.kind in ("inflow", "aquifer")])
    for n in spec.nodes:
        if n.id in fed or n.kind in ("inflow", "aquifer") or n.id not in has_intake:
            continue  # nodes without any incoming link are reported as such (see basins.network.check)
        add(f"node {n.id!r}", "links", "sem.fed_by_nothing_no")


def _repeats(items: list[str]) -> list[str]:
    return [i for i, c in Counter(items).items() if c > 1]


def check_receipt_lists(entry: str, field: str, r: Receipt, add: Add) -> None:
    """The same link or inflow listed twice in one receipt."""
    for lid in _repeats(r.links):
        add(entry, field, "sem.link_listed_twice_water", lid=lid)
    for nid in _repeats(r.inflows):
        add(entry, field, "sem.inflow_listed_twice_water", nid=nid)


def check_receipts_of_parties(entry: str, receipts: Mapping[Party, Receipt], add: Add) -> None:
    """Repeats within each party's receipts, and a link or inflow counted for two parties of one rule."""
    owner: dict[tuple[str, str], str] = {}
    for party, r in receipts.items():
        check_receipt_lists(entry, f"receipts.{party}", r, add)
        for what, ids in (("link", r.links), ("inflow", r.inflows)):
            for i in dict.fromkeys(ids):
                first = owner.setdefault((what, i), party)
                if first != party:
                    add(entry, f"receipts.{party}", "sem.counts_as_receipts_both", what_word=what, value=i, first=first,
                        party=party)


def check_resource(entry: str, inflows: list[str], add: Add) -> None:
    for nid in _repeats(inflows):
        add(entry, "resource_inflows", "sem.listed_twice_resource_would", nid=nid)


class ReceiptFlow:
    """Where water goes (:func:`physical_graph`), to test receipts for inflows upstream of their links."""

    def __init__(self, spec: BasinSpec, nodes: dict[str, Node]):
        self.adj = physical_graph(spec, nodes)
        self.up = graph.reverse(self.adj)
        self.source = {lk.id: lk.source for lk in spec.links if lk.source in nodes}
        self.nodes = nodes

    def check(self, entry: str, field: str, r: Receipt, add: Add) -> None:
        """A receipt inflow upstream of one of the receipt's links: its water counts once as inflow and again
        when it passes the link."""
        heads = [self.source[lid] for lid in r.links if lid in self.source]
        ins = [nid for nid in dict.fromkeys(r.inflows) if nid in self.nodes]
        if not heads or not ins:
            return
        upstream = graph.reach(self.up, heads)  # one search for every link of the receipt
        for nid in ins:
            if nid not in upstream:
                continue
            down = graph.reach(self.adj, [nid])
            lid = next(lid for lid in r.links if self.source.get(lid) in down)
            way = graph.path(self.adj, nid, self.source[lid]) if nid != self.source[lid] else [nid]
            assert way is not None  # nid reaches the link's source: it is in ``down``
            add(entry, field, "sem.inflow_upstream_receipt_link", nid=nid, lid=lid, way=_arrows(way))


def check_tolerances(spec: BasinSpec, add: Add) -> None:
    """A tolerance only applies to soft rules; on a hard rule it would be silently dropped."""
    rules: list[tuple[str, ShareRule | Quota | StorageSplit]] = [
        (f"share rule {r.id!r}", r) for r in spec.agreement.share_rules]
    rules += [(f"quota {q.id!r}", q) for q in spec.agreement.quotas]
    rules += [(f"storage split {s.id!r}", s) for s in spec.agreement.storage_splits]
    for entry, rule in rules:
        if rule.mode == "hard" and rule.tolerance > 0:
            add(entry, "tolerance", "sem.given_hard_rule_which", tolerance=rule.tolerance)
