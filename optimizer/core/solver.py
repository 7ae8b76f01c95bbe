"""Solve the allocation LP with HiGHS through a persistent Pyomo interface.

``solve`` builds a model the first time a network/horizon is seen and keeps it: a later call on the
same structure only rewrites the mutable parameters and re-solves (warm), which is what the app and
ensembles do on every change.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import platform
import signal
import threading
import time
from collections import OrderedDict
from importlib import metadata

import numpy as np
import pandas as pd
import pyomo.environ as pyo
import xarray as xr
from pyomo.contrib.solver.common.results import TerminationCondition
from pyomo.contrib.solver.solvers.highs import Highs

import basins
from basins import Basin
from basins.network import spill_node
from optimizer.core import result as res
from optimizer.core.errors import (
    InfeasibleAgreement,
    PhysicallyInfeasible,
    SolverFailure,
    SolverLimit,
)
from optimizer.core.model import (
    MAX_INPUT,
    Inputs,
    build,
    check_numbers,
    make_inputs,
    physics,
    set_data,
    set_elastic,
    typical_to_steps,
)

MYOPIC_STORAGE_VALUE = 0.1  # cost units per hm³ kept in storage at the end of each month (myopic operator)
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
    def __init__(self, model: pyo.ConcreteModel, solver: Highs):
        self.model, self.solver, self.lock, self.solves = model, solver, threading.Lock(), 0
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


@functools.lru_cache(maxsize=1)
def versions() -> dict:
    def v(pkg):
        try:
            return metadata.version(pkg)
        except metadata.PackageNotFoundError:
            return "unknown"

    import highspy

    h = highspy.Highs()
    return {"chutalas": v("chutalas"), "pyomo": v("pyomo"), "highspy": v("highspy"),
            "highs": f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}", "xarray": v("xarray"),
            "pandas": v("pandas"), "python": platform.python_version()}


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
        "physics": repr(physics(inp)),
        "months": inp.T,
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
        m = build(inp)
        solver = Highs()
        cfg = solver.config.auto_updates
        # only numbers change between solves of one structure: skip the costly scans
        cfg.check_for_new_or_removed_constraints = False
        cfg.check_for_new_or_removed_vars = False
        cfg.check_for_new_or_removed_params = False
        cfg.check_for_new_objective = False
        cfg.update_constraints = False
        cfg.update_vars = False
        cfg.update_named_expressions = False
        cfg.update_objective = False
        cfg.update_parameters = True
        with _HIGHS_IO:
            solver.set_instance(m)
        entry = _Entry(m, solver)
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
    # drop the previous solve's basis: the LP has ties (equal-cost routes, degenerate duals), and a warm
    # start can land on another optimal vertex than a freshly built model, so results would depend on
    # what was solved before. Solving from the same start keeps re-solves identical to a new process.
    entry.solver._solver_model.clearSolver()
    # a model just handed to HiGHS (set_instance) already holds the current numbers: skip the update pass
    entry.solver.config.auto_updates.update_parameters = entry.solves > 0
    entry.solves += 1
    with _HIGHS_IO, _sigint_cancels(entry):
        return _solve_call(entry, time_limit)


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
            entry.solver._solver_model.cancelSolve()

    prev = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, prev if prev is not None else signal.default_int_handler)
    if hit:
        raise KeyboardInterrupt


def _solve_call(entry: _Entry, time_limit: float | None):
    return entry.solver.solve(entry.model, load_solutions=False, raise_exception_on_nonoptimal_result=False,
                              # time_limit always set: a kept model must not inherit an earlier call's limit;
                              # output_flag off: HiGHS otherwise keeps logging to the process's stdout after a
                              # solve (e.g. a changeCoeff warning in the next parameter update), which would
                              # corrupt `chutalas ... --json` output
                              solver_options={"random_seed": 0, "threads": 1, "output_flag": False,
                                              "time_limit": float("inf") if time_limit is None else float(time_limit)})


def _extract(m: pyo.ConcreteModel, solver: Highs, inp: Inputs) -> res.Solution:
    prim = solver._get_primals()
    get = lambda var, keys: np.array([[prim[var[k, t]] for k in keys] for t in m.T]).reshape(inp.T, len(keys))  # noqa: E731
    duals = solver._get_duals()
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
        y = duals[m.agreement[a.key]]
        for t in a.period.steps:
            if a.kind == "share":
                for n in a.resource_inflows:
                    nd[t, col[n]] += y * pyo.value(m.keep[a.key] * m.share[a.key])
            for n in a.receipts.inflows:
                nd[t, col[n]] -= y
    return res.Solution(
        x=get(m.x, list(m.L)), s=get(m.s, list(m.R)), spill=get(m.spill, list(m.R)), q=get(m.q, list(m.D)),
        out=get(m.out, list(m.K)), env=get(m.env, list(m.LM)), node_dual=nd,
        row_dual={a: float(duals[m.agreement[a]]) for a in m.A}, objective=float("nan"), g=get(m.g, list(m.AQ)))


def _solve_entry(entry: _Entry, inp: Inputs, time_limit: float | None) -> tuple[res.Solution, str]:
    with entry.lock:
        set_data(entry.model, inp)
        r = _run(entry, time_limit)
        tc = r.termination_condition
        if tc == TerminationCondition.convergenceCriteriaSatisfied:
            sol = _extract(entry.model, entry.solver, inp)
            sol.objective = float(r.incumbent_objective)
            return sol, "optimal"
        if tc in (TerminationCondition.provenInfeasible, TerminationCondition.infeasibleOrUnbounded):
            raise _diagnose(entry, inp, time_limit)
        if tc in (TerminationCondition.maxTimeLimit, TerminationCondition.iterationLimit):
            raise SolverLimit(f"HiGHS stopped at its limit ({tc.name}, time limit {time_limit} s) before proving the "
                              "allocation optimal; raise --time-limit or shorten the horizon.")
        if _interrupted(entry, tc):  # Ctrl-C caught by HiGHS: an interruption, not bad data
            raise KeyboardInterrupt
        raise SolverFailure(f"HiGHS ended with status {tc.name}; the inputs may be badly scaled "
                            "(check capacities and inflows for absurd values).")


def _interrupted(entry: _Entry, tc) -> bool:
    """HiGHS stopped on a Ctrl-C (it catches SIGINT during a solve; Pyomo 6.10 reports that as ``error``, so
    HiGHS's own model status is asked too)."""
    if tc == TerminationCondition.interrupted:
        return True
    import highspy

    kinterrupt = getattr(highspy.HighsModelStatus, "kInterrupt", None)
    try:
        return kinterrupt is not None and entry.solver._solver_model.getModelStatus() == kinterrupt
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
            return PhysicallyInfeasible(
                "No allocation meets the physical limits even with every agreement rule and the end-of-horizon "
                "storage relaxed: check that reservoirs can hold their dead storage against evaporation and that "
                "inflows are not negative.")
        prim = entry.solver._get_primals()
        rows = []
        for a in inp.rows:
            short = prim[m.excess[a.key]]
            if a.mode == "hard" and a.applies and short > 1e-6:
                rows.append({"rule": a.rule, "kind": a.kind, "party": a.party, "period": a.period.label,
                             "required_hm3": float(pyo.value(m.keep[a.key] * m.requirement[a.key],
                                                             exception=False) if a.kind != "split" else np.nan),
                             "shortfall_hm3": short})
        for rname in m.R:
            short = prim[m.end_short[rname]]
            if short > 1e-6:
                rows.append({"rule": f"end storage {rname}", "kind": "end_storage", "party": "-", "period": "end",
                             "required_hm3": float(pyo.value(m.send[rname])), "shortfall_hm3": short})
        conflicts = pd.DataFrame(rows, columns=["rule", "kind", "party", "period", "required_hm3", "shortfall_hm3"])
        return InfeasibleAgreement(conflicts)
    finally:
        set_elastic(m, inp, False)


@functools.lru_cache(maxsize=64)
def horizon(start: str | pd.Timestamp, months: int, round_start: bool = False) -> pd.DatetimeIndex:
    """``months`` month starts from ``start``. A start inside a month is an error (a horizon is never moved
    silently) unless ``round_start`` asks for the 1st of that month."""
    if not 1 <= int(months) <= 1200:
        raise ValueError(f"months must be between 1 and 1200, got {months}")
    try:
        ts = pd.Timestamp(start)
    except (ValueError, TypeError):
        raise ValueError(f"start {start!r} is not a date; give the first month as YYYY-MM") from None
    first = ts.to_period("M").to_timestamp()
    if ts != first and not round_start:
        raise ValueError(f"start {start!r} is inside a month (the model steps by calendar month); give "
                         f"{first:%Y-%m}, or ask for rounding to {first:%Y-%m-%d} (--round-start, "
                         "round_start=True)")
    return pd.date_range(first, periods=int(months), freq="MS")


def _check_steps(times: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """An explicit series' time stamps as month starts: consecutive months, each once, in order."""
    if times.hasnans:
        raise ValueError(f"inflow time has a missing stamp at position {int(np.flatnonzero(times.isna())[0])}")
    months = times.to_period("M")
    for i in range(1, len(months)):
        if months[i] != months[i - 1] + 1:
            what = ("repeats" if months[i] == months[i - 1] else "goes back before" if months[i] < months[i - 1]
                    else f"skips {(months[i] - months[i - 1]).n - 1} month(s) after")
            raise ValueError(f"inflow time step {i} ({months[i]}) {what} step {i - 1} ({months[i - 1]}); an "
                             "explicit series needs consecutive months, each once, in order (nothing is sorted, "
                             "dropped or filled in)")
    return months.to_timestamp()


def inflow_series(basin: Basin, times: pd.DatetimeIndex, year_type: str) -> xr.DataArray:
    """The typical year of ``year_type`` repeated over ``times`` (time × inflow node, hm³/month; a leap
    February gets 29/28 of the typical February, see :func:`optimizer.core.model.typical_to_steps`)."""
    if year_type not in basin.year_types:
        raise ValueError(f"unknown year type {year_type!r}; the basin has {basin.year_types}")
    da = basin.inflow.sel(year_type=year_type, drop=True).sel(month=xr.DataArray(times.month, dims="time"))
    # a typical-year month's mean rate over the real days of each dated month (29/28 in a leap February),
    # the day count capacities and minimum flows use (optimizer.core.model.step_days)
    da = da * xr.DataArray(typical_to_steps(times), dims="time")
    return da.drop_vars("month").assign_coords(time=times).transpose("time", "node").assign_attrs(units="hm3/month")


def _check_inflow(basin: Basin, inflow: xr.DataArray) -> xr.DataArray:
    nodes = [n.id for n in basin.spec.nodes if n.kind == "inflow"]
    if set(inflow.dims) != {"time", "node"}:
        raise ValueError(f"inflow must have dims ('time', 'node'), got {inflow.dims}")
    missing = sorted(set(nodes) - set(map(str, inflow["node"].values)))
    if missing:
        raise ValueError(f"inflow lacks the inflow nodes {missing}")
    units = inflow.attrs.get("units", "hm3/month")
    if units not in ("hm3/month", "hm3"):
        raise ValueError(f"inflow must be in hm3/month (attrs['units']), got {units!r}; convert m3/s with "
                         "basins.m3s_to_hm3")
    v = inflow.sel(node=nodes).transpose("time", "node")
    if not np.isfinite(v.values).all() or (v.values < 0).any():
        raise ValueError("inflow has NaN, infinite or negative values; nothing is filled in")
    return v


def _check_initial_storage(basin: Basin, initial_storage: dict) -> dict:
    """A caller's start storages: known reservoirs (or aquifers), finite, within [dead storage, capacity] (to a
    rounding tolerance, as a previous run's end storage may be off by solver precision); stores not named keep
    the basin file's initial storage."""
    # node -> (lowest, highest, the basin file's value) [hm3]
    bounds = {r.node: (r.dead_storage_hm3, r.capacity_hm3, r.initial_storage_hm3) for r in basin.spec.reservoirs}
    bounds |= {a.node: (0.0, MAX_INPUT, a.initial_storage_hm3) for a in getattr(basin.spec, "aquifers", [])}
    unknown = sorted(set(initial_storage) - set(bounds))
    if unknown:
        raise ValueError(f"initial storage given for {unknown}, which {'is' if len(unknown) == 1 else 'are'} not "
                         f"a reservoir (or aquifer) of {basin.id}; its reservoirs are "
                         f"{sorted(r.node for r in basin.spec.reservoirs)}")
    out = {k: b[2] for k, b in bounds.items()}
    for k, v in initial_storage.items():
        low, high, _ = bounds[k]
        v = float(v)
        tol = 1e-6 * max(1.0, min(high, abs(v)) if np.isfinite(v) else 1.0)
        if not np.isfinite(v) or not low - tol <= v <= high + tol:
            limits = f"[dead storage {low:g}, capacity {high:g}]" if high < MAX_INPUT else f"[0, {high:g}]"
            raise ValueError(f"initial storage of {k} is {v!r} hm3, outside {limits} hm3")
        out[k] = v
    return out


def solve(basin: Basin | str, year_type: str = "normal", *, inflow: xr.DataArray | None = None,
          start: str = "2025-01", months: int = 12, foresight: str = "perfect", operation: str = "agreement",
          end_storage: str | dict | None = None, initial_storage: dict | None = None,
          time_limit: float | None = 60.0, round_start: bool = False) -> res.Result:
    """Allocate water month by month over a horizon and return a :class:`~optimizer.core.result.Result`.

    Parameters
    ----------
    basin : a validated :class:`basins.Basin` or a bundled id / basin file path.
    year_type : typical year repeated over the horizon (``wet``, ``normal``, ``dry``, ``very-dry``).
    inflow : explicit natural inflow [hm³/month] with dims (time, node); overrides year_type, start, months.
    start, months : first month (``YYYY-MM``) and length (1–1,200) of the horizon; a start inside a month is
        an error unless ``round_start`` (then the horizon starts on the 1st of that month).
    foresight : ``perfect`` (one LP over the horizon) or ``myopic`` (each month alone, storage carried).
    operation : ``agreement`` (rules enforced) or ``status-quo`` (upstream intakes first; rules only reported).
    end_storage : ``initial`` (end ≥ start storage; the default with perfect foresight), ``free`` (the default,
        and the only choice, when myopic), or a dict reservoir → hm³.
    time_limit : HiGHS time limit per LP [s].

    Raises :class:`~optimizer.core.errors.InfeasibleAgreement` naming the rules that conflict (hm³ short).
    """
    if isinstance(basin, str):
        basin = basins.load(basin)
    if foresight not in ("perfect", "myopic"):
        raise ValueError(f"foresight must be 'perfect' or 'myopic', not {foresight!r}")
    if end_storage is None:
        end_storage = "initial" if foresight == "perfect" else "free"
    elif foresight == "myopic" and end_storage != "free":
        raise ValueError("month-by-month (myopic) operation has no end-of-horizon storage target: an operator "
                         "without a forecast cannot plan for one; use end_storage='free' (the default for myopic)")
    if operation not in ("agreement", "status-quo"):
        raise ValueError(f"operation must be 'agreement' or 'status-quo', not {operation!r}")
    if time_limit is not None and not time_limit > 0:  # (NaN fails the comparison too)
        raise ValueError(f"time limit must be a positive number of seconds (or None for no limit), not {time_limit!r}")
    start_storage = None if initial_storage is None else _check_initial_storage(basin, initial_storage)
    if inflow is not None:
        inflow = _check_inflow(basin, inflow)
        times = _check_steps(pd.DatetimeIndex(inflow["time"].values))
        inflow = inflow.assign_coords(time=times)
        horizon(times[0], len(times))
        label = "explicit series"
    else:
        times = horizon(start, months, round_start)
        inflow = inflow_series(basin, times, year_type)
        label = year_type
    upstream_first = operation == "status-quo"
    options = {"year_type": label, "start": str(times[0].date()), "months": len(times), "foresight": foresight,
               "operation": operation, "end_storage": end_storage, "initial_storage": initial_storage}
    t_all = time.perf_counter()
    timings: dict = {}
    full = make_inputs(basin, times, inflow, end_storage=end_storage, upstream_first=upstream_first,
                       initial_storage=start_storage)
    check_numbers(full)
    spill_to = {r.node: spill_node(basin.spec, r.node) for r in basin.spec.reservoirs}
    if foresight == "perfect":
        entry = _persistent(full, timings)
        t0 = time.perf_counter()
        sol, status = _solve_entry(entry, full, time_limit)
        timings["solve_s"] = time.perf_counter() - t0
    else:
        sol, status = _solve_myopic(basin, full, inflow, timings, time_limit, upstream_first)
    ds = res.make_dataset(full, sol, spill_to)
    led = res.ledger(ds, full, sol.row_dual)
    costs = res.cost_sharing(ds, full)
    objective = sol.objective if foresight == "perfect" else res.objective(ds, full, led)
    h = hashlib.sha256()
    h.update(basin.sha256().encode())
    h.update(json.dumps(options, sort_keys=True, default=str).encode())
    h.update(inflow.values.astype("<f8").tobytes())
    manifest = {
        "inputs_sha256": h.hexdigest(), "basin": basin.id, "basin_sha256": basin.sha256(),
        "options": options, "versions": dict(versions()), "solver": "HiGHS (pyomo.contrib.solver persistent)",
        "status": status, "objective": objective,
        "objective_units": "cost units (1 = one hm3 of shortage at priority 10)",
        "build_s": round(timings.get("build_s", 0.0), 6), "solve_s": round(timings.get("solve_s", 0.0), 6),
        "total_s": round(time.perf_counter() - t_all, 6), "model_reused": not timings.get("rebuilt", True),
    }
    ds.attrs["inputs_sha256"] = manifest["inputs_sha256"]
    return res.Result(ds, led, costs, manifest)


def _solve_myopic(basin: Basin, full: Inputs, inflow: xr.DataArray, timings: dict, time_limit, upstream_first):
    """Month by month: each month's LP alone (rules held month by month, quotas in equal monthly parts),
    storage carried forward, end-of-month storage valued at MYOPIC_STORAGE_VALUE (no end-of-horizon target:
    an operator without a forecast cannot plan for one)."""
    parts = []
    storage = dict(full.initial_storage)
    build_s = solve_s = 0.0
    for i, ts in enumerate(full.times):
        times = full.times[i:i + 1]
        inp = make_inputs(basin, times, inflow.isel(time=[i]), end_storage="free", upstream_first=upstream_first,
                          storage_value=MYOPIC_STORAGE_VALUE, monthly_rules=True, initial_storage=storage)
        t: dict = {}
        entry = _persistent(inp, t)
        build_s += t["build_s"]
        t0 = time.perf_counter()
        sol, _ = _solve_entry(entry, inp, time_limit)
        solve_s += time.perf_counter() - t0
        parts.append(sol)
        storage = dict(zip(list(entry.model.R), sol.s[-1])) | dict(zip(list(entry.model.AQ), sol.g[-1]))
    timings.update(build_s=build_s, solve_s=solve_s)
    return res.Solution.concat(parts), "optimal"
