"""Calibration, writing the basin file: the calibrated values into their entries, each aquifer's cyclic start
storage, and the ``calibration.result`` provenance block (``chutalas calibrate --write``)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

import basins
from basins import Basin
from optimizer.analyses.calibration_report import CalibrationReport
from optimizer.analyses.calibration_run import DECIMALS, CalibrationError, _section, current_values

_SECTION_OF = {"loss_fraction": ("links", "id"), "channel_fraction": ("nodes", "id"),
               "return_fraction": ("demands", "node"), "demand_factor": ("demands", "node"),
               "recession_per_month": ("aquifers", "node")}
_INSERT_BEFORE = {"links": ("source_ref",), "nodes": ("source",), "demands": ("source",),
                  "aquifers": ("discharge_to", "source")}
AQUIFER_START_DECIMALS = 2  # an aquifer's cyclic start storage is written rounded to this many decimals [hm³]


def write(basin_path: str | Path, report: CalibrationReport) -> Path:
    """Write the calibrated values into the basin file's entries and ``calibration.result``.

    The file is edited in place, line by line: each entry is a one-line flow mapping
    (``- {id: X, ..., loss_fraction: 0.15, ...}``) whose field is replaced or inserted, and the
    ``result:`` block at the end of the ``calibration`` section is replaced, so that the comments and the
    layout of the hand-written file survive (``basins.Basin.save`` would rewrite it without comments).
    Each aquifer's ``initial_storage_hm3`` is set to its cyclic start storage in the report (rounded to
    ``AQUIFER_START_DECIMALS``), in the same way. The result is re-loaded and checked; on any mismatch
    nothing is written."""
    path = basins.loading.resolve(basin_path)
    text = path.read_text(encoding="utf-8")
    basin = basins.loads(text, str(path), base_dir=path.resolve().parent)
    cal = _section(basin)
    byid = {p.id: p for p in cal.parameters}
    lines = text.split("\n")
    for pf in report.parameters:
        p = byid.get(pf.id)
        if p is None:
            raise CalibrationError(f"{path}: the report's parameter {pf.id!r} is not in the calibration section")
        section, key = _SECTION_OF[p.field]
        for entry in p.entries:
            i = _find_entry(lines, section, key, entry, path)
            lines[i] = _set_field(lines[i], p.field, pf.value, section, path)
    starts = aquifer_starts(basin, report)
    for node, g0 in starts.items():
        i = _find_entry(lines, "aquifers", "node", node, path)
        lines[i] = _set_field(lines[i], "initial_storage_hm3", g0, "aquifers", path, AQUIFER_START_DECIMALS)
    lines = _replace_result(lines, report.result(), path)
    new = "\n".join(lines)
    checked = basins.loads(new, str(path), base_dir=path.resolve().parent)
    got = current_values(checked)
    bad = {k: (v, got.get(k)) for k, v in report.values.items() if got.get(k) is None or abs(got[k] - v) > 1e-12}
    g_now = {a.node: a.initial_storage_hm3 for a in checked.spec.aquifers}
    bad |= {k: (v, g_now.get(k)) for k, v in starts.items() if g_now.get(k) is None or abs(g_now[k] - v) > 1e-9}
    if bad or _section(checked).result != json.loads(json.dumps(report.result())):
        raise CalibrationError(f"{path}: the edited file does not read back the calibrated values {bad}; "
                               "nothing written")
    basins.loading._atomic_write(path, new)
    return path


def aquifer_starts(basin: Basin, report: CalibrationReport) -> dict[str, float]:
    """The cyclic start storage of each of the basin's aquifers in ``report``, rounded as written [hm³]."""
    missing = [a.node for a in basin.spec.aquifers if a.node not in report.storage]
    if missing:
        raise CalibrationError(f"the report has no cyclic start storage for the aquifer(s) {missing}")
    return {a.node: round(float(report.storage[a.node]), AQUIFER_START_DECIMALS) for a in basin.spec.aquifers}


def _find_entry(lines: list[str], section: str, key: str, entry: str, path: Path) -> int:
    start = next((i for i, ln in enumerate(lines) if ln.rstrip() == f"{section}:"), None)
    if start is None:
        raise CalibrationError(f"{path}: no top-level '{section}:' section")
    pat = re.compile(r"^\s*-\s*\{\s*" + key + r":\s*" + re.escape(entry) + r"\s*[,}]")
    for i in range(start + 1, len(lines)):
        ln = lines[i]
        if ln and not ln[0].isspace() and not ln.startswith("#") and not ln.startswith("-"):
            break  # next top-level key
        if pat.match(ln):
            if not ln.rstrip().endswith("}"):
                break
            return i
    raise CalibrationError(f"{path}: entry {key}: {entry} is not a one-line flow mapping under '{section}:'; "
                           "write it as '- {" + key + ": " + entry + ", ...}' or set the value by hand")


def _fmt(v: float, decimals: int = DECIMALS) -> str:
    s = f"{round(float(v), decimals) + 0.0:.{decimals}f}".rstrip("0")
    return s + "0" if s.endswith(".") else s


def _set_field(line: str, fld: str, value: float, section: str, path: Path, decimals: int = DECIMALS) -> str:
    pat = re.compile(r"([{,]\s*)" + fld + r":\s*[^,}]+")
    if pat.search(line):
        return pat.sub(lambda m: f"{m.group(1)}{fld}: {_fmt(value, decimals)}", line, count=1)
    for before in _INSERT_BEFORE[section]:
        m = re.search(r",\s*" + before + r":", line)
        if m:
            return f"{line[:m.start()]}, {fld}: {_fmt(value, decimals)}{line[m.start():]}"
    end = line.rstrip().rfind("}")
    return f"{line[:end]}, {fld}: {_fmt(value, decimals)}{line[end:]}"


def _replace_result(lines: list[str], result: dict[str, Any], path: Path) -> list[str]:
    start = next((i for i, ln in enumerate(lines) if ln.rstrip() == "calibration:"), None)
    if start is None:
        raise CalibrationError(f"{path}: no top-level 'calibration:' section")
    end = next((i for i in range(start + 1, len(lines)) if lines[i] and not lines[i][0].isspace()
                and not lines[i].startswith("#")), len(lines))
    res = next((i for i in range(start + 1, end) if re.match(r"^  result:", lines[i])), None)
    block = yaml.safe_dump({"result": json.loads(json.dumps(result))}, sort_keys=False, width=110,
                           allow_unicode=True).rstrip("\n").split("\n")
    block = ["  " + b for b in block]
    if res is None:
        k = end
        while k > start + 1 and not lines[k - 1].strip():
            k -= 1
        return lines[:k] + block + lines[k:]
    stop = res + 1
    while stop < end and (not lines[stop].strip() or lines[stop].startswith("   ")):
        stop += 1
    while stop > res + 1 and not lines[stop - 1].strip():
        stop -= 1
    return lines[:res] + block + lines[stop:]

