"""What stage 2 (optimizer.core.second_stage) costs: HiGHS time of stage 1 + 2 against stage 1 alone.

    python benchmarks/bench_stage2.py --basin chu --months 120 600 --year-type dry --repeats 5

One kept model per horizon (optimizer.core.model.build + PersistentLP); each repeat solves it cold with stage 1
alone and cold with both stages, interleaved, and the ratio is the median of the per-repeat ratios (so it
survives a loaded machine). Also printed: the one-off cost of naming the columns and hashing the names (once per
built model) and the priority cost stage 2 adds above the optimum [cost units].
"""

from __future__ import annotations

import argparse
import statistics
import time

import basins
from optimizer.core import second_stage
from optimizer.core.highs_adapter import PersistentLP
from optimizer.core.model import build, make_inputs
from optimizer.core.solver import horizon, inflow_series


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--basin", default="chu")
    ap.add_argument("--months", type=int, nargs="+", default=[120, 600])
    ap.add_argument("--year-type", default="dry")
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args(argv)
    b = basins.load(a.basin)
    print("basin months  stage1_s  stage1+2_s  ratio(median)  naming_s  cost_above_optimum")
    for months in a.months:
        times = horizon("2025-01", months)
        m = build(make_inputs(b, times, inflow_series(b, times, a.year_type)))
        lp = PersistentLP(m, unique=True)
        t0 = time.perf_counter()
        tie = second_stage.tie_costs(lp.column_names())
        naming = time.perf_counter() - t0
        lp._tie = tie
        one, both, ratios, above = [], [], [], 0.0
        for _ in range(a.repeats):
            lp.unique = False
            t0 = time.perf_counter()
            lp.solve(None, cold=True)
            t1 = time.perf_counter() - t0
            lp.unique = True
            t0 = time.perf_counter()
            lp.solve(None, cold=True)
            t2 = time.perf_counter() - t0
            one.append(t1), both.append(t2), ratios.append(t2 / t1)
            above = lp.stage2.cost_above_optimum
        print(f"{a.basin:5s} {months:6d}  {statistics.median(one):8.3f}  {statistics.median(both):10.3f}  "
              f"{statistics.median(ratios):13.2f}  {naming:8.3f}  {above:.3g}", flush=True)


if __name__ == "__main__":
    main()
