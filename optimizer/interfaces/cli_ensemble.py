"""``chutalas ensemble``: generate inflow scenarios, solve them (:func:`optimizer.solve_ensemble`), print the
per-party statistics and where and how fast the members ran; optionally the robust Apr–Sep plan.

Exit codes: 0 solved (1 when no member has an allocation), 2 bad input or lost Dask workers (the message names
the members without a result), 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import xarray as xr

import basins
from optimizer.analyses import scenarios as scen
from optimizer.analyses import dask_run
from optimizer.analyses.dask_run import WorkerLost
from optimizer.analyses.ensemble import solve_ensemble, to_netcdf
from optimizer.analyses.robust import SeasonalPlan, robust_plan
from optimizer.core.errors import SolveError
from optimizer.interfaces.ui_text import get_language, number, rule_name, t


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``chutalas ensemble``."""
    p.add_argument("basin", metavar="BASIN_OR_PATH", help="a bundled basin id (chu, talas) or a basin file path")
    p.add_argument("--members", type=int, default=100, help="number of inflow scenarios (default 100)")
    p.add_argument("--years", type=int, default=1, help="horizon in years of 12 months (default 1)")
    p.add_argument("--start", default="2025-01", help="first month YYYY-MM (default 2025-01)")
    p.add_argument("--seed", type=int, default=0, help="seed of the scenario generator (default 0)")
    p.add_argument("--climate", type=int, metavar="YEAR", default=None,
                   help="apply a climate trend reaching its change at YEAR (e.g. 2050): by default both ends of the "
                        "published band, -45 %% and -25 %% of the mean flow (Chu-Talas Water Commission), each "
                        "solved and reported; default: no trend")
    p.add_argument("--climate-change", type=float, default=None, metavar="FRACTION",
                   help="one change of the mean flow at --climate YEAR instead of the band (e.g. -0.275)")
    p.add_argument("--shift-weeks", type=float, default=2.0,
                   help="earlier snowmelt at --climate YEAR, weeks (default 2)")
    p.add_argument("--cv", type=float, default=None,
                   help="CV of the annual basin resource (default: measured, 0.123 Chu, 0.145 Talas; 0.20 other basins)")
    p.add_argument("--operation", choices=["agreement", "status-quo"], default="agreement")
    p.add_argument("--scheduler", default=None, metavar="ADDR",
                   help="'synchronous' (this process), 'local' (a local cluster of --workers processes) or a Dask "
                        "scheduler address (tcp://host:8786); default: automatic, this process for small runs "
                        f"(members x months < {dask_run.AUTO_SERIAL_MEMBER_STEPS:,}), else a local cluster")
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
    return "-" if not np.isfinite(v) else number(100 * v, ".1f") + " %"


def _hm3(v: float) -> str:
    """A volume for the reader: thousands separated above 100, three digits below, and 0 for what is only the
    solver's rounding (below 0.0005 hm³, e.g. 9.1e-14: never a raw float)."""
    if not np.isfinite(v):
        return "-"
    if abs(v) < 5e-4:
        return "0"
    return number(v, ",.0f" if abs(v) >= 100 else ".3g")


def _role_words(role: str) -> str:
    """A rule's role in words (current language); an unknown role as it is."""
    return t(f"ens_role_{role}") if role in ROLES else role


ROLES = ("entitlement", "ceiling", "quota", "reported")


def print_rule(ds: xr.Dataset, r: str, p: str, out: IO[str]) -> None:
    """One rule × party of the ensemble in words: enforced (feasible in N of M members), or its reliability."""
    role = str(ds["rule_role"].sel(rule=r, party=p).values) if "rule_role" in ds else "entitlement"
    if not role:
        return
    n_ok, n_bad = ds.attrs.get("members_solved", 0), ds.attrs.get("members_failed", 0)
    name = rule_name(r, _rule_names(ds))  # the rule's name first, its id after it (the file's coordinate)
    head = t("ens_rule_head", rule=r if name == r else f"{name} · {r}", role=_role_words(role))
    if role == "reported":
        print(t("ens_reported_no_test", head=head), file=out)
        return
    if "rule_enforced" in ds and bool(ds["rule_enforced"].sel(rule=r, party=p)):
        print(t("ens_enforced", head=head, ok=n_ok, n=n_ok + n_bad), file=out)
        if n_bad:
            bad = ds["status"].values != "optimal"
            for m, msg in list(zip(ds["member"].values[bad], ds["message"].values[bad]))[:3]:
                print(t("ens_member_message", member=m, message=msg[:200]), file=out)
        return
    v = float(ds["p_rule_met"].sel(rule=r, party=p))
    if not np.isfinite(v):
        return
    every = float(ds["p_rule_met_every_period"].sel(rule=r, party=p))
    what = t("ens_p_within_ceiling") if role == "ceiling" else t("ens_p_met")
    gap = t("ens_over_ceiling") if role == "ceiling" else t("ens_shortfall")
    cells = ""
    if "rule_deficit_quantile_hm3" in ds:
        cells = "  ".join(f"P{round(100 * x)} {_hm3(float(ds['rule_deficit_quantile_hm3'].sel(quantile=x, rule=r, party=p)))}"
                          for x in ds["quantile"].values)
    print(t("ens_rule_line", head=head, what=what, p=_pct(v), every=_pct(every), gap=gap, cells=cells), file=out)


def _rule_names(ds: xr.Dataset) -> dict:
    """rule id → {language: name} kept in the file (ensemble files written before 2026-12-03 have none: ids)."""
    try:
        return json.loads(ds.attrs.get("rule_names", "{}"))
    except (TypeError, ValueError):
        return {}


def print_statistics(ds: xr.Dataset, out: IO[str] | None = None) -> None:
    """The per-party statistics as text."""
    out = out or sys.stdout
    n_ok, n_bad = ds.attrs.get("members_solved", 0), ds.attrs.get("members_failed", 0)
    print(t("ens_header", basin=ds.attrs.get("basin", "?"), n=n_ok + n_bad, months=ds.sizes["time"], ok=n_ok)
          + (t("ens_header_failed", bad=n_bad) if n_bad else ""), file=out)
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
            print(t("ens_shortage_horizon", mean=mean, cells=cells), file=out)
            if years > 1 and "annual_shortage_quantile_hm3" in ds:
                cells = "  ".join(f"P{round(100 * x)} "
                                  f"{_hm3(float(ds['annual_shortage_quantile_hm3'].sel(quantile=x, party=p)))}"
                                  for x in qs)
                print(t("ens_shortage_year", mean=_hm3(float(ds["annual_shortage_mean_hm3"].sel(party=p))),
                        cells=cells), file=out)
        if "min_storage_hm3" in ds:
            names = dict(zip(ds["reservoir"].values, ds["reservoir_name"].values)) if "reservoir_name" in ds else {}
            if get_language() == "ru" and "reservoir_name_ru" in ds:  # (files written before it have no Russian names)
                names |= {r: n for r, n in zip(ds["reservoir"].values, ds["reservoir_name_ru"].values) if n}
            for r, c in zip(ds["reservoir"].values, ds["reservoir_country"].values):
                if c == p:
                    print(t("ens_storage", name=names.get(r, r), id=r,
                            low=_hm3(float(ds["min_storage_hm3"].sel(reservoir=r))),
                            p5=_hm3(float(ds["min_storage_p05_hm3"].sel(reservoir=r))),
                            dead=_hm3(float(ds["dead_storage_hm3"].sel(reservoir=r)))), file=out)


def print_run(ds: xr.Dataset, out: IO[str] | None = None) -> None:
    """Where the members ran and how fast: scheduler (and why), start-up apart from the members' solves."""
    out = out or sys.stdout
    a = ds.attrs
    where = (t("ens_this_process") if a.get("scheduler") == "synchronous" else
             t("ens_workers", workers=a.get("workers"), scheduler=a.get("scheduler")))
    print("\n" + t("ens_solved_on", where=where, why=_choice_words(str(a.get("scheduler_choice", ""))), chunks=a.get("chunks"),
                   size=a.get("chunk_size")), file=out)
    print(t("ens_timing", startup=_secs(a.get("startup_s")), warm=_secs(a.get("warm_s")),
            solve=_secs(a.get("solve_wall_s")), rate=_secs(a.get("members_per_s")), wall=_secs(a.get("wall_s"))),
          file=out)
    if a.get("members_retried"):
        print(t("ens_retried", n=a["members_retried"]), file=out)


_AUTO = re.compile(r"automatic: (?P<n>\d+) members x (?P<steps>\d+) steps (?P<op>[<>]=?) (?P<limit>\d+) member-steps")


def _choice_words(choice: str) -> str:
    """Why the scheduler was chosen (``dask_run``'s reason, kept in English in the file's attributes) in words of
    the current language; a reason this table does not know as it is."""
    if choice == "as asked":
        return t("ens_choice_asked")
    if choice.startswith("automatic: one worker"):
        return t("ens_choice_one_worker")
    m = _AUTO.match(choice)
    if m:
        key = "ens_choice_small" if m["op"] == "<" else "ens_choice_large"
        return t(key, n=int(m["n"]), steps=int(m["steps"]), limit=int(m["limit"]))
    return choice


def _secs(v: Any) -> str:
    try:
        return number(float(v), ".2f")
    except (TypeError, ValueError):
        return "-"


def print_plan(plan: SeasonalPlan, out: IO[str] | None = None) -> None:
    out = out or sys.stdout
    print("\n" + t("ens_plan_header", party=plan.party, links=", ".join(plan.receipt_links), alpha=plan.alpha,
                   weight=plan.weight, value=plan.value, penalty=plan.penalty), file=out)
    months = [pd.Timestamp(m).strftime("%Y-%m") for m in plan.schedule["time"].values]
    rows = [(t("ens_plan_month"), [f"{m:>8}" for m in months]),
            (t("ens_plan_robust"), [f"{v:8.1f}" for v in plan.schedule.values]),
            (t("ens_plan_normal-year"), [f"{v:8.1f}" for v in plan.normal_schedule.values])]
    width = max(len(head) for head, _ in rows)
    for head, cells in rows:
        print(f"  {head:<{width}} " + "  ".join(cells), file=out)
    table = plan.comparison.T
    table.columns = [t(f"ens_plan_{c}") if c in ("robust", "normal-year") else str(c) for c in table.columns]
    print(table.to_string(float_format=lambda v: f"{v:,.3f}"), file=out)


def run(args: argparse.Namespace) -> int:
    """``chutalas ensemble``: generate scenarios, solve them, print per-party statistics; 0 on success."""
    from optimizer.interfaces.cli import CliError

    if args.members < 1 or args.years < 1:
        raise CliError(t("ens_bad_members"))
    if args.years * 12 > 1200:
        raise CliError(t("ens_bad_years"))
    if args.climate is None and args.climate_change is not None:
        raise CliError(t("ens_change_needs_year"))
    basin = basins.load(args.basin)
    climates = _climates(args)
    outs = {label: _band_path(args.out, label) if label else args.out for label in climates} if args.out else {}
    for out in outs.values():  # before hours of solving: the file must be writable where it goes
        _check_writable(out)
    code = 0
    for label, climate in climates.items():
        if label and climate is not None:  # (a band end)
            print(("\n" if label != next(iter(climates)) else "")
                  + t("ens_band_head", year=args.climate, change=f"{100 * climate.change:+.0f} %", end=t(f"ens_band_{label}")))
        code = max(code, _run_one(basin, args, climate, outs.get(label)))  # 1 if any ensemble has no allocation
    return code


def _climates(args: argparse.Namespace) -> dict[str, "scen.Climate | None"]:
    """The climate trends to run: none (``{"": None}``), one (``--climate-change``) or both ends of the published
    band (``--climate`` alone: :data:`optimizer.analyses.scenarios.CLIMATE_2050_BAND`, reached at YEAR)."""
    from optimizer.interfaces.cli import CliError

    if args.climate is None:
        return {"": None}
    start_year = pd.Timestamp(args.start).year
    changes = ({"": args.climate_change} if args.climate_change is not None else
               {k: c.change for k, c in scen.CLIMATE_2050_BAND.items()})
    try:
        return {k: scen.Climate(change=v, target_year=args.climate, base_year=min(start_year, args.climate - 1),
                                shift_weeks=args.shift_weeks) for k, v in changes.items()}
    except ValueError as exc:
        raise CliError(str(exc)) from None


def _band_path(out: str, label: str) -> str:
    """``talas_2050.nc`` → ``talas_2050_low.nc`` for the band's ``low`` end (a directory is refused, as in single mode)."""
    from optimizer.interfaces.cli import CliError

    p = Path(out)
    if p.is_dir():
        raise CliError(t("ens_cannot_write_before", path=out, why=t("ens_out_is_dir")))
    return str(p.with_name(f"{p.stem}_{label}{p.suffix}"))


def _check_writable(out: str) -> None:
    from optimizer.interfaces.cli import CliError

    parent = Path(out).resolve().parent
    why = (t("ens_out_is_dir") if Path(out).is_dir() else
           t("ens_out_no_dir", dir=parent) if not parent.is_dir() else None)
    if why is None:
        try:  # a real probe: permissions, read-only mounts, quotas (os.access is always true for root)
            tempfile.TemporaryFile(dir=parent).close()
        except OSError as exc:
            why = t("ens_out_not_writable", dir=parent, error=exc.strerror or exc)
    if why:
        raise CliError(t("ens_cannot_write_before", path=out, why=why))


def _run_one(basin, args: argparse.Namespace, climate, out: str | None) -> int:
    """One ensemble: generate the scenarios under ``climate``, solve, print, write ``out``; 0 when solved."""
    from optimizer.interfaces.cli import CliError

    try:
        q = scen.generate(basin, members=args.members, years=args.years, seed=args.seed, start=args.start,
                          climate=climate, **({"cv": args.cv} if args.cv is not None else {}))
    except ValueError as exc:
        raise CliError(str(exc)) from None
    try:
        ds = solve_ensemble(basin, q, scheduler=args.scheduler, workers=args.workers, chunk_size=args.chunk_size,
                            operation=args.operation, progress=not args.no_progress)
    except WorkerLost as exc:
        raise CliError(str(exc)) from None
    except (OSError, TimeoutError) as exc:
        raise CliError(t("ens_no_scheduler", scheduler=args.scheduler, error=exc)) from None
    except ValueError as exc:
        raise CliError(str(exc)) from None
    print_statistics(ds)
    print_run(ds)
    if args.robust_plan:
        sub = q.isel(member=slice(0, min(50, args.members)), time=slice(0, 12))  # the first year's season
        try:
            print_plan(robust_plan(basin, sub, alpha=args.alpha, weight=args.weight))
        except (SolveError, ValueError) as exc:
            print(t("ens_plan_failed", error=exc), file=sys.stderr)
    if out:
        try:
            path = to_netcdf(ds, out)
        except OSError as exc:
            raise CliError(t("ens_cannot_write", path=out, error=exc.strerror or exc)) from None
        print("\n" + t("ens_wrote", path=path))
    return 0 if ds.attrs["members_solved"] else 1
