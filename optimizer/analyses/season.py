"""The Commission's season: propose a schedule from a forecast, operate it, plan against fact, re-plan.

A season runs 1 April – 30 September (the vegetation period of the Regulation's quotas). Posts are KZ's receipt
links of the basin's Apr–Sep quota (Talas: the Talas at the border; Chu: the W-BChK tail, the Georgievka canal and
the Chu at the border). All volumes hm³ per step, flows m³/s (real step lengths).

* :func:`propose` — the schedule that satisfies the agreement for a forecast: an agreement solve with the quota
  scaled to the forecast (operative quota = Regulation volume × forecast / normal, or the Commission's published
  plan for a named year), whose deliveries at the posts per step are the schedule.
* :func:`follow` — ``operation="schedule"``: the schedule delivered at the posts first, KG's intakes the remainder.
* :func:`plan_vs_fact` — per post and step: planned, actual, cumulative, % fulfilment, deviation carried forward.
* :func:`replan` — from a date inside the season, with the storage observed then, re-optimise the rest (rolling
  horizon: the steps before the date keep the observed values).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

import basins
from optimizer.analyses import named_years
from optimizer.core import solver, timesteps
from optimizer.core.schedule import Schedule

SEASON_MONTHS = 6  # April – September


@dataclass
class Season:
    basin: basins.Basin
    year: int
    step: str
    times: pd.DatetimeIndex
    inflow: xr.DataArray  # (time × inflow node) hm³ per step
    initial_storage: dict | None
    end_storage: str
    operative_quota_hm3: float
    regulation_quota_hm3: float
    availability: float  # forecast Apr–Sep inflow / normal Apr–Sep inflow
    notes: dict

    @property
    def posts(self) -> list[str]:
        return posts(self.basin)


def quota(basin: basins.Basin):
    """KZ's Apr–Sep quota of the basin (the Regulation's 370 / 590 hm³)."""
    qs = [q for q in basin.spec.agreement.quotas if q.period == "apr-sep" and q.party == "KZ"]
    if len(qs) != 1:
        raise ValueError(f"basin {basin.id!r} has {len(qs)} KZ quotas for apr-sep; a season needs exactly one")
    return qs[0]


def posts(basin: basins.Basin) -> list[str]:
    return list(quota(basin).receipts.links)


def with_quota(basin: basins.Basin, volume_hm3: float) -> basins.Basin:
    b = basin.copy()
    q = quota(b)
    q.volume_hm3 = float(volume_hm3)
    return b


def season(basin: basins.Basin | str, year: int = 2025, *, forecast: float | None = None, step: str = "dekad",
           named: bool = False) -> Season:
    """The season's inputs. ``forecast``: Apr–Sep natural inflow as a fraction of normal (≤ 5) or a volume [hm³];
    ``named``: build the year from data/observed (named_years) instead."""
    if isinstance(basin, str):
        basin = basins.load(basin)
    times = timesteps.horizon(f"{year}-04", SEASON_MONTHS, step)
    normal = solver.inflow_series(basin, times, "normal", step)
    normal_total = float(normal.sum())
    notes: dict = {}
    reg = float(quota(basin).volume_hm3)
    init, end = None, "initial"
    if named:
        ny = named_years.scenario(basin.id, year)
        inflow = solver.inflow_series(basin, times, ny.year_type, step) * ny.scale
        if ny.initial_storage:
            init = {k: v.value for k, v in ny.initial_storage.items()}
            end = "free"
        notes = ny.manifest()
        avail = float(inflow.sum()) / normal_total
        if ny.plan is not None:
            op = ny.plan.value
        else:
            op = reg * avail
            notes["plan"] = {"value": op, "unit": "hm3", "status": "D", "source": "",
                             "what": f"no plan published: Regulation {reg:g} x availability {avail:.3f}"}
    else:
        if forecast is None:
            fraction = 1.0
        elif forecast <= 5:
            fraction = float(forecast)
        else:
            fraction = float(forecast) / normal_total
        if not fraction > 0:
            raise ValueError(f"the forecast must be a positive fraction of normal or volume in hm3, not {forecast!r}")
        inflow = normal * fraction
        avail = fraction
        op = reg * fraction
        notes = {"forecast_fraction_of_normal": fraction, "forecast_apr_sep_hm3": fraction * normal_total,
                 "normal_apr_sep_hm3": normal_total,
                 "plan": {"value": op, "unit": "hm3", "status": "D", "source": "Regulation x forecast / normal",
                          "what": f"operative quota = {reg:g} x {fraction:.3f}"}}
    notes["start_storage"] = "published (end free)" if init else "basin initial storage, end >= start (cyclic)"
    return Season(basin, int(year), step, times, inflow, init, end, float(op), reg, float(avail), notes)


def receipts(result, links: list[str]) -> pd.DataFrame:
    """Water arriving through each post per step [hm³] (time × post)."""
    d = result.dataset["delivered_hm3"].sel(link=links).to_pandas()
    d.index = pd.DatetimeIndex(d.index)
    d.columns.name = None
    return d


def propose(s: Season, time_limit: float | None = 60.0) -> tuple[Schedule, object]:
    """The schedule of an agreement solve with the operative quota: the timing of its deliveries at the posts per
    step, and their volume capped at the operative quota (what flows past the posts beyond the quota is surplus,
    not a planned delivery: each post and step is scaled by quota / delivered when the solve delivers more)."""
    b = with_quota(s.basin, s.operative_quota_hm3)
    res = solver.solve(b, inflow=s.inflow, step=s.step, operation="agreement", end_storage=s.end_storage,
                       initial_storage=s.initial_storage, time_limit=time_limit)
    got = receipts(res, s.posts)
    total = float(got.to_numpy().sum())
    plan = got * min(1.0, s.operative_quota_hm3 / total) if total > 0 else got
    sched = Schedule(plan, s.step, basin=s.basin.id,
                     label=f"{s.basin.id} {s.year} schedule, operative quota {s.operative_quota_hm3:.1f} hm3",
                     sources=s.notes)
    return sched, res


def follow(s: Season, schedule: Schedule, inflow: xr.DataArray | None = None, initial_storage: dict | None = None,
           end_storage=None, time_limit: float | None = 60.0):
    """Schedule operation: the schedule delivered at the posts first, every intake taking the remainder."""
    res = solver.solve(s.basin, inflow=s.inflow if inflow is None else inflow, step=s.step, operation="schedule",
                       schedule=schedule, end_storage=s.end_storage if end_storage is None else end_storage,
                       initial_storage=s.initial_storage if initial_storage is None else initial_storage,
                       time_limit=time_limit)
    res.manifest["season"] = s.notes
    return res


def storage_gain(result) -> pd.Series:
    """End minus start storage of each reservoir over the run [hm³]."""
    ds = result.dataset
    return (ds["storage_hm3"].isel(time=-1) - ds["storage_start_hm3"].isel(time=0)).to_pandas()


def cumulative_to(per_step: pd.Series, step: str, start: pd.Timestamp, end: pd.Timestamp) -> float:
    """Sum of a per-step volume from ``start`` to ``end`` (both days included) [hm³]; a step cut by a date counts
    in proportion to its days (the flow is uniform within a step, as in the model)."""
    idx = pd.DatetimeIndex(per_step.index)
    days = timesteps.step_days(idx, step)
    total = 0.0
    for i, t0 in enumerate(idx):
        t1 = t0 + pd.Timedelta(days=float(days[i]))  # exclusive step end
        lo, hi = max(t0, start), min(t1, end + pd.Timedelta(days=1))
        if hi > lo:
            total += float(per_step.iloc[i]) * (hi - lo).days / days[i]
    return total


def plan_vs_fact(schedule: Schedule, actual_hm3: pd.DataFrame, until: str | pd.Timestamp | None = None) -> pd.DataFrame:
    """Per post and step up to ``until`` (the last step starting on or before it): planned and actual [m³/s, hm³],
    cumulative planned and actual [hm³], % fulfilment (cumulative actual / cumulative planned) and the deviation
    carried forward (cumulative actual − cumulative planned, hm³: positive = ahead of the schedule)."""
    plan = schedule.plan_hm3
    act = actual_hm3.reindex(index=plan.index, columns=plan.columns)
    if until is not None:
        keep = plan.index <= pd.Timestamp(until)
        plan, act = plan[keep], act[keep]
    days = timesteps.step_days(plan.index, schedule.step)
    to_m3s = 1e6 / (days * timesteps.SECONDS_PER_DAY)
    rows = []
    for p in plan.columns:
        cp, ca = plan[p].cumsum(), act[p].cumsum(skipna=False)  # after a gap the cumulative fact is unknown (NaN)
        for i, t in enumerate(plan.index):
            pct = 100.0 * ca.iloc[i] / cp.iloc[i] if cp.iloc[i] > 1e-9 else np.nan
            rows.append({"post": p, "step_start": t, "step": timesteps.step_label(t, schedule.step),
                         "plan_m3s": plan[p].iloc[i] * to_m3s[i], "actual_m3s": act[p].iloc[i] * to_m3s[i],
                         "plan_hm3": plan[p].iloc[i], "actual_hm3": act[p].iloc[i],
                         "cum_plan_hm3": cp.iloc[i], "cum_actual_hm3": ca.iloc[i], "fulfilment_pct": pct,
                         "deviation_hm3": ca.iloc[i] - cp.iloc[i]})
    return pd.DataFrame(rows)


def figure(table: pd.DataFrame):
    """Plotly figure of a plan-vs-fact table: cumulative plan and actual per post [hm³]."""
    import plotly.graph_objects as go
    fig = go.Figure()
    for p, g in table.groupby("post", sort=False):
        fig.add_trace(go.Scatter(x=g["step_start"], y=g["cum_plan_hm3"], name=f"{p} plan", line={"dash": "dash"}))
        fig.add_trace(go.Scatter(x=g["step_start"], y=g["cum_actual_hm3"], name=f"{p} actual"))
    fig.update_layout(xaxis_title="step start", yaxis_title="cumulative delivery, hm³", title="Plan against fact")
    return fig


@dataclass
class Replan:
    date: pd.Timestamp
    past: pd.DataFrame  # observed receipts before the date (time × post) hm³
    schedule: Schedule  # the re-planned schedule of the remaining steps
    combined: pd.DataFrame  # past (observed) + re-planned future, full season (time × post) hm³
    result: object  # the rest-of-season solve
    storage_at_date: dict


def replan(s: Season, schedule: Schedule, fact, date: str | pd.Timestamp,
           remaining_inflow: xr.DataArray | None = None, time_limit: float | None = 60.0) -> Replan:
    """Re-plan from ``date`` (the first day of a step; rolling horizon).

    The steps before the date are not re-solved: they keep the observed (``fact``) receipts. The rest of the
    season starts from the fact's storage at the end of the step before the date. What is still due at each post
    is the schedule's season total minus what the post received before the date; it is spread over the remaining
    steps in the agreed schedule's shape and the rest of the season is re-optimised in schedule operation (the
    LP meets what the water allows, the upstream intakes take the remainder): its deliveries are the new plan."""
    date = pd.Timestamp(date)
    if date not in s.times or date == s.times[0]:
        raise ValueError(f"re-plan from the first day of a step after the season's start, not {date:%Y-%m-%d}")
    i = int(s.times.get_loc(date))
    past = receipts(fact, s.posts).iloc[:i]
    ds = fact.dataset
    store = {r: float(ds["storage_hm3"].sel(reservoir=r).isel(time=i - 1)) for r in ds["reservoir"].values}
    if "aquifer" in ds.coords:
        store |= {a: float(ds["groundwater_hm3"].sel(aquifer=a).isel(time=i - 1)) for a in ds["aquifer"].values}
    rest = schedule.plan_hm3.iloc[i:]
    due = (schedule.plan_hm3.sum() - past.sum()).clip(lower=0.0)
    shape = rest.div(rest.sum().where(rest.sum() > 0), axis=1).fillna(1.0 / len(rest))
    target = shape.mul(due, axis=1)
    inflow = s.inflow.isel(time=slice(i, None)) if remaining_inflow is None else remaining_inflow
    end = "free" if s.end_storage == "free" else {r: float(ds["storage_start_hm3"].sel(reservoir=r).isel(time=0))
                                                  for r in ds["reservoir"].values}
    res = solver.solve(s.basin, inflow=inflow, step=s.step, operation="schedule", end_storage=end,
                       schedule=Schedule(target, s.step), initial_storage=store, time_limit=time_limit)
    future = receipts(res, s.posts)
    sched = Schedule(future, s.step, basin=s.basin.id, label=f"re-plan from {date:%Y-%m-%d}")
    return Replan(date, past, sched, pd.concat([past, future]), res, store)


def probability_met(s: Season, schedule: Schedule, fractions, tolerance: float = 0.01,
                    time_limit: float | None = 60.0, *, client=None, scheduler: str | None = None, workers: int = 2,
                    chunk_size: int | None = None, progress: bool = False) -> pd.DataFrame:
    """Forecast-driven season: for each member of an ensemble of Apr–Sep inflow forecasts (``fractions`` of the
    season inflow ``s.inflow``, e.g. draws of a forecast's uncertainty), operate the schedule and say whether each
    post received its season's planned volume (within ``tolerance`` × plan). Returns per post the share of members
    that met it and the members' season receipts [hm³] (min, median, max).

    The members run on the ensemble machinery (:func:`optimizer.analyses.dask_run.run_members`): ``scheduler``,
    ``workers``, ``client``, ``chunk_size`` as in :func:`optimizer.solve_ensemble` (default: this process for small
    runs, a local Dask cluster for large ones); the table's ``attrs["run"]`` says where they ran and how fast."""
    from optimizer.analyses.dask_run import run_members
    from optimizer.core.errors import SolveError

    fr = np.asarray(list(fractions), dtype=float)
    if fr.size == 0 or not np.isfinite(fr).all() or (fr <= 0).any():
        raise ValueError("the ensemble needs one or more positive inflow fractions")
    plan = schedule.total_hm3()
    base = s.inflow.transpose("time", "node")
    inflow = np.ascontiguousarray(fr[:, None, None] * base.values[None], dtype=float)
    shared = {"basin": s.basin, "schedule": schedule, "step": s.step, "end_storage": s.end_storage,
              "initial_storage": s.initial_storage, "posts": s.posts, "nodes": [str(n) for n in base["node"].values]}
    run = run_members(_follow_chunk, _follow_warm, shared, inflow, base["time"].values, {"time_limit": time_limit},
                      client=client, scheduler=scheduler, workers=workers, chunk_size=chunk_size, progress=progress)
    items = sorted(run.items, key=lambda it: it["member"])
    bad = [(it["member"], it["status"]) for it in items if it["status"] != "optimal"]
    if bad:
        raise SolveError(f"members {bad[:10]} of the forecast ensemble have no schedule run (fractions "
                         f"{[float(fr[k]) for k, _ in bad[:10]]}): {items[bad[0][0]]['message'][:300]}")
    got = pd.DataFrame([it["received_hm3"] for it in items], columns=s.posts)
    met = got.ge(plan * (1 - tolerance), axis=1)
    out = pd.DataFrame({"plan_hm3": plan, "probability_met": met.mean(), "members": len(fr),
                        "received_min_hm3": got.min(), "received_median_hm3": got.median(),
                        "received_max_hm3": got.max()})
    out.attrs["run"] = run.attrs()
    return out


def _follow_member(shared: dict, q: np.ndarray, times: np.ndarray, time_limit: float | None):
    da = xr.DataArray(q, dims=("time", "node"), coords={"time": pd.DatetimeIndex(times), "node": shared["nodes"]},
                      attrs={"units": "hm3"})
    return solver.solve(shared["basin"], inflow=da, step=shared["step"], operation="schedule",
                        schedule=shared["schedule"], end_storage=shared["end_storage"],
                        initial_storage=shared["initial_storage"], time_limit=time_limit)


def _follow_chunk(shared: dict, inflow: np.ndarray, times: np.ndarray, members: list[int], options: dict) -> list[dict]:
    """One task of :func:`probability_met`: the schedule operated on each member's inflow (in a worker or here)."""
    from optimizer.core.errors import SolveError

    out = []
    for k, q in zip(members, inflow):
        try:
            res = _follow_member(shared, q, times, options["time_limit"])
            out.append({"member": int(k), "status": "optimal", "message": "",
                        "received_hm3": receipts(res, shared["posts"]).sum().to_numpy()})
        except SolveError as exc:
            out.append({"member": int(k), "status": type(exc).__name__, "message": str(exc),
                        "received_hm3": np.full(len(shared["posts"]), np.nan)})
    return out


def _follow_warm(shared: dict, q: np.ndarray, times: np.ndarray, options: dict) -> float:
    """Build this process's schedule-operation model once (start-up, measured apart from the members)."""
    import contextlib
    import time

    from optimizer.core.errors import SolveError

    t0 = time.perf_counter()
    with contextlib.suppress(SolveError):
        _follow_member(shared, q, times, options["time_limit"])
    return time.perf_counter() - t0
