"""What the Streamlit app (app.py) does besides drawing widgets: scenario edits, their validation,
located problems, comparison tables and Plotly figures.

No Streamlit here: every function takes and returns plain data (Basin, Result, pandas, Plotly), so it
can be tested without a browser. Labels come from :mod:`optimizer.interfaces.ui_text`.

Edits never touch a Basin directly. They are kept as tables (:class:`Edits`); :func:`validate_edits`
writes the edited basin as YAML text and re-reads it with :func:`basins.loads`, so an edited scenario
passes the same checks, with the same located messages, as a basin file.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
import plotly.graph_objects as go
import yaml
from plotly.subplots import make_subplots

import basins
from basins import Basin, BasinError, Problem

from optimizer.interfaces import ui_text
from optimizer.interfaces.ui_text import M3S, month_abbr, t

EDITS_FILE = "<edits>"
UPLOAD_MAX_MB = 2
UPLOAD_MAX_BYTES = UPLOAD_MAX_MB * 1024 * 1024
START_YEAR = 2025
PARTY_COLOURS = {"KG": "#c8102e", "KZ": "#0090b8"}
KIND_SYMBOLS = {"inflow": "triangle-down", "reservoir": "square", "junction": "circle", "demand": "diamond",
                "border": "x", "sink": "star", "aquifer": "hexagon"}
MET_COLOUR, NOT_MET_COLOUR = "#d4edda", "#f8d7da"
INFO_COLOUR = "#eef0f3"  # reported-only and not-applicable rows: no test, neither green nor red
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
    names = {n.id: n.name for n in spec.nodes}
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


def count_changes(e: Edits, defaults: Edits) -> dict[str, int]:
    """How many values of each table differ from the defaults (NaN counts as a change)."""
    def diff(a: pd.DataFrame, b: pd.DataFrame) -> int:
        a, b = a.to_numpy(dtype=float), b.reindex(index=a.index, columns=a.columns).to_numpy(dtype=float)
        same = (a == b) | (np.isnan(a) & np.isnan(b))
        return int((~same).sum())

    return {"inflow:" + yt: diff(df, defaults.inflow[yt]) for yt, df in e.inflow.items()} | {
        "demand": diff(e.demand, defaults.demand),
        "reservoirs": diff(e.reservoirs[RESERVOIR_FIELDS], defaults.reservoirs[RESERVOIR_FIELDS]),
        "canals": diff(e.canals[["capacity"]], defaults.canals[["capacity"]]),
    }


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


def locate(p: Problem) -> Located:
    """Which table and cell a problem of an edited scenario is about, in the app's words."""
    for kind in ("inflow", "demand"):
        if f"series_inline.{kind}" in p.file:
            m = _SERIES_KEY.search(p.entry)
            if m:
                month, node, yt = int(m["m"]), m["node"], m["yt"] or ""
                row = month_abbr(month) if 1 <= month <= 12 else str(month)
                prefix = t("problem_year", year_type=yt) if yt else ""
                return Located(kind, prefix + t("problem_cell", row=row, column=node, message=p.message), yt, row,
                               node)
            return Located(kind, t("problem_entry", entry=p.entry, field=f" ({p.field})" if p.field else "",
                                   message=p.message))
    m = _ENTRY_ID.match(p.entry)
    group, ident = (m["group"].strip(), m["id"]) if m else (p.entry, "")
    if group in ("reservoirs", "reservoir") and ident:
        col = t(f"col_{p.field}") if p.field in RESERVOIR_FIELDS else p.field
        return Located("reservoirs", t("problem_cell", row=ident, column=col, message=p.message), "", ident, col)
    if group in ("links", "link") and ident and p.field in ("capacity", "min_flow"):
        return Located("canals", t("problem_cell", row=ident, column=t("col_capacity"), message=p.message), "",
                       ident, t("col_capacity"))
    field_txt = f", {p.field}" if p.field else ""
    if group.startswith(("share rule", "quota", "storage split", "rule", "agreement", "demands", "demand")):
        return Located("agreement", t("problem_entry", entry=p.entry, field=field_txt, message=p.message))
    return Located("other", t("problem_entry", entry=p.entry, field=field_txt, message=p.message))


def problems_by_table(problems: list[Problem]) -> dict[str, list[Located]]:
    out: dict[str, list[Located]] = {}
    for p in problems:
        loc = locate(p)
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


# ---- uploads ------------------------------------------------------------------------------------
def read_upload(name: str, data: bytes) -> tuple[Basin | None, list[Problem]]:
    """Validate an uploaded scenario file (YAML text with inline series); never unpickles or evaluates."""
    if len(data) > UPLOAD_MAX_BYTES:
        return None, [Problem(name, "file", "", t("upload_too_large", mb=UPLOAD_MAX_MB))]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, [Problem(name, "file", "", t("upload_not_text"))]
    try:
        return basins.loads(text, file=name), []
    except BasinError as exc:
        return None, list(exc.problems)


def upload_key(uploaded: dict, basin_id: str) -> str:
    """The session key of a new upload: ``upload:<id>``, or ``upload:<id> (2)``, ``(3)``, ... when an upload
    with that id is already open, so an upload never replaces an earlier one (nor the user's edits on it)."""
    key, n = f"upload:{basin_id}", 2
    while key in uploaded:
        key, n = f"upload:{basin_id} ({n})", n + 1
    return key


def upload_suffix(key: str) -> str:
    """`` (2)`` for the second upload of one basin id (see :func:`upload_key`), else ``""``."""
    m = re.search(r" \((\d+)\)$", key)
    return f" ({m.group(1)})" if m else ""


# ---- solving -------------------------------------------------------------------------------------
def solve_options(year_type: str, start_month: int, months: int, foresight: str, operation: str,
                  end_storage: str) -> dict:
    return {"year_type": year_type, "start": f"{START_YEAR}-{int(start_month):02d}", "months": int(months),
            "foresight": foresight, "operation": operation, "end_storage": end_storage}


def solve_key(basin: Basin, options: dict) -> str:
    return hashlib.sha256((basin.sha256() + json.dumps(options, sort_keys=True)).encode()).hexdigest()


def label_or(key: str, default: str) -> str:
    """The label ``key`` if the language has it, else ``default`` (e.g. a year type the labels do not know)."""
    return ui_text.label_or(key, default)


def result_label(basin: Basin, options: dict) -> str:
    start = pd.Timestamp(options["start"])
    yt = options["year_type"]
    return t("status", basin=basin.name, year_type=label_or(f"year_type_{yt}", yt), months=options["months"],
             start=f"{month_abbr(start.month)} {start.year}",
             foresight=label_or(f"foresight_short_{options['foresight']}", options["foresight"]),
             operation=label_or(f"operation_{options['operation']}", options["operation"]))


def netcdf_bytes(result) -> bytes:
    """The result as NetCDF bytes (written to a temporary file by ``Result.to_netcdf``)."""
    with tempfile.TemporaryDirectory(prefix="chutalas-") as d:
        path = result.to_netcdf(Path(d) / "result.nc")
        return Path(path).read_bytes()


def ledger_csv(result, labelled: bool = False) -> bytes:
    """The ledger as CSV: column ids and raw values (machine-readable), or with ``labelled`` the table as
    shown (headers, modes, periods and met in the current language)."""
    return (ledger_display(result.ledger) if labelled else result.ledger).to_csv(index=False).encode("utf-8")


def ledger_display(led: pd.DataFrame) -> pd.DataFrame:
    """The ledger with its words in the current language: kind, mode, period, met, and the column headers."""
    out = led.copy()
    if "test" in out:  # the test in words in the current language, from the row's numbers
        out["test"] = [ui_text.ledger_test(x.role, x.status, x.required_hm3, x.received_hm3, x.deficit_hm3)
                       for x in led.itertuples()]
    if "period_name" in out:  # the period once, in the Commission's words
        out["period"] = out["period_name"] if ui_text.get_language() == "en" else out["period"].map(ui_text.period_label)
        out = out.drop(columns=["period_name"])
    elif "period" in out:
        out["period"] = out["period"].map(ui_text.period_label)
    for col, prefix in (("kind", "kind_"), ("mode", "mode_"), ("role", "role_"), ("status", "status_")):
        if col in out:
            out[col] = out[col].map(lambda v, p=prefix: label_or(f"{p}{v}", str(v)))
    for col in ("met", "complete"):
        if col in out:
            out[col] = out[col].map(lambda v: t("yes") if bool(v) else t("no"))
    return ui_text.relabel(out, "ledger_col_")


def party_totals(result) -> pd.DataFrame:
    """Per party over the horizon: received, entitlement, demand, delivery, shortage [hm³]."""
    s = result.summary()
    return s if len(s) else pd.DataFrame(columns=["received_hm3", "entitlement_hm3", "demand_hm3",
                                                  "delivery_hm3", "shortage_hm3"])


def compare_table(pinned, current) -> pd.DataFrame:
    """Pinned vs current per party, with differences (current − pinned) [hm³ over the horizon]."""
    a, b = party_totals(pinned), party_totals(current)
    parties = [p for p in b.index if p in a.index] + [p for p in b.index if p not in a.index] + \
        [p for p in a.index if p not in b.index]
    rows = []
    for p in parties:
        row = {t("axis_party"): p}
        for col, label in (("received_hm3", "compare_received"), ("shortage_hm3", "compare_shortage"),
                           ("entitlement_hm3", "compare_entitlement"), ("delivery_hm3", "compare_delivery")):
            va = float(a.at[p, col]) if p in a.index else math.nan
            vb = float(b.at[p, col]) if p in b.index else math.nan
            row[f"{t(label)} {t('compare_pinned')}"] = va
            row[f"{t(label)} {t('compare_current')}"] = vb
            row[f"{t(label)} {t('compare_difference')}"] = vb - va
        rows.append(row)
    return pd.DataFrame(rows).set_index(t("axis_party"))


def validation_provider():
    """``optimizer.analyses.validation.table`` if the calibration work provides it, else None."""
    import importlib

    try:
        mod = importlib.import_module("optimizer.analyses.validation")
    except ModuleNotFoundError as exc:
        if exc.name == "optimizer.analyses.validation":
            return None
        raise
    table = getattr(mod, "table", None)
    return table if callable(table) else None


def provider_id(fn) -> str:
    """Identifies a provider function for caching (a replaced module gives a new id)."""
    return f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', '')}:{id(fn)}"


def validation_table(basin_id: str):
    """Observed vs modelled, if the calibration work provides ``optimizer.analyses.validation.table``; else None."""
    table = validation_provider()
    return table(basin_id) if table is not None else None


# ---- ledger --------------------------------------------------------------------------------------
def ledger_styled(led: pd.DataFrame):
    """The compliance ledger with met rows green and rows not met red."""
    met = [bool(v) for v in led["met"]]
    status = [str(v) for v in led["status"]] if "status" in led else [""] * len(led)
    shown = ledger_display(led)

    def colour(row):
        i = shown.index.get_loc(row.name)
        c = INFO_COLOUR if status[i] in ("reported", "not applicable") else (
            MET_COLOUR if met[i] else NOT_MET_COLOUR)  # a ceiling not reached is "within": green
        return [f"background-color: {c}; color: #1a1a1a"] * len(row)

    head = dict(zip([c for c in led.columns if c != "period_name"], shown.columns))  # (period_name folded in)
    fmt = {head[c]: "{:,.1f}" for c in ("required_hm3", "received_hm3", "deficit_hm3") if c in head}
    if "shadow_price" in head:
        fmt[head["shadow_price"]] = lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v)) else \
            f"{(0.0 if abs(v) < 5e-4 else v):,.3f}"  # no "-0.000"
    if "tolerance" in head:
        fmt[head["tolerance"]] = "{:.2f}"
    return shown.style.apply(colour, axis=1).format(fmt)


def fig_water_balance(wb: pd.DataFrame) -> go.Figure:
    """Water balance per party territory and period (Result.water_balance): what comes in (positive) and
    where it goes (negative bars), in hm³; the bars of each party and period sum to zero."""
    from optimizer.core.balance import IN_TERMS, OUT_TERMS

    x = [f"{party} — {period}" for period, party in wb.index]
    fig = go.Figure()
    for c in IN_TERMS + OUT_TERMS:
        sign = 1.0 if c in IN_TERMS else -1.0
        vals = sign * wb[c].to_numpy(dtype=float)
        if np.abs(vals).max(initial=0.0) < 1e-6:
            continue
        fig.add_bar(x=x, y=vals, name=t(f"wb_{c}"))
    fig.update_layout(barmode="relative")
    fig = _layout(fig, t("wb_title"), t("axis_hm3_period"), x="", height=520)
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.25, xanchor="left", x=0),  # 11 terms:
                      margin=dict(l=60, r=20, t=60, b=160))  # below the plot, clear of the title
    return fig


# ---- figures -------------------------------------------------------------------------------------
def _times(ds) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(ds["time"].values)


def _date_axis(fig: go.Figure, times, most: int = 12, **where) -> None:
    """Month ticks "Jan 2025" on a date axis, with month names in the current language (Plotly's own %b is
    English only): at most about 12 labelled ticks."""
    times = pd.DatetimeIndex(times)
    if ui_text.get_language() == "en" or not len(times):
        fig.update_xaxes(tickformat="%b %Y", **where)
        return
    step = max(1, math.ceil(len(times) / most))
    ticks = times[::step]
    fig.update_xaxes(tickmode="array", tickvals=list(ticks), hoverformat="%Y-%m",
                     ticktext=[f"{month_abbr(ts.month)} {ts.year}" for ts in ticks], **where)


def _layout(fig: go.Figure, title: str, y: str, x: str | None = None, height: int = 420) -> go.Figure:
    fig.update_layout(title=title, height=height, margin=dict(l=60, r=20, t=60, b=50),
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0, traceorder="normal"),
                      hovermode="x unified")
    fig.update_yaxes(title_text=y)
    fig.update_xaxes(title_text=x if x is not None else t("axis_month"))
    return fig


def fig_allocation(ds) -> go.Figure:
    """Stacked bars of water received per party with each party's entitlement as a dashed line."""
    times = _times(ds)
    fig = go.Figure()
    if "party" not in ds.coords:
        return _layout(fig, t("chart_allocation"), t("u_hm3_month"))
    for p in map(str, ds["party"].values):
        fig.add_bar(x=times, y=ds["received_hm3"].sel(party=p).values, name=t("received", party=p),
                    marker_color=PARTY_COLOURS.get(p))
    for p in map(str, ds["party"].values):
        fig.add_scatter(x=times, y=ds["entitlement_hm3"].sel(party=p).values, name=t("entitlement", party=p),
                        mode="lines+markers", line=dict(color=PARTY_COLOURS.get(p), dash="dash", width=2.5))
    fig.update_layout(barmode="stack")
    _date_axis(fig, times)
    return _layout(fig, t("chart_allocation"), t("u_hm3_month"))


def fig_demand(ds) -> go.Figure:
    """One panel per demand node: delivery (bars) against demand (line)."""
    times = _times(ds)
    dem = [str(d) for d in ds["demand"].values]
    cols = 2 if len(dem) > 1 else 1
    rows = max(1, math.ceil(len(dem) / cols))
    party = {str(d): str(p) for d, p in zip(ds["demand"].values, ds["demand_party"].values)}
    fig = make_subplots(rows=rows, cols=cols, vertical_spacing=0.16 if rows > 1 else 0.1,
                        subplot_titles=[f"{d} ({party[d]})" for d in dem])
    for i, d in enumerate(dem):
        r, c = i // cols + 1, i % cols + 1
        fig.add_bar(x=times, y=ds["delivery_hm3"].sel(demand=d).values, name=t("delivery"),
                    marker_color=PARTY_COLOURS.get(party[d]), showlegend=i == 0, legendgroup="delivery",
                    row=r, col=c)
        fig.add_scatter(x=times, y=ds["demand_hm3"].sel(demand=d).values, name=t("demand"), mode="lines",
                        line=dict(color="#333", dash="dot"), showlegend=i == 0, legendgroup="demand", row=r, col=c)
        fig.update_yaxes(title_text=t("u_hm3_month"), row=r, col=c)
        last = r == rows or (r == rows - 1 and c == cols and len(dem) % cols)  # lowest panel of its column
        fig.update_xaxes(title_text=t("axis_month") if last else None, row=r, col=c)
        _date_axis(fig, times, most=12 // cols, row=r, col=c)
    fig.update_layout(title=t("chart_demand"), height=max(300, 240 * rows), margin=dict(l=60, r=20, t=80, b=50),
                      legend=dict(orientation="h", yanchor="bottom", y=1.04, xanchor="right", x=1),
                      hovermode="x unified")
    return fig


def fig_storage(ds) -> go.Figure:
    """Storage of each reservoir with its dead storage and full (capacity) lines."""
    times = _times(ds)
    res = [str(r) for r in ds["reservoir"].values]
    names = dict(zip(map(str, ds["node"].values), map(str, ds["node_name"].values)))
    fig = make_subplots(rows=1, cols=max(1, len(res)), subplot_titles=[f"{r}: {names.get(r, r)}" for r in res])
    for i, r in enumerate(res):
        c = i + 1
        fig.add_scatter(x=times, y=ds["storage_hm3"].sel(reservoir=r).values, name=t("storage"), mode="lines+markers",
                        line=dict(color="#1f77b4", width=3), showlegend=i == 0, legendgroup="s", row=1, col=c)
        for var, label, colour in (("capacity_hm3", "full_storage", "#2ca02c"),
                                   ("dead_storage_hm3", "dead_storage", "#7f7f7f")):
            v = float(ds[var].sel(reservoir=r))
            fig.add_scatter(x=[times[0], times[-1]], y=[v, v], name=t(label), mode="lines",
                            line=dict(color=colour, dash="dash"), showlegend=i == 0, legendgroup=label, row=1, col=c)
        fig.update_yaxes(title_text=t("u_hm3"), row=1, col=c, rangemode="tozero")
        fig.update_xaxes(title_text=t("axis_month"), row=1, col=c)
        _date_axis(fig, times, most=12 // len(res) if len(res) > 1 else 12, row=1, col=c)
    fig.update_layout(title=t("chart_storage"), height=400, margin=dict(l=60, r=20, t=90, b=50),
                      legend=dict(orientation="h", yanchor="bottom", y=1.08, xanchor="right", x=1),
                      hovermode="x unified")
    return fig


def border_links(ds) -> list[str]:
    kinds = dict(zip(map(str, ds["node"].values), map(str, ds["node_kind"].values)))
    return [str(lk) for lk, tgt in zip(ds["link"].values, ds["link_target"].values) if kinds.get(str(tgt)) == "border"]


def first_rule_period(basin: Basin) -> str:
    """The period kind of the basin's first share rule (what the border chart accumulates over)."""
    rules = basin.spec.agreement.share_rules
    return rules[0].period if rules else "year"


def fig_border(ds, period: str = "hydro-year") -> go.Figure | None:
    """What the first share rule compares: the downstream party's receipts at its posts against its
    entitlement, each accumulated over the rule's period (restarting at every period start), with the monthly
    flow across the border as bars."""
    links = border_links(ds)
    if not links:
        return None
    from optimizer.core.agreement import periods

    times = _times(ds)
    countries = dict(zip(map(str, ds["node"].values), map(str, ds["node_country"].values)))
    fig = go.Figure()
    for lk in links:
        fig.add_bar(x=times, y=ds["delivered_hm3"].sel(link=lk).values, name=t("border_flow", link=lk),
                    marker_color="#c6dbef")
    down = countries.get(str(ds["link_target"].sel(link=links[0]).item()), "KZ")
    if "party" in ds.coords and down in map(str, ds["party"].values):
        rec = ds["received_hm3"].sel(party=down).values
        ent = ds["entitlement_hm3"].sel(party=down).values
        colour = PARTY_COLOURS.get(down)
        for k, g in enumerate(periods(period, pd.DatetimeIndex(ds["time"].values))):  # one pair of lines a period
            idx = list(g.steps)
            x = [times[i] for i in idx]
            fig.add_scatter(x=x, y=np.cumsum(rec[idx]), mode="lines+markers", legendgroup="rec", showlegend=k == 0,
                            name=t("border_cum_received", party=down), line=dict(color=colour, width=2.5))
            fig.add_scatter(x=x, y=np.cumsum(ent[idx]), mode="lines", legendgroup="ent", showlegend=k == 0,
                            name=t("border_cum_required", party=down), line=dict(color=colour, dash="dash", width=2))
    _date_axis(fig, times)
    return _layout(fig, t("chart_border_cumulative", period=t(f"period_kind_{period}")), t("u_hm3"))


def border_party(ds) -> str:
    links = border_links(ds)
    if not links:
        return ""
    countries = dict(zip(map(str, ds["node"].values), map(str, ds["node_country"].values)))
    return countries.get(str(ds["link_target"].sel(link=links[0]).item()), "")


def fig_costs(costs: pd.DataFrame) -> go.Figure:
    """O&M cost of each facility split between the parties (USD over the horizon)."""
    fig = go.Figure()
    if "item" in costs:  # use of facilities: the O&M rows (capital works are one-off costs in their currency)
        costs = costs[costs["item"] == "O&M"]
    for p in sorted(costs["party"].unique()) if len(costs) else []:
        sub = costs[costs["party"] == p]
        fig.add_bar(x=sub["name"], y=sub["cost_usd"], name=p, marker_color=PARTY_COLOURS.get(p),
                    customdata=np.c_[sub["share"].fillna(0) * 100, sub["water_hm3"]],
                    hovertemplate="%{x}<br>" + p + ": %{y:,.0f} " + t("u_usd") + " (%{customdata[0]:.0f} %, "
                                  "%{customdata[1]:,.0f} " + t("u_hm3") + ")<extra></extra>")
    fig.update_layout(barmode="stack")
    _layout(fig, t("chart_costs"), t("axis_usd"), x="", height=380)
    fig.update_layout(hovermode="closest")
    return fig


def fig_accounts(ds) -> go.Figure | None:
    """Storage ownership accounts: each party's balance (lines) and the releases made for it (bars) per
    reservoir with accounts, with the storage above dead storage that the balances add up to [hm³]."""
    if "account_hm3" not in ds:
        return None
    times = _times(ds)
    acc = ds["account_hm3"]
    res = [str(r) for r in acc["reservoir"].values if np.isfinite(acc.sel(reservoir=r).values).any()]
    names = dict(zip(map(str, ds["node"].values), map(str, ds["node_name"].values)))
    fig = make_subplots(rows=1, cols=max(1, len(res)), subplot_titles=[names.get(r, r) for r in res])
    for i, r in enumerate(res):
        for p in map(str, acc["party"].values):
            v = acc.sel(reservoir=r, party=p).values
            if not np.isfinite(v).all():
                continue
            fig.add_scatter(x=times, y=v, name=t("account_balance", party=p), mode="lines+markers",
                            line=dict(color=PARTY_COLOURS.get(p), width=3), legendgroup=f"b{p}",
                            showlegend=i == 0, row=1, col=i + 1)
            fig.add_bar(x=times, y=ds["account_release_hm3"].sel(reservoir=r, party=p).values,
                        name=t("account_release", party=p), marker_color=PARTY_COLOURS.get(p), opacity=0.35,
                        legendgroup=f"r{p}", showlegend=i == 0, row=1, col=i + 1)
        above = (ds["storage_hm3"].sel(reservoir=r) - ds["dead_storage_hm3"].sel(reservoir=r)).values
        fig.add_scatter(x=times, y=above, name=t("account_total"), mode="lines", line=dict(color="#7f7f7f", dash="dash"),
                        legendgroup="tot", showlegend=i == 0, row=1, col=i + 1)
        fig.update_yaxes(title_text=t("u_hm3"), row=1, col=i + 1, rangemode="tozero")
        fig.update_xaxes(title_text=t("axis_month"), tickformat="%b %Y", row=1, col=i + 1)
    fig.update_layout(title=t("chart_accounts"), height=400, margin=dict(l=60, r=20, t=90, b=50),
                      legend=dict(orientation="h", yanchor="bottom", y=1.08, xanchor="right", x=1),
                      hovermode="x unified", barmode="group")
    return fig


def fig_water_values(ds) -> go.Figure:
    """Heat map of node water values (node × month)."""
    times = _times(ds)
    wv = ds["water_value"].transpose("node", "time")
    fig = go.Figure(go.Heatmap(z=wv.values, x=[f"{month_abbr(ts.month)} {ts.year}" for ts in times],
                               y=[str(n) for n in ds["node"].values], colorscale="YlGnBu",
                               colorbar=dict(title=dict(text=t("axis_water_value"), side="right")),
                               hovertemplate="%{y}, %{x}: %{z:,.2f}<extra></extra>"))
    _layout(fig, t("chart_water_values"), t("axis_node"), height=max(380, 22 * ds.sizes["node"] + 140))
    fig.update_layout(hovermode="closest")
    fig.update_yaxes(autorange="reversed")
    return fig


def schematic_positions(ds, stretch: float = 2.5) -> tuple[dict[str, float], dict[str, float]]:
    """Node positions (lon, lat) for the schematic: the real ones, except that a sink far downstream (the
    lower Shu lakes, the Moiynkum sands) is drawn at most ``stretch`` × the median link length from the node
    feeding it, in the same direction, so that it does not squeeze the rest of the network into a corner."""
    nodes = [str(n) for n in ds["node"].values]
    lon = dict(zip(nodes, map(float, ds["node_lon"].values)))
    lat = dict(zip(nodes, map(float, ds["node_lat"].values)))
    ends = list(zip(map(str, ds["link_source"].values), map(str, ds["link_target"].values)))
    lengths = [math.hypot(lon[a] - lon[b], lat[a] - lat[b]) for a, b in ends]
    if not lengths:
        return lon, lat
    limit = stretch * float(np.median(lengths))
    kinds = dict(zip(nodes, map(str, ds["node_kind"].values)))
    for (a, b), length in zip(ends, lengths):
        if kinds.get(b) == "sink" and length > limit:
            f = limit / length
            lon[b], lat[b] = lon[a] + f * (lon[b] - lon[a]), lat[a] + f * (lat[b] - lat[a])
    return lon, lat


def fig_network(ds, month: int | None = None) -> go.Figure:
    """Schematic of the network from node lat/lon (no map tiles): link width ∝ flow in ``month`` (an index
    into the horizon) or the mean over the horizon (None)."""
    nodes = [str(n) for n in ds["node"].values]
    lon, lat = schematic_positions(ds)
    flow = ds["flow_hm3"].mean("time") if month is None else ds["flow_hm3"].isel(time=int(month))
    fmax = float(flow.max()) if flow.size and float(flow.max()) > 0 else 1.0
    fig = go.Figure()
    mid_x, mid_y, mid_text = [], [], []
    for lk, src, tgt in zip(map(str, ds["link"].values), map(str, ds["link_source"].values),
                            map(str, ds["link_target"].values)):
        f = float(flow.sel(link=lk))
        width = 1.0 + 14.0 * f / fmax
        fig.add_scatter(x=[lon[src], lon[tgt]], y=[lat[src], lat[tgt]], mode="lines", hoverinfo="skip",
                        line=dict(width=width, color="#3182bd" if f > 1e-6 else "#c6dbef"), showlegend=False)
        mid_x.append((lon[src] + lon[tgt]) / 2)
        mid_y.append((lat[src] + lat[tgt]) / 2)
        mid_text.append(t("network_link_hover", link=lk, source=src, target=tgt, flow=f))
    if "discharge_hm3" in ds:  # an aquifer has no links: a dotted line to where its baseflow surfaces
        q = ds["discharge_hm3"].mean("time") if month is None else ds["discharge_hm3"].isel(time=int(month))
        for aq, tgt in zip(map(str, ds["aquifer"].values), map(str, ds["discharge_to"].values)):
            f = float(q.sel(aquifer=aq))
            fig.add_scatter(x=[lon[aq], lon[tgt]], y=[lat[aq], lat[tgt]], mode="lines", hoverinfo="skip",
                            line=dict(width=1.0 + 14.0 * f / fmax, color="#74c476", dash="dot"), showlegend=False)
            mid_x.append((lon[aq] + lon[tgt]) / 2)
            mid_y.append((lat[aq] + lat[tgt]) / 2)
            mid_text.append(t("network_discharge_hover", aquifer=aq, target=tgt, flow=f))
    fig.add_scatter(x=mid_x, y=mid_y, mode="markers", marker=dict(size=6, color="rgba(49,130,189,0.35)"),
                    text=mid_text, hoverinfo="text", showlegend=False)
    kinds = list(map(str, ds["node_kind"].values))
    country = list(map(str, ds["node_country"].values))
    names = list(map(str, ds["node_name"].values))
    for kind in dict.fromkeys(kinds):
        idx = [i for i, k in enumerate(kinds) if k == kind]
        fig.add_scatter(
            x=[lon[nodes[i]] for i in idx], y=[lat[nodes[i]] for i in idx],
            mode="markers" if kind == "junction" else "markers+text",  # junction ids on hover only
            name=t(f"kind_{kind}"), text=[nodes[i] for i in idx], textposition="top center",
            textfont=dict(size=9), hovertext=[t("network_node_hover", node=nodes[i], kind=kind, country=country[i],
                                                 name=names[i]) for i in idx], hoverinfo="text",
            marker=dict(size=13, symbol=KIND_SYMBOLS.get(kind, "circle"),
                        color=[PARTY_COLOURS.get(country[i], "#555") for i in idx],
                        line=dict(width=1, color="#222")))
    fig.update_yaxes(title_text=t("axis_lat"))
    fig.update_xaxes(title_text=t("axis_lon"))
    # the legend below the plot: its node kinds take three rows in Russian and would cover the title above
    fig.update_layout(title=t("chart_network"), height=700, margin=dict(l=60, r=20, t=60, b=150),
                      legend=dict(orientation="h", yanchor="top", y=-0.12, xanchor="left", x=0),
                      hovermode="closest", plot_bgcolor="#f7f9fb")
    return fig


def fig_compare(pinned, current) -> go.Figure:
    """Grouped bars per party: received and shortage, pinned vs current."""
    a, b = party_totals(pinned), party_totals(current)
    fig = make_subplots(rows=1, cols=2, subplot_titles=[t("compare_received"), t("compare_shortage")])
    for label, s, colour in ((t("compare_pinned"), a, "#9e9e9e"), (t("compare_current"), b, "#3182bd")):
        for c, col in enumerate(("received_hm3", "shortage_hm3"), start=1):
            fig.add_bar(x=list(s.index), y=s[col].values if len(s) else [], name=label, marker_color=colour,
                        showlegend=c == 1, legendgroup=label, row=1, col=c)
            fig.update_yaxes(title_text=t("u_hm3"), row=1, col=c)
            fig.update_xaxes(title_text=t("axis_party"), row=1, col=c)
    fig.update_layout(title=t("chart_compare"), barmode="group", height=380, margin=dict(l=60, r=20, t=90, b=50),
                      legend=dict(orientation="h", yanchor="bottom", y=1.08, xanchor="right", x=1))
    return fig


__all__ = ["Edits", "Located", "EDITS_FILE", "UPLOAD_MAX_BYTES", "UPLOAD_MAX_MB", "M3S", "apply_cell_edits",
           "compare_table", "count_changes", "edits_from_basin", "edits_hash", "fig_allocation", "fig_border",
           "fig_compare", "fig_costs", "fig_demand", "fig_network", "fig_storage", "fig_water_values",
           "ledger_csv", "ledger_styled", "locate", "netcdf_bytes", "party_totals", "problems_by_table",
           "read_upload", "result_label", "scenario_text", "series_display", "solve_key", "solve_options",
           "to_display", "to_hm3", "validate_edits", "validation_provider", "validation_table", "provider_id",
           "label_or"]


# ---- trade-offs (optimizer.analyses.tradeoffs, optimizer.analyses.hydropower) --------------------------------------
TRADEOFF_CACHE_MAX = 8  # computed trade-off parts kept per session (oldest dropped first)


def tradeoff_key(part: str, basin: Basin, **options) -> str:
    """Cache key of one trade-off part: the edited basin's hash and every option it depends on."""
    return part + ":" + hashlib.sha256((basin.sha256() + json.dumps(options, sort_keys=True, default=str))
                                       .encode()).hexdigest()


FRONTIER_COLUMNS = {  # table column -> label key (frontier of KZ receipts vs KG deliveries)
    "kind": "col_kind", "eps": "col_eps", "kg_delivery_hm3": "col_kg_delivery_max", "price": "col_price",
    "kz_received_hm3": "col_kz_received", "kg_received_hm3": "col_kg_received",
    "kz_delivery_hm3": "col_kz_delivery", "kg_shortage_hm3": "col_kg_shortage",
    "kz_shortage_hm3": "col_kz_shortage", "status": "col_status"}
ENERGY_FRONTIER_COLUMNS = {
    "kind": "col_kind", "eps": "col_eps_summer", "winter_energy_gwh": "col_winter_energy",
    "price_gwh_per_hm3": "col_price_energy", "kz_summer_hm3": "col_kz_summer",
    "summer_energy_gwh": "col_summer_energy", "annual_energy_gwh": "col_annual_energy",
    "kg_delivery_hm3": "col_kg_delivery", "kz_received_hm3": "col_kz_received", "status": "col_status"}


def labelled(df: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """The columns of ``df`` named in ``columns`` (in that order), renamed to their labels."""
    keep = [c for c in columns if c in df.columns]
    out = df[keep].copy()
    for col, prefix in (("kind", "point_"), ("status", "status_")):  # a frontier point's kind and solver status
        if col in out and out[col].dtype == object:
            out[col] = out[col].map(lambda v, p=prefix: label_or(f"{p}{v}", v) if isinstance(v, str) else v)
    return out.rename(columns={c: t(columns[c]) for c in keep})


def fig_frontier(frontier, energy: bool = False) -> go.Figure:
    """The frontier line (x = the guaranteed floor eps, y = its exact value) and the agreement's point."""
    tab = frontier.table[frontier.table["status"] == "optimal"].sort_values("eps")
    y = frontier.y
    x_title, y_title = (t("axis_kz_summer"), t("axis_winter_energy")) if energy else \
        (t("axis_kz_receipts"), t("axis_kg_delivery"))
    fig = go.Figure()
    fig.add_scatter(x=tab["eps"].tolist(), y=tab[y].tolist(), mode="lines+markers", name=t("frontier_line"),
                    line=dict(color=PARTY_COLOURS["KG"], width=2.5), marker=dict(size=7))
    a = frontier.agreement
    if a is not None and a.get("status") == "optimal":
        fig.add_scatter(x=[a[frontier.x]], y=[a[y]], mode="markers", name=t("agreement_point"),
                        marker=dict(color=PARTY_COLOURS["KZ"], size=14, symbol="star",
                                    line=dict(color="#1a1a1a", width=1)))
    fig = _layout(fig, t("chart_energy_frontier" if energy else "chart_frontier"), y_title, x_title)
    fig.update_layout(hovermode="closest")
    return fig


def agreement_summary(frontier, unit: str) -> str:
    a = frontier.agreement
    if a is None:
        return t("agreement_infeasible", note="-")
    if a.get("status") != "optimal":
        return t("agreement_infeasible", note=a.get("note", ""))
    y = frontier.y
    return t("agreement_on_frontier", x=a[frontier.x], y=a[y], v=a.get(f"frontier_{y}", float("nan")),
             gap=a.get(f"gap_{y}", float("nan")), unit=unit)


def hydro_factors(basin: Basin) -> pd.DataFrame:
    """The basin's plants with their documented inputs ([P]/[E] marks in the labels) and derived factors."""
    from optimizer.analyses import hydropower as hp

    ids = [p.id for p in hp.plants_of(basin)]
    f = hp.factors().loc[ids].reset_index()
    cols = {"name": "col_plant", "reservoir": "col_reservoir", "capacity_mw": "col_capacity_mw",
            "annual_gwh_published": "col_annual_gwh", "dam_height_m": "col_dam_height", "head_m": "col_head",
            "efficiency": "col_efficiency", "factor_gwh_per_hm3": "col_factor",
            "turbine_limit_m3s": "col_turbine_limit", "source": "col_source"}
    return labelled(f, cols)


def energy_by_season(energy: pd.DataFrame) -> pd.DataFrame:
    """Energy [GWh], release and turbined volume [hm³] per plant and season, with each plant's total."""
    if energy.empty:
        return pd.DataFrame()
    sums = ["release_hm3", "turbined_hm3", "bypassed_hm3", "energy_gwh"]
    by = energy.groupby(["plant", "season"], sort=False)[sums].sum().reset_index()
    tot = energy.groupby("plant", sort=False)[sums].sum().reset_index().assign(season="total")
    out = pd.concat([by, tot], ignore_index=True)
    order = {"winter": 0, "summer": 1, "total": 2}
    out = out.sort_values(["plant", "season"], key=lambda s: s.map(order) if s.name == "season" else s)
    out["season"] = out["season"].map(lambda s: t(f"season_{s}"))
    return labelled(out.reset_index(drop=True), {
        "plant": "col_plant", "season": "col_season", "energy_gwh": "col_energy", "release_hm3": "col_release",
        "turbined_hm3": "col_turbined", "bypassed_hm3": "col_bypassed"})


def fig_energy(energy: pd.DataFrame) -> go.Figure:
    """Monthly energy per plant, stacked, with the capacity (MW × hours) as a dashed line."""
    fig = go.Figure()
    for plant, g in energy.groupby("plant", sort=False):
        fig.add_bar(x=g["time"], y=g["energy_gwh"], name=plant)
    cap = energy.groupby("time")["capacity_gwh"].sum()
    fig.add_scatter(x=cap.index, y=cap.values, name=t("col_capacity_mw").split(" (")[0], mode="lines",
                    line=dict(dash="dash", color="#555"))
    fig.update_layout(barmode="stack")
    _date_axis(fig, sorted(energy["time"].unique()))
    return _layout(fig, t("chart_energy"), t("axis_gwh_month"))


ALT_COLUMNS = {
    "variant": "col_variant", "status": "col_status", "kz_received_hm3": "col_kz_received",
    "kg_received_hm3": "col_kg_received", "kz_apr_sep_hm3": "col_kz_apr_sep",
    "kz_apr_sep_share": "col_kz_apr_sep_share", "kz_oct_mar_hm3": "col_kz_oct_mar",
    "kg_delivery_hm3": "col_kg_delivery", "kz_delivery_hm3": "col_kz_delivery",
    "kg_shortage_hm3": "col_kg_shortage", "kz_shortage_hm3": "col_kz_shortage"}
DELTA_LABELS = {"kz_received_hm3": "col_kz_received", "kg_received_hm3": "col_kg_received",
                "kz_apr_sep_hm3": "col_kz_apr_sep", "kg_delivery_hm3": "col_kg_delivery",
                "kz_delivery_hm3": "col_kz_delivery", "kg_shortage_hm3": "col_kg_shortage",
                "kz_shortage_hm3": "col_kz_shortage"}


def _with_deltas(df: pd.DataFrame, columns: dict[str, str], tail: dict[str, str]) -> pd.DataFrame:
    cols = dict(columns)
    for c, k in DELTA_LABELS.items():
        if f"d_{c}" in df.columns:
            cols[f"d_{c}"] = f"d_{c}"
    cols |= tail
    out = df[[c for c in cols if c in df.columns]].copy()
    return out.rename(columns={c: (t("col_d", label=t(DELTA_LABELS[c[2:]])) if c.startswith("d_") and
                                   c[2:] in DELTA_LABELS else t(cols[c])) for c in out.columns})


def alternatives_table(df: pd.DataFrame) -> pd.DataFrame:
    return _with_deltas(df, ALT_COLUMNS, {"binding": "col_binding", "unmet_rules": "col_unmet",
                                          "description": "col_description"})


def fig_alternatives(df: pd.DataFrame) -> go.Figure:
    """Grouped bars: each alternative's change against the 1983 baseline in each party's receipts and shortage."""
    alt = df.iloc[1:]
    alt = alt[alt["status"] == "optimal"] if "status" in alt else alt
    fig = go.Figure()
    for party in ("KG", "KZ"):
        for what, pattern in (("received", ""), ("shortage", "/")):
            col = f"d_{party.lower()}_{what}_hm3"
            if col in alt.columns:
                fig.add_bar(x=alt["variant"], y=alt[col], name=t(f"d_{what}", party=party),
                            marker=dict(color=PARTY_COLOURS[party], pattern_shape=pattern,
                                        opacity=1.0 if what == "received" else 0.55))
    fig.update_layout(barmode="group")
    fig = _layout(fig, t("chart_alternatives"), t("axis_d_hm3"), t("col_variant"))
    fig.update_layout(hovermode="closest")
    return fig


def clauses_table(df: pd.DataFrame) -> pd.DataFrame:
    return _with_deltas(df, {"rule": "col_rule", "kind": "col_kind", "protects": "col_protects",
                             "mode": "col_mode", "shadow_price": "col_shadow_price", "binding": "col_binding_flag"},
                        {"d_objective": "col_d_objective", "margin_before_hm3": "col_margin_before",
                         "margin_after_hm3": "col_margin_after", "consistent": "col_consistent",
                         "status": "col_status"})


def shadow_prices(ledger: pd.DataFrame) -> pd.DataFrame:
    """The enforced rows of a ledger (hard or soft) with their shadow price, for display beside the clauses."""
    led = ledger[ledger["mode"].isin(["hard", "soft"])]
    out = labelled(led, {"rule": "col_rule", "party": "col_party", "period": "col_period", "mode": "col_mode",
                         "shadow_price": "col_shadow_price"}).copy()
    col = t("col_shadow_price")
    out[col] = out[col].map(lambda v: 0.0 if v is None or not np.isfinite(v) or abs(v) < 5e-4 else float(v))
    return out.reset_index(drop=True)


def first_rule_role(led: pd.DataFrame, party: str) -> str:
    """The role (entitlement, ceiling, reported) of ``party`` in the ledger's first share rule ("" if none)."""
    share = led[led["kind"] == "share"]
    rows = share[(share["rule"] == share["rule"].iloc[0]) & (share["party"] == party)] if len(share) else share
    return str(rows["role"].iloc[0]) if len(rows) else ""


def rules_in_words(led: pd.DataFrame) -> str:
    """Every ledger row's test as a markdown list: rule, party, role, period, and whether it holds."""
    from optimizer.interfaces.ui_text import get_language, ledger_test, period_label

    lines = []
    for x in led.itertuples():
        words = ledger_test(x.role, x.status, x.required_hm3, x.received_hm3, x.deficit_hm3)
        period = x.period_name if get_language() == "en" else period_label(x.period)
        lines.append(f"- **{x.rule}** · {x.party} · {t(f'role_{x.role}')} · {period}: {words}")
    return "\n".join(lines)

