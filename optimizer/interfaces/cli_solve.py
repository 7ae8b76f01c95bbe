"""``chutalas solve``: allocate water over a horizon and print receipts, shortages, the compliance ledger, the
water balance, the cost sharing and the storage accounts; ``--out``/``--ledger`` written all or nothing
(:func:`write_all`), ``--json`` as strict JSON; ``--year`` hands a named season to
:mod:`optimizer.interfaces.cli_schedule`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from optimizer.interfaces import ui_text
from optimizer.interfaces.cli_common import EXIT_INPUT, EXIT_OK, CliError, _fmt_hm3, _lazy, _load, _table, _word
from optimizer.interfaces.ui_text import t

# ---- chutalas solve ----------------------------------------------------------------------------

def _args_solve(p: argparse.ArgumentParser) -> None:
    p.add_argument("basin", help="bundled basin id (chu, talas) or a basin file")
    p.add_argument("--year-type", default="normal", help="wet | normal | dry | very-dry | extreme-dry (default normal)")
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
        msg = t("cli_write_failed", path=current, error=exc.strerror or exc)
        msg += t("cli_written", paths=", ".join(done)) if done else t("cli_nothing_written")
        msg += t("cli_not_written", paths=", ".join(not_written)) + ("" if done else t("cli_as_they_were"))
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
        raise CliError(t("cli_same_out_ledger", path=args.out))
    for path, _ in outputs:
        parent = Path(path).resolve().parent
        if Path(path).is_dir():
            raise CliError(t("cli_out_is_dir", path=path))
        if not parent.is_dir():
            raise CliError(t("cli_out_no_dir", path=path, dir=parent))
    basin = _load(args.basin)
    if getattr(args, "year", None) is not None:  # a named season (optimizer.interfaces.cli_schedule)
        return _lazy("optimizer.interfaces.cli_schedule", "run_solve_year")(args, basin)
    try:
        r = optimizer.solve(basin, args.year_type, start=args.start, months=args.months, step=args.step,
                            foresight=args.foresight, operation=args.operation, end_storage=args.end_storage,
                            time_limit=args.time_limit, round_start=args.round_start)
    except optimizer.SolveError as exc:
        print(t("cli_command_error", command="solve", error=exc), file=sys.stderr)
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
    print_result(r, sys.stdout, basin)
    return EXIT_OK


def print_result(r, out: TextIO, basin=None) -> None:
    """The one-screen report of a solved allocation (hm3 over the horizon unless stated); ``basin``: the basin
    solved, whose Russian names the cost table uses (without it, the names the result carries)."""
    m, ds = r.manifest, r.dataset
    o = m["options"]
    steps = "" if o.get("step", "month") == "month" else t("cli_steps", n=o["steps"], step=_word("step_", o["step"]))
    print(t("cli_solve_head", basin=ui_text.dataset_basin_name(ds),
            year_type=_word("year_type_", o["year_type"]), months=o["months"],
            start=o["start"][:7] + steps, foresight=_word("foresight_short_", o["foresight"]),
            operation=_word("operation_", o["operation"]), status=m["status"],
            objective=m["objective"]), file=out)
    print(t("cli_solve_inputs", sha=m["inputs_sha256"][:16], build=m["build_s"], solve=m["solve_s"]) + "\n",
          file=out)
    spec_names = dict(zip(ds["node"].values, ui_text.dataset_node_names(ds)))
    s = r.summary()
    if len(s):
        print(t("cli_party_counts"), file=out)
        rows = [[ui_text.party_label(p), _fmt_hm3(v.received_hm3), _fmt_hm3(v.entitlement_hm3), _fmt_hm3(v.demand_hm3),
                 _fmt_hm3(v.delivery_hm3), _fmt_hm3(v.shortage_hm3)] for p, v in s.iterrows()]
        _table(rows, [t("cli_party"), t("cli_col_counted"), t("cli_col_share_of_resource"), t("cli_col_demand"),
                      t("cli_col_delivered"), t("cli_col_shortage")], out, right={1, 2, 3, 4, 5})
    print("\n" + t("cli_shortage_by_demand"), file=out)
    sh = ds["shortage_hm3"].sum("time")
    rows = [[f"{spec_names.get(str(d), d)} ({d})", ui_text.party_label(str(ds["demand_party"].sel(demand=d).item())),
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
        print_costs(r.cost_sharing, out, basin)
    elif len(r.cost_sharing):
        print("\n" + t("cli_cost_sharing"), file=out)
        rows = [[c.facility, ui_text.party_label(c.party), _fmt_hm3(c.water_hm3), f"{c.share:.1%}" if c.share == c.share else "-",
                 f"{c.cost_usd:,.0f}" if c.cost_usd == c.cost_usd else "-"] for c in r.cost_sharing.itertuples()]
        _table(rows, [t("cli_facility_col"), t("cli_party"), t("cli_water_hm3"), t("cli_share"), t("cli_cost_usd")],
               out, right={2, 3, 4})


def print_ledger(led, out: TextIO) -> None:
    """The ledger in the Commission's words: role, period, the two volumes compared, and the test's verdict."""
    en = ui_text.get_language() == "en"
    rows = []
    names = led.attrs.get("rule_names", {})
    for x in led.itertuples():
        price = x.shadow_price
        name = ui_text.rule_name(x.rule, names)  # by name, the id after it (what the basin file and --json say)
        rule = x.rule if name == x.rule else f"{name} ({x.rule})"
        test = x.test if en else ui_text.ledger_test(x.role, x.status, x.required_hm3, x.received_hm3, x.deficit_hm3)
        period = (x.period_name if en else ui_text.period_label(x.period)) + ("" if x.complete else t("period_partial"))
        rows.append([rule, ui_text.party_label(x.party), t(f"role_{x.role}"), period,
                     _word("mode_", x.mode), _fmt_hm3(x.required_hm3), _fmt_hm3(x.received_hm3), test,
                     f"{price:.3g}" if price == price and abs(price) > 1e-9 else "0"])
    _table(rows, t("cli_ledger_cols").split("|"), out, right={5, 6, 8})
    print(t("cli_shadow_note"), file=out)


def print_water_balance(wb, out: TextIO) -> None:
    cols = [c for c in wb.columns]
    rows = [[str(i[0]), ui_text.party_label(str(i[1]))] + [_fmt_hm3(float(v)) if abs(float(v)) >= 5e-7 else "0" for v in row]
            for i, row in zip(wb.index, wb.to_numpy())]
    en = ui_text.get_language() == "en"
    rows = [[r[0] if en else ui_text.period_label(r[0].replace(" hydrological year (Oct–Sep)", " hydro-year")
                                                  .replace(" — part in the horizon", t("period_partial")))] + r[1:]
            for r in rows]
    heads = [c.replace("_hm3", "").replace("_", " ") + " hm3" if en else ui_text.label_or(f"wb_{c}", c) + ", " + t("u_hm3")
             for c in cols]
    _table(rows, [t("cli_wb_period"), t("cli_party")] + heads, out, right=set(range(2, 2 + len(cols))))


def print_costs(costs, out: TextIO, basin=None) -> None:
    """O&M split by use of facilities (facility names, the facility's water reaching each party) and the
    capital works with their shares."""
    from optimizer.interfaces.ui_text import t

    # numbers as the reader writes them ("351 512", "87,9 %" in Russian: "351,512" reads there as 351.5)
    pct = lambda v: ("-" if v != v else f"{v:.1%}" if ui_text.get_language() == "en"  # noqa: E731
                     else ui_text.number(100 * v, ".1f") + " %")
    money = lambda v: ui_text.number(v, ",.0f")  # noqa: E731
    # names, what a share counts and the share basis in the reader's language, as the app shows them
    costs = ui_text.costs_in_words(costs, basin) if basin is not None else costs.assign(om=costs["item"] == "O&M")
    om = costs[costs["om"]]
    print("\n" + t("cli_costs"), file=out)
    rows = [[c.name, ui_text.party_label(c.party), _fmt_hm3(c.facility_water_hm3), _fmt_hm3(c.water_hm3), _fmt_hm3(c.unattributed_hm3),
             pct(c.share), money(c.cost_usd)] for c in om.itertuples()]
    _table(rows, t("cli_cost_cols").split("|"), out, right={2, 3, 4, 5, 6})
    for _, g in om.groupby("facility", sort=False):
        print(f"    {g['name'].iloc[0]}: {g['basis'].iloc[0]}", file=out)
    cap = costs[~costs["om"]]
    if len(cap):
        print("\n" + t("cli_capital"), file=out)
        rows = [[c.item, ui_text.party_label(c.party), f"{money(c.cost)} {c.currency}" if c.cost == c.cost else t("cli_cost_unpublished"),
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
        names = dict(zip(map(str, ds["node"].values), ui_text.dataset_node_names(ds)))
        print("\n" + t("cli_accounts", reservoir=f"{names.get(str(res), res)} ({res})"), file=out)
        rows = [[m] + [_fmt_hm3(v if abs(v) > 5e-7 else 0.0) for v in row] for m, row in zip(df.index, df.to_numpy())]
        _table(rows, [t(f"step_{df.index.name}")] + [_account_column(c) for c in df.columns], out,
               right=set(range(1, df.shape[1] + 1)))


def _account_column(column: str) -> str:
    """A column of optimizer.core.accounts.table (``KZ release hm3``, ``storage above dead hm3``) in the reader's
    words."""
    party, _, what = column.removesuffix(" hm3").partition(" ")
    if what in ("release", "balance"):
        return t(f"account_{what}", party=party)
    return t("account_total")

