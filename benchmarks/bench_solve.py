"""Where the time of one allocation solve goes, on both builds, against a bare HiGHS solve of the same LP.

    python benchmarks/bench_solve.py [--months 12 120 600 1200] [--dekad-months 12 120] [--repeat 3]
                                     [--basins chu talas] [--no-pyomo]

Per basin and case (monthly horizons of --months, dekadal horizons of --dekad-months), medians over --repeat
interleaved rounds (each round runs every measurement once, in turn, so that load on the machine hits all of
them alike), seconds:
  rows cols nnz  the LP HiGHS is given (the assembled LP; the Pyomo path hands HiGHS the same LP,
                 tests/test_assemble.py)
  bare     run() alone on a fresh highspy.Highs holding that LP (threads 1, seed 0, as the project sets)
  read     highspy readModel of that LP written once to MPS (not part of "bare")
  pass     passModel of the assembled arrays into that fresh Highs (not part of "bare")
  arrays path (optimizer.solve(build="arrays"), the default):
    A_e2e    optimizer.solve end to end from a cold cache (inputs, assemble, hand-off, both stages, extract, the
             result's Dataset; its ledger and cost split are made when first read)
    A_tab    reading that result's ledger and cost split afterwards (made then)
    A_inp    model inputs (optimizer.core.model.make_inputs)
    A_asm    assembling the LP (optimizer.core.assemble.assemble)
    A_hand   ArrayLP.pass_model (HighsLp + passModel)
    A_slv    ArrayLP.solve (clearSolver, options, run)
    A_ext    arrays → Solution (optimizer.core.assemble_highs.extract)
    A_view   the result views from that Solution: Dataset, ledger, cost sharing (optimizer.core.result; the same
             on both paths)
  Pyomo path (build="pyomo", the reference):
    P_e2e    as A_e2e with build="pyomo"
    P_bld    Pyomo model build (optimizer.core.model.build, numbers included)
    P_hand   PersistentLP (Pyomo's set_instance)
    P_slv    one cold solve through the adapter (Pyomo's solve() around HiGHS run())
    P_ext    reading primal values and duals back (optimizer.core.solver._extract)
  A/bare, P/bare  the median over rounds of each round's ratio e2e / bare (not a ratio of medians)
  A+t/b           the same for A_e2e + A_tab: a solve whose ledger and cost split are read
  A_MB, P_MB      peak Python allocations (tracemalloc; numpy arrays included, HiGHS's C++ memory not) of
                  inputs + assemble + hand-off, resp. build + hand-off, in a separate untimed pass
  rss_MB          the process's peak resident set (ru_maxrss) at the end of the case (grows monotonically)
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
from basins.network import spill_node
from optimizer.core import result as res
from optimizer.core.assemble import assemble
from optimizer.core.second_stage import run_highs
from optimizer.core.assemble_highs import ArrayLP, extract, highs_lp, new_highs
from optimizer.core.highs_adapter import PersistentLP
from optimizer.core.model import build, make_inputs
from optimizer.core.solver import _extract, horizon, inflow_series


def _fresh() -> highspy.Highs:
    h = new_highs()
    for k, v in (("random_seed", 0), ("threads", 1)):
        h.setOptionValue(k, v)
    return h


def _bare(a, mps: Path) -> dict:
    """readModel (MPS), passModel and run() alone, each on a fresh Highs."""
    h = _fresh()
    t0 = time.perf_counter()
    h.readModel(str(mps))
    read = time.perf_counter() - t0
    h = _fresh()
    lp = highs_lp(a)
    t0 = time.perf_counter()
    h.passModel(lp)
    t1 = time.perf_counter()
    # run(), and once more without presolve where HiGHS ends unsure (as the solve path does: second_stage.run_highs;
    # the 120-month Talas normal year needs it), so that "bare" is what HiGHS alone needs to prove the optimum
    run_highs(h)
    t2 = time.perf_counter()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return {"read": read, "pass": t1 - t0, "bare": t2 - t1}


def _inputs(basin, months: int, step: str):
    times = horizon("2025-01", months, step)
    return make_inputs(basin, times, inflow_series(basin, times, "normal", step), step=step)


def _arrays(basin, months: int, step: str) -> dict:
    t0 = time.perf_counter()
    inp = _inputs(basin, months, step)
    t1 = time.perf_counter()
    a = assemble(inp)
    t2 = time.perf_counter()
    lp = ArrayLP()
    lp.pass_model(a)
    t3 = time.perf_counter()
    lp.solve(None)
    t4 = time.perf_counter()
    sol = extract(lp, inp)
    t5 = time.perf_counter()
    ds = res.make_dataset(inp, sol, {r.node: spill_node(basin.spec, r.node) for r in basin.spec.reservoirs})
    res.ledger(ds, inp, sol.row_dual)
    res.cost_sharing(ds, inp)
    t6 = time.perf_counter()
    return {"A_inp": t1 - t0, "A_asm": t2 - t1, "A_hand": t3 - t2, "A_slv": t4 - t3, "A_ext": t5 - t4,
            "A_view": t6 - t5}


def _pyomo(inp) -> dict:
    t0 = time.perf_counter()
    m = build(inp)
    t1 = time.perf_counter()
    lp = PersistentLP(m)
    t2 = time.perf_counter()
    lp.solve(None)
    t3 = time.perf_counter()
    _extract(m, lp, inp)
    t4 = time.perf_counter()
    return {"P_bld": t1 - t0, "P_hand": t2 - t1, "P_slv": t3 - t2, "P_ext": t4 - t3}


def _e2e(basin, months: int, step: str, path: str) -> float:
    """End-to-end seconds of optimizer.solve on ``path``; NaN where that path cannot prove the optimum (the Pyomo
    reference on the 120-month Talas normal year, 2026-12: HiGHS ends Unknown there even without presolve)."""
    return _e2e_tables(basin, months, step, path)[0]


def _e2e_tables(basin, months: int, step: str, path: str) -> tuple[float, float]:
    """(end-to-end seconds of optimizer.solve, seconds of reading its ledger and cost split afterwards: they are
    made on first read, optimizer.core.result.Result); NaNs as :func:`_e2e`."""
    optimizer.clear_cache()
    t0 = time.perf_counter()
    try:
        r = optimizer.solve(basin, "normal", months=months, step=step, time_limit=None, build=path)
    except optimizer.SolveError:
        return float("nan"), float("nan")
    t1 = time.perf_counter()
    _ = (r.ledger, r.cost_sharing)  # (made on first read: timed here)
    return t1 - t0, time.perf_counter() - t1


def _peak_mb(fn) -> float:
    gc.collect()
    tracemalloc.start()
    keep = fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del keep
    return peak / 2**20


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--months", type=int, nargs="*", default=[12, 120, 600, 1200])
    ap.add_argument("--dekad-months", type=int, nargs="*", default=[12, 120])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--basins", nargs="+", default=["chu", "talas"])
    ap.add_argument("--no-pyomo", action="store_true", help="skip the Pyomo reference path")
    a = ap.parse_args(argv)
    med = statistics.median
    cols = ["bare", "read", "pass", "A_e2e", "A_tab", "A_inp", "A_asm", "A_hand", "A_slv", "A_ext", "A_view"]
    if not a.no_pyomo:
        cols += ["P_e2e", "P_bld", "P_hand", "P_slv", "P_ext"]
    ratios = ["A/bare", "A+t/b"] + ([] if a.no_pyomo else ["P/bare"])
    print(f"{'basin':6} {'step':5} {'months':>6} {'rows':>7} {'cols':>7} {'nnz':>8} "
          + " ".join(f"{c:>7}" for c in cols) + " " + " ".join(f"{c:>6}" for c in ratios)
          + f" {'A_MB':>7}" + ("" if a.no_pyomo else f" {'P_MB':>7}") + f" {'rss_MB':>7}")
    cases = [("month", m) for m in a.months] + [("dekad", m) for m in a.dekad_months]
    for name in a.basins:
        basin = basins.load(name)
        optimizer.solve(basin, months=1)  # warm imports
        optimizer.solve(basin, months=1, build="pyomo")
        for step, months in cases:
            inp = _inputs(basin, months, step)
            lp = assemble(inp)
            with tempfile.TemporaryDirectory() as d:
                mps = Path(d) / "lp.mps"
                h = _fresh()
                h.passModel(highs_lp(lp))
                h.writeModel(str(mps))
                rounds: dict[str, list[float]] = {c: [] for c in cols + ratios}
                for _ in range(a.repeat):
                    got = dict(zip(("A_e2e", "A_tab"), _e2e_tables(basin, months, step, "arrays")))
                    got |= _bare(lp, mps)
                    got |= _arrays(basin, months, step)
                    if not a.no_pyomo:
                        got["P_e2e"] = _e2e(basin, months, step, "pyomo")
                        try:
                            got |= _pyomo(inp)
                        except Exception:  # no optimum proven on the Pyomo reference (see _e2e)
                            got |= dict.fromkeys(("P_bld", "P_hand", "P_slv", "P_ext"), float("nan"))
                        got["P/bare"] = got["P_e2e"] / got["bare"]
                    got["A/bare"] = got["A_e2e"] / got["bare"]
                    got["A+t/b"] = (got["A_e2e"] + got["A_tab"]) / got["bare"]
                    for k in rounds:
                        rounds[k].append(got[k])
            case = (basin, months, step)
            a_mb = _peak_mb(lambda c=case: ArrayLP().pass_model(assemble(_inputs(*c))))
            p_mb = None if a.no_pyomo else _peak_mb(lambda c=case: PersistentLP(build(_inputs(*c))))
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"{name:6} {step:5} {months:6d} {lp.shape[0]:7d} {lp.shape[1]:7d} {lp.A.nnz:8d} "
                  + " ".join(f"{med(rounds[c]):7.3f}" for c in cols) + " "
                  + " ".join(f"{med(rounds[c]):6.2f}" for c in ratios) + f" {a_mb:7.1f}"
                  + ("" if p_mb is None else f" {p_mb:7.1f}") + f" {rss:7.0f}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
