"""``Result``: the allocation as an xarray Dataset (built by :mod:`optimizer.core.dataset`), the compliance
ledger, the O&M cost split, water values and a manifest. Volumes in hm³ per month throughout.

Sign convention of the water values: ``water_value[t, n] = −∂(objective)/∂(water added at n in month t)``,
the cost saved by one more hm³ there. At an inflow node "water added" is one more hm³ of natural inflow,
so the value includes its effect on agreement rows (a share's requirement grows with the resource) and
its channel_fraction; elsewhere it is one more hm³ entering the node's balance (objective units per hm³:
one unit = one hm³ of shortage at priority 10). ``rule_price[row] = ∂(objective)/∂(requirement)`` ≥ 0,
the cost of asking one more hm³ for that agreement row (0 when it does not bind); for a use ceiling it is
the cost of allowing one hm³ *less* (−∂objective/∂ceiling), i.e. what one more hm³ of allowed use saves.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from basins.loading import atomic_output

from optimizer.core.agreement import Period, Row, ledger_rows, rule_names
from optimizer.core.balance import LONG_NAMES
from optimizer.core.dataset import (Accounts, Solution, evaporation, party_receipts,  # noqa: F401
                                    groundwater_vars, make_dataset)
from optimizer.core.model import (ELASTIC_PENALTY, ENV_PENALTY, FLOW_COST, LOSS_COST, RELIEF_PENALTY, SPILL_PENALTY,
                                  Inputs)

#: The ledger. ``role``: entitlement (floor on receipts), ceiling (cap on use), quota (a floor in hm³) or reported.
#: ``required_hm3`` is what the role compares with: the entitlement, the ceiling (allowed use) or the quota;
#: ``received_hm3`` the party's count at its posts (receipts, or use for a ceiling); ``deficit_hm3`` the shortfall
#: under a floor or the use over a ceiling; ``status`` met | short | within | over | reported | not applicable;
#: ``met`` is False only for short and over (a ceiling not reached is never a failure); ``test`` says it in words;
#: ``shadow_price`` hm³ of weighted shortage (priority-10 equivalent) per hm³ more required.
LEDGER_COLUMNS = ["rule", "kind", "party", "role", "period", "period_name", "complete", "mode", "tolerance",
                  "required_hm3", "received_hm3", "deficit_hm3", "status", "met", "test", "shadow_price"]
COST_COLUMNS = ["facility", "name", "party", "water_hm3", "share", "om_cost_usd", "cost_usd"]
#: the period of a Row counted month by month over the whole horizon (Accounts.received reads no period)
_WHOLE_HORIZON = Period("horizon", (), True)


def _hm3(v: float) -> str:
    """A volume in words: whole hm³ from 100 up, three significant digits below, and 0 for rounding noise."""
    v = 0.0 if abs(v) < 5e-7 else v
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"


def verdict(role: str, required: float, received: float, applies: bool, tol: float = 0.0) -> tuple[str, str, float]:
    """(status, test in words, deficit or excess [hm³]) of one ledger row; ``tol`` the hm³ a soft rule forgives."""
    if role == "reported":
        return "reported", f"share {_hm3(required)}, counted {_hm3(received)} hm³ — reported only", 0.0
    if not applies:
        return "not applicable", (f"{_hm3(required)} hm³ due over the complete period; the horizon holds only part "
                                  "of it — not applicable"), 0.0
    if role == "ceiling":
        over = max(0.0, received - required)
        if over <= tol + 1e-6:
            return "within", (f"allowed {_hm3(required)}, used {_hm3(received)} hm³ — within the ceiling "
                              f"({_hm3(max(0.0, required - received))} unused)"), over
        return "over", f"allowed {_hm3(required)}, used {_hm3(received)} hm³ — over by {_hm3(over)}", over
    short = max(0.0, required - received)
    what = "entitled" if role == "entitlement" else "quota"
    if short <= tol + 1e-6:
        return "met", f"{what} {_hm3(required)}, received {_hm3(received)} hm³ — met", short
    return "short", f"{what} {_hm3(required)}, received {_hm3(received)} hm³ — short by {_hm3(short)}", short


def ledger(ds: xr.Dataset, inp: Inputs, row_dual: dict[str, float]) -> pd.DataFrame:
    """One row per rule × party × period: the role's test (floor or ceiling), in numbers and in words."""
    out = []
    acc = Accounts(ds)
    for row in ledger_rows(inp.basin, inp.times):
        steps = list(row.period.steps)
        received = float(acc.received(row)[steps].sum())
        monthly = acc.requirement(row)
        required = float(monthly[steps].sum()) if monthly is not None else row.volume_hm3
        applies = row.applies
        role = "quota" if row.kind == "quota" else row.role
        allowed = row.tolerance * required if row.mode == "soft" else 0.0
        status, test, deficit = verdict(role, required, received, applies, allowed)
        out.append({
            "rule": row.rule, "kind": row.kind, "party": row.party, "role": role, "period": row.period.label,
            "period_name": row.period.name,
            "complete": row.period.complete, "mode": row.mode if applies else "not applicable (partial period)",
            "tolerance": row.tolerance if row.mode == "soft" else 0.0,
            "required_hm3": required, "received_hm3": received, "deficit_hm3": deficit, "status": status,
            "met": status not in ("short", "over"), "test": test, "shadow_price": row_dual.get(row.key, np.nan),
        })
    df = pd.DataFrame(out, columns=LEDGER_COLUMNS)
    df.attrs["rule_names"] = rule_names(inp.basin)  # what a reader is shown instead of the ids (interfaces)
    return df



def cost_sharing(ds: xr.Dataset, inp: Inputs) -> pd.DataFrame:
    """2000 Agreement: each facility's O&M cost over the horizon split in proportion to water received, or by
    use of facilities (``agreement.cost_sharing: use_of_facilities``, optimizer/core/cost_sharing.py)."""
    if inp.basin.spec.agreement.cost_sharing == "use_of_facilities":
        from optimizer.core.cost_sharing import use_of_facilities

        return use_of_facilities(ds, inp)
    out = []
    years = inp.T / 12.0
    acc = Accounts(ds)
    for f in inp.basin.spec.agreement.facilities:
        water = {}
        for p, rec in f.receipts.items():
            row = Row(f.id, "facility", p, _WHOLE_HORIZON, rec, "reported", 0.0, 0.0)
            water[p] = float(acc.received(row).sum())
        total = sum(water.values())
        for p, w in water.items():
            share = w / total if total > 0 else np.nan
            out.append({"facility": f.id, "name": f.name, "party": p, "water_hm3": w, "share": share,
                        "om_cost_usd": f.om_cost_usd_per_year * years, "cost_usd": f.om_cost_usd_per_year * years * share})
    return pd.DataFrame(out, columns=COST_COLUMNS)


def objective(ds: xr.Dataset, inp: Inputs, led: pd.DataFrame) -> float:
    """The perfect-foresight objective evaluated on any allocation (used to compare myopic operation);
    a hard rule's deficit is valued at the elastic penalty, an account's unpaid evaporation at RELIEF_PENALTY."""
    w = xr.DataArray([inp.weights[d] for d in ds["demand"].values], dims="demand", coords={"demand": ds["demand"]})
    cost = float((w * ds["shortage_hm3"]).sum())
    cost += ENV_PENALTY * float(ds["min_flow_shortfall_hm3"].sum())
    cost += SPILL_PENALTY * float(ds["spill_hm3"].sum()) + FLOW_COST * float(ds["flow_hm3"].sum())
    cost += LOSS_COST * float((ds["flow_hm3"] - ds["delivered_hm3"]).sum())
    from optimizer.core import fairshare

    cost -= fairshare.reward(ds, inp)  # equal-priority rule (optimizer/core/fairshare.py)
    cost += RELIEF_PENALTY * unpaid_evaporation(ds, inp)  # storage accounts (optimizer/core/accounts.py)
    if inp.rules_enforced:
        pen = {}
        for row in inp.basin.spec.agreement.share_rules + inp.basin.spec.agreement.quotas + \
                inp.basin.spec.agreement.storage_splits:
            pen[row.id] = row.penalty
        for r in led[led["mode"].isin(["hard", "soft"])].itertuples():
            free = r.tolerance * r.required_hm3
            excess = max(0.0, r.deficit_hm3 - free)
            cost += excess * (ELASTIC_PENALTY if r.mode == "hard" else pen[r.rule])
    return cost


def unpaid_evaporation(ds: xr.Dataset, inp: Inputs) -> float:
    """The evaporation that storage accounts could not pay and other parties paid for them, Σ u [hm³] (the LP's
    ``acc_unpaid``, optimizer/core/accounts.py): a party's share σ_p e of its reservoir's evaporation less what its
    account was charged, where positive. 0 without accounts. (Until 2026-12-04 :func:`objective` left it out, so a
    myopic run that relieved an account read cheaper than the perfect-foresight optimum: tests/test_properties.py.)"""
    if "account_evaporation_hm3" not in ds:
        return 0.0
    share = xr.full_like(ds["account_evaporation_hm3"].isel(time=0, drop=True), np.nan)
    for a in inp.basin.spec.agreement.storage_accounts:
        for p, v in a.shares.items():
            share.loc[{"reservoir": a.reservoir, "party": p}] = float(v)
    relief = share * ds["evaporation_hm3"] - ds["account_evaporation_hm3"]
    return float(relief.clip(min=0.0).sum(skipna=True))


class Result:
    """One solved allocation. ``dataset`` holds the flows; ``ledger`` and ``cost_sharing`` are tables.

    ``ledger`` and ``cost_sharing`` may be given as tables or as functions that make them: they are then made on
    first use and kept (issue 15: a re-solve whose caller reads only the flows does not pay for the tables; the
    tables are the same whenever they are made, being functions of the dataset and the inputs only)."""

    def __init__(self, dataset: xr.Dataset, ledger: pd.DataFrame | Callable[[], pd.DataFrame],
                 cost_sharing: pd.DataFrame | Callable[[], pd.DataFrame], manifest: dict):
        self.dataset, self.manifest = dataset, manifest
        self._tables: dict[str, pd.DataFrame | Callable[[], pd.DataFrame]] = {
            "ledger": ledger, "cost_sharing": cost_sharing}

    def _table(self, name: str) -> pd.DataFrame:
        t = self._tables[name]
        if callable(t):
            t = self._tables[name] = t()
        return t

    @property
    def ledger(self) -> pd.DataFrame:
        """One row per agreement rule × party × period: required, received, met or not, shadow price."""
        return self._table("ledger")

    @property
    def cost_sharing(self) -> pd.DataFrame:
        """Each facility's O&M cost over the horizon split among the parties (:func:`cost_sharing`)."""
        return self._table("cost_sharing")

    def __getstate__(self) -> dict:  # pickled (dask, multiprocessing) with its tables made
        return {"dataset": self.dataset, "manifest": self.manifest, "ledger": self.ledger,
                "cost_sharing": self.cost_sharing}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["dataset"], state["ledger"], state["cost_sharing"], state["manifest"])  # type: ignore[misc]

    def __repr__(self) -> str:
        return f"Result(basin={self.dataset.attrs.get('basin')!r}, status={self.manifest.get('status')!r})"

    @property
    def water_values(self) -> xr.Dataset:
        """Node water values (time × node) and agreement-row shadow prices (row), see module docstring."""
        led = self.ledger
        prices = xr.DataArray(led["shadow_price"].to_numpy(dtype=float), dims="row",
                              coords={"row": [f"{r.rule}|{r.party}|{r.period}" for r in led.itertuples()]},
                              attrs={"units": "cost units per hm3", "long_name": "cost of one more hm3 required"})
        return xr.Dataset({"water_value": self.dataset["water_value"], "rule_price": prices})

    @property
    def water_balance(self) -> pd.DataFrame:
        """Water balance per (period, party territory) [hm³], closing to solver precision; ``counted_hm3`` is
        the party's count under the first share rule (KZ receipts, KG use). See optimizer.core.balance."""
        from optimizer.core.balance import water_balance

        ds = self.dataset
        counted = ({str(p): ds["received_hm3"].sel(party=p).values for p in ds["party"].values}
                   if "received_hm3" in ds else None)
        return water_balance(ds, counted=counted)

    @property
    def objective(self) -> float:
        return float(self.manifest["objective"])

    def summary(self) -> pd.DataFrame:
        """Per party: water received vs entitlement, delivery and shortage of its demands [hm³ over the horizon]."""
        ds = self.dataset
        rows = []
        for p in ds["party"].values if "party" in ds.coords else []:
            dem = ds["demand_party"] == p
            rows.append({
                "party": str(p),
                "received_hm3": float(ds["received_hm3"].sel(party=p).sum()),
                "entitlement_hm3": float(ds["entitlement_hm3"].sel(party=p).sum()),
                "demand_hm3": float(ds["demand_hm3"].where(dem, 0).sum()),
                "delivery_hm3": float(ds["delivery_hm3"].where(dem, 0).sum()),
                "shortage_hm3": float(ds["shortage_hm3"].where(dem, 0).sum()),
            })
        return pd.DataFrame(rows).set_index("party") if rows else pd.DataFrame()

    def end_storage(self) -> pd.Series:
        return self.dataset["storage_hm3"].isel(time=-1).to_series().rename("end_storage_hm3")

    # ---- files ------------------------------------------------------------------------------
    def to_dataset(self) -> xr.Dataset:
        """Everything in one Dataset (ledger and cost split as row tables), for NetCDF."""
        ds = self.dataset.copy()
        for name, df, dim in (("ledger", self.ledger, "ledger_row"), ("cost", self.cost_sharing, "cost_row")):
            for c in df.columns:
                vals = df[c].to_numpy()
                if df[c].dtype == object or str(df[c].dtype).startswith("str"):
                    vals = vals.astype(str)
                ds[f"{name}__{c}"] = (dim, vals)
        wb = self.water_balance
        if len(wb):
            per = list(dict.fromkeys(wb.index.get_level_values("period")))
            pty = list(dict.fromkeys(wb.index.get_level_values("party")))
            ds.coords["balance_period"] = per
            ds.coords["balance_party"] = pty
            for c in wb.columns:
                vals = wb[c].unstack("party").reindex(index=per, columns=pty).to_numpy(dtype=float)
                ds[f"water_balance__{c}"] = (("balance_period", "balance_party"), vals, {
                    "units": "hm3", "long_name": "water balance of the party's territory over the period: "
                    + LONG_NAMES.get(c, "the party's count under the first share rule (KZ receipts, KG use)")})
        ds.attrs["manifest"] = json.dumps(self.manifest, sort_keys=True)
        return ds

    def to_netcdf(self, path: str | Path) -> Path:
        """Write a CF-1.11 file (:mod:`optimizer.core.netcdf`) atomically (temporary file + rename): an
        interrupted run leaves no half-written file. The ledger and the cost split are the ``ledger__*`` and
        ``cost__*`` variables (one per column, along ``ledger_row`` / ``cost_row``)."""
        from optimizer.core import netcdf

        o = self.manifest.get("options", {})
        name = self.dataset.attrs.get("basin_name", self.dataset.attrs.get("basin", "basin"))
        title = (f"{name}: water allocation under the agreement, {o.get('year_type', '')} year, "
                 f"{o.get('months', '')} months from {str(o.get('start', ''))[:7]}")
        return netcdf.write(self.to_dataset(), path, title, f"solve ({json.dumps(o, sort_keys=True, default=str)})")

    def ledger_to_csv(self, path: str | Path) -> Path:
        """Write the ledger atomically (temporary file + rename), like :meth:`to_netcdf`."""
        with atomic_output(path) as tmp:
            self.ledger.to_csv(tmp, index=False, lineterminator="\n")
        return Path(path)

    @classmethod
    def from_netcdf(cls, path: str | Path) -> "Result":
        from optimizer.core import netcdf

        ds = netcdf.read(path)
        tables = {}
        cost_cols = [str(v)[len("cost__"):] for v in ds.data_vars if str(v).startswith("cost__")] or COST_COLUMNS
        for name, cols, dim in (("ledger", LEDGER_COLUMNS, "ledger_row"), ("cost", cost_cols, "cost_row")):
            df = pd.DataFrame({c: ds[f"{name}__{c}"].values for c in cols}) if dim in ds.dims else pd.DataFrame(columns=cols)
            tables[name] = df
            ds = ds.drop_vars([v for v in ds.data_vars if str(v).startswith(f"{name}__")])
            if dim in ds.dims:
                ds = ds.drop_dims(dim)
        ds = ds.drop_vars([v for v in ds.data_vars if str(v).startswith("water_balance__")])
        ds = ds.drop_vars([c for c in ("balance_period", "balance_party") if c in ds.coords])
        led = tables["ledger"]
        if len(led):
            led["met"] = led["met"].astype(bool)
            led["complete"] = led["complete"].astype(bool)
        manifest = json.loads(ds.attrs.pop("manifest"))
        return cls(ds, led, tables["cost"], manifest)
