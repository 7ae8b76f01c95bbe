"""Calibration, the base layer: the constants of the fit, applying parameter values to a basin, the status-quo
run in its cyclic steady state (:func:`steady_storage`), what a target counts (:func:`received`) and how far a
modelled volume is from it (:func:`target_error`). :mod:`optimizer.analyses.calibration` is the public face."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from basins import Basin
from basins.schema import BasinSpec, Calibration, CalibrationTarget, Receipt

if TYPE_CHECKING:
    from optimizer.core.result import Result

PRIOR_WEIGHT = 0.05  # λ: one documented range-width away from the prior costs like a 5 % target error
OUTSIDE_WEIGHT = 0.1  # allow_outside: each range-width outside the documented range costs like a 10 % target error
FD_STEP = 0.01  # forward-difference step, in range-widths
DECIMALS = 4  # calibrated values are written (and re-evaluated) rounded to this many decimals
#: the fit's cyclic years damp the reservoirs from this year on (steady_storage's ``damp_after``): at some
#: parameter values Kirov flips between two end storages and the plain iteration never settles (the committed
#: fits settle in at most 5 years, so their numbers are those of the undamped iteration)
DAMP_AFTER = 10
LOOSE_TOL = 5.0  # [hm³] the cyclic tolerance of such a damped year (the plain iteration's: 0.5 hm³)
#: the widest search with ``allow_outside=True``: the extremes any source allows for the field —
#: loss up to the 60 % filtration reported in Talas canals [P 41]; a same-month return from none to half the
#: delivery [E]; a channel share down to 0.33 = the lowest published Chu flow, "70 m3/s" [9] = 2.2 of the
#: 6.64 km3 resource; demand from half to twice the prior [E] (the KG Chu supply plan is 850 hm3 [P 52] against
#: a prior demand of 2,250); an aquifer recession from 1 % a month (an eight-year time constant) to all of the
#: storage in the next month (no lag) [E]
PHYSICAL_LIMITS = {"loss_fraction": (0.0, 0.6), "return_fraction": (0.0, 0.5), "channel_fraction": (0.33, 1.0),
                   "demand_factor": (0.5, 2.0), "recession_per_month": (0.01, 1.0)}
SEASON = {"year": tuple(range(1, 13)), "apr-sep": (4, 5, 6, 7, 8, 9), "oct-mar": (10, 11, 12, 1, 2, 3)}


class CalibrationError(ValueError):
    """The basin cannot be calibrated (no calibration section, an unknown entry, ...)."""


# ---- applying parameter values ------------------------------------------------------------------

def calibrated_entries(spec: BasinSpec) -> dict[str, dict[str, Any]]:
    """For each calibratable field, the entries that carry it, by id (links, demands, inflow nodes, aquifers)."""
    demands = {d.node: d for d in spec.demands}
    return {"loss_fraction": {lk.id: lk for lk in spec.links},
            "return_fraction": demands, "demand_factor": demands,
            "channel_fraction": {n.id: n for n in spec.nodes if n.kind == "inflow"},
            "recession_per_month": {a.node: a for a in spec.aquifers}}


def apply(basin: Basin, values: dict[str, float]) -> Basin:
    """A copy of ``basin`` with each calibration parameter's value written into its entries' field."""
    cal = _section(basin)
    out = basin.copy()
    where = calibrated_entries(out.spec)
    for p in cal.parameters:
        if p.id not in values:
            continue
        for e in p.entries:
            if e not in where[p.field]:
                raise CalibrationError(f"calibration parameter {p.id!r}: {e!r} has no field {p.field}")
            setattr(where[p.field][e], p.field, float(values[p.id]))
    return out


def current_values(basin: Basin) -> dict[str, float]:
    """Each parameter's value as the basin file holds it now (the first entry's field)."""
    where = calibrated_entries(basin.spec)
    return {p.id: float(getattr(where[p.field][p.entries[0]], p.field)) for p in _section(basin).parameters}


def _section(basin: Basin) -> Calibration:
    if basin.spec.calibration is None:
        raise CalibrationError(f"basin {basin.id!r} has no 'calibration' section; add parameters and targets "
                               "(see basins/chu.yaml)")
    return basin.spec.calibration


# ---- the status-quo run -------------------------------------------------------------------------

def _end_balances(r: Result) -> dict[tuple[str, str], float] | None:
    """End-of-horizon storage account balances (reservoir, party) → hm³ (an overdraft, possible in status-quo
    operation, carried as 0), or None without accounts."""
    ds = r.dataset
    if "account_hm3" not in ds:
        return None
    end = ds["account_hm3"].isel(time=-1)
    return {(str(res), str(p)): max(float(end.sel(reservoir=res, party=p)), 0.0)
            for res in end["reservoir"].values for p in end["party"].values
            if np.isfinite(float(end.sel(reservoir=res, party=p)))}


def steady_storage(basin: Basin, year_type: str = "normal", operation: str = "status-quo", *,
                   tol: float = 0.5, max_iter: int = 30, inflow: xr.DataArray | None = None,
                   damp_after: int | None = None) -> tuple[dict[str, float], Result, int]:
    """Cyclic start storages of a typical year, reservoirs and aquifers: each ends the year where it started.

    Reservoirs: the largest storages that the operation gets back to by the end of the year. Every reservoir
    starts full and follows ``S ← end storage(S)`` (free end storage).

    Aquifers: nobody operates them, so their cyclic storage is unique. Over a year a linear store with
    recession k ends at ``g_end = a·g_0 + c`` with ``a = (1 − k)^12`` and ``c`` the year's recharge, each
    month's discounted by the recession still to come. Every aquifer starts empty and jumps to the fixed point
    of that line, ``g_0 ← (g_end − a·g_0) / (1 − a)``; it is exact when the recharge does not depend on
    the start (the returns of a demand served by baseflow do), and is repeated until it settles.

    ``inflow``: an explicit year of natural inflow [hm³/month] (time × node, 12 months) instead of the typical
    year ``year_type`` (a named year, :mod:`optimizer.analyses.calibration_named`). ``damp_after``: from that
    year on, a reservoir moves half way to its end storage (``S ← (S + end) / 2``), which settles a storage that
    would otherwise flip between two years (the named-year fit meets such years; default None: never damped).

    Stops when no reservoir or aquifer moves by more than ``tol`` hm³ over the year. Returns
    ``(storage, result, iterations)``: storage by reservoir then aquifer id; the result is the run from
    ``storage``. Raises RuntimeError if it does not settle within ``max_iter`` years."""
    from optimizer.core.solver import solve

    S = {r.node: float(r.capacity_hm3) for r in basin.spec.reservoirs}
    aq = {a.node: (1.0 - a.recession_per_month) ** 12 for a in basin.spec.aquifers}
    S.update({k: 0.0 for k in aq})
    balances: dict[tuple[str, str], float] | None = None  # storage accounts: the file's start balances, then each year's end (they carry over too)
    last = float("nan")
    for i in range(1, max_iter + 1):
        r = solve(basin, year_type, inflow=inflow, operation=operation, initial_storage=S, end_storage="free",
                  initial_accounts=balances)
        balances = _end_balances(r)
        end = {k: float(v) for k, v in r.end_storage().items()}
        if aq:
            end.update({k: float(v) for k, v in r.dataset["groundwater_hm3"].isel(time=-1).to_series().items()})
        if not S or max(abs(end[k] - S[k]) for k in S) <= tol:
            return S, r, i
        last = max(abs(end[k] - S[k]) for k in S)
        damp = damp_after is not None and i >= damp_after
        S = {k: ((0.5 * (S[k] + end[k]) if damp else end[k]) if k not in aq
                 else max((end[k] - aq[k] * S[k]) / (1.0 - aq[k]), 0.0)) for k in S}
    raise RuntimeError(f"{basin.id}: storages did not settle to a cyclic year within {max_iter} years "
                       f"(last change {last:.2f} hm3)")


def months_of(period: str) -> tuple[int, ...]:
    if period not in SEASON:
        raise ValueError(f"period must be one of {list(SEASON)}, not {period!r}")
    return SEASON[period]


def received(result: Result, receipts: Receipt, period: str = "year") -> float:
    """Volume [hm³] received through ``receipts`` (delivered link flow + natural inflow at inflow nodes) over
    the months of ``period`` in the result's horizon."""
    ds = result.dataset
    mask = np.isin(pd.DatetimeIndex(ds["time"].values).month, months_of(period))
    total = ds["delivered_hm3"].sel(link=list(receipts.links)).sum("link").values[mask].sum() if receipts.links else 0.0
    if receipts.inflows:
        total += ds["natural_inflow_hm3"].sel(node=list(receipts.inflows)).sum("node").values[mask].sum()
    return float(total)


def received_between(result: Result, receipts: Receipt, start: pd.Timestamp, end: pd.Timestamp) -> float:
    """Volume [hm³] received through ``receipts`` from ``start`` to ``end`` (both days included): each step's
    volume times the share of its days inside the dates (a published cumulative "to 2 Sep" takes 2/30 of
    September), the model's steps being uniform within themselves."""
    ds = result.dataset
    t0 = pd.DatetimeIndex(ds["time"].values)
    t1 = t0 + pd.to_timedelta(np.asarray(ds["step_days"].values, float), unit="D")
    lo, hi = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
    inside = np.clip((np.minimum(t1, hi) - np.maximum(t0, lo)) / (t1 - t0), 0.0, 1.0)
    return _weighted_receipts(ds, receipts, np.asarray(inside, float))


def _weighted_receipts(ds: xr.Dataset, receipts: Receipt, w: np.ndarray) -> float:
    total = 0.0
    if receipts.links:
        total += float((ds["delivered_hm3"].sel(link=list(receipts.links)).sum("link").values * w).sum())
    if receipts.inflows:
        total += float((ds["natural_inflow_hm3"].sel(node=list(receipts.inflows)).sum("node").values * w).sum())
    return total


def target_error(t: CalibrationTarget, modelled: float) -> float:
    """Relative error of a modelled volume against a target: 0 inside the measured range, else the distance
    to the nearer end of the range relative to that end (signed: + too much water, − too little)."""
    lo = t.observed_min_hm3 if t.observed_min_hm3 is not None else t.observed_hm3
    hi = t.observed_max_hm3 if t.observed_max_hm3 is not None else t.observed_hm3
    if modelled > hi:
        return (modelled - hi) / hi if hi > 0 else np.inf
    if modelled < lo:
        return (modelled - lo) / lo if lo > 0 else 0.0
    return 0.0


def cyclic_status_quo(basin: Basin, year_type: str) -> tuple[dict[str, float], Result]:
    """The status-quo cyclic steady state of the typical year ``year_type``: ``(start storage, result)``. A year
    that does not settle within 30 years is run again with the reservoirs damped after :data:`DAMP_AFTER` years
    and cyclic to :data:`LOOSE_TOL` hm³."""
    try:
        S, r, _ = steady_storage(basin, year_type, "status-quo")
    except RuntimeError:  # a year that flips between two storages: damped, and cyclic to LOOSE_TOL
        S, r, _ = steady_storage(basin, year_type, "status-quo", tol=LOOSE_TOL, max_iter=60, damp_after=DAMP_AFTER)
    return S, r


def evaluate(basin: Basin, values: dict[str, float] | None = None) -> tuple[dict[str, float], dict[str, float], Result]:
    """Modelled volume of every calibration target in the status-quo steady state of ``calibration.year_type``
    (with ``values`` applied if given; :func:`cyclic_status_quo`). Returns ``(modelled by target id, start
    storage, result)``."""
    cal = _section(basin)
    S, r = cyclic_status_quo(apply(basin, values) if values else basin, cal.year_type)
    return {t.id: received(r, t.receipts, t.period) for t in cal.targets}, S, r


