"""Flow-dependent link losses (issue 13 item 2): a link's ``loss_table`` read at the natural flow.

A bed loss whose fraction falls with the flow (the bed takes most of a small release, a smaller share of a large
one) is concave in the flow and cannot be an exact LP constraint: the LP would route around it. So the fraction
of such a link in step t is fixed *before* the LP: it is read off the link's table (flow [m³/s] → loss fraction,
piecewise linear, clamped at the table's ends) at the natural flow reaching the link in step t — the sum of the
natural inflows Q of every inflow node upstream of the link's source (reservoirs included: their inflow, not
their release), converted from hm³ per step with the step's real length. The LP stays linear and the result
deterministic; the approximation is that the fraction follows the natural flow, not the flow the LP routes.
Links without a table keep their constant ``loss_fraction``.
"""
from __future__ import annotations

import numpy as np

SECONDS_PER_DAY = 86400.0


def table_fraction(table, flow_m3s: np.ndarray) -> np.ndarray:
    """The loss fraction [-] read off ``table`` (rows [flow m³/s, fraction]) at ``flow_m3s``, linear between rows."""
    q = np.array([row[0] for row in table], dtype=float)
    f = np.array([row[1] for row in table], dtype=float)
    return np.interp(np.asarray(flow_m3s, dtype=float), q, f)


def upstream_inflows(spec, node: str) -> list[str]:
    """The inflow nodes upstream of ``node`` (itself included) along the links."""
    into: dict[str, list[str]] = {}
    for lk in spec.links:
        into.setdefault(lk.target, []).append(lk.source)
    seen, todo = {node}, [node]
    while todo:
        for up in into.get(todo.pop(), []):
            if up not in seen:
                seen.add(up)
                todo.append(up)
    kinds = {n.id: n.kind for n in spec.nodes}
    return [n for n in sorted(seen) if kinds.get(n) == "inflow"]


def natural_flow_m3s(spec, link, inflow_hm3, step_days: np.ndarray) -> np.ndarray:
    """The natural flow reaching ``link`` in each step [m³/s]: Σ upstream inflow [hm³/step] / step seconds."""
    cols = [n for n in upstream_inflows(spec, link.source) if n in inflow_hm3.columns]
    hm3 = inflow_hm3[cols].to_numpy().sum(axis=1) if cols else np.zeros(len(step_days))
    return hm3 * 1e6 / (np.asarray(step_days, dtype=float) * SECONDS_PER_DAY)


def loss_matrix(inp) -> np.ndarray:
    """(step × link) loss fraction [-]: ``loss_fraction``, or the ``loss_table`` at the natural flow."""
    spec = inp.basin.spec
    out = np.empty((inp.T, len(spec.links)))
    for j, lk in enumerate(spec.links):
        if lk.loss_table:
            out[:, j] = table_fraction(lk.loss_table, natural_flow_m3s(spec, lk, inp.inflow, inp.step_days))
        else:
            out[:, j] = lk.loss_fraction
    return out
