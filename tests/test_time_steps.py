"""Time is never bent (issue 16.3): one day count per step for every m³/s ↔ hm³ conversion, leap years
included; a typical-year series in a leap February agrees with capacities and minimum flows there."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import basins
import optimizer
from optimizer.core.model import flow_to_hm3, step_days, typical_to_steps
from tests.fixtures import network


def test_step_days_over_leap_years_and_dekads():
    feb = pd.DatetimeIndex(["2027-02-01", "2028-02-01", "2100-02-01", "2000-02-01"])
    assert list(step_days(feb)) == [28, 29, 28, 29]
    dek = pd.DatetimeIndex(["2028-02-01", "2028-02-11", "2028-02-21", "2027-02-21", "2027-01-21"])
    assert list(step_days(dek, "dekad")) == [10, 10, 9, 8, 11]  # dekad 3 of February: 9 (leap) or 8 days
    with pytest.raises(ValueError, match="dekad starts"):
        step_days(pd.DatetimeIndex(["2028-02-05"]), "dekad")
    assert list(typical_to_steps(feb)) == pytest.approx([1, 29 / 28, 1, 29 / 28])
    # the same count for capacities and for a typical-year series in m³/s
    assert flow_to_hm3(10.0, "m3/s", feb[1:2])[0] == pytest.approx(basins.m3s_to_hm3(10.0, 2, 2028))


@pytest.mark.parametrize("start", ["2028-01", "2027-01"])
def test_minimum_flow_equal_to_the_river_shows_no_shortfall_in_a_leap_february(start):
    q = 10.0  # m³/s: the river's flow all year, and the minimum flow of its only link
    river = [basins.m3s_to_hm3(q, m) for m in range(1, 13)]  # a typical year, as loaded from m³/s
    b = network({"IN": "inflow", "OUT": "sink"}, [("IN -> OUT", {"min_flow": q, "min_flow_unit": "m3/s"})],
                inflow={"IN": river})
    r = optimizer.solve(b, start=start, months=12, end_storage="free")
    ds = r.dataset
    feb = ds["natural_inflow_hm3"].sel(time=f"{start[:4]}-02").sum().item()
    assert feb == pytest.approx(basins.m3s_to_hm3(q, 2, int(start[:4])))  # 29 days in 2028, 28 in 2027
    assert float(np.abs(ds["min_flow_shortfall_hm3"]).max()) < 1e-9
