r"""Ensembles: the allocation solved for every member of a set of inflow scenarios, on one machine or a
Dask cluster, with per-party risk statistics; and a robust seasonal delivery plan (two-stage LP).

    >>> import basins, optimizer
    >>> from optimizer import scenarios
    >>> talas = basins.load("talas")
    >>> q = scenarios.generate(talas, members=200, years=1, seed=1)
    >>> ens = optimizer.solve_ensemble(talas, q, workers=2)          # xr.Dataset with a member dimension
    >>> ens["p_rule_met"].to_pandas()                                # probability each rule holds
    >>> plan = optimizer.analyses.ensemble.robust_plan(talas, q.isel(member=slice(0, 30)))  # robust.py
    >>> plan.comparison                                              # robust vs normal-year plan

**How members are solved** (:mod:`optimizer.analyses.dask_run`, :mod:`optimizer.analyses.ensemble_members`).
Members are cut into chunks (one Dask task each). A task solves its members one after another through
:mod:`optimizer.core.solver`'s persistent model cache: each worker process builds the Pyomo/HiGHS model for the
structure once, before the members (start-up, reported apart: ``startup_s``, ``warm_s``), and then only rewrites
the inflow parameters (the LP is never stacked: lp-performance.md). The basin is shipped once per worker
(``client.scatter``), the chunks' inflows go straight to the workers. ``scheduler=None`` picks this process for
small runs (``dask_run.AUTO_SERIAL_MEMBER_STEPS``) and a local cluster otherwise; ``scheduler="synchronous"``
runs the same chunk function in this process, in member order; every member's LP depends only on its own data, so the serial and
distributed results are identical to the last bit (tested). A member whose LP has no solution (e.g. a
hard rule that cannot hold) is kept with NaN arrays, its ``status`` and ``message``; statistics use
the solved members only.

**Statistics** (added by :func:`statistics`, :mod:`optimizer.analyses.ensemble_stats`): ``party_shortage_hm3`` (member × party, horizon total),
its mean and quantiles (P50/P90/P95) ``shortage_quantile_hm3``, the same per 12-month year
(``annual_shortage_quantile_hm3``, over member-years), ``rule_role`` (entitlement, ceiling, quota,
reported) and ``rule_enforced`` (rule × party: a hard row of the agreement operation), ``p_rule_met``
(rule × party: share of member-periods in which the row's test holds — for a ceiling, use within it —,
applicable periods only, and **only where the operation does not enforce the rule**: an enforced rule is
a constraint, reported as "enforced — feasible in N of M members", never as a reliability),
``p_rule_met_every_period`` (share of members passing it in every period), ``rule_deficit_quantile_hm3``
(shortfall, or use over a ceiling, per member-period), ``member_min_storage_hm3`` and ``min_storage_hm3``.

**Robust seasonal plan**: :func:`robust_plan` (:mod:`optimizer.analyses.robust`). The command line
(``chutalas ensemble``) and all printing are in :mod:`optimizer.interfaces.cli_ensemble`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

import basins
from basins import Basin
from optimizer.analyses.dask_run import MAX_CHUNK, WorkerLost, run_members
from optimizer.core.agreement import rule_names
from optimizer.analyses.ensemble_members import (DIMS, LEDGER_FIELDS, VARIABLES, check_options, check_scenarios,
                                                 solve_chunk, warm_chunk)
from optimizer.analyses.ensemble_stats import QUANTILES, statistics, summary
from optimizer.analyses.robust import MAX_PLAN_MEMBERS, SEASON, SeasonalPlan, cvar, robust_plan

__all__ = ["LEDGER_FIELDS", "MAX_CHUNK", "MAX_PLAN_MEMBERS", "QUANTILES", "SEASON", "VARIABLES", "SeasonalPlan",
           "WorkerLost", "cvar", "robust_plan", "solve_ensemble", "statistics", "summary", "to_netcdf"]


def solve_ensemble(basin: Basin | str, scenarios: xr.DataArray, client: object = None, *,
                   scheduler: str | None = None, workers: int = 2, chunk_size: int | None = None,
                   foresight: str = "perfect", operation: str = "agreement", end_storage: str | dict = "initial",
                   initial_storage: dict | None = None, time_limit: float | None = 60.0,
                   variables: Sequence[str] = VARIABLES, quantiles: Sequence[float] = QUANTILES,
                   progress: bool = False) -> xr.Dataset:
    """Solve the allocation for every member of ``scenarios`` and add per-party statistics.

    Parameters
    ----------
    basin : a :class:`basins.Basin` or a bundled id / basin file path.
    scenarios : natural inflow [hm³/month], dims (member, time, node), e.g. from :func:`optimizer.analyses.scenarios.generate`.
    client : a ``dask.distributed.Client`` to send the work to (its cluster's workers need this package).
    scheduler : None (default) → automatic: this process for small runs (members × months below
        :data:`optimizer.analyses.dask_run.AUTO_SERIAL_MEMBER_STEPS`, or ``workers`` ≤ 1), else a local cluster
        of ``workers`` processes, started and closed here; ``"local"`` → always that cluster;
        ``"synchronous"`` → a plain loop in this process (same chunks, same results);
        an address (``"tcp://host:8786"``) → connect to that scheduler.
    workers : processes of the local cluster (ignored with ``client`` or an address).
    chunk_size : members per task (default: about four tasks per worker, at most 25 members each).
    foresight, operation, end_storage, initial_storage, time_limit : as in :func:`optimizer.solve`.
    variables : per-member variables to keep (default :data:`VARIABLES`).
    quantiles : shortage quantiles reported per party.
    progress : show a progress bar (tqdm, on stderr).

    Returns an ``xr.Dataset``: the variables with a leading ``member`` dimension, ``status`` / ``message`` /
    ``objective`` per member, the ledger per member (``ledger_met`` …, dim ``ledger_row``) and the
    statistics of :func:`statistics`. Its attributes say where it ran and how fast: ``scheduler``,
    ``scheduler_choice``, ``workers``, ``chunks``, ``startup_s`` (cluster start), ``warm_s`` (model build in
    every worker), ``solve_wall_s`` and ``members_per_s`` (the members' solves), ``wall_s`` (all of it).
    Raises :class:`WorkerLost` naming the members without a result when Dask workers died under them.
    """
    if isinstance(basin, str):
        basin = basins.load(basin)
    opts = check_options(foresight, operation, end_storage, initial_storage, time_limit, tuple(variables))
    q = check_scenarios(basin, scenarios)
    t0 = time.perf_counter()
    inflow = np.ascontiguousarray(q.values, dtype=float)
    run = run_members(solve_chunk, warm_chunk, basin, inflow, q["time"].values, opts, client=client,
                      scheduler=scheduler, workers=workers, chunk_size=chunk_size, progress=progress)
    ds = _assemble(basin, q, run.items, opts)
    ds.attrs.update(run.attrs())
    ds.attrs.update({
        "wall_s": round(time.perf_counter() - t0, 3),
        "solve_cpu_s": round(sum(it["cpu_s"] for it in run.items), 3),  # CPU time of the member solves, all workers
    })
    return statistics(ds, quantiles)


def _static(basin: Basin, times: pd.DatetimeIndex, inp) -> xr.Dataset:
    spec = basin.spec
    nodes = {n.id: n for n in spec.nodes}
    dem = [d.node for d in spec.demands]
    ds = xr.Dataset(
        {
            "demand_hm3": (("time", "demand"), inp.demand[dem].to_numpy(), {"units": "hm3/month"}),
            "demand_party": ("demand", [d.party or "" for d in spec.demands]),
            "link_source": ("link", [lk.source for lk in spec.links]),
            "link_target": ("link", [lk.target for lk in spec.links]),
            "node_kind": ("node", [n.kind for n in spec.nodes]),
            "node_country": ("node", [n.country for n in spec.nodes]),
            "capacity_hm3": ("reservoir", [r.capacity_hm3 for r in spec.reservoirs], {"units": "hm3"}),
            "dead_storage_hm3": ("reservoir", [r.dead_storage_hm3 for r in spec.reservoirs], {"units": "hm3"}),
            "reservoir_country": ("reservoir", [nodes[r.node].country for r in spec.reservoirs]),
            "reservoir_name": ("reservoir", [nodes[r.node].name for r in spec.reservoirs]),
            "reservoir_name_ru": ("reservoir", [nodes[r.node].name_ru or "" for r in spec.reservoirs],
                                  {"long_name": "reservoir name in Russian"}),
        },
        coords={"time": times.values, "link": [lk.id for lk in spec.links], "node": list(nodes),
                "reservoir": [r.node for r in spec.reservoirs], "demand": dem,
                "party": list(spec.agreement.parties)},
    )
    return ds


def _assemble(basin: Basin, q: xr.DataArray, items: list[dict], opts: dict) -> xr.Dataset:
    from optimizer.core.agreement import ledger_rows
    from optimizer.core.model import make_inputs

    times = pd.DatetimeIndex(q["time"].values)
    inp = make_inputs(basin, times, q.isel(member=0, drop=True), end_storage=opts["end_storage"],
                      initial_storage=opts["initial_storage"])
    ds = _static(basin, times, inp)
    items = sorted(items, key=lambda it: it["member"])
    n, T = q.sizes["member"], len(times)
    for v in opts["variables"]:
        dim = DIMS[v]
        arr = np.full((n, T, ds.sizes[dim]), np.nan)
        for i, it in enumerate(items):
            if "arrays" in it:
                arr[i] = it["arrays"][v]
        attrs = {"units": "hm3" if v == "storage_hm3" else "hm3/month"}
        ds[v] = (("member", "time", dim), arr, attrs)
    rows = ledger_rows(basin, times)
    ds.coords["ledger_row"] = np.arange(len(rows))
    for name, vals in (("rule", [r.rule for r in rows]), ("kind", [r.kind for r in rows]),
                       ("party", [r.party for r in rows]), ("period", [r.period.label for r in rows]),
                       ("role", ["quota" if r.kind == "quota" else r.role for r in rows])):
        ds.coords[f"ledger_{name}"] = ("ledger_row", vals)
    # a row the LP enforces as a hard constraint (agreement operation): its "P(met)" would only say that the
    # optimiser obeyed it, so the statistics report it as enforced, never as a reliability
    ds.coords["ledger_enforced"] = ("ledger_row", np.array(
        [opts["operation"] == "agreement" and r.mode == "hard" and (r.kind == "quota" or r.role != "reported")
         for r in rows], dtype=bool))
    for f in LEDGER_FIELDS:
        arr = np.zeros((n, len(rows)), dtype=bool) if f == "met" else np.full((n, len(rows)), np.nan)
        for i, it in enumerate(items):
            if "ledger" in it:
                arr[i] = it["ledger"][f]
        ds[f"ledger_{f}"] = (("member", "ledger_row"), arr)
    # which ledger rows a probability counts: the rule applies over the period (complete quota periods)
    applies = np.array([r.applies for r in rows], dtype=bool)
    ds["ledger_applies"] = ("ledger_row", applies)
    ds["status"] = ("member", np.array([it["status"] for it in items], dtype=str))
    ds["message"] = ("member", np.array([it["message"] for it in items], dtype=str))
    ds["objective"] = ("member", np.array([it["objective"] for it in items], dtype=float),
                       {"units": "cost units (1 = one hm3 of shortage at priority 10)"})
    ds = ds.assign_coords(member=q["member"].values)
    ds.coords["inflow_node"] = list(map(str, q["node"].values))
    ds["scenario_inflow_hm3"] = (("member", "time", "inflow_node"), q.values,
                                 {"units": "hm3/month", "long_name": "the scenarios solved"})
    ds.attrs.update({"basin": basin.id, "basin_sha256": basin.sha256(), "volume_units": "hm3 (million m3)",
                     "options": json.dumps({k: v for k, v in opts.items() if k != "variables"}, default=str),
                     # rule id → {language: name}, for reports that name the rules (optimizer.core.agreement)
                     "rule_names": json.dumps(rule_names(basin), ensure_ascii=False)})
    for k, v in q.attrs.items():  # the generator's seed, model and climate, as NetCDF-friendly attributes
        ds.attrs[f"scenario_{k}"] = v if isinstance(v, (str, int, float)) else json.dumps(v, default=str)
    return ds


def to_netcdf(ds: xr.Dataset, path: str | Path) -> Path:
    """Write an ensemble Dataset as a CF-1.11 file (:mod:`optimizer.core.netcdf`) atomically (temporary file +
    rename); booleans are stored as int8 flags. ``optimizer.core.netcdf.read`` gives the Dataset back."""
    from optimizer.core import netcdf

    basin = ds.attrs.get("basin", "basin")
    title = f"{basin}: ensemble of {ds.sizes.get('member', 0)} inflow scenarios solved under the agreement"
    return netcdf.write(ds, path, title, f"ensemble ({ds.attrs.get('options', '')})")
