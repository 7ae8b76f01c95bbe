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
* Orto-Tokoy: 52 m dam, 47 m depth [P]; the plant is a derivation plant: a 950 m derivation tunnel takes the
  water to a powerhouse below the dam [P] (https://24.kg/english/357713_Construction_of_Orto-Tokoy_HPP_enters_final_stage/),
  so its head could exceed the dam height by the river's fall along the tunnel (``derivation_m``, ~20 m [E]);
  **H = 35.3 m** [D] = the head at which the published 75 GWh/yr [P 46] comes from the measured mean inflow,
  29.1 m³/s at Kochkorka (Kyrgyzhydromet 15102, 72 years 1936–2011, data/observed/gauges), all of it through the
  turbines at η = 0.85 [E]: 75 GWh / (8,766 h × ρ g η × 29.1 m³/s) = 35.3 m, an effective head below the 52 m dam
  (the reservoir is drawn down for irrigation much of the year), so the derivation's gain does not show in it; at this head the 21 MW [P] are reached at 71.3 m³/s. From 2026-12 to 2026-12-04 the head
  was 69 m [D], derived the same way from the [E] inflow of 15 m³/s, which the gauge shows to be half the river;
  before that 40 m [E] (review 4.2). A design head, when published, replaces the [D].

Winter is Oct–Mar (Kyrgyzstan's energy deficit season), summer Apr–Sep (irrigation).
:func:`energy_frontier` traces the most winter energy Kyrgyzstan can make for each volume of summer
(Apr–Sep) water Kazakhstan receives (ε-constraint, see :mod:`optimizer.analyses.tradeoffs`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import xarray as xr


from typing import TYPE_CHECKING


from basins import Basin

from optimizer.core.errors import InfeasibleAgreement

# Pyomo, HiGHS and the model/result modules are imported inside the functions that need them, so that
# ``chutalas`` (which registers this module's add_arguments/run) starts without loading Pyomo.
if TYPE_CHECKING:
    import xarray as xr


from optimizer.analyses.frontier import (DOWNSTREAM, FLOOR_TOL, UPSTREAM, Frontier, _agreement_run,
                                         _basin, _first_share_rule, _frontier, _horizon_inputs,
                                         _party_delivery_expr, _receipts_expr, party_totals, receipts)

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
    head_m: float  # effective head [m] [E]/[D]
    efficiency: float  # turbine × generator [-] [E]
    source: str = ""
    derivation_m: float = 0.0  # head gained below the dam by a derivation tunnel/tailrace [m] [E] (0: dam-toe plant)
    name_ru: str = ""  # the name in Russian (the app in Russian)

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
        id="bala_saruu", name="Bala-Saruu HPP (Kirov reservoir)", name_ru="ГЭС Бала-Сару (Кировское водохранилище)",
        reservoir="TA_R_KIR", basin="talas",
        capacity_mw=25.0, annual_gwh_published=92.0, dam_height_m=84.0, head_m=50.0, efficiency=0.85,
        source="25 MW, 92 GWh/yr [P 45]; dam 84 m [P 21,39,40]; head 50 m and efficiency 0.85 [E]"),
    "orto_tokoy": Plant(
        id="orto_tokoy", name="Orto-Tokoy HPP", name_ru="Орто-Токойская ГЭС", reservoir="CH_R_OT", basin="chu",
        capacity_mw=21.0, annual_gwh_published=75.0, dam_height_m=52.0, head_m=35.3, efficiency=0.85,
        derivation_m=20.0,
        source="21 MW, 75 GWh/yr (due 2026) [P 46]; dam 52 m, depth 47 m [P 2,10]; 950 m derivation tunnel [P] "
               "https://24.kg/english/357713_Construction_of_Orto-Tokoy_HPP_enters_final_stage/; head 35.3 m [D] "
               "from 75 GWh/yr at the gauged mean inflow of 29.1 m3/s (Kochkorka 15102) and efficiency 0.85 [E]; "
               "derivation gain ~20 m [E]"),
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


def energy_frontier(basin: Basin | str, year_type: str = "normal", *, points: int = 11, start: str = "2025-01",
                    months: int = 12, end_storage="initial", rules: str = "none", kg_delivery_floor=None,
                    plants=None, time_limit: float | None = 60.0) -> Frontier:
    """Winter (Oct–Mar) energy of the KG plants against KZ's Apr–Sep receipts; see
    :func:`optimizer.analyses.hydropower.energy_frontier`.

    ``kg_delivery_floor``: None (KG's own irrigation is free to give way to winter energy), ``"agreement"``
    (KG deliveries at least those of the agreement run) or a volume [hm³] over the horizon."""
    import pyomo.environ as pyo

    from optimizer.analyses import hydropower as hp

    basin = _basin(basin)
    rule = _first_share_rule(basin)
    plist = hp.plants_of(basin, plants)
    if not plist:
        raise ValueError(f"basin {basin.id!r} has no hydropower plant (known: "
                         f"{', '.join(p.reservoir for p in (plants or hp.PLANTS).values())})")
    inp = _horizon_inputs(basin, year_type, start, months, end_storage)
    summer = [t for t, ts in enumerate(inp.times) if ts.month in hp.SUMMER]
    winter = [t for t, ts in enumerate(inp.times) if ts.month in hp.WINTER]
    if not summer or not winter:
        raise ValueError("the horizon needs both Apr–Sep and Oct–Mar months for the energy frontier")
    pl = {p.id: p for p in plist}
    agreement_result = _agreement_run(basin, year_type, start, months, end_storage, time_limit)
    if kg_delivery_floor is None:
        kg_floor = None
    elif kg_delivery_floor == "agreement":
        if isinstance(agreement_result, InfeasibleAgreement):
            raise ValueError("kg_delivery_floor='agreement' needs a feasible agreement run") from agreement_result
        kg_floor = party_totals(agreement_result.dataset, UPSTREAM)["delivery"] - FLOOR_TOL
    else:
        kg_floor = float(kg_delivery_floor)

    def extend(m):
        out_links = {p.id: [lk.id for lk in basin.spec.links if lk.source == p.reservoir] for p in plist}
        m.tr_PL = pyo.Set(initialize=list(pl), ordered=True)
        m.tr_umax = pyo.Param(m.tr_PL, m.T, mutable=True, within=pyo.Reals,
                              initialize={(p.id, t): float(v) for p in plist
                                          for t, v in enumerate(p.turbine_limit_hm3(inp.times))})
        m.tr_u = pyo.Var(m.tr_PL, m.T, bounds=lambda m, p, t: (0, m.tr_umax[p, t]))
        m.tr_turbine = pyo.Constraint(m.tr_PL, m.T, rule=lambda m, p, t: m.tr_u[p, t] <= sum(
            m.x[lk, t] for lk in out_links[p]))
        if kg_floor is not None:
            m.tr_kg_floor = pyo.Param(initialize=kg_floor, mutable=True, within=pyo.Reals)
            m.tr_kg_row = pyo.Constraint(expr=_party_delivery_expr(m, basin, UPSTREAM) >= m.tr_kg_floor)

    def values(ds):
        e = hp.seasonal_energy(ds, pl)
        return {"kz_summer_hm3": receipts(ds, basin, DOWNSTREAM, hp.SUMMER),
                "summer_energy_gwh": e["summer_energy_gwh"], "annual_energy_gwh": e["annual_energy_gwh"],
                "kg_delivery_hm3": party_totals(ds, UPSTREAM)["delivery"],
                "kz_received_hm3": receipts(ds, basin, DOWNSTREAM)}

    def agreement_values(r):
        e = hp.seasonal_energy(r, pl)
        return {"kz_summer_hm3": receipts(r.dataset, basin, DOWNSTREAM, hp.SUMMER), **e,
                "kg_delivery_hm3": party_totals(r.dataset, UPSTREAM)["delivery"]}

    definitions = {
        "basin": basin.id, "year_type": year_type, "start": str(inp.times[0].date()), "months": inp.T,
        "end_storage": str(end_storage),
        "plants": {p.id: {"reservoir": p.reservoir, "factor_gwh_per_hm3": p.factor_gwh_per_hm3,
                          "turbine_limit_m3s": p.turbine_limit_m3s, "head_m": p.head_m,
                          "efficiency": p.efficiency, "capacity_mw": p.capacity_mw} for p in plist},
        "x": f"kz_summer_hm3: KZ receipts under the first share rule '{rule.id}' in the horizon's Apr-Sep "
             "months [hm3]; the frontier is indexed by its floor eps",
        "y": "winter_energy_gwh: sum over the plants and the horizon's Oct-Mar months of k * min(release, "
             "turbine limit) [GWh]; release = flow entering the reservoir's outgoing link(s)",
        "kg_delivery_floor": "none: KG irrigation may give way to winter energy" if kg_floor is None else
                             f"KG deliveries >= {kg_floor:.6g} hm3 over the horizon ({kg_delivery_floor})",
        "method": "stage 1: max winter energy s.t. KZ Apr-Sep receipts >= eps; stage 2: main-LP cost s.t. "
                  "the same and winter energy >= stage-1 value - 1e-6",
        "price": "price_gwh_per_hm3: dual of the eps row in stage 1: GWh of winter energy lost per extra hm3 "
                 "of Apr-Sep water guaranteed to KZ",
    }
    return _frontier(
        basin, inp, points=points,
        primary=lambda m: sum(pl[p].factor_gwh_per_hm3 * m.tr_u[p, t] for p in m.tr_PL for t in winter),
        metric=lambda m: _receipts_expr(m, rule.receipts[DOWNSTREAM], summer),
        extend=extend, values=values, agreement_values=agreement_values,
        x="kz_summer_hm3", y="winter_energy_gwh", price="price_gwh_per_hm3", definitions=definitions,
        agreement_result=agreement_result, rules=rules, time_limit=time_limit)


# ---- alternative agreements ----------------------------------------------------------------------
