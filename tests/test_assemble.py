"""The array-assembled LP (optimizer/core/assemble.py) is the Pyomo model's LP (optimizer/core/model.py).

For both bundled basins, every operation (agreement, status quo, schedule, month-by-month, the elastic
infeasibility diagnosis) and tiny networks covering every equation family (reservoir, canal, return flow,
aquifer with seepage, quota, storage split, soft and ceiling rows, both equal-priority rules, storage
accounts, monthly and dekadal steps), the assembled matrix, column bounds, costs, objective constant and row
bounds equal Pyomo's public standard form (``LinearStandardFormCompiler``) to 1e-12, rows and columns matched
by name (component and index). So a change to one formulation without the other fails here. The two solve
paths (``optimizer.solve(build=...)``) then give the same objective and, where the optimum is unique, the
same solution; where it is not (issue 15 item 1), the arrays solution satisfies every Pyomo constraint and
attains Pyomo's optimum.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyomo.environ as pyo
import pytest

import basins
import optimizer
from optimizer.core import model as M
from optimizer.core import solve_arrays, solver
from optimizer.core.assemble import assemble
from optimizer.core.highs_adapter import standard_form
from optimizer.core.model import build, make_inputs, set_elastic
from optimizer.core.schedule import plan_table
from optimizer.core.solver import MYOPIC_STORAGE_VALUE, horizon, inflow_series

import fixtures as F
from fixtures import demand, network, reservoir

TOL = 1e-12


def _key(comp) -> tuple[str, tuple]:
    idx = comp.index()
    return comp.parent_component().local_name, idx if isinstance(idx, tuple) else (idx,)


def compare(inp, elastic: bool = False, tweak=None) -> None:
    """Assert the assembled LP of ``inp`` equals Pyomo's standard form of ``build(inp)`` (``tweak(m)``: an edit of
    the Pyomo model, to show that the comparison sees it)."""
    m = build(inp)
    if elastic:
        set_elastic(m, inp, True)
    if tweak is not None:
        tweak(m)
    info, A, rl, ru, lo, hi = standard_form(m)
    a = assemble(inp, elastic=elastic)
    cols = {a.col.label(j): j for j in range(a.col.n)}
    rows = {a.row.label(i): i for i in range(a.row.n)}
    cj = np.array([cols[_key(v)] for v in info.columns], int)  # KeyError: a Pyomo column the assembler lacks
    ri = np.array([rows[_key(c)] for c, _ in info.rows], int)
    assert len(set(ri)) == len(ri) == a.row.n, "rows of the assembled LP that Pyomo does not have"
    # columns Pyomo leaves out appear nowhere (e.g. an equal-priority fraction in a month without demand)
    unused = np.setdiff1d(np.arange(a.col.n), cj)
    assert a.A[:, unused].nnz == 0 and not a.cost[unused].any(), [a.col.label(j) for j in unused[:5]]
    A = A.tocsc()
    A.eliminate_zeros()
    diff = a.A[ri][:, cj] - A
    assert diff.nnz == 0 or abs(diff).max() <= TOL, _first(diff, info)
    assert a.A[ri][:, cj].nnz == A.nnz
    c = np.asarray(info.c.todense()).ravel()
    np.testing.assert_allclose(a.cost[cj], c, rtol=0, atol=TOL)
    assert abs(a.offset - float(info.c_offset[0])) <= TOL * max(1.0, abs(a.offset))
    # bounds to 1e-12 relative above 1 (as the offset): a row bound of 2,827 hm³ is a sum of inflows that the two
    # builds add in another order, and its last bit (4.5e-13 there) may differ
    for mine, theirs in ((a.col_lo[cj], lo), (a.col_hi[cj], hi), (a.row_lo[ri], rl), (a.row_hi[ri], ru)):
        np.testing.assert_allclose(mine, theirs, rtol=TOL, atol=TOL)


def _first(diff, info) -> str:
    coo = diff.tocoo()
    return "; ".join(f"{_key(info.rows[r][0])} × {_key(info.columns[c])}: {v:g}"
                     for r, c, v in list(zip(coo.row, coo.col, coo.data))[:5])


def inputs(basin, months=12, operation="agreement", step="month", start="2025-01", year_type="normal"):
    """Model inputs as optimizer.solve makes them (perfect foresight)."""
    times = horizon(start, months, step)
    inp = make_inputs(basin, times, inflow_series(basin, times, year_type, step),
                      upstream_first=operation == "status-quo", end_storage="initial", step=step)
    if operation == "schedule":
        post = basin.spec.agreement.share_rules[0].receipts["KZ"].links[-1]
        plan = pd.DataFrame({post: np.linspace(5.0, 40.0, len(times))}, index=times)
        inp.schedule = plan_table(plan, basin, times)
        inp.rules_enforced = False
    return inp


def myopic_inputs(basin, month: int, operation="agreement", step="month", year_type="normal"):
    """One month of the month-by-month operator (as solver._solve_myopic makes it)."""
    times = horizon(f"2025-{month:02d}", 1, step)[:1]
    return make_inputs(basin, times, inflow_series(basin, times, year_type, step), end_storage="free",
                       upstream_first=operation == "status-quo", storage_value=MYOPIC_STORAGE_VALUE,
                       monthly_rules=True, step=step)


@pytest.fixture(scope="module", params=["chu", "talas"])
def basin(request):
    return basins.load(request.param)


@pytest.mark.parametrize("operation", ["agreement", "status-quo", "schedule"])
def test_bundled_basin_lp_equals_pyomo(basin, operation):
    compare(inputs(basin, 24, operation, start="2025-04"))


def test_bundled_basin_dekadal_lp_equals_pyomo(basin):
    compare(inputs(basin, 4, step="dekad", start="2025-03"))
    compare(inputs(basin, 2, "status-quo", step="dekad", start="2025-06"))


@pytest.mark.parametrize("month", [1, 5, 10])
@pytest.mark.parametrize("operation", ["agreement", "status-quo"])
def test_bundled_basin_myopic_month_equals_pyomo(basin, month, operation):
    compare(myopic_inputs(basin, month, operation, year_type="dry"))


def test_bundled_basin_elastic_diagnosis_lp_equals_pyomo(basin):
    compare(inputs(basin, 13, year_type="dry"), elastic=True)


def split_and_soft():
    """A reservoir whose release is split 40/60 (soft, tolerance 10 %), a KG ceiling and a soft quota."""
    def receipts():
        return {"KZ": {"links": ["J_B"], "counted": "net"}, "KG": {"links": ["R_KG"], "less_returns_of": ["KG"]}}
    return network(
        {"IN": "inflow", "R": "reservoir", "J": "junction", "KG": "demand", "B": "border KZ", "KZ": "demand KZ",
         "OUT": "sink KZ"},
        ["IN -> R", ("R -> KG", {"capacity": 5, "capacity_unit": "m3/s", "loss_fraction": 0.1}), "R -> J",
         ("J -> B", {"loss_fraction": 0.05, "min_flow": 1.0, "min_flow_unit": "m3/s"}), "B -> KZ", "B -> OUT"],
        reservoirs=[reservoir("R", 300.0, dead=20.0, initial=120.0, area_km2_at_full=12.0)],
        demands=[demand("KG", "KG", priority=2, return_fraction=0.3, return_node="J"), demand("KZ", "KZ", 2)],
        agreement={"storage_splits": [{"id": "split", "reservoir": "R", "period": "apr-sep",
                                       "shares": {"KZ": 0.4, "KG": 0.6}, "receipts": receipts(), "enforce": ["KZ"],
                                       "mode": "soft", "tolerance": 0.1, "penalty": 20}],
                   "share_rules": [{"id": "shares", "resource_inflows": ["IN"], "period": "year",
                                    "shares": {"KZ": 0.5, "KG": 0.5}, "receipts": receipts(),
                                    "roles": {"KZ": "entitlement", "KG": "ceiling"}, "mode": "hard"}],
                   "quotas": [{"id": "q", "party": "KZ", "period": "oct-mar", "volume_hm3": 30.0,
                               "receipts": {"links": ["J_B"]}, "mode": "soft", "penalty": 50}],
                   "equal_priority": "proportional-to-entitlement"},
        inflow={"IN": [30, 30, 60, 90, 120, 80, 40, 20, 20, 20, 25, 30]},
        demand={"KG": [0, 0, 0, 20, 50, 60, 60, 40, 10, 0, 0, 0], "KZ": [5, 5, 5, 20, 40, 50, 50, 40, 20, 5, 5, 5]},
        evaporation={"R": [10, 20, 40, 80, 120, 150, 160, 140, 90, 50, 20, 10]})


def seepage():
    """A canal losing 40 % of its water, half of that seeping to aquifer A (test_groundwater.py's network)."""
    return network({"IN": "inflow", "A": "aquifer", "J": "junction", "D": "demand", "OUT": "sink"},
                   [("IN -> J", {"loss_fraction": 0.4, "loss_to": "A", "seepage_fraction": 0.5}), "J -> D", "J -> OUT"],
                   aquifers=[{"node": "A", "recession_per_month": 0.5, "initial_storage_hm3": 10.0, "discharge_to": "J"}],
                   demands=[demand("D", return_fraction=0.2, return_node="A")],
                   inflow={"IN": [100, 0, 50]}, demand={"D": [10, 30, 30]})


TINY = {"carry_over": F.carry_over, "share_42_58": F.share_42_58, "canal": F.canal, "return_flow": F.return_flow,
        "quota": lambda: F.quota(share_kg=0.4, inflow={"IN": [50] * 12}), "short_demand": F.short_demand,
        "groundwater": F.groundwater, "seepage": seepage, "split_and_soft": split_and_soft}


@pytest.mark.parametrize("name", list(TINY))
@pytest.mark.parametrize("step, months", [("month", 12), ("dekad", 2)])
def test_tiny_network_lp_equals_pyomo(name, step, months):
    b = TINY[name]()
    compare(inputs(b, months, step=step))
    compare(inputs(b, months, "status-quo", step=step, start="2025-04"))
    compare(myopic_inputs(b, 6, step=step))
    compare(inputs(b, months, step=step), elastic=True)


def test_a_change_to_one_formulation_alone_fails_the_comparison(monkeypatch):
    b = split_and_soft()
    inp = inputs(b, 3)
    compare(inp)
    tweaks = {  # one-sided edits of the Pyomo model, each a change the assembler does not know about
        "a cost": lambda m: setattr(m.cost, "expr", m.cost.expr + 1e-3 * m.x["R_J", 0]),
        "a coefficient": lambda m: m.balance["J", 1].set_value(m.balance["J", 1].body + 1e-6 * m.x["J_B", 1] == 0),
        "a bound": lambda m: m.s["R", 2].setub(299.0),
        "a right-hand side": lambda m: m.min_flow["J_B", 0].set_value(m.x["J_B", 0] + m.env["J_B", 0] >= 3.0),
    }
    for what, tweak in tweaks.items():
        with pytest.raises(AssertionError):
            compare(inp, tweak=tweak)
            pytest.fail(f"{what} changed in the Pyomo model only went unnoticed")
    # a cost constant changed where both read it (optimizer.core.model) changes both: still equal
    monkeypatch.setattr(M, "LOSS_COST", 0.02)
    monkeypatch.setattr(M.fairshare, "EQUITY_WEIGHT", 0.4)
    compare(inp)


# ---- the solve paths ---------------------------------------------------------------------------------------

VALUES = ("flow_hm3", "storage_hm3", "delivery_hm3", "spill_hm3", "outflow_hm3", "water_value", "account_hm3",
          "groundwater_hm3")


def _both(b, **kw):
    solver.clear_cache()
    return optimizer.solve(b, build="pyomo", **kw), optimizer.solve(b, build="arrays", **kw)


def _same_result(p, a, atol=1e-7):
    assert a.objective == pytest.approx(p.objective, rel=1e-9, abs=1e-7)
    for v in VALUES:
        if v in p.dataset:
            np.testing.assert_allclose(a.dataset[v].values, p.dataset[v].values, rtol=0, atol=atol, err_msg=v)
    cols = ["received_hm3", "required_hm3"]
    np.testing.assert_allclose(a.ledger[cols].to_numpy(float), p.ledger[cols].to_numpy(float), rtol=0, atol=atol)


@pytest.mark.parametrize("name", list(TINY))
@pytest.mark.parametrize("kw", [{}, {"operation": "status-quo"}, {"foresight": "myopic", "months": 4},
                                {"step": "dekad", "months": 2}])
def test_tiny_network_results_are_the_same_on_both_paths(name, kw):
    try:
        p, a = _both(TINY[name](), **kw)
    except optimizer.InfeasibleAgreement:
        with pytest.raises(optimizer.InfeasibleAgreement):
            optimizer.solve(TINY[name](), build="arrays", **kw)
        return
    assert a.manifest["solver"] != p.manifest["solver"]
    _same_result(p, a)


@pytest.mark.parametrize("kw", [{"months": 12}, {"months": 24, "operation": "status-quo"},
                                {"months": 3, "foresight": "myopic"}, {"months": 2, "step": "dekad"}])
def test_bundled_basin_results_are_the_same_on_both_paths(basin, kw):
    """Same objective (stage 1's optimum) and, through the same stage 2 (tie costs from the same column names),
    the same allocation: flows, storage, deliveries, accounts and ledger to 1e-6 hm³; the arrays allocation also
    meets every constraint of the Pyomo model and costs what its manifest says (stage 1's optimum plus the
    stage-2 cost above it)."""
    p, a = _both(basin, **kw)
    assert a.objective == pytest.approx(p.objective, rel=1e-9)
    for v in ("flow_hm3", "storage_hm3", "delivery_hm3", "spill_hm3", "outflow_hm3", "account_hm3",
              "groundwater_hm3"):
        if v in p.dataset:
            np.testing.assert_allclose(a.dataset[v].values, p.dataset[v].values, rtol=0, atol=1e-6, err_msg=v)
    cols = ["received_hm3", "required_hm3"]
    np.testing.assert_allclose(a.ledger[cols].to_numpy(float), p.ledger[cols].to_numpy(float), rtol=0, atol=1e-6)
    if kw.get("foresight") == "myopic":
        return
    inp = inputs(basin, kw["months"], kw.get("operation", "agreement"), step=kw.get("step", "month"))
    assert inp.T == a.dataset.sizes["time"]
    entry = solve_arrays.persistent(inp, {})
    solve_arrays.solve_entry(entry, inp, None)
    m = build(inp)
    prim = entry.lp.values()
    for j in range(entry.lp.assembled.col.n):
        name, idx = entry.lp.assembled.col.label(j)
        var = getattr(m, name)
        var[idx if len(idx) > 1 else idx[0]].set_value(float(prim[j]), skip_validation=True)
    worst = 0.0
    for c in m.component_data_objects(pyo.Constraint, active=True):
        body = pyo.value(c.body)
        lo, hi = (pyo.value(c.lower) if c.has_lb() else -np.inf), (pyo.value(c.upper) if c.has_ub() else np.inf)
        worst = max(worst, lo - body, body - hi)
    assert worst <= 1e-6
    above = a.manifest["stage2_cost_above_optimum"]
    assert 0 <= above <= a.manifest["stage2_cost_bound"] + 1e-7
    assert pyo.value(m.cost) == pytest.approx(p.objective + above, rel=1e-9)


def test_both_paths_name_their_columns_alike(basin):
    """Stage 2's tie costs come from the column names: the assembled LP's and the Pyomo model's are the same set."""
    from optimizer.core.highs_adapter import PersistentLP

    inp = inputs(basin, 3, "agreement")
    a = assemble(inp)
    lp = PersistentLP(build(inp), unique=True)
    assert sorted(a.col.names()) == sorted(lp.column_names())


def test_infeasible_rules_are_diagnosed_alike_on_both_paths():
    b = network({"IN": "inflow", "B": "border KZ", "OUT": "sink KZ"}, ["IN -> B", "B -> OUT"],
                agreement={"quotas": [{"id": "q", "party": "KZ", "period": "month", "volume_hm3": 500.0,
                                       "receipts": {"links": ["IN_B"]}}]},
                inflow={"IN": [100]})
    found = {}
    for path in ("pyomo", "arrays"):
        with pytest.raises(optimizer.InfeasibleAgreement) as exc:
            optimizer.solve(b, months=1, build=path)
        found[path] = exc.value.conflicts
    pd.testing.assert_frame_equal(found["arrays"], found["pyomo"], rtol=1e-9)
    assert found["arrays"]["shortfall_hm3"].iloc[0] == pytest.approx(400.0)


def test_physically_infeasible_is_reported_on_the_arrays_path():
    # dead storage 50 hm³ with no inflow and evaporation: no allocation exists, even relaxed
    b = network({"IN": "inflow", "R": "reservoir", "OUT": "sink"}, ["IN -> R", "R -> OUT"],
                reservoirs=[reservoir("R", 100.0, dead=50.0, initial=50.0, area_km2_at_dead=10.0,
                                      area_km2_at_full=10.0)],
                inflow={"IN": [0]}, evaporation={"R": [500]})
    with pytest.raises(optimizer.PhysicallyInfeasible, match="irreducible infeasible set"):
        optimizer.solve(b, months=1, build="arrays")


def test_unknown_build_is_refused():
    with pytest.raises(ValueError, match="build must be one of"):
        optimizer.solve("talas", build="numpy")


def test_cli_json_stays_clean_on_the_arrays_path(tmp_path):
    # HiGHS prints a banner to fd 1 when a process makes its first instance; --json output must not carry it
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-m", "optimizer", "solve", "talas", "--months", "2", "--json"],
                         cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(root)), capture_output=True, text=True,
                         check=True).stdout
    assert json.loads(out)["manifest"]["solver"].startswith("HiGHS (LP assembled as arrays")
