"""Calibration, writing the basin file: the calibrated values into their entries, each aquifer's cyclic start
storage, and the ``calibration.result`` provenance block (``chutalas calibrate --write``)."""

from __future__ import annotations

import json
from pathlib import Path

import basins
from basins import Basin
from optimizer.analyses.calibration_report import CalibrationReport
from optimizer.analyses.calibration_run import DECIMALS, CalibrationError, _section, apply, current_values

AQUIFER_START_DECIMALS = 2  # an aquifer's cyclic start storage is written rounded to this many decimals [hm³]


def write(basin_path: str | Path, report: CalibrationReport) -> Path:
    """Write the calibrated values into the basin file's entries and ``calibration.result``.

    The file is edited by ruamel.yaml's round trip (:func:`basins.loading.update_text`): each listed entry's
    field is set (or added, in the schema's key order), each aquifer's ``initial_storage_hm3`` is set to its
    cyclic start storage in the report (rounded to ``AQUIFER_START_DECIMALS``) and ``calibration.result`` is
    replaced; every other value keeps its text, and the comments, key order and one-line entries of the
    hand-written file survive. The result is re-loaded and checked; on any mismatch nothing is written."""
    path = basins.loading.resolve(basin_path)
    text = path.read_text(encoding="utf-8")
    basin = basins.loads(text, str(path), base_dir=path.resolve().parent)
    cal = _section(basin)
    known = {p.id for p in cal.parameters}
    for pf in report.parameters:
        if pf.id not in known:
            raise CalibrationError(f"{path}: the report's parameter {pf.id!r} is not in the calibration section")
    edited = apply(basin, {pf.id: round(float(pf.value), DECIMALS) + 0.0 for pf in report.parameters})
    starts = aquifer_starts(basin, report)
    for a in edited.spec.aquifers:
        a.initial_storage_hm3 = starts[a.node]
    assert edited.spec.calibration is not None
    edited.spec.calibration.result = json.loads(json.dumps(report.result()))
    try:
        new = basins.loading.update_text(text, edited, str(path))
    except ValueError as exc:
        raise CalibrationError(str(exc)) from None
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
