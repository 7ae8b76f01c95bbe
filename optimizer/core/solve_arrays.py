"""The ``build="arrays"`` solve path of :func:`optimizer.core.solver.solve`: the LP assembled with numpy/scipy
(:mod:`optimizer.core.assemble`), passed to HiGHS in one ``passModel`` and read back as arrays
(:mod:`optimizer.core.assemble_highs`). Status handling, time limits, Ctrl-C and the infeasibility diagnosis are
those of the Pyomo path (the same ``solver._run`` seam, the same messages); HiGHS's irreducible infeasible set,
when even the relaxed LP is infeasible, is found on the Pyomo model, whose rows and columns it names.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pandas as pd

from optimizer.core import result as res
from optimizer.core.agreement import rule_names
from optimizer.core import solver as S
from optimizer.core.assemble import assemble
from optimizer.core.assemble_highs import ArrayLP, fixed_cost_moved
from optimizer.core.assemble_highs import extract as arrays_extract
from optimizer.core.assemble_highs import requirement as arrays_requirement
from optimizer.core.errors import CONFLICT_COLUMNS, InfeasibleAgreement, SolverFailure, SolverLimit
from optimizer.core.highs_adapter import TerminationCondition
from optimizer.core.model import Inputs, build


#: memory of a kept arrays entry per row or column [kB], an estimate: the assembled arrays take 0.12 kB (tracemalloc,
#: benchmarks/bench_solve.py A_MB), HiGHS's own copy of the LP and its factors (not traced) about as much again
_KB_PER_ROW_OR_COL = 0.5


class _ArrayEntry:
    """A kept HiGHS instance for one LP structure; every solve re-assembles the numbers. A warm solve pushes to
    HiGHS only the changed bounds (push_changes), or passes the whole LP where more changed; a cold solve always
    passes the whole LP, so that its answer cannot depend on what the instance solved before (an ensemble's
    members in another order or chunking: tests/test_solver_limits.py)."""

    model = None

    def __init__(self, lp: ArrayLP):
        self.lp, self.lock = lp, threading.Lock()
        self.warm = False  # stage 1 from the previous basis (solver._solve_call reads it)
        self.mb = 0.0
        self.build_s = 0.0  # assembling + passModel of the last solve [s]


def persistent(inp: Inputs, timings: dict) -> _ArrayEntry:
    key = "arrays:" + S.structure_key(inp)
    with S._cache_lock:
        kept = S._cache.get(key)
        entry = kept if isinstance(kept, _ArrayEntry) else None
        if entry is not None:
            S._cache.move_to_end(key)
    timings["rebuilt"] = entry is None
    timings["build_s"] = 0.0  # assembling is part of every solve (solve_entry)
    if entry is None:
        with S._HIGHS_IO:  # (the process's first Highs is made with fd 1 redirected: assemble_highs.new_highs)
            entry = _ArrayEntry(ArrayLP())
        with S._cache_lock:
            S._cache[key] = entry  # type: ignore[assignment]  # (the cache holds entries of both paths)
    return entry


def _evict() -> None:
    """Drop the least recently used entries over the cache's limits (never the last one: it is being solved)."""
    with S._cache_lock:
        while len(S._cache) > 1 and (len(S._cache) > S._CACHE_SIZE or S.cache_mb() > S._CACHE_MB):
            S._cache.popitem(last=False)


def solve_entry(entry: _ArrayEntry, inp: Inputs, time_limit: float | None,
                warm: bool = False) -> tuple[res.Solution, str]:
    """As :func:`optimizer.core.solver._solve_entry`, on the assembled LP (both stages; ``warm``: stage 1 from the
    previous basis, which a freshly passed LP of the same shape keeps). Cold, the whole LP is passed (one
    ``passModel``: 3.3–3.5 ms, 1–2 % of a cold 120-month solve) rather than the changed bounds pushed: measured on
    ten 120-month Talas members, pushing made what HiGHS kept from the previous member decide which of them ended
    unsure (one SolverFailure in file order, three in reverse order)."""
    with entry.lock:
        entry.warm = warm
        t0 = time.perf_counter()
        a = assemble(inp)
        if not (warm and push_changes(entry.lp, a)):
            entry.lp.pass_model(a)
        entry.build_s = time.perf_counter() - t0
        # (a warm solve keeps stage 2 in a second instance: ArrayLP.highs2)
        entry.mb = (a.shape[0] + a.shape[1]) * _KB_PER_ROW_OR_COL / 1024 * (
            1.5 if warm or entry.lp.highs2 is not None else 1.0)
        _evict()
        return S.outcome(entry, inp, S._run(entry, time_limit), time_limit,  # type: ignore[arg-type]
                         lambda: arrays_extract(entry.lp, inp), diagnose)


def push_changes(lp: ArrayLP, a) -> bool:
    """If HiGHS holds an LP that differs from ``a`` only in column and row bounds (an edited inflow, capacity or
    requirement: the same matrix, costs and offset), push only the changed bounds (changeColsBounds /
    changeRowsBounds) to the kept instance (and its stage-2 instance, ArrayLP.change_bounds), which keep their bases
    and factorisations; returns False (nothing done) otherwise, when the caller passes the whole LP."""
    prev = lp.assembled
    if prev is None or prev.shape != a.shape or prev.offset != a.offset or not (
            np.array_equal(prev.cost, a.cost) and np.array_equal(prev.A.indptr, a.A.indptr)
            and np.array_equal(prev.A.indices, a.A.indices) and np.array_equal(prev.A.data, a.A.data)):
        return False
    if not (np.array_equal(prev.col_lo == prev.col_hi, a.col_lo == a.col_hi)
            and fixed_cost_moved(prev)[1] == fixed_cost_moved(a)[1]):
        # HiGHS holds a fixed column's cost in its constant (assemble_highs.highs_lp): with a column fixed or
        # freed, or the constant moved, the costs or the constant it holds would be stale
        return False
    cols = np.flatnonzero((prev.col_lo != a.col_lo) | (prev.col_hi != a.col_hi)).astype(np.int32)
    rows = np.flatnonzero((prev.row_lo != a.row_lo) | (prev.row_hi != a.row_hi)).astype(np.int32)
    lp.change_bounds(cols, rows, a)
    return True


def diagnose(entry: _ArrayEntry, inp: Inputs, time_limit) -> Exception:
    """As :func:`optimizer.core.solver._diagnose`: the elastic LP assembled and solved; HiGHS's IIS (when even that is infeasible) is
    found on the Pyomo model, whose rows and columns it names."""
    a = assemble(inp, elastic=True)
    entry.lp.pass_model(a)
    entry.warm = False  # the diagnosis from scratch (its answer not the previous solve's), no stage 2 kept for it
    r = S._run(entry, time_limit)  # type: ignore[arg-type]
    tc = r.termination_condition
    if tc in (TerminationCondition.maxTimeLimit, TerminationCondition.iterationLimit):
        return SolverLimit(f"HiGHS found the hard rules infeasible but stopped at its limit ({tc.name}, time "
                           f"limit {time_limit} s) while finding which rules conflict; raise --time-limit or "
                           "shorten the horizon.")
    if S._interrupted(entry, tc):  # type: ignore[arg-type]
        raise KeyboardInterrupt
    if tc not in (TerminationCondition.convergenceCriteriaSatisfied, TerminationCondition.provenInfeasible,
                  TerminationCondition.infeasibleOrUnbounded):
        return SolverFailure(f"HiGHS ended the infeasibility diagnosis with status {tc.name}; the inputs may be "
                             "badly scaled (check capacities and inflows for absurd values).")
    if tc != TerminationCondition.convergenceCriteriaSatisfied:
        return S._physically_infeasible(build(inp), inp, time_limit)
    try:
        S._check_stage2(entry, time_limit)  # type: ignore[arg-type]
    except (SolverLimit, SolverFailure) as exc:
        return exc
    prim = entry.lp.values()
    excess, end_short = prim[a.col.index("excess")], prim[a.col.index("end_short")]
    rows = []
    for i, row in enumerate(inp.rows):
        if row.mode == "hard" and row.applies and excess[i] > 1e-6:
            rows.append({"rule": row.rule, "kind": row.kind, "party": row.party, "reservoir": "",
                         "period": row.period.label,
                         "required_hm3": arrays_requirement(inp, row), "shortfall_hm3": float(excess[i])})
    for i, rname in enumerate(res_.node for res_ in inp.basin.spec.reservoirs):
        if end_short[i] > 1e-6:
            rows.append({"rule": f"end storage {rname}", "kind": "end_storage", "party": "-", "reservoir": rname,
                         "period": "end",
                         "required_hm3": float(inp.end_storage[rname]), "shortfall_hm3": float(end_short[i])})
    over, rel = prim[a.col.index("acc_over")], prim[a.col.index("acc_rel")]
    rows += S.account_conflicts(inp, over.reshape(-1, inp.T), rel.reshape(-1, inp.T))
    conflicts = pd.DataFrame(rows, columns=CONFLICT_COLUMNS)
    return InfeasibleAgreement(conflicts, names=rule_names(inp.basin))
