"""Command line interface: ``chutalas <command> ...``.

Every subcommand is a pair of functions, ``_args_<name>(parser)`` adding its
arguments and ``_run_<name>(args) -> int`` doing the work, registered once in
:data:`COMMANDS`. Exit codes: 0 success, 2 bad input (an invalid basin file, a
missing path, a usage error; the problems go to stderr, never a traceback).

    chutalas basins             # the bundled basins
    chutalas check chu          # validate a basin and summarise it
    chutalas check my.yaml      # ... or any basin file
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import basins
from basins.loading import PACKAGE_DIR

EXIT_OK = 0
EXIT_INPUT = 2


class CliError(Exception):
    """Bad input that is not a basin-file problem (e.g. an unreadable path); printed without a traceback."""


# ---- output helpers ----------------------------------------------------------------------------

def _fmt_hm3(v: float) -> str:
    """A volume for humans: whole hm3 from 100 up, three significant digits below."""
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"


def _table(rows: list[list[str]], header: list[str], out: TextIO, indent: str = "  ",
           right: set[int] = frozenset()) -> None:
    """Print ``rows`` as aligned columns; columns in ``right`` are right-aligned (numbers)."""
    cells = [header] + rows
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for r in cells:
        parts = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))]
        print(indent + "  ".join(parts).rstrip(), file=out)


def _load(name_or_path: str) -> basins.Basin:
    """``basins.load`` of a bundled id or a path; OS-level failures become a :class:`CliError`
    (a :class:`basins.BasinError` passes through)."""
    if name_or_path in basins.available() and not Path(name_or_path).is_file():
        # a bundled id wins over a same-named directory in the working directory (e.g. data/chu)
        name_or_path = str(PACKAGE_DIR / f"{name_or_path}.yaml")
    elif Path(name_or_path).is_dir():
        raise CliError(f"{name_or_path}: is a directory; give a basin file (.yaml) or a bundled basin id "
                       f"({', '.join(basins.available())})")
    try:
        return basins.load(name_or_path)
    except OSError as exc:
        raise CliError(f"{name_or_path}: cannot read the file ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise CliError(f"{name_or_path}: is not UTF-8 text ({exc.reason} at byte {exc.start})") from None


# ---- chutalas basins ---------------------------------------------------------------------------

def _args_basins(p: argparse.ArgumentParser) -> None:
    pass


def _run_basins(args: argparse.Namespace) -> int:
    rows, failed = [], []
    for bid in basins.available():
        try:
            b = basins.load(bid)
        except basins.BasinError as exc:
            failed.append((bid, exc))
            continue
        inflow = b.annual_inflow_hm3()
        normal = _fmt_hm3(inflow["normal"]) if "normal" in inflow.index else "-"
        rows.append([b.id, b.name, str(len(b.spec.nodes)), str(len(b.spec.links)), str(len(b.spec.reservoirs)),
                     normal])
    _table(rows, ["id", "name", "nodes", "links", "reservoirs", "normal inflow [hm3/yr]"], sys.stdout,
           indent="", right={2, 3, 4, 5})
    for bid, exc in failed:
        print(f"bundled basin {bid!r} does not load:\n{exc}", file=sys.stderr)
    return EXIT_INPUT if failed else EXIT_OK


# ---- chutalas check ----------------------------------------------------------------------------

def _args_check(p: argparse.ArgumentParser) -> None:
    p.add_argument("basin", metavar="BASIN_OR_PATH", help="a bundled basin id (chu, talas) or a basin file path")


def _receipt_str(r) -> str:
    parts = list(r.links) + [f"inflow {n}" for n in r.inflows]
    return ", ".join(parts) if parts else "-"


def summary(b: basins.Basin, out: TextIO) -> None:
    """One-screen summary of a validated basin."""
    spec = b.spec
    print(f"{b.name} [{b.id}]  OK  ({b.path if b.path is not None else 'in memory'})", file=out)

    kinds: dict[str, list[str]] = {}
    for n in spec.nodes:
        kinds.setdefault(n.kind, []).append(n.id)
    print(f"\nNodes: {len(spec.nodes)}", file=out)
    for kind, ids in kinds.items():
        print(f"  {kind:<10} {len(ids):>2}  {', '.join(ids)}", file=out)

    limited = [link for link in spec.links if link.capacity is not None or link.min_flow is not None]
    n_cap = sum(link.capacity is not None for link in spec.links)
    n_min = sum(link.min_flow is not None for link in spec.links)
    print(f"\nLinks: {len(spec.links)}, {n_cap} with a capacity (canals, outlets), {n_min} with a minimum flow; "
          "the others are unlimited", file=out)
    rows = []
    for link in limited:
        cap = f"{link.capacity:g} {link.capacity_unit}" if link.capacity is not None else "unlimited"
        mn = f"{link.min_flow:g} {link.min_flow_unit}" if link.min_flow is not None else "-"
        rows.append([link.id, f"{link.source} -> {link.target}", cap, f"{link.loss_fraction:.0%}", mn])
    if rows:
        _table(rows, ["link", "from -> to", "capacity", "loss", "min flow"], out, indent="    ", right={2, 3, 4})

    print(f"\nReservoirs: {len(spec.reservoirs)}", file=out)
    if spec.reservoirs:
        _table([[r.node, f"{r.capacity_hm3:,g}", f"{r.dead_storage_hm3:,g}", f"{r.initial_storage_hm3:,g}"]
                for r in spec.reservoirs], ["node", "capacity hm3", "dead hm3", "initial hm3"], out,
               indent="    ", right={1, 2, 3})

    if spec.aquifers:
        print(f"\nAquifers: {len(spec.aquifers)}", file=out)
        recharged = {a.node: [n.id for n in spec.nodes if n.recharge_to == a.node] for a in spec.aquifers}
        returns = {a.node: [d.node for d in spec.demands if d.return_node == a.node] for a in spec.aquifers}
        _table([[a.node, f"{a.recession_per_month:g}", f"{a.initial_storage_hm3:,g}", a.discharge_to,
                 ", ".join(recharged[a.node] + returns[a.node]) or "-"] for a in spec.aquifers],
               ["node", "recession /month", "initial hm3", "discharges to", "recharged by"], out,
               indent="    ", right={1, 2})

    annual_demand = b.effective_demand.sum("month")
    print(f"\nDemands: {len(spec.demands)}, total {_fmt_hm3(float(annual_demand.sum()))} hm3/yr "
          "(series x demand_factor)", file=out)
    if spec.demands:
        _table([[d.node, d.party or "-", d.sector, str(d.priority), f"{d.demand_factor:g}",
                 _fmt_hm3(float(annual_demand.sel(node=d.node)))]
                for d in spec.demands], ["node", "party", "sector", "priority", "factor", "demand hm3/yr"], out,
               indent="    ", right={3, 4, 5})

    print("\nNatural inflow [hm3/yr]:", file=out)
    for yt, v in b.annual_inflow_hm3().items():
        print(f"    {yt:<10} {_fmt_hm3(v):>8}", file=out)

    ag = spec.agreement
    print(f"\nAgreement: parties {', '.join(ag.parties)}; cost sharing {ag.cost_sharing}", file=out)
    for r in ag.share_rules:
        shares = ", ".join(f"{p} {s:.0%}" for p, s in r.shares.items())
        print(f"  share rule {r.id}: {shares} of {len(r.resource_inflows)} inflows per {r.period}, "
              f"{r.mode}, enforced for {', '.join(r.enforce)}", file=out)
    for q in ag.quotas:
        print(f"  quota {q.id}: {q.party} >= {q.volume_hm3:,g} hm3 per {q.period}, {q.mode}"
              + (f" (penalty {q.penalty:g} per hm3 short)" if q.mode == "soft" else ""), file=out)
    for s in ag.storage_splits:
        shares = ", ".join(f"{p} {v:.0%}" for p, v in s.shares.items())
        print(f"  storage split {s.id}: releases of {s.reservoir}: {shares} per {s.period}, {s.mode}, "
              f"enforced for {', '.join(s.enforce)}", file=out)
    for a in ag.storage_accounts:  # storage ownership accounts (optimizer/core/accounts.py)
        shares = ", ".join(f"{p} {v:.0%}" for p, v in a.shares.items())
        start = ", ".join(f"{p} {v:,g}" for p, v in a.initial_balance_hm3.items())
        print(f"  storage accounts {a.id}: water accumulated in {a.reservoir}: {shares}; start balances {start} hm3",
              file=out)
    for f in ag.facilities:
        print(f"  facility {f.id}: {f.name} (host {f.host}), O&M {f.om_cost_usd_per_year:,.0f} USD/yr", file=out)
    if not (ag.share_rules or ag.quotas or ag.storage_splits or ag.facilities or ag.storage_accounts):
        print("  (no rules)", file=out)


def _run_check(args: argparse.Namespace) -> int:
    summary(_load(args.basin), sys.stdout)
    return EXIT_OK


# ---- chutalas solve ----------------------------------------------------------------------------

def _args_solve(p: argparse.ArgumentParser) -> None:
    p.add_argument("basin", help="bundled basin id (chu, talas) or a basin file")
    p.add_argument("--year-type", default="normal", help="wet | normal | dry | very-dry (default normal)")
    p.add_argument("--start", default="2025-01", help="first month, YYYY-MM (default 2025-01)")
    p.add_argument("--months", type=int, default=12, help="horizon length, 1-1200 months (default 12)")
    p.add_argument("--foresight", choices=["perfect", "myopic"], default="perfect")
    p.add_argument("--operation", choices=["agreement", "status-quo"], default="agreement",
                   help="agreement: rules enforced; status-quo: upstream intakes first, rules only reported")
    p.add_argument("--end-storage", choices=["initial", "free"], default=None,
                   help="end-of-horizon storage: initial (>= start; default with perfect foresight) or free "
                        "(default and only choice when myopic)")
    p.add_argument("--time-limit", type=float, default=60.0, help="HiGHS time limit per LP [s] (default 60)")
    p.add_argument("--out", help="write the full result to this NetCDF file (atomically)")
    p.add_argument("--ledger", help="write the compliance ledger to this CSV file")
    p.add_argument("--json", action="store_true", help="print a JSON summary instead of tables")


def _run_solve(args: argparse.Namespace) -> int:
    import json

    import optimizer

    basin = _load(args.basin)
    try:
        r = optimizer.solve(basin, args.year_type, start=args.start, months=args.months, foresight=args.foresight,
                            operation=args.operation, end_storage=args.end_storage, time_limit=args.time_limit)
    except optimizer.SolveError as exc:
        print(f"chutalas solve: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except ValueError as exc:
        raise CliError(str(exc)) from None
    for path, write in ((args.out, r.to_netcdf), (args.ledger, r.ledger_to_csv)):
        if path:
            try:
                write(path)  # atomic: on failure the file is as it was and no temporary file is left
            except OSError as exc:
                raise CliError(f"cannot write {path} ({exc.strerror or exc}); nothing was written there") from None
    if args.json:
        doc = {"manifest": r.manifest, "parties": r.summary().reset_index().to_dict("records"),
               "end_storage_hm3": r.end_storage().to_dict(),
               "ledger": r.ledger.replace({float("nan"): None}).to_dict("records"),
               "cost_sharing": r.cost_sharing.astype(object).where(r.cost_sharing.notna(), None).to_dict("records")}
        print(json.dumps(doc, indent=2, default=str))
        return EXIT_OK
    print_result(r, sys.stdout)
    return EXIT_OK


def print_result(r, out: TextIO) -> None:
    """The one-screen report of a solved allocation (hm3 over the horizon unless stated)."""
    m, ds = r.manifest, r.dataset
    o = m["options"]
    print(f"{ds.attrs['basin_name']}: {o['year_type']}, {o['months']} months from {o['start'][:7]}, "
          f"{o['foresight']} foresight, {o['operation']} — HiGHS {m['status']}, objective {m['objective']:,.2f}",
          file=out)
    print(f"inputs sha256 {m['inputs_sha256'][:16]}…  build {m['build_s']:.3f} s, solve {m['solve_s']:.3f} s\n",
          file=out)
    s = r.summary()
    if len(s):
        print("Receipts by party vs entitlement under the first share rule [hm3]:", file=out)
        rows = [[p, _fmt_hm3(v.received_hm3), _fmt_hm3(v.entitlement_hm3), _fmt_hm3(v.demand_hm3),
                 _fmt_hm3(v.delivery_hm3), _fmt_hm3(v.shortage_hm3)] for p, v in s.iterrows()]
        _table(rows, ["party", "received", "entitlement", "demand", "delivered", "shortage"], out,
               right={1, 2, 3, 4, 5})
    print("\nShortage by demand [hm3]:", file=out)
    sh = ds["shortage_hm3"].sum("time")
    rows = [[str(d), str(ds["demand_party"].sel(demand=d).item()), _fmt_hm3(float(ds["demand_hm3"].sel(demand=d).sum())),
             _fmt_hm3(float(sh.sel(demand=d)))] for d in ds["demand"].values]
    _table(rows, ["demand", "party", "demand", "shortage"], out, right={2, 3})
    print("\nCompliance ledger [hm3]:", file=out)
    rows = [[x.rule, x.party, x.period, x.mode, _fmt_hm3(x.required_hm3), _fmt_hm3(x.received_hm3),
             _fmt_hm3(x.deficit_hm3), "yes" if x.met else "NO"] for x in r.ledger.itertuples()]
    _table(rows, ["rule", "party", "period", "mode", "required", "received", "deficit", "met"], out, right={4, 5, 6})
    print("\nEnd storage [hm3]:", file=out)
    _table([[k, _fmt_hm3(v)] for k, v in r.end_storage().items()], ["reservoir", "end storage"], out, right={1})
    print_accounts(r, out)
    if len(r.cost_sharing) and "item" in r.cost_sharing:  # use of facilities (optimizer/core/cost_sharing.py)
        print_costs(r.cost_sharing, out)
    elif len(r.cost_sharing):
        print("\nO&M cost sharing (2000 Agreement, in proportion to water received) [USD]:", file=out)
        rows = [[c.facility, c.party, _fmt_hm3(c.water_hm3), f"{c.share:.1%}" if c.share == c.share else "-",
                 f"{c.cost_usd:,.0f}" if c.cost_usd == c.cost_usd else "-"] for c in r.cost_sharing.itertuples()]
        _table(rows, ["facility", "party", "water hm3", "share", "cost USD"], out, right={2, 3, 4})


def print_costs(costs, out: TextIO) -> None:
    """O&M split by use of facilities (facility names, the facility's water reaching each party) and the
    capital works with their shares."""
    from optimizer.interfaces.ui_text import t

    pct = lambda v: f"{v:.1%}" if v == v else "-"  # noqa: E731
    om = costs[costs["item"] == "O&M"]
    print("\n" + t("cli_costs"), file=out)
    rows = [[c.name, c.party, _fmt_hm3(c.facility_water_hm3), _fmt_hm3(c.water_hm3), _fmt_hm3(c.unattributed_hm3),
             pct(c.share), f"{c.cost_usd:,.0f}"] for c in om.itertuples()]
    _table(rows, ["facility", "party", "facility water hm3", "reaching party hm3", "reaching nobody hm3", "share",
                  "cost USD"], out, right={2, 3, 4, 5, 6})
    for fid, g in om.groupby("facility", sort=False):
        print(f"    {g['name'].iloc[0]}: {g['basis'].iloc[0]}", file=out)
    cap = costs[costs["item"] != "O&M"]
    if len(cap):
        print("\n" + t("cli_capital"), file=out)
        rows = [[c.item, c.party, f"{c.cost:,.0f} {c.currency}" if c.cost == c.cost else "cost not published",
                 pct(c.share), c.share_basis] for c in cap.itertuples()]
        _table(rows, ["work", "party", "party's cost", "share", "share from"], out, right={2, 3})


def print_accounts(r, out: TextIO) -> None:
    """Month-by-month storage account balances of every reservoir with accounts (hm3)."""
    from optimizer.core.accounts import table
    from optimizer.interfaces.ui_text import t

    ds = r.dataset
    if "account_hm3" not in ds:
        return
    import numpy as np

    for res in ds["reservoir"].values:
        if not np.isfinite(ds["account_hm3"].sel(reservoir=res).values).any():
            continue
        df = table(ds, str(res))
        print("\n" + t("cli_accounts", reservoir=str(res)), file=out)
        rows = [[m] + [_fmt_hm3(v if abs(v) > 5e-7 else 0.0) for v in row] for m, row in zip(df.index, df.to_numpy())]
        _table(rows, ["month"] + [c.replace(" hm3", "") for c in df.columns], out, right=set(range(1, df.shape[1] + 1)))


# ---- chutalas compare --------------------------------------------------------------------------

def _args_compare(p: argparse.ArgumentParser) -> None:
    p.add_argument("a", help="a result NetCDF file (chutalas solve --out)")
    p.add_argument("b", help="another result NetCDF file")
    p.add_argument("--rtol", type=float, default=1e-6, help="relative tolerance (default 1e-6)")
    p.add_argument("--atol", type=float, default=1e-6, help="absolute tolerance in the variable's unit "
                                                            "(default 1e-6 hm3)")
    p.add_argument("--top", type=int, default=10, help="how many of the largest differences to list")


def _run_compare(args: argparse.Namespace) -> int:
    from optimizer.analyses.compare import compare_files

    return compare_files(args.a, args.b, rtol=args.rtol, atol=args.atol, top=args.top, out=sys.stdout)


def _lazy(module: str, func: str) -> Callable:
    """A subcommand function imported on first use, so ``chutalas --help`` stays fast."""
    def call(*a, **k):
        from importlib import import_module

        return getattr(import_module(module), func)(*a, **k)
    return call


# ---- registry ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Command:
    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


#: Every subcommand, in the order ``chutalas --help`` lists them. Add new ones here
#: (planned: solve, compare, calibrate, validate, ensemble, pareto).
COMMANDS: list[Command] = [
    Command("basins", "list the bundled basins", _args_basins, _run_basins),
    Command("check", "validate a basin file and print a summary", _args_check, _run_check),
    Command("solve", "allocate water under the agreement and print receipts, shortages, ledger", _args_solve,
            _run_solve),
    Command("compare", "compare two result files; exit 1 when they differ beyond the tolerance", _args_compare,
            _run_compare),
    Command("app", "start the Streamlit app on the bundled basins (warmed up before the first visitor)",
            _lazy("optimizer.interfaces.app_launch", "add_arguments"), _lazy("optimizer.interfaces.app_launch", "run")),
    Command("calibrate", "fit the estimated [E] inputs to KZ's measured receipts (status-quo operation)",
            _lazy("optimizer.analyses.calibration", "add_arguments"), _lazy("optimizer.analyses.calibration", "run")),
    Command("validate", "observed vs modelled for every published figure",
            _lazy("optimizer.analyses.validation", "add_arguments"), _lazy("optimizer.analyses.validation", "run")),
    Command("ensemble", "solve hydrological ensembles / climate scenarios on Dask; per-party statistics",
            _lazy("optimizer.analyses.ensemble", "add_arguments"), _lazy("optimizer.analyses.ensemble", "run")),
    Command("pareto", "the frontier of KZ receipts against KG deliveries (or winter energy) and the "
            "agreement's point", _lazy("optimizer.analyses.tradeoffs", "add_arguments"), _lazy("optimizer.analyses.tradeoffs", "run")),
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chutalas",
        description="Treaty-aware monthly water-sharing optimiser for the Chu and Talas rivers (KG/KZ). "
                    "Volumes in hm3 (million m3).")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for cmd in COMMANDS:
        p = sub.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        cmd.add_arguments(p)
        p.set_defaults(_run=cmd.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``chutalas`` console script; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2); argparse has printed the message
        return exc.code if isinstance(exc.code, int) else EXIT_INPUT
    try:
        return args._run(args)
    except basins.BasinError as exc:
        print(exc, file=sys.stderr)
        return EXIT_INPUT
    except CliError as exc:
        print(f"chutalas {args.command}: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except BrokenPipeError:  # e.g. `chutalas check chu | head`
        sys.stderr.close()
        return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
