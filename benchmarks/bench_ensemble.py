"""Ensemble scaling: members per second in this process (serial) and on a local Dask cluster of 1 and 2 worker
processes, start-up measured apart (issue 15.4).

    python benchmarks/bench_ensemble.py [--basins talas chu] [--members 50] [--months 120] [--workers 1 2] [--repeat 3]

For each basin, every repeat runs serial, then each worker count, one after another (interleaved, so that load from
other processes on the machine hits every mode alike); the table gives medians over the repeats. Each run is a
complete ``optimizer.solve_ensemble(..., scheduler="synchronous" | "local")``; its Dataset reports:

* ``start s`` — the cluster start (``LocalCluster`` + ``Client``; 0 for serial),
* ``warm s`` — the model build (and one solve) in every worker before the members, in parallel (serial: here),
* ``members/s`` — members / the wall time of the members' solves (after start-up): the throughput,
* ``e2e/s`` — members / the whole call's wall time (start-up, solves, assembling the Dataset),
* ``eff`` — efficiency, members/s ÷ (workers × serial members/s); issue 15.4's target is ≥ 0.9,
* ``cpu eff`` — CPU efficiency, serial CPU ms per member ÷ this mode's (the work the cluster adds per member:
  Dask's threads, serialisation; it bounds ``eff`` on a machine with a free core per worker),
* ``cores`` — the parallelism two busy processes got just before the run (CPU s / wall s; 2.0 on an idle
  2-core machine): read the 2-worker figure against it when the machine is shared.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import time


def _busy(_: int) -> float:
    t = time.process_time()
    s = 0
    for i in range(3_000_000):
        s += i
    return time.process_time() - t


def cores(pool) -> float:
    t0 = time.perf_counter()
    cpu = sum(pool.map(_busy, range(4)))
    return cpu / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--basins", nargs="+", default=["talas", "chu"])
    ap.add_argument("--members", type=int, default=50)
    ap.add_argument("--months", type=int, default=120)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()

    import basins
    from optimizer.analyses import ensemble, scenarios

    print(f"cpus {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} at start; {a.members} members x "
          f"{a.months} months, medians of {a.repeat} interleaved repeats")
    print(f"{'basin':6} {'mode':>8} {'members/s':>10} {'eff':>5} {'e2e/s':>7} {'start s':>8} {'warm s':>7} "
          f"{'solve s':>8} {'cpu ms/member':>13} {'cpu eff':>7} {'cores':>6} {'failed':>6}")
    pool = mp.get_context("spawn").Pool(2)
    try:
        for name in a.basins:
            basin = basins.load(name)
            q = scenarios.generate(basin, members=a.members, months=a.months, seed=a.seed)
            modes = ["serial"] + [str(w) for w in a.workers]
            runs: dict[str, list[dict]] = {m: [] for m in modes}
            for _ in range(a.repeat):
                for m in modes:
                    c = cores(pool)
                    t0 = time.perf_counter()
                    if m == "serial":
                        ds = ensemble.solve_ensemble(basin, q, scheduler="synchronous")
                    else:
                        ds = ensemble.solve_ensemble(basin, q, scheduler="local", workers=int(m))
                    wall = time.perf_counter() - t0
                    runs[m].append({"rate": ds.attrs["members_per_s"], "e2e": a.members / wall,
                                    "start": ds.attrs["startup_s"], "warm": ds.attrs["warm_s"],
                                    "solve": ds.attrs["solve_wall_s"], "cores": c,
                                    "cpu": 1000 * ds.attrs["solve_cpu_s"] / a.members,
                                    "failed": ds.attrs["members_failed"]})
            med = {m: {k: statistics.median(r[k] for r in runs[m]) for k in runs[m][0]} for m in modes}
            base = med["serial"]["rate"]
            for m in modes:
                r = med[m]
                w = 1 if m == "serial" else int(m)
                label = m if m == "serial" else f"{m} wkr"
                print(f"{name:6} {label:>8} {r['rate']:10.1f} {r['rate'] / (w * base):5.2f} {r['e2e']:7.1f} "
                      f"{r['start']:8.2f} {r['warm']:7.2f} {r['solve']:8.2f} {r['cpu']:13.1f} "
                      f"{med['serial']['cpu'] / r['cpu']:7.2f} {r['cores']:6.2f} "
                      f"{r['failed']:6.0f}", flush=True)
    finally:
        pool.terminate()
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
