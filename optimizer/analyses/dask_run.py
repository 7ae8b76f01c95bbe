"""Running ensemble members on Dask: submit with retries, report lost members, shut down quietly."""

from __future__ import annotations

import logging


class WorkerLost(RuntimeError):
    """A Dask task failed for a reason other than a member's LP (a worker died, a task was cancelled) even
    after its retries; ``members`` are the member indices that have no result."""

    def __init__(self, members: list[int], reason: str):
        self.members = members
        shown = ", ".join(map(str, members[:20])) + (" ..." if len(members) > 20 else "")
        super().__init__(f"{len(members)} member(s) have no result because a Dask worker was lost or the task was "
                         f"cancelled ({reason}), even after {TASK_RETRIES} retries: members {shown}")


TASK_RETRIES = 2  # a task whose worker dies is run again on another worker this many times


def distributed(client, task, bar, basin, inflow, times, chunks, opts) -> list[dict]:
    """Run ``task(basin, inflow[c], times, c, opts)`` for every chunk ``c`` on ``client``; ``bar`` counts members."""
    from distributed import as_completed

    b = client.scatter(basin, broadcast=True, hash=False)  # the basin goes to each worker once
    data = client.scatter([inflow[c] for c in chunks], hash=False)
    futures = [client.submit(task, b, d, times, c, opts, pure=False, retries=TASK_RETRIES)
               for d, c in zip(data, chunks)]
    members = {f.key: c for f, c in zip(futures, chunks)}
    items, lost, reason = [], [], ""
    try:
        for fut in as_completed(futures):
            try:
                part = fut.result()
            except Exception as exc:  # noqa: BLE001 - KilledWorker, CancelledError, ...: reported by member
                lost.extend(members[fut.key])
                reason = reason or f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".rstrip(": ")
                continue
            items.extend(part)
            bar.update(len(part))
    finally:
        bar.close()
        client.cancel(futures + data + [b])
    if lost:
        raise WorkerLost(sorted(lost), reason)
    return items


def quiet_close(client, cluster) -> None:
    """Close our own client and cluster without the CommClosedError tracebacks Dask may log while its
    workers go away (the results are in already)."""
    import contextlib
    import io

    names = ["distributed", "distributed.comm", "distributed.core", "distributed.nanny", "distributed.worker",
             "distributed.scheduler", "distributed.client", "tornado", "asyncio"]
    levels = {n: logging.getLogger(n).level for n in names}
    for n in names:
        logging.getLogger(n).setLevel(logging.CRITICAL + 1)
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            for thing in (client, cluster):
                if thing is not None:
                    with contextlib.suppress(Exception):
                        thing.close()
    finally:
        for n, lv in levels.items():
            logging.getLogger(n).setLevel(lv)
