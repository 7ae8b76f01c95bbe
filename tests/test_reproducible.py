"""Same inputs, same numbers: re-solves on a reused model, fresh models, and NetCDF round trips."""

from __future__ import annotations

import pandas as pd
import pytest
import xarray as xr

import basins
import optimizer
from optimizer.core.result import Result


@pytest.fixture(scope="module", params=["chu", "talas"])
def basin(request):
    return basins.load(request.param)


def fresh(*args, **kw):
    """A solve on a newly built model, as in a new process."""
    optimizer.clear_cache()
    r = optimizer.solve(*args, **kw)
    assert not r.manifest["model_reused"]
    return r


def test_same_inputs_give_identical_results(basin):
    a = fresh(basin, "dry")
    b = optimizer.solve(basin, "dry")
    assert b.manifest["model_reused"]
    xr.testing.assert_identical(a.dataset, b.dataset)
    pd.testing.assert_frame_equal(a.ledger, b.ledger)
    pd.testing.assert_frame_equal(a.cost_sharing, b.cost_sharing)
    assert a.manifest["inputs_sha256"] == b.manifest["inputs_sha256"]
    assert a.objective == b.objective


def test_a_reloaded_basin_gives_the_same_hash(basin):
    again = basins.load(basin.id)
    assert optimizer.solve(basin, "normal").manifest["inputs_sha256"] == \
        optimizer.solve(again, "normal").manifest["inputs_sha256"]


@pytest.mark.parametrize("change", [dict(year_type="wet"), dict(months=13), dict(start="2026-01"),
                                    dict(foresight="myopic"), dict(operation="status-quo"),
                                    dict(end_storage="free")])
def test_different_inputs_give_a_different_hash(basin, change):
    base = dict(year_type="dry", start="2025-01", months=12)
    h0 = optimizer.solve(basin, **base).manifest["inputs_sha256"]
    assert optimizer.solve(basin, **{**base, **change}).manifest["inputs_sha256"] != h0


def test_a_changed_basin_gives_a_different_hash(basin):
    changed = basin.copy()
    changed.demand.values[5, 0] += 1.0
    assert optimizer.solve(basin, "dry").manifest["inputs_sha256"] != \
        optimizer.solve(changed, "dry").manifest["inputs_sha256"]


@pytest.mark.parametrize("year_type", ["wet", "very-dry"])
def test_reused_model_after_other_data_equals_a_fresh_model(basin, year_type):
    # warm re-solve on the cached model after solving other numbers on the same structure
    for other in ("normal", "dry"):
        optimizer.solve(basin, other)
    warm = optimizer.solve(basin, year_type)
    assert warm.manifest["model_reused"]
    cold = fresh(basin, year_type)
    xr.testing.assert_identical(warm.dataset, cold.dataset)
    pd.testing.assert_frame_equal(warm.ledger, cold.ledger)
    assert warm.objective == cold.objective


def test_reused_model_after_changed_rules_and_demands_equals_a_fresh_model(basin):
    # numbers the model holds as mutable parameters: shares, quota volumes, demands, capacities, storage
    changed = basin.copy()
    ag = changed.spec.agreement
    rule = ag.share_rules[0]
    rule.shares = {"KZ": 0.45, "KG": 0.55} if "KG" in rule.shares else rule.shares
    for q in ag.quotas:
        q.volume_hm3 *= 1.2
    changed.demand.values[:] *= 1.1
    for r in changed.spec.reservoirs:
        r.initial_storage_hm3 = r.dead_storage_hm3 + 0.5 * (r.initial_storage_hm3 - r.dead_storage_hm3)
    optimizer.clear_cache()
    optimizer.solve(basin, "dry")
    warm = optimizer.solve(changed, "dry")
    assert warm.manifest["model_reused"]
    cold = fresh(changed, "dry")
    xr.testing.assert_identical(warm.dataset, cold.dataset)
    pd.testing.assert_frame_equal(warm.ledger, cold.ledger)
    assert warm.objective == cold.objective


def test_changed_physics_rebuilds_the_model(basin):
    # losses, return fractions and evaporation are matrix coefficients: a change must not reuse the model
    changed = basin.copy()
    changed.spec.links[0].loss_fraction = 0.05
    changed.evaporation.values[:] *= 2
    optimizer.solve(basin, "dry")
    warm = optimizer.solve(changed, "dry")
    assert not warm.manifest["model_reused"]
    cold = fresh(changed, "dry")
    xr.testing.assert_identical(warm.dataset, cold.dataset)
    assert warm.objective == cold.objective


def test_netcdf_round_trip(basin, tmp_path):
    r = optimizer.solve(basin, "very-dry")
    path = r.to_netcdf(tmp_path / "run.nc")
    back = Result.from_netcdf(path)
    xr.testing.assert_identical(back.dataset, r.dataset)
    pd.testing.assert_frame_equal(back.ledger, r.ledger, check_dtype=False)
    pd.testing.assert_frame_equal(back.cost_sharing, r.cost_sharing, check_dtype=False)
    assert back.manifest == r.manifest
    assert back.objective == r.objective
    assert back.dataset.attrs["inputs_sha256"] == r.manifest["inputs_sha256"]


def test_netcdf_round_trip_of_a_myopic_run(tmp_path):
    # the myopic ledger has no shadow prices (NaN): they must come back as NaN
    r = optimizer.solve("talas", "dry", foresight="myopic", end_storage="free")
    back = Result.from_netcdf(r.to_netcdf(tmp_path / "myopic.nc"))
    xr.testing.assert_identical(back.dataset, r.dataset)
    pd.testing.assert_frame_equal(back.ledger, r.ledger, check_dtype=False)
    assert back.manifest == r.manifest


def test_results_made_on_shared_coordinates_are_independent():
    """The result Dataset's coordinates are made once per network and horizon (optimizer.core.dataset): a
    result changed by its reader (attributes, a coordinate added) leaves the next result as a fresh one."""
    b = basins.load("talas")
    first = optimizer.solve(b, months=6).dataset
    first["time"].attrs["long_name"] = "changed by a reader"
    first["node"].attrs["note"] = "added"
    first.coords["scenario"] = "mine"
    second = optimizer.solve(b, months=6).dataset
    assert second["time"].attrs["long_name"] == "start of the time step (month)"
    assert "note" not in second["node"].attrs and "scenario" not in second.coords
    assert str(second["time"].dtype) == str(first["time"].dtype) and second["time"].values[0] == pd.Timestamp("2025-01-01")
