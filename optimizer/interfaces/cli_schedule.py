"""``chutalas schedule``: propose the season's schedule, operate it, compare with what was published, re-plan.

    chutalas schedule BASIN [--year 2025] [--named] [--forecast F] [--step dekad] [--schedule FILE]
                            [--replan YYYY-MM-DD] [--out FILE.xlsx|.csv] [--json]

``--year`` with a named year (2023, 2024, 2025) builds the season from data/observed (inflow type and scale,
start storage, the Commission's plan as the operative quota) unless ``--forecast`` is given: a fraction of the
normal Apr–Sep inflow (≤ 5) or a volume [hm³]; then the operative quota is the Regulation's × forecast / normal.
"""

from __future__ import annotations

import argparse
import json
import sys

import pandas as pd

from optimizer.analyses import named_years
from optimizer.analyses import season as S
from optimizer.core import schedule as sched_mod


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("basin", help="bundled basin id (chu, talas)")
    p.add_argument("--year", type=int, default=2025, help="season year (Apr-Sep); 2023-2025 are named years "
                   "built from published figures (default 2025)")
    p.add_argument("--forecast", type=float, default=None,
                   help="Apr-Sep natural inflow: a fraction of normal (<= 5) or a volume in hm3; overrides the named year")
    p.add_argument("--step", choices=("month", "dekad", "day"), default="dekad", help="time step (default dekad)")
    p.add_argument("--schedule", help="operate this schedule (CSV or .xlsx: post,step_start,plan_m3s|plan_hm3) "
                   "instead of the proposed one")
    p.add_argument("--replan", metavar="YYYY-MM-DD", help="also re-plan the rest of the season from this date "
                   "(the first day of a step), with the storage of the schedule run then")
    p.add_argument("--fact", type=float, default=None, metavar="F",
                   help="simulated fact: the schedule operated on F x the forecast inflow (default 1: as forecast)")
    p.add_argument("--gauges", help="measured receipts: a gauge CSV (post,date,value,unit; posts named by link id) "
                   "compared with the plan up to its last complete step (gaps reported, never filled)")
    p.add_argument("--out", help="write schedule, plan against fact and ledger to this .xlsx (or .csv)")
    p.add_argument("--html", help="write a printable one-page season summary (HTML) to this file")
    p.add_argument("--json", action="store_true", help="print a JSON document instead of tables")
    p.add_argument("--probability", type=float, nargs="+", metavar="F",
                   help="forecast ensemble: operate the schedule on F x the forecast inflow for each F (e.g. "
                        "0.7 0.85 1 1.15 1.3) and print the probability that each post's season plan is met")
    p.add_argument("--scheduler", default=None, metavar="ADDR",
                   help="where the --probability members run: 'synchronous', 'local' or a Dask scheduler address; "
                        "default automatic (as chutalas ensemble)")
    p.add_argument("--workers", type=int, default=2, help="worker processes of a local cluster (default 2)")


def season_for(basin: str, year: int, forecast: float | None, step: str) -> S.Season:
    named = forecast is None and year in named_years.YEARS
    return S.season(basin, year, forecast=forecast, step=step, named=named)


def run(args: argparse.Namespace) -> int:
    from optimizer.interfaces.cli import CliError

    try:
        s = season_for(args.basin, args.year, args.forecast, args.step)
        if args.schedule:
            plan = sched_mod.read(args.schedule, step=args.step, basin=s.basin)
            proposal = None
        else:
            plan, proposal = S.propose(s)
        run_ = S.follow(s, plan, inflow=None if args.fact is None else s.inflow * args.fact)
        rp = S.replan(s, plan, run_, args.replan) if args.replan else None
        measured = None
        if args.gauges:
            from optimizer.core import gauges
            g = gauges.read(args.gauges)
            if g.gaps:
                print(f"chutalas schedule: gaps in {args.gauges} (not filled): {g.gap_report()}", file=sys.stderr)
            measured = g.hm3(s.step)
            unknown = [c for c in measured.columns if c not in s.posts]
            if unknown:
                raise CliError(f"{args.gauges}: post(s) {unknown} are not accounting posts of {s.basin.id} "
                               f"({', '.join(s.posts)}); name the gauge rows by the post's link id")
    except (ValueError, LookupError) as exc:
        raise CliError(str(exc)) from None
    actual = S.receipts(run_, s.posts)
    if measured is not None:
        pf = S.plan_vs_fact(plan.__class__(plan.plan_hm3[list(measured.columns)], plan.step), measured,
                            until=measured.index[-1])
    else:
        pf = S.plan_vs_fact(plan, actual)
    checks = compare_published(s, actual)
    gain = S.storage_gain(run_)
    prob = None
    if args.probability:
        from optimizer.analyses.dask_run import WorkerLost
        from optimizer.core.errors import SolveError
        try:
            prob = S.probability_met(s, plan, args.probability, scheduler=args.scheduler, workers=args.workers)
        except (WorkerLost, SolveError, ValueError, OSError, TimeoutError) as exc:
            raise CliError(f"--probability: {exc}") from None
    if args.out:
        from optimizer.interfaces.tables import export
        try:
            export(args.out, s.step, schedule=plan, plan_fact=pf, ledger=run_.ledger,
                   summary=pd.DataFrame(checks) if checks else None)
        except OSError as exc:
            raise CliError(f"cannot write {args.out} ({exc.strerror or exc})") from None
    if args.html:
        from pathlib import Path

        from optimizer.interfaces.tables import season_html
        lines = [f"inflow: {s.notes.get('inflow', {}).get('what') or f'forecast {s.availability:.2f} x normal'}",
                 f"operative quota {s.operative_quota_hm3:,.1f} hm3 (Regulation {s.regulation_quota_hm3:,.0f} hm3)",
                 f"start storage: {s.notes['start_storage']}",
                 "storage gain: " + ", ".join(f"{k} {v:+,.1f} hm3" for k, v in gain.items())]
        try:
            Path(args.html).write_text(season_html(f"{s.basin.name}: season {s.year}, per {s.step}", lines, pf,
                                                   s.step, checks), encoding="utf-8")
        except OSError as exc:
            raise CliError(f"cannot write {args.html} ({exc.strerror or exc})") from None
    if args.json:
        doc = {"basin": s.basin.id, "year": s.year, "step": s.step, "operative_quota_hm3": s.operative_quota_hm3,
               "regulation_quota_hm3": s.regulation_quota_hm3, "availability": s.availability,
               "season": s.notes, "schedule_total_hm3": plan.total_hm3().to_dict(),
               "received_hm3": actual.sum().to_dict(), "storage_gain_hm3": gain.to_dict(), "published": checks,
               "replan": None if rp is None else {"date": f"{rp.date:%Y-%m-%d}", "season_hm3": rp.combined.sum().to_dict(),
                                                  "storage_at_date_hm3": rp.storage_at_date}}
        if prob is not None:
            doc["probability_met"] = {"fractions": list(args.probability), "run": prob.attrs["run"],
                                      "posts": prob.drop(columns="members").to_dict("index")}
        print(json.dumps(doc, indent=2, default=str))
        return 0
    out = sys.stdout
    print(f"{s.basin.name}, season {s.year} (Apr-Sep) per {s.step}, schedule operation", file=out)
    src = s.notes.get("inflow", {}).get("what") or f"forecast {s.availability:.2f} x normal"
    print(f"  inflow: {src}; availability {s.availability:.2f} x normal Apr-Sep", file=out)
    print(f"  operative quota {s.operative_quota_hm3:,.1f} hm3 (Regulation reference {s.regulation_quota_hm3:,.0f} hm3)",
          file=out)
    print(f"  start storage: {s.notes['start_storage']}", file=out)
    if args.fact is not None:
        print(f"  fact: the schedule operated on {args.fact:g} x the forecast inflow", file=out)
    if args.gauges:
        print(f"  plan against measured receipts ({args.gauges}) to {pf.step_start.max():%Y-%m-%d}:", file=out)
    last = pf.groupby("post").tail(1).set_index("post")
    for p, r in last.iterrows():
        if pd.isna(r.cum_actual_hm3):
            print(f"  {p}: planned {r.cum_plan_hm3:,.1f} hm3, received unknown (a gap in the measured series)", file=out)
        elif r.cum_plan_hm3 > 0:
            print(f"  {p}: planned {r.cum_plan_hm3:,.1f} hm3, received {r.cum_actual_hm3:,.1f} hm3 "
                  f"({r.fulfilment_pct:.0f} %)", file=out)
        else:
            print(f"  {p}: nothing planned, received {r.cum_actual_hm3:,.1f} hm3", file=out)
    print("  storage gain over the season: " + ", ".join(f"{k} {v:+,.1f} hm3" for k, v in gain.items()), file=out)
    for c in checks:
        print(f"  published [{c['status']}] {c['label']} {c['from']}..{c['to']}: {c['published_hm3']:,.1f} hm3; "
              f"modelled {c['modelled_hm3']:,.1f} hm3", file=out)
    if rp is not None:
        print(f"  re-plan from {rp.date:%Y-%m-%d}: season total at the posts {rp.combined.to_numpy().sum():,.1f} hm3 "
              f"(schedule run {actual.to_numpy().sum():,.1f}); storage then "
              + ", ".join(f"{k} {v:,.1f}" for k, v in rp.storage_at_date.items() if k in gain.index), file=out)
    if prob is not None:
        r0 = prob.attrs["run"]
        where = "this process" if r0["scheduler"] == "synchronous" else f"{r0['workers']} Dask worker(s)"
        print(f"  forecast ensemble of {len(args.probability)} members (x {', '.join(f'{f:g}' for f in args.probability)}"
              f" the forecast inflow), on {where}:", file=out)
        for p, r in prob.iterrows():
            print(f"  {p}: P(season plan {r.plan_hm3:,.1f} hm3 met) {100 * r.probability_met:.0f} %; received "
                  f"{r.received_min_hm3:,.1f} .. {r.received_median_hm3:,.1f} (median) .. {r.received_max_hm3:,.1f} hm3",
                  file=out)
    if args.out:
        print(f"  written: {args.out}", file=out)
    return 0


def compare_published(s: S.Season, actual: pd.DataFrame) -> list[dict]:
    """Modelled cumulative receipts at the posts over each published check's dates (this basin's checks only)."""
    if s.year not in named_years.YEARS or s.basin.id not in ("talas", "chu"):
        return []
    out = []
    for c in named_years.scenario(s.basin.id, s.year).checks:
        if c.basins != (s.basin.id,):
            continue  # (a check on both basins together is compared by the caller that ran both)
        mod = S.cumulative_to(actual.sum(axis=1), s.step, c.start, c.end)
        out.append({"label": c.label, "from": f"{c.start:%Y-%m-%d}", "to": f"{c.end:%Y-%m-%d}",
                    "published_hm3": c.figure.value, "status": c.figure.status, "source": c.figure.source,
                    "modelled_hm3": round(mod, 3)})
    return out


def run_solve_year(args: argparse.Namespace, basin) -> int:
    """``chutalas solve BASIN --year Y``: the named season Apr–Sep (inflow, start storage and the Commission's plan
    as the operative quota from data/observed), in the operation asked for, with the storage gain printed."""
    import optimizer
    from optimizer.interfaces.cli import EXIT_INPUT, CliError, print_result

    if args.year not in named_years.YEARS:
        raise CliError(f"--year: named years are {', '.join(map(str, named_years.YEARS))}, not {args.year}")
    if args.operation == "schedule":
        raise CliError("solve --year runs agreement or status-quo; use `chutalas schedule` for schedule operation")
    try:
        s = S.season(basin, args.year, step=args.step, named=True)
        b = S.with_quota(s.basin, s.operative_quota_hm3)
        r = optimizer.solve(b, inflow=s.inflow, step=s.step, foresight=args.foresight, operation=args.operation,
                            end_storage=args.end_storage or ("free" if args.foresight == "myopic" else s.end_storage),
                            initial_storage=s.initial_storage, time_limit=args.time_limit)
    except optimizer.SolveError as exc:
        print(f"chutalas solve: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except (ValueError, LookupError) as exc:
        raise CliError(str(exc)) from None
    r.manifest["season"] = s.notes
    if args.json:
        print(json.dumps({"manifest": r.manifest, "storage_gain_hm3": S.storage_gain(r).to_dict(),
                          "received_hm3": S.receipts(r, s.posts).sum().to_dict(),
                          "ledger": r.ledger.replace({float("nan"): None}).to_dict("records")}, indent=2, default=str))
        return 0
    print(f"named season {s.year}: {s.notes['inflow']['what']} [{s.notes['inflow']['status']}]; operative quota "
          f"{s.operative_quota_hm3:,.1f} hm3 (Regulation {s.regulation_quota_hm3:,.0f}); start storage: "
          f"{s.notes['start_storage']}")
    print_result(r, sys.stdout)
    got = S.receipts(r, s.posts).to_numpy().sum()
    print(f"KZ receipts at the posts {got:,.1f} hm3; storage gain: "
          + ", ".join(f"{k} {v:+,.1f} hm3" for k, v in S.storage_gain(r).items()))
    return 0
