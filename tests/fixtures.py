"""Tiny basins for tests whose answers can be worked out by hand (after Pywr's test models).

Each network is written as a basin file with its series inline and loaded through
:func:`basins.loads`, so the tests also exercise the YAML path a user upload takes.

    >>> b = network({"IN": "inflow", "D": "demand", "OUT": "sink"}, ["IN -> D", "IN -> OUT"],
    ...             demands=[demand("D")], inflow={"IN": [100]}, demand={"D": [60]})

Series are lists of hm³ per calendar month from January; months not given are 0.
"""

from __future__ import annotations

import yaml

import basins

JAN_M3S_TO_HM3 = 31 * 86_400 / 1e6  # one m³/s over a 31-day month [hm³]


class BlockDumper(yaml.SafeDumper):
    """Test inputs written the way a person (or another YAML writer, PyYAML here) writes them: block style,
    multi-line strings (inline CSV series) as literal ``|`` blocks. The basins reader is ruamel.yaml (YAML 1.2),
    so these tests also check that files from another writer read the same."""


BlockDumper.add_representer(str, lambda d, s: d.represent_scalar(
    "tag:yaml.org,2002:str", s, style="|" if "\n" in s else None))


def _csv(header: str, rows: list[tuple]) -> str:
    return "\n".join([header] + [",".join(map(str, r)) for r in rows]) + "\n"


def _monthly(series: dict[str, list[float]], node: str, month: int) -> float:
    values = series.get(node, [])
    return float(values[month - 1]) if month <= len(values) else 0.0


def demand(node: str, party: str = "KG", priority: int = 3, **kw) -> dict:
    return {"node": node, "party": party, "sector": "irrigation", "priority": priority, **kw}


def reservoir(node: str, capacity: float, dead: float = 0.0, initial: float | None = None, **kw) -> dict:
    return {"node": node, "capacity_hm3": capacity, "dead_storage_hm3": dead,
            "initial_storage_hm3": dead if initial is None else initial,
            "area_km2_at_dead": 1.0, "area_km2_at_full": 1.0, **kw}


def network(nodes: dict[str, str], links: list, *, reservoirs=(), demands=(), agreement: dict | None = None,
            inflow: dict, demand: dict | None = None, evaporation: dict | None = None, aquifers=(),
            node_fields: dict | None = None) -> basins.Basin:
    """A basin from a compact description.

    nodes:  id → ``"kind"`` or ``"kind KZ"`` (country KG unless given)
    links:  ``"A -> B"`` or ``("A -> B", {"capacity": 10, ...})``; ids are ``A_B``
    inflow: node → monthly hm³, or year type → (node → monthly hm³) for several year types
    demand, evaporation: node → monthly hm³ / mm (evaporation 0 mm unless given)
    """
    demand, evaporation = demand or {}, evaporation or {}
    by_year = inflow if all(isinstance(v, dict) for v in inflow.values()) else {"normal": inflow}
    spec_nodes = []
    for nid, desc in nodes.items():
        kind, _, country = desc.partition(" ")
        spec_nodes.append({"id": nid, "name": nid, "kind": kind, "country": country or "KG", "lat": 0, "lon": 0,
                           **(node_fields or {}).get(nid, {})})
    spec_links = []
    for lk in links:
        text, extra = (lk, {}) if isinstance(lk, str) else lk
        a, b = (s.strip() for s in text.split("->"))
        spec_links.append({"id": f"{a}_{b}", "source": a, "target": b, **extra})
    inflow_nodes = [n for n, d in nodes.items() if d.startswith("inflow")]
    months = range(1, 13)
    series = {
        "inflow": _csv("year_type,month,node,inflow,unit",
                       [(yt, m, n, _monthly(s, n, m), "hm3") for yt, s in by_year.items() for m in months
                        for n in inflow_nodes]),
        "demand": _csv("month,node,demand,unit",
                       [(m, d["node"], _monthly(demand, d["node"], m), "hm3") for m in months for d in demands]),
        "evaporation": _csv("month,node,evaporation,unit",
                            [(m, r["node"], _monthly(evaporation, r["node"], m), "mm") for m in months
                             for r in reservoirs]),
    }
    spec = {"id": "tiny", "name": "tiny test network", "year_types": list(by_year), "nodes": spec_nodes,
            "links": spec_links, "reservoirs": list(reservoirs), "aquifers": list(aquifers), "demands": list(demands),
            "agreement": agreement or {}, "series_inline": series}
    return basins.loads(yaml.safe_dump(spec, sort_keys=False), file="tiny.yaml")


# ---- the networks ------------------------------------------------------------------------------------

def carry_over(capacity: float = 200.0) -> basins.Basin:
    """A reservoir holding January's 100 hm³ for a February demand of 60 hm³ (empty at the start, no
    evaporation). R --> D is the outlet canal; R --> OUT takes what is not used."""
    return network({"IN": "inflow", "R": "reservoir", "D": "demand", "OUT": "sink"},
                   ["IN -> R", "R -> D", "R -> OUT"],
                   reservoirs=[reservoir("R", capacity)], demands=[demand("D")],
                   inflow={"IN": [100, 0]}, demand={"D": [0, 60]})


def share_42_58(kg_demand: float = 80.0, kz_demand: float = 100.0) -> basins.Basin:
    """One inflow of 100 hm³ in January. KG takes from the junction upstream of the border, the river runs
    on to the border node B and the KZ demand. Monthly 1983-style split: KZ 42 % at the border (hard),
    KG 58 % (reported). KG is served first (priority 1, weight 10), KZ has priority 5 (weight 6)."""
    receipts = {"KZ": {"links": ["J_B"]}, "KG": {"links": ["J_KG"]}}
    return network(
        {"IN": "inflow", "J": "junction", "KG": "demand", "B": "border KZ", "KZ": "demand KZ", "OUT": "sink KZ"},
        ["IN -> J", "J -> KG", "J -> B", "B -> KZ", "B -> OUT"],
        demands=[demand("KG", "KG", priority=1), demand("KZ", "KZ", priority=5)],
        agreement={"share_rules": [{"id": "shares", "resource_inflows": ["IN"], "period": "month",
                                    "shares": {"KZ": 0.42, "KG": 0.58}, "receipts": receipts,
                                    "enforce": ["KZ"], "mode": "hard"}]},
        inflow={"IN": [100]}, demand={"KG": [kg_demand], "KZ": [kz_demand]})


def canal(capacity_m3s: float = 10.0, need: float = 40.0) -> basins.Basin:
    """A canal of ``capacity_m3s`` from a plentiful river (500 hm³/month) to a demand of ``need`` hm³/month."""
    return network({"IN": "inflow", "J": "junction", "D": "demand", "OUT": "sink"},
                   ["IN -> J", ("J -> D", {"capacity": capacity_m3s, "capacity_unit": "m3/s"}), "J -> OUT"],
                   demands=[demand("D")], inflow={"IN": [500] * 12}, demand={"D": [need] * 12})


def return_flow(supply: float = 100.0) -> basins.Basin:
    """UP (80 hm³, returns half of what it gets to J2) above DN (100 hm³), equal priority, ``supply`` hm³ in
    January."""
    return network({"IN": "inflow", "J1": "junction", "UP": "demand", "J2": "junction", "DN": "demand",
                    "OUT": "sink"},
                   ["IN -> J1", "J1 -> UP", "J1 -> J2", "J2 -> DN", "J2 -> OUT"],
                   demands=[demand("UP", return_fraction=0.5, return_node="J2"), demand("DN")],
                   inflow={"IN": [supply]}, demand={"UP": [80], "DN": [100]})


def quota(volume: float = 700.0, share_kg: float | None = None, inflow: dict | None = None) -> basins.Basin:
    """A river reaching KZ at the border B, with a KG demand above it (100 hm³ every month). KZ has a hard
    Apr–Sep quota of ``volume`` hm³ at the border; with ``share_kg`` KG also has a hard yearly share of the
    river at its intake."""
    agreement = {"quotas": [{"id": "kz_quota", "party": "KZ", "period": "apr-sep", "volume_hm3": volume,
                             "receipts": {"links": ["J_B"]}, "mode": "hard"}]}
    if share_kg is not None:
        agreement["share_rules"] = [{"id": "kg_share", "resource_inflows": ["IN"], "period": "year",
                                     "shares": {"KG": share_kg, "KZ": round(1 - share_kg, 10)},
                                     "receipts": {"KG": {"links": ["J_KG"]}, "KZ": {"links": ["J_B"]}},
                                     "enforce": ["KG"], "mode": "hard"}]
    return network({"IN": "inflow", "J": "junction", "KG": "demand", "B": "border KZ", "OUT": "sink KZ"},
                   ["IN -> J", "J -> KG", "J -> B", "B -> OUT"],
                   demands=[demand("KG", "KG")], agreement=agreement,
                   inflow=inflow or {"IN": [0, 0, 0, 100, 100, 100, 100, 100, 100]}, demand={"KG": [100] * 12})


def short_demand(priority: int = 4) -> basins.Basin:
    """50 hm³ in January for a demand of 80 hm³ (priority ``priority``); in February 100 hm³ for 80."""
    return network({"IN": "inflow", "D": "demand", "OUT": "sink"}, ["IN -> D", "IN -> OUT"],
                   demands=[demand("D", priority=priority)], inflow={"IN": [50, 100]}, demand={"D": [80, 80]})


def groundwater(recession: float = 0.5, feb_need: float = 15.0) -> basins.Basin:
    """100 hm³ flows in January; 40 % of it infiltrates into aquifer A (``recharge_to``), which discharges
    ``recession`` of its start-of-month storage to the river junction J. A demand D below J needs water
    only in February, and returns half of what it gets to A."""
    return network({"IN": "inflow", "A": "aquifer", "J": "junction", "D": "demand", "OUT": "sink"},
                   ["IN -> J", "J -> D", "J -> OUT"],
                   aquifers=[{"node": "A", "recession_per_month": recession, "initial_storage_hm3": 0.0,
                              "discharge_to": "J"}],
                   node_fields={"IN": {"channel_fraction": 0.6, "recharge_to": "A"}},
                   demands=[demand("D", return_fraction=0.5, return_node="A")],
                   inflow={"IN": [100]}, demand={"D": [0, feb_need]})
