"""All contact with Pyomo's solver interface goes through optimizer/core/highs_adapter.py."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyomo.environ as pyo

import basins
from optimizer.core.highs_adapter import PersistentLP, TerminationCondition
from optimizer.core.model import build, make_inputs
from optimizer.core.solver import horizon, inflow_series

ROOT = Path(__file__).resolve().parents[1]


def test_only_the_adapter_touches_pyomos_solver_interface():
    pattern = re.compile(r"pyomo\.contrib\.solver|_get_primals|_get_duals|_solver_model|appsi")
    offenders = []
    for p in sorted((ROOT / "optimizer").rglob("*.py")) + [ROOT / "app.py"]:
        if p.name == "highs_adapter.py" or not p.exists():
            continue
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{p.relative_to(ROOT)}:{i}: {line.strip()}")
    assert offenders == []
    # and inside the adapter, only the private calls that have no public equivalent in Pyomo 6.10 (listed in its
    # docstring): the basis reset, cancelling a running solve (Ctrl-C), HiGHS's own model status (Pyomo reports
    # an interrupted solve as "error"), HiGHS's run clock (its time limit counts every solve of an instance), the HiGHS instance itself (stage 2) and the column of each variable
    text = (ROOT / "optimizer/core/highs_adapter.py").read_text(encoding="utf-8")
    code = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#") and '"""' not in ln]
    private = sorted(ln.split("._solver_model.")[1].split("(")[0] for ln in code if "._solver_model." in ln)
    assert private == ["cancelSolve", "clearSolver", "getModelStatus", "getRunTime"]
    attributes = sorted({a for ln in code for a in re.findall(r"self\.solver\.(_\w+)", ln)})
    assert attributes == ["_pyomo_var_to_solver_var_map", "_solver_model", "_vars"]
    for name in attributes:
        assert f"``{name}``" in text.split('"""')[1]  # each one named in the module's docstring


def test_adapter_reads_values_and_duals_through_the_public_loader():
    b = basins.load("chu")
    times = horizon("2025-01", 12)
    m = build(make_inputs(b, times, inflow_series(b, times, "normal")))
    lp = PersistentLP(m)
    r = lp.solve(None)
    assert r.termination_condition == TerminationCondition.convergenceCriteriaSatisfied
    allv = lp.values()
    some = [m.x[l, 3] for l in m.L]
    sub = lp.values(some)
    assert [sub[v] for v in some] == [allv[v] for v in some]
    # the values satisfy the model: objective recomputed from them equals HiGHS's objective
    obj = sum(c * allv[v] for c, v in zip(*_linear(m.cost.expr)))  # noqa: B905
    assert abs(obj + _const(m.cost.expr) - r.incumbent_objective) < 1e-6 * max(1.0, abs(r.incumbent_objective))
    d = lp.duals([m.balance[n, 0] for n in m.N])
    assert len(d) == len(m.N) and all(np.isfinite(v) for v in d.values())
    # a cold re-solve of the same numbers gives the same flows (bit for bit: same start, same seed)
    lp.solve(None)
    again = lp.values()
    assert max(abs(again[v] - allv[v]) for v in m.component_data_objects(pyo.Var)) == 0.0


def _linear(expr):
    from pyomo.repn import generate_standard_repn

    repn = generate_standard_repn(expr, compute_values=True)
    return repn.linear_coefs, repn.linear_vars


def _const(expr):
    from pyomo.repn import generate_standard_repn

    return generate_standard_repn(expr, compute_values=True).constant


def test_build_leaves_the_garbage_collector_as_it_found_it():
    import gc

    import optimizer

    b = basins.load("talas")
    optimizer.clear_cache()
    assert gc.isenabled()
    optimizer.solve(b, months=2)
    assert gc.isenabled()
    gc.disable()
    try:
        optimizer.clear_cache()
        optimizer.solve(b, months=2)
        assert not gc.isenabled()  # a caller that had switched it off keeps it off
    finally:
        gc.enable()
