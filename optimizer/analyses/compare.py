"""Compare two result files (``chutalas compare``): a golden-run check for a user's CI."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

import numpy as np
import pandas as pd

from optimizer.core.result import Result


def differences(a: Result, b: Result, rtol: float = 1e-6, atol: float = 1e-6) -> pd.DataFrame:
    """Every numeric variable (and ledger column) element that differs beyond ``atol + rtol·|b|``,
    largest first: variable, index, a, b, abs_diff. Differences in shape or coordinates are rows too."""
    rows = []
    da_, db_ = a.dataset, b.dataset
    for name in sorted({str(v) for v in da_.data_vars} | {str(v) for v in db_.data_vars}):
        if name not in da_ or name not in db_:
            rows.append({"variable": name, "index": "(missing in one file)", "a": np.nan, "b": np.nan,
                         "abs_diff": np.inf})
            continue
        x, y = da_[name], db_[name]
        if x.dims != y.dims or any(not np.array_equal(x[d].values, y[d].values) for d in x.dims if d in x.coords):
            rows.append({"variable": name, "index": "(different dimensions or coordinates)", "a": np.nan,
                         "b": np.nan, "abs_diff": np.inf})
            continue
        if not np.issubdtype(x.dtype, np.number):
            if not np.array_equal(x.values, y.values):
                rows.append({"variable": name, "index": "(different labels)", "a": np.nan, "b": np.nan,
                             "abs_diff": np.inf})
            continue
        xv, yv = x.values.astype(float), y.values.astype(float)
        bad = ~(np.isclose(xv, yv, rtol=rtol, atol=atol) | (np.isnan(xv) & np.isnan(yv)))
        for idx in zip(*np.nonzero(bad)):
            label = ", ".join(f"{d}={x[d].values[i]}" if d in x.coords else f"{d}={i}" for d, i in zip(x.dims, idx))
            rows.append({"variable": name, "index": label, "a": xv[idx], "b": yv[idx], "abs_diff": abs(xv[idx] - yv[idx])})
    la, lb = a.ledger, b.ledger
    if len(la) != len(lb) or list(la["rule"]) != list(lb["rule"]):
        rows.append({"variable": "ledger", "index": "(different rows)", "a": np.nan, "b": np.nan, "abs_diff": np.inf})
    else:
        for col in ("required_hm3", "received_hm3", "deficit_hm3"):
            xv, yv = la[col].to_numpy(float), lb[col].to_numpy(float)
            for i in np.nonzero(~np.isclose(xv, yv, rtol=rtol, atol=atol))[0]:
                rows.append({"variable": f"ledger.{col}", "index": f"{la['rule'][i]}|{la['party'][i]}|{la['period'][i]}",
                             "a": xv[i], "b": yv[i], "abs_diff": abs(xv[i] - yv[i])})
    df = pd.DataFrame(rows, columns=["variable", "index", "a", "b", "abs_diff"])
    return df.sort_values("abs_diff", ascending=False, kind="stable").reset_index(drop=True)


class NotAResult(ValueError):
    """A file that is not a result of ``chutalas solve --out`` (missing, unreadable, not NetCDF, no manifest)."""


def load_result(path: str | Path) -> Result:
    """:meth:`Result.from_netcdf` with every way of failing as one :class:`NotAResult` naming the file."""
    p = Path(path)
    if not p.exists():
        raise NotAResult(f"{path}: no such file")
    if p.is_dir():
        raise NotAResult(f"{path}: is a directory, not a result file")
    if p.stat().st_size == 0:
        raise NotAResult(f"{path}: is empty, not a result file")
    try:
        return Result.from_netcdf(p)
    except KeyError as exc:  # a NetCDF file without the manifest or the ledger of a result
        raise NotAResult(f"{path}: is a NetCDF file but not a chutalas result (no {exc.args[0]!r}); compare "
                         "files written by `chutalas solve --out`") from None
    except Exception as exc:  # noqa: BLE001 - h5py, h5netcdf and xarray raise many types on a non-NetCDF file
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise NotAResult(f"{path}: cannot be read as a result NetCDF file ({type(exc).__name__}: {first[:160]}); "
                         "it may be truncated or not NetCDF") from None


def compare_files(a: str | Path, b: str | Path, rtol: float, atol: float, top: int, out: TextIO) -> int:
    """Print the comparison; 0 when equal within tolerance, 1 when not; :class:`NotAResult` when a file is
    not a result (the CLI exits 2)."""
    ra, rb = load_result(a), load_result(b)
    diff = differences(ra, rb, rtol=rtol, atol=atol)
    ha, hb = ra.manifest["inputs_sha256"], rb.manifest["inputs_sha256"]
    print(f"A {a}: inputs {ha[:16]}…, objective {ra.objective:,.6f}", file=out)
    print(f"B {b}: inputs {hb[:16]}…, objective {rb.objective:,.6f}", file=out)
    if ha != hb:
        print("The two runs had different inputs (basin, options or inflows).", file=out)
    if diff.empty:
        print(f"Equal within rtol={rtol:g}, atol={atol:g}.", file=out)
        return 0
    print(f"{len(diff)} values differ beyond rtol={rtol:g}, atol={atol:g}; the largest:", file=out)
    print(diff.head(top).to_string(index=False), file=out)
    return 1
