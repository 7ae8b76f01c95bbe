"""The myopic operator of :func:`optimizer.solve` (``foresight="myopic"``): each month's LP solved alone, storage
and storage-account balances carried forward, the end-of-month storage valued at :data:`MYOPIC_STORAGE_VALUE`.
(:func:`optimizer.core.solver._solve_myopic` is this module's :func:`solve_myopic`.)"""

from __future__ import annotations

import time

import xarray as xr

from basins import Basin
from optimizer.core import accounts
from optimizer.core import result as res
from optimizer.core.model import Inputs, make_inputs

MYOPIC_STORAGE_VALUE = 0.1  # cost units per hm³ kept in storage at the end of each month (myopic operator)


def solve_myopic(basin: Basin, full: Inputs, inflow: xr.DataArray, timings: dict, time_limit, upstream_first,
                  warm: bool = False, build: str = "pyomo"):
    """Month by month: each month's LP alone (rules held month by month, quotas in equal monthly parts),
    storage carried forward, end-of-month storage valued at MYOPIC_STORAGE_VALUE (no end-of-horizon target:
    an operator without a forecast cannot plan for one)."""
    from optimizer.core.solver import _path  # the build paths live with the solver (no import cycle)

    parts = []
    storage = dict(full.initial_storage)
    # storage accounts: the caller's or the file's start balances, then the previous month's end
    build_s = solve_s = 0.0
    balances = full.initial_accounts
    for i in range(len(full.times)):
        times = full.times[i:i + 1]
        inp = make_inputs(basin, times, inflow.isel(time=[i]), end_storage="free", upstream_first=upstream_first,
                          storage_value=MYOPIC_STORAGE_VALUE, monthly_rules=True, initial_storage=storage,
                          step=full.step, initial_accounts=balances)
        t: dict = {}
        persistent, solve_entry = _path(build)
        entry = persistent(inp, t)
        build_s += t["build_s"]
        t0 = time.perf_counter()
        sol, _ = solve_entry(entry, inp, time_limit, warm)
        solve_s += time.perf_counter() - t0
        if build == "arrays":
            build_s, solve_s = build_s + entry.build_s, solve_s - entry.build_s
        parts.append(sol)
        spec = basin.spec
        storage = dict(zip([r.node for r in spec.reservoirs], sol.s[-1])) | dict(zip([a.node for a in spec.aquifers],
                                                                                     sol.g[-1]))
        balances = dict(zip(accounts.keys(spec), sol.acc[-1]))
    timings.update(build_s=build_s, solve_s=solve_s)
    return res.Solution.concat(parts), "optimal"
