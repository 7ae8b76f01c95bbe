"""The status box and the result tabs (allocation, demands, reservoirs, compliance) of the solution shown."""

from __future__ import annotations

import logging
import re
import time

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

import optimizer
from optimizer.interfaces import ui_text
from optimizer.interfaces.app.edits import Located
from optimizer.interfaces.app.figures import (_times, border_party, fig_accounts, fig_allocation, fig_border,
                                              fig_costs, fig_demand, fig_network, fig_storage, fig_water_balance,
                                              fig_water_values, first_rule_period)
from optimizer.interfaces.app.files import ledger_csv
from optimizer.interfaces.app.page_common import Page, chart, exact, figure, heading, numbers, show_problems
from optimizer.core.agreement import rule_names
from optimizer.interfaces.app.results import (app_solve, conflicts_in_words, first_rule_role, ledger_styled, party_totals,
                                              result_label, rules_in_words, solve_key)
from optimizer.interfaces.ui_text import month_abbr, t

log = logging.getLogger("chutalas.app")


def solve_page(page: Page, clicked: bool, auto: bool) -> tuple[dict | None, bool]:
    """Solve the edited basin with the page's options when asked (``clicked``) or automatically (``auto``, unless
    this very problem failed already); sets ``page.entry`` to the solution shown. Returns (the failure of the
    current problem or None, whether the solution shown is the current problem's)."""
    ss = st.session_state
    entry = ss.results.get(page.key)
    failure = None
    current = False
    if page.edited_basin is not None:
        skey = solve_key(page.edited_basin, page.opts)
        # a solution does not depend on the time limit, but a failure may (a raised limit is tried again)
        fkey = f"{skey}|time_limit={page.time_limit!r}"
        failed = ss.failed.get(page.key)
        if entry is None or entry["key"] != skey:
            if clicked or (auto and not (failed and failed["key"] == fkey)):
                t0 = time.perf_counter()
                try:
                    with st.spinner(t("solving")):
                        # warm: from the kept basis (the same allocation as cold; the views of duals use a cold
                        # solve of their own, results.cold_result)
                        result = app_solve(ss.reoptimizers, page.key, page.edited_basin, page.opts,
                                           page.time_limit)
                except optimizer.SolverLimit as exc:
                    msg = re.sub(r";\s*raise --time-limit.*$", ".", str(exc))  # the CLI's hint, not this app's
                    ss.failed[page.key] = {"key": fkey, "message": f"{msg}\n{t('solver_limit_hint')}",
                                           "conflicts": None}
                except optimizer.SolveError as exc:
                    ss.failed[page.key] = {"key": fkey, "message": str(exc),
                                           "conflicts": getattr(exc, "conflicts", None)}
                except (ValueError, KeyError, RuntimeError) as exc:  # an option the optimiser refuses, or a bug
                    log.exception("solve failed")
                    ss.failed[page.key] = {"key": fkey, "conflicts": None, "message": t(
                        "solve_failed_unexpected", kind=type(exc).__name__, message=exc)}
                else:
                    entry = {"result": result, "key": skey, "label": result_label(page.edited_basin, page.opts),
                             "seconds": time.perf_counter() - t0, "basin_id": page.edited_basin.id,
                             "label_args": (page.edited_basin, page.opts), "label_lang": ui_text.get_language(),
                             "time_limit": page.time_limit}
                    ss.results[page.key] = entry
                    ss.failed.pop(page.key, None)
        failed = ss.failed.get(page.key)
        if failed and failed["key"] == fkey:
            failure = failed
        current = entry is not None and entry["key"] == skey
    if entry is not None and "label_args" in entry and entry.get("label_lang") != ui_text.get_language():
        entry["label"] = result_label(*entry["label_args"])  # the headline in the language switched to
        entry["label_lang"] = ui_text.get_language()
    page.entry = entry
    return failure, current


def render_status(box: DeltaGenerator, page: Page, problems: list, unshown: list[Located], failure: dict | None,
                  current: bool) -> None:
    """What is shown and why: invalid inputs, a failed solve, the solution's label, metrics and rules in words."""
    entry = page.entry
    with box:
        if problems:
            n = len(problems)
            st.error(t("invalid_inputs", n=n, s=t("plural_s") if n != 1 else ""))
            show_problems(unshown)
        if failure:
            conflicts = failure["conflicts"]
            table = None
            message = failure["message"]
            if conflicts is not None and len(conflicts):  # in the reader's language, rules by name
                message, table = conflicts_in_words(conflicts, rule_names(page.base),
                                                    {n.id: ui_text.node_name(n) for n in page.base.spec.nodes})
            lines = message.splitlines()
            st.error("**" + t("solve_failed") + "** " + "".join(
                (f"\n- {ln.strip()[2:]}" if ln.strip().startswith("- ") else f"\n\n{ln}") for ln in lines))
            if table is not None:
                st.caption(t("conflicts_caption"))
                st.dataframe(table, hide_index=True)
        if entry is None:
            st.info(t("no_solution"))
        else:
            r = entry["result"]
            st.markdown(f"**{entry['label']}** · {t('solved_in', seconds=entry['seconds'])} "
                        f"({t('model_reused') if r.manifest.get('model_reused') else t('model_built')})")
            if not current:
                if page.edited_basin is not None and not failure:
                    st.warning(t("stale_solution"))
                else:
                    st.warning(t("showing_last", label=entry["label"]))
            totals = party_totals(r)
            cols = st.columns(len(totals) * 2 + 1)
            for i, (p, row) in enumerate(totals.iterrows()):
                # no delta against the share here: a ceiling is not a target (each rule's test is listed below in words)
                used = first_rule_role(r.ledger, p) == "ceiling"  # KG's count is its use, not a receipt
                cols[2 * i].metric(t("metric_used" if used else "metric_received", party=p),
                                   t("hm3_value", value=row["received_hm3"]),
                                   help=t("metric_used_help" if used else "metric_received_help", party=p))
                cols[2 * i + 1].metric(t("metric_shortage", party=p), t("hm3_value", value=row["shortage_hm3"]),
                                       delta=t("metric_of_demand", demand=row["demand_hm3"]), delta_color="off",
                                       delta_arrow="off",  # ("of 2,995 demanded" is no rise: no arrow)
                                       help=t("metric_shortage_help", party=p))
            cols[-1].metric(t("metric_inflow"), t("hm3_value", value=float(r.dataset["natural_inflow_hm3"].sum())),
                            help=t("metric_inflow_help"))
            st.markdown(rules_in_words(r.ledger))


def render_allocation(page: Page, entry: dict) -> None:
    ds = entry["result"].dataset
    chart(figure(entry, "allocation", lambda r: fig_allocation(r.dataset)), key="chart_allocation")
    rule = ds["received_hm3"].attrs.get("rule", "") if "received_hm3" in ds else ""
    st.caption(t("chart_allocation_caption",
                 rule=ui_text.rule_name(rule, entry["result"].ledger.attrs.get("rule_names", {}))))
    fig = figure(entry, "border", lambda r: fig_border(r.dataset, first_rule_period(page.base)))
    if fig is None:
        st.info(t("no_border"))
    else:
        chart(fig, key="chart_border")
        st.caption(t("chart_border_caption", party=border_party(ds)))


def render_demands(page: Page, entry: dict) -> None:
    chart(figure(entry, "demand", lambda r: fig_demand(r.dataset)), key="chart_demand")


def render_reservoirs(page: Page, entry: dict) -> None:
    ds = entry["result"].dataset
    if ds.sizes.get("reservoir", 0):
        chart(figure(entry, "storage", lambda r: fig_storage(r.dataset)), key="chart_storage")
        if "account_hm3" in ds:  # storage ownership accounts (optimizer/core/accounts.py)
            chart(figure(entry, "accounts", lambda r: fig_accounts(r.dataset)), key="chart_accounts")
    T = ds.sizes["time"]
    stamps = [f"{month_abbr(ts.month)} {ts.year}" for ts in _times(ds)]
    month = st.selectbox(t("network_month"), [-1, *range(T)], key=f"network_month_{T}",
                         format_func=lambda i: t("network_mean") if i < 0 else stamps[i])
    month = None if month < 0 else month
    chart(figure(entry, f"network_{month}", lambda r: fig_network(r.dataset, month)),
                    key="chart_network")
    st.caption(t("chart_network_caption"))
    cold = exact(entry)
    if cold is not None:
        chart(figure(entry, "water_values", lambda r: fig_water_values(cold.dataset)),
                        key="chart_water_values")
        st.caption(t("chart_water_values_caption") + " " + t("duals_cold_note"))


def render_compliance(page: Page, entry: dict) -> None:
    r, basin_id = entry["result"], entry["basin_id"]
    cold = exact(entry)  # the ledger's shadow prices are duals: a cold solve's (its flows are r's to 1e-6 hm³)
    heading(t("ledger"))
    st.caption(t("ledger_caption") + " " + t("duals_cold_note"))
    st.table(ledger_styled(cold.ledger if cold is not None else r.ledger.drop(columns=["shadow_price"])))
    chart(fig_water_balance(r.water_balance), key="fig_water_balance")  # issue 11: balance per party
    if cold is not None:
        st.download_button(t("download_ledger"), data=ledger_csv(cold, labelled=ui_text.get_language() != "en"),
                           file_name=f"{basin_id}_ledger.csv",
                           mime="text/csv", key="dl_ledger", on_click="ignore")
    heading(t("costs"))
    if len(r.cost_sharing):
        costs = ui_text.costs_in_words(r.cost_sharing, page.base)
        chart(figure(entry, "costs", lambda r: fig_costs(costs)), key="chart_costs")  # (figure keys by language)
        shown = costs.drop(columns=[c for c in ("facility", "work", "om") if c in costs]).assign(
            party=costs["party"].map(ui_text.party_label))
        shown, cfg = numbers(ui_text.relabel(shown, "cost_col_"), 1, {t(f"cost_col_{c}"): d for c, d in (
            ("share", 3), ("om_cost_usd", 0), ("cost_usd", 0), ("cost", 0))})
        st.dataframe(shown, hide_index=True, column_config=cfg)
    else:
        st.info(t("no_facilities"))


