"""The app re-solves an edit warm from the kept basis (issue 15 item 3) and still shows what a cold solve gives:
the allocation (stage 2 makes it unique) and, through a cold solve of their own, the water values and prices."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np

import basins
from streamlit.testing.v1 import AppTest

import optimizer
from optimizer.core import solver
from optimizer.interfaces.app.results import cold_result
from optimizer.interfaces.ui_text import t

ROOT = Path(__file__).resolve().parents[1]
FLOWS = ("flow_hm3", "storage_hm3", "delivery_hm3", "spill_hm3")


def _z(chart: dict) -> np.ndarray:
    """The heatmap's z as the browser gets it (plotly's typed array: dtype, base64 bytes, shape; or a plain list)."""
    z = chart["data"][0]["z"]
    if isinstance(z, dict):
        shape = [int(n) for n in str(z["shape"]).split(",")]
        return np.frombuffer(base64.b64decode(z["bdata"]), dtype=np.dtype(z["dtype"])).reshape(shape).astype(float)
    return np.array(z, dtype=float)


def _edit_inflow(at: AppTest, add: float) -> None:
    at.session_state["tab"] = "Inputs"
    at.run()
    (key,) = [d.key for d in at.data_editor if d.key and d.key.startswith("ed_inflow_normal")]
    v = float(at.data_editor(key=key).value.iloc[0, 0])
    at.session_state[key] = {"edited_rows": {"0": {"CH_IN_OT": v + add}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception and not at.error


def test_an_edit_is_solved_warm_and_the_app_shows_the_cold_allocation_and_water_values():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    _edit_inflow(at, 40.0)
    entry = at.session_state["results"]["chu"]
    warm = entry["result"]
    assert warm.manifest["warm_start"] and warm.manifest["model_reused"]  # the edit re-used the kept model warm
    assert entry.get("cold") is None  # no cold solve until a view of duals is opened
    basin, opts = entry["label_args"]
    solver.clear_cache()
    cold = optimizer.solve(basin, **opts)  # a fresh model, cold: what `chutalas solve` gives
    assert not cold.manifest["warm_start"] and not cold.manifest["model_reused"]
    for v in FLOWS:
        assert v in cold.dataset
        np.testing.assert_allclose(warm.dataset[v].values, cold.dataset[v].values, atol=1e-6, err_msg=v)
    # the Reservoirs tab shows the water values: a cold solve's, the chart's numbers those of the fresh cold solve
    at.session_state["tab"] = t("tab_reservoirs")
    at.run()
    assert not at.exception and not at.error
    shown_result = at.session_state["results"]["chu"]["cold"]
    assert not shown_result.manifest["warm_start"]
    np.testing.assert_allclose(shown_result.dataset["water_value"].values, cold.dataset["water_value"].values,
                               atol=1e-6)
    (chart,) = [json.loads(c.proto.spec) for c in at.get("plotly_chart") if c.key == "chart_water_values"]
    np.testing.assert_allclose(_z(chart), cold.dataset["water_value"].transpose("node", "time").values, atol=1e-6)
    # the ledger's shadow prices (Compliance tab, CSV) are the cold ones too
    np.testing.assert_allclose(cold_result(entry).ledger["shadow_price"].to_numpy(float),
                               cold.ledger["shadow_price"].to_numpy(float), atol=1e-6)


def test_where_a_warm_start_gives_other_water_values_the_app_shows_the_cold_ones():
    # Talas, 12 months: normal, then very dry, then extremely dry, each solved warm from the one before: the last
    # year ends at another valid dual (measured 2026-12-04: water values 4.46 cost units per hm³ apart at one node
    # and month from a cold solve's; normal - wet - very dry gave 4.5 until the measured year types of that day, and
    # now the same duals); the chart must show the cold one. (A warm start's basis depends on the solves before it.)
    solver.clear_cache()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.radio(key="basin").set_value("talas")
    at.run()
    for yt in ("very-dry", "extreme-dry"):
        (box,) = [w for w in at.selectbox if w.key and w.key.startswith("year_type")]
        box.set_value(yt)
        at.run()
    at.session_state["tab"] = t("tab_reservoirs")
    at.run()
    assert not at.exception and not at.error
    entry = at.session_state["results"]["talas"]
    assert entry["result"].manifest["warm_start"] and entry["result"].manifest["model_reused"]
    basin, opts = entry["label_args"]
    assert opts["year_type"] == "extreme-dry"
    solver.clear_cache()
    cold = optimizer.solve(basin, **opts)
    wv = cold.dataset["water_value"]
    warm_gap = float(np.abs(entry["result"].dataset["water_value"] - wv).max())
    assert warm_gap > 1.0  # the warm dual is another one here (else this test would prove nothing)
    (chart,) = [json.loads(c.proto.spec) for c in at.get("plotly_chart") if c.key == "chart_water_values"]
    np.testing.assert_allclose(_z(chart),
                               wv.transpose("node", "time").values, atol=1e-6)
    for v in FLOWS:  # and the allocation shown is the cold one
        assert v in cold.dataset
        np.testing.assert_allclose(entry["result"].dataset[v].values, cold.dataset[v].values, atol=1e-6,
                                       err_msg=v)


def test_an_inflow_edit_pushes_only_the_changed_bounds_and_solves_as_a_fresh_model(monkeypatch):
    from optimizer.core import solve_arrays
    from optimizer.core.assemble_highs import ArrayLP
    from optimizer.core.horizon_inputs import horizon, inflow_series

    b = basins.load("chu")
    times = horizon("2025-01", 12, "month")
    base = inflow_series(b, times, "dry", "month")
    edited = base.copy()
    edited[0, 0] = float(edited[0, 0]) + 25.0
    solver.clear_cache()
    optimizer.solve(b, inflow=base, warm_start=True)
    passed, pushed = [], []
    real_pass, real_push = ArrayLP.pass_model, solve_arrays.push_changes
    monkeypatch.setattr(ArrayLP, "pass_model", lambda self, a: (passed.append(1), real_pass(self, a))[1])
    monkeypatch.setattr(solve_arrays, "push_changes", lambda lp, a: (pushed.append(r := real_push(lp, a)), r)[1])
    warm = optimizer.solve(b, inflow=edited, warm_start=True)
    assert pushed == [True] and passed == []  # the kept instance got the changed bounds, not a new LP
    monkeypatch.undo()
    solver.clear_cache()
    cold = optimizer.solve(b, inflow=edited)
    for v in FLOWS:
        np.testing.assert_allclose(warm.dataset[v].values, cold.dataset[v].values, atol=1e-6, err_msg=v)
    assert warm.objective == cold.objective or abs(warm.objective - cold.objective) <= 1e-9 * abs(cold.objective)


def test_a_column_fixed_or_freed_by_an_edit_passes_the_whole_lp():
    """HiGHS holds a fixed column's cost in the objective's constant (assemble_highs.fixed_cost_moved), so bounds
    that fix or free a column, or move a fixed one, cannot be pushed alone: the cost HiGHS holds would be stale.
    push_changes refuses them (the caller passes the whole LP); other bound changes are pushed."""
    from dataclasses import replace

    from optimizer.core import solve_arrays
    from optimizer.core.assemble import assemble
    from optimizer.core.assemble_highs import ArrayLP
    from optimizer.core.horizon_inputs import horizon, inflow_series
    from optimizer.core.model import make_inputs

    b = basins.load("talas")
    times = horizon("2025-01", 12, "month")
    a = assemble(make_inputs(b, times, inflow_series(b, times, "normal", "month"), step="month"))
    free = int(np.flatnonzero((a.col_lo < a.col_hi) & (a.cost > 0))[0])
    fixed = int(np.flatnonzero((a.col_lo == a.col_hi) & (a.cost > 0))[0])

    def with_bounds(j, lo, hi):
        col_lo, col_hi = a.col_lo.copy(), a.col_hi.copy()
        col_lo[j], col_hi[j] = lo, hi
        return replace(a, col_lo=col_lo, col_hi=col_hi)

    for edited, pushed in [(with_bounds(free, a.col_lo[free], a.col_lo[free]), False),  # fixed by the edit
                           (with_bounds(fixed, 0.0, 5.0), False),  # freed
                           (with_bounds(fixed, 1.0, 1.0), False),  # a fixed column moved: the constant changes
                           (with_bounds(free, a.col_lo[free], a.col_lo[free] + 7.0), True)]:  # only a bound moved
        lp = ArrayLP()
        lp.pass_model(a)
        assert solve_arrays.push_changes(lp, edited) is pushed


def test_warm_edits_solve_both_stages_hot_on_two_kept_instances_and_match_a_cold_solve(monkeypatch):
    """After a first warm solve, the kept entry holds stage 2's LP in a second HiGHS instance (ArrayLP.highs2):
    each later edit pushes its bounds to both and re-solves each stage from its own basis and factors (no
    setBasis, no costs changed: second_stage.run_kept, not second_stage.run). Over a run of edits, small and
    large, on both basins, every warm answer is the cold one (flows, ledger and objective)."""
    from optimizer.core import second_stage
    from optimizer.core.horizon_inputs import horizon, inflow_series

    calls = {"run": 0, "kept": 0}
    real_run, real_kept = second_stage.run, second_stage.run_kept
    monkeypatch.setattr(second_stage, "run", lambda *a, **k: (calls.__setitem__("run", calls["run"] + 1),
                                                              real_run(*a, **k))[1])
    monkeypatch.setattr(second_stage, "run_kept", lambda *a, **k: (calls.__setitem__("kept", calls["kept"] + 1),
                                                                   real_kept(*a, **k))[1])
    def warm_and_cold(b, edited, what: str):
        """The warm solve of ``edited`` on the kept entry, and a cold one in a fresh cache (its own stage 2 not
        counted), with equal flows."""
        warm = optimizer.solve(b, inflow=edited, warm_start=True)
        with monkeypatch.context() as m:
            m.setattr(solver, "_cache", type(solver._cache)())
            cold = optimizer.solve(b, inflow=edited)
        calls["run"] -= 1
        for v in FLOWS:
            np.testing.assert_allclose(warm.dataset[v].values, cold.dataset[v].values, atol=1e-6,
                                       err_msg=f"{b.id} {what}: {v}")
        return warm, cold

    for bid, months in (("chu", 12), ("talas", 24)):
        b = basins.load(bid)
        times = horizon("2025-01", months, "month")
        base = inflow_series(b, times, "dry", "month")
        solver.clear_cache()
        optimizer.solve(b, inflow=base, warm_start=True)
        calls.update(run=0, kept=0)
        for i, (step, add) in enumerate([(0, 25.0), (5, -3.0), (6, 150.0), (3, 0.5), (0, -25.0)]):
            edited = base.copy()
            edited[step, i % edited.shape[1]] = max(0.0, float(edited[step, i % edited.shape[1]]) + add)
            warm, cold = warm_and_cold(b, edited, f"edit {i}")
            assert warm.manifest["model_reused"] and warm.manifest["warm_start"]
            np.testing.assert_allclose(warm.ledger["received_hm3"].to_numpy(dtype=float),
                                       cold.ledger["received_hm3"].to_numpy(dtype=float), atol=1e-6)
            assert abs(warm.objective - cold.objective) <= 1e-9 * max(1.0, abs(cold.objective))
            # stage 2's priority cost above the optimum, from the kept instance: within its bound (second_stage)
            assert -1e-6 <= warm.manifest["stage2_cost_above_optimum"] <= warm.manifest["stage2_cost_bound"] + 1e-6
        # the first edit after the first warm solve is already hot: the first warm solve set up the second instance
        assert calls == {"run": 0, "kept": 5}, (bid, calls)
        # a cold solve on the kept entry passes the whole LP (the second instance is out of sync); the next warm
        # solve puts it back in sync (stage 2 on the first instance once), the one after runs hot again
        optimizer.solve(b, inflow=base)
        for k, edit in enumerate((30.0, 60.0)):
            edited = base.copy()
            edited[2, 0] = float(edited[2, 0]) + edit
            warm_and_cold(b, edited, f"after a cold solve, edit {k}")
        assert calls == {"run": 2, "kept": 6}, (bid, calls)  # the cold solve's and the re-sync's stage 2
