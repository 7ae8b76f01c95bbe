"""Instant edits of a solved problem (issue 15 item 3): change inflow cells, re-solve warm, read the allocation.

    >>> import basins, optimizer
    >>> ro = optimizer.Reoptimizer(basins.load("chu"), "normal", start="2025-01", months=12)
    >>> a = ro.set_inflow({("CH_IN_OT", "2025-05"): 120.0})      # hm³ in May 2025 (or unit="m3/s")
    >>> a.table("x").loc["2025-05-01", "CH_L_BORDER"]            # the allocation, hm³ in that step
    >>> r = ro.result()                                          # the whole Result, made when asked for

An edit of natural inflow changes only row bounds of the LP (:func:`optimizer.core.assemble.inflow_maps`: the
node balances and the agreement rows' constants). So an edit

1. checks only the edited cells (an inflow node of the basin, a step of the horizon, a finite number ≥ 0 and at
   most ``MAX_INPUT``; nothing is changed when one cell is refused);
2. re-writes those row bounds with the assembler's own expressions (:func:`~optimizer.core.assemble.inflow_row_bounds`:
   bit for bit the bounds a fresh assembly gives) and pushes the rows whose bounds moved to both kept HiGHS
   instances (``changeRowsBounds``: bases and factors kept);
3. runs stage 2 alone from its kept basis (:meth:`ArrayLP.solve_stage2`). Stage 2's optimum is the reported
   allocation whatever stage 1 did (:mod:`optimizer.core.second_stage`: unique), so the arrays are those
   ``optimizer.solve`` reports for the edited series (tests/test_reoptimize.py: to 1e-6 hm³ against a cold solve);
4. reads the columns as one array (:class:`Allocation`: tables per block on demand).

Stage 1 (the objective, the water values, ``cost_above_optimum``) and the Dataset, ledger and manifest are
made by :meth:`Reoptimizer.result`, when asked for: the same Result as ``optimizer.solve(..., warm_start=True)``
of the current problem, inputs' hash included (``solve(basin, year_type, ...)`` after
:meth:`~Reoptimizer.set_basin_inflow`, ``solve(basin, inflow=ro.inflow, ...)`` after a cell edit).

An edit at an inflow node upstream of a link with a ``loss_table`` changes that link's loss, a coefficient: such
an edit goes the whole way (assembling, the LP passed, both stages), as ``optimizer.solve(warm_start=True)``. An
edit that makes the agreement infeasible raises what ``solve`` raises (an InfeasibleAgreement with its diagnosis);
the edited value is kept, and the next edit starts from it.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import time
from collections.abc import Mapping

import highspy
import numpy as np
import pandas as pd
import xarray as xr

from basins import Basin
from optimizer.core import solve_arrays
from optimizer.core import solver as S
from optimizer.core.assemble import Assembled, inflow_row_bounds, loss_inflow_nodes
from optimizer.core.assemble_highs import ArrayLP, block
from optimizer.core.assemble_highs import extract as arrays_extract
from optimizer.core.errors import SolverFailure, SolverLimit
from optimizer.core.horizon_inputs import _check_inflow, inflow_series
from optimizer.core.model import MAX_INPUT, Inputs
from optimizer.core.problem import finish, prepare

UNITS = ("hm3", "m3/s")  # an edited cell's unit: hm³ in its step, or a mean flow over the step's real days


@dataclasses.dataclass(frozen=True)
class Allocation:
    """The allocation of one solve of a :class:`Reoptimizer`: stage 2's column values (hm³ per step, ``fair`` a
    fraction), read per block. ``seconds``: the edit's time in the optimiser (checks, bounds, HiGHS, reading)."""

    values: np.ndarray
    assembled: Assembled
    times: pd.DatetimeIndex
    seconds: float
    path: str  # "bounds" (stage 2 from the kept basis) or "full" (assembled, both stages)

    def array(self, name: str) -> np.ndarray:
        """Block ``name`` (``x`` flows, ``s`` end-of-step storage, ``q`` deliveries, ``spill``, ``g`` aquifer
        storage, ...; :mod:`optimizer.core.model`) as (step × element) [hm³]."""
        return block(self.assembled, self.values, name)

    def table(self, name: str) -> pd.DataFrame:
        """:meth:`array` as a DataFrame: step start × element id (link, reservoir, demand node ...) [hm³]."""
        keys = self.assembled.col.keys[name]
        return pd.DataFrame(self.array(name), index=self.times, columns=[str(k) for k in keys])


class Reoptimizer:
    """A perfect-foresight problem solved once and kept for edits of its natural inflow (see the module
    docstring). The arguments are :func:`optimizer.solve`'s (its checks and messages); ``time_limit`` applies to
    every later solve."""

    def __init__(self, basin: Basin | str, year_type: str = "normal", *, inflow: xr.DataArray | None = None,
                 start: str = "2025-01", months: int = 12, step: str | None = None, operation: str = "agreement",
                 end_storage: str | dict | None = None, initial_storage: dict | None = None,
                 initial_accounts: dict | None = None, schedule=None, round_start: bool = False,
                 time_limit: float | None = 60.0):
        self._p = prepare(basin, year_type, inflow=inflow, start=start, months=months, operation=operation,
                          end_storage=end_storage, initial_storage=initial_storage, time_limit=time_limit,
                          step=step, schedule=schedule, initial_accounts=initial_accounts, round_start=round_start)
        self.time_limit = time_limit
        full = self._p.full
        self.nodes: list[str] = list(map(str, full.inflow.columns))
        self.times: pd.DatetimeIndex = full.times
        self._col = {n: j for j, n in enumerate(self.nodes)}
        self._row = {t: i for i, t in enumerate(self.times)}
        self._days = full.step_days
        self._loss_nodes = loss_inflow_nodes(full)
        self._q = full.inflow.to_numpy(float).copy()  # (step × inflow node) [hm³ per step]
        self._edited = False  # the inflow differs from the prepared one (so does the manifest's series)
        self._explicit = inflow is not None  # the inflow is an explicit series (or edited cell by cell)
        # the basin's hash without its inflow tables, taken now (set_basin_inflow: what the LP was built from)
        self._rest = None if self._explicit else self._p.basin.sha256(inflow=False)
        self._inp: Inputs | None = full
        with S._HIGHS_IO:
            self._entry = solve_arrays._ArrayEntry(ArrayLP())
        self._solved: tuple | None = None  # (Solution, status, timings) of stage 1 + 2 at the current inflow
        self._result = None
        self._stale = False  # the last solve at the current inflow failed (allocation is an earlier one's)
        self._t_last = time.perf_counter()  # when the last edit (or the construction) began: the manifest's total_s
        self.allocation = self._solve_full(self._t_last)

    # ---- the current problem ----------------------------------------------------------------------------------
    @property
    def inflow(self) -> xr.DataArray:
        """The current natural inflow (time × inflow node) [hm³ per step], edits included."""
        return xr.DataArray(self._q.copy(), dims=("time", "node"), coords={"time": self.times, "node": self.nodes},
                            attrs={"units": "hm3"})

    def _inputs(self) -> Inputs:
        if self._inp is None:
            self._inp = dataclasses.replace(self._p.full, inflow=pd.DataFrame(self._q.copy(), index=self.times,
                                                                              columns=self.nodes))
        return self._inp

    # ---- edits ------------------------------------------------------------------------------------------------
    def set_inflow(self, cells: Mapping[tuple[str, object], float], unit: str = "hm3") -> Allocation:
        """Set natural inflow cells ``{(inflow node, step): value}`` and re-solve; ``step`` is a step start
        (``"2025-05"`` for a month, ``"2025-05-11"`` for a dekad, a Timestamp) or a step number (0-based);
        ``unit`` ``hm3`` (in that step) or ``m3/s`` (a mean flow over the step's real days). Every cell is
        checked before any is applied. Returns the new :class:`Allocation` (also ``self.allocation``)."""
        if unit not in UNITS:
            raise ValueError(f"unit must be one of {UNITS}, not {unit!r}")
        t0 = time.perf_counter()
        new = self._q.copy()
        moved: set[int] = set()  # the inflow nodes (columns) whose cells change
        for (node, when), value in cells.items():
            j, t = self._node_index(node), self._step_index(when)
            try:
                v = float(value)
            except (TypeError, ValueError):
                raise ValueError(f"inflow of {node!r} in {self._label(t)} is {value!r}, not a number; nothing was "
                                 "changed") from None
            hm3 = v * self._days[t] * 86400.0 / 1e6 if unit == "m3/s" else v
            if not (math.isfinite(hm3) and 0.0 <= hm3 <= MAX_INPUT):
                raise ValueError(f"inflow of {node!r} in {self._label(t)} is {value!r} {unit}: give a finite number "
                                 f"≥ 0 (at most {MAX_INPUT:g} hm3); nothing was changed")
            if hm3 != new[t, j]:
                new[t, j] = hm3
                moved.add(j)
        return self._apply(new, t0, explicit=True, changed=np.array(sorted(moved), dtype=np.int64))

    def set_inflow_series(self, inflow: xr.DataArray) -> Allocation:
        """Replace the whole natural inflow (time × inflow node, hm³ per step, on this horizon; checked as
        :func:`optimizer.solve` checks an explicit series) and re-solve; only the cells that differ are pushed."""
        t0 = time.perf_counter()
        v = _check_inflow(self._p.basin, inflow)
        times = pd.DatetimeIndex(v["time"].values)
        if not times.equals(self.times):
            raise ValueError(f"the inflow series covers {len(times)} steps from {times[0]:%Y-%m-%d} if any, not this "
                             f"problem's {len(self.times)} steps from {self.times[0]:%Y-%m-%d}; start a new "
                             "Reoptimizer for another horizon")
        return self._apply(v.sel(node=self.nodes).transpose("time", "node").to_numpy().astype(float), t0, explicit=True)

    def set_basin_inflow(self, basin: Basin, year_type: str | None = None) -> Allocation:
        """Re-solve with ``basin``'s typical-year inflow of ``year_type`` (default: this problem's), ``basin``
        differing from the kept problem's at most in its inflow tables (the app's edited copy; checked by
        :meth:`basins.Basin.sha256` with ``inflow=False``): the result is then that of ``optimizer.solve(basin,
        year_type, ...)``, its manifest included. Only the cells that differ are pushed."""
        t0 = time.perf_counter()
        if self._explicit:
            raise ValueError("this problem's inflow is an explicit series (or was edited cell by cell), not a year "
                             "type of the basin: use set_inflow_series")
        yt = self._p.label if year_type is None else year_type
        if yt not in basin.year_types:
            raise ValueError(f"unknown year type {yt!r}; the basin has {basin.year_types}")
        if basin.sha256(inflow=False) != self._rest:
            raise ValueError(f"basin {basin.id!r} differs from the kept problem's in more than its inflow tables; "
                             "start a new Reoptimizer (or optimizer.solve) for it")
        series = inflow_series(basin, self.times, yt, self._p.step)
        new = series.sel(node=self.nodes).transpose("time", "node").to_numpy().astype(float)
        self._p = dataclasses.replace(self._p, basin=basin, label=yt, options=dict(self._p.options, year_type=yt),
                                      full=dataclasses.replace(self._p.full, basin=basin))
        if self._inp is not None:
            self._inp = dataclasses.replace(self._inp, basin=basin)
        self._result = None  # (the manifest names the basin's hash and the year type)
        return self._apply(new, t0)

    def _node_index(self, node) -> int:
        if node not in self._col:
            raise ValueError(f"{node!r} is not an inflow node of {self._p.basin.id}; its inflow nodes are "
                             f"{', '.join(self.nodes)}")
        return self._col[node]

    def _step_index(self, when) -> int:
        if isinstance(when, (int, np.integer)) and not isinstance(when, bool):
            if not 0 <= int(when) < len(self.times):
                raise ValueError(f"step {when} is outside the horizon (steps 0-{len(self.times) - 1})")
            return int(when)
        try:
            ts = pd.Timestamp(when)
        except (TypeError, ValueError):
            raise ValueError(f"{when!r} is not a step start (YYYY-MM or YYYY-MM-DD) nor a step number") from None
        if ts not in self._row:
            raise ValueError(f"{when!r} is not the start of a step of the horizon ({self.times[0]:%Y-%m-%d} to "
                             f"{self.times[-1]:%Y-%m-%d}, per {self._p.step})")
        return self._row[ts]

    def _label(self, t: int) -> str:
        return f"{self.times[t]:%Y-%m}" if self._p.step == "month" else f"{self.times[t]:%Y-%m-%d}"

    def _apply(self, new: np.ndarray, t0: float, explicit: bool = False,
               changed: np.ndarray | None = None) -> Allocation:
        """Solve with the inflow ``new``; ``changed``: the inflow nodes (columns) whose cells differ, already
        checked by the caller (set_inflow); else found and checked here."""
        self._t_last = t0
        if changed is None:
            cells = new != self._q
            changed = np.flatnonzero(cells.any(axis=0))
            with np.errstate(invalid="ignore"):
                bad = cells & ~(np.isfinite(new) & (new >= 0.0) & (new <= MAX_INPUT))
            if bad.any():  # (only the changed cells are checked: the others were, when they were set)
                t, j = (int(i) for i in np.argwhere(bad)[0])
                raise ValueError(f"inflow of {self.nodes[j]!r} in {self._label(t)} is {float(new[t, j]):g} hm3: give "
                                 f"a finite number ≥ 0 (at most {MAX_INPUT:g} hm3); nothing was changed")
        if not len(changed) and not self._stale:
            return self.allocation
        was_stale = self._stale  # the last solve failed: the instances may hold another LP, or none solved
        if len(changed):
            self._explicit |= explicit
            self._q, self._edited, self._inp, self._solved, self._result = new, True, None, None, None
        self._stale = True  # (until this solve ends: a failed one is solved again by the next call)
        entry = self._entry
        if was_stale or not len(changed) or {self.nodes[j] for j in changed} & self._loss_nodes \
                or not entry.lp.stage2_kept:
            self.allocation = self._solve_full(t0)
            self._stale = False
            return self.allocation
        with entry.lock:
            a = entry.lp.assembled
            assert a is not None
            lo, hi = inflow_row_bounds(a, new.T)
            rows = np.flatnonzero((lo != a.row_lo) | (hi != a.row_hi)).astype(np.int32)
            edited = copy.copy(a)  # (the same LP but these row bounds; dataclasses.replace costs 4× as much)
            edited.row_lo, edited.row_hi = lo, hi
            entry.lp.change_bounds(np.zeros(0, np.int32), rows, edited)
            with S._HIGHS_IO, S._sigint_cancels(entry):  # type: ignore[arg-type]
                st = entry.lp.solve_stage2(self.time_limit)
        if st is not None and st.status in (highspy.HighsModelStatus.kTimeLimit,
                                            highspy.HighsModelStatus.kIterationLimit):
            raise SolverLimit(f"HiGHS stopped at its limit ({st.status.name}, time limit {self.time_limit} s) in the "
                              "re-solve after the edit; raise the time limit or shorten the horizon.")
        if st is None or not st.optimal:  # infeasible (the diagnosis), unsure: the whole way
            self.allocation = self._solve_full(t0)
        else:
            self.allocation = Allocation(st.values, edited, self.times, time.perf_counter() - t0, "bounds")
        self._stale = False
        return self.allocation

    def _solve_full(self, t0: float) -> Allocation:
        """Assemble, pass (or push) and solve both stages on the kept instances; raises what solve raises."""
        inp = self._inputs()
        sol, status = solve_arrays.solve_entry(self._entry, inp, self.time_limit, warm=True)
        build_s = self._entry.build_s
        self._solved = (sol, status, {"build_s": build_s, "solve_s": time.perf_counter() - t0 - build_s,
                                      "rebuilt": not self._edited})
        lp = self._entry.lp
        assert lp.assembled is not None
        return Allocation(lp.values(), lp.assembled, self.times, time.perf_counter() - t0, "full")

    # ---- the whole result -------------------------------------------------------------------------------------
    def result(self):
        """The current problem's :class:`~optimizer.core.result.Result` (Dataset, ledger, water values, manifest),
        solving stage 1 first where an edit ran stage 2 alone; the same as ``optimizer.solve(..., warm_start=True)``
        of the current problem: ``solve(basin, year_type, ...)`` after :meth:`set_basin_inflow` (or before any
        edit), ``solve(basin, inflow=self.inflow, ...)`` after :meth:`set_inflow` / :meth:`set_inflow_series` (an
        explicit series from then on). The manifest's ``model_reused`` is about this Reoptimizer's own HiGHS
        instances (False only for the first solve), ``total_s`` the time from the last edit to this Result."""
        if self._result is not None:
            return self._result
        inp = self._inputs()
        if self._solved is None and (self._stale or not self._entry.lp.stage2_kept):
            # the last solve failed, or the instances hold no allocation LP in sync (the diagnosis's elastic LP,
            # ArrayLP.stage2_kept): the whole way
            self._stale = True
            self.allocation = self._solve_full(time.perf_counter())
            self._stale = False
        if self._solved is None:
            entry = self._entry
            t0 = time.perf_counter()
            with entry.lock:
                entry.warm = True
                sol, status = S.outcome(entry, inp, S._run(entry, self.time_limit),
                                        self.time_limit, lambda: arrays_extract(entry.lp, inp),
                                        solve_arrays.diagnose)
            self._solved = (sol, status, {"build_s": 0.0, "solve_s": time.perf_counter() - t0, "rebuilt": False})
        sol, status, timings = self._solved
        p = self._p
        if self._edited and self._explicit:  # as solve(inflow=...) records an explicit series
            opts = dict(p.options, year_type="explicit series")
            p = dataclasses.replace(p, inflow=_check_inflow(p.basin, self.inflow), full=inp, options=opts,
                                    label="explicit series", t_all=self._t_last)
        elif self._edited:  # the basin's year type, its table edited (set_basin_inflow)
            p = dataclasses.replace(p, inflow=self.inflow, full=inp, t_all=self._t_last)
        else:
            p = dataclasses.replace(p, t_all=self._t_last)
        if sol is None:
            raise SolverFailure("no solution is kept for this problem")
        self._result = finish(p, sol, status, timings, warm_start=True)
        return self._result
