"""Scenario edits of the app, their validation and the problems located in the app's tables.

No Streamlit here: plain data (Basin, pandas). Edits never touch a Basin directly. They are kept as tables
(:class:`Edits`, model units: hm³ per month for series); :func:`validate_edits` writes the edited basin as YAML
text and re-reads it with :func:`basins.loads`, so an edited scenario passes the same checks, with the same located
messages, as a basin file.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr
import yaml

import basins
from basins import Basin, BasinError, Problem
from basins.schema import SERIES_MAX

from optimizer.interfaces import ui_text
from optimizer.interfaces.ui_text import month_abbr, t

EDITS_FILE = "<edits>"
RESERVOIR_FIELDS = ["capacity_hm3", "dead_storage_hm3", "initial_storage_hm3"]


# ---- scenario edits ------------------------------------------------------------------------------
@dataclass
class Edits:
    """The editable values of one basin, in model units (hm³/month for series)."""

    inflow: dict[str, pd.DataFrame]  # year type -> (month 1-12) x inflow node
    demand: pd.DataFrame  # (month 1-12) x demand node
    reservoirs: pd.DataFrame  # index reservoir node; name + RESERVOIR_FIELDS
    canals: pd.DataFrame  # index link id; from, to, capacity, unit (links with a capacity)
    rules: dict[str, dict] = field(default_factory=dict)  # rule id -> {kind, mode, shares | volume_hm3}
    priorities: dict[str, int] = field(default_factory=dict)  # demand node -> priority

    def copy(self) -> "Edits":
        return Edits({k: v.copy() for k, v in self.inflow.items()}, self.demand.copy(), self.reservoirs.copy(),
                     self.canals.copy(), json.loads(json.dumps(self.rules)), dict(self.priorities))


def _month_table(da) -> pd.DataFrame:
    df = da.transpose("month", "node").to_pandas().astype(float)
    df.index = [int(m) for m in df.index]
    df.columns = [str(c) for c in df.columns]
    return df.sort_index()


def edits_from_basin(b: Basin) -> Edits:
    """The basin's own values as an :class:`Edits` (the 'defaults' of the app)."""
    spec = b.spec
    names = {n.id: ui_text.node_name(n) for n in spec.nodes}
    inflow = {yt: _month_table(b.inflow.sel(year_type=yt)) for yt in b.year_types}
    res = pd.DataFrame([{"node": r.node, "name": names.get(r.node, r.node),
                         **{f: float(getattr(r, f)) for f in RESERVOIR_FIELDS}} for r in spec.reservoirs],
                       columns=["node", "name", *RESERVOIR_FIELDS]).set_index("node")
    canals = pd.DataFrame([{"link": lk.id, "from": lk.source, "to": lk.target, "capacity": float(lk.capacity),
                            "unit": lk.capacity_unit} for lk in spec.links if lk.capacity is not None],
                          columns=["link", "from", "to", "capacity", "unit"]).set_index("link")
    rules: dict[str, dict] = {}
    for r in spec.agreement.share_rules:
        rules[r.id] = {"kind": "share", "mode": r.mode, "shares": {p: float(v) for p, v in r.shares.items()}}
    for q in spec.agreement.quotas:
        rules[q.id] = {"kind": "quota", "mode": q.mode, "volume_hm3": float(q.volume_hm3)}
    for s in spec.agreement.storage_splits:
        rules[s.id] = {"kind": "split", "mode": s.mode, "shares": {p: float(v) for p, v in s.shares.items()}}
    return Edits(inflow, _month_table(b.demand), res, canals, rules, {d.node: int(d.priority) for d in spec.demands})


def edits_hash(e: Edits) -> str:
    """A fingerprint of every edited value (NaN included), to cache validation per session."""
    h = hashlib.sha256()
    frames = [("inflow:" + k, v) for k, v in sorted(e.inflow.items())] + [("demand", e.demand)]
    frames += [("res", e.reservoirs[RESERVOIR_FIELDS]), ("canals", e.canals[["capacity"]])]
    for name, df in frames:
        h.update(name.encode())
        h.update(json.dumps([list(map(str, df.index)), list(map(str, df.columns))]).encode())
        h.update(np.ascontiguousarray(df.to_numpy(dtype="<f8")).tobytes())
    h.update(json.dumps([e.rules, e.priorities], sort_keys=True, default=str).encode())
    return h.hexdigest()


def count_changes(e: Edits, defaults: Edits, only: str | None = None) -> dict[str, int]:
    """How many values of each table differ from the defaults (NaN counts as a change); ``only``: just that
    table's count (``inflow:<year type>``, ``demand``, ``reservoirs`` or ``canals``: each caption of the Inputs
    tab needs one, and the app re-runs them on every edit)."""
    def diff(a: pd.DataFrame, b: pd.DataFrame) -> int:
        if not (a.index.equals(b.index) and a.columns.equals(b.columns)):
            b = b.reindex(index=a.index, columns=a.columns)
        x, y = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
        same = (x == y) | (np.isnan(x) & np.isnan(y))
        return int((~same).sum())

    tables = {"inflow:" + yt: (lambda df=df, yt=yt: diff(df, defaults.inflow[yt])) for yt, df in e.inflow.items()} | {
        "demand": lambda: diff(e.demand, defaults.demand),
        "reservoirs": lambda: diff(e.reservoirs[RESERVOIR_FIELDS], defaults.reservoirs[RESERVOIR_FIELDS]),
        "canals": lambda: diff(e.canals[["capacity"]], defaults.canals[["capacity"]]),
    }
    return {k: f() for k, f in tables.items() if only is None or k == only}


def _num(v) -> float:
    """A plain float for YAML (numpy floats are not safe-dumpable); None and NaN become NaN."""
    if v is None:
        return math.nan
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def _table_to(da: xr.DataArray, df: pd.DataFrame) -> np.ndarray:
    """A (month × node) table as the values of ``da`` (same dims order, same coordinates)."""
    months, nodes = [int(m) for m in da["month"].values], [str(n) for n in da["node"].values]
    arr = df.reindex(index=months, columns=nodes).to_numpy(dtype=float)
    return xr.DataArray(arr, dims=("month", "node")).transpose(*da.dims).values


def _with_series(base: Basin, e: Edits) -> Basin:
    """A copy of ``base`` carrying the edited series (unchecked: NaN and negatives pass through)."""
    b = base.copy()
    for yt, df in e.inflow.items():
        b.inflow.loc[{"year_type": yt}] = _table_to(b.inflow.sel(year_type=yt), df)
    b.demand.values[...] = _table_to(b.demand, e.demand)
    return b


def scenario_text(base: Basin, e: Edits) -> str:
    """The edited basin as one YAML text with inline series (not yet validated)."""
    raw = yaml.safe_load(basins.dumps(_with_series(base, e), inline=True))
    for r in raw.get("reservoirs", []):
        if r["node"] in e.reservoirs.index:
            for f in RESERVOIR_FIELDS:
                r[f] = _num(e.reservoirs.at[r["node"], f])
    for lk in raw.get("links", []):
        if lk["id"] in e.canals.index:
            lk["capacity"] = _num(e.canals.at[lk["id"], "capacity"])
    ag = raw.get("agreement", {})
    for group in ("share_rules", "quotas", "storage_splits"):
        for rule in ag.get(group, []):
            ed = e.rules.get(rule["id"])
            if not ed:
                continue
            rule["mode"] = ed["mode"]
            if "shares" in ed:
                rule["shares"] = {p: _num(v) for p, v in ed["shares"].items()}
            if "volume_hm3" in ed:
                rule["volume_hm3"] = _num(ed["volume_hm3"])
    for d in raw.get("demands", []):
        if d["node"] in e.priorities:
            d["priority"] = int(e.priorities[d["node"]])
    head = f"# Scenario of {base.name} edited in the Chu-Talas app; schema: basins/schema.py. Volumes in hm3.\n"
    return head + yaml.safe_dump(raw, sort_keys=False, allow_unicode=True, width=120)


def validate_edits(base: Basin, e: Edits) -> tuple[Basin | None, list[Problem]]:
    """The edited basin, validated by :func:`basins.loads`; or None and every located problem (the
    loader reports the series' problems together with any schema error)."""
    try:
        return basins.loads(scenario_text(base, e), file=EDITS_FILE), []
    except BasinError as exc:
        return None, list(exc.problems)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> np.ndarray:
    """Cell by cell: equal, or both NaN (``b`` aligned on ``a``'s labels)."""
    x, y = a.to_numpy(dtype=float), b.reindex(index=a.index, columns=a.columns).to_numpy(dtype=float)
    return (x == y) | (np.isnan(x) & np.isnan(y))


def revalidate_series(checked: Basin, before: Edits, e: Edits) -> tuple[Basin, list[Problem]] | None:
    """The fast path of an edit (issue 15): when ``e`` differs from ``before`` (the edits that gave the valid basin
    ``checked``) only in inflow or demand values, check only the changed cells — the same test the loader applies
    to a series value (a finite number, >= 0, at most SERIES_MAX) — and return ``checked`` with the new series.
    None when anything else changed or a changed cell fails: then :func:`validate_edits` checks the whole basin
    and words the problems exactly as for a basin file."""
    if set(e.inflow) != set(before.inflow) or e.rules != before.rules or e.priorities != before.priorities:
        return None
    if not (_same(e.reservoirs[RESERVOIR_FIELDS], before.reservoirs[RESERVOIR_FIELDS]).all()
            and _same(e.canals[["capacity"]], before.canals[["capacity"]]).all()):
        return None
    changed = {("inflow", yt): df for yt, df in e.inflow.items() if not _same(df, before.inflow[yt]).all()}
    if not _same(e.demand, before.demand).all():
        changed[("demand", "")] = e.demand
    for (kind, _), df in changed.items():
        if df.shape != (12, len(df.columns)) or list(df.index) != list(range(1, 13)):
            return None
        v = df.to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            if not (np.isfinite(v) & (v >= 0) & (v <= SERIES_MAX[kind])).all():
                return None
    b = checked.copy()
    for (kind, yt), df in changed.items():
        if kind == "inflow":
            b.inflow.loc[{"year_type": yt}] = _table_to(b.inflow.sel(year_type=yt), df)
        else:
            b.demand.values[...] = _table_to(b.demand, df)
    # the series live in the arrays only (no file, no stale inline text): basins.dumps writes them from the arrays,
    # and neither the model nor sha256() reads these two fields
    b.spec = b.spec.model_copy(update={"series_files": None, "series_inline": None})
    b.path = None
    return b, []


# ---- problems located in the app's tables ---------------------------------------------------------
@dataclass(frozen=True)
class Located:
    table: str  # inflow | demand | reservoirs | canals | agreement | other
    text: str  # what the user reads next to the table
    year_type: str = ""  # inflow problems: the year type of the cell
    row: str = ""
    column: str = ""


_SERIES_KEY = re.compile(r"(?:year_type=(?P<yt>[^,]+), )?month=(?P<m>\d+), node=(?P<node>[A-Za-z0-9_]+)")
_ENTRY_ID = re.compile(r"^(?P<group>[a-z_ ]+?)(?:\[\d+\])? \(?'(?P<id>[^']+)'\)?")


def locate(p: Problem, names: dict[str, str] | None = None) -> Located:
    """Which table and cell a problem of an edited scenario is about, in the app's words; ``names``: node and link
    id → the name its table shows (the rows and columns are named, not numbered by id: :func:`display_names`).
    ``row`` and ``column`` keep the ids."""
    names = names or {}
    for kind in ("inflow", "demand"):
        if f"series_inline.{kind}" in p.file:
            m = _SERIES_KEY.search(p.entry)
            if m:
                month, node, yt = int(m["m"]), m["node"], m["yt"] or ""
                row = month_abbr(month) if 1 <= month <= 12 else str(month)
                prefix = t("problem_year", year_type=yt) if yt else ""
                return Located(kind, prefix + t("problem_cell", row=row, column=names.get(node, node),
                                                message=p.message), yt, row, node)
            return Located(kind, t("problem_entry", entry=p.entry, field=f" ({p.field})" if p.field else "",
                                   message=p.message))
    m = _ENTRY_ID.match(p.entry)
    group, ident = (m["group"].strip(), m["id"]) if m else (p.entry, "")
    if group in ("reservoirs", "reservoir") and ident:
        col = t(f"col_{p.field}") if p.field in RESERVOIR_FIELDS else p.field
        return Located("reservoirs", t("problem_cell", row=names.get(ident, ident), column=col, message=p.message),
                       "", ident, col)
    if group in ("links", "link") and ident and p.field in ("capacity", "min_flow"):
        return Located("canals", t("problem_cell", row=names.get(ident, ident), column=t("col_capacity"),
                                   message=p.message), "", ident, t("col_capacity"))
    field_txt = f", {p.field}" if p.field else ""
    if group.startswith(("share rule", "quota", "storage split", "rule", "agreement", "demands", "demand")):
        return Located("agreement", t("problem_entry", entry=p.entry, field=field_txt, message=p.message))
    return Located("other", t("problem_entry", entry=p.entry, field=field_txt, message=p.message))


def display_names(basin) -> dict[str, str]:
    """Node id → its short name and link id → "from → to" by name, in the reader's language, as the input tables
    show them (a series column, a reservoir row, a canal row)."""
    nodes = {n.id: ui_text.short_name(ui_text.node_name(n)) for n in basin.spec.nodes}
    return nodes | {lk.id: f"{nodes.get(lk.source, lk.source)} → {nodes.get(lk.target, lk.target)}"
                    for lk in basin.spec.links}


def problems_by_table(problems: list[Problem], names: dict[str, str] | None = None) -> dict[str, list[Located]]:
    out: dict[str, list[Located]] = {}
    for p in problems:
        loc = locate(p, names)
        out.setdefault(loc.table, []).append(loc)
    return out


# ---- tables shown in the editors ------------------------------------------------------------------
def to_display(v: float, month: int, unit: str) -> float:
    return basins.hm3_to_m3s(v, month) if unit == "m3/s" else v


def to_hm3(v: float, month: int, unit: str) -> float:
    return basins.m3s_to_hm3(v, month) if unit == "m3/s" else v


def series_display(df_hm3: pd.DataFrame, unit: str) -> pd.DataFrame:
    """A (month × node) table in hm³/month shown in ``unit`` (hm3 or m3/s), months as row labels."""
    out = df_hm3.copy()
    if unit == "m3/s":
        for m in out.index:
            out.loc[m] = [to_display(v, int(m), unit) for v in out.loc[m]]
    out.index = pd.Index([month_abbr(int(m)) for m in df_hm3.index], name=t("col_month"))
    return out


def apply_cell_edits(target: pd.DataFrame, edited_rows: dict, shown: pd.DataFrame, convert=None) -> pd.DataFrame:
    """Copy the cells a data editor reports as edited (``edited_rows``: row position → column → value)
    from the table it returned (``shown``) into ``target``; ``convert(value, row_position)`` maps a shown
    value to the target's unit. Applying the same edits twice gives the same table."""
    out = target.copy()
    for r, changes in (edited_rows or {}).items():
        pos = int(r)
        if not 0 <= pos < len(out):
            continue
        for col in changes:
            if col not in out.columns or col not in shown.columns:
                continue
            v = _num(shown.iloc[pos][col])
            if convert is not None and not math.isnan(v):
                v = convert(v, pos)
            out.iat[pos, out.columns.get_loc(col)] = v
    return out

