"""Probe for issue 15.1 (not a product path): can HiGHS solve the second stage "cost <= z* + tol, minimise
sum of squared variable values" on the allocation LP?

    python benchmarks/probe_second_stage.py --months 12 120 --rel 1e-9 1e-8 1e-7

The LP is taken from Pyomo's public LinearStandardFormCompiler (mixed form), solved with highspy, then the
QP (same rows + the cost row, Hessian 2I, no linear cost) is passed to a fresh highspy.Highs. For each
tolerance tol = max(1e-7, rel * |z*|) it prints HiGHS's status, the time, the cost the QP point spends above
z* and the largest change of any variable against the LP vertex [hm3].
"""

from __future__ import annotations

import argparse
import time

import highspy
import numpy as np
import scipy.sparse as sp

import basins
from optimizer.core.highs_adapter import standard_form
from optimizer.core.model import build, make_inputs
from optimizer.core.solver import horizon, inflow_series


def _highs(A, rl, ru, lo, hi, c, hessian=None):
    A = sp.csc_matrix(A)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = A.shape[1], A.shape[0]
    lp.col_cost_, lp.col_lower_, lp.col_upper_, lp.row_lower_, lp.row_upper_ = c, lo, hi, rl, ru
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = A.indptr, A.indices, A.data
    model = highspy.HighsModel()
    model.lp_ = lp
    if hessian is not None:
        n = A.shape[1]
        h = highspy.HighsHessian()
        h.dim_, h.format_ = n, highspy.HessianFormat.kTriangular
        h.start_, h.index_, h.value_ = np.arange(n + 1, dtype=np.int32), np.arange(n, dtype=np.int32), np.full(n, hessian)
        model.hessian_ = h
    hs = highspy.Highs()
    hs.setOptionValue("output_flag", False)
    hs.passModel(model)
    t0 = time.perf_counter()
    hs.run()
    return hs, time.perf_counter() - t0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--basin", default="chu")
    ap.add_argument("--months", type=int, nargs="+", default=[12, 120])
    ap.add_argument("--rel", type=float, nargs="+", default=[1e-9, 1e-8, 1e-7, 1e-6])
    a = ap.parse_args(argv)
    b = basins.load(a.basin)
    for months in a.months:
        times = horizon("2025-01", months)
        info, A, rl, ru, lo, hi = standard_form(build(make_inputs(b, times, inflow_series(b, times, "normal"))))
        n = A.shape[1]
        c = info.c.toarray().ravel()
        h, t = _highs(A, rl, ru, lo, hi, c)
        z, x = h.getInfo().objective_function_value, np.array(h.getSolution().col_value)
        print(f"{a.basin} {months} months: LP {A.shape[0]} rows x {n} cols, z* = {z + info.c_offset[0]:.6f}, {t:.3f} s")
        fixed = lo == hi
        cc = np.where(fixed, 0.0, c)
        nz = np.nonzero(cc)[0]
        A2 = sp.vstack([A, sp.csr_matrix((cc[nz], (np.zeros(len(nz), int), nz)), shape=(1, n))])
        z_free = z - float(c[fixed] @ lo[fixed])
        for rel in a.rel:
            tol = max(1e-7, rel * abs(z))
            q, t = _highs(A2, np.append(rl, -np.inf), np.append(ru, z_free + tol), lo, hi, np.zeros(n), 2.0)
            ok = q.getModelStatus() == highspy.HighsModelStatus.kOptimal
            x2 = np.array(q.getSolution().col_value) if ok else None
            extra = f"cost above z* {float(c @ x2) - z:.3g}, largest change {np.abs(x2 - x).max():.3g} hm3" if ok else ""
            print(f"  rel {rel:g} (tol {tol:.3g}): {q.getModelStatus().name} in {t:.3f} s {extra}", flush=True)


if __name__ == "__main__":
    main()
