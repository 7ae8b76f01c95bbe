"""Calibration of the estimated ([E]) inputs against Kazakhstan's measured receipts, and the status-quo
versus agreement comparison.

What is fitted
    The basin file's ``calibration`` section lists the parameters (a field — ``demand_factor``,
    ``loss_fraction``, ``return_fraction``, ``channel_fraction`` or an aquifer's ``recession_per_month`` —
    written into every listed entry, with a documented range ``[min, max]`` and a ``prior``) and the targets
    (a volume a party received through named links/inflows over ``year`` / ``apr-sep`` / ``oct-mar``, with
    the measured value or range).

Against which run
    The **status-quo** operation (Kyrgyz intakes served first, agreement rules only reported; see
    :func:`optimizer.core.solver.solve`) of the typical year ``calibration.year_type`` in its **cyclic steady
    state**: every reservoir and every aquifer starts the year at the storage it ends it with
    (:func:`steady_storage`). A one-year run that starts from the file's [E] initial storage would otherwise
    end with more water in store than it started with (the LP keeps surplus water instead of passing it on,
    and an aquifer started empty fills up over the year), and that water would be missing from the receipts
    of a year that really repeats. ``--write`` also writes each aquifer's cyclic start storage into its
    ``initial_storage_hm3``, so that every other run of the basin starts from a groundwater store in
    equilibrium with the calibrated year (a reservoir's start stays the file's [E] value: the operator
    controls it, nobody controls an aquifer).

How
    A deterministic bounded Levenberg–Marquardt fit (numpy only, forward-difference Jacobian) of the
    parameters, in units of their documented range, minimising
    ``Σ target_error² + λ² Σ (u − u_prior)²`` where a target's error is the relative distance of the
    modelled volume from the measured range (0 inside it) and the small prior term (λ = ``PRIOR_WEIGHT``)
    picks, among the many parameter sets that fit two or three numbers, the one closest to the priors.
    Every LP re-solve reuses the persistent HiGHS model when only demands or channel fractions change; a
    change of a loss or return fraction or of a recession constant (matrix coefficients) rebuilds it (~0.1 s).

Ranges
    The fit stays inside the documented ranges. If a target still misses the tolerance, the report says
    which and by how much. Only ``allow_outside=True`` widens the ranges (to the field's physical limits,
    :data:`PHYSICAL_LIMITS`, with a penalty on every range-width outside), and every value that ends outside
    its documented range is **flagged** in the report and in the written ``calibration.result``.

Command line (wired into ``chutalas`` by :mod:`optimizer.interfaces.cli`)::

    chutalas calibrate chu                 # fit and print; exit 0 all targets met, 1 a target missed
    chutalas calibrate chu --write         # ... and write the values into basins/chu.yaml
    chutalas calibrate chu --json          # the report as JSON
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

import basins
from basins import Basin
from basins.schema import CalibrationParameter, CalibrationTarget, Receipt

EXIT_OK, EXIT_MISSED, EXIT_INPUT = 0, 1, 2

METHOD = "bounded Levenberg-Marquardt (numpy), forward-difference Jacobian, prior-regularised"
PRIOR_WEIGHT = 0.05  # λ: one documented range-width away from the prior costs like a 5 % target error
OUTSIDE_WEIGHT = 0.1  # allow_outside: each range-width outside the documented range costs like a 10 % target error
FD_STEP = 0.01  # forward-difference step, in range-widths
MAX_ITER = 40
DECIMALS = 4  # calibrated values are written (and re-evaluated) rounded to this many decimals
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

def calibrated_entries(spec) -> dict[str, dict]:
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


def _section(basin: Basin):
    if basin.spec.calibration is None:
        raise CalibrationError(f"basin {basin.id!r} has no 'calibration' section; add parameters and targets "
                               "(see basins/chu.yaml)")
    return basin.spec.calibration


# ---- the status-quo run -------------------------------------------------------------------------

def _end_balances(r) -> dict | None:
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
                   tol: float = 0.5, max_iter: int = 30):
    """Cyclic start storages of a typical year, reservoirs and aquifers: each ends the year where it started.

    Reservoirs: the largest storages that the operation gets back to by the end of the year. Every reservoir
    starts full and follows ``S ← end storage(S)`` (free end storage).

    Aquifers: nobody operates them, so their cyclic storage is unique. Over a year a linear store with
    recession k ends at ``g_end = a·g_0 + c`` with ``a = (1 − k)^12`` and ``c`` the year's recharge, each
    month's discounted by the recession still to come. Every aquifer starts empty and jumps to the fixed point
    of that line, ``g_0 ← (g_end − a·g_0) / (1 − a)``; it is exact when the recharge does not depend on
    the start (the returns of a demand served by baseflow do), and is repeated until it settles.

    Stops when no reservoir or aquifer moves by more than ``tol`` hm³ over the year. Returns
    ``(storage, result, iterations)``: storage by reservoir then aquifer id; the result is the run from
    ``storage``. Raises RuntimeError if it does not settle within ``max_iter`` years."""
    from optimizer.core.solver import solve

    S = {r.node: float(r.capacity_hm3) for r in basin.spec.reservoirs}
    aq = {a.node: (1.0 - a.recession_per_month) ** 12 for a in basin.spec.aquifers}
    S.update({k: 0.0 for k in aq})
    balances = None  # storage accounts: the file's start balances, then each year's end (they carry over too)
    for i in range(1, max_iter + 1):
        r = solve(basin, year_type, operation=operation, initial_storage=S, end_storage="free",
                  initial_accounts=balances)
        balances = _end_balances(r)
        end = {k: float(v) for k, v in r.end_storage().items()}
        if aq:
            end.update({k: float(v) for k, v in r.dataset["groundwater_hm3"].isel(time=-1).to_series().items()})
        if not S or max(abs(end[k] - S[k]) for k in S) <= tol:
            return S, r, i
        last = max(abs(end[k] - S[k]) for k in S)
        S = {k: (end[k] if k not in aq else max((end[k] - aq[k] * S[k]) / (1.0 - aq[k]), 0.0)) for k in S}
    raise RuntimeError(f"{basin.id}: storages did not settle to a cyclic year within {max_iter} years "
                       f"(last change {last:.2f} hm3)")


def months_of(period: str) -> tuple[int, ...]:
    if period not in SEASON:
        raise ValueError(f"period must be one of {list(SEASON)}, not {period!r}")
    return SEASON[period]


def received(result, receipts: Receipt, period: str = "year") -> float:
    """Volume [hm³] received through ``receipts`` (delivered link flow + natural inflow at inflow nodes) over
    the months of ``period`` in the result's horizon."""
    ds = result.dataset
    mask = np.isin(pd.DatetimeIndex(ds["time"].values).month, months_of(period))
    total = ds["delivered_hm3"].sel(link=list(receipts.links)).sum("link").values[mask].sum() if receipts.links else 0.0
    if receipts.inflows:
        total += ds["natural_inflow_hm3"].sel(node=list(receipts.inflows)).sum("node").values[mask].sum()
    return float(total)


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


def evaluate(basin: Basin, values: dict[str, float] | None = None) -> tuple[dict[str, float], dict, object]:
    """Modelled volume of every calibration target in the status-quo steady state of ``calibration.year_type``
    (with ``values`` applied if given). Returns ``(modelled by target id, start storage, result)``."""
    cal = _section(basin)
    b = apply(basin, values) if values else basin
    S, r, _ = steady_storage(b, cal.year_type, "status-quo")
    return {t.id: received(r, t.receipts, t.period) for t in cal.targets}, S, r


# ---- the report ---------------------------------------------------------------------------------

@dataclass
class ParameterFit:
    id: str
    field: str
    entries: list[str]
    prior: float
    min: float
    max: float
    value: float
    source: str = ""

    @property
    def in_range(self) -> bool:
        return self.min - 1e-12 <= self.value <= self.max + 1e-12

    @property
    def outside_by(self) -> float:
        """How far the value lies outside its documented range (0 inside; + above max, − below min)."""
        return self.value - self.max if self.value > self.max else (self.value - self.min if self.value < self.min else 0.0)

    @property
    def at_bound(self) -> str:
        if abs(self.value - self.min) < 10 ** -DECIMALS:
            return "min"
        if abs(self.value - self.max) < 10 ** -DECIMALS:
            return "max"
        return ""


@dataclass
class TargetFit:
    id: str
    party: str
    period: str
    observed: float
    observed_min: float | None
    observed_max: float | None
    modelled: float
    error: float  # relative, against the measured range (0 inside)
    tolerance: float
    source: str = ""

    @property
    def met(self) -> bool:
        return abs(self.error) <= self.tolerance + 1e-12

    @property
    def error_vs_observed(self) -> float:
        return (self.modelled - self.observed) / self.observed if self.observed else np.nan


@dataclass
class CalibrationReport:
    basin: str
    year_type: str
    tolerance: float
    allow_outside: bool
    parameters: list[ParameterFit]
    targets: list[TargetFit]
    storage: dict[str, float]
    iterations: int
    evaluations: int
    cost: float
    method: str = METHOD
    in_range_targets: list[TargetFit] | None = None  # allow_outside: what the fit inside the ranges achieved
    versions: dict = field(default_factory=dict)

    @property
    def values(self) -> dict[str, float]:
        return {p.id: p.value for p in self.parameters}

    @property
    def flagged(self) -> list[ParameterFit]:
        """Parameters whose value lies outside the documented range."""
        return [p for p in self.parameters if not p.in_range]

    @property
    def missed(self) -> list[TargetFit]:
        return [t for t in self.targets if not t.met]

    @property
    def ok(self) -> bool:
        return not self.missed

    def table(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(parameters, targets) as DataFrames."""
        par = pd.DataFrame([{"parameter": p.id, "field": p.field, "entries": ", ".join(p.entries), "prior": p.prior,
                             "min": p.min, "max": p.max, "calibrated": p.value, "in_range": p.in_range,
                             "outside_by": p.outside_by, "at_bound": p.at_bound} for p in self.parameters])
        tar = pd.DataFrame([{"target": t.id, "party": t.party, "period": t.period, "observed_hm3": t.observed,
                             "observed_min_hm3": t.observed_min, "observed_max_hm3": t.observed_max,
                             "modelled_hm3": t.modelled, "error_pct": 100 * t.error,
                             "error_vs_observed_pct": 100 * t.error_vs_observed, "met": t.met}
                            for t in self.targets])
        return par, tar

    def result(self) -> dict:
        """The provenance written into ``calibration.result`` (no dates: re-running gives the same text)."""
        r2 = lambda v: None if v is None else round(float(v), 2) + 0.0  # noqa: E731  (+ 0.0: no "-0.0")
        out = {
            "method": self.method,
            "command": f"chutalas calibrate {self.basin} --write" + (" --allow-outside" if self.allow_outside else ""),
            "run": f"status quo, {self.year_type} year, cyclic steady-state storage",
            "allow_outside": self.allow_outside,
            "start_storage_hm3": {k: r2(v) for k, v in self.storage.items()},
            "values": {p.id: p.value for p in self.parameters},
            "flagged": {p.id: {"value": p.value, "range": [p.min, p.max], "outside_by": round(p.outside_by, DECIMALS)}
                        for p in self.flagged},
            "targets": {t.id: {"observed_hm3": t.observed, "range_hm3": [t.observed_min, t.observed_max]
                               if t.observed_min is not None or t.observed_max is not None else None,
                               "modelled_hm3": r2(t.modelled), "error_pct": round(100 * t.error, 1) + 0.0, "met": t.met}
                        for t in self.targets},
            "tolerance": self.tolerance,
            "missed": [t.id for t in self.missed],
            "versions": dict(self.versions),
        }
        if self.in_range_targets is not None:
            out["within_ranges"] = {t.id: {"modelled_hm3": r2(t.modelled), "error_pct": round(100 * t.error, 1),
                                           "met": t.met} for t in self.in_range_targets}
        return out

    def to_dict(self) -> dict:
        d = {"basin": self.basin, "ok": self.ok, **self.result()}
        d["parameters"] = [{**asdict(p), "in_range": p.in_range, "outside_by": p.outside_by} for p in self.parameters]
        d["targets_detail"] = [{**asdict(t), "met": t.met, "error_vs_observed": t.error_vs_observed}
                               for t in self.targets]
        return d

    def text(self) -> str:
        par, tar = self.table()
        lines = [f"Calibration of {self.basin}: status quo, {self.year_type} year (cyclic storage "
                 + ", ".join(f"{k} {v:,.0f}" for k, v in self.storage.items()) + " hm3)",
                 f"method: {self.method}; {self.iterations} iterations, {self.evaluations} LP runs"
                 + ("; ranges widened (--allow-outside)" if self.allow_outside else ""), "", "Parameters:"]
        for p in self.parameters:
            flag = "" if p.in_range else f"  FLAGGED: outside its documented range by {p.outside_by:+.4f}"
            bound = f" (at {p.at_bound})" if p.at_bound else ""
            lines.append(f"  {p.id:<26} {p.field:<17} prior {p.prior:<6g} range [{p.min:g}, {p.max:g}]  "
                         f"-> {p.value:.4f}{bound}{flag}")
        lines += ["", f"Targets (tolerance {self.tolerance:.0%}):"]
        for t in self.targets:
            rng = f" ({t.observed_min:g}-{t.observed_max:g})" if t.observed_min is not None else ""
            lines.append(f"  {t.id:<26} {t.party} {t.period:<8} observed {t.observed:>8,.1f}{rng:<12} modelled "
                         f"{t.modelled:>8,.1f}  error {100 * t.error:+6.1f} %  {'ok' if t.met else 'MISSED'}")
        if self.in_range_targets is not None:
            lines += ["", "Within the documented ranges the fit reached:"]
            for t in self.in_range_targets:
                lines.append(f"  {t.id:<26} modelled {t.modelled:>8,.1f}  error {100 * t.error:+6.1f} %  "
                             f"{'ok' if t.met else 'MISSED'}")
        return "\n".join(lines)


# ---- the fit --------------------------------------------------------------------------------------

class _Problem:
    """Residuals of the fit in normalised coordinates u = (value − min) / (max − min)."""

    def __init__(self, basin: Basin, allow_outside: bool):
        self.basin = basin
        self.cal = _section(basin)
        self.params: list[CalibrationParameter] = list(self.cal.parameters)
        self.lo_v = np.array([p.min for p in self.params], float)
        self.width = np.array([max(p.max - p.min, 1e-9) for p in self.params], float)
        self.u0 = (np.array([p.prior for p in self.params], float) - self.lo_v) / self.width
        if allow_outside:
            phys = np.array([PHYSICAL_LIMITS[p.field] for p in self.params], float)
            self.lb = np.minimum((phys[:, 0] - self.lo_v) / self.width, 0.0)
            self.ub = np.maximum((phys[:, 1] - self.lo_v) / self.width, 1.0)
        else:
            self.lb, self.ub = np.zeros(len(self.params)), np.ones(len(self.params))
        self.allow_outside = allow_outside
        self.cache: dict[tuple, tuple[np.ndarray, dict, dict]] = {}
        self.evaluations = 0

    def values(self, u: np.ndarray) -> dict[str, float]:
        return {p.id: float(self.lo_v[j] + u[j] * self.width[j]) for j, p in enumerate(self.params)}

    def run(self, u: np.ndarray) -> tuple[np.ndarray, dict, dict]:
        """(target errors, modelled volumes, storage) at u; cached on u rounded to 1e-9."""
        key = tuple(np.round(u, 9))
        if key not in self.cache:
            modelled, S, _ = evaluate(self.basin, self.values(np.asarray(key)))
            self.evaluations += 1
            errors = np.array([target_error(t, modelled[t.id]) for t in self.cal.targets])
            self.cache[key] = (errors, modelled, S)
        return self.cache[key]

    def residuals(self, u: np.ndarray) -> np.ndarray:
        errors = self.run(u)[0]
        prior = PRIOR_WEIGHT * (u - self.u0)
        res = [errors, prior]
        if self.allow_outside:
            res.append(OUTSIDE_WEIGHT * (np.maximum(u - 1.0, 0.0) + np.maximum(-u, 0.0)))
        return np.concatenate(res)


def _lm(prob: _Problem, u0: np.ndarray) -> tuple[np.ndarray, int, float]:
    """Bounded Levenberg–Marquardt: forward differences, active-set projection, deterministic."""
    u = np.clip(u0.astype(float), prob.lb, prob.ub)
    r = prob.residuals(u)
    cost = float(r @ r)
    mu = 1e-2
    it = 0
    for it in range(1, MAX_ITER + 1):
        n = len(u)
        J = np.empty((len(r), n))
        for j in range(n):
            h = FD_STEP if u[j] + FD_STEP <= prob.ub[j] else -FD_STEP
            du = u.copy()
            du[j] += h
            J[:, j] = (prob.residuals(du) - r) / h
        g = J.T @ r
        free = ~(((u <= prob.lb + 1e-12) & (g > 0)) | ((u >= prob.ub - 1e-12) & (g < 0)))
        if not free.any() or np.max(np.abs(g[free])) < 1e-10:
            break
        Jf = J[:, free]
        A = Jf.T @ Jf
        improved = False
        for _ in range(12):
            step = np.linalg.solve(A + mu * (np.diag(np.diag(A)) + np.eye(A.shape[0])), -g[free])
            cand = u.copy()
            cand[free] = np.clip(u[free] + step, prob.lb[free], prob.ub[free])
            rc = prob.residuals(cand)
            cc = float(rc @ rc)
            if cc < cost - 1e-14:
                improved = True
                moved = np.max(np.abs(cand - u))
                u, r, cost = cand, rc, cc
                mu = max(mu / 3.0, 1e-8)
                break
            mu *= 4.0
        if not improved or moved < 1e-5:
            break
    return u, it, cost


def calibrate(basin: Basin | str, *, allow_outside: bool = False) -> CalibrationReport:
    """Fit the basin's calibration parameters inside their documented ranges (see the module docstring).

    With ``allow_outside=True`` a fit inside the ranges is made first; if it misses a target, the ranges are
    widened to :data:`PHYSICAL_LIMITS` and the fit restarts from there, and every value left outside its
    documented range is flagged (``report.flagged``). Values are rounded to ``DECIMALS`` decimals and the
    report's target errors are those of the rounded values."""
    from optimizer.core.solver import versions

    if isinstance(basin, str):
        basin = basins.load(basin)
    cal = _section(basin)
    if not cal.parameters or not cal.targets:
        raise CalibrationError(f"basin {basin.id!r}: the calibration section needs parameters and targets")
    prob = _Problem(basin, allow_outside=False)
    u, iters, cost = _lm(prob, prob.u0)
    evals = prob.evaluations
    in_range_report = _report(basin, prob, u, iters, evals, cost, allow_outside=False)
    if not allow_outside or in_range_report.ok:
        in_range_report.allow_outside = allow_outside
        in_range_report.versions = versions()
        return in_range_report
    wide = _Problem(basin, allow_outside=True)
    u2, iters2, cost2 = _lm(wide, u)
    rep = _report(basin, wide, u2, iters + iters2, evals + wide.evaluations, cost2, allow_outside=True)
    rep.in_range_targets = in_range_report.targets
    rep.versions = versions()
    return rep


def _report(basin: Basin, prob: _Problem, u: np.ndarray, iters: int, evals: int, cost: float,
            allow_outside: bool) -> CalibrationReport:
    cal = prob.cal
    values = {k: round(v, DECIMALS) for k, v in prob.values(u).items()}
    modelled, S, _ = evaluate(basin, values)
    params = [ParameterFit(p.id, p.field, list(p.entries), p.prior, p.min, p.max, values[p.id], p.source)
              for p in prob.params]
    targets = [TargetFit(t.id, t.party, t.period, t.observed_hm3, t.observed_min_hm3, t.observed_max_hm3,
                         modelled[t.id], target_error(t, modelled[t.id]), cal.tolerance, t.source)
               for t in cal.targets]
    return CalibrationReport(basin.id, cal.year_type, cal.tolerance, allow_outside, params, targets, S, iters,
                             evals + 1, cost)


# ---- writing the basin file ----------------------------------------------------------------------

AQUIFER_START_DECIMALS = 2  # an aquifer's cyclic start storage is written rounded to this many decimals [hm³]


def write(basin_path: str | Path, report: CalibrationReport) -> Path:
    """Write the calibrated values into the basin file's entries and ``calibration.result``.

    The file is edited by ruamel.yaml's round trip (:func:`basins.loading.update_text`): each listed entry's
    field is set (or added, in the schema's key order), each aquifer's ``initial_storage_hm3`` is set to its
    cyclic start storage in the report (rounded to ``AQUIFER_START_DECIMALS``) and ``calibration.result`` is
    replaced; every other value keeps its text, and the comments, key order and one-line entries of the
    hand-written file survive. The result is re-loaded and checked; on any mismatch nothing is written."""
    path = basins.loading.resolve(basin_path)
    text = path.read_text(encoding="utf-8")
    basin = basins.loads(text, str(path), base_dir=path.resolve().parent)
    cal = _section(basin)
    known = {p.id for p in cal.parameters}
    for pf in report.parameters:
        if pf.id not in known:
            raise CalibrationError(f"{path}: the report's parameter {pf.id!r} is not in the calibration section")
    edited = apply(basin, {pf.id: round(float(pf.value), DECIMALS) + 0.0 for pf in report.parameters})
    starts = aquifer_starts(basin, report)
    for a in edited.spec.aquifers:
        a.initial_storage_hm3 = starts[a.node]
    assert edited.spec.calibration is not None
    edited.spec.calibration.result = json.loads(json.dumps(report.result()))
    try:
        new = basins.loading.update_text(text, edited, str(path))
    except ValueError as exc:
        raise CalibrationError(str(exc)) from None
    checked = basins.loads(new, str(path), base_dir=path.resolve().parent)
    got = current_values(checked)
    bad = {k: (v, got.get(k)) for k, v in report.values.items() if got.get(k) is None or abs(got[k] - v) > 1e-12}
    g_now = {a.node: a.initial_storage_hm3 for a in checked.spec.aquifers}
    bad |= {k: (v, g_now.get(k)) for k, v in starts.items() if g_now.get(k) is None or abs(g_now[k] - v) > 1e-9}
    if bad or checked.spec.calibration.result != json.loads(json.dumps(report.result())):
        raise CalibrationError(f"{path}: the edited file does not read back the calibrated values {bad}; "
                               "nothing written")
    basins.loading._atomic_write(path, new)
    return path


def aquifer_starts(basin: Basin, report: CalibrationReport) -> dict[str, float]:
    """The cyclic start storage of each of the basin's aquifers in ``report``, rounded as written [hm³]."""
    missing = [a.node for a in basin.spec.aquifers if a.node not in report.storage]
    if missing:
        raise CalibrationError(f"the report has no cyclic start storage for the aquifer(s) {missing}")
    return {a.node: round(float(report.storage[a.node]), AQUIFER_START_DECIMALS) for a in basin.spec.aquifers}


# ---- status quo vs agreement -------------------------------------------------------------------------

COMPARE_COLUMNS = ["received_status_quo_hm3", "received_agreement_hm3", "received_change_hm3",
                   "entitlement_hm3", "shortage_status_quo_hm3", "shortage_agreement_hm3",
                   "cost_of_compliance_hm3"]


def compare_operations(basin: Basin | str, year_type: str = "normal") -> pd.DataFrame:
    """Per party (index): water received and demand shortage over a typical year under today's operation
    (status quo: Kyrgyz intakes first, agreement only reported) and under the agreement (rules enforced),
    and the differences [hm³/yr].

    ``received_*`` counts what the basin's first share rule counts as each party's water;
    ``cost_of_compliance_hm3`` = shortage under the agreement − shortage under the status quo (positive:
    complying costs that party water at its demands; negative: it gains). Each operation runs in its own
    cyclic steady state (:func:`steady_storage`), so the numbers are those of a year that repeats.
    Raises :class:`~optimizer.core.errors.InfeasibleAgreement` if the agreement cannot be met in that year."""
    if isinstance(basin, str):
        basin = basins.load(basin)
    runs = {op: steady_storage(basin, year_type, op)[1] for op in ("status-quo", "agreement")}
    sq, ag = runs["status-quo"].summary(), runs["agreement"].summary()
    if sq.empty:
        raise CalibrationError(f"basin {basin.id!r} has no share rule: nothing says which water is whose")
    out = pd.DataFrame(index=sq.index)
    out["received_status_quo_hm3"] = sq["received_hm3"]
    out["received_agreement_hm3"] = ag["received_hm3"]
    out["received_change_hm3"] = ag["received_hm3"] - sq["received_hm3"]
    out["entitlement_hm3"] = ag["entitlement_hm3"]
    out["shortage_status_quo_hm3"] = sq["shortage_hm3"]
    out["shortage_agreement_hm3"] = ag["shortage_hm3"]
    out["cost_of_compliance_hm3"] = ag["shortage_hm3"] - sq["shortage_hm3"]
    out.attrs.update(basin=basin.id, year_type=year_type, units="hm3/yr",
                     storage={op: {k: float(v) for k, v in r.dataset["storage_start_hm3"].isel(time=0).to_series().items()}
                              for op, r in runs.items()})
    return out[COMPARE_COLUMNS]


# ---- command line: chutalas calibrate ---------------------------------------------------------------

def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("basin", metavar="BASIN_OR_PATH", help="a bundled basin id (chu, talas) or a basin file path")
    p.add_argument("--write", action="store_true", help="write the calibrated values and calibration.result "
                                                        "into the basin file")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--allow-outside", action="store_true",
                   help="if a target is missed inside the documented ranges, widen them to the physical limits "
                        "(every value left outside its range is flagged)")


def run(args: argparse.Namespace) -> int:
    """Exit 0: every target met; 1: a target missed (values still written with --write); 2: bad input."""
    try:
        path = basins.loading.resolve(args.basin)
        basin = basins.load(path)
        report = calibrate(basin, allow_outside=args.allow_outside)
    except basins.BasinError as exc:
        print(exc, file=sys.stderr)
        return EXIT_INPUT
    except (CalibrationError, OSError) as exc:
        print(f"chutalas calibrate: {exc}", file=sys.stderr)
        return EXIT_INPUT
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, default=float))
    else:
        print(report.text())
    if args.write:
        try:
            written = write(path, report)
        except (CalibrationError, OSError) as exc:
            print(f"chutalas calibrate: {exc}", file=sys.stderr)
            return EXIT_INPUT
        print(f"wrote {written}", file=sys.stderr)
    for p in report.flagged:
        print(f"FLAGGED {p.id} = {p.value:g} is outside its documented range [{p.min:g}, {p.max:g}]", file=sys.stderr)
    for t in report.missed:
        print(f"MISSED {t.id}: modelled {t.modelled:,.1f} hm3, observed {t.observed:,.1f} hm3 "
              f"({100 * t.error:+.1f} % outside the measured range; tolerance {t.tolerance:.0%})", file=sys.stderr)
    return EXIT_OK if report.ok else EXIT_MISSED


if __name__ == "__main__":  # python -m optimizer.analyses.calibration chu [--write]
    _p = argparse.ArgumentParser(prog="python -m optimizer.analyses.calibration")
    add_arguments(_p)
    raise SystemExit(run(_p.parse_args()))
