"""``chutalas validate BASIN``: observed against modelled for every published figure, in the reader's language.

The table is :func:`optimizer.analyses.validation.table`; its rows are put into words by
:func:`optimizer.interfaces.ui_text.validation_in_words` (the app's table does the same): in Russian the quantity,
period, run and units as the Commission writes them, numbers as "1 733,0" and errors signed ("+32,9").

Exit 0: every calibration target (a fitted row) is within the basin's tolerance; 1: one is not; 2: bad input.
The other rows (independent figures, the 2023 drought) are reported, not judged.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import textwrap

import pandas as pd

import basins
from optimizer.analyses import calibration as cal
from optimizer.analyses import validation
from optimizer.interfaces import ui_text
from optimizer.interfaces.cli_common import _table
from optimizer.interfaces.ui_text import t

EXIT_OK, EXIT_MISSED, EXIT_INPUT = 0, 1, 2
SHOWN = ["quantity", "period", "observed", "modelled", "unit", "error_pct", "run"]
QUANTITY_CHARS = 60  # the quantity shortened at a word to keep a row on one line


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("basin", metavar="BASIN_OR_PATH", help="a bundled basin id (chu, talas) or a basin file path")
    p.add_argument("--json", action="store_true", help="print the table as JSON records (English keys, numbers)")


def _shorten(quantity: str) -> str:
    """The quantity shortened at a word to QUANTITY_CHARS, keeping a closing parenthesis whole: it holds the
    measured range of a target ("(диапазон 418–427,5)"), which the row is judged against."""
    m = re.match(r"^(.*?)(\s*\([^()]*\))$", quantity)
    head, tail = (m.group(1), m.group(2)) if m else (quantity, "")
    room = max(20, QUANTITY_CHARS - len(tail))
    return textwrap.shorten(head, room, placeholder=" …") + tail if len(quantity) > QUANTITY_CHARS else quantity


def rows_in_words(df: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """The header and the rows as printed: the reader's words, numbers in the reader's format (volumes to 0.1 from
    100 up and to 0.01 below, the error to 0.1 % and signed); a missing number is left empty."""
    words = ui_text.validation_in_words(df, df.attrs.get("calibration_year_type", "normal"))[SHOWN]

    def num(v, spec: str) -> str:
        return "" if pd.isna(v) else ui_text.number(float(v), spec)

    def vol(v) -> str:  # 0.1 of the unit from 100 up, 0.01 below (8.55 hm³ at Orto-Tokoy, 0.70 m³/s into Kirov)
        return num(v, ",.1f" if not pd.isna(v) and abs(float(v)) >= 100 else ",.2f")

    rows = [[_shorten(str(r.quantity)), str(r.period), vol(r.observed),
             vol(r.modelled), str(r.unit), num(r.error_pct, "+,.1f"), str(r.run)]
            for r in words.itertuples(index=False)]
    return [t(f"val_col_{c}") for c in SHOWN], rows


def run(args: argparse.Namespace) -> int:
    try:
        basin = basins.load(args.basin)
        df = validation.table(basin)
        missed = df.attrs.get("missed_targets")  # from the table's calibration run (not solved twice)
        if missed is None:
            missed = validation.missed_targets(basin)
    except basins.BasinError as exc:
        print(exc, file=sys.stderr)
        return EXIT_INPUT
    except (cal.CalibrationError, OSError, ValueError) as exc:
        print(t("cli_val_error", error=exc), file=sys.stderr)
        return EXIT_INPUT
    tol = 100 * (basin.spec.calibration.tolerance if basin.spec.calibration else 0.15)
    if args.json:
        print(json.dumps({"basin": basin.id, "tolerance_pct": tol, "missed_targets": missed,
                          "rows": df.to_dict(orient="records")}, indent=2, default=float))
    else:
        print(t("cli_val_head", name=ui_text.basin_name(basin)) + "\n")
        header, rows = rows_in_words(df)
        _table(rows, header, sys.stdout, indent="", right={2, 3, 5})
    targets = {x.id: x for x in basin.spec.calibration.targets} if basin.spec.calibration else {}
    for m in missed:  # the target in words (whose receipts, which period), its id for the basin file
        x = targets.get(m)
        what = (t("cli_val_target", party=ui_text.party_label(x.party), period=t(f"period_kind_{x.period}"))
                if x is not None else m)
        print(t("cli_val_missed", what=what, id=m, tol=ui_text.number(tol, ".0f")), file=sys.stderr)
    return EXIT_MISSED if missed else EXIT_OK
