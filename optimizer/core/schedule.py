"""The agreed schedule of water deliveries: planned delivery per accounting post and step.

A post is a receipt link of the basin (its id, e.g. ``TA_L_BORDER``): the schedule counts the water *arriving*
through it (after the link's loss), which is what the model's ``delivered`` and the agreement's receipts count.
Inside the model a plan is hm³ per step; at the edges it is m³/s, converted with the real length of each step
(:func:`optimizer.core.timesteps.m3s_to_hm3`), and cumulative hm³ from the first step.

Files (CSV or Excel .xlsx, one row per post and step; the long table the Commission's protocols list)::

    post,step_start,plan_m3s          (or plan_hm3 instead of plan_m3s)
    TA_L_BORDER,2025-04-01,12.5

When both plan_hm3 and plan_m3s are given, plan_hm3 is used. ``step_start`` is the first day of the step (1, 11 or 21 for dekads). Every problem is reported with the file,
row (as a spreadsheet shows it: the header is row 1), field and the fix, and nothing is repaired silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.core import timesteps


class ScheduleError(ValueError):
    """A schedule file or table that cannot be used; the message names file, row, field and fix."""


@dataclass
class Schedule:
    """Planned delivery ``plan_hm3`` (step start × post link, hm³ per step) on steps of ``step``."""

    plan_hm3: pd.DataFrame
    step: str
    basin: str = ""
    label: str = ""
    sources: dict = field(default_factory=dict)  # figure → source and [P]/[D]/[E] status

    def __post_init__(self):
        self.plan_hm3 = self.plan_hm3.copy()
        self.plan_hm3.index = pd.DatetimeIndex(self.plan_hm3.index)
        timesteps.check_step(self.step)
        timesteps.step_days(self.plan_hm3.index, self.step)  # a dekad starts on day 1, 11 or 21

    @property
    def posts(self) -> list[str]:
        return list(self.plan_hm3.columns)

    @property
    def times(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(self.plan_hm3.index)

    @property
    def days(self) -> np.ndarray:
        return timesteps.step_days(self.times, self.step)

    @property
    def plan_m3s(self) -> pd.DataFrame:
        """Mean planned flow over each step [m³/s]."""
        return self.plan_hm3.div(self.days * timesteps.SECONDS_PER_DAY / 1e6, axis=0)

    @property
    def cumulative_hm3(self) -> pd.DataFrame:
        """Planned delivery from the first step to the end of each step [hm³]."""
        return self.plan_hm3.cumsum()

    def total_hm3(self) -> pd.Series:
        return self.plan_hm3.sum()

    def to_long(self) -> pd.DataFrame:
        """One row per post and step: post, step_start, step, days, plan_m3s, plan_hm3, cumulative_hm3."""
        rows = []
        cum = self.cumulative_hm3
        q = self.plan_m3s
        for p in self.posts:
            for i, ts in enumerate(self.times):
                rows.append({"post": p, "step_start": ts, "step": timesteps.step_label(ts, self.step),
                             "days": float(self.days[i]), "plan_m3s": float(q.iloc[i][p]),
                             "plan_hm3": float(self.plan_hm3.iloc[i][p]), "cumulative_hm3": float(cum.iloc[i][p])})
        return pd.DataFrame(rows)

    @classmethod
    def from_m3s(cls, plan_m3s: pd.DataFrame, step: str, **kw) -> "Schedule":
        times = pd.DatetimeIndex(plan_m3s.index)
        hm3 = plan_m3s.mul(timesteps.step_days(times, step) * timesteps.SECONDS_PER_DAY / 1e6, axis=0)
        return cls(hm3, step, **kw)


def plan_table(schedule: "Schedule | pd.DataFrame", basin, times: pd.DatetimeIndex) -> pd.DataFrame:
    """The plan as the model's (time × post) hm³ table on ``times``; every post a link of ``basin``."""
    plan = schedule.plan_hm3 if isinstance(schedule, Schedule) else schedule
    plan = plan.copy()
    plan.index = pd.DatetimeIndex(plan.index)
    links = {lk.id for lk in basin.spec.links}
    unknown = [p for p in plan.columns if p not in links]
    if unknown:
        raise ScheduleError(f"schedule post(s) {unknown} are not links of basin {basin.id!r}; use a receipt link id "
                            f"such as {sorted(links)[:3]}")
    if not plan.index.equals(pd.DatetimeIndex(times)):
        raise ScheduleError(f"the schedule covers {len(plan)} steps {plan.index[0]:%Y-%m-%d}..{plan.index[-1]:%Y-%m-%d}"
                            f" but the run has {len(times)} steps {times[0]:%Y-%m-%d}..{times[-1]:%Y-%m-%d}; give a "
                            "schedule on the run's steps (same --start, --months and --step)")
    v = plan.to_numpy(dtype=float)
    if not np.isfinite(v).all() or (v < 0).any():
        raise ScheduleError("a schedule's planned deliveries must be finite numbers >= 0 hm3")
    return plan


def _fail(file, row, fld, problem, fix):
    raise ScheduleError(f"{file}, row {row}, field {fld!r}: {problem}; {fix}")


def read(path: str | Path, step: str | None = None, basin=None) -> Schedule:
    """Read a schedule from CSV or .xlsx (first sheet, or the sheet named ``schedule``)."""
    path = Path(path)
    if not path.exists():
        raise ScheduleError(f"{path}: no such file; give the path of a .csv or .xlsx schedule")
    if path.suffix.lower() == ".xlsx":
        import openpyxl  # noqa: F401  (pandas' engine; a clear ImportError if missing)
        sheets = pd.read_excel(path, sheet_name=None, engine="openpyxl")
        df = sheets.get("schedule", next(iter(sheets.values())))
    elif path.suffix.lower() == ".csv":
        df = pd.read_csv(path)
    else:
        raise ScheduleError(f"{path}: a schedule is a .csv or .xlsx file, not {path.suffix!r}")
    return from_table(df, str(path), step=step, basin=basin)


def from_table(df: pd.DataFrame, file: str = "<table>", step: str | None = None, basin=None) -> Schedule:
    """A long table (post, step_start, plan_m3s | plan_hm3) as a :class:`Schedule`, every problem located."""
    df = df.rename(columns=lambda c: str(c).strip())
    for col in ("post", "step_start"):
        if col not in df.columns:
            _fail(file, 1, col, "column missing", "add a header 'post,step_start,plan_m3s' (or plan_hm3)")
    value = [c for c in ("plan_hm3", "plan_m3s") if c in df.columns]
    if not value:
        _fail(file, 1, "plan_m3s", "column missing", "add a column plan_m3s (planned flow) or plan_hm3 (volume per step)")
    unit = value[0]  # plan_hm3 when both are given (it is what the model uses; the m³/s is rounded in print)
    links = None if basin is None else {lk.id for lk in basin.spec.links}
    recs = []
    for i, r in df.iterrows():
        row = int(i) + 2
        post = str(r["post"]).strip() if pd.notna(r["post"]) else ""
        if not post:
            _fail(file, row, "post", "empty", "name the accounting post (a receipt link id, e.g. TA_L_BORDER)")
        if links is not None and post not in links:
            _fail(file, row, "post", f"{post!r} is not a link of basin {basin.id!r}",
                  "use a receipt link id of the basin (see `chutalas check BASIN`)")
        ts = pd.to_datetime(r["step_start"], errors="coerce")
        if pd.isna(ts):
            _fail(file, row, "step_start", f"{r['step_start']!r} is not a date", "write the step's first day as YYYY-MM-DD")
        v = pd.to_numeric(r[unit], errors="coerce")
        if pd.isna(v) or not np.isfinite(v) or v < 0:
            _fail(file, row, unit, f"{r[unit]!r} is not a number >= 0", "write the planned delivery as a number (0 for none)")
        recs.append((post, pd.Timestamp(ts), float(v), row))
    if not recs:
        _fail(file, 2, "post", "no rows", "list one row per post and step")
    long = pd.DataFrame(recs, columns=["post", "t", "v", "row"])
    dup = long[long.duplicated(["post", "t"], keep="first")]
    if len(dup):
        d = dup.iloc[0]
        _fail(file, int(d.row), "step_start", f"post {d.post} has step {d.t:%Y-%m-%d} twice", "keep one row per post and step")
    times = pd.DatetimeIndex(sorted(long.t.unique()))
    try:
        inferred = timesteps.infer_step(times)
    except ValueError as e:
        _fail(file, int(long.row.iloc[0]), "step_start", str(e),
              "list consecutive steps (every dekad from the 1st of the first month) for every post")
    if step is not None and timesteps.check_step(step) != inferred:
        _fail(file, int(long.row.iloc[0]), "step_start", f"the schedule is per {inferred}, the run per {step}",
              f"give the schedule per {step} or run with --step {inferred}")
    wide = long.pivot(index="t", columns="post", values="v").reindex(times)
    missing = wide.isna().stack()
    if missing.any():
        t, p = missing[missing].index[0]
        _fail(file, len(df) + 1, "step_start", f"post {p} has no row for step {t:%Y-%m-%d} ({int(missing.sum())} missing)",
              "give every post a row for every step (0 for no delivery)")
    wide.columns.name = None
    if unit == "plan_m3s":
        return Schedule.from_m3s(wide, inferred, label=file)
    return Schedule(wide, inferred, label=file)


def write_csv(schedule: Schedule, path: str | Path) -> Path:
    """The long table ``read`` accepts (post, step_start, plan_m3s) plus hm³ columns for reading."""
    path = Path(path)
    df = schedule.to_long()
    df["step_start"] = df["step_start"].dt.strftime("%Y-%m-%d")
    df.to_csv(path, index=False)
    return path
