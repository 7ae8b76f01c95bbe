"""Water balance per party territory and period [hm³], computed from a result Dataset alone.

A party's territory is the set of nodes whose ``country`` is the party (aquifers included). Summing the LP's
node balances (optimizer.core.model) over a territory gives, for every period::

    natural_inflow + received_from_other
        = net_use + conveyance_loss + evaporation + storage_change + groundwater_change
          + infiltration_out + outflow + passed_to_other                                 (+ residual ≈ 0)

* ``natural_inflow``: natural inflow at the territory's inflow nodes (all of it, also what infiltrates);
* ``received_from_other`` / ``passed_to_other``: water crossing the border: flow arriving by links from the other
  territory, return flows, spills, aquifer discharge, and infiltration or link seepage into an aquifer across
  the border;
* ``net_use``: consumption of the territory's demands (delivery − return flow) plus the conveyance loss of their
  intake links (a gross withdrawal at the canal head less what is given back, the way the parties count use);
* ``conveyance_loss``: loss on the other links that start in the territory (main canals, crossing reaches);
  a loss counts here (and in ``net_use``) only for its evaporating part: the part that seeps to a ``loss_to``
  aquifer stays in the network (in ``groundwater_change`` and the aquifer's discharge);
* ``evaporation``, ``storage_change`` (reservoirs), ``groundwater_change`` (aquifers), ``infiltration_out``
  (infiltration that recharges no aquifer and leaves the basin), ``outflow`` (at sinks).

``residual`` = in − out closes to solver precision (tested to 1e-6 hm³). The party's *counted* volume under the
agreement (``counted_hm3``: KZ's receipts at its posts, KG's use at its canal heads) is shown beside it: it is
not a term of the identity, but no water is counted to both parties (KG use + KZ receipts ≤ resource).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from optimizer.core.agreement import periods

IN_TERMS = ["natural_inflow_hm3", "received_from_other_hm3"]
OUT_TERMS = ["net_use_hm3", "conveyance_loss_hm3", "evaporation_hm3", "storage_change_hm3",
             "groundwater_change_hm3", "infiltration_out_hm3", "outflow_hm3", "passed_to_other_hm3"]
COLUMNS = IN_TERMS + OUT_TERMS + ["residual_hm3"]
LONG_NAMES = {
    "natural_inflow_hm3": "natural inflow at the party's inflow nodes",
    "received_from_other_hm3": "water entering the party's territory from the other party's",
    "net_use_hm3": "consumption of the party's demands plus the loss of their intake links",
    "conveyance_loss_hm3": "loss on the other links starting in the party's territory",
    "evaporation_hm3": "evaporation from the party's reservoirs",
    "storage_change_hm3": "change of storage in the party's reservoirs",
    "groundwater_change_hm3": "change of storage in the party's aquifers",
    "infiltration_out_hm3": "infiltration that recharges no aquifer (leaves the basin)",
    "outflow_hm3": "water leaving the basin at the party's sinks",
    "passed_to_other_hm3": "water leaving the party's territory into the other party's",
    "residual_hm3": "inflow minus outflow of the balance (0 up to solver precision)",
}


def monthly_terms(ds: xr.Dataset, party: str) -> dict[str, np.ndarray]:
    """The balance terms of one party's territory per month [hm³/month]."""
    T = ds.sizes["time"]
    country = dict(zip(map(str, ds["node"].values), map(str, ds["node_country"].values)))
    kind = dict(zip(map(str, ds["node"].values), map(str, ds["node_kind"].values)))
    mine = lambda n: country.get(str(n)) == party  # noqa: E731
    z = {k: np.zeros(T) for k in IN_TERMS + OUT_TERMS}
    x, dlv = ds["flow_hm3"].values, ds["delivered_hm3"].values
    seep = ds["seepage_hm3"].values if "seepage_hm3" in ds else np.zeros_like(x)
    loss_to = ds["link_loss_to"].values if "link_loss_to" in ds else [""] * x.shape[1]
    for j, (src, tgt) in enumerate(zip(ds["link_source"].values, ds["link_target"].values)):
        loss = x[:, j] - dlv[:, j] - seep[:, j]  # what leaves the basin (evaporates); the seepage recharges loss_to
        aq = str(loss_to[j])
        if aq and mine(src) and not mine(aq):
            z["passed_to_other_hm3"] += seep[:, j]
        elif aq and mine(aq) and not mine(src):
            z["received_from_other_hm3"] += seep[:, j]
        if mine(src):
            intake = mine(tgt) and kind[str(tgt)] == "demand"
            z["net_use_hm3" if intake else "conveyance_loss_hm3"] += loss
            if not mine(tgt):
                z["passed_to_other_hm3"] += dlv[:, j]
        elif mine(tgt):
            z["received_from_other_hm3"] += dlv[:, j]
    q, ret = ds["delivery_hm3"].values, ds["return_hm3"].values
    for j, (d, rn) in enumerate(zip(ds["demand"].values, ds["return_node"].values)):
        rn = str(rn)
        if mine(d):
            z["net_use_hm3"] += q[:, j] - ret[:, j]
            if rn and not mine(rn):
                z["passed_to_other_hm3"] += ret[:, j]
            elif not rn:  # (a demand without a return node returns nothing: return_fraction is then 0)
                z["net_use_hm3"] += ret[:, j]
        elif rn and mine(rn):
            z["received_from_other_hm3"] += ret[:, j]
    for j, (r, to) in enumerate(zip(ds["reservoir"].values, ds["spill_to"].values)):
        sp = ds["spill_hm3"].values[:, j]
        if mine(r):
            z["evaporation_hm3"] += ds["evaporation_hm3"].values[:, j]
            z["storage_change_hm3"] += ds["storage_hm3"].values[:, j] - ds["storage_start_hm3"].values[:, j]
            if not mine(to):
                z["passed_to_other_hm3"] += sp
        elif mine(to):
            z["received_from_other_hm3"] += sp
    if "aquifer" in ds.dims and ds.sizes["aquifer"]:
        for j, (a, to) in enumerate(zip(ds["aquifer"].values, ds["discharge_to"].values)):
            dis = ds["discharge_hm3"].values[:, j]
            if mine(a):
                z["groundwater_change_hm3"] += ds["groundwater_hm3"].values[:, j] - ds["groundwater_start_hm3"].values[:, j]
                if not mine(to):
                    z["passed_to_other_hm3"] += dis
            elif mine(to):
                z["received_from_other_hm3"] += dis
    nat, inf = ds["natural_inflow_hm3"].values, ds["infiltration_hm3"].values
    for j, (n, to) in enumerate(zip(ds["node"].values, ds["recharge_to"].values)):
        to = str(to)
        if mine(n):
            z["natural_inflow_hm3"] += nat[:, j]
            if not to:
                z["infiltration_out_hm3"] += inf[:, j]
            elif not mine(to):
                z["passed_to_other_hm3"] += inf[:, j]
        elif to and mine(to):
            z["received_from_other_hm3"] += inf[:, j]
    z["outflow_hm3"] += ds["outflow_hm3"].values[:, [mine(n) for n in ds["node"].values]].sum(axis=1)
    return z


def water_balance(ds: xr.Dataset, period: str | None = None, counted: dict | None = None) -> pd.DataFrame:
    """The balance per (period, party) [hm³] over the periods of ``period`` (default: the Dataset's
    ``balance_period`` attribute, the first share rule's period, else the hydrological year). ``counted``:
    party → monthly counted volume (KZ receipts, KG use) to show beside it."""
    period = period or ds.attrs.get("balance_period", "hydro-year")
    times = pd.DatetimeIndex(ds["time"].values)
    parties = sorted({str(c) for c in ds["node_country"].values})
    rows, index = [], []
    terms = {p: monthly_terms(ds, p) for p in parties}
    for g in periods(period, times):
        steps = list(g.steps)
        for p in parties:
            v = {k: float(terms[p][k][steps].sum()) for k in IN_TERMS + OUT_TERMS}
            v["residual_hm3"] = sum(v[k] for k in IN_TERMS) - sum(v[k] for k in OUT_TERMS)
            if counted is not None:
                v["counted_hm3"] = float(np.asarray(counted[p])[steps].sum()) if p in counted else np.nan
            rows.append(v)
            index.append((g.name + ("" if g.complete else " — part in the horizon"), p))
    cols = COLUMNS + (["counted_hm3"] if counted is not None else [])
    return pd.DataFrame(rows, index=pd.MultiIndex.from_tuples(index, names=["period", "party"]), columns=cols)
