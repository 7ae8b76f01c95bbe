"""The Streamlit app's plain-data support under its old name: scenario edits and their validation, located
problems, result tables, files and Plotly figures, re-exported from the modules of :mod:`optimizer.interfaces.app`
(where each lives, by concept). No Streamlit here."""

from __future__ import annotations

import basins  # noqa: F401 - (the module whose loads() the upload path calls; tests patch support.basins.loads)

from optimizer.interfaces.app.edits import (
    EDITS_FILE, RESERVOIR_FIELDS, Edits, edits_from_basin, edits_hash, count_changes,
    scenario_text, validate_edits, Located, locate, problems_by_table,
    to_display, to_hm3, series_display, apply_cell_edits, revalidate_series
)
from optimizer.interfaces.app.results import (
    START_YEAR, MET_COLOUR, NOT_MET_COLOUR, INFO_COLOUR, solve_options, solve_key, label_or, result_label,
    ledger_display, party_totals, compare_table, validation_provider, provider_id, validation_table, ledger_styled,
    first_rule_role, rules_in_words
)
from optimizer.interfaces.app.files import (
    UPLOAD_MAX_MB, UPLOAD_MAX_BYTES, read_upload, upload_key, upload_suffix, netcdf_bytes, ledger_csv
)
from optimizer.interfaces.app.figures import (
    PARTY_COLOURS, KIND_SYMBOLS, fig_water_balance, _times,
    fig_allocation, fig_demand, fig_storage, border_links, first_rule_period, fig_border, border_party, fig_costs,
    fig_accounts, fig_water_values, schematic_positions, fig_network, fig_compare
)
from optimizer.interfaces.app.tradeoffs import (
    TRADEOFF_CACHE_MAX, tradeoff_key, FRONTIER_COLUMNS, ENERGY_FRONTIER_COLUMNS, labelled, fig_frontier,
    agreement_summary, hydro_factors, energy_by_season, fig_energy, ALT_COLUMNS, DELTA_LABELS,
    alternatives_table, fig_alternatives, clauses_table, shadow_prices
)
from optimizer.interfaces.ui_text import M3S

__all__ = [
    'EDITS_FILE', 'RESERVOIR_FIELDS', 'Edits', 'edits_from_basin', 'edits_hash', 'count_changes', 'scenario_text',
    'validate_edits', 'Located', 'locate', 'problems_by_table', 'to_display', 'to_hm3', 'series_display',
    'apply_cell_edits', 'revalidate_series', 'START_YEAR', 'MET_COLOUR', 'NOT_MET_COLOUR', 'INFO_COLOUR', 'solve_options', 'solve_key',
    'label_or', 'result_label', 'ledger_display', 'party_totals', 'compare_table', 'validation_provider',
    'provider_id', 'validation_table', 'ledger_styled', 'first_rule_role', 'rules_in_words', 'UPLOAD_MAX_MB',
    'UPLOAD_MAX_BYTES', 'read_upload', 'upload_key', 'upload_suffix', 'netcdf_bytes', 'ledger_csv', 'PARTY_COLOURS',
    'KIND_SYMBOLS', 'fig_water_balance', '_times', 'fig_allocation', 'fig_demand',
    'fig_storage', 'border_links', 'first_rule_period', 'fig_border', 'border_party', 'fig_costs', 'fig_accounts',
    'fig_water_values', 'schematic_positions', 'fig_network', 'fig_compare', 'TRADEOFF_CACHE_MAX', 'tradeoff_key',
    'FRONTIER_COLUMNS', 'ENERGY_FRONTIER_COLUMNS', 'labelled', 'fig_frontier', 'agreement_summary', 'hydro_factors',
    'energy_by_season', 'fig_energy', 'ALT_COLUMNS', 'DELTA_LABELS', 'alternatives_table', 'fig_alternatives',
    'clauses_table', 'shadow_prices', 'M3S'
]
