"""Cost sharing of the intergovernmental facilities by use of facilities (2000 Agreement, Art. 2).

Article 2 lists the facilities of intergovernmental status (text: http://waterwiki.net/index.php?title=National_Law_On_intergovernmental_use_of_water_resources_and_water_facilities_of_the_Kyrgyz_Republic):
the Orto-Tokoy reservoir, the bypass ferroconcrete Chu canals (Bystrovka HPP to Tokmok), the Western and
Eastern Big Chu canals with the Chumysh hydroscheme, and the Kirov reservoir on the Talas. The
use-of-facilities method (Hutchens 1999, USAID/EPIQ, written for these facilities) splits each facility's
cost by the use each party makes of *that* facility, not by all the water a party receives.

Here a facility's water is what passes through it: the flow at the head of its ``controls`` links and, for a
reservoir, everything it releases (links + spill). That water is traced downstream month by month, assuming
full mixing at every node (the share of facility water leaving a node is the share entering it):

* it reaches **KZ** when it enters a node in Kazakhstan (the border post, a KZ demand, a KZ reservoir);
* it reaches **KG** when a Kyrgyz demand consumes it (delivery × (1 − return fraction)); the returned part
  travels on with the same share and may reach KZ further down (nothing is counted twice);
* it reaches nobody when it is lost on a link, returns to an aquifer (groundwater, delayed), is held in
  another Kyrgyz reservoir or leaves at a Kyrgyz sink.

Each party pays ``water reaching it / water reaching both`` of the facility's O&M. Capital works and repairs
are split by their agreed shares where published, otherwise like the facility's O&M.
"""

from __future__ import annotations

from graphlib import TopologicalSorter

import numpy as np
import pandas as pd

#: ``work`` is the capital work's id (empty on the O&M rows, whose ``item`` is "O&M")
COLUMNS = ["facility", "name", "item", "work", "party", "basis", "water_hm3", "facility_water_hm3", "unattributed_hm3",
           "share", "share_basis", "om_cost_usd", "cost_usd", "cost", "currency"]


def facility_water(ds, spec, facility) -> tuple[dict[str, float], float, float]:
    """(water of the facility reaching each party [hm³], the facility's water [hm³], water reaching nobody)
    over the horizon, by the tracing described in the module docstring."""
    nodes = {n.id: n for n in spec.nodes}
    links = list(ds["link"].values)
    li = {k: i for i, k in enumerate(links)}
    src = {lk.id: lk.source for lk in spec.links}
    tgt = {lk.id: lk.target for lk in spec.links}
    dems = {d.node: d for d in spec.demands}
    res = list(ds["reservoir"].values)
    spill_to = dict(zip(res, map(str, ds["spill_to"].values)))
    x, dl = ds["flow_hm3"].values, ds["delivered_hm3"].values
    q = ds["delivery_hm3"].sel(demand=[d.node for d in spec.demands]).values
    qi = {d.node: i for i, d in enumerate(spec.demands)}
    spill = ds["spill_hm3"].values
    nat = ds["natural_inflow_hm3"].values - ds["infiltration_hm3"].values
    ni = {k: i for i, k in enumerate(ds["node"].values)}
    disch = ds["discharge_hm3"].values if "discharge_hm3" in ds else np.zeros((ds.sizes["time"], 0))
    aq_to = list(map(str, ds["discharge_to"].values)) if "discharge_to" in ds else []
    controls = set(facility.controls)
    own = facility.reservoir
    if own is not None:
        controls |= {lk for lk in links if src[lk] == own}

    graph: dict[str, set[str]] = {n: set() for n in nodes}
    for lk in links:
        graph[tgt[lk]].add(src[lk])
    for d in spec.demands:
        if d.return_node and nodes[d.return_node].kind != "aquifer":
            graph[d.return_node].add(d.node)
    for r in res:
        if spill_to[r] in graph:
            graph[spill_to[r]].add(r)
    order = list(TopologicalSorter(graph).static_order())

    # every month is traced alone; the months are traced together as arrays over time [hm³]
    T = ds.sizes["time"]
    reach = {"KG": np.zeros(T), "KZ": np.zeros(T)}
    total = np.zeros(T)
    water = {n: nat[:, ni[n]].astype(float) for n in nodes}
    tracer = {n: np.zeros(T) for n in nodes}
    for j, n in enumerate(aq_to):
        water[n] = water[n] + disch[:, j]

    def send(frm: str, to: str, volume: np.ndarray, share) -> None:
        water[to] = water[to] + volume
        tracer[to] = tracer[to] + share * volume
        if nodes[to].country == "KZ" and nodes[frm].country != "KZ":
            reach["KZ"] += share * volume

    for n in order:
        node = nodes[n]
        if node.country == "KZ":
            continue  # facility water is counted as KZ's where it enters Kazakhstan
        w = water[n]
        c = np.divide(tracer[n], w, out=np.zeros(T), where=w > 1e-12)
        if node.kind == "reservoir":
            c = np.full(T, 1.0 if n == own else 0.0)  # another reservoir's releases are its own water
            if n == own:
                total += spill[:, res.index(n)]
            if spill_to.get(n) in nodes:
                send(n, spill_to[n], spill[:, res.index(n)], c)
        if node.kind == "demand" and n in dems:
            d = dems[n]
            delivered = q[:, qi[n]]
            reach["KG" if d.party == "KG" else "KZ"] += c * delivered * (1 - d.return_fraction)
            if d.return_node and nodes[d.return_node].kind != "aquifer":
                send(n, d.return_node, delivered * d.return_fraction, c)
        for lk in links:
            if src[lk] != n:
                continue
            if lk in controls:
                total += x[:, li[lk]]
            send(n, tgt[lk], dl[:, li[lk]], 1.0 if lk in controls else c)
    got = {k: float(v.sum()) for k, v in reach.items()}
    return got, float(total.sum()), float(total.sum()) - sum(got.values())


def use_of_facilities(ds, inp) -> pd.DataFrame:
    """The cost table: one O&M row per facility and party, then the capital works (see :data:`COLUMNS`)."""
    spec = inp.basin.spec
    years = inp.T / 12.0
    rows = []
    om_share: dict[str, dict[str, float]] = {}
    names = {}
    for f in spec.agreement.facilities:
        reach, total, lost = facility_water(ds, spec, f)
        both = sum(reach.values())
        om_share[f.id] = {p: (w / both if both > 0 else np.nan) for p, w in reach.items()}
        names[f.id] = f.name
        basis = f.mapping or "water passing through the facility"
        for p, w in reach.items():
            share = om_share[f.id][p]
            rows.append({"facility": f.id, "name": f.name, "item": "O&M", "work": "", "party": p, "basis": basis,
                         "water_hm3": w, "facility_water_hm3": total, "unattributed_hm3": lost, "share": share,
                         "share_basis": "use of facilities", "om_cost_usd": f.om_cost_usd_per_year * years,
                         "cost_usd": f.om_cost_usd_per_year * years * share, "cost": f.om_cost_usd_per_year * years,
                         "currency": "USD"})
    for w in spec.agreement.capital_works:
        shares = w.shares if w.shares is not None else om_share.get(w.facility, {})
        how = "agreed (published)" if w.shares is not None else "use of facilities (as the facility's O&M)"
        for p in ("KG", "KZ"):
            s = float(shares.get(p, 0.0)) if shares else np.nan
            rows.append({"facility": w.facility, "name": names.get(w.facility, w.facility), "item": w.name, "work": w.id,
                         "party": p, "basis": w.status, "water_hm3": np.nan, "facility_water_hm3": np.nan,
                         "unattributed_hm3": np.nan, "share": s, "share_basis": how, "om_cost_usd": np.nan,
                         "cost_usd": (w.cost * s if w.currency == "USD" and w.cost is not None else np.nan),
                         "cost": (w.cost * s if w.cost is not None else np.nan), "currency": w.currency})
    return pd.DataFrame(rows, columns=COLUMNS)
