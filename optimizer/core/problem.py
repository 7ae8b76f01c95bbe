"""A solve's problem, checked, and its Result: :func:`prepare` runs every check of :func:`optimizer.solve` on its
arguments and makes the model inputs (nothing solved); :func:`finish` turns a solution into the
:class:`~optimizer.core.result.Result` with its manifest. Shared by :func:`optimizer.core.solver.solve` and
:class:`optimizer.core.reoptimize.Reoptimizer`, so that both check, record and hash a problem alike."""

from __future__ import annotations

import functools
import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

import pandas as pd
import xarray as xr

import basins
from basins import Basin
from basins.network import spill_node

from optimizer.core import accounts, second_stage, timesteps
from optimizer.core import result as res
from optimizer.core.horizon_inputs import (_check_inflow, _check_initial_storage, _check_steps, horizon,
                                           inflow_series)
from optimizer.core.model import Inputs, check_numbers, make_inputs
from optimizer.core.provenance import versions

BUILDS = ("arrays", "pyomo")  # solve(build=...): optimizer.core.solve_arrays, or Pyomo's persistent interface
_SOLVER_WORDS = {"pyomo": "HiGHS (Pyomo persistent interface, optimizer.core.highs_adapter)",
                 "arrays": "HiGHS (LP assembled as arrays by optimizer.core.assemble, one passModel)"}

@dataclass
class Prepared:
    """A solve's checked inputs (:func:`prepare`): the basin, the horizon's inflow (time × node, hm³ per step),
    the model inputs, the options recorded in the manifest, and when preparing began (``t_all``)."""

    basin: Basin
    inflow: xr.DataArray
    full: Inputs
    options: dict
    label: str
    step: str
    foresight: str
    upstream_first: bool
    t_all: float


def prepare(basin: Basin | str, year_type: str = "normal", *, inflow: xr.DataArray | None = None,
            start: str = "2025-01", months: int = 12, foresight: str = "perfect", operation: str = "agreement",
            end_storage: str | dict | None = None, initial_storage: dict | None = None,
            time_limit: float | None = 60.0, step: str | None = None, schedule=None,
            initial_accounts: dict | None = None, round_start: bool = False, build: str = "arrays") -> Prepared:
    """Every check of :func:`solve` on its arguments, and the model inputs they give (nothing is solved)."""
    t_all = time.perf_counter()
    if isinstance(basin, str):
        basin = basins.load(basin)
    if foresight not in ("perfect", "myopic"):
        raise ValueError(f"foresight must be 'perfect' or 'myopic', not {foresight!r}")
    if end_storage is None:
        end_storage = "initial" if foresight == "perfect" else "free"
    elif foresight == "myopic" and end_storage != "free":
        raise ValueError("month-by-month (myopic) operation has no end-of-horizon storage target: an operator "
                         "without a forecast cannot plan for one; use end_storage='free' (the default for myopic)")
    if operation not in ("agreement", "status-quo", "schedule"):
        raise ValueError(f"operation must be 'agreement', 'status-quo' or 'schedule', not {operation!r}")
    if (operation == "schedule") != (schedule is not None):
        raise ValueError("operation='schedule' needs a schedule, and a schedule needs operation='schedule'")
    if operation == "schedule" and foresight != "perfect":
        raise ValueError("schedule operation runs with perfect foresight over the season (foresight='perfect')")
    if build not in BUILDS:
        raise ValueError(f"build must be one of {BUILDS}, not {build!r}")
    if time_limit is not None and not time_limit > 0:  # (NaN fails the comparison too)
        raise ValueError(f"time limit must be a positive number of seconds (or None for no limit), not {time_limit!r}")
    start_storage = None if initial_storage is None else _check_initial_storage(basin, initial_storage)
    if inflow is not None:
        inflow = _check_inflow(basin, inflow)
        times = pd.DatetimeIndex(inflow["time"].values)
        try:
            inferred = timesteps.infer_step(times)  # consecutive steps from the 1st of a month, or an error
        except ValueError:
            if len(times) and (times.day == 1).all():
                _check_steps(times)  # a monthly series: say which month repeats, goes back or skips
            raise
        if step is not None and timesteps.check_step(step) != inferred:
            raise ValueError(f"the inflow series is given per {inferred}, not per {step}")
        step = inferred
        label = "explicit series"
    else:
        step = timesteps.check_step(step or "month")
        times = horizon(start, months, step, round_start)
        inflow = inflow_series(basin, times, year_type, step)
        label = year_type
    upstream_first = operation == "status-quo"
    n_months = len(pd.period_range(times[0], times[-1], freq="M"))
    options = {"year_type": label, "start": str(times[0].date()), "months": n_months, "step": step,
               "steps": len(times), "foresight": foresight,
               "operation": operation, "end_storage": end_storage, "initial_storage": initial_storage}
    start_accounts = accounts.check_initial(basin.spec, initial_accounts, (
        start_storage if start_storage is not None else {r.node: r.initial_storage_hm3 for r in basin.spec.reservoirs}))
    full = make_inputs(basin, times, inflow, end_storage=end_storage, upstream_first=upstream_first,
                       initial_storage=start_storage, step=step, initial_accounts=start_accounts)
    if schedule is not None:
        from optimizer.core.schedule import plan_table
        full.schedule = plan_table(schedule, basin, times)
        full.rules_enforced = False  # the schedule is what is operated; the rules are reported
        options["schedule_sha256"] = hashlib.sha256(full.schedule.to_numpy().astype("<f8").tobytes()).hexdigest()
    check_numbers(full)
    return Prepared(basin, inflow, full, options, label, step, foresight, upstream_first, t_all)


def finish(p: Prepared, sol: res.Solution, status: str, timings: dict, *, warm_start: bool,
           build: str = "arrays") -> res.Result:
    """The :class:`~optimizer.core.result.Result` of a solved :class:`Prepared` problem: the Dataset, the ledger
    and cost split (made when first read), the manifest (inputs' hash, versions, stages, status, timings)."""
    basin, full, inflow, options, label, step = p.basin, p.full, p.inflow, p.options, p.label, p.step
    t_all = p.t_all
    spill_to = {r.node: spill_node(basin.spec, r.node) for r in basin.spec.reservoirs}
    ds = res.make_dataset(full, sol, spill_to)
    # the ledger and the cost split are made when first read (Result), except where the objective needs them
    led: Any = functools.partial(res.ledger, ds, full, sol.row_dual)
    costs = functools.partial(res.cost_sharing, ds, full)
    if p.foresight == "perfect":
        objective = sol.objective
    else:
        led = led()
        objective = res.objective(ds, full, led)
    basin_sha = basin.sha256()
    h = hashlib.sha256()
    h.update(basin_sha.encode())
    h.update(json.dumps(options, sort_keys=True, default=str).encode())
    h.update(inflow.values.astype("<f8").tobytes())
    manifest = {
        "inputs_sha256": h.hexdigest(), "basin": basin.id, "basin_sha256": basin_sha,
        "options": options, "versions": dict(versions()), "solver": _SOLVER_WORDS[build],
        "stages": ("1: the priority-cost LP (objective and water values are its optimum and duals); 2: the same LP "
                   f"with a tie-break cost of {second_stage.TIE_COST:g}-{second_stage.TIE_COST * (1 + second_stage.TIE_SPREAD):g}"
                   " per hm3 on every variable, derived from its name (flows, storage and ledger are its optimum: "
                   "the same whatever the build order, seed or start basis; optimizer.core.second_stage)"),
        "stage2_s": round(sol.stage2_s, 6), "warm_start": warm_start,
        "stage2_cost_above_optimum": sol.cost_above_optimum, "stage2_cost_bound": sol.cost_bound,
        "status": status, "objective": objective,
        "series": ("explicit series per " + step if label == "explicit series" else
                   "typical year per month" + ("" if step == "month" else f", spread over {step}s: "
                                               + timesteps.DISAGGREGATION)),
        "objective_units": "cost units (1 = one hm3 of shortage at priority 10)",
        "build_s": round(timings.get("build_s", 0.0), 6), "solve_s": round(timings.get("solve_s", 0.0), 6),
        "total_s": round(time.perf_counter() - t_all, 6), "model_reused": not timings.get("rebuilt", True),
    }
    ds.attrs["inputs_sha256"] = manifest["inputs_sha256"]
    return res.Result(ds, led, costs, manifest)
