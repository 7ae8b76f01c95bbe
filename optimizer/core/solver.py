"""Solve the allocation LP with HiGHS.

``solve(build="arrays")`` (the default) assembles the LP with numpy/scipy (optimizer.core.assemble) and passes
it to HiGHS in one ``passModel`` (optimizer.core.solve_arrays); ``build="pyomo"`` goes through Pyomo's
persistent interface: a model is built the first time a network/horizon is seen and kept, and a later call on
the same structure only rewrites the mutable parameters and re-solves. tests/test_assemble.py proves both
paths hand HiGHS the same LP.

Every solve has two stages (:mod:`optimizer.core.second_stage`): the priority-cost LP, whose duals are the
water values and whose optimum is the reported objective, then the tie-break that picks one allocation among the
optimal ones; the reported flows, storages and ledger are stage 2's, the same whatever the build order, the HiGHS
seed or the start basis (to 1e-6 hm³). Stage 1 starts cold unless ``warm_start`` asks for the previous basis: the
allocation is then the same, but where the LP's dual is degenerate the water values and rule prices may be another
equally valid dual than a cold start gives (measured: up to 9.1 cost units per hm³ at one Talas node and month of a
very-dry year), so cold stays the default and the water values are reproducible as before.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import signal
import threading
import time
from collections import OrderedDict

import numpy as np
import pandas as pd
import pyomo.environ as pyo
import xarray as xr

from basins import Basin

from optimizer.core import accounts
from optimizer.core import result as res
from optimizer.core.agreement import rule_names
from optimizer.core.highs_adapter import PersistentLP, TerminationCondition
from optimizer.core.errors import CONFLICT_COLUMNS, InfeasibleAgreement, SolverFailure, SolverLimit
from optimizer.core.model import Inputs, build, set_data, set_elastic
from optimizer.core.physics import key as physics_key
from optimizer.core.provenance import versions  # noqa: F401 - part of solver's namespace (calibration, callers)
from optimizer.core.diagnosis import _ROW_WORDS, _VAR_WORDS, _iis_words, account_conflicts  # noqa: F401
from optimizer.core.diagnosis import physically_infeasible as _physically_infeasible
from optimizer.core.horizon_inputs import (  # noqa: F401 - part of solver's namespace (callers, tests)
    _check_inflow, _check_initial_storage, _check_steps, horizon, inflow_series,
)
from optimizer.core.myopic import MYOPIC_STORAGE_VALUE  # noqa: F401 - kept importable from here (tests, callers)
from optimizer.core.myopic import solve_myopic as _solve_myopic
from optimizer.core.problem import BUILDS, Prepared, finish, prepare  # noqa: F401 - (callers: solve_arrays, reoptimize)

_CACHE_SIZE = 64  # kept models at most ...
#: ... and at most this many MB of them (estimated, see _Entry.mb); CHUTALAS_MODEL_CACHE_MB overrides
_CACHE_MB = float(os.environ.get("CHUTALAS_MODEL_CACHE_MB", "256"))
#: measured with tracemalloc on the Chu model (12-120 months): ~1.5 kB of Pyomo + HiGHS per variable or row
_KB_PER_VAR_OR_ROW = 1.6

# Concurrency (the app serves many sessions from one process, one script thread each): a kept model has its
# own lock, so two sessions never write one model's numbers at once; and every call into Pyomo's HiGHS
# interface that redirects the process's stdout/stderr (set_instance and solve wrap HiGHS in
# pyomo.common.tee.capture_output(capture_fd=True), which swaps file descriptors 1 and 2 of the whole
# process) holds _HIGHS_IO, so no two redirections ever nest across threads (they deadlocked: "TeeStream:
# deadlock observed joining reader threads"). HiGHS takes milliseconds on these LPs; building a model and
# reading the solution (pure Python, the bulk of the time) run outside it.
_HIGHS_IO = threading.Lock()


class _Entry:
    def __init__(self, model: pyo.ConcreteModel, lp: PersistentLP):
        self.model, self.lp, self.lock = model, lp, threading.Lock()
        self.warm = False  # the next solve starts from the previous basis (set by _solve_entry)
        self.mb = (model.nvariables() + model.nconstraints()) * _KB_PER_VAR_OR_ROW / 1024


_cache: "OrderedDict[str, _Entry]" = OrderedDict()
_cache_lock = threading.Lock()


def cache_mb() -> float:
    """Estimated memory of the kept models [MB]."""
    return sum(e.mb for e in list(_cache.values()))


def clear_cache() -> None:
    """Forget every persistent model (the next solve rebuilds)."""
    with _cache_lock:
        _cache.clear()


def structure_key(inp: Inputs) -> str:
    """What fixes the LP's structure: the network, the rule rows and the horizon (not the numbers)."""
    spec = inp.basin.spec
    k = {
        "nodes": [(n.id, n.kind) for n in spec.nodes],
        "links": [(lk.id, lk.source, lk.target) for lk in spec.links],
        "cap": list(inp.capacity.columns), "min": list(inp.min_flow.columns), "inflow": list(inp.inflow.columns),
        "res": [(r.node, r.spill_to) for r in spec.reservoirs],
        "dem": [(d.node, d.return_node) for d in spec.demands],
        # a row's months (steps) are part of its expressions: the same period label covers different
        # months of horizons that start in different months (e.g. "2025 Apr-Sep" from Jan or from Apr)
        "rows": [(a.key, a.period.steps, a.kind, a.receipts.model_dump_json(), a.resource_inflows, a.reservoir)
                 for a in inp.rows],
        "physics": physics_key(inp),
        "accounts": [a.model_dump_json(exclude={"initial_balance_hm3", "description", "source"})
                     for a in spec.agreement.storage_accounts],
        "equal_priority": (spec.agreement.equal_priority, [(d.node, d.party, d.priority) for d in spec.demands]),
        "months": inp.T, "step": inp.step,
        "schedule": [] if inp.schedule is None else list(inp.schedule.columns),
    }
    return hashlib.sha256(json.dumps(k, default=str, sort_keys=True).encode()).hexdigest()


def _persistent(inp: Inputs, timings: dict) -> _Entry:
    key = structure_key(inp)
    with _cache_lock:
        entry = _cache.get(key)
        if entry is not None:
            _cache.move_to_end(key)
    if entry is None:
        t0 = time.perf_counter()
        # the build allocates ~10⁵ Pyomo objects and no reference cycles that matter: the cyclic garbage
        # collector's passes over them are pure overhead (issue 15: 1.59× on the build alone)
        gc_was_on = gc.isenabled()
        gc.disable()
        try:
            m = build(inp)
            with _HIGHS_IO:  # Pyomo's output redirection is process-wide: one hand-off or solve at a time
                entry = _Entry(m, PersistentLP(m, unique=True))
        finally:
            if gc_was_on:
                gc.enable()
        timings["build_s"] = time.perf_counter() - t0
        timings["rebuilt"] = True
        with _cache_lock:
            _cache[key] = entry
            # evict the least recently used (never the entry just built: a model over the limit still solves)
            while len(_cache) > 1 and (len(_cache) > _CACHE_SIZE or cache_mb() > _CACHE_MB):
                _cache.popitem(last=False)
    else:
        timings["build_s"] = 0.0  # the kept model's numbers are rewritten in _solve_entry
        timings["rebuilt"] = False
    return entry


def _run(entry: _Entry, time_limit: float | None):
    # cold (entry.warm False): drop the previous solve's basis, so that the water values (stage 1's duals, not unique
    # where the dual is degenerate) are what a freshly built model gives. Warm: HiGHS starts from the previous
    # basis; stage 2 (optimizer.core.second_stage) keeps the reported allocation the same (to 1e-6 hm³).
    with _HIGHS_IO, _sigint_cancels(entry):
        return _solve_call(entry, time_limit)


def _solve_call(entry: _Entry, time_limit: float | None):
    """The HiGHS call itself (a seam for the tests of non-optimal statuses)."""
    return entry.lp.solve(time_limit, cold=not entry.warm)


@contextlib.contextmanager
def _sigint_cancels(entry: _Entry):
    """In the main thread, a Ctrl-C during the HiGHS call cancels the solve and then raises KeyboardInterrupt
    (HiGHS's own interrupt callback would swallow it and end with a solve error that reads like bad data)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    hit: list[int] = []

    def handler(signum, frame):
        hit.append(signum)
        with contextlib.suppress(Exception):
            entry.lp.cancel()

    prev = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, prev if prev is not None else signal.default_int_handler)
    if hit:
        raise KeyboardInterrupt


def _extract(m: pyo.ConcreteModel, lp: PersistentLP, inp: Inputs) -> res.Solution:
    prim = lp.values()
    get = lambda var, keys: np.array([[prim[var[k, t]] for k in keys] for t in m.T]).reshape(inp.T, len(keys))  # noqa: E731
    duals = lp.duals()
    nd = np.array([[duals[m.balance[n, t]] for n in m.N] for t in m.T]).reshape(inp.T, len(m.N))
    # natural inflow also enters agreement rows (a share's requirement, receipts at inflow nodes): add those
    # terms so that −node_dual is ∂objective/∂inflow as documented, not only the balance's part of it
    col = {n: j for j, n in enumerate(m.N)}
    raw = nd.copy()
    recharge = {n.id: n.recharge_to for n in inp.basin.spec.nodes if n.recharge_to}
    for n in m.NI:  # channel_fraction × inflow enters the node's balance, the rest its aquifer's (if any)
        f = pyo.value(m.chf[n])
        nd[:, col[n]] = f * raw[:, col[n]] + ((1 - f) * raw[:, col[recharge[n]]] if n in recharge else 0.0)
    for a in inp.rows:
        y = duals[m.agreement[a.key]] * (-1.0 if a.ceiling else 1.0)  # a ceiling row is written the other way round
        for t in a.period.steps:
            if a.kind == "share":
                for n in a.resource_inflows:
                    nd[t, col[n]] += y * pyo.value(m.keep[a.key] * m.share[a.key])
            for n in a.receipts.inflows:
                nd[t, col[n]] -= y
    acc_bal, acc_rel, acc_relief = accounts.extract(m, prim, inp.T)
    return res.Solution(
        acc=acc_bal, acc_rel=acc_rel, acc_relief=acc_relief,
        x=get(m.x, list(m.L)), s=get(m.s, list(m.R)), spill=get(m.spill, list(m.R)), q=get(m.q, list(m.D)),
        out=get(m.out, list(m.K)), env=get(m.env, list(m.LM)), node_dual=nd,
        row_dual={a: float(duals[m.agreement[a]]) for a in m.A}, objective=float("nan"), g=get(m.g, list(m.AQ)))


def _solve_entry(entry: _Entry, inp: Inputs, time_limit: float | None,
                 warm: bool = False) -> tuple[res.Solution, str]:
    """Write ``inp`` into the kept model and solve it (both stages); ``warm``: stage 1 starts from the previous
    basis (the allocation is the same; water values may be another valid dual, see the module docstring)."""
    with entry.lock:
        entry.warm = warm
        set_data(entry.model, inp)
        return outcome(entry, inp, _run(entry, time_limit), time_limit,
                       lambda: _extract(entry.model, entry.lp, inp), _diagnose)


def outcome(entry, inp: Inputs, r, time_limit: float | None, extract, diagnose) -> tuple[res.Solution, str]:
    """What a solve's HiGHS status means, the same on both build paths: the solution (``extract()``; stage 2's
    allocation, stage 1's objective and duals), or the typed error: the diagnosis (``diagnose(entry, inp,
    time_limit)``) of an infeasible agreement, a solver limit, an interruption, a failure."""
    tc = r.termination_condition
    if tc == TerminationCondition.convergenceCriteriaSatisfied and r.incumbent_objective is None:
        raise SolverFailure("HiGHS reported the allocation optimal but its solution is not feasible, even after "
                            "a second solve without presolve; the inputs may be badly scaled (check capacities and "
                            "inflows for absurd values).")
    if tc == TerminationCondition.convergenceCriteriaSatisfied:
        _check_stage2(entry, time_limit)
        sol = extract()
        sol.objective = float(r.incumbent_objective)  # stage 1's optimum (the priority cost)
        st = entry.lp.stage2
        if st is not None:
            sol.stage2_s, sol.cost_above_optimum, sol.cost_bound = st.seconds, st.cost_above_optimum, st.bound
        return sol, "optimal"
    if tc in (TerminationCondition.provenInfeasible, TerminationCondition.infeasibleOrUnbounded):
        raise diagnose(entry, inp, time_limit)
    if tc in (TerminationCondition.maxTimeLimit, TerminationCondition.iterationLimit):
        raise SolverLimit(f"HiGHS stopped at its limit ({tc.name}, time limit {time_limit} s) before proving the "
                          "allocation optimal; raise --time-limit or shorten the horizon.")
    if _interrupted(entry, tc):  # Ctrl-C caught by HiGHS: an interruption, not bad data
        raise KeyboardInterrupt
    raise SolverFailure(f"HiGHS ended with status {tc.name}; the inputs may be badly scaled "
                        "(check capacities and inflows for absurd values).")


def _check_stage2(entry: _Entry, time_limit: float | None) -> None:
    """Stage 2 (the tie-break among optimal allocations) must have been solved too; raises otherwise."""
    st = entry.lp.stage2
    if st is None or st.optimal:
        return
    import highspy

    if st.status in (highspy.HighsModelStatus.kTimeLimit, highspy.HighsModelStatus.kIterationLimit):
        raise SolverLimit(f"HiGHS found the optimal priority cost but stopped at its limit ({st.status.name}, time "
                          f"limit {time_limit} s) in the tie-break that makes the allocation unique; raise "
                          "--time-limit or shorten the horizon.")
    if st.status == getattr(highspy.HighsModelStatus, "kInterrupt", None):
        raise KeyboardInterrupt
    raise SolverFailure(f"HiGHS found the optimal priority cost but ended the tie-break that makes the allocation "
                        f"unique with status {st.status.name}; the inputs may be badly scaled.")


def _interrupted(entry: _Entry, tc) -> bool:
    """HiGHS stopped on a Ctrl-C (it catches SIGINT during a solve; Pyomo 6.10 reports that as ``error``, so
    HiGHS's own model status is asked too)."""
    if tc == TerminationCondition.interrupted:
        return True
    import highspy

    kinterrupt = getattr(highspy.HighsModelStatus, "kInterrupt", None)
    try:
        return kinterrupt is not None and entry.lp.model_status() == kinterrupt
    except AttributeError:
        return False


def _diagnose(entry: _Entry, inp: Inputs, time_limit) -> Exception:
    """Elastic re-solve: every hard row may fall short at a high cost; report those that do."""
    m = entry.model
    set_elastic(m, inp, True)
    try:
        r = _run(entry, time_limit)
        tc = r.termination_condition
        if tc in (TerminationCondition.maxTimeLimit, TerminationCondition.iterationLimit):
            return SolverLimit(f"HiGHS found the hard rules infeasible but stopped at its limit ({tc.name}, time "
                               f"limit {time_limit} s) while finding which rules conflict; raise --time-limit or "
                               "shorten the horizon.")
        if _interrupted(entry, tc):
            raise KeyboardInterrupt
        if tc not in (TerminationCondition.convergenceCriteriaSatisfied, TerminationCondition.provenInfeasible,
                      TerminationCondition.infeasibleOrUnbounded):
            return SolverFailure(f"HiGHS ended the infeasibility diagnosis with status {tc.name}; the inputs may be "
                                 "badly scaled (check capacities and inflows for absurd values).")
        if tc != TerminationCondition.convergenceCriteriaSatisfied:
            set_elastic(m, inp, False)
            return _physically_infeasible(m, inp, time_limit)
        try:
            _check_stage2(entry, time_limit)
        except (SolverLimit, SolverFailure) as exc:
            return exc
        over_vars = [m.acc_over[k, t] for k in m.ACC for t in m.T]
        rel_vars = [m.acc_rel[k, t] for k in m.ACC for t in m.T]
        prim = entry.lp.values([m.excess[a.key] for a in inp.rows] + [m.end_short[r] for r in m.R]
                               + over_vars + rel_vars)
        rows = []
        for a in inp.rows:
            short = prim[m.excess[a.key]]
            if a.mode == "hard" and a.applies and short > 1e-6:
                rows.append({"rule": a.rule, "kind": a.kind, "party": a.party, "reservoir": "",
                             "period": a.period.label,
                             "required_hm3": float(pyo.value(m.keep[a.key] * m.requirement[a.key],
                                                             exception=False) if a.kind != "split" else np.nan),
                             "shortfall_hm3": short})
        for rname in m.R:
            short = prim[m.end_short[rname]]
            if short > 1e-6:
                rows.append({"rule": f"end storage {rname}", "kind": "end_storage", "party": "-", "reservoir": rname,
                             "period": "end", "required_hm3": float(pyo.value(m.send[rname])),
                             "shortfall_hm3": short})
        T = inp.T
        rows += account_conflicts(inp, np.array([prim[v] for v in over_vars]).reshape(-1, T),
                                  np.array([prim[v] for v in rel_vars]).reshape(-1, T))
        conflicts = pd.DataFrame(rows, columns=CONFLICT_COLUMNS)
        return InfeasibleAgreement(conflicts, names=rule_names(inp.basin))
    finally:
        set_elastic(m, inp, False)


def solve(basin: Basin | str, year_type: str = "normal", *, inflow: xr.DataArray | None = None,
          start: str = "2025-01", months: int = 12, foresight: str = "perfect", operation: str = "agreement",
          end_storage: str | dict | None = None, initial_storage: dict | None = None,
          time_limit: float | None = 60.0, step: str | None = None, schedule=None,
          initial_accounts: dict | None = None, round_start: bool = False, warm_start: bool = False,
          build: str = "arrays") -> res.Result:
    """Allocate water month by month over a horizon and return a :class:`~optimizer.core.result.Result`.

    Parameters
    ----------
    basin : a validated :class:`basins.Basin` or a bundled id / basin file path.
    year_type : typical year repeated over the horizon (``wet``, ``normal``, ``dry``, ``very-dry``, ``extreme-dry``).
    inflow : explicit natural inflow [hm³/month] with dims (time, node); overrides year_type, start, months.
    start, months : first month (``YYYY-MM``) and length (1–1,200 calendar months) of the horizon; a start inside
        a month is an error unless ``round_start`` (then the horizon starts on the 1st of that month).
    step : ``month`` (default), ``dekad`` (days 1–10, 11–20, 21–end) or ``day``; every step has its real length.
        With ``inflow`` the step is read from its time coordinate unless given.
    foresight : ``perfect`` (one LP over the horizon) or ``myopic`` (each month alone, storage carried).
    operation : ``agreement`` (rules enforced), ``status-quo`` (upstream intakes first, a stress scenario; rules
        only reported) or ``schedule`` (the agreed ``schedule`` delivered at its posts first, every intake by its
        priority taking the remainder; rules only reported).
    schedule : for ``operation="schedule"``: a :class:`optimizer.core.schedule.Schedule` (or a DataFrame
        step start × post link of hm³ per step) on the horizon's steps.
    end_storage : ``initial`` (end ≥ start storage; the default with perfect foresight), ``free`` (the default,
        and the only choice, when myopic), or a dict reservoir → hm³.
    time_limit : HiGHS time limit per LP [s] (SolverLimit when HiGHS stops at it). HiGHS checks it between
        iterations: a solve it finishes before its first check (a warm re-solve of a few iterations) is a proven
        optimum and is returned, even past a tiny limit.
    initial_accounts : start balances of the storage accounts, (reservoir, party) → hm³; their proportions are
        kept and scaled to the start storage above dead storage (optimizer.core.accounts). Default: the file's.
    build : ``arrays`` (default: the LP assembled with numpy/scipy, optimizer.core.assemble, one passModel) or
        ``pyomo`` (the Pyomo model of optimizer.core.model through Pyomo's persistent HiGHS interface). Both
        give the same LP (tests/test_assemble.py).

    warm_start : start HiGHS from the kept model's previous basis (faster re-solves: the app, ensembles). Flows,
        storages and the ledger are the same as cold (stage 2, to 1e-6 hm³); water values and rule prices may be
        another equally valid dual where the LP's dual is degenerate. Default cold: every number as a new process.

    Raises :class:`~optimizer.core.errors.InfeasibleAgreement` naming the rules that conflict (hm³ short).
    """
    p = prepare(basin, year_type, inflow=inflow, start=start, months=months, foresight=foresight,
                operation=operation, end_storage=end_storage, initial_storage=initial_storage,
                time_limit=time_limit, step=step, schedule=schedule, initial_accounts=initial_accounts,
                round_start=round_start, build=build)
    timings: dict = {}
    if foresight == "perfect":
        persistent, solve_entry = _path(build)
        entry = persistent(p.full, timings)
        t0 = time.perf_counter()
        sol, status = solve_entry(entry, p.full, time_limit, warm_start)
        timings["solve_s"] = time.perf_counter() - t0
        if build == "arrays":  # assembling and passing the LP happen in each solve: report them as the build
            timings["build_s"] = entry.build_s
            timings["solve_s"] -= entry.build_s
    else:
        sol, status = _solve_myopic(p.basin, p.full, p.inflow, timings, time_limit, p.upstream_first, warm_start,
                                    build)
    return finish(p, sol, status, timings, warm_start=warm_start, build=build)


def _path(build: str):
    """(keep-or-make an entry, solve it) for ``build``: the arrays path lives in optimizer.core.solve_arrays."""
    if build == "pyomo":
        return _persistent, _solve_entry
    from optimizer.core import solve_arrays

    return solve_arrays.persistent, solve_arrays.solve_entry
