"""The inputs and agreement tabs: the edit tables (inflow and demand series, reservoirs, canals) and the
agreement's rules (modes, shares, quota volumes) and demand priorities. Every edit is kept in the page's
:class:`~optimizer.interfaces.app.edits.Edits` (session state), never in the widgets."""

from __future__ import annotations

from functools import partial

import streamlit as st

from basins.schema import Quota

from optimizer.core.agreement import rule_names
from optimizer.interfaces.app.edits import RESERVOIR_FIELDS, apply_cell_edits, count_changes, series_display, to_hm3
from optimizer.interfaces.app.page_common import Page, edited_caption, editor, editor_number, heading
from optimizer.interfaces import ui_text
from optimizer.interfaces.ui_text import label_or, t


def render_inputs(page: Page) -> dict:
    """The edit tables; returns the containers where each table's problems are shown."""
    boxes: dict = {}
    st.caption(t("inputs_intro"))
    units = ["hm3", "m3/s"]
    if "unit" not in st.session_state:  # (a closed tab drops its widgets' state; the preference stays)
        st.session_state["unit"] = st.session_state.get("unit_pref", "hm3")
    unit = st.radio(t("unit_toggle"), units, horizontal=True,
                    format_func=lambda u: t("unit_hm3" if u == "hm3" else "unit_m3s"), key="unit")
    st.session_state.unit_pref = unit
    unit_label = t("unit_hm3") if unit == "hm3" else t("u_m3s")
    names = {n.id: ui_text.node_name(n) for n in page.base.spec.nodes}

    for kind in ("inflow", "demand"):
        if kind == "inflow":
            heading(t("inflow_table", year_type=label_or(f"year_type_{page.year_type}", page.year_type),
                           unit=unit_label))
            yt = page.year_type
            current, name, count = page.edits.inflow[yt], f"ed_inflow_{yt}_{unit}", f"inflow:{yt}"
        else:
            heading(t("demand_table", unit=unit_label))
            current, name, count = page.edits.demand, f"ed_demand_{unit}", "demand"
        boxes[kind] = st.container()
        # a column by its node's name (without the parenthesis, which the help gives with the id)
        cfg = {n: editor_number(t("col_series", node=ui_text.short_name(names.get(n, n)), unit=unit_label),
                                help=f"{names.get(n, n)} · {n}")
               for n in current.columns}
        shown, edited = editor(page, name, partial(series_display, current, unit), cfg)
        new = apply_cell_edits(current, edited, shown, lambda v, pos: to_hm3(v, pos + 1, unit))
        if kind == "inflow":
            page.edits.inflow[page.year_type] = new
        else:
            page.edits.demand = new
        edited_caption(count_changes(page.edits, page.defaults, only=count).get(count, 0))

    heading(t("reservoir_table"))
    boxes["reservoirs"] = st.container()
    cfg = {"_index": st.column_config.TextColumn(t("col_node")),
           "name": st.column_config.TextColumn(t("col_name"))}
    cfg |= {f: editor_number(t(f"col_{f}")) for f in RESERVOIR_FIELDS}
    shown, edited = editor(page, "ed_reservoirs", lambda: page.edits.reservoirs.copy(), cfg, disabled=["name"],
                           hide_index=True)  # (rows by name; the id is in the basin file and the error messages)
    page.edits.reservoirs = apply_cell_edits(page.edits.reservoirs, edited, shown)
    edited_caption(count_changes(page.edits, page.defaults, only="reservoirs")["reservoirs"])
    heading(t("canal_table"))
    boxes["canals"] = st.container()
    link_units = set(page.edits.canals["unit"])
    cap_label = t("col_capacity_unit", unit=t("u_m3s") if link_units == {"m3/s"} else
                  (t("unit_hm3") if link_units == {"hm3/month"} else t("col_unit")))
    cfg = {"_index": st.column_config.TextColumn(t("col_link")),
           "from": st.column_config.TextColumn(t("col_link_from")),
           "to": st.column_config.TextColumn(t("col_link_to")),
           "capacity": editor_number(cap_label),
           "unit": st.column_config.TextColumn(t("col_unit"))}
    def canals_shown():  # the ends by name and the unit in the reader's words (only the capacity is edited)
        c = page.edits.canals.copy()
        c["from"], c["to"] = c["from"].map(lambda n: names.get(n, n)), c["to"].map(lambda n: names.get(n, n))
        c["unit"] = c["unit"].map({"m3/s": t("u_m3s"), "hm3/month": t("unit_hm3")}).fillna(c["unit"])
        return c

    # (one editor per language: its table, names and unit words included, is fixed while it lives)
    shown, edited = editor(page, f"ed_canals_{ui_text.get_language()}", canals_shown, cfg,
                           disabled=["from", "to", "unit"], hide_index=True)  # (rows by their two ends)
    page.edits.canals = apply_cell_edits(page.edits.canals, edited, shown)
    edited_caption(count_changes(page.edits, page.defaults, only="canals")["canals"])
    return boxes



# ---- agreement tab: rule modes, shares, quota volumes, priorities ---------------------------------
def render_agreement(page: Page) -> dict:
    st.caption(t("agreement_intro"))
    boxes = {"agreement": st.container()}
    ag = page.base.spec.agreement
    names = rule_names(page.base)
    for rule in list(ag.share_rules) + list(ag.quotas) + list(ag.storage_splits):
        ed = page.edits.rules[rule.id]
        kind_label = {"share": t("rule_share"), "quota": t("rule_quota"), "split": t("rule_split")}[ed["kind"]]
        with st.container(border=True):
            st.markdown(t("rule_header", kind=kind_label, name=ui_text.rule_name(rule.id, names), id=rule.id,
                           period=label_or(f"period_kind_{rule.period}", rule.period)))
            if rule.description:
                st.caption(ui_text.description(rule))
            c1, c2 = st.columns([1, 2])
            with c1:
                mode_key = page.widget_key(f"mode_{rule.id}")
                if mode_key not in st.session_state:  # the edit's mode as the widget's state (not also index=)
                    st.session_state[mode_key] = ed["mode"]
                ed["mode"] = st.radio(t("mode"), ["hard", "soft"], format_func=lambda m: t(f"mode_{m}"),
                                      horizontal=True, key=mode_key)
            with c2:
                if not isinstance(rule, Quota):  # a share rule or a storage split
                    parties = list(ed["shares"])
                    first = rule.enforce[0] if rule.enforce and rule.enforce[0] in parties else parties[0]
                    others = [p for p in parties if p != first]
                    # each party's share with its role: an entitlement (a floor on what it receives), a use
                    # ceiling (a cap on its use: never a target), or reported only
                    role = {p: t(f"share_role_{rule.party_roles.get(p, 'reported')}") for p in parties}
                    if len(others) == 1:  # two parties: one input, the other gets the rest
                        v = st.number_input(t("share_of", party=first, role=role[first]),
                                            min_value=0.0, max_value=1.0, step=0.01,
                                            value=float(ed["shares"][first]), format="%.2f",
                                            key=page.widget_key(f"share_{rule.id}"))
                        ed["shares"] = {first: float(v), others[0]: round(1.0 - float(v), 12)}
                        st.caption(t("share_other", party=others[0],
                                     share=ed["shares"][others[0]], role=role[others[0]]))
                    else:
                        for p in parties:
                            ed["shares"][p] = float(st.number_input(
                                t("share_of", party=p, role=role[p]), min_value=0.0,
                                max_value=1.0, step=0.01, value=float(ed["shares"][p]), format="%.2f",
                                key=page.widget_key(f"share_{rule.id}_{p}")))
                else:  # a quota
                    ed["volume_hm3"] = float(st.number_input(
                        t("quota_volume", party=rule.party, unit=t("u_hm3")), min_value=0.0, step=10.0,
                        value=float(ed["volume_hm3"]), format="%.1f", key=page.widget_key(f"volume_{rule.id}")))
    if page.base.spec.demands:
        node_names = {n.id: ui_text.node_name(n) for n in page.base.spec.nodes}
        heading(t("priorities"))
        st.caption(t("priorities_caption"))
        boxes["priorities"] = st.container()
        cols = st.columns(min(len(page.base.spec.demands), 5))
        for i, d in enumerate(page.base.spec.demands):
            with cols[i % len(cols)]:
                page.edits.priorities[d.node] = int(st.number_input(
                    t("priority_of", node=node_names.get(d.node, d.node),
                      party=d.party or "-"), min_value=1, max_value=10, step=1,
                    value=int(page.edits.priorities[d.node]), key=page.widget_key(f"priority_{d.node}"),
                    help=d.node))
    return boxes
