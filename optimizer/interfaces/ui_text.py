"""Every user-facing label of the Streamlit app (app.py) and of the CLI summaries, in English (:data:`EN`) and
Russian (:data:`RU`, in :mod:`optimizer.interfaces.ui_text_ru`).

Use :func:`t` with a key and, where the text has ``{placeholders}``, their values::

    >>> t("solved_in", seconds=0.06, lang="en")
    'solved in 0.06 s'
    >>> t("solved_in", seconds=0.06, lang="ru")
    'решено за 0.06 с'

Without ``lang=`` the current language is used: the one set by :func:`set_language` (or the :func:`language`
context) in this thread/context, else the environment variable ``CHUTALAS_LANG``, else English. The current
language lives in a :class:`contextvars.ContextVar`, so two Streamlit sessions (each its own script thread) do
not see each other's choice.

A key missing from :data:`EN` raises :class:`KeyError`. A key present in EN but missing from a translation
falls back to English with a logged warning in use, and raises under pytest (tests fail loudly).
Units are written the way they are displayed (hm³ = млн м³, m³/s = м³/с); the data files use ``hm3`` and ``m3/s``.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import re

from basins import messages as basin_messages

log = logging.getLogger("chutalas.ui_text")

HM3 = "hm³"
HM3_MONTH = "hm³/month"
M3S = "m³/s"

#: Month abbreviations in calendar order (index 0 = January), English; see :func:`month_abbr`.
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
MONTHS_RU = ["янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"]

EN: dict[str, str] = {
    # page and sidebar
    "page_title": "Chu–Talas water sharing",
    "app_title": "Chu–Talas water sharing",
    "app_caption": "Monthly allocation of the Chu and Talas rivers between Kyrgyzstan (KG, upstream) and "
                   "Kazakhstan (KZ, downstream) under the agreement rules. Volumes in hm³ (million m³).",
    "basin": "Basin",
    "basin_uploaded": "{name} (uploaded: {file})",
    "year_type": "Year type (typical year repeated)",
    "year_type_wet": "wet",
    "year_type_normal": "normal",
    "year_type_dry": "dry",
    "year_type_very-dry": "very dry",
    "start_month": "Start month",
    "start_month_help": "The horizon starts in this month of 2025 (a typical, non-leap year).",
    "months": "Months in the horizon",
    "months_help": "1 to 120 months; the typical year is repeated.",
    "foresight": "Foresight",
    "foresight_perfect": "perfect (whole horizon at once)",
    "foresight_myopic": "myopic (month by month)",
    "operation": "Operation",
    "operation_agreement": "agreement rules enforced",
    "operation_status-quo": "status quo (upstream first, rules reported)",
    "end_storage": "Reservoir storage at the end",
    "end_storage_initial": "at least the initial storage",
    "end_storage_free": "free (may be drawn down)",
    "auto_solve": "Solve on every change",
    "time_limit": "Solver time limit (s)",
    "time_limit_help": "HiGHS time limit per linear programme, in seconds. If the solver stops at it, the last "
                       "valid solution stays on screen.",
    "solve": "Solve",
    "reset": "Reset to basin defaults",
    "reset_help": "Discard every edit of this basin's tables and agreement options.",
    "units_note": "Inside the model every volume is in hm³ per month; 1 m³/s for a 31-day month is 2.68 hm³.",
    # status
    "status": "{basin} · {year_type} year · {months} months from {start} · {foresight} foresight · {operation}",
    "solved_in": "solved in {seconds:.2f} s",
    "model_reused": "model reused",
    "model_built": "model built",
    "no_solution": "No valid solution yet for this basin. Fix the inputs or press Solve.",
    "stale_solution": "The inputs changed since this solution was computed. Press **Solve** to update it.",
    "showing_last": "The solution shown is the last valid one: {label}.",
    "invalid_inputs": "The edited inputs are not valid ({n} problem{s}); nothing was solved with them. "
                      "The problems are listed next to their tables.",
    "solve_failed": "No allocation for these inputs.",
    "solver_limit_hint": "Raise the solver time limit in the sidebar, or shorten the horizon.",
    "solve_failed_unexpected": "The optimiser stopped with an unexpected error ({kind}): {message}",
    "conflicts_caption": "Rules that had to give way in the closest feasible allocation (hm³).",
    "metric_received": "{party} received",
    "metric_used": "{party} use",
    "metric_used_help": "Water used by {party} over the horizon as the share rule counts it (withdrawals at the canal "
                        "heads less the return flow given back); its share is a ceiling on this use, not a target.",
    "metric_received_help": "Water received by {party} over the horizon under the first share rule's receipts, "
                            "against its share of the basin resource (entitlement).",
    "metric_entitlement_delta": "{delta:+,.0f} hm³ vs share",
    "metric_shortage": "{party} shortage",
    "metric_shortage_help": "Demand of {party}'s demand nodes not delivered over the horizon.",
    "metric_of_demand": "of {demand:,.0f} hm³ demanded",
    "metric_inflow": "Natural inflow",
    "metric_inflow_help": "Natural inflow of the whole basin over the horizon.",
    "hm3_value": "{value:,.0f} hm³",
    # tabs
    "tab_allocation": "Allocation",
    "tab_demands": "Demands",
    "tab_reservoirs": "Reservoirs & network",
    "tab_compliance": "Compliance & costs",
    "tab_inputs": "Inputs",
    "tab_agreement": "Agreement",
    "tab_compare": "Compare",
    "tab_tradeoffs": "Trade-offs",
    "tab_files": "Save / load",
    # charts
    "axis_month": "Month",
    "axis_hm3_month": "hm³/month",
    "axis_hm3": "hm³",
    "axis_usd": "USD over the horizon",
    "axis_water_value": "cost units per hm³",
    "axis_lon": "Longitude (°E)",
    "axis_lat": "Latitude (°N)",
    "axis_node": "Node",
    "axis_party": "Party",
    "chart_allocation": "Water received by each party vs its entitlement (hm³/month)",
    "chart_allocation_caption": "Bars: water received through each party's receipts under {rule}. Dashed lines: "
                                "each party's share of the basin resource in that month (its entitlement).",
    "received": "{party} received",
    "entitlement": "{party} entitlement",
    "chart_demand": "Demand vs delivery per demand node (hm³/month)",
    "delivery": "delivery",
    "demand": "demand",
    "chart_storage": "Reservoir storage at the end of each month (hm³)",
    "storage": "storage",
    "dead_storage": "dead storage",
    "full_storage": "full (capacity)",
    "chart_border": "Flow across the border vs required (hm³/month)",
    "chart_border_cumulative": "What the share rule compares: receipts against entitlement, cumulative over each {period} (hm³)",
    "border_cum_received": "{party} received at its posts, cumulative",
    "border_cum_required": "{party} entitlement, cumulative",
    "period_kind_hydro-year": "hydrological year (Oct–Sep)",
    "period_kind_year": "calendar year",
    "period_kind_apr-sep": "vegetation period (Apr–Sep)",
    "period_kind_vegetation": "vegetation period (Apr–Sep)",
    "period_kind_oct-mar": "non-vegetation period (Oct–Mar)",
    "period_kind_non-vegetation": "non-vegetation period (Oct–Mar)",
    "period_kind_month": "month",
    "border_flow": "border flow ({link})",
    "border_required": "{party} share of the basin resource",
    "border_min_flow": "minimum flow ({link})",
    "chart_border_caption": "The share rule is tested over its period, not month by month: the lines add up "
                            "{party}'s receipts at all its accounting posts and its entitlement from the start of "
                            "each period; the rule holds where the solid line ends on or above the dashed one. "
                            "Bars: the monthly flow across the border.",
    "no_border": "This basin has no border node.",
    "chart_costs": "O&M cost of the intergovernmental facilities split by the use of each facility (USD)",
    "chart_water_values": "Water values: cost saved by one more hm³ of natural water (node × month)",
    "chart_water_values_caption": "Units: objective cost units per hm³ (1 unit = 1 hm³ of shortage at "
                                  "priority 10). High values mark where and when water is scarce.",
    "chart_network": "Schematic network: link width ∝ flow (hm³/month)",
    "chart_network_caption": "Nodes at their approximate latitude and longitude; the basin outlet (sink) is "
                             "drawn closer than it is. Hover over a link's midpoint for its flow.",
    "network_month": "Flows shown",
    "network_mean": "mean over the horizon",
    "network_link_hover": "{link}: {source} → {target}<br>{flow:,.1f} hm³/month",
    "network_node_hover": "{node} ({kind}, {country})<br>{name}",
    "kind_inflow": "inflow",
    "kind_reservoir": "reservoir",
    "kind_junction": "junction",
    "kind_demand": "demand",
    "kind_border": "border",
    "kind_sink": "sink",
    "kind_aquifer": "aquifer (groundwater)",
    "network_discharge_hover": "{aquifer} → {target}: groundwater discharge (baseflow)<br>{flow:,.1f} hm³/month",
    # compliance
    "ledger": "Compliance ledger",
    "ledger_caption": "One row per rule, party and period; 'test' says in words what the rule compares. An "
                      "entitlement is a floor on what the party receives at its accounting posts (green: met, "
                      "red: short); a use ceiling a cap on its withdrawals at canal heads (green: within, red: "
                      "over; a ceiling not reached is never a failure); grey: reported only or not applicable.",
    "wb_title": "Water balance per party and period (in: up; where it goes: down)",
    "axis_hm3_period": "hm³ over the period",
    "wb_natural_inflow_hm3": "natural inflow",
    "wb_received_from_other_hm3": "received from the other party",
    "wb_net_use_hm3": "use (withdrawals less returns)",
    "wb_conveyance_loss_hm3": "conveyance loss",
    "wb_evaporation_hm3": "evaporation",
    "wb_storage_change_hm3": "storage change",
    "wb_groundwater_change_hm3": "groundwater storage change",
    "wb_infiltration_out_hm3": "infiltration leaving the basin",
    "wb_outflow_hm3": "outflow from the basin",
    "wb_passed_to_other_hm3": "passed to the other party",
    "download_ledger": "Download the ledger (CSV)",
    "costs": "O&M cost split",
    "no_facilities": "The agreement names no facilities.",
    # inputs
    "inputs_intro": "Edit any cell; the scenario is re-validated and re-solved at once. Edits are kept for "
                    "this session until you press **Reset to basin defaults**.",
    "unit_toggle": "Unit of the inflow and demand tables",
    "unit_hm3": "hm³/month",
    "unit_m3s": "m³/s (monthly mean)",
    "inflow_table": "Monthly natural inflow, {year_type} year ({unit})",
    "demand_table": "Monthly demand ({unit})",
    "reservoir_table": "Reservoirs",
    "canal_table": "Canal and release capacities",
    "edited_count": "{n} value{s} differ{verb} from the basin defaults.",
    "col_name": "Name",
    "col_month": "Month",
    "col_capacity_hm3": "Capacity (hm³)",
    "col_dead_storage_hm3": "Dead storage (hm³)",
    "col_initial_storage_hm3": "Initial storage (hm³)",
    "col_node": "Node",
    "col_link": "Link",
    "col_link_from": "From",
    "col_link_to": "To",
    "col_capacity": "Capacity",
    "col_capacity_unit": "Capacity ({unit})",
    "col_unit": "Unit",
    "col_series": "{node} ({unit})",
    "problems_here": "Not valid:",
    "problem_cell": "row {row}, column {column}: {message}",
    "problem_entry": "{entry}{field}: {message}",
    "problem_year": "{year_type} year, ",
    # agreement
    "agreement_intro": "Each rule is hard (must hold; the solve fails if it cannot) or soft (a shortfall is "
                       "allowed at a penalty per hm³).",
    "mode": "Mode",
    "mode_hard": "hard",
    "mode_soft": "soft",
    "rule_share": "Share rule",
    "rule_quota": "Seasonal quota",
    "rule_split": "Storage split",
    "rule_header": "{kind} `{id}` ({period})",
    "share_of": "Share of {party}",
    "share_other": "{party} gets the rest: {share:.2f}",
    "quota_volume": "Volume for {party} ({unit} per period)",
    "priorities": "Demand priorities",
    "priorities_caption": "1 = served first, 10 = served last.",
    "priority_of": "{node} ({party})",
    # compare
    "pin": "Pin this scenario",
    "unpin": "Unpin",
    "pin_help": "Keep the current solution to compare later scenarios with it.",
    "pinned_label": "Pinned: {label}",
    "current_label": "Current: {label}",
    "nothing_pinned": "Nothing pinned yet. Press **Pin this scenario** to keep the current solution.",
    "compare_table": "Per party over the horizon (hm³); difference = current − pinned",
    "compare_other_basin": "The pinned scenario is of another basin ({basin}); only the parties are compared.",
    "compare_pinned": "pinned",
    "compare_current": "current",
    "compare_difference": "difference",
    "compare_received": "received (hm³)",
    "compare_shortage": "shortage (hm³)",
    "compare_entitlement": "entitlement (hm³)",
    "compare_delivery": "delivery (hm³)",
    "chart_compare": "Pinned vs current, per party (hm³ over the horizon)",
    "validation": "Observed vs modelled (calibration)",
    "validation_caption": "Published figures against the model run on the bundled basin data "
                          "(from the calibration work, optimizer.analyses.validation).",
    "validation_failed": "The validation table could not be built: {message}",
    # files
    "save_scenario": "Save the scenario",
    "download_scenario": "Download the scenario (YAML)",
    "scenario_invalid": "The edited inputs are not valid; fix them to download the scenario.",
    "load_scenario": "Load a scenario",
    "upload": "Upload a scenario file (YAML, at most {mb} MB)",
    "upload_help": "A file saved with 'Download the scenario'; its series must be inline. It is checked "
                   "before anything is solved.",
    "upload_ok": "Loaded {file}: it is now the basin '{name}'.",
    "upload_bad": "{file} was not loaded:",
    "upload_too_large": "is larger than {mb} MB; a scenario file is far smaller",
    "upload_not_text": "is not UTF-8 text; a scenario file is YAML text",
    "results_files": "Save the results",
    "download_netcdf": "Download the results (NetCDF)",
    "no_results": "No results yet.",
    # trade-offs
    "tradeoffs_intro": "What one party gains and the other gives up, for the edited basin and the sidebar's year "
                       "type, start month, horizon and end storage (perfect foresight; each part is computed "
                       "when its tab is first opened, then kept for these inputs).",
    "tradeoffs_invalid": "The edited inputs are not valid; fix them to compute the trade-offs.",
    "tradeoff_failed": "The {what} could not be computed: {message}",
    "tradeoff_computing": "Computing the {what} …",
    "tradeoff_seconds": "Computed in {seconds:.1f} s.",
    "tradeoff_points": "Frontier points",
    "tradeoff_points_help": "Equal steps from the least to the most water Kazakhstan can physically receive, plus "
                            "the agreement's own point.",
    "tradeoff_rules": "Agreement rules on the frontiers",
    "tradeoff_rules_none": "dropped (the physical trade-off)",
    "tradeoff_rules_hard": "hard rules kept",
    "sub_frontier": "KZ receipts vs KG deliveries",
    "sub_hydropower": "Hydropower",
    "sub_alternatives": "Alternative agreements",
    "sub_clauses": "Value of each clause",
    "what_frontier": "frontier of KZ receipts against KG deliveries",
    "what_energy_frontier": "winter-energy frontier",
    "what_alternatives": "alternative agreements",
    "what_clauses": "value of each clause",
    "frontier_caption": "Each point is the most water Kyrgyzstan's demand nodes can receive over the horizon when "
                        "Kazakhstan is guaranteed at least the receipts on the x axis (first share rule). The "
                        "price is the hm³ of KG delivery given up per extra hm³ guaranteed to KZ.",
    "frontier_line": "Frontier (most KG delivery)",
    "agreement_point": "Agreement (solve, rules enforced)",
    "axis_kz_receipts": "KZ receipts over the horizon (hm³)",
    "axis_kg_delivery": "KG deliveries over the horizon (hm³)",
    "axis_kz_summer": "KZ Apr–Sep receipts (hm³)",
    "axis_winter_energy": "KG winter (Oct–Mar) energy (GWh)",
    "chart_frontier": "Kazakhstan's receipts against Kyrgyzstan's deliveries",
    "chart_energy_frontier": "Kyrgyzstan's winter energy against Kazakhstan's summer water",
    "agreement_on_frontier": "The agreement gives KZ {x:,.0f} hm³ and KG {y:,.0f} {unit}; on the frontier KG "
                             "could have {v:,.0f} {unit} for the same KZ receipts (gap {gap:,.1f} {unit}).",
    "agreement_infeasible": "The agreement has no feasible allocation for these inputs: {note}",
    "col_eps": "KZ receipts ≥ (hm³)",
    "col_eps_summer": "KZ Apr–Sep receipts ≥ (hm³)",
    "col_kg_delivery_max": "KG delivery, most (hm³)",
    "col_kz_received": "KZ received (hm³)",
    "col_kg_received": "KG received (hm³)",
    "col_kz_delivery": "KZ delivery (hm³)",
    "col_kg_delivery": "KG delivery (hm³)",
    "col_kg_shortage": "KG shortage (hm³)",
    "col_kz_shortage": "KZ shortage (hm³)",
    "col_kz_summer": "KZ Apr–Sep received (hm³)",
    "col_price": "KG hm³ per KZ hm³",
    "col_price_energy": "GWh per KZ hm³",
    "col_winter_energy": "Winter energy (GWh)",
    "col_summer_energy": "Summer energy (GWh)",
    "col_annual_energy": "Energy over the horizon (GWh)",
    "col_kind": "Point",
    "col_status": "Status",
    "hydro_factors": "Plants and their energy factors",
    "hydro_factors_caption": "k = ρ·g·H·η / 3.6e6 GWh per hm³ through the turbines. [P] published, [E] estimated; "
                             "the effective head is a constant (the model cannot carry its dependence on storage).",
    "hydro_no_plant": "This basin has no hydropower plant in the model (known plants: {plants}).",
    "col_plant": "Plant",
    "col_reservoir": "Reservoir",
    "col_capacity_mw": "Capacity (MW) [P]",
    "col_annual_gwh": "Published energy (GWh/yr) [P]",
    "col_dam_height": "Dam height (m) [P]",
    "col_head": "Effective head (m) [E]",
    "col_efficiency": "Efficiency [E]",
    "col_factor": "k (GWh/hm³)",
    "col_turbine_limit": "Turbine limit (m³/s)",
    "col_source": "Sources",
    "hydro_energy": "Energy of the current solution",
    "hydro_energy_caption": "Release through the turbines (at most the turbine limit) times k; spill and release "
                            "above the limit make no energy. Winter is Oct–Mar, summer Apr–Sep.",
    "hydro_no_solution": "No solution yet: solve the basin to see its energy.",
    "col_season": "Season",
    "col_energy": "Energy (GWh)",
    "col_release": "Release (hm³)",
    "col_turbined": "Through the turbines (hm³)",
    "col_bypassed": "Released above the turbine limit (hm³)",
    "season_winter": "winter (Oct–Mar)",
    "season_summer": "summer (Apr–Sep)",
    "season_total": "total",
    "chart_energy": "Monthly energy by plant",
    "axis_gwh_month": "GWh/month",
    "hydro_frontier": "Winter energy against Kazakhstan's summer water",
    "hydro_frontier_caption": "The most winter (Oct–Mar) energy Kyrgyzstan's plants can make for each volume of "
                              "Apr–Sep water guaranteed to Kazakhstan (KG irrigation may give way to energy).",
    "alternatives_caption": "Each alternative agreement solved on the same inflows as the 1983 Regulation in the "
                            "basin file; Δ = alternative − 1983 (receipts under the basin file's first share rule).",
    "chart_alternatives": "Change against the 1983 Regulation, per party",
    "axis_d_hm3": "Change over the horizon (hm³)",
    "d_received": "{party} receipts",
    "d_shortage": "{party} shortage",
    "col_variant": "Agreement",
    "col_description": "Description",
    "col_kz_apr_sep": "KZ Apr–Sep received (hm³)",
    "col_kz_apr_sep_share": "KZ share of the Apr–Sep resource",
    "col_kz_oct_mar": "KZ Oct–Mar received (hm³)",
    "col_binding": "Binding rules (shadow price)",
    "col_unmet": "Rules not met",
    "col_objective": "Objective",
    "col_d": "Δ {label}",
    "col_d_objective": "Δ cost (objective)",
    "clauses_caption": "Each clause dropped in turn and the basin solved again: Δ = without the clause − with it "
                       "(positive = the party gains). The shadow price is the cost of asking one more hm³ under "
                       "the full agreement.",
    "clauses_prices": "Shadow prices of the current solution",
    "col_rule": "Rule",
    "col_protects": "Protects",
    "col_mode": "Mode",
    "col_shadow_price": "Shadow price",
    "col_binding_flag": "Binding",
    "col_margin_before": "Margin with it (hm³)",
    "col_margin_after": "Margin without it (hm³)",
    "col_consistent": "Consistent with the prices",
    "col_party": "Party",
    "col_period": "Period",
    # problems outside the tables
    "where_agreement": "Agreement",
    "where_other": "Scenario",
    # storage ownership accounts and use-of-facilities cost sharing (issue 11 items 4, 7)
    "chart_accounts": "Storage accounts: water of each reservoir owned by each party, end of month (hm³)",
    "account_balance": "{party} balance",
    "account_release": "{party} release",
    "account_total": "storage above dead storage",
    "cli_accounts": "Storage accounts of {reservoir} (end of each step, hm3; release = water released for the party "
                    "in that step):",
    "cli_costs": "O&M cost sharing (2000 Agreement, by use of facilities: each facility's own water reaching each "
                 "party) [USD]:",
    "cli_capital": "Capital works and repairs (agreed shares where published, otherwise the facility's O&M split):",
    # language switch, units, short option names
    "language": "Language",
    "lang_en": "English",
    "lang_ru": "Русский",
    "u_hm3": "hm³",
    "u_hm3_month": "hm³/month",
    "u_m3s": "m³/s",
    "u_gwh": "GWh",
    "u_usd": "USD",
    "plural_s": "s",
    "verb_s": "s",
    "foresight_short_perfect": "perfect",
    "foresight_short_myopic": "myopic",
    "solving": "Solving …",
    "validation_running": "Observed vs modelled (calibration) …",
    "yes": "yes",
    "no": "no",
    "mode_reported": "reported",
    "point_grid": "grid",
    "point_agreement": "agreement",
    "status_optimal": "optimal",
    "status_infeasible": "infeasible",
    "kind_share": "share",
    "kind_quota": "quota",
    "kind_split": "storage split",
    # ledger, cost split and validation columns (display headers; the data keep their ids)
    "ledger_col_rule": "Rule",
    "ledger_col_kind": "Kind",
    "ledger_col_party": "Party",
    "ledger_col_period": "Period",
    "ledger_col_complete": "Complete period",
    "ledger_col_mode": "Mode",
    "ledger_col_tolerance": "Tolerance",
    "ledger_col_required_hm3": "Required (hm³)",
    "ledger_col_received_hm3": "Received (hm³)",
    "ledger_col_deficit_hm3": "Deficit (hm³)",
    "ledger_col_met": "Met",
    "ledger_col_shadow_price": "Shadow price",
    "ledger_col_role": "Role",
    "ledger_col_status": "Status",
    "ledger_col_test": "Test",
    "status_met": "met",
    "status_short": "short",
    "status_within": "within the ceiling",
    "status_over": "over the ceiling",
    "status_reported": "reported only",
    "status_not applicable": "not applicable",
    "cost_col_facility": "Facility",
    "cost_col_name": "Name",
    "cost_col_party": "Party",
    "cost_col_water_hm3": "Water received (hm³)",
    "cost_col_share": "Share",
    "cost_col_om_cost_usd": "O&M cost (USD)",
    "cost_col_cost_usd": "Party's cost (USD)",
    "cost_col_item": "Item",
    "cost_col_basis": "What the share counts",
    "cost_col_facility_water_hm3": "Water through the facility (hm³)",
    "cost_col_unattributed_hm3": "Water not attributed to a party (hm³)",
    "cost_col_share_basis": "Share basis",
    "cost_col_cost": "Cost",
    "cost_col_currency": "Currency",
    "cost_item_om": "O&M",
    "val_col_quantity": "Quantity",
    "val_col_period": "Period",
    "val_col_observed": "Observed",
    "val_col_modelled": "Modelled",
    "val_col_unit": "Unit",
    "val_col_error_pct": "Error (%)",
    "val_col_source": "Source",
    "val_col_run": "Model run",
    "val_col_fitted": "Fitted",
    # the season's schedule (optimizer/interfaces/app/season.py, page_season.py)
    "tab_schedule": "Season schedule",
    'season_intro': "The season's schedule of deliveries for the vegetation period (Apr–Sep), per dekad: the planned flow at each accounting post in m³/s. It is pre-filled with the schedule proposed for the runoff forecast (an agreement solve with the operative quota, as `chutalas schedule` does); edit it or upload a CSV/Excel schedule. The season is then operated with the schedule delivered at the posts first (operation 'schedule') and the plan is compared with the fact. The sidebar's horizon does not apply here.",
    "season_invalid": "The edited scenario is invalid: fix the inputs to plan a season.",
    "season_no_posts": "This basin has no schedule: it needs exactly one vegetation-period quota of KZ with accounting posts ({message}).",
    "season_year": "Season (year)",
    "season_forecast": "Runoff forecast, × normal Apr–Sep inflow",
    'season_forecast_help': "1 = a normal year. The inflow of every dekad is the normal one × this fraction, and the operative quota is the Regulation's volume × this fraction.",
    "season_quota": "Operative quota {quota:,.1f} hm³ (Regulation {regulation:,.0f} hm³); accounting posts: {posts}.",
    'season_proposing': "Proposing the season's schedule…",
    "season_operating": "Operating the season on the schedule…",
    "season_plan_table": "Planned flow at the accounting posts, m³/s (per dekad)",
    "season_post_m3s": "{post}, m³/s",
    "season_source_proposed": "Pre-filled with the schedule proposed for this forecast; your edits are kept per season.",
    "season_source_upload": "Loaded from {file}; your edits are kept per season.",
    "season_reset": "Back to the proposed schedule",
    "season_upload": "Upload a schedule (CSV or Excel)",
    'season_upload_help': "One row per post and dekad: post (the post's link id), step_start (the dekad's first day, YYYY-MM-01, -11 or -21) and plan_m3s (or plan_hm3, the volume of the dekad). A file written by `chutalas schedule --out` (Russian/English headers) is read as it is.",
    "season_upload_bad": "{file} was not loaded (the schedule in the table is unchanged):",
    'season_cum_table': "Cumulative plan from the season's start, hm³",
    "season_problems": "The schedule has invalid entries ({n}); it is not operated until they are fixed (what you typed is kept):",
    'season_bad_number': "{post}, {dekad}: '{value}' is not a number; write the planned flow in m³/s (0 for none)",
    "season_bad_empty": "{post}, {dekad}: empty; write the planned flow in m³/s (0 for none)",
    "season_bad_negative": "{post}, {dekad}: {value} is not a flow ≥ 0 m³/s; write a number ≥ 0 (0 for none)",
    "season_bad_post": "{post}, {dekad}: not an accounting post of this basin; use one of {posts}",
    'season_bad_step': "row {row}: '{value}' is not the first day of a dekad of the season (YYYY-MM-01, -11 or -21, Apr–Sep {year})",
    "season_missing": "{post}, {dekad}: no row in the file; give every post a row for every dekad (0 for none)",
    "season_more": "… and {n} more",
    'season_bad_file': "a schedule is a .csv or .xlsx file, not '{suffix}'",
    "season_bad_read": "cannot be read as a table ({message})",
    "season_bad_columns": "column(s) {columns} missing; the header is post, step_start, plan_m3s (or plan_hm3)",
    "season_failed": "The season could not be operated: {message}",
    "season_stale": "Showing the result of the last valid schedule of this season; fix the entries above to operate this one.",
    "season_result": "Plan against fact to the end of the season ({date})",
    "season_seconds": "operated in {seconds:.2f} s (schedule operation)",
    "pct_value": "{pct:,.1f} %",
    "season_deviation": "{value:+,.1f} hm³ against the plan ({fact:,.1f} of {plan:,.1f} hm³)",
    "season_metric_help": "Fulfilment = cumulative fact / cumulative plan at the post to the end of the season; the deviation carried forward = fact − plan (negative: the shortfall behind the schedule).",
    "season_chart": "Cumulative plan and fact at the accounting posts",
    "season_plan_line": "{post}: plan",
    "season_fact_line": "{post}: fact",
    "season_table": "Plan against fact per post and dekad",
    "season_download": "Download plan against fact (CSV, Russian/English headers)",
    "axis_cum_hm3": "cumulative delivery, hm³",
    "axis_dekad": "dekad",
    "col_post": "Accounting post",
    "col_dekad": "Dekad",
    "dekad_label": "{month} {year}, dekad {roman}",
    "post_fallback": "{source} → {target}",
    "post_CH_L_WBCHK_KZ": "W. Big Chu Canal to KZ",
    "post_CH_L_GEORG": "Georgievka canal",
    "post_CH_L_BORDER": "Chu, border (Kainar)",
    "post_TA_L_BORDER": "Talas at the border",
    "pf_col_plan_m3s": "Plan, m³/s",
    "pf_col_actual_m3s": "Fact, m³/s",
    "pf_col_plan_hm3": "Plan, hm³",
    "pf_col_actual_hm3": "Fact, hm³",
    "pf_col_cum_plan_hm3": "Cumulative plan, hm³",
    "pf_col_cum_actual_hm3": "Cumulative fact, hm³",
    "pf_col_fulfilment_pct": "Fulfilment, %",
    "pf_col_deviation_hm3": "Deviation carried forward, hm³",
    # chutalas calibrate (optimizer/interfaces/cli_calibrate.py)
    "calib_header": "Calibration of {basin}: status quo, {year_type} year (cyclic storage {storage} hm³)",
    "calib_method": "method: {method}; {iterations} iterations, {evaluations} LP runs; cost {cost:.5f}",
    "calib_widened": "; ranges widened (--allow-outside)",
    "calib_parameters": "Parameters:",
    "calib_param_line": "  {id:<26} {field:<19} prior {prior:<6g} range [{lo:g}, {hi:g}]  -> {value:.4f}{bound}{flag}",
    "calib_at_bound": " (at {bound})",
    "calib_bound_min": "min",
    "calib_bound_max": "max",
    "calib_flagged": "  FLAGGED: outside its documented range by {by:+.4f}",
    "calib_targets": "Targets (tolerance {tol:.0%}):",
    "calib_target_line": "  {id:<26} {party} {period:<8} observed {obs:>8,.1f}{rng:<12} modelled {mod:>8,.1f}  "
                         "error {err:+6.1f} %  {status}",
    "calib_ok": "ok",
    "calib_missed_word": "MISSED",
    "calib_within": "Within the documented ranges the fit reached:",
    "calib_within_line": "  {id:<26} modelled {mod:>8,.1f}  error {err:+6.1f} %  {status}",
    "calib_ident_title": "Identifiability at the fitted values (sensitivity: change of the targets, as a share of "
                         "the observed volume, per range-width; correlation {basis}):",
    "calib_basis_data": "from (JᵀJ)⁻¹ of the targets",
    "calib_basis_prior": "from (JᵀJ + λ²I)⁻¹: JᵀJ of the targets alone is singular, only the prior separates "
                         "what the targets cannot",
    "calib_ident_header": "  parameter                  range             value    bound  sensitivity  resolution  "
                          "max |corr| (with)                 identifiable",
    "calib_ident_line": "  {id:<26} {rng:<16}  {value:>8.4f}  {bound:<5}  {sens:>11.4f}  {res:>10.2f}  "
                        "{corr:>5.2f} ({other:<26})  {ident} {issues}",
    "calib_yes": "yes",
    "calib_no": "NO:",
    "calib_issue_zero_sensitivity": "no target responds to it",
    "calib_issue_unresolved": "in a direction the targets cannot see",
    "calib_issue_correlated": "|corr| {corr:.2f} with {other}",
    "calib_issue_collinear": "the targets respond to it as to {other} (|cos| {cos:.2f})",
    "calib_issue_at_bound": "at a bound",
    "calib_more_params": "{n} parameters, {m} targets: MORE PARAMETERS THAN TARGETS. The targets fix at most {m} "
                         "combinations of them (rank {rank}); the rest is set by the prior, not by the data.",
    "calib_params_targets": "{n} parameters, {m} targets (rank {rank}).",
    "calib_groups": "The targets cannot tell apart: {groups}",
    "calib_all_identifiable": "Every parameter is identifiable from the targets.",
    "calib_error": "chutalas calibrate: {error}",
    "calib_wrote": "wrote {path}",
    "calib_flagged_err": "FLAGGED {id} = {value:g} is outside its documented range [{lo:g}, {hi:g}]",
    "calib_missed_err": "MISSED {id}: modelled {mod:,.1f} hm³, observed {obs:,.1f} hm³ ({err:+.1f} % outside the "
                        "measured range; tolerance {tol:.0%})",
    "calib_named_title": "Named-year calibration of {basin}: fitted on {fitted}, held out {held} (status quo, each "
                         "year its own inflow, cyclic storage; {iterations} iterations, {evaluations} LP-year runs)",
    "calib_named_inflow": "  inflow {year}: {note}",
    "calib_named_header": "  year  role        figure                                                     period     "
                          "             observed  modelled  error %  | file values: modelled  error %",
    "calib_named_line": "  {year}  {role:<10}  {label:<58} {start}..{end}  {obs:>8,.1f}  {mod:>8,.1f}  {err:>+7.1f}  |"
                        "               {file:>8,.1f}  {ferr:>+7.1f}",
    "calib_role_fitted": "fitted",
    "calib_role_validation": "validation",
}


from optimizer.interfaces.ui_text_cli import EN_CLI, RU_CLI  # noqa: E402 - CLI summary labels
from optimizer.interfaces.ui_text_ensemble import EN_ENS, RU_ENS  # noqa: E402 - chutalas ensemble
from optimizer.interfaces.ui_text_ru import RU  # noqa: E402 - the translation needs nothing from here

EN.update(EN_CLI)
RU.update(RU_CLI)
EN.update(EN_ENS)
RU.update(RU_ENS)

LANGUAGES: dict[str, dict[str, str]] = {"en": EN, "ru": RU}
MONTH_NAMES: dict[str, list[str]] = {"en": MONTHS, "ru": MONTHS_RU}
DEFAULT_LANGUAGE = "en"
TEXT: dict[str, str] = EN  # kept for old imports: the English table

# the basin validation messages (basins/messages.py) read the same context variable: a BasinError printed or
# shown while Russian is set is in Russian
_current: contextvars.ContextVar[str | None] = basin_messages.LANGUAGE


def check_language(lang: str) -> str:
    """``lang`` normalised (``RU`` -> ``ru``); ValueError naming the known codes if it is not one."""
    code = str(lang).strip().lower()
    if code not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGUAGES)}")
    return code


def get_language() -> str:
    """The current language code: set_language/language(), else $CHUTALAS_LANG, else English."""
    code = _current.get()
    if code:
        return code
    env = os.environ.get("CHUTALAS_LANG", "").strip().lower()
    return env if env in LANGUAGES else DEFAULT_LANGUAGE


def set_language(lang: str | None) -> None:
    """Set the current language for this thread/context (None: back to $CHUTALAS_LANG / English)."""
    _current.set(check_language(lang) if lang else None)


@contextlib.contextmanager
def language(lang: str):
    """``with language("ru"): ...`` – the labels inside are Russian."""
    token = _current.set(check_language(lang))
    try:
        yield
    finally:
        _current.reset(token)


def t(key: str, lang: str | None = None, **values) -> str:
    """The label ``key`` in ``lang`` (default: the current language), ``{placeholders}`` filled from ``values``."""
    if key not in EN:
        raise KeyError(f"no label {key!r} in optimizer/interfaces/ui_text.py (EN)")
    code = check_language(lang) if lang else get_language()
    text = LANGUAGES[code].get(key)
    if text is None:
        if "PYTEST_CURRENT_TEST" in os.environ:
            raise KeyError(f"label {key!r} has no {code} translation")
        log.warning("label %r has no %s translation; showing English", key, code)
        text = EN[key]
    return text.format(**values) if values else text


def month_abbr(month: int, lang: str | None = None) -> str:
    """The abbreviation of calendar month ``month`` (1-12) in ``lang`` (default: the current language)."""
    return MONTH_NAMES[check_language(lang) if lang else get_language()][int(month) - 1]


_EN_MONTH = re.compile(r"\b(" + "|".join(MONTHS) + r")\b")


def period_label(period: str, lang: str | None = None) -> str:
    """A ledger period such as ``2025 Apr-Sep`` with its month names in ``lang`` (``2025 апр–сен``)."""
    code = check_language(lang) if lang else get_language()
    if code == "en":
        return str(period)
    names = MONTH_NAMES[code]
    out = str(period).replace(" hydro-year", " " + t("period_hydro_year", lang=code))
    out = _EN_MONTH.sub(lambda m: names[MONTHS.index(m.group(1))], out)
    return re.sub(r"(?<=[^\W\d_])-(?=[^\W\d_])", "–", out)


def label_or(key: str, default: str, lang: str | None = None) -> str:
    """The label ``key`` if the tables have it, else ``default`` (e.g. a year type the labels do not know)."""
    return t(key, lang=lang) if key in EN else default


def column_labels(columns, prefix: str, lang: str | None = None) -> list[str]:
    """Display headers of table ``columns`` through the keys ``{prefix}{column}`` (unknown columns unchanged)."""
    return [label_or(f"{prefix}{c}", str(c), lang=lang) for c in columns]


def relabel(df, prefix: str, lang: str | None = None):
    """A copy of ``df`` with its column headers translated at display time (see :func:`column_labels`)."""
    return df.set_axis(column_labels(df.columns, prefix, lang), axis=1)


def ledger_test(role: str, status: str, required: float, received: float, deficit: float,
                lang: str | None = None) -> str:
    """A ledger row's test in words in ``lang`` ("entitled 2,761, received 2,761 hm³ — met"), from its numbers."""
    def v(x: float) -> str:
        x = 0.0 if abs(x) < 5e-7 else x
        return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"

    vals = dict(req=v(required), rec=v(received), d=v(deficit), unused=v(max(0.0, required - received)), lang=lang)
    if status in ("reported", "not applicable", "within", "over"):
        return t(f"test_{status.replace(' ', '_')}", **vals)
    what = "entitlement" if role == "entitlement" else "quota"
    return t(f"test_{what}_{status}", **vals)

