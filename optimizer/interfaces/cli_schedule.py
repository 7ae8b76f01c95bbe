"""``chutalas schedule``: propose the season's schedule, operate it, compare with what was published, re-plan.

    chutalas schedule BASIN [--year 2025] [--forecast F] [--step dekad] [--schedule FILE]
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
from optimizer.interfaces.ui_text import get_language, label_or, t


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


def _inflow_source(s: S.Season) -> str:
    """Where the season's inflow comes from: the named year's description, else the forecast in words."""
    return s.notes.get("inflow", {}).get("what") or t("sch_forecast_src", availability=s.availability)


def _gains(gain) -> str:
    """Storage gains per reservoir, ``CH_R_OT +12.3 hm3, ...`` (units in the current language)."""
    return ", ".join(t("sch_gain_item", id=k, v=v) for k, v in gain.items())


def _step(step: str) -> str:
    """The time step as a word (the id in English, as scripts expect)."""
    return step if get_language() == "en" else label_or(f"step_{step}", step)


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
                print(t("sch_gaps", path=args.gauges, gaps=g.gap_report()), file=sys.stderr)
            measured = g.hm3(s.step)
            unknown = [c for c in measured.columns if c not in s.posts]
            if unknown:
                raise CliError(t("sch_unknown_posts", path=args.gauges, unknown=unknown, basin=s.basin.id,
                                 posts=", ".join(s.posts)))
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
            raise CliError(t("sch_probability_error", error=exc)) from None
    if args.out:
        from optimizer.interfaces.tables import export
        try:
            export(args.out, s.step, schedule=plan, plan_fact=pf, ledger=run_.ledger,
                   summary=pd.DataFrame(checks) if checks else None)
        except OSError as exc:
            raise CliError(t("sch_cannot_write", path=args.out, error=exc.strerror or exc)) from None
    if args.html:
        from pathlib import Path

        from optimizer.interfaces.tables import season_html
        lines = [t("sch_html_inflow", src=_inflow_source(s)),
                 t("sch_html_quota", quota=s.operative_quota_hm3, regulation=s.regulation_quota_hm3),
                 t("sch_html_start", start=s.notes["start_storage"]),
                 t("sch_html_gain", gains=_gains(gain))]
        try:
            Path(args.html).write_text(season_html(t("sch_html_title", name=s.basin.name, year=s.year,
                                                     step=_step(s.step)), lines, pf, s.step, checks), encoding="utf-8")
        except OSError as exc:
            raise CliError(t("sch_cannot_write", path=args.html, error=exc.strerror or exc)) from None
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
    print(t("sch_header", name=s.basin.name, year=s.year, step=_step(s.step)), file=out)
    print(t("sch_inflow", src=_inflow_source(s), availability=s.availability), file=out)
    print(t("sch_quota", quota=s.operative_quota_hm3, regulation=s.regulation_quota_hm3), file=out)
    print(t("sch_start", start=s.notes["start_storage"]), file=out)
    if args.fact is not None:
        print(t("sch_fact", fact=args.fact), file=out)
    if args.gauges:
        print(t("sch_plan_vs_measured", path=args.gauges, to=f"{pf.step_start.max():%Y-%m-%d}"), file=out)
    last = pf.groupby("post").tail(1).set_index("post")
    for p, r in last.iterrows():
        if pd.isna(r.cum_actual_hm3):
            print(t("sch_post_gap", post=p, plan=r.cum_plan_hm3), file=out)
        elif r.cum_plan_hm3 > 0:
            print(t("sch_post", post=p, plan=r.cum_plan_hm3, got=r.cum_actual_hm3, pct=r.fulfilment_pct), file=out)
        else:
            print(t("sch_post_unplanned", post=p, got=r.cum_actual_hm3), file=out)
    print(t("sch_gain", gains=_gains(gain)), file=out)
    for c in checks:
        print(t("sch_published", status=c["status"], label=c["label"], start=c["from"], end=c["to"],
                published=c["published_hm3"], modelled=c["modelled_hm3"]), file=out)
    if rp is not None:
        print(t("sch_replan", date=f"{rp.date:%Y-%m-%d}", total=rp.combined.to_numpy().sum(),
                run=actual.to_numpy().sum())
              + ", ".join(f"{k} {v:,.1f}" for k, v in rp.storage_at_date.items() if k in gain.index), file=out)
    if prob is not None:
        r0 = prob.attrs["run"]
        where = t("ens_this_process") if r0["scheduler"] == "synchronous" else t("sch_workers", n=r0["workers"])
        print(t("sch_forecast_ensemble", n=len(args.probability), fractions=", ".join(f"{f:g}" for f in args.probability),
                where=where), file=out)
        for p, r in prob.iterrows():
            print(t("sch_probability", post=p, plan=r.plan_hm3, pct=100 * r.probability_met, low=r.received_min_hm3,
                    median=r.received_median_hm3, high=r.received_max_hm3), file=out)
    if args.out:
        print(t("sch_written", path=args.out), file=out)
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
        raise CliError(t("sch_named_years", years=", ".join(map(str, named_years.YEARS)), year=args.year))
    if args.operation == "schedule":
        raise CliError(t("sch_year_operation"))
    try:
        s = S.season(basin, args.year, step=args.step, named=True)
        b = S.with_quota(s.basin, s.operative_quota_hm3)
        r = optimizer.solve(b, inflow=s.inflow, step=s.step, foresight=args.foresight, operation=args.operation,
                            end_storage=args.end_storage or ("free" if args.foresight == "myopic" else s.end_storage),
                            initial_storage=s.initial_storage, time_limit=args.time_limit)
    except optimizer.SolveError as exc:
        print(t("cli_command_error", command="solve", error=exc), file=sys.stderr)
        return EXIT_INPUT
    except (ValueError, LookupError) as exc:
        raise CliError(str(exc)) from None
    r.manifest["season"] = s.notes
    if args.json:
        print(json.dumps({"manifest": r.manifest, "storage_gain_hm3": S.storage_gain(r).to_dict(),
                          "received_hm3": S.receipts(r, s.posts).sum().to_dict(),
                          "ledger": r.ledger.replace({float("nan"): None}).to_dict("records")}, indent=2, default=str))
        return 0
    print(t("sch_named_header", year=s.year, what=s.notes["inflow"]["what"], status=s.notes["inflow"]["status"],
            quota=s.operative_quota_hm3, regulation=s.regulation_quota_hm3, start=s.notes["start_storage"]))
    print_result(r, sys.stdout, b)
    got = S.receipts(r, s.posts).to_numpy().sum()
    print(t("sch_named_receipts", got=got, gains=_gains(S.storage_gain(r))))
    return 0
