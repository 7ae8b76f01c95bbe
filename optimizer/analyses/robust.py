r"""Robust seasonal plan (:func:`robust_plan`): a delivery schedule fixed before the season, chosen by a
two-stage stochastic LP with a CVaR term over the members, compared with the plan made on the normal year.

**The LP** (:func:`robust_plan`). First stage: a delivery schedule u[t] ≥ 0 to the
downstream party at its receipt points (the border links of its seasonal quota) for the plan months
(Apr–Sep of the horizon). Second stage, per member ω: the full allocation LP of that member
(:func:`optimizer.core.model.build`, one Pyomo Block each, its own objective C_ω) plus ::

    r_ω[t] + δ_ω[t] ≥ u[t]                      (δ: scheduled water not delivered, hm³)
    L_ω = C_ω + π Σ_t δ_ω[t] − β Σ_t u[t]        (π = ``penalty``, β = ``value``; cost units)

    min  (1/N) Σ_ω L_ω + λ [ η + 1/((1−α) N) Σ_ω z_ω ],   z_ω ≥ L_ω − η,  z_ω ≥ 0

(Rockafellar–Uryasev CVaR at level α, weight λ = ``weight``). β is what a scheduled hm³ is worth to the
party that plans on it (default 1: one priority-10 hm³), π what a broken promise costs (default 10:
a shortage at priority 1). Without β the best schedule is no schedule; with π > β a schedule is kept
only where water is reliably there. The *normal-year plan* is the same problem solved on the
basin's normal year alone (one member, no uncertainty); both plans are then evaluated on the same
members (the normal-year plan by fixing u and re-solving the second stages), so the difference of
their objectives is the value of the stochastic solution.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

import basins
from basins import Basin
from optimizer.analyses.ensemble_members import check_scenarios, inflow_nodes
from optimizer.core.errors import SolveError

SEASON = (4, 5, 6, 7, 8, 9)
MAX_PLAN_MEMBERS = 100  # the extensive form grows linearly; Pyomo needs ~2-3 kB per variable


@dataclass
class SeasonalPlan:
    """A delivery schedule fixed before the season and how it fares on the members.

    ``schedule`` / ``normal_schedule``: hm³/month to ``party`` at its receipt links in the plan months;
    ``comparison``: one row per plan, evaluated on the same members; ``member_loss``: L_ω per plan and
    member [cost units]; ``members``: the member labels used."""

    schedule: xr.DataArray
    normal_schedule: xr.DataArray
    comparison: pd.DataFrame
    member_loss: xr.DataArray
    party: str
    receipt_links: list[str]
    alpha: float
    weight: float
    value: float
    penalty: float
    build_s: float
    solve_s: float


def _plan_party(basin: Basin, party: str | None) -> tuple[str, Any]:
    ag = basin.spec.agreement
    if party is None:
        first = ag.share_rules[0].enforce if ag.share_rules else None
        party = ag.quotas[0].party if ag.quotas else (first[0] if first else None)
    if party is None:
        raise ValueError("the basin has no quota or share rule naming a downstream party; give party=")
    for q in ag.quotas:
        if q.party == party:
            return party, q.receipts
    for r in ag.share_rules:
        if party in r.receipts:
            return party, r.receipts[party]
    raise ValueError(f"party {party!r} has no receipts in the basin's quotas or share rules")


def cvar(losses: np.ndarray, alpha: float) -> float:
    """CVaR_α of equally likely losses: the mean of the worst (1 − α) share of them, the member on the
    boundary counted in part (= min_η η + E[(L − η)⁺]/(1 − α), Rockafellar & Uryasev 2000)."""
    x = np.sort(np.asarray(losses, dtype=float))[::-1]
    tail = round((1.0 - alpha) * len(x), 9)  # members in the tail (may be fractional)
    full = int(np.floor(tail))
    total = x[:full].sum() + (tail - full) * (x[full] if full < len(x) else 0.0)
    return float(total / tail)


def _extensive(basin: Basin, inflows: np.ndarray, times: pd.DatetimeIndex, plan_idx: list[int], receipts,
               alpha: float, weight: float, value: float, penalty: float, opts: dict):
    import pyomo.environ as pyo

    from optimizer.core.model import build, make_inputs

    nodes = inflow_nodes(basin)
    n = len(inflows)
    da = xr.DataArray(inflows[0], dims=("time", "node"), coords={"time": times, "node": nodes})
    base = make_inputs(basin, times, da, end_storage=opts["end_storage"], initial_storage=opts["initial_storage"])
    m = pyo.ConcreteModel(name=f"{basin.id}_robust_plan")
    m.W = pyo.Set(initialize=range(n), ordered=True)
    m.P = pyo.Set(initialize=plan_idx, ordered=True)
    m.member = pyo.Block(m.W)
    inps = []
    for k in range(n):
        inp = replace(base, inflow=pd.DataFrame(inflows[k], index=times, columns=nodes))
        sub = build(inp)
        sub.cost.deactivate()
        m.member[k].transfer_attributes_from(sub)
        inps.append(inp)
    m.u = pyo.Var(m.P, within=pyo.NonNegativeReals)  # first stage: the schedule [hm³/month]
    m.short = pyo.Var(m.W, m.P, within=pyo.NonNegativeReals)  # δ: scheduled but not delivered
    m.eta = pyo.Var()  # VaR_α at the optimum
    m.z = pyo.Var(m.W, within=pyo.NonNegativeReals)

    def r(m, k, t):
        b = m.member[k]
        return sum(b.delivered[lk, t] for lk in receipts.links) + sum(b.inflow[nd, t] for nd in receipts.inflows)

    m.receipt = pyo.Expression(m.W, m.P, rule=r)
    m.target = pyo.Constraint(m.W, m.P, rule=lambda m, k, t: m.receipt[k, t] + m.short[k, t] >= m.u[t])
    m.loss = pyo.Expression(m.W, rule=lambda m, k: m.member[k].cost.expr + penalty * sum(m.short[k, t] for t in m.P)
                            - value * sum(m.u[t] for t in m.P))
    m.tail = pyo.Constraint(m.W, rule=lambda m, k: m.z[k] >= m.loss[k] - m.eta)
    m.expected = pyo.Expression(expr=sum(m.loss[k] for k in m.W) / n)
    m.cvar = pyo.Expression(expr=m.eta + sum(m.z[k] for k in m.W) / ((1 - alpha) * n))
    m.obj = pyo.Objective(expr=m.expected + weight * m.cvar, sense=pyo.minimize)
    return m, inps


def _solve_extensive(m, time_limit):
    from optimizer.core.highs_adapter import PersistentLP, TerminationCondition

    lp = getattr(m, "_highs", None)
    if lp is None:
        lp = m._highs = PersistentLP(m, updates="variables")  # between the two solves only bounds change
    r = lp.solve(time_limit, cold=False)
    if r.termination_condition != TerminationCondition.convergenceCriteriaSatisfied:
        return r.termination_condition.name
    lp.load()
    return None


def _evaluate(m, inps, party: str, alpha: float, weight: float) -> tuple[dict, np.ndarray]:
    import pyomo.environ as pyo

    losses = np.array([pyo.value(m.loss[k]) for k in m.W])
    short = np.array([sum(pyo.value(m.short[k, t]) for t in m.P) for k in m.W])
    parties = list(dict.fromkeys(d.party for d in inps[0].basin.spec.demands if d.party))
    shortage = {p: np.array([sum(pyo.value(m.member[k].shortage[d.node, t]) for d in inps[0].basin.spec.demands
                                 if d.party == p for t in m.member[k].T) for k in m.W]) for p in parties}
    met = []
    for k in m.W:
        b = m.member[k]
        ok = True
        for key, row in b.rows.items():
            if row.party != party or not row.applies:
                continue
            need = pyo.value(b.keep[key] * b.requirement[key])
            ok &= pyo.value(b.received[key]) >= need - 1e-6 * max(1.0, abs(need))
        met.append(ok)
    c = cvar(losses, alpha)
    a = round(100 * alpha)
    total = sum(shortage.values()) + short  # hm³ of demand shortage plus scheduled water not delivered
    row = {"schedule_hm3": float(sum(pyo.value(m.u[t]) for t in m.P)), "expected_loss": float(losses.mean()),
           f"cvar{a}_loss": c, "objective": float(losses.mean() + weight * c),
           "expected_shortage_hm3": float(total.mean()), f"cvar{a}_shortage_hm3": cvar(total, alpha)}
    for p, v in shortage.items():
        row[f"expected_shortage_{p}_hm3"] = float(v.mean())
    row.update({"expected_schedule_shortfall_hm3": float(short.mean()), "p_schedule_met": float(np.mean(short <= 1e-6)),
                f"p_{party}_rules_met": float(np.mean(met))})
    return row, losses


def robust_plan(basin: Basin | str, scenarios: xr.DataArray, alpha: float = 0.9, weight: float = 1.0, *,
                party: str | None = None, season: str = "apr-sep", value: float = 1.0, penalty: float = 10.0,
                end_storage: str | dict = "initial", initial_storage: dict | None = None,
                time_limit: float | None = 600.0, max_members: int = MAX_PLAN_MEMBERS) -> SeasonalPlan:
    """A monthly delivery schedule to ``party`` fixed before the season, robust over ``scenarios``
    (two-stage stochastic LP with a CVaR term, see the module docstring), compared with the plan made
    on the basin's normal year alone; both are evaluated on the same members.

    alpha : CVaR level (0.9: the mean loss of the worst 10 % of members); weight : λ on the CVaR term.
    season : ``"apr-sep"`` (the plan covers the horizon's Apr–Sep months) or ``"horizon"`` (every month).
    value, penalty : β and π [cost units per hm³] (value of a scheduled hm³, cost of one not delivered).
    """
    import pyomo.environ as pyo

    if isinstance(basin, str):
        basin = basins.load(basin)
    if not 0 <= alpha < 1:
        raise ValueError(f"alpha must be in [0, 1), got {alpha}")
    if weight < 0 or value < 0 or penalty < 0:
        raise ValueError("weight, value and penalty must be >= 0")
    if penalty <= value:
        raise ValueError(f"penalty ({penalty}) must exceed value ({value}), or promising water nobody can "
                         "deliver pays")
    q = check_scenarios(basin, scenarios)
    if q.sizes["member"] > max_members:
        raise ValueError(f"{q.sizes['member']} members is more than max_members={max_members} for the extensive "
                         "form (one LP holding every member); take a subset, e.g. scenarios.isel(member=slice(0, 50))")
    times = pd.DatetimeIndex(q["time"].values)
    if season == "apr-sep":
        plan_idx = [i for i, t in enumerate(times) if t.month in SEASON]
    elif season == "horizon":
        plan_idx = list(range(len(times)))
    else:
        raise ValueError(f"season must be 'apr-sep' or 'horizon', not {season!r}")
    if not plan_idx:
        raise ValueError("the horizon has no April-September month to plan; use season='horizon'")
    party, receipts = _plan_party(basin, party)
    opts = {"end_storage": end_storage, "initial_storage": initial_storage}
    args = (plan_idx, receipts, alpha, weight, value, penalty, opts)

    # the normal-year plan: the same problem with the basin's normal year as the only member
    from optimizer.core.solver import inflow_series

    normal = inflow_series(basin, times, "normal").sel(node=inflow_nodes(basin)).values[None]
    t0 = time.perf_counter()
    m1, _ = _extensive(basin, normal, times, *args)
    err = _solve_extensive(m1, time_limit)
    if err:
        raise SolveError(f"the normal-year plan has no optimal solution ({err}); check optimizer.solve(basin, "
                         "'normal') first")
    u_normal = {t: pyo.value(m1.u[t]) for t in m1.P}

    m, inps = _extensive(basin, q.values, times, *args)
    build_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    err = _solve_extensive(m, time_limit)
    if err:
        raise SolveError(f"the two-stage LP has no optimal solution ({err}). {_culprits(basin, q, opts)}")
    robust_row, robust_loss = _evaluate(m, inps, party, alpha, weight)
    robust_row["lp_objective"] = float(pyo.value(m.obj))
    u_robust = {t: pyo.value(m.u[t]) for t in m.P}
    for t in m.P:  # the normal-year plan as bounds (fixing would rewrite coefficients in HiGHS)
        m.u[t].setlb(u_normal[t])
        m.u[t].setub(u_normal[t])
    err = _solve_extensive(m, time_limit)
    if err:
        raise SolveError(f"evaluating the normal-year plan failed ({err})")
    normal_row, normal_loss = _evaluate(m, inps, party, alpha, weight)
    normal_row["lp_objective"] = float(pyo.value(m.obj))
    solve_s = time.perf_counter() - t1

    ptimes = times[plan_idx]
    attrs = {"units": "hm3/month", "party": party, "receipt_links": ",".join(receipts.links)}
    sched = xr.DataArray([u_robust[t] for t in plan_idx], dims="time", coords={"time": ptimes},
                         name="robust_schedule_hm3", attrs=attrs)
    nsched = xr.DataArray([u_normal[t] for t in plan_idx], dims="time", coords={"time": ptimes},
                          name="normal_schedule_hm3", attrs=attrs)
    comparison = pd.DataFrame([robust_row, normal_row], index=pd.Index(["robust", "normal-year"], name="plan"))
    loss = xr.DataArray(np.stack([robust_loss, normal_loss]), dims=("plan", "member"),
                        coords={"plan": ["robust", "normal-year"], "member": q["member"].values},
                        name="member_loss", attrs={"units": "cost units (1 = one hm3 of shortage at priority 10)"})
    return SeasonalPlan(sched, nsched, comparison, loss, party, list(receipts.links), alpha, weight, value, penalty,
                        build_s, solve_s)


def _culprits(basin: Basin, q: xr.DataArray, opts: dict) -> str:
    """Which members have no allocation on their own (why a two-stage LP is infeasible)."""
    from optimizer.core.solver import solve

    bad = []
    for k in range(q.sizes["member"]):
        try:
            solve(basin, inflow=q.isel(member=k, drop=True), end_storage=opts["end_storage"],
                  initial_storage=opts["initial_storage"])
        except SolveError as exc:
            bad.append((int(q["member"].values[k]), type(exc).__name__))
    if not bad:
        return "Every member is feasible on its own."
    return (f"Members without a feasible allocation on their own: {bad[:10]}"
            f"{' ...' if len(bad) > 10 else ''}; leave them out or fix the basin.")
