"""The one place that talks to Pyomo's HiGHS interface (``pyomo.contrib.solver.solvers.highs.Highs``).

The rest of :mod:`optimizer.core` sees only :class:`PersistentLP`: hand a built model to HiGHS once,
re-solve it after its mutable Params changed, and read primal values and duals back through the
results object's public ``solution_loader`` (``get_vars`` / ``get_duals``).

With ``unique=True`` (the allocation, :mod:`optimizer.core.solver`) every solve has two stages: Pyomo's solve of
the priority-cost LP (stage 1: its duals and objective are what :meth:`PersistentLP.duals` and the results report),
then :func:`optimizer.core.second_stage.run` on the same HiGHS instance (stage 2: the reported primal values, the
same whatever the build order, seed or start basis). Because of that, a warm start (``cold=False``) is safe there.

Private attributes of Pyomo's interface used here, and only here, so that a Pyomo upgrade breaks one module
(``pyproject.toml`` caps Pyomo to the tested versions); Pyomo 6.8–6.10 give no public equivalent:
``_solver_model`` (the ``highspy.Highs`` instance: dropping the basis for a cold start, cancelling a running solve,
HiGHS's own model status, its run clock for a per-solve time limit, and stage 2), ``_pyomo_var_to_solver_var_map`` and ``_vars`` (which HiGHS column is
which Pyomo variable, to name stage 2's columns and read its values back).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from pyomo.common.collections import ComponentMap
from pyomo.contrib.solver.common.results import Results, TerminationCondition
from pyomo.contrib.solver.solvers.highs import Highs

from optimizer.core import second_stage

__all__ = ["HIGHS_OPTIONS", "PersistentLP", "TerminationCondition"]

#: HiGHS options of every solve (one thread: the machine's cores go to parallel members, not to one LP). Dual
#: pricing by devex (``simplex_dual_edge_weight_strategy`` 1) instead of HiGHS's default choice (dual steepest
#: edge): stage 2 is a warm re-solve of the whole LP (no presolve from a basis), where steepest-edge weights cost
#: more than they save (measured 2026-12, 600-month Chu normal year: stage 2 0.36 s with devex against 0.86 s,
#: stage 1 0.69 s against 0.76 s). The allocation does not depend on these options (stage 2):
#: tests/test_unique.py changes the seed and the pricing to show it.
HIGHS_OPTIONS: dict[str, Any] = {"random_seed": 0, "threads": 1, "simplex_dual_edge_weight_strategy": 1}


class PersistentLP:
    """A Pyomo model handed to HiGHS once and re-solved after parameter changes."""

    def __init__(self, model, updates: str = "parameters", unique: bool = False):
        """``updates``: what may change between solves and is pushed to HiGHS before each one,
        ``"parameters"`` (mutable Params: the allocation model) or ``"variables"`` (variable bounds).
        ``unique``: follow every optimal solve with stage 2 (:mod:`optimizer.core.second_stage`); the primal
        values are then stage 2's, the duals and objective stage 1's."""
        if updates not in ("parameters", "variables"):
            raise ValueError(f"updates must be 'parameters' or 'variables', not {updates!r}")
        self.model, self.updates = model, updates
        self.solver = Highs()
        cfg = self.solver.config.auto_updates
        # only numbers change between solves of one structure: skip the costly scans
        cfg.check_for_new_or_removed_constraints = False
        cfg.check_for_new_or_removed_vars = False
        cfg.check_for_new_or_removed_params = False
        cfg.check_for_new_objective = False
        cfg.update_constraints = False
        cfg.update_vars = updates == "variables"
        cfg.update_named_expressions = False
        cfg.update_objective = False
        cfg.update_parameters = updates == "parameters"
        self.solver.set_instance(model)
        self.solves = 0
        self.results: Results | None = None
        self.unique = unique
        self.stage2: second_stage.Stage2 | None = None
        self._columns: list | None = None  # Pyomo variable of each HiGHS column (stage 2)
        self._tie: np.ndarray | None = None

    def highs(self):
        """The ``highspy.Highs`` instance Pyomo holds (private: no public accessor in Pyomo <= 6.10)."""
        return self.solver._solver_model

    def columns(self) -> list:
        """The Pyomo variable of each HiGHS column, in column order (private maps: no public equivalent)."""
        if self._columns is None:
            cols: list = [None] * len(self.solver._pyomo_var_to_solver_var_map)
            for vid, j in self.solver._pyomo_var_to_solver_var_map.items():
                cols[j] = self.solver._vars[vid][0]
            self._columns = cols
        return self._columns

    def column_names(self) -> list[str]:
        """Each HiGHS column's Pyomo name (``x[CH_L_BORDER,17]``): what stage 2's tie costs are derived from."""
        out = []
        for v in self.columns():
            idx = v.index()
            out.append(second_stage.column_name(v.parent_component().local_name,
                                                idx if isinstance(idx, tuple) else (idx,)))
        return out

    def forget_basis(self) -> None:
        """Drop the previous solve's basis so that the next solve starts as a freshly built model would."""
        self.solver._solver_model.clearSolver()  # private: no public equivalent in Pyomo <= 6.10

    def cancel(self) -> None:
        """Ask HiGHS to stop the running solve (Ctrl-C in the main thread, optimizer.core.solver)."""
        self.solver._solver_model.cancelSolve()

    def model_status(self):
        """HiGHS's own model status of the last solve (highspy.HighsModelStatus)."""
        return self.solver._solver_model.getModelStatus()

    def solve(self, time_limit: float | None, *, cold: bool = True) -> Results:
        """Push changed Params to HiGHS (not needed right after hand-off) and solve; returns Pyomo's results
        (stage 1's). ``cold``: drop the previous basis first (needed for reproducible values only without
        ``unique``). With ``unique``, an optimal stage 1 is followed by stage 2 (see :attr:`stage2`)."""
        self.stage2 = None
        if cold:
            self.forget_basis()
        # a model just handed to HiGHS (set_instance) already holds the current numbers: skip the update pass
        if self.updates == "parameters":
            self.solver.config.auto_updates.update_parameters = self.solves > 0
        self.solves += 1
        # time_limit always set: a kept model must not inherit an earlier call's limit; output_flag off: HiGHS
        # otherwise keeps logging to the process's stdout after a solve (e.g. a changeCoeff warning in the next
        # parameter update), which would corrupt `chutalas ... --json` output; presolve and simplex strategy always
        # set, since the retry below changes them on the instance
        options = {**HIGHS_OPTIONS, "output_flag": False, "presolve": "choose", "simplex_strategy": 1,
                   "simplex_scale_strategy": 2,  # (HiGHS's default)
                   "time_limit": float("inf") if time_limit is None else self._deadline(time_limit)}
        self.results = self.solver.solve(self.model, load_solutions=False, raise_exception_on_nonoptimal_result=False,
                                         solver_options=options)
        for retry in second_stage.RETRIES:  # while HiGHS is unsure: as second_stage.run_highs
            if not second_stage.unsure(self.highs()):
                break
            self.forget_basis()
            self.results = self.solver.solve(
                self.model, load_solutions=False, raise_exception_on_nonoptimal_result=False,
                solver_options={**options, **retry})
        if self.unique and self.results.termination_condition == TerminationCondition.convergenceCriteriaSatisfied:
            if self._tie is None:
                self._tie = second_stage.tie_costs(self.column_names())
            self.stage2 = second_stage.run(self.highs(), self._tie)
        return self.results

    def _stage2_values(self) -> np.ndarray:
        assert self.stage2 is not None
        if not self.stage2.optimal:
            raise RuntimeError(f"stage 2 ended with HiGHS status {self.stage2.status.name}: no unique values to read")
        return self.stage2.values

    def _results(self) -> Results:
        if self.results is None:
            raise RuntimeError("no solve yet: call PersistentLP.solve first")
        return self.results

    def _deadline(self, time_limit: float) -> float:
        """HiGHS checks ``time_limit`` against its run clock, which keeps running over every solve of one instance
        (a kept model hit a 60 s limit after ~60 s of earlier solves: 2,178 of 3,000 ensemble members failed with
        maxTimeLimit); the limit of this solve is therefore the time used so far plus ``time_limit``."""
        try:
            used = float(self.solver._solver_model.getRunTime())  # private: highspy.Highs of Pyomo's interface
        except AttributeError:  # no instance yet
            used = 0.0
        return used + float(time_limit)

    def load(self) -> None:
        """Load the last solve's primal values (stage 2's with ``unique``) into the model's variables."""
        if self.stage2 is None:
            self._results().solution_loader.load_vars()
            return
        for v, x in zip(self.columns(), self._stage2_values(), strict=True):
            v.set_value(float(x), skip_validation=True)

    def values(self, variables: Iterable | None = None) -> ComponentMap:
        """Primal values of the last solve (a ComponentMap var → value; all variables when None); with
        ``unique`` stage 2's."""
        if self.stage2 is None:
            return self._results().solution_loader.get_vars(None if variables is None else list(variables))
        x = self._stage2_values()
        if variables is None:
            return ComponentMap((v, float(x[j])) for j, v in enumerate(self.columns()))
        col = self.solver._pyomo_var_to_solver_var_map
        return ComponentMap((v, float(x[col[id(v)]])) for v in variables)

    def duals(self, constraints: Iterable | None = None):
        """Row duals of the last solve (a ComponentMap constraint → dual; all rows when None): always stage 1's,
        the priority-cost LP's water values."""
        return self._results().solution_loader.get_duals(None if constraints is None else list(constraints))


def standard_form(model):
    """Pyomo's public standard form of ``model`` as arrays for HiGHS: (compiler info, A (CSC), row lower, row
    upper, column lower, column upper); the costs are ``info.c``."""
    import numpy as np
    from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

    info = LinearStandardFormCompiler().write(model, mixed_form=True, set_sense=None)
    A = info.A.tocsc()
    lo = np.array([-np.inf if v.lb is None else v.lb for v in info.columns], float)
    hi = np.array([np.inf if v.ub is None else v.ub for v in info.columns], float)
    rl, ru = np.full(A.shape[0], -np.inf), np.full(A.shape[0], np.inf)
    for i, (_, mult) in enumerate(info.rows):
        if mult <= 0:
            rl[i] = info.rhs[i]
        if mult >= 0:
            ru[i] = info.rhs[i]
    return info, A, rl, ru, lo, hi


def iis(model, time_limit: float | None = 60.0) -> tuple[list, list] | None:
    """An irreducible infeasible subset of ``model`` (its active constraints and variable bounds), from HiGHS's
    ``getIis`` on the LP that Pyomo's public standard-form compiler produces. Returns (constraints, variables)
    as Pyomo component data, or None when HiGHS finds none (e.g. the model is feasible, or the limit is hit)."""
    import highspy
    import numpy as np

    from pyomo.common.errors import InfeasibleConstraintException

    try:
        info, A, rl, ru, lo, hi = standard_form(model)
    except InfeasibleConstraintException:  # a row with no variables left that cannot hold: no matrix to ask
        return None
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = A.shape[1], A.shape[0]
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = np.zeros(A.shape[1]), lo, hi
    lp.row_lower_, lp.row_upper_ = rl, ru
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = A.indptr, A.indices, A.data
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float("inf") if time_limit is None else float(time_limit))
    h.passModel(lp)
    h.setOptionValue("iis_strategy", 4)  # find a true (irreducible) IIS; the default light test finds none here
    status, found = h.getIis()
    if status != highspy.HighsStatus.kOk or not found.valid_ or not (len(found.row_index_) or len(found.col_index_)):
        return None
    rows = list({id(info.rows[i][0]): info.rows[i][0] for i in found.row_index_}.values())
    cols = list({id(info.columns[j]): info.columns[j] for j in found.col_index_}.values())
    return rows, cols
