"""The season's schedule typed in the app: the editor's table, its checks, uploaded schedules and plan against fact.

No Streamlit here. The schedule is the one of :mod:`optimizer.core.schedule` (planned delivery per accounting post and
step, hm³ per step inside, m³/s at the edges with the real length of every dekad); the season, the proposal, the
schedule operation and plan against fact are :mod:`optimizer.analyses.season`'s. What the user typed is kept as
typed (a table of raw cell values, m³/s, dekad × post id) until it passes :func:`check_plan`; every bad entry is
reported with the post's name and the dekad, and nothing is repaired silently.
"""

from __future__ import annotations

import io
import math
from pathlib import PurePath
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from basins import Basin

from optimizer.core import schedule as sched_mod
from optimizer.core import timesteps
from optimizer.core.schedule import Schedule, ScheduleError
from optimizer.interfaces.app.figures import PARTY_COLOURS, _layout
from optimizer.interfaces.tables import HEADERS
from optimizer.interfaces import ui_text
from optimizer.interfaces.ui_text import label_or, month_abbr, t

STEP = "dekad"
ROMAN = {1: "I", 2: "II", 3: "III"}
UPLOAD_MAX_MB = 2
PLAN_FACT_COLUMNS = ["plan_m3s", "actual_m3s", "plan_hm3", "actual_hm3", "cum_plan_hm3", "cum_actual_hm3",
                     "fulfilment_pct", "deviation_hm3"]
LINE_COLOURS = ["#0090b8", "#c8102e", "#2ca02c", "#9467bd", "#ff7f0e"]


def dekad_label(ts: pd.Timestamp) -> str:
    """``Apr 2025, dekad II`` / ``II декада апр 2025`` in the current language."""
    ts = pd.Timestamp(ts)
    k = timesteps.DEKAD_STARTS.index(ts.day) + 1
    return t("dekad_label", roman=ROMAN[k], month=month_abbr(ts.month), year=ts.year)


def post_names(basin: Basin, posts: list[str]) -> dict[str, str]:
    """Each accounting post's name in the current language (a bundled post's label, else 'source → target')."""
    names = {n.id: ui_text.node_name(n) for n in basin.spec.nodes}
    links = {lk.id: lk for lk in basin.spec.links}
    out = {}
    for p in posts:
        lk = links.get(p)
        fallback = t("post_fallback", source=names.get(lk.source, lk.source),
                     target=names.get(lk.target, lk.target)) if lk else p
        out[p] = label_or(f"post_{p}", fallback)
    return out


def plan_table(schedule: Schedule) -> pd.DataFrame:
    """The editor's table: planned flow [m³/s] per dekad (rows, indexed by the dekad's first day) and post id
    (columns), rounded to 0.001 m³/s and never below 0 (the proposal's -1e-12 is 0)."""
    q = schedule.plan_m3s.clip(lower=0.0).round(3) + 0.0  # (+ 0.0: no "-0.0")
    q.index = pd.DatetimeIndex(schedule.times)
    return q.astype(object)


def shown_plan(plan: pd.DataFrame) -> pd.DataFrame:
    """The plan as the editor shows it: dekads as row labels in the current language, numbers where they are."""
    out = plan.copy()
    out.index = pd.Index([dekad_label(ts) for ts in plan.index], name=t("col_dekad"))
    return out.apply(lambda col: pd.to_numeric(col, errors="coerce"))


def apply_plan_edits(plan: pd.DataFrame, edited_rows: dict) -> pd.DataFrame:
    """The plan with the cells a data editor reports as edited (row position → post → value) copied in exactly as
    typed (a text that is not a number stays a text, to be reported, not lost)."""
    out = plan.copy()
    for r, changes in (edited_rows or {}).items():
        pos = int(r)
        if not 0 <= pos < len(out):
            continue
        for col, v in changes.items():
            if col in out.columns:
                out.iat[pos, out.columns.get_loc(col)] = v
    return out


def _number(v: Any) -> float | None:
    """The value as a float, or None if it is not a number (text, empty)."""
    if v is None or (isinstance(v, str) and not v.strip()):
        return math.nan
    if isinstance(v, bool):
        return None
    try:
        return float(str(v).replace(",", ".").replace(" ", "")) if isinstance(v, str) else float(v)
    except (TypeError, ValueError):
        return None


def check_plan(plan: pd.DataFrame, names: dict[str, str]) -> tuple[Schedule | None, list[str]]:
    """The typed plan as a :class:`Schedule` (hm³ per dekad), or None and one message per bad cell naming the post
    and the dekad (not a number, empty, negative, infinite)."""
    problems = []
    values = np.zeros(plan.shape)
    for j, post in enumerate(plan.columns):
        for i, ts in enumerate(plan.index):
            raw = plan.iat[i, j]
            v = _number(raw)
            where = dict(post=names.get(post, post), dekad=dekad_label(ts))
            if v is None:
                problems.append(t("season_bad_number", value=raw, **where))
            elif math.isnan(v):
                problems.append(t("season_bad_empty", **where))
            elif not math.isfinite(v) or v < 0:
                problems.append(t("season_bad_negative", value=f"{v:g}", **where))
            else:
                values[i, j] = v
    if problems:
        return None, problems
    m3s = pd.DataFrame(values, index=pd.DatetimeIndex(plan.index), columns=list(plan.columns))
    return Schedule.from_m3s(m3s, STEP), []


_HEADER_IDS = {v.strip().lower(): k for k, v in HEADERS.items()}  # the bilingual export headers, read back


def read_plan_upload(name: str, data: bytes, times: pd.DatetimeIndex, names: dict[str, str]
                     ) -> tuple[pd.DataFrame | None, list[str]]:
    """An uploaded schedule (CSV or .xlsx, one row per post and dekad: post, step_start, plan_m3s | plan_hm3; the
    bilingual headers of ``chutalas schedule --out`` are read too) as the editor's table on the season's dekads
    ``times``; or None and every problem in words (post and dekad named where the row has them)."""
    if len(data) > UPLOAD_MAX_MB * 1024 * 1024:
        return None, [t("upload_too_large", mb=UPLOAD_MAX_MB)]
    suffix = PurePath(name).suffix.lower()
    try:
        if suffix == ".csv":
            df = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
        elif suffix == ".xlsx":
            sheets = pd.read_excel(io.BytesIO(data), sheet_name=None, engine="openpyxl")
            df = sheets.get("schedule", next(iter(sheets.values())))
        else:
            return None, [t("season_bad_file", suffix=suffix or name)]
    except Exception as exc:  # noqa: BLE001 - any reader error is the file's problem, said in words
        return None, [t("season_bad_read", message=f"{type(exc).__name__}: {exc}")]
    df = df.rename(columns=lambda c: _HEADER_IDS.get(str(c).strip().lower(), str(c).strip()))
    missing = [c for c in ("post", "step_start") if c not in df.columns]
    if missing or not {"plan_m3s", "plan_hm3"} & set(df.columns):
        return None, [t("season_bad_columns", columns=", ".join(missing or ["plan_m3s"]))]
    unit = "plan_hm3" if "plan_hm3" in df.columns else "plan_m3s"
    known = set(names)
    problems = []
    for i, r in df.iterrows():
        ts = pd.to_datetime(r["step_start"], errors="coerce")
        post = str(r["post"]).strip() if pd.notna(r["post"]) else ""
        if pd.isna(ts) or pd.Timestamp(ts) not in times:
            problems.append(t("season_bad_step", row=int(i) + 2, value=r["step_start"], year=times[0].year))
            continue
        where = dict(post=names.get(post, post or "—"), dekad=dekad_label(ts))
        if post not in known:
            problems.append(t("season_bad_post", posts=", ".join(f"{p} ({n})" for p, n in names.items()), **where))
            continue
        v = _number(r[unit])
        if v is None or math.isnan(v):
            problems.append(t("season_bad_number", value=r[unit], **where))
        elif not math.isfinite(v) or v < 0:
            problems.append(t("season_bad_negative", value=f"{v:g}", **where))
    if problems:
        return None, problems
    present = {(str(p).strip(), pd.Timestamp(s)) for p, s in zip(df["post"], pd.to_datetime(df["step_start"]))}
    gaps = [t("season_missing", post=names[p], dekad=dekad_label(ts)) for p in names for ts in times
            if (p, ts) not in present]
    if gaps:
        return None, gaps[:10] + ([t("season_more", n=len(gaps) - 10)] if len(gaps) > 10 else [])
    try:
        sched = sched_mod.from_table(df[["post", "step_start", unit]], file=name, step=STEP)
    except ScheduleError as exc:  # (duplicates and the like: the core's located message)
        return None, [str(exc)]
    return plan_table(Schedule(sched.plan_hm3.reindex(index=times, columns=list(names)), STEP)), []


def plan_fact_display(pf: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """Plan against fact per post and dekad with its words and headers in the current language."""
    out = pd.DataFrame({t("col_post"): [names.get(p, p) for p in pf["post"]],
                        t("col_dekad"): [dekad_label(ts) for ts in pf["step_start"]]})
    for c in PLAN_FACT_COLUMNS:
        out[t(f"pf_col_{c}")] = pf[c].astype(float).round(3).to_numpy() + 0.0
    pct = t("pf_col_fulfilment_pct")  # no plan yet at the post: no percentage ("—", not a number or "None")
    out[pct] = [ui_text.number(v, ",.1f") if np.isfinite(v) else "—" for v in out[pct]]
    return out


def season_end(pf: pd.DataFrame) -> pd.DataFrame:
    """Per post at the season's last dekad: cumulative plan and actual [hm³], fulfilment [%], deviation [hm³]."""
    return pf.groupby("post", sort=False).tail(1).set_index("post")[
        ["cum_plan_hm3", "cum_actual_hm3", "fulfilment_pct", "deviation_hm3"]]


def fig_plan_fact(pf: pd.DataFrame, names: dict[str, str]) -> go.Figure:
    """Cumulative plan (dashed) and fact (solid) per post [hm³] over the season's dekads."""
    fig = go.Figure()
    for k, (p, g) in enumerate(pf.groupby("post", sort=False)):
        colour = LINE_COLOURS[k % len(LINE_COLOURS)] if len(names) > 1 else PARTY_COLOURS["KZ"]
        x = pd.DatetimeIndex(g["step_start"])
        labels = [dekad_label(ts) for ts in x]
        fig.add_scatter(x=x, y=g["cum_plan_hm3"], name=t("season_plan_line", post=names.get(p, p)), mode="lines",
                        line=dict(color=colour, dash="dash", width=2), customdata=labels,
                        hovertemplate="%{customdata}: %{y:,.1f}<extra></extra>")
        fig.add_scatter(x=x, y=g["cum_actual_hm3"], name=t("season_fact_line", post=names.get(p, p)),
                        mode="lines+markers", line=dict(color=colour, width=2.5), customdata=labels,
                        hovertemplate="%{customdata}: %{y:,.1f}<extra></extra>")
    months = [ts for ts in sorted(pd.DatetimeIndex(pf["step_start"]).unique()) if ts.day == 1]
    fig.update_xaxes(tickmode="array", tickvals=months, ticktext=[f"{month_abbr(ts.month)} {ts.year}" for ts in months])
    fig = _layout(fig, t("season_chart"), t("axis_cum_hm3"), t("axis_dekad"), height=460)
    fig.update_yaxes(rangemode="tozero")
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.2, xanchor="left", x=0),  # below the plot:
                      margin=dict(l=60, r=20, t=60, b=120), hovermode="closest")  # two lines a post
    return fig


def plan_fact_csv(schedule: Schedule, pf: pd.DataFrame) -> bytes:
    """Plan against fact as the Commission exchanges it (optimizer.interfaces.tables: Russian/English headers)."""
    from optimizer.interfaces.tables import bilingual

    return bilingual(pf, schedule.step).to_csv(index=False).encode("utf-8-sig")


def plan_hash(plan: pd.DataFrame) -> str:
    """A fingerprint of the typed plan (values as typed), for caching the schedule run per session."""
    import hashlib

    return hashlib.sha256(plan.astype(str).to_csv().encode()).hexdigest()
