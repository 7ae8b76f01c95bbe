"""Ensembles: every member solved as a single run would be, the same numbers on one process or on a
two-worker Dask cluster, statistics that follow from the members' ledgers, and a robust seasonal plan
that does at least as well as planning on the normal year."""

from __future__ import annotations

import argparse
import io
import json
import logging

import numpy as np
import pytest
import xarray as xr

import basins
import optimizer
from fixtures import quota
from optimizer.analyses import ensemble as en
from optimizer.analyses import scenarios as sc
from optimizer.interfaces import cli_ensemble

MEMBERS = 8


@pytest.fixture(scope="module")
def client():
    import distributed
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                       silence_logs=logging.ERROR)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.fixture(scope="module")
def talas():
    return basins.load("talas")


@pytest.fixture(scope="module")
def members(talas):
    return sc.generate(talas, members=MEMBERS, years=1, seed=7)


@pytest.fixture(scope="module")
def serial(talas, members):
    return en.solve_ensemble(talas, members, scheduler="synchronous")


def test_a_two_worker_cluster_gives_exactly_the_serial_numbers(talas, members, serial, client):
    dist = en.solve_ensemble(talas, members, client=client, chunk_size=3)
    assert dist.attrs["workers"] == 2 and dist.attrs["chunks"] == 3
    xr.testing.assert_equal(serial, dist)  # exact: no tolerance
    assert (serial["status"] == "optimal").all()


def test_chunking_does_not_change_the_numbers(talas, members, serial):
    xr.testing.assert_equal(serial, en.solve_ensemble(talas, members, scheduler="synchronous", chunk_size=1))


@pytest.mark.parametrize("operation", ["agreement", "status-quo"])
def test_each_member_is_the_single_run_of_its_inflow(talas, members, serial, operation):
    ens = serial if operation == "agreement" else en.solve_ensemble(talas, members.isel(member=[0, 5]),
                                                                   scheduler="synchronous", operation=operation)
    for i, k in enumerate(ens["member"].values):
        r = optimizer.solve(talas, inflow=members.sel(member=k, drop=True), operation=operation)
        for v in en.VARIABLES:
            np.testing.assert_array_equal(ens[v].isel(member=i).values, r.dataset[v].values, err_msg=v)
        for f in en.LEDGER_FIELDS:
            np.testing.assert_array_equal(ens[f"ledger_{f}"].isel(member=i).values, r.ledger[f].to_numpy(), err_msg=f)
        assert ens["objective"].values[i] == r.objective


def test_the_dataset_carries_the_variables_of_a_single_run(serial):
    for v in ("storage_hm3", "delivery_hm3", "shortage_hm3", "received_hm3", "entitlement_hm3", "flow_hm3"):
        assert serial[v].dims[:2] == ("member", "time") and serial[v].attrs["units"].startswith("hm3")
    assert serial.sizes["member"] == MEMBERS
    np.testing.assert_array_equal(serial["scenario_inflow_hm3"].values, serial["natural_inflow_hm3"]
                                  .sel(node=serial["inflow_node"].values).values)


def test_rule_probabilities_come_from_the_members_ledgers(serial):
    """Reliability only where the operation does not enforce the rule (issue 11): a hard rule of the agreement
    operation is a constraint, so its P(met) would only say that the optimiser obeyed it; it is NaN and
    reported as enforced. (Before: P(talas_1983_shares met) = 1.0 for KZ, by construction.)"""
    met = serial["ledger_met"]
    for r in serial["rule"].values:
        for p in serial["party"].values:
            cols = (serial["ledger_rule"] == r) & (serial["ledger_party"] == p) & serial["ledger_applies"]
            got = float(serial["p_rule_met"].sel(rule=r, party=p))
            enforced = bool(serial["rule_enforced"].sel(rule=r, party=p))
            if not cols.any() or enforced or str(serial["rule_role"].sel(rule=r, party=p).values) == "reported":
                assert np.isnan(got)
                continue
            assert got == pytest.approx(float(met.isel(ledger_row=np.flatnonzero(cols.values)).mean()))
    # Kazakhstan's half of the Talas is a hard rule: enforced, not a reliability; the soft quota has one
    assert bool(serial["rule_enforced"].sel(rule="talas_1983_shares", party="KZ"))
    assert np.isnan(float(serial["p_rule_met"].sel(rule="talas_1983_shares", party="KZ")))
    assert not bool(serial["rule_enforced"].sel(rule="talas_vegetation_kz", party="KZ"))
    assert 0.0 <= float(serial["p_rule_met"].sel(rule="talas_vegetation_kz", party="KZ")) <= 1.0


def test_shortage_percentiles_and_minimum_storage(serial):
    kg = serial["shortage_hm3"].where(serial["demand_party"] == "KG", 0).sum(["time", "demand"]).values
    np.testing.assert_allclose(serial["party_shortage_hm3"].sel(party="KG").values, kg, rtol=1e-12)
    q = serial["shortage_quantile_hm3"].sel(party="KG")
    np.testing.assert_allclose(q.values, np.quantile(kg, en.QUANTILES), rtol=1e-12)
    assert (np.diff(q.values) >= 0).all()
    low = serial["min_storage_hm3"].sel(reservoir="TA_R_KIR").item()
    assert low == serial["storage_hm3"].sel(reservoir="TA_R_KIR").min().item()
    assert low >= serial["dead_storage_hm3"].sel(reservoir="TA_R_KIR").item() - 1e-9


def test_a_member_without_an_allocation_is_reported_not_fatal():
    """A hard Apr-Sep quota of 700 hm³ at the border cannot hold when only 300 hm³ flow by."""
    b = quota(volume=700.0)
    base = optimizer.solve(b, "normal", operation="status-quo").dataset["natural_inflow_hm3"].sel(node=["IN"])
    q = xr.concat([base * f for f in (1.5, 0.5, 2.0)], dim="member").assign_coords(member=[0, 1, 2])
    q.attrs["units"] = "hm3/month"
    ds = en.solve_ensemble(b, q, scheduler="synchronous")
    assert list(ds["status"].values) == ["optimal", "InfeasibleAgreement", "optimal"]
    assert "kz_quota" in str(ds["message"].values[1])
    assert np.isnan(ds["storage_hm3"].isel(member=1)).all() if ds.sizes["reservoir"] else True
    assert np.isnan(ds["flow_hm3"].isel(member=1)).all()
    assert ds.attrs["members_failed"] == 1 and ds.attrs["members_solved"] == 2
    # the hard quota is enforced: reported as feasible in 2 of 3 members with the infeasible one's diagnosis
    assert bool(ds["rule_enforced"].sel(rule="kz_quota", party="KZ"))
    assert np.isnan(float(ds["p_rule_met"].sel(rule="kz_quota", party="KZ")))
    buf = io.StringIO()
    cli_ensemble.print_statistics(ds, buf)
    assert "kz_quota, seasonal quota (floor on receipts): enforced" in buf.getvalue()
    assert "feasible in 2 of 3 members" in buf.getvalue() and "member 1: " in buf.getvalue()


@pytest.mark.parametrize("bad, match", [
    (lambda q: q.isel(member=0), "dims"),
    (lambda q: q.drop_sel(node="TA_IN_UP"), "lack the inflow nodes"),
    (lambda q: q.assign_attrs(units="m3/s"), "hm3/month"),
    (lambda q: q.where(q.member != 1, -1.0), "negative"),
])
def test_bad_scenarios_are_refused_with_the_reason(talas, members, bad, match):
    q = bad(members)
    if q.ndim == 2:
        q = q.rename(node="site")
    with pytest.raises(ValueError, match=match):
        en.solve_ensemble(talas, q, scheduler="synchronous")


def test_the_ensemble_round_trips_through_netcdf(serial, tmp_path):
    path = en.to_netcdf(serial, tmp_path / "ens.nc")
    with xr.open_dataset(path, engine="h5netcdf") as back:
        # CF order on disk: time is the last dimension (optimizer.core.netcdf.read restores the in-memory order)
        np.testing.assert_array_equal(back["storage_hm3"].transpose(*serial["storage_hm3"].dims).values,
                                      serial["storage_hm3"].values)
        np.testing.assert_array_equal(back["ledger_met"].values.astype(bool), serial["ledger_met"].values)
    assert [p.name for p in tmp_path.iterdir()] == ["ens.nc"]  # no temporary file left


def test_the_command_line_prints_party_statistics_and_writes_the_file(tmp_path, capsys):
    p = argparse.ArgumentParser()
    cli_ensemble.add_arguments(p)
    out = tmp_path / "talas.nc"
    args = p.parse_args(["talas", "--members", "4", "--seed", "3", "--start", "2050-01", "--climate", "2050", "--scheduler",
                         "synchronous", "--out", str(out), "--no-progress"])
    assert cli_ensemble.run(args) == 0
    text = capsys.readouterr().out
    assert "talas_1983_shares, entitlement (floor on receipts): enforced" in text
    assert "talas_1983_shares, use ceiling: enforced" in text and "P(talas_1983_shares met)" not in text
    assert "1983 shares of the Talas · talas_1983_shares, entitlement" in text  # the rule's name, then its id
    assert "shortage over the horizon" in text and "Kirov reservoir (TA_R_KIR)" in text
    # --climate alone: both ends of the published band (issue 13 item 5), each reported and written
    assert "== Climate 2050: mean flow -45 %, the drier end of the published band" in text
    assert "== Climate 2050: mean flow -25 %, the wetter end of the published band" in text
    assert not out.exists()
    for label, change in (("low", -0.45), ("high", -0.25)):
        with xr.open_dataset(tmp_path / f"talas_{label}.nc", engine="h5netcdf") as ds:
            assert ds.sizes["member"] == 4
            climate = json.loads(ds.attrs["scenario_climate"])
            assert climate["target_year"] == 2050 and climate["change"] == change
            assert ds.attrs["scenario_seed"] == 3
    # the drier end has less water than the wetter one, member by member (same seed, the same noise)
    with xr.open_dataset(tmp_path / "talas_low.nc", engine="h5netcdf") as lo, \
            xr.open_dataset(tmp_path / "talas_high.nc", engine="h5netcdf") as hi:
        total = lambda d: d["scenario_inflow_hm3"].sum(["time", "inflow_node"])  # noqa: E731
        assert (total(lo) < total(hi)).all()


def test_one_climate_change_instead_of_the_band(tmp_path, capsys):
    p = argparse.ArgumentParser()
    cli_ensemble.add_arguments(p)
    out = tmp_path / "one.nc"
    args = p.parse_args(["talas", "--members", "2", "--climate", "2050", "--climate-change", "-0.3", "--scheduler",
                         "synchronous", "--out", str(out), "--no-progress"])
    assert cli_ensemble.run(args) == 0
    assert "== Climate" not in capsys.readouterr().out
    with xr.open_dataset(out, engine="h5netcdf") as ds:
        assert json.loads(ds.attrs["scenario_climate"])["change"] == -0.3
    args = p.parse_args(["talas", "--members", "2", "--climate-change", "-0.3"])
    with pytest.raises(Exception, match="--climate-change needs --climate YEAR"):
        cli_ensemble.run(args)


# ---- robust seasonal plan ---------------------------------------------------------------------------

def test_cvar_is_the_mean_of_the_worst_tail():
    x = np.arange(1.0, 11.0)  # 1..10
    assert en.cvar(x, 0.9) == pytest.approx(10.0)
    assert en.cvar(x, 0.8) == pytest.approx(9.5)
    assert en.cvar(x, 0.85) == pytest.approx((10 + 0.5 * 9) / 1.5)
    assert en.cvar(x, 0.0) == pytest.approx(x.mean())
    # Rockafellar-Uryasev: min over eta of eta + E[(x - eta)+] / (1 - alpha), attained at a data point
    ru = min(e + np.maximum(x - e, 0).mean() / (1 - 0.85) for e in x)
    assert en.cvar(x, 0.85) == pytest.approx(ru)


@pytest.fixture(scope="module")
def plan(talas):
    return en.robust_plan(talas, sc.generate(talas, members=12, years=1, seed=21), alpha=0.9, weight=1.0)


def test_the_robust_plan_does_at_least_as_well_as_the_normal_year_plan(plan):
    """Both plans on the same members: expected loss + λ·CVaR of the robust plan is no larger."""
    c = plan.comparison
    assert c.loc["robust", "objective"] <= c.loc["normal-year", "objective"] + 1e-6 * abs(c.loc["normal-year",
                                                                                               "objective"])
    for name in ("robust", "normal-year"):  # the reported numbers are the LP's
        loss = plan.member_loss.sel(plan=name).values
        assert c.loc[name, "expected_loss"] == pytest.approx(loss.mean())
        assert c.loc[name, "objective"] == pytest.approx(c.loc[name, "lp_objective"], rel=1e-7)
    assert plan.schedule.attrs["units"] == "hm3/month"
    assert list(plan.schedule["time"].dt.month.values) == [4, 5, 6, 7, 8, 9]
    assert (plan.schedule.values >= 0).all()


def test_the_plan_needs_a_penalty_above_its_value(talas, members):
    with pytest.raises(ValueError, match="penalty"):
        en.robust_plan(talas, members, value=5.0, penalty=2.0)


def test_volumes_in_the_ensemble_report_are_never_raw_floats():
    # what a commissioner reads: the solver's rounding is 0, not "9.09e-14" (seen in a P90 shortfall, 2026-12-03)
    assert [cli_ensemble._hm3(v) for v in (9.09e-14, -1e-9, 0.0004, 0.0012, 4.96, 612.4, 2761.0, float("nan"))] == \
        ["0", "0", "0", "0.0012", "4.96", "612", "2,761", "-"]
