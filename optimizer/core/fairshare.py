r"""Equal priority between states is a rule, not a tie-break (basin file: ``agreement.equal_priority``).

A *class* is one priority level whose demands belong to more than one party. For each class c and month t
the LP has a common fraction f[c,t] ∈ [0, 1] and

* ``equal-fraction`` (default, as WEAP): every demand of the class gets at least that fraction of its
  demand, ``q[d,t] ≥ f[c,t]·D[d,t]``;
* ``proportional-to-entitlement``: each party's deliveries to the class get at least that fraction of its
  entitled part of the class's demand, ``Σ_{d∈c,p} q[d,t] ≥ f[c,t]·κ[c,p,t]`` with
  ``κ = min(σ_p·Σ_{d∈c} D[d,t], Σ_{d∈c,p} D[d,t])`` and σ_p the party's share in the basin's first share rule;
* ``none``: no such rows (the split is left to the costs).

The objective rewards the guaranteed volume ``EQUITY_WEIGHT · Σ f[c,t]·Σ_{d∈c} D[d,t]``. EQUITY_WEIGHT is
below every shortage weight (≥ 1 per hm³) so it never trades served water for evenness, and far above the
tie-break costs (FLOW_COST, LOSS_COST, SPILL_PENALTY ≤ 0.01 per hm³), so those do not decide how a shortage
is shared: the fraction is raised as far as the water allows, and a shortage falls on the demands of a class
in the declared proportion. The rule applies when the agreement is enforced; in status-quo operation (upstream
intakes first) its reward is 0.
"""

from __future__ import annotations

import pyomo.environ as pyo

EQUITY_WEIGHT = 0.5  # cost units per hm³ of demand guaranteed by the common fraction


def classes(spec) -> dict[int, list[str]]:
    """Priority → demands, for priorities whose demands belong to two or more parties."""
    by: dict[int, list] = {}
    for d in spec.demands:
        by.setdefault(d.priority, []).append(d)
    return {p: [d.node for d in ds] for p, ds in sorted(by.items()) if len({d.party for d in ds}) > 1}


def rule(spec) -> str:
    return spec.agreement.equal_priority


def _shares(spec) -> dict[str, float]:
    rules = spec.agreement.share_rules
    if not rules:
        raise ValueError(f"basin {spec.id}: equal_priority 'proportional-to-entitlement' needs a share rule "
                         "(agreement.share_rules) to take the parties' entitlements from; add one or use "
                         "'equal-fraction'")
    return dict(rules[0].shares)


def add_to_model(m: pyo.ConcreteModel, spec) -> None:
    kind = rule(spec)
    cls = classes(spec) if kind != "none" else {}
    party = {d.node: d.party for d in spec.demands}
    m.FC = pyo.Set(initialize=list(cls), ordered=True)
    m.fair = pyo.Var(m.FC, m.T, bounds=(0, 1))
    m.fair_on = pyo.Param(initialize=0.0, mutable=True, within=pyo.Reals)
    m.fair_scale = pyo.Param(m.FC, m.T, initialize=0.0, mutable=True, within=pyo.Reals)  # Σ D of the class
    m.fair_classes = cls
    if kind == "equal-fraction":
        m.FD = pyo.Set(initialize=[(c, d) for c, ds in cls.items() for d in ds], dimen=2, ordered=True)
        m.fair_row = pyo.Constraint(m.FD, m.T, rule=lambda m, c, d, t: m.q[d, t] >= m.fair[c, t] * m.demand[d, t])
    elif kind == "proportional-to-entitlement":
        _shares(spec)
        m.FP = pyo.Set(initialize=[(c, p) for c, ds in cls.items() for p in sorted({party[d] for d in ds})],
                       dimen=2, ordered=True)
        m.fair_kappa = pyo.Param(m.FP, m.T, initialize=0.0, mutable=True, within=pyo.Reals)
        m.fair_row = pyo.Constraint(m.FP, m.T, rule=lambda m, c, p, t: sum(
            m.q[d, t] for d in cls[c] if party[d] == p) >= m.fair[c, t] * m.fair_kappa[c, p, t])
    m.fair_reward = pyo.Expression(expr=EQUITY_WEIGHT * m.fair_on * sum(
        m.fair_scale[c, t] * m.fair[c, t] for c in m.FC for t in m.T))


def set_data(m: pyo.ConcreteModel, inp) -> None:
    spec = inp.basin.spec
    m.fair_on = 1.0 if inp.rules_enforced else 0.0
    party = {d.node: d.party for d in spec.demands}
    dem = inp.demand
    for c, ds in m.fair_classes.items():
        for t in range(inp.T):
            total = float(sum(dem[d].iloc[t] for d in ds))
            m.fair_scale[c, t] = total
            if rule(spec) == "proportional-to-entitlement":
                sh = _shares(spec)
                for p in sorted({party[d] for d in ds}):
                    own = float(sum(dem[d].iloc[t] for d in ds if party[d] == p))
                    m.fair_kappa[c, p, t] = min(sh.get(p, 0.0) * total, own)


def extract(m: pyo.ConcreteModel, prim, T: int):
    import numpy as np

    return np.array([[prim[m.fair[c, t]] for c in m.FC] for t in m.T]).reshape(T, len(m.FC))


def fractions(ds, inp):
    """The common fraction of every class and month [-] recomputed from an allocation (``delivery_hm3``): the
    largest f the rows allow, which is the LP's f at an optimum (the reward is positive wherever the class has
    demand). Returns {priority: array over time}."""
    import numpy as np

    spec = inp.basin.spec
    kind = rule(spec)
    out = {}
    if kind == "none":
        return out
    party = {d.node: d.party for d in spec.demands}
    q = ds["delivery_hm3"]
    for c, ds_ in classes(spec).items():
        f = np.ones(inp.T)
        for t in range(inp.T):
            dem = {d: float(inp.demand[d].iloc[t]) for d in ds_}
            if kind == "equal-fraction":
                ratios = [float(q.sel(demand=d)[t]) / v for d, v in dem.items() if v > 0]
            else:
                sh = _shares(spec)
                total = sum(dem.values())
                ratios = []
                for p in sorted({party[d] for d in ds_}):
                    kappa = min(sh.get(p, 0.0) * total, sum(v for d, v in dem.items() if party[d] == p))
                    if kappa > 0:
                        ratios.append(sum(float(q.sel(demand=d)[t]) for d in ds_ if party[d] == p) / kappa)
            f[t] = min([1.0] + ratios)
        out[c] = f
    return out


def reward(ds, inp) -> float:
    """The objective's equal-priority term (cost units) recomputed from an allocation; 0 in status quo."""
    if not inp.rules_enforced:
        return 0.0
    spec = inp.basin.spec
    total = 0.0
    for c, f in fractions(ds, inp).items():
        scale = inp.demand[classes(spec)[c]].sum(axis=1).to_numpy()
        total += EQUITY_WEIGHT * float((f * scale).sum())
    return total
