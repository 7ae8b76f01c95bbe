"""The result Dataset of one solve: the solution's arrays (:class:`Solution`) as a self-describing xarray Dataset
with units (:func:`make_dataset`), its groundwater variables, and the receipts and requirements of agreement rows
computed from it with numpy (:class:`Accounts`, :func:`party_receipts`). Volumes in hm³ per step; every
node's water balance can be recomputed from the Dataset alone. :mod:`optimizer.core.result` builds the ledger,
the cost split and the :class:`~optimizer.core.result.Result` on it.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

import numpy as np
import xarray as xr

from optimizer.core import accounts, bed_loss
from optimizer.core.agreement import Period, Row
from optimizer.core.timesteps import month_fraction
from optimizer.core.model import Inputs

#: the period of a Row counted month by month over the whole horizon (Accounts.received reads no period)
_WHOLE_HORIZON = Period("horizon", (), True)


@dataclass
class Solution:
    """Primal and dual values of one solve, as arrays over (month, element)."""

    x: np.ndarray  # (T, L) flow entering each link
    s: np.ndarray  # (T, R) storage at month end
    spill: np.ndarray  # (T, R)
    q: np.ndarray  # (T, D) delivery
    out: np.ndarray  # (T, K) basin outflow at sinks
    env: np.ndarray  # (T, LM) shortfall under minimum flows
    node_dual: np.ndarray  # (T, N) dual of the node balance
    row_dual: dict[str, float]
    objective: float
    g: np.ndarray | None = None  # (T, AQ) groundwater storage at month end (None: no aquifers)
    acc: np.ndarray | None = None  # (T, accounts) storage account balances at month end (accounts.py)
    acc_rel: np.ndarray | None = None  # (T, accounts) releases made for each account's party
    stage2_s: float = 0.0  # time of the tie-break stage [s] (optimizer.core.second_stage)
    cost_above_optimum: float = 0.0  # priority cost of the reported allocation above stage 1's optimum [cost units]
    cost_bound: float = 0.0  # what cost_above_optimum cannot exceed: stage 1's allocation at the tie costs
    acc_relief: np.ndarray | None = None  # (T, accounts) evaporation share not paid less others' paid (u − v)

    @staticmethod
    def concat(parts: list["Solution"]) -> "Solution":
        cat = lambda k: np.concatenate([getattr(p, k) for p in parts], axis=0)  # noqa: E731
        g = cat("g") if parts and parts[0].g is not None else None
        acc = cat("acc") if parts and parts[0].acc is not None else None
        rel = cat("acc_rel") if parts and parts[0].acc_rel is not None else None
        relief = cat("acc_relief") if parts and parts[0].acc_relief is not None else None
        return Solution(cat("x"), cat("s"), cat("spill"), cat("q"), cat("out"), cat("env"), cat("node_dual"),
                        {}, float(sum(p.objective for p in parts)), g, acc, rel,
                        float(sum(p.stage2_s for p in parts)), float(sum(p.cost_above_optimum for p in parts)),
                        float(sum(p.cost_bound for p in parts)), relief)


def evaporation(inp: Inputs, s: np.ndarray) -> np.ndarray:
    """Evaporation [hm³/month] from end-of-month storage ``s`` (T, R), as in the LP."""
    res = inp.basin.spec.reservoirs
    s0 = np.array([inp.initial_storage[r.node] for r in res])
    prev = np.vstack([s0[None, :], s[:-1]])
    mm = inp.evaporation_mm[[r.node for r in res]].to_numpy()
    a_dead = np.array([r.area_km2_at_dead for r in res])
    slope = np.array([(r.area_km2_at_full - r.area_km2_at_dead) / max(r.capacity_hm3 - r.dead_storage_hm3, 1e-9)
                      for r in res])
    smin = np.array([r.dead_storage_hm3 for r in res])
    return mm * 1e-3 * (a_dead + slope * ((prev + s) / 2 - smin))


def make_dataset(inp: Inputs, sol: Solution, spill_to: dict[str, str | None]) -> xr.Dataset:
    """The self-describing Dataset: every node's water balance can be recomputed from it alone."""
    spec = inp.basin.spec
    nodes = [n.id for n in spec.nodes]
    links = [lk.id for lk in spec.links]
    res = [r.node for r in spec.reservoirs]
    dem = [d.node for d in spec.demands]
    sinks = [n.id for n in spec.nodes if n.kind == "sink"]
    T = inp.T
    loss = bed_loss.loss_matrix(inp)  # (time × link): loss_fraction, or loss_table at the natural flow
    seep = np.array([lk.seepage_fraction if lk.loss_to else 0.0 for lk in spec.links])
    rf = np.array([d.return_fraction for d in spec.demands])
    demand = inp.demand[dem].to_numpy()
    # (the input tables read once as arrays: a DataFrame's column lookup per node and link took a fifth of this)
    natural = np.zeros((T, len(nodes)))
    infiltration = np.zeros((T, len(nodes)))
    q_in, in_col = inp.inflow.to_numpy(float), {c: k for k, c in enumerate(inp.inflow.columns)}
    for j, node in enumerate(spec.nodes):
        if node.id in in_col:
            natural[:, j] = q_in[:, in_col[node.id]]
            infiltration[:, j] = (1 - node.channel_fraction) * natural[:, j]
    cap = np.full((T, len(links)), np.nan)
    minf = np.full((T, len(links)), np.nan)
    envs = np.zeros((T, len(links)))
    caps, cap_col = inp.capacity.to_numpy(float), {c: k for k, c in enumerate(inp.capacity.columns)}
    mins, min_col = inp.min_flow.to_numpy(float), {c: k for k, c in enumerate(inp.min_flow.columns)}
    for j, lk in enumerate(links):
        if lk in cap_col:
            cap[:, j] = caps[:, cap_col[lk]]
        if lk in min_col:
            k = min_col[lk]
            minf[:, j] = mins[:, k]
            envs[:, j] = sol.env[:, k]
    evap = evaporation(inp, sol.s)
    outflow = np.zeros((T, len(nodes)))
    for k, n in enumerate(sinks):
        outflow[:, nodes.index(n)] = sol.out[:, k]
    s0 = np.array([inp.initial_storage[r] for r in res])
    start = np.vstack([s0[None, :], sol.s[:-1]]) if T else sol.s
    hm3 = {"units": "hm3/month"}
    tl, tn, tr, td = ("time", "link"), ("time", "node"), ("time", "reservoir"), ("time", "demand")
    data = {
            "natural_inflow_hm3": (tn, natural, {**hm3, "long_name": "exogenous natural inflow at the node"}),
            "infiltration_hm3": (tn, infiltration, {**hm3, "long_name": "natural inflow that never reaches the "
                                                           "channel (groundwater recharge, channel_fraction)"}),
            "flow_hm3": (tl, sol.x, {**hm3, "long_name": "flow entering the link at its upstream end"}),
            "delivered_hm3": (tl, sol.x * (1 - loss), {**hm3, "long_name": "flow arriving at the link's target"}),
            "seepage_hm3": (tl, sol.x * loss * seep, {**hm3, "long_name": "link loss seeping to the link's loss_to "
                                                                          "aquifer (groundwater recharge)"}),
            "link_evaporation_hm3": (tl, sol.x * loss * (1 - seep), {**hm3, "long_name": "link loss leaving the "
                                                                                         "basin (evaporation)"}),
            "link_capacity_hm3": (tl, cap, {**hm3, "long_name": "link capacity (NaN = unlimited)"}),
            "min_flow_hm3": (tl, minf, {**hm3, "long_name": "environmental minimum flow (NaN = none)"}),
            "min_flow_shortfall_hm3": (tl, envs, {**hm3, "long_name": "flow missing under the minimum flow"}),
            "storage_start_hm3": (tr, start, {"units": "hm3", "long_name": "storage at the start of the month"}),
            "storage_hm3": (tr, sol.s, {"units": "hm3", "long_name": "storage at the end of the month"}),
            "evaporation_hm3": (tr, evap, {**hm3, "long_name": "reservoir evaporation"}),
            "spill_hm3": (tr, sol.spill, {**hm3, "long_name": "uncontrolled spill to the spill node"}),
            "demand_hm3": (td, demand, hm3),
            "delivery_hm3": (td, sol.q, hm3),
            "shortage_hm3": (td, demand - sol.q, hm3),
            "return_hm3": (td, sol.q * rf, {**hm3, "long_name": "return flow to the demand's return node"}),
            "consumption_hm3": (td, sol.q * (1 - rf), hm3),
            "outflow_hm3": (tn, outflow, {**hm3, "long_name": "water leaving the basin at a sink"}),
            "water_value": (tn, -sol.node_dual, {"units": "cost units per hm3",
                                                 "long_name": "value of one more hm3 of natural water here"}),
            # static attributes as data (after PyPSA's component attributes)
            "link_source": ("link", [lk.source for lk in spec.links]),
            "link_target": ("link", [lk.target for lk in spec.links]),
            "link_loss_fraction": ("link", loss.mean(axis=0) if T else loss.sum(axis=0), {"units": "1"}),  # mean over steps
            "link_loss_to": ("link", [lk.loss_to or "" for lk in spec.links]),
            "node_kind": ("node", [n.kind for n in spec.nodes]),
            "node_country": ("node", [n.country for n in spec.nodes]),
            "node_name": ("node", [n.name for n in spec.nodes]),
            "node_name_ru": ("node", [n.name_ru for n in spec.nodes], {"long_name": "node name in Russian"}),
            "node_lat": ("node", [n.lat for n in spec.nodes], {"units": "degrees_north"}),
            "node_lon": ("node", [n.lon for n in spec.nodes], {"units": "degrees_east"}),
            "capacity_hm3": ("reservoir", [r.capacity_hm3 for r in spec.reservoirs], {"units": "hm3"}),
            "dead_storage_hm3": ("reservoir", [r.dead_storage_hm3 for r in spec.reservoirs], {"units": "hm3"}),
            "spill_to": ("reservoir", [spill_to[r] for r in res]),
            "demand_party": ("demand", [d.party for d in spec.demands]),
            "demand_sector": ("demand", [d.sector for d in spec.demands]),
            "demand_priority": ("demand", [d.priority for d in spec.demands]),
            "return_fraction": ("demand", rf, {"units": "1"}),
            "return_node": ("demand", [d.return_node or "" for d in spec.demands]),
            "step_days": ("time", inp.step_days, {"units": "d", "long_name": "length of the time step"}),
            "recharge_to": ("node", [n.recharge_to or "" for n in spec.nodes]),
            **groundwater_vars(inp, sol),
    }
    attrs = {"basin": spec.id, "basin_name": spec.name, "basin_name_ru": spec.name_ru,
             "volume_units": "hm3 (million m3)", "time_step": inp.step}
    # the variables computed from these arrays (receipts, accounts), then the Dataset made once (an update of a
    # Dataset re-aligns all of it: 3 ms of 5 at 120 Chu months), on coordinates made once per network and horizon
    parties = [str(p) for p in spec.agreement.parties] if spec.agreement.share_rules or accounts.keys(spec) else None
    acc = Accounts.from_arrays(data, links, nodes, res, dem)
    receipts, period = party_receipts(inp, acc)
    data.update(receipts)
    if period is not None:
        attrs["balance_period"] = period
    if sol.acc is not None:  # storage ownership accounts
        data.update(accounts.dataset_vars(inp, parties or [], res, evap, sol.acc, sol.acc_rel, sol.acc_relief))
    key = (tuple(links), tuple(nodes), tuple(res), tuple(dem), tuple(a.node for a in spec.aquifers),
           tuple(parties) if parties else None, inp.step, inp.times.values.dtype.str, inp.times.values.tobytes())
    return xr.Dataset(data, coords=_coordinates(key).copy(), attrs=attrs)


@functools.lru_cache(maxsize=32)
def _coordinates(key: tuple) -> xr.Coordinates:
    """The result Dataset's coordinates (indexes made once per network and horizon: 2 ms at 120 months); each
    Dataset gets a copy (its own attributes)."""
    links, nodes, res, dem, aquifers, parties, step, dtype, times = key
    c = xr.Coordinates({"time": np.frombuffer(times, dtype=dtype).copy(), "link": list(links),
                        "node": list(nodes), "reservoir": list(res), "demand": list(dem), "aquifer": list(aquifers),
                        **({"party": list(parties)} if parties else {})})
    c["time"].attrs["long_name"] = f"start of the time step ({step})"
    return c


def groundwater_vars(inp: Inputs, sol: Solution) -> dict:
    """Aquifer storage, recharge and discharge [hm³] (see the aquifer balance in optimizer.core.model), as the
    Dataset's variables on the ``aquifer`` dimension."""
    aqs = inp.basin.spec.aquifers
    ids = [a.node for a in aqs]
    T = inp.T
    g = sol.g if sol.g is not None else np.zeros((T, 0))
    g0 = np.array([inp.initial_storage[a] for a in ids])
    start = np.vstack([g0[None, :], g[:-1]]) if T else g
    k = np.array([a.recession_per_month for a in aqs])
    frac = month_fraction(inp.times, inp.step)[:, None]
    k_step = 1.0 - (1.0 - k[None, :]) ** frac  # recession of each step, as in the LP
    ta = ("time", "aquifer")
    return {
        "groundwater_start_hm3": (ta, start, {"units": "hm3", "long_name": "groundwater storage, start of month"}),
        "groundwater_hm3": (ta, g, {"units": "hm3", "long_name": "groundwater storage, end of month"}),
        "discharge_hm3": (ta, start * k_step, {"units": "hm3",
                                               "long_name": "groundwater discharge (baseflow) to discharge_to"}),
        "discharge_to": ("aquifer", [a.discharge_to for a in aqs]),
        "recession_per_month": ("aquifer", k, {"units": "1"}),
    }


class Accounts:
    """Monthly receipts and requirements of agreement rows, computed with numpy from a Dataset."""

    def __init__(self, ds: xr.Dataset):
        self.delivered = ds["delivered_hm3"].values
        self.flow = ds["flow_hm3"].values
        self.seepage = ds["seepage_hm3"].values if "seepage_hm3" in ds else np.zeros_like(self.flow)
        self.natural = ds["natural_inflow_hm3"].values
        self.spill = ds["spill_hm3"].values
        self.link = {k: i for i, k in enumerate(ds["link"].values)}
        self.node = {k: i for i, k in enumerate(ds["node"].values)}
        self.res = {k: i for i, k in enumerate(ds["reservoir"].values)}
        self.source = ds["link_source"].values
        self.returns = ds["return_hm3"].values if "return_hm3" in ds else None
        self.dem = {k: i for i, k in enumerate(ds["demand"].values)} if "demand" in ds else {}

    @classmethod
    def from_arrays(cls, data: dict, links: list, nodes: list, res: list, dem: list) -> "Accounts":
        """As ``Accounts(ds)``, from the Dataset's variables before it is made (``{name: (dims, array, ...)}``,
        make_dataset) and its coordinates."""
        self = cls.__new__(cls)
        get = lambda name: np.asarray(data[name][1])  # noqa: E731
        self.delivered, self.flow, self.seepage = get("delivered_hm3"), get("flow_hm3"), get("seepage_hm3")
        self.natural, self.spill, self.source = get("natural_inflow_hm3"), get("spill_hm3"), get("link_source")
        self.returns = get("return_hm3")
        self.link = {k: i for i, k in enumerate(links)}
        self.node = {k: i for i, k in enumerate(nodes)}
        self.res = {k: i for i, k in enumerate(res)}
        self.dem = {k: i for i, k in enumerate(dem)}
        return self

    def received(self, row: Row) -> np.ndarray:
        """Monthly volume [hm³] counted at a row's accounting posts: links gross (flow entering them) or net
        (flow arriving), natural inflow at its inflow nodes, less the return flow of ``less_returns_of``."""
        rc = row.receipts
        flow = self.flow if getattr(rc, "counted", "net") == "gross" else self.delivered
        if getattr(rc, "counted", "net") == "gross" and getattr(rc, "less_seepage", False):
            flow = flow - self.seepage  # the seeping part of the conveyance loss comes back: counted where it arrives
        total = flow[:, [self.link[k] for k in rc.links]].sum(axis=1) + \
            self.natural[:, [self.node[k] for k in rc.inflows]].sum(axis=1)
        back = list(getattr(rc, "less_returns_of", []))
        if back:
            if self.returns is None:
                raise ValueError("a count less return flows needs the dataset's return_hm3 (it has no demands)")
            total = total - self.returns[:, [self.dem[d] for d in back]].sum(axis=1)
        return total

    def requirement(self, row: Row) -> np.ndarray | None:
        """Monthly requirement of a share or split row [hm³] (None for quotas: a volume per period)."""
        if row.kind == "share":
            return row.share * self.natural[:, [self.node[k] for k in row.resource_inflows]].sum(axis=1)
        if row.kind == "split":
            out = self.source == row.reservoir
            return row.share * (self.flow[:, out].sum(axis=1) + self.spill[:, self.res[row.reservoir]])
        return None


def party_receipts(inp: Inputs, acc: Accounts) -> tuple[dict, str | None]:
    """``received_hm3`` and ``entitlement_hm3`` per party and month under the basin's first share rule, as result
    variables ``{name: (dims, array, attrs)}``, and the rule's balance period; ``({}, None)`` where the basin has
    no share rule."""
    rules = inp.basin.spec.agreement.share_rules
    parties = list(inp.basin.spec.agreement.parties)
    if not rules:
        return {}, None
    r = rules[0]
    rec = np.zeros((inp.T, len(parties)))
    ent = np.full((inp.T, len(parties)), np.nan)
    for j, p in enumerate(parties):
        if p in r.receipts:
            row = Row(r.id, "share", p, _WHOLE_HORIZON, r.receipts[p], r.mode, r.tolerance, r.penalty,
                      share=r.shares.get(p, 0.0), resource_inflows=list(r.resource_inflows))
            rec[:, j] = acc.received(row)
            ent[:, j] = acc.requirement(row)
    # each party's role under the rule (entitlement: a floor on its receipts; ceiling: a cap on its use; reported),
    # as JSON (a NetCDF attribute is a string): what a reader is told the dashed line is
    roles = json.dumps({p: str(r.party_roles.get(p, "reported")) for p in parties}, sort_keys=True)
    new = {"received_hm3": (("time", "party"), rec, {"units": "hm3/month", "rule": r.id, "long_name":
                                                     f"water received by each party ({r.id} receipts)"}),
           "entitlement_hm3": (("time", "party"), ent, {"units": "hm3/month", "rule": r.id, "roles": roles,
                                                        "long_name": f"share of the basin resource ({r.id}): an "
                                                                     "entitlement (floor) or a use ceiling, by "
                                                                     "party (roles)"})}
    return new, r.period
