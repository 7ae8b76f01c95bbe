"""Calibration, validation and the status-quo/agreement comparison.

Every number checked here is recomputed by the model from the committed basin files; nothing is pinned
except the published observations themselves.
"""

from __future__ import annotations

import argparse
import json
import shutil

import numpy as np
import pandas as pd
import pytest

import basins
from optimizer.analyses import calibration as cal
from optimizer.analyses import validation as val

BASINS = ["chu", "talas"]


@pytest.fixture(scope="module", params=BASINS)
def basin(request):
    return basins.load(request.param)


@pytest.fixture(scope="module")
def modelled():
    """Modelled target volumes of the committed (calibrated) basins: status quo, cyclic normal year."""
    return {b: cal.evaluate(basins.load(b))[0] for b in BASINS}


@pytest.fixture(scope="module")
def fresh():
    """A fresh calibration of each committed basin (the second run; the committed values are the first)."""
    return {b: cal.calibrate(basins.load(b)) for b in BASINS}


# ---- the calibrated status-quo run against the targets --------------------------------------------

#: Targets the routed network misses (issue 13 items 1 and 3; data/*/SOURCES.md, "Calibrated inputs"): strict, so
#: that meeting one again fails here and the entry is removed. Chu: with no water vanishing, KG's consumption in
#: the documented ranges is too small for KZ's measured 2025 receipts even as a very-dry year (year-specific
#: inflows, upper-Chu uses and wells are missing). Talas Apr-Sep: KZ's demand is now area x duty, while its 2025
#: receipts were limited by the Commission schedule, which the status-quo run does not follow.
EXPECTED_MISSES = {
    ("chu", "kz_from_kg_year"): "no phantom water: KZ gets +24 % in a very-dry year (data/chu/SOURCES.md)",
    ("chu", "kz_from_kg_apr_sep"): "no phantom water: +60 % Apr-Sep (data/chu/SOURCES.md)",
    ("talas", "kz_from_kg_apr_sep"): "KZ demand from area x duty; 2025 receipts schedule-limited (+31 %)",
}


def _targets(bid):
    return [pytest.param(bid, t.id, marks=pytest.mark.xfail(strict=True, reason=EXPECTED_MISSES[(bid, t.id)]))
            if (bid, t.id) in EXPECTED_MISSES else (bid, t.id) for t in basins.load(bid).spec.calibration.targets]


@pytest.mark.parametrize("bid,target", _targets("talas") + _targets("chu"))
def test_status_quo_is_within_tolerance_of_each_target(modelled, bid, target):
    """Both basins, every target; the misses of EXPECTED_MISSES are strict xfails (the Chu met its targets from
    the valley aquifer until 2026-12, by compensation: phantom water and losses leaving the basin)."""
    b = basins.load(bid)
    t = next(t for t in b.spec.calibration.targets if t.id == target)
    err = cal.target_error(t, modelled[bid][target])
    assert abs(err) <= b.spec.calibration.tolerance, (target, modelled[bid][target], err)


def test_the_chu_fit_moves_winter_water_through_the_aquifer(modelled):
    """What the Chu's groundwater does in the calibrated year: Kazakhstan gets a small part of the summer runoff
    and most of its receipts in winter; both stores are recharged in summer (fan infiltration, the losing reach,
    canal seepage, field percolation) and discharge through the winter; each is cyclic (in = out)."""
    b = basins.load("chu")
    _, S, r = cal.evaluate(b)
    ds = r.dataset
    month = pd.DatetimeIndex(ds["time"].values).month
    winter = np.isin(month, cal.months_of("oct-mar"))
    kg = ["CH_IN_OT", "CH_IN_MID", "CH_IN_VAL_KG"]
    runoff = ds["natural_inflow_hm3"].sel(node=kg).sum("node").values
    recv = modelled["chu"]
    assert recv["kz_from_kg_apr_sep"] < 0.10 * runoff[~winter].sum()  # measured: 3.5 % [P 13]; modelled ~8 %
    assert recv["kz_from_kg_year"] - recv["kz_from_kg_apr_sep"] > 0.75 * runoff[winter].sum()  # measured: 98 %
    for aq in ("CH_AQ_VALLEY", "CH_AQ_DRAIN"):
        q = ds["discharge_hm3"].sel(aquifer=aq).values
        recharge = (ds["infiltration_hm3"].where(ds["recharge_to"] == aq, 0).sum("node").values
                    + ds["return_hm3"].where(ds["return_node"] == aq, 0).sum("demand").values
                    + ds["seepage_hm3"].where(ds["link_loss_to"] == aq, 0).sum("link").values)
        assert recharge[~winter].sum() > 2 * recharge[winter].sum(), aq  # recharged in summer ...
        assert q[winter].sum() > 0.4 * q.sum(), aq  # ... discharging through the winter
        assert q.sum() == pytest.approx(recharge.sum(), abs=0.5), aq  # cyclic (to steady_storage tol)


def test_every_miss_is_reported_with_the_models_own_numbers(basin, modelled):
    """A target outside the tolerance is listed in calibration.result['missed'] with the value the model
    gives now, and a target inside it is not: the recorded result is never stale or hidden."""
    c = basin.spec.calibration
    res = c.result
    assert res is not None, "run `chutalas calibrate <basin> --write`"
    for t in c.targets:
        m = modelled[basin.id][t.id]
        rec = res["targets"][t.id]
        assert rec["modelled_hm3"] == pytest.approx(m, abs=0.01)
        err = cal.target_error(t, m)
        assert rec["error_pct"] == pytest.approx(100 * err, abs=0.06)
        assert rec["met"] is (abs(err) <= c.tolerance)
        assert (t.id in res["missed"]) is (abs(err) > c.tolerance)


def test_the_committed_values_are_what_the_result_records(basin):
    res = basin.spec.calibration.result
    assert cal.current_values(basin) == res["values"]
    spec = basin.spec
    where = cal.calibrated_entries(spec)
    for p in spec.calibration.parameters:  # one value per parameter, written into every entry
        assert {getattr(where[p.field][e], p.field) for e in p.entries} == {res["values"][p.id]}, p.id
    for a in spec.aquifers:  # every other run starts the groundwater where the calibrated year cycles
        assert a.initial_storage_hm3 == res["start_storage_hm3"][a.node], a.node


def test_every_calibrated_value_is_in_its_documented_range_or_flagged(basin):
    c = basin.spec.calibration
    now = cal.current_values(basin)
    for p in c.parameters:
        inside = p.min - 1e-12 <= now[p.id] <= p.max + 1e-12
        assert inside or p.id in c.result["flagged"], p.id
        assert (p.id in c.result["flagged"]) is (not inside)
        assert p.source.strip() and ("[P" in p.source or "[D]" in p.source or "[E" in p.source), p.id


def test_calibration_is_deterministic_and_reproduces_the_committed_values(basin, fresh):
    rep = fresh[basin.id]
    assert rep.values == cal.current_values(basin)  # run 1 (written) == run 2 (now)
    assert rep.result()["targets"] == basin.spec.calibration.result["targets"]
    if basin.id == "talas":  # and a third run in this process gives the same numbers bit for bit
        again = cal.calibrate(basin)
        assert again.values == rep.values
        assert [t.modelled for t in again.targets] == [t.modelled for t in rep.targets]


def test_the_fit_starts_from_the_priors_not_from_the_file(fresh):
    """Calibrating a basin whose fields hold other values gives the same result."""
    b = basins.load("talas")
    shifted = cal.apply(b, {p.id: p.max for p in b.spec.calibration.parameters})
    assert cal.current_values(shifted) != cal.current_values(b)
    assert cal.calibrate(shifted).values == fresh["talas"].values


def test_a_target_out_of_reach_is_reported_then_flagged_only_with_allow_outside():
    b = basins.load("talas")
    p = next(p for p in b.spec.calibration.parameters if p.id == "kg_demand")
    # pretend KG's demand is documented as 0.80-0.85: KZ then receives too much over the year
    p.max, p.prior = 0.85, 0.82
    inside = cal.calibrate(b)
    assert not inside.ok and not inside.flagged
    assert "kz_from_kg_year" in [t.id for t in inside.missed]
    assert all(p.min <= v.value <= p.max for v, p in zip(inside.parameters, b.spec.calibration.parameters))
    wide = cal.calibrate(b, allow_outside=True)
    assert "kg_demand" in [f.id for f in wide.flagged] and wide.values["kg_demand"] > 0.85
    assert wide.in_range_targets is not None and wide.result()["flagged"]["kg_demand"]["outside_by"] > 0
    assert wide.result()["within_ranges"]["kz_from_kg_year"]["met"] is False
    assert "FLAGGED" in wide.text()


# ---- writing ----------------------------------------------------------------------------------------

@pytest.fixture
def talas_copy(tmp_path):
    root = basins.loading.PACKAGE_DIR.parent
    (tmp_path / "basins").mkdir()
    shutil.copy(root / "basins" / "talas.yaml", tmp_path / "basins" / "talas.yaml")
    shutil.copytree(root / "data" / "talas", tmp_path / "data" / "talas")
    return tmp_path / "basins" / "talas.yaml"


def test_write_sets_the_fields_keeps_the_comments_and_is_idempotent(talas_copy, fresh):
    before = talas_copy.read_text()
    rep = fresh["talas"]
    values = dict(rep.values, kg_demand=0.85)  # a different value, to see it written into every entry
    rep2 = cal.CalibrationReport(**{**rep.__dict__, "parameters": [
        cal.ParameterFit(**{**p.__dict__, "value": values[p.id]}) for p in rep.parameters]})
    cal.write(talas_copy, rep2)
    text = talas_copy.read_text()
    b = basins.load(talas_copy)
    assert cal.current_values(b) == values
    assert {d.demand_factor for d in b.spec.demands if d.node in ("KG_TALAS_UP", "KG_MANAS")} == {0.85}
    assert b.spec.calibration.result["values"]["kg_demand"] == 0.85
    comments = [ln for ln in before.splitlines() if ln.lstrip().startswith("#")]
    assert comments and all(c in text for c in comments)
    cal.write(talas_copy, rep2)
    assert talas_copy.read_text() == text
    cal.write(talas_copy, rep)
    assert talas_copy.read_text() == before  # back to the committed file, byte for byte


@pytest.fixture
def chu_copy(tmp_path):
    root = basins.loading.PACKAGE_DIR.parent
    (tmp_path / "basins").mkdir()
    shutil.copy(root / "basins" / "chu.yaml", tmp_path / "basins" / "chu.yaml")
    shutil.copytree(root / "data" / "chu", tmp_path / "data" / "chu")
    return tmp_path / "basins" / "chu.yaml"


def test_write_sets_the_aquifer_recession_and_its_cyclic_start(chu_copy, fresh):
    """The aquifer's recession (a calibrated field) and its cyclic start storage go into its one-line entry;
    writing the committed result again gives the committed file byte for byte."""
    before = chu_copy.read_text()
    rep = fresh["chu"]
    cal.write(chu_copy, rep)
    assert chu_copy.read_text() == before
    other = cal.CalibrationReport(**{**rep.__dict__,
                                     "parameters": [cal.ParameterFit(**{**p.__dict__, "value": 0.3})
                                                    if p.id == "aquifer_recession" else p for p in rep.parameters],
                                     "storage": {**rep.storage, "CH_AQ_VALLEY": 123.456789}})
    cal.write(chu_copy, other)
    b = basins.load(chu_copy)
    aq = next(a for a in b.spec.aquifers if a.node == "CH_AQ_VALLEY")
    assert (aq.recession_per_month, aq.initial_storage_hm3) == (0.3, 123.46)
    assert b.spec.calibration.result["start_storage_hm3"]["CH_AQ_VALLEY"] == 123.46
    line = next(ln for ln in chu_copy.read_text().splitlines() if ln.lstrip().startswith("- {node: CH_AQ_VALLEY"))
    assert "recession_per_month: 0.3," in line and "initial_storage_hm3: 123.46," in line
    comments = [ln for ln in before.splitlines() if ln.lstrip().startswith("#")]
    assert all(c in chu_copy.read_text() for c in comments)
    cal.write(chu_copy, rep)
    assert chu_copy.read_text() == before


# ---- status quo vs agreement ------------------------------------------------------------------------

def test_compare_operations_per_party(basin):
    df = cal.compare_operations(basin, "normal")
    assert list(df.index) == ["KG", "KZ"] and list(df.columns) == cal.COMPARE_COLUMNS
    assert np.isfinite(df.values).all()
    np.testing.assert_allclose(df["received_change_hm3"], df["received_agreement_hm3"] - df["received_status_quo_hm3"])
    np.testing.assert_allclose(df["cost_of_compliance_hm3"],
                               df["shortage_agreement_hm3"] - df["shortage_status_quo_hm3"])
    # KZ's share is enforced under the agreement only: it receives at least its entitlement there
    assert df.loc["KZ", "received_agreement_hm3"] >= df.loc["KZ", "entitlement_hm3"] - 1e-6
    assert df.loc["KZ", "received_agreement_hm3"] >= df.loc["KZ", "received_status_quo_hm3"] - 1e-6
    assert df.loc["KG", "cost_of_compliance_hm3"] >= -1e-6  # complying never helps the upstream party here


def test_steady_storage_is_cyclic(basin):
    S, r, _ = cal.steady_storage(basin, "normal", "status-quo")
    end = r.end_storage()
    ds = r.dataset
    aquifers = [a.node for a in basin.spec.aquifers]
    assert set(S) == set(end.index) | set(aquifers)
    for k, v in S.items():
        if k in aquifers:
            assert abs(float(ds["groundwater_hm3"].sel(aquifer=k).isel(time=-1)) - v) <= 0.5
            assert float(ds["groundwater_start_hm3"].sel(aquifer=k).isel(time=0)) == pytest.approx(v)
        else:
            assert abs(end[k] - v) <= 0.5
            assert float(ds["storage_start_hm3"].sel(reservoir=k).isel(time=0)) == pytest.approx(v)


def test_the_aquifer_cyclic_storage_attracts_every_start():
    """An aquifer's cyclic storage is unique (nobody operates it): a year started above or below it ends
    closer to it, on the same side. Without the demands' response it would close the gap by the factor
    (1 - k)^12 exactly; with less (more) baseflow Kyrgyzstan delivers less (more) and returns less (more)."""
    b = basins.load("chu")
    S, r, iterations = cal.steady_storage(b, "normal", "status-quo")
    assert "CH_AQ_VALLEY" in S and S["CH_AQ_VALLEY"] > 0 and iterations <= 6
    from optimizer import solve
    k = next(a for a in b.spec.aquifers if a.node == "CH_AQ_VALLEY").recession_per_month
    for g0 in (0.0, 3 * S["CH_AQ_VALLEY"]):
        r2 = solve(b, "normal", operation="status-quo", initial_storage={**S, "CH_AQ_VALLEY": g0}, end_storage="free")
        end = float(r2.dataset["groundwater_hm3"].sel(aquifer="CH_AQ_VALLEY").isel(time=-1))
        ratio = (end - S["CH_AQ_VALLEY"]) / (g0 - S["CH_AQ_VALLEY"])
        assert 0 < ratio < 1, (g0, end, ratio)
        assert ratio == pytest.approx((1 - k) ** 12, abs=0.15)


# ---- validation --------------------------------------------------------------------------------------

PUBLISHED = {
    "chu": {("2025", 1733.0), ("2025 Apr-Sep", 160.0), ("2024 1 Apr-2 Sep", 140.0), ("2023-08-02", 8.55),
            ("2023 Apr-Aug", 654.0), ("2023-08", 6.75)},
    "talas": {("2025", 740.0), ("2025 Apr-Sep", 427.5), ("2024 Apr-Sep", 394.3), ("2023-08-22", 14.5),
              ("2023-08", 0.7), ("2023 1 Apr-5 Aug", 323.3)},
}


@pytest.fixture(scope="module")
def tables():
    return {b: val.table(b) for b in BASINS}


def test_validation_table_has_every_published_figure_with_a_finite_error(basin, tables):
    df = tables[basin.id]
    assert list(df.columns[:7]) == ["quantity", "period", "observed", "modelled", "unit", "error_pct", "source"]
    assert set(zip(df["period"], df["observed"])) == PUBLISHED[basin.id]
    assert np.isfinite(df[["observed", "modelled", "error_pct"]].to_numpy(float)).all()
    np.testing.assert_allclose(df["error_pct"], 100 * (df["modelled"] - df["observed"]) / df["observed"])
    assert df["source"].str.contains(r"\[P \d+\]").all()
    assert df["fitted"].sum() == len(basin.spec.calibration.targets)
    # the drought minima are there, from the 2023 run
    minima = df[df["quantity"].str.contains("storage")]
    assert len(minima) == 1 and minima["run"].str.contains("2023").all()


def test_validation_agrees_with_the_calibration(basin, tables, modelled):
    df = tables[basin.id]
    fitted = df[df["fitted"]]
    for t, row in zip(basin.spec.calibration.targets, fitted.itertuples()):
        assert row.modelled == pytest.approx(modelled[basin.id][t.id])


def test_the_2023_scenario_is_built_from_the_reported_flows(basin):
    sc = val.drought_2023(basin)
    q = sc.inflow
    assert q.dims == ("time", "node") and q.attrs["units"] == "hm3/month" and q.sizes["time"] == 6
    assert str(pd.Timestamp(q["time"].values[0]).date()) == "2023-04-01"
    normal = basin.inflow.sel(year_type="normal")
    node = "CH_IN_MID" if basin.id == "chu" else "TA_IN_TRIB"
    n = normal.sel(node=node).values
    got = q.sel(node=node).values
    assert got[:3].sum() == pytest.approx(0.78 * n[3:6].sum())  # Apr-Jun 78 % of norm [P 16]
    assert got[1] == pytest.approx(0.66 * n[4])  # May 66 % [P 16]
    if basin.id == "chu":
        assert q.sel(node="CH_IN_OT").values[:5].sum() == pytest.approx(230.0)  # [P 17]
        assert sc.initial_storage["CH_R_OT"] == pytest.approx(8.55 + 654 - 230)
    else:
        assert sc.initial_storage["TA_R_KIR"] == 445.6  # [P 19]
    assert sc.assumptions and all(isinstance(a, str) for a in sc.assumptions)


# ---- command line ------------------------------------------------------------------------------------

def test_calibrate_command_exit_codes_and_json(capsys):
    p = argparse.ArgumentParser()
    cal.add_arguments(p)
    assert cal.run(p.parse_args(["talas", "--json"])) == 1  # a target missed (EXPECTED_MISSES): exit 1
    doc = json.loads(capsys.readouterr().out)
    assert not doc["ok"] and doc["values"] == cal.current_values(basins.load("talas"))
    assert doc["missed"] == ["kz_from_kg_apr_sep"]
    assert cal.run(p.parse_args(["no-such-basin"])) == 2
    assert "neither a bundled basin" in capsys.readouterr().err


def test_validate_command_exit_codes(capsys):
    p = argparse.ArgumentParser()
    val.add_arguments(p)
    assert val.run(p.parse_args(["talas"])) == 1  # the Apr-Sep target is missed (EXPECTED_MISSES)
    assert "Kirov storage" in capsys.readouterr().out
    assert val.run(p.parse_args(["chu", "--json"])) == 1  # both missed since no water vanishes (EXPECTED_MISSES)
    doc = json.loads(capsys.readouterr().out)
    assert doc["missed_targets"] == ["kz_from_kg_year", "kz_from_kg_apr_sep"] and len(doc["rows"]) == 6
    assert val.run(p.parse_args(["no-such-basin"])) == 2


def test_a_basin_without_calibration_section_is_bad_input(tmp_path, capsys):
    b = basins.load("talas")
    b.spec.calibration = None
    path = tmp_path / "t.yaml"
    path.write_text(basins.dumps(b, inline=True))
    p = argparse.ArgumentParser()
    cal.add_arguments(p)
    assert cal.run(p.parse_args([str(path)])) == 2
    assert "no 'calibration' section" in capsys.readouterr().err
