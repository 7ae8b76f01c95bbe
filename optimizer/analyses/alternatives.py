"""Alternative agreements and the value of each clause.

Alternative agreements (:func:`alternatives`) and clause values (:func:`clause_values`) re-solve the main
LP on modified copies of the basin spec (``basin.spec.model_copy(deep=True)``, re-validated through

See :mod:`optimizer.analyses.frontier` for the frontiers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

import basins
from basins import Basin
from basins.schema import Quota

from optimizer.core.agreement import SEASON_MONTHS, Row
from optimizer.core.errors import InfeasibleAgreement

# Pyomo, HiGHS and the model/result modules are imported inside the functions that need them, so that
# ``chutalas`` (which registers this module's add_arguments/run) starts without loading Pyomo.
if TYPE_CHECKING:
    import xarray as xr


from optimizer.analyses.frontier import (DOWNSTREAM, PRICE_TOL, UPSTREAM, _basin, _first_share_rule, _horizon_inputs,
                                         party_totals, receipts)


#: Commission Apr–Sep plans of water to KZ [hm³] (facts sheet §3, "Commission plans vs actual").
COMMISSION_PLANS: dict[str, dict[int, tuple[float, str]]] = {
    "chu": {2023: (154.0, "[D] 2023 plan [70]"), 2024: (180.0, "[P 71] 2024 plan"),
            2025: (625.0 * 180 / 560, "[E] the 2025 plan is published only as 625 hm3 for Chu+Talas [P 73]; "
                                      "split in proportion to the 2024 plans (180 : 380)")},
    "talas": {2023: (344.7, "[P 70] 2023 plan, Apr-Sep"), 2024: (380.0, "[P 71] 2024 plan"),
              2025: (625.0 * 380 / 560, "[E] the 2025 plan is published only as 625 hm3 for Chu+Talas [P 73]; "
                                        "split in proportion to the 2024 plans (180 : 380)")},
}
#: KG's stated growing-season split of the Chu (Deputy Minister Sokeyev, 2024) [P 60, secondary source].
KG_CLAIM_APR_SEP = {"KG": 0.80, "KZ": 0.20}


def _revalidate(basin: Basin, spec, label: str) -> Basin:
    """A Basin from a modified spec, validated as an upload would be (YAML round trip, series inline)."""
    b = Basin(spec, basin.inflow, basin.demand, basin.evaporation)
    return basins.loads(basins.dumps(b, inline=True), file=f"<{basin.id}: {label}>")


def kg_claim(basin: Basin | str, keep_quotas: bool = True) -> Basin:
    """The basin with each share rule replaced by two: Apr–Sep with KG 80 % / KZ 20 % (KG's stated claim),
    Oct–Mar with the rule's own (1983) shares — for the Chu 58/42 as stated; the Talas rule's 50/50 by
    analogy (the claim was stated for the Chu). Storage splits are unchanged; KZ's Apr–Sep quotas (the
    Regulation's vegetation entitlement) are kept, or dropped with ``keep_quotas=False`` (the claimed
    growing-season split would supersede them)."""
    basin = _basin(basin)
    spec = basin.spec.model_copy(deep=True)
    if not keep_quotas:
        spec.agreement.quotas = [q for q in spec.agreement.quotas
                                 if not (q.party == DOWNSTREAM and q.period == "apr-sep")]
    new = []
    for r in spec.agreement.share_rules:
        summer = r.model_copy(deep=True)
        summer.id, summer.period = f"{r.id}_apr_sep", "apr-sep"
        summer.shares = {p: KG_CLAIM_APR_SEP[p] for p in r.shares}
        summer.description = "KG claim: growing season (Apr-Sep) KG 80 % / KZ 20 %"
        summer.source = "[P 60] (secondary source); scenario"
        winter = r.model_copy(deep=True)
        winter.id, winter.period = f"{r.id}_oct_mar", "oct-mar"
        winter.description = f"KG claim: outside the growing season (Oct-Mar) the 1983 shares of {r.id}"
        new += [summer, winter]
    spec.agreement.share_rules = new
    return _revalidate(basin, spec, "KG claim 80/20 Apr-Sep" + ("" if keep_quotas else ", no Apr-Sep quota"))


def commission_schedule(basin: Basin | str, year: int) -> Basin:
    """The basin with KZ's Apr–Sep quota set to the Commission's plan of ``year`` (:data:`COMMISSION_PLANS`);
    the quota keeps its receipts, mode and penalty (one is added, hard, if the basin has none)."""
    basin = _basin(basin)
    plans = COMMISSION_PLANS.get(basin.id, {})
    if year not in plans:
        raise ValueError(f"no Commission plan for {basin.id!r} in {year} (known: {sorted(plans)})")
    volume, src = plans[year]
    spec = basin.spec.model_copy(deep=True)
    quotas = [q for q in spec.agreement.quotas if q.party == DOWNSTREAM and q.period == "apr-sep"]
    if quotas:
        for q in quotas:
            q.volume_hm3 = round(volume, 3)
            q.description = f"Commission {year} schedule: KZ Apr-Sep plan"
            q.source = src
    else:
        rule = _first_share_rule(basin)
        spec.agreement.quotas = list(spec.agreement.quotas) + [Quota(
            id=f"commission_{year}_kz", description=f"Commission {year} schedule: KZ Apr-Sep plan",
            party=DOWNSTREAM, period="apr-sep", volume_hm3=round(volume, 3), receipts=rule.receipts[DOWNSTREAM],
            mode="hard", source=src)]
    return _revalidate(basin, spec, f"Commission {year}")


def variants(basin: Basin | str) -> dict[str, tuple[str, Basin]]:
    """The alternative agreements on the same basin and inflows: name → (description, Basin)."""
    basin = _basin(basin)
    out = {"1983": ("1983 Regulation as in the basin file (baseline)", _revalidate(basin, basin.spec, "1983"))}
    if basin.spec.agreement.share_rules:
        out["kg_claim"] = (f"KG claim: Apr-Sep KG/KZ 80/20, Oct-Mar 1983 shares ({_shares(basin)}); other clauses kept",
                           kg_claim(basin))
        if any(q.party == DOWNSTREAM and q.period == "apr-sep" for q in basin.spec.agreement.quotas):
            out["kg_claim_no_quota"] = ("KG claim as above, and KZ's Apr-Sep quota dropped (superseded by the "
                                        "claimed growing-season split)", kg_claim(basin, keep_quotas=False))
    for year, (vol, src) in sorted(COMMISSION_PLANS.get(basin.id, {}).items()):
        out[f"commission_{year}"] = (f"Commission {year} schedule: KZ Apr-Sep quota {vol:,.1f} hm3 {_mark(src)}",
                                     commission_schedule(basin, year))
    return out


def description_ru(name: str, basin: Basin) -> str:
    """A variant's description (:func:`variants`) in Russian, for the app; empty for a name it does not know."""
    if name == "1983":
        return "Положение 1983 г., как в файле бассейна (базовый вариант)"
    if name in ("kg_claim", "kg_claim_no_quota") and basin.spec.agreement.share_rules:
        if name == "kg_claim_no_quota":
            return ("Претензия КР, как выше, и без квоты РК на апр–сен (её заменяет заявленный раздел "
                    "вегетационного периода)")
        return f"Претензия КР: апр–сен КР/РК 80/20, окт–мар доли 1983 г. ({_shares(basin)}); прочие положения сохранены"
    year = name[len("commission_"):] if name.startswith("commission_") else ""
    plan = COMMISSION_PLANS.get(basin.id, {}).get(int(year)) if year.isdigit() else None
    if plan is not None:
        vol = f"{plan[0]:,.1f}".replace(",", " ").replace(".", ",")
        return f"График Комиссии {year} г.: квота РК на апр–сен {vol} млн м³ {_mark(plan[1])}"
    return ""


def _shares(basin: Basin) -> str:
    """The first share rule's KG/KZ shares, "58%/42%" (both descriptions of the KG claim)."""
    return "/".join(f"{basin.spec.agreement.share_rules[0].shares.get(p, 0):.0%}" for p in (UPSTREAM, DOWNSTREAM))


def _mark(source: str) -> str:
    """The status mark a source text starts with: "[P 71] 2024 plan" → "[P]" (or "" if none)."""
    return f"{source[:2]}]" if source[:2] in ("[P", "[D", "[E") else ""


def _outcome(r, base: Basin) -> dict:
    """Receipts (first share rule of the baseline ``base``), seasonal split, deliveries and shortages."""
    ds = r.dataset
    rule = _first_share_rule(base)
    month = pd.DatetimeIndex(ds["time"].values).month
    resource = ds["natural_inflow_hm3"].sel(node=list(rule.resource_inflows)).sum("node").values
    summer_res = float(resource[np.isin(month, SEASON_MONTHS["apr-sep"])].sum())
    kz_s = receipts(ds, base, DOWNSTREAM, SEASON_MONTHS["apr-sep"])
    kg, kz = party_totals(ds, UPSTREAM), party_totals(ds, DOWNSTREAM)
    led = r.ledger
    binding = led[led["shadow_price"].fillna(0) > PRICE_TOL]
    return {
        "kz_received_hm3": receipts(ds, base, DOWNSTREAM),
        "kg_received_hm3": receipts(ds, base, UPSTREAM) if UPSTREAM in rule.receipts else np.nan,
        "kz_apr_sep_hm3": kz_s, "kz_apr_sep_share": kz_s / summer_res if summer_res > 0 else np.nan,
        "kz_oct_mar_hm3": receipts(ds, base, DOWNSTREAM, SEASON_MONTHS["oct-mar"]),
        "kg_delivery_hm3": kg["delivery"], "kg_shortage_hm3": kg["shortage"],
        "kz_delivery_hm3": kz["delivery"], "kz_shortage_hm3": kz["shortage"],
        "unmet_rules": "; ".join(f"{x.rule}|{x.party}|{x.period}" for x in led[~led["met"] & (led["mode"].isin(
            ["hard", "soft"]))].itertuples()),
        "binding": "; ".join(f"{x.rule}|{x.party}|{x.period} ({x.shadow_price:.3g})" for x in binding.itertuples()),
        "objective": r.objective,
    }


ALT_DELTAS = ["kz_received_hm3", "kg_received_hm3", "kz_apr_sep_hm3", "kg_delivery_hm3", "kz_delivery_hm3",
              "kg_shortage_hm3", "kz_shortage_hm3"]


def alternatives(basin: Basin | str, year_type: str = "normal", *, start: str = "2025-01", months: int = 12,
                 end_storage="initial", time_limit: float | None = 60.0) -> pd.DataFrame:
    """Each alternative agreement (:func:`variants`) solved on the same inflows as the 1983 baseline.

    One row per variant: status, each party's receipts (first share rule of the basin file, whatever the
    variant's rules), KZ's Apr–Sep receipts and their share of the Apr–Sep resource, KZ's Oct–Mar
    receipts, each party's delivery and shortage, the binding rule rows (shadow price) and rows not met,
    the objective, and ``d_<column>`` = variant − 1983 baseline (what the change gives one party and costs
    the other). An infeasible variant has status ``infeasible`` and the conflicting rows in ``binding``."""
    from optimizer.core.solver import solve

    basin = _basin(basin)
    rows = []
    for name, (desc, b) in variants(basin).items():
        row = {"variant": name, "description": desc, "description_ru": description_ru(name, basin)}
        try:
            r = solve(b, year_type, start=start, months=months, end_storage=end_storage, time_limit=time_limit)
            row.update(status="optimal", **_outcome(r, basin))
        except InfeasibleAgreement as exc:
            row.update(status="infeasible", binding="; ".join(
                f"{c.rule}|{c.party}|{c.period} short {c.shortfall_hm3:.1f}" for c in exc.conflicts.itertuples()))
        rows.append(row)
    df = pd.DataFrame(rows)
    base = df.iloc[0]
    for c in ALT_DELTAS:
        if c in df:
            df[f"d_{c}"] = df[c] - base[c]
    df.insert(2, "year_type", year_type)
    return df


# ---- value of each clause ------------------------------------------------------------------------

def _clauses(basin: Basin) -> list[tuple[str, str, list[str]]]:
    """(kind, id, protected parties) of every allocation clause (share rules, quotas, storage splits)."""
    ag = basin.spec.agreement
    return ([("share", r.id, list(r.enforced)) for r in ag.share_rules]
            + [("quota", q.id, [q.party]) for q in ag.quotas]
            + [("split", s.id, list(s.enforced)) for s in ag.storage_splits])


def without(basin: Basin | str, rule_id: str) -> Basin:
    """The basin with the share rule, quota or storage split ``rule_id`` removed (re-validated)."""
    basin = _basin(basin)
    spec = basin.spec.model_copy(deep=True)
    ag = spec.agreement
    n = len(ag.share_rules) + len(ag.quotas) + len(ag.storage_splits)
    ag.share_rules = [r for r in ag.share_rules if r.id != rule_id]
    ag.quotas = [q for q in ag.quotas if q.id != rule_id]
    ag.storage_splits = [s for s in ag.storage_splits if s.id != rule_id]
    if len(ag.share_rules) + len(ag.quotas) + len(ag.storage_splits) == n:
        raise ValueError(f"basin {basin.id!r} has no rule {rule_id!r}")
    return _revalidate(basin, spec, f"without {rule_id}")


def _margins(ds: xr.Dataset, base: Basin, rule_id: str, inp_rows: list[Row]) -> dict[str, float]:
    """For the enforced rows of ``rule_id`` (LP keys): received − (1 − tolerance)·requirement [hm³]."""
    from optimizer.core import result as res

    acc = res.Accounts(ds)
    out = {}
    for row in inp_rows:
        if row.rule != rule_id or not row.applies:
            continue
        steps = list(row.period.steps)
        received = float(acc.received(row)[steps].sum())
        monthly = acc.requirement(row)
        required = float(monthly[steps].sum()) if monthly is not None else row.volume_hm3 * row.scale
        if row.ceiling:  # a cap on use: the margin is the allowed use left
            out[row.key] = (1.0 + row.tolerance if row.mode == "soft" else 1.0) * required - received
            continue
        keep = 1.0 - row.tolerance if row.mode == "soft" else 1.0
        out[row.key] = received - keep * required
    return out


def clause_values(basin: Basin | str, year_type: str = "normal", *, start: str = "2025-01", months: int = 12,
                  end_storage="initial", time_limit: float | None = 60.0) -> pd.DataFrame:
    """The value of each clause: re-solve without it and compare with the full agreement.

    One row per rule (share rule, quota, storage split): kind, the parties it protects (its enforced
    parties), its shadow price in the full solve (sum over its enforced rows of ``Result.ledger``'s
    ``shadow_price``: the cost of asking one more hm³), ``binding``; each party's change in receipts
    (first share rule of the basin file), delivery and shortage when the rule is dropped (positive =
    gain); ``d_objective`` (≤ 0: dropping a constraint cannot raise the cost); the protected rows'
    compliance margin (received − (1−tolerance)·required, hm³) with and without the rule, and
    ``consistent``: LP duality says a binding row's margin cannot become positive without it
    (Σ price·margin ≤ 0), i.e. removing a binding rule does not leave the party it protects better off
    by that rule's own measure."""
    from optimizer.core.solver import solve

    basin = _basin(basin)
    kw = dict(start=start, months=months, end_storage=end_storage, time_limit=time_limit)
    full = solve(basin, year_type, **kw)
    inp = _horizon_inputs(basin, year_type, start, months, end_storage)
    base = _outcome(full, basin)
    led = full.ledger
    rows = []
    for kind, rid, protects in _clauses(basin):
        rl = led[(led["rule"] == rid) & led["mode"].isin(["hard", "soft"])]
        prices = {f"{x.rule}|{x.party}|{x.period}": float(x.shadow_price) for x in rl.itertuples()
                  if np.isfinite(x.shadow_price)}
        before = _margins(full.dataset, basin, rid, inp.rows)
        row = {"rule": rid, "kind": kind, "protects": ",".join(protects),
               "mode": rl["mode"].iloc[0] if len(rl) else "", "shadow_price": sum(prices.values()),
               "binding": any(p > PRICE_TOL for p in prices.values())}
        try:
            r = solve(without(basin, rid), year_type, **kw)
        except InfeasibleAgreement as exc:  # cannot happen: dropping a rule relaxes the LP
            rows.append({**row, "status": f"infeasible: {exc}"})
            continue
        after = _margins(r.dataset, basin, rid, inp.rows)
        o = _outcome(r, basin)
        row.update({f"d_{c}": o[c] - base[c] for c in ALT_DELTAS})
        row.update({
            "d_objective": r.objective - full.objective,
            # margins over the rule's binding rows (all its rows when none binds): with several periods and a
            # ceiling beside an entitlement, the rows that do not bind keep a slack that says nothing of the clause
            "margin_before_hm3": sum(v for k, v in before.items() if prices.get(k, 0.0) > PRICE_TOL or not row["binding"]),
            "margin_after_hm3": sum(v for k, v in after.items() if prices.get(k, 0.0) > PRICE_TOL or not row["binding"]),
            "consistent": sum(prices.get(k, 0.0) * after[k] for k in after) <= 1e-6 * max(1.0, full.objective),
            "status": "optimal"})
        rows.append(row)
    return pd.DataFrame(rows)
