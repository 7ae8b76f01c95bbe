"""A year of dekads against a year of months, end to end (`optimizer.solve`, cold: model built each time).

    python benchmarks/bench_step.py [--repeats 7]

Prints, per basin, the median over interleaved repeats of the wall time of a monthly and a dekadal solve of
12 months (normal year, agreement operation) and their ratio. The target of the issue: dekadal ≤ 3 × monthly.
"""

from __future__ import annotations

import argparse
import statistics
import time

import basins
import optimizer


def one(b, step: str) -> float:
    optimizer.clear_cache()
    t0 = time.perf_counter()
    optimizer.solve(b, "normal", months=12, step=step)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    print(f"{'basin':6} {'month [s]':>10} {'dekad [s]':>10} {'steps':>6} {'ratio':>6}")
    for bid in ("chu", "talas"):
        b = basins.load(bid)
        one(b, "month"), one(b, "dekad")  # warm imports
        pairs = [(one(b, "month"), one(b, "dekad")) for _ in range(args.repeats)]
        m = statistics.median(p[0] for p in pairs)
        d = statistics.median(p[1] for p in pairs)
        print(f"{bid:6} {m:10.3f} {d:10.3f} {36:6d} {d / m:6.2f}")


if __name__ == "__main__":
    main()
