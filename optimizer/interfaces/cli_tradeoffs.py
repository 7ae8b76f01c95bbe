"""``chutalas pareto``: command line of the frontiers (optimizer.analyses.frontier and .hydropower)."""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

import basins

from optimizer.core.errors import SolveError

# (the analyses import Pyomo only inside their functions, so that ``chutalas`` starts without loading it)
from optimizer.analyses.frontier import RULES_DOC, pareto
from optimizer.analyses.hydropower import energy_frontier
from optimizer.interfaces.ui_text import get_language, label_or, number, t


# ---- command line: chutalas pareto BASIN --points N [--year-type T] [--json] ------------------------

def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``chutalas pareto`` (wired into optimizer.interfaces.cli by its COMMANDS registry)."""
    p.add_argument("basin", metavar="BASIN_OR_PATH", help="a bundled basin id (chu, talas) or a basin file path")
    p.add_argument("--points", type=int, default=11, metavar="N",
                   help="grid points from the least to the most KZ receipts attainable (>= 2; default 11)")
    p.add_argument("--year-type", default="normal", metavar="T",
                   help="typical year repeated over the horizon: wet, normal, dry, very-dry, extreme-dry (default normal)")
    p.add_argument("--start", default="2025-01", metavar="YYYY-MM", help="first month (default 2025-01)")
    p.add_argument("--months", type=int, default=12, metavar="M", help="horizon length in months (default 12)")
    p.add_argument("--rules", choices=sorted(RULES_DOC), default="none",
                   help="none: agreement rules dropped, the physical trade-off (default); "
                        "hard: hard rules kept")
    p.add_argument("--energy", action="store_true",
                   help="instead: KG winter (Oct-Mar) hydropower energy against KZ's Apr-Sep receipts")
    p.add_argument("--hold-kg", action="store_true",
                   help="with --energy: KG deliveries at least those of the agreement run (otherwise KG's own "
                        "irrigation may give way to winter energy)")
    p.add_argument("--json", action="store_true", help="print the frontier, agreement point and ledgers as JSON")


def _fmt(v: float, unit: str = "") -> str:
    if v is None or not np.isfinite(v):
        return "-"
    return (number(v, ",.0f") if abs(v) >= 100 else number(v, ",.3g") if abs(v) >= 1e-3 else "0") + unit


def run(args: argparse.Namespace) -> int:
    """``chutalas pareto``: 0 on success, 2 on bad input or when no frontier can be computed."""
    try:
        from optimizer.interfaces.cli import _load
    except ImportError:  # pragma: no cover - the CLI module is always there in the package
        _load = basins.load
    if args.points < 2:
        print(t("par_points"), file=sys.stderr)
        return 2
    b = _load(args.basin)
    kw = dict(points=args.points, start=args.start, months=args.months, rules=args.rules)
    if args.hold_kg and not args.energy:
        print(t("par_hold_kg"), file=sys.stderr)
        return 2
    try:
        if args.energy:
            f = energy_frontier(b, args.year_type, kg_delivery_floor="agreement" if args.hold_kg else None, **kw)
        else:
            f = pareto(b, args.year_type, **kw)
    except (ValueError, SolveError) as exc:
        print(t("cli_command_error", command="pareto", error=exc), file=sys.stderr)
        return 2
    if args.json:
        json.dump(f.to_dict(), sys.stdout, indent=1, default=str)
        print()
        return 0
    d = f.definitions
    out = sys.stdout
    what = t("par_what_energy") if args.energy else t("par_what_receipts")
    year_type = args.year_type if get_language() == "en" else label_or(f"year_type_{args.year_type}", args.year_type)
    print(t("par_header", what=what, name=b.name, id=b.id, year_type=year_type, start=d["start"][:7],
            months=d["months"]), file=out)
    print(t("par_rules", rules=d["rules"]), file=out)
    if args.energy:
        print(t("par_kg_irrigation", floor=d["kg_delivery_floor"]), file=out)
    print(t("par_axis_x", x=d["x"]), file=out)
    print(t("par_axis_y", y=d["y"]), file=out)
    if args.energy:
        for pid, p in d["plants"].items():
            print(t("par_plant", id=pid, reservoir=p["reservoir"], k=p["factor_gwh_per_hm3"], head=p["head_m"],
                    efficiency=p["efficiency"], limit=p["turbine_limit_m3s"], mw=p["capacity_mw"]), file=out)
        keys = [("eps", "eps_energy"), ("winter_energy_gwh",) * 2, ("summer_energy_gwh",) * 2,
                ("kg_delivery_hm3",) * 2, ("price_gwh_per_hm3",) * 2]  # (frontier column, label key)
    else:
        keys = [("eps",) * 2, ("kg_delivery_hm3", "kg_delivery_max_hm3"), ("price",) * 2, ("kz_received_hm3",) * 2,
                ("kz_shortage_hm3",) * 2]
    cols = [(c, t(f"par_col_{k}")) for c, k in keys]
    header = ["#", t("par_col_point")] + [c[1] for c in cols] + [t("par_col_status")]
    fmt = lambda c, v: f"{v:.3f}" if c.startswith("price") and np.isfinite(v) else _fmt(v)  # noqa: E731
    rows = [[str(r["point"]), r["kind"]] + [fmt(c, r[c]) if c in r else "-" for c, _ in cols] + [r["status"]]
            for r in f.table.to_dict("records")]
    widths = [max(len(x[i]) for x in [header] + rows) for i in range(len(header))]
    for x in [header] + rows:
        print("  " + "  ".join(c.rjust(w) if 1 < i < len(header) - 1 else c.ljust(w)
                               for i, (c, w) in enumerate(zip(x, widths))).rstrip(), file=out)
    a = f.agreement
    if a is None or a.get("status") != "optimal":
        print("\n" + t("par_agreement_none", note=(a or {}).get("note", "infeasible")), file=out)
    else:
        gap = a[f"gap_{f.y}"]
        where = t("par_on_frontier") if abs(gap) <= 1e-6 * max(1.0, abs(a[f.y])) else t("par_inside_frontier")
        unit = t("par_unit_gwh") if args.energy else t("par_unit_hm3")
        print("\n" + t("par_agreement", x=f.x, xv=_fmt(a[f.x]), y=f.y, yv=_fmt(a[f.y]), unit=unit,
                       fv=_fmt(a[f"frontier_{f.y}"]), where=where, gap=_fmt(gap)), file=out)
    tm = f.timings
    print("\n" + t("par_timings", solves=tm["solves"], build=tm["build_s"], solve=tm["solve_s"], total=tm["total_s"]),
          file=out)
    return 0


if __name__ == "__main__":  # python -m optimizer.analyses.tradeoffs BASIN ...  (same as chutalas pareto)
    _p = argparse.ArgumentParser(prog="python -m optimizer.analyses.tradeoffs", description="chutalas pareto")
    add_arguments(_p)
    raise SystemExit(run(_p.parse_args()))
