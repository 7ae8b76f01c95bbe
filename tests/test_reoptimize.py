"""Instant edits (issue 15 item 3, optimizer.core.reoptimize): an inflow edit pushes only the changed row bounds,
runs stage 2 alone from its kept basis, and reports the allocation a cold solve of the edited series reports; the
whole Result (stage 1, ledger, manifest) is made on demand and is optimizer.solve's."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

import basins
import optimizer
from fixtures import quota
from optimizer.core.assemble import assemble, inflow_row_bounds
from optimizer.core.model import make_inputs

TOL = 1e-6  # hm³: the uniqueness tolerance of stage 2 (tests/test_unique.py)


@pytest.fixture(scope="module", params=["chu", "talas"])
def basin(request):
    return basins.load(request.param)


def _same_allocation(alloc, ds) -> None:
    """The edit's arrays equal a solve's Dataset: flows, end-of-step storage, deliveries [hm³]."""
    np.testing.assert_allclose(alloc.array("x"), ds["flow_hm3"].values, rtol=0, atol=TOL)
    np.testing.assert_allclose(alloc.array("q"), ds["delivery_hm3"].values, rtol=0, atol=TOL)
    if "storage_hm3" in ds:
        np.testing.assert_allclose(alloc.array("s"), ds["storage_hm3"].values, rtol=0, atol=TOL)


def test_edits_report_the_cold_solves_allocation(basin):
    ro = optimizer.Reoptimizer(basin, "dry", start="2025-01", months=12)
    q0 = ro.inflow.values.copy()
    edits = [{(ro.nodes[0], "2025-05"): 1.4 * q0[4, 0]},
             {(ro.nodes[-1], "2025-08"): 0.5 * q0[7, -1], (ro.nodes[0], "2025-01"): 0.0},
             {(ro.nodes[0], 6): 40.0}]  # (a step number, and m³/s below)
    for cells in edits:
        alloc = ro.set_inflow(cells)
        assert alloc.path == "bounds"  # only row bounds pushed, stage 2 alone
        _same_allocation(alloc, optimizer.solve(basin, inflow=ro.inflow).dataset)
    alloc = ro.set_inflow({(ro.nodes[0], "2025-07"): 25.0}, unit="m3/s")
    assert float(ro.inflow.values[6, 0]) == pytest.approx(25.0 * 31 * 86400 / 1e6, rel=1e-12)
    cold = optimizer.solve(basin, inflow=ro.inflow)
    _same_allocation(alloc, cold.dataset)
    # the whole Result on demand: stage 1 solved then; the warm solve's manifest, the cold one's numbers
    r = ro.result()
    warm = optimizer.solve(basin, inflow=ro.inflow, warm_start=True)
    assert r.manifest["inputs_sha256"] == warm.manifest["inputs_sha256"] == cold.manifest["inputs_sha256"]
    assert r.manifest["options"]["year_type"] == "explicit series" and r.manifest["status"] == "optimal"
    assert r.manifest["objective"] == pytest.approx(cold.manifest["objective"], rel=1e-9, abs=1e-6)
    assert 0.0 <= r.manifest["stage2_cost_above_optimum"] <= r.manifest["stage2_cost_bound"] + 1e-9
    np.testing.assert_allclose(r.ledger["received_hm3"], cold.ledger["received_hm3"], rtol=0, atol=TOL)
    np.testing.assert_allclose(r.dataset["flow_hm3"].values, alloc.array("x"), rtol=0, atol=0)


def test_the_edited_bounds_are_a_fresh_assemblys_bit_for_bit(basin):
    ro = optimizer.Reoptimizer(basin, "normal", start="2025-04", months=24)
    ro.set_inflow({(ro.nodes[0], "2025-06"): 11.0, (ro.nodes[-1], "2026-02"): 0.0})
    kept = ro._entry.lp.assembled
    fresh = assemble(make_inputs(basin, ro.times, ro.inflow))
    assert np.array_equal(kept.row_lo, fresh.row_lo) and np.array_equal(kept.row_hi, fresh.row_hi)
    start = assemble(make_inputs(basin, ro.times, ro.inflow * 0.5))  # another inflow, re-written to this one
    lo, hi = inflow_row_bounds(start, ro.inflow.values.T)
    assert np.array_equal(lo, fresh.row_lo) and np.array_equal(hi, fresh.row_hi)
    # and an edit changes exactly the rows whose bounds move: the node's balance, its aquifer's, its rules'
    before = kept.row_lo.copy()
    ro.set_inflow({(ro.nodes[0], "2025-06"): 12.0})
    moved = {ro._entry.lp.assembled.row.label(int(i))[0] for i in
             np.flatnonzero(ro._entry.lp.assembled.row_lo != before)}
    assert "balance" in moved and moved <= {"balance", "agreement"}


def test_a_year_types_table_edited_in_the_basin_is_the_solve_of_that_basin():
    b = basins.load("chu")
    ro = optimizer.Reoptimizer(b, "very-dry", start="2025-01", months=12)
    edited = b.copy()
    cell = {"year_type": "very-dry", "month": 6, "node": "CH_IN_OT"}
    edited.inflow.loc[cell] = float(edited.inflow.sel(**cell)) * 1.5
    alloc = ro.set_basin_inflow(edited)
    solved = optimizer.solve(edited, "very-dry", start="2025-01", months=12)
    assert alloc.path == "bounds"
    _same_allocation(alloc, solved.dataset)
    r = ro.result()
    assert r.manifest["inputs_sha256"] == solved.manifest["inputs_sha256"]  # the year type, the edited basin
    assert r.manifest["options"]["year_type"] == "very-dry"
    other = edited.copy()
    other.demand.values[0, 0] += 1.0  # not only the inflow table: refused, nothing solved
    with pytest.raises(ValueError, match="more than its inflow tables"):
        ro.set_basin_inflow(other)
    assert ro.result() is r
    # another year type of the same basin is an inflow change too: the solve of that year type
    alloc = ro.set_basin_inflow(edited, "wet")
    solved = optimizer.solve(edited, "wet", start="2025-01", months=12)
    assert alloc.path == "bounds"
    _same_allocation(alloc, solved.dataset)
    assert ro.result().manifest["inputs_sha256"] == solved.manifest["inputs_sha256"]
    with pytest.raises(ValueError, match="unknown year type 'soggy'"):
        ro.set_basin_inflow(edited, "soggy")


@pytest.mark.parametrize("cells, unit, words", [
    ({("NOPE", "2025-05"): 1.0}, "hm3", "'NOPE' is not an inflow node of chu; its inflow nodes are CH_IN_OT"),
    ({("CH_IN_OT", "2024-05"): 1.0}, "hm3", "'2024-05' is not the start of a step of the horizon (2025-01-01"),
    ({("CH_IN_OT", 12): 1.0}, "hm3", "step 12 is outside the horizon (steps 0-11)"),
    ({("CH_IN_OT", "2025-05"): 5.0, ("CH_IN_MID", "2025-05"): -1.0}, "hm3",
     "inflow of 'CH_IN_MID' in 2025-05 is -1.0 hm3: give a finite number ≥ 0"),
    ({("CH_IN_OT", "2025-05"): float("nan")}, "m3/s", "inflow of 'CH_IN_OT' in 2025-05 is nan m3/s"),
    ({("CH_IN_OT", "2025-05"): "lots"}, "hm3", "is 'lots', not a number"),
    ({("CH_IN_OT", "2025-05"): 1.0}, "l/s", "unit must be one of"),
])
def test_a_bad_cell_is_refused_by_name_and_nothing_changes(cells, unit, words):
    ro = optimizer.Reoptimizer("chu", "normal", months=12)
    before, alloc = ro.inflow.values.copy(), ro.allocation
    with pytest.raises(ValueError) as exc:
        ro.set_inflow(cells, unit=unit)
    assert words in str(exc.value)
    assert np.array_equal(ro.inflow.values, before) and ro.allocation is alloc  # the valid cell not applied either


def test_an_edit_that_breaks_a_hard_rule_is_diagnosed_and_kept():
    # Apr–Sep brings 6 × 100 = 600 hm³ and KZ is owed 500 at the border: May and June cut to 0 leave 400
    ro = optimizer.Reoptimizer(quota(volume=500), "normal", start="2025-01", months=12)
    with pytest.raises(optimizer.InfeasibleAgreement) as exc:
        ro.set_inflow({("IN", "2025-05"): 0.0, ("IN", "2025-06"): 0.0})
    c = exc.value.conflicts
    assert list(c["rule"]) == ["kz_quota"]
    assert c.iloc[0]["shortfall_hm3"] == pytest.approx(100.0, abs=1e-6)
    assert float(ro.inflow.sel(node="IN").values[4]) == 0.0  # what the user typed is kept
    with pytest.raises(optimizer.InfeasibleAgreement):  # and the same cells again are solved again, not skipped
        ro.set_inflow({("IN", "2025-05"): 0.0})
    with pytest.raises(optimizer.InfeasibleAgreement):
        ro.result()
    # another edit that still breaks the quota (410 of 500) is diagnosed too: never the diagnosis's elastic LP
    # solved as if it were the allocation (review of 6997e27: it was, and came back "optimal")
    with pytest.raises(optimizer.InfeasibleAgreement) as exc:
        ro.set_inflow({("IN", "2025-05"): 10.0})
    assert exc.value.conflicts.iloc[0]["shortfall_hm3"] == pytest.approx(90.0, abs=1e-6)
    alloc = ro.set_inflow({("IN", "2025-05"): 100.0})  # feasible again (500 exactly), after the diagnosis
    assert alloc.path == "full"  # (the first solve after a failure goes the whole way)
    led = ro.result().ledger
    row = led[led["rule"] == "kz_quota"].iloc[0]
    assert row["received_hm3"] == pytest.approx(500.0, abs=1e-6) and row["met"]
    _same_allocation(alloc, optimizer.solve(quota(volume=500), inflow=ro.inflow).dataset)
    alloc = ro.set_inflow({("IN", "2025-06"): 100.0})
    assert alloc.path == "bounds"  # the stage-2 instance is in sync again


def test_a_series_or_basin_with_an_absurd_value_is_refused_and_nothing_changes():
    ro = optimizer.Reoptimizer("talas", "normal", months=12)
    before, alloc = ro.inflow.values.copy(), ro.allocation
    series = ro.inflow.copy()
    series.loc[{"node": "TA_IN_TRIB", "time": "2025-07-01"}] = 1e13  # above MAX_INPUT (HiGHS would see it)
    with pytest.raises(ValueError, match="inflow of 'TA_IN_TRIB' in 2025-07 is 1e[+]13 hm3"):
        ro.set_inflow_series(series)
    assert np.array_equal(ro.inflow.values, before) and ro.allocation is alloc


def test_the_bounds_of_every_tiny_network_are_re_written_bit_for_bit():
    """For every tiny network of tests/test_assemble.py (every equation family), monthly and dekadal, agreement
    and status quo and the month-by-month operator's inputs: the bounds re-written for another inflow are those
    a fresh assembly at that inflow gives, exactly."""
    import dataclasses

    from test_assemble import TINY, inputs, myopic_inputs

    for name, make in TINY.items():
        b = make()
        for inp in (inputs(b, 12), inputs(b, 2, step="dekad"), inputs(b, 12, "status-quo", start="2025-04"),
                    myopic_inputs(b, 6)):
            other = inp.inflow * np.linspace(0.3, 1.7, inp.T)[:, None] + 2.5
            fresh = assemble(dataclasses.replace(inp, inflow=other))
            lo, hi = inflow_row_bounds(assemble(inp), other.to_numpy(float).T)
            assert np.array_equal(lo, fresh.row_lo) and np.array_equal(hi, fresh.row_hi), name
            assert not np.array_equal(lo, assemble(inp).row_lo), name  # (the inflow moved some bound)


def test_an_edit_upstream_of_a_loss_table_goes_the_whole_way():
    from test_bed_loss import with_table

    b = basins.loads(yaml.safe_dump(with_table(60.0), sort_keys=False), "bed.yaml")
    ro = optimizer.Reoptimizer(b, "normal", start="2025-01", months=12)
    alloc = ro.set_inflow({("IN", "2025-01"): 240.0})  # the border reach's loss moves from 0.72 to 0.18
    assert alloc.path == "full"
    ds = optimizer.solve(b, inflow=ro.inflow).dataset
    _same_allocation(alloc, ds)
    share = float(ds["link_evaporation_hm3"].sel(link="L_BORDER").isel(time=0)
                  / ds["flow_hm3"].sel(link="L_BORDER").isel(time=0))
    assert share == pytest.approx(0.9 - 0.008 * 240e6 / (31 * 86400), abs=1e-9)


def test_a_dekadal_problem_is_edited_per_dekad():
    ro = optimizer.Reoptimizer("talas", "normal", start="2025-04", months=3, step="dekad")
    assert len(ro.times) == 9
    alloc = ro.set_inflow({("TA_IN_UP", "2025-05-11"): 12.0}, unit="m3/s")
    assert float(ro.inflow.sel(node="TA_IN_UP").values[4]) == pytest.approx(12.0 * 10 * 86400 / 1e6, rel=1e-12)
    assert alloc.path == "bounds"
    _same_allocation(alloc, optimizer.solve("talas", inflow=ro.inflow).dataset)
    with pytest.raises(ValueError, match="not the start of a step"):
        ro.set_inflow({("TA_IN_UP", "2025-05-12"): 1.0})
