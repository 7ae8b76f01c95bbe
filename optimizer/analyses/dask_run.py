"""Running independent members, serially or on Dask: where they run, chunks with retries, start-up measured
apart from the solves, lost members reported by member, quiet shutdown.

:func:`run_members` is the one machinery behind :func:`optimizer.solve_ensemble` and the forecast-ensemble
probability of :func:`optimizer.analyses.season.probability_met`. A *task* is a module-level function
``task(shared, inflow, times, members, options) -> list[dict]`` (one dict per member, with ``"member"``); a
*warm* function ``warm(shared, inflow_of_one_member, times, options) -> float`` builds the process's persistent
model without solving (run on every worker with ``client.run`` before the members, and here before a serial
loop), so that start-up is measured apart from the members' solves.

**Where.** ``scheduler=None`` (automatic): a plain loop in this process when the run is small
(``members × steps < AUTO_SERIAL_MEMBER_STEPS``, or ``workers <= 1``), otherwise a local cluster of
``workers`` processes (one thread each: the member solves are pure Python and hold the GIL). ``"synchronous"``
and ``"local"`` force either; an address connects to a running scheduler; ``client=`` uses the caller's.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

#: members × steps below which ``scheduler=None`` solves in this process. Measured (docs/ensembles.md §4, session
#: 8): two workers' start-up and their Dataset cost 2.1–2.3 s of wall time, a member 36–40 ms of CPU (0.3 ms a
#: member-month); two workers win end to end from ~122 (Talas) to ~124 (Chu) members of 120 months, ~15,000
#: member-months (12,000 until 2026-12-03, when members cost 60–68 ms).
AUTO_SERIAL_MEMBER_STEPS = 15_000
MAX_CHUNK = 25  # members per task at most (progress granularity, load balance)
#: Dask settings of the local cluster this module starts (not of a caller's cluster), each measured on the members'
#: solves, which are pure Python and share the worker process's GIL with Dask's event loop (docs/ensembles.md §4):
#: the statistical profiler samples every thread's stack every 10 ms; the event-loop tick (20 ms) and the system
#: monitor (500 ms) wake that loop; and ``MALLOC_TRIM_THRESHOLD_=65536``, which Dask's nannies put into their
#: workers' environment, makes glibc hand freed memory back to the system after every large array, so the next
#: member maps it again. 2-worker efficiency (Chu, 50 members x 120 months, one probe): profiler off 0.89, all four 0.97.
LOCAL_CLUSTER_CONFIG: dict[str, Any] = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,  # None: not set, glibc's own default
}
#: environment variables the workers of our local cluster start without (see :func:`local_cluster`)
_UNSET_IN_WORKERS = [k.rsplit(".", 1)[1] for k, v in LOCAL_CLUSTER_CONFIG.items()
                     if k.startswith("distributed.nanny.pre-spawn-environ.") and v is None]
TASK_RETRIES = 2  # a task that raises is run again this many times (a worker's death: Dask's allowed-failures)


class WorkerLost(RuntimeError):
    """A Dask task failed for a reason other than a member's LP (a worker died, a task was cancelled) even
    after its retries; ``members`` are the member indices that have no result."""

    def __init__(self, members: list[int], reason: str):
        self.members = members
        self.reason = reason
        shown = ", ".join(map(str, members[:20])) + (" ..." if len(members) > 20 else "")
        super().__init__(f"{len(members)} member(s) have no result because a Dask worker was lost or the task was "
                         f"cancelled ({reason}), even when re-run alone: members {shown}")


@dataclass
class Run:
    """What :func:`run_members` did: the members' items and where and how fast they were solved."""

    items: list[dict]
    mode: str  # synchronous | local | client | address
    workers: int
    chunk_size: int  # members per task: the largest task's (guided chunks shrink towards the end)
    chunks: int
    choice: str  # why this mode (automatic choices say so)
    startup_s: float = 0.0  # cluster start (or connect) [s]; 0 in this process
    warm_s: float = 0.0  # model build on every worker (or here) before the members [s]
    solve_s: float = 0.0  # from the first member to the last result [s]
    retried: list[int] = field(default_factory=list)  # members re-run one by one after their chunk's worker died

    def attrs(self) -> dict:
        """The run's figures as NetCDF-friendly attributes (the ensemble Dataset and manifest carry them)."""
        n = len(self.items)
        return {"scheduler": self.mode, "scheduler_choice": self.choice, "workers": self.workers,
                "chunk_size": self.chunk_size, "chunks": self.chunks, "startup_s": round(self.startup_s, 3),
                "warm_s": round(self.warm_s, 3), "solve_wall_s": round(self.solve_s, 3),
                "members_per_s": round(n / self.solve_s, 3) if self.solve_s > 0 else float("nan"),
                "members_retried": len(self.retried)}


def chunks_of(n: int, size: int) -> list[list[int]]:
    """Members ``0 … n-1`` in consecutive chunks of ``size`` (the last one shorter)."""
    return [list(range(i, min(i + size, n))) for i in range(0, n, size)]


def guided_chunks(n: int, workers: int) -> list[list[int]]:
    """Members ``0 … n-1`` in chunks of decreasing size (guided self-scheduling): each chunk takes
    ``ceil(rest / (2 × workers))`` members, at most :data:`MAX_CHUNK`, so the first tasks are large (few task
    overheads) and the last ones single members: when the queue runs dry, a worker waits at most for one member,
    not for one chunk. With equal chunks of ``ceil(n / (4 × workers))`` (before 2026-12-03), 50 members on 2 workers
    were 7 chunks of 7 and one of 1: one worker solved 28 members while the other solved 22, which bounds the
    efficiency at 25/28 = 0.89 before any overhead (docs/ensembles.md §4)."""
    out: list[list[int]] = []
    i = 0
    while i < n:
        size = min(MAX_CHUNK, max(1, math.ceil((n - i) / (2 * max(1, workers)))))
        out.append(list(range(i, min(i + size, n))))
        i += size
    return out


def _bar(progress: bool, total: int) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, unit="member", disable=not progress, file=sys.stderr, desc="members")


def choose(n: int, steps: int, client: Any, scheduler: str | None, workers: int) -> tuple[str, str]:
    """(mode, reason) for ``n`` members of ``steps`` steps (see the module docstring)."""
    if client is not None and scheduler is not None:
        raise ValueError("give either a client or a scheduler, not both")
    if client is not None:
        return "client", "the caller's client"
    if scheduler == "synchronous":
        return "synchronous", "as asked"
    if scheduler in (None, "local") and int(workers) < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if scheduler == "local":
        return "local", "as asked"
    if scheduler is None:
        if int(workers) <= 1:
            return "synchronous", "automatic: one worker is never faster than this process"
        if n * steps < AUTO_SERIAL_MEMBER_STEPS:
            return "synchronous", (f"automatic: {n} members x {steps} steps < {AUTO_SERIAL_MEMBER_STEPS} "
                                   "member-steps (a cluster would not pay for its start-up)")
        return "local", f"automatic: {n} members x {steps} steps >= {AUTO_SERIAL_MEMBER_STEPS} member-steps"
    if "://" not in str(scheduler) and ":" not in str(scheduler):
        raise ValueError(f"scheduler must be 'synchronous', 'local' or a Dask scheduler address such as "
                         f"tcp://host:8786, not {scheduler!r}")
    return "address", "as asked"


def run_members(task: Callable[..., list[dict]], warm: Callable[..., float], shared: Any, inflow: np.ndarray,
                times: np.ndarray, options: dict, *, client: Any = None, scheduler: str | None = None,
                workers: int = 2, chunk_size: int | None = None, progress: bool = False) -> Run:
    """Solve every member (first axis of ``inflow``) with ``task`` in chunks; see the module docstring."""
    n = len(inflow)
    if chunk_size is not None and int(chunk_size) < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    mode, why = choose(n, len(times), client, scheduler, workers)
    if mode == "synchronous":
        size = int(chunk_size or min(MAX_CHUNK, max(1, n)))
        chunks = chunks_of(n, size)
        t0 = time.perf_counter()
        if n:
            warm(shared, inflow[0], times, options)
        t1 = time.perf_counter()
        items: list[dict] = []
        bar = _bar(progress, n)
        try:
            for c in chunks:
                items.extend(task(shared, inflow[c], times, c, options))
                bar.update(len(c))
        finally:
            bar.close()
        return Run(items, mode, 1, size, len(chunks), why, 0.0, t1 - t0, time.perf_counter() - t1)

    from distributed import Client

    cluster = own = None
    t0 = time.perf_counter()
    try:
        if mode == "local":
            cluster = local_cluster(int(workers))
            client = own = Client(cluster)
        elif mode == "address":
            client = own = Client(scheduler, timeout="5s")
        startup = time.perf_counter() - t0
        n_workers = max(1, len(client.scheduler_info().get("workers", {})))
        chunks = chunks_of(n, int(chunk_size)) if chunk_size else guided_chunks(n, n_workers)
        size = max((len(c) for c in chunks), default=1)
        t1 = time.perf_counter()
        if n:  # every worker builds its model once, before the members (start-up, not throughput)
            client.run(warm, shared, inflow[0], times, options)
        t2 = time.perf_counter()
        run = Run([], mode, n_workers, size, len(chunks), why, startup, t2 - t1)
        run.items = distributed(client, task, _bar(progress, n), shared, inflow, times, chunks, options, run)
        run.solve_s = time.perf_counter() - t2
        return run
    except KeyboardInterrupt:
        if mode == "local" and cluster is None:  # Ctrl-C while the cluster was starting: we hold no handle to it
            _close_starting_clusters()
        raise
    finally:
        quiet_close(own, cluster)


def local_cluster(workers: int) -> Any:
    """A ``LocalCluster`` of ``workers`` processes of one thread each, with :data:`LOCAL_CLUSTER_CONFIG`, its logs
    silenced (a lost worker is reported by member, :class:`WorkerLost`, not by Dask's log lines)."""
    import dask
    from distributed import LocalCluster

    # Dask's nannies run in this process and write their pre-spawn environment into os.environ (distributed 2026.8,
    # nanny.py), so a cluster started here earlier left MALLOC_TRIM_THRESHOLD_ behind for every later worker to
    # inherit: it is taken out while our workers start and put back afterwards
    kept = {k: os.environ.pop(k) for k in _UNSET_IN_WORKERS if k in os.environ}
    try:
        with dask.config.set(LOCAL_CLUSTER_CONFIG):  # the nannies pass this config on to their workers
            return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                                silence_logs=logging.CRITICAL)
    finally:
        os.environ.update(kept)


def _close_starting_clusters() -> None:
    """Close a local cluster interrupted while it started (Dask's own exit hook would print a traceback about
    its half-started workers), quietly, and drop that hook: the process is about to exit."""
    import atexit

    from distributed.deploy import spec

    with _silenced():
        with contextlib.suppress(Exception):
            spec.close_clusters()
    atexit.unregister(spec.close_clusters)


def distributed(client: Any, task: Callable[..., list[dict]], bar: Any, shared: Any, inflow: np.ndarray,
                times: Any, chunks: list[list[int]], opts: dict, run: Run | None = None) -> list[dict]:
    """Run ``task(shared, inflow[c], times, c, opts)`` for every chunk ``c`` on ``client``; ``bar`` counts members.

    A chunk whose task fails (its worker died more often than Dask's ``distributed.scheduler.allowed-failures``,
    default 3) is split: its members are run once more, one at a time, so that only the members that fail on
    their own are reported (:class:`WorkerLost`), the others keep their results."""
    from distributed import as_completed

    # the shared inputs (a basin pickles to 18-30 kB in < 1 ms) and each chunk's inflows travel with the task,
    # not scattered: scattered data lives only on the workers that hold it, and a killed worker took it along
    # (every retry of its tasks was then cancelled)
    futures = [client.submit(task, shared, inflow[c], times, c, opts, pure=False, retries=TASK_RETRIES)
               for c in chunks]
    members = {f.key: c for f, c in zip(futures, chunks)}
    items: list[dict] = []
    lost: list[int] = []
    reason = ""
    extra: list[Any] = []
    try:
        failed = []
        for fut in as_completed(futures):
            try:
                part = fut.result()
            except Exception as exc:  # noqa: BLE001 - KilledWorker, CancelledError, ...: reported by member
                failed.append(members[fut.key])
                reason = reason or _reason(exc)
                continue
            items.extend(part)
            bar.update(len(part))
        singles = [k for c in failed if len(c) > 1 for k in c]
        lost = [k for c in failed if len(c) == 1 for k in c]
        if singles:  # pin the failure down to members: each alone on the cluster (a dying worker takes every
            # task it holds along), no further retries
            if run is not None:
                run.retried = list(singles)
            for k in singles:
                fut = client.submit(task, shared, inflow[[k]], times, [k], opts, pure=False, retries=0)
                extra.append(fut)
                try:
                    part = fut.result()
                except Exception as exc:  # noqa: BLE001 - as above
                    lost.append(k)
                    reason = reason or _reason(exc)
                    continue
                items.extend(part)
                bar.update(len(part))
    finally:
        bar.close()
        with contextlib.suppress(Exception):
            client.cancel(futures + extra)
    if lost:
        raise WorkerLost(sorted(lost), reason)
    return items


def _reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0].split(". ")[0] if str(exc) else ""  # Dask's first sentence says it
    return f"{type(exc).__name__}: {text}".rstrip(": ")


@contextlib.contextmanager
def _silenced() -> Any:
    names = ["distributed", "distributed.comm", "distributed.core", "distributed.nanny", "distributed.worker",
             "distributed.scheduler", "distributed.client", "tornado", "asyncio"]
    levels = {n: logging.getLogger(n).level for n in names}
    for n in names:
        logging.getLogger(n).setLevel(logging.CRITICAL + 1)
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        for n, lv in levels.items():
            logging.getLogger(n).setLevel(lv)


def quiet_close(client: Any, cluster: Any) -> None:
    """Close our own client and cluster without the CommClosedError tracebacks Dask may log while its
    workers go away (the results are in already)."""
    with _silenced():
        for thing in (client, cluster):
            if thing is not None:
                with contextlib.suppress(Exception):
                    thing.close()
