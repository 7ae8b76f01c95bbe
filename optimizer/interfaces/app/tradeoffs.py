"""The trade-offs tab's tables and figures (optimizer.analyses.tradeoffs, optimizer.analyses.hydropower):
frontiers, hydropower, alternative agreements and the value of each clause. No Streamlit here."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from basins import Basin

from optimizer.interfaces.app.figures import PARTY_COLOURS, _date_axis, _layout
from optimizer.interfaces.app.results import label_or
from optimizer.interfaces import ui_text
from optimizer.interfaces.ui_text import t

TRADEOFF_CACHE_MAX = 8  # computed trade-off parts kept per session (oldest dropped first)


def tradeoff_key(part: str, basin: Basin, **options) -> str:
    """Cache key of one trade-off part: the edited basin's hash and every option it depends on."""
    return part + ":" + hashlib.sha256((basin.sha256() + json.dumps(options, sort_keys=True, default=str))
                                       .encode()).hexdigest()


FRONTIER_COLUMNS = {  # table column -> label key (frontier of KZ receipts vs KG deliveries)
    "kind": "col_kind", "eps": "col_eps", "kg_delivery_hm3": "col_kg_delivery_max", "price": "col_price",
    "kz_received_hm3": "col_kz_received", "kg_received_hm3": "col_kg_received",
    "kz_delivery_hm3": "col_kz_delivery", "kg_shortage_hm3": "col_kg_shortage",
    "kz_shortage_hm3": "col_kz_shortage", "status": "col_status"}
ENERGY_FRONTIER_COLUMNS = {
    "kind": "col_kind", "eps": "col_eps_summer", "winter_energy_gwh": "col_winter_energy",
    "price_gwh_per_hm3": "col_price_energy", "kz_summer_hm3": "col_kz_summer",
    "summer_energy_gwh": "col_summer_energy", "annual_energy_gwh": "col_annual_energy",
    "kg_delivery_hm3": "col_kg_delivery", "kz_received_hm3": "col_kz_received", "status": "col_status"}


def labelled(df: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """The columns of ``df`` named in ``columns`` (in that order), renamed to their labels."""
    keep = [c for c in columns if c in df.columns]
    out = df[keep].copy()
    for col, prefix in (("kind", "point_"), ("status", "status_")):  # a frontier point's kind and solver status
        # (text columns: pandas 3 gives them the "str" dtype, not object; until 2026-12-03 this test was
        # ``dtype == object`` and the Russian tables showed "grid" and "optimal")
        if col in out and not pd.api.types.is_numeric_dtype(out[col]):
            out[col] = out[col].map(lambda v, p=prefix: label_or(f"{p}{v}", v) if isinstance(v, str) else v)
    return out.rename(columns={c: t(columns[c]) for c in keep})


def fig_frontier(frontier, energy: bool = False) -> go.Figure:
    """The frontier line (x = the guaranteed floor eps, y = its exact value) and the agreement's point."""
    tab = frontier.table[frontier.table["status"] == "optimal"].sort_values("eps")
    y = frontier.y
    x_title, y_title = (t("axis_kz_summer"), t("axis_winter_energy")) if energy else \
        (t("axis_kz_receipts"), t("axis_kg_delivery"))
    fig = go.Figure()
    fig.add_scatter(x=tab["eps"].tolist(), y=tab[y].tolist(), mode="lines+markers",
                    name=t("energy_frontier_line" if energy else "frontier_line"),
                    line=dict(color=PARTY_COLOURS["KG"], width=2.5), marker=dict(size=7))
    a = frontier.agreement
    if a is not None and a.get("status") == "optimal":
        fig.add_scatter(x=[a[frontier.x]], y=[a[y]], mode="markers", name=t("agreement_point"),
                        marker=dict(color=PARTY_COLOURS["KZ"], size=14, symbol="star",
                                    line=dict(color="#1a1a1a", width=1)))
    fig = _layout(fig, t("chart_energy_frontier" if energy else "chart_frontier"), y_title, x_title)
    fig.update_layout(hovermode="closest")
    return fig


def agreement_summary(frontier, unit: str) -> str:
    a = frontier.agreement
    if a is None:
        return t("agreement_infeasible", note="-")
    if a.get("status") != "optimal":
        return t("agreement_infeasible", note=a.get("note", ""))
    y = frontier.y
    # what each number is: KG's deliveries to its demands are not its use under the share rule (the metric and the
    # alternatives table), so the sentence names its quantities
    return t("agreement_on_frontier", x=a[frontier.x], y=a[y], v=a.get(f"frontier_{y}", float("nan")),
             gap=a.get(f"gap_{y}", float("nan")), unit=unit,
             x_what=ui_text.label_or(f"what_{frontier.x}", frontier.x), y_what=ui_text.label_or(f"what_{y}", y))


def hydro_factors(basin: Basin) -> pd.DataFrame:
    """The basin's plants with their documented inputs ([P]/[E] marks in the labels) and derived factors."""
    from optimizer.analyses import hydropower as hp

    ids = [p.id for p in hp.plants_of(basin)]
    f = hp.factors().loc[ids].reset_index()
    f["name"] = [plant_name(p) for p in ids]  # the plant and its reservoir by name, in the reader's language
    nodes = {n.id: ui_text.node_name(n) for n in basin.spec.nodes}
    f["reservoir"] = f["reservoir"].map(lambda r: nodes.get(r, r))
    cols = {"name": "col_plant", "reservoir": "col_reservoir", "capacity_mw": "col_capacity_mw",
            "annual_gwh_published": "col_annual_gwh", "dam_height_m": "col_dam_height", "head_m": "col_head",
            "efficiency": "col_efficiency", "factor_gwh_per_hm3": "col_factor",
            "turbine_limit_m3s": "col_turbine_limit", "source": "col_source"}
    return labelled(f, cols)


def plant_name(plant_id: str) -> str:
    """A plant (optimizer.analyses.hydropower.PLANTS) by its name in the reader's language, else its id."""
    from optimizer.analyses import hydropower as hp

    p = hp.PLANTS.get(plant_id)
    return plant_id if p is None else ui_text.in_language(p, "name")


def energy_by_season(energy: pd.DataFrame) -> pd.DataFrame:
    """Energy [GWh], release and turbined volume [hm³] per plant and season, with each plant's total."""
    if energy.empty:
        return pd.DataFrame()
    sums = ["release_hm3", "turbined_hm3", "bypassed_hm3", "energy_gwh"]
    by = energy.groupby(["plant", "season"], sort=False)[sums].sum().reset_index()
    tot = energy.groupby("plant", sort=False)[sums].sum().reset_index().assign(season="total")
    out = pd.concat([by, tot], ignore_index=True)
    order = {"winter": 0, "summer": 1, "total": 2}
    out = out.sort_values(["plant", "season"], key=lambda s: s.map(order) if s.name == "season" else s)
    out["season"] = out["season"].map(lambda s: t(f"season_{s}"))
    out["plant"] = out["plant"].map(plant_name)
    return labelled(out.reset_index(drop=True), {
        "plant": "col_plant", "season": "col_season", "energy_gwh": "col_energy", "release_hm3": "col_release",
        "turbined_hm3": "col_turbined", "bypassed_hm3": "col_bypassed"})


def fig_energy(energy: pd.DataFrame) -> go.Figure:
    """Monthly energy per plant, stacked, with the capacity (MW × hours) as a dashed line."""
    fig = go.Figure()
    for plant, g in energy.groupby("plant", sort=False):
        fig.add_bar(x=g["time"], y=g["energy_gwh"], name=plant_name(str(plant)))
    cap = energy.groupby("time")["capacity_gwh"].sum()
    fig.add_scatter(x=cap.index, y=cap.values, name=t("col_capacity_mw").split(" (")[0], mode="lines",
                    line=dict(dash="dash", color="#555"))
    fig.update_layout(barmode="stack")
    _date_axis(fig, sorted(energy["time"].unique()))
    return _layout(fig, t("chart_energy"), t("axis_gwh_month"))


ALT_COLUMNS = {
    "variant": "col_variant", "status": "col_status", "kz_received_hm3": "col_kz_received",
    "kg_received_hm3": "col_kg_received", "kz_apr_sep_hm3": "col_kz_apr_sep",
    "kz_apr_sep_share": "col_kz_apr_sep_share", "kz_oct_mar_hm3": "col_kz_oct_mar",
    "kg_delivery_hm3": "col_kg_delivery", "kz_delivery_hm3": "col_kz_delivery",
    "kg_shortage_hm3": "col_kg_shortage", "kz_shortage_hm3": "col_kz_shortage"}
DELTA_LABELS = {"kz_received_hm3": "col_kz_received", "kg_received_hm3": "col_kg_received",
                "kz_apr_sep_hm3": "col_kz_apr_sep", "kg_delivery_hm3": "col_kg_delivery",
                "kz_delivery_hm3": "col_kz_delivery", "kg_shortage_hm3": "col_kg_shortage",
                "kz_shortage_hm3": "col_kz_shortage"}


def _with_deltas(df: pd.DataFrame, columns: dict[str, str], tail: dict[str, str]) -> pd.DataFrame:
    cols = dict(columns)
    for c in DELTA_LABELS:
        if f"d_{c}" in df.columns:
            cols[f"d_{c}"] = f"d_{c}"
    cols |= tail
    out = df[[c for c in cols if c in df.columns]].copy()
    for c in out.columns:  # a solver's round-off (-4.5e-13) is a zero, not "-0.0"
        if pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].mask(out[c].abs() < 1e-9, 0.0)
    return out.rename(columns={c: (t("col_d", label=t(DELTA_LABELS[c[2:]])) if c.startswith("d_") and
                                   c[2:] in DELTA_LABELS else t(cols[c])) for c in out.columns})


def variant_label(variant: str) -> str:
    """An alternative agreement (optimizer.analyses.alternatives.variants) in the reader's words:
    ``commission_2024`` → "Commission 2024 schedule", ``kg_claim`` → "KG claim (80/20 in Apr–Sep)"."""
    if variant.startswith("commission_") and variant[len("commission_"):].isdigit():
        return t("variant_commission", year=variant[len("commission_"):])
    return ui_text.label_or(f"variant_{variant}", variant)


def alternatives_table(df: pd.DataFrame) -> pd.DataFrame:
    if "description_ru" in df:  # the description in the reader's language (optimizer.analyses.alternatives)
        if ui_text.get_language() == "ru":
            df = df.assign(description=[r or e for r, e in zip(df["description_ru"], df["description"])])
        df = df.drop(columns=["description_ru"])
    if "variant" in df:
        df = df.assign(variant=df["variant"].map(variant_label))
    if "status" in df:
        df = df.assign(status=df["status"].map(lambda v: ui_text.label_or(f"alt_status_{v}", v)))
    return _with_deltas(df, ALT_COLUMNS, {"binding": "col_binding", "unmet_rules": "col_unmet",
                                          "description": "col_description"})


def fig_alternatives(df: pd.DataFrame) -> go.Figure:
    """Grouped bars: each alternative's change against the 1983 baseline in each party's receipts and shortage."""
    alt = df.iloc[1:]
    alt = alt[alt["status"] == "optimal"] if "status" in alt else alt
    fig = go.Figure()
    for party in ("KG", "KZ"):
        for what, pattern in (("received", ""), ("shortage", "/")):
            col = f"d_{party.lower()}_{what}_hm3"
            if col in alt.columns:
                fig.add_bar(x=[variant_label(v) for v in alt["variant"]], y=alt[col], name=t(f"d_{what}", party=party),
                            marker=dict(color=PARTY_COLOURS[party], pattern_shape=pattern,
                                        opacity=1.0 if what == "received" else 0.55))
    fig.update_layout(barmode="group")
    fig = _layout(fig, t("chart_alternatives"), t("axis_d_hm3"), t("col_variant"))
    fig.update_layout(hovermode="closest")
    return fig


def _by_name(df: pd.DataFrame, names: dict) -> pd.DataFrame:
    """``df`` with its rules by name and its parties as the reader writes them (ui_text.rule_name, party_label)."""
    out = df.copy()
    if "rule" in out:
        out["rule"] = [ui_text.rule_name(str(r), names) for r in df["rule"]]
    if "party" in out:
        out["party"] = [ui_text.party_label(str(p)) for p in df["party"]]
    return out


def clauses_table(df: pd.DataFrame, names: dict | None = None) -> pd.DataFrame:
    """The clause values (optimizer.analyses.tradeoffs.clause_values), labelled; ``names``: rule id → {language:
    name} (optimizer.core.agreement.rule_names), the rules shown by name."""
    df = _by_name(df, names or {}).copy()
    words = {"kind": lambda v: label_or(f"kind_{v}", v), "mode": lambda v: label_or(f"mode_{v}", v),
             "status": lambda v: label_or(f"status_{v}", v),
             "protects": lambda v: ", ".join(ui_text.party_label(p.strip()) for p in v.split(",") if p.strip())}
    for col, word in words.items():  # the codes ("quota", "hard", "KZ,KG", "optimal") in the reader's words
        if col in df:
            df[col] = df[col].map(lambda v, w=word: w(v) if isinstance(v, str) else v)
    return _with_deltas(df, {"rule": "col_rule", "kind": "col_kind", "protects": "col_protects",
                             "mode": "col_mode", "shadow_price": "col_shadow_price", "binding": "col_binding_flag"},
                        {"d_objective": "col_d_objective", "margin_before_hm3": "col_margin_before",
                         "margin_after_hm3": "col_margin_after", "consistent": "col_consistent",
                         "status": "col_status"})


def shadow_prices(ledger: pd.DataFrame) -> pd.DataFrame:
    """The enforced rows of a ledger (hard or soft) with their shadow price, for display beside the clauses."""
    led = _by_name(ledger[ledger["mode"].isin(["hard", "soft"])], ledger.attrs.get("rule_names", {})).copy()
    # the period, the party and the mode in the reader's words (as the ledger shows them: results.ledger_styled)
    led["period"] = led["period"].map(ui_text.period_label)
    led["party"] = led["party"].map(ui_text.party_label)
    led["mode"] = led["mode"].map(lambda m: label_or(f"mode_{m}", m))
    out = labelled(led, {"rule": "col_rule", "party": "col_party", "period": "col_period", "mode": "col_mode",
                         "shadow_price": "col_shadow_price"}).copy()
    col = t("col_shadow_price")
    out[col] = out[col].map(lambda v: 0.0 if v is None or not np.isfinite(v) or abs(v) < 5e-4 else float(v))
    return out.reset_index(drop=True)
