"""Time steps: months, dekads and days with their real lengths; aggregation; the LP on dekads."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import basins
import optimizer
from optimizer.core import timesteps as ts
from optimizer.core.agreement import periods
from optimizer.core.model import flow_to_hm3

from test_balance import node_imbalance


@pytest.mark.parametrize("year, feb3", [(2023, 8), (2024, 9), (2100, 8), (2000, 9)])
def test_dekad_lengths_over_leap_years(year, feb3):
    h = ts.horizon(f"{year}-01", 12, "dekad")
    d = ts.step_days(h, "dekad")
    assert len(h) == 36
    assert d.sum() == (366 if feb3 == 9 else 365)
    assert d[3:6].tolist() == [10, 10, feb3]  # February: 1-10, 11-20, 21-end
    assert d[0:3].tolist() == [10, 10, 11]  # January
    assert set(d[1::3]) == {10}


def test_day_and_month_steps():
    assert len(ts.horizon("2024-02", 1, "day")) == 29
    assert ts.step_days(ts.horizon("2024-01", 12), "month").tolist()[1] == 29
    assert ts.infer_step(ts.horizon("2024-03", 2, "day")) == "day"
    assert ts.infer_step(ts.horizon("2024-03", 2, "dekad")) == "dekad"
    assert ts.infer_step(ts.horizon("2024-03", 2, "month")) == "month"


def test_one_m3s_helper_for_every_step():
    """1 m³/s for a whole leap year is the same volume whatever the step: 31.6224 hm³."""
    for step in ts.STEPS:
        h = ts.horizon("2024-01", 12, step)
        assert ts.m3s_to_hm3(1.0, h, step).sum() == pytest.approx(366 * 86_400 / 1e6, abs=1e-12)
        assert flow_to_hm3(1.0, "m3/s", h, step).sum() == pytest.approx(31.6224, abs=1e-12)
        # a volume per month is spread, never created: 12 months of 10 hm3/month are 120 hm3
        assert flow_to_hm3(10.0, "hm3/month", h, step).sum() == pytest.approx(120.0, abs=1e-9)
    feb3 = ts.horizon("2024-02", 1, "dekad")[2]
    assert ts.m3s_to_hm3(1.0, pd.DatetimeIndex([feb3]), "dekad")[0] == pytest.approx(9 * 0.0864)


def test_bent_time_is_refused():
    with pytest.raises(ValueError, match="first day of a month"):
        ts.horizon("2025-03-15", 12, "dekad")
    with pytest.raises(ValueError, match="step must be one of"):
        ts.horizon("2025-03", 12, "week")
    with pytest.raises(ValueError, match="dekad starts on day"):
        ts.step_days(pd.DatetimeIndex(["2025-03-05"]), "dekad")
    shuffled = ts.horizon("2025-01", 2, "dekad")[[0, 2, 1, 3, 4, 5]]
    with pytest.raises(ValueError, match="not consecutive"):
        ts.infer_step(shuffled)


def test_aggregation_of_a_daily_series():
    days = pd.date_range("2024-02-01", "2024-02-29", freq="D")
    q = pd.Series(np.arange(1.0, 30.0), index=days)  # m³/s on day i = i
    mean = ts.aggregate(q, "dekad", "mean")
    assert mean.tolist() == pytest.approx([5.5, 15.5, 25.0])  # days 21..29 (9 days in 2024)
    vol = ts.aggregate(q * 0.0864, "dekad", "sum")  # hm³ per day
    assert vol.sum() == pytest.approx((q * 0.0864).sum())
    monthly = ts.aggregate(mean, "month", "mean")  # dekad means weighted by their days
    assert monthly.iloc[0] == pytest.approx(q.mean())


def test_periods_are_complete_by_days_whatever_the_step():
    h = ts.horizon("2025-01", 12, "dekad")
    (year,) = periods("year", h)
    assert year.complete and len(year.steps) == 36
    (season,) = periods("apr-sep", h)
    assert season.complete and len(season.steps) == 18
    (short,) = periods("year", h[:-1])
    assert not short.complete


@pytest.fixture(scope="module", params=["chu", "talas"])
def both(request):
    b = basins.load(request.param)
    return b, optimizer.solve(b, "normal", months=12), optimizer.solve(b, "normal", months=12, step="dekad")


def test_a_dekadal_year_keeps_the_resource_and_the_entitlement(both):
    b, month, dekad = both
    assert dekad.dataset.sizes["time"] == 36 and dekad.manifest["options"]["step"] == "dekad"
    assert "[D]" in dekad.manifest["series"] and "[D]" not in month.manifest["series"]
    # the same water, only finer in time: the 42 % / 50 % entitlement is identical
    led_m = month.ledger.set_index(["rule", "party", "period"]).sort_index()
    led_d = dekad.ledger.set_index(["rule", "party", "period"]).sort_index()
    share = next(r.id for r in b.spec.agreement.share_rules)
    assert led_d.loc[(share, "KZ"), "required_hm3"].iloc[0] == pytest.approx(
        led_m.loc[(share, "KZ"), "required_hm3"].iloc[0], abs=1e-9)
    assert dekad.ledger.loc[(dekad.ledger["rule"] == share) & (dekad.ledger["party"] == "KZ"), "met"].all()


def test_a_dekadal_year_closes_every_node_balance(both):
    """Every node and aquifer balances in every dekad (hm³), recomputed from the Dataset alone."""
    _, _, dekad = both
    ds = dekad.dataset
    assert np.allclose(ds["step_days"].values[:3], [10, 10, 11])
    assert float(abs(node_imbalance(ds)).max()) < 1e-6


def test_capacities_follow_the_dekad_length():
    b = basins.load("chu")
    r = optimizer.solve(b, "wet", months=12, step="dekad")
    capped = [lk for lk in b.spec.links if lk.capacity is not None and lk.capacity_unit == "m3/s"]
    flow = r.dataset["flow_hm3"]
    days = r.dataset["step_days"].values
    for lk in capped:
        assert (flow.sel(link=lk.id).values <= lk.capacity * days * 0.0864 + 1e-6).all(), lk.id


def test_myopic_dekads_and_explicit_dekadal_inflow():
    b = basins.load("talas")
    r = optimizer.solve(b, "dry", months=3, step="dekad", foresight="myopic")
    assert r.dataset.sizes["time"] == 9 and r.manifest["status"] == "optimal"
    q = optimizer.core.solver.inflow_series(b, ts.horizon("2025-04", 2, "dekad"), "dry")
    r2 = optimizer.solve(b, inflow=q)
    assert r2.manifest["options"]["step"] == "dekad"
    with pytest.raises(ValueError, match="not per month"):
        optimizer.solve(b, inflow=q, step="month")
    with pytest.raises(ValueError, match="not consecutive"):
        optimizer.solve(b, inflow=q.isel(time=[0, 2, 1, 3, 4, 5]))
