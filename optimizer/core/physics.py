"""The LP's fixed coefficients (link losses, seepage shares, return fractions, evaporation depths, area–storage
lines, aquifer recessions), computed once per solve as arrays.

They are matrix coefficients, not right-hand sides: a change of any of them rebuilds the kept model
(:func:`optimizer.core.solver.structure_key` hashes :func:`key`), while inflows, demands, capacities and rule
volumes are pushed as numbers. :func:`physics_arrays` is what the assembled LP reads
(:mod:`optimizer.core.assemble`); :func:`physics` is the same numbers keyed by (element, step) for the Pyomo
reference model (:func:`optimizer.core.model.build`), so both paths use identical floats.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

import numpy as np

from optimizer.core import bed_loss
from optimizer.core.timesteps import month_fraction

if TYPE_CHECKING:
    from optimizer.core.model import Inputs


def physics_arrays(inp: "Inputs") -> dict:
    """The fixed coefficients of ``inp``: ``loss`` (step × link) [-]; ``evap`` and ``recession`` reservoir or
    aquifer → (step,) arrays (evaporation depth × 1e-3 [hm³ per km²]; a linear store's recession per step,
    1 − (1 − k)^(share of the month the step covers), k per month); the others element → number."""
    spec = inp.basin.spec
    frac = month_fraction(inp.times, inp.step)
    return {
        # per link and step: loss_fraction, or the loss_table at the natural flow (bed_loss.py, fixed before the LP)
        "loss": bed_loss.loss_matrix(inp),
        "seep": {lk.id: lk.seepage_fraction if lk.loss_to else 0.0 for lk in spec.links},
        "rf": {d.node: d.return_fraction for d in spec.demands},
        "evap": {r.node: inp.evaporation_mm[r.node].to_numpy(dtype=float) * 1e-3 for r in spec.reservoirs},
        "smin": {r.node: r.dead_storage_hm3 for r in spec.reservoirs},
        "a_dead": {r.node: r.area_km2_at_dead for r in spec.reservoirs},
        "a_slope": {r.node: (r.area_km2_at_full - r.area_km2_at_dead) / max(r.capacity_hm3 - r.dead_storage_hm3, 1e-9)
                    for r in spec.reservoirs},
        "recession": {a.node: 1.0 - (1.0 - a.recession_per_month) ** frac for a in spec.aquifers},
    }


def physics(inp: "Inputs") -> dict:
    """:func:`physics_arrays` keyed as the Pyomo model's Params: (link, step), (reservoir, step), (aquifer, step)."""
    ph = physics_arrays(inp)
    links = [lk.id for lk in inp.basin.spec.links]
    return {
        **ph,
        "loss": {(lid, t): float(v) for j, lid in enumerate(links) for t, v in enumerate(ph["loss"][:, j])},
        "evap": {(r, t): float(v) for r, a in ph["evap"].items() for t, v in enumerate(a)},
        "recession": {(q, t): float(v) for q, a in ph["recession"].items() for t, v in enumerate(a)},
    }


def key(inp: "Inputs") -> str:
    """A hash of every fixed coefficient (exact: the arrays' bytes), for the kept model's structure key."""
    ph = physics_arrays(inp)
    h = hashlib.sha256(json.dumps({k: ph[k] for k in ("seep", "rf", "smin", "a_dead", "a_slope")},
                                  sort_keys=True).encode())
    h.update(np.ascontiguousarray(ph["loss"], dtype="<f8").tobytes())
    for name in ("evap", "recession"):
        for k in sorted(ph[name]):
            h.update(k.encode())
            h.update(np.ascontiguousarray(ph[name][k], dtype="<f8").tobytes())
    return h.hexdigest()
