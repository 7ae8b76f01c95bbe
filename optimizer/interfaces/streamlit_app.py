"""Streamlit app: treaty-aware water sharing of the Chu and Talas rivers (KG upstream, KZ downstream).

    streamlit run app.py --server.headless true --server.address 127.0.0.1 --server.fileWatcherType none

Thin by design: this script reads the sidebar, validates and solves; the scenario logic, validation and figures
are in the plain-data modules of ``optimizer.interfaces.app`` and each tab is drawn by a ``page_*`` module there;
every label is in ``optimizer.interfaces.ui_text``. Edits live in ``st.session_state`` (per browser session) as tables;
they are checked through ``basins.loads`` before anything is solved, and the last valid solution of
each basin stays on screen while the inputs are invalid or infeasible.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

import basins
from optimizer.interfaces import ui_text
from optimizer.interfaces.app import edits as E
from optimizer.interfaces.app import page_results, page_season, page_tools
from optimizer.interfaces.app.files import read_upload, upload_key, upload_suffix
from optimizer.interfaces.app.page_common import Page, show_problems
from optimizer.interfaces.app.page_inputs import render_agreement, render_inputs
from optimizer.interfaces.app.results import label_or, solve_options, validation_provider
from optimizer.interfaces.ui_text import month_abbr, t

ss = st.session_state
# The language: the sidebar's switch (kept in the session), first from ?lang=ru|en, else English. Set per
# script run in this session's thread (ui_text keeps it in a ContextVar), so sessions do not share it.
if ss.get("lang") not in ui_text.LANGUAGES:
    _q = str(st.query_params.get("lang", "")).strip().lower()
    ss.lang = _q if _q in ui_text.LANGUAGES else ui_text.DEFAULT_LANGUAGE
ui_text.set_language(ss.lang)
st.set_page_config(page_title=t("page_title"), layout="wide")


@st.cache_resource(show_spinner=False)
def bundled(basin_id: str) -> basins.Basin:
    """A bundled basin, loaded once per server (read-only: edits work on copies)."""
    return basins.load(basin_id)


@st.cache_resource(show_spinner=False)
def bundled_defaults(basin_id: str) -> E.Edits:
    return E.edits_from_basin(bundled(basin_id))


@st.cache_resource(show_spinner=False)
def bundled_defaults_hash(basin_id: str) -> str:
    return E.edits_hash(bundled_defaults(basin_id))


@st.cache_data(show_spinner=t("validation_running"))
def validation_table(basin_id: str, provider: str) -> Any:
    """optimizer.analyses.validation.table(basin_id), once per server and provider (it runs several solves)."""
    table = validation_provider()
    return None if table is None else table(basin_id)


for name, default in (("uploaded", {}), ("edits", {}), ("versions", {}), ("results", {}), ("failed", {}),
                      ("validated", {}), ("snapshots", {}), ("pinned", None), ("upload_msg", None),
                      ("tradeoffs", {}), ("reoptimizers", {})):
    if name not in ss:
        ss[name] = default


def base_of(key: str) -> basins.Basin:
    return ss.uploaded[key]["basin"] if key in ss.uploaded else bundled(key)


def defaults_of(key: str) -> E.Edits:
    return ss.uploaded[key]["defaults"] if key in ss.uploaded else bundled_defaults(key)


def defaults_hash(key: str) -> str:
    return ss.uploaded[key]["defaults_hash"] if key in ss.uploaded else bundled_defaults_hash(key)


def forget_edits(key: str) -> None:
    ss.edits.pop(key, None)
    ss.validated.pop(key, None)
    ss.failed.pop(key, None)
    ss.versions[key] = ss.versions.get(key, 0) + 1  # fresh widget keys: no stale editor state survives


# ---- callbacks (run before the script, so they may set widget state) -----------------------------
def on_reset() -> None:
    forget_edits(ss.basin)


#: widgets whose option labels are in the reader's language (format_func): Streamlit's front end keeps a choice
#: by its label, so after a language switch it would show none selected (streamlit/streamlit#13611)
_LABELLED = ("basin", "start_month", "foresight", "operation", "end_storage", "unit", "tradeoff_rules")
_LABELLED_PREFIXES = ("year_type_", "network_month_", "mode_")  # (a rule's mode: mode_<rule>|<basin>|v<n>)


def on_language() -> None:
    """Re-assign the labelled widgets' choices, so that Streamlit sends each to the front end again, labelled in
    the new language (nothing the user chose is lost or shown unselected)."""
    for k in list(ss.keys()):
        k = str(k)
        if k in _LABELLED or k.startswith(_LABELLED_PREFIXES):
            ss[k] = ss[k]


def on_upload() -> None:
    ui_text.set_language(ss.get("lang"))  # callbacks run before the script sets it in this thread
    f = ss.get("upload")
    if f is None:
        return
    basin, problems = read_upload(f.name, f.getvalue())
    if problems or basin is None:
        ss.upload_msg = ("error", f.name, problems)
        return
    key = upload_key(ss.uploaded, basin.id)  # a second upload of one id is kept beside the first
    defaults = E.edits_from_basin(basin)
    ss.uploaded[key] = {"basin": basin, "defaults": defaults, "defaults_hash": E.edits_hash(defaults),
                        "file": f.name}
    forget_edits(key)
    ss.results.pop(key, None)
    ss.basin = key
    ss.upload_msg = ("ok", f.name, basin.name + upload_suffix(key))


def basin_label(key: str) -> str:
    if key in ss.uploaded:
        return t("basin_uploaded", name=ui_text.basin_name(ss.uploaded[key]["basin"]) + upload_suffix(key),
                 file=ss.uploaded[key]["file"])
    return ui_text.basin_name(bundled(key))


# ---- sidebar: basin and solve options ------------------------------------------------------------
with st.sidebar:
    st.radio(t("language"), list(ui_text.LANGUAGES), format_func=lambda c: t(f"lang_{c}"), horizontal=True,
             key="lang", on_change=on_language)
    st.title(t("app_title"))
    st.caption(t("app_caption"))
    options = basins.available() + list(ss.uploaded)
    if ss.get("basin") not in options:
        ss.basin = "chu" if "chu" in options else options[0]
    labels = {k: basin_label(k) for k in options}  # format functions must not read session state
    key = str(st.radio(t("basin"), options, format_func=labels.__getitem__, key="basin"))
    base = base_of(key)
    year_types = base.year_types
    yt_key = f"year_type_{'_'.join(year_types)}"
    if yt_key not in ss:  # the default once, as session state (a widget given both warns: on_language sets it)
        ss[yt_key] = "normal" if "normal" in year_types else year_types[0]
    year_type = st.selectbox(t("year_type"), year_types, format_func=lambda y: label_or(f"year_type_{y}", y),
                             key=yt_key)
    start_month = st.selectbox(t("start_month"), range(1, 13), format_func=month_abbr,
                               help=t("start_month_help"), key="start_month")
    months = st.number_input(t("months"), min_value=1, max_value=120, value=12, step=1, help=t("months_help"),
                             key="months")
    foresight = st.radio(t("foresight"), ["perfect", "myopic"], format_func=lambda v: t(f"foresight_{v}"),
                         key="foresight")
    operation = st.radio(t("operation"), ["agreement", "status-quo"], format_func=lambda v: t(f"operation_{v}"),
                         key="operation")
    if foresight == "myopic":  # an operator without a forecast cannot plan an end storage (optimizer.solve)
        st.radio(t("end_storage"), ["free"], format_func=lambda v: t(f"end_storage_{v}"), disabled=True,
                 key="end_storage_myopic", help=t("end_storage_myopic_help"))
        end_storage = "free"
    else:
        end_storage = st.radio(t("end_storage"), ["initial", "free"], format_func=lambda v: t(f"end_storage_{v}"),
                               key="end_storage")
    time_limit = float(st.number_input(t("time_limit"), min_value=0.000001, max_value=3600.0, value=60.0, step=10.0,
                                       format="%g", help=t("time_limit_help"), key="time_limit"))
    auto = st.toggle(t("auto_solve"), value=True, key="auto_solve")
    solve_clicked = st.button(t("solve"), type="primary", key="solve", width="stretch")
    st.button(t("reset"), key="reset", on_click=on_reset, help=t("reset_help"), width="stretch")
    st.caption(t("units_note"))


# ---- main area: placeholders first, filled once the inputs are read and solved -------------------
status_box = st.container()
# Lazy tabs: only the open tab's content runs and is sent (the browser draws far less on every run).
# Edits live in session state, not in the widgets, so a closed tab loses nothing.
tabs = st.tabs([t("tab_allocation"), t("tab_demands"), t("tab_reservoirs"), t("tab_compliance"), t("tab_schedule"),
                t("tab_inputs"), t("tab_agreement"), t("tab_compare"), t("tab_tradeoffs"), t("tab_files")], key="tab",
               on_change="rerun")
tab_alloc, tab_dem, tab_res, tab_comp, tab_season, tab_inputs, tab_agree, tab_compare, tab_trade, tab_files = tabs

if key not in ss.edits:
    ss.edits[key] = defaults_of(key).copy()
page = Page(key=key, base=base, edits=ss.edits[key], defaults=defaults_of(key), version=ss.versions.get(key, 0),
            year_type=year_type, uploaded=key in ss.uploaded, labels=labels, time_limit=time_limit)

for _k in [k for k in ss.snapshots if k not in ss]:  # editors not drawn last run have lost their state
    del ss.snapshots[_k]

boxes: dict = {}
if tab_inputs.open:
    with tab_inputs:
        boxes |= render_inputs(page)
if tab_agree.open:
    with tab_agree:
        boxes |= render_agreement(page)

# ---- validate the edits (cached per session) ------------------------------------------------------
ek = E.edits_hash(page.edits)
cached = ss.validated.get(key)
if cached is None or cached[0] != ek:
    if ek == defaults_hash(key):  # unedited: the basin as loaded, validated already
        cached = (ek, base, [], page.defaults)
    else:  # only the changed series cells, when nothing else changed since a valid state; else the whole basin
        quick = None if cached is None or cached[1] is None else E.revalidate_series(cached[1], cached[3], page.edits)
        cached = (ek, *(quick or E.validate_edits(base, page.edits)), page.edits.copy())
    ss.validated[key] = cached
_, page.edited_basin, problems, _ = cached
unshown: list[E.Located] = []
for table, items in E.problems_by_table(problems, E.display_names(base) if problems else None).items():
    box = boxes.get(table) or (boxes.get("agreement") if table in ("agreement", "other") else None)
    if box is None:
        unshown += items
        continue
    with box:
        show_problems(items)

# ---- solve, then say what is shown and why ---------------------------------------------------------
page.opts = solve_options(year_type, start_month, months, foresight, operation, end_storage)
failure, current = page_results.solve_page(page, solve_clicked, auto)
page_results.render_status(status_box, page, problems, unshown, failure, current)

# ---- the tabs (only the open one runs) -------------------------------------------------------------
for tab, render in ((tab_alloc, page_results.render_allocation), (tab_dem, page_results.render_demands),
                    (tab_res, page_results.render_reservoirs), (tab_comp, page_results.render_compliance)):
    if tab.open:
        with tab:
            if page.entry is None:
                st.info(t("no_solution"))
            else:
                render(page, page.entry)
if tab_season.open:
    with tab_season:
        page_season.render_season(page)
if tab_compare.open:
    with tab_compare:
        page_tools.render_compare(page, validation_table)
if tab_trade.open:
    with tab_trade:
        page_tools.render_tradeoffs(page)
if tab_files.open:
    with tab_files:
        page_tools.render_files(page, on_upload)
