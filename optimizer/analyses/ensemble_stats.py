"""Per-party risk statistics of an ensemble Dataset (:func:`statistics`) and a one-row-per-party table
(:func:`summary`); what they mean is in :mod:`optimizer.analyses.ensemble`'s docstring and docs/ensembles.md §2.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

QUANTILES = (0.5, 0.9, 0.95)

def statistics(ds: xr.Dataset, quantiles: Sequence[float] = QUANTILES) -> xr.Dataset:
    """Add per-party risk statistics to an ensemble Dataset (meaning: :mod:`optimizer.analyses.ensemble`)."""
    ok = (ds["status"] == "optimal").values
    ds = ds.copy()
    ds.attrs["members_solved"] = int(ok.sum())
    ds.attrs["members_failed"] = int((~ok).sum())
    qs = np.asarray(quantiles, dtype=float)
    parties = [str(p) for p in ds["party"].values]
    if "shortage_hm3" in ds:
        dem_party = ds["demand_party"].values
        short = ds["shortage_hm3"].values  # (member, time, demand)
        per = np.stack([short[:, :, dem_party == p].sum(axis=(1, 2)) for p in parties], axis=-1)
        ds["party_shortage_hm3"] = (("member", "party"), np.where(ok[:, None], per, np.nan),
                                    {"units": "hm3", "long_name": "shortage of the party's demands over the horizon"})
        T = ds.sizes["time"]
        n_years = T // 12
        sel = per[ok]
        ds["shortage_mean_hm3"] = ("party", sel.mean(axis=0) if len(sel) else np.full(len(parties), np.nan),
                                   {"units": "hm3", "long_name": "expected shortage over the horizon"})
        ds.coords["quantile"] = qs
        ds["shortage_quantile_hm3"] = (("quantile", "party"), _quantiles(sel, qs),
                                       {"units": "hm3",
                                        "long_name": "shortage over the horizon, quantiles over members"})
        if n_years >= 1:
            yearly = np.stack([short[:, :12 * n_years, dem_party == p].sum(axis=2)
                               .reshape(len(ok), n_years, 12).sum(axis=2) for p in parties], axis=-1)
            flat = yearly[ok].reshape(-1, len(parties))
            ds["annual_shortage_quantile_hm3"] = (
                ("quantile", "party"), _quantiles(flat, qs),
                {"units": "hm3/yr", "long_name": "shortage per 12-month year from the start, quantiles over "
                                                 "member-years"})
            mean = flat.mean(axis=0) if len(flat) else np.full(len(parties), np.nan)
            ds["annual_shortage_mean_hm3"] = ("party", mean, {"units": "hm3/yr"})
    if "ledger_met" in ds:
        rules = list(dict.fromkeys(str(r) for r in ds["ledger_rule"].values))
        p_met = np.full((len(rules), len(parties)), np.nan)
        p_all = np.full((len(rules), len(parties)), np.nan)
        met = ds["ledger_met"].values[ok]
        deficit = ds["ledger_deficit_hm3"].values[ok]
        applies = ds["ledger_applies"].values
        enforced_row = ds["ledger_enforced"].values if "ledger_enforced" in ds.coords else np.zeros(len(applies), bool)
        roles = ds["ledger_role"].values if "ledger_role" in ds.coords else np.full(len(applies), "entitlement")
        role = np.full((len(rules), len(parties)), "", dtype=object)
        enforced = np.zeros((len(rules), len(parties)), dtype=bool)
        d_q = np.full((len(qs), len(rules), len(parties)), np.nan)
        for i, rule in enumerate(rules):
            for j, p in enumerate(parties):
                cols = (ds["ledger_rule"].values == rule) & (ds["ledger_party"].values == p) & applies
                if not cols.any():
                    continue
                role[i, j] = str(roles[cols][0])
                enforced[i, j] = bool(enforced_row[cols].all())
                if role[i, j] == "reported" or enforced[i, j] or not len(met):
                    continue  # reported: no test; enforced: a constraint, not a reliability
                p_met[i, j] = met[:, cols].mean()
                p_all[i, j] = met[:, cols].all(axis=1).mean()
                d_q[:, i, j] = np.quantile(deficit[:, cols].ravel(), qs)
        ds.coords["rule"] = rules
        ds.coords["quantile"] = qs
        ds["rule_role"] = (("rule", "party"), role.astype(str), {"long_name": "entitlement | ceiling | quota | "
                                                                 "reported ('' = the party has no row)"})
        ds["rule_enforced"] = (("rule", "party"), enforced, {"long_name": "hard constraint of the LP in this "
                                                             "operation: no reliability is computed"})
        ds["p_rule_met"] = (("rule", "party"), p_met, {"units": "1", "long_name": (
            "probability that the rule's test holds over members and periods (a ceiling: use within it); "
            "NaN where the operation enforces the rule or the share is reported only")})
        ds["p_rule_met_every_period"] = (("rule", "party"), p_all, {"units": "1", "long_name": "share of members "
                                                                     "passing the rule's test in every period"})
        ds["rule_deficit_quantile_hm3"] = (("quantile", "rule", "party"), d_q, {"units": "hm3", "long_name": (
            "shortfall under an entitlement or quota, or use over a ceiling, per member-period, quantiles "
            "(rules the operation does not enforce)")})
    if "storage_hm3" in ds and ds.sizes["reservoir"]:
        mins = ds["storage_hm3"].values.min(axis=1)  # (member, reservoir)
        mins = np.where(ok[:, None], mins, np.nan)
        ds["member_min_storage_hm3"] = (("member", "reservoir"), mins, {"units": "hm3"})
        ds["min_storage_hm3"] = ("reservoir", np.nanmin(mins, axis=0) if ok.any() else
                                 np.full(ds.sizes["reservoir"], np.nan),
                                 {"units": "hm3", "long_name": "lowest storage of any member and month"})
        ds["min_storage_p05_hm3"] = ("reservoir", _quantiles(mins[ok], [0.05])[0],
                                     {"units": "hm3", "long_name": "5th percentile of the members' minimum storage"})
    return ds


def _quantiles(x: np.ndarray, qs: Any) -> np.ndarray:
    if len(x) == 0:
        return np.full((len(qs), x.shape[1]), np.nan)
    return np.quantile(x, qs, axis=0)  # linear interpolation (numpy default, Hyndman–Fan type 7)


def summary(ds: xr.Dataset) -> pd.DataFrame:
    """One row per party: rule probabilities, shortage mean and quantiles [hm³], lowest storage of its reservoirs."""
    rows = []
    for p in ds["party"].values:
        p = str(p)
        row: dict[str, Any] = {"party": p}
        if "p_rule_met" in ds:
            for r in ds["rule"].values:
                v = float(ds["p_rule_met"].sel(rule=r, party=p))
                role = str(ds["rule_role"].sel(rule=r, party=p).values) if "rule_role" in ds else "entitlement"
                if "rule_enforced" in ds and bool(ds["rule_enforced"].sel(rule=r, party=p)):
                    row[f"{r} ({role})"] = f"enforced — feasible in {ds.attrs.get('members_solved', 0)} of " \
                                           f"{ds.attrs.get('members_solved', 0) + ds.attrs.get('members_failed', 0)}"
                elif np.isfinite(v):
                    row[f"P({r} within the ceiling)" if role == "ceiling" else f"P({r} met)"] = v
        if "shortage_mean_hm3" in ds:
            row["shortage mean hm3"] = float(ds["shortage_mean_hm3"].sel(party=p))
            for qv in ds["quantile"].values:
                row[f"shortage P{round(100 * qv)} hm3"] = float(ds["shortage_quantile_hm3"].sel(quantile=qv, party=p))
        if "min_storage_hm3" in ds:
            mine = ds["reservoir_country"].values == p
            if mine.any():
                row["min storage hm3"] = float(ds["min_storage_hm3"].values[mine].min())
        rows.append(row)
    return pd.DataFrame(rows).set_index("party")
