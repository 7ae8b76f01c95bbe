"""Streamlit app: treaty-aware water sharing of the Chu and Talas rivers (KG upstream, KZ downstream).

    streamlit run app.py --server.headless true --server.address 127.0.0.1 --server.fileWatcherType none

Thin by design: the scenario logic, validation and figures are in ``optimizer.interfaces.app_support``, every
label is in ``optimizer.interfaces.ui_text``. Edits live in ``st.session_state`` (per browser session) as tables;
they are checked through ``basins.loads`` before anything is solved, and the last valid solution of
each basin stays on screen while the inputs are invalid or infeasible.
"""

from __future__ import annotations

import logging
import re
import time

import streamlit as st

import basins
import optimizer
from optimizer.interfaces import app_support as sup
from optimizer.interfaces import ui_text
from optimizer.interfaces.ui_text import month_abbr, t

log = logging.getLogger("chutalas.app")

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
def bundled_defaults(basin_id: str) -> sup.Edits:
    return sup.edits_from_basin(bundled(basin_id))


@st.cache_resource(show_spinner=False)
def bundled_defaults_hash(basin_id: str) -> str:
    return sup.edits_hash(bundled_defaults(basin_id))


@st.cache_data(show_spinner=t("validation_running"))
def validation_table(basin_id: str, provider: str):
    """optimizer.analyses.validation.table(basin_id), once per server and provider (it runs several solves)."""
    return sup.validation_provider()(basin_id)


for name, default in (("uploaded", {}), ("edits", {}), ("versions", {}), ("results", {}), ("failed", {}),
                      ("validated", {}), ("snapshots", {}), ("pinned", None), ("upload_msg", None),
                      ("tradeoffs", {})):
    if name not in ss:
        ss[name] = default


def base_of(key: str) -> basins.Basin:
    return ss.uploaded[key]["basin"] if key in ss.uploaded else bundled(key)


def defaults_of(key: str) -> sup.Edits:
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


def on_upload() -> None:
    ui_text.set_language(ss.get("lang"))  # callbacks run before the script sets it in this thread
    f = ss.get("upload")
    if f is None:
        return
    basin, problems = sup.read_upload(f.name, f.getvalue())
    if problems:
        ss.upload_msg = ("error", f.name, problems)
        return
    key = sup.upload_key(ss.uploaded, basin.id)  # a second upload of one id is kept beside the first
    defaults = sup.edits_from_basin(basin)
    ss.uploaded[key] = {"basin": basin, "defaults": defaults, "defaults_hash": sup.edits_hash(defaults),
                        "file": f.name}
    forget_edits(key)
    ss.results.pop(key, None)
    ss.basin = key
    ss.upload_msg = ("ok", f.name, basin.name + sup.upload_suffix(key))


def on_pin() -> None:
    entry = ss.results.get(ss.basin)
    if entry:
        ss.pinned = {**entry, "basin": ss.basin}


def on_unpin() -> None:
    ss.pinned = None


def basin_label(key: str) -> str:
    if key in ss.uploaded:
        return t("basin_uploaded", name=ss.uploaded[key]["basin"].name + sup.upload_suffix(key),
                 file=ss.uploaded[key]["file"])
    return bundled(key).name


# ---- sidebar: basin and solve options ------------------------------------------------------------
with st.sidebar:
    st.radio(t("language"), list(ui_text.LANGUAGES), format_func=lambda c: t(f"lang_{c}"), horizontal=True,
             key="lang")
    st.title(t("app_title"))
    st.caption(t("app_caption"))
    options = basins.available() + list(ss.uploaded)
    if ss.get("basin") not in options:
        ss.basin = "chu" if "chu" in options else options[0]
    labels = {k: basin_label(k) for k in options}  # format functions must not read session state
    key = st.radio(t("basin"), options, format_func=labels.__getitem__, key="basin")
    base = base_of(key)
    year_types = base.year_types
    year_type = st.selectbox(t("year_type"), year_types, index=year_types.index("normal") if "normal" in
                             year_types else 0, format_func=lambda y: sup.label_or(f"year_type_{y}", y),
                             key=f"year_type_{'_'.join(year_types)}")
    start_month = st.selectbox(t("start_month"), range(1, 13), format_func=month_abbr,
                               help=t("start_month_help"), key="start_month")
    months = st.number_input(t("months"), min_value=1, max_value=120, value=12, step=1, help=t("months_help"),
                             key="months")
    foresight = st.radio(t("foresight"), ["perfect", "myopic"], format_func=lambda v: t(f"foresight_{v}"),
                         key="foresight")
    operation = st.radio(t("operation"), ["agreement", "status-quo"], format_func=lambda v: t(f"operation_{v}"),
                         key="operation")
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
tabs = st.tabs([t("tab_allocation"), t("tab_demands"), t("tab_reservoirs"), t("tab_compliance"), t("tab_inputs"),
                t("tab_agreement"), t("tab_compare"), t("tab_tradeoffs"), t("tab_files")], key="tab", on_change="rerun")
tab_alloc, tab_dem, tab_res, tab_comp, tab_inputs, tab_agree, tab_compare, tab_trade, tab_files = tabs

if key not in ss.edits:
    ss.edits[key] = defaults_of(key).copy()
edits: sup.Edits = ss.edits[key]
defaults = defaults_of(key)
ver = ss.versions.get(key, 0)
widget_key = lambda name: f"{name}|{key}|v{ver}"  # noqa: E731 - one namespace per basin and reset


for _k in [k for k in ss.snapshots if k not in ss]:  # editors not drawn last run have lost their state
    del ss.snapshots[_k]


def editor(name: str, make_shown, column_config: dict, disabled: list[str] | None = None):
    """A data editor whose table is fixed while it lives; returns (shown table, edited rows)."""
    k = widget_key(name)
    if k not in ss or k not in ss.snapshots:
        ss.snapshots[k] = make_shown()
    rows = len(ss.snapshots[k])
    shown = st.data_editor(ss.snapshots[k], key=k, num_rows="fixed", column_config=column_config,
                           disabled=disabled or False, width="stretch", height=35 * (rows + 1) + 3)
    state = ss.get(k) or {}
    return shown, state.get("edited_rows", {})


def heading(text: str) -> None:
    st.markdown(f"##### {text}")


def edited_caption(n: int) -> None:
    if n:
        st.caption(t("edited_count", n=n, s=t("plural_s") if n != 1 else "", verb="" if n != 1 else t("verb_s")))


def show_problems(items: list[sup.Located]) -> None:
    if items:
        st.error(t("problems_here") + "\n" + "\n".join(f"- {loc.text}" for loc in items))


# ---- inputs tab: the edit tables -----------------------------------------------------------------
def render_inputs() -> dict:
    """The edit tables; returns the containers where each table's problems are shown."""
    boxes: dict = {}
    st.caption(t("inputs_intro"))
    units = ["hm3", "m3/s"]
    unit = st.radio(t("unit_toggle"), units, index=units.index(ss.get("unit_pref", "hm3")), horizontal=True,
                    format_func=lambda u: t("unit_hm3" if u == "hm3" else "unit_m3s"), key="unit")
    ss.unit_pref = unit
    unit_label = t("unit_hm3") if unit == "hm3" else t("u_m3s")
    names = {n.id: n.name for n in base.spec.nodes}

    for kind in ("inflow", "demand"):
        if kind == "inflow":
            heading(t("inflow_table", year_type=sup.label_or(f"year_type_{year_type}", year_type),
                           unit=unit_label))
            current, name, count = edits.inflow[year_type], f"ed_inflow_{year_type}_{unit}", f"inflow:{year_type}"
        else:
            heading(t("demand_table", unit=unit_label))
            current, name, count = edits.demand, f"ed_demand_{unit}", "demand"
        boxes[kind] = st.container()
        cfg = {n: st.column_config.NumberColumn(t("col_series", node=n, unit=unit_label), help=names.get(n, n),
                                                format="%.2f") for n in current.columns}
        shown, edited = editor(name, lambda: sup.series_display(current, unit), cfg)
        new = sup.apply_cell_edits(current, edited, shown, lambda v, pos: sup.to_hm3(v, pos + 1, unit))
        if kind == "inflow":
            edits.inflow[year_type] = new
        else:
            edits.demand = new
        edited_caption(sup.count_changes(edits, defaults).get(count, 0))

    heading(t("reservoir_table"))
    boxes["reservoirs"] = st.container()
    cfg = {"_index": st.column_config.TextColumn(t("col_node")),
           "name": st.column_config.TextColumn(t("col_name"))}
    cfg |= {f: st.column_config.NumberColumn(t(f"col_{f}"), format="%.1f") for f in sup.RESERVOIR_FIELDS}
    shown, edited = editor("ed_reservoirs", lambda: edits.reservoirs.copy(), cfg, disabled=["name"])
    edits.reservoirs = sup.apply_cell_edits(edits.reservoirs, edited, shown)
    edited_caption(sup.count_changes(edits, defaults)["reservoirs"])
    heading(t("canal_table"))
    boxes["canals"] = st.container()
    link_units = set(edits.canals["unit"])
    cap_label = t("col_capacity_unit", unit=t("u_m3s") if link_units == {"m3/s"} else
                  (t("unit_hm3") if link_units == {"hm3/month"} else t("col_unit")))
    cfg = {"_index": st.column_config.TextColumn(t("col_link")),
           "from": st.column_config.TextColumn(t("col_link_from")),
           "to": st.column_config.TextColumn(t("col_link_to")),
           "capacity": st.column_config.NumberColumn(cap_label, format="%.1f"),
           "unit": st.column_config.TextColumn(t("col_unit"))}
    shown, edited = editor("ed_canals", lambda: edits.canals.copy(), cfg, disabled=["from", "to", "unit"])
    edits.canals = sup.apply_cell_edits(edits.canals, edited, shown)
    edited_caption(sup.count_changes(edits, defaults)["canals"])
    return boxes


# ---- agreement tab: rule modes, shares, quota volumes, priorities ---------------------------------
def render_agreement() -> dict:
    st.caption(t("agreement_intro"))
    boxes = {"agreement": st.container()}
    ag = base.spec.agreement
    for rule in list(ag.share_rules) + list(ag.quotas) + list(ag.storage_splits):
        ed = edits.rules[rule.id]
        kind_label = {"share": t("rule_share"), "quota": t("rule_quota"), "split": t("rule_split")}[ed["kind"]]
        with st.container(border=True):
            st.markdown(t("rule_header", kind=kind_label, id=rule.id, period=rule.period))
            if rule.description:
                st.caption(rule.description)
            c1, c2 = st.columns([1, 2])
            with c1:
                ed["mode"] = st.radio(t("mode"), ["hard", "soft"], index=["hard", "soft"].index(ed["mode"]),
                                      format_func=lambda m: t(f"mode_{m}"), horizontal=True,
                                      key=widget_key(f"mode_{rule.id}"))
            with c2:
                if ed["kind"] in ("share", "split"):
                    parties = list(ed["shares"])
                    first = rule.enforce[0] if rule.enforce and rule.enforce[0] in parties else parties[0]
                    others = [p for p in parties if p != first]
                    if len(others) == 1:  # two parties: one input, the other gets the rest
                        v = st.number_input(t("share_of", party=first), min_value=0.0, max_value=1.0, step=0.01,
                                            value=float(ed["shares"][first]), format="%.2f",
                                            key=widget_key(f"share_{rule.id}"))
                        ed["shares"] = {first: float(v), others[0]: round(1.0 - float(v), 12)}
                        st.caption(t("share_other", party=others[0], share=ed["shares"][others[0]]))
                    else:
                        for p in parties:
                            ed["shares"][p] = float(st.number_input(
                                t("share_of", party=p), min_value=0.0, max_value=1.0, step=0.01,
                                value=float(ed["shares"][p]), format="%.2f", key=widget_key(f"share_{rule.id}_{p}")))
                else:
                    ed["volume_hm3"] = float(st.number_input(
                        t("quota_volume", party=rule.party, unit=t("u_hm3")), min_value=0.0, step=10.0,
                        value=float(ed["volume_hm3"]), format="%.1f", key=widget_key(f"volume_{rule.id}")))
    if base.spec.demands:
        heading(t("priorities"))
        st.caption(t("priorities_caption"))
        boxes["priorities"] = st.container()
        cols = st.columns(min(len(base.spec.demands), 5))
        for i, d in enumerate(base.spec.demands):
            with cols[i % len(cols)]:
                edits.priorities[d.node] = int(st.number_input(
                    t("priority_of", node=d.node, party=d.party or "-"), min_value=1, max_value=10, step=1,
                    value=int(edits.priorities[d.node]), key=widget_key(f"priority_{d.node}")))
    return boxes


boxes: dict = {}
if tab_inputs.open:
    with tab_inputs:
        boxes |= render_inputs()
if tab_agree.open:
    with tab_agree:
        boxes |= render_agreement()

# ---- validate the edits (cached per session) ------------------------------------------------------
ek = sup.edits_hash(edits)
cached = ss.validated.get(key)
if cached is None or cached[0] != ek:
    if ek == defaults_hash(key):  # unedited: the basin as loaded, validated already
        cached = (ek, base, [])
    else:
        cached = (ek, *sup.validate_edits(base, edits))
    ss.validated[key] = cached
_, edited_basin, problems = cached
located = sup.problems_by_table(problems)
unshown: list[sup.Located] = []
for table, items in located.items():
    box = boxes.get(table) or (boxes.get("agreement") if table in ("agreement", "other") else None)
    if box is None:
        unshown += items
        continue
    with box:
        show_problems(items)

# ---- solve ----------------------------------------------------------------------------------------
opts = sup.solve_options(year_type, start_month, months, foresight, operation, end_storage)
entry = ss.results.get(key)
failure = None
current = False
if edited_basin is not None:
    skey = sup.solve_key(edited_basin, opts)
    # a solution does not depend on the time limit, but a failure may (a raised limit is tried again)
    fkey = f"{skey}|time_limit={time_limit!r}"
    failed = ss.failed.get(key)
    if entry is None or entry["key"] != skey:
        if solve_clicked or (auto and not (failed and failed["key"] == fkey)):
            t0 = time.perf_counter()
            try:
                with st.spinner(t("solving")):
                    result = optimizer.solve(edited_basin, **opts, time_limit=time_limit)
            except optimizer.SolverLimit as exc:
                msg = re.sub(r";\s*raise --time-limit.*$", ".", str(exc))  # the CLI's hint, not this app's
                ss.failed[key] = {"key": fkey, "message": f"{msg}\n{t('solver_limit_hint')}", "conflicts": None}
            except optimizer.SolveError as exc:
                ss.failed[key] = {"key": fkey, "message": str(exc), "conflicts": getattr(exc, "conflicts", None)}
            except (ValueError, KeyError, RuntimeError) as exc:  # an option the optimiser refuses, or a bug
                log.exception("solve failed")
                ss.failed[key] = {"key": fkey, "message": t("solve_failed_unexpected", kind=type(exc).__name__,
                                                             message=exc), "conflicts": None}
            else:
                entry = {"result": result, "key": skey, "label": sup.result_label(edited_basin, opts),
                         "seconds": time.perf_counter() - t0, "basin_id": edited_basin.id}
                ss.results[key] = entry
                ss.failed.pop(key, None)
    failed = ss.failed.get(key)
    if failed and failed["key"] == fkey:
        failure = failed
    current = entry is not None and entry["key"] == skey

# ---- status: what is shown and why ---------------------------------------------------------------
with status_box:
    if problems:
        n = len(problems)
        st.error(t("invalid_inputs", n=n, s=t("plural_s") if n != 1 else ""))
        show_problems(unshown)
    if failure:
        lines = failure["message"].splitlines()
        st.error("**" + t("solve_failed") + "** " + "".join(
            (f"\n- {ln.strip()[2:]}" if ln.strip().startswith("- ") else f"\n\n{ln}") for ln in lines))
        if failure["conflicts"] is not None and len(failure["conflicts"]):
            st.caption(t("conflicts_caption"))
            st.dataframe(failure["conflicts"], hide_index=True)
    if entry is None:
        st.info(t("no_solution"))
    else:
        r = entry["result"]
        st.markdown(f"**{entry['label']}** · {t('solved_in', seconds=entry['seconds'])} "
                    f"({t('model_reused') if r.manifest.get('model_reused') else t('model_built')})")
        if not current:
            if edited_basin is not None and not failure:
                st.warning(t("stale_solution"))
            else:
                st.warning(t("showing_last", label=entry["label"]))
        totals = sup.party_totals(r)
        cols = st.columns(len(totals) * 2 + 1)
        for i, (p, row) in enumerate(totals.iterrows()):
            # no delta against the share here: a ceiling is not a target (each rule's test is listed below in words)
            used = sup.first_rule_role(r.ledger, p) == "ceiling"  # KG's count is its use, not a receipt
            cols[2 * i].metric(t("metric_used" if used else "metric_received", party=p),
                               t("hm3_value", value=row["received_hm3"]),
                               help=t("metric_used_help" if used else "metric_received_help", party=p))
            cols[2 * i + 1].metric(t("metric_shortage", party=p), t("hm3_value", value=row["shortage_hm3"]),
                                   delta=t("metric_of_demand", demand=row["demand_hm3"]), delta_color="off",
                                   help=t("metric_shortage_help", party=p))
        cols[-1].metric(t("metric_inflow"), t("hm3_value", value=float(r.dataset["natural_inflow_hm3"].sum())),
                        help=t("metric_inflow_help"))
        st.markdown(sup.rules_in_words(r.ledger))


# ---- result tabs ---------------------------------------------------------------------------------
def figure(entry: dict, name: str, build):
    """A result's figure, built once per solution (tab switches and reruns reuse it)."""
    figs = entry.setdefault("figures", {})
    if name not in figs:
        figs[name] = build(entry["result"])
    return figs[name]


def render_allocation(entry: dict) -> None:
    ds = entry["result"].dataset
    st.plotly_chart(figure(entry, "allocation", lambda r: sup.fig_allocation(r.dataset)), key="chart_allocation")
    rule = ds["received_hm3"].attrs.get("rule", "") if "received_hm3" in ds else ""
    st.caption(t("chart_allocation_caption", rule=rule))
    fig = figure(entry, "border", lambda r: sup.fig_border(r.dataset, sup.first_rule_period(base)))
    if fig is None:
        st.info(t("no_border"))
    else:
        st.plotly_chart(fig, key="chart_border")
        st.caption(t("chart_border_caption", party=sup.border_party(ds)))


def render_demands(entry: dict) -> None:
    st.plotly_chart(figure(entry, "demand", lambda r: sup.fig_demand(r.dataset)), key="chart_demand")


def render_reservoirs(entry: dict) -> None:
    ds = entry["result"].dataset
    if ds.sizes.get("reservoir", 0):
        st.plotly_chart(figure(entry, "storage", lambda r: sup.fig_storage(r.dataset)), key="chart_storage")
        if "account_hm3" in ds:  # storage ownership accounts (optimizer/core/accounts.py)
            st.plotly_chart(figure(entry, "accounts", lambda r: sup.fig_accounts(r.dataset)), key="chart_accounts")
    T = ds.sizes["time"]
    stamps = [f"{month_abbr(ts.month)} {ts.year}" for ts in sup._times(ds)]
    month = st.selectbox(t("network_month"), [-1, *range(T)], key=f"network_month_{T}",
                         format_func=lambda i: t("network_mean") if i < 0 else stamps[i])
    month = None if month < 0 else month
    st.plotly_chart(figure(entry, f"network_{month}", lambda r: sup.fig_network(r.dataset, month)),
                    key="chart_network")
    st.caption(t("chart_network_caption"))
    st.plotly_chart(figure(entry, "water_values", lambda r: sup.fig_water_values(r.dataset)),
                    key="chart_water_values")
    st.caption(t("chart_water_values_caption"))


def render_compliance(entry: dict) -> None:
    r, basin_id = entry["result"], entry["basin_id"]
    heading(t("ledger"))
    st.caption(t("ledger_caption"))
    st.table(sup.ledger_styled(r.ledger))
    st.plotly_chart(sup.fig_water_balance(r.water_balance), key="fig_water_balance")  # issue 11: balance per party
    st.download_button(t("download_ledger"), data=sup.ledger_csv(r, labelled=ui_text.get_language() != "en"),
                       file_name=f"{basin_id}_ledger.csv",
                       mime="text/csv", key="dl_ledger", on_click="ignore")
    heading(t("costs"))
    if len(r.cost_sharing):
        st.plotly_chart(figure(entry, "costs", lambda r: sup.fig_costs(r.cost_sharing)), key="chart_costs")
        st.dataframe(ui_text.relabel(r.cost_sharing, "cost_col_"), hide_index=True, column_config={
            t(f"cost_col_{c}"): st.column_config.NumberColumn(format=f) for c, f in
            (("share", "%.3f"), ("water_hm3", "%.1f"), ("om_cost_usd", "%.0f"), ("cost_usd", "%.0f"))})
    else:
        st.info(t("no_facilities"))


for tab, render in ((tab_alloc, render_allocation), (tab_dem, render_demands), (tab_res, render_reservoirs),
                    (tab_comp, render_compliance)):
    if tab.open:
        with tab:
            if entry is None:
                st.info(t("no_solution"))
            else:
                render(entry)


# ---- compare tab ---------------------------------------------------------------------------------
def render_compare() -> None:
    c1, c2 = st.columns([1, 1])
    c1.button(t("pin"), key="pin", on_click=on_pin, disabled=entry is None, help=t("pin_help"))
    if ss.pinned is not None:
        c2.button(t("unpin"), key="unpin", on_click=on_unpin)
    pinned = ss.pinned
    if pinned is None:
        st.info(t("nothing_pinned"))
    elif entry is not None:
        st.markdown(t("pinned_label", label=pinned["label"]) + "  \n" + t("current_label", label=entry["label"]))
        if pinned["basin"] != key:
            st.warning(t("compare_other_basin", basin=labels.get(pinned["basin"], pinned["basin"])))
        st.caption(t("compare_table"))
        table = sup.compare_table(pinned["result"], entry["result"])
        st.dataframe(table, column_config={c: st.column_config.NumberColumn(format="%.1f") for c in table.columns})
        st.plotly_chart(sup.fig_compare(pinned["result"], entry["result"]), key="chart_compare")
    # Observed vs modelled: shown only if the calibration work provides optimizer.analyses.validation.table;
    # it compares the bundled basin data, so it is not shown for an uploaded scenario
    try:
        provider = sup.validation_provider()
        vt = None if provider is None or key in ss.uploaded else validation_table(base.id, sup.provider_id(provider))
    except Exception as exc:  # noqa: BLE001 - someone else's module must not take the page down
        log.warning("validation table failed: %s: %s", type(exc).__name__, exc)
        heading(t("validation"))
        st.warning(t("validation_failed", message=exc))
    else:
        if vt is not None:
            heading(t("validation"))
            st.caption(t("validation_caption"))
            st.dataframe(ui_text.relabel(vt, "val_col_"), hide_index=True)


# ---- save / load tab -----------------------------------------------------------------------------
def render_files() -> None:
    heading(t("save_scenario"))
    if edited_basin is not None:
        eb = edited_basin
        st.download_button(t("download_scenario"), data=lambda: basins.dumps(eb, inline=True).encode("utf-8"),
                           file_name=f"{eb.id}_scenario.yaml", mime="application/x-yaml", key="dl_scenario",
                           on_click="ignore")
    else:
        st.warning(t("scenario_invalid"))
    heading(t("load_scenario"))
    st.file_uploader(t("upload", mb=sup.UPLOAD_MAX_MB), type=["yaml", "yml"], key="upload", on_change=on_upload,
                     max_upload_size=sup.UPLOAD_MAX_MB, help=t("upload_help"))
    msg = ss.upload_msg
    if msg is not None:
        if msg[0] == "ok":
            st.success(t("upload_ok", file=msg[1], name=msg[2]))
        else:
            st.error(t("upload_bad", file=msg[1]) + "\n" + "\n".join(f"- {p}" for p in msg[2]))
    heading(t("results_files"))
    if entry is not None:
        res_obj = entry["result"]
        st.download_button(t("download_netcdf"), data=lambda: sup.netcdf_bytes(res_obj),
                           file_name=f"{entry['basin_id']}_result.nc", mime="application/x-netcdf", key="dl_netcdf",
                           on_click="ignore")
    else:
        st.info(t("no_results"))


# ---- trade-offs tab: frontiers, hydropower, alternative agreements, value of each clause --------------
def tradeoff(part: str, what: str, compute, **options):
    """A trade-off part for the edited basin, computed once per basin hash and options and kept in this
    session (the newest TRADEOFF_CACHE_MAX parts); None after showing the error in words."""
    cache = ss.tradeoffs
    k = sup.tradeoff_key(part, edited_basin, **options)
    if k not in cache:
        t0 = time.perf_counter()
        try:
            with st.spinner(t("tradeoff_computing", what=t(what))):
                value = compute()
        except optimizer.SolveError as exc:
            cache[k] = ("error", str(exc).splitlines()[0] if isinstance(exc, optimizer.InfeasibleAgreement)
                        else str(exc), 0.0)
        except Exception as exc:  # noqa: BLE001 - shown in words, logged with its traceback
            log.exception("trade-off %s failed", part)
            cache[k] = ("error", f"{type(exc).__name__}: {exc}" if not isinstance(exc, ValueError) else str(exc), 0.0)
        else:
            cache[k] = ("ok", value, time.perf_counter() - t0)
        while len(cache) > sup.TRADEOFF_CACHE_MAX:
            cache.pop(next(iter(cache)))
    state, value, seconds = cache[k]
    if state == "error":
        st.error(t("tradeoff_failed", what=t(what), message=value))
        return None
    st.caption(t("tradeoff_seconds", seconds=seconds))
    return value


def num_config(df, fmt: str = "%.1f", special: dict | None = None) -> dict:
    cfg = {c: st.column_config.NumberColumn(format=fmt) for c in df.columns
           if df[c].dtype.kind == "f"}
    for c, f in (special or {}).items():
        cfg[c] = st.column_config.NumberColumn(format=f)
    return cfg


def render_tradeoffs() -> None:
    from optimizer.analyses import hydropower as hp
    from optimizer.analyses import tradeoffs as tr

    st.caption(t("tradeoffs_intro"))
    if edited_basin is None:
        st.warning(t("tradeoffs_invalid"))
        return
    b = edited_basin
    common = dict(start=opts["start"], months=opts["months"], end_storage=opts["end_storage"],
                  time_limit=time_limit)
    c1, c2, _ = st.columns([1, 2, 2])
    points = int(c1.number_input(t("tradeoff_points"), min_value=3, max_value=41, value=11, step=1,
                                 help=t("tradeoff_points_help"), key="tradeoff_points"))
    rules = c2.radio(t("tradeoff_rules"), ["none", "hard"], horizontal=True, key="tradeoff_rules",
                     format_func=lambda v: t(f"tradeoff_rules_{v}"))
    subs = st.tabs([t("sub_frontier"), t("sub_hydropower"), t("sub_alternatives"), t("sub_clauses")],
                   key="tradeoff_tab", on_change="rerun")
    sub_front, sub_hydro, sub_alt, sub_clause = subs
    if sub_front.open:
        with sub_front:
            f = tradeoff("frontier", "what_frontier",
                         lambda: optimizer.pareto(b, year_type, points=points, rules=rules, **common),
                         year_type=year_type, points=points, rules=rules, **common)
            if f is not None:
                st.plotly_chart(sup.fig_frontier(f), key="chart_frontier")
                st.markdown(sup.agreement_summary(f, t("u_hm3")))
                st.caption(t("frontier_caption"))
                table = sup.labelled(f.table, sup.FRONTIER_COLUMNS)
                st.dataframe(table, hide_index=True, key="table_frontier",
                             column_config=num_config(table, special={t("col_price"): "%.3f"}))
    if sub_hydro.open:
        with sub_hydro:
            plants = hp.plants_of(b)
            heading(t("hydro_factors"))
            if not plants:
                st.info(t("hydro_no_plant", plants=", ".join(f"{p.name} ({p.reservoir})" for p in hp.PLANTS.values())))
            else:
                st.caption(t("hydro_factors_caption"))
                factors = sup.hydro_factors(b)
                st.dataframe(factors, hide_index=True, key="table_hydro_factors",
                             column_config=num_config(factors, special={t("col_factor"): "%.4f",
                                                                        t("col_efficiency"): "%.2f"}))
                heading(t("hydro_energy"))
                if entry is None:
                    st.info(t("hydro_no_solution"))
                else:
                    st.caption(entry["label"] + " · " + t("hydro_energy_caption"))
                    e = figure(entry, "energy_table", lambda r: hp.energy(r))
                    if not e.empty:
                        season = sup.energy_by_season(e)
                        st.dataframe(season, hide_index=True, key="table_energy", column_config=num_config(season))
                        st.plotly_chart(figure(entry, "energy", lambda r: sup.fig_energy(e)), key="chart_energy")
                heading(t("hydro_frontier"))
                st.caption(t("hydro_frontier_caption"))
                ef = tradeoff("energy_frontier", "what_energy_frontier",
                              lambda: hp.energy_frontier(b, year_type, points=points, rules=rules, **common),
                              year_type=year_type, points=points, rules=rules, **common)
                if ef is not None:
                    st.plotly_chart(sup.fig_frontier(ef, energy=True), key="chart_energy_frontier")
                    st.markdown(sup.agreement_summary(ef, t("u_gwh")))
                    table = sup.labelled(ef.table, sup.ENERGY_FRONTIER_COLUMNS)
                    st.dataframe(table, hide_index=True, key="table_energy_frontier",
                                 column_config=num_config(table, special={t("col_price_energy"): "%.4f"}))
    if sub_alt.open:
        with sub_alt:
            st.caption(t("alternatives_caption"))
            df = tradeoff("alternatives", "what_alternatives", lambda: tr.alternatives(b, year_type, **common),
                          year_type=year_type, **common)
            if df is not None:
                st.plotly_chart(sup.fig_alternatives(df), key="chart_alternatives")
                table = sup.alternatives_table(df)
                st.dataframe(table, hide_index=True, key="table_alternatives",
                             column_config=num_config(table, special={t("col_kz_apr_sep_share"): "%.3f"}))
    if sub_clause.open:
        with sub_clause:
            st.caption(t("clauses_caption"))
            df = tradeoff("clauses", "what_clauses", lambda: tr.clause_values(b, year_type, **common),
                          year_type=year_type, **common)
            if df is not None:
                c1, c2 = st.columns([3, 2])
                with c1:
                    table = sup.clauses_table(df)
                    st.dataframe(table, hide_index=True, key="table_clauses",
                                 column_config=num_config(table, special={t("col_shadow_price"): "%.3f"}))
                with c2:
                    heading(t("clauses_prices"))
                    if entry is None:
                        st.info(t("no_solution"))
                    else:
                        st.caption(entry["label"])
                        prices = sup.shadow_prices(entry["result"].ledger)
                        st.dataframe(prices, hide_index=True, key="table_shadow_prices",
                                     column_config=num_config(prices, "%.3f"))


if tab_compare.open:
    with tab_compare:
        render_compare()
if tab_trade.open:
    with tab_trade:
        render_tradeoffs()
if tab_files.open:
    with tab_files:
        render_files()
