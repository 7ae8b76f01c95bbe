"""The horizon and the series of a solve, checked before anything is built (:func:`optimizer.core.solver.solve`):
step starts, consecutive unique steps, inflows over the basin's inflow nodes, start storages."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import xarray as xr

from basins import Basin
from optimizer.core import timesteps
from optimizer.core.model import MAX_INPUT


@functools.lru_cache(maxsize=64)
def horizon(start: str | pd.Timestamp, months: int, step: str = "month", round_start: bool = False) -> pd.DatetimeIndex:
    """Step starts of ``months`` calendar months from ``start`` (see :func:`optimizer.core.timesteps.horizon`). A
    start inside a month is an error (a horizon is never moved silently) unless ``round_start`` asks for the 1st."""
    try:
        ts = pd.Timestamp(start)
    except (ValueError, TypeError):
        raise ValueError(f"start {start!r} is not a date; give the first month as YYYY-MM") from None
    first = ts.to_period("M").to_timestamp()
    if ts != first and not round_start:
        raise ValueError(f"start {start!r} is inside a month (a horizon starts on the 1st of a month); give "
                         f"{first:%Y-%m}, or ask for rounding to {first:%Y-%m-%d} (--round-start, "
                         "round_start=True)")
    return timesteps.horizon(first, months, step)


def _check_steps(times: pd.DatetimeIndex) -> None:
    """Why an explicit series' time stamps are not consecutive months, each once, in order (raises)."""
    if times.hasnans:
        raise ValueError(f"inflow time has a missing stamp at position {int(np.flatnonzero(times.isna())[0])}")
    months = times.to_period("M")
    for i in range(1, len(months)):
        if months[i] != months[i - 1] + 1:
            what = ("repeats" if months[i] == months[i - 1] else "goes back before" if months[i] < months[i - 1]
                    else f"skips {(months[i] - months[i - 1]).n - 1} month(s) after")
            raise ValueError(f"inflow time step {i} ({months[i]}) {what} step {i - 1} ({months[i - 1]}); an "
                             "explicit series needs consecutive months (or dekads, or days), each once, in order "
                             "(nothing is sorted, dropped or filled in)")


def inflow_series(basin: Basin, times: pd.DatetimeIndex, year_type: str, step: str | None = None) -> xr.DataArray:
    """The typical year of ``year_type`` repeated over ``times`` (time × inflow node, hm³ per step): a typical
    month's volume over the real days of each dated step (29/28 in a leap February; a dekad its days' share),
    :func:`optimizer.core.timesteps.typical_fraction`, [D] for dekads and days."""
    if year_type not in basin.year_types:
        raise ValueError(f"unknown year type {year_type!r}; the basin has {basin.year_types}")
    step = step or timesteps.infer_step(times)
    table = basin.inflow.sel(year_type=year_type, drop=True).transpose("month", "node")
    v = timesteps.by_month(table, times) * timesteps.typical_fraction(times, step)[:, None]
    return xr.DataArray(v, dims=("time", "node"), coords={"time": times, "node": table["node"].values},
                        attrs={"units": "hm3"})



def _check_inflow(basin: Basin, inflow: xr.DataArray) -> xr.DataArray:
    nodes = [n.id for n in basin.spec.nodes if n.kind == "inflow"]
    if set(inflow.dims) != {"time", "node"}:
        raise ValueError(f"inflow must have dims ('time', 'node'), got {inflow.dims}")
    missing = sorted(set(nodes) - set(map(str, inflow["node"].values)))
    if missing:
        raise ValueError(f"inflow lacks the inflow nodes {missing}")
    units = inflow.attrs.get("units", "hm3/month")
    if units not in ("hm3/month", "hm3"):
        raise ValueError(f"inflow must be in hm3/month (attrs['units']), got {units!r}; convert m3/s with "
                         "basins.m3s_to_hm3")
    v = inflow.sel(node=nodes).transpose("time", "node")
    if not np.isfinite(v.values).all() or (v.values < 0).any():
        raise ValueError("inflow has NaN, infinite or negative values; nothing is filled in")
    return v


def _check_initial_storage(basin: Basin, initial_storage: dict) -> dict:
    """A caller's start storages: known reservoirs (or aquifers), finite, within [dead storage, capacity] (to a
    rounding tolerance, as a previous run's end storage may be off by solver precision); stores not named keep
    the basin file's initial storage."""
    # node -> (lowest, highest, the basin file's value) [hm3]
    bounds = {r.node: (r.dead_storage_hm3, r.capacity_hm3, r.initial_storage_hm3) for r in basin.spec.reservoirs}
    bounds |= {a.node: (0.0, MAX_INPUT, a.initial_storage_hm3) for a in getattr(basin.spec, "aquifers", [])}
    unknown = sorted(set(initial_storage) - set(bounds))
    if unknown:
        raise ValueError(f"initial storage given for {unknown}, which {'is' if len(unknown) == 1 else 'are'} not "
                         f"a reservoir (or aquifer) of {basin.id}; its reservoirs are "
                         f"{sorted(r.node for r in basin.spec.reservoirs)}")
    out = {k: b[2] for k, b in bounds.items()}
    for k, v in initial_storage.items():
        low, high, _ = bounds[k]
        v = float(v)
        tol = 1e-6 * max(1.0, min(high, abs(v)) if np.isfinite(v) else 1.0)
        if not np.isfinite(v) or not low - tol <= v <= high + tol:
            limits = f"[dead storage {low:g}, capacity {high:g}]" if high < MAX_INPUT else f"[0, {high:g}]"
            raise ValueError(f"initial storage of {k} is {v!r} hm3, outside {limits} hm3")
        out[k] = v
    return out
