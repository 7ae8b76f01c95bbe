"""Observed versus modelled: every published figure the model can be compared with.

Up to three runs, all in today's operation (status quo: Kyrgyz intakes first, agreement rules only reported):

``calibration``
    The basin's calibration year (``calibration.year_type``: the Chu's ``extreme-dry``, for the drought year 2025;
    the Talas's ``normal``) in its cyclic steady state, with the calibrated inputs — the run the calibration
    fits (:func:`optimizer.analyses.calibration.evaluate`). The 2025 figures are the calibration targets
    themselves (``fitted`` = True): their errors show the quality of the fit, not an independent check.

``normal``
    The typical normal year in its cyclic steady state, with the calibrated inputs (the same run as
    ``calibration`` where the calibration year is normal). Kazakhstan's measured receipts of 2024 are compared
    with it: no inflow series of 2024 is available, and 2024 is taken as a normal year [E]
    (:mod:`optimizer.analyses.named_years`). Until 2026-12-03 they were compared with the calibration run, a
    very-dry year on the Chu, and the table called it a normal year.

``2023``
    The 2023 drought, April–September, from an explicit inflow series built by :func:`drought_2023` from
    the reported 2023 flows (facts sheet §1, [P 16][17][19]); reservoirs start at their reported (or
    derived) storage on 1 April 2023 and may end the season empty (free end storage); an aquifer starts at
    its storage on 1 April of the calibrated normal year (no groundwater figure for 2023). Compared with the
    reported drought minima of Orto-Tokoy and Kirov and the other 2023 figures.

Command line (``chutalas validate``: :mod:`optimizer.interfaces.cli_validate`, in the reader's language)::

    chutalas validate chu            # the table; exit 0 if every calibration target is within tolerance
    chutalas validate talas --json
    python -m optimizer.analyses.validation --update-docs docs/calibration.md   # regenerate the tables in the docs
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import xarray as xr

import basins
from basins import Basin

from optimizer.analyses import calibration as cal

COLUMNS = ["quantity", "period", "observed", "modelled", "unit", "error_pct", "source", "run", "fitted"]
#: the same row for a Russian reader (the app): quantity and period in Russian (empty: none given), and which run
#: (``calibration``, ``normal``, ``2023``; the calibration run's year type is ``attrs["calibration_year_type"]``)
COLUMNS_RU = ["quantity_ru", "period_ru", "run_id"]
SECONDS_PER_DAY = 86_400.0

# ---- the 2023 drought scenario ---------------------------------------------------------------------

#: Reported 2023 figures used to build the scenario (facts sheet §1)
CHU_APR_JUN_OF_NORM = 0.78  # [P 16] Chu-basin rivers, Apr-Jun 2023
CHU_MAY_OF_NORM = 0.66  # [P 16] May 2023 (Chon-Kemin 55 %, Alamedin 56 %)
OT_INFLOW_APR_AUG = 230.0  # [P 17] hm3, Orto-Tokoy inflow Apr-Aug 2023, lowest in ten years
OT_RELEASE_APR_AUG = 654.0  # [P 17] hm3, Orto-Tokoy release Apr-Aug 2023
OT_STORAGE_2AUG = 8.55  # [P 18] hm3 on 2 Aug 2023
KIROV_STORAGE_21APR = 445.6  # [P 19] hm3 on 21 Apr 2023
KIROV_STORAGE_22AUG = 14.5  # [P 19] hm3 on 22 Aug 2023
KIROV_INFLOW_AUG = 0.7  # [P 19] m3/s in Aug 2023 (13.7 in Aug 2022)
GEORG_AUG = (6.5, 7.0)  # [P 17] m3/s delivered to KZ by the Georgievka canal, Aug 2023
TALAS_KZ_TO_5AUG = 323.3  # [P 43] hm3 received by KZ 1 Apr - 5 Aug 2023 (plan 344.7 Apr-Sep [P 70])
START_2023 = "2023-04"
MONTHS_2023 = 6  # April-September 2023


@dataclass
class Scenario:
    """An explicit inflow series with its start storages and the assumptions behind them."""

    name: str
    inflow: xr.DataArray  # (time, node) hm3/month
    initial_storage: dict[str, float]
    assumptions: list[str]


def drought_multipliers(basin: Basin) -> tuple[pd.DataFrame, float]:
    """Monthly multipliers (Apr..Sep 2023, one column per inflow node) on the normal year, and the
    Orto-Tokoy ratio r = 230 hm3 / its normal Apr-Aug inflow.

    * Apr-Jun: 78 % of norm over the three months with May at 66 % [P 16]; April and June get the same
      multiplier a, so that a·(Apr + Jun) + 0.66·May = 0.78·(Apr + May + Jun) of the node's normal year [D].
    * Jul-Sep: r, the Orto-Tokoy inflow's Apr-Aug ratio [D from P 17] — [E] that the rest of the basin ran
      like the Chu headwaters after June (no July-September percentages were published)."""
    chu = basin if basin.id == "chu" else basins.load("chu")
    ot = chu.inflow.sel(year_type="normal", node="CH_IN_OT").values
    r = OT_INFLOW_APR_AUG / ot[3:8].sum()
    normal = basin.inflow.sel(year_type="normal")
    cols = {}
    for n in normal["node"].values:
        q = normal.sel(node=n).values
        apr, may, jun = q[3], q[4], q[5]
        a = (CHU_APR_JUN_OF_NORM * (apr + may + jun) - CHU_MAY_OF_NORM * may) / (apr + jun)
        cols[str(n)] = [a, CHU_MAY_OF_NORM, a, r, r, r]
    return pd.DataFrame(cols, index=range(4, 10)), float(r)


def drought_2023(basin: Basin) -> Scenario:
    """The April–September 2023 drought as an explicit inflow DataArray (time × node, hm³/month)."""
    times = pd.date_range(START_2023, periods=MONTHS_2023, freq="MS")
    mult, r = drought_multipliers(basin)
    normal = basin.inflow.sel(year_type="normal", month=list(times.month))  # (month, node)
    nodes = [str(n) for n in normal["node"].values]
    values = normal.transpose("month", "node").values * mult[nodes].to_numpy()
    a = mult.iloc[0]
    notes = [
        "norm = the model's normal year (P50; 1-2 % below the long-term mean)",
        f"Apr and Jun x{a.min():.3f}-{a.max():.3f} (per node), May x{CHU_MAY_OF_NORM:.2f}: Chu rivers 78 % of norm "
        "Apr-Jun 2023, 66 % in May [P 16]",
        f"Jul-Sep x{r:.3f}: the Orto-Tokoy inflow's Apr-Aug ratio 230 hm3 / normal [P 17]; [E] the other rivers "
        "ran like the headwaters after June",
    ]
    start: dict[str, float] = {}
    if basin.id == "chu":
        j = nodes.index("CH_IN_OT")
        ot = normal.sel(node="CH_IN_OT").values
        m = mult["CH_IN_OT"].to_numpy()
        # the Chu's Apr-Jun pattern, scaled so that Apr-Aug is exactly the reported 230 hm3 [P 17]
        k = OT_INFLOW_APR_AUG / float((ot[:5] * m[:5]).sum())
        values[:5, j] = ot[:5] * m[:5] * k
        values[5, j] = ot[5] * r
        notes.append("CH_IN_OT: the same monthly pattern, scaled to the reported 230 hm3 in Apr-Aug [P 17]; Sep x"
                     f"{r:.3f}")
        ot_start = OT_STORAGE_2AUG + OT_RELEASE_APR_AUG - OT_INFLOW_APR_AUG
        start["CH_R_OT"] = ot_start
        notes.append(f"Orto-Tokoy on 1 Apr 2023: {ot_start:.1f} hm3 [D] = 8.55 (2 Aug [P 18]) + 654 released - 230 "
                     "inflow Apr-Aug [P 17], evaporation neglected; so the Orto-Tokoy minimum checks the modelled "
                     "release, not the start")
    elif basin.id == "talas":
        notes.append("Talas: no 2023 percentage of norm was published; [E] the Chu percentages (same Tien-Shan "
                     "regime) on the Talas's own normal year")
        start["TA_R_KIR"] = KIROV_STORAGE_21APR
        notes.append("Kirov on 1 Apr 2023: 445.6 hm3, reported for 21 Apr 2023 [P 19]")
    if basin.spec.aquifers:  # nobody measured the groundwater: the normal year's cyclic storage on 1 April [E]
        cyclic = cal.steady_storage(basin, "normal", "status-quo")[1].dataset
        april = list(pd.DatetimeIndex(cyclic["time"].values).month).index(times[0].month)
        for a in basin.spec.aquifers:
            g0 = float(cyclic["groundwater_start_hm3"].sel(aquifer=a.node).values[april])
            start[a.node] = g0
            notes.append(f"{a.node} on 1 Apr 2023: {g0:.0f} hm3 [E], its storage on 1 April of the calibrated normal "
                         "year (cyclic, status quo); no groundwater figure for 2023, and the drought's own winter "
                         "is not in the run")
    for res in basin.spec.reservoirs:
        if res.node not in start:
            start[res.node] = res.initial_storage_hm3
            notes.append(f"{res.node} on 1 Apr 2023: no 2023 value; the basin file's {res.initial_storage_hm3:g} hm3 [E]")
        start[res.node] = float(min(max(start[res.node], res.dead_storage_hm3), res.capacity_hm3))
    da = xr.DataArray(values, dims=("time", "node"), coords={"time": times, "node": nodes},
                      attrs={"units": "hm3/month", "scenario": "2023 drought, Apr-Sep"})
    return Scenario("2023 drought (Apr-Sep)", da, start, notes)


def run_2023(basin: Basin):
    """Status-quo run of the 2023 drought scenario (free end storage)."""
    from optimizer.core.solver import solve

    sc = drought_2023(basin)
    return solve(basin, inflow=sc.inflow, operation="status-quo", initial_storage=sc.initial_storage,
                 end_storage="free"), sc


# ---- observations ------------------------------------------------------------------------------------

@dataclass
class Observation:
    quantity: str
    period: str
    observed: float
    unit: str
    source: str
    run: str  # "calibration", "normal" or "2023" (the module docstring)
    modelled: Callable  # (result) -> float
    fitted: bool = False
    quantity_ru: str = ""
    period_ru: str = ""


def _period_sum(result, links: list[str], months: dict[int, float]) -> float:
    """Σ delivered flow on ``links`` over the horizon's months, month m weighted by ``months[m]``."""
    ds = result.dataset
    m = pd.DatetimeIndex(ds["time"].values).month
    w = np.array([months.get(int(k), 0.0) for k in m])
    return float((ds["delivered_hm3"].sel(link=links).sum("link").values * w).sum())


def _storage_on(result, reservoir: str, month: int, day: int) -> float:
    """Storage at the start of ``day`` of ``month``: linear between the month's start and end storage."""
    ds = result.dataset
    i = list(pd.DatetimeIndex(ds["time"].values).month).index(month)
    s0 = float(ds["storage_start_hm3"].sel(reservoir=reservoir).values[i])
    s1 = float(ds["storage_hm3"].sel(reservoir=reservoir).values[i])
    days = pd.DatetimeIndex(ds["time"].values)[i].days_in_month
    return s0 + (s1 - s0) * (day - 1) / days


def _mean_flow_m3s(result, volume_hm3: float, month: int) -> float:
    days = pd.DatetimeIndex(result.dataset["time"].values)
    d = days[list(days.month).index(month)].days_in_month
    return volume_hm3 * 1e6 / (d * SECONDS_PER_DAY)


def _release(result, reservoir: str, months: list[int]) -> float:
    ds = result.dataset
    out = [lk for lk, src in zip(ds["link"].values, ds["link_source"].values) if src == reservoir]
    mask = np.isin(pd.DatetimeIndex(ds["time"].values).month, months)
    return float(ds["flow_hm3"].sel(link=out).sum("link").values[mask].sum()
                 + ds["spill_hm3"].sel(reservoir=reservoir).values[mask].sum())


def _inflow_to(result, node: str, month: int) -> float:
    """Water arriving at ``node`` in ``month`` [hm³]: delivered link flow, demand returns, spills and groundwater
    discharge into it (an aquifer's baseflow: on the Talas, the Kyrgyz returns and canal seepage lagged through
    TA_AQ_VALLEY reach Kirov so; until 2026-12-03 this was left out and the table showed 0 m3/s)."""
    ds = result.dataset
    i = list(pd.DatetimeIndex(ds["time"].values).month).index(month)
    links = [lk for lk, tgt in zip(ds["link"].values, ds["link_target"].values) if tgt == node]
    v = float(ds["delivered_hm3"].sel(link=links).sum("link").values[i]) if links else 0.0
    dem = [d for d, rn in zip(ds["demand"].values, ds["return_node"].values) if rn == node]
    if dem:
        v += float(ds["return_hm3"].sel(demand=dem).sum("demand").values[i])
    sp = [r for r, k in zip(ds["reservoir"].values, ds["spill_to"].values) if k == node]
    if sp:
        v += float(ds["spill_hm3"].sel(reservoir=sp).sum("reservoir").values[i])
    if "discharge_to" in ds:
        aq = [a for a, to in zip(ds["aquifer"].values, ds["discharge_to"].values) if to == node]
        if aq:
            v += float(ds["discharge_hm3"].sel(aquifer=aq).sum("aquifer").values[i])
    return v


def _target_observations(basin: Basin) -> list[Observation]:
    """One row per calibration target (fitted), compared with the calibration run (status quo, cyclic)."""
    out: list[Observation] = []
    c = basin.spec.calibration
    if c is None:
        return out
    for t in c.targets:
        rng = f" (range {t.observed_min_hm3:g}-{t.observed_max_hm3:g})" if t.observed_min_hm3 is not None else ""
        links = " + ".join(t.receipts.links + [f"inflow {n}" for n in t.receipts.inflows])
        rng_ru = (f" (диапазон {t.observed_min_hm3:g}–{t.observed_max_hm3:g})".replace(".", ",")  # "418–427,5"
                  if t.observed_min_hm3 is not None else "")
        out.append(Observation(f"{t.party} receipts from KG [{links}]{rng}", _label(t), t.observed_hm3, "hm3",
                               t.source, "calibration", lambda r, t=t: cal.received(r, t.receipts, t.period),
                               fitted=True, quantity_ru=f"Поступление в {RU_PARTY.get(t.party, t.party)} из КР на "
                               f"постах учёта{rng_ru}", period_ru=_label(t, ru=True)))
    return out


RU_PARTY = {"KZ": "РК", "KG": "КР"}


def _label(t, ru: bool = False) -> str:
    year = "2025" if "2025" in t.source else ""
    season = {"apr-sep": ("Apr-Sep", "апр–сен"), "oct-mar": ("Oct-Mar", "окт–мар")}.get(t.period, ("", ""))[ru]
    return f"{year} {season}".strip() or (("год" if t.period == "year" else t.period) if ru else t.period)


def observations(basin: Basin) -> list[Observation]:
    """The published figures for ``basin`` (calibration targets first, then the independent ones)."""
    obs = _target_observations(basin)
    aprsep = {m: 1.0 for m in range(4, 10)}
    if basin.id == "chu":
        kz = ["CH_L_BORDER", "CH_L_WBCHK_KZ", "CH_L_GEORG"]
        obs += [
            Observation("KZ receipts from KG [CH_L_BORDER + CH_L_WBCHK_KZ + CH_L_GEORG]", "2024 1 Apr-2 Sep", 140.0,
                        "hm3", "[P 71] 140 hm3 to 2 Sep 2024 (KG: 138 [72]); modelled: normal year, Apr-Aug + 2/30 Sep",
                        "normal", lambda r: _period_sum(r, kz, {**{m: 1.0 for m in range(4, 9)}, 9: 2 / 30}),
                        quantity_ru="Поступление в РК из КР на постах учёта", period_ru="2024, 1 апр – 2 сен"),
            Observation("KZ receipts from KG [CH_L_BORDER + CH_L_WBCHK_KZ + CH_L_GEORG]", "2024 Apr-Sep", 165.3, "hm3",
                        "[P] https://qazinform.com/news/kazakhstan-to-receive-over-600mln-cubic-meters-of-irrigation-water-from-kyrgyzstan-in-2025-699917 165.3 hm3 via the Shu in the 2024 vegetation period; modelled: normal year",
                        "normal", lambda r: _period_sum(r, kz, aprsep),
                        quantity_ru="Поступление в РК из КР на постах учёта", period_ru="2024 апр–сен"),
            Observation("Orto-Tokoy storage (CH_R_OT)", "2023-08-02", OT_STORAGE_2AUG, "hm3",
                        "[P 18] 8.55 hm3 on 2 Aug 2023 (68.8 a year earlier)", "2023",
                        lambda r: _storage_on(r, "CH_R_OT", 8, 2),
                        quantity_ru="Объём воды в Орто-Токойском водохранилище", period_ru="2 авг 2023"),
            Observation("Orto-Tokoy release (CH_L_OT_OUT + spill)", "2023 Apr-Aug", OT_RELEASE_APR_AUG, "hm3",
                        "[P 17] 654 hm3 released vs 230 inflow", "2023", lambda r: _release(r, "CH_R_OT", [4, 5, 6, 7, 8]),
                        quantity_ru="Попуски из Орто-Токойского водохранилища (с холостыми сбросами)",
                        period_ru="2023 апр–авг"),
            Observation("Georgievka canal to KZ (CH_L_GEORG), mean flow", "2023-08", float(np.mean(GEORG_AUG)), "m3/s",
                        "[P 17] 6.5-7 m3/s delivered in Aug 2023", "2023",
                        lambda r: _mean_flow_m3s(r, _period_sum(r, ["CH_L_GEORG"], {8: 1.0}), 8),
                        quantity_ru="Георгиевский канал в РК, средний расход", period_ru="авг 2023"),
        ]
    elif basin.id == "talas":
        obs += [
            Observation("KZ receipts from KG [TA_L_BORDER]", "2024 1 Apr-2 Sep", 394.3, "hm3",
                        "[P 71] 394.3 hm3 to 2 Sep 2024 (plan 380); modelled: normal year, Apr-Aug + 2/30 Sep",
                        "normal", lambda r: _period_sum(r, ["TA_L_BORDER"], {**{m: 1.0 for m in range(4, 9)}, 9: 2 / 30}),
                        quantity_ru="Поступление в РК из КР на посту учёта", period_ru="2024, 1 апр – 2 сен"),
            Observation("KZ receipts from KG [TA_L_BORDER]", "2024 Apr-Sep", 418.0, "hm3",
                        "[P] https://qazinform.com/news/kazakhstan-to-receive-over-600mln-cubic-meters-of-irrigation-water-from-kyrgyzstan-in-2025-699917 418 hm3 in the 2024 vegetation period, 'instead of the projected 380' (KG: 420 "
                        "released from Kirov [60]); modelled: normal year",
                        "normal", lambda r: _period_sum(r, ["TA_L_BORDER"], aprsep),
                        quantity_ru="Поступление в РК из КР на посту учёта", period_ru="2024 апр–сен"),
            Observation("Kirov storage (TA_R_KIR)", "2023-08-22", KIROV_STORAGE_22AUG, "hm3",
                        "[P 19] 445.6 hm3 on 21 Apr -> 14.5 hm3 on 22 Aug 2023", "2023",
                        lambda r: _storage_on(r, "TA_R_KIR", 8, 22),
                        quantity_ru="Объём воды в Кировском водохранилище", period_ru="22 авг 2023"),
            Observation("Kirov inflow (river + KG returns, lagged through the valley groundwater), mean flow",
                        "2023-08", KIROV_INFLOW_AUG, "m3/s",
                        "[P 19] 0.7 m3/s in Aug 2023 (13.7 in Aug 2022)", "2023",
                        lambda r: _mean_flow_m3s(r, _inflow_to(r, "TA_R_KIR", 8), 8),
                        quantity_ru="Приток в Кировское водохранилище (река и возвратные воды КР через грунтовые воды "
                                    "долины), средний расход", period_ru="авг 2023"),
            Observation("KZ receipts from KG [TA_L_BORDER]", "2023 1 Apr-5 Aug", TALAS_KZ_TO_5AUG, "hm3",
                        "[P 43] 323.3 hm3 by 5 Aug 2023 (plan 344.7 Apr-Sep [P 70]); cut from the 2nd dekad of Aug",
                        "2023", lambda r: _period_sum(r, ["TA_L_BORDER"], {4: 1, 5: 1, 6: 1, 7: 1, 8: 5 / 31}),
                        quantity_ru="Поступление в РК из КР на посту учёта", period_ru="2023, 1 апр – 5 авг"),
        ]
    return obs


def table(basin_id_or_basin: Basin | str) -> pd.DataFrame:
    """Observed vs modelled for every published figure of the basin (see the module docstring).

    Columns: quantity, period, observed, modelled, unit, error_pct (= 100·(modelled − observed)/observed),
    source, run (in words: which year, which operation), fitted (True for the calibration targets), then
    :data:`COLUMNS_RU` (quantity and period in Russian, the run's id)."""
    basin = basins.load(basin_id_or_basin) if isinstance(basin_id_or_basin, str) else basin_id_or_basin
    obs = observations(basin)
    c = basin.spec.calibration
    cal_year = c.year_type if c is not None else "normal"
    runs: dict[str, object] = {}
    words = {"calibration": f"{cal_year}-year status quo (the calibration run, cyclic storage)",
             "normal": "normal-year status quo (calibrated inputs, cyclic storage)",
             "2023": "2023 drought scenario, status quo"}
    missed = None
    if any(o.run == "calibration" for o in obs) or (cal_year == "normal" and any(o.run == "normal" for o in obs)):
        modelled, _, runs["calibration"] = cal.evaluate(basin)
        missed = _missed(basin, modelled)
    if any(o.run == "normal" for o in obs):
        if cal_year == "normal":
            runs["normal"] = runs["calibration"]
            words["normal"] = words["calibration"]
        else:
            runs["normal"] = cal.cyclic_status_quo(basin, "normal")[1]
    if any(o.run == "2023" for o in obs):
        runs["2023"] = run_2023(basin)[0]
    rows = []
    for o in obs:
        mod = float(o.modelled(runs[o.run]))
        err = 100.0 * (mod - o.observed) / o.observed if o.observed else np.nan
        rows.append([o.quantity, o.period, o.observed, mod, o.unit, err, o.source, words[o.run], o.fitted,
                     o.quantity_ru, o.period_ru, o.run])
    df = pd.DataFrame(rows, columns=COLUMNS + COLUMNS_RU)
    df.attrs.update(basin=basin.id, calibration_year_type=cal_year)
    if missed is not None:  # the verdict of the same calibration run (missed_targets would solve it again)
        df.attrs["missed_targets"] = missed
    return df


# ---- markdown for docs/calibration.md -------------------------------------------------------------

BEGIN, END = "<!-- BEGIN GENERATED: python -m optimizer.analyses.validation --update-docs docs/calibration.md -->", \
    "<!-- END GENERATED -->"


def _num(v, unit: str = "") -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "-"
    return f"{v:,.2f}" if abs(v) < 100 else (f"{v:,.1f}" if abs(v) < 1000 else f"{v:,.0f}")


def markdown(basin_ids: tuple[str, ...] = ("chu", "talas")) -> str:
    """Parameter, target and validation tables of the bundled basins as Markdown (what the docs embed)."""
    out = []
    for bid in basin_ids:
        b = basins.load(bid)
        c = b.spec.calibration
        out.append(f"### {b.name} (`{bid}`)\n")
        if c is not None:
            now = cal.current_values(b)
            res = c.result or {}
            out.append("Parameters (the calibrated value is what the basin file holds now):\n")
            out.append("| parameter | field | entries | prior | documented range | calibrated | status | source |")
            out.append("|---|---|---|---|---|---|---|---|")
            for p in c.parameters:
                v = now[p.id]
                if p.min - 1e-12 <= v <= p.max + 1e-12:
                    status = "at min" if abs(v - p.min) < 1e-4 else ("at max" if abs(v - p.max) < 1e-4 else "in range")
                else:
                    status = f"**FLAGGED: outside by {v - p.max if v > p.max else v - p.min:+.4f}**"
                src = " ".join(p.source.split()).replace("|", "/")
                out.append(f"| `{p.id}` | {p.field} | {', '.join(p.entries)} | {p.prior:g} | {p.min:g}-{p.max:g} | "
                           f"{v:.4f} | {status} | {src} |")
            if res:
                missed = res.get("missed") or []
                out.append(f"\nFit: {res.get('method', '-')}; `{res.get('command', '-')}`; "
                           f"{'targets missed: ' + ', '.join(missed) if missed else 'every target within tolerance'} "
                           f"(tolerance {100 * c.tolerance:.0f} %).\n")
        df = table(b)
        out.append("Observed vs modelled:\n")
        out.append("| quantity | period | observed | modelled | unit | error % | run | source |")
        out.append("|---|---|---|---|---|---|---|---|")
        for r in df.itertuples():
            tag = " (calibration target)" if r.fitted else ""
            out.append(f"| {r.quantity}{tag} | {r.period} | {_num(r.observed)} | {_num(r.modelled)} | {r.unit} | "
                       f"{r.error_pct:+.1f} | {r.run} | {r.source.replace('|', '/')} |")
        sc = drought_2023(b)
        out.append("\n2023 scenario assumptions:\n")
        out += [f"- {n}" for n in sc.assumptions]
        out.append("")
    return "\n".join(out)


def update_docs(path: str | Path) -> Path:
    """Replace the generated block of ``path`` (between the BEGIN/END markers) with :func:`markdown`."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    i, j = text.find(BEGIN), text.find(END)
    if i < 0 or j < i:
        raise ValueError(f"{path}: markers {BEGIN!r} ... {END!r} not found")
    new = text[:i + len(BEGIN)] + "\n\n" + markdown() + "\n" + text[j:]
    path.write_text(new, encoding="utf-8")
    return path


# ---- the calibration targets' verdict (chutalas validate: optimizer.interfaces.cli_validate) ----------------

def missed_targets(basin: Basin) -> list[str]:
    """Calibration targets whose modelled value misses the tolerance (against the measured range); the same list
    as ``table(basin).attrs["missed_targets"]``, which comes from the table's own calibration run."""
    if basin.spec.calibration is None:
        return []
    return _missed(basin, cal.evaluate(basin)[0])


def _missed(basin: Basin, modelled: dict[str, float]) -> list[str]:
    c = basin.spec.calibration
    assert c is not None
    return [t.id for t in c.targets if abs(cal.target_error(t, modelled[t.id])) > c.tolerance + 1e-12]


if __name__ == "__main__":
    _p = argparse.ArgumentParser(prog="python -m optimizer.analyses.validation",
                                 description="the Markdown tables of the bundled basins (one basin in words: "
                                             "chutalas validate BASIN)")
    _p.add_argument("--update-docs", metavar="PATH", help="rewrite the generated block of PATH")
    _a = _p.parse_args()
    print(update_docs(_a.update_docs) if _a.update_docs else markdown())
