r"""Ensembles: the allocation solved for every member of a set of inflow scenarios, on one machine or a
Dask cluster, with per-party risk statistics; and a robust seasonal delivery plan (two-stage LP).

    >>> import basins, optimizer
    >>> from optimizer import scenarios
    >>> talas = basins.load("talas")
    >>> q = scenarios.generate(talas, members=200, years=1, seed=1)
    >>> ens = optimizer.solve_ensemble(talas, q, workers=2)          # xr.Dataset with a member dimension
    >>> ens["p_rule_met"].to_pandas()                                # probability each rule holds
    >>> plan = optimizer.analyses.ensemble.robust_plan(talas, q.isel(member=slice(0, 30)))
    >>> plan.comparison                                              # robust vs normal-year plan

**How members are solved.** Members are cut into chunks (one Dask task each). A task solves its members
one after another through :mod:`optimizer.core.solver`'s persistent model cache: the worker process builds
the Pyomo/HiGHS model for the structure once and then only rewrites the inflow parameters (the LP is
never stacked: lp-performance.md). The basin is shipped once per worker (``client.scatter``), the
chunks' inflows go straight to the workers. ``scheduler="synchronous"`` runs the same chunk function
in this process, in member order; every member's LP depends only on its own data, so the serial and
distributed results are identical to the last bit (tested). A member whose LP has no solution (e.g. a
hard rule that cannot hold) is kept with NaN arrays, its ``status`` and ``message``; statistics use
the solved members only.

**Statistics** (added by :func:`statistics`): ``party_shortage_hm3`` (member × party, horizon total),
its mean and quantiles (P50/P90/P95) ``shortage_quantile_hm3``, the same per 12-month year
(``annual_shortage_quantile_hm3``, over member-years), ``rule_role`` (entitlement, ceiling, quota,
reported) and ``rule_enforced`` (rule × party: a hard row of the agreement operation), ``p_rule_met``
(rule × party: share of member-periods in which the row's test holds — for a ceiling, use within it —,
applicable periods only, and **only where the operation does not enforce the rule**: an enforced rule is
a constraint, reported as "enforced — feasible in N of M members", never as a reliability),
``p_rule_met_every_period`` (share of members passing it in every period), ``rule_deficit_quantile_hm3``
(shortfall, or use over a ceiling, per member-period), ``member_min_storage_hm3`` and ``min_storage_hm3``.

**Robust seasonal plan** (:func:`robust_plan`). First stage: a delivery schedule u[t] ≥ 0 to the
downstream party at its receipt points (the border links of its seasonal quota) for the plan months
(Apr–Sep of the horizon). Second stage, per member ω: the full allocation LP of that member
(:func:`optimizer.core.model.build`, one Pyomo Block each, its own objective C_ω) plus ::

    r_ω[t] + δ_ω[t] ≥ u[t]                      (δ: scheduled water not delivered, hm³)
    L_ω = C_ω + π Σ_t δ_ω[t] − β Σ_t u[t]        (π = ``penalty``, β = ``value``; cost units)

    min  (1/N) Σ_ω L_ω + λ [ η + 1/((1−α) N) Σ_ω z_ω ],   z_ω ≥ L_ω − η,  z_ω ≥ 0

(Rockafellar–Uryasev CVaR at level α, weight λ = ``weight``). β is what a scheduled hm³ is worth to the
party that plans on it (default 1: one priority-10 hm³), π what a broken promise costs (default 10:
a shortage at priority 1). Without β the best schedule is no schedule; with π > β a schedule is kept
only where water is reliably there. The *normal-year plan* is the same problem solved on the
basin's normal year alone (one member, no uncertainty); both plans are then evaluated on the same
members (the normal-year plan by fixing u and re-solving the second stages), so the difference of
their objectives is the value of the stochastic solution.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import xarray as xr

import basins
from basins import Basin
from optimizer.analyses import scenarios as scen
from optimizer.analyses.dask_run import WorkerLost
from optimizer.analyses.dask_run import distributed as _distributed
from optimizer.analyses.dask_run import quiet_close as _quiet_close
from optimizer.core.agreement import Row
from optimizer.core.errors import SolveError

#: The per-member variables kept by default (names and meaning as in :class:`optimizer.core.result.Result`).
VARIABLES = ("storage_hm3", "delivery_hm3", "shortage_hm3", "received_hm3", "entitlement_hm3", "flow_hm3",
             "delivered_hm3", "natural_inflow_hm3", "spill_hm3", "evaporation_hm3", "outflow_hm3",
             "min_flow_shortfall_hm3")
_DIMS = {"storage_hm3": "reservoir", "spill_hm3": "reservoir", "evaporation_hm3": "reservoir",
         "delivery_hm3": "demand", "shortage_hm3": "demand", "received_hm3": "party", "entitlement_hm3": "party",
         "flow_hm3": "link", "delivered_hm3": "link", "min_flow_shortfall_hm3": "link",
         "natural_inflow_hm3": "node", "outflow_hm3": "node"}
QUANTILES = (0.5, 0.9, 0.95)
MAX_CHUNK = 25  # members per task at most (progress granularity, load balance)
LEDGER_FIELDS = ("met", "required_hm3", "received_hm3", "deficit_hm3")


# ---- inputs --------------------------------------------------------------------------------------

def _inflow_nodes(basin: Basin) -> list[str]:
    return [n.id for n in basin.spec.nodes if n.kind == "inflow"]


def _check_scenarios(basin: Basin, scenarios: xr.DataArray) -> xr.DataArray:
    """(member, time, node) in hm³/month over the basin's inflow nodes, finite and ≥ 0; nothing is filled."""
    if not isinstance(scenarios, xr.DataArray):
        raise TypeError(f"scenarios must be an xarray.DataArray (member, time, node), not {type(scenarios).__name__}")
    if scenarios.ndim == 2 and set(scenarios.dims) == {"time", "node"}:
        scenarios = scenarios.expand_dims(member=[0])
    if set(scenarios.dims) != {"member", "time", "node"}:
        raise ValueError(f"scenarios must have dims ('member', 'time', 'node'), got {scenarios.dims}; "
                         "make them with optimizer.analyses.scenarios.generate")
    units = scenarios.attrs.get("units", "hm3/month")
    if units not in ("hm3/month", "hm3"):
        raise ValueError(f"scenarios must be in hm3/month (attrs['units']), got {units!r}")
    nodes = _inflow_nodes(basin)
    missing = sorted(set(nodes) - set(map(str, scenarios["node"].values)))
    if missing:
        raise ValueError(f"scenarios lack the inflow nodes {missing} of basin {basin.id!r}")
    v = scenarios.sel(node=nodes).transpose("member", "time", "node")
    if not np.isfinite(v.values).all() or (v.values < 0).any():
        bad = np.unique(np.nonzero(~np.isfinite(v.values) | (v.values < 0))[0])
        raise ValueError(f"scenarios have NaN, infinite or negative inflow in members {bad[:10].tolist()}; "
                         "nothing is filled in")
    times = pd.DatetimeIndex(v["time"].values).to_period("M").to_timestamp()
    if len(times) > 1 and not (times[1:] == times[:-1] + pd.offsets.MonthBegin(1)).all():
        raise ValueError("scenario months must be consecutive")
    return v.assign_coords(time=times)


def _options(foresight: str, operation: str, end_storage, initial_storage, time_limit, variables) -> dict:
    if foresight not in ("perfect", "myopic"):
        raise ValueError(f"foresight must be 'perfect' or 'myopic', not {foresight!r}")
    if operation not in ("agreement", "status-quo"):
        raise ValueError(f"operation must be 'agreement' or 'status-quo', not {operation!r}")
    unknown = sorted(set(variables) - set(_DIMS))
    if unknown:
        raise ValueError(f"unknown variables {unknown}; choose from {sorted(_DIMS)}")
    return {"foresight": foresight, "operation": operation, "end_storage": end_storage,
            "initial_storage": initial_storage, "time_limit": time_limit, "variables": tuple(variables)}


# ---- one member (runs in the worker) -------------------------------------------------------------

def _layout(inp) -> dict:
    """What :func:`_arrays` needs that is the same for every member of a structure (computed once a chunk)."""
    spec = inp.basin.spec
    nodes = [n.id for n in spec.nodes]
    rules = spec.agreement.share_rules
    parties = list(spec.agreement.parties)
    shares = []
    if rules:  # as result.add_party_receipts: the basin's first share rule
        r = rules[0]
        shares = [(j, Row(r.id, "share", p, None, r.receipts[p], r.mode, r.tolerance, r.penalty,
                          share=r.shares.get(p, 0.0), resource_inflows=list(r.resource_inflows)))
                  for j, p in enumerate(parties) if p in r.receipts]
    mins = list(inp.min_flow.columns)
    return {
        "nodes": nodes, "loss": np.array([lk.loss_fraction for lk in spec.links]),
        "demand": inp.demand[[d.node for d in spec.demands]].to_numpy(),
        "inflow_at": [nodes.index(str(c)) for c in inp.inflow.columns],
        "sink_at": [nodes.index(n.id) for n in spec.nodes if n.kind == "sink"],
        "min_at": [(j, mins.index(lk.id)) for j, lk in enumerate(spec.links) if lk.id in mins],
        "parties": parties, "shares": shares,
        "static": {"link": np.array([lk.id for lk in spec.links]), "node": np.array(nodes),
                   "reservoir": np.array([r.node for r in spec.reservoirs]),
                   "link_source": np.array([lk.source for lk in spec.links]),
                   "demand": np.array([d.node for d in spec.demands])},
        "rf": np.array([d.return_fraction for d in spec.demands]),
    }


def _arrays(inp, sol, variables, layout: dict | None = None) -> tuple[dict, pd.DataFrame]:
    """A member's variables and ledger from the LP solution, computed exactly as
    :func:`optimizer.core.result.make_dataset` / :func:`~optimizer.core.result.ledger` do, with numpy only
    (``tests/test_ensemble.py`` holds them equal to a single run, bit for bit)."""
    from optimizer.core import result as res

    L = layout or _layout(inp)
    T, nodes = inp.T, L["nodes"]
    natural = np.zeros((T, len(nodes)))
    natural[:, L["inflow_at"]] = inp.inflow.to_numpy()
    delivered = sol.x * (1 - L["loss"])
    arrays = {"storage_hm3": sol.s, "spill_hm3": sol.spill, "flow_hm3": sol.x, "delivered_hm3": delivered,
              "delivery_hm3": sol.q, "shortage_hm3": L["demand"] - sol.q, "natural_inflow_hm3": natural}
    if "evaporation_hm3" in variables:
        arrays["evaporation_hm3"] = res.evaporation(inp, sol.s)
    if "outflow_hm3" in variables:
        out = np.zeros((T, len(nodes)))
        out[:, L["sink_at"]] = sol.out
        arrays["outflow_hm3"] = out
    if "min_flow_shortfall_hm3" in variables:
        env = np.zeros((T, len(L["loss"])))
        for j, k in L["min_at"]:
            env[:, j] = sol.env[:, k]
        arrays["min_flow_shortfall_hm3"] = env
    # the duck-typed Dataset that result.Accounts reads
    ds = {k: SimpleNamespace(values=v) for k, v in L["static"].items()}
    ds.update({"delivered_hm3": SimpleNamespace(values=delivered), "flow_hm3": SimpleNamespace(values=sol.x),
               "natural_inflow_hm3": SimpleNamespace(values=natural), "spill_hm3": SimpleNamespace(values=sol.spill),
               "return_hm3": SimpleNamespace(values=sol.q * L["rf"])})
    acc = res.Accounts(ds)
    rec = np.zeros((T, len(L["parties"])))
    ent = np.full((T, len(L["parties"])), np.nan)
    for j, row in L["shares"]:
        rec[:, j] = acc.received(row)
        ent[:, j] = acc.requirement(row)
    arrays["received_hm3"], arrays["entitlement_hm3"] = rec, ent
    return {k: arrays[k] for k in variables}, res.ledger(ds, inp, sol.row_dual)


def _arrays_from_result(r, variables) -> tuple[dict, pd.DataFrame]:
    ds = r.dataset
    return {k: ds[k].values for k in variables}, r.ledger


def _solve_chunk(basin: Basin, inflow: np.ndarray, times: np.ndarray, members: list[int], options: dict) -> list[dict]:
    """Solve the members of one chunk one after another on this process's persistent model."""
    from optimizer.core import solver
    from optimizer.core.model import make_inputs

    times = pd.DatetimeIndex(times)
    nodes = _inflow_nodes(basin)
    variables = options["variables"]
    base = None
    out = []
    for k, q in zip(members, inflow):
        da = xr.DataArray(q, dims=("time", "node"), coords={"time": times, "node": nodes}, attrs={"units": "hm3/month"})
        item = {"member": int(k)}
        cpu = time.process_time()
        try:
            if options["foresight"] == "perfect":
                if base is None:  # demands, rules, capacities: the same for every member of the chunk
                    base = make_inputs(basin, times, da, end_storage=options["end_storage"],
                                       upstream_first=options["operation"] == "status-quo",
                                       initial_storage=options["initial_storage"])
                    layout = _layout(base)
                inp = replace(base, inflow=pd.DataFrame(q, index=times, columns=nodes))
                persistent, solve_entry = solver._path("arrays")  # optimizer.solve's default build
                entry = persistent(inp, {})
                sol, status = solve_entry(entry, inp, options["time_limit"])
                arrays, led = _arrays(inp, sol, variables, layout)
                item.update(objective=sol.objective)
            else:
                r = solver.solve(basin, inflow=da, foresight=options["foresight"], operation=options["operation"],
                                 end_storage=options["end_storage"], initial_storage=options["initial_storage"],
                                 time_limit=options["time_limit"])
                arrays, led = _arrays_from_result(r, variables)
                status = r.manifest["status"]
                item.update(objective=r.objective)
            item.update(status=status, message="", arrays=arrays,
                        ledger={f: led[f].to_numpy(dtype=bool if f == "met" else float) for f in LEDGER_FIELDS})
        except SolveError as exc:
            item.update(status=type(exc).__name__, message=str(exc), objective=np.nan)
        item["cpu_s"] = time.process_time() - cpu
        out.append(item)
    return out


def _warm(basin: Basin, months: int, start: str = "2025-01") -> bool:
    """Build (and cache) the persistent model of a horizon in this process (benchmarks: ``client.run``)."""
    from optimizer.core import solver

    solver.solve(basin, months=months, start=start)
    return True


# ---- the ensemble --------------------------------------------------------------------------------

def _chunks(n: int, size: int) -> list[list[int]]:
    return [list(range(i, min(i + size, n))) for i in range(0, n, size)]


def solve_ensemble(basin: Basin | str, scenarios: xr.DataArray, client=None, *, scheduler: str | None = None,
                   workers: int = 2, chunk_size: int | None = None, foresight: str = "perfect",
                   operation: str = "agreement", end_storage: str | dict = "initial",
                   initial_storage: dict | None = None, time_limit: float | None = 60.0,
                   variables=VARIABLES, quantiles=QUANTILES, progress: bool = False) -> xr.Dataset:
    """Solve the allocation for every member of ``scenarios`` and add per-party statistics.

    Parameters
    ----------
    basin : a :class:`basins.Basin` or a bundled id / basin file path.
    scenarios : natural inflow [hm³/month], dims (member, time, node), e.g. from :func:`optimizer.analyses.scenarios.generate`.
    client : a ``dask.distributed.Client`` to send the work to (its cluster's workers need this package).
    scheduler : None (default) → a local cluster of ``workers`` processes, started and closed here;
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
    statistics of :func:`statistics`.
    """
    if isinstance(basin, str):
        basin = basins.load(basin)
    opts = _options(foresight, operation, end_storage, initial_storage, time_limit, variables)
    q = _check_scenarios(basin, scenarios)
    n = q.sizes["member"]
    t0 = time.perf_counter()
    inflow = np.ascontiguousarray(q.values, dtype=float)
    times = q["time"].values
    if client is not None and scheduler is not None:
        raise ValueError("give either a client or a scheduler, not both")
    if chunk_size is not None and int(chunk_size) < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    mode = "client" if client is not None else ("synchronous" if scheduler == "synchronous" else
                                               ("local" if scheduler is None else "address"))
    if mode == "synchronous":
        size = chunk_size or min(MAX_CHUNK, max(1, n))
        chunks = _chunks(n, size)
        items = []
        bar = _bar(progress, n)
        for c in chunks:
            items.extend(_solve_chunk(basin, inflow[c], times, c, opts))
            bar.update(len(c))
        bar.close()
        n_workers = 1
    else:
        if mode == "local" and int(workers) < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        if mode == "address" and "://" not in str(scheduler) and ":" not in str(scheduler):
            raise ValueError(f"scheduler must be 'synchronous' or a Dask scheduler address such as "
                             f"tcp://host:8786, not {scheduler!r}")
        from distributed import Client, LocalCluster

        cluster = own_client = None
        try:
            if mode == "local":
                cluster = LocalCluster(n_workers=int(workers), threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=logging.ERROR)
                client = own_client = Client(cluster)
            elif mode == "address":
                client = own_client = Client(scheduler, timeout="5s")
            n_workers = max(1, len(client.scheduler_info().get("workers", {})))
            size = chunk_size or min(MAX_CHUNK, max(1, math.ceil(n / (4 * n_workers))))
            chunks = _chunks(n, size)
            items = _distributed(client, _solve_chunk, _bar(progress, n), basin, inflow, times, chunks, opts)
        finally:
            _quiet_close(own_client, cluster)
    ds = _assemble(basin, q, items, opts)
    ds.attrs.update({
        "scheduler": mode, "workers": n_workers, "chunk_size": size, "chunks": len(chunks),
        "wall_s": round(time.perf_counter() - t0, 3),
        "solve_cpu_s": round(sum(it["cpu_s"] for it in items), 3),  # CPU time of the member solves, all workers
    })
    return statistics(ds, quantiles)


def _bar(progress: bool, total: int):
    from tqdm import tqdm

    return tqdm(total=total, unit="member", disable=not progress, file=sys.stderr, desc="members")


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
        dim = _DIMS[v]
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
                     "options": json.dumps({k: v for k, v in opts.items() if k != "variables"}, default=str)})
    for k, v in q.attrs.items():  # the generator's seed, model and climate, as NetCDF-friendly attributes
        ds.attrs[f"scenario_{k}"] = v if isinstance(v, (str, int, float)) else json.dumps(v, default=str)
    return ds


# ---- statistics ----------------------------------------------------------------------------------

def statistics(ds: xr.Dataset, quantiles=QUANTILES) -> xr.Dataset:
    """Add per-party risk statistics to an ensemble Dataset (see the module docstring)."""
    ok = (ds["status"] == "optimal").values
    ds = ds.copy()
    ds.attrs["members_solved"] = int(ok.sum())
    ds.attrs["members_failed"] = int((~ok).sum())
    qs = np.asarray(quantiles, dtype=float)
    parties = [str(p) for p in ds["party"].values]
    if "shortage_hm3" in ds:
        dem_party = ds["demand_party"].values
        short = ds["shortage_hm3"].values  # (member, time, demand)
        per = np.stack([short[:, :, dem_party == p].sum(axis=(1, 2)) for p in parties], axis=-1)
        ds["party_shortage_hm3"] = (("member", "party"), np.where(ok[:, None], per, np.nan),
                                    {"units": "hm3", "long_name": "shortage of the party's demands over the horizon"})
        T = ds.sizes["time"]
        n_years = T // 12
        sel = per[ok]
        ds["shortage_mean_hm3"] = ("party", sel.mean(axis=0) if len(sel) else np.full(len(parties), np.nan),
                                   {"units": "hm3", "long_name": "expected shortage over the horizon"})
        ds.coords["quantile"] = qs
        ds["shortage_quantile_hm3"] = (("quantile", "party"), _quantiles(sel, qs),
                                       {"units": "hm3",
                                        "long_name": "shortage over the horizon, quantiles over members"})
        if n_years >= 1:
            yearly = np.stack([short[:, :12 * n_years, dem_party == p].sum(axis=2)
                               .reshape(len(ok), n_years, 12).sum(axis=2) for p in parties], axis=-1)
            flat = yearly[ok].reshape(-1, len(parties))
            ds["annual_shortage_quantile_hm3"] = (
                ("quantile", "party"), _quantiles(flat, qs),
                {"units": "hm3/yr", "long_name": "shortage per 12-month year from the start, quantiles over "
                                                 "member-years"})
            mean = flat.mean(axis=0) if len(flat) else np.full(len(parties), np.nan)
            ds["annual_shortage_mean_hm3"] = ("party", mean, {"units": "hm3/yr"})
    if "ledger_met" in ds:
        rules = list(dict.fromkeys(str(r) for r in ds["ledger_rule"].values))
        p_met = np.full((len(rules), len(parties)), np.nan)
        p_all = np.full((len(rules), len(parties)), np.nan)
        met = ds["ledger_met"].values[ok]
        deficit = ds["ledger_deficit_hm3"].values[ok]
        applies = ds["ledger_applies"].values
        enforced_row = ds["ledger_enforced"].values if "ledger_enforced" in ds.coords else np.zeros(len(applies), bool)
        roles = ds["ledger_role"].values if "ledger_role" in ds.coords else np.full(len(applies), "entitlement")
        role = np.full((len(rules), len(parties)), "", dtype=object)
        enforced = np.zeros((len(rules), len(parties)), dtype=bool)
        d_q = np.full((len(qs), len(rules), len(parties)), np.nan)
        for i, rule in enumerate(rules):
            for j, p in enumerate(parties):
                cols = (ds["ledger_rule"].values == rule) & (ds["ledger_party"].values == p) & applies
                if not cols.any():
                    continue
                role[i, j] = str(roles[cols][0])
                enforced[i, j] = bool(enforced_row[cols].all())
                if role[i, j] == "reported" or enforced[i, j] or not len(met):
                    continue  # reported: no test; enforced: a constraint, not a reliability
                p_met[i, j] = met[:, cols].mean()
                p_all[i, j] = met[:, cols].all(axis=1).mean()
                d_q[:, i, j] = np.quantile(deficit[:, cols].ravel(), qs)
        ds.coords["rule"] = rules
        ds.coords["quantile"] = qs
        ds["rule_role"] = (("rule", "party"), role.astype(str), {"long_name": "entitlement | ceiling | quota | "
                                                                 "reported ('' = the party has no row)"})
        ds["rule_enforced"] = (("rule", "party"), enforced, {"long_name": "hard constraint of the LP in this "
                                                             "operation: no reliability is computed"})
        ds["p_rule_met"] = (("rule", "party"), p_met, {"units": "1", "long_name": (
            "probability that the rule's test holds over members and periods (a ceiling: use within it); "
            "NaN where the operation enforces the rule or the share is reported only")})
        ds["p_rule_met_every_period"] = (("rule", "party"), p_all, {"units": "1", "long_name": "share of members "
                                                                     "passing the rule's test in every period"})
        ds["rule_deficit_quantile_hm3"] = (("quantile", "rule", "party"), d_q, {"units": "hm3", "long_name": (
            "shortfall under an entitlement or quota, or use over a ceiling, per member-period, quantiles "
            "(rules the operation does not enforce)")})
    if "storage_hm3" in ds and ds.sizes["reservoir"]:
        mins = ds["storage_hm3"].values.min(axis=1)  # (member, reservoir)
        mins = np.where(ok[:, None], mins, np.nan)
        ds["member_min_storage_hm3"] = (("member", "reservoir"), mins, {"units": "hm3"})
        ds["min_storage_hm3"] = ("reservoir", np.nanmin(mins, axis=0) if ok.any() else
                                 np.full(ds.sizes["reservoir"], np.nan),
                                 {"units": "hm3", "long_name": "lowest storage of any member and month"})
        ds["min_storage_p05_hm3"] = ("reservoir", _quantiles(mins[ok], [0.05])[0],
                                     {"units": "hm3", "long_name": "5th percentile of the members' minimum storage"})
    return ds


def _quantiles(x: np.ndarray, qs) -> np.ndarray:
    if len(x) == 0:
        return np.full((len(qs), x.shape[1]), np.nan)
    return np.quantile(x, qs, axis=0)  # linear interpolation (numpy default, Hyndman–Fan type 7)


def summary(ds: xr.Dataset) -> pd.DataFrame:
    """One row per party: rule probabilities, shortage mean and quantiles [hm³], lowest storage of its reservoirs."""
    rows = []
    for p in ds["party"].values:
        p = str(p)
        row = {"party": p}
        if "p_rule_met" in ds:
            for r in ds["rule"].values:
                v = float(ds["p_rule_met"].sel(rule=r, party=p))
                role = str(ds["rule_role"].sel(rule=r, party=p).values) if "rule_role" in ds else "entitlement"
                if "rule_enforced" in ds and bool(ds["rule_enforced"].sel(rule=r, party=p)):
                    row[f"{r} ({role})"] = f"enforced — feasible in {ds.attrs.get('members_solved', 0)} of " \
                                           f"{ds.attrs.get('members_solved', 0) + ds.attrs.get('members_failed', 0)}"
                elif np.isfinite(v):
                    row[f"P({r} within the ceiling)" if role == "ceiling" else f"P({r} met)"] = v
        if "shortage_mean_hm3" in ds:
            row["shortage mean hm3"] = float(ds["shortage_mean_hm3"].sel(party=p))
            for qv in ds["quantile"].values:
                row[f"shortage P{round(100 * qv)} hm3"] = float(ds["shortage_quantile_hm3"].sel(quantile=qv, party=p))
        if "min_storage_hm3" in ds:
            mine = ds["reservoir_country"].values == p
            if mine.any():
                row["min storage hm3"] = float(ds["min_storage_hm3"].values[mine].min())
        rows.append(row)
    return pd.DataFrame(rows).set_index("party")


def to_netcdf(ds: xr.Dataset, path: str | Path) -> Path:
    """Write an ensemble Dataset as a CF-1.11 file (:mod:`optimizer.core.netcdf`) atomically (temporary file +
    rename); booleans are stored as int8 flags. ``optimizer.core.netcdf.read`` gives the Dataset back."""
    from optimizer.core import netcdf

    basin = ds.attrs.get("basin", "basin")
    title = f"{basin}: ensemble of {ds.sizes.get('member', 0)} inflow scenarios solved under the agreement"
    return netcdf.write(ds, path, title, f"ensemble ({ds.attrs.get('options', '')})")


# ---- robust seasonal plan (two-stage stochastic LP) ---------------------------------------------

SEASON = (4, 5, 6, 7, 8, 9)
MAX_PLAN_MEMBERS = 100  # the extensive form grows linearly; Pyomo needs ~2-3 kB per variable


@dataclass
class SeasonalPlan:
    """A delivery schedule fixed before the season and how it fares on the members.

    ``schedule`` / ``normal_schedule``: hm³/month to ``party`` at its receipt links in the plan months;
    ``comparison``: one row per plan, evaluated on the same members; ``member_loss``: L_ω per plan and
    member [cost units]; ``members``: the member labels used."""

    schedule: xr.DataArray
    normal_schedule: xr.DataArray
    comparison: pd.DataFrame
    member_loss: xr.DataArray
    party: str
    receipt_links: list[str]
    alpha: float
    weight: float
    value: float
    penalty: float
    build_s: float
    solve_s: float


def _plan_party(basin: Basin, party: str | None) -> tuple[str, object]:
    ag = basin.spec.agreement
    if party is None:
        party = ag.quotas[0].party if ag.quotas else (ag.share_rules[0].enforce[0] if ag.share_rules else None)
    if party is None:
        raise ValueError("the basin has no quota or share rule naming a downstream party; give party=")
    for q in ag.quotas:
        if q.party == party:
            return party, q.receipts
    for r in ag.share_rules:
        if party in r.receipts:
            return party, r.receipts[party]
    raise ValueError(f"party {party!r} has no receipts in the basin's quotas or share rules")


def cvar(losses: np.ndarray, alpha: float) -> float:
    """CVaR_α of equally likely losses: the mean of the worst (1 − α) share of them, the member on the
    boundary counted in part (= min_η η + E[(L − η)⁺]/(1 − α), Rockafellar & Uryasev 2000)."""
    x = np.sort(np.asarray(losses, dtype=float))[::-1]
    tail = round((1.0 - alpha) * len(x), 9)  # members in the tail (may be fractional)
    full = int(np.floor(tail))
    total = x[:full].sum() + (tail - full) * (x[full] if full < len(x) else 0.0)
    return float(total / tail)


def _extensive(basin: Basin, inflows: np.ndarray, times: pd.DatetimeIndex, plan_idx: list[int], receipts,
               alpha: float, weight: float, value: float, penalty: float, opts: dict):
    import pyomo.environ as pyo

    from optimizer.core.model import build, make_inputs

    nodes = _inflow_nodes(basin)
    n = len(inflows)
    da = xr.DataArray(inflows[0], dims=("time", "node"), coords={"time": times, "node": nodes})
    base = make_inputs(basin, times, da, end_storage=opts["end_storage"], initial_storage=opts["initial_storage"])
    m = pyo.ConcreteModel(name=f"{basin.id}_robust_plan")
    m.W = pyo.Set(initialize=range(n), ordered=True)
    m.P = pyo.Set(initialize=plan_idx, ordered=True)
    m.member = pyo.Block(m.W)
    inps = []
    for k in range(n):
        inp = replace(base, inflow=pd.DataFrame(inflows[k], index=times, columns=nodes))
        sub = build(inp)
        sub.cost.deactivate()
        m.member[k].transfer_attributes_from(sub)
        inps.append(inp)
    m.u = pyo.Var(m.P, within=pyo.NonNegativeReals)  # first stage: the schedule [hm³/month]
    m.short = pyo.Var(m.W, m.P, within=pyo.NonNegativeReals)  # δ: scheduled but not delivered
    m.eta = pyo.Var()  # VaR_α at the optimum
    m.z = pyo.Var(m.W, within=pyo.NonNegativeReals)

    def r(m, k, t):
        b = m.member[k]
        return sum(b.delivered[lk, t] for lk in receipts.links) + sum(b.inflow[nd, t] for nd in receipts.inflows)

    m.receipt = pyo.Expression(m.W, m.P, rule=r)
    m.target = pyo.Constraint(m.W, m.P, rule=lambda m, k, t: m.receipt[k, t] + m.short[k, t] >= m.u[t])
    m.loss = pyo.Expression(m.W, rule=lambda m, k: m.member[k].cost.expr + penalty * sum(m.short[k, t] for t in m.P)
                            - value * sum(m.u[t] for t in m.P))
    m.tail = pyo.Constraint(m.W, rule=lambda m, k: m.z[k] >= m.loss[k] - m.eta)
    m.expected = pyo.Expression(expr=sum(m.loss[k] for k in m.W) / n)
    m.cvar = pyo.Expression(expr=m.eta + sum(m.z[k] for k in m.W) / ((1 - alpha) * n))
    m.obj = pyo.Objective(expr=m.expected + weight * m.cvar, sense=pyo.minimize)
    return m, inps


def _solve_extensive(m, time_limit):
    from optimizer.core.highs_adapter import PersistentLP, TerminationCondition

    lp = getattr(m, "_highs", None)
    if lp is None:
        lp = m._highs = PersistentLP(m, updates="variables")  # between the two solves only bounds change
    r = lp.solve(time_limit, cold=False)
    if r.termination_condition != TerminationCondition.convergenceCriteriaSatisfied:
        return r.termination_condition.name
    lp.load()
    return None


def _evaluate(m, inps, party: str, alpha: float, weight: float) -> tuple[dict, np.ndarray]:
    import pyomo.environ as pyo

    losses = np.array([pyo.value(m.loss[k]) for k in m.W])
    short = np.array([sum(pyo.value(m.short[k, t]) for t in m.P) for k in m.W])
    parties = list(dict.fromkeys(d.party for d in inps[0].basin.spec.demands if d.party))
    shortage = {p: np.array([sum(pyo.value(m.member[k].shortage[d.node, t]) for d in inps[0].basin.spec.demands
                                 if d.party == p for t in m.member[k].T) for k in m.W]) for p in parties}
    met = []
    for k in m.W:
        b = m.member[k]
        ok = True
        for key, row in b.rows.items():
            if row.party != party or not row.applies:
                continue
            need = pyo.value(b.keep[key] * b.requirement[key])
            ok &= pyo.value(b.received[key]) >= need - 1e-6 * max(1.0, abs(need))
        met.append(ok)
    c = cvar(losses, alpha)
    a = round(100 * alpha)
    total = sum(shortage.values()) + short  # hm³ of demand shortage plus scheduled water not delivered
    row = {"schedule_hm3": float(sum(pyo.value(m.u[t]) for t in m.P)), "expected_loss": float(losses.mean()),
           f"cvar{a}_loss": c, "objective": float(losses.mean() + weight * c),
           "expected_shortage_hm3": float(total.mean()), f"cvar{a}_shortage_hm3": cvar(total, alpha)}
    for p, v in shortage.items():
        row[f"expected_shortage_{p}_hm3"] = float(v.mean())
    row.update({"expected_schedule_shortfall_hm3": float(short.mean()), "p_schedule_met": float(np.mean(short <= 1e-6)),
                f"p_{party}_rules_met": float(np.mean(met))})
    return row, losses


def robust_plan(basin: Basin | str, scenarios: xr.DataArray, alpha: float = 0.9, weight: float = 1.0, *,
                party: str | None = None, season: str = "apr-sep", value: float = 1.0, penalty: float = 10.0,
                end_storage: str | dict = "initial", initial_storage: dict | None = None,
                time_limit: float | None = 600.0, max_members: int = MAX_PLAN_MEMBERS) -> SeasonalPlan:
    """A monthly delivery schedule to ``party`` fixed before the season, robust over ``scenarios``
    (two-stage stochastic LP with a CVaR term, see the module docstring), compared with the plan made
    on the basin's normal year alone; both are evaluated on the same members.

    alpha : CVaR level (0.9: the mean loss of the worst 10 % of members); weight : λ on the CVaR term.
    season : ``"apr-sep"`` (the plan covers the horizon's Apr–Sep months) or ``"horizon"`` (every month).
    value, penalty : β and π [cost units per hm³] (value of a scheduled hm³, cost of one not delivered).
    """
    import pyomo.environ as pyo

    if isinstance(basin, str):
        basin = basins.load(basin)
    if not 0 <= alpha < 1:
        raise ValueError(f"alpha must be in [0, 1), got {alpha}")
    if weight < 0 or value < 0 or penalty < 0:
        raise ValueError("weight, value and penalty must be >= 0")
    if penalty <= value:
        raise ValueError(f"penalty ({penalty}) must exceed value ({value}), or promising water nobody can "
                         "deliver pays")
    q = _check_scenarios(basin, scenarios)
    if q.sizes["member"] > max_members:
        raise ValueError(f"{q.sizes['member']} members is more than max_members={max_members} for the extensive "
                         "form (one LP holding every member); take a subset, e.g. scenarios.isel(member=slice(0, 50))")
    times = pd.DatetimeIndex(q["time"].values)
    if season == "apr-sep":
        plan_idx = [i for i, t in enumerate(times) if t.month in SEASON]
    elif season == "horizon":
        plan_idx = list(range(len(times)))
    else:
        raise ValueError(f"season must be 'apr-sep' or 'horizon', not {season!r}")
    if not plan_idx:
        raise ValueError("the horizon has no April-September month to plan; use season='horizon'")
    party, receipts = _plan_party(basin, party)
    opts = {"end_storage": end_storage, "initial_storage": initial_storage}
    args = (plan_idx, receipts, alpha, weight, value, penalty, opts)

    # the normal-year plan: the same problem with the basin's normal year as the only member
    from optimizer.core.solver import inflow_series

    normal = inflow_series(basin, times, "normal").sel(node=_inflow_nodes(basin)).values[None]
    t0 = time.perf_counter()
    m1, _ = _extensive(basin, normal, times, *args)
    err = _solve_extensive(m1, time_limit)
    if err:
        raise SolveError(f"the normal-year plan has no optimal solution ({err}); check optimizer.solve(basin, "
                         "'normal') first")
    u_normal = {t: pyo.value(m1.u[t]) for t in m1.P}

    m, inps = _extensive(basin, q.values, times, *args)
    build_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    err = _solve_extensive(m, time_limit)
    if err:
        raise SolveError(f"the two-stage LP has no optimal solution ({err}). {_culprits(basin, q, opts)}")
    robust_row, robust_loss = _evaluate(m, inps, party, alpha, weight)
    robust_row["lp_objective"] = float(pyo.value(m.obj))
    u_robust = {t: pyo.value(m.u[t]) for t in m.P}
    for t in m.P:  # the normal-year plan as bounds (fixing would rewrite coefficients in HiGHS)
        m.u[t].setlb(u_normal[t])
        m.u[t].setub(u_normal[t])
    err = _solve_extensive(m, time_limit)
    if err:
        raise SolveError(f"evaluating the normal-year plan failed ({err})")
    normal_row, normal_loss = _evaluate(m, inps, party, alpha, weight)
    normal_row["lp_objective"] = float(pyo.value(m.obj))
    solve_s = time.perf_counter() - t1

    ptimes = times[plan_idx]
    attrs = {"units": "hm3/month", "party": party, "receipt_links": ",".join(receipts.links)}
    sched = xr.DataArray([u_robust[t] for t in plan_idx], dims="time", coords={"time": ptimes},
                         name="robust_schedule_hm3", attrs=attrs)
    nsched = xr.DataArray([u_normal[t] for t in plan_idx], dims="time", coords={"time": ptimes},
                          name="normal_schedule_hm3", attrs=attrs)
    comparison = pd.DataFrame([robust_row, normal_row], index=pd.Index(["robust", "normal-year"], name="plan"))
    loss = xr.DataArray(np.stack([robust_loss, normal_loss]), dims=("plan", "member"),
                        coords={"plan": ["robust", "normal-year"], "member": q["member"].values},
                        name="member_loss", attrs={"units": "cost units (1 = one hm3 of shortage at priority 10)"})
    return SeasonalPlan(sched, nsched, comparison, loss, party, list(receipts.links), alpha, weight, value, penalty,
                        build_s, solve_s)


def _culprits(basin: Basin, q: xr.DataArray, opts: dict) -> str:
    """Which members have no allocation on their own (why a two-stage LP is infeasible)."""
    from optimizer.core.solver import solve

    bad = []
    for k in range(q.sizes["member"]):
        try:
            solve(basin, inflow=q.isel(member=k, drop=True), end_storage=opts["end_storage"],
                  initial_storage=opts["initial_storage"])
        except SolveError as exc:
            bad.append((int(q["member"].values[k]), type(exc).__name__))
    if not bad:
        return "Every member is feasible on its own."
    return (f"Members without a feasible allocation on their own: {bad[:10]}"
            f"{' ...' if len(bad) > 10 else ''}; leave them out or fix the basin.")


# ---- command line: chutalas ensemble ---------------------------------------------------------------

def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``chutalas ensemble``."""
    p.add_argument("basin", metavar="BASIN_OR_PATH", help="a bundled basin id (chu, talas) or a basin file path")
    p.add_argument("--members", type=int, default=100, help="number of inflow scenarios (default 100)")
    p.add_argument("--years", type=int, default=1, help="horizon in years of 12 months (default 1)")
    p.add_argument("--start", default="2025-01", help="first month YYYY-MM (default 2025-01)")
    p.add_argument("--seed", type=int, default=0, help="seed of the scenario generator (default 0)")
    p.add_argument("--climate", type=int, metavar="YEAR", default=None,
                   help="apply the climate trend reaching --climate-change at YEAR (e.g. 2050); default: none")
    p.add_argument("--climate-change", type=float, default=-0.275, metavar="FRACTION",
                   help="change of the mean flow at --climate YEAR (default -0.275, facts: -25...-30 %% by 2050)")
    p.add_argument("--shift-weeks", type=float, default=2.0,
                   help="earlier snowmelt at --climate YEAR, weeks (default 2)")
    p.add_argument("--cv", type=float, default=None,
                   help="CV of the annual basin resource (default 0.20 Chu, 0.22 Talas)")
    p.add_argument("--operation", choices=["agreement", "status-quo"], default="agreement")
    p.add_argument("--scheduler", default=None, metavar="ADDR",
                   help="Dask scheduler address (tcp://host:8786) or 'synchronous'; default: a local cluster")
    p.add_argument("--workers", type=int, default=2, help="worker processes of the local cluster (default 2)")
    p.add_argument("--chunk-size", type=int, default=None, help="members per task (default: automatic)")
    p.add_argument("--robust-plan", action="store_true",
                   help="also make the robust Apr-Sep delivery plan for the first year, on the first "
                        "min(members, 50) members")
    p.add_argument("--alpha", type=float, default=0.9, help="CVaR level of the robust plan (default 0.9)")
    p.add_argument("--weight", type=float, default=1.0, help="weight of the CVaR term (default 1)")
    p.add_argument("--out", default=None, metavar="FILE.nc", help="write the ensemble Dataset (NetCDF, atomic)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def _pct(v: float) -> str:
    return "-" if not np.isfinite(v) else f"{100 * v:.1f} %"


def _hm3(v: float) -> str:
    return "-" if not np.isfinite(v) else (f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}")


ROLE_WORDS = {"entitlement": "entitlement (floor on receipts)", "ceiling": "use ceiling",
              "quota": "seasonal quota (floor on receipts)", "reported": "reported only"}


def print_rule(ds: xr.Dataset, r: str, p: str, out) -> None:
    """One rule × party of the ensemble in words: enforced (feasible in N of M members), or its reliability."""
    role = str(ds["rule_role"].sel(rule=r, party=p).values) if "rule_role" in ds else "entitlement"
    if not role:
        return
    n_ok, n_bad = ds.attrs.get("members_solved", 0), ds.attrs.get("members_failed", 0)
    head = f"  {r}, {ROLE_WORDS.get(role, role)}:"
    if role == "reported":
        print(f"{head} reported only, no test", file=out)
        return
    if "rule_enforced" in ds and bool(ds["rule_enforced"].sel(rule=r, party=p)):
        print(f"{head} enforced (a hard constraint of this operation) — feasible in {n_ok} of {n_ok + n_bad} "
              "members", file=out)
        if n_bad:
            bad = ds["status"].values != "optimal"
            for m, msg in list(zip(ds["member"].values[bad], ds["message"].values[bad]))[:3]:
                print(f"    member {m}: {msg[:200]}", file=out)
        return
    v = float(ds["p_rule_met"].sel(rule=r, party=p))
    if not np.isfinite(v):
        return
    every = float(ds["p_rule_met_every_period"].sel(rule=r, party=p))
    what = "P(within the ceiling)" if role == "ceiling" else "P(met)"
    gap = "use over the ceiling" if role == "ceiling" else "shortfall"
    cells = ""
    if "rule_deficit_quantile_hm3" in ds:
        cells = "  ".join(f"P{round(100 * x)} {_hm3(float(ds['rule_deficit_quantile_hm3'].sel(quantile=x, rule=r, party=p)))}"
                          for x in ds["quantile"].values)
    print(f"{head} {what} {_pct(v)} of member-periods, {_pct(every)} of members in every period; "
          f"{gap} per period [hm3]: {cells}", file=out)


def print_statistics(ds: xr.Dataset, out=None) -> None:
    """The per-party statistics as text."""
    out = out or sys.stdout
    n_ok, n_bad = ds.attrs.get("members_solved", 0), ds.attrs.get("members_failed", 0)
    print(f"{ds.attrs.get('basin', '?')}: {n_ok + n_bad} members x {ds.sizes['time']} months, {n_ok} solved"
          + (f", {n_bad} without an allocation (status per member in the file)" if n_bad else ""), file=out)
    years = ds.sizes["time"] // 12
    for p in ds["party"].values:
        p = str(p)
        print(f"\n{p}", file=out)
        if "p_rule_met" in ds:
            for r in ds["rule"].values:
                print_rule(ds, str(r), p, out)
        if "shortage_quantile_hm3" in ds:
            qs = ds["quantile"].values
            cells = "  ".join(f"P{round(100 * x)} {_hm3(float(ds['shortage_quantile_hm3'].sel(quantile=x, party=p)))}"
                              for x in qs)
            mean = _hm3(float(ds["shortage_mean_hm3"].sel(party=p)))
            print(f"  shortage over the horizon [hm3]: mean {mean}  {cells}", file=out)
            if years > 1 and "annual_shortage_quantile_hm3" in ds:
                cells = "  ".join(f"P{round(100 * x)} "
                                  f"{_hm3(float(ds['annual_shortage_quantile_hm3'].sel(quantile=x, party=p)))}"
                                  for x in qs)
                print(f"  shortage per year [hm3/yr]: mean "
                      f"{_hm3(float(ds['annual_shortage_mean_hm3'].sel(party=p)))}  {cells}", file=out)
        if "min_storage_hm3" in ds:
            names = dict(zip(ds["reservoir"].values, ds["reservoir_name"].values)) if "reservoir_name" in ds else {}
            for r, c in zip(ds["reservoir"].values, ds["reservoir_country"].values):
                if c == p:
                    print(f"  storage of {names.get(r, r)} ({r}): lowest {_hm3(float(ds['min_storage_hm3'].sel(reservoir=r)))} hm3, "
                          f"P5 of member minima {_hm3(float(ds['min_storage_p05_hm3'].sel(reservoir=r)))} hm3 "
                          f"(dead {_hm3(float(ds['dead_storage_hm3'].sel(reservoir=r)))})", file=out)


def print_plan(plan: SeasonalPlan, out=None) -> None:
    out = out or sys.stdout
    print(f"\nRobust Apr-Sep plan for {plan.party} at {', '.join(plan.receipt_links)} "
          f"(CVaR alpha {plan.alpha}, weight {plan.weight}; value {plan.value}, penalty {plan.penalty} per hm3)",
          file=out)
    months = [pd.Timestamp(t).strftime("%Y-%m") for t in plan.schedule["time"].values]
    print("  month       " + "  ".join(f"{m:>8}" for m in months), file=out)
    print("  robust      " + "  ".join(f"{v:8.1f}" for v in plan.schedule.values), file=out)
    print("  normal-year " + "  ".join(f"{v:8.1f}" for v in plan.normal_schedule.values), file=out)
    print(plan.comparison.T.to_string(float_format=lambda v: f"{v:,.3f}"), file=out)


def run(args: argparse.Namespace) -> int:
    """``chutalas ensemble``: generate scenarios, solve them, print per-party statistics; 0 on success."""
    from optimizer.interfaces.cli import CliError

    if args.members < 1 or args.years < 1:
        raise CliError("--members and --years must be >= 1")
    if args.years * 12 > 1200:
        raise CliError("--years must be at most 100 (1,200 months)")
    basin = basins.load(args.basin)
    climate = None
    if args.climate is not None:
        start_year = pd.Timestamp(args.start).year
        try:
            climate = scen.Climate(change=args.climate_change, target_year=args.climate,
                                   base_year=min(start_year, args.climate - 1), shift_weeks=args.shift_weeks)
        except ValueError as exc:
            raise CliError(str(exc)) from None
    try:
        q = scen.generate(basin, members=args.members, years=args.years, seed=args.seed, start=args.start,
                          climate=climate, **({"cv": args.cv} if args.cv is not None else {}))
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if args.out:  # before hours of solving: the file must be writable where it goes
        parent = Path(args.out).resolve().parent
        why = ("it is a directory" if Path(args.out).is_dir() else
               f"the directory {parent} does not exist" if not parent.is_dir() else None)
        if why is None:
            try:  # a real probe: permissions, read-only mounts, quotas (os.access is always true for root)
                tempfile.TemporaryFile(dir=parent).close()
            except OSError as exc:
                why = f"the directory {parent} is not writable ({exc.strerror or exc})"
        if why:
            raise CliError(f"cannot write {args.out}: {why}; nothing was solved")
    try:
        ds = solve_ensemble(basin, q, scheduler=args.scheduler, workers=args.workers, chunk_size=args.chunk_size,
                            operation=args.operation, progress=not args.no_progress)
    except WorkerLost as exc:
        raise CliError(str(exc)) from None
    except (OSError, TimeoutError) as exc:
        raise CliError(f"cannot reach the Dask scheduler {args.scheduler!r}: {exc}") from None
    except ValueError as exc:
        raise CliError(str(exc)) from None
    print_statistics(ds)
    if args.robust_plan:
        sub = q.isel(member=slice(0, min(50, args.members)), time=slice(0, 12))  # the first year's season
        try:
            print_plan(robust_plan(basin, sub, alpha=args.alpha, weight=args.weight))
        except (SolveError, ValueError) as exc:
            print(f"robust plan: {exc}", file=sys.stderr)
    if args.out:
        try:
            path = to_netcdf(ds, args.out)
        except OSError as exc:
            raise CliError(f"cannot write {args.out} ({exc.strerror or exc}); nothing was written there") from None
        print(f"\nwrote {path}")
    return 0 if ds.attrs["members_solved"] else 1
