"""The water budget of each bundled basin closes over a solve, and no counted water vanishes (issue 13 item 1).

Basin-wide, over the horizon [hm³]::

    natural inflow = consumption of the demands + reservoir evaporation + link evaporation
                     + reservoir storage change + groundwater storage change + outflow at the sinks

Every term is read from the Result's Dataset. Water can leave the network only through a named term: a sink, an
evaporation (a reservoir's, or the evaporating part of a link loss) or a demand's consumption. Natural inflow
that does not reach the channel must recharge a named aquifer (``recharge_to``), and the seeping part of a link
loss recharges its ``loss_to`` aquifer; neither may vanish.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import basins
import optimizer

TOL = 1e-6  # hm³


def budget(ds: xr.Dataset) -> dict[str, float]:
    """Every basin-wide source and sink over the horizon [hm³], and what is left unexplained (``vanished``)."""
    recharge_to = ds["recharge_to"].astype(str)
    terms = {
        "inflow": float(ds["natural_inflow_hm3"].sum()),
        "consumption": float(ds["consumption_hm3"].sum()),
        "reservoir_evaporation": float(ds["evaporation_hm3"].sum()),
        "link_evaporation": float(ds["link_evaporation_hm3"].sum()),
        "storage_change": float((ds["storage_hm3"].isel(time=-1) - ds["storage_start_hm3"].isel(time=0)).sum()),
        "groundwater_change": float((ds["groundwater_hm3"].isel(time=-1)
                                     - ds["groundwater_start_hm3"].isel(time=0)).sum()),
        "outflow": float(ds["outflow_hm3"].sum()),
        # natural inflow off the channel with no aquifer to recharge: water that would vanish
        "infiltration_to_nowhere": float(ds["infiltration_hm3"].where(recharge_to == "", 0.0).sum()),
    }
    out = sum(terms[k] for k in ("consumption", "reservoir_evaporation", "link_evaporation", "storage_change",
                                 "groundwater_change", "outflow"))
    terms["vanished"] = terms["inflow"] - out
    return terms


RUNS = [("chu", "normal", "agreement"), ("chu", "normal", "status-quo"), ("chu", "very-dry", "status-quo"),
        ("talas", "normal", "agreement"), ("talas", "normal", "status-quo"), ("talas", "dry", "agreement")]


@pytest.fixture(scope="module")
def solved():
    return {run: optimizer.solve(basins.load(run[0]), run[1], operation=run[2]).dataset for run in RUNS}


@pytest.mark.parametrize("run", RUNS, ids=["-".join(r) for r in RUNS])
def test_the_basin_budget_closes_and_nothing_vanishes(solved, run):
    b = budget(solved[run])
    assert b["inflow"] > 0 and b["outflow"] > 0 and b["consumption"] > 0
    assert abs(b["vanished"]) < TOL, b
    assert abs(b["infiltration_to_nowhere"]) < TOL, b


@pytest.mark.parametrize("name", ["chu", "talas"])
def test_every_counted_inflow_and_every_loss_goes_to_a_named_place(name):
    """Declarations: every inflow counted in a resource reaches the channel or recharges a named aquifer, and every
    link loss seeps to a named aquifer or evaporates (its evaporating share is reported as link evaporation)."""
    spec = basins.load(name).spec
    nodes = {n.id: n for n in spec.nodes}
    aquifers = {a.node for a in spec.aquifers}
    for rule in spec.agreement.share_rules:
        for nid in rule.resource_inflows:
            n = nodes[nid]
            assert n.channel_fraction == 1.0 or n.recharge_to in aquifers, (rule.id, nid)
    for lk in spec.links:
        if lk.loss_fraction > 0 and lk.loss_to is not None:
            assert lk.loss_to in aquifers, lk.id


def test_the_chu_losing_reach_and_canal_seepage_recharge_its_aquifers(solved):
    """The Kemin-Tokmok losing reach (the former CH_IN_MID phantom) and the big canals' seepage recharge the
    Chu's aquifers, and the aquifers give the water back: none of it is lost from the budget."""
    ds = solved[("chu", "normal", "agreement")]
    assert float(ds["infiltration_hm3"].sel(node="CH_IN_MID").sum()) == 0.0  # no phantom share any more
    reach = float(ds["seepage_hm3"].sel(link="CH_L_BYS_CHUM").sum())
    assert reach > 100.0  # hm³/yr into the piedmont aquifer
    canals = float(ds["seepage_hm3"].sel(link=["CH_L_BYPASS", "CH_L_WBCHK", "CH_L_VAL_INTAKES"]).sum())
    assert canals > 0.0
    assert float(ds["link_evaporation_hm3"].sel(link="CH_L_BYS_CHUM").sum()) == pytest.approx(0.0, abs=TOL)
    assert float(ds["discharge_hm3"].sel(aquifer=["CH_AQ_VALLEY", "CH_AQ_DRAIN"]).sum()) > reach


def test_bishkek_is_supplied_by_groundwater(solved):
    """Bishkek's wells take part of the piedmont aquifer's outflow at the spring line: in every month its supply
    is covered by that outflow (the junction also carries the left-bank rivers, but groundwater suffices)."""
    for run in [r for r in RUNS if r[0] == "chu"]:
        ds = solved[run]
        supply = ds["delivery_hm3"].sel(demand="KG_BISHKEK").values
        np.testing.assert_allclose(supply, ds["demand_hm3"].sel(demand="KG_BISHKEK").values, atol=1e-6)
        assert (supply <= ds["discharge_hm3"].sel(aquifer="CH_AQ_VALLEY").values + 1e-9).all(), run
        assert supply.sum() == pytest.approx(114.0, abs=0.5)  # hm³/yr [P 78]


def test_the_budget_sees_water_that_vanishes():
    """The check can fail: a counted inflow share that recharges no aquifer shows up as infiltration to nowhere
    and is missing from the named terms."""
    b = basins.load("talas")
    node = next(n for n in b.spec.nodes if n.id == "TA_IN_TRIB")
    node.channel_fraction = 0.9  # 10 % of the tributaries leaves for nowhere
    res = budget(optimizer.solve(b, "normal").dataset)
    assert res["infiltration_to_nowhere"] > 50.0
    assert res["vanished"] == pytest.approx(res["infiltration_to_nowhere"], abs=1e-5)
