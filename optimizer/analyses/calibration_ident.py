"""Calibration, identifiability: what the targets can tell about each parameter at the fitted values.

The sensitivity matrix ``S`` (targets × parameters) holds the relative change of each modelled target volume
per documented range-width of each parameter, ``S[i, j] = ∂(modelled_i / observed_i) / ∂u_j`` with
``u = (value − min) / (max − min)``, from forward differences through the LP (the fit's own step; a parameter
at its upper bound is stepped inward). Scaled this way a column is comparable across parameters of different
units, and 0.1 means "one range-width moves this target by 10 % of its observed volume".

From ``S``:

* **sensitivity** of a parameter: the norm of its column (0: no target responds; the data say nothing).
* **rank** and the **near-singular directions**: the singular value decomposition ``S = U Σ Vᵀ``; a direction
  whose singular value is below :data:`SINGULAR_TOL` × the largest, and every direction beyond the number of
  targets, is one the targets cannot see. With more parameters than targets there are at least
  ``parameters − targets`` of them, whatever the data.
* **resolution** of a parameter: the diagonal of the model-resolution matrix ``V_r V_rᵀ`` over the resolved
  directions (1: the targets pin this parameter down alone; 0: it lies entirely in what they cannot see).
* **collinearity**: the cosine between two columns of ``S``; near ±1 the targets respond to the two parameters
  alike, whatever the other parameters do (a product or a sum of two parameters gives exactly ±1).
* **correlation**: from ``(SᵀS)⁻¹`` when ``SᵀS`` has full rank (``basis = "data"``); otherwise
  ``(SᵀS)⁻¹`` does not exist and the correlation shown is that of the fit's own prior-regularised problem,
  ``(SᵀS + λ²I)⁻¹`` with λ the prior weight (``basis = "data + prior"``): then a correlation near ±1 marks a
  pair that only the prior separates.

A parameter is **identifiable** when its sensitivity is above :data:`ZERO_SENSITIVITY`, its resolution is at
least :data:`MIN_RESOLUTION` and no other parameter correlates with it, or has a column collinear with its
own, beyond :data:`MAX_CORRELATION`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

ZERO_SENSITIVITY = 1e-6  # a column norm below this: no target responds to the parameter
SINGULAR_TOL = 1e-2  # a singular value below 1 % of the largest: a direction the targets cannot resolve
MIN_RESOLUTION = 0.9  # at least 90 % of the parameter's direction resolved by the targets
MAX_CORRELATION = 0.95  # |corr| above this: the pair cannot be told apart

#: issue codes in ``Identifiability.table["issues"]`` (rendered in words by the CLI through ui_text)
ISSUES = ("zero_sensitivity", "unresolved", "correlated", "collinear", "at_bound")
NOT_IDENTIFIABLE = {"zero_sensitivity", "unresolved", "correlated", "collinear"}


@dataclass
class Identifiability:
    """The identifiability of a fit's parameters (see the module docstring).

    ``table``: one row per parameter (index: parameter id) with columns ``field, min, max, value, at_bound,
    sensitivity, resolution, max_abs_corr, corr_with, max_abs_cos, cos_with, identifiable, issues`` and one ``S[<target>]`` column per
    target (the scaled sensitivity, per range-width). ``correlation``: parameters × parameters.
    ``not_identifiable_groups``: the sets of parameters the data cannot tell apart (joined by the correlation
    beyond :data:`MAX_CORRELATION`, or sharing a near-singular direction)."""

    n_targets: int
    n_parameters: int
    rank: int
    singular_values: list[float]
    basis: str  # "data" or "data + prior"
    table: pd.DataFrame
    correlation: pd.DataFrame
    sensitivity: pd.DataFrame  # targets × parameters, S
    null_directions: list[dict[str, float]] = field(default_factory=list)
    not_identifiable_groups: list[list[str]] = field(default_factory=list)

    @property
    def more_parameters_than_targets(self) -> bool:
        return self.n_parameters > self.n_targets

    def to_dict(self) -> dict[str, Any]:
        tab = self.table.copy()
        tab["issues"] = tab["issues"].map(list)
        return {"n_targets": self.n_targets, "n_parameters": self.n_parameters, "rank": self.rank,
                "more_parameters_than_targets": self.more_parameters_than_targets,
                "singular_values": self.singular_values, "correlation_basis": self.basis,
                "parameters": tab.reset_index().to_dict(orient="records"),
                "correlation": {k: {kk: _finite(vv) for kk, vv in v.items()}
                                for k, v in self.correlation.to_dict().items()},
                "null_directions": self.null_directions, "not_identifiable_groups": self.not_identifiable_groups}


def _finite(v: float) -> float | None:
    return float(v) if np.isfinite(v) else None


def analyse(S: np.ndarray, params: Sequence[str], targets: Sequence[str], *, lower: Sequence[float],
            upper: Sequence[float], values: Sequence[float], at_bound: Sequence[str], fields: Sequence[str],
            prior_weight: float) -> Identifiability:
    """The identifiability of ``params`` from the scaled sensitivity matrix ``S`` (targets × parameters)."""
    S = np.asarray(S, float)
    m, n = S.shape
    if (m, n) != (len(targets), len(params)):
        raise ValueError(f"sensitivity matrix is {m} x {n}, expected {len(targets)} targets x {len(params)} parameters")
    sens = np.linalg.norm(S, axis=0)
    _, sv, vt = np.linalg.svd(S, full_matrices=True)
    smax = float(sv.max()) if sv.size else 0.0
    resolved = np.array([s > SINGULAR_TOL * smax and s > ZERO_SENSITIVITY for s in sv], bool)
    rank = int(resolved.sum())
    V = vt.T  # n × n; the first len(sv) columns pair with sv
    vr = V[:, :rank]
    resolution = (vr ** 2).sum(axis=1) if rank else np.zeros(n)
    null = V[:, rank:]
    A = S.T @ S
    if rank == n:
        cov, basis = np.linalg.inv(A), "data"
    else:
        cov, basis = np.linalg.inv(A + prior_weight ** 2 * np.eye(n)), "data + prior"
    d = np.sqrt(np.diag(cov))
    corr = cov / np.outer(d, d)
    np.fill_diagonal(corr, 1.0)
    off = np.abs(corr - np.eye(n))
    unit = S / np.where(sens > ZERO_SENSITIVITY, sens, np.inf)
    cos = np.abs(unit.T @ unit)
    np.fill_diagonal(cos, 0.0)
    rows = []
    for j, pid in enumerate(params):
        k = int(np.argmax(off[j])) if n > 1 else j
        q = int(np.argmax(cos[j])) if n > 1 else j
        issues: list[str] = []
        if sens[j] < ZERO_SENSITIVITY:
            issues.append("zero_sensitivity")
        if resolution[j] < MIN_RESOLUTION:
            issues.append("unresolved")
        if n > 1 and off[j, k] > MAX_CORRELATION:
            issues.append("correlated")
        if n > 1 and cos[j, q] > MAX_CORRELATION:
            issues.append("collinear")
        if at_bound[j]:
            issues.append("at_bound")
        row = {"parameter": pid, "field": fields[j], "min": float(lower[j]), "max": float(upper[j]),
               "value": float(values[j]), "at_bound": at_bound[j], "sensitivity": float(sens[j]),
               **{f"S[{t}]": float(S[i, j]) for i, t in enumerate(targets)},
               "resolution": float(resolution[j]), "max_abs_corr": float(off[j, k]) if n > 1 else 0.0,
               "corr_with": params[k] if n > 1 else "",
               "max_abs_cos": float(cos[j, q]) if n > 1 else 0.0, "cos_with": params[q] if n > 1 else "",
               "identifiable": not (NOT_IDENTIFIABLE & set(issues)),
               "issues": tuple(issues)}
        rows.append(row)
    table = pd.DataFrame(rows).set_index("parameter")
    directions = [{p: float(null[j, c]) for j, p in enumerate(params) if abs(null[j, c]) >= 0.1}
                  for c in range(null.shape[1])]
    return Identifiability(m, n, rank, [float(s) for s in sv], basis, table,
                           pd.DataFrame(corr, index=list(params), columns=list(params)),
                           pd.DataFrame(S, index=list(targets), columns=list(params)), directions,
                           _groups(list(params), np.maximum(off, cos), null, table))


def _groups(params: list[str], off: np.ndarray, null: np.ndarray, table: pd.DataFrame) -> list[list[str]]:
    """Connected sets of parameters the data cannot tell apart: joined by |corr| or |cos| > MAX_CORRELATION or by a
    common near-singular direction in which both load by at least 0.3 (parameters with zero sensitivity are
    a group of their own each)."""
    n = len(params)
    link = off > MAX_CORRELATION
    for c in range(null.shape[1]):
        big = np.abs(null[:, c]) >= 0.3
        link |= np.outer(big, big)
    np.fill_diagonal(link, False)
    seen: set[int] = set()
    groups: list[list[str]] = []
    for j in range(n):
        if j in seen or table["identifiable"].iloc[j]:
            continue
        stack, comp = [j], []
        while stack:
            i = stack.pop()
            if i in seen:
                continue
            seen.add(i)
            comp.append(i)
            stack.extend(int(k) for k in np.flatnonzero(link[i]) if k not in seen and not table["identifiable"].iloc[k])
        groups.append([params[i] for i in sorted(comp)])
    return groups
