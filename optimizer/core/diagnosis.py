"""What the infeasibility diagnosis says in words (:func:`optimizer.core.solver._diagnose` and the arrays path's
``solve_arrays.diagnose``): storage-account conflicts, and the physically infeasible case with HiGHS's irreducible
infeasible set named row by row."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from optimizer.core import accounts, timesteps
from optimizer.core.errors import PhysicallyInfeasible
from optimizer.core.highs_adapter import iis
from optimizer.core.model import Inputs


def account_conflicts(inp: Inputs, over: np.ndarray, rel: np.ndarray) -> list[dict]:
    """Diagnosis rows for the storage accounts overdrawn in the elastic re-solve (``over``, ``rel``: the
    overdraft and the release made for each account (accounts.keys order) × step [hm³]): an account floor
    (balance ≥ 0) is an agreement clause, so its conflict is reported with the hard rules."""
    out = []
    for i, (r, p) in enumerate(accounts.keys(inp.basin.spec)):
        steps = np.flatnonzero(over[i] > 1e-6)
        if not len(steps):
            continue
        first, last = (timesteps.step_label(inp.times[int(t)], inp.step) for t in (steps[0], steps[-1]))
        out.append({"rule": f"storage account of {p} in {r} not overdrawn (the water released and evaporated "
                            f"for {p} at most what it owns)", "kind": "account", "party": p, "reservoir": r,
                    # (a range in no language: "2025-07–2025-08")
                    "period": first if first == last else f"{first}–{last}",
                    "required_hm3": float(rel[i, steps[0]:steps[-1] + 1].sum()),
                    "shortfall_hm3": float(over[i].sum())})
    return out


def physically_infeasible(m: pyo.ConcreteModel, inp: Inputs, time_limit) -> PhysicallyInfeasible:
    """The error for an LP infeasible even when relaxed, naming HiGHS's irreducible infeasible set of ``m``."""
    found = iis(m, time_limit)
    where = "" if found is None else " HiGHS's irreducible infeasible set: " + "; ".join(_iis_words(m, inp, *found)) + "."
    return PhysicallyInfeasible(
        "No allocation meets the physical limits even with every agreement rule and the end-of-horizon "
        "storage relaxed: check that reservoirs can hold their dead storage against evaporation and that "
        "inflows are not negative." + where)


_ROW_WORDS = {"balance": "water balance at {0}", "min_flow": "minimum flow on {0}", "end_storage": "end storage of {0}",
              "acc_balance": "storage account of {0}", "acc_release": "release split into the accounts of {0}",
              "acc_reach": "release for the account {0} on its links", "acc_evap_cap": "evaporation relief of {0}"}
_VAR_WORDS = {"x": "flow limits of {0}", "s": "storage limits of {0} (dead storage to capacity)", "q": "delivery to {0}",
              "spill": "spill of {0} (not negative)", "out": "outflow at {0}", "g": "groundwater storage of {0}",
              "env": "minimum-flow shortfall on {0}", "excess": "slack of {0}", "end_short": "end-storage slack of {0}",
              "acc": "storage account balance of {0} (not negative)", "acc_rel": "release for the account {0}",
              "acc_unpaid": "evaporation relief of the account {0}", "acc_over": "overdraft of the account {0}"}


def _iis_words(m, inp: Inputs, rows: list, cols: list) -> list[str]:
    """HiGHS's IIS in words: "water balance at Toktogul (R) in 2025-03", "storage limits of ... in 2025-03"."""
    names = {n.id: f"{n.name} ({n.id})" for n in inp.basin.spec.nodes} | {lk.id: f"link {lk.id}"
                                                                          for lk in inp.basin.spec.links}

    def say(table, comp) -> str:
        name, idx = comp.parent_component().local_name, comp.index()
        idx = idx if isinstance(idx, tuple) else (idx,)
        month = f" in {inp.times[idx[-1]]:%Y-%m}" if len(idx) == 2 and isinstance(idx[-1], int) else ""
        if name == "agreement" and idx[0] in m.rows:
            row = m.rows[idx[0]]
            return f"agreement rule {row.rule} ({row.party}, {row.period.label})"
        what = ", ".join(names.get(str(k), str(k)) for k in (idx[:-1] if month else idx))
        return table.get(name, name + " {0}").format(what) + month

    return [say(_ROW_WORDS, c) for c in rows] + [say(_VAR_WORDS, v) for v in cols]
