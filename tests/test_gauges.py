"""The measured gauge records (data/observed/gauges) and the series derived from them (data/build_series.py)."""

from __future__ import annotations

import runpy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
BUILD = runpy.run_path(str(ROOT / "data" / "build_series.py"))


def test_the_bundled_series_are_what_build_series_writes(tmp_path):
    """data/<basin>/*.csv are reproducible: build_series.py writes them byte for byte from its figures."""
    for basin in ("chu", "talas"):
        BUILD["build"](basin, tmp_path / basin)
        for name in ("inflow.csv", "demand.csv", "evaporation.csv"):
            assert (tmp_path / basin / name).read_bytes() == (ROOT / "data" / basin / name).read_bytes(), (basin, name)


def test_ten_day_means_become_monthly_volumes_with_the_real_days(tmp_path):
    """1 m3/s in every dekad is 0.0864 hm3 a day: 2.6784 hm3 in January, 2.4192 / 2.5056 in a 28- / 29-day
    February, 31.536 / 31.6224 hm3 a year; a year with an empty field is left out."""
    rows = ['"2001",' + ",".join(["1"] * 36), '"2004",' + ",".join(["1"] * 36), '"2005",' + ",".join(["1"] * 35) + ","]
    (tmp_path / "X_1.csv").write_text("\n".join(rows) + "\n")
    m = BUILD["gauge_months"]("X_1", folder=tmp_path)
    assert list(m.index) == [2001, 2004]
    assert m.loc[2001, 1] == pytest.approx(2.6784) and m.loc[2001, 2] == pytest.approx(2.4192)
    assert m.loc[2004, 2] == pytest.approx(2.5056)
    assert m.sum(axis=1).tolist() == pytest.approx([31.536, 31.6224])


@pytest.mark.parametrize("basin,node,shape", [("chu", "CH_IN_VAL_KG", "chu_left_bank"),
                                              ("chu", "CH_IN_MID", "chon_kemin"),
                                              ("chu", "CH_IN_OT", "kochkorka"),
                                              ("talas", "TA_IN_TRIB", "talas_tributaries")])
def test_gauged_nodes_follow_their_measured_regime(basin, node, shape):
    """The node's monthly inflow, every year type, is its annual volume × the gauges' shape (to the CSV's 0.001 hm3;
    the year's rounding remainder in its peak month), and the year keeps its volume."""
    stations = BUILD["GAUGED_SHAPE"][shape]
    total = sum(BUILD["gauge_months"](s).mean() for s in stations)
    pct = (100 * total / total.sum()).to_numpy()
    assert pct.sum() == pytest.approx(100.0)
    q = pd.read_csv(ROOT / "data" / basin / "inflow.csv")
    annual = BUILD["INFLOW"][basin][node][0]
    for yt, mult in BUILD["MULTIPLIER"][basin].items():
        got = q[(q.node == node) & (q.year_type == yt)].sort_values("month").inflow.to_numpy()
        assert got.sum() == pytest.approx(round(annual * mult, 3), abs=1e-6)
        np.testing.assert_allclose(got, annual * mult * pct / 100, atol=0.0025)


def test_the_left_bank_rivers_peak_in_july_with_a_fifth_to_a_quarter_of_their_year():
    """The Kyrgyz-range rivers' measured regime (glacier and snow melt), each river over its own complete years:
    July the largest month with 21-25 % of the year, Apr-Sep 78-82 %, April under 3.5 % (the [E] shape used before
    had 17.5 %, 73.5 % and 5.5 %)."""
    for s in BUILD["GAUGED_SHAPE"]["chu_left_bank"]:
        m = BUILD["gauge_months"](s)
        assert len(m) >= 20, s
        share = (m.mean() / m.mean().sum()).to_numpy()
        assert share.argmax() == 6 and 0.21 <= share[6] <= 0.25, (s, share.round(3))
        assert 0.78 <= share[3:9].sum() <= 0.82 and share[3] < 0.035, (s, share.round(3))


@pytest.mark.filterwarnings("ignore:Precision loss")
def test_annual_statistics_of_a_hand_made_record(tmp_path):
    """Two stations over 2001-2003 (365-day years), 1, 2, 3 and 3, 2, 1 m3/s all year: their sum is 4 m3/s every
    year (Cv 0, station correlation -1); a third station with 1, 1, 4 m3/s and a gap in 2004 gives, with the first,
    annual volumes 2, 3, 7 × 31.536 hm3: mean 126.144, Cv sd(2, 3, 7) / 4 = 0.6614, lag-1 of (2, 3) against (3, 7)
    = 1, the driest year 0.5 of the mean, in 2001."""
    for name, levels in (("A_1", (1, 2, 3)), ("B_2", (3, 2, 1)), ("C_3", (1, 1, 4))):
        rows = [f'"{2001 + i}",' + ",".join([str(v)] * 36) for i, v in enumerate(levels)]
        if name == "C_3":
            rows.append('"2004",' + ",".join(["1"] * 35) + ",")
        (tmp_path / f"{name}.csv").write_text("\n".join(rows) + "\n")
    s = BUILD["annual_statistics"](["A_1", "B_2"], folder=tmp_path)
    assert s["years"] == 3 and s["cv"] == pytest.approx(0.0, abs=1e-12)
    assert s["station_correlation"] == pytest.approx(-1.0)
    s = BUILD["annual_statistics"](["A_1", "C_3"], folder=tmp_path)
    assert (s["years"], s["first"], s["last"]) == (3, 2001, 2003)
    assert s["mean_hm3"] == pytest.approx(4 * 31.536)
    assert s["cv"] == pytest.approx(np.std([2, 3, 7], ddof=1) / 4)
    assert s["lag1"] == pytest.approx(1.0) and s["driest"] == pytest.approx(0.5) and s["driest_year"] == 2001
    m = BUILD["composite_months"](["A_1", "C_3"], folder=tmp_path)
    assert list(m.index) == [2001, 2002, 2003] and m.loc[2003, 1] == pytest.approx(7 * 2.6784)
    # the same discharge all year: each month's fraction is its days / 365 in every year, so no noise
    cv, _ = BUILD["noise_statistics"]([["A_1"], ["C_3"]], folder=tmp_path)
    assert cv == pytest.approx(0.0, abs=1e-12)


def test_the_year_type_multipliers_are_pearson_iii_of_the_measured_cv():
    """[D] since 2026-12-04: the gauged rivers summed give Cv 0.123 on the Chu (34 years 1961-2002) and 0.145 on the
    Talas (12 years 2000-2011); each year type is the Pearson III (Cs = 2 Cv) quantile of its exceedance probability
    (P25, P50, P75, P95). The measured skew is positive (Cs / Cv 3.2 and 2.4, near the assumed 2), and the driest
    measured year (Chu 1972, 0.784 of the mean; Talas 2008, 0.747) is near the very dry year's multiplier."""
    from scipy import stats

    for basin, cv, years, very_dry in (("chu", 0.123, 34, 0.807), ("talas", 0.145, 12, 0.775)):
        s = BUILD["annual_statistics"](BUILD["ANNUAL_STATIONS"][basin])
        assert s["years"] == years and round(s["cv"], 3) == cv
        assert 1.5 < s["cs"] / s["cv"] < 3.5
        m = BUILD["MULTIPLIER"][basin]
        for yt, p in BUILD["EXCEEDANCE"].items():
            assert m[yt] == pytest.approx(1 + s["cv"] * stats.pearson3(2 * s["cv"]).ppf(1 - p), abs=5e-4)
        assert m["very-dry"] == very_dry and m["wet"] > 1 > m["normal"] > m["dry"] > m["very-dry"]
        assert abs(s["driest"] - m["very-dry"]) < 0.04
        # the empirical quantiles of the record agree with the fitted ones to within 0.05
        each = pd.DataFrame({st: BUILD["gauge_months"](st).sum(axis=1)
                             for st in BUILD["ANNUAL_STATIONS"][basin]}).dropna().sum(axis=1)
        r = each / each.mean()
        for yt, p in BUILD["EXCEEDANCE"].items():
            assert abs(np.quantile(r, 1 - p) - m[yt]) < 0.06, (basin, yt)


def test_the_generator_uses_the_measured_spread():
    """scenarios' Chu and Talas parameters are the gauges' figures, recomputed here from the records: annual Cv,
    the Chu's node correlation (left bank against the Chon-Kemin), the monthly noise CV and lag-1; the measured
    annual lag-1 is recorded but the default persistence stays 0."""
    from optimizer.analyses import scenarios

    for basin in ("chu", "talas"):
        s = BUILD["annual_statistics"](BUILD["ANNUAL_STATIONS"][basin])
        assert scenarios.CV_ANNUAL[basin] == round(s["cv"], 3)
        assert scenarios.PERSISTENCE_MEASURED[basin] == round(s["lag1"], 3)
        cv, lag1 = BUILD["noise_statistics"](BUILD["NOISE_GROUPS"][basin])
        assert scenarios.MONTHLY_CV_BASIN[basin] == round(cv, 3)
        assert scenarios.MONTHLY_LAG1_BASIN[basin] == round(lag1, 3)
    groups = [BUILD["composite_months"](g).sum(axis=1) for g in BUILD["NOISE_GROUPS"]["chu"]]
    both = pd.concat(groups, axis=1).dropna()
    assert len(both) == 34
    assert scenarios.CORRELATION_BASIN["chu"] == round(float(both.corr().iloc[0, 1]), 3)
    import basins
    m = scenarios.fit(basins.load("chu"))
    assert (m.cv_total, m.correlation, m.monthly_cv, m.monthly_lag1, m.persistence) == (0.123, 0.745, 0.151, 0.312, 0)
    assert scenarios.fit(basins.load("talas")).correlation == scenarios.CORRELATION == 0.8


def test_the_orto_tokoy_inflow_is_the_kochkorka_gauge():
    """CH_IN_OT's mean volume is the mean of the Kochkorka gauge's 72 complete years (917.8 hm3 = 29.1 m3/s); its
    1936-1985 mean is the UNESCO figure for that gauge (26.9 m3/s), and its regime before and after the reservoir
    (1957) is the same (Apr-Sep within 2 points), so it stands above the dam; CH_IN_MID closes the sum to 6,640.04."""
    m = BUILD["gauge_months"]("Kochkor_15102")
    annual = m.sum(axis=1)
    assert len(m) == 72 and BUILD["KOCHKORKA_HM3"] == pytest.approx(annual.mean())
    assert annual.mean() * 1e6 / (365.2425 * 86_400) == pytest.approx(29.1, abs=0.05)
    assert annual[annual.index <= 1985].mean() * 1e6 / (365.25 * 86_400) == pytest.approx(26.9, abs=0.1)
    share = {p: m.loc[(m.index >= lo) & (m.index <= hi), 4:9].sum(axis=1).sum()
             / m.loc[(m.index >= lo) & (m.index <= hi)].sum(axis=1).sum() for p, (lo, hi) in
             {"before": (1936, 1956), "after": (1957, 1975)}.items()}
    assert abs(share["before"] - share["after"]) < 0.02
    chu = BUILD["INFLOW"]["chu"]
    assert chu["CH_IN_OT"][0] == BUILD["KOCHKORKA_HM3"]
    assert sum(v for v, _ in chu.values()) == pytest.approx(6640.04)
