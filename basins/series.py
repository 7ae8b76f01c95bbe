"""Monthly series: tidy CSV in, xarray out, volumes in hm³ per month.

Each CSV has one value column and a ``unit`` column; rows in m³/s are converted
with the real number of days of the month. Every m³/s → hm³ conversion of the
package goes through one helper, :func:`step_days` (the days of each time step:
month, dekad or day). A typical (undated) year is :data:`TYPICAL_YEAR`, not a
leap year, so a typical February has 28 days; dated series use their own
calendar (February 2024 has 29). Nothing is filled or guessed: a missing month,
a NaN, a negative value or an unknown unit is a located error.

Ids are text whatever they look like: a node called ``NA``, ``nan``, ``null`` or
``None`` is that node, never a missing value. Only a truly empty cell is missing,
and that is a located error too.

=============  =========================================  ==================
file           columns                                    units accepted
=============  =========================================  ==================
inflow.csv     year_type, month, node, inflow, unit       hm3, m3/s
demand.csv     month, node, demand, unit                  hm3, m3/s
evaporation    month, node, evaporation, unit             mm
=============  =========================================  ==================
"""

from __future__ import annotations

import calendar
import functools
import io

import numpy as np
import pandas as pd
import xarray as xr

from .errors import Problem
from .schema import SERIES_MAX, SERIES_UNITS

SECONDS_PER_DAY = 86_400.0
MONTHS = list(range(1, 13))
MONTH_NAMES = [calendar.month_abbr[m] for m in MONTHS]
KEYS = {"inflow": ["year_type", "month", "node"], "demand": ["month", "node"], "evaporation": ["month", "node"]}
UNITS_OUT = {"inflow": "hm3/month", "demand": "hm3/month", "evaporation": "mm/month"}
#: The calendar of a typical (undated) year: 2001, a common year of 365 days (February has 28).
TYPICAL_YEAR = 2001
#: Time steps :func:`step_days` knows. A dekad is days 1-10, 11-20 or 21 to the end of the month.
STEPS = ("month", "dekad", "day")
DEKAD_STARTS = (1, 11, 21)
#: Words for "not a number" in a value cell (pandas' missing-value words): reported as NaN, never filled in.
NAN_WORDS = {"nan", "na", "n/a", "#n/a", "#na", "null", "none", "<na>", "1.#ind", "1.#qnan"}


def step_days(times, step: str = "month") -> np.ndarray:
    """The real number of days [d] of each time step starting at ``times`` (a pandas DatetimeIndex, or
    anything it accepts, of step starts at midnight).

    ``step`` is ``"month"`` (28-31 d: February 2024 has 29), ``"dekad"`` (10, 10, and the rest of the month,
    8-11 d: the third dekad of February has 9 days in 2024 and 8 in 2023) or ``"day"`` (1 d). Raises
    ValueError for an unknown step or a time that does not start a step."""
    t = pd.DatetimeIndex(times)
    if step not in STEPS:
        raise ValueError(f"unknown time step {step!r}; use one of {list(STEPS)}")
    if (t != t.normalize()).any():
        raise ValueError("a time step starts at midnight; got a time of day")
    if step == "day":
        return np.ones(len(t), dtype=np.int64)
    month_days = np.asarray(t.days_in_month, dtype=np.int64)
    day = np.asarray(t.day)
    if step == "month":
        if (day != 1).any():
            raise ValueError("a month step starts on day 1 of the month")
        return month_days
    if not np.isin(day, DEKAD_STARTS).all():
        raise ValueError(f"a dekad starts on day {', '.join(map(str, DEKAD_STARTS))} of the month")
    return np.where(day == 21, month_days - 20, 10).astype(np.int64)


@functools.cache
def days_in_month(month: int, year: int | None = None) -> int:
    """Days [d] in ``month`` (1-12) of ``year`` (:func:`step_days`); a typical (undated) year is
    :data:`TYPICAL_YEAR`, not a leap year, so a typical February has 28 days."""
    month = int(month)
    if not 1 <= month <= 12:
        raise ValueError(f"month must be in 1..12, not {month}")
    return int(step_days([pd.Timestamp(TYPICAL_YEAR if year is None else int(year), month, 1)], "month")[0])


def m3s_to_hm3(q_m3s: float, month: int, year: int | None = None) -> float:
    """Mean flow [m³/s] over a month → volume [hm³/month], with the real days of the month
    (:func:`days_in_month`; a typical year's February has 28 days, February 2024 has 29)."""
    return q_m3s * days_in_month(month, year) * SECONDS_PER_DAY / 1e6


def hm3_to_m3s(v_hm3: float, month: int, year: int | None = None) -> float:
    """Volume [hm³/month] → mean flow over the month [m³/s] (inverse of :func:`m3s_to_hm3`)."""
    return v_hm3 * 1e6 / (days_in_month(month, year) * SECONDS_PER_DAY)


def m3s_to_hm3_steps(q_m3s, times, step: str = "month") -> np.ndarray:
    """Mean flows [m³/s] over the time steps starting at ``times`` → volumes [hm³ per step]
    (:func:`step_days`; e.g. 10 m³/s over the third dekad of February 2024, 9 d, is 7.776 hm³)."""
    return np.asarray(q_m3s, dtype=float) * step_days(times, step) * SECONDS_PER_DAY / 1e6


def hm3_to_m3s_steps(v_hm3, times, step: str = "month") -> np.ndarray:
    """Volumes [hm³ per step] over the time steps starting at ``times`` → mean flows [m³/s]."""
    return np.asarray(v_hm3, dtype=float) * 1e6 / (step_days(times, step) * SECONDS_PER_DAY)


def _is_empty(col: pd.Series) -> np.ndarray:
    """Cells that hold nothing: a blank (or all-space) cell, or a field missing from a short row."""
    return (col.isna() | (col.fillna("").str.strip() == "")).to_numpy()


def read_table(text: str, kind: str, label: str, problems: list[Problem]) -> pd.DataFrame | None:
    """Parse one series CSV (as text) and check its columns, months, values and units.

    Every cell is read as text (``NA``, ``nan``, ``null``, ``None`` are ids like any other; pandas' default
    missing-value words are off), then the month and value columns are converted, all rows at once. Only
    the rows with a problem are visited one by one, to word their messages."""
    value = kind
    expected = KEYS[kind] + [value, "unit"]
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[], comment="#")
    except Exception as exc:  # pandas raises several parser error types
        problems.append(Problem.of(label, "file", "", "series.cannot_read_as_csv", exc=exc))
        return None
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in expected if c not in df.columns]
    extra = [c for c in df.columns if c not in expected]
    if missing or extra:
        problems.append(Problem.of(label, "header", ", ".join(missing + extra),
                                "series.columns_must_exactly_missing", expected=expected, missing=missing, extra=extra))
        return None
    empty = {c: _is_empty(df[c]) for c in expected}
    month_text = df["month"].fillna("").str.strip()
    month = pd.to_numeric(month_text, errors="coerce").to_numpy(dtype=float)
    bad_month = ~empty["month"] & ~(np.isfinite(month) & (month % 1 == 0) & (month >= 1) & (month <= 12))
    value_text = df[value].fillna("").str.strip()
    v = pd.to_numeric(value_text, errors="coerce").to_numpy(dtype=float)
    not_number = ~empty[value] & np.isnan(v)
    with np.errstate(invalid="ignore"):
        out_of_range = ~np.isnan(v) & ((v < 0) | ~np.isfinite(v))
        too_large = ~np.isnan(v) & ~out_of_range & (v > SERIES_MAX[kind])
    unit = df["unit"].fillna("").str.strip()
    bad_unit = ~empty["unit"] & ~unit.isin(SERIES_UNITS[kind]).to_numpy()
    bad = np.logical_or.reduce([*empty.values(), bad_month, not_number, out_of_range, too_large, bad_unit])
    if bad.any():
        what = {value: "series.give_number", "month": "series.give_month", "unit": "series.give_unit",
                "node": "series.give_node", "year_type": "series.give_year_type"}  # message keys
        for i in np.flatnonzero(bad):
            row = df.iloc[i]
            # 1-based data row after the header, plus the row's key so the entry can be found by id
            key = ", ".join(f"{k}={'' if pd.isna(row[k]) else row[k]}" for k in KEYS[kind])
            line = f"row {i + 2} ({key})"
            for col in expected:
                if empty[col][i]:
                    problems.append(Problem.of(label, line, col, what[col]))
            if bad_month[i]:
                problems.append(Problem.of(label, line, "month", "series.not_month_number", month=row['month']))
            if not_number[i] and value_text.iloc[i].lower().lstrip("+-") in NAN_WORDS:
                problems.append(Problem.of(label, line, value, "series.empty_nan_give_number", value=row[value]))
            elif not_number[i]:
                problems.append(Problem.of(label, line, value, "series.not_number", value=row[value]))
            elif out_of_range[i]:
                problems.append(Problem.of(label, line, value, "series.not_finite_value_correct", value=v[i]))
            elif too_large[i]:
                problems.append(Problem.of(label, line, value, "series.larger_than_beyond_any", value=v[i],
                                              max=SERIES_MAX[kind]))
            if bad_unit[i]:
                problems.append(Problem.of(label, line, "unit",
                                        "series.unknown_unit_use_one", unit=row['unit'], kind=list(SERIES_UNITS[kind])))
        return None
    df[value] = v
    df["month"] = month.astype(int)
    df["unit"] = unit
    dup = df.duplicated(KEYS[kind], keep="first")
    if dup.any():
        for i in np.flatnonzero(dup.to_numpy())[:20]:
            key = ", ".join(f"{k}={df.iloc[i][k]}" for k in KEYS[kind])
            problems.append(Problem.of(label, f"row {i + 2} ({key})", ", ".join(KEYS[kind]),
                                    "series.repeats_earlier_row_s"))
        return None
    return df


def to_hm3(df: pd.DataFrame, kind: str) -> pd.Series:
    """Values of a checked table in the model unit (hm³/month, or mm/month for evaporation)."""
    v = df[kind].astype(float).copy()
    is_q = (df["unit"] == "m3/s").to_numpy()
    if is_q.any():  # a typical year's months (February 28 d), all rows at once
        months = df["month"].to_numpy()[is_q]
        starts = pd.DatetimeIndex([pd.Timestamp(TYPICAL_YEAR, m, 1) for m in MONTHS])[months - 1]
        v[is_q] = m3s_to_hm3_steps(v[is_q].to_numpy(), starts, "month")
    return v


def to_dataarray(df: pd.DataFrame, kind: str, nodes: list[str], year_types: list[str] | None,
                 label: str, problems: list[Problem]) -> xr.DataArray | None:
    """Pivot a checked table to a complete DataArray; every (year type,) month, node must be present."""
    df = df.assign(_v=to_hm3(df, kind))
    coords: dict[str, list] = {}
    if kind == "inflow":
        coords["year_type"] = list(year_types or [])
        unknown_yt = sorted(set(df["year_type"]) - set(coords["year_type"]))
        for yt in unknown_yt:
            problems.append(Problem.of(label, f"year_type {yt!r}", "year_type",
                                    "series.not_declared_basin_s", year_type=coords['year_type']))
    coords["month"] = MONTHS
    coords["node"] = list(nodes)
    unknown = sorted(set(df["node"]) - set(nodes))
    for n in unknown:
        problems.append(Problem.of(label, f"node {n!r}", "node", "series.not_node_basin_expected", kind=kind, nodes=nodes))
    dims = list(coords)
    full = pd.MultiIndex.from_product([coords[d] for d in dims], names=dims)
    s = df.set_index(dims)["_v"]
    have = s.index.intersection(full)
    missing = full.difference(have)
    for key in list(missing)[:20]:
        where = ", ".join(f"{d}={k}" for d, k in zip(dims, key))
        problems.append(Problem.of(label, where, kind, "series.missing_every_month_every"))
    if len(missing) > 20:
        problems.append(Problem.of(label, "...", kind, "series.more_missing_rows", missing=len(missing) - 20))
    if unknown or missing.size or (kind == "inflow" and unknown_yt):
        return None
    arr = s.reindex(full).to_numpy().reshape([len(coords[d]) for d in dims])
    da = xr.DataArray(arr, coords=coords, dims=dims, name=kind, attrs={"units": UNITS_OUT[kind]})
    da["month"].attrs["long_name"] = "calendar month (1 = January)"
    return da


def from_dataarray(da: xr.DataArray, kind: str) -> str:
    """Inverse of :func:`to_dataarray`: a tidy CSV text in the model unit."""
    dims = KEYS[kind]
    df = da.transpose(*dims).to_series().rename(kind).reset_index()
    df["unit"] = "mm" if kind == "evaporation" else "hm3"
    return df.to_csv(index=False, lineterminator="\n")
