r"""The monthly allocation LP (Pyomo). All volumes in hm³ per month.

Sets: months t ∈ T, nodes n ∈ N, links l ∈ L (l: i → j), reservoirs r ∈ R ⊂ N, demands d ∈ D ⊂ N,
sinks k ∈ K ⊂ N, agreement rows a ∈ A (see :mod:`optimizer.core.agreement`).

Variables (all ≥ 0): ``x[l,t]`` flow entering link l (upstream end); ``s[r,t]`` storage at the end of
month t; ``spill[r,t]`` uncontrolled spill to the reservoir's spill node; ``q[d,t]`` delivery to a
demand; ``out[k,t]`` water leaving the basin at a sink; ``env[l,t]`` shortfall under a minimum flow;
``excess[a]`` shortfall of a soft agreement row; ``end_short[r]`` (elastic mode only).

Mass balance at every node and month (its dual gives the node's water value, see optimizer/result.py)::

    Σ_{l out of n} x[l,t] + q[n,t] + out[n,t] + s[n,t] − s[n,t−1] + e[n,t] + spill[n,t]
      − Σ_{l into n} (1 − loss_l) x[l,t] − Σ_{d returns to n} ρ_d q[d,t] − Σ_{r spills to n} spill[r,t]
      − Σ_{a discharging to n} k_a g[a,t−1]
      = φ_n Q[n,t]                                    (natural inflow reaching the channel; 0 if none)

where φ_n is the node's ``channel_fraction``: the rest, (1 − φ_n) Q, infiltrates. It recharges the aquifer
named by the node's ``recharge_to``, or leaves the basin; either way it still counts in an agreement's
resource, which is the natural inflow Q. An aquifer a is a linear groundwater store (no links)::

    g[a,t] − g[a,t−1] + k_a g[a,t−1] − Σ_{d returns to a} ρ_d q[d,t] − Σ_{l seeping to a} σ_l loss_l x[l,t]
        = Σ_{i recharging a} (1 − φ_i) Q[i,t]

where σ_l is a link's ``seepage_fraction`` (the part of its loss that seeps to its ``loss_to`` aquifer; the rest
of the loss, and all of it without ``loss_to``, evaporates and leaves the basin), discharging k_a(t) g[a,t−1] (the recession of step t × the storage at the start of the step) to its
``discharge_to`` node: water lost to the ground in summer comes back as baseflow in later months.

loss_l is a link's ``loss_fraction``, or, where the link has a ``loss_table`` (flow m³/s → fraction), loss_{l,t}:
the table read (piecewise linear) at the *natural* flow reaching the link in step t (Σ of the natural inflows Q
upstream of it over the step's real length), fixed before the LP (optimizer/core/bed_loss.py). A fraction that
falls with the flow is concave in x and has no exact LP form (the LP would route around it); reading it at the
natural flow keeps the LP linear and deterministic, at the cost that it does not follow the routed flow.

with the terms present only where they apply, ``s[n,−1]`` the initial storage and evaporation
``e[r,t] = E[r,t]·10⁻³·(A_dead + α_r·((s[r,t−1]+s[r,t])/2 − S_dead))`` [hm³] from the evaporation depth
E [mm/month] and a surface area linear in storage (α = (A_full − A_dead)/(S_full − S_dead), km²/hm³).

Days: every m³/s ↔ hm³ conversion uses ``step_days(t)``, the real days of step t (29 in a leap February); a
typical-year inflow or demand is a mean rate per calendar month, so on a dated horizon it is scaled by
step_days(t) / days of that month in a 365-day year (``typical_to_steps``).

Bounds: ``x[l,t] ≤ C_l·days(t)`` for canals (capacity in m³/s converted with the month's real days);
``S_dead ≤ s[r,t] ≤ S_full``; ``q[d,t] ≤ demand[d,t]``; ``s[r,T−1] + end_short[r] ≥ S_end`` (the initial
storage unless told otherwise). Minimum flows are soft: ``x[l,t] + env[l,t] ≥ m_l(t)``. Agreement rows:
an entitlement or quota ``received(a) + excess[a] ≥ (1 − τ_a)·requirement(a)``, a use ceiling
``received(a) − excess[a] ≤ (1 + τ_a)·requirement(a)`` (excess fixed at 0 when the rule is hard), with
``received`` = Σ x (links counted gross, at the canal head; Σ (1 − σ_l loss_l) x with ``less_seepage``, the seeping
part of the conveyance loss deducted) or Σ (1 − loss) x (counted net) + Σ natural inflow
− Σ ρ_d q[d,t] over the demands whose return flow the count deducts (see optimizer.core.agreement).

Schedule rows (``operation="schedule"``, :mod:`optimizer.core.schedule`): for every accounting post p (a receipt
link) and step t of an agreed schedule, ``(1 − loss_p) x[p,t] + sched_short[p,t] ≥ plan[p,t]`` [hm³ per step], with
``plan`` a mutable Param and the shortfall costing SCHEDULE_PENALTY per hm³ (more than any demand's shortage, so the
schedule at the posts is delivered first and the upstream intakes take the remainder). No post, no row.

Storage ownership accounts (``acc[(r,p),t]``, ``acc_rel[(r,p),t]`` ≥ 0) and the equal-priority fraction
``fair[c,t]`` ∈ [0, 1] are specified in :mod:`optimizer.core.accounts` and :mod:`optimizer.core.fairshare`;
the latter adds ``− EQUITY_WEIGHT Σ f[c,t]·Σ_{d∈c} D[d,t]`` to the objective below. Each party of an account
pays its share σ_p of the reservoir's evaporation, except the part u[(r,p),t] ≤ σ_p e[r,t] its balance cannot
pay, which the other parties pay (v[(r,p),t], Σ u = Σ v); a release link leaving the reservoir also carries the
party's charge of the spill (``rel ≤ Σ_{release_to} x + spill``), which bypasses it. The objective adds
``10⁴ Σ u + 10⁶ Σ over`` (``over``: an account's overdraft, fixed at 0 except in the infeasibility diagnosis).

Objective (priorities as costs, after Pywr/WEAP)::

    min Σ w_d (demand[d,t] − q[d,t]) + Σ π_a excess[a] + 100 Σ env + 0.01 Σ spill + 10⁻⁴ Σ x + 0.01 Σ loss_l x
        − v Σ_r s[r,T−1] + 10⁶ Σ end_short + 10³ Σ sched_short

``w_d = 11 − priority`` (× ``upstream_weight`` for the upstream party in status-quo operation), π_a the
rule's penalty, v ≥ 0 a storage value used only by the month-by-month (myopic) operator. Water lost on
a link costs 0.01 per hm³, so that wasting water is never a way to save the tie-break cost downstream. The small
cost on every flow stops water from circulating; it does not make every optimum unique (equal-cost routes and
equal-priority demands remain). This LP is stage 1: its optimum is the reported objective and its duals are the
water values and rule prices. Stage 2 (:mod:`optimizer.core.second_stage`) re-solves the same rows and bounds with
``τ_j = 10⁻⁴ (1 + 0.5 u(name_j))`` per unit added to the cost of every variable j, u ∈ [0, 1) from the SHA-256 of
the variable's name (kind, link/node id, step; never its position): among allocations of equal priority cost the
one that moves and holds the least water, fixed name-derived factors breaking what still ties. The reported
flows, storages and ledger are stage 2's, the same to 10⁻⁶ hm³ whatever the build order, HiGHS's seed or start
basis; their priority cost is above stage 1's optimum by ``stage2_cost_above_optimum`` (≤ ``stage2_cost_bound``,
stage 1's allocation priced at τ; measured 2–3·10⁻⁶ of the Chu objective, up to 0.09 cost units on 12 Talas months).

All data enter as mutable ``Param``\ s: changing inflows, demands, capacities, shares, quotas or
storage updates the persistent HiGHS model instead of rebuilding it.

The same LP is assembled as arrays by :mod:`optimizer.core.assemble` (the default solve path,
``optimizer.solve(build="arrays")``); ``tests/test_assemble.py`` proves the two equal (matrix, bounds, costs, row
bounds to 1e-12) for both bundled basins and every operation, so a change here needs the same change there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyomo.environ as pyo
import xarray as xr

from basins import Basin
from basins.network import spill_node

from optimizer.core import accounts, fairshare
from optimizer.core.agreement import Row, rows
from optimizer.core.physics import physics
from optimizer.core.timesteps import by_month, infer_step, m3s_to_hm3, month_fraction, typical_fraction
from optimizer.core.timesteps import step_days as _step_days

ENV_PENALTY = 100.0  # cost per hm³ below a minimum flow
SPILL_PENALTY = 0.01  # cost per hm³ spilled
FLOW_COST = 1e-4  # tie-break cost per hm³ of flow
LOSS_COST = 0.01  # cost per hm³ lost on a link: more than the flow cost a lost hm³ would save further down
SCHEDULE_PENALTY = 1000.0  # cost per hm³ below the agreed schedule at a post (schedule operation)
ELASTIC_PENALTY = 1e6  # cost per hm³ of a relaxed hard row in the infeasibility diagnosis
RELIEF_PENALTY = 1e4  # cost per hm³ of evaporation a storage account cannot pay (accounts.py): above any other cost
INF = float("inf")  # an unbounded slack
MAX_INPUT = 1e12  # largest number (hm³, mm) the LP accepts: HiGHS reads 1e20 as infinite, and node balances close
# to 1e-6 hm³ only far below that (basin files are limited to 1e9, basins.schema.MAX_VOLUME)


def shortage_weight(priority: int) -> float:
    """Cost per hm³ of shortage for a demand priority (1 = served first → 10, 10 → 1)."""
    return float(11 - priority)


@dataclass
class Inputs:
    """Everything a model needs, as numbers in model units, for one horizon."""

    basin: Basin
    times: pd.DatetimeIndex
    inflow: pd.DataFrame  # (time × inflow node) hm³/month
    demand: pd.DataFrame  # (time × demand node) hm³/month
    evaporation_mm: pd.DataFrame  # (time × reservoir) mm/month
    capacity: pd.DataFrame  # (time × capacitated link) hm³/month
    min_flow: pd.DataFrame  # (time × min-flow link) hm³/month
    initial_storage: dict[str, float]
    end_storage: dict[str, float]  # required end storage (hm³), dead storage = free
    weights: dict[str, float]  # shortage cost per demand
    rows: list[Row]
    storage_value: float = 0.0
    rules_enforced: bool = True
    step: str = "month"  # month | dekad | day (optimizer.core.timesteps)
    schedule: pd.DataFrame | None = None  # (time × post link) planned delivery at the post, hm³ per step

    @property
    def step_days(self) -> np.ndarray:
        """Real days of each step [d]."""
        return step_days(self.times, self.step)
    initial_accounts: dict | None = None  # (reservoir, party) → hm³ at the start; None: the file's (accounts.py)

    @property
    def T(self) -> int:
        return len(self.times)


def days(times: pd.DatetimeIndex, step: str | None = None) -> np.ndarray:
    """Real days of each step of ``times`` (the step read from the index unless given)."""
    return _step_days(times, step or infer_step(times))


def step_days(times: pd.DatetimeIndex, step: str = "month") -> np.ndarray:
    """Real days of each step starting at ``times`` [d]: the one day count of every m³/s ↔ hm³ conversion
    (:func:`basins.series.step_days`)."""
    return _step_days(times, step)


def typical_to_steps(times: pd.DatetimeIndex, step: str = "month") -> np.ndarray:
    """Factor from a typical-year month's volume to each dated step of ``times`` (see
    :func:`optimizer.core.timesteps.typical_fraction`): a leap February carries 29/28 of the typical February,
    as its capacities and minimum flows do; a dekad its days' share."""
    return typical_fraction(times, step)


def flow_to_hm3(value: float, unit: str, times: pd.DatetimeIndex, step: str | None = None) -> np.ndarray:
    """A constant flow in ``unit`` → hm³ in each step of ``times`` (real days of each step); a volume given
    per month (``hm3/month``) is spread over a month's steps in proportion to their days."""
    step = step or infer_step(times)
    if unit == "m3/s":
        return m3s_to_hm3(value, times, step)
    return float(value) * month_fraction(times, step)


def make_inputs(basin: Basin, times: pd.DatetimeIndex, inflow: xr.DataArray, *, end_storage="initial",
                upstream_first: bool = False, upstream_weight: float = 100.0, storage_value: float = 0.0,
                monthly_rules: bool = False, initial_storage: dict | None = None, step: str | None = None,
                initial_accounts: dict | None = None) -> Inputs:
    """Turn a basin and an inflow series (time × inflow node, hm³ per step) into model inputs; ``step`` is
    ``month``, ``dekad`` or ``day`` (read from ``times`` unless given)."""
    spec = basin.spec
    step = step or infer_step(times)
    frac = typical_fraction(times, step)[:, None]  # typical-year months → volume per step [D]
    dem, ev = basin.demand.transpose("month", "node"), basin.evaporation.transpose("month", "node")
    # × each demand's demand_factor (Basin.effective_demand, as numbers: the xarray product took a re-solve's ms)
    factor = {d.node: d.demand_factor for d in spec.demands}
    dem = dem.sel(node=[n for n in dem["node"].values if n in factor])
    dem_factor = np.array([factor[n] for n in dem["node"].values])
    caps = {lk.id: flow_to_hm3(lk.capacity, lk.capacity_unit, times, step) for lk in spec.links
            if lk.capacity is not None}
    mins = {lk.id: flow_to_hm3(lk.min_flow, lk.min_flow_unit, times, step) for lk in spec.links
            if lk.min_flow is not None}
    s0 = {r.node: r.initial_storage_hm3 for r in spec.reservoirs} | {a.node: a.initial_storage_hm3 for a in spec.aquifers}
    s0.update(initial_storage or {})  # a caller's start storage (hm³) for reservoirs and aquifers
    if end_storage == "initial":
        s_end = {r.node: s0[r.node] for r in spec.reservoirs}
    elif end_storage == "free":
        s_end = {r.node: r.dead_storage_hm3 for r in spec.reservoirs}
    elif isinstance(end_storage, dict):
        s_end = {r.node: float(end_storage.get(r.node, r.dead_storage_hm3)) for r in spec.reservoirs}
    else:
        raise ValueError(f"end_storage must be 'initial', 'free' or a dict reservoir → hm³, not {end_storage!r}")
    upstream = "KG"
    weights = {d.node: shortage_weight(d.priority) * (upstream_weight if upstream_first and d.party == upstream else 1)
               for d in spec.demands}
    return Inputs(
        basin=basin, times=times,
        inflow=pd.DataFrame(inflow.transpose("time", "node").values, index=times, columns=list(inflow["node"].values)),
        demand=pd.DataFrame(by_month(dem, times) * dem_factor * frac, index=times, columns=list(dem["node"].values)),
        evaporation_mm=pd.DataFrame(by_month(ev, times) * frac, index=times, columns=list(ev["node"].values)),
        capacity=pd.DataFrame(caps, index=times), min_flow=pd.DataFrame(mins, index=times),
        initial_storage=s0, end_storage=s_end, weights=weights,
        rows=rows(basin, times, monthly=monthly_rules, step=step), storage_value=storage_value,
        rules_enforced=not upstream_first, step=step, initial_accounts=initial_accounts,
    )


def check_numbers(inp: Inputs) -> None:
    """Refuse NaN, infinite, negative or absurdly large numbers before anything is built or solved.

    ``basins.load`` refuses them in a file, but a Basin changed in memory after validation (its series
    arrays, or a ``model_copy(update=...)`` of an entry, which pydantic does not re-validate) or a
    caller's storage dict could still carry one; HiGHS must never see it (it would fail with an
    unrelated message, or solve something meaningless)."""
    problems: list[str] = []

    def table(what: str, df: pd.DataFrame, unit: str) -> None:
        v = df.to_numpy(dtype=float)
        bad = ~np.isfinite(v) | (v < 0) | (v > MAX_INPUT)
        if bad.any():
            t, j = (int(i) for i in np.argwhere(bad)[0])
            problems.append(f"{what} of {df.columns[j]!r} in {inp.times[t]:%Y-%m} is {float(v[t, j])!r} {unit} "
                            f"({int(bad.sum())} such value{'s' if bad.sum() > 1 else ''})")

    table("inflow", inp.inflow, "hm3")
    table("demand", inp.demand, "hm3")
    table("evaporation", inp.evaporation_mm, "mm")
    table("capacity", inp.capacity, "hm3")
    table("minimum flow", inp.min_flow, "hm3")
    # (storages: finite only; a start storage a rounding error below 0 comes from a previous run's end)
    for what, values, low in (("initial storage", inp.initial_storage, -np.inf),
                              ("end storage", inp.end_storage, -np.inf), ("shortage weight", inp.weights, 0.0)):
        for k, v in values.items():
            if not np.isfinite(v) or v < low or v > MAX_INPUT:
                problems.append(f"{what} of {k!r} is {float(v)!r}")

    def walk(obj, where: str) -> None:
        if isinstance(obj, float) and not (np.isfinite(obj) and abs(obj) <= MAX_INPUT):
            problems.append(f"{where} is {obj!r}")
        elif isinstance(obj, dict):
            for k, v in obj.items():
                walk(v, f"{where}.{k}" if where else str(k))
        elif isinstance(obj, list):
            for i, v in enumerate(obj):
                ident = v.get("id", v.get("node")) if isinstance(v, dict) else None
                walk(v, f"{where}[{ident if ident is not None else i}]")

    walk(inp.basin.spec.model_dump(exclude={"calibration": True, "series_files": True, "series_inline": True,
                                            "agreement": {"facilities", "capital_works"}}), "")  # (facility costs: not in the LP)
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise ValueError(f"the model inputs hold numbers that are not finite, >= 0 and <= {MAX_INPUT:g}: "
                         + "; ".join(problems[:5])
                         + more + ". Nothing was solved: the basin was changed after validation (re-check it with "
                         "basins.loads(basins.dumps(basin))) or a caller passed such a number.")


def build(inp: Inputs) -> pyo.ConcreteModel:
    """The Pyomo model for ``inp`` (structure from the basin and horizon, numbers as mutable Params)."""
    spec = inp.basin.spec
    m = pyo.ConcreteModel(name=f"{spec.id}_{inp.T}m")
    T = range(inp.T)
    links = {lk.id: lk for lk in spec.links}
    res = {r.node: r for r in spec.reservoirs}
    dems = {d.node: d for d in spec.demands}
    kinds = {n.id: n.kind for n in spec.nodes}
    spill_to = {r.node: spill_node(spec, r.node) for r in spec.reservoirs}

    m.T = pyo.Set(initialize=T, ordered=True)
    m.N = pyo.Set(initialize=[n.id for n in spec.nodes], ordered=True)
    m.L = pyo.Set(initialize=list(links), ordered=True)
    m.R = pyo.Set(initialize=list(res), ordered=True)
    aqs = {a.node: a for a in spec.aquifers}
    m.AQ = pyo.Set(initialize=list(aqs), ordered=True)
    m.D = pyo.Set(initialize=list(dems), ordered=True)
    m.K = pyo.Set(initialize=[n for n, k in kinds.items() if k == "sink"], ordered=True)
    m.NI = pyo.Set(initialize=list(inp.inflow.columns), ordered=True)
    m.LC = pyo.Set(initialize=list(inp.capacity.columns), ordered=True)
    m.LM = pyo.Set(initialize=list(inp.min_flow.columns), ordered=True)
    m.A = pyo.Set(initialize=[a.key for a in inp.rows], ordered=True)
    m.rows = {a.key: a for a in inp.rows}
    m.SP = pyo.Set(initialize=[] if inp.schedule is None else list(inp.schedule.columns), ordered=True)

    # --- data (mutable) -------------------------------------------------------------------------
    P = dict(mutable=True, within=pyo.Reals)
    m.inflow = pyo.Param(m.NI, m.T, initialize=0.0, **P)
    m.chf = pyo.Param(m.NI, initialize=1.0, **P)  # share of the natural inflow reaching the channel
    m.demand = pyo.Param(m.D, m.T, initialize=0.0, **P)
    m.cap = pyo.Param(m.LC, m.T, initialize=0.0, **P)
    m.minflow = pyo.Param(m.LM, m.T, initialize=0.0, **P)
    # physical coefficients are fixed numbers (changing them rebuilds: see solver.structure_key), so that
    # re-solves update bounds and right-hand sides only, not matrix coefficients
    phys = physics(inp)
    m.evap = pyo.Param(m.R, m.T, initialize=phys["evap"])  # evaporation depth × 1e-3: hm³ per km²
    m.loss = pyo.Param(m.L, m.T, initialize=phys["loss"])
    m.seep = pyo.Param(m.L, initialize=phys["seep"])  # share of a link's loss recharging its loss_to aquifer
    m.rf = pyo.Param(m.D, initialize=phys["rf"])
    m.smin = pyo.Param(m.R, initialize=phys["smin"])
    m.a_dead = pyo.Param(m.R, initialize=phys["a_dead"])
    m.a_slope = pyo.Param(m.R, initialize=phys["a_slope"])
    m.recession = pyo.Param(m.AQ, m.T, initialize=phys["recession"])
    m.g0 = pyo.Param(m.AQ, initialize=0.0, **P)  # groundwater storage at the start [hm³]
    m.w = pyo.Param(m.D, initialize=1.0, **P)
    m.s0 = pyo.Param(m.R, initialize=0.0, **P)
    m.smax = pyo.Param(m.R, initialize=0.0, **P)
    m.send = pyo.Param(m.R, initialize=0.0, **P)
    m.share = pyo.Param(m.A, initialize=0.0, **P)
    m.volume = pyo.Param(m.A, initialize=0.0, **P)
    m.keep = pyo.Param(m.A, initialize=1.0, **P)  # 1 − tolerance (1 for hard rules)
    m.pen = pyo.Param(m.A, initialize=0.0, **P)
    m.vstore = pyo.Param(initialize=0.0, **P)
    m.excess_ub = pyo.Param(m.A, initialize=0.0, **P)  # 0 for a hard row, "infinite" for a soft one
    m.plan = pyo.Param(m.SP, m.T, initialize=0.0, **P)  # agreed schedule at a post [hm³ per step]
    m.end_ub = pyo.Param(m.R, initialize=0.0, **P)  # 0 unless the end storage is relaxed (elastic mode)

    # --- variables ---------------------------------------------------------------------------------
    m.x = pyo.Var(m.L, m.T, bounds=lambda m, l, t: (0, m.cap[l, t] if l in m.LC else None))
    m.s = pyo.Var(m.R, m.T, bounds=lambda m, r, t: (m.smin[r], m.smax[r]))
    m.spill = pyo.Var(m.R, m.T, within=pyo.NonNegativeReals)
    m.g = pyo.Var(m.AQ, m.T, within=pyo.NonNegativeReals)
    m.q = pyo.Var(m.D, m.T, bounds=lambda m, d, t: (0, m.demand[d, t]))
    m.out = pyo.Var(m.K, m.T, within=pyo.NonNegativeReals)
    m.env = pyo.Var(m.LM, m.T, within=pyo.NonNegativeReals)
    m.excess = pyo.Var(m.A, bounds=lambda m, a: (0, m.excess_ub[a]))
    m.end_short = pyo.Var(m.R, bounds=lambda m, r: (0, m.end_ub[r]))
    m.sched_short = pyo.Var(m.SP, m.T, within=pyo.NonNegativeReals)

    # --- expressions -------------------------------------------------------------------------------
    def s_prev(m, r, t):
        return m.s0[r] if t == 0 else m.s[r, t - 1]

    m.e = pyo.Expression(m.R, m.T, rule=lambda m, r, t: m.evap[r, t] * (
        m.a_dead[r] + m.a_slope[r] * ((s_prev(m, r, t) + m.s[r, t]) / 2 - m.smin[r])))
    m.delivered = pyo.Expression(m.L, m.T, rule=lambda m, l, t: (1 - m.loss[l, t]) * m.x[l, t])
    m.discharge = pyo.Expression(m.AQ, m.T, rule=lambda m, a, t: m.recession[a, t] * (
        m.g0[a] if t == 0 else m.g[a, t - 1]))

    out_links = {n: [l for l, lk in links.items() if lk.source == n] for n in m.N}
    in_links = {n: [l for l, lk in links.items() if lk.target == n] for n in m.N}
    returns_to = {n: [d for d, dd in dems.items() if dd.return_node == n] for n in m.N}
    spills_to = {n: [r for r, k in spill_to.items() if k == n] for n in m.N}
    discharges_to = {n: [a for a, aa in aqs.items() if aa.discharge_to == n] for n in m.N}
    recharged_by = {a: [n.id for n in spec.nodes if n.recharge_to == a] for a in aqs}
    seeping_to = {a: [lk.id for lk in spec.links if lk.loss_to == a] for a in aqs}

    def balance(m, n, t):
        use = sum(m.x[l, t] for l in out_links[n]) - sum(m.delivered[l, t] for l in in_links[n])
        use -= sum(m.rf[d] * m.q[d, t] for d in returns_to[n]) + sum(m.spill[r, t] for r in spills_to[n])
        if n in res:
            use += m.s[n, t] - s_prev(m, n, t) + m.e[n, t] + m.spill[n, t]
        if n in dems:
            use += m.q[n, t]
        if kinds[n] == "sink":
            use += m.out[n, t]
        use -= sum(m.discharge[a, t] for a in discharges_to[n])
        if n in aqs:
            use += m.g[n, t] - (m.g0[n] if t == 0 else m.g[n, t - 1]) + m.discharge[n, t]
            use -= sum(m.seep[l] * m.loss[l, t] * m.x[l, t] for l in seeping_to[n])
            return use == sum((1 - m.chf[i]) * m.inflow[i, t] for i in recharged_by[n])
        return use == (m.chf[n] * m.inflow[n, t] if n in m.NI else 0.0)

    m.balance = pyo.Constraint(m.N, m.T, rule=balance)
    m.end_storage = pyo.Constraint(m.R, rule=lambda m, r: m.s[r, m.T.last()] + m.end_short[r] >= m.send[r])
    m.min_flow = pyo.Constraint(m.LM, m.T, rule=lambda m, l, t: m.x[l, t] + m.env[l, t] >= m.minflow[l, t])

    # --- agreement rows ----------------------------------------------------------------------------
    def received(m, a: Row):
        rc = a.receipts
        if rc.counted == "gross":  # at the canal head, before conveyance loss (less its seepage with less_seepage)
            counted = sum(((1 - m.seep[l] * m.loss[l, t]) if rc.less_seepage else 1.0) * m.x[l, t]
                          for t in a.period.steps for l in rc.links)
        else:
            counted = sum(m.delivered[l, t] for t in a.period.steps for l in rc.links)
        return counted + \
            sum(m.inflow[n, t] for t in a.period.steps for n in rc.inflows) - \
            sum(m.rf[d] * m.q[d, t] for t in a.period.steps for d in rc.less_returns_of)  # given back: counted once

    def requirement(m, a: Row):
        if a.kind == "share":
            return m.share[a.key] * sum(m.inflow[n, t] for t in a.period.steps for n in a.resource_inflows)
        if a.kind == "quota":
            return m.volume[a.key]
        r = a.reservoir
        release = sum(m.x[l, t] for t in a.period.steps for l in out_links[r]) + \
            sum(m.spill[r, t] for t in a.period.steps)
        return m.share[a.key] * release

    m.received = pyo.Expression(m.A, rule=lambda m, k: received(m, m.rows[k]))
    m.requirement = pyo.Expression(m.A, rule=lambda m, k: requirement(m, m.rows[k]))

    def agreement_row(m, k):
        if m.rows[k].ceiling:  # a cap on the party's use: use − excess ≤ (1 + τ)·requirement
            return m.keep[k] * m.requirement[k] - m.received[k] + m.excess[k] >= 0
        return m.received[k] + m.excess[k] - m.keep[k] * m.requirement[k] >= 0  # a floor on its receipts

    m.agreement = pyo.Constraint(m.A, rule=agreement_row)
    m.schedule = pyo.Constraint(m.SP, m.T, rule=lambda m, p, t: m.delivered[p, t] + m.sched_short[p, t] >= m.plan[p, t])

    # --- storage ownership accounts (issue 11 item 4; optimizer/core/accounts.py) -------------------
    accounts.add_to_model(m, spec, out_links, s_prev)
    # --- equal priority between states (issue 11 item 5; optimizer/core/fairshare.py) --------------
    fairshare.add_to_model(m, spec)

    # --- objective -----------------------------------------------------------------------------------
    m.shortage = pyo.Expression(m.D, m.T, rule=lambda m, d, t: m.demand[d, t] - m.q[d, t])
    m.cost = pyo.Objective(expr=(
        sum(m.w[d] * m.shortage[d, t] for d in m.D for t in m.T)
        + sum(m.pen[a] * m.excess[a] for a in m.A)
        + ENV_PENALTY * sum(m.env[l, t] for l in m.LM for t in m.T)
        + SPILL_PENALTY * sum(m.spill[r, t] for r in m.R for t in m.T)
        + FLOW_COST * sum(m.x[l, t] for l in m.L for t in m.T)
        + LOSS_COST * sum(m.loss[l, t] * m.x[l, t] for l in m.L for t in m.T if m.loss[l, t] > 0)
        - m.vstore * sum(m.s[r, m.T.last()] for r in m.R)
        + ELASTIC_PENALTY * sum(m.end_short[r] for r in m.R)
        + RELIEF_PENALTY * sum(m.acc_unpaid[k, t] for k in m.ACC for t in m.T)  # accounts.py: evaporation relief
        + ELASTIC_PENALTY * sum(m.acc_over[k, t] for k in m.ACC for t in m.T)  # overdraft (diagnosis only)
        + SCHEDULE_PENALTY * sum(m.sched_short[p, t] for p in m.SP for t in m.T)
        - m.fair_reward  # equal-priority rule (fairshare.py)
    ), sense=pyo.minimize)
    m.spill_to = spill_to
    set_data(m, inp)
    return m


def set_data(m: pyo.ConcreteModel, inp: Inputs) -> None:
    """Write ``inp``'s numbers into the model's mutable Params (and fix/free rule slacks)."""
    spec = inp.basin.spec
    T = range(inp.T)
    for n in spec.nodes:
        if n.kind == "inflow":
            m.chf[n.id] = n.channel_fraction
    for param, table in ((m.inflow, inp.inflow), (m.demand, inp.demand), (m.cap, inp.capacity),
                         (m.minflow, inp.min_flow)):
        values = table.to_numpy(dtype=float)
        param.store_values({(k, t): float(values[t, j]) for j, k in enumerate(table.columns) for t in T})
    for d in m.D:
        m.w[d] = inp.weights[d]
    for aq in spec.aquifers:
        m.g0[aq.node] = inp.initial_storage[aq.node]
    for r in spec.reservoirs:
        m.s0[r.node] = inp.initial_storage[r.node]
        m.smax[r.node] = r.capacity_hm3
        m.send[r.node] = inp.end_storage[r.node]
    m.vstore = inp.storage_value
    for a in inp.rows:
        m.share[a.key] = a.share
        m.volume[a.key] = a.volume_hm3 * a.scale
        # a row that is switched off (status quo, partial period) keeps its coefficients and gets a free slack,
        # so that switching it back on changes bounds and costs only
        on = a.applies and inp.rules_enforced
        hard = a.mode == "hard" and on
        m.keep[a.key] = 1.0 if a.mode == "hard" else (1.0 + a.tolerance if a.ceiling else 1.0 - a.tolerance)
        m.pen[a.key] = a.penalty if on else 0.0
        m.excess_ub[a.key] = 0.0 if hard else INF
    for r in spec.reservoirs:
        m.end_ub[r.node] = 0.0
    if inp.schedule is not None:
        plan = inp.schedule.to_numpy(dtype=float)
        m.plan.store_values({(p, t): float(plan[t, j]) for j, p in enumerate(inp.schedule.columns) for t in T})
    accounts.set_data(m, inp)  # storage accounts' start balances
    fairshare.set_data(m, inp)  # equal-priority rule: on/off, class demand


def set_elastic(m: pyo.ConcreteModel, inp: Inputs, on: bool) -> None:
    """Elastic mode for the infeasibility diagnosis: every hard agreement row and the end-storage
    requirement may fall short, and every storage account may be overdrawn, at a cost of ELASTIC_PENALTY per hm³."""
    if len(m.ACC):
        m.acc_over_ub = INF if on else 0.0
    for a in inp.rows:
        if a.mode == "hard" and a.applies and inp.rules_enforced:
            m.excess_ub[a.key] = INF if on else 0.0
            m.pen[a.key] = ELASTIC_PENALTY if on else a.penalty
    for r in m.R:
        m.end_ub[r] = INF if on else 0.0
