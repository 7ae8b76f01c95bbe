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
    A deterministic bounded least-squares fit (:func:`scipy.optimize.least_squares`, ``dogbox``, with the fit's
    own forward-difference Jacobian through the LP; :mod:`optimizer.analyses.calibration_fit` says why) of the
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

Identifiability
    Every report carries :class:`~optimizer.analyses.calibration_ident.Identifiability` at the fitted values
    (``report.identifiability_table``: sensitivity, resolution, correlation and which parameters the targets
    cannot tell apart), and says when there are more parameters than targets.

Named years
    :func:`optimizer.analyses.calibration_named.calibrate_named` fits the same parameters on the named years
    that ``data/observed/named_years.csv`` gives receipts for, each in its own year, and keeps one year out as
    the validation.

The modules: this one (``calibrate``, ``compare_operations``; the public names), ``calibration_run`` (the
status-quo run, targets), ``calibration_fit`` (residuals, least_squares), ``calibration_ident``,
``calibration_report``, ``calibration_write``, ``calibration_named``. The command line (``chutalas
calibrate``) is :mod:`optimizer.interfaces.cli_calibrate`.
"""

from __future__ import annotations

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd

import basins
from basins import Basin
from optimizer.analyses.calibration_fit import FitTarget, Problem, best_of_starts, fit
from optimizer.analyses.calibration_ident import Identifiability, analyse
from optimizer.analyses.calibration_report import METHOD, CalibrationReport, ParameterFit, TargetFit
from optimizer.analyses.calibration_run import (
    DAMP_AFTER, DECIMALS, FD_STEP, LOOSE_TOL, OUTSIDE_WEIGHT, PHYSICAL_LIMITS, PRIOR_WEIGHT, SEASON, CalibrationError, _section, apply,
    calibrated_entries, current_values, cyclic_status_quo, evaluate, months_of, received, received_between, steady_storage,
    target_error,
)
from optimizer.analyses.calibration_write import AQUIFER_START_DECIMALS, aquifer_starts, write

__all__ = ["AQUIFER_START_DECIMALS", "COMPARE_COLUMNS", "DECIMALS", "EXIT_INPUT", "EXIT_MISSED", "EXIT_OK", "FD_STEP",
           "METHOD", "OUTSIDE_WEIGHT", "PHYSICAL_LIMITS", "PRIOR_WEIGHT", "SEASON", "CalibrationError",
           "CalibrationReport", "Identifiability", "ParameterFit", "TargetFit", "apply", "aquifer_starts",
           "calibrate", "calibrated_entries", "compare_operations", "current_values", "cyclic_status_quo", "evaluate", "identifiability",
           "months_of", "problem", "received", "received_between", "steady_storage", "target_error", "write"]

EXIT_OK, EXIT_MISSED, EXIT_INPUT = 0, 1, 2


def problem(basin: Basin, allow_outside: bool = False) -> Problem:
    """The fit's residuals for the basin's own calibration section (its year type, its targets)."""
    cal = _section(basin)

    def evaluator(values: dict[str, float]) -> tuple[dict[str, float], dict[str, float]]:
        modelled, S, _ = evaluate(basin, values)
        return modelled, S

    targets = [FitTarget(t.id, t.observed_hm3, partial(target_error, t)) for t in cal.targets]
    return Problem(cal.parameters, targets, evaluator, allow_outside)


def identifiability(prob: Problem, u: np.ndarray, params: list[ParameterFit]) -> Identifiability:
    """Identifiability of the fitted parameters ``params`` (values at ``u``) from the problem's sensitivities."""
    S = prob.sensitivity(u)
    return analyse(S, [p.id for p in params], [t.id for t in prob.targets], lower=[p.min for p in params],
                   upper=[p.max for p in params], values=[p.value for p in params],
                   at_bound=[p.at_bound for p in params], fields=[p.field for p in params],
                   prior_weight=PRIOR_WEIGHT)


def calibrate(basin: Basin | str, *, allow_outside: bool = False) -> CalibrationReport:
    """Fit the basin's calibration parameters inside their documented ranges (see the module docstring).

    With ``allow_outside=True`` a fit inside the ranges is made first; if it misses a target, the ranges are
    widened to :data:`PHYSICAL_LIMITS` and the fit restarts from there, and every value left outside its
    documented range is flagged (``report.flagged``). Values are rounded to ``DECIMALS`` decimals and the
    report's target errors are those of the rounded values; the identifiability is analysed there too."""
    from optimizer.core.solver import versions

    if isinstance(basin, str):
        basin = basins.load(basin)
    cal = _section(basin)
    if not cal.parameters or not cal.targets:
        raise CalibrationError(f"basin {basin.id!r}: the calibration section needs parameters and targets")
    prob = problem(basin, allow_outside=False)
    u, iters, _ = best_of_starts(prob)
    in_range_report = _report(basin, prob, u, iters, allow_outside=False)
    if not allow_outside or in_range_report.ok:
        in_range_report.allow_outside = allow_outside
        in_range_report.versions = versions()
        return in_range_report
    wide = problem(basin, allow_outside=True)
    u2, iters2, _ = fit(wide, u)
    rep = _report(basin, wide, u2, iters + iters2, allow_outside=True, evals_before=prob.evaluations)
    rep.in_range_targets = in_range_report.targets
    rep.versions = versions()
    return rep


def _report(basin: Basin, prob: Problem, u: np.ndarray, iters: int, allow_outside: bool,
            evals_before: int = 0) -> CalibrationReport:
    """The report at the rounded values (re-evaluated: its errors are those of the values written)."""
    cal = _section(basin)
    values = {k: round(v, DECIMALS) for k, v in prob.values(u).items()}
    ur = np.array([(values[p.id] - prob.lo_v[j]) / prob.width[j] for j, p in enumerate(prob.params)])
    _, modelled, S = prob.run(ur)
    params = [ParameterFit(p.id, p.field, list(p.entries), p.prior, p.min, p.max, values[p.id], p.source)
              for p in prob.params]
    targets = [TargetFit(t.id, t.party, t.period, t.observed_hm3, t.observed_min_hm3, t.observed_max_hm3,
                         modelled[t.id], target_error(t, modelled[t.id]), cal.tolerance, t.source)
               for t in cal.targets]
    ident = identifiability(prob, ur, params)  # n more LP runs (forward differences at the rounded values)
    return CalibrationReport(basin.id, cal.year_type, cal.tolerance, allow_outside, params, targets, S, iters,
                             evals_before + prob.evaluations, prob.cost(ur), identifiability=ident)

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
    # damped after DAMP_AFTER years, to LOOSE_TOL: in agreement operation Kirov can flip between two end storages
    runs = {op: steady_storage(basin, year_type, op, tol=LOOSE_TOL, max_iter=60, damp_after=DAMP_AFTER)[1]
            for op in ("status-quo", "agreement")}
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

