"""Claims about water on tiny networks, each checked against numbers worked out by hand.

Costs in the hand calculations: shortage of a priority-p demand costs 11 − p per hm³, every hm³ entering a
link costs FLOW_COST = 1e-4 (the tie-break), spill 0.01.
"""

from __future__ import annotations

import pandas as pd
import pytest
import xarray as xr

import optimizer
from fixtures import JAN_M3S_TO_HM3, canal, carry_over, quota, return_flow, share_42_58
from optimizer.core.model import FLOW_COST

EPS = 1e-6


def at(ds: xr.Dataset, var: str, month: str, **where) -> float:
    """One number of the result: ``var`` in ``month`` (YYYY-MM) at e.g. ``demand="D"``."""
    return float(ds[var].sel(time=pd.Timestamp(month), **where))


# ---- a. a reservoir carries January's water to a dry February ----------------------------------------------

def test_reservoir_carries_wet_month_to_dry_month():
    ds = optimizer.solve(carry_over(), start="2025-01", months=2).dataset
    assert at(ds, "delivery_hm3", "2025-01", demand="D") == pytest.approx(0, abs=EPS)
    assert at(ds, "delivery_hm3", "2025-02", demand="D") == pytest.approx(60, abs=EPS)
    assert at(ds, "shortage_hm3", "2025-02", demand="D") == pytest.approx(0, abs=EPS)
    s_jan = at(ds, "storage_hm3", "2025-01", reservoir="R")
    assert s_jan >= 60 - EPS
    # nothing evaporates (0 mm) and nothing spills: February's storage is January's less the release
    assert at(ds, "evaporation_hm3", "2025-02", reservoir="R") == pytest.approx(0, abs=EPS)
    assert at(ds, "storage_hm3", "2025-02", reservoir="R") == pytest.approx(s_jan - 60, abs=EPS)


def test_objective_of_carry_over_is_the_flow_cost_only():
    # 100 hm³ enter IN → R and 60 hm³ R → D; keeping the other 40 in store costs nothing
    r = optimizer.solve(carry_over(), start="2025-01", months=2)
    assert r.objective == pytest.approx((100 + 60) * FLOW_COST, abs=1e-9)
    assert float(r.dataset["storage_hm3"].sel(reservoir="R")[0]) == pytest.approx(100, abs=EPS)


def test_reservoir_capacity_limits_what_is_carried():
    # a 50 hm³ reservoir keeps 50 of January's 100: February gets 50 of its 60
    ds = optimizer.solve(carry_over(capacity=50), start="2025-01", months=2).dataset
    assert at(ds, "storage_hm3", "2025-01", reservoir="R") == pytest.approx(50, abs=EPS)
    assert at(ds, "delivery_hm3", "2025-02", demand="D") == pytest.approx(50, abs=EPS)
    assert at(ds, "shortage_hm3", "2025-02", demand="D") == pytest.approx(10, abs=EPS)


# ---- b. a binding 42/58 share ------------------------------------------------------------------------------

def test_binding_share_gives_kz_exactly_42_percent_at_the_border():
    r = optimizer.solve(share_42_58(), start="2025-01", months=1)
    ds, led = r.dataset, r.ledger
    inflow = 100.0
    assert at(ds, "flow_hm3", "2025-01", link="J_B") == pytest.approx(0.42 * inflow, abs=EPS)
    assert at(ds, "delivery_hm3", "2025-01", demand="KZ") == pytest.approx(0.42 * inflow, abs=EPS)
    assert at(ds, "delivery_hm3", "2025-01", demand="KG") == pytest.approx(0.58 * inflow, abs=EPS)
    assert at(ds, "received_hm3", "2025-01", party="KZ") == pytest.approx(42, abs=EPS)
    row = led[(led["rule"] == "shares") & (led["party"] == "KZ")].iloc[0]
    assert row["required_hm3"] == pytest.approx(42, abs=EPS)
    assert row["received_hm3"] == pytest.approx(42, abs=EPS)
    assert row["met"]
    # one more hm³ for KZ is one less for KG: 10 − 6 in shortage, plus the extra hop J → B → KZ
    assert row["shadow_price"] > 0
    assert row["shadow_price"] == pytest.approx(10 - 6 + FLOW_COST, abs=1e-7)


def test_share_does_not_bind_when_kg_asks_less_than_58_percent():
    # KG wants 30 (< 58): it gets 30, KZ gets the other 70 (> 42); the rule costs nothing
    r = optimizer.solve(share_42_58(kg_demand=30), start="2025-01", months=1)
    ds = r.dataset
    assert at(ds, "delivery_hm3", "2025-01", demand="KG") == pytest.approx(30, abs=EPS)
    assert at(ds, "delivery_hm3", "2025-01", demand="KZ") == pytest.approx(70, abs=EPS)
    assert r.ledger.loc[r.ledger["party"] == "KZ", "shadow_price"].iloc[0] == pytest.approx(0, abs=1e-9)


def test_status_quo_lets_kg_take_first():
    # rules only reported: KG takes its 80, KZ gets the remaining 20, and the ledger says KZ is 22 short
    r = optimizer.solve(share_42_58(), start="2025-01", months=1, operation="status-quo")
    ds, led = r.dataset, r.ledger
    assert at(ds, "delivery_hm3", "2025-01", demand="KG") == pytest.approx(80, abs=EPS)
    assert at(ds, "delivery_hm3", "2025-01", demand="KZ") == pytest.approx(20, abs=EPS)
    row = led[led["party"] == "KZ"].iloc[0]
    assert row["deficit_hm3"] == pytest.approx(22, abs=EPS)
    assert not row["met"]


# ---- c. a canal limited in m³/s ----------------------------------------------------------------------------

def test_canal_capacity_in_m3s_limits_delivery_by_the_days_of_the_month():
    ds = optimizer.solve(canal(capacity_m3s=10, need=40), start="2025-01", months=2).dataset
    jan = 10 * 31 * 86_400 / 1e6  # 26.784 hm³
    feb = 10 * 28 * 86_400 / 1e6  # 24.192 hm³ (2025 is not a leap year)
    assert jan == pytest.approx(26.784) and jan == pytest.approx(10 * JAN_M3S_TO_HM3)
    assert at(ds, "link_capacity_hm3", "2025-01", link="J_D") == pytest.approx(jan, abs=1e-9)
    assert at(ds, "delivery_hm3", "2025-01", demand="D") == pytest.approx(jan, abs=EPS)
    assert at(ds, "shortage_hm3", "2025-01", demand="D") == pytest.approx(40 - jan, abs=EPS)
    assert at(ds, "delivery_hm3", "2025-02", demand="D") == pytest.approx(feb, abs=EPS)
    assert at(ds, "shortage_hm3", "2025-02", demand="D") == pytest.approx(40 - feb, abs=EPS)


def test_leap_february_carries_one_more_day():
    ds = optimizer.solve(canal(capacity_m3s=10, need=40), start="2028-02", months=1).dataset
    assert at(ds, "delivery_hm3", "2028-02", demand="D") == pytest.approx(10 * 29 * 86_400 / 1e6, abs=EPS)


# ---- d. return flow reused downstream -----------------------------------------------------------------------

def test_return_flow_is_reused_downstream():
    # 100 hm³: UP takes its 80 and returns 40 to J2; DN gets the 20 left in the river + the 40 returned.
    # Serving UP first is right at equal priority: each hm³ to UP is used 1.5 times.
    ds = optimizer.solve(return_flow(100), start="2025-01", months=1).dataset
    q_up = at(ds, "delivery_hm3", "2025-01", demand="UP")
    assert q_up == pytest.approx(80, abs=EPS)
    assert at(ds, "return_hm3", "2025-01", demand="UP") == pytest.approx(40, abs=EPS)
    assert at(ds, "flow_hm3", "2025-01", link="J1_J2") == pytest.approx(100 - 80, abs=EPS)
    assert at(ds, "delivery_hm3", "2025-01", demand="DN") == pytest.approx(100 - 80 + 0.5 * 80, abs=EPS)
    assert at(ds, "shortage_hm3", "2025-01", demand="DN") == pytest.approx(100 - 60, abs=EPS)
    assert at(ds, "outflow_hm3", "2025-01", node="OUT") == pytest.approx(0, abs=EPS)


def test_return_flow_with_little_water():
    # 40 hm³: all to UP (40), which returns 20 to DN
    ds = optimizer.solve(return_flow(40), start="2025-01", months=1).dataset
    assert at(ds, "delivery_hm3", "2025-01", demand="UP") == pytest.approx(40, abs=EPS)
    assert at(ds, "delivery_hm3", "2025-01", demand="DN") == pytest.approx(20, abs=EPS)


# ---- e. hard rules that cannot hold ------------------------------------------------------------------------

def test_hard_quota_above_the_seasons_water_is_named_with_its_gap():
    # Apr–Sep brings 6 × 100 = 600 hm³; KZ is owed 700 at the border: 100 short even if KG takes nothing
    with pytest.raises(optimizer.InfeasibleAgreement) as exc:
        optimizer.solve(quota(volume=700), start="2025-01", months=12)
    c = exc.value.conflicts
    assert list(c["rule"]) == ["kz_quota"]
    row = c.iloc[0]
    assert (row["kind"], row["party"], row["period"]) == ("quota", "KZ", "2025 Apr-Sep")
    assert row["required_hm3"] == pytest.approx(700, abs=EPS)
    assert row["shortfall_hm3"] == pytest.approx(700 - 600, abs=1e-6)
    assert "kz_quota" in str(exc.value)


def test_hard_quota_within_the_seasons_water_holds():
    r = optimizer.solve(quota(volume=500), start="2025-01", months=12)
    row = r.ledger[r.ledger["rule"] == "kz_quota"].iloc[0]
    assert row["received_hm3"] == pytest.approx(500, abs=EPS)  # KG (100/month) takes the other 100
    assert row["met"]
    assert float(r.dataset["delivery_hm3"].sel(demand="KG").sum()) == pytest.approx(600 - 500, abs=EPS)


def test_quota_over_a_partial_season_does_not_bind():
    # the horizon ends in June: Apr–Sep is incomplete, so 700 hm³ is reported, not enforced
    r = optimizer.solve(quota(volume=700), start="2025-01", months=6)
    row = r.ledger[r.ledger["rule"] == "kz_quota"].iloc[0]
    assert not row["complete"]
    assert row["mode"].startswith("not applicable")


def test_quota_period_follows_the_start_month_on_a_reused_model():
    # Jan–Jun then Apr–Sep: both horizons have a row labelled "2025 Apr-Sep", but over different months.
    # The second solve must see the whole season (500 of 600 hm³ is feasible), as a fresh model does.
    b = quota(volume=500, inflow={"IN": [100] * 12})
    optimizer.solve(b, start="2025-01", months=6)
    r = optimizer.solve(b, start="2025-04", months=6)
    row = r.ledger[r.ledger["rule"] == "kz_quota"].iloc[0]
    assert row["complete"] and row["met"]
    assert row["received_hm3"] == pytest.approx(500, abs=EPS)


def test_hard_share_and_hard_quota_conflict_in_a_dry_year():
    # KG is owed 58 % of the year's river at its intake, KZ 300 hm³ at the border in Apr–Sep.
    # wet (100/month): 696 for KG and 300 for KZ out of 1,200, feasible.
    # dry (50/month): Apr–Sep holds 300, all KZ's, so KG can have only Oct–Mar's 300 of its 348: 48 short.
    b = quota(volume=300, share_kg=0.58, inflow={"wet": {"IN": [100] * 12}, "dry": {"IN": [50] * 12}})
    led = optimizer.solve(b, "wet", start="2025-01", months=12).ledger
    assert led.loc[led["mode"] == "hard", "met"].all()
    with pytest.raises(optimizer.InfeasibleAgreement) as exc:
        optimizer.solve(b, "dry", start="2025-01", months=12)
    c = exc.value.conflicts
    assert set(c["rule"]) <= {"kg_share", "kz_quota"} and len(c) >= 1
    assert c["shortfall_hm3"].sum() == pytest.approx(0.58 * 600 + 300 - 600, abs=1e-6)
    required = dict(zip(c["rule"], c["required_hm3"]))
    assert required.get("kg_share", 348) == pytest.approx(348, abs=EPS)
    assert required.get("kz_quota", 300) == pytest.approx(300, abs=EPS)
