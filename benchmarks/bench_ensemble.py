"""Ensemble throughput: members solved per second on a local Dask cluster of 1 and 2 worker processes,
for 12-month and 30-year (360-month) horizons.

    python benchmarks/bench_ensemble.py [--basins talas chu] [--members 200 16] [--workers 1 2] [--repeat 2]

For each basin, horizon and worker count it starts a LocalCluster (processes, one thread each), builds
the horizon's persistent model once in every worker (``client.run``: the steady state of a long
ensemble, where each worker only rewrites the inflow parameters between members), then times
``optimizer.solve_ensemble(client=...)`` on ``--members`` scenarios (best of ``--repeat``). The
``serial`` row is the same chunk loop in this process (``scheduler="synchronous"``), also warmed.
Members without an allocation (e.g. infeasible hard rules) count as solved work and are reported.
Also printed: CPU seconds per member spent in the member solves (summed over workers; much less
sensitive to other load on the machine than the wall time); ``cores``, the parallelism the cluster
actually got for a pure-Python busy loop just before the run (CPU seconds / wall seconds: 2.0 on an idle
2-core machine, lower when other processes compete), to read the speed-up against; and the cluster
start-up and warm-up times, which a short ensemble pays once.
"""

from __future__ import annotations

import argparse
import logging
import os
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--basins", nargs="+", default=["talas", "chu"])
    ap.add_argument("--members", type=int, nargs=2, default=[200, 16], metavar=("M12", "M360"),
                    help="members for the 12-month and the 360-month horizon")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()

    from distributed import Client, LocalCluster

    import basins
    from optimizer.analyses import ensemble, scenarios

    print(f"cpus {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} at start")
    print(f"{'basin':6} {'months':>6} {'workers':>8} {'members':>8} {'failed':>6} {'wall s':>8} {'members/s':>10} "
          f"{'speed-up':>9} {'cpu s/member':>12} {'cores':>6} {'start s':>8} {'warm s':>7}")
    for name in a.basins:
        basin = basins.load(name)
        for months, members in zip((12, 360), a.members):
            q = scenarios.generate(basin, members=members, months=months, seed=a.seed)
            # serial reference: one warm-up member, then the timed run
            ensemble.solve_ensemble(basin, q.isel(member=[0]), scheduler="synchronous")
            best = min(_timed(lambda: ensemble.solve_ensemble(basin, q, scheduler="synchronous"))
                       for _ in range(a.repeat))
            base = members / best[0]
            _row(name, months, "serial", members, best, base, 1.0, 1.0, 0.0, 0.0)
            for w in a.workers:
                t0 = time.perf_counter()
                cluster = LocalCluster(n_workers=w, threads_per_worker=1, processes=True, dashboard_address=None,
                                       silence_logs=logging.ERROR)
                client = Client(cluster)
                start_s = time.perf_counter() - t0
                t0 = time.perf_counter()
                client.run(ensemble._warm, basin, months)
                warm_s = time.perf_counter() - t0
                cores = _cores(client, w)
                try:
                    best = min(_timed(lambda: ensemble.solve_ensemble(basin, q, client=client))
                               for _ in range(a.repeat))
                finally:
                    client.close()
                    cluster.close()
                _row(name, months, str(w), members, best, members / best[0], members / best[0] / base, cores, start_s,
                     warm_s)


def _busy(_):
    t = time.process_time()
    s = 0
    for i in range(2_000_000):
        s += i
    return time.process_time() - t


def _cores(client, workers: int) -> float:
    """CPU seconds per wall second the cluster gets for 4 busy tasks per worker."""
    client.gather(client.map(_busy, range(workers), pure=False))
    t0 = time.perf_counter()
    cpu = sum(client.gather(client.map(_busy, range(4 * workers), pure=False)))
    return cpu / (time.perf_counter() - t0)


def _timed(fn):
    t0 = time.perf_counter()
    ds = fn()
    return time.perf_counter() - t0, ds.attrs["members_failed"], ds.attrs["solve_cpu_s"] / ds.sizes["member"]


def _row(basin, months, workers, members, timed, rate, speedup, cores, start_s, warm_s):
    wall, failed, cpu = timed
    print(f"{basin:6} {months:>6} {workers:>8} {members:>8} {failed:>6} {wall:8.2f} {rate:10.1f} {speedup:9.2f} "
          f"{cpu:12.4f} {cores:6.2f} {start_s:8.2f} {warm_s:7.2f}", flush=True)


if __name__ == "__main__":
    main()
