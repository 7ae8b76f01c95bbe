"""Stage 2 of every allocation solve: one answer among the allocations of equal priority cost (issue 15 item 1).

The priority-cost LP (stage 1, :mod:`optimizer.core.model`) has ties: five Chu demands share priority 3, water can
reach a border by equal-cost routes or in different months at the same cost, and many directions cost less than
HiGHS's tolerances can tell apart. Which of these optima the simplex reports depends on pivoting: on the order of
rows and columns, the random seed, the start basis. On the bundled Chu basin, dry and very-dry years over 600
months, reordering the LP's columns moved single flows by up to 300 hm³ at an objective equal to 3e-11 relative.

Stage 2 re-solves the same LP, warm from stage 1's basis, with a tie-break cost added to every variable j::

    min  c·x + τ_j x_j,     τ_j = TIE_COST · (1 + TIE_SPREAD · u(name_j)),    u ∈ [0, 1)

where ``name_j`` is the variable's name (``x[CH_L_BORDER,17]``: its kind, link/node id and step, never its
position) and ``u`` the first 52 bits of the name's SHA-256 as a fraction. Meaning: among allocations of (nearly)
equal priority cost, the one that moves and holds the least water (every hm³ of flow, storage, delivery and slack
costs 1e-4 to 1.5e-4 more); where that still ties, a fixed, name-derived factor decides, the same on every machine
and in every build order. Costs differing from each other by 0.5 × 1e-4 are far above HiGHS's dual tolerance, so
the optimum of stage 2 is unique in practice: on the cases above the reported flows agree to 3e-10 hm³ whatever
the row/column order (tests/test_unique.py). Smaller tie costs (1e-5, 1e-6) were tried and left 90-170 hm³ of
ambiguity; a cost cap row ``c·x ≤ z* + tol`` with a secondary objective was numerically troubled in HiGHS 1.16
(status Unknown) and its answer moves with the noise in z*; fixing the optimal face by reduced costs depended on
which near-zero reduced costs passed a threshold (benchmarks/probe_second_stage.py tells the earlier QP story).

What it costs: the tie costs are of the size of the model's own flow tie-break (FLOW_COST), 10⁴ times smaller than
any shortage weight, so stage 2 never buys a tie-break with a shortage that stage 1 avoids by more than ~1e-3 per
hm³; the reported allocation's priority cost exceeds stage 1's optimum by a measured amount returned as
``cost_above_optimum``, never more than stage 1's allocation priced at the tie costs (``bound``). Measured: 0.17
and 0.80 cost units on the Chu dry 120- and 600-month cases (2-3e-6 of the objective), up to 0.09 on 12 Talas
months (0.09 hm³ of priority-10 shortage; there the tie costs on the storage accounts trade against flow and
spill costs). Water values (duals) and the reported objective stay stage 1's.

This module talks to a ``highspy.Highs`` instance only (no Pyomo): :mod:`optimizer.core.highs_adapter` hands it
the instance Pyomo holds; a numpy/highspy assembler can hand its own with the same column names.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass

import highspy
import numpy as np

TIE_COST = 1e-4  # cost units per hm³ (per unit of a variable) added to every variable in stage 2
TIE_SPREAD = 0.5  # the name-derived factor spreads the tie cost over [1, 1 + TIE_SPREAD] × TIE_COST


def column_name(component: str, index: tuple) -> str:
    """The name a column's tie cost is derived from: ``component[i1,i2,...]`` with the flat index written by
    ``str`` (``x[CH_L_BORDER,17]``, ``acc[TA_R_KIR,KZ,3]``). Both solve paths name their columns so (the Pyomo
    model's variables by component and index, the assembled LP's blocks by block and key), so that they break ties
    alike."""
    return f"{component}[{','.join(map(str, index))}]"


#: HiGHS statuses after which a solve is run again without presolve, by the primal simplex (see run_highs)
RETRY_STATUSES = tuple(getattr(highspy.HighsModelStatus, s) for s in ("kUnknown", "kSolveError", "kPostsolveError")
                       if hasattr(highspy.HighsModelStatus, s))


def unsure(h: highspy.Highs) -> bool:
    """HiGHS ended unsure: an unsure status, or Optimal with a primal solution that is not feasible (seen on
    2026-12-03 in a 50-member × 120-month Talas ensemble: model status Optimal, primal solution status 1,
    infeasible, after 85 dual simplex iterations; the allocation read from it would not be feasible)."""
    status = h.getModelStatus()
    # (Notset after run(): seen in stage 2 of a member of that ensemble, run() having ended without a status)
    return status in RETRY_STATUSES or status == highspy.HighsModelStatus.kNotset or (
        status == highspy.HighsModelStatus.kOptimal
                                        and h.getInfo().primal_solution_status != 2)


#: the solves tried, from scratch, one after another while HiGHS ends unsure (run_highs), a safety net since the fixed
#: columns' costs moved to the objective's constant (assemble_highs.fixed_cost_moved: 0 of those 50 members unsure
#: at the first run); before that, measured on 50 members ×
#: 120 months of the Talas (scenarios.generate, seed 1; the Kirov account rows hold coefficients down to 3e-5):
#: unsure after the first run 18, after the primal simplex without presolve 13, without scaling 6, without scaling
#: or presolve 3 (2026-12-03)
RETRIES: tuple[dict, ...] = ({"presolve": "off", "simplex_strategy": 4}, {"simplex_scale_strategy": 0},
                             {"simplex_scale_strategy": 0, "presolve": "off"})


def run_highs(h: highspy.Highs) -> bool:
    """``h.run()``; while HiGHS ends unsure (:func:`unsure`: Unknown, SolveError, PostsolveError, or Optimal with an
    infeasible primal solution; on the 120-month Talas normal year, 2026-12, presolve + dual simplex ended Unknown
    with a 0.04 hm³ residual infeasibility, while the primal simplex without presolve proves the optimum) the solve
    is run again from scratch with the next options of :data:`RETRIES`, and the options are put back. Returns
    whether a second run was needed (the last run's status is HiGHS's status: still unsure after every retry, the
    caller reports a failure)."""
    h.run()
    if not unsure(h):
        return False
    for opts in RETRIES:
        saved = {k: h.getOptionValue(k)[1] for k in opts}
        h.clearSolver()
        for k, v in opts.items():
            h.setOptionValue(k, v)
        try:
            h.run()
        finally:
            for k, v in saved.items():
                h.setOptionValue(k, v)
        if not unsure(h):
            break
    return True


#: statuses after which stage 2 is not tried again from stage 1's basis: the optimum, or a limit the user set
_FINAL = tuple(getattr(highspy.HighsModelStatus, s) for s in ("kOptimal", "kTimeLimit", "kIterationLimit", "kInterrupt")
               if hasattr(highspy.HighsModelStatus, s))


def tie_factor(name: str) -> float:
    """u(name) ∈ [0, 1): the first 52 bits of SHA-256(name) as a fraction (the same on every machine)."""
    return int(hashlib.sha256(name.encode("utf-8")).hexdigest()[:13], 16) / float(16 ** 13)


def tie_costs(names: Sequence[str]) -> np.ndarray:
    """Stage 2's added cost of each variable [cost units per hm³], in the order of ``names``."""
    sha, frombytes, scale = hashlib.sha256, int.from_bytes, float(16 ** 13)
    # the first 13 hex digits of the digest = its first 7 bytes less the last 4 bits (tie_factor, faster)
    u = np.array([frombytes(sha(n.encode("utf-8")).digest()[:7], "big") >> 4 for n in names], dtype=float) / scale
    return TIE_COST * (1.0 + TIE_SPREAD * u)


@dataclass
class Stage2:
    """The outcome of stage 2: column values (in the Highs instance's column order), HiGHS's status, the time
    of its run [s], the priority cost of the stage-2 allocation above stage 1's optimum [cost units], and its
    bound: stage 1's allocation priced at the tie costs (c·x₂ + τ·x₂ ≤ c·x₁ + τ·x₁ and x₂ ≥ 0 give
    c·x₂ − c·x₁ ≤ τ·x₁)."""

    values: np.ndarray
    status: highspy.HighsModelStatus
    seconds: float
    cost_above_optimum: float
    bound: float = float("inf")

    @property
    def optimal(self) -> bool:
        return self.status == highspy.HighsModelStatus.kOptimal


def run(h: highspy.Highs, tie: np.ndarray, start: highspy.HighsBasis | None = None) -> Stage2:
    """Stage 2 on ``h``, a Highs instance that has just solved stage 1 to optimality: add ``tie`` (from
    :func:`tie_costs`, one entry per column) to the costs, re-solve from the current basis (or from ``start``, a
    previous stage 2's optimal basis of an LP of the same shape: a warm re-solve's), read the columns, and put the
    stage-1 costs back (the instance is left holding stage 1's LP and stage 2's basis). The optimum, and so the
    values, do not depend on the start (stage 2's optimum is unique; tests/test_unique.py)."""
    lp = h.getLp()
    n = int(lp.num_col_)
    if len(tie) != n:
        raise ValueError(f"stage 2 needs one tie cost per column: {len(tie)} for {n} columns")
    c = np.array(lp.col_cost_, dtype=float)
    x1 = np.array(h.getSolution().col_value, dtype=float)
    _, sense = h.getObjectiveSense()
    sign = 1.0 if sense == highspy.ObjSense.kMinimize else -1.0
    idx = np.arange(n, dtype=np.int32)
    h.changeColsCost(n, idx, c + sign * tie)
    stage1_basis = h.getBasis() if start is not None else None
    if start is not None:
        h.setBasis(start)
    t0 = time.perf_counter()
    try:
        run_highs(h)
        if stage1_basis is not None and h.getModelStatus() not in _FINAL:
            # that start did not lead HiGHS to the optimum (seen: status Notset from a kept stage-2 basis after
            # the bounds changed): stage 2 again from stage 1's optimal basis, as a cold solve does
            h.setBasis(stage1_basis)
            run_highs(h)
        seconds = time.perf_counter() - t0
        status = h.getModelStatus()
        x2 = np.array(h.getSolution().col_value, dtype=float)
    finally:
        h.changeColsCost(n, idx, c)
    return Stage2(values=x2, status=status, seconds=seconds, cost_above_optimum=sign * float(c @ (x2 - x1)),
                  bound=float(tie @ np.abs(x1)))


def run_kept(h2: highspy.Highs, cost: np.ndarray, x1: np.ndarray, tie: np.ndarray) -> Stage2:
    """Stage 2 on ``h2``, a second Highs instance that holds the stage-2 LP itself (the same rows, columns and
    bounds, costs ``cost + tie``) and its previous optimal basis and factors (a warm re-solve's: only bounds
    changed since, pushed to both instances): ``run()`` from there, no costs changed back and forth. ``cost``
    and ``x1``: stage 1's costs (as HiGHS holds them) and allocation, for ``cost_above_optimum`` and ``bound`` as
    :func:`run`. The optimum is the one :func:`run` finds (it is unique; tests/test_unique.py)."""
    t0 = time.perf_counter()
    run_highs(h2)
    seconds = time.perf_counter() - t0
    x2 = np.array(h2.getSolution().col_value, dtype=float)
    return Stage2(values=x2, status=h2.getModelStatus(), seconds=seconds,
                  cost_above_optimum=float(cost @ (x2 - x1)), bound=float(tie @ np.abs(x1)))

