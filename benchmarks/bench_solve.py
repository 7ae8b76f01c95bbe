"""Where the time of one allocation solve goes, against a bare HiGHS solve of exactly the same LP.

    python benchmarks/bench_solve.py [--months 12 120 600 1200] [--repeat 3] [--basins chu talas]

Per basin and horizon, medians over --repeat interleaved rounds (each round runs every measurement once,
in turn, so that load on the machine hits all of them alike), seconds:
  e2e      optimizer.solve end to end from a cold cache (inputs, build, hand-off, solve, extract, result views)
  build    Pyomo model build (optimizer.core.model.build, numbers included)
  handoff  handing the model to HiGHS (PersistentLP: Pyomo's set_instance)
  solve    one cold solve through the adapter (Pyomo's solve() call around HiGHS run())
  extract  reading primal values and duals back into arrays (optimizer.core.solver._extract)
  read     highspy readModel of the LP exported once to MPS (not part of "bare")
  bare     run() alone on a fresh highspy.Highs holding that LP (threads 1, seed 0, as the project sets)
  e2e/bare the median over rounds of each round's ratio (not a ratio of medians)
LP size (rows, cols, nnz) is HiGHS's, read from the exported LP. Peak memory: Python allocations of build +
hand-off traced with tracemalloc in a separate, untimed pass (HiGHS's own C++ memory is not included), and
the process's peak resident set (ru_maxrss) at the end of the case.
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import highspy

import basins
import optimizer
from optimizer.core.highs_adapter import PersistentLP
from optimizer.core.model import build, make_inputs
from optimizer.core.solver import _extract, horizon, inflow_series


def _bare(mps: Path) -> tuple[float, float, tuple[int, int, int]]:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("random_seed", 0)
    t0 = time.perf_counter()
    h.readModel(str(mps))
    read = time.perf_counter() - t0
    t0 = time.perf_counter()
    h.run()
    run = time.perf_counter() - t0
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    lp = h.getLp()
    return read, run, (lp.num_row_, lp.num_col_, len(lp.a_matrix_.value_))


def _phases(inp) -> dict:
    t0 = time.perf_counter()
    m = build(inp)
    t1 = time.perf_counter()
    lp = PersistentLP(m)
    t2 = time.perf_counter()
    lp.solve(None)
    t3 = time.perf_counter()
    _extract(m, lp, inp)
    t4 = time.perf_counter()
    return {"build": t1 - t0, "handoff": t2 - t1, "solve": t3 - t2, "extract": t4 - t3}


def _peak_python_mb(inp) -> float:
    gc.collect()
    tracemalloc.start()
    m = build(inp)
    PersistentLP(m)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--months", type=int, nargs="+", default=[12, 120, 600, 1200])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--basins", nargs="+", default=["chu", "talas"])
    a = ap.parse_args(argv)
    med = statistics.median
    cols = ["e2e", "build", "handoff", "solve", "extract", "read", "bare"]
    print(f"{'basin':6} {'months':>6} " + " ".join(f"{c:>8}" for c in cols)
          + f" {'e2e/bare':>9} {'rows':>7} {'cols':>7} {'nnz':>8} {'py_peak_MB':>10} {'maxrss_MB':>9}")
    for name in a.basins:
        basin = basins.load(name)
        optimizer.solve(basin, months=1)  # warm imports
        for months in a.months:
            times = horizon("2025-01", months)
            inp = make_inputs(basin, times, inflow_series(basin, times, "normal"))
            with tempfile.TemporaryDirectory() as d:
                mps = Path(d) / "lp.mps"
                build(inp).write(str(mps), io_options={"symbolic_solver_labels": False})
                rounds: dict[str, list[float]] = {c: [] for c in cols}
                ratio: list[float] = []
                size = None
                for _ in range(a.repeat):
                    optimizer.clear_cache()
                    t0 = time.perf_counter()
                    optimizer.solve(basin, "normal", months=months, time_limit=None)
                    e2e = time.perf_counter() - t0
                    read, run, size = _bare(mps)
                    ph = _phases(inp)
                    for k, v in (("e2e", e2e), ("read", read), ("bare", run), *ph.items()):
                        rounds[k].append(v)
                    ratio.append(e2e / run)
            peak = _peak_python_mb(inp)
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"{name:6} {months:6d} " + " ".join(f"{med(rounds[c]):8.3f}" for c in cols)
                  + f" {med(ratio):9.1f} {size[0]:7d} {size[1]:7d} {size[2]:8d} {peak:10.1f} {rss:9.0f}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
