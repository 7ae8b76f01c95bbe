"""NetCDF files the project writes, following the CF conventions 1.11 (checked by IOOS compliance-checker).

:func:`write` turns an in-memory Dataset (a solve's or an ensemble's) into its CF form and writes it atomically;
:func:`read` opens such a file with plain xarray and gives back the in-memory Dataset exactly (attributes and
dimension order), so ``Result.from_netcdf`` round-trips. What the CF form adds or changes on disk:

* global ``Conventions = "CF-1.11"``, ``title``, ``history``, ``institution``, ``source``, ``references``;
* ``time`` with ``standard_name``, ``axis`` and ``bounds = "time_bnds"``: each step is the interval from the
  first day of its month to the first day of the next, so a volume per step is exact in every month (a
  "per month" unit would be read by UDUNITS as a 30.44-day month);
* volumes per step (``hm3/month`` in memory) in ``hm3`` with ``cell_methods = "time: sum"``;
* ``long_name`` and ``units`` on every variable (``1`` for fractions); standard names where CF has one
  (``time``, ``latitude``, ``longitude``); booleans as int8 with ``flag_values``/``flag_meanings``;
  dimensions other than time placed left of it (CF's recommended order); no ``_FillValue`` on coordinates;
* money has no UDUNITS unit: such variables carry their unit in ``long_name`` and no ``units`` attribute.

The in-memory attributes and dimension order travel in the global attribute ``chutalas_memory_layout`` (JSON),
which :func:`read` uses to restore them; any other NetCDF tool ignores it.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from basins.loading import atomic_output

CONVENTIONS = "CF-1.11"
LAYOUT_ATTR = "chutalas_memory_layout"
PER_STEP = "hm3/month"  # the in-memory unit of a volume per model step (one calendar month)
MONEY_UNITS = ("cost units", "USD")  # units UDUNITS cannot express

GLOBAL = {
    "institution": "chutalas developers (open-source Chu-Talas water-sharing optimiser)",
    "source": "chutalas {version}: monthly linear programme (Pyomo, HiGHS) of the basin file named in 'basin'",
    "references": "https://cfconventions.org/cf-conventions/cf-conventions.html (file format); the basin "
                  "file's sources and data/<basin>/SOURCES.md (inputs)",
}

# long names of variables that do not carry one in memory (the row tables of a solve and an ensemble)
LONG_NAMES = {
    "time": "first day of the month (start of the step)",
    "node": "node id", "link": "link id", "reservoir": "reservoir node id", "demand": "demand node id",
    "aquifer": "aquifer node id", "party": "party (country code)", "member": "ensemble member number",
    "quantile": "quantile over ensemble members", "rule": "agreement rule id", "inflow_node": "inflow node id",
    "ledger_row": "row of the compliance ledger",
    "demand_hm3": "water demand of the demand node", "delivery_hm3": "water delivered to the demand node",
    "shortage_hm3": "demand not delivered (shortage)", "consumption_hm3": "water consumed (delivery not returned)",
    "link_source": "upstream node of the link", "link_target": "downstream node of the link",
    "link_loss_fraction": "fraction of the link's flow lost on the way", "node_kind": "kind of node",
    "node_country": "country of the node", "node_name": "name of the node", "node_lat": "latitude of the node",
    "node_lon": "longitude of the node", "capacity_hm3": "reservoir capacity", "dead_storage_hm3":
    "reservoir dead storage", "spill_to": "node receiving the reservoir's spill", "demand_party":
    "party of the demand", "demand_sector": "sector of the demand", "demand_priority":
    "priority of the demand (1 = served first)", "return_fraction": "fraction of the delivery returned",
    "return_node": "node receiving the return flow", "recharge_to": "aquifer recharged by the node's infiltration",
    "discharge_to": "node receiving the aquifer's discharge", "recession_per_month":
    "fraction of groundwater storage discharged per month", "reservoir_country": "country of the reservoir",
    "status": "solver status of the member", "message": "solver message of the member (empty when solved)",
    "objective": "objective value of the member's linear programme (model cost units)",
    "storage_hm3": "reservoir storage at the end of the time step", "flow_hm3": "flow entering the link at its upstream end",
    "delivered_hm3": "flow arriving at the link's target", "natural_inflow_hm3": "natural inflow at the node",
    "spill_hm3": "uncontrolled spill to the spill node", "evaporation_hm3": "reservoir evaporation",
    "outflow_hm3": "water leaving the basin at a sink", "min_flow_shortfall_hm3": "flow missing under the minimum flow",
    "received_hm3": "each party's count under the first share rule (KZ: received at its posts; KG: use at canal heads less returns)", "entitlement_hm3": "each party's share of the resource (KZ: entitlement; KG: use ceiling)",
    "member_min_storage_hm3": "lowest end-of-month storage of the member",
    "annual_shortage_mean_hm3": "expected shortage per 12-month year from the start",
    "ledger_applies": "the ledger row applies to this horizon",
    "water_value": "value of one more hm3 of natural water at the node (model cost units per hm3)",
}
LEDGER_LONG = {
    "rule": "agreement rule id", "kind": "kind of rule row", "party": "party the row concerns",
    "period": "period of the row", "complete": "the period lies wholly inside the horizon", "mode": "how the row "
    "is enforced", "tolerance": "tolerance of the comparison",
    "required_hm3": "the entitlement, quota or ceiling (allowed use)",
    "received_hm3": "the party's count: receipts at its posts, or its use for a ceiling", "deficit_hm3": "shortfall under an entitlement or quota, or use over a ceiling", "met":
    "the rule row is met", "shadow_price": "cost of one more hm3 required (model cost units per hm3)",
    "applies": "the ledger row applies to this horizon",
}
COST_LONG = {
    "facility": "shared facility id", "name": "shared facility name", "party": "party paying the share",
    "water_hm3": "water the party received through the facility", "share": "party's share of the facility's cost",
    "om_cost_usd": "operation and maintenance cost of the facility (US dollars per year)",
    "cost_usd": "party's cost (US dollars per year)",
}


def _long_name(name: str) -> str:
    if name in LONG_NAMES:
        return LONG_NAMES[name]
    for prefix, table, what in (("ledger__", LEDGER_LONG, "compliance ledger"), ("ledger_", LEDGER_LONG,
                                "compliance ledger"), ("cost__", COST_LONG, "cost split")):
        if name.startswith(prefix) and name[len(prefix):] in table:
            return f"{what}: {table[name[len(prefix):]]}"
    return name.replace("__", ": ").replace("_hm3", "").replace("_", " ")


def time_bounds(time: pd.DatetimeIndex) -> np.ndarray:
    """(time, 2) start and end of each step: a step runs from its time to the first day of the next month."""
    if len(time) and not (time == time.to_period("M").to_timestamp()).all():
        raise ValueError("time steps must start on the first day of a month")
    ends = time + pd.offsets.MonthBegin(1)
    return np.stack([time.values, ends.values], axis=1)


def to_cf(ds: xr.Dataset, title: str, what: str) -> xr.Dataset:
    """The CF form of ``ds`` (see the module docstring); ``what`` names the run in ``history``."""
    from optimizer import __version__

    layout = {"attrs": ds.attrs.copy(), "variables": {
        v: {"attrs": dict(ds[v].attrs), "dims": list(ds[v].dims), "bool": bool(ds[v].dtype == bool)}
        for v in ds.variables}}
    out = ds.copy()
    for v in list(out.variables):
        da = out[v]
        attrs = dict(da.attrs)
        attrs.pop("flag", None)
        if da.dtype == bool:
            out[v] = da.astype("int8")
            attrs |= {"flag_values": np.array([0, 1], dtype="int8"), "flag_meanings": "false true"}
        attrs.setdefault("long_name", _long_name(str(v)))
        units = attrs.get("units")
        if units == PER_STEP:
            attrs |= {"units": "hm3", "cell_methods": "time: sum"}
        elif isinstance(units, str) and any(m in units for m in MONEY_UNITS):
            del attrs["units"]
            attrs["long_name"] += f" [{units}]" if units not in attrs["long_name"] else ""
        elif (units is None and np.issubdtype(out[v].dtype, np.number) and v not in out.dims
              and "flag_values" not in attrs and not str(v).endswith("_usd") and v not in ("objective",)
              and not str(v).endswith("shadow_price")):
            attrs["units"] = "1"
        if str(v) in ("node_lat",):
            attrs["standard_name"] = "latitude"
        if str(v) in ("node_lon",):
            attrs["standard_name"] = "longitude"
        out[v].attrs = attrs
    for v in out.data_vars:  # dimensions other than time left of it (CF 2.4)
        dims = out[v].dims
        if "time" in dims and dims[-1] != "time":
            out[v] = out[v].transpose(*[d for d in dims if d != "time"], "time")
    if "time" in out.dims:
        t = pd.DatetimeIndex(out["time"].values)
        out["time"].attrs |= {"standard_name": "time", "axis": "T", "bounds": "time_bnds",
                               "units_metadata": "leap_seconds: none"}
        out["time_bnds"] = (("time", "nv"), time_bounds(t))
        out["time_bnds"].attrs = {}
        out["time"].encoding |= {"units": "days since 1970-01-01", "calendar": "proleptic_gregorian"}
    out.attrs = {
        "Conventions": CONVENTIONS,
        "title": title,
        "history": f"{datetime.now(timezone.utc):%Y-%m-%dT%H:%M:%SZ} chutalas {__version__}: {what}",
        "institution": GLOBAL["institution"],
        "source": GLOBAL["source"].format(version=__version__),
        "references": GLOBAL["references"],
        **{k: v if isinstance(v, (str, int, float, np.number)) else json.dumps(v, sort_keys=True, default=str)
           for k, v in ds.attrs.items()},
        LAYOUT_ATTR: json.dumps(layout, sort_keys=True, default=str),
    }
    for c in out.coords:  # no _FillValue on coordinates (CF 2.5.1)
        out[c].encoding["_FillValue"] = None
    if "time_bnds" in out:
        out["time_bnds"].encoding["_FillValue"] = None
    return out


def write(ds: xr.Dataset, path: str | Path, title: str, what: str) -> Path:
    """Write ``ds`` in CF form atomically (temporary file + rename; see ``basins.loading.atomic_output``)."""
    cf = to_cf(ds, title, what)
    with atomic_output(path) as tmp:
        cf.to_netcdf(tmp, engine="h5netcdf")
    return Path(path)


def read(path: str | Path) -> xr.Dataset:
    """Open a file :func:`write` wrote (plain xarray) and give back the in-memory Dataset it came from."""
    with xr.open_dataset(path, engine="h5netcdf") as f:
        ds = f.load()
    raw = ds.attrs.get(LAYOUT_ATTR)
    if raw is None:  # not one of ours: as xarray reads it
        return ds
    layout = json.loads(raw)
    ds = ds.drop_vars([v for v in ("time_bnds",) if v in ds.variables])
    if "nv" in ds.dims:
        ds = ds.drop_dims("nv")
    for v, info in layout["variables"].items():
        if v not in ds.variables:
            continue
        if tuple(ds[v].dims) != tuple(info["dims"]):
            ds[v] = ds[v].transpose(*info["dims"])
        if info["bool"]:
            ds[v] = ds[v].astype(bool)
        ds[v].attrs = info["attrs"]
        ds[v].encoding.pop("_FillValue", None)
    ds.attrs = layout["attrs"]
    return ds
