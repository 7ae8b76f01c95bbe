r"""Hydropower at the Kyrgyz reservoirs: energy linear in release, capped by the plant capacity.

Plants (facts sheet §2):

* **Bala-Saruu HPP** at the Kirov reservoir tailwater (Talas, ``TA_R_KIR``): 25 MW, 92 GWh/yr [P 45];
  buttress dam 84 m [P 21,39,40].
* **Orto-Tokoy HPP** at the Orto-Tokoy reservoir (Chu, ``CH_R_OT``): 21 MW, 75 GWh/yr, due 2026 [P 46];
  dam 52 m, depth 47 m [P 2,10].

Energy of a month (GWh) from the reservoir's release through its turbines::

    k [GWh/hm³] = ρ g H η / 3.6e6          (ρ g H η J per m³; × 1e6 m³/hm³; 1 GWh = 3.6e12 J)
    Q_max [m³/s] = P / (ρ g H η)           (turbine flow at which the plant reaches its capacity P [W])
    turbined[t] = min(release[t], Q_max · seconds in month t / 1e6)     [hm³]
    E[t] = k · turbined[t]  ≤  P · hours in month t / 1e9                  [GWh]

with ρ = 1,000 kg/m³, g = 9.81 m/s², H the **effective** head [E] (a constant: the LP cannot carry the
head's dependence on storage) and η the overall (turbine × generator) efficiency [E]. The release of a
reservoir is the flow entering its outgoing link(s) (``flow_hm3`` of the links whose source is the
reservoir); uncontrolled spill and release above Q_max make no energy.

Heads [E]:

* Kirov: 84 m dam [P]; the gross head is ~75 m with the reservoir full and ~30–35 m near dead storage
  (the basin file's area–storage line puts the live drawdown at ~43 m) → **H = 50 m** [E], η = 0.85 [E].
  Check [D]: the normal-year agreement run releases ~810 hm³/yr from Kirov → ~94 GWh/yr, against the
  published 92 GWh/yr [P 45] (basin data of 2026-11-28; docs/tradeoffs.md).
* Orto-Tokoy: 52 m dam, 47 m depth [P] → **H = 40 m** [E], η = 0.85 [E]. Check [D]: the model's Orto-Tokoy
  inflow (468 hm³/yr in a normal year, [E] from 15 m³/s) gives ~42 GWh/yr, about half the published design
  figure of 75 GWh/yr [P 46] — the design figure implies ~29 m³/s through the turbines at this head, far
  above the 13–17 m³/s inflow of the facts sheet (§1a): a data gap, not fitted here.

Winter is Oct–Mar (Kyrgyzstan's energy deficit season), summer Apr–Sep (irrigation).
:func:`energy_frontier` traces the most winter energy Kyrgyzstan can make for each volume of summer
(Apr–Sep) water Kazakhstan receives (ε-constraint, see :mod:`optimizer.analyses.tradeoffs`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import xarray as xr

RHO = 1000.0  # water density [kg/m³]
G = 9.81  # gravity [m/s²]
WINTER = (10, 11, 12, 1, 2, 3)
SUMMER = (4, 5, 6, 7, 8, 9)


@dataclass(frozen=True)
class Plant:
    """A hydropower plant fed by the release of one reservoir node."""

    id: str
    name: str
    reservoir: str  # reservoir node id in the basin file
    basin: str
    capacity_mw: float  # installed capacity [MW] [P]
    annual_gwh_published: float  # published mean (design) energy [GWh/yr] [P]
    dam_height_m: float  # [P]
    head_m: float  # effective head [m] [E]
    efficiency: float  # turbine × generator [-] [E]
    source: str = ""

    @property
    def factor_gwh_per_hm3(self) -> float:
        """k = ρ g H η / 3.6e6: energy of one hm³ through the turbines [GWh/hm³]."""
        return RHO * G * self.head_m * self.efficiency / 3.6e6

    @property
    def turbine_limit_m3s(self) -> float:
        """Q_max = P / (ρ g H η): the turbine flow at which the plant reaches its capacity [m³/s]."""
        return self.capacity_mw * 1e6 / (RHO * G * self.head_m * self.efficiency)

    def turbine_limit_hm3(self, times: pd.DatetimeIndex) -> np.ndarray:
        """Q_max over each month of ``times`` (real days) [hm³/month]."""
        return self.turbine_limit_m3s * np.asarray(times.days_in_month, dtype=float) * 86_400 / 1e6

    def capacity_gwh(self, times: pd.DatetimeIndex) -> np.ndarray:
        """P × hours in each month [GWh/month] (= k · turbine_limit_hm3)."""
        return self.capacity_mw * np.asarray(times.days_in_month, dtype=float) * 24 / 1e3


PLANTS: dict[str, Plant] = {
    "bala_saruu": Plant(
        id="bala_saruu", name="Bala-Saruu HPP (Kirov reservoir)", reservoir="TA_R_KIR", basin="talas",
        capacity_mw=25.0, annual_gwh_published=92.0, dam_height_m=84.0, head_m=50.0, efficiency=0.85,
        source="25 MW, 92 GWh/yr [P 45]; dam 84 m [P 21,39,40]; head 50 m and efficiency 0.85 [E]"),
    "orto_tokoy": Plant(
        id="orto_tokoy", name="Orto-Tokoy HPP", reservoir="CH_R_OT", basin="chu",
        capacity_mw=21.0, annual_gwh_published=75.0, dam_height_m=52.0, head_m=40.0, efficiency=0.85,
        source="21 MW, 75 GWh/yr (due 2026) [P 46]; dam 52 m, depth 47 m [P 2,10]; head 40 m and "
               "efficiency 0.85 [E]"),
}


def plants_of(basin, plants: dict[str, Plant] | None = None) -> list[Plant]:
    """The plants whose reservoir is a reservoir node of ``basin`` (a Basin or a basin id)."""
    plants = PLANTS if plants is None else plants
    if isinstance(basin, str):
        import basins

        basin = basins.load(basin)
    res = {r.node for r in basin.spec.reservoirs}
    return [p for p in plants.values() if p.reservoir in res]


def factors(plants: dict[str, Plant] | None = None) -> pd.DataFrame:
    """One row per plant: the documented inputs and the derived factor k and turbine limit."""
    rows = []
    for p in (PLANTS if plants is None else plants).values():
        rows.append({**asdict(p), "factor_gwh_per_hm3": p.factor_gwh_per_hm3,
                     "turbine_limit_m3s": p.turbine_limit_m3s})
    return pd.DataFrame(rows).set_index("id")


def release(ds: xr.Dataset, reservoir: str) -> np.ndarray:
    """Monthly release of a reservoir [hm³]: flow entering its outgoing link(s) (spill excluded)."""
    out = ds["link_source"].values == reservoir
    return ds["flow_hm3"].values[:, out].sum(axis=1)


def energy(result, plants: dict[str, Plant] | None = None) -> pd.DataFrame:
    """Monthly energy of every plant of the basin of ``result`` (a Result or its Dataset).

    Columns: time, month, season (winter Oct–Mar / summer Apr–Sep), plant, reservoir, release_hm3,
    turbine_limit_hm3, turbined_hm3 = min(release, limit), bypassed_hm3 (release above the limit),
    spill_hm3, energy_gwh = k · turbined, capacity_gwh = MW × hours, factor_gwh_per_hm3."""
    ds = result.dataset if hasattr(result, "dataset") else result
    times = pd.DatetimeIndex(ds["time"].values)
    res = list(ds["reservoir"].values)
    rows = []
    for p in (PLANTS if plants is None else plants).values():
        if p.reservoir not in res:
            continue
        rel = release(ds, p.reservoir)
        lim = p.turbine_limit_hm3(times)
        turb = np.minimum(rel, lim)
        spill = ds["spill_hm3"].sel(reservoir=p.reservoir).values
        for i, ts in enumerate(times):
            rows.append({"time": ts, "month": ts.month, "season": "winter" if ts.month in WINTER else "summer",
                         "plant": p.id, "reservoir": p.reservoir, "release_hm3": rel[i],
                         "turbine_limit_hm3": lim[i], "turbined_hm3": turb[i], "bypassed_hm3": rel[i] - turb[i],
                         "spill_hm3": spill[i], "energy_gwh": p.factor_gwh_per_hm3 * turb[i],
                         "capacity_gwh": p.capacity_gwh(times[i:i + 1])[0],
                         "factor_gwh_per_hm3": p.factor_gwh_per_hm3})
    return pd.DataFrame(rows)


def seasonal_energy(result, plants: dict[str, Plant] | None = None) -> dict[str, float]:
    """Winter (Oct–Mar), summer (Apr–Sep) and total energy of all plants of the basin [GWh]."""
    e = energy(result, plants)
    if e.empty:
        return {"winter_energy_gwh": 0.0, "summer_energy_gwh": 0.0, "annual_energy_gwh": 0.0}
    by = e.groupby("season")["energy_gwh"].sum()
    return {"winter_energy_gwh": float(by.get("winter", 0.0)), "summer_energy_gwh": float(by.get("summer", 0.0)),
            "annual_energy_gwh": float(e["energy_gwh"].sum())}


def energy_frontier(basin, year_type: str = "normal", *, points: int = 11, start: str = "2025-01",
                    months: int = 12, end_storage="initial", rules: str = "none",
                    plants: dict[str, Plant] | None = None, time_limit: float | None = 60.0):
    """The frontier of Kyrgyzstan's winter (Oct–Mar) energy against Kazakhstan's summer (Apr–Sep) water.

    ε-constraint on one persistent LP: maximise Σ_{plants, Oct–Mar months} k · turbined subject to
    KZ's Apr–Sep receipts ≥ ε (receipts as defined by the basin's first share rule, summed over the
    horizon's Apr–Sep months), with ``turbined ≤ release`` and ``turbined ≤ Q_max`` per plant and month;
    every other equation is the main LP's (see :func:`optimizer.analyses.tradeoffs.pareto`, which documents the
    grid, the second (polishing) stage and ``rules``). Returns a :class:`~optimizer.analyses.tradeoffs.Frontier`
    whose table has eps, kz_summer_hm3, winter_energy_gwh (the LP optimum), summer/annual energy and
    KG delivery of the polished allocation, objective, price_gwh_per_hm3 (winter energy lost per extra
    hm³ of KZ summer water: the ε-row's dual) and status."""
    from optimizer.analyses import tradeoffs

    return tradeoffs.energy_frontier(basin, year_type, points=points, start=start, months=months,
                                     end_storage=end_storage, rules=rules, plants=plants, time_limit=time_limit)
