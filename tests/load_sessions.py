"""Many app sessions in one process, as one Streamlit server runs them (tests/test_load.py, benchmarks/bench_load.py).

Each session is an :class:`AppTest` in its own thread (Streamlit runs one script thread per browser session)
with its own horizon; it draws its first chart (the script's first run: build and solve its model), then edits
its year type (a re-solve of its own model) and draws again. All sessions share one Streamlit runtime, as in a
real server (:func:`shared_runtime`).
"""

from __future__ import annotations

import contextlib
import resource
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TIMEOUT = 120  # s per script run (AppTest's limit)


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident memory of this process [MB] (VmRSS, VmHWM of /proc/self/status; the peak
    from getrusage where /proc is missing)."""
    cur = peak = float("nan")
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                cur = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1]) / 1024
    if peak != peak:  # NaN
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return cur, peak


@contextlib.contextmanager
def shared_runtime() -> Iterator[object]:
    """One Streamlit runtime for all sessions, as in a real server. AppTest gives each run its own mock
    runtime and sets the process-wide ``Runtime._instance`` back to None when the run ends; with several
    AppTests in threads that resets it under a running session (a harness race: "Runtime hasn't been
    created!"). Here AppTest's assignments go to a subclass and every session shares one mock runtime.

    AppTest also sets the process-wide option ``global.appTest`` for each run (``patch_config_options``, a
    ``mock.patch`` of ``config.get_option``). Runs in threads end in any order, so one run's exit put back the
    unpatched ``get_option`` under another's running script. That script's widgets then skipped
    ``save_for_app_testing``, and its next run failed with ``KeyError('$$ID-…-basin')`` (about 1 run in 5 of
    tests/test_load.py, 2026-12-03). Here the option is set once for all sessions and the per-run patch is a no-op."""
    from streamlit.components.v2.component_manager import BidiComponentManager
    from streamlit.runtime import Runtime
    from streamlit.runtime.caching.storage.dummy_cache_storage import MemoryCacheStorageManager
    from streamlit.runtime.dataframe_source_manager import DataframeSourceManager
    from streamlit.runtime.media_file_manager import MediaFileManager
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
    from streamlit.testing.v1 import app_test
    from streamlit.testing.v1.util import patch_config_options

    rt = mock.MagicMock(spec=Runtime)
    rt.media_file_mgr = MediaFileManager(MemoryMediaFileStorage("/mock/media"))
    rt.dataframe_source_mgr = DataframeSourceManager()
    rt.cache_storage_manager = MemoryCacheStorageManager()
    components = BidiComponentManager()
    components.discover_and_register_components(start_file_watching=False)
    rt.bidi_component_registry = components
    with mock.patch.object(app_test, "Runtime", type("PerRunRuntime", (Runtime,), {})), \
            mock.patch.object(Runtime, "_instance", rt), patch_config_options({"global.appTest": True}), \
            mock.patch.object(app_test, "patch_config_options", lambda overrides: contextlib.nullcontext()):
        yield rt


def warm() -> float:
    """A warmed server: imports done, the app's script and its default model (Chu, normal, 12 months) ran
    once. Returns the seconds it took."""
    t0 = time.perf_counter()
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return time.perf_counter() - t0


def _year_type_box(at: AppTest):
    boxes = [s for s in at.selectbox if s.key and s.key.startswith("year_type_")]
    assert len(boxes) == 1, [s.key for s in at.selectbox]
    return boxes[0]


def session(months: int, out: dict, barrier: threading.Barrier) -> None:
    """One browser session: first chart with ``months``, then the year type edited to dry. Fills ``out`` with
    first_s, edit_s, first / edited (the Results), errors (st.error texts) or exc (what went wrong)."""
    try:
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        at.session_state["months"] = months
        barrier.wait(timeout=TIMEOUT)
        t0 = time.perf_counter()
        at.run()
        out["first_s"] = time.perf_counter() - t0
        assert not at.exception, [e.value for e in at.exception]
        out["first"] = at.session_state["results"]["chu"]["result"]
        at.session_state[_year_type_box(at).key] = "dry"  # the edit, as the browser sends a widget value
        t0 = time.perf_counter()
        at.run()
        out["edit_s"] = time.perf_counter() - t0
        assert not at.exception, [e.value for e in at.exception]
        out["edited"] = at.session_state["results"]["chu"]["result"]
        out["errors"] = [e.value for e in at.error]
    except BaseException as exc:  # noqa: BLE001 - reported by the main thread
        out["exc"] = exc
        barrier.abort()  # the other sessions do not wait for this one forever


def run_sessions(months: list[int], join_timeout: float = 600) -> tuple[list[dict], float, list[threading.Thread]]:
    """All sessions at once (released together by a barrier): their outputs, the wall time [s], the threads
    (a thread still alive after ``join_timeout`` hung)."""
    outs: list[dict] = [{} for _ in months]
    barrier = threading.Barrier(len(months))
    threads = [threading.Thread(target=session, args=(m, o, barrier), daemon=True) for m, o in zip(months, outs)]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=join_timeout)
    return outs, time.perf_counter() - t0, threads
