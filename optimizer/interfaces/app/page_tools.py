"""The compare, save/load and trade-offs tabs: pinned vs current solution and the validation table; scenario,
NetCDF and upload files; frontiers, hydropower, alternative agreements and the value of each clause (each part
computed once per edited basin and options, and kept in the session)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

import basins
import optimizer
from optimizer.core.agreement import rule_names
from optimizer.interfaces import ui_text
from optimizer.interfaces.app.figures import fig_compare
from optimizer.interfaces.app.files import UPLOAD_MAX_MB, netcdf_bytes
from optimizer.interfaces.app.page_common import Page, chart, exact, figure, heading, numbers
from optimizer.interfaces.app.results import cold_result, compare_table, provider_id, validation_provider
from optimizer.interfaces.app.tradeoffs import (ENERGY_FRONTIER_COLUMNS, FRONTIER_COLUMNS, TRADEOFF_CACHE_MAX,
                                                agreement_summary, alternatives_table, clauses_table,
                                                energy_by_season, fig_alternatives, fig_energy, fig_frontier,
                                                hydro_factors, labelled, shadow_prices, tradeoff_key)
from optimizer.interfaces.ui_text import t

log = logging.getLogger("chutalas.app")


def on_pin() -> None:
    ss = st.session_state
    entry = ss.results.get(ss.basin)
    if entry:
        ss.pinned = {**entry, "basin": ss.basin}


def on_unpin() -> None:
    st.session_state.pinned = None


def render_compare(page: Page, validation_table: Callable[[str, str], Any]) -> None:
    entry, key = page.entry, page.key
    c1, c2 = st.columns([1, 1])
    c1.button(t("pin"), key="pin", on_click=on_pin, disabled=entry is None, help=t("pin_help"))
    if st.session_state.pinned is not None:
        c2.button(t("unpin"), key="unpin", on_click=on_unpin)
    pinned = st.session_state.pinned
    if pinned is None:
        st.info(t("nothing_pinned"))
    elif entry is not None:
        st.markdown(t("pinned_label", label=pinned["label"]) + "  \n" + t("current_label", label=entry["label"]))
        if pinned["basin"] != key:
            st.warning(t("compare_other_basin", basin=page.labels.get(pinned["basin"], pinned["basin"])))
        st.caption(t("compare_table"))
        table = compare_table(pinned["result"], entry["result"])
        shown, cfg = numbers(table)
        st.dataframe(shown, column_config=cfg)
        chart(fig_compare(pinned["result"], entry["result"]), key="chart_compare")
    # Observed vs modelled: shown only if the calibration work provides optimizer.analyses.validation.table;
    # it compares the bundled basin data, so it is not shown for an uploaded scenario
    try:
        provider = validation_provider()
        vt = None if provider is None or page.uploaded else validation_table(page.base.id, provider_id(provider))
    except Exception as exc:  # noqa: BLE001 - someone else's module must not take the page down
        log.warning("validation table failed: %s: %s", type(exc).__name__, exc)
        heading(t("validation"))
        st.warning(t("validation_failed", message=exc))
    else:
        if vt is not None:
            heading(t("validation"))
            st.caption(t("validation_caption"))
            # numbers rounded for reading (error to 0.1 %, volumes to 0.1 hm³), units in the reader's words
            shown = ui_text.validation_in_words(vt, vt.attrs.get("calibration_year_type", "normal"))
            if "quantity" in shown:  # names, not ids (the Russian quantities have none; another provider may lack it)
                shown["quantity"] = shown["quantity"].map(ui_text.without_ids)
            shown, cfg = numbers(ui_text.relabel(shown, "val_col_"),
                                 columns=[t("val_col_observed"), t("val_col_modelled"), t("val_col_error_pct")])
            err = t("val_col_error_pct")
            if err in shown:  # with its sign, as the reader writes it ("+24,5"; the localized format drops the "+")
                shown[err] = shown[err].map(lambda v: ui_text.number(v, "+,.1f") if pd.notna(v) else "")
                cfg.pop(err, None)
            st.dataframe(shown, hide_index=True, column_config=cfg)


# ---- save / load tab -----------------------------------------------------------------------------
def render_files(page: Page, on_upload: Callable[[], None]) -> None:
    entry = page.entry
    heading(t("save_scenario"))
    if page.edited_basin is not None:
        eb = page.edited_basin
        st.download_button(t("download_scenario"), data=lambda: basins.dumps(eb, inline=True).encode("utf-8"),
                           file_name=f"{eb.id}_scenario.yaml", mime="application/x-yaml", key="dl_scenario",
                           on_click="ignore")
    else:
        st.warning(t("scenario_invalid"))
    heading(t("load_scenario"))
    st.file_uploader(t("upload", mb=UPLOAD_MAX_MB), type=["yaml", "yml"], key="upload", on_change=on_upload,
                     max_upload_size=UPLOAD_MAX_MB, help=t("upload_help"))
    msg = st.session_state.upload_msg
    if msg is not None:
        if msg[0] == "ok":
            st.success(t("upload_ok", file=msg[1], name=msg[2]))
        else:
            st.error(t("upload_bad", file=msg[1]) + "\n" + "\n".join(f"- {p}" for p in msg[2]))
    heading(t("results_files"))
    if entry is not None:
        # the file is what `chutalas solve` writes: its water values a cold solve's (results.cold_result)
        st.download_button(t("download_netcdf"), data=lambda: netcdf_bytes(cold_result(entry)),
                           file_name=f"{entry['basin_id']}_result.nc", mime="application/x-netcdf", key="dl_netcdf",
                           on_click="ignore")
    else:
        st.info(t("no_results"))


# ---- trade-offs tab: frontiers, hydropower, alternative agreements, value of each clause --------------
def tradeoff(page: Page, part: str, what: str, compute: Callable[[], Any], **options: Any) -> Any:
    """A trade-off part for the edited basin, computed once per basin hash and options and kept in this
    session (the newest TRADEOFF_CACHE_MAX parts); None after showing the error in words."""
    cache = st.session_state.tradeoffs
    assert page.edited_basin is not None  # (the tab draws no trade-off for invalid edits)
    k = tradeoff_key(part, page.edited_basin, **options)
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
        while len(cache) > TRADEOFF_CACHE_MAX:
            cache.pop(next(iter(cache)))
    state, value, seconds = cache[k]
    if state == "error":
        st.error(t("tradeoff_failed", what=t(what), message=value))
        return None
    st.caption(t("tradeoff_seconds", seconds=seconds))
    return value


def show_table(df: pd.DataFrame, key: str, decimals: int = 1, special: dict[str, int] | None = None) -> None:
    """A result table without its index, its numbers rounded and in the reader's locale (page_common.numbers)."""
    shown, cfg = numbers(df, decimals, special)
    st.dataframe(shown, hide_index=True, key=key, column_config=cfg)


def render_tradeoffs(page: Page) -> None:
    entry, year_type, opts = page.entry, page.year_type, page.opts
    from optimizer.analyses import hydropower as hp
    from optimizer.analyses import tradeoffs as tr

    st.caption(t("tradeoffs_intro"))
    if page.edited_basin is None:
        st.warning(t("tradeoffs_invalid"))
        return
    b = page.edited_basin
    common = dict(start=opts["start"], months=opts["months"], end_storage=opts["end_storage"],
                  time_limit=page.time_limit)
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
            f = tradeoff(page, "frontier", "what_frontier",
                         lambda: optimizer.pareto(b, year_type, points=points, rules=rules, **common),
                         year_type=year_type, points=points, rules=rules, **common)
            if f is not None:
                chart(fig_frontier(f), key="chart_frontier")
                st.markdown(agreement_summary(f, t("u_hm3")))
                st.caption(t("frontier_caption"))
                table = labelled(f.table, FRONTIER_COLUMNS)
                show_table(table, "table_frontier", special={t("col_price"): 3})
    if sub_hydro.open:
        with sub_hydro:
            plants = hp.plants_of(b)
            heading(t("hydro_factors"))
            if not plants:
                st.info(t("hydro_no_plant", plants=", ".join(f"{p.name} ({p.reservoir})" for p in hp.PLANTS.values())))
            else:
                st.caption(t("hydro_factors_caption"))
                factors = hydro_factors(b)
                show_table(factors, "table_hydro_factors", special={t("col_factor"): 4, t("col_efficiency"): 2})
                heading(t("hydro_energy"))
                if entry is None:
                    st.info(t("hydro_no_solution"))
                else:
                    st.caption(entry["label"] + " · " + t("hydro_energy_caption"))
                    e = figure(entry, "energy_table", lambda r: hp.energy(r))
                    if not e.empty:
                        season = energy_by_season(e)
                        show_table(season, "table_energy")
                        chart(figure(entry, "energy", lambda r: fig_energy(e)), key="chart_energy")
                heading(t("hydro_frontier"))
                st.caption(t("hydro_frontier_caption"))
                ef = tradeoff(page, "energy_frontier", "what_energy_frontier",
                              lambda: hp.energy_frontier(b, year_type, points=points, rules=rules, **common),
                              year_type=year_type, points=points, rules=rules, **common)
                if ef is not None:
                    chart(fig_frontier(ef, energy=True), key="chart_energy_frontier")
                    st.markdown(agreement_summary(ef, t("u_gwh")))
                    table = labelled(ef.table, ENERGY_FRONTIER_COLUMNS)
                    show_table(table, "table_energy_frontier", special={t("col_price_energy"): 4})
    if sub_alt.open:
        with sub_alt:
            st.caption(t("alternatives_caption"))
            df = tradeoff(page, "alternatives", "what_alternatives", lambda: tr.alternatives(b, year_type, **common),
                          year_type=year_type, **common)
            if df is not None:
                chart(fig_alternatives(df), key="chart_alternatives")
                table = alternatives_table(df)
                show_table(table, "table_alternatives", special={t("col_kz_apr_sep_share"): 3})
    if sub_clause.open:
        with sub_clause:
            st.caption(t("clauses_caption"))
            df = tradeoff(page, "clauses", "what_clauses", lambda: tr.clause_values(b, year_type, **common),
                          year_type=year_type, **common)
            if df is not None:
                c1, c2 = st.columns([3, 2])
                with c1:
                    table = clauses_table(df, rule_names(b))
                    show_table(table, "table_clauses", special={t("col_shadow_price"): 3})
                with c2:
                    heading(t("clauses_prices"))
                    if entry is None:
                        st.info(t("no_solution"))
                    else:
                        st.caption(entry["label"] + " · " + t("duals_cold_note"))
                        cold = exact(entry)
                        if cold is not None:
                            prices = shadow_prices(cold.ledger)
                            show_table(prices, "table_shadow_prices", 3)


