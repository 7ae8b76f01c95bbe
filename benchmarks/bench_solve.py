"""Build, solve and re-solve times of the allocation LP, against a bare HiGHS solve of the same LP.

    python benchmarks/bench_solve.py [--months 12 120 600] [--repeat 3]

For each basin and horizon it prints (medians over --repeat runs, seconds):
  first   end to end, model built from scratch (Pyomo build + set_instance + HiGHS + results)
  build   Pyomo build + set_instance alone
  solve   HiGHS run inside the persistent interface
  resolve end to end after a data change (another year type's inflows) on the kept model
  bare    highspy readModel + run of the same LP exported once to MPS (no Pyomo)
  ratios  first / bare and resolve / bare
Targets (issue 3): 12 months, build + solve < 0.2 s; re-solve at 120 months < 0.05 s;
600 months end to end <= 3 x bare.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import highspy

import basins
import optimizer
from optimizer.core.model import build, make_inputs
from optimizer.core.solver import horizon, inflow_series


def bare_highs(mps: Path) -> float:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    t0 = time.perf_counter()
    h.readModel(str(mps))
    h.run()
    dt = time.perf_counter() - t0
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--months", type=int, nargs="+", default=[12, 120, 600])
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    med = statistics.median
    print(f"{'basin':6} {'months':>6} {'first':>8} {'build':>8} {'solve':>8} {'resolve':>8} {'bare':>8} "
          f"{'first/bare':>10} {'resolve/bare':>12}")
    for name in ("chu", "talas"):
        basin = basins.load(name)
        optimizer.solve(basin, months=1)  # warm imports
        for months in a.months:
            first, build_s, solve_s, resolve, bare = [], [], [], [], []
            for _ in range(a.repeat):
                optimizer.clear_cache()
                t0 = time.perf_counter()
                r = optimizer.solve(basin, "normal", months=months, time_limit=None)
                first.append(time.perf_counter() - t0)
                build_s.append(r.manifest["build_s"])
                solve_s.append(r.manifest["solve_s"])
                t0 = time.perf_counter()
                optimizer.solve(basin, "dry", months=months, time_limit=None)
                resolve.append(time.perf_counter() - t0)
            times = horizon("2025-01", months)
            m = build(make_inputs(basin, times, inflow_series(basin, times, "normal")))
            with tempfile.TemporaryDirectory() as d:
                mps = Path(d) / "lp.mps"
                m.write(str(mps), io_options={"symbolic_solver_labels": False})
                bare = [bare_highs(mps) for _ in range(a.repeat)]
            f, rs, b = med(first), med(resolve), med(bare)
            print(f"{name:6} {months:6d} {f:8.3f} {med(build_s):8.3f} {med(solve_s):8.3f} {rs:8.3f} {b:8.3f} "
                  f"{f / b:10.1f} {rs / b:12.1f}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
