"""Every node's water balance, every bound and the ledger, recomputed from the Result alone.

The Dataset is meant to be self-describing: nothing here reads the LP, only the Dataset, the ledger and
the basin's declarations (receipts lists, rule periods).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import basins
import optimizer

TOL = 1e-6  # hm³
YEAR_TYPES = ["wet", "normal", "dry", "very-dry", "extreme-dry"]


@pytest.fixture(scope="module", params=["chu", "talas"])
def basin(request):
    return basins.load(request.param)


def node_imbalance(ds: xr.Dataset) -> xr.DataArray:
    """(time, node): water in − water out − change in storage; 0 everywhere if the balance holds."""
    nodes = list(ds["node"].values)
    zero = xr.zeros_like(ds["natural_inflow_hm3"])

    def by_node(values: xr.DataArray, node_of: xr.DataArray, dim: str) -> xr.DataArray:
        """Sum ``values`` (time, dim) onto the node named by ``node_of`` (dim)."""
        out = zero.copy()
        for k in values[dim].values:
            n = str(node_of.sel({dim: k}).item())
            if n:  # "" = no return node
                out.loc[{"node": n}] += values.sel({dim: k}).values
        return out

    inflow = ds["natural_inflow_hm3"] - ds["infiltration_hm3"]  # natural inflow that reaches the channel
    incoming = by_node(ds["delivered_hm3"], ds["link_target"], "link")
    outgoing = by_node(ds["flow_hm3"], ds["link_source"], "link")
    returns = by_node(ds["return_hm3"], ds["return_node"], "demand")
    spill_in = by_node(ds["spill_hm3"], ds["spill_to"], "reservoir")
    delivery = by_node(ds["delivery_hm3"], xr.DataArray(ds["demand"].values, dims="demand",
                                                        coords={"demand": ds["demand"]}), "demand")
    res_node = xr.DataArray(ds["reservoir"].values, dims="reservoir", coords={"reservoir": ds["reservoir"]})
    stored = by_node(ds["storage_hm3"] - ds["storage_start_hm3"] + ds["evaporation_hm3"] + ds["spill_hm3"],
                     res_node, "reservoir")
    # groundwater: infiltration recharges the node's aquifer; an aquifer stores and discharges to discharge_to
    recharge = by_node(ds["infiltration_hm3"].rename(node="src"), ds["recharge_to"].rename(node="src"), "src")
    aq_node = xr.DataArray(ds["aquifer"].values, dims="aquifer", coords={"aquifer": ds["aquifer"]})
    aq_stored = by_node(ds["groundwater_hm3"] - ds["groundwater_start_hm3"] + ds["discharge_hm3"], aq_node, "aquifer")
    discharge_in = by_node(ds["discharge_hm3"], ds["discharge_to"], "aquifer")
    seepage_in = by_node(ds["seepage_hm3"], ds["link_loss_to"], "link")  # link losses recharging an aquifer
    assert set(ds["demand"].values) <= set(nodes) and set(ds["reservoir"].values) <= set(nodes)
    return (inflow + incoming + returns + spill_in + recharge + discharge_in + seepage_in
            - outgoing - delivery - stored - aq_stored - ds["outflow_hm3"])


def counted(ds, receipt):
    """A receipt's monthly count [hm³] recomputed from the Dataset: its links gross (flow entering them) or net
    (flow arriving), natural inflow at its inflow nodes, less the return flow of ``less_returns_of`` (and, gross
    with ``less_seepage``, less the links' seepage)."""
    flow = ds["flow_hm3"] if receipt.counted == "gross" else ds["delivered_hm3"]
    if receipt.counted == "gross" and receipt.less_seepage:  # the seeping part of the conveyance loss comes back
        flow = flow - ds["seepage_hm3"]
    total = flow.sel(link=receipt.links).sum("link") + ds["natural_inflow_hm3"].sel(node=receipt.inflows).sum("node")
    return total - ds["return_hm3"].sel(demand=receipt.less_returns_of).sum("demand")


def months_of(kind: str, label: str, times: pd.DatetimeIndex) -> list[int]:
    """Indices of the horizon's months in the period ``label`` of a rule with period ``kind``."""
    if kind == "year":
        return [i for i, t in enumerate(times) if str(t.year) == label]
    if kind == "apr-sep":
        return [i for i, t in enumerate(times) if f"{t.year} Apr-Sep" == label and 4 <= t.month <= 9]
    if kind == "oct-mar":
        y0 = int(label[:4])
        return [i for i, t in enumerate(times) if (t.year == y0 and t.month >= 10) or (t.year == y0 + 1 and t.month <= 3)]
    if kind == "hydro-year":  # Oct–Sep, labelled by its two years ("2024/25 hydro-year")
        y0 = int(label[:4])
        return [i for i, t in enumerate(times) if (t.year == y0 and t.month >= 10) or (t.year == y0 + 1 and t.month <= 9)]
    if kind == "month":
        return [i for i, t in enumerate(times) if f"{t.year}-{t.month:02d}" == label]
    raise ValueError(kind)


def check_result(basin: basins.Basin, r) -> None:
    ds = r.dataset
    # --- water balance of every node and month
    imbalance = node_imbalance(ds)
    worst = float(abs(imbalance).max())
    assert worst <= TOL, f"largest node imbalance {worst} hm3 at {imbalance.where(abs(imbalance) == worst, drop=True)}"

    # --- bounds
    flow, cap = ds["flow_hm3"], ds["link_capacity_hm3"]
    assert float(flow.min()) >= -TOL
    assert bool(((flow <= cap + TOL) | cap.isnull()).all()), "a link carries more than its capacity"
    s = ds["storage_hm3"]
    assert bool((s >= ds["dead_storage_hm3"] - TOL).all()), "storage below dead storage"
    assert bool((s <= ds["capacity_hm3"] + TOL).all()), "storage above capacity"
    assert bool((ds["storage_start_hm3"].isel(time=slice(1, None)).values == s.isel(time=slice(None, -1)).values).all())
    q, dem = ds["delivery_hm3"], ds["demand_hm3"]
    assert float(q.min()) >= -TOL and bool((q <= dem + TOL).all())
    assert np.allclose(ds["shortage_hm3"], dem - q, atol=TOL)
    for v in ("spill_hm3", "outflow_hm3", "evaporation_hm3", "min_flow_shortfall_hm3"):
        assert float(ds[v].min()) >= -TOL, v
    # outflow only at sinks
    sinks = ds["node_kind"] == "sink"
    assert float(abs(ds["outflow_hm3"].where(~sinks, 0)).max()) == 0

    # --- the ledger: received = the flows its receipts list, recomputed from the basin's declarations
    times = pd.DatetimeIndex(ds["time"].values)
    ag = basin.spec.agreement
    rules = {x.id: (x, "rule") for x in ag.share_rules} | {x.id: (x, "quota") for x in ag.quotas} | \
        {x.id: (x, "split") for x in ag.storage_splits}
    assert len(r.ledger) > 0
    for row in r.ledger.itertuples():
        rule, what = rules[row.rule]
        receipt = rule.receipts if what == "quota" else rule.receipts[row.party]
        steps = months_of(rule.period, row.period, times)
        assert steps, row
        received = float(counted(ds, receipt).isel(time=steps).sum())
        assert row.received_hm3 == pytest.approx(received, abs=TOL), row
        if what == "rule":  # share of the natural resource over the period
            required = rule.shares[row.party] * float(
                ds["natural_inflow_hm3"].isel(time=steps).sel(node=rule.resource_inflows).sum())
            assert row.required_hm3 == pytest.approx(required, abs=TOL), row
        elif what == "split":  # share of everything the reservoir lets out
            out_links = [lk.id for lk in basin.spec.links if lk.source == rule.reservoir]
            release = float(ds["flow_hm3"].isel(time=steps).sel(link=out_links).sum()) + \
                float(ds["spill_hm3"].isel(time=steps).sel(reservoir=rule.reservoir).sum())
            assert row.required_hm3 == pytest.approx(rule.shares[row.party] * release, abs=TOL), row
        else:
            assert row.required_hm3 == pytest.approx(rule.volume_hm3), row
        gap = row.received_hm3 - row.required_hm3 if row.role == "ceiling" else row.required_hm3 - row.received_hm3
        assert row.deficit_hm3 == pytest.approx(max(0.0, gap) if row.role != "reported" and
                                                not row.mode.startswith("not applicable") else 0.0, abs=TOL)
    hard = r.ledger[r.ledger["mode"] == "hard"]
    assert len(hard) > 0 and hard["met"].all(), hard
    floors, ceilings = hard[hard["role"] != "ceiling"], hard[hard["role"] == "ceiling"]
    assert bool((floors["received_hm3"] >= floors["required_hm3"] - TOL).all())
    assert bool((ceilings["received_hm3"] <= ceilings["required_hm3"] + TOL).all())

    # --- party receipts in the Dataset are those of the first share rule
    first = ag.share_rules[0]
    for p in ds["party"].values:
        monthly = counted(ds, first.receipts[str(p)])
        assert np.allclose(ds["received_hm3"].sel(party=p), monthly, atol=TOL)


@pytest.mark.parametrize("year_type", YEAR_TYPES)
def test_balance_bounds_and_ledger(basin, year_type):
    r = optimizer.solve(basin, year_type, start="2025-01", months=12)
    assert r.manifest["status"] == "optimal"
    check_result(basin, r)


def test_three_years_of_talas():
    basin = basins.load("talas")
    r = optimizer.solve(basin, "dry", start="2025-01", months=36)
    assert r.dataset.sizes["time"] == 36
    check_result(basin, r)
    # the share rules run by hydrological year (Oct–Sep): 2024/25 (Jan–Sep) .. 2027/28 (Oct–Dec)
    assert set(r.ledger["period"]) >= {"2024/25 hydro-year", "2025/26 hydro-year", "2026/27 hydro-year",
                                      "2027/28 hydro-year", "2025 Apr-Sep", "2027 Apr-Sep"}
    # the end storage is at least the initial storage (end_storage="initial")
    end, start = r.end_storage(), r.dataset["storage_start_hm3"].isel(time=0).to_series()
    assert bool((end >= start - TOL).all())


@pytest.mark.parametrize("year_type", ["dry", "very-dry"])
def test_myopic_operation_keeps_the_balance(basin, year_type):
    r = optimizer.solve(basin, year_type, start="2025-01", months=12, foresight="myopic", end_storage="free")
    check_result(basin, r)


def test_status_quo_keeps_the_balance(basin):
    # rules are only reported, so only the physics is checked (hard rules may be missed)
    ds = optimizer.solve(basin, "dry", operation="status-quo").dataset
    assert float(abs(node_imbalance(ds)).max()) <= TOL
