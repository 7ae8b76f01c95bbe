"""Ensemble members: the scenarios checked, and the members of one chunk solved in a worker process.

A chunk (one Dask task, or one step of the serial loop) solves its members one after another on this process's
persistent model (:mod:`optimizer.core.solver`'s cache): the first member of a structure in a process builds the
Pyomo model and the HiGHS instance, every later one only rewrites the numbers (the inflows). The inputs that
are the same for every member (demands, rules, capacities; :func:`optimizer.core.model.make_inputs`) are kept
per process as well, so a chunk after the first costs only its LP solves. Per member only the chosen variables
and the ledger go back (numpy arrays).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from collections import OrderedDict
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from basins import Basin
from optimizer.core import bed_loss
from optimizer.core.agreement import Row
from optimizer.core.errors import SolveError

#: The per-member variables kept by default (names and meaning as in :class:`optimizer.core.result.Result`).
VARIABLES = ("storage_hm3", "delivery_hm3", "shortage_hm3", "received_hm3", "entitlement_hm3", "flow_hm3",
             "delivered_hm3", "natural_inflow_hm3", "spill_hm3", "evaporation_hm3", "outflow_hm3",
             "min_flow_shortfall_hm3")
DIMS = {"storage_hm3": "reservoir", "spill_hm3": "reservoir", "evaporation_hm3": "reservoir",
        "delivery_hm3": "demand", "shortage_hm3": "demand", "received_hm3": "party", "entitlement_hm3": "party",
        "flow_hm3": "link", "delivered_hm3": "link", "min_flow_shortfall_hm3": "link",
        "natural_inflow_hm3": "node", "outflow_hm3": "node"}
LEDGER_FIELDS = ("met", "required_hm3", "received_hm3", "deficit_hm3")

#: Test-only hook (tests/test_ensemble_faults.py): in a Dask worker, the member with this index kills its own
#: process (SIGKILL) before it is solved; with ``CHUTALAS_TEST_KILL_ONCE=<file>`` only while that file does not
#: exist (it is created first), so the retried task succeeds. Never set outside tests.
KILL_ENV, KILL_ONCE_ENV = "CHUTALAS_TEST_KILL_MEMBER", "CHUTALAS_TEST_KILL_ONCE"


# ---- inputs --------------------------------------------------------------------------------------

def inflow_nodes(basin: Basin) -> list[str]:
    return [n.id for n in basin.spec.nodes if n.kind == "inflow"]


def check_scenarios(basin: Basin, scenarios: xr.DataArray) -> xr.DataArray:
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
    nodes = inflow_nodes(basin)
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


def check_options(foresight: str, operation: str, end_storage: Any, initial_storage: dict | None,
                  time_limit: float | None, variables: tuple[str, ...] | list[str]) -> dict:
    if foresight not in ("perfect", "myopic"):
        raise ValueError(f"foresight must be 'perfect' or 'myopic', not {foresight!r}")
    if operation not in ("agreement", "status-quo"):
        raise ValueError(f"operation must be 'agreement' or 'status-quo', not {operation!r}")
    unknown = sorted(set(variables) - set(DIMS))
    if unknown:
        raise ValueError(f"unknown variables {unknown}; choose from {sorted(DIMS)}")
    return {"foresight": foresight, "operation": operation, "end_storage": end_storage,
            "initial_storage": initial_storage, "time_limit": time_limit, "variables": tuple(variables)}


# ---- one member (runs in the worker) -------------------------------------------------------------

def layout(inp: Any) -> dict:
    """What :func:`arrays` needs that is the same for every member of a structure (computed once a process)."""
    spec = inp.basin.spec
    nodes = [n.id for n in spec.nodes]
    rules = spec.agreement.share_rules
    parties = list(spec.agreement.parties)
    shares = []
    no_period: Any = None  # a row over the whole horizon, as dataset.party_receipts makes it
    if rules:  # as dataset.party_receipts: the basin's first share rule
        r = rules[0]
        shares = [(j, Row(r.id, "share", p, no_period, r.receipts[p], r.mode, r.tolerance, r.penalty,
                          share=r.shares.get(p, 0.0), resource_inflows=list(r.resource_inflows)))
                  for j, p in enumerate(parties) if p in r.receipts]
    mins = list(inp.min_flow.columns)
    return {
        "nodes": nodes, "loss": np.array([lk.loss_fraction for lk in spec.links]),
        "tables": any(lk.loss_table for lk in spec.links),
        "seep": np.array([lk.seepage_fraction if lk.loss_to else 0.0 for lk in spec.links]),
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


def arrays(inp: Any, sol: Any, variables: tuple[str, ...], lay: dict | None = None) -> tuple[dict, pd.DataFrame]:
    """A member's variables and ledger from the LP solution, computed exactly as
    :func:`optimizer.core.result.make_dataset` / :func:`~optimizer.core.result.ledger` do, with numpy only
    (``tests/test_ensemble.py`` holds them equal to a single run, bit for bit)."""
    from optimizer.core import result as res

    L = lay or layout(inp)
    T, nodes = inp.T, L["nodes"]
    natural = np.zeros((T, len(nodes)))
    natural[:, L["inflow_at"]] = inp.inflow.to_numpy()
    # a loss_table's fraction follows each member's natural flow (optimizer.core.bed_loss), so it is per member
    loss = bed_loss.loss_matrix(inp) if L["tables"] else L["loss"]
    delivered = sol.x * (1 - loss)
    out = {"storage_hm3": sol.s, "spill_hm3": sol.spill, "flow_hm3": sol.x, "delivered_hm3": delivered,
           "delivery_hm3": sol.q, "shortage_hm3": L["demand"] - sol.q, "natural_inflow_hm3": natural}
    if "evaporation_hm3" in variables:
        out["evaporation_hm3"] = res.evaporation(inp, sol.s)
    if "outflow_hm3" in variables:
        sink = np.zeros((T, len(nodes)))
        sink[:, L["sink_at"]] = sol.out
        out["outflow_hm3"] = sink
    if "min_flow_shortfall_hm3" in variables:
        env = np.zeros((T, len(L["loss"])))
        for j, k in L["min_at"]:
            env[:, j] = sol.env[:, k]
        out["min_flow_shortfall_hm3"] = env
    # the duck-typed Dataset that result.Accounts reads
    ds: Any = {k: SimpleNamespace(values=v) for k, v in L["static"].items()}
    ds.update({"delivered_hm3": SimpleNamespace(values=delivered), "flow_hm3": SimpleNamespace(values=sol.x),
               "natural_inflow_hm3": SimpleNamespace(values=natural), "spill_hm3": SimpleNamespace(values=sol.spill),
               "return_hm3": SimpleNamespace(values=sol.q * L["rf"]),
               "seepage_hm3": SimpleNamespace(values=sol.x * loss * L["seep"])})
    acc = res.Accounts(ds)
    rec = np.zeros((T, len(L["parties"])))
    ent = np.full((T, len(L["parties"])), np.nan)
    for j, row in L["shares"]:
        rec[:, j] = acc.received(row)
        ent[:, j] = acc.requirement(row)
    out["received_hm3"], out["entitlement_hm3"] = rec, ent
    return {k: out[k] for k in variables}, res.ledger(ds, inp, sol.row_dual)


def _arrays_from_result(r: Any, variables: tuple[str, ...]) -> tuple[dict, pd.DataFrame]:
    ds = r.dataset
    return {k: ds[k].values for k in variables}, r.ledger


# per process: the member-independent inputs of the structures solved here (key → (inputs, layout))
_BASES: OrderedDict[tuple, tuple[Any, dict]] = OrderedDict()


def _base(basin: Basin, sha: str, times: pd.DatetimeIndex, first: np.ndarray, options: dict) -> tuple[Any, dict]:
    from optimizer.core.model import make_inputs

    key = (sha, str(times[0]), len(times), json.dumps({k: v for k, v in options.items() if k != "variables"},
                                                      sort_keys=True, default=str))
    hit = _BASES.get(key)
    if hit is None:
        da = xr.DataArray(first, dims=("time", "node"), coords={"time": times, "node": inflow_nodes(basin)},
                          attrs={"units": "hm3/month"})
        inp = make_inputs(basin, times, da, end_storage=options["end_storage"],
                          upstream_first=options["operation"] == "status-quo",
                          initial_storage=options["initial_storage"])
        hit = _BASES[key] = (inp, layout(inp))
        while len(_BASES) > 8:
            _BASES.popitem(last=False)
    return hit


def _test_kill(member: int) -> None:
    """The test-only hook of :data:`KILL_ENV` (a no-op unless that variable is set, and outside a Dask worker)."""
    if os.environ.get(KILL_ENV) != str(member):
        return
    try:
        from distributed import get_worker

        get_worker()
    except (ImportError, ValueError):
        return  # not in a worker: never kill the user's own process
    once = os.environ.get(KILL_ONCE_ENV)
    if once:
        try:
            with open(once, "x"):
                pass
        except FileExistsError:
            return
    os.kill(os.getpid(), signal.SIGKILL)


def solve_chunk(basin: Basin, inflow: np.ndarray, times: np.ndarray, members: list[int], options: dict) -> list[dict]:
    """Solve the members of one chunk one after another on this process's persistent model."""
    from optimizer.core import solver

    idx = pd.DatetimeIndex(times)
    nodes = inflow_nodes(basin)
    variables = options["variables"]
    sha = basin.sha256()  # the cached inputs follow the basin's contents, not the object
    out = []
    for k, q in zip(members, inflow):
        _test_kill(int(k))
        item: dict[str, Any] = {"member": int(k)}
        cpu = time.process_time()
        try:
            if options["foresight"] == "perfect":
                base, lay = _base(basin, sha, idx, q, options)
                inp = replace(base, inflow=pd.DataFrame(q, index=idx, columns=nodes))
                persistent, solve_entry = solver._path("arrays")  # optimizer.solve's default build
                entry = persistent(inp, {})
                sol, status = solve_entry(entry, inp, options["time_limit"])
                arr, led = arrays(inp, sol, variables, lay)
                item.update(objective=sol.objective)
            else:
                da = xr.DataArray(q, dims=("time", "node"), coords={"time": idx, "node": nodes},
                                  attrs={"units": "hm3/month"})
                r = solver.solve(basin, inflow=da, foresight=options["foresight"], operation=options["operation"],
                                 end_storage=options["end_storage"], initial_storage=options["initial_storage"],
                                 time_limit=options["time_limit"])
                arr, led = _arrays_from_result(r, variables)
                status = r.manifest["status"]
                item.update(objective=r.objective)
            item.update(status=status, message="", arrays=arr,
                        ledger={f: led[f].to_numpy(dtype=bool if f == "met" else float) for f in LEDGER_FIELDS})
        except SolveError as exc:
            item.update(status=type(exc).__name__, message=str(exc), objective=np.nan)
        item["cpu_s"] = time.process_time() - cpu
        out.append(item)
    return out


def warm_chunk(basin: Basin, inflow: np.ndarray, times: np.ndarray, options: dict) -> float:
    """Build (and keep) this process's model of the structure and solve it once on ``inflow`` (one member);
    returns the seconds it took. Run on every worker before the members (``client.run``), and in this process
    before a serial loop, so that start-up is measured apart from the members' solves. (Solved, not only built:
    the HiGHS hand-off skips the parameter update on a model's first solve, optimizer.core.highs_adapter.)"""
    from optimizer.core import solver

    t0 = time.perf_counter()
    if options["foresight"] == "perfect":
        idx = pd.DatetimeIndex(times)
        base, _ = _base(basin, basin.sha256(), idx, inflow, options)
        inp = replace(base, inflow=pd.DataFrame(inflow, index=idx, columns=inflow_nodes(basin)))
        persistent, solve_entry = solver._path("arrays")  # optimizer.solve's default build
        entry = persistent(inp, {})
        with contextlib.suppress(SolveError):  # a member without an allocation still warms the model
            solve_entry(entry, inp, options["time_limit"])
    return time.perf_counter() - t0
