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
from basins.schema import Calibration, CalibrationParameter, CalibrationTarget
from fixtures import demand as _demand
from fixtures import network as _network
from optimizer.analyses import calibration as cal
from optimizer.analyses import calibration_fit as cfit
from optimizer.analyses import calibration_ident as cident
from optimizer.analyses import calibration_named as cnamed
from optimizer.analyses import validation as val
from optimizer.interfaces import cli_calibrate

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
    return [(bid, t.id) for t in basins.load(bid).spec.calibration.targets]


@pytest.mark.parametrize("bid,target", _targets("talas") + _targets("chu"))
def test_status_quo_against_each_target(modelled, bid, target):
    """Both basins, every target: within the tolerance, except the known misses of EXPECTED_MISSES, which must be
    misses in the direction stated (KZ modelled above what it measured) and reported as missed in the basin file's
    ``calibration.result`` (what `chutalas calibrate` and `validate` print, exit 1). Meeting one again fails here,
    so that the entry is removed. (The Chu met its targets until 2026-12 by compensation: phantom water and losses
    leaving the basin.)"""
    b = basins.load(bid)
    t = next(t for t in b.spec.calibration.targets if t.id == target)
    err = cal.target_error(t, modelled[bid][target])
    tol = b.spec.calibration.tolerance
    if (bid, target) in EXPECTED_MISSES:
        assert err > tol, (target, modelled[bid][target], err, EXPECTED_MISSES[(bid, target)])
        assert target in b.spec.calibration.result["missed"]
    else:
        assert abs(err) <= tol, (target, modelled[bid][target], err)
        assert target not in b.spec.calibration.result["missed"]


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
    assert "FLAGGED" in cli_calibrate.report_text(wide)


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
    "chu": {("2025", 1733.0), ("2025 Apr-Sep", 160.0), ("2024 1 Apr-2 Sep", 140.0), ("2024 Apr-Sep", 165.3),
            ("2023-08-02", 8.55),
            ("2023 Apr-Aug", 654.0), ("2023-08", 6.75)},
    "talas": {("2025", 740.0), ("2025 Apr-Sep", 427.5), ("2024 1 Apr-2 Sep", 394.3), ("2024 Apr-Sep", 418.0),
              ("2023-08-22", 14.5),
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
    assert df["source"].str.contains(r"\[P \d+\]|\[P\] https?://").all()  # a facts-sheet number or the address
    assert df["fitted"].sum() == len(basin.spec.calibration.targets)
    # the drought minima are there, from the 2023 run
    minima = df[df["quantity"].str.contains("storage")]
    assert len(minima) == 1 and minima["run"].str.contains("2023").all()


def test_validation_names_the_year_each_figure_is_compared_with(basin, tables):
    """The calibration targets against the calibration year (the Chu's very-dry 2025), the 2024 receipts against
    the normal year, each called so; before 2026-12-03 the Chu's 2024 figure was compared with the very-dry run
    under the words "normal-year"."""
    df = tables[basin.id]
    cal_year = basin.spec.calibration.year_type
    assert df[df["fitted"]]["run"].str.startswith(f"{cal_year}-year status quo").all()
    y2024 = df[df["period"].str.contains("2024")]  # (to 2 Sep, and the final)
    assert len(y2024) == 2
    assert y2024["run"].str.startswith("normal-year status quo").all()
    normal = cal.cyclic_status_quo(basin, "normal")[1]
    for o, modelled in zip([o for o in val.observations(basin) if "2024" in o.period], y2024["modelled"]):
        assert float(modelled) == pytest.approx(o.modelled(normal))


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
    cli_calibrate.add_arguments(p)
    assert cli_calibrate.run(p.parse_args(["talas", "--json"])) == 1  # a target missed (EXPECTED_MISSES): exit 1
    doc = json.loads(capsys.readouterr().out)
    assert not doc["ok"] and doc["values"] == cal.current_values(basins.load("talas"))
    assert doc["missed"] == ["kz_from_kg_apr_sep"]
    assert cli_calibrate.run(p.parse_args(["no-such-basin"])) == 2
    assert "neither a bundled basin" in capsys.readouterr().err


def test_validate_command_exit_codes(capsys):
    from optimizer.interfaces import cli_validate

    p = argparse.ArgumentParser()
    cli_validate.add_arguments(p)
    assert cli_validate.run(p.parse_args(["talas"])) == 1  # the Apr-Sep target is missed (EXPECTED_MISSES)
    assert "Kirov storage" in capsys.readouterr().out
    assert cli_validate.run(p.parse_args(["chu", "--json"])) == 1  # both missed since no water vanishes (EXPECTED_MISSES)
    doc = json.loads(capsys.readouterr().out)
    assert doc["missed_targets"] == ["kz_from_kg_year", "kz_from_kg_apr_sep"] and len(doc["rows"]) == 7
    assert cli_validate.run(p.parse_args(["no-such-basin"])) == 2


def test_a_basin_without_calibration_section_is_bad_input(tmp_path, capsys):
    b = basins.load("talas")
    b.spec.calibration = None
    path = tmp_path / "t.yaml"
    path.write_text(basins.dumps(b, inline=True))
    p = argparse.ArgumentParser()
    cli_calibrate.add_arguments(p)
    assert cli_calibrate.run(p.parse_args([str(path)])) == 2
    assert "no 'calibration' section" in capsys.readouterr().err


# ---- least_squares on a tiny network with an analytic answer -------------------------------------------
#
# IN (100 hm3 every month, a share c in the channel) -> D (KG, 50 hm3/month x f in Apr-Sep; intake link IN_D
# with loss l) and IN -> OUT (KZ). Status quo serves D first, so KZ receives c * 100 - f * 50 / (1 - l) a month:
# over the year 1200 c - 300 f / (1 - l), in Oct-Mar 600 c (both linear in c and g = f / (1 - l)).

TRUTH = {"c": 0.9, "f": 1.2}  # year 1080 - 360 = 720 hm3, Oct-Mar 540 hm3


def _param(pid, field, entries, lo, hi, prior):
    return CalibrationParameter(id=pid, field=field, entries=entries, min=lo, max=hi, prior=prior, source="[E] test")


def _tiny(params, observed=(720.0, 540.0), demands=("D",)):
    nodes = {"IN": "inflow", "OUT": "sink KZ", **{d: "demand" for d in demands}}
    links = [f"IN -> {d}" for d in demands] + ["IN -> OUT"]
    b = _network(nodes, links, demands=[_demand(d) for d in demands], inflow={"IN": [100.0] * 12},
                 demand={d: [0, 0, 0] + [50.0 / len(demands)] * 6 + [0, 0, 0] for d in demands})
    targets = [CalibrationTarget(id=f"kz_{p.replace('-', '_')}", party="KZ", receipts={"links": ["IN_OUT"]},
                                 period=p, observed_hm3=o) for p, o in zip(("year", "oct-mar"), observed)]
    b.spec.calibration = Calibration(year_type="normal", tolerance=0.15, parameters=params, targets=targets)
    return b


def _tiny_cf():
    return _tiny([_param("c", "channel_fraction", ["IN"], 0.5, 1.0, 0.75),
                  _param("f", "demand_factor", ["D"], 0.5, 1.5, 1.0)])


def test_least_squares_recovers_known_parameters_on_a_tiny_network():
    """The fit's optimum is the analytic one: residuals linear in u (c = 0.5 + 0.5 u_c, f = 0.5 + u_f),
    year (600 u_c - 300 u_f - 270) / 720 and Oct-Mar (300 u_c - 240) / 540, plus the prior term
    lambda (u - u0); the exact answer of that regularised linear least-squares problem is computed here by hand
    and lies within 0.02 of the truth (c 0.9, f 1.2)."""
    b = _tiny_cf()
    prob = cal.problem(b)
    u, _, cost = cfit.fit(prob, prob.u0)
    A = np.array([[600 / 720, -300 / 720], [300 / 540, 0.0]])
    rhs = np.array([270 / 720, 240 / 540])
    lam = cal.PRIOR_WEIGHT
    u_exact = np.linalg.solve(A.T @ A + lam ** 2 * np.eye(2), A.T @ rhs + lam ** 2 * prob.u0)
    np.testing.assert_allclose(u, u_exact, atol=2e-4)
    exact_cost = float(np.sum((A @ u_exact - rhs) ** 2) + lam ** 2 * np.sum((u_exact - prob.u0) ** 2))
    assert cost == pytest.approx(exact_cost, rel=1e-3)
    rep = cal.calibrate(b)
    exact = {"c": 0.5 + 0.5 * u_exact[0], "f": 0.5 + u_exact[1]}
    assert rep.values == pytest.approx(exact, abs=1e-4)  # the values are rounded to 4 decimals
    assert rep.values == pytest.approx(TRUTH, abs=0.02)  # the prior pulls f by 0.013 here
    assert rep.ok and all(abs(t.error) < 0.01 for t in rep.targets)
    ident = rep.identifiability_table
    assert list(ident.index) == ["c", "f"] and ident["identifiable"].all()
    # the scaled sensitivities are the analytic ones: d(modelled/observed)/du
    np.testing.assert_allclose(ident["S[kz_year]"], A[0], atol=1e-6)
    np.testing.assert_allclose(ident["S[kz_oct_mar]"], A[1], atol=1e-6)
    # (J^T J)^-1 exists here: corr(c, f) = a / sqrt(a^2 + d^2) with a = 600/720, d = 300/540
    a, d = 600 / 720, 300 / 540
    assert rep.identifiability.correlation.loc["c", "f"] == pytest.approx(a / np.hypot(a, d), abs=1e-6)
    assert rep.identifiability.rank == 2 and rep.identifiability.basis == "data"


@pytest.mark.parametrize("case", ["product", "sum"])
def test_identifiability_flags_parameters_that_only_enter_as_a_product_or_sum(case):
    """product: demand factor f and intake loss l enter only as f / (1 - l); sum: two demands with the same
    pattern enter only as f1 + f2. Either pair is flagged as not identifiable (one group), the channel share c is
    identifiable, and 3 parameters against 2 targets is said."""
    c = _param("c", "channel_fraction", ["IN"], 0.5, 1.0, 0.75)
    if case == "product":
        b = _tiny([c, _param("f", "demand_factor", ["D"], 0.5, 1.5, 1.0),
                   _param("l", "loss_fraction", ["IN_D"], 0.0, 0.5, 0.2)])
        pair = ["f", "l"]
    else:
        b = _tiny([c, _param("f1", "demand_factor", ["D1"], 0.5, 1.5, 1.0),
                   _param("f2", "demand_factor", ["D2"], 0.5, 1.5, 1.0)], demands=("D1", "D2"))
        pair = ["f1", "f2"]
    rep = cal.calibrate(b)
    idf = rep.identifiability
    assert idf.more_parameters_than_targets and (idf.n_parameters, idf.n_targets, idf.rank) == (3, 2, 2)
    tab = idf.table
    assert bool(tab.loc["c", "identifiable"]) and tab.loc["c", "resolution"] > 0.99
    for p in pair:
        assert not tab.loc[p, "identifiable"], tab
        other = ({*pair} - {p}).pop()
        assert "unresolved" in tab.loc[p, "issues"] and "collinear" in tab.loc[p, "issues"]
        assert tab.loc[p, "cos_with"] == other and tab.loc[p, "max_abs_cos"] == pytest.approx(1.0, abs=1e-6)
        assert tab.loc[p, "resolution"] < 0.9
        # only the prior separates them: in (S^T S + lambda^2 I)^-1 they trade off against each other (more f
        # needs less l for the same f / (1 - l); more f1 less f2), their strongest correlation
        assert tab.loc[p, "corr_with"] == other and idf.correlation.loc[p, other] < -0.8
    assert idf.not_identifiable_groups == [pair]
    assert idf.basis == "data + prior"
    assert rep.ok  # the targets are still met: many (f, l) or (f1, f2) meet them, which is the point
    from optimizer.interfaces.cli_calibrate import report_text
    assert "MORE PARAMETERS THAN TARGETS" in report_text(rep)


def test_identifiability_flags_zero_sensitivity():
    S = np.array([[0.5, 0.0], [0.2, 0.0]])
    idf = cident.analyse(S, ["a", "b"], ["t1", "t2"], lower=[0, 0], upper=[1, 1], values=[0.3, 0.4],
                         at_bound=["", ""], fields=["x", "y"], prior_weight=0.05)
    assert "zero_sensitivity" in idf.table.loc["b", "issues"] and not idf.table.loc["b", "identifiable"]
    assert idf.table.loc["a", "identifiable"] and idf.rank == 1 and idf.not_identifiable_groups == [["b"]]


# ---- named years: fit on some, validate on the held-out one ------------------------------------------------

def _named_specs(b, observed_2023=None):
    """Three synthetic named years (non-leap, so a month is its typical volume): inflow x1.0 (2021), x0.8
    (2022), x0.7 (2023); receipts at the truth: year 1200 c s - 300 f, Apr-Sep 600 c s - 300 f (D is served in
    full while 100 c s > 50 f)."""
    specs = []
    for year, s in ((2021, 1.0), (2022, 0.8), (2023, 0.7)):
        obs = {"year": 1200 * 0.9 * s - 360, "aprsep": 600 * 0.9 * s - 360}
        if year == 2023 and observed_2023 is not None:
            obs = observed_2023
        tg = [cnamed.NamedTarget(f"y{year}_year", year, "KZ receipts", pd.Timestamp(f"{year}-01-01"),
                                 pd.Timestamp(f"{year}-12-31"), obs["year"], "P", "test"),
              cnamed.NamedTarget(f"y{year}_aprsep", year, "KZ vegetation receipts", pd.Timestamp(f"{year}-04-01"),
                                 pd.Timestamp(f"{year}-09-30"), obs["aprsep"], "P", "test")]
        specs.append(cnamed.NamedYearSpec(year, cnamed.year_inflow(b, year, "normal", s), tg, f"normal x {s}"))
    return specs


def test_named_year_fit_keeps_the_held_out_year_out_of_its_residuals():
    b = _tiny_cf()
    nc = cnamed.calibrate_named(b, _named_specs(b), held_out=[2023])
    assert nc.fitted_years == [2021, 2022] and nc.held_out_years == [2023]
    assert nc.residual_ids == ["y2021_year", "y2021_aprsep", "y2022_year", "y2022_aprsep"]
    assert nc.values == pytest.approx(TRUTH, abs=3e-3)
    tab = nc.table()
    val_rows = tab[tab["role"] == "validation"]
    assert list(val_rows["year"]) == [2023, 2023]
    # the validation is the model at the fitted values against the held-out figure: 1200 c 0.7 - 300 f
    assert val_rows["modelled_hm3"].iloc[0] == pytest.approx(1200 * nc.values["c"] * 0.7 - 300 * nc.values["f"],
                                                            abs=1e-6)
    np.testing.assert_allclose(val_rows["error_pct"], 100 * (val_rows["modelled_hm3"] - val_rows["observed_hm3"])
                               / val_rows["observed_hm3"])
    # the held-out figures do not move the fit: a very different "observation" gives the same values ...
    other = cnamed.calibrate_named(b, _named_specs(b, {"year": 50.0, "aprsep": 5.0}), held_out=[2023])
    assert other.values == nc.values and other.cost == nc.cost
    assert other.table().query("role == 'validation'")["error_pct"].abs().min() > 100
    # ... while holding out another year does (the fitted set is what the residuals hold)
    moved = cnamed.calibrate_named(b, _named_specs(b, {"year": 50.0, "aprsep": 5.0}), held_out=[2021])
    assert "y2023_year" in moved.residual_ids and moved.values != nc.values
    with pytest.raises(cal.CalibrationError, match="held_out"):
        cnamed.calibrate_named(b, _named_specs(b), held_out=[])


def test_named_year_fit_is_never_worse_than_the_basin_files_values(monkeypatch):
    # a fit that stops where it starts (as least_squares does on a kink of the LP's piecewise-linear response): from
    # the priors and the gradient's corner it cannot reach the truth, from the file's values it is there already.
    # The named-year fit keeps the best of its starts, so it returns the file's values (the Chu, 2026-12-03: without
    # that start it ended worse on every target than the file, +695 % against +504 % on 2024)
    def stuck(prob, u0, max_rounds=None):
        u = np.clip(np.asarray(u0, float), prob.lb, prob.ub)
        return u, 0, prob.cost(u)

    b = cal.apply(_tiny_cf(), TRUTH)  # the file holds the true values
    monkeypatch.setattr(cfit, "fit", stuck)
    nc = cnamed.calibrate_named(b, _named_specs(b), held_out=[2023])
    assert nc.values == pytest.approx(TRUTH, abs=1e-9)
    assert nc.table().query("role == 'fitted'")["error_pct"].abs().max() < 1e-6


def test_received_between_takes_a_share_of_a_partial_month():
    b = _tiny_cf()
    S, r, _ = cal.steady_storage(b, "normal")
    rec = b.spec.calibration.targets[0].receipts
    monthly = r.dataset["delivered_hm3"].sel(link="IN_OUT").values  # c 0.75, f 1: 25 a month in Apr-Sep, else 75
    got = cal.received_between(r, rec, pd.Timestamp("2025-04-01"), pd.Timestamp("2025-09-02"))
    assert got == pytest.approx(monthly[3:8].sum() + monthly[8] * 2 / 30)


def test_calibrate_cli_prints_nothing_outside_ui_text():
    """Every string the calibrate command prints or puts in a printed line goes through t() (EN/RU)."""
    import ast
    import inspect

    from test_ui_text import _literals, _name, _non_linguistic

    tree = ast.parse(inspect.getsource(cli_calibrate))
    funcs = [f for f in tree.body if isinstance(f, ast.FunctionDef) and f.name != "add_arguments"]
    assert {"report_text", "identifiability_lines", "named_text", "run"} <= {f.name for f in funcs}
    found = []
    for f in funcs:
        for call in (n for n in ast.walk(f) if isinstance(n, ast.Call) and _name(n.func) in ("print", "append")):
            for arg in call.args:
                found += [f"{f.name}:{lit.lineno}: {lit.value!r}" for lit in _literals(arg)
                          if not _non_linguistic(lit.value)]
    assert not found, found
    bad = ast.parse('def f():\n    print("MISSED target")\n').body[0]
    assert [lit.value for c in ast.walk(bad) if isinstance(c, ast.Call) for lit in _literals(c.args[0])] \
        == ["MISSED target"]  # the scan sees a bare literal


def test_calibrate_report_in_russian(fresh):
    from optimizer.interfaces.ui_text import language

    with language("ru"):
        text = cli_calibrate.report_text(fresh["talas"])
    assert "Калибровка talas" in text and "ПАРАМЕТРОВ БОЛЬШЕ, ЧЕМ ЦЕЛЕЙ" in text and "Calibration of" not in text


def test_named_year_2025_runs_from_the_published_storage_and_fits_the_end_storage():
    """2025 starts each reservoir at its published storage of 31 Dec 2024 (Orto-Tokoy 345, Kirov 422 hm3 [P]) and
    its published storage of 31 Dec 2025 (169, 202 [P]) is a target, read from that run's end; the aquifers (no
    figure) start where the year cycles."""
    from optimizer.core.solver import solve

    for bid, node, start, end in (("chu", "CH_R_OT", 345.0, 169.0), ("talas", "TA_R_KIR", 422.0, 202.0)):
        b = basins.load(bid)
        (spec,) = [s for s in cnamed.published_years(b) if s.year == 2025]
        assert spec.start_storage == {node: start}
        (tgt,) = [t for t in spec.targets if t.reservoir]
        assert (tgt.reservoir, tgt.observed_hm3, tgt.status) == (node, end, "P") and "report.kg" in tgt.source
        modelled, storage = cnamed._runner(b, [spec])({})
        cyclic = cal.steady_storage(b, inflow=spec.inflow, tol=cnamed.CYCLIC_TOL, max_iter=60,
                                    damp_after=cal.DAMP_AFTER)[0]
        assert storage[f"2025:{node}"] == start and all(storage[f"2025:{a.node}"] == cyclic[a.node]
                                                        for a in b.spec.aquifers)
        r = solve(b, inflow=spec.inflow, operation="status-quo", initial_storage={**cyclic, node: start},
                  end_storage="free")
        assert float(r.dataset["storage_start_hm3"].sel(reservoir=node)[0]) == pytest.approx(start)
        assert modelled[tgt.id] == pytest.approx(float(r.end_storage()[node]))
        receipts = b.spec.calibration.targets[0].receipts  # and the year's receipts are read from the same run
        for t in spec.targets:
            if not t.reservoir:
                assert modelled[t.id] == pytest.approx(cal.received_between(r, receipts, t.start, t.end))
        assert abs(cyclic[node] - start) > 1.0  # the year does not cycle at the published start (else this proves nothing)
