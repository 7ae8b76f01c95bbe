"""Monthly series: tidy CSV in, xarray out, volumes in hm³ per month.

Each CSV has one value column and a ``unit`` column; rows in m³/s are converted
with the real number of days of the month (a typical year has 365 days, so
February has 28; dated series use their own calendar). Nothing is filled or
guessed: a missing month, a NaN, a negative value or an unknown unit is a
located error.

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


def days_in_month(month: int, year: int | None = None) -> int:
    """Days in ``month`` (1–12) of ``year``; a typical (undated) year is not a leap year."""
    return calendar.monthrange(year if year is not None else 2001, int(month))[1]


def m3s_to_hm3(q_m3s: float, month: int, year: int | None = None) -> float:
    """Mean flow [m³/s] over a month → volume [hm³/month]."""
    return q_m3s * days_in_month(month, year) * SECONDS_PER_DAY / 1e6


def hm3_to_m3s(v_hm3: float, month: int, year: int | None = None) -> float:
    """Volume [hm³/month] → mean flow over the month [m³/s]."""
    return v_hm3 * 1e6 / (days_in_month(month, year) * SECONDS_PER_DAY)


def read_table(text: str, kind: str, label: str, problems: list[Problem]) -> pd.DataFrame | None:
    """Parse one series CSV (as text) and check its columns, months, values and units."""
    value = kind
    expected = KEYS[kind] + [value, "unit"]
    try:
        df = pd.read_csv(io.StringIO(text), dtype={"node": str, "year_type": str, "unit": str}, comment="#")
    except Exception as exc:  # pandas raises several parser error types
        problems.append(Problem(label, "file", "", f"cannot be read as CSV ({exc}); fix the file's syntax"))
        return None
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in expected if c not in df.columns]
    extra = [c for c in df.columns if c not in expected]
    if missing or extra:
        problems.append(Problem(label, "header", ", ".join(missing + extra),
                                f"columns must be exactly {expected}; missing {missing}, unknown {extra}"))
        return None
    n0 = len(problems)
    for i, row in df.iterrows():
        # 1-based data row after the header, plus the row's key so the entry can be found by id
        line = f"row {i + 2} (" + ", ".join(f"{k}={row[k]}" for k in KEYS[kind]) + ")"
        for col in expected:
            if pd.isna(row[col]):
                what = "a number" if col in (value, "month") else ("a unit" if col == "unit" else "a value")
                problems.append(Problem(label, line, col, f"is empty or NaN; give {what} (no value is filled in)"))
        m = pd.to_numeric(pd.Series([row["month"]]), errors="coerce").iloc[0]
        if not pd.isna(row["month"]) and (pd.isna(m) or not float(m).is_integer() or not 1 <= int(m) <= 12):
            problems.append(Problem(label, line, "month", f"{row['month']!r} is not a month number 1-12"))
        v = pd.to_numeric(pd.Series([row[value]]), errors="coerce").iloc[0]
        if not pd.isna(row[value]) and pd.isna(v):
            problems.append(Problem(label, line, value, f"{row[value]!r} is not a number"))
        elif not pd.isna(v) and (v < 0 or not np.isfinite(v)):
            problems.append(Problem(label, line, value, f"{v} is not a finite value >= 0; correct the data "
                                                        "(values are never clipped)"))
        elif not pd.isna(v) and v > SERIES_MAX[kind]:
            problems.append(Problem(label, line, value, f"{v:g} is larger than {SERIES_MAX[kind]:g}, beyond any real "
                                                        "basin; correct the data (values are never clipped)"))
        u = row["unit"]
        if not pd.isna(u) and str(u).strip() not in SERIES_UNITS[kind]:
            problems.append(Problem(label, line, "unit", f"unknown unit {u!r}; use one of {list(SERIES_UNITS[kind])}"))
    if len(problems) > n0:
        return None
    df[value] = pd.to_numeric(df[value])
    df["month"] = pd.to_numeric(df["month"]).astype(int)
    df["unit"] = df["unit"].str.strip()
    dup = df.duplicated(KEYS[kind], keep="first")
    if dup.any():
        for i in np.flatnonzero(dup.to_numpy())[:20]:
            key = ", ".join(f"{k}={df.iloc[i][k]}" for k in KEYS[kind])
            problems.append(Problem(label, f"row {i + 2} ({key})", ", ".join(KEYS[kind]),
                                    "repeats an earlier row's key; each key may appear once, delete one of the rows"))
        return None
    return df


def to_hm3(df: pd.DataFrame, kind: str) -> pd.Series:
    """Values of a checked table in the model unit (hm³/month, or mm/month for evaporation)."""
    v = df[kind].astype(float).copy()
    is_q = df["unit"] == "m3/s"
    if is_q.any():
        v[is_q] = [m3s_to_hm3(q, m) for q, m in zip(df.loc[is_q, kind], df.loc[is_q, "month"])]
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
            problems.append(Problem(label, f"year_type {yt!r}", "year_type",
                                    f"is not declared in the basin's year_types {coords['year_type']}"))
    coords["month"] = MONTHS
    coords["node"] = list(nodes)
    unknown = sorted(set(df["node"]) - set(nodes))
    for n in unknown:
        problems.append(Problem(label, f"node {n!r}", "node", f"is not a {kind} node of the basin; expected one of {nodes}"))
    dims = list(coords)
    full = pd.MultiIndex.from_product([coords[d] for d in dims], names=dims)
    s = df.set_index(dims)["_v"]
    have = s.index.intersection(full)
    missing = full.difference(have)
    for key in list(missing)[:20]:
        where = ", ".join(f"{d}={k}" for d, k in zip(dims, key))
        problems.append(Problem(label, where, kind, "is missing; every month of every node needs a value"))
    if len(missing) > 20:
        problems.append(Problem(label, "...", kind, f"{len(missing) - 20} more missing rows"))
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
