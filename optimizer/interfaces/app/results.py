"""What the app shows of a solve besides figures: solve options and cache keys, result labels, the compliance
ledger in words and colours, party totals, the pinned-vs-current comparison and the validation table.

No Streamlit here: plain data (Basin, Result, pandas). Labels from :mod:`optimizer.interfaces.ui_text`.
"""

from __future__ import annotations

import hashlib
import json
import math
from functools import partial
from typing import Any

import pandas as pd

from basins import Basin

from optimizer.interfaces import ui_text
from optimizer.interfaces.ui_text import month_abbr, t

START_YEAR = 2025
MET_COLOUR, NOT_MET_COLOUR = "#d4edda", "#f8d7da"
INFO_COLOUR = "#eef0f3"  # reported-only and not-applicable rows: no test, neither green nor red


# ---- solving -------------------------------------------------------------------------------------
def solve_options(year_type: str, start_month: int, months: int, foresight: str, operation: str,
                  end_storage: str) -> dict:
    return {"year_type": year_type, "start": f"{START_YEAR}-{int(start_month):02d}", "months": int(months),
            "foresight": foresight, "operation": operation, "end_storage": end_storage}


def solve_key(basin: Basin, options: dict) -> str:
    return hashlib.sha256((basin.sha256() + json.dumps(options, sort_keys=True)).encode()).hexdigest()


#: Reoptimizers a session keeps (results.app_solve): its most recently solved problems, so that switching an option
#: back and forth stays warm; each holds two HiGHS instances and its LP (about 7 MB at 120 Chu months), outside the
#: process's model cache and its CHUTALAS_MODEL_CACHE_MB
KEPT_REOPTIMIZERS = 3


def app_solve(kept: dict, key: str, basin: Basin, options: dict, time_limit: float | None):
    """The app's solve of ``basin`` with ``options`` (:func:`solve_options`), warm.

    With perfect foresight the session keeps a :class:`optimizer.Reoptimizer` per basin page and options other
    than the year type (``kept``, the :data:`KEPT_REOPTIMIZERS` most recently used): when the problem differs
    from its own only in natural inflow (an inflow edit on the Inputs tab, another year type), the changed row
    bounds are pushed and the LP re-solved from the kept bases (issue 15 item 3); anything else (another table
    edited, an upload under the same key) gets a new one. Month-by-month operation solves with ``optimizer.solve``.
    The Result is ``optimizer.solve(basin, **options, warm_start=True)``'s either way. Raises what it raises (a
    Reoptimizer whose solve failed is kept: it solves the problem again the whole way next time)."""
    import optimizer

    if options.get("foresight") != "perfect":
        return optimizer.solve(basin, **options, time_limit=time_limit, warm_start=True)
    ro_options = {k: v for k, v in options.items() if k != "foresight"}
    sig = json.dumps({"page": key, **{k: v for k, v in ro_options.items() if k != "year_type"}}, sort_keys=True,
                     default=str)
    ro = kept.get(sig)
    if ro is not None:
        kept[sig] = kept.pop(sig)  # (the most recently used last)
        ro.time_limit = time_limit
        try:
            ro.set_basin_inflow(basin, options["year_type"])
        except ValueError:  # more than the inflow changed
            del kept[sig]
        else:
            return ro.result()
    ro = optimizer.Reoptimizer(basin, **ro_options, time_limit=time_limit)
    kept[sig] = ro
    while len(kept) > KEPT_REOPTIMIZERS:
        kept.pop(next(iter(kept)))
    return ro.result()


def cold_result(entry: dict):
    """The entry's problem solved cold (every number as ``chutalas solve`` and a fresh process give them), once per
    entry and kept in it: what the app shows and exports of the water values and rule prices.

    The app's own solves start warm from the kept basis (``warm_start=True``: an edit re-solves in a fraction of a
    cold solve). Their allocation is the cold one (stage 2, optimizer.core.second_stage, to 1e-6 hm³), but stage 1's
    duals need not be: where the LP's dual is degenerate, a warm start may end at another equally valid dual. So the
    views that show duals (water values, the ledger's shadow prices, the clause prices, the NetCDF file) ask for this
    cold result, solved only when one of them is opened. Raises what :func:`optimizer.solve` raises."""
    if entry.get("cold") is None:
        import optimizer

        if not entry["result"].manifest.get("warm_start"):
            entry["cold"] = entry["result"]  # solved cold already
        else:
            basin, opts = entry["label_args"]
            entry["cold"] = optimizer.solve(basin, **opts, time_limit=entry.get("time_limit", 60.0))
    return entry["cold"]


def label_or(key: str, default: str) -> str:
    """The label ``key`` if the language has it, else ``default`` (e.g. a year type the labels do not know)."""
    return ui_text.label_or(key, default)


def result_label(basin: Basin, options: dict) -> str:
    start = pd.Timestamp(options["start"])
    yt = options["year_type"]
    return t("status", basin=ui_text.basin_name(basin), year_type=label_or(f"year_type_{yt}", yt), months=options["months"],
             start=f"{month_abbr(start.month)} {start.year}",
             foresight=label_or(f"foresight_short_{options['foresight']}", options["foresight"]),
             operation=label_or(f"operation_{options['operation']}", options["operation"]))


def ledger_display(led: pd.DataFrame) -> pd.DataFrame:
    """The ledger with its words in the current language: kind, mode, period, met, and the column headers."""
    out = led.copy()
    if "rule" in out:  # the rule's name in the current language (its id where the basin file gives none)
        out["rule"] = [ui_text.rule_name(r, led.attrs.get("rule_names", {})) for r in led["rule"]]
    if "party" in out:
        out["party"] = [ui_text.party_label(str(p)) for p in led["party"]]
    if "test" in out:  # the test in words in the current language, from the row's numbers
        out["test"] = [ui_text.ledger_test(x.role, x.status, x.required_hm3, x.received_hm3, x.deficit_hm3)
                       for x in led.itertuples()]
    if "period_name" in out:  # the period once, in the Commission's words
        out["period"] = out["period_name"] if ui_text.get_language() == "en" else out["period"].map(ui_text.period_label)
        out = out.drop(columns=["period_name"])
    elif "period" in out:
        out["period"] = out["period"].map(ui_text.period_label)
    for col, prefix in (("kind", "kind_"), ("mode", "mode_"), ("role", "role_"), ("status", "status_")):
        if col in out:
            out[col] = out[col].map(lambda v, p=prefix: label_or(f"{p}{v}", str(v)))
    for col in ("met", "complete"):
        if col in out:
            out[col] = out[col].map(lambda v: t("yes") if bool(v) else t("no"))
    return ui_text.relabel(out, "ledger_col_")


def party_totals(result) -> pd.DataFrame:
    """Per party over the horizon: received, entitlement, demand, delivery, shortage [hm³]."""
    s = result.summary()
    return s if len(s) else pd.DataFrame(columns=["received_hm3", "entitlement_hm3", "demand_hm3",
                                                  "delivery_hm3", "shortage_hm3"])


def compare_table(pinned, current) -> pd.DataFrame:
    """Pinned vs current per party, with differences (current − pinned) [hm³ over the horizon]."""
    a, b = party_totals(pinned), party_totals(current)
    parties = [p for p in b.index if p in a.index] + [p for p in b.index if p not in a.index] + \
        [p for p in a.index if p not in b.index]
    rows = []
    for p in parties:
        row = {t("axis_party"): p}
        for col, label in (("received_hm3", "compare_received"), ("shortage_hm3", "compare_shortage"),
                           ("entitlement_hm3", "compare_entitlement"), ("delivery_hm3", "compare_delivery")):
            va = float(a.at[p, col]) if p in a.index else math.nan
            vb = float(b.at[p, col]) if p in b.index else math.nan
            row[f"{t(label)} {t('compare_pinned')}"] = va
            row[f"{t(label)} {t('compare_current')}"] = vb
            row[f"{t(label)} {t('compare_difference')}"] = vb - va
        rows.append(row)
    return pd.DataFrame(rows).set_index(t("axis_party"))


def validation_provider():
    """``optimizer.analyses.validation.table`` if the calibration work provides it, else None."""
    import importlib

    try:
        mod = importlib.import_module("optimizer.analyses.validation")
    except ModuleNotFoundError as exc:
        if exc.name == "optimizer.analyses.validation":
            return None
        raise
    table = getattr(mod, "table", None)
    return table if callable(table) else None


def provider_id(fn) -> str:
    """Identifies a provider function for caching (a replaced module gives a new id)."""
    return f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', '')}:{id(fn)}"


def validation_table(basin_id: str):
    """Observed vs modelled, if the calibration work provides ``optimizer.analyses.validation.table``; else None."""
    table = validation_provider()
    return table(basin_id) if table is not None else None


# ---- ledger --------------------------------------------------------------------------------------
def ledger_styled(led: pd.DataFrame):
    """The compliance ledger with met rows green and rows not met red."""
    met = [bool(v) for v in led["met"]]
    status = [str(v) for v in led["status"]] if "status" in led else [""] * len(led)
    shown = ledger_display(led)

    def colour(row):
        i = shown.index.get_loc(row.name)
        c = INFO_COLOUR if status[i] in ("reported", "not applicable") else (
            MET_COLOUR if met[i] else NOT_MET_COLOUR)  # a ceiling not reached is "within": green
        return [f"background-color: {c}; color: #1a1a1a"] * len(row)

    head = dict(zip([c for c in led.columns if c != "period_name"], shown.columns))  # (period_name folded in)
    # numbers as the reader writes them ("2 325,7" in Russian: ui_text.number)
    fmt: dict[str, Any] = {head[c]: partial(ui_text.number, spec=",.1f")
                           for c in ("required_hm3", "received_hm3", "deficit_hm3") if c in head}
    if "shadow_price" in head:
        fmt[head["shadow_price"]] = lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v)) else \
            ui_text.number(0.0 if abs(v) < 5e-4 else v, ",.3f")  # no "-0.000"
    if "tolerance" in head:
        fmt[head["tolerance"]] = partial(ui_text.number, spec=".2f")
    return shown.style.apply(colour, axis=1).format(fmt)


def first_rule_role(led: pd.DataFrame, party: str) -> str:
    """The role (entitlement, ceiling, reported) of ``party`` in the ledger's first share rule ("" if none)."""
    share = led[led["kind"] == "share"]
    rows = share[(share["rule"] == share["rule"].iloc[0]) & (share["party"] == party)] if len(share) else share
    return str(rows["role"].iloc[0]) if len(rows) else ""


def rules_in_words(led: pd.DataFrame) -> str:
    """Every ledger row's test as a markdown list: rule, party, role, period, and whether it holds."""
    from optimizer.interfaces.ui_text import get_language, ledger_test, period_label, rule_name

    lines = []
    names = led.attrs.get("rule_names", {})
    for x in led.itertuples():
        words = ledger_test(x.role, x.status, x.required_hm3, x.received_hm3, x.deficit_hm3)
        period = x.period_name if get_language() == "en" else period_label(x.period)
        lines.append(f"- **{rule_name(x.rule, names)}** · {ui_text.party_label(x.party)} · {t(f'role_{x.role}')} · "
                     f"{period}: {words}")
    return "\n".join(lines)


def conflicts_in_words(conflicts: pd.DataFrame, names: dict, nodes: dict) -> tuple[str, pd.DataFrame]:
    """An infeasible agreement's diagnosis in the current language: the message (each rule that had to give way
    by its name, how short, of how much) and the table, labelled (``names``: rule id → {language: name},
    optimizer.core.agreement.rule_names; ``nodes``: node id → name)."""
    from optimizer.interfaces.ui_text import period_label, rule_name

    def num(v: float) -> str:
        return ui_text.number(v, ",.1f")

    def what(c) -> str:
        # the clauses that are not basin-file rules by their reservoir (optimizer.core.errors.CONFLICT_COLUMNS)
        reservoir = nodes.get(c.reservoir, c.reservoir)
        if c.kind == "end_storage":
            return t("conflict_end_storage", reservoir=reservoir)
        if c.kind == "account":
            return t("conflict_account", party=c.party, reservoir=reservoir)
        return rule_name(c.rule, names)

    lines = [t("conflicts_intro")]
    for c in conflicts.itertuples():
        lines.append("- " + t("conflict_line", rule=what(c), kind=label_or(f"kind_{c.kind}", c.kind),
                                  party=c.party, period=period_label(c.period), short=num(c.shortfall_hm3),
                                  required=num(c.required_hm3)))
    lines.append(t("conflicts_fix"))
    table = conflicts.drop(columns=["reservoir"], errors="ignore")  # (named in the rule's words)
    table["rule"] = [what(c) for c in conflicts.itertuples()]
    table["kind"] = [label_or(f"kind_{k}", k) for k in conflicts["kind"]]
    table["period"] = [period_label(p) for p in conflicts["period"]]
    table["party"] = [ui_text.party_label(str(p)) for p in conflicts["party"]]
    labels = {c: t(f"ledger_col_{c}") for c in ("rule", "kind", "party", "period", "required_hm3")}
    labels["shortfall_hm3"] = t("conflict_col_shortfall_hm3")
    return "\n".join(lines), table.rename(columns={k: v for k, v in labels.items() if k in table.columns})
