"""Regenerate the bundled monthly series from the figures in each basin's SOURCES.md.

Run ``python data/build_series.py`` from the repository root. The CSVs it writes
are the data the basins load; this script only documents how they were derived
(annual volume × year-type multiplier × monthly shape). Every figure here is
cited in ``data/<basin>/SOURCES.md`` with its status: [P] published, [D] derived,
[E] estimate.
"""

from __future__ import annotations

import calendar
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
GAUGES = HERE / "observed" / "gauges"
SECONDS_PER_YEAR = 365 * 86_400

# Gauged rivers whose measured regime gives a node's monthly shape [D] (data/observed/gauges/SOURCES.md): the
# Kyrgyzhydromet ten-day mean discharges [m³/s] of each station, 36 a year.
GAUGED_SHAPE = {
    # the Kyrgyz-range rivers of the Chu's left bank (CH_IN_VAL_KG), east to west
    "chu_left_bank": ["Kegetey_15171", "Alamedin_15189", "Ala_Archa_15194", "Ak_Suu_15212", "Sokuluk_15214",
                      "Kara_Balta_15215", "Chon_Kaindi_15216"],
    # the Chon-Kemin, the largest tributary of the reach Orto-Tokoy - Bystrovka (CH_IN_MID)
    "chon_kemin": ["Chon_Kemin_15149"],
    # the Talas's tributaries above Kirov (TA_IN_TRIB)
    "talas_tributaries": ["Ak_Tash_15256", "Ur_Maral_15285", "Besh_Tash_15283", "Kumush_Too_15287"],
    # the Chu at Kochkorka, above Orto-Tokoy (CH_IN_OT): the Kochkor and Joon-Aryk joined, after the Kochkor
    # valley's own intakes (since 2026-12-04)
    "kochkorka": ["Kochkor_15102"],
}


def gauge_months(station: str, folder: Path = GAUGES) -> pd.DataFrame:
    """Monthly volumes [hm³] of a gauge's complete years (year × month 1-12): each ten-day mean discharge
    [m³/s] × its days (10, 10 and the rest of the month), summed by month. Years with a gap are left out."""
    q = pd.read_csv(folder / f"{station}.csv", header=None, index_col=0).apply(pd.to_numeric, errors="coerce")
    q = q[q.notna().all(axis=1)]
    assert q.shape[1] == 36, f"{station}: {q.shape[1]} values a year, not 36 ten-day means"
    out = {}
    for year, row in q.iterrows():
        days = np.array([d for m in range(1, 13) for d in (10, 10, calendar.monthrange(int(year), m)[1] - 20)])
        out[int(year)] = (row.to_numpy(float) * days * 86_400 / 1e6).reshape(12, 3).sum(axis=1)
    return pd.DataFrame.from_dict(out, orient="index", columns=range(1, 13))


def gauged_shape(stations: list[str]) -> list[float]:
    """% of the annual volume per month, Jan..Dec, of the stations together: each station's mean monthly volume
    over its complete years, summed over the stations (a volume-weighted regime) [D]."""
    total = sum(gauge_months(s).mean() for s in stations)
    return [float(v) for v in 100 * total / total.sum()]  # (not rounded: the year keeps its whole volume)


# Monthly shapes, % of the annual volume, Jan..Dec  [E] facts §1a (regime [P] facts §1)
SHAPE = {
    "chu_total": [3.5, 3.3, 3.8, 5.5, 9.5, 14.5, 17.5, 16.0, 10.5, 6.5, 5.0, 4.4],
    "talas": [3.8, 3.6, 4.2, 6.5, 11.0, 16.0, 16.5, 13.0, 8.7, 6.5, 5.4, 4.8],
    # measured regimes [D] (GAUGED_SHAPE): until 2026-12-03 these nodes used chu_total / talas [E]; CH_IN_OT used
    # an [E] shape "orto_tokoy" (3.0 2.8 3.2 4.5 9.0 16.0 19.5 17.5 10.5 6.0 4.5 3.5) until 2026-12-04
    **{name: gauged_shape(stations) for name, stations in GAUGED_SHAPE.items()},
    # irrigation demand shape [E] facts §4
    "irrigation": [0, 0, 1, 7, 14, 21, 25, 20, 9, 3, 0, 0],
    # municipal supply (Bishkek's wells): the same volume every month [E] (no monthly record found)
    "municipal": [100 / 12] * 12,
    # ecological releases to the lower Shu / Sozak, made outside the irrigation season (Oct-Mar) [E] after
    # [P] vapress.kz (Furmanov canal, releases Sep 2024 - Apr 2025) and kazhydromet.kz (winter releases, Dec 2017)
    "winter_release": [100 / 6, 100 / 6, 100 / 6, 0, 0, 0, 0, 0, 0, 100 / 6, 100 / 6, 100 / 6],
}

# ---- Year-to-year variability, measured (2026-12-04): the same gauges' complete years -------------------------
# Annual volumes: each basin's gauged rivers summed over the years in which all of them are complete (calendar
# years, as the model's year types). The Chon-Kaindy (1991-2011) is left out of the Chu's sum: with it the
# stations overlap in 5 years only; without it, 34 years 1961-2002.
ANNUAL_STATIONS = {
    "chu": GAUGED_SHAPE["chu_left_bank"][:-1] + GAUGED_SHAPE["chon_kemin"],
    "talas": GAUGED_SHAPE["talas_tributaries"],
}
# The nodes' gauged proxies, whose monthly fractions give the month-to-month noise (scenarios.py) [D]
NOISE_GROUPS = {
    "chu": [GAUGED_SHAPE["chu_left_bank"][:-1], GAUGED_SHAPE["chon_kemin"]],
    "talas": [GAUGED_SHAPE["talas_tributaries"]],
}
# The exceedance probability of each year type (facts §1: wet P25, normal P50, dry P75, very dry P95) [E]; and,
# since 2026-12-04, an extremely dry year P99, the nearest to the droughts since 2014 that the 1961-2011 records do
# not hold (2023 Chu rivers 78 % of the norm Apr-Jun, May 66 % [P agro.gov.kg/kg/10607]; the records' driest year is
# 0.784 of the mean (the natural rivers; the used Kochkorka record 0.688 in 1985); summer 2025 "30-40 % of the norm"
# [P 24.kg]): the named drought years run it.
EXCEEDANCE = {"wet": 0.25, "normal": 0.50, "dry": 0.75, "very-dry": 0.95, "extreme-dry": 0.99}


def composite_months(stations: list[str], folder: Path = GAUGES) -> pd.DataFrame:
    """Monthly volumes [hm³] of the stations summed, over the years in which every one of them is complete."""
    months = [gauge_months(s, folder) for s in stations]
    years = sorted(set.intersection(*(set(m.index) for m in months)))
    return sum(m.loc[years] for m in months)


def annual_statistics(stations: list[str], folder: Path = GAUGES) -> dict:
    """Statistics of the stations' summed annual volume [D]: the years used, the mean [hm³], the coefficient of
    variation Cv and the skew Cs (both unbiased sample estimates), the lag-1 autocorrelation, the mean correlation
    between the stations' annual volumes, and the driest year as a fraction of the mean."""
    from scipy import stats

    each = pd.DataFrame({s: gauge_months(s, folder).sum(axis=1) for s in stations}).dropna()
    total = each.sum(axis=1).to_numpy()
    corr = each.corr().to_numpy()[np.triu_indices(len(stations), 1)] if len(stations) > 1 else np.array([1.0])
    return {"years": len(total), "first": int(each.index.min()), "last": int(each.index.max()),
            "mean_hm3": float(total.mean()), "cv": float(total.std(ddof=1) / total.mean()),
            "cs": float(stats.skew(total, bias=False)), "lag1": float(np.corrcoef(total[:-1], total[1:])[0, 1]),
            "station_correlation": float(corr.mean()), "driest": float(total.min() / total.mean()),
            "driest_year": int(each.index[total.argmin()])}


def year_type_multipliers(cv: float) -> dict[str, float]:
    """Each year type's annual volume / the mean: the Pearson III quantile of its exceedance probability with
    Cs = 2 Cv (the facts sheet's distribution), rounded to 3 decimals."""
    from scipy import stats

    return {yt: round(1.0 + cv * float(stats.pearson3(2.0 * cv).ppf(1.0 - p)), 3) for yt, p in EXCEEDANCE.items()}


def noise_statistics(groups: list[list[str]], folder: Path = GAUGES) -> tuple[float, float]:
    """Month-to-month variability of the regime [D]: the log-deviation of each month's fraction of its year from
    the mean fraction, pooled over the groups (each group's stations summed); its CV (√(e^{σ²} − 1), the
    generator's ``monthly_cv``) and its lag-1 correlation from one month to the next within a year."""
    devs = []
    for stations in groups:
        x = composite_months(stations, folder)
        f = x.div(x.sum(axis=1), axis=0)
        devs.append(np.log(f / f.mean()).to_numpy())
    e = np.vstack(devs)
    sigma = float(e.std(ddof=1))
    lag1 = float(np.corrcoef(e[:, :-1].ravel(), e[:, 1:].ravel())[0, 1])
    return float(np.sqrt(np.expm1(sigma ** 2))), lag1


# Annual-volume multipliers per year type [D]: Pearson III (Cs = 2 Cv) with the gauges' Cv (Chu 0.123 from
# 34 years 1961-2002, Talas 0.145 from 12 years 2000-2011). Until 2026-12-04: [E] Cv 0.20 / 0.22 (facts §1,
# "no published Cv"), which gave wet 1.12 / 1.14, normal 0.99 / 0.98, dry 0.86 / 0.84, very dry 0.70 / 0.67.
MULTIPLIER = {b: year_type_multipliers(annual_statistics(st)["cv"]) for b, st in ANNUAL_STATIONS.items()}

# The Chu's resource [P 6] as the four nodes sum it (6,640.04 since the first release), and the mean annual
# volume of the Kochkorka gauge (72 complete years 1936-2011) [D]
CHU_RESOURCE_HM3 = 6640.04
KOCHKORKA_HM3 = float(gauge_months("Kochkor_15102").sum(axis=1).mean())

# Mean annual natural inflow per inflow node [hm³/yr]
INFLOW = {
    "chu": {  # basin resource 6,640 hm³/yr [P 6]
        # the mean of the Kochkorka gauge's complete years, 917.8 hm³ = 29.1 m³/s [D] (until 2026-12-04 15 m³/s [E])
        "CH_IN_OT": (KOCHKORKA_HM3, "kochkorka"),
        # [E] Boom + Chon-Kemin + Kichi-Kemin, range 1,800-3,700, closing the sum to 6,640.04; shape [D]
        "CH_IN_MID": (CHU_RESOURCE_HM3 - KOCHKORKA_HM3 - 2500.0 - 450.0, "chon_kemin"),
        "CH_IN_VAL_KG": (2500.0, "chu_left_bank"),  # [E] left-bank tributaries, range 2,000-3,000; shape [D]
        "CH_IN_VAL_KZ": (450.0, "chu_total"),  # [E] KZ-side tributaries, range 300-600
    },
    "talas": {  # basin resource 1,600 hm³/yr at the Kirov section [P 6]
        "TA_IN_UP": (15.7 * SECONDS_PER_YEAR / 1e6, "talas"),  # 15.7 m³/s at Talas town [P 4]
        "TA_IN_TRIB": (1600.0 - 15.7 * SECONDS_PER_YEAR / 1e6, "talas_tributaries"),  # [D] 1,600 - 495.1; shape [D]
    },
}

# Annual demand at the intake [hm³/yr] and its monthly shape. Irrigation: area [ha] × gross duty [m³/ha] / 1e6.
DEMAND = {
    "chu": {
        "KG_CHU_E": (88_000 * 7_500 / 1e6, "irrigation"),  # bypass canals command 88k ha [P 3]; duty [E]
        "KG_CHU_W": (73_000 * 7_500 / 1e6, "irrigation"),  # W-BChK KG part ~73k ha [P 37]; duty [E]
        # Chui oblast, 1 Jan 2025: 276,694 ha on the inter-farm network, 43,394 ha on local sources [P] (open.kg 73802)
        "KG_CHU_VAL": (115_694 * 7_500 / 1e6, "irrigation"),  # [D] 276,694 - 88,000 - 73,000
        "KG_CHU_LOCAL": (43_394 * 7_500 / 1e6, "irrigation"),  # small rivers, springs, wells [P area]
        "KG_BISHKEK": (114.0, "municipal"),  # Bishkek 114 hm³/yr, all groundwater [P 78] vb.kg/doc/369378
        "KZ_KORDAY": (30_000 * 9_000 / 1e6, "irrigation"),  # [E]
        "KZ_SHU": (35_000 * 9_000 / 1e6, "irrigation"),  # Tasotkel zone ~35k ha [P 47]; duty [E]
        # ecological releases to the lower Shu / Sozak ~200 hm³/yr [P] https://vapress.kz/ru/article/v-jambylskoi-oblasti-nachalas-ochistka-furmanovskogo-kanala.html/amp
        "KZ_SHU_ENV": (200.0, "winter_release"),
    },
    "talas": {
        "KG_TALAS_UP": (100_000 * 7_500 / 1e6, "irrigation"),  # [E] of 113.2k ha Talas BWMO [P 53]
        "KG_MANAS": (13_200 * 7_500 / 1e6, "irrigation"),  # [E] rest of 113.2k ha
        # 62k ha [P] https://ar.inform.kz/news/article_a2887272/ x 8,000 m³/ha [P] http://en.tengrinews.kz/environment/Irrigation-water-shortage-in-Kyrgyzstan-hits-Kazakhstan-254856
        "KZ_TALAS": (62_000 * 8_000 / 1e6, "irrigation"),  # = 496 hm³/yr [D]
    },
}

# Open-water evaporation [mm/month], Jan..Dec  [E] facts §4
EVAPORATION = {
    "chu": {
        "CH_R_OT": [5, 5, 15, 45, 80, 110, 130, 120, 85, 55, 30, 10],
        "CH_R_TAS": [10, 15, 40, 90, 150, 190, 215, 200, 140, 80, 35, 15],
    },
    "talas": {"TA_R_KIR": [10, 12, 30, 60, 100, 140, 165, 150, 105, 65, 35, 15]},
}


def build(basin: str, out: Path | None = None) -> None:
    """Write the basin's inflow, demand and evaporation CSVs into ``out`` (default data/<basin>)."""
    out = HERE / basin if out is None else Path(out)
    out.mkdir(exist_ok=True)
    rows = []
    for yt, mult in MULTIPLIER[basin].items():
        for node, (annual, shape) in INFLOW[basin].items():
            months = [round(annual * mult * pct / 100, 3) for pct in SHAPE[shape]]
            peak = months.index(max(months))  # the rounding's remainder, to keep the year's volume to 0.001 hm³
            months[peak] = round(months[peak] + round(annual * mult, 3) - sum(months), 3)
            rows += [(yt, m, node, v, "hm3") for m, v in enumerate(months, start=1)]
    pd.DataFrame(rows, columns=["year_type", "month", "node", "inflow", "unit"]).to_csv(out / "inflow.csv", index=False)
    rows = [(m, node, round(annual * pct / 100, 3), "hm3")
            for node, (annual, shape) in DEMAND[basin].items() for m, pct in enumerate(SHAPE[shape], start=1)]
    pd.DataFrame(rows, columns=["month", "node", "demand", "unit"]).to_csv(out / "demand.csv", index=False)
    rows = [(m, node, mm, "mm") for node, series in EVAPORATION[basin].items() for m, mm in enumerate(series, 1)]
    pd.DataFrame(rows, columns=["month", "node", "evaporation", "unit"]).to_csv(out / "evaporation.csv", index=False)


if __name__ == "__main__":
    for b in ("chu", "talas"):
        build(b)
        print(b, MULTIPLIER[b], {k: round(v, 3) if isinstance(v, float) else v
                                 for k, v in annual_statistics(ANNUAL_STATIONS[b]).items()},
              "monthly noise (cv, lag1): %.3f, %.3f" % noise_statistics(NOISE_GROUPS[b]))
