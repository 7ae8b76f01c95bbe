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

"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

import basins
from basins import Basin
from basins.schema import Country, ShareRule

from optimizer.core.agreement import Period, Row
from optimizer.core.errors import InfeasibleAgreement, PhysicallyInfeasible, SolverFailure, SolverLimit

# Pyomo, HiGHS and the model/result modules are imported inside the functions that need them, so that
# ``chutalas`` (which registers this module's add_arguments/run) starts without loading Pyomo.
if TYPE_CHECKING:
    import xarray as xr

    from optimizer.core.model import Inputs
    from optimizer.core.result import Solution

UPSTREAM: Country = "KG"
DOWNSTREAM: Country = "KZ"
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


def receipts(ds: xr.Dataset, basin: Basin, party: Country, months: tuple[int, ...] | None = None) -> float:
    """A party's receipts [hm³] under the basin's first share rule, over the horizon (or its ``months``)."""
    from optimizer.core import result as res

    rule = _first_share_rule(basin)
    horizon = Period("horizon", tuple(range(ds.sizes["time"])), True)  # (received() reads only the posts)
    row = Row(rule.id, "share", party, horizon, rule.receipts[party], rule.mode, 0.0, 0.0)
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
    solution: Solution | None = None


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
        # solve() sets a, b, c, eps and floor before every solve, the first one included, while PersistentLP skips
        # the parameter update on its first solve (the model it was handed holds the numbers of that moment): count
        # the hand-off as a solve so that the first solve pushes them too. Without this the first call
        # (solve(c=1): the lowest metric) ran with the initial a=1, c=0, i.e. maximised the primary instead.
        self.lp.solves = 1
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
    agreement: dict[str, Any]
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
        assert s2.solution is not None  # extract=True
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
