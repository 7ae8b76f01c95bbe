"""The agreement as rows of the LP: share rules, seasonal quotas and storage splits.

Each party of a share rule or storage split has a role (``roles`` in the basin file): an **entitlement**
is a floor on what the party receives at its accounting posts, a **ceiling** a cap on the party's use
(its withdrawals at canal heads), **reported** information only. Every entitlement, ceiling and quota
becomes one row per period::

    entitlement, quota:  received(p, g) + excess(row)  >=  (1 - tolerance) * requirement(row)
    ceiling:             received(p, g) - excess(row)  <=  (1 + tolerance) * requirement(row)

where ``received`` sums the party's count over the months of period ``g`` [hm³]: the flow of its links
(entering the link, before conveyance loss, where the receipt is ``counted: gross``; arriving at its end
where ``net``) plus natural inflow at its inflow nodes, less the return flow of the demands in
``less_returns_of`` (water given back to the river is counted once, where the other party receives it),
and ``requirement`` is

* share rule:     share_p × Σ_g natural inflow of the resource nodes
* quota:          volume_hm3 × scale        (scale 1 for a complete period)
* storage split:  share_p × Σ_g (release of the reservoir by all its links + spill)

``excess`` ≥ 0 is fixed to 0 for a hard rule, and costs ``penalty`` per hm³
for a soft one (tolerance then lets that fraction of the requirement go
unpenalised). Quotas only bind over complete periods; share rules and storage
splits apply to partial periods in proportion to what the horizon holds.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from basins import Basin
from basins.schema import Country, Receipt

from optimizer.core.timesteps import infer_step, month_fraction, step_days

#: a party id read as a str (a rule's ``enforced``, ``party_roles``) → the schema's ``Country`` (KeyError if unknown)
PARTY: dict[str, Country] = {"KG": "KG", "KZ": "KZ"}

SEASON_MONTHS = {"apr-sep": (4, 5, 6, 7, 8, 9), "oct-mar": (10, 11, 12, 1, 2, 3)}
#: the Commission's names of the seasons (the vegetation and non-vegetation periods)
ALIASES = {"vegetation": "apr-sep", "non-vegetation": "oct-mar"}


def canonical(kind: str) -> str:
    return ALIASES.get(kind, kind)


@dataclass(frozen=True)
class Period:
    label: str
    steps: tuple[int, ...]  # indices into the horizon's months
    complete: bool

    @property
    def name(self) -> str:
        """The period in the Commission's words, e.g. "2025/26 hydrological year (Oct–Sep)"."""
        lab = self.label
        if lab.endswith(" hydro-year"):
            return lab.replace(" hydro-year", " hydrological year (Oct–Sep)")
        if lab.endswith(" Apr-Sep"):
            return lab.replace(" Apr-Sep", " vegetation period (Apr–Sep)")
        if lab.endswith(" Oct-Mar"):
            return lab.replace(" Oct-Mar", " non-vegetation period (Oct–Mar)")
        if lab.isdigit():
            return f"{lab} calendar year"
        return lab


def period_name(label: str) -> str:
    """:attr:`Period.name` of a ledger label."""
    return Period(label, (), True).name


def _period_days(kind: str, label_start: pd.Timestamp) -> int:
    """Calendar days of the period of ``kind`` that starts at ``label_start``."""
    end = {"month": pd.DateOffset(months=1), "year": pd.DateOffset(years=1), "hydro-year": pd.DateOffset(years=1),
           "apr-sep": pd.DateOffset(months=6), "oct-mar": pd.DateOffset(months=6)}[kind]
    return ((label_start + end) - label_start).days


def periods(kind: str, times: pd.DatetimeIndex, step: str | None = None) -> list[Period]:
    """Group the horizon's steps into the periods of a rule (``hydro-year`` Oct–Sep, calendar ``year``,
    ``apr-sep`` = ``vegetation``, ``oct-mar`` = ``non-vegetation``, ``month``).

    A period is complete when its steps cover every day of it (whatever the step: months, dekads or days)."""
    kind = canonical(kind)
    step = step or infer_step(times)
    return list(_periods(kind, pd.DatetimeIndex(times).values.astype("datetime64[ns]").tobytes(), step))


@functools.lru_cache(maxsize=256)
def _periods(kind: str, starts_ns: bytes, step: str) -> tuple[Period, ...]:
    """:func:`periods` of the step starts given as int64 nanoseconds (a pure function of them, kept: Periods
    are frozen)."""
    times = pd.DatetimeIndex(np.frombuffer(starts_ns, dtype="datetime64[ns]"))
    lengths = step_days(times, step)
    groups: dict[str, list[int]] = {}
    starts: dict[str, pd.Timestamp] = {}
    for i, ts in enumerate(times):
        y, m = ts.year, ts.month
        if kind == "month":
            label, first = f"{y}-{m:02d}", pd.Timestamp(y, m, 1)
        elif kind == "year":
            label, first = f"{y}", pd.Timestamp(y, 1, 1)
        elif kind == "hydro-year":
            y0 = y if m >= 10 else y - 1
            label, first = f"{y0}/{(y0 + 1) % 100:02d} hydro-year", pd.Timestamp(y0, 10, 1)
        elif kind == "apr-sep":
            if m not in SEASON_MONTHS["apr-sep"]:
                continue
            label, first = f"{y} Apr-Sep", pd.Timestamp(y, 4, 1)
        elif kind == "oct-mar":
            if m not in SEASON_MONTHS["oct-mar"]:
                continue
            y0 = y if m >= 10 else y - 1
            label, first = f"{y0}/{(y0 + 1) % 100:02d} Oct-Mar", pd.Timestamp(y0, 10, 1)
        else:
            raise ValueError(f"unknown period {kind!r}")
        groups.setdefault(label, []).append(i)
        starts[label] = first
    return tuple(Period(label, tuple(steps), abs(float(lengths[list(steps)].sum()) - _period_days(kind, starts[label])) < 1e-9)
                 for label, steps in groups.items())


@dataclass
class Row:
    """One agreement row of the LP (one rule × party × period)."""

    rule: str
    kind: str  # share | quota | split
    party: str
    period: Period
    receipts: Receipt
    mode: str
    tolerance: float
    penalty: float
    share: float = 0.0  # share rules and splits
    volume_hm3: float = 0.0  # quotas
    scale: float = 1.0  # quotas: fraction of the volume due in this row (myopic months)
    resource_inflows: list[str] = field(default_factory=list)  # share rules
    reservoir: str = ""  # splits
    applies: bool = True  # False: reported only (e.g. a quota over a partial period)
    role: str = "entitlement"  # entitlement (floor) | ceiling (cap on use) | reported

    @property
    def ceiling(self) -> bool:
        return self.role == "ceiling"

    @property
    def key(self) -> str:
        return f"{self.rule}|{self.party}|{self.period.label}"


def rows(basin: Basin, times: pd.DatetimeIndex, monthly: bool = False, step: str | None = None) -> list[Row]:
    """All agreement rows for a horizon.

    ``monthly=True`` is the myopic operator's one-month model (``times`` holds one month): every rule
    holds within the month, a quota is due in equal parts over its season's months, and rows outside
    their season are switched off (kept, so that one model serves every month)."""
    ag = basin.spec.agreement
    out: list[Row] = []
    if monthly:
        month = times[0].month
        one = [Period("month", (0,), True)]

        def in_season(kind: str) -> bool:
            kind = canonical(kind)
            return kind not in SEASON_MONTHS or month in SEASON_MONTHS[kind]

    def groups(kind: str) -> list[Period]:
        return one if monthly else periods(kind, times, step)

    for r in ag.share_rules:
        for p in map(PARTY.__getitem__, r.enforced):
            for g in groups(r.period):
                out.append(Row(r.id, "share", p, g, r.receipts[p], r.mode, r.tolerance, r.penalty,
                               share=r.shares[p], resource_inflows=list(r.resource_inflows),
                               applies=in_season(r.period) if monthly else True, role=r.party_roles[p]))
    for q in ag.quotas:
        for g in groups(q.period):
            if monthly:
                n = len(SEASON_MONTHS.get(canonical(q.period), ())) or (12 if q.period in ("year", "hydro-year") else 1)
                # the step's share of its month, spread over the n months of the quota's period
                frac = float(month_fraction(times, step or infer_step(times))[0])
                scale, applies = frac / n, in_season(q.period)
            else:
                scale, applies = 1.0, g.complete
            out.append(Row(q.id, "quota", q.party, g, q.receipts, q.mode, q.tolerance, q.penalty,
                           volume_hm3=q.volume_hm3, scale=scale, applies=applies))
    for s in ag.storage_splits:
        for p in map(PARTY.__getitem__, s.enforced):
            for g in groups(s.period):
                out.append(Row(s.id, "split", p, g, s.receipts[p], s.mode, s.tolerance, s.penalty,
                               share=s.shares[p], reservoir=s.reservoir,
                               applies=in_season(s.period) if monthly else True, role=s.party_roles[p]))
    return out


def ledger_rows(basin: Basin, times: pd.DatetimeIndex) -> list[Row]:
    """The rows the compliance ledger reports: every party of every rule over the full-horizon periods
    (enforced parties and those only reported)."""
    ag = basin.spec.agreement
    out: list[Row] = []
    for r in ag.share_rules:
        for p, role in ((PARTY[k], v) for k, v in r.party_roles.items()):
            for g in periods(r.period, times):
                out.append(Row(r.id, "share", p, g, r.receipts[p], r.mode if role != "reported" else "reported",
                               r.tolerance, r.penalty, share=r.shares[p], resource_inflows=list(r.resource_inflows),
                               role=role))
    for q in ag.quotas:
        for g in periods(q.period, times):
            out.append(Row(q.id, "quota", q.party, g, q.receipts, q.mode, q.tolerance, q.penalty,
                           volume_hm3=q.volume_hm3, applies=g.complete))
    for s in ag.storage_splits:
        for p, role in ((PARTY[k], v) for k, v in s.party_roles.items()):
            for g in periods(s.period, times):
                out.append(Row(s.id, "split", p, g, s.receipts[p], s.mode if role != "reported" else "reported",
                               s.tolerance, s.penalty, share=s.shares[p], reservoir=s.reservoir, role=role))
    return out


def rule_names(basin) -> dict[str, dict[str, str]]:
    """rule id → its names per language ({} when the basin file gives none: readers see the id)."""
    a = basin.spec.agreement
    return {r.id: dict(r.name) for r in [*a.share_rules, *a.quotas, *a.storage_splits, *a.storage_accounts]
            if getattr(r, "name", None)}
