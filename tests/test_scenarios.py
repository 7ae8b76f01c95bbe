"""The inflow scenario generator reproduces what it was fitted to, within sampling error.

Tolerances are four standard errors of the statistic, estimated from the sample itself (batch means
where the statistic is not a plain mean), so a failure means a bias, not bad luck; the seeds are fixed,
so every run draws the same numbers.
"""

from __future__ import annotations

import runpy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import basins
import optimizer
from optimizer.analyses import scenarios as sc

ROOT = Path(__file__).resolve().parents[1]

N = 2000  # years drawn for the statistics
Z = 4.0  # tolerance in standard errors


@pytest.fixture(scope="module", params=["chu", "talas"])
def basin(request):
    return basins.load(request.param)


@pytest.fixture(scope="module")
def years(basin):
    """N independent one-year members: annual totals (member, node) and the fitted model."""
    model = sc.fit(basin)
    q = sc.generate(model, members=N, years=1, seed=11)
    return model, q


def batch_se(values: np.ndarray, stat, batches: int = 20) -> float:
    """Standard error of ``stat`` over ``values`` from the spread of ``batches`` equal batches."""
    parts = np.array([stat(b) for b in np.array_split(values, batches)])
    return float(parts.std(ddof=1) / np.sqrt(batches))


def normal_totals(basin) -> np.ndarray:
    return basin.inflow.sel(year_type="normal").sum("month").sel(node=list(sc.fit(basin).nodes)).values


def test_the_scenarios_are_monthly_volumes_per_inflow_node(basin, years):
    _, q = years
    assert q.dims == ("member", "time", "node")
    assert q.attrs["units"] == "hm3/month"
    assert list(q["node"].values) == [n.id for n in basin.spec.nodes if n.kind == "inflow"]
    assert q.sizes["time"] == 12 and (q.values > 0).all()


def test_the_mean_annual_resource_is_the_fitted_mean(basin, years):
    model, q = years
    total = q.sum(["time", "node"]).values
    se = total.std(ddof=1) / np.sqrt(N)
    assert abs(total.mean() - model.mean_annual_hm3.sum()) < Z * se
    for j, n in enumerate(model.nodes):
        node = q.sel(node=n).sum("time").values
        assert abs(node.mean() - model.mean_annual_hm3[j]) < Z * node.std(ddof=1) / np.sqrt(N), n


def test_the_annual_resource_varies_with_the_documented_cv(basin, years):
    """Cv 0.20 (Chu) / 0.22 (Talas) [E] of the basin's total annual resource, facts §1."""
    model, q = years
    assert model.cv_total == sc.CV_ANNUAL[basin.id]
    total = q.sum(["time", "node"]).values
    cv = lambda x: x.std(ddof=1) / x.mean()  # noqa: E731
    assert abs(cv(total) - model.cv_total) < Z * batch_se(total, cv)
    for j, n in enumerate(model.nodes):  # each node varies a little more than the total (correlation < 1)
        node = q.sel(node=n).sum("time").values
        assert model.cv_node[j] >= model.cv_total
        assert abs(cv(node) - model.cv_node[j]) < Z * batch_se(node, cv), n


def test_the_normal_year_is_the_median_year(basin, years):
    """Each node's annual volume is below its normal-year volume in half the years (binomial error)."""
    _, q = years
    below = q.sum("time").values < normal_totals(basin)
    se = np.sqrt(0.25 / N)
    assert (np.abs(below.mean(axis=0) - 0.5) < Z * se).all()


def test_the_monthly_shape_is_the_documented_shape(basin, years):
    """Mean monthly fractions of each node's annual volume equal the basin's normal-year shape (facts §1a)."""
    model, q = years
    frac = (q / q.sum("time")).values  # (member, month, node)
    mean, se = frac.mean(axis=0), frac.std(axis=0, ddof=1) / np.sqrt(N)
    assert (np.abs(mean - model.shape) < Z * se).all(), np.abs(mean - model.shape) / se
    assert (se > 0).all()  # there is monthly noise to average over


def test_the_melt_peak_months_are_as_documented():
    """Orto-Tokoy's inflow has the Kochkorka gauge's regime (data/observed/gauges, since 2026-12-04: July the largest
    month with 12.2 %, Apr-Sep 57.7 %; 19.5 % in July [E] before); the reach Orto-Tokoy - Bystrovka has the
    Chon-Kemin's measured regime (18.3 % in July, 73.1 % in Apr-Sep)."""
    m = sc.fit(basins.load("chu"))
    ot, mid = m.nodes.index("CH_IN_OT"), m.nodes.index("CH_IN_MID")
    shape = runpy.run_path(str(ROOT / "data" / "build_series.py"))["gauged_shape"]
    np.testing.assert_allclose(m.shape[:, ot], np.array(shape(["Kochkor_15102"])) / 100, atol=1e-4)
    assert m.shape[:, ot].argmax() == 6 and m.shape[6, ot] == pytest.approx(0.122, abs=1e-3)
    assert m.shape[3:9, ot].sum() == pytest.approx(0.577, abs=1e-3)
    chon_kemin = np.array(shape(["Chon_Kemin_15149"]))
    np.testing.assert_allclose(m.shape[:, mid], chon_kemin / 100, atol=1e-4)
    assert m.shape[:, mid].argmax() == 6 and m.shape[3:9, mid].sum() == pytest.approx(0.731, abs=1e-3)


def test_inflow_nodes_are_correlated_as_specified(years):
    model, q = years
    tot = q.sum("time").values
    assert tot.shape[1] >= 2  # Chu has 4 inflow nodes, Talas 2
    r = np.corrcoef(tot.T)[np.triu_indices(tot.shape[1], 1)]
    se = (1 - model.correlation ** 2) / np.sqrt(N)
    assert (np.abs(r - model.correlation) < Z * se).all(), r


def test_the_same_seed_gives_the_same_scenarios(basin):
    a = sc.generate(basin, members=5, years=2, seed=3)
    b = sc.generate(basin, members=5, years=2, seed=3)
    np.testing.assert_array_equal(a.values, b.values)
    assert not np.array_equal(a.values, sc.generate(basin, members=5, years=2, seed=4).values)


def test_a_member_does_not_depend_on_how_many_are_drawn(basin):
    few = sc.generate(basin, members=3, years=2, seed=8)
    many = sc.generate(basin, members=40, years=2, seed=8)
    np.testing.assert_array_equal(few.values, many.values[:3])
    # a horizon starting later in the same calendar year shares its months; a longer one extends it
    late = sc.generate(basin, members=3, months=6, start="2025-07", seed=8)
    np.testing.assert_array_equal(late.values, few.values[:, 6:12])
    longer = sc.generate(basin, members=3, years=5, seed=8)
    np.testing.assert_array_equal(longer.values[:, :24], few.values)


def test_the_climate_trend_reaches_the_requested_change_by_2050(basin):
    """−27.5 % (middle of −25…−30 % by 2050, facts §1) reached in 2050, none in 2025, half-way in 2037-38."""
    climate = sc.Climate(change=-0.275, target_year=2050, base_year=2025, shift_weeks=0.0)
    model = sc.fit(basin)
    q = sc.generate(model, members=N, years=26, start="2025-01", seed=5, climate=climate)
    annual = sc.annual_totals(q).sum("node")  # (member, year)
    mu = model.mean_annual_hm3.sum()
    for year, factor in ((2025, 1.0), (2050, 0.725)):
        x = annual.sel(year=year).values
        assert abs(x.mean() / mu - factor) < Z * x.std(ddof=1) / np.sqrt(N) / mu, year
    x = annual.sel(year=[2037, 2038]).mean("year").values
    assert abs(x.mean() / mu - (1 - 0.275 * 12.5 / 25)) < Z * x.std(ddof=1) / np.sqrt(N) / mu
    cv = lambda v: v.std(ddof=1) / v.mean()  # noqa: E731
    x = annual.sel(year=2050).values
    assert abs(cv(x) - model.cv_total) < Z * batch_se(x, cv)  # the trend moves the mean, not the spread


def test_the_2050_climate_is_a_band_of_the_published_range(basin):
    """The 2050 outlook is the published −25 … −45 % (CTWC [P 15]) as a low/high pair, not a point: with the same
    seed the two members differ only by the trend, so their 2050 annual totals are 0.55 and 0.75 of the
    stationary ones, member by member, and equal to them in 2025."""
    band = sc.CLIMATE_2050_BAND
    assert {k: c.change for k, c in band.items()} == {"low": -0.45, "high": -0.25}
    assert all(c.target_year == 2050 for c in band.values())
    model = sc.fit(basin)
    q = sc.generate_band(model, members=4, years=26, start="2025-01", seed=11)
    assert q.dims == ("climate", "member", "time", "node") and list(q["climate"].values) == ["low", "high"]
    still = sc.annual_totals(sc.generate(model, members=4, years=26, start="2025-01", seed=11)).sum("node")
    annual = sc.annual_totals(q).sum("node")
    for label, f2050 in (("low", 0.55), ("high", 0.75)):
        a = annual.sel(climate=label)
        np.testing.assert_allclose(a.sel(year=2050).values, f2050 * still.sel(year=2050).values, rtol=1e-12)
        np.testing.assert_allclose(a.sel(year=2025).values, still.sel(year=2025).values, rtol=1e-12)
    assert (annual.sel(climate="low", year=2040) < annual.sel(climate="high", year=2040)).all()
    with pytest.raises(ValueError, match="at least one member"):
        sc.generate_band(model, members=1, band={})


def test_an_earlier_snowmelt_moves_the_mean_hydrograph_earlier(basin):
    climate = sc.Climate(change=0.0, target_year=2050, base_year=2025, shift_weeks=3.0)
    model = sc.fit(basin)
    q = sc.generate(model, members=N, months=12, start="2050-01", seed=6, climate=climate)
    frac = (q / q.sum("time")).values
    expected = sc.shift_shape(model.shape, 3 * 7 / sc.DAYS_PER_MONTH)
    se = frac.std(axis=0, ddof=1) / np.sqrt(N)
    assert (np.abs(frac.mean(axis=0) - expected) < Z * se).all()
    assert (expected[:6].sum(axis=0) > model.shape[:6].sum(axis=0)).all()  # more of the year's water by June
    # the shift only moves water within the year: every member keeps its annual volume
    same = sc.generate(model, members=N, months=12, start="2050-01", seed=6)
    np.testing.assert_allclose(q.sum("time").values, same.sum("time").values, rtol=1e-12)


def test_shifting_the_shape_keeps_the_volume_and_moves_a_pulse():
    pulse = np.zeros((12, 1))
    pulse[6] = 1.0  # all in July
    assert sc.shift_shape(pulse, 1.0)[5, 0] == 1.0  # one month earlier: June
    half = sc.shift_shape(pulse, 0.5)[:, 0]
    assert half[5] == half[6] == 0.5
    shape = sc.fit(basins.load("talas")).shape
    for d in (0.0, 0.46, 1.3, -0.7):
        np.testing.assert_allclose(sc.shift_shape(shape, d).sum(axis=0), 1.0, rtol=1e-12)


def test_scenarios_are_accepted_by_the_solver(basin):
    q = sc.generate(basin, members=1, years=1, seed=2)
    r = optimizer.solve(basin, inflow=q.isel(member=0, drop=True))
    np.testing.assert_allclose(r.dataset["natural_inflow_hm3"].sel(node=list(q["node"].values)).values,
                               q.isel(member=0).values)
    assert pd.Timestamp(r.dataset["time"].values[0]) == pd.Timestamp("2025-01-01")


@pytest.mark.parametrize("kw", [dict(correlation=1.5), dict(cv=-0.1), dict(persistence=1.0), dict(seed=-1),
                                dict(members=0), dict(months=0), dict(reference="average")])
def test_bad_parameters_are_refused(kw):
    with pytest.raises((ValueError, TypeError)):
        sc.generate(basins.load("talas"), **{"members": 2, **kw})


def test_bad_climates_are_refused():
    with pytest.raises(ValueError, match="after base_year"):
        sc.Climate(target_year=2020, base_year=2025)
    with pytest.raises(ValueError, match="fraction"):
        sc.Climate(change=-1.5)
