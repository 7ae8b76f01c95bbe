"""Every NetCDF file the project writes passes IOOS compliance-checker's CF 1.11 suite with no errors and no
warnings, re-opens with plain xarray and with the netCDF-C library (netCDF4), and round-trips exactly."""

from __future__ import annotations

import json

import netCDF4
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from compliance_checker.runner import CheckSuite, ComplianceChecker

import optimizer
from optimizer.analyses import ensemble as en
from optimizer.analyses import scenarios
from optimizer.core import netcdf

CheckSuite.load_all_available_checkers()


def _cf_report(path, tmp_path) -> dict:
    """compliance-checker's JSON report of ``path`` against cf:1.11 (what ``cchecker.py --test cf:1.11`` prints)."""
    out = tmp_path / f"{path.stem}.cf.json"
    ComplianceChecker.run_checker(str(path), ["cf:1.11"], 0, "normal", output_filename=str(out),
                                  output_format="json")
    report = json.loads(out.read_text())["cf:1.11"]
    print(f"{path.name}: cf:1.11 scored {report['scored_points']}/{report['possible_points']}; errors "
          f"{len(_failed(report['high_priorities']))}, warnings {len(_failed(report['medium_priorities']))}, "
          f"suggestions {len(_failed(report['low_priorities']))}")
    return report


def _failed(items: list[dict]) -> list[str]:
    return [f"{i['name']}: {i['msgs']}" for i in items if i["value"][0] < i["value"][1]]


@pytest.fixture(scope="module")
def solved():
    return optimizer.solve("chu", "normal", months=12)


def test_a_solve_file_passes_cf_1_11(solved, tmp_path):
    path = solved.to_netcdf(tmp_path / "run.nc")
    report = _cf_report(path, tmp_path)
    assert not _failed(report["high_priorities"]), _failed(report["high_priorities"])
    assert not _failed(report["medium_priorities"]), _failed(report["medium_priorities"])
    assert report["scored_points"] == report["possible_points"]


def test_an_ensemble_file_passes_cf_1_11(tmp_path):
    import basins
    talas = basins.load("talas")
    q = scenarios.generate(talas, members=3, years=1, seed=1)
    ds = en.solve_ensemble(talas, q, scheduler="synchronous", progress=False)
    path = en.to_netcdf(ds, tmp_path / "ens.nc")
    report = _cf_report(path, tmp_path)
    assert not _failed(report["high_priorities"]), _failed(report["high_priorities"])
    assert not _failed(report["medium_priorities"]), _failed(report["medium_priorities"])
    assert report["scored_points"] == report["possible_points"]
    back = netcdf.read(path)
    xr.testing.assert_identical(back.drop_encoding(), ds.drop_encoding())


def test_the_cf_form(solved, tmp_path):
    path = solved.to_netcdf(tmp_path / "run.nc")
    with xr.open_dataset(path) as f:  # plain xarray, default engine
        assert f.attrs["Conventions"] == "CF-1.11" and f.attrs["title"].startswith("Chu")
        assert "chutalas 0.1.0: solve" in f.attrs["history"]
        t = f["time"]
        assert t.attrs["standard_name"] == "time" and t.attrs["axis"] == "T" and t.attrs["bounds"] == "time_bnds"
        bnds = pd.to_datetime(f["time_bnds"].values.ravel()).values.reshape(-1, 2)
        days = (bnds[:, 1] - bnds[:, 0]) / np.timedelta64(1, "D")
        assert list(days) == [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]  # 2025: the real step lengths
        d = f["delivery_hm3"]
        assert d.attrs["units"] == "hm3" and d.attrs["cell_methods"] == "time: sum" and d.dims == ("demand", "time")
        np.testing.assert_allclose(d.transpose("time", "demand").values, solved.dataset["delivery_hm3"].values)
        assert f["storage_hm3"].attrs["units"] == "hm3" and "cell_methods" not in f["storage_hm3"].attrs
        assert f["node_lat"].attrs["standard_name"] == "latitude"
        for v in f.variables:  # (a boundary variable takes its metadata from its parent, CF 7.1)
            assert "long_name" in f[v].attrs or v == "time_bnds", v
        # ledger and cost split as named variables along their row dimensions
        led = solved.ledger
        assert list(f["ledger__received_hm3"].values) == pytest.approx(list(led["received_hm3"]))
        assert f["ledger__met"].attrs["flag_meanings"] == "false true"
        assert list(f["cost__party"].values) == list(solved.cost_sharing["party"])
    with netCDF4.Dataset(path) as nc:  # the netCDF-C library (what ncdump uses)
        assert nc.Conventions == "CF-1.11"
        for name in ("time", "node", "link", "party"):
            assert "_FillValue" not in nc[name].ncattrs(), name
        assert nc["time"].units == "days since 1970-01-01"


def test_a_solve_round_trips_exactly(solved, tmp_path):
    back = optimizer.Result.from_netcdf(solved.to_netcdf(tmp_path / "run.nc"))
    xr.testing.assert_identical(back.dataset, solved.dataset)
    assert back.manifest == solved.manifest


def test_time_steps_must_start_a_month():
    with pytest.raises(ValueError, match="first day of a month"):
        netcdf.time_bounds(pd.DatetimeIndex(["2025-01-15"]))
