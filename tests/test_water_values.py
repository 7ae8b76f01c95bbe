"""Water values: ``water_value[t, n] = −∂objective/∂(natural inflow at n in month t)``, positive where one
more hm³ would relieve a shortage. Checked against hand-derived weights and by finite differences."""

from __future__ import annotations

import pandas as pd
import pytest
import xarray as xr

import basins
import optimizer
from fixtures import share_42_58, short_demand
from optimizer.core.model import FLOW_COST
from optimizer.core.solver import horizon, inflow_series


def at(ds: xr.Dataset, var: str, month: str, **where) -> float:
    return float(ds[var].sel(time=pd.Timestamp(month), **where))


# ---- tiny networks ---------------------------------------------------------------------------------------

def test_water_value_of_a_short_month_is_the_shortage_weight():
    # January: 50 hm³ for 80. One more hm³ at IN saves one hm³ of priority-4 shortage (11 − 4 = 7) and
    # costs one hm³ of flow on IN → D.
    ds = optimizer.solve(short_demand(priority=4), start="2025-01", months=2).dataset
    wv = at(ds, "water_value", "2025-01", node="IN")
    assert wv > 0
    assert wv == pytest.approx(11 - 4 - FLOW_COST, abs=1e-9)
    assert at(ds, "water_value", "2025-01", node="D") == pytest.approx(11 - 4, abs=1e-9)
    assert at(ds, "water_value", "2025-01", node="OUT") == pytest.approx(0, abs=1e-9)
    # February has water to spare: one more hm³ is worth nothing (less the flow cost of letting it go)
    assert at(ds, "water_value", "2025-02", node="IN") == pytest.approx(-FLOW_COST, abs=1e-9)


@pytest.mark.parametrize("priority", [1, 7])
def test_water_value_follows_the_priority(priority):
    ds = optimizer.solve(short_demand(priority=priority), start="2025-01", months=1).dataset
    assert at(ds, "water_value", "2025-01", node="IN") == pytest.approx(11 - priority - FLOW_COST, abs=1e-9)


def _one_month(value: float) -> xr.DataArray:
    return xr.DataArray([[value]], dims=("time", "node"),
                        coords={"time": pd.DatetimeIndex(["2025-01-01"]), "node": ["IN"]})


def test_water_value_is_the_saving_from_one_more_hm3():
    # the documented meaning, by finite difference: water_value = −∂objective/∂inflow
    b = short_demand()
    base = optimizer.solve(b, inflow=_one_month(50))
    more = optimizer.solve(b, inflow=_one_month(51))
    assert float(base.dataset["water_value"].sel(node="IN")[0]) == pytest.approx(base.objective - more.objective,
                                                                                  abs=1e-9)


def test_water_value_at_a_shared_resource_counts_the_entitlement():
    # One more hm³ at IN under the binding 42/58 share also raises KZ's entitlement by 0.42 hm³:
    # KZ gets 0.42 (saves 0.42 × 6), KG 0.58 (saves 0.58 × 10), flows IN→J (1) + J→B→KZ (2 × 0.42) + J→KG (0.58).
    b = share_42_58()
    hand = 0.42 * 6 + 0.58 * 10 - FLOW_COST * (1 + 2 * 0.42 + 0.58)
    base = optimizer.solve(b, inflow=_one_month(100))
    more = optimizer.solve(b, inflow=_one_month(101))
    assert base.objective - more.objective == pytest.approx(hand, abs=1e-9)
    assert float(base.dataset["water_value"].sel(node="IN")[0]) == pytest.approx(hand, abs=1e-9)


# ---- a real basin ------------------------------------------------------------------------------------------

def test_talas_water_values_match_finite_differences():
    # Talas in a normal year: the hard 50/50 share binds, so the inflow nodes' values include the
    # entitlement each extra hm³ creates for KZ. Check March and July at both inflow nodes.
    b = basins.load("talas")
    q = inflow_series(b, horizon("2025-01", 12), "normal")
    base = optimizer.solve(b, inflow=q)
    led = base.ledger
    assert led.loc[led["rule"] == "talas_1983_shares", "shadow_price"].max() > 1  # the share binds
    d = 1e-3
    for node in q["node"].values:
        for t in (2, 6):
            bumped = q.copy(deep=True)
            bumped.loc[{"node": node, "time": q["time"][t]}] += d
            saving = (base.objective - optimizer.solve(b, inflow=bumped).objective) / d
            wv = float(base.dataset["water_value"].sel(node=node).isel(time=t))
            assert wv > 0
            assert wv == pytest.approx(saving, abs=1e-5), (node, t)
