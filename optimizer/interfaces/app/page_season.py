"""The season schedule tab: the schedule of the vegetation period (Apr–Sep, per dekad) typed or uploaded, operated
with ``operation="schedule"`` and shown as plan against fact per post.

Kept per session in ``st.session_state.season[<basin key>]``: the typed plan (raw cell values, m³/s, dekad × post)
of each season (edited basin, year, forecast), where it came from, and the runs of valid plans (the newest
:data:`RUNS_MAX`), so that switching tabs, an invalid entry or another season loses nothing typed.
"""

from __future__ import annotations

import time
from typing import Any

import pandas as pd
import streamlit as st

import optimizer
from optimizer.analyses import season as S
from optimizer.interfaces import ui_text
from optimizer.interfaces.app import season as A
from optimizer.interfaces.app.page_common import Page, chart, editor, editor_number, heading, numbers
from optimizer.interfaces.ui_text import t

RUNS_MAX = 8  # schedule runs kept per session (oldest dropped first)


def _state(page: Page) -> dict[str, Any]:
    return st.session_state.setdefault("season", {}).setdefault(page.key, {"plans": {}, "runs": {}, "msg": None})


def _season_key(page: Page, year: int, forecast: float) -> str:
    assert page.edited_basin is not None
    return f"{page.edited_basin.sha256()}|{year}|{forecast!r}"


def _proposed(season: S.Season, time_limit: float) -> pd.DataFrame:
    with st.spinner(t("season_proposing")):
        schedule, _ = S.propose(season, time_limit=time_limit)
    return A.plan_table(schedule)


def render_season(page: Page) -> None:
    st.caption(t("season_intro"))
    if page.edited_basin is None:
        st.warning(t("season_invalid"))
        return
    basin = page.edited_basin
    try:
        posts = S.posts(basin)
    except ValueError as exc:
        st.info(t("season_no_posts", message=exc))
        return
    c1, c2, _ = st.columns([1, 1, 2])
    year = int(c1.number_input(t("season_year"), min_value=1990, max_value=2100, value=2025, step=1,
                               key="season_year"))
    forecast = float(c2.number_input(t("season_forecast"), min_value=0.1, max_value=3.0, value=1.0, step=0.05,
                                     format="%.2f", help=t("season_forecast_help"), key="season_forecast"))
    try:
        season = S.season(basin, year, forecast=forecast, step=A.STEP)
    except (ValueError, KeyError) as exc:
        st.error(t("season_failed", message=exc))
        return
    names = A.post_names(basin, posts)
    st.caption(t("season_quota", quota=season.operative_quota_hm3, regulation=season.regulation_quota_hm3,
                 posts=", ".join(names.values())))
    result_box = st.container()  # plan against fact first, above the editor it follows from
    state, skey = _state(page), _season_key(page, year, forecast)
    plans = state["plans"]
    if skey not in plans:
        try:
            plans[skey] = {"plan": _proposed(season, page.time_limit), "source": None, "version": 0}
        except optimizer.SolveError as exc:
            st.error(t("season_failed", message=str(exc).splitlines()[0]))
            return
    entry = plans[skey]

    def on_upload() -> None:
        ui_text.set_language(st.session_state.get("lang"))  # (callbacks run before the script sets it)
        f = st.session_state.get("season_upload")
        if f is None:
            return
        plan, problems = A.read_plan_upload(f.name, f.getvalue(), season.times, names)
        if problems:
            state["msg"] = (f.name, problems)  # the table keeps what was typed
            return
        entry.update(plan=plan, source=f.name, version=entry["version"] + 1)
        state["msg"] = None

    def on_reset() -> None:
        ui_text.set_language(st.session_state.get("lang"))
        entry.update(plan=_proposed(season, page.time_limit), source=None, version=entry["version"] + 1)
        state["msg"] = None

    heading(t("season_plan_table"))
    st.caption(t("season_source_upload", file=entry["source"]) if entry["source"] else t("season_source_proposed"))
    ekey = f"season_plan|{page.key}|{skey}|v{entry['version']}"
    plan = entry["plan"]
    cfg = {p: editor_number(t("season_post_m3s", post=names[p])) for p in posts}
    shown, edited = editor(page, "season_plan", lambda: A.shown_plan(plan), cfg, key=ekey)
    plan = A.apply_plan_edits(plan, edited)
    schedule, problems = A.check_plan(plan, names)
    u1, u2 = st.columns([3, 1])
    u1.file_uploader(t("season_upload"), type=["csv", "xlsx"], key="season_upload", on_change=on_upload,
                     max_upload_size=A.UPLOAD_MAX_MB, help=t("season_upload_help"))
    u2.button(t("season_reset"), key="season_reset", on_click=on_reset)
    if state["msg"]:
        file, msgs = state["msg"]
        st.error(t("season_upload_bad", file=file) + "\n" + "\n".join(f"- {m}" for m in msgs))
    if problems:
        st.error(t("season_problems", n=len(problems)) + "\n" + "\n".join(f"- {m}" for m in problems))
    else:
        assert schedule is not None
        with st.expander(t("season_cum_table")):
            cum = schedule.cumulative_hm3.round(1) + 0.0
            cum.index = pd.Index([A.dekad_label(ts) for ts in cum.index], name=t("col_dekad"))
            shown_cum, cfg_cum = numbers(cum.rename(columns=names))
            st.dataframe(shown_cum, column_config=cfg_cum)
    runs = state["runs"]
    rkey = skey + "|" + A.plan_hash(plan)
    if schedule is not None and rkey not in runs:
        t0 = time.perf_counter()
        try:
            with st.spinner(t("season_operating")):
                res = S.follow(season, schedule, time_limit=page.time_limit)
        except optimizer.SolveError as exc:
            st.error(t("season_failed", message=str(exc).splitlines()[0]))
            return
        pf = S.plan_vs_fact(schedule, S.receipts(res, posts))
        runs[rkey] = {"schedule": schedule, "pf": pf, "seconds": time.perf_counter() - t0, "season": skey}
        while len(runs) > RUNS_MAX:
            runs.pop(next(iter(runs)))
        state["last"] = rkey
    shown_key = rkey if rkey in runs else state.get("last")
    if shown_key not in runs or runs[shown_key]["season"] != skey:
        return
    run = runs[shown_key]
    with result_box:
        if shown_key != rkey:
            st.warning(t("season_stale"))
        render_plan_fact(run, names)
    render_plan_fact_table(run, names)


def render_plan_fact(run: dict[str, Any], names: dict[str, str]) -> None:
    """Plan against fact at the season's end (one metric per post) and the cumulative chart."""
    pf = run["pf"]
    last = pd.Timestamp(pf["step_start"].max())
    heading(t("season_result", date=A.dekad_label(last)))
    st.caption(t("season_seconds", seconds=run["seconds"]))
    end = A.season_end(pf)
    cols = st.columns(len(end))
    for col, (p, row) in zip(cols, end.iterrows()):
        pct = row["fulfilment_pct"]
        col.metric(names.get(str(p), str(p)), "—" if pd.isna(pct) else t("pct_value", pct=pct),
                   delta=t("season_deviation", value=row["deviation_hm3"] + 0.0,
                           plan=row["cum_plan_hm3"], fact=row["cum_actual_hm3"]),
                   delta_color="normal" if row["deviation_hm3"] < -0.05 else "off", help=t("season_metric_help"))
    chart(A.fig_plan_fact(pf, names), key="chart_plan_fact")


def render_plan_fact_table(run: dict[str, Any], names: dict[str, str]) -> None:
    """Plan against fact per post and dekad, and its download."""
    pf = run["pf"]
    heading(t("season_table"))
    table = A.plan_fact_display(pf, names)
    shown, cfg = numbers(table, 3, columns=list(table.columns[2:]))
    st.dataframe(shown, hide_index=True, key="table_plan_fact", column_config=cfg)
    st.download_button(t("season_download"), data=A.plan_fact_csv(run["schedule"], pf),
                       file_name="plan_fact.csv", mime="text/csv", key="dl_plan_fact", on_click="ignore")
