"""Typed solve errors with plain-language messages (the CLI exits 2 on each)."""

from __future__ import annotations

import pandas as pd


class SolveError(RuntimeError):
    """The LP did not give an optimal allocation."""


#: the columns of an infeasible agreement's conflicts table; ``reservoir`` names the reservoir of an end-storage or
#: storage-account row ("" for a basin-file rule), so that a reader's words need not be parsed out of ``rule``
CONFLICT_COLUMNS = ["rule", "kind", "party", "reservoir", "period", "required_hm3", "shortfall_hm3"]


class InfeasibleAgreement(SolveError):
    """Hard rules cannot all hold. ``conflicts`` lists each rule row that had to give way and by how much
    (hm³), as found by an elastic re-solve in which every hard row may fall short at a high cost."""

    def __init__(self, conflicts: pd.DataFrame, note: str = "", names: dict | None = None):
        """``names``: rule id → {language: name} (optimizer.core.agreement.rule_names): a rule with an English name is
        written by it, its id after it."""
        self.conflicts = conflicts
        lines = ["The hard rules cannot all hold with this water. In the closest feasible allocation these fall short:"]
        for c in conflicts.itertuples():
            en = ((names or {}).get(c.rule) or {}).get("en")
            rule = f"{en} ({c.rule})" if en else c.rule
            lines.append(f"  - {rule} ({c.kind}, {c.party}, {c.period}): short by {c.shortfall_hm3:,.1f} hm3 "
                         f"of {c.required_hm3:,.1f} hm3 required")
        lines.append("Make one of them soft, lower it, or check the inflows." + (f" {note}" if note else ""))
        super().__init__("\n".join(lines))


class PhysicallyInfeasible(SolveError):
    """Even with every agreement rule relaxed, the physical limits cannot be met."""


class SolverLimit(SolveError):
    """HiGHS stopped at a time or iteration limit before proving optimality."""


class SolverFailure(SolveError):
    """HiGHS reported unbounded, numerical trouble or an error."""
