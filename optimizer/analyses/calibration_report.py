"""Calibration, the report: what the fit found for each parameter and target (:class:`CalibrationReport`), as
data (tables, the ``calibration.result`` provenance) — the command line renders it
(:mod:`optimizer.interfaces.cli_calibrate`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from optimizer.analyses.calibration_ident import Identifiability
from optimizer.analyses.calibration_run import DECIMALS

METHOD = ("scipy.optimize.least_squares (dogbox, bounded), own forward-difference Jacobian (step 0.05 then 0.01 "
          "range-widths), prior-regularised")

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
    versions: dict[str, str] = field(default_factory=dict)
    #: what the targets can tell about each parameter at the fitted values (sensitivities, correlations);
    #: None only for a report built by hand
    identifiability: Identifiability | None = None

    @property
    def identifiability_table(self) -> pd.DataFrame:
        """One row per parameter: bounds, fitted value, at a bound, sensitivity, correlations, identifiable
        (see :class:`~optimizer.analyses.calibration_ident.Identifiability`)."""
        if self.identifiability is None:
            raise ValueError("this report has no identifiability analysis (built by hand, not by calibrate)")
        return self.identifiability.table

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

    def result(self) -> dict[str, Any]:
        """The provenance written into ``calibration.result`` (no dates: re-running gives the same text)."""
        r2 = lambda v: None if v is None else round(float(v), 2) + 0.0  # noqa: E731  (+ 0.0: no "-0.0")
        out: dict[str, Any] = {
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

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"basin": self.basin, "ok": self.ok, **self.result()}
        d["parameters"] = [{**asdict(p), "in_range": p.in_range, "outside_by": p.outside_by} for p in self.parameters]
        d["targets_detail"] = [{**asdict(t), "met": t.met, "error_vs_observed": t.error_vs_observed}
                               for t in self.targets]
        if self.identifiability is not None:
            d["identifiability"] = self.identifiability.to_dict()
        return d
