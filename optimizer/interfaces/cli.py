"""Command line interface: ``chutalas <command> ...``.

Every subcommand is a pair of functions, ``_args_<name>(parser)`` adding its
arguments and ``_run_<name>(args) -> int`` doing the work, registered once in
:data:`COMMANDS`. Exit codes: 0 success, 2 bad input (an invalid basin file, a
missing path, a usage error; the problems go to stderr, never a traceback), 130 interrupted (Ctrl-C; no
partial file is left). ``compare`` exits 1 when the runs differ.

    chutalas basins             # the bundled basins
    chutalas check chu          # validate a basin and summarise it
    chutalas check my.yaml      # ... or any basin file

This module holds the registry and :func:`main`; the sub-commands live in ``cli_basins`` (basins, check),
``cli_solve``, ``cli_calibrate``, ``cli_ensemble``, ``cli_tradeoffs`` (pareto), ``cli_schedule`` and
``app_launch``, their shared pieces in ``cli_common`` (re-exported here for old imports).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass

import basins
from optimizer.interfaces import ui_text
from optimizer.interfaces.cli_basins import _args_basins, _args_check, _receipt_str, _run_basins, _run_check, summary
from optimizer.interfaces.cli_common import (EXIT_INPUT, EXIT_INTERRUPTED, EXIT_OK, CliError, _fmt_hm3, _lazy,
                                             _load, _table, _unit, _word)
from optimizer.interfaces.cli_solve import (_args_solve, _run_solve, _same_file, _strict_json, print_accounts,
                                            print_costs, print_ledger, print_result, print_water_balance, write_all)

#: Names other modules and tests import from here (the sub-commands live in cli_basins, cli_solve, ...).
__all__ = ["COMMANDS", "EXIT_INPUT", "EXIT_INTERRUPTED", "EXIT_OK", "CliError", "Command", "build_parser", "main",
           "print_accounts", "print_costs", "print_ledger", "print_result", "print_water_balance", "summary",
           "write_all", "_fmt_hm3", "_lazy", "_load", "_receipt_str", "_run_basins", "_same_file", "_strict_json",
           "_table", "_unit", "_word"]


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
            _lazy("optimizer.interfaces.cli_validate", "add_arguments"), _lazy("optimizer.interfaces.cli_validate", "run")),
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
        print(ui_text.t("cli_lang_env", error=exc), file=sys.stderr)
        return EXIT_INPUT
    try:
        return args._run(args)
    except basins.BasinError as exc:
        print(exc, file=sys.stderr)
        return EXIT_INPUT
    except CliError as exc:
        print(ui_text.t("cli_command_error", command=args.command, error=exc), file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:  # Ctrl-C: results are written atomically, so no partial file is left
        print("\n" + ui_text.t("cli_interrupted", command=args.command), file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `chutalas check chu | head`
        sys.stderr.close()
        return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
