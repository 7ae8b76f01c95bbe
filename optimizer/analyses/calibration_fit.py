"""Calibration, the fit: residuals in units of each parameter's documented range and their minimisation with
:func:`scipy.optimize.least_squares` (bounded, deterministic).

The residuals are ``[target errors, λ (u − u_prior), (allow_outside: μ · range-widths outside)]`` with
``u = (value − min) / (max − min)``; the cost is their sum of squares (``2 × least_squares``'s ``cost``).

Why the Jacobian is our own. The modelled receipts come out of an LP: they are piecewise linear in the
parameters, with kinks wherever a constraint becomes binding (an intake served in full, a reservoir at its
dead storage, a canal at capacity), and the cyclic reservoir storage jumps. ``least_squares``'s default
finite differences (a relative step of ~1.5e-8) land inside one linear piece and return a slope that is
exactly right there and useless a hundredth of a range away (or zero). The fit therefore passes its own
forward differences with a step *above* the kinks' spacing, in range-widths: first :data:`COARSE_STEP`
(a secant that averages over several pieces), then :data:`FD_STEP`, and restarts the trust region from the
best point until a round brings no improvement (:data:`MIN_GAIN`). Trust-region methods also stop when the region has shrunk to
``xtol`` around a kink where every model step fails; a restart with a fresh region and a new secant gets past
it. The method is ``dogbox`` (:data:`METHOD_LSQ`): it treats a parameter at its bound as an active
constraint and moves the others freely, as the hand-written Levenberg–Marquardt it replaced did; ``trf``
scales the step of a variable by its distance to the bound and crawls towards the bounds where the Chu's
best fit has three parameters (on the Chu: ``trf`` stops at a cost of 0.027–0.034, ``dogbox`` reaches 0.0087,
the old fit 0.0098). The parameters are already scaled by their ranges, so ``x_scale = 1``; the loss is
linear (the same least-squares objective as before).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

from basins.schema import CalibrationParameter
from optimizer.analyses.calibration_run import FD_STEP, OUTSIDE_WEIGHT, PHYSICAL_LIMITS, PRIOR_WEIGHT

METHOD_LSQ = "dogbox"
COARSE_STEP = 0.05  # first-round forward-difference step [range-widths]
STEPS = (COARSE_STEP, FD_STEP)  # one round: a fit with each step in turn, each from the best point so far
MAX_ROUNDS = 4
MIN_GAIN = 1e-3  # a round that lowers the cost by less than 0.1 % is the last
MAX_NFEV = 60  # residual evaluations per least_squares call (each Jacobian costs one LP run per parameter more)

#: ``values → (modelled volume by target id [hm³], cyclic start storage by store id [hm³])``
Evaluator = Callable[[dict[str, float]], tuple[dict[str, float], dict[str, float]]]


@dataclass
class FitTarget:
    """A target of the fit: ``error(modelled)`` is its residual (relative), ``observed`` scales sensitivities."""

    id: str
    observed: float
    error: Callable[[float], float]


class Problem:
    """Residuals of the fit in normalised coordinates u = (value − min) / (max − min)."""

    def __init__(self, params: Sequence[CalibrationParameter], targets: Sequence[FitTarget], evaluator: Evaluator,
                 allow_outside: bool = False):
        self.params: list[CalibrationParameter] = list(params)
        self.targets = list(targets)
        self.evaluator = evaluator
        self.lo_v = np.array([p.min for p in self.params], float)
        self.width = np.array([max(p.max - p.min, 1e-9) for p in self.params], float)
        self.u0 = (np.array([p.prior for p in self.params], float) - self.lo_v) / self.width
        if allow_outside:
            phys = np.array([PHYSICAL_LIMITS[p.field] for p in self.params], float)
            self.lb = np.minimum((phys[:, 0] - self.lo_v) / self.width, 0.0)
            self.ub = np.maximum((phys[:, 1] - self.lo_v) / self.width, 1.0)
            self.v_lo, self.v_hi = np.minimum(phys[:, 0], self.lo_v), np.maximum(phys[:, 1], self.lo_v + self.width)
        else:
            self.lb, self.ub = np.zeros(len(self.params)), np.ones(len(self.params))
            self.v_lo, self.v_hi = self.lo_v, np.array([p.max for p in self.params], float)
        self.allow_outside = allow_outside
        self.cache: dict[tuple[float, ...], tuple[np.ndarray, dict[str, float], dict[str, float]]] = {}
        self.evaluations = 0
        self.jacobians = 0

    def values(self, u: np.ndarray) -> dict[str, float]:
        # clipped to the bounds in value units: u at a bound can land 1e-10 outside it in floating point
        return {p.id: float(np.clip(self.lo_v[j] + u[j] * self.width[j], self.v_lo[j], self.v_hi[j]))
                for j, p in enumerate(self.params)}

    def run(self, u: np.ndarray) -> tuple[np.ndarray, dict[str, float], dict[str, float]]:
        """(target errors, modelled volumes, storage) at u; cached on u rounded to 1e-9."""
        key = tuple(float(x) for x in np.round(u, 9))
        if key not in self.cache:
            modelled, S = self.evaluator(self.values(np.asarray(key)))
            self.evaluations += 1
            errors = np.array([t.error(modelled[t.id]) for t in self.targets], float)
            self.cache[key] = (errors, modelled, S)
        return self.cache[key]

    def residuals(self, u: np.ndarray) -> np.ndarray:
        errors = self.run(u)[0]
        res = [errors, PRIOR_WEIGHT * (u - self.u0)]
        if self.allow_outside:
            res.append(OUTSIDE_WEIGHT * (np.maximum(u - 1.0, 0.0) + np.maximum(-u, 0.0)))
        return np.concatenate(res)

    def _step(self, u: np.ndarray, j: int, h: float) -> float:
        """A forward step for parameter j at u: +h, or −h where +h would leave the bounds."""
        return h if u[j] + h <= self.ub[j] else -h

    def jacobian(self, u: np.ndarray, h: float = FD_STEP) -> np.ndarray:
        """Forward differences of the residuals with a step of ``h`` range-widths."""
        self.jacobians += 1
        r = self.residuals(u)
        J = np.empty((len(r), len(u)))
        for j in range(len(u)):
            hj = self._step(u, j, h)
            du = np.array(u, float)
            du[j] += hj
            J[:, j] = (self.residuals(du) - r) / hj
        return J

    def sensitivity(self, u: np.ndarray, h: float = FD_STEP) -> np.ndarray:
        """Scaled sensitivities at u: ∂(modelled_i / observed_i)/∂u_j (targets × parameters), forward differences."""
        m0 = self.run(u)[1]
        S = np.empty((len(self.targets), len(u)))
        for j in range(len(u)):
            hj = self._step(u, j, h)
            du = np.array(u, float)
            du[j] += hj
            m1 = self.run(du)[1]
            S[:, j] = [(m1[t.id] - m0[t.id]) / (hj * t.observed) if t.observed else 0.0 for t in self.targets]
        return S

    def cost(self, u: np.ndarray) -> float:
        r = self.residuals(u)
        return float(r @ r)


def fit(prob: Problem, u0: np.ndarray, steps: Sequence[float] = STEPS,
        max_rounds: int = MAX_ROUNDS) -> tuple[np.ndarray, int, float]:
    """Minimise the residuals from ``u0`` with ``least_squares`` (bounded ``dogbox``), own forward-difference
    Jacobians with each step of ``steps`` in turn, restarted from the best point while a round lowers the cost
    by at least :data:`MIN_GAIN` (relative).
    Returns ``(u, least_squares iterations (Jacobian evaluations), cost = Σ residual²)``."""
    u = np.clip(np.asarray(u0, float), prob.lb, prob.ub)
    best = prob.cost(u)
    iterations = 0
    for _ in range(max_rounds):
        improved = False
        for h in steps:
            res = least_squares(prob.residuals, u, jac=lambda x, h=h: prob.jacobian(x, h), bounds=(prob.lb, prob.ub),
                                method=METHOD_LSQ, x_scale=1.0, loss="linear", ftol=1e-10, xtol=1e-8, gtol=1e-10,
                                max_nfev=MAX_NFEV)
            iterations += int(res.njev or 0)
            x = np.clip(res.x, prob.lb, prob.ub)
            c = prob.cost(x)
            if c < best:
                improved = improved or c < best * (1.0 - MIN_GAIN)
                u, best = x, c
        if not improved:
            break
    return u, iterations, best


def best_of_starts(prob: Problem, extra: Sequence[np.ndarray] = (),
                   max_rounds: int = MAX_ROUNDS) -> tuple[np.ndarray, int, float]:
    """The fit from deterministic starts, the best one kept: the priors, the corner of the ranges the cost's
    gradient at the priors points to (each parameter at the bound that lowers Σ residual²; kept at its prior where
    the gradient is 0), then ``extra`` (in range units; the named-year fit adds the basin file's values). The LP's
    response is piecewise linear, so a fit from the priors alone can stop on a kink far from the best point the
    ranges allow (the Chu, 2026-12: Apr-Sep +157 % from the priors). Returns ``(u, iterations of all the fits,
    cost)``."""
    u0 = prob.u0
    g = prob.jacobian(u0).T @ prob.residuals(u0)
    corner = np.where(g > 0, prob.lb, np.where(g < 0, prob.ub, u0))
    best: tuple[np.ndarray, float] | None = None
    iterations = 0
    for start in (u0, corner, *extra):
        u, it, c = fit(prob, start, max_rounds=max_rounds)
        iterations += it
        if best is None or c < best[1] - 1e-12:
            best = (u, c)
    assert best is not None
    return best[0], iterations, best[1]
