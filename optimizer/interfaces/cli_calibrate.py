"""``chutalas calibrate``: fit the estimated [E] inputs to Kazakhstan's measured receipts and print the fit, the
identifiability of every parameter and (``--named-years``) the named-year calibration with its held-out year.

    chutalas calibrate chu                   # fit and print; exit 0 every target met, 1 a target missed, 2 bad input
    chutalas calibrate chu --write           # ... and write the values into basins/chu.yaml (+ calibration.result)
    chutalas calibrate chu --json            # the report as JSON
    chutalas calibrate chu --named-years     # fit on the named years (2024, 2025), 2023 held out as validation

Every line printed goes through :func:`optimizer.interfaces.ui_text.t` (English and Russian, ``--lang``).
"""

from __future__ import annotations

import argparse
import json
import sys

import basins
from optimizer.analyses import calibration as cal
from optimizer.analyses import calibration_named as named
from optimizer.analyses.calibration_ident import Identifiability
from optimizer.interfaces.ui_text import get_language, number, t


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("basin", metavar="BASIN_OR_PATH", help="a bundled basin id (chu, talas) or a basin file path")
    p.add_argument("--write", action="store_true", help="write the calibrated values and calibration.result "
                                                        "into the basin file")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--allow-outside", action="store_true",
                   help="if a target is missed inside the documented ranges, widen them to the physical limits "
                        "(every value left outside its range is flagged)")
    p.add_argument("--named-years", action="store_true",
                   help="fit on the named years with published receipts (data/observed), each with its own inflow, "
                        "and report the held-out year as the validation (nothing is written)")
    p.add_argument("--hold-out", type=int, action="append", metavar="YEAR",
                   help="with --named-years: keep this year out of the fit (repeatable; default 2023)")
    p.add_argument("--rounds", type=int, default=None, metavar="N",
                   help="with --named-years: at most N restart rounds of the fit (default 4; 1 is about half the time)")


def _status(ok: bool) -> str:
    return t("calib_ok") if ok else t("calib_missed_word")


def report_text(report: cal.CalibrationReport) -> str:
    """The report as the CLI prints it (current language)."""
    storage = ", ".join(f"{k} {v:,.0f}" for k, v in report.storage.items())
    lines = [t("calib_header", basin=report.basin, year_type=t(f"year_type_{report.year_type}"), storage=storage),
             t("calib_method", method=report.method, iterations=report.iterations, evaluations=report.evaluations,
               cost=report.cost)
             + (t("calib_widened") if report.allow_outside else ""), "", t("calib_parameters")]
    for p in report.parameters:
        flag = "" if p.in_range else t("calib_flagged", by=p.outside_by)
        bound = t("calib_at_bound", bound=t(f"calib_bound_{p.at_bound}")) if p.at_bound else ""
        lines.append(t("calib_param_line", id=p.id, field=p.field, prior=p.prior, lo=p.min, hi=p.max, value=p.value,
                       bound=bound, flag=flag))
    lines += ["", t("calib_targets", tol=report.tolerance)]
    for tf in report.targets:
        lo_hi = (tf.observed_min, tf.observed_max)
        rng = f" ({number(lo_hi[0], 'g')}-{number(lo_hi[1], 'g')})" if lo_hi[0] is not None and lo_hi[1] is not None \
            else ""
        lines.append(t("calib_target_line", id=tf.id, party=tf.party, period=tf.period, obs=tf.observed, rng=rng,
                       mod=tf.modelled, err=100 * tf.error, status=_status(tf.met)))
    if report.in_range_targets is not None:
        lines += ["", t("calib_within")]
        for tf in report.in_range_targets:
            lines.append(t("calib_within_line", id=tf.id, mod=tf.modelled, err=100 * tf.error, status=_status(tf.met)))
    if report.identifiability is not None:
        lines += [""] + identifiability_lines(report.identifiability)
    return "\n".join(lines)


def identifiability_lines(ident: Identifiability) -> list[str]:
    """The parameter table with bounds and identifiability, and what the targets cannot tell apart."""
    basis = t("calib_basis_data") if ident.basis == "data" else t("calib_basis_prior")
    out = [t("calib_ident_title", basis=basis), t("calib_ident_header")]
    for pid, r in ident.table.iterrows():
        issues = []
        for code in r["issues"]:
            if code == "correlated":
                issues.append(t("calib_issue_correlated", other=r["corr_with"], corr=r["max_abs_corr"]))
            elif code == "collinear":
                issues.append(t("calib_issue_collinear", other=r["cos_with"], cos=r["max_abs_cos"]))
            else:
                issues.append(t(f"calib_issue_{code}"))
        sep = "; " if get_language() == "ru" else ", "  # ("[0,6; 0,95]": a comma is the Russian decimal sign)
        out.append(t("calib_ident_line", id=pid, rng=f"[{number(r['min'], 'g')}{sep}{number(r['max'], 'g')}]",
                     value=r["value"],
                     bound=t(f"calib_bound_{r['at_bound']}") if r["at_bound"] else "-", sens=r["sensitivity"],
                     res=r["resolution"], corr=r["max_abs_corr"], other=r["corr_with"],
                     ident=t("calib_yes") if r["identifiable"] else t("calib_no"), issues="; ".join(issues)))
    if ident.more_parameters_than_targets:
        out.append(t("calib_more_params", n=ident.n_parameters, m=ident.n_targets, rank=ident.rank))
    else:
        out.append(t("calib_params_targets", n=ident.n_parameters, m=ident.n_targets, rank=ident.rank))
    if ident.not_identifiable_groups:
        out.append(t("calib_groups", groups="; ".join("{" + ", ".join(g) + "}" for g in ident.not_identifiable_groups)))
    else:
        out.append(t("calib_all_identifiable"))
    return out


def named_text(nc: named.NamedCalibration) -> str:
    lines = [t("calib_named_title", basin=nc.basin, fitted=", ".join(map(str, nc.fitted_years)),
               held=", ".join(map(str, nc.held_out_years)), iterations=nc.iterations, evaluations=nc.evaluations)]
    for year, note in nc.inflow_notes.items():
        lines.append(t("calib_named_inflow", year=year, note=note))
    lines += ["", t("calib_parameters")]
    for p in nc.parameters:
        bound = t("calib_at_bound", bound=t(f"calib_bound_{p.at_bound}")) if p.at_bound else ""
        lines.append(t("calib_param_line", id=p.id, field=p.field, prior=p.prior, lo=p.min, hi=p.max, value=p.value,
                       bound=bound, flag=""))
    lines += ["", t("calib_named_header")]
    for r in nc.rows:
        lines.append(t("calib_named_line", year=r.year, role=t(f"calib_role_{r.role}"), label=r.target.label,
                       start=f"{r.target.start:%Y-%m-%d}", end=f"{r.target.end:%Y-%m-%d}", obs=r.target.observed_hm3,
                       mod=r.modelled_hm3, err=100 * r.error, file=r.modelled_file_hm3,
                       ferr=100 * (r.modelled_file_hm3 - r.target.observed_hm3) / r.target.observed_hm3))
    if nc.identifiability is not None:
        lines += [""] + identifiability_lines(nc.identifiability)
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Exit 0: every target met; 1: a target missed (values still written with --write); 2: bad input."""
    try:
        path = basins.loading.resolve(args.basin)
        basin = basins.load(path)
        if getattr(args, "named_years", False):
            nc = named.calibrate_named(basin, held_out=args.hold_out,
                                       **({"rounds": args.rounds} if args.rounds else {}))
            print(json.dumps(nc.to_dict(), indent=2, default=float) if args.json else named_text(nc))
            return cal.EXIT_OK
        report = cal.calibrate(basin, allow_outside=args.allow_outside)
    except basins.BasinError as exc:
        print(exc, file=sys.stderr)
        return cal.EXIT_INPUT
    except (cal.CalibrationError, OSError, LookupError) as exc:
        print(t("calib_error", error=exc), file=sys.stderr)
        return cal.EXIT_INPUT
    print(json.dumps(report.to_dict(), indent=2, default=float) if args.json else report_text(report))
    if args.write:
        try:
            written = cal.write(path, report)
        except (cal.CalibrationError, OSError) as exc:
            print(t("calib_error", error=exc), file=sys.stderr)
            return cal.EXIT_INPUT
        print(t("calib_wrote", path=written), file=sys.stderr)
    for p in report.flagged:
        print(t("calib_flagged_err", id=p.id, value=p.value, lo=p.min, hi=p.max), file=sys.stderr)
    for tf in report.missed:
        print(t("calib_missed_err", id=tf.id, mod=tf.modelled, obs=tf.observed, err=100 * tf.error,
                tol=tf.tolerance), file=sys.stderr)
    return cal.EXIT_OK if report.ok else cal.EXIT_MISSED


if __name__ == "__main__":  # python -m optimizer.interfaces.cli_calibrate chu [--write]
    _p = argparse.ArgumentParser(prog="python -m optimizer.interfaces.cli_calibrate")
    add_arguments(_p)
    raise SystemExit(run(_p.parse_args()))
