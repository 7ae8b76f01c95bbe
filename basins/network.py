"""Consistency checks of a basin's network and agreement, run before any model is built.

Each check appends located :class:`~basins.errors.Problem` entries instead of
raising, so the user sees every problem of a file at once (after CALVIN's
``networkcheck`` and PyPSA's ``consistency`` module).
"""

from __future__ import annotations

from collections import Counter, defaultdict

from . import graph, semantics
from .errors import Problem
from .schema import BasinSpec, Receipt
from .schema import MAX_VOLUME
from .series import m3s_to_hm3


def _hm3(value: float, unit: str, month: int) -> float:
    """A link's flow in ``unit`` as hm3 in calendar ``month`` of a typical year."""
    return m3s_to_hm3(value, month) if unit == "m3/s" else value


def adjacency(spec: BasinSpec) -> dict[str, list[str]]:
    """Downstream neighbours of every node: by links, and from an aquifer to the node it discharges to."""
    adj: dict[str, list[str]] = defaultdict(list)
    for link in spec.links:
        adj[link.source].append(link.target)
    for a in spec.aquifers:
        adj[a.node].append(a.discharge_to)
    return adj


def spill_node(spec: BasinSpec, reservoir: str) -> str | None:
    """Where a reservoir spills: its ``spill_to``, else the target of its first outgoing link that is not a
    demand (a demand cannot take more than it asks), else None."""
    r = next(r for r in spec.reservoirs if r.node == reservoir)
    if r.spill_to is not None:
        return r.spill_to
    kinds = {n.id: n.kind for n in spec.nodes}
    targets = [lk.target for lk in spec.links if lk.source == reservoir]
    return next((t for t in targets if kinds.get(t) != "demand"), targets[0] if targets else None)


def _repeated(ids: list[str]) -> list[str]:
    return sorted(i for i, c in Counter(ids).items() if c > 1)


def check(spec: BasinSpec, file: str) -> list[Problem]:
    """All network and agreement problems of ``spec``; ``file`` names the basin file in messages.

    Linear in the size of the network (one search per question, never one per node; see
    :mod:`basins.graph`), so a basin of thousands of nodes validates in a fraction of a second."""
    P: list[Problem] = []
    def add(entry: str, field: str, key: str, /, **params: object) -> None:  # key: basins/messages_text.py
        P.append(Problem.of(file, entry, field, key, **params))

    node_ids = [n.id for n in spec.nodes]
    nodes = {n.id: n for n in spec.nodes}
    links = {link.id: link for link in spec.links}
    for kind, ids in (("node", node_ids), ("link", [link.id for link in spec.links])):
        for i in _repeated(ids):
            add(f"{kind} {i!r}", "id", "net.duplicate_id", what_word=kind)

    for link in spec.links:
        for end in ("source", "target"):
            ref = getattr(link, end)
            if ref not in nodes:
                add(f"link {link.id!r}", end, "net.unknown_node_declare_under", ref=ref)
        if link.source == link.target:
            add(f"link {link.id!r}", "target", "net.link_cannot_end_where")
        if link.source in nodes and nodes[link.source].kind == "sink":
            add(f"link {link.id!r}", "source", "net.sink_water_does_not", source=link.source)
        if link.capacity is not None and link.min_flow is not None:
            if link.capacity_unit == link.min_flow_unit:
                if link.min_flow > link.capacity:
                    add(f"link {link.id!r}", "min_flow", "net.exceeds_capacity", min_flow=link.min_flow, capacity=link.capacity)
            else:  # compare month by month in hm3 (a flow in m3/s is a smaller volume in February)
                over = [m for m in range(1, 13) if _hm3(link.min_flow, link.min_flow_unit, m) >
                        _hm3(link.capacity, link.capacity_unit, m) * (1 + 1e-12)]
                if over:
                    add(f"link {link.id!r}", "min_flow", "net.min_flow_over_capacity_in_months" if len(over) > 1 else
                        "net.min_flow_over_capacity_in_month", min_flow=link.min_flow, min_flow_unit=link.min_flow_unit,
                        capacity=link.capacity, capacity_unit=link.capacity_unit, months=", ".join(map(str, over)))

    adj = adjacency(spec)
    incoming = defaultdict(list)
    for link in spec.links:
        incoming[link.target].append(link)
    for n in spec.nodes:
        if n.kind not in ("inflow", "sink", "demand", "aquifer") and not incoming.get(n.id):
            add(f"node {n.id!r}", "kind", "net.receives_no_link_only")

    # Every node must let its water reach a sink (demands consume, so they may be terminal).
    sinks = {n.id for n in spec.nodes if n.kind == "sink"}
    if not sinks:
        add("nodes", "kind", "net.basin_has_no_sink")
    up = graph.reverse(adj)
    to_sink = graph.reach(up, sinks)  # one upstream search from every sink at once
    for n in spec.nodes:
        if n.kind in ("sink", "demand"):
            continue
        if n.id not in to_sink:
            add(f"node {n.id!r}", "links", "net.has_no_path_sink")
    semantics.check_feeding(spec, nodes, set(incoming), add)
    semantics.check_cycles(spec, nodes, add)

    for n in spec.nodes:
        if n.kind != "inflow" and n.channel_fraction != 1.0:
            add(f"node {n.id!r}", "channel_fraction", "net.applies_inflow_nodes_only")
        if n.recharge_to is not None:
            if n.kind != "inflow":
                add(f"node {n.id!r}", "recharge_to", "net.applies_inflow_nodes_only_2")
            elif n.recharge_to not in nodes or nodes[n.recharge_to].kind != "aquifer":
                add(f"node {n.id!r}", "recharge_to", "net.not_aquifer_node", recharge_to=n.recharge_to)
            elif n.channel_fraction == 1.0:
                add(f"node {n.id!r}", "recharge_to", "net.has_no_effect_with_2")

    # Link seepage: to an aquifer, only where there is a loss
    for link in spec.links:
        e = f"link {link.id!r}"
        if link.loss_to is not None:
            if link.loss_to not in nodes or nodes[link.loss_to].kind != "aquifer":
                add(e, "loss_to", "net.not_aquifer_node_name", loss_to=link.loss_to)
            elif link.loss_fraction == 0 and not link.loss_table:
                add(e, "loss_to", "net.has_no_effect_with")
        elif link.seepage_fraction != 1.0:
            add(e, "seepage_fraction", "net.applies_with_loss_only")
        if link.loss_table is not None:
            check_loss_table(link, e, add)

    # Aquifers: no links, one entry each, discharge to a river node
    seen_aq = set()
    for a in spec.aquifers:
        e = f"aquifer {a.node!r}"
        if a.node not in nodes or nodes[a.node].kind != "aquifer":
            add(e, "node", "net.not_node_kind_aquifer", node=a.node)
        if a.node in seen_aq:
            add(e, "node", "net.declared_twice")
        seen_aq.add(a.node)
        if a.discharge_to not in nodes:
            add(e, "discharge_to", "net.unknown_node", discharge_to=a.discharge_to)
        elif nodes[a.discharge_to].kind in ("aquifer", "demand", "inflow"):
            add(e, "discharge_to", "net.node_groundwater_must_discharge", discharge_to=a.discharge_to, kind=nodes[a.discharge_to].kind)
    for n in spec.nodes:
        if n.kind == "aquifer" and n.id not in seen_aq:
            add(f"node {n.id!r}", "kind", "net.aquifer_node_without_entry")
    for link in spec.links:
        for end in ("source", "target"):
            ref = getattr(link, end)
            if ref in nodes and nodes[ref].kind == "aquifer":
                add(f"link {link.id!r}", end, "net.aquifer_groundwater_recharged_by", ref=ref)

    # Reservoirs
    first_targets: dict[str, tuple[str | None, str | None]] = {}  # spill_node() of every reservoir without spill_to, in one pass over the links
    for link in spec.links:
        if link.source in nodes and nodes[link.source].kind == "reservoir":
            first, first_river = first_targets.get(link.source, (None, None))
            river = link.target if nodes.get(link.target) is None or nodes[link.target].kind != "demand" else None
            first_targets[link.source] = (first or link.target, first_river or river)
    default_spill = {r: river or first for r, (first, river) in first_targets.items()}
    seen_res = set()
    for r in spec.reservoirs:
        e = f"reservoir {r.node!r}"
        if r.node not in nodes:
            add(e, "node", "net.unknown_node_2", node=r.node)
        elif nodes[r.node].kind != "reservoir":
            add(e, "node", "net.node_kind_not_reservoir", node=r.node, kind=nodes[r.node].kind)
        if r.node in seen_res:
            add(e, "node", "net.declared_twice_2")
        seen_res.add(r.node)
        if r.dead_storage_hm3 > r.capacity_hm3:
            add(e, "dead_storage_hm3", "net.hm_above_capacity_hm", dead_storage_hm3=r.dead_storage_hm3, capacity_hm3=r.capacity_hm3)
        if not r.dead_storage_hm3 <= r.initial_storage_hm3 <= r.capacity_hm3:
            add(e, "initial_storage_hm3", "net.hm_outside_dead_storage", initial_storage_hm3=r.initial_storage_hm3, dead_storage_hm3=r.dead_storage_hm3, capacity_hm3=r.capacity_hm3)
        if r.area_km2_at_dead > r.area_km2_at_full:
            add(e, "area_km2_at_dead", "net.larger_than_area_km")
        if r.spill_to is not None and r.spill_to not in nodes:
            add(e, "spill_to", "net.unknown_node_3", spill_to=r.spill_to)
        spill = r.spill_to if r.spill_to is not None else default_spill.get(r.node)
        if spill in nodes and nodes[spill].kind == "demand":
            add(e, "spill_to", "net.spill_would_go_demand", spill=spill)
        if r.node in nodes and r.spill_to is None and not adj.get(r.node):
            add(e, "spill_to", "net.reservoir_has_no_outgoing")
    for n in spec.nodes:
        if n.kind == "reservoir" and n.id not in seen_res:
            add(f"node {n.id!r}", "kind", "net.reservoir_node_without_entry")

    # Demands
    pos = graph.topological_positions(adj, nodes)  # prunes the searches below to a few nodes each
    seen_dem = set()
    for d in spec.demands:
        e = f"demand {d.node!r}"
        if d.node not in nodes:
            add(e, "node", "net.unknown_node_4", node=d.node)
            continue
        if nodes[d.node].kind != "demand":
            add(e, "node", "net.node_kind_not_demand", node=d.node, kind=nodes[d.node].kind)
        if d.node in seen_dem:
            add(e, "node", "net.declared_twice_3")
        seen_dem.add(d.node)
        if d.party is None:
            add(e, "party", "net.demand_needs_party_kg")
        if d.return_fraction > 0 and d.return_node is None:
            add(e, "return_node", "net.return_fraction_needs_return")
        if d.return_node is not None:
            if d.return_node not in nodes:
                add(e, "return_node", "net.unknown_node_5", return_node=d.return_node)
            else:
                # downstream: reachable from a diversion point of the demand, and not upstream of the demand
                heads = [link.source for link in incoming.get(d.node, [])]
                # returns to an aquifer come back a month later or more, wherever it discharges: no loop within a month
                if nodes[d.return_node].kind != "aquifer" and (
                        d.return_node == d.node or not graph.reaches(adj, heads, d.return_node, pos)
                        or graph.reaches(up, [d.node], d.return_node, pos, downstream=False)):
                    add(e, "return_node", "net.not_downstream_where_takes", return_node=d.return_node, node=d.node)
    for n in spec.nodes:
        if n.kind == "demand" and n.id not in seen_dem:
            add(f"node {n.id!r}", "kind", "net.demand_node_without_entry")

    # Agreement
    parties = set(spec.agreement.parties)
    inflow_nodes = {n.id for n in spec.nodes if n.kind == "inflow"}

    flow = semantics.ReceiptFlow(spec, nodes)
    demand_nodes = {d.node for d in spec.demands}

    def check_receipt(entry: str, field: str, r: Receipt):
        flow.check(entry, field, r, add)
        for lid in r.links:
            if lid not in links:
                add(entry, field, "net.unknown_link", lid=lid)
        for d in r.less_returns_of:
            if d not in demand_nodes:
                add(entry, f"{field}.less_returns_of", "net.not_declared_demand_list", d=d)
        for nid in r.inflows:
            if nid not in inflow_nodes:
                add(entry, field, "net.not_inflow_node", nid=nid)
        if r.less_seepage and r.counted != "gross":
            add(entry, f"{field}.less_seepage", "net.less_seepage_net")

    def check_shares(entry: str, shares: dict, receipts: dict, enforce: list | None, roles: dict | None = None):
        total = sum(shares.values())
        if abs(total - 1.0) > 1e-9:
            add(entry, "shares", "net.shares_sum_not_make", total=total)
        for p, s in shares.items():
            if not 0 <= s <= 1:
                add(entry, f"shares.{p}", "net.not_fraction", value=s)
            if p not in parties:
                add(entry, f"shares.{p}", "net.not_party_agreement_2", value=p, parties=sorted(parties))
            if p not in receipts:
                add(entry, "receipts", "net.party_has_share_but", value=p)
        for p in enforce or []:
            if p not in shares:
                add(entry, "enforce", "net.party_enforced_but_has", value=p)
        for p in roles or {}:
            if p not in shares:
                add(entry, f"roles.{p}", "net.party_has_role_but", value=p)
        for p, r in receipts.items():
            check_receipt(entry, f"receipts.{p}", r)
        semantics.check_receipts_of_parties(entry, receipts, add)

    ids = [r.id for r in spec.agreement.share_rules] + [q.id for q in spec.agreement.quotas] + \
        [s.id for s in spec.agreement.storage_splits]
    for i in _repeated(ids):
        add(f"rule {i!r}", "id", "net.duplicate_rule_id")
    for rule in spec.agreement.share_rules:
        e = f"share rule {rule.id!r}"
        for nid in rule.resource_inflows:
            if nid not in inflow_nodes:
                add(e, "resource_inflows", "net.not_inflow_node_2", nid=nid)
        semantics.check_resource(e, rule.resource_inflows, add)
        check_shares(e, rule.shares, rule.receipts, rule.enforce, rule.roles)
    for q in spec.agreement.quotas:
        e = f"quota {q.id!r}"
        if q.party not in parties:
            add(e, "party", "net.not_party_agreement", party=q.party)
        check_receipt(e, "receipts", q.receipts)
        semantics.check_receipt_lists(e, "receipts", q.receipts, add)
    for s in spec.agreement.storage_splits:
        e = f"storage split {s.id!r}"
        if s.reservoir not in seen_res:
            add(e, "reservoir", "net.not_declared_reservoir", reservoir=s.reservoir)
        check_shares(e, s.shares, s.receipts, s.enforce, s.roles)
    for f in spec.agreement.facilities:
        for p, receipt in f.receipts.items():
            check_receipt(f"facility {f.id!r}", f"receipts.{p}", receipt)
        semantics.check_receipts_of_parties(f"facility {f.id!r}", f.receipts, add)
    semantics.check_tolerances(spec, add)
    check_accounts_and_costs(spec, add, seen_res, links)
    if spec.calibration is not None:
        check_calibration(spec, file, add, nodes, links)
    return P


def check_loss_table(link, e: str, add) -> None:
    """A loss table: two rows or more, flows >= 0 and strictly increasing, fractions in [0, 1), no loss_fraction."""
    rows = link.loss_table
    flows = [r[0] for r in rows]
    if len(rows) < 2:
        add(e, "loss_table", "net.loss_table_rows")
    elif any(q < 0 for q in flows) or any(b <= a for a, b in zip(flows, flows[1:])):
        add(e, "loss_table", "net.loss_table_flows", flows=flows)
    if any(not 0 <= r[1] < 1 for r in rows):
        add(e, "loss_table", "net.loss_table_fractions", fractions=[r[1] for r in rows])
    if link.loss_fraction != 0:
        add(e, "loss_table", "net.loss_table_and_fraction", loss_fraction=link.loss_fraction)


def check_accounts_and_costs(spec: BasinSpec, add, reservoirs: set, links: dict) -> None:
    """Storage accounts, facility mappings and capital works name existing entries and add up."""
    ag = spec.agreement
    parties = set(ag.parties)
    res = {r.node: r for r in spec.reservoirs}
    seen: set[str] = set()
    for a in ag.storage_accounts:
        e = f"storage account {a.id!r}"
        if a.reservoir not in reservoirs:
            add(e, "reservoir", "net.not_declared_reservoir_2", reservoir=a.reservoir)
        elif a.reservoir in seen:
            add(e, "reservoir", "net.already_has_storage_accounts", reservoir=a.reservoir)
        seen.add(a.reservoir)
        total = sum(a.shares.values())
        if abs(total - 1.0) > 1e-9:
            add(e, "shares", "net.shares_sum_not_make_2", total=total)
        for p, v in a.shares.items():
            if not 0 <= v <= 1:
                add(e, f"shares.{p}", "net.not_fraction_2", value=v)
            if p not in parties:
                add(e, f"shares.{p}", "net.not_party_agreement_3", value=p, parties=sorted(parties))
            if p not in a.initial_balance_hm3:
                add(e, "initial_balance_hm3", "net.party_has_share_but_2", value=p)
            if not a.release_to.get(p):
                add(e, "release_to", "net.party_has_share_but_3", value=p)
        for p, v in a.initial_balance_hm3.items():
            if p not in a.shares:
                add(e, f"initial_balance_hm3.{p}", "net.has_no_share_this", value=p)
            if not 0 <= v <= MAX_VOLUME:
                add(e, f"initial_balance_hm3.{p}", "net.not_volume_hm", value=v, value2=MAX_VOLUME)
        if a.reservoir in res:
            r = res[a.reservoir]
            above = r.initial_storage_hm3 - r.dead_storage_hm3
            bal = sum(a.initial_balance_hm3.values())
            if abs(bal - above) > 1e-6 * max(1.0, above):
                add(e, "initial_balance_hm3", "net.balances_add_up_hm", bal=bal, above=above, initial_storage_hm3=r.initial_storage_hm3, dead_storage_hm3=r.dead_storage_hm3)
        for p, ls in a.release_to.items():
            for lid in ls:
                if lid not in links:
                    add(e, f"release_to.{p}", "net.unknown_link_4", lid=lid)
    fac = {f.id for f in ag.facilities}
    for f in ag.facilities:
        e = f"facility {f.id!r}"
        if f.reservoir is not None and f.reservoir not in reservoirs:
            add(e, "reservoir", "net.not_declared_reservoir_3", reservoir=f.reservoir)
        for lid in f.controls:
            if lid not in links:
                add(e, "controls", "net.unknown_link_2", lid=lid)
        if ag.cost_sharing == "use_of_facilities" and f.reservoir is None and not f.controls:
            add(e, "controls", "net.use_facilities_cost_sharing")
    for w in ag.capital_works:
        e = f"capital work {w.id!r}"
        if w.facility not in fac:
            add(e, "facility", "net.not_facility_id_agreement", facility=w.facility)
        if w.shares is not None:
            total = sum(w.shares.values())
            if abs(total - 1.0) > 1e-9:
                add(e, "shares", "net.shares_sum_not", total=total)


def check_calibration(spec: BasinSpec, file: str, add, nodes: dict, links: dict) -> None:
    """Calibration parameters name existing entries of the right kind and have a sane range."""
    cal = spec.calibration
    assert cal is not None
    demands = {d.node for d in spec.demands}
    kind_of = {"loss_fraction": ("link", links), "return_fraction": ("demand", demands),
               "demand_factor": ("demand", demands),
               "channel_fraction": ("inflow node", {n for n, v in nodes.items() if v.kind == "inflow"}),
               "recession_per_month": ("aquifer", {a.node for a in spec.aquifers})}
    for p in cal.parameters:
        e = f"calibration parameter {p.id!r}"
        what, valid = kind_of[p.field]
        for ref in p.entries:
            if ref not in valid:
                add(e, "entries", "net.entry_of_wrong_kind", ref=ref, what_word=what,
                    name=p.field)
        if not p.min <= p.prior <= p.max:
            add(e, "prior", "net.outside_documented_range", prior=p.prior, min=p.min, max=p.max)
    if cal.year_type not in spec.year_types:
        add("calibration", "year_type", "net.not_one_basin_s", year_type=cal.year_type, year_types=spec.year_types)
    for t in cal.targets:
        e = f"calibration target {t.id!r}"
        for lid in t.receipts.links:
            if lid not in links:
                add(e, "receipts", "net.unknown_link_3", lid=lid)
        for nid in t.receipts.inflows:
            if nid not in nodes or nodes[nid].kind != "inflow":
                add(e, "receipts", "net.not_inflow_node_3", nid=nid)
        lo, hi = t.observed_min_hm3, t.observed_max_hm3
        if lo is not None and hi is not None and lo > hi:
            add(e, "observed_min_hm3", "net.above_observed_max_hm", lo=lo, hi=hi)
