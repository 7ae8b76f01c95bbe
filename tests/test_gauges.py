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
