"""Command line interface: ``chutalas <command> ...``.

Every subcommand is a pair of functions, ``_args_<name>(parser)`` adding its
arguments and ``_run_<name>(args) -> int`` doing the work, registered once in
:data:`COMMANDS`. Exit codes: 0 success, 2 bad input (an invalid basin file, a
missing path, a usage error; the problems go to stderr, never a traceback), 130 interrupted (Ctrl-C; no
partial file is left). ``compare`` exits 1 when the runs differ.

    chutalas basins             # the bundled basins
    chutalas check chu          # validate a basin and summarise it
    chutalas check my.yaml      # ... or any basin file
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Set
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import basins
from basins.loading import PACKAGE_DIR
from optimizer.interfaces import ui_text
from optimizer.interfaces.ui_text import t

EXIT_OK = 0
EXIT_INPUT = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl-C


class CliError(Exception):
    """Bad input that is not a basin-file problem (e.g. an unreadable path); printed without a traceback."""


# ---- output helpers ----------------------------------------------------------------------------

def _fmt_hm3(v: float) -> str:
    """A volume for humans: whole hm3 from 100 up, three significant digits below."""
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"


def _table(rows: list[list[str]], header: list[str], out: TextIO, indent: str = "  ",
           right: Set[int] = frozenset()) -> None:
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
    rows: list[list[str]] = []
    failed: list[tuple[str, basins.BasinError]] = []
    for bid in basins.available():
        try:
            b = basins.load(bid)
        except basins.BasinError as err:
            failed.append((bid, err))
            continue
        inflow = b.annual_inflow_hm3()
        normal = _fmt_hm3(inflow["normal"]) if "normal" in inflow.index else "-"
        rows.append([b.id, b.name, str(len(b.spec.nodes)), str(len(b.spec.links)), str(len(b.spec.reservoirs)),
                     normal])
    _table(rows, [t("cli_id"), t("cli_name"), t("cli_nodes"), t("cli_links"), t("cli_reservoirs"),
                  t("cli_normal_inflow")], sys.stdout,
           indent="", right={2, 3, 4, 5})
    for bid, exc in failed:
        print(t("cli_not_loaded", id=bid, error=exc), file=sys.stderr)
    return EXIT_INPUT if failed else EXIT_OK


# ---- chutalas check ----------------------------------------------------------------------------

def _args_check(p: argparse.ArgumentParser) -> None:
    p.add_argument("basin", metavar="BASIN_OR_PATH", help="a bundled basin id (chu, talas) or a basin file path")


def _word(prefix: str, value: str) -> str:
    """A data id (year type, node kind, mode, option) as the CLI prints it: the id itself in English (as
    scripts expect), its label from ui_text in another language."""
    return str(value) if ui_text.get_language() == "en" else ui_text.label_or(f"{prefix}{value}", str(value))


def _unit(unit: str) -> str:
    """A data file's unit (hm3/month, m3/s) as the current language writes it."""
    return _word("cli_unit_", unit)


def _receipt_str(r) -> str:
    parts = list(r.links) + [t("cli_inflow_of", node=n) for n in r.inflows]
    return ", ".join(parts) if parts else "-"


def summary(b: basins.Basin, out: TextIO) -> None:
    """One-screen summary of a validated basin."""
    spec = b.spec
    print(t("cli_ok", name=b.name, id=b.id, path=b.path if b.path is not None else t("cli_in_memory")), file=out)

    kinds: dict[str, list[str]] = {}
    for n in spec.nodes:
        kinds.setdefault(n.kind, []).append(n.id)
    print("\n" + t("cli_nodes_n", n=len(spec.nodes)), file=out)
    width = max([10] + [len(_word("kind_", k)) for k in kinds])
    for kind, ids in kinds.items():
        print(f"  {_word('kind_', kind):<{width}} {len(ids):>2}  {', '.join(ids)}", file=out)

    limited = [link for link in spec.links if link.capacity is not None or link.min_flow is not None]
    n_cap = sum(link.capacity is not None for link in spec.links)
    n_min = sum(link.min_flow is not None for link in spec.links)
    print("\n" + t("cli_links_n", n=len(spec.links), cap=n_cap, mins=n_min), file=out)
    rows = []
    for link in limited:
        cap = f"{link.capacity:g} {_unit(link.capacity_unit)}" if link.capacity is not None else t("cli_unlimited")
        mn = f"{link.min_flow:g} {_unit(link.min_flow_unit)}" if link.min_flow is not None else "-"
        rows.append([link.id, f"{link.source} -> {link.target}", cap, f"{link.loss_fraction:.0%}", mn])
    if rows:
        _table(rows, [t("cli_link"), t("cli_from_to"), t("cli_capacity"), t("cli_loss"), t("cli_min_flow")], out,
               indent="    ", right={2, 3, 4})

    print("\n" + t("cli_reservoirs_n", n=len(spec.reservoirs)), file=out)
    if spec.reservoirs:
        _table([[r.node, f"{r.capacity_hm3:,g}", f"{r.dead_storage_hm3:,g}", f"{r.initial_storage_hm3:,g}"]
                for r in spec.reservoirs],
               [t("cli_node"), t("cli_capacity_hm3"), t("cli_dead_hm3"), t("cli_initial_hm3")], out,
               indent="    ", right={1, 2, 3})

    if spec.aquifers:
        print("\n" + t("cli_aquifers_n", n=len(spec.aquifers)), file=out)
        recharged = {a.node: [n.id for n in spec.nodes if n.recharge_to == a.node] for a in spec.aquifers}
        returns = {a.node: [d.node for d in spec.demands if d.return_node == a.node] for a in spec.aquifers}
        seeping = {a.node: [lk.id for lk in spec.links if lk.loss_to == a.node] for a in spec.aquifers}  # link seepage
        _table([[a.node, f"{a.recession_per_month:g}", f"{a.initial_storage_hm3:,g}", a.discharge_to,
                 ", ".join(recharged[a.node] + returns[a.node] + seeping[a.node]) or "-"] for a in spec.aquifers],
               [t("cli_node"), t("cli_recession"), t("cli_initial_hm3"), t("cli_discharges_to"),
                t("cli_recharged_by")], out,
               indent="    ", right={1, 2})

    annual_demand = b.effective_demand.sum("month")
    print("\n" + t("cli_demands_n", n=len(spec.demands), total=_fmt_hm3(float(annual_demand.sum()))), file=out)
    if spec.demands:
        _table([[d.node, d.party or "-", d.sector, str(d.priority), f"{d.demand_factor:g}",
                 _fmt_hm3(float(annual_demand.sel(node=d.node)))]
                for d in spec.demands],
               [t("cli_node"), t("cli_party"), t("cli_sector"), t("cli_priority"), t("cli_factor"),
                t("cli_demand_hm3_yr")], out,
               indent="    ", right={3, 4, 5})

    print("\n" + t("cli_natural_inflow"), file=out)
    for yt, v in b.annual_inflow_hm3().items():
        print(f"    {_word('year_type_', yt):<{10 if ui_text.get_language() == 'en' else 16}} {_fmt_hm3(v):>8}",
              file=out)

    ag = spec.agreement
    print("\n" + t("cli_agreement", parties=", ".join(ag.parties), cost_sharing=ag.cost_sharing), file=out)
    for r in ag.share_rules:
        shares = ", ".join(f"{p} {s:.0%}" for p, s in r.shares.items())
        roles = ", ".join(f"{p} {_word('role_', role)}" for p, role in r.party_roles.items())
        print(t("cli_share_rule", id=r.id, shares=shares, n=len(r.resource_inflows), period=r.period,
                mode=_word("mode_", r.mode), roles=roles), file=out)
    for q in ag.quotas:
        print(t("cli_quota", id=q.id, party=q.party, volume=f"{q.volume_hm3:,g}", period=q.period,
                mode=_word("mode_", q.mode))
              + (t("cli_quota_penalty", penalty=q.penalty) if q.mode == "soft" else ""), file=out)
    for s in ag.storage_splits:
        shares = ", ".join(f"{p} {v:.0%}" for p, v in s.shares.items())
        roles = ", ".join(f"{p} {_word('role_', role)}" for p, role in s.party_roles.items())
        print(t("cli_storage_split", id=s.id, reservoir=s.reservoir, shares=shares, period=s.period,
                mode=_word("mode_", s.mode), roles=roles), file=out)
    for a in ag.storage_accounts:  # storage ownership accounts (optimizer/core/accounts.py)
        shares = ", ".join(f"{p} {v:.0%}" for p, v in a.shares.items())
        start = ", ".join(f"{p} {v:,g}" for p, v in a.initial_balance_hm3.items())
        print(t("cli_storage_accounts", id=a.id, reservoir=a.reservoir, shares=shares, start=start), file=out)
    for f in ag.facilities:
        print(t("cli_facility", id=f.id, name=f.name, host=f.host, cost=f.om_cost_usd_per_year), file=out)
    if not (ag.share_rules or ag.quotas or ag.storage_splits or ag.facilities or ag.storage_accounts):
        print(t("cli_no_rules"), file=out)


def _run_check(args: argparse.Namespace) -> int:
    summary(_load(args.basin), sys.stdout)
    return EXIT_OK


# ---- chutalas solve ----------------------------------------------------------------------------

def _args_solve(p: argparse.ArgumentParser) -> None:
    p.add_argument("basin", help="bundled basin id (chu, talas) or a basin file")
    p.add_argument("--year-type", default="normal", help="wet | normal | dry | very-dry (default normal)")
    p.add_argument("--start", default="2025-01", help="first month, YYYY-MM (default 2025-01); a date inside a "
                                                      "month is an error unless --round-start")
    p.add_argument("--round-start", action="store_true", help="start on the 1st of the month --start falls in")
    p.add_argument("--months", type=int, default=12, help="horizon length, 1-1200 months (default 12)")
    p.add_argument("--step", choices=("month", "dekad", "day"), default="month",
                   help="time step of the LP: month, dekad (days 1-10, 11-20, 21-end: 36 a year) or day; "
                        "--months still counts calendar months (default month)")
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
    p.add_argument("--year", type=int, default=None, help="a named season (2023, 2024, 2025): Apr-Sep built from the "
                   "published figures in data/observed (overrides --year-type, --start, --months)")


def _same_file(a: str, b: str) -> bool:
    pa, pb = Path(a), Path(b)
    if pa.exists() and pb.exists():
        return pa.samefile(pb)
    return pa.resolve() == pb.resolve()


def _strict_json(obj):
    """``obj`` with every NaN/infinity as ``None`` and numpy scalars as Python numbers (strict JSON)."""
    import math

    import numpy as np

    if isinstance(obj, dict):
        return {str(k): _strict_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_strict_json(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def write_all(outputs: list[tuple[str, Callable[[str], object]]]) -> None:
    """Write several result files all or nothing: each goes to a temporary file beside its target, and only
    when every one is written are they renamed over their targets. A failure raises a :class:`CliError` that
    says which files were written (renamed before the failure) and which were not."""
    import os
    import tempfile

    staged: list[tuple[str, str]] = []
    done: list[str] = []
    current = ""
    try:
        for path, write in outputs:
            current = path
            parent = Path(path).resolve().parent
            if Path(path).is_dir():
                raise IsADirectoryError(21, "is a directory", path)
            fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{Path(path).name}.", suffix=".part")
            os.close(fd)
            staged.append((tmp, path))
            write(tmp)
        for tmp, path in staged:
            current = path
            mode = os.stat(path).st_mode & 0o777 if Path(path).is_file() else 0o644
            os.chmod(tmp, mode)  # the file keeps the permissions of the one it replaces (0644 when new)
            os.replace(tmp, path)
            done.append(path)
    except OSError as exc:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        not_written = [p for p, _ in outputs if p not in done]
        msg = f"cannot write {current} ({exc.strerror or exc}); "
        msg += (f"written: {', '.join(done)}; " if done else "nothing was written; ")
        msg += f"not written: {', '.join(not_written)}" + (" (they are as they were)" if not done else "")
        raise CliError(msg) from None
    except BaseException:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        raise


def _run_solve(args: argparse.Namespace) -> int:
    import json

    import optimizer

    outputs = [(p, w) for p, w in ((args.out, "to_netcdf"), (args.ledger, "ledger_to_csv")) if p]
    if args.out and args.ledger and _same_file(args.out, args.ledger):
        raise CliError(f"--out and --ledger are the same file ({args.out}); give two different paths "
                       "(nothing was solved or written)")
    for path, _ in outputs:
        parent = Path(path).resolve().parent
        if Path(path).is_dir():
            raise CliError(f"cannot write {path}: it is a directory (nothing was solved or written)")
        if not parent.is_dir():
            raise CliError(f"cannot write {path}: the directory {parent} does not exist (nothing was solved or "
                           "written)")
    basin = _load(args.basin)
    if getattr(args, "year", None) is not None:  # a named season (optimizer.interfaces.cli_schedule)
        return _lazy("optimizer.interfaces.cli_schedule", "run_solve_year")(args, basin)
    try:
        r = optimizer.solve(basin, args.year_type, start=args.start, months=args.months, step=args.step,
                            foresight=args.foresight, operation=args.operation, end_storage=args.end_storage,
                            time_limit=args.time_limit, round_start=args.round_start)
    except optimizer.SolveError as exc:
        print(f"chutalas solve: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except ValueError as exc:
        raise CliError(str(exc)) from None
    write_all([(p, getattr(r, w)) for p, w in outputs])
    if args.json:
        doc = {"manifest": r.manifest, "parties": r.summary().reset_index().to_dict("records"),
               "end_storage_hm3": r.end_storage().to_dict(),
               "ledger": r.ledger.to_dict("records"),
               "cost_sharing": r.cost_sharing.to_dict("records"),
               "water_balance_hm3": r.water_balance.reset_index().to_dict("records")}
        print(json.dumps(_strict_json(doc), indent=2, default=str, allow_nan=False))
        return EXIT_OK
    print_result(r, sys.stdout)
    return EXIT_OK


def print_result(r, out: TextIO) -> None:
    """The one-screen report of a solved allocation (hm3 over the horizon unless stated)."""
    m, ds = r.manifest, r.dataset
    o = m["options"]
    steps = "" if o.get("step", "month") == "month" else t("cli_steps", n=o["steps"], step=_word("step_", o["step"]))
    print(t("cli_solve_head", basin=ds.attrs["basin_name"],
            year_type=_word("year_type_", o["year_type"]), months=o["months"],
            start=o["start"][:7] + steps, foresight=_word("foresight_short_", o["foresight"]),
            operation=_word("operation_", o["operation"]), status=m["status"],
            objective=m["objective"]), file=out)
    print(t("cli_solve_inputs", sha=m["inputs_sha256"][:16], build=m["build_s"], solve=m["solve_s"]) + "\n",
          file=out)
    spec_names = dict(zip(ds["node"].values, ds["node_name"].values))
    s = r.summary()
    if len(s):
        print(t("cli_party_counts"), file=out)
        rows = [[p, _fmt_hm3(v.received_hm3), _fmt_hm3(v.entitlement_hm3), _fmt_hm3(v.demand_hm3),
                 _fmt_hm3(v.delivery_hm3), _fmt_hm3(v.shortage_hm3)] for p, v in s.iterrows()]
        _table(rows, [t("cli_party"), t("cli_col_counted"), t("cli_col_share_of_resource"), t("cli_col_demand"),
                      t("cli_col_delivered"), t("cli_col_shortage")], out, right={1, 2, 3, 4, 5})
    print("\n" + t("cli_shortage_by_demand"), file=out)
    sh = ds["shortage_hm3"].sum("time")
    rows = [[f"{spec_names.get(str(d), d)} ({d})", str(ds["demand_party"].sel(demand=d).item()),
             _fmt_hm3(float(ds["demand_hm3"].sel(demand=d).sum())), _fmt_hm3(float(sh.sel(demand=d)))]
            for d in ds["demand"].values]
    _table(rows, [t("cli_demand_node"), t("cli_party"), t("cli_col_demand"), t("cli_col_shortage")], out, right={2, 3})
    print("\n" + t("cli_ledger_tests"), file=out)
    print_ledger(r.ledger, out)
    wb = getattr(r, "water_balance", None)
    if wb is not None and len(wb):
        print("\n" + t("cli_water_balance"), file=out)
        print_water_balance(wb, out)
    print("\n" + t("cli_end_storage"), file=out)
    _table([[f"{spec_names.get(k, k)} ({k})", _fmt_hm3(v)] for k, v in r.end_storage().items()],
           [t("cli_reservoir"), t("cli_end_storage_col")], out, right={1})
    print_accounts(r, out)
    if len(r.cost_sharing) and "item" in r.cost_sharing:  # use of facilities (optimizer/core/cost_sharing.py)
        print_costs(r.cost_sharing, out)
    elif len(r.cost_sharing):
        print("\n" + t("cli_cost_sharing"), file=out)
        rows = [[c.facility, c.party, _fmt_hm3(c.water_hm3), f"{c.share:.1%}" if c.share == c.share else "-",
                 f"{c.cost_usd:,.0f}" if c.cost_usd == c.cost_usd else "-"] for c in r.cost_sharing.itertuples()]
        _table(rows, [t("cli_facility_col"), t("cli_party"), t("cli_water_hm3"), t("cli_share"), t("cli_cost_usd")],
               out, right={2, 3, 4})


def print_ledger(led, out: TextIO) -> None:
    """The ledger in the Commission's words: role, period, the two volumes compared, and the test's verdict."""
    en = ui_text.get_language() == "en"
    rows = []
    for x in led.itertuples():
        price = x.shadow_price
        test = x.test if en else ui_text.ledger_test(x.role, x.status, x.required_hm3, x.received_hm3, x.deficit_hm3)
        period = (x.period_name if en else ui_text.period_label(x.period)) + ("" if x.complete else t("period_partial"))
        rows.append([x.rule, x.party, t(f"role_{x.role}"), period,
                     _word("mode_", x.mode), _fmt_hm3(x.required_hm3), _fmt_hm3(x.received_hm3), test,
                     f"{price:.3g}" if price == price and abs(price) > 1e-9 else "0"])
    _table(rows, t("cli_ledger_cols").split("|"), out, right={5, 6, 8})
    print(t("cli_shadow_note"), file=out)


def print_water_balance(wb, out: TextIO) -> None:
    cols = [c for c in wb.columns]
    rows = [[str(i[0]), str(i[1])] + [_fmt_hm3(float(v)) if abs(float(v)) >= 5e-7 else "0" for v in row]
            for i, row in zip(wb.index, wb.to_numpy())]
    en = ui_text.get_language() == "en"
    rows = [[r[0] if en else ui_text.period_label(r[0].replace(" hydrological year (Oct–Sep)", " hydro-year")
                                                  .replace(" — part in the horizon", t("period_partial")))] + r[1:]
            for r in rows]
    heads = [c.replace("_hm3", "").replace("_", " ") + " hm3" if en else ui_text.label_or(f"wb_{c}", c) + ", " + t("u_hm3")
             for c in cols]
    _table(rows, [t("cli_wb_period"), t("cli_party")] + heads, out, right=set(range(2, 2 + len(cols))))


def print_costs(costs, out: TextIO) -> None:
    """O&M split by use of facilities (facility names, the facility's water reaching each party) and the
    capital works with their shares."""
    from optimizer.interfaces.ui_text import t

    pct = lambda v: f"{v:.1%}" if v == v else "-"  # noqa: E731
    om = costs[costs["item"] == "O&M"]
    print("\n" + t("cli_costs"), file=out)
    rows = [[c.name, c.party, _fmt_hm3(c.facility_water_hm3), _fmt_hm3(c.water_hm3), _fmt_hm3(c.unattributed_hm3),
             pct(c.share), f"{c.cost_usd:,.0f}"] for c in om.itertuples()]
    _table(rows, t("cli_cost_cols").split("|"), out, right={2, 3, 4, 5, 6})
    for _, g in om.groupby("facility", sort=False):
        print(f"    {g['name'].iloc[0]}: {g['basis'].iloc[0]}", file=out)
    cap = costs[costs["item"] != "O&M"]
    if len(cap):
        print("\n" + t("cli_capital"), file=out)
        rows = [[c.item, c.party, f"{c.cost:,.0f} {c.currency}" if c.cost == c.cost else t("cli_cost_unpublished"),
                 pct(c.share), c.share_basis] for c in cap.itertuples()]
        _table(rows, t("cli_capital_cols").split("|"), out, right={2, 3})


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
        _table(rows, [t(f"step_{df.index.name}")] + [c.replace(" hm3", "") for c in df.columns], out,
               right=set(range(1, df.shape[1] + 1)))


# ---- chutalas compare --------------------------------------------------------------------------

def _args_compare(p: argparse.ArgumentParser) -> None:
    p.add_argument("a", help="a result NetCDF file (chutalas solve --out)")
    p.add_argument("b", help="another result NetCDF file")
    p.add_argument("--rtol", type=float, default=1e-6, help="relative tolerance (default 1e-6)")
    p.add_argument("--atol", type=float, default=1e-6, help="absolute tolerance in the variable's unit "
                                                            "(default 1e-6 hm3)")
    p.add_argument("--top", type=int, default=10, help="how many of the largest differences to list")


def _run_compare(args: argparse.Namespace) -> int:
    from optimizer.analyses.compare import NotAResult, compare_files

    try:
        return compare_files(args.a, args.b, rtol=args.rtol, atol=args.atol, top=args.top, out=sys.stdout)
    except NotAResult as exc:
        raise CliError(str(exc)) from None


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
            _lazy("optimizer.interfaces.cli_calibrate", "add_arguments"), _lazy("optimizer.interfaces.cli_calibrate", "run")),
    Command("validate", "observed vs modelled for every published figure",
            _lazy("optimizer.analyses.validation", "add_arguments"), _lazy("optimizer.analyses.validation", "run")),
    Command("ensemble", "solve hydrological ensembles / climate scenarios on Dask; per-party statistics",
            _lazy("optimizer.interfaces.cli_ensemble", "add_arguments"), _lazy("optimizer.interfaces.cli_ensemble", "run")),
    Command("pareto", "the frontier of KZ receipts against KG deliveries (or winter energy) and the "
            "agreement's point", _lazy("optimizer.interfaces.cli_tradeoffs", "add_arguments"), _lazy("optimizer.interfaces.cli_tradeoffs", "run")),
    Command("schedule", "propose the season's dekadal schedule from a forecast or named year, operate it, plan against fact",
            _lazy("optimizer.interfaces.cli_schedule", "add_arguments"), _lazy("optimizer.interfaces.cli_schedule", "run")),
]


def _language(value: str) -> str:
    try:
        return ui_text.check_language(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chutalas",
        description="Treaty-aware monthly water-sharing optimiser for the Chu and Talas rivers (KG/KZ). "
                    "Volumes in hm3 (million m3).")
    from optimizer import __version__
    parser.add_argument("--version", action="version", version=f"chutalas {__version__}")
    lang_help = "language of the summaries: en | ru (default: $CHUTALAS_LANG, else en)"
    parser.add_argument("--lang", type=_language, default=None, help=lang_help)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for cmd in COMMANDS:
        p = sub.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        p.add_argument("--lang", type=_language, default=argparse.SUPPRESS, help=lang_help)
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
    env = os.environ.get("CHUTALAS_LANG", "").strip()
    try:
        ui_text.set_language(args.lang or (ui_text.check_language(env) if env else None))
    except ValueError as exc:
        print(f"chutalas: CHUTALAS_LANG: {exc}", file=sys.stderr)
        return EXIT_INPUT
    try:
        return args._run(args)
    except basins.BasinError as exc:
        print(exc, file=sys.stderr)
        return EXIT_INPUT
    except CliError as exc:
        print(f"chutalas {args.command}: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:  # Ctrl-C: results are written atomically, so no partial file is left
        print(f"\nchutalas {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `chutalas check chu | head`
        sys.stderr.close()
        return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
