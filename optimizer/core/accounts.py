r"""Storage ownership accounts of a reservoir (after RiverWare's accounting); see docs/accounts.md.

For an account on reservoir r with shares σ_p (Σ σ_p = 1), per party p and month t (all hm³)::

    a[p,t] = a[p,t−1] + σ_p · I[r,t] − ev[p,t] − rel[p,t] + over[p,t]    a[p,t] ≥ 0,   rel[p,t] ≥ 0
    ev[p,t] = σ_p · e[r,t] − u[p,t] + v[p,t]                            u[p,t], v[p,t] ≥ 0,  u[p,t] ≤ σ_p e[r,t]
    Σ_p u[p,t] = Σ_p v[p,t]                                            (the evaporation charged adds up to e)
    Σ_p rel[p,t] = R[r,t]                                              (the reservoir's release: links + spill)
    rel[p,t] ≤ Σ_{l ∈ release_to[p]} x[l,t]  (+ spill[r,t] when one of p's links leaves r itself)

with I[r,t] the water entering the reservoir (links, returns, spills, baseflow) and e[r,t] its evaporation,
(``a ≥ 0`` holds in agreement operation; in status-quo operation the accounts are only reported and a
negative balance is an overdraft), so that by the reservoir's mass balance ``I − e = s[r,t] − s[r,t−1] + R`` and
the accrual is written as ``σ_p (s[r,t] − s[r,t−1] + R[r,t]) − u[p,t] + v[p,t]``.

Evaporation: each party is charged its share σ_p of the reservoir's evaporation, ev = σ_p e. A party whose balance
cannot pay its share (it owns nothing, or less than σ_p e) is relieved of the part it cannot pay, u[p,t]
(at most its share), and the other parties pay it, v[p,t]: the water that evaporated was theirs. The relief costs
RELIEF_PENALTY (10⁴) per hm³ in the objective (optimizer.core.model), more than any shortage weight, rule penalty
or schedule penalty, so it is not a way to buy water for a party: with both balances able to pay, u = v = 0 and
the evaporation is split by the shares (88/12 on Kirov) exactly. The price has a cost where the relief cannot be
avoided: the optimum then also lowers the storage (evaporation grows with the surface) where the water has no
other use, e.g. it spills a reservoir whose only owner's water nobody downstream needs, with a free end storage
(tests/test_accounts.py shows it). A bound instead of a price (u ≤ σ_p e − a[p,t−1]: relief only for what the
start balance lacks) is not convex where that is negative, so it is not an LP.

Spill: the spill is a release too (in R), charged to the parties as the link releases are. A release link that
leaves the reservoir itself (its outlet) is bypassed by the spill (the spill lands on the spill node, not on the
link), so a party releasing on such a link may be charged spill as well; links below the spill node carry the
spill in their flow already.

``over[p,t]`` (≥ 0) is 0 except in the infeasibility diagnosis (``model.set_elastic``), where it is the amount by
which p's account would be overdrawn (at ELASTIC_PENALTY per hm³); the diagnosis reports it as an agreement
conflict ("storage account ... overdrawn"), not as a physical infeasibility.

The balances carry over (no reset at the year's end) and (outside the diagnosis)

    Σ_p a[p,t] = s[r,t] − S_dead         at every t,

because the initial balances add up to the initial storage above dead storage (checked in basins.network).
When a caller starts the reservoir at another storage (ensembles, calibration, the month-by-month
operator's carried state) the file's initial balances are scaled to keep their proportions.
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo


def keys(spec) -> list[tuple[str, str]]:
    """(reservoir, party) of every account, in file order."""
    return [(a.reservoir, p) for a in spec.agreement.storage_accounts for p in a.shares]


def initial_balances(spec, initial_storage: dict[str, float]) -> dict[tuple[str, str], float]:
    """Start balances [hm³]: the file's, scaled to the run's start storage above dead storage."""
    res = {r.node: r for r in spec.reservoirs}
    out = {}
    for a in spec.agreement.storage_accounts:
        r = res[a.reservoir]
        above = max(float(initial_storage.get(a.reservoir, r.initial_storage_hm3)) - r.dead_storage_hm3, 0.0)
        total = sum(a.initial_balance_hm3.values())
        for p in a.shares:
            frac = a.initial_balance_hm3[p] / total if total > 0 else a.shares[p]
            out[(a.reservoir, p)] = frac * above
    return out


def check_initial(spec, given: dict | None, initial_storage: dict[str, float]) -> dict | None:
    """A caller's start balances, (reservoir, party) → hm³, scaled to the start storage above dead storage
    (their proportions are kept); None when not given. Unknown accounts or non-finite / negative values are
    refused."""
    if given is None:
        return None
    ks = keys(spec)
    unknown = sorted(set(given) - set(ks))
    if unknown:
        raise ValueError(f"initial account balances given for {unknown}, which are not storage accounts of "
                         f"{spec.id}; its accounts are {ks}")
    res = {r.node: r for r in spec.reservoirs}
    base = initial_balances(spec, initial_storage)
    out = {}
    for r in sorted({r for r, _ in ks}):
        mine = [k for k in ks if k[0] == r]
        vals = {k: float(given.get(k, base[k])) for k in mine}
        if any(not np.isfinite(v) or v < -1e-6 for v in vals.values()):
            raise ValueError(f"initial account balances of {r} must be finite and >= 0 hm3, got {vals}")
        vals = {k: max(v, 0.0) for k, v in vals.items()}
        above = max(float(initial_storage.get(r, res[r].initial_storage_hm3)) - res[r].dead_storage_hm3, 0.0)
        total = sum(vals.values())
        for k in mine:
            out[k] = vals[k] / total * above if total > 0 else base[k]
    return out


def add_to_model(m: pyo.ConcreteModel, spec, out_links: dict[str, list[str]], s_prev) -> None:
    """Account sets, variables and constraints (the block documented above)."""
    ks = keys(spec)
    share = {(a.reservoir, p): float(v) for a in spec.agreement.storage_accounts for p, v in a.shares.items()}
    release_to = {(a.reservoir, p): list(a.release_to[p]) for a in spec.agreement.storage_accounts for p in a.shares}
    m.ACC = pyo.Set(initialize=ks, dimen=2, ordered=True)
    m.ACC_R = pyo.Set(initialize=sorted({r for r, _ in ks}), ordered=True)
    m.acc_share = pyo.Param(m.ACC, initialize=share)  # fixed: part of the structure (solver.structure_key)
    m.acc0 = pyo.Param(m.ACC, initialize=0.0, mutable=True, within=pyo.Reals)
    # lowest balance: 0 when the agreement is enforced; -inf in status-quo operation, where the accounts are only
    # reported (a negative balance is an overdraft: water released for a party beyond what it owns)
    m.acc_lb = pyo.Param(initialize=0.0, mutable=True, within=pyo.Reals)
    m.acc = pyo.Var(m.ACC, m.T, bounds=lambda m, r, p, t: (m.acc_lb, None))  # balance, end of month [hm³]
    m.acc_rel = pyo.Var(m.ACC, m.T, within=pyo.NonNegativeReals)  # release made for the party [hm³]
    m.acc_unpaid = pyo.Var(m.ACC, m.T, within=pyo.NonNegativeReals)  # u: evaporation share the party cannot pay
    m.acc_extra = pyo.Var(m.ACC, m.T, within=pyo.NonNegativeReals)  # v: others' evaporation the party pays
    m.acc_over_ub = pyo.Param(initialize=0.0, mutable=True, within=pyo.Reals)  # INF in the diagnosis only
    m.acc_over = pyo.Var(m.ACC, m.T, bounds=lambda m, r, p, t: (0, m.acc_over_ub))  # overdraft (diagnosis)
    outlet = {k: any(lk in out_links[k[0]] for lk in ls) for k, ls in release_to.items()}  # bypassed by the spill

    def release(m, r, t):
        return sum(m.x[lk, t] for lk in out_links[r]) + m.spill[r, t]

    def balance(m, r, p, t):
        prev = m.acc0[r, p] if t == 0 else m.acc[r, p, t - 1]
        accrual = m.s[r, t] - s_prev(m, r, t) + release(m, r, t)  # = inflow − evaporation
        return m.acc[r, p, t] == prev + m.acc_share[r, p] * accrual - m.acc_rel[r, p, t] \
            + m.acc_unpaid[r, p, t] - m.acc_extra[r, p, t] + m.acc_over[r, p, t]

    m.acc_balance = pyo.Constraint(m.ACC, m.T, rule=balance)
    m.acc_release = pyo.Constraint(m.ACC_R, m.T, rule=lambda m, r, t: sum(
        m.acc_rel[r, p, t] for (rr, p) in ks if rr == r) == release(m, r, t))
    m.acc_reach = pyo.Constraint(m.ACC, m.T, rule=lambda m, r, p, t: m.acc_rel[r, p, t] <= sum(
        m.x[lk, t] for lk in release_to[(r, p)]) + (m.spill[r, t] if outlet[(r, p)] else 0))
    m.acc_evap_shared = pyo.Constraint(m.ACC_R, m.T, rule=lambda m, r, t: sum(
        m.acc_unpaid[r, p, t] - m.acc_extra[r, p, t] for (rr, p) in ks if rr == r) == 0)
    m.acc_evap_cap = pyo.Constraint(m.ACC, m.T, rule=lambda m, r, p, t: m.acc_unpaid[r, p, t] <= (
        m.acc_share[r, p] * m.e[r, t]))

def set_data(m: pyo.ConcreteModel, inp) -> None:
    start = inp.initial_accounts if inp.initial_accounts is not None else \
        initial_balances(inp.basin.spec, inp.initial_storage)
    for k in m.ACC:
        m.acc0[k] = float(start[k])
    m.acc_lb = 0.0 if inp.rules_enforced else -float("inf")


def extract(m: pyo.ConcreteModel, prim, T: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(balance, release, relief u − v) arrays (T, accounts) from the solver's primal values."""
    ks = list(m.ACC)

    def get(var) -> np.ndarray:
        return np.array([[prim[var[k[0], k[1], t]] for k in ks] for t in m.T]).reshape(T, len(ks))

    return get(m.acc), get(m.acc_rel), get(m.acc_unpaid) - get(m.acc_extra)


def dataset_vars(inp, parties: list[str], res: list[str], evaporation: np.ndarray, bal: np.ndarray | None,
                 rel: np.ndarray | None, relief: np.ndarray | None = None) -> dict:
    """The storage accounts as result variables ``{name: (dims, array, attrs)}`` (optimizer.core.dataset):
    ``account_hm3``, ``account_start_hm3``, ``account_release_hm3`` and ``account_evaporation_hm3`` (the
    evaporation charged to the party: σ_p e − u + v) (reservoir, party, time), NaN where a reservoir has no account
    for the party; from arrays: the Dataset's ``party`` and ``reservoir`` coordinates, its reservoir evaporation
    (time × reservoir) [hm³] and the solution's balances ``bal``, releases ``rel`` and relief ``relief``."""
    spec = inp.basin.spec
    ks = keys(spec)
    if not ks:
        return {}
    assert bal is not None and rel is not None, "the basin has storage accounts but the solution has no account values"
    T = inp.T
    start0 = inp.initial_accounts if inp.initial_accounts is not None else initial_balances(spec, inp.initial_storage)
    out = {n: np.full((len(res), len(parties), T), np.nan) for n in ("end", "start", "rel", "ev")}
    share = {(a.reservoir, p): float(v) for a in spec.agreement.storage_accounts for p, v in a.shares.items()}
    for j, (r, p) in enumerate(ks):
        i, k = res.index(r), parties.index(p)
        out["end"][i, k] = bal[:, j]
        out["start"][i, k] = np.concatenate([[start0[(r, p)]], bal[:-1, j]])
        out["rel"][i, k] = rel[:, j]
        out["ev"][i, k] = share[(r, p)] * evaporation[:, i] - (relief[:, j] if relief is not None else 0.0)
    dims = ("reservoir", "party", "time")
    new = {}
    new["account_hm3"] = (dims, out["end"], {"units": "hm3", "long_name": "storage account balance at the end of the "
                                            "month (water of the reservoir owned by the party, above dead storage)"})
    new["account_start_hm3"] = (dims, out["start"], {"units": "hm3", "long_name": "storage account balance at the "
                                                    "start of the month"})
    new["account_release_hm3"] = (dims, out["rel"], {"units": "hm3/month", "long_name": "release made for the party "
                                                    "(debited from its account)"})
    new["account_evaporation_hm3"] = (dims, out["ev"], {"units": "hm3/month", "long_name": "evaporation charged "
                                                        "to the party's account (its share, less what its balance "
                                                        "could not pay, plus what it paid for another party)"})
    return new


def table(ds, reservoir: str):
    """Month-by-month balances of one reservoir's accounts as a DataFrame [hm³] (the report and the CLI)."""
    import pandas as pd

    a = ds["account_hm3"].sel(reservoir=reservoir)
    rel = ds["account_release_hm3"].sel(reservoir=reservoir)
    keep = [p for p in a["party"].values if np.isfinite(a.sel(party=p).values).all()]
    from optimizer.core.timesteps import step_label

    step = ds.attrs.get("time_step", "month")
    df = pd.DataFrame(index=[step_label(ts, step) for ts in pd.DatetimeIndex(ds["time"].values)])
    df.index.name = step
    for p in keep:
        df[f"{p} release hm3"] = rel.sel(party=p).values
        df[f"{p} balance hm3"] = a.sel(party=p).values
    df["storage above dead hm3"] = (ds["storage_hm3"].sel(reservoir=reservoir)
                                    - ds["dead_storage_hm3"].sel(reservoir=reservoir)).values
    return df
