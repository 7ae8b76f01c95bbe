"""Hand an assembled LP (:mod:`optimizer.core.assemble`) to HiGHS in one ``passModel`` and read the results
back as arrays: the ``build="arrays"`` solve path of :func:`optimizer.core.solver.solve`.

:class:`ArrayLP` offers what :class:`optimizer.core.highs_adapter.PersistentLP` offers the solve path
(``solve`` → an object with ``termination_condition`` and ``incumbent_objective``, ``cancel``,
``model_status``), so that status handling, time limits and Ctrl-C work the same on both paths.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from types import SimpleNamespace

import highspy
import numpy as np

from optimizer.core import result as res
from optimizer.core import second_stage
from optimizer.core.assemble import Assembled
from optimizer.core.highs_adapter import HIGHS_OPTIONS, TerminationCondition
from optimizer.core.model import Inputs

_MS = highspy.HighsModelStatus
#: HiGHS's model status → the termination condition Pyomo's own HiGHS interface reports for it
_STATUS = {
    _MS.kOptimal: TerminationCondition.convergenceCriteriaSatisfied,
    _MS.kInfeasible: TerminationCondition.provenInfeasible,
    _MS.kUnboundedOrInfeasible: TerminationCondition.infeasibleOrUnbounded,
    _MS.kUnbounded: TerminationCondition.unbounded,
    _MS.kObjectiveBound: TerminationCondition.objectiveLimit,
    _MS.kObjectiveTarget: TerminationCondition.objectiveLimit,
    _MS.kTimeLimit: TerminationCondition.maxTimeLimit,
    _MS.kIterationLimit: TerminationCondition.iterationLimit,
    _MS.kLoadError: TerminationCondition.error, _MS.kModelError: TerminationCondition.error,
    _MS.kPresolveError: TerminationCondition.error, _MS.kSolveError: TerminationCondition.error,
    _MS.kPostsolveError: TerminationCondition.error,
}
if hasattr(_MS, "kInterrupt"):
    _STATUS[_MS.kInterrupt] = TerminationCondition.interrupted


def fixed_cost_moved(a: Assembled) -> tuple[np.ndarray, float]:
    """(costs, offset) of ``a`` with the cost of every fixed column (lower bound = upper bound) moved into the
    objective's constant: the same LP, the same objective value. Outside the infeasibility diagnosis the overdraft
    and end-storage shortfall columns are fixed at 0 but carry 1e6 per hm³, and HiGHS's postsolve then returned
    bases with dual infeasibilities of ~3.6e7 (2026-12-03): of 50 Talas members × 120 months, 20 ended unsure
    after the first run (Unknown, Notset, or Optimal with an infeasible primal), 0 with these costs moved."""
    fixed = np.isfinite(a.col_lo) & (a.col_lo == a.col_hi) & (a.cost != 0)
    if not fixed.any():
        return a.cost, a.offset
    cost = np.array(a.cost, dtype=float)
    offset = a.offset + float(cost[fixed] @ np.asarray(a.col_lo, dtype=float)[fixed])
    cost[fixed] = 0.0
    return cost, offset


def highs_lp(a: Assembled) -> highspy.HighsLp:
    """The assembled LP as a ``highspy.HighsLp`` (column-wise matrix, minimisation), the cost of its fixed
    columns moved into the constant (:func:`fixed_cost_moved`)."""
    lp = highspy.HighsLp()
    lp.num_row_, lp.num_col_ = a.shape
    lp.col_cost_, lp.offset_ = fixed_cost_moved(a)
    lp.col_lower_, lp.col_upper_ = a.col_lo, a.col_hi
    lp.row_lower_, lp.row_upper_ = a.row_lo, a.row_hi
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = a.A.indptr, a.A.indices, a.A.data
    return lp


_banner = threading.Lock()
_banner_done = False


def new_highs() -> highspy.Highs:
    """A ``highspy.Highs`` with output off. HiGHS prints its banner to file descriptor 1 when the process's first
    instance is made (before any option can be set): that one is made with fd 1 pointed at /dev/null, so that
    ``chutalas ... --json`` stays clean. (The Pyomo path hides it with Pyomo's own capture; the caller holds the
    solver's I/O lock, so the two redirections never nest.)"""
    global _banner_done
    with _banner:
        if _banner_done:
            h = highspy.Highs()
        else:
            sys.stdout.flush()
            saved = os.dup(1)
            try:
                with open(os.devnull, "w") as null:
                    os.dup2(null.fileno(), 1)
                    h = highspy.Highs()
            finally:
                os.dup2(saved, 1)
                os.close(saved)
            _banner_done = True
    h.setOptionValue("output_flag", False)
    return h


class ArrayLP:
    """One HiGHS instance holding the current assembled LP."""

    def __init__(self, unique: bool = True):
        """``unique``: follow every optimal solve with stage 2 (:mod:`optimizer.core.second_stage`): the primal
        values are then stage 2's, the duals and objective stage 1's (as PersistentLP(unique=True))."""
        self.highs = new_highs()
        self.highs.setOptionValue("output_flag", False)
        self.assembled: Assembled | None = None
        self.solves = 0
        self.retried = False  # the last stage 1 needed the run without presolve (second_stage.run_highs)
        self.unique = unique
        self.stage2: second_stage.Stage2 | None = None
        self._tie: np.ndarray | None = None  # tie costs of the columns (computed once per structure)
        self._tie_sig: tuple = ()
        # the last optimal solve's bases, one per stage (a warm start's): only the bounds of a re-solve change, so
        # each stage's previous optimal basis stays dual feasible for that stage's costs, and the dual simplex
        # needs a few pivots from it (starting stage 1 from stage 2's basis, or the reverse, costs a re-optimisation)
        self._basis: highspy.HighsBasis | None = None
        self._basis2: highspy.HighsBasis | None = None
        self._basis_shape: tuple = ()
        self._duals: np.ndarray | None = None  # stage 1's row duals
        # warm re-solves (the app's edits): a second instance holding stage 2's LP (costs + tie costs), so that
        # each stage keeps its own basis and factors and a re-solve after a bound change is a hot start of both
        # (no setBasis, no costs changed back and forth: measured 1.39 against 4.2 ms for both stages at 120 Chu
        # months). In sync (``_kept``) from the first warm solve after a passModel until the next passModel.
        self.highs2: highspy.Highs | None = None
        self._kept = False
        self._cost1: np.ndarray | None = None  # stage 1's costs as HiGHS holds them, while in sync

    def pass_model(self, a: Assembled) -> None:
        """Replace the LP HiGHS holds by ``a`` (one ``passModel``); the stage-2 instance is out of sync until the
        next warm solve."""
        self.assembled = a
        self.highs.passModel(highs_lp(a))
        self._kept = False

    def change_bounds(self, cols: np.ndarray, rows: np.ndarray, a: Assembled) -> None:
        """Push the bounds of columns ``cols`` and rows ``rows`` of ``a`` (an LP of the same matrix and costs) to
        the instance, and to the stage-2 instance where it is in sync; both keep their bases and factors."""
        c_lo, c_hi = np.asarray(a.col_lo, dtype=float)[cols], np.asarray(a.col_hi, dtype=float)[cols]
        r_lo, r_hi = np.asarray(a.row_lo, dtype=float)[rows], np.asarray(a.row_hi, dtype=float)[rows]
        for h in (self.highs, self.highs2) if self._kept else (self.highs,):
            assert h is not None
            if len(cols):
                h.changeColsBounds(len(cols), cols, c_lo, c_hi)
            if len(rows):
                h.changeRowsBounds(len(rows), rows, r_lo, r_hi)  # type: ignore[attr-defined]  # (in highspy, not its stubs)
        self.assembled = a

    def _keep_stage2(self, lp1: highspy.HighsLp) -> None:
        """Put stage 2's LP (``lp1``'s costs + the tie costs) and its optimal basis into the stage-2 instance, and
        stage 1's basis back into the first one (which stage 2 left holding its own)."""
        if self.highs2 is None:
            self.highs2 = new_highs()
        h2 = self.highs2
        self._cost1 = np.array(lp1.col_cost_, dtype=float)  # (unchanged while in sync: push_changes checks)
        lp1.col_cost_ = self._cost1 + self._tie
        h2.passModel(lp1)
        for k, v in {**HIGHS_OPTIONS, "output_flag": False}.items():
            h2.setOptionValue(k, v)
        assert self._basis is not None and self._basis2 is not None
        h2.setBasis(self._basis2)
        self.highs.setBasis(self._basis)
        self._kept = True

    def solve(self, time_limit: float | None, *, cold: bool = True) -> SimpleNamespace:
        """Solve (from scratch unless ``cold=False``) with the project's options: threads 1, seed 0."""
        h = self.highs
        warm = (not cold and self._basis is not None and self.assembled is not None
                and self._basis_shape == self.assembled.shape)
        kept = warm and self._kept and self.unique  # both instances hot: nothing to set
        if not warm:
            h.clearSolver()
        elif not kept and self._basis is not None:
            h.setBasis(self._basis)  # stage 1's previous optimal basis (passModel, or stage 2, replaced it)
        # HiGHS checks time_limit against its run clock, which keeps running over every solve of one instance:
        # this solve's limit is the time used so far plus time_limit (as PersistentLP._deadline); both stages share it
        t0 = time.perf_counter()
        limit = float("inf") if time_limit is None else float(h.getRunTime()) + float(time_limit)
        for k, v in {**HIGHS_OPTIONS, "output_flag": False, "time_limit": limit}.items():
            h.setOptionValue(k, v)
        self.solves += 1
        self.stage2, self._duals = None, None
        self.retried = second_stage.run_highs(h)
        info = h.getInfo()
        tc = _STATUS.get(h.getModelStatus(), TerminationCondition.unknown)
        feasible = info.primal_solution_status == 2
        out = SimpleNamespace(termination_condition=tc,
                              incumbent_objective=info.objective_function_value if feasible else None)
        if self.unique and tc == TerminationCondition.convergenceCriteriaSatisfied:
            assert self.assembled is not None
            sol = h.getSolution()
            self._duals = np.array(sol.row_dual, dtype=float)
            col = self.assembled.col
            sig = tuple((b, len(col.keys[b]), col.steps[b], str(col.keys[b][:1]), str(col.keys[b][-1:]))
                        for b in col.start)
            if self._tie is None or self._tie_sig != sig:
                self._tie, self._tie_sig = second_stage.tie_costs(col.names()), sig
                kept = self._kept = False  # (the stage-2 instance holds the former tie costs)
            if kept:
                h2 = self.highs2
                assert h2 is not None and self._cost1 is not None
                # what is left of the solve's time limit after stage 1 (the old path's one deadline on one clock)
                left = float("inf") if time_limit is None else max(float(time_limit) - (time.perf_counter() - t0), 0.0)
                h2.setOptionValue("time_limit", float(h2.getRunTime()) + left)
                st = second_stage.run_kept(h2, self._cost1, np.asarray(sol.col_value, dtype=float), self._tie)
                if st.optimal:
                    self.stage2 = st
                    return out
                self._kept = False
                if st.status in second_stage._FINAL:  # a limit or an interruption: reported so, as second_stage.run
                    self.stage2 = st
                    return out
                # (not seen) otherwise stage 2 again from stage 1's basis, as second_stage.run's own fallback
            self._basis = h.getBasis()
            self.stage2 = second_stage.run(h, self._tie, start=self._basis2 if warm else None)
            self._basis2, self._basis_shape = h.getBasis(), self.assembled.shape
            if not cold and self.stage2.optimal:
                self._keep_stage2(h.getLp())
        return out

    @property
    def stage2_kept(self) -> bool:
        """A stage-2 instance holds the allocation LP's stage 2 in sync (from the first warm solve after a
        passModel; never the infeasibility diagnosis's elastic LP)."""
        return (self.unique and self._kept and self.highs2 is not None and self.assembled is not None
                and not self.assembled.elastic)

    def solve_stage2(self, time_limit: float | None) -> second_stage.Stage2 | None:
        """Stage 2 alone on the kept stage-2 instance, after :meth:`change_bounds` (an edit: the reported
        allocation, with neither stage 1's objective nor its duals); None where no stage-2 instance is in sync (then
        :meth:`solve`). Stage 2's optimum does not depend on stage 1's (the same LP with the tie costs, solved from
        its own previous basis as :meth:`solve` does), so the values are those :meth:`solve` would report; the
        first instance holds the new bounds too and is solved by the next :meth:`solve`. ``cost_above_optimum`` and
        ``bound`` need stage 1's allocation: NaN here."""
        if not self.stage2_kept:
            return None
        h2 = self.highs2
        assert h2 is not None
        h2.setOptionValue("time_limit", float("inf") if time_limit is None else
                          float(h2.getRunTime()) + float(time_limit))
        self.stage2, self._duals = None, None  # (the first instance's solution is stale until solve())
        t0 = time.perf_counter()
        second_stage.run_highs(h2)
        seconds = time.perf_counter() - t0
        status = h2.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            self._kept = False  # (solve() re-syncs the stage-2 instance from the first one)
        return second_stage.Stage2(values=np.array(h2.getSolution().col_value, dtype=float), status=status,
                                   seconds=seconds, cost_above_optimum=float("nan"), bound=float("nan"))

    def cancel(self) -> None:
        for h in (self.highs, self.highs2):
            if h is not None:
                h.cancelSolve()

    def model_status(self):
        return self.highs.getModelStatus()

    def values(self) -> np.ndarray:
        """Primal values of every column [hm³, or the fraction for ``fair``]: stage 2's when ``unique``."""
        if self.stage2 is not None:
            if not self.stage2.optimal:
                raise RuntimeError(f"stage 2 ended with HiGHS status {self.stage2.status.name}: no unique values")
            return self.stage2.values
        return np.asarray(self.highs.getSolution().col_value)

    def duals(self) -> np.ndarray:
        """Row duals, HiGHS's sign (as Pyomo passes them on): always stage 1's, the priority-cost LP's."""
        if self._duals is not None:
            return self._duals
        return np.asarray(self.highs.getSolution().row_dual)


def block(a: Assembled, v: np.ndarray, name: str, rows: bool = False) -> np.ndarray:
    """Values of one column (or row) block as (T, elements)."""
    idx = (a.row if rows else a.col).index(name)
    return v[idx].T.copy() if idx.ndim == 2 else v[idx].copy()


def extract(lp: ArrayLP, inp: Inputs) -> res.Solution:
    """The solution as :class:`optimizer.core.result.Solution` (as ``solver._extract`` reads a Pyomo model)."""
    a = lp.assembled
    assert a is not None
    prim, dual = lp.values(), lp.duals()
    spec = inp.basin.spec
    N = [n.id for n in spec.nodes]
    col = {n: j for j, n in enumerate(N)}
    raw = block(a, dual, "balance", rows=True)
    nd = raw.copy()
    # natural inflow also enters agreement rows (a share's requirement, receipts at inflow nodes): add those
    # terms so that −node_dual is ∂objective/∂inflow as documented (solver._extract)
    recharge = {n.id: n.recharge_to for n in spec.nodes if n.recharge_to}
    chf = {n.id: n.channel_fraction for n in spec.nodes if n.kind == "inflow"}
    for n in inp.inflow.columns:
        f = chf[n]
        nd[:, col[n]] = f * raw[:, col[n]] + ((1 - f) * raw[:, col[recharge[n]]] if n in recharge else 0.0)
    ag = block(a, dual, "agreement", rows=True)
    for i, r in enumerate(inp.rows):
        y = ag[i] * (-1.0 if r.ceiling else 1.0)  # a ceiling row is written the other way round
        keep = 1.0 if r.mode == "hard" else (1.0 + r.tolerance if r.ceiling else 1.0 - r.tolerance)
        for t in r.period.steps:
            if r.kind == "share":
                for n in r.resource_inflows:
                    nd[t, col[n]] += y * (keep * r.share)
            for n in r.receipts.inflows:
                nd[t, col[n]] -= y
    return res.Solution(
        acc=block(a, prim, "acc"), acc_rel=block(a, prim, "acc_rel"),
        acc_relief=block(a, prim, "acc_unpaid") - block(a, prim, "acc_extra"),
        x=block(a, prim, "x"), s=block(a, prim, "s"), spill=block(a, prim, "spill"), q=block(a, prim, "q"),
        out=block(a, prim, "out"), env=block(a, prim, "env"), node_dual=nd,
        row_dual={r.key: float(ag[i]) for i, r in enumerate(inp.rows)}, objective=float("nan"),
        g=block(a, prim, "g"))


def requirement(inp: Inputs, row) -> float:
    """keep × requirement of a share or quota row [hm³] (the infeasibility report's "required")."""
    keep = 1.0 if row.mode == "hard" else (1.0 + row.tolerance if row.ceiling else 1.0 - row.tolerance)
    if row.kind == "share":
        steps = list(row.period.steps)
        return keep * (row.share * float(sum(inp.inflow[n].to_numpy()[steps].sum() for n in row.resource_inflows)))
    if row.kind == "quota":
        return keep * (row.volume_hm3 * row.scale)
    return float("nan")
