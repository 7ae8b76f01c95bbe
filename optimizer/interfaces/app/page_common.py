"""What every page section of the app shares: the :class:`Page` it draws (basin, edits, options, solution), the
fixed-table data editor, headings, captions and located problems, and figures cached per solution."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st

from basins import Basin

import optimizer
from optimizer.interfaces.app.edits import Edits, Located
from optimizer.interfaces.app.results import cold_result
from optimizer.interfaces import ui_text
from optimizer.interfaces.ui_text import t


@dataclass
class Page:
    """One run of the script: the basin shown (``key``: a bundled id or an upload's key), its edits and options;
    ``edited_basin`` (None while the edits are invalid) and ``entry`` (the solution shown) once known."""

    key: str
    base: Basin
    edits: Edits
    defaults: Edits
    version: int
    year_type: str
    uploaded: bool
    labels: dict[str, str]
    time_limit: float
    opts: dict[str, Any] = field(default_factory=dict)
    edited_basin: Basin | None = None
    entry: dict[str, Any] | None = None

    def widget_key(self, name: str) -> str:
        """One widget namespace per basin and reset (a reset gives fresh widgets, no stale editor state)."""
        return f"{name}|{self.key}|v{self.version}"


def editor(page: Page, name: str, make_shown: Callable[[], pd.DataFrame], column_config: dict,
           disabled: list[str] | None = None, key: str | None = None,
           hide_index: bool | None = None) -> tuple[pd.DataFrame, dict]:
    """A data editor whose table is fixed while it lives; returns (shown table, edited rows). ``hide_index``: the
    rows' ids are not shown (the table names its rows in a column of its own)."""
    ss = st.session_state
    k = key or page.widget_key(name)
    if k not in ss or k not in ss.snapshots:
        ss.snapshots[k] = make_shown()
    rows = len(ss.snapshots[k])
    shown = st.data_editor(ss.snapshots[k], key=k, num_rows="fixed", column_config=column_config,
                           disabled=disabled or False, width="stretch", height=35 * (rows + 1) + 3,
                           hide_index=hide_index)
    state = ss.get(k) or {}
    return shown, state.get("edited_rows", {})


def numbers(df: pd.DataFrame, decimals: int = 1, special: dict[str, int] | None = None,
            columns: list | None = None) -> tuple[pd.DataFrame, dict]:
    """A display table's numbers as the reader writes them: the float columns (or ``columns``) rounded to
    ``decimals`` (``special``: column → decimals), a solver's -4.5e-13 made 0, and shown in the browser's locale
    ("1 234,6" in a Russian browser, "1,234.6" in an English one: Streamlit's ``localized`` format, which shows up
    to 3 decimals, so a value rounded here shows as rounded; its ``step`` would cut 1,234.57 to "1,234.5").
    Returns (the rounded table, its column_config)."""
    out = df.copy()
    cols = [c for c in (columns if columns is not None else out.columns)
            if c in out.columns and pd.api.types.is_float_dtype(out[c])]
    cfg = {}
    for c in cols:
        d = (special or {}).get(c, decimals)
        out[c] = out[c].round(d) + 0.0  # (+ 0.0: no "-0")
        # (localized shows at most 3 decimals: a 4-decimal factor keeps its printf format)
        cfg[c] = st.column_config.NumberColumn(format="localized" if d <= 3 else f"%.{d}f")
    return out, cfg


def editor_number(label: str, help: str | None = None) -> Any:
    """An editable number column in the browser's locale (a Russian browser shows and takes "12,5"; the value
    kept is what was typed, shown to 3 decimals)."""
    return st.column_config.NumberColumn(label, help=help, format="localized")


def heading(text: str) -> None:
    st.markdown(f"##### {text}")


def edited_caption(n: int) -> None:
    if n:
        st.caption(t("edited_count", n=n, s=t("plural_s") if n != 1 else "", verb="" if n != 1 else t("verb_s")))


def show_problems(items: list[Located]) -> None:
    if items:
        st.error(t("problems_here") + "\n" + "\n".join(f"- {loc.text}" for loc in items))


def figure(entry: dict[str, Any], name: str, build: Callable[[Any], Any]) -> Any:
    """A result's figure, built once per solution and language (tab switches and reruns reuse it; the language
    switch builds it again with its labels)."""
    figs = entry.setdefault("figures", {})
    k = (name, ui_text.get_language())
    if k not in figs:
        figs[k] = build(entry["result"])
    return figs[k]


def chart(fig: Any, key: str, **kw: Any) -> None:
    """``st.plotly_chart`` of every chart of the app, its numbers as the reader writes them (Plotly's separators:
    "2 326,5" in Russian, "2,326.5" in English) and its hover values to 0.1 (of hm³, m³/s, GWh: a hover showed
    "54.45009"; a trace's own hovertemplate keeps its format)."""
    fig.update_layout(separators=", " if ui_text.get_language() == "ru" else ".,")
    fig.update_yaxes(hoverformat=",.1f")
    # tick numbers in full with the reader's thousands separator: "1 500", "400 000", not "1500" or "400k"
    fig.update_xaxes(separatethousands=True, exponentformat="none")
    fig.update_yaxes(separatethousands=True, exponentformat="none")
    st.plotly_chart(fig, key=key, **kw)


def exact(entry: dict[str, Any]) -> Any | None:
    """The entry's cold result (:func:`optimizer.interfaces.app.results.cold_result`: the water values and prices
    a solve from scratch gives), solved the first time a view of duals asks; None, with a warning saying why, if
    that solve fails."""
    try:
        with st.spinner(t("solving")):
            return cold_result(entry)
    except (optimizer.SolveError, ValueError, RuntimeError) as exc:
        st.warning(t("duals_cold_failed", message=exc))
        return None
