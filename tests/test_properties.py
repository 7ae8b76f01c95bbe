"""Property-based tests (Hypothesis): random valid networks, solved, checked against the LP's promises.

Every generated case is a small river: a KG main stem (junctions and reservoirs) fed by an inflow, KG
tributaries (some through their own reservoir) joining it, a border node where the river enters KZ, a KZ
reach (perhaps with a KZ tributary) down to the sink, and demands of both parties on diversion canals
(some with a capacity in m³/s or hm³/month, some returning a fraction to a node further down). The
agreement has a share rule (KZ receipts at the border ≥ share × the KG resource, hard or soft, perhaps
also enforced for KG), perhaps a KZ quota and a storage split. Monthly inflows, demands and evaporation
are random (zeros included); horizons run 1–24 months from any calendar month. Groundwater: perhaps an
aquifer, recharged by infiltration of inflow nodes (``recharge_to``, ``channel_fraction`` < 1), by the seepage
of lossy river reaches and canals (``loss_to``, ``seepage_fraction``) and by demands' return flows, and
discharging a share of its storage to a river node. Perhaps ownership accounts of a KG reservoir (shares by
party, start balances owning the water above dead storage, release links below the spill or the outlet the
spill bypasses, the reservoir evaporating; see :func:`_accounts`). The step is the month or (a third of the
cases, 1–6 months) the dekad.

The case is written as a basin file (YAML with inline CSV series, :func:`fixtures.network`) and read
with :func:`basins.loads`, so validation runs too: a generated case must always validate. Then, for
every case:

* perfect foresight (end storage ≥ initial) either solves, closing every node-month balance to 1e-6 hm³
  and respecting every bound and every hard rule, or raises :class:`optimizer.InfeasibleAgreement`
  whose diagnosis names at least one hard rule (or end-storage target) with a shortfall > 0;
* relaxing the end storage ("free") never makes a feasible case infeasible nor the optimum worse;
* the month-by-month (myopic) operator is never better than perfect foresight (both with a free end
  storage; the myopic allocation is feasible for the perfect-foresight LP), and when perfect foresight
  cannot meet the hard rules, the myopic operator cannot either (objectives compared up to HiGHS's
  optimality tolerance, see :func:`slack`);
* status-quo operation (rules reported only, free end storage) always solves: these networks can
  always route their water to the sink, so only agreement rows can make them infeasible;
* every node-step balance closes to 1e-6 hm³ with the aquifers' recharge, seepage and discharge in it
  (``test_balance.node_imbalance``), at months and at dekads;
* storage accounts add up to the storage above dead storage, follow their recurrence from the Dataset alone
  (evaporation charged as ``account_evaporation_hm3``: ≥ 0, adding up to the reservoir's), carry the reservoir's
  whole release on each party's own links (the spill too, on an outlet it bypasses), and are never negative when
  enforced;
* without storage (no reservoir, no aquifer) a dekad run and the month run of the same case are feasible or
  infeasible together, with equal optima (each dekad is its month scaled by its days).

Profiles (tests/conftest.py): "ci" runs 140 derandomized examples; ``--hypothesis-profile=dev`` 10,000.
The networks are kept small (≤ ~20 nodes, ≤ 24 months, ≤ 6 months of dekads) so the CI run stays near a
minute on 2 cores.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from hypothesis import event, example, given, note
from hypothesis import strategies as st

import optimizer
from fixtures import demand, network, reservoir
from optimizer.core import timesteps
from test_balance import TOL, check_result, node_imbalance

PERIODS = ["year", "apr-sep", "oct-mar", "month"]

# numbers: zeros are common (dry months, empty canals), values span a few orders of magnitude
volume = st.one_of(st.just(0.0), st.floats(0.001, 400.0).map(lambda v: round(v, 3)))
monthly = st.lists(volume, min_size=12, max_size=12)
fraction = st.one_of(st.just(0.0), st.floats(0.01, 0.6).map(lambda v: round(v, 3)))


@dataclass
class Case:
    """A generated basin (the arguments of :func:`fixtures.network`) and a horizon."""

    nodes: dict[str, str] = field(default_factory=dict)
    links: list = field(default_factory=list)
    reservoirs: list = field(default_factory=list)
    demands: list = field(default_factory=list)
    agreement: dict = field(default_factory=dict)
    inflow: dict = field(default_factory=dict)
    demand: dict = field(default_factory=dict)
    evaporation: dict = field(default_factory=dict)
    aquifers: list = field(default_factory=list)
    node_fields: dict = field(default_factory=dict)  # inflow node → channel_fraction, recharge_to
    start: str = "2025-01"
    months: int = 12
    step: str = "month"

    def basin(self):
        # through JSON: no Python object is shared, so yaml.safe_dump writes no anchor (which loads refuses)
        kw = json.loads(json.dumps({"nodes": self.nodes, "links": self.links, "reservoirs": self.reservoirs,
                                    "demands": self.demands, "agreement": self.agreement, "inflow": self.inflow,
                                    "demand": self.demand, "evaporation": self.evaporation,
                                    "aquifers": self.aquifers, "node_fields": self.node_fields}))
        return network(kw.pop("nodes"), kw.pop("links"), **kw)

    @property
    def has_storage(self) -> bool:
        """Reservoirs or aquifers: state carried from step to step (a dekad run is then not a month run)."""
        return bool(self.reservoirs or self.aquifers)

    def hard_rule_ids(self) -> set[str]:
        ag = self.agreement
        return {r["id"] for kind in ("share_rules", "quotas", "storage_splits") for r in ag.get(kind, [])
                if r.get("mode", "hard") == "hard"}


def _capacity(draw) -> dict:
    """No capacity (natural channel), or one in m³/s or hm³/month (0 included: a closed canal)."""
    kind = draw(st.sampled_from(["none", "none", "m3/s", "hm3/month"]))
    if kind == "none":
        return {}
    cap = draw(st.one_of(st.just(0.0), st.floats(0.01, 150.0).map(lambda v: round(v, 2))))
    return {"capacity": cap, "capacity_unit": kind}


def _reservoir(draw, node: str, c: Case) -> None:
    cap = draw(st.floats(1.0, 1000.0).map(lambda v: round(v, 1)))
    dead = round(cap * draw(st.sampled_from([0.0, 0.05, 0.2])), 3)
    initial = round(dead + (cap - dead) * draw(st.sampled_from([0.0, 0.3, 0.5, 1.0])), 3)
    depth = draw(st.sampled_from([5.0, 10.0, 30.0]))  # mean depth [m]: area [km²] = volume [hm³] / depth [m]
    # The area is 0 at dead storage: a reservoir at dead storage with a dry month must not be forced below
    # it by evaporation (that case is PhysicallyInfeasible by design, tested in test_solver_limits.py).
    c.reservoirs.append(reservoir(node, cap, dead, initial, area_km2_at_dead=0.0, area_km2_at_full=round(cap / depth, 3)))
    c.evaporation[node] = draw(st.lists(st.sampled_from([0.0, 20.0, 80.0, 150.0]), min_size=12, max_size=12))


def _aquifer(draw, c: Case, stem: list[str], inflows: list[str]) -> None:
    """An aquifer AQ recharged by infiltration of some inflow nodes (``recharge_to``, the rest of their inflow
    reaches the channel) and by seepage of lossy links (``loss_to``; the demands' return flows may go to it
    too, see cases), discharging a share of its start-of-step storage to a river node (above or below them)."""
    c.nodes["AQ"] = "aquifer"
    c.aquifers.append({"node": "AQ", "recession_per_month": draw(st.sampled_from([0.05, 0.3, 1.0])),
                       "initial_storage_hm3": draw(st.sampled_from([0.0, 0.0, 40.0])),
                       "discharge_to": draw(st.sampled_from(stem[1:]))})
    for n in inflows:
        if draw(st.integers(0, 2)) == 0:
            c.node_fields[n] = {"channel_fraction": draw(st.sampled_from([0.5, 0.8, 0.95])), "recharge_to": "AQ"}
    for lk in c.links:
        if not isinstance(lk, str) and lk[1].get("loss_fraction", 0) > 0 and draw(st.booleans()):
            lk[1].update(loss_to="AQ", seepage_fraction=draw(st.sampled_from([1.0, 0.5])))


def _accounts(draw, c: Case, stem: list[str], kg_res: list[str]) -> None:
    """Ownership accounts of a KG stem reservoir whose spill lands on a river node (not another reservoir), as
    Kirov's does: the water released for KZ flows on the river below that node, KG's on its own canals there
    or on the river, so the spill passes the parties' links; or (a third of the cases) a party's release link is
    the reservoir's outlet, which the spill bypasses. The start balances own exactly the water above dead storage
    (one party perhaps nothing), and the reservoir evaporates as generated. (These two cases found the defects
    fixed in accounts.py: a party with an empty account had to pay its evaporation share, and a spill bypassing
    the release links made every spilling step infeasible.)"""
    res = draw(st.sampled_from(kg_res))
    r = next(r for r in c.reservoirs if r["node"] == res)
    at = stem[stem.index(res) + 1]  # where the reservoir spills (its first outgoing link's target)
    below = f"{at}_{stem[stem.index(at) + 1]}"
    kg_canals = [f"{at}_{d['node']}" for d in c.demands if d["party"] == "KG" and f"{at} -> {d['node']}" in
                 [lk if isinstance(lk, str) else lk[0] for lk in c.links]]
    outlet = f"{res}_{at}"  # its first outgoing link, the river: the spill lands on its target, bypassing it
    kz_outlet = draw(st.integers(0, 2)) == 0
    kz = draw(st.sampled_from([0.5, 0.88, 1.0]))
    above = r["initial_storage_hm3"] - r["dead_storage_hm3"]
    kz_start = round(above * draw(st.sampled_from([kz, 0.5, 1.0, 0.0])), 6)
    c.agreement["storage_accounts"] = [{
        "id": "accounts", "reservoir": res, "shares": {"KZ": kz, "KG": round(1 - kz, 6)},
        "initial_balance_hm3": {"KZ": kz_start, "KG": max(above - kz_start, 0.0)},
        "release_to": {"KZ": [outlet] if kz_outlet else [below], "KG": kg_canals + [below]}}]


@st.composite
def cases(draw) -> Case:
    c = Case()
    n_kg = draw(st.integers(1, 3))
    n_kz = draw(st.integers(0, 2))
    kg = [f"K{i + 1}" for i in range(n_kg)]
    kz = [f"Z{i + 1}" for i in range(n_kz)]
    stem = ["IN1"] + kg + ["B"] + kz + ["OUT"]
    c.nodes["IN1"] = "inflow"
    for n in kg:
        c.nodes[n] = draw(st.sampled_from(["junction", "junction", "reservoir"]))
    c.nodes["B"] = "border KZ"
    for n in kz:
        c.nodes[n] = draw(st.sampled_from(["junction KZ", "junction KZ", "reservoir KZ"]))
    c.nodes["OUT"] = "sink KZ"

    # main stem first, so that a reservoir's spill goes down the river (its first outgoing link)
    for a, b in zip(stem, stem[1:]):
        extra: dict = {}
        if c.nodes[a].startswith("reservoir"):
            # an outlet with a capacity: the reservoir still spills above it, so water always has a way out
            extra.update(_capacity(draw))
        if draw(st.integers(0, 3)) == 0:
            extra["loss_fraction"] = draw(st.sampled_from([0.05, 0.2]))
        if "capacity" not in extra and draw(st.integers(0, 4)) == 0:  # (a minimum above the capacity is refused)
            unit = draw(st.sampled_from(["m3/s", "hm3/month"]))
            extra.update(min_flow=draw(st.sampled_from([0.0, 1.0, 20.0])), min_flow_unit=unit)
        c.links.append((f"{a} -> {b}", extra) if extra else f"{a} -> {b}")
    border_link = f"{kg[-1]}_B"

    # KG tributaries joining the stem, some through their own reservoir
    kg_inflows = ["IN1"]
    branch_nodes: dict[str, int] = {}  # tributary reservoir → index in stem of the node it joins
    for i in range(draw(st.integers(0, 2))):
        t, join = f"T{i + 1}", draw(st.integers(1, n_kg))
        c.nodes[t] = "inflow"
        kg_inflows.append(t)
        if draw(st.booleans()):
            tr = f"TR{i + 1}"
            c.nodes[tr] = "reservoir"
            branch_nodes[tr] = join
            c.links += [f"{t} -> {tr}", (f"{tr} -> {stem[join]}", _capacity(draw))]
        else:
            c.links.append(f"{t} -> {stem[join]}")
    kz_inflows = []
    if draw(st.booleans()):
        c.nodes["IZ"] = "inflow KZ"
        kz_inflows.append("IZ")
        c.links.append(f"IZ -> {draw(st.sampled_from(stem[n_kg + 1:]))}")  # joins at B, a KZ node or the sink
    for n in kg_inflows + kz_inflows:
        c.inflow[n] = draw(monthly)
    for n, kind in c.nodes.items():
        if kind.startswith("reservoir"):
            _reservoir(draw, n, c)
    if draw(st.integers(0, 2)) == 0:
        _aquifer(draw, c, stem, kg_inflows + kz_inflows)

    # demands of both parties on diversion canals; return flows re-enter further down the stem
    kg_diversions = []
    where = kg + list(branch_nodes) + ["B"] + kz
    for i in range(draw(st.integers(0, 4))):
        at = draw(st.sampled_from(where))
        party = "KG" if at in kg or at in branch_nodes else "KZ"
        d = f"D{party[1]}{i + 1}"
        c.nodes[d] = "demand" if party == "KG" else "demand KZ"
        extra = _capacity(draw)
        if draw(st.integers(0, 3)) == 0:
            extra["loss_fraction"] = draw(st.sampled_from([0.1, 0.3]))
            if c.aquifers and draw(st.booleans()):  # canal seepage recharges the aquifer
                extra.update(loss_to="AQ", seepage_fraction=draw(st.sampled_from([1.0, 0.5])))
        c.links.append((f"{at} -> {d}", extra) if extra else f"{at} -> {d}")
        if party == "KG":
            kg_diversions.append(f"{at}_{d}")
        first_below = branch_nodes[at] if at in branch_nodes else stem.index(at) + 1
        kw = {}
        rf = draw(fraction)
        if rf > 0:  # to the river further down, or (field percolation) to the aquifer
            kw = {"return_fraction": rf, "return_node": draw(st.sampled_from(stem[first_below:] + ["AQ"] * bool(c.aquifers)))}
        c.demands.append(demand(d, party, priority=draw(st.integers(1, 10)), **kw))
        c.demand[d] = draw(monthly)

    # the agreement
    ag: dict = {}
    mode = st.sampled_from(["hard", "soft"])

    def soft_terms(rule: dict) -> dict:
        if rule["mode"] == "soft":
            rule.update(tolerance=draw(st.sampled_from([0.0, 0.1])), penalty=draw(st.sampled_from([0.0, 5.0, 1000.0])))
        return rule

    if draw(st.integers(0, 4)) > 0:
        kz_pct = draw(st.integers(0, 100))
        kz_receipts = {"links": [border_link]}
        # KZ's own tributary counts as received, unless its water can reach an aquifer that discharges above the
        # border (infiltration, seepage or returns below B), which would carry it across the receipt link again:
        # the semantic check rejects that basin (its water would be counted twice)
        loops_back = bool(c.aquifers) and stem.index(c.aquifers[0]["discharge_to"]) < stem.index("B")
        if kz_inflows and not loops_back and draw(st.booleans()):
            kz_receipts["inflows"] = list(kz_inflows)
        ag["share_rules"] = [soft_terms({
            "id": "border_share", "resource_inflows": list(draw(st.sampled_from([kg_inflows, kg_inflows[:1]]))),
            "period": draw(st.sampled_from(PERIODS)), "shares": {"KZ": kz_pct / 100, "KG": (100 - kz_pct) / 100},
            "receipts": {"KZ": kz_receipts, "KG": {"links": list(kg_diversions)}},
            "enforce": draw(st.sampled_from([["KZ"], ["KZ"], ["KZ", "KG"]])), "mode": draw(mode)})]
    if draw(st.integers(0, 3)) == 0:
        ag["quotas"] = [soft_terms({
            "id": "kz_quota", "party": "KZ", "period": draw(st.sampled_from(["apr-sep", "oct-mar", "year"])),
            "volume_hm3": draw(st.sampled_from([0.0, 50.0, 600.0])), "receipts": {"links": [border_link]},
            "mode": draw(mode)})]
    kg_res = [n for n in kg if c.nodes[n] == "reservoir"]
    spills_on_river = [n for n in kg_res if not c.nodes[stem[stem.index(n) + 1]].startswith("reservoir")]
    if kg_res and draw(st.integers(0, 3)) == 0:
        kz_pct = draw(st.sampled_from([0, 30, 50]))
        ag["storage_splits"] = [soft_terms({
            "id": "release_split", "reservoir": draw(st.sampled_from(kg_res)), "period": draw(st.sampled_from(PERIODS)),
            "shares": {"KZ": kz_pct / 100, "KG": (100 - kz_pct) / 100},
            "receipts": {"KZ": {"links": [border_link]}, "KG": {"links": list(kg_diversions)}},
            "enforce": ["KZ"], "mode": draw(mode)})]
    c.agreement = ag
    if spills_on_river and draw(st.integers(0, 2)) == 0:
        _accounts(draw, c, stem, spills_on_river)
    c.start = f"2025-{draw(st.integers(1, 12)):02d}"
    # dekads: three steps a month (dekad 3 of February has 8 or 9 days), so shorter horizons keep the run short
    c.step = draw(st.sampled_from(["month", "month", "dekad"]))
    c.months = draw(st.one_of(st.integers(1, 3), st.integers(1, 24) if c.step == "month" else st.integers(1, 6)))
    return c


# ---- checks ------------------------------------------------------------------------------------------------

def check_solution(case: Case, basin, r) -> None:
    """Every node-month balance closes, every bound holds, every applicable hard rule is met."""
    ds = r.dataset
    ledger_checkable = (r.manifest["options"]["operation"] == "agreement" and basin.spec.agreement.share_rules
                        and basin.spec.demands and basin.spec.reservoirs and (r.ledger["mode"] == "hard").any())
    if ledger_checkable:
        check_result(basin, r)  # test_balance.py: node balances, bounds, the ledger recomputed from the Dataset
    else:  # (check_result needs a share rule, a hard row, demands and reservoirs)
        worst = float(abs(node_imbalance(ds)).max())
        assert worst <= TOL, f"node imbalance {worst} hm3"
    flow, cap = ds["flow_hm3"].values, ds["link_capacity_hm3"].values
    assert flow.min(initial=0) >= -TOL
    assert np.all(np.isnan(cap) | (flow <= cap + TOL)), "a link carries more than its capacity"
    s = ds["storage_hm3"]
    assert bool((s >= ds["dead_storage_hm3"] - TOL).all()) and bool((s <= ds["capacity_hm3"] + TOL).all())
    q, dem = ds["delivery_hm3"].values, ds["demand_hm3"].values
    assert q.min(initial=0) >= -TOL and np.all(q <= dem + TOL)
    for v in ("spill_hm3", "outflow_hm3", "evaporation_hm3", "min_flow_shortfall_hm3"):
        assert float(ds[v].min()) >= -TOL if ds[v].size else True, v
    # the demand series of the basin is what the result reports (no silent change of inputs): a month's volume,
    # spread over its dekads in proportion to their days
    times = pd.DatetimeIndex(ds["time"].values)
    frac = timesteps.month_fraction(times, case.step)
    for d in ds["demand"].values:
        expected = basin.demand.sel(node=d, month=list(times.month)).values * frac
        assert np.allclose(ds["demand_hm3"].sel(demand=d).values, expected, atol=1e-12)
    if case.agreement.get("storage_accounts"):
        check_accounts(case, ds, r.manifest["options"]["operation"] == "agreement")
    led = r.ledger
    if r.manifest["options"]["operation"] == "agreement":
        hard = led[led["mode"] == "hard"]
        assert hard["met"].all(), hard
        assert bool((hard["received_hm3"] >= hard["required_hm3"] - TOL).all()), hard


def check_accounts(case: Case, ds, enforced: bool) -> None:
    """The accounts own exactly the water above dead storage, follow their recurrence from the Dataset alone,
    release the reservoir's whole release on each party's own links, and are never negative when enforced."""
    acc = case.agreement["storage_accounts"][0]
    res, shares = acc["reservoir"], acc["shares"]
    bal = ds["account_hm3"].sel(reservoir=res)
    s, s0 = ds["storage_hm3"].sel(reservoir=res).values, ds["storage_start_hm3"].sel(reservoir=res).values
    np.testing.assert_allclose(bal.sel(party=list(shares)).sum("party").values,
                               s - float(ds["dead_storage_hm3"].sel(reservoir=res)), atol=TOL)
    out_links = [str(k) for k in ds["link"].values if str(ds["link_source"].sel(link=k).item()) == res]
    release = ds["flow_hm3"].sel(link=out_links).sum("link").values + ds["spill_hm3"].sel(reservoir=res).values
    rel = ds["account_release_hm3"].sel(reservoir=res)
    ev, evap = ds["account_evaporation_hm3"].sel(reservoir=res), ds["evaporation_hm3"].sel(reservoir=res).values
    np.testing.assert_allclose(ev.sel(party=list(shares)).sum("party").values, evap, atol=TOL)
    np.testing.assert_allclose(rel.sel(party=list(shares)).sum("party").values, release, atol=TOL)
    for p, share in shares.items():
        b, start, rp = bal.sel(party=p).values, ds["account_start_hm3"].sel(reservoir=res, party=p).values, \
            rel.sel(party=p).values
        ev_p = ev.sel(party=p).values
        np.testing.assert_allclose(b, start + share * (s - s0 + release + evap) - ev_p - rp, atol=TOL)
        assert rp.min(initial=0) >= -TOL and ev_p.min(initial=0) >= -TOL
        reach = ds["flow_hm3"].sel(link=acc["release_to"][p]).sum("link").values
        if any(lk in out_links for lk in acc["release_to"][p]):  # an outlet: the spill bypasses it
            reach = reach + ds["spill_hm3"].sel(reservoir=res).values
        assert np.all(rp <= reach + TOL), p
        if enforced:
            assert b.min(initial=0) >= -TOL, (p, b)


def check_diagnosis(case: Case, basin, exc: optimizer.InfeasibleAgreement) -> None:
    c = exc.conflicts
    assert len(c) >= 1, str(exc)
    assert bool((c["shortfall_hm3"] > 0).all()) and float(c["shortfall_hm3"].sum()) > 0, c
    reservoirs = {r.node for r in basin.spec.reservoirs}
    for row in c.itertuples():
        if row.kind == "end_storage":
            assert row.rule.removeprefix("end storage ") in reservoirs, row
        elif row.kind == "account":  # an overdrawn storage account: an agreement clause
            acc = case.agreement["storage_accounts"][0]
            assert row.party in acc["shares"] and f" in {acc['reservoir']} " in row.rule, row
        else:
            assert row.rule in case.hard_rule_ids(), row
        assert row.rule in str(exc)
    assert "Traceback" not in str(exc)


def slack(r) -> float:
    """How far an optimum reported by HiGHS may lie above the true one: its dual feasibility tolerance (1e-7
    per hm³, 1,000 times below the smallest cost in the objective, FLOW_COST) times the volumes that could
    move. A case found by the dev profile needs it: keeping a reservoir full through an evaporating month
    evaporates 0.001 hm³ more per hm³ kept, which saves 1e-7 of flow cost downstream per hm³ kept, exactly
    HiGHS's tolerance, so HiGHS stops 39 hm³ × 1e-7 = 3.9e-6 above the optimum that the myopic run found."""
    ds = r.dataset
    volume = float(ds["natural_inflow_hm3"].sum() + ds["demand_hm3"].sum() + ds["capacity_hm3"].sum())
    return 1e-6 + 1e-9 * abs(r.objective) + 1e-7 * volume


def attempt(case: Case, basin, **options):
    """A solved Result, or None when the hard rules cannot hold (the diagnosis is checked)."""
    try:
        r = optimizer.solve(basin, start=case.start, months=case.months, **{"step": case.step, **options})
    except optimizer.InfeasibleAgreement as exc:
        check_diagnosis(case, basin, exc)
        return None
    assert r.manifest["status"] == "optimal"
    check_solution(case, basin, r)
    return r


# found by the dev profile (see slack): no demand, a KZ reservoir that evaporates in December only
EVAPORATION_TIE = Case(
    nodes={"IN1": "inflow", "K1": "reservoir", "B": "border KZ", "Z1": "reservoir KZ", "OUT": "sink KZ",
           "T1": "inflow", "T2": "inflow", "IZ": "inflow KZ"},
    links=[("IN1 -> K1", {"min_flow": 0.0, "min_flow_unit": "m3/s"}), "K1 -> B", "B -> Z1",
           ("Z1 -> OUT", {"min_flow": 0.0, "min_flow_unit": "m3/s"}), "T1 -> K1", "T2 -> K1", "IZ -> B"],
    reservoirs=[reservoir("K1", 341.2, 0.0, 0.0, area_km2_at_dead=0.0, area_km2_at_full=68.24),
                reservoir("Z1", 39.0, 0.0, 0.0, area_km2_at_dead=0.0, area_km2_at_full=3.9)],
    agreement={"quotas": [{"id": "kz_quota", "party": "KZ", "period": "apr-sep", "volume_hm3": 0.0,
                           "receipts": {"links": ["K1_B"]}, "mode": "hard"}]},
    inflow={"IN1": [0.0] * 12, "T1": [0.0] * 12, "T2": [0.0] * 12,
            "IZ": [0.0] * 7 + [39.0, 106.427, 0.0, 27.097, 38.731]},
    evaporation={"K1": [0.0] * 12, "Z1": [0.0] * 11 + [20.0]}, start="2025-03", months=18)


# found in CI (2026-12-04): a KZ-owned reservoir, full, no inflow; the myopic operator relieves KG's empty account
# of its evaporation share in September, which the myopic objective did not charge (RELIEF_PENALTY), so myopic read
# 786 cheaper than the perfect-foresight optimum (result.unpaid_evaporation)
ACCOUNT_RELIEF_MYOPIC = Case(
    nodes={'IN1': 'inflow', 'K1': 'reservoir', 'B': 'border KZ', 'Z1': 'junction KZ', 'Z2': 'junction KZ', 'OUT':
        'sink KZ', 'T1': 'inflow', 'TR1': 'reservoir', 'IZ': 'inflow KZ', 'AQ': 'aquifer', 'DG1': 'demand', 'DG2':
        'demand', 'DZ3': 'demand KZ'},
    links=['IN1 -> K1', 'K1 -> B', 'B -> Z1', 'Z1 -> Z2', 'Z2 -> OUT', 'T1 -> TR1', ('TR1 -> K1', {}), 'IZ -> B',
        ('K1 -> DG1', {'capacity': 15.0, 'capacity_unit': 'm3/s'}), 'K1 -> DG2', 'Z1 -> DZ3'],
    reservoirs=[{'node': 'K1', 'capacity_hm3': 957.8, 'dead_storage_hm3': 0.0, 'initial_storage_hm3': 957.8,
        'area_km2_at_dead': 0.0, 'area_km2_at_full': 191.56}, {'node': 'TR1', 'capacity_hm3': 678.6, 'dead_storage_hm3':
        0.0, 'initial_storage_hm3': 0.0, 'area_km2_at_dead': 0.0, 'area_km2_at_full': 135.72}],
    demands=[{'node': 'DG1', 'party': 'KG', 'sector': 'irrigation', 'priority': 5}, {'node': 'DG2', 'party': 'KG',
        'sector': 'irrigation', 'priority': 3, 'return_fraction': 0.205, 'return_node': 'B'}, {'node': 'DZ3', 'party':
        'KZ', 'sector': 'irrigation', 'priority': 1, 'return_fraction': 0.022, 'return_node': 'AQ'}],
    agreement={'share_rules': [{'id': 'border_share', 'resource_inflows': ['IN1', 'T1'], 'period': 'apr-sep',
        'shares': {'KZ': 0.55, 'KG': 0.45}, 'receipts': {'KZ': {'links': ['K1_B']}, 'KG': {'links': ['K1_DG1',
        'K1_DG2']}}, 'enforce': ['KZ'], 'mode': 'soft', 'tolerance': 0.0, 'penalty': 0.0}], 'quotas': [{'id':
        'kz_quota', 'party': 'KZ', 'period': 'year', 'volume_hm3': 0.0, 'receipts': {'links': ['K1_B']}, 'mode': 'soft',
        'tolerance': 0.1, 'penalty': 5.0}], 'storage_accounts': [{'id': 'accounts', 'reservoir': 'K1', 'shares': {'KZ':
        0.88, 'KG': 0.12}, 'initial_balance_hm3': {'KZ': 957.8, 'KG': 0.0}, 'release_to': {'KZ': ['B_Z1'], 'KG':
        ['B_Z1']}}]},
    inflow={'IN1': [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], 'T1': [0.0, 0.0, 0.0, 0.0, 0.0,
        0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], 'IZ': [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]},
    demand={'DG1': [1.04, 0.333, 0.0, 160.034, 0.0, 0.0, 206.708, 0.0, 317.963, 0.0, 384.936, 0.0], 'DG2': [294.801,
        0.0, 0.0, 359.209, 0.0, 122.14, 0.0, 296.253, 107.669, 7.875, 0.0, 0.0], 'DZ3': [0.0, 0.55, 140.611, 2.0, 0.0,
        0.0, 0.0, 255.106, 96.387, 374.045, 20.461, 282.459]},
    evaporation={'K1': [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 150.0, 0.0, 0.0, 0.0], 'TR1': [0.0, 0.0, 0.0, 0.0,
        0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]},
    aquifers=[{'node': 'AQ', 'recession_per_month': 0.05, 'initial_storage_hm3': 0.0, 'discharge_to': 'K1'}],
    node_fields={'T1': {'channel_fraction': 0.5, 'recharge_to': 'AQ'}},
    start='2025-06',
    months=24,
    step='month',)


@example(case=EVAPORATION_TIE)
@example(case=ACCOUNT_RELIEF_MYOPIC)
@given(case=cases())
def test_random_valid_networks_solve_consistently(case):
    note(repr(case))
    basin = case.basin()  # must validate: the generator only builds valid basins
    assert basin.spec.nodes and len(basin.spec.nodes) == len(case.nodes)

    perfect = attempt(case, basin)  # end storage >= initial
    free = attempt(case, basin, end_storage="free")
    myopic = attempt(case, basin, foresight="myopic")
    event(f"perfect foresight: {'solved' if perfect else 'infeasible agreement'}")
    event(f"myopic: {'solved' if myopic else 'infeasible agreement'}")

    if perfect is not None:  # relaxing the end storage cannot hurt
        assert free is not None
        assert free.objective <= perfect.objective + slack(free), (free.objective, perfect.objective)
    if free is None:  # the myopic allocation would be feasible for the perfect-foresight LP
        assert myopic is None
    elif myopic is not None:
        assert free.objective <= myopic.objective + slack(free), (free.objective, myopic.objective)

    # status quo: rules only reported, free end storage: always solvable on these networks
    sq = optimizer.solve(basin, start=case.start, months=case.months, step=case.step, operation="status-quo",
                         end_storage="free")
    check_solution(case, basin, sq)

    # without storage every step stands alone and a dekad is its month scaled by its days (series spread in
    # proportion to days, capacities and minimum flows by the step's days): the dekad optimum aggregated is a
    # month optimum, so both runs are feasible or not together and their optima are equal
    if case.step == "dekad" and not case.has_storage:
        monthly = attempt(dataclasses.replace(case, step="month"), basin)
        event(f"dekad vs month: {'both solved' if monthly and perfect else 'both infeasible'}")
        assert (monthly is None) == (perfect is None), (monthly, perfect)
        if monthly is not None and perfect is not None:
            assert abs(perfect.objective - monthly.objective) <= slack(perfect) + slack(monthly), \
                (perfect.objective, monthly.objective)


def test_generator_builds_every_feature():
    """The strategy reaches the features the properties are about (a guard against a generator that
    silently stops producing, e.g., reservoirs or return flows after an edit)."""
    from hypothesis import HealthCheck, find, settings

    seen: set[str] = set()

    @settings(max_examples=400, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(case=cases())
    def collect(case):
        seen.update({"reservoir"} if case.reservoirs else set())
        seen.update({"return flow"} if any("return_node" in d for d in case.demands) else set())
        seen.update({"KG demand"} if any(d["party"] == "KG" for d in case.demands) else set())
        seen.update({"KZ demand"} if any(d["party"] == "KZ" for d in case.demands) else set())
        seen.update({"m3/s capacity"} if any(isinstance(lk, tuple) and lk[1].get("capacity_unit") == "m3/s"
                                             for lk in case.links) else set())
        seen.update(f"{r.get('mode', 'hard')} share" for r in case.agreement.get("share_rules", []))
        seen.update({"quota"} if "quotas" in case.agreement else set())
        seen.update({"storage split"} if "storage_splits" in case.agreement else set())
        seen.update({"24 months"} if case.months == 24 else set())
        seen.update({"1 month"} if case.months == 1 else set())
        seen.update({"zero inflow"} if any(0.0 in v for v in case.inflow.values()) else set())
        seen.update({"aquifer"} if case.aquifers else set())
        seen.update({"recharge_to"} if any("recharge_to" in v for v in case.node_fields.values()) else set())
        seen.update({"loss_to"} if any(not isinstance(lk, str) and "loss_to" in lk[1] for lk in case.links) else set())
        seen.update({"return to aquifer"} if any(d.get("return_node") == "AQ" for d in case.demands) else set())
        seen.update({"storage accounts"} if case.agreement.get("storage_accounts") else set())
        seen.update({"dekad"} if case.step == "dekad" else set())

    collect()
    assert seen >= {"reservoir", "return flow", "KG demand", "KZ demand", "m3/s capacity", "hard share",
                    "soft share", "quota", "storage split", "1 month", "zero inflow", "aquifer", "recharge_to",
                    "loss_to", "return to aquifer", "storage accounts", "dekad"}, seen
    # the rarest feature, a dekad run without storage (the dekad-vs-month property), searched for on its own: in the
    # census above it came up in 400 cases when this file ran alone but not always in the whole suite (2026-12-03)
    found = find(cases(), lambda c: c.step == "dekad" and not c.has_storage,
                 settings=settings(max_examples=5000, derandomize=True, database=None, deadline=None,
                                   suppress_health_check=list(HealthCheck)))
    assert found.step == "dekad" and not found.reservoirs and not found.aquifers
