"""Time steps of the LP: calendar months, dekads (ten-day periods) or days, each with its real length.

The Commission plans and accounts by **dekad**: days 1–10, 11–20 and 21 to the end of the month, 36 a year
(dekad 3 of February has 8 days, 9 in a leap year). A horizon is a :class:`pandas.DatetimeIndex` of step
*starts*; the step is ``"month"``, ``"dekad"`` or ``"day"``. ``months`` always counts calendar months, so a
12-month horizon has 12, 36 or 365/366 steps.

Every conversion of a flow [m³/s] to a volume per step [hm³] uses :func:`step_days` (the real number of days
of each step) and nothing else, so capacities, minimum flows and m³/s series agree in every step.

Series given per calendar month (the bundled typical years, in hm³/month) reach a finer step by
:func:`month_fraction`: a step receives the month's volume in proportion to its days (uniform in time within
the month; a derived [D] disaggregation, recorded in the run's manifest). Nothing is ever interpolated between
months.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from basins.series import DEKAD_STARTS, STEPS
from basins.series import step_days as series_step_days

SECONDS_PER_DAY = 86_400
#: How a monthly series is spread over finer steps (manifest text).
DISAGGREGATION = "[D] monthly volume spread over the month's steps in proportion to their days (uniform in time)"


def check_step(step: str) -> str:
    if step not in STEPS:
        raise ValueError(f"step must be one of {', '.join(STEPS)}, not {step!r}")
    return step


def horizon(start: str | pd.Timestamp, months: int, step: str = "month") -> pd.DatetimeIndex:
    """Step starts of ``months`` calendar months from ``start`` (the first day of a month)."""
    check_step(step)
    if not 1 <= int(months) <= 1200:
        raise ValueError(f"months must be between 1 and 1200, got {months}")
    t0 = pd.Timestamp(start)
    if t0 != t0.normalize() or t0.day != 1:
        raise ValueError(f"a horizon starts on the first day of a month, not {t0:%Y-%m-%d}; give YYYY-MM")
    first = pd.date_range(t0, periods=int(months), freq="MS")
    if step == "month":
        return first
    if step == "day":
        return pd.date_range(t0, first[-1] + pd.offsets.MonthEnd(0), freq="D")
    return pd.DatetimeIndex([m + pd.Timedelta(days=d - 1) for m in first for d in DEKAD_STARTS])


def step_days(times: pd.DatetimeIndex, step: str) -> np.ndarray:
    """Real number of days of each step [d] (a dekad 3 runs from day 21 to the month's last day): the one
    day count of the project, :func:`basins.series.step_days`, as floats."""
    check_step(step)
    t = pd.DatetimeIndex(times)
    return _step_days(t.values.astype("datetime64[ns]").tobytes(), step).copy()


@functools.lru_cache(maxsize=256)
def _step_days(starts_ns: bytes, step: str) -> np.ndarray:
    """:func:`step_days` of the step starts given as int64 nanoseconds (a pure function of them, kept: one
    solve asks for the same horizon's day counts some twenty times)."""
    times = pd.DatetimeIndex(np.frombuffer(starts_ns, dtype="datetime64[ns]"))
    return series_step_days(times, step).astype(float)


def month_fraction(times: pd.DatetimeIndex, step: str) -> np.ndarray:
    """Share of its calendar month that each step covers (1 for months)."""
    return step_days(times, step) / np.asarray(pd.DatetimeIndex(times).days_in_month, dtype=float)


def typical_fraction(times: pd.DatetimeIndex, step: str) -> np.ndarray:
    """Factor from a typical-year month's volume (a typical year has 365 days: February 28, as basins.series
    converts m³/s) to each dated step of ``times``: the step's real days over the typical month's days, so that a
    typical-year series is a mean rate over the real days (29/28 of February in a leap year, as capacities and
    minimum flows there), and a month's steps share its volume by their days (uniform in time, [D])."""
    times = pd.DatetimeIndex(times)
    return step_days(times, step) / _TYPICAL_MONTH_DAYS[np.asarray(times.month) - 1]


#: days of each month of a typical (365-day) year, January first
_TYPICAL_MONTH_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=float)


def m3s_to_hm3(q_m3s, times: pd.DatetimeIndex, step: str) -> np.ndarray:
    """A flow [m³/s] (scalar or one per step) as the volume of each step [hm³]."""
    return np.asarray(q_m3s, dtype=float) * step_days(times, step) * SECONDS_PER_DAY / 1e6


def infer_step(times: pd.DatetimeIndex) -> str:
    """The step of a horizon of consecutive step starts beginning on the 1st of a month.

    A single step starting on the 1st is read as a month (a dekad or day horizon spans whole months, so it
    always has more than one step)."""
    times = pd.DatetimeIndex(times)
    if times.tz is not None:  # (never a model horizon: refused below, as any other)
        return _infer(times)
    return _infer_step(times.values.astype("datetime64[ns]").tobytes())


@functools.lru_cache(maxsize=256)
def _infer_step(starts_ns: bytes) -> str:
    """:func:`infer_step` of naive step starts given as int64 nanoseconds (a pure function of them, kept: a solve
    and its result views ask for the same horizon's step a dozen times, each building up to three horizons)."""
    return _infer(pd.DatetimeIndex(np.frombuffer(starts_ns, dtype="datetime64[ns]")))


def _infer(times: pd.DatetimeIndex) -> str:
    if len(times) and times[0].day == 1 and times[0] == times[0].normalize():
        months = len(pd.period_range(times[0], times[-1], freq="M"))
        for step in STEPS if 1 <= months <= 1200 else ():
            full = horizon(times[0], months, step)
            if len(full) >= len(times) and full[:len(times)].equals(times):
                return step
    raise ValueError("the time steps are not consecutive months, dekads or days starting on the 1st of a month")


def step_label(ts: pd.Timestamp, step: str) -> str:
    """``2025-08``, ``2025-08 dekad 2`` or ``2025-08-14``."""
    if step == "month":
        return f"{ts:%Y-%m}"
    if step == "dekad":
        return f"{ts:%Y-%m} dekad {DEKAD_STARTS.index(ts.day) + 1}"
    return f"{ts:%Y-%m-%d}"


def aggregate(series: pd.Series, step: str, how: str) -> pd.Series:
    """A finer series (indexed by day or step start) summed (``how="sum"``, volumes) or averaged by duration
    (``how="mean"``, flows) to the steps of ``step``. Never the other way: a finer step is not made up."""
    check_step(step)
    if how not in ("sum", "mean"):
        raise ValueError(f"how must be 'sum' (volumes) or 'mean' (flows), not {how!r}")
    idx = pd.DatetimeIndex(series.index)
    if step == "month":
        key = idx.to_period("M").to_timestamp()
    elif step == "dekad":
        day = np.select([idx.day < 11, idx.day < 21], [1, 11], 21)
        key = pd.DatetimeIndex([pd.Timestamp(y, m, d) for y, m, d in zip(idx.year, idx.month, day)])
    else:
        key = idx.normalize()
    if how == "sum":
        return series.groupby(key).sum()
    # durations of the finer steps, so that a mean of flows is weighted by time
    fine = infer_step(idx)
    w = pd.Series(step_days(idx, fine), index=series.index)
    return (series * w).groupby(key).sum() / w.groupby(key).sum()


def by_month(table, times: pd.DatetimeIndex) -> np.ndarray:
    """The rows of a (month, ...) typical-year table for the calendar month of each of ``times``, as an array
    (numpy indexing: the xarray selection it replaces took most of a re-solve's input preparation)."""
    pos = pd.Index(table["month"].values).get_indexer(pd.DatetimeIndex(times).month)
    if (pos < 0).any():
        missing = sorted(set(pd.DatetimeIndex(times).month[pos < 0]))
        raise KeyError(f"the typical-year table {table.name or ''} has no month {missing}")
    return table.transpose("month", ...).values[pos]
