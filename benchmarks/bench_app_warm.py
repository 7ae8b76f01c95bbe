"""The app's edit → re-solve against a warm bare HiGHS re-solve (issue 15 item 3: "≤ 2× a warm bare re-solve at 12
and 120 months"). One inflow cell (the first month of the first inflow node) alternates between two values:

- app: ``optimizer.solve(basin, inflow=edited, warm_start=True)`` on the kept model, as the app calls it after an
  edit (assembling, passModel, stage 1 warm from the kept basis, stage 2, results read as arrays, Result views);
- bare: one ``highspy.Highs`` holding the same LP (optimizer.core.assemble), the changed column and row bounds
  pushed with changeColsBounds / changeRowsBounds, ``run()`` only (stage 1 alone, from the previous basis; run again without presolve where HiGHS ends unsure, as
  every solve of the project, second_stage.run_highs).

- edit: ``optimizer.Reoptimizer.set_inflow`` on the same cell (issue 15 item 3's path: only the edited cell
  checked, only the inflow-dependent row bounds re-written and the changed ones pushed, stage 2 alone from its kept
  basis, the allocation read as one array; stage 1, the Dataset and the ledger made later, on demand), then
  ``Allocation.array("x")``; "edit+result" adds ``Reoptimizer.result()`` (stage 1, Dataset, manifest) and reading
  its ledger, what a caller that shows the whole Result pays;
- bare stage 2: a second ``highspy.Highs`` holding the stage-2 LP (costs + tie costs), the same bounds pushed,
  ``run()`` only: the floor of a unique answer's re-solve, for reference.

Interleaved (app, bare, edit, bare 2, ...), the median of ``--repeats`` of each; ratio = median of the per-repeat
ratios (app / bare, edit / bare).

    PYTHONPATH=$PWD OMP_NUM_THREADS=1 python benchmarks/bench_app_warm.py [--repeats 15] [--months 12 120]
"""

from __future__ import annotations

import argparse
import statistics
import time

import highspy
import numpy as np

import basins
import optimizer
from optimizer.core.assemble import assemble
from optimizer.core.assemble_highs import highs_lp, new_highs
from optimizer.core.highs_adapter import HIGHS_OPTIONS
from optimizer.core.second_stage import run_highs, tie_costs
from optimizer.core.horizon_inputs import horizon, inflow_series
from optimizer.core.model import make_inputs


def _series(basin, months: int, add: float):
    times = horizon("2025-01", months, "month")
    inflow = inflow_series(basin, times, "normal", "month").copy()
    inflow[0, 0] = float(inflow[0, 0]) + add
    return times, inflow


def case(basin_id: str, months: int, repeats: int) -> dict:
    b = basins.load(basin_id)
    versions = [_series(b, months, add) for add in (0.5, 1.0)]
    lps = [assemble(make_inputs(b, times, inflow, step="month")) for times, inflow in versions]
    same_matrix = all(np.array_equal(lps[0].A.data, x.A.data) and np.array_equal(lps[0].A.indices, x.A.indices)
                      for x in lps[1:])
    h = new_highs()  # (the process's first Highs prints a banner: made with it hidden)
    for k, v in {**HIGHS_OPTIONS, "output_flag": False}.items():
        h.setOptionValue(k, v)
    h.passModel(highs_lp(lps[0]))
    run_highs(h)
    h2 = new_highs()  # stage 2's LP: the same with the tie costs, kept hot as the app's stage-2 instance
    for k, v in {**HIGHS_OPTIONS, "output_flag": False}.items():
        h2.setOptionValue(k, v)
    lp2 = highs_lp(lps[0])
    lp2.col_cost_ = np.asarray(lp2.col_cost_) + tie_costs(lps[0].col.names())
    h2.passModel(lp2)
    run_highs(h2)
    optimizer.clear_cache()
    optimizer.solve(b, inflow=versions[0][1], warm_start=True)  # builds the kept model (not timed)
    node0 = str(versions[0][1]["node"].values[0])
    cell = [float(v[1][0, 0]) for v in versions]
    ro = optimizer.Reoptimizer(b, inflow=versions[0][1])
    app, bare, parts, edit, edit_res, bare2, edit_ratio = [], [], [], [], [], [], []
    retried = 0
    for i in range(repeats + 1):
        j = (i + 1) % 2
        t0 = time.perf_counter()
        r = optimizer.solve(b, inflow=versions[j][1], warm_start=True)
        t1 = time.perf_counter()
        assert r.manifest["model_reused"] and r.manifest["status"] == "optimal"
        a, prev = lps[j], lps[1 - j]
        cols = np.flatnonzero((a.col_lo != prev.col_lo) | (a.col_hi != prev.col_hi)).astype(np.int32)
        rows = np.flatnonzero((a.row_lo != prev.row_lo) | (a.row_hi != prev.row_hi)).astype(np.int32)
        t2 = time.perf_counter()
        if len(cols):
            h.changeColsBounds(len(cols), cols, a.col_lo[cols], a.col_hi[cols])
        if len(rows):
            h.changeRowsBounds(len(rows), rows, a.row_lo[rows], a.row_hi[rows])
        retried += run_highs(h)  # (as every solve of the project: once more without presolve if HiGHS is unsure)
        t3 = time.perf_counter()
        assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        t4 = time.perf_counter()
        alloc = ro.set_inflow({(node0, 0): cell[j]})
        flows = alloc.array("x")
        t5 = time.perf_counter()
        led = ro.result().ledger
        t6 = time.perf_counter()
        assert alloc.path == "bounds" and len(led) and np.isfinite(flows).all()
        if len(rows):
            h2.changeRowsBounds(len(rows), rows, a.row_lo[rows], a.row_hi[rows])
        if len(cols):
            h2.changeColsBounds(len(cols), cols, a.col_lo[cols], a.col_hi[cols])
        t7 = time.perf_counter()
        run_highs(h2)
        t8 = time.perf_counter()
        if i:  # the first pair warms the caches
            app.append(t1 - t0)
            bare.append(t3 - t2)
            edit.append(t5 - t4)
            edit_res.append(t6 - t4)
            bare2.append(t8 - t7)
            edit_ratio.append((t5 - t4) / (t3 - t2))
            mf = r.manifest  # assembling + passModel; both HiGHS stages; the rest (inputs, reading, views)
            parts.append((mf["build_s"], mf["solve_s"], mf["stage2_s"], (t1 - t0) - mf["build_s"] - mf["solve_s"]))
    ratios = [x / y for x, y in zip(app, bare)]
    return {"basin": basin_id, "months": months, "shape": lps[0].shape, "changed_rows": len(rows),
            "changed_cols": len(cols), "same_matrix": same_matrix, "app_s": statistics.median(app),
            "bare_s": statistics.median(bare), "ratio": statistics.median(ratios),
            "retried": retried, "parts": [statistics.median(p) for p in zip(*parts)],
            "edit_s": statistics.median(edit), "edit_result_s": statistics.median(edit_res),
            "bare2_s": statistics.median(bare2), "edit_ratio": statistics.median(edit_ratio)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--months", type=int, nargs="+", default=[12, 120])
    ap.add_argument("--basins", nargs="+", default=["chu", "talas"])
    args = ap.parse_args()
    print(f"{'basin':6} {'months':>6} {'rows x cols':>13} {'changed r/c':>11} {'A same':>6} "
          f"{'app [ms]':>9} {'bare [ms]':>9} {'app/bare':>8} {'edit [ms]':>9} {'edit/bare':>9} {'bare2 [ms]':>10} "
          f"{'edit+result':>11}   app = asm+pass / HiGHS (of it stage 2) / rest [ms]")
    for bid in args.basins:
        for m in args.months:
            c = case(bid, m, args.repeats)
            print(f"{c['basin']:6} {c['months']:>6} {c['shape'][0]:>6}x{c['shape'][1]:<6} "
                  f"{c['changed_rows']:>5}/{c['changed_cols']:<5} {str(c['same_matrix']):>6} "
                  f"{c['app_s'] * 1e3:>9.1f} {c['bare_s'] * 1e3:>9.2f} {c['ratio']:>8.1f} {c['edit_s'] * 1e3:>9.2f} "
                  f"{c['edit_ratio']:>9.2f} {c['bare2_s'] * 1e3:>10.2f} {c['edit_result_s'] * 1e3:>11.1f}   "
                  + " / ".join(f"{x * 1e3:.1f}" for x in c["parts"][:2]) + f" ({c['parts'][2] * 1e3:.1f}) / "
                  + f"{c['parts'][3] * 1e3:.1f}" + (f"  (bare retried {c['retried']}x)" if c["retried"] else ""),
                  flush=True)


if __name__ == "__main__":
    main()
