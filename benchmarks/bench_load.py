"""Eight app sessions on one warmed server: first chart and edit-to-chart per session, and the server's memory.

    python benchmarks/bench_load.py [--sessions 8] [--rounds 3]

Runs the app's script as Streamlit does for concurrent browser sessions: one script thread per session in this
process (the "server"), every session with its own horizon (13, 14, ... months of the Chu, so each builds and
solves its own LP), all released at once. A session's *first chart* is its first script run (model built and
solved, charts drawn); its *edit-to-chart* is the run after it changes its year type to dry (its model
re-solved). Before each round the server is warmed (imports done, the default 12-month model solved) and the
models of the previous round are dropped, so every round measures first charts, not cache hits. Memory: the
process's resident set (VmRSS) after the warm-up and after the round, and its peak (VmHWM).

Targets (issue 16.1): first chart <= 5 s and edit-to-chart <= 2 s per session with 8 sessions. The
tests/load_sessions.py harness is AppTest (no browser, no websocket): browser rendering is not included.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from load_sessions import rss_mb, run_sessions, shared_runtime, warm  # noqa: E402

from optimizer.core import solver  # noqa: E402

FIRST_TARGET_S, EDIT_TARGET_S = 5.0, 2.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    months = [13 + i for i in range(args.sessions)]
    firsts: dict[int, list[float]] = {m: [] for m in months}
    edits: dict[int, list[float]] = {m: [] for m in months}
    failed = 0
    with shared_runtime():
        for k in range(args.rounds):
            solver.clear_cache()
            warm_s = warm()
            rss_warm, _ = rss_mb()
            outs, wall, threads = run_sessions(months)
            rss_after, peak = rss_mb()
            bad = [(m, o.get("exc")) for m, o in zip(months, outs) if "exc" in o or o.get("errors")]
            hung = sum(th.is_alive() for th in threads)
            failed += len(bad) + hung
            print(f"round {k + 1}: warm-up {warm_s:.1f} s; {args.sessions} sessions, wall {wall:.1f} s; RSS "
                  f"{rss_warm:.0f} MB warmed -> {rss_after:.0f} MB after (peak {peak:.0f} MB); model cache "
                  f"{solver.cache_mb():.1f} MB (limit {solver._CACHE_MB:g} MB)"
                  + (f"; FAILED {bad}" if bad else "") + (f"; {hung} HUNG" if hung else ""))
            for m, o in zip(months, outs):
                if "first_s" in o and "edit_s" in o:
                    firsts[m].append(o["first_s"])
                    edits[m].append(o["edit_s"])
    print(f"\nper session, median over {args.rounds} round(s) [s] (targets: first chart <= {FIRST_TARGET_S:g}, "
          f"edit-to-chart <= {EDIT_TARGET_S:g})")
    print(f"{'months':>6} {'first chart':>12} {'edit-to-chart':>14} {'worst first':>12} {'worst edit':>11}")
    for m in months:
        if firsts[m]:
            print(f"{m:>6} {statistics.median(firsts[m]):12.2f} {statistics.median(edits[m]):14.2f} "
                  f"{max(firsts[m]):12.2f} {max(edits[m]):11.2f}")
    allf = [v for vs in firsts.values() for v in vs]
    alle = [v for vs in edits.values() for v in vs]
    if allf:
        print(f"{'all':>6} {statistics.median(allf):12.2f} {statistics.median(alle):14.2f} {max(allf):12.2f} "
              f"{max(alle):11.2f}")
        print(f"sessions within target: first chart {sum(v <= FIRST_TARGET_S for v in allf)}/{len(allf)}, "
              f"edit-to-chart {sum(v <= EDIT_TARGET_S for v in alle)}/{len(alle)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
