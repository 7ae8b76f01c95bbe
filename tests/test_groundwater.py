"""An aquifer returns water lost to the ground in one month as baseflow in later months."""

import numpy as np
import pytest

import basins
import optimizer
from fixtures import groundwater
from test_balance import node_imbalance


def test_infiltration_comes_back_as_baseflow():
    r = optimizer.solve(groundwater(recession=0.5, feb_need=15.0), months=4)
    ds = r.dataset
    # January: 60 of 100 reach the channel, 40 recharge A; A discharges half its start-of-month storage
    np.testing.assert_allclose(ds["infiltration_hm3"].sel(node="IN").values, [40, 0, 0, 0], atol=1e-9)
    np.testing.assert_allclose(ds["discharge_hm3"].sel(aquifer="A").values, [0, 20, 13.75, 6.875], atol=1e-6)
    # February: D takes 15 of the 20 of baseflow and returns 7.5 to A: 40 − 20 + 7.5 = 27.5
    np.testing.assert_allclose(ds["delivery_hm3"].sel(demand="D").values, [0, 15, 0, 0], atol=1e-6)
    np.testing.assert_allclose(ds["groundwater_hm3"].sel(aquifer="A").values, [40, 27.5, 13.75, 6.875], atol=1e-6)
    np.testing.assert_allclose(ds["outflow_hm3"].sel(node="OUT").values, [60, 5, 13.75, 6.875], atol=1e-6)
    assert float(abs(node_imbalance(ds)).max()) < 1e-6


def test_baseflow_limits_a_dry_month():
    r = optimizer.solve(groundwater(recession=0.5, feb_need=30.0), months=2)
    ds = r.dataset
    assert ds["delivery_hm3"].sel(demand="D").values[1] == pytest.approx(20.0, abs=1e-6)  # all the baseflow
    assert ds["shortage_hm3"].sel(demand="D").values[1] == pytest.approx(10.0, abs=1e-6)
    assert ds["groundwater_hm3"].sel(aquifer="A").values[1] == pytest.approx(30.0, abs=1e-6)  # 40 − 20 + 10


def test_aquifer_round_trips_and_is_validated():
    b = groundwater()
    again = basins.loads(basins.dumps(b, inline=True))
    assert again == b
    text = basins.dumps(b, inline=True).replace("discharge_to: J", "discharge_to: D")
    with pytest.raises(basins.BasinError, match=r"aquifer 'A', field 'discharge_to'.*river node"):
        basins.loads(text)


def canal_seepage(seepage: float = 0.5) -> basins.Basin:
    """100 hm³ in January enter a canal IN → J losing 40 %; ``seepage`` of the loss recharges aquifer A
    (``loss_to``), the rest evaporates. A discharges half of its start-of-month storage to J."""
    from fixtures import network

    return network({"IN": "inflow", "A": "aquifer", "J": "junction", "OUT": "sink"},
                   [("IN -> J", {"loss_fraction": 0.4, "loss_to": "A", "seepage_fraction": seepage}), "J -> OUT"],
                   aquifers=[{"node": "A", "recession_per_month": 0.5, "initial_storage_hm3": 0.0,
                              "discharge_to": "J"}],
                   inflow={"IN": [100]})


def test_canal_seepage_recharges_its_aquifer_and_the_rest_evaporates():
    ds = optimizer.solve(canal_seepage(0.5), months=3).dataset
    # January: 60 arrive, 40 lost: 20 seep into A, 20 evaporate; A then gives back half its storage each month
    np.testing.assert_allclose(ds["seepage_hm3"].sel(link="IN_J").values, [20, 0, 0], atol=1e-9)
    np.testing.assert_allclose(ds["link_evaporation_hm3"].sel(link="IN_J").values, [20, 0, 0], atol=1e-9)
    np.testing.assert_allclose(ds["groundwater_hm3"].sel(aquifer="A").values, [20, 10, 5], atol=1e-6)
    np.testing.assert_allclose(ds["outflow_hm3"].sel(node="OUT").values, [60, 10, 5], atol=1e-6)
    assert float(abs(node_imbalance(ds)).max()) < 1e-6
    # every hm³ accounted for: 100 in = 75 out + 20 evaporated + 5 still underground
    assert float(ds["outflow_hm3"].sum() + ds["link_evaporation_hm3"].sum()
                 + ds["groundwater_hm3"].isel(time=-1).sum()) == pytest.approx(100.0, abs=1e-6)


def test_a_loss_without_loss_to_leaves_the_basin():
    ds = optimizer.solve(canal_seepage(1.0), months=1).dataset
    assert float(ds["seepage_hm3"].sum()) == pytest.approx(40.0, abs=1e-9)
    b = canal_seepage(1.0)
    text = basins.dumps(b, inline=True).replace("loss_to: A", "loss_to: J")
    with pytest.raises(basins.BasinError, match=r"link 'IN_J', field 'loss_to'.*not an aquifer"):
        basins.loads(text)
    text = basins.dumps(b, inline=True).replace("loss_fraction: 0.4", "loss_fraction: 0.0")
    with pytest.raises(basins.BasinError, match=r"link 'IN_J', field 'loss_to'.*loss_fraction 0"):
        basins.loads(text)
