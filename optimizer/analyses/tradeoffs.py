r"""Trade-offs between the parties: ε-constraint frontiers, alternative agreements, value of each clause.

Frontier of Kazakhstan's receipts against Kyrgyzstan's deliveries (:func:`pareto`)
------------------------------------------------------------------------------------

Definitions (over the whole horizon, hm³):

* **KZ receipts** ``G`` = the receipts of party KZ under the basin's *first share rule*: flow delivered
  by its KZ receipt links plus the natural inflow of its KZ receipt inflow nodes (Chu: W-BChK tail,
  Georgievka canal, the Chu at the border, KZ-side tributaries; Talas: the Talas at the border). This is
  ``Result.dataset["received_hm3"].sel(party="KZ").sum()`` of a normal solve.
* **KG deliveries** ``P`` = Σ over the months and the KG demand nodes of the delivery ``q[d, t]``
  (``Result.dataset["delivery_hm3"]`` where ``demand_party == "KG"``).

For each ε of a grid, one LP::

    stage 1:  V(ε) = max P   subject to   G ≥ ε   and every physical equation of the main LP
    stage 2:  min (main LP cost)   subject to   G ≥ ε,  P ≥ V(ε) − 10⁻⁶

Stage 1 gives the exact frontier value V(ε) (reported as ``kg_delivery_hm3``; the ε-row's dual is
``price``: hm³ of KG delivery lost per extra hm³ guaranteed to KZ, the frontier's slope). Stage 2 picks,
among the allocations on the frontier, the one the main LP would choose (KZ demands, minimum flows,
spill and the tie-break cost as in :mod:`optimizer.core.model`); its ledger and Dataset are returned.

"Other physics identical": the LP is :func:`optimizer.core.model.build` itself (mass balances, evaporation,
capacities, storage bounds, end-of-horizon storage, soft minimum flows); only the objective is replaced
and two rows (``G ≥ ε``, ``P ≥ floor``) are added, on a persistent HiGHS model whose ε, floor and
objective weights are mutable Params — the grid is solved by changing those numbers and re-solving.

**Agreement rules are dropped** by default (``rules="none"``: every agreement row gets a free slack at no
cost, exactly as in status-quo operation): the frontier is the physical trade-off. The agreement's point
(the ordinary :func:`optimizer.solve` result, rules enforced) is feasible for every frontier LP with
ε ≤ its KZ receipts, so it lies on or below the frontier. ``rules="hard"`` keeps the hard rules (soft
rules are then free in stage 1 and priced in stage 2): the frontier *within* the hard agreement.

The grid runs from the least to the most KZ receipts physically attainable (both found on the same LP,
minimising/maximising G) in ``points`` equal steps, plus the agreement point's own KZ receipts (row
``kind == "agreement"``), so that V there is solved, not interpolated. V is concave and non-increasing
in ε; below the "knee" it is flat at KG's physical maximum.

The same machinery gives the energy frontier (:func:`energy_frontier`, see :mod:`optimizer.analyses.hydropower`).

Alternative agreements (:func:`alternatives`) and clause values (:func:`clause_values`) re-solve the main
LP on modified copies of the basin spec (``basin.spec.model_copy(deep=True)``, re-validated through
``basins.loads(basins.dumps(b, inline=True))``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

import basins
from basins import Basin
from basins.schema import Quota, ShareRule

from optimizer.core.agreement import SEASON_MONTHS, Row
from optimizer.core.errors import InfeasibleAgreement, PhysicallyInfeasible, SolveError, SolverFailure, SolverLimit

# Pyomo, HiGHS and the model/result modules are imported inside the functions that need them, so that
# ``chutalas`` (which registers this module's add_arguments/run) starts without loading Pyomo.
if TYPE_CHECKING:
    import xarray as xr

    from optimizer.core.model import Inputs

UPSTREAM, DOWNSTREAM = "KG", "KZ"
FLOOR_TOL = 1e-6  # hm³ (or GWh) given up from V(ε) in stage 2, so that stage 2 stays feasible in floating point
PRICE_TOL = 1e-7  # a dual below this is "not binding"

RULES_DOC = {
    "none": "all agreement rules dropped (every row has a free slack at no cost): the physical trade-off",
    "hard": "hard agreement rules kept; soft rules free in stage 1 and penalised in stage 2",
}


# ---- helpers -------------------------------------------------------------------------------------

def _basin(basin: Basin | str) -> Basin:
    return basins.load(basin) if isinstance(basin, str) else basin


def _first_share_rule(basin: Basin) -> ShareRule:
    rules = basin.spec.agreement.share_rules
    if not rules:
        raise ValueError(f"basin {basin.id!r} has no share rule: KZ receipts are defined by the first share rule")
    if DOWNSTREAM not in rules[0].receipts:
        raise ValueError(f"the first share rule {rules[0].id!r} names no receipts for {DOWNSTREAM}")
    return rules[0]


def _horizon_inputs(basin: Basin, year_type: str, start: str, months: int, end_storage) -> Inputs:
    from optimizer.core.model import make_inputs
    from optimizer.core.solver import horizon, inflow_series

    times = horizon(start, months)
    return make_inputs(basin, times, inflow_series(basin, times, year_type), end_storage=end_storage)


def _receipts_expr(m, receipt, steps):
    """Σ over ``steps`` of a Receipt's delivered link flows plus natural inflow at its inflow nodes."""
    return sum(m.delivered[lk, t] for t in steps for lk in receipt.links) + \
        sum(m.inflow[n, t] for t in steps for n in receipt.inflows)


def _party_delivery_expr(m, basin: Basin, party: str):
    return sum(m.q[d.node, t] for d in basin.spec.demands if d.party == party for t in m.T)


def receipts(ds: xr.Dataset, basin: Basin, party: str, months: tuple[int, ...] | None = None) -> float:
    """A party's receipts [hm³] under the basin's first share rule, over the horizon (or its ``months``)."""
    from optimizer.core import result as res

    rule = _first_share_rule(basin)
    row = Row(rule.id, "share", party, None, rule.receipts[party], rule.mode, 0.0, 0.0)
    monthly = res.Accounts(ds).received(row)
    if months is not None:
        monthly = monthly[np.isin(pd.DatetimeIndex(ds["time"].values).month, months)]
    return float(monthly.sum())


def party_totals(ds: xr.Dataset, party: str) -> dict[str, float]:
    """Demand, delivery and shortage of a party's demand nodes over the horizon [hm³]."""
    sel = ds["demand_party"] == party
    return {k: float(ds[f"{k}_hm3"].where(sel, 0).sum()) for k in ("demand", "delivery", "shortage")}


# ---- the ε-constraint LP -------------------------------------------------------------------------

@dataclass
class _Run:
    status: str
    primary: float = np.nan
    metric: float = np.nan
    dual: float = np.nan
    objective: float = np.nan
    solution: object = None  # optimizer.core.result.Solution


class EpsilonLP:
    """The main LP of ``inp`` with an ε-row and a floor row on ONE persistent HiGHS model::

        min  a·(−P) + b·(main LP cost) + c·G
        s.t. G ≥ ε,   P ≥ floor,   every row of optimizer.core.model.build(inp)

    ``a, b, c, ε, floor`` are mutable Params: every solve only rewrites them. ``primary(m)`` and
    ``metric(m)`` return the linear expressions P and G; ``extend(m)`` may first add components
    (e.g. turbine-flow variables). Components added here are named ``tr_*``."""

    def __init__(self, inp: Inputs, primary: Callable, metric: Callable, extend: Callable | None = None):
        import pyomo.environ as pyo
        from optimizer.core.highs_adapter import PersistentLP

        from optimizer.core.model import build

        t0 = time.perf_counter()
        self.inp = inp
        m = build(inp)
        if extend is not None:
            extend(m)
        P = dict(mutable=True, within=pyo.Reals)
        m.tr_P = pyo.Expression(expr=primary(m))
        m.tr_G = pyo.Expression(expr=metric(m))
        m.tr_eps = pyo.Param(initialize=0.0, **P)
        m.tr_floor = pyo.Param(initialize=0.0, **P)
        m.tr_a = pyo.Param(initialize=1.0, **P)
        m.tr_b = pyo.Param(initialize=0.0, **P)
        m.tr_c = pyo.Param(initialize=0.0, **P)
        m.tr_eps_row = pyo.Constraint(expr=m.tr_G >= m.tr_eps)
        m.tr_floor_row = pyo.Constraint(expr=m.tr_P >= m.tr_floor)
        m.cost.deactivate()
        m.tr_obj = pyo.Objective(expr=-m.tr_a * m.tr_P + m.tr_b * m.cost.expr + m.tr_c * m.tr_G,
                                 sense=pyo.minimize)
        self.m, self.lp = m, PersistentLP(m)
        self.build_s = time.perf_counter() - t0
        self.solve_s = 0.0
        self.solves = 0

    def solve(self, *, a=0.0, b=0.0, c=0.0, eps=0.0, floor=0.0, time_limit: float | None = 60.0,
              extract: bool = False) -> _Run:
        from optimizer.core.highs_adapter import TerminationCondition

        m = self.m
        m.tr_a, m.tr_b, m.tr_c, m.tr_eps, m.tr_floor = a, b, c, eps, floor
        # cold start each time (as optimizer.core.solver does): results do not depend on what was solved before
        t0 = time.perf_counter()
        r = self.lp.solve(time_limit, cold=True)
        self.solve_s += time.perf_counter() - t0
        self.solves += 1
        tc = r.termination_condition
        if tc in (TerminationCondition.provenInfeasible, TerminationCondition.infeasibleOrUnbounded):
            return _Run("infeasible")
        if tc in (TerminationCondition.maxTimeLimit, TerminationCondition.iterationLimit):
            raise SolverLimit(f"HiGHS stopped at its limit ({tc.name}, time limit {time_limit} s) on a frontier point")
        if tc != TerminationCondition.convergenceCriteriaSatisfied:
            raise SolverFailure(f"HiGHS ended with status {tc.name} on a frontier point")
        prim = self.lp.values()
        out = _Run("optimal", primary=_eval(m.tr_P.expr, prim), metric=_eval(m.tr_G.expr, prim),
                   dual=float(self.lp.duals([m.tr_eps_row])[m.tr_eps_row]), objective=float(r.incumbent_objective))
        if extract:
            from optimizer.core.solver import _extract

            out.solution = _extract(m, self.lp, self.inp)
            out.solution.objective = out.objective
        return out


def _clean_dual(y: float) -> float:
    return 0.0 if abs(y) < 1e-12 else float(y)


def _agreement_run(basin: Basin, year_type: str, start: str, months: int, end_storage, time_limit):
    """The ordinary solve() of the basin (rules enforced), or the InfeasibleAgreement it raised."""
    from optimizer.core.solver import solve

    try:
        return solve(basin, year_type, start=start, months=months, end_storage=end_storage, time_limit=time_limit)
    except InfeasibleAgreement as exc:
        return exc


def _eval(expr, prim) -> float:
    """Value of a linear Pyomo expression at the primal values ``prim`` (a ComponentMap var → value)."""
    from pyomo.repn import generate_standard_repn

    repn = generate_standard_repn(expr, compute_values=True)
    return float(repn.constant + sum(c * prim[v] for c, v in zip(repn.linear_coefs, repn.linear_vars)))


# ---- frontier ------------------------------------------------------------------------------------

@dataclass
class Frontier:
    """An ε-constraint frontier.

    ``table``: one row per point, sorted by eps (columns depend on the frontier, always ``point``, ``kind``
    (``grid`` / ``agreement``), ``eps``, ``objective``, ``status``). ``ledgers``: the compliance ledger of
    every point's (stage-2) allocation against the basin's agreement rules, long format with ``point`` and
    ``eps`` first (``shadow_price`` is NaN: the rules are not rows of the frontier LP). ``agreement``: the
    ordinary solve()'s point (None if the agreement is infeasible). ``x``/``y``: the table columns of the
    frontier's axes. ``allocations``: point → Dataset."""

    table: pd.DataFrame
    ledgers: pd.DataFrame
    agreement: dict | None
    definitions: dict
    x: str
    y: str
    allocations: dict[int, xr.Dataset] = field(default_factory=dict, repr=False)
    timings: dict = field(default_factory=dict)

    def value_at(self, eps: float) -> float:
        """The frontier value V at ``eps``, linearly interpolated between solved points (a lower bound
        of V between them, V being concave; exact at solved points)."""
        ok = self.table[self.table["status"] == "optimal"].sort_values("eps")
        return float(np.interp(eps, ok["eps"].to_numpy(), ok[self.y].to_numpy()))

    def to_dict(self, ledgers: bool = True) -> dict:
        def clean(v):
            if isinstance(v, (np.floating, float)):
                return None if not np.isfinite(v) else float(v)
            if isinstance(v, (np.integer,)):
                return int(v)
            if isinstance(v, (np.bool_,)):
                return bool(v)
            return v

        recs = lambda df: [{k: clean(v) for k, v in r.items()} for r in df.to_dict("records")]  # noqa: E731
        out = {"definitions": self.definitions, "x": self.x, "y": self.y, "frontier": recs(self.table),
               "agreement": None if self.agreement is None else {k: clean(v) for k, v in self.agreement.items()},
               "timings": self.timings}
        if ledgers:
            out["ledgers"] = recs(self.ledgers)
        return out


def _frontier(basin: Basin, inp: Inputs, *, points: int, primary, metric, extend, values, agreement_values,
              x: str, y: str, price: str, definitions: dict, agreement_result, rules: str,
              time_limit) -> Frontier:
    from optimizer.core import result as res

    if int(points) < 2:
        raise ValueError(f"points must be at least 2, got {points}")
    if rules not in RULES_DOC:
        raise ValueError(f"rules must be one of {sorted(RULES_DOC)}, not {rules!r}")
    t_all = time.perf_counter()
    inp.rules_enforced = rules == "hard"
    lp = EpsilonLP(inp, primary, metric, extend)
    lo, hi = lp.solve(c=1.0, time_limit=time_limit), lp.solve(c=-1.0, time_limit=time_limit)
    if lo.status != "optimal" or hi.status != "optimal":
        raise PhysicallyInfeasible(
            "No allocation meets the physical limits" + (" and the hard agreement rules" if rules == "hard" else "")
            + "; the frontier is empty (check storage against evaporation, or use rules='none').")
    eps_lo, eps_hi = lo.metric, hi.metric

    # the agreement's own point (ordinary solve, rules enforced)
    r = agreement_result
    if isinstance(r, InfeasibleAgreement):
        agreement = {"status": "infeasible", "note": str(r).splitlines()[0]}
    else:
        agreement = {**agreement_values(r), "objective": r.objective, "status": "optimal"}

    grid = [(float(e), "grid") for e in np.linspace(eps_lo, eps_hi, int(points))]
    if agreement is not None and agreement.get("status") == "optimal":
        ea = float(agreement[x])
        if eps_lo - 1e-9 <= ea <= eps_hi + 1e-9:
            grid.append((min(max(ea, eps_lo), eps_hi), "agreement"))
    grid.sort(key=lambda g: (g[0], g[1] != "agreement"))

    rows, ledgers, allocations = [], [], {}
    spill_to = lp.m.spill_to
    for i, (eps, kind) in enumerate(grid):
        s1 = lp.solve(a=1.0, eps=eps, time_limit=time_limit)
        if s1.status != "optimal" and eps >= eps_hi - 1e-6 * max(1.0, abs(eps_hi)):
            eps = eps_hi - 1e-6 * max(1.0, abs(eps_hi))  # the top end, within floating-point reach
            s1 = lp.solve(a=1.0, eps=eps, time_limit=time_limit)
        row = {"point": i, "kind": kind, "eps": eps}
        if s1.status != "optimal":
            rows.append({**row, y: np.nan, price: np.nan, "objective": np.nan, "status": s1.status})
            continue
        if abs(s1.primary) < 1e-9:
            s1.primary = 0.0  # not -0.0 or -1e-14 from floating point
        s2 = lp.solve(b=1.0, eps=eps, floor=s1.primary - FLOOR_TOL, time_limit=time_limit, extract=True)
        if s2.status != "optimal":  # cannot happen in exact arithmetic: stage 1's optimum is feasible
            rows.append({**row, y: s1.primary, price: _clean_dual(s1.dual), "objective": np.nan,
                         "status": "stage 2 " + s2.status})
            continue
        ds = res.make_dataset(inp, s2.solution, spill_to)
        allocations[i] = ds
        rows.append({**row, y: s1.primary, **values(ds), price: _clean_dual(s1.dual), "objective": s2.objective,
                     "status": "optimal"})
        led = res.ledger(ds, inp, {})
        led.insert(0, "eps", eps)
        led.insert(0, "point", i)
        ledgers.append(led)
    table = pd.DataFrame(rows)
    cols = ["point", "kind", "eps"] + [c for c in table.columns if c not in ("point", "kind", "eps", "objective",
                                                                            "status")] + ["objective", "status"]
    table = table[cols]
    if agreement is not None and agreement.get("status") == "optimal":
        at = table[(table["kind"] == "agreement") & (table["status"] == "optimal")]
        v = float(at[y].iloc[0]) if len(at) else np.nan
        agreement.update({"frontier_" + y: v, "gap_" + y: v - agreement[y]})
    timings = {"build_s": round(lp.build_s, 4), "solve_s": round(lp.solve_s, 4), "solves": lp.solves,
               "total_s": round(time.perf_counter() - t_all, 4)}
    return Frontier(table, pd.concat(ledgers, ignore_index=True) if ledgers else pd.DataFrame(),
                    agreement, {**definitions, "rules": RULES_DOC[rules], "eps_min": eps_lo, "eps_max": eps_hi},
                    x, y, allocations, timings)


def pareto(basin: Basin | str, year_type: str = "normal", *, points: int = 11, start: str = "2025-01",
           months: int = 12, end_storage="initial", rules: str = "none",
           time_limit: float | None = 60.0) -> Frontier:
    """The exact frontier of KZ's receipts against KG's deliveries (ε-constraint on one persistent LP).

    Returns a :class:`Frontier`; ``table`` columns: point, kind, eps (KZ receipts floor), kg_delivery_hm3
    (= V(eps), the stage-1 optimum), kz_received_hm3 and kg_received_hm3 (first-share-rule receipts of the
    stage-2 allocation), kz_delivery_hm3, kg_shortage_hm3, kz_shortage_hm3, price (hm³ of KG delivery
    lost per extra hm³ for KZ at that eps), objective (main-LP cost of the stage-2 allocation, rules as
    ``rules`` says), status. ``ledgers`` holds each point's compliance ledger. See the module docstring for
    the definitions and the treatment of the agreement rules (dropped by default)."""
    basin = _basin(basin)
    rule = _first_share_rule(basin)
    inp = _horizon_inputs(basin, year_type, start, months, end_storage)
    steps = range(inp.T)

    def values(ds):
        kg, kz = party_totals(ds, UPSTREAM), party_totals(ds, DOWNSTREAM)
        return {"kz_received_hm3": receipts(ds, basin, DOWNSTREAM),
                "kg_received_hm3": receipts(ds, basin, UPSTREAM) if UPSTREAM in rule.receipts else np.nan,
                "kg_shortage_hm3": kg["shortage"], "kz_delivery_hm3": kz["delivery"],
                "kz_shortage_hm3": kz["shortage"]}

    def agreement_values(r):
        ds = r.dataset
        return {"kz_received_hm3": receipts(ds, basin, DOWNSTREAM),
                "kg_delivery_hm3": party_totals(ds, UPSTREAM)["delivery"]}

    definitions = {
        "basin": basin.id, "year_type": year_type, "start": str(inp.times[0].date()), "months": inp.T,
        "end_storage": str(end_storage),
        "x": f"kz_received_hm3: KZ receipts under the first share rule '{rule.id}' over the horizon "
             f"(delivered by links {list(rule.receipts[DOWNSTREAM].links)} + natural inflow at "
             f"{list(rule.receipts[DOWNSTREAM].inflows)}) [hm3]; the frontier is indexed by its floor eps",
        "y": "kg_delivery_hm3: sum of deliveries to the KG demand nodes "
             f"{[d.node for d in basin.spec.demands if d.party == UPSTREAM]} over the horizon [hm3]",
        "method": "stage 1: max KG delivery s.t. KZ receipts >= eps (exact frontier value); stage 2: main-LP "
                  "cost s.t. KZ receipts >= eps and KG delivery >= stage-1 value - 1e-6",
        "price": "dual of the eps row in stage 1: hm3 of KG delivery lost per extra hm3 guaranteed to KZ",
    }
    return _frontier(
        basin, inp, points=points,
        primary=lambda m: _party_delivery_expr(m, basin, UPSTREAM),
        metric=lambda m: _receipts_expr(m, rule.receipts[DOWNSTREAM], steps),
        extend=None, values=values, agreement_values=agreement_values,
        x="kz_received_hm3", y="kg_delivery_hm3", price="price", definitions=definitions,
        agreement_result=_agreement_run(basin, year_type, start, months, end_storage, time_limit),
        rules=rules, time_limit=time_limit)


def energy_frontier(basin: Basin | str, year_type: str = "normal", *, points: int = 11, start: str = "2025-01",
                    months: int = 12, end_storage="initial", rules: str = "none", kg_delivery_floor=None,
                    plants=None, time_limit: float | None = 60.0) -> Frontier:
    """Winter (Oct–Mar) energy of the KG plants against KZ's Apr–Sep receipts; see
    :func:`optimizer.analyses.hydropower.energy_frontier`.

    ``kg_delivery_floor``: None (KG's own irrigation is free to give way to winter energy), ``"agreement"``
    (KG deliveries at least those of the agreement run) or a volume [hm³] over the horizon."""
    import pyomo.environ as pyo

    from optimizer.analyses import hydropower as hp

    basin = _basin(basin)
    rule = _first_share_rule(basin)
    plist = hp.plants_of(basin, plants)
    if not plist:
        raise ValueError(f"basin {basin.id!r} has no hydropower plant (known: "
                         f"{', '.join(p.reservoir for p in (plants or hp.PLANTS).values())})")
    inp = _horizon_inputs(basin, year_type, start, months, end_storage)
    summer = [t for t, ts in enumerate(inp.times) if ts.month in hp.SUMMER]
    winter = [t for t, ts in enumerate(inp.times) if ts.month in hp.WINTER]
    if not summer or not winter:
        raise ValueError("the horizon needs both Apr–Sep and Oct–Mar months for the energy frontier")
    pl = {p.id: p for p in plist}
    agreement_result = _agreement_run(basin, year_type, start, months, end_storage, time_limit)
    if kg_delivery_floor is None:
        kg_floor = None
    elif kg_delivery_floor == "agreement":
        if isinstance(agreement_result, InfeasibleAgreement):
            raise ValueError("kg_delivery_floor='agreement' needs a feasible agreement run") from agreement_result
        kg_floor = party_totals(agreement_result.dataset, UPSTREAM)["delivery"] - FLOOR_TOL
    else:
        kg_floor = float(kg_delivery_floor)

    def extend(m):
        out_links = {p.id: [lk.id for lk in basin.spec.links if lk.source == p.reservoir] for p in plist}
        m.tr_PL = pyo.Set(initialize=list(pl), ordered=True)
        m.tr_umax = pyo.Param(m.tr_PL, m.T, mutable=True, within=pyo.Reals,
                              initialize={(p.id, t): float(v) for p in plist
                                          for t, v in enumerate(p.turbine_limit_hm3(inp.times))})
        m.tr_u = pyo.Var(m.tr_PL, m.T, bounds=lambda m, p, t: (0, m.tr_umax[p, t]))
        m.tr_turbine = pyo.Constraint(m.tr_PL, m.T, rule=lambda m, p, t: m.tr_u[p, t] <= sum(
            m.x[lk, t] for lk in out_links[p]))
        if kg_floor is not None:
            m.tr_kg_floor = pyo.Param(initialize=kg_floor, mutable=True, within=pyo.Reals)
            m.tr_kg_row = pyo.Constraint(expr=_party_delivery_expr(m, basin, UPSTREAM) >= m.tr_kg_floor)

    def values(ds):
        e = hp.seasonal_energy(ds, pl)
        return {"kz_summer_hm3": receipts(ds, basin, DOWNSTREAM, hp.SUMMER),
                "summer_energy_gwh": e["summer_energy_gwh"], "annual_energy_gwh": e["annual_energy_gwh"],
                "kg_delivery_hm3": party_totals(ds, UPSTREAM)["delivery"],
                "kz_received_hm3": receipts(ds, basin, DOWNSTREAM)}

    def agreement_values(r):
        e = hp.seasonal_energy(r, pl)
        return {"kz_summer_hm3": receipts(r.dataset, basin, DOWNSTREAM, hp.SUMMER), **e,
                "kg_delivery_hm3": party_totals(r.dataset, UPSTREAM)["delivery"]}

    definitions = {
        "basin": basin.id, "year_type": year_type, "start": str(inp.times[0].date()), "months": inp.T,
        "end_storage": str(end_storage),
        "plants": {p.id: {"reservoir": p.reservoir, "factor_gwh_per_hm3": p.factor_gwh_per_hm3,
                          "turbine_limit_m3s": p.turbine_limit_m3s, "head_m": p.head_m,
                          "efficiency": p.efficiency, "capacity_mw": p.capacity_mw} for p in plist},
        "x": f"kz_summer_hm3: KZ receipts under the first share rule '{rule.id}' in the horizon's Apr-Sep "
             "months [hm3]; the frontier is indexed by its floor eps",
        "y": "winter_energy_gwh: sum over the plants and the horizon's Oct-Mar months of k * min(release, "
             "turbine limit) [GWh]; release = flow entering the reservoir's outgoing link(s)",
        "kg_delivery_floor": "none: KG irrigation may give way to winter energy" if kg_floor is None else
                             f"KG deliveries >= {kg_floor:.6g} hm3 over the horizon ({kg_delivery_floor})",
        "method": "stage 1: max winter energy s.t. KZ Apr-Sep receipts >= eps; stage 2: main-LP cost s.t. "
                  "the same and winter energy >= stage-1 value - 1e-6",
        "price": "price_gwh_per_hm3: dual of the eps row in stage 1: GWh of winter energy lost per extra hm3 "
                 "of Apr-Sep water guaranteed to KZ",
    }
    return _frontier(
        basin, inp, points=points,
        primary=lambda m: sum(pl[p].factor_gwh_per_hm3 * m.tr_u[p, t] for p in m.tr_PL for t in winter),
        metric=lambda m: _receipts_expr(m, rule.receipts[DOWNSTREAM], summer),
        extend=extend, values=values, agreement_values=agreement_values,
        x="kz_summer_hm3", y="winter_energy_gwh", price="price_gwh_per_hm3", definitions=definitions,
        agreement_result=agreement_result, rules=rules, time_limit=time_limit)


# ---- alternative agreements ----------------------------------------------------------------------

#: Commission Apr–Sep plans of water to KZ [hm³] (facts sheet §3, "Commission plans vs actual").
COMMISSION_PLANS: dict[str, dict[int, tuple[float, str]]] = {
    "chu": {2023: (154.0, "[D] 2023 plan [70]"), 2024: (180.0, "[P 71] 2024 plan"),
            2025: (625.0 * 180 / 560, "[E] the 2025 plan is published only as 625 hm3 for Chu+Talas [P 73]; "
                                      "split in proportion to the 2024 plans (180 : 380)")},
    "talas": {2023: (344.7, "[P 70] 2023 plan, Apr-Sep"), 2024: (380.0, "[P 71] 2024 plan"),
              2025: (625.0 * 380 / 560, "[E] the 2025 plan is published only as 625 hm3 for Chu+Talas [P 73]; "
                                        "split in proportion to the 2024 plans (180 : 380)")},
}
#: KG's stated growing-season split of the Chu (Deputy Minister Sokeyev, 2024) [P 60, secondary source].
KG_CLAIM_APR_SEP = {"KG": 0.80, "KZ": 0.20}


def _revalidate(basin: Basin, spec, label: str) -> Basin:
    """A Basin from a modified spec, validated as an upload would be (YAML round trip, series inline)."""
    b = Basin(spec, basin.inflow, basin.demand, basin.evaporation)
    return basins.loads(basins.dumps(b, inline=True), file=f"<{basin.id}: {label}>")


def kg_claim(basin: Basin | str, keep_quotas: bool = True) -> Basin:
    """The basin with each share rule replaced by two: Apr–Sep with KG 80 % / KZ 20 % (KG's stated claim),
    Oct–Mar with the rule's own (1983) shares — for the Chu 58/42 as stated; the Talas rule's 50/50 by
    analogy (the claim was stated for the Chu). Storage splits are unchanged; KZ's Apr–Sep quotas (the
    Regulation's vegetation entitlement) are kept, or dropped with ``keep_quotas=False`` (the claimed
    growing-season split would supersede them)."""
    basin = _basin(basin)
    spec = basin.spec.model_copy(deep=True)
    if not keep_quotas:
        spec.agreement.quotas = [q for q in spec.agreement.quotas
                                 if not (q.party == DOWNSTREAM and q.period == "apr-sep")]
    new = []
    for r in spec.agreement.share_rules:
        summer = r.model_copy(deep=True)
        summer.id, summer.period = f"{r.id}_apr_sep", "apr-sep"
        summer.shares = {p: KG_CLAIM_APR_SEP[p] for p in r.shares}
        summer.description = "KG claim: growing season (Apr-Sep) KG 80 % / KZ 20 %"
        summer.source = "[P 60] (secondary source); scenario"
        winter = r.model_copy(deep=True)
        winter.id, winter.period = f"{r.id}_oct_mar", "oct-mar"
        winter.description = f"KG claim: outside the growing season (Oct-Mar) the 1983 shares of {r.id}"
        new += [summer, winter]
    spec.agreement.share_rules = new
    return _revalidate(basin, spec, "KG claim 80/20 Apr-Sep" + ("" if keep_quotas else ", no Apr-Sep quota"))


def commission_schedule(basin: Basin | str, year: int) -> Basin:
    """The basin with KZ's Apr–Sep quota set to the Commission's plan of ``year`` (:data:`COMMISSION_PLANS`);
    the quota keeps its receipts, mode and penalty (one is added, hard, if the basin has none)."""
    basin = _basin(basin)
    plans = COMMISSION_PLANS.get(basin.id, {})
    if year not in plans:
        raise ValueError(f"no Commission plan for {basin.id!r} in {year} (known: {sorted(plans)})")
    volume, src = plans[year]
    spec = basin.spec.model_copy(deep=True)
    quotas = [q for q in spec.agreement.quotas if q.party == DOWNSTREAM and q.period == "apr-sep"]
    if quotas:
        for q in quotas:
            q.volume_hm3 = round(volume, 3)
            q.description = f"Commission {year} schedule: KZ Apr-Sep plan"
            q.source = src
    else:
        rule = _first_share_rule(basin)
        spec.agreement.quotas = list(spec.agreement.quotas) + [Quota(
            id=f"commission_{year}_kz", description=f"Commission {year} schedule: KZ Apr-Sep plan",
            party=DOWNSTREAM, period="apr-sep", volume_hm3=round(volume, 3), receipts=rule.receipts[DOWNSTREAM],
            mode="hard", source=src)]
    return _revalidate(basin, spec, f"Commission {year}")


def variants(basin: Basin | str) -> dict[str, tuple[str, Basin]]:
    """The alternative agreements on the same basin and inflows: name → (description, Basin)."""
    basin = _basin(basin)
    out = {"1983": ("1983 Regulation as in the basin file (baseline)", _revalidate(basin, basin.spec, "1983"))}
    if basin.spec.agreement.share_rules:
        shares = "/".join(f"{basin.spec.agreement.share_rules[0].shares.get(p, 0):.0%}" for p in (UPSTREAM, DOWNSTREAM))
        out["kg_claim"] = (f"KG claim: Apr-Sep KG/KZ 80/20, Oct-Mar 1983 shares ({shares}); other clauses kept",
                           kg_claim(basin))
        if any(q.party == DOWNSTREAM and q.period == "apr-sep" for q in basin.spec.agreement.quotas):
            out["kg_claim_no_quota"] = ("KG claim as above, and KZ's Apr-Sep quota dropped (superseded by the "
                                        "claimed growing-season split)", kg_claim(basin, keep_quotas=False))
    for year, (vol, src) in sorted(COMMISSION_PLANS.get(basin.id, {}).items()):
        out[f"commission_{year}"] = (f"Commission {year} schedule: KZ Apr-Sep quota {vol:,.1f} hm3 {src.split(' ')[0]}",
                                     commission_schedule(basin, year))
    return out


def _outcome(r, base: Basin) -> dict:
    """Receipts (first share rule of the baseline ``base``), seasonal split, deliveries and shortages."""
    ds = r.dataset
    rule = _first_share_rule(base)
    month = pd.DatetimeIndex(ds["time"].values).month
    resource = ds["natural_inflow_hm3"].sel(node=list(rule.resource_inflows)).sum("node").values
    summer_res = float(resource[np.isin(month, SEASON_MONTHS["apr-sep"])].sum())
    kz_s = receipts(ds, base, DOWNSTREAM, SEASON_MONTHS["apr-sep"])
    kg, kz = party_totals(ds, UPSTREAM), party_totals(ds, DOWNSTREAM)
    led = r.ledger
    binding = led[led["shadow_price"].fillna(0) > PRICE_TOL]
    return {
        "kz_received_hm3": receipts(ds, base, DOWNSTREAM),
        "kg_received_hm3": receipts(ds, base, UPSTREAM) if UPSTREAM in rule.receipts else np.nan,
        "kz_apr_sep_hm3": kz_s, "kz_apr_sep_share": kz_s / summer_res if summer_res > 0 else np.nan,
        "kz_oct_mar_hm3": receipts(ds, base, DOWNSTREAM, SEASON_MONTHS["oct-mar"]),
        "kg_delivery_hm3": kg["delivery"], "kg_shortage_hm3": kg["shortage"],
        "kz_delivery_hm3": kz["delivery"], "kz_shortage_hm3": kz["shortage"],
        "unmet_rules": "; ".join(f"{x.rule}|{x.party}|{x.period}" for x in led[~led["met"] & (led["mode"].isin(
            ["hard", "soft"]))].itertuples()),
        "binding": "; ".join(f"{x.rule}|{x.party}|{x.period} ({x.shadow_price:.3g})" for x in binding.itertuples()),
        "objective": r.objective,
    }


ALT_DELTAS = ["kz_received_hm3", "kg_received_hm3", "kz_apr_sep_hm3", "kg_delivery_hm3", "kz_delivery_hm3",
              "kg_shortage_hm3", "kz_shortage_hm3"]


def alternatives(basin: Basin | str, year_type: str = "normal", *, start: str = "2025-01", months: int = 12,
                 end_storage="initial", time_limit: float | None = 60.0) -> pd.DataFrame:
    """Each alternative agreement (:func:`variants`) solved on the same inflows as the 1983 baseline.

    One row per variant: status, each party's receipts (first share rule of the basin file, whatever the
    variant's rules), KZ's Apr–Sep receipts and their share of the Apr–Sep resource, KZ's Oct–Mar
    receipts, each party's delivery and shortage, the binding rule rows (shadow price) and rows not met,
    the objective, and ``d_<column>`` = variant − 1983 baseline (what the change gives one party and costs
    the other). An infeasible variant has status ``infeasible`` and the conflicting rows in ``binding``."""
    from optimizer.core.solver import solve

    basin = _basin(basin)
    rows = []
    for name, (desc, b) in variants(basin).items():
        row = {"variant": name, "description": desc}
        try:
            r = solve(b, year_type, start=start, months=months, end_storage=end_storage, time_limit=time_limit)
            row.update(status="optimal", **_outcome(r, basin))
        except InfeasibleAgreement as exc:
            row.update(status="infeasible", binding="; ".join(
                f"{c.rule}|{c.party}|{c.period} short {c.shortfall_hm3:.1f}" for c in exc.conflicts.itertuples()))
        rows.append(row)
    df = pd.DataFrame(rows)
    base = df.iloc[0]
    for c in ALT_DELTAS:
        if c in df:
            df[f"d_{c}"] = df[c] - base[c]
    df.insert(2, "year_type", year_type)
    return df


# ---- value of each clause ------------------------------------------------------------------------

def _clauses(basin: Basin) -> list[tuple[str, str, list[str]]]:
    """(kind, id, protected parties) of every allocation clause (share rules, quotas, storage splits)."""
    ag = basin.spec.agreement
    return ([("share", r.id, list(r.enforce)) for r in ag.share_rules]
            + [("quota", q.id, [q.party]) for q in ag.quotas]
            + [("split", s.id, list(s.enforce)) for s in ag.storage_splits])


def without(basin: Basin | str, rule_id: str) -> Basin:
    """The basin with the share rule, quota or storage split ``rule_id`` removed (re-validated)."""
    basin = _basin(basin)
    spec = basin.spec.model_copy(deep=True)
    ag = spec.agreement
    n = len(ag.share_rules) + len(ag.quotas) + len(ag.storage_splits)
    ag.share_rules = [r for r in ag.share_rules if r.id != rule_id]
    ag.quotas = [q for q in ag.quotas if q.id != rule_id]
    ag.storage_splits = [s for s in ag.storage_splits if s.id != rule_id]
    if len(ag.share_rules) + len(ag.quotas) + len(ag.storage_splits) == n:
        raise ValueError(f"basin {basin.id!r} has no rule {rule_id!r}")
    return _revalidate(basin, spec, f"without {rule_id}")


def _margins(ds: xr.Dataset, base: Basin, rule_id: str, inp_rows: list[Row]) -> dict[str, float]:
    """For the enforced rows of ``rule_id`` (LP keys): received − (1 − tolerance)·requirement [hm³]."""
    from optimizer.core import result as res

    acc = res.Accounts(ds)
    out = {}
    for row in inp_rows:
        if row.rule != rule_id or not row.applies:
            continue
        steps = list(row.period.steps)
        received = float(acc.received(row)[steps].sum())
        monthly = acc.requirement(row)
        required = float(monthly[steps].sum()) if monthly is not None else row.volume_hm3 * row.scale
        keep = 1.0 - row.tolerance if row.mode == "soft" else 1.0
        out[row.key] = received - keep * required
    return out


def clause_values(basin: Basin | str, year_type: str = "normal", *, start: str = "2025-01", months: int = 12,
                  end_storage="initial", time_limit: float | None = 60.0) -> pd.DataFrame:
    """The value of each clause: re-solve without it and compare with the full agreement.

    One row per rule (share rule, quota, storage split): kind, the parties it protects (its enforced
    parties), its shadow price in the full solve (sum over its enforced rows of ``Result.ledger``'s
    ``shadow_price``: the cost of asking one more hm³), ``binding``; each party's change in receipts
    (first share rule of the basin file), delivery and shortage when the rule is dropped (positive =
    gain); ``d_objective`` (≤ 0: dropping a constraint cannot raise the cost); the protected rows'
    compliance margin (received − (1−tolerance)·required, hm³) with and without the rule, and
    ``consistent``: LP duality says a binding row's margin cannot become positive without it
    (Σ price·margin ≤ 0), i.e. removing a binding rule does not leave the party it protects better off
    by that rule's own measure."""
    from optimizer.core.solver import solve

    basin = _basin(basin)
    kw = dict(start=start, months=months, end_storage=end_storage, time_limit=time_limit)
    full = solve(basin, year_type, **kw)
    inp = _horizon_inputs(basin, year_type, start, months, end_storage)
    base = _outcome(full, basin)
    led = full.ledger
    rows = []
    for kind, rid, protects in _clauses(basin):
        rl = led[(led["rule"] == rid) & led["mode"].isin(["hard", "soft"])]
        prices = {f"{x.rule}|{x.party}|{x.period}": float(x.shadow_price) for x in rl.itertuples()
                  if np.isfinite(x.shadow_price)}
        before = _margins(full.dataset, basin, rid, inp.rows)
        row = {"rule": rid, "kind": kind, "protects": ",".join(protects),
               "mode": rl["mode"].iloc[0] if len(rl) else "", "shadow_price": sum(prices.values()),
               "binding": any(p > PRICE_TOL for p in prices.values())}
        try:
            r = solve(without(basin, rid), year_type, **kw)
        except InfeasibleAgreement as exc:  # cannot happen: dropping a rule relaxes the LP
            rows.append({**row, "status": f"infeasible: {exc}"})
            continue
        after = _margins(r.dataset, basin, rid, inp.rows)
        o = _outcome(r, basin)
        row.update({f"d_{c}": o[c] - base[c] for c in ALT_DELTAS})
        row.update({
            "d_objective": r.objective - full.objective,
            "margin_before_hm3": sum(before.values()), "margin_after_hm3": sum(after.values()),
            "consistent": sum(prices.get(k, 0.0) * after[k] for k in after) <= 1e-6 * max(1.0, full.objective),
            "status": "optimal"})
        rows.append(row)
    return pd.DataFrame(rows)


# ---- command line: chutalas pareto BASIN --points N [--year-type T] [--json] ------------------------

def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``chutalas pareto`` (wired into optimizer.interfaces.cli by its COMMANDS registry)."""
    p.add_argument("basin", metavar="BASIN_OR_PATH", help="a bundled basin id (chu, talas) or a basin file path")
    p.add_argument("--points", type=int, default=11, metavar="N",
                   help="grid points from the least to the most KZ receipts attainable (>= 2; default 11)")
    p.add_argument("--year-type", default="normal", metavar="T",
                   help="typical year repeated over the horizon: wet, normal, dry, very-dry (default normal)")
    p.add_argument("--start", default="2025-01", metavar="YYYY-MM", help="first month (default 2025-01)")
    p.add_argument("--months", type=int, default=12, metavar="M", help="horizon length in months (default 12)")
    p.add_argument("--rules", choices=sorted(RULES_DOC), default="none",
                   help="none: agreement rules dropped, the physical trade-off (default); "
                        "hard: hard rules kept")
    p.add_argument("--energy", action="store_true",
                   help="instead: KG winter (Oct-Mar) hydropower energy against KZ's Apr-Sep receipts")
    p.add_argument("--hold-kg", action="store_true",
                   help="with --energy: KG deliveries at least those of the agreement run (otherwise KG's own "
                        "irrigation may give way to winter energy)")
    p.add_argument("--json", action="store_true", help="print the frontier, agreement point and ledgers as JSON")


def _fmt(v: float, unit: str = "") -> str:
    if v is None or not np.isfinite(v):
        return "-"
    return (f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.3g}" if abs(v) >= 1e-3 else "0") + unit


def run(args: argparse.Namespace) -> int:
    """``chutalas pareto``: 0 on success, 2 on bad input or when no frontier can be computed."""
    try:
        from optimizer.interfaces.cli import _load
    except ImportError:  # pragma: no cover - the CLI module is always there in the package
        _load = basins.load
    if args.points < 2:
        print("chutalas pareto: --points must be at least 2", file=sys.stderr)
        return 2
    b = _load(args.basin)
    kw = dict(points=args.points, start=args.start, months=args.months, rules=args.rules)
    if args.hold_kg and not args.energy:
        print("chutalas pareto: --hold-kg applies to --energy only", file=sys.stderr)
        return 2
    try:
        if args.energy:
            f = energy_frontier(b, args.year_type, kg_delivery_floor="agreement" if args.hold_kg else None, **kw)
        else:
            f = pareto(b, args.year_type, **kw)
    except (ValueError, SolveError) as exc:
        print(f"chutalas pareto: {exc}", file=sys.stderr)
        return 2
    if args.json:
        json.dump(f.to_dict(), sys.stdout, indent=1, default=str)
        print()
        return 0
    d = f.definitions
    out = sys.stdout
    what = "KG winter energy vs KZ Apr-Sep receipts" if args.energy else "KZ receipts vs KG deliveries"
    print(f"Frontier of {what}: {b.name} [{b.id}], {args.year_type} year, {d['start'][:7]} + {d['months']} months",
          file=out)
    print(f"  rules: {d['rules']}", file=out)
    if args.energy:
        print(f"  KG irrigation: {d['kg_delivery_floor']}", file=out)
    print(f"  x = {d['x']}", file=out)
    print(f"  y = {d['y']}", file=out)
    if args.energy:
        for pid, p in d["plants"].items():
            print(f"  plant {pid} ({p['reservoir']}): k = {p['factor_gwh_per_hm3']:.4f} GWh/hm3 "
                  f"(head {p['head_m']:g} m, efficiency {p['efficiency']:g}), turbine limit "
                  f"{p['turbine_limit_m3s']:.1f} m3/s ({p['capacity_mw']:g} MW)", file=out)
        cols = [("eps", "KZ Apr-Sep >= [hm3]"), ("winter_energy_gwh", "winter GWh"),
                ("summer_energy_gwh", "summer GWh"), ("kg_delivery_hm3", "KG delivery [hm3]"),
                ("price_gwh_per_hm3", "GWh per hm3")]
    else:
        cols = [("eps", "KZ receipts >= [hm3]"), ("kg_delivery_hm3", "KG delivery max [hm3]"),
                ("price", "KG hm3 per KZ hm3"), ("kz_received_hm3", "KZ received [hm3]"),
                ("kz_shortage_hm3", "KZ shortage [hm3]")]
    header = ["#", "point"] + [c[1] for c in cols] + ["status"]
    fmt = lambda c, v: f"{v:.3f}" if c.startswith("price") and np.isfinite(v) else _fmt(v)  # noqa: E731
    rows = [[str(r["point"]), r["kind"]] + [fmt(c, r[c]) if c in r else "-" for c, _ in cols] + [r["status"]]
            for r in f.table.to_dict("records")]
    widths = [max(len(x[i]) for x in [header] + rows) for i in range(len(header))]
    for x in [header] + rows:
        print("  " + "  ".join(c.rjust(w) if 1 < i < len(header) - 1 else c.ljust(w)
                               for i, (c, w) in enumerate(zip(x, widths))).rstrip(), file=out)
    a = f.agreement
    if a is None or a.get("status") != "optimal":
        print(f"\nAgreement point: none ({(a or {}).get('note', 'infeasible')})", file=out)
    else:
        gap = a[f"gap_{f.y}"]
        where = "on the frontier" if abs(gap) <= 1e-6 * max(1.0, abs(a[f.y])) else "inside the frontier"
        unit = "GWh" if args.energy else "hm3"
        print(f"\nAgreement point (solve, rules enforced): {f.x} = {_fmt(a[f.x])} hm3, {f.y} = {_fmt(a[f.y])} "
              f"{unit}; the frontier there gives {_fmt(a[f'frontier_{f.y}'])} {unit} ({where}, gap {_fmt(gap)} "
              f"{unit})", file=out)
    t = f.timings
    print(f"\n{t['solves']} LP solves on one persistent model: build {t['build_s']:.2f} s, solve {t['solve_s']:.2f} s, "
          f"total {t['total_s']:.2f} s", file=out)
    return 0


if __name__ == "__main__":  # python -m optimizer.analyses.tradeoffs BASIN ...  (same as chutalas pareto)
    _p = argparse.ArgumentParser(prog="python -m optimizer.analyses.tradeoffs", description="chutalas pareto")
    add_arguments(_p)
    raise SystemExit(run(_p.parse_args()))
