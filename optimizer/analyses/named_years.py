"""Named years (2023, 2024, 2025) as runnable seasons, built from the published figures in data/observed.

Every number used comes from ``data/observed/named_years.csv`` (looked up by basin, year, quantity and post, with
its [P]/[D]/[E] status and address) or is a documented choice here marked [D]/[E]; the run's manifest lists them.

Inflow: no dekadal gauge series for these seasons is public, so the season's inflow is the basin's typical year of
the type the published figures imply, scaled where a published share of the norm exists:

* Chu 2023: rivers of the Chu basin at 78 % of the norm in Apr–Jun [P agro.gov.kg/kg/10607] → the normal year × 0.78
  [D] (May was 66 %; the season is taken at the Apr–Jun figure, the only one published for the season).
* Talas 2023: water availability "four times less" than 2022 [P/D eltr.kg] and Kirov inflow 0.7 m³/s on 22 Aug
  (13.7 the year before) [P]: the ``extreme-dry`` typical year [E] (P99; no share of the norm published; until
  2026-12-04 ``very-dry``, which the gauges' measured Cv made wetter, P95 0.775 of the mean).
* 2024 (both): no share of the norm published; KZ received 110 % (Talas) and 92 % (Chu) of the Commission's plan
  [D]: the ``normal`` typical year [E].
* 2025: "30–40 % of the norm" in summer is published for the Syr Darya, Shu and Talas together [P 24.kg]
  but another source gives it for the Syr Darya alone, while KZ received 427.5 hm³ on the Talas (more than in 2024):
  the Talas's ``dry`` typical year [E]. The Chu's ``extreme-dry`` [E] (until 2026-12-03 ``dry``, then ``very-dry``
  until 2026-12-04): the year its own
  single-year calibration runs, and Orto-Tokoy ended 2025 at 169 hm³ (36 % of capacity) against 345 hm³ (73 %) a year
  before [P report.kg]. The named-year fit (optimizer.analyses.calibration_named) starts 2025 from the storage of
  31 Dec 2024 and fits the storage of 31 Dec 2025; the seasons built here keep their April starts.

Start storage (1 April): Kirov 445.6 hm³ on 21 Apr 2023 [P] (2023); Kirov ≈ 471 hm³ in Feb 2025 [E] (2025);
Orto-Tokoy ≈ 432.6 hm³ on 1 April 2023 [D] (2023: 8.55 hm³ on 2 Aug plus the Apr–Aug net drawdown, 654 released
less 230 in; a lower bound, evaporation ignored; the 343 hm³ of 15 March used before is dated 2022 by its page). Where no volume is published the run
starts from the basin's initial storage and ends at least there (cyclic), and says so.

Operative quota: the Commission's published plan for the year and basin (data/observed); without one, the
Regulation's volume × the season's availability (inflow Apr–Sep / normal Apr–Sep) [D]. The Regulation's 370 (Chu)
and 590 (Talas) hm³ stay as the reference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

DATA = Path(__file__).resolve().parents[2] / "data" / "observed" / "named_years.csv"
YEARS = (2023, 2024, 2025)
RESERVOIR_NODE = {"Kirov": "TA_R_KIR", "Orto-Tokoy": "CH_R_OT"}


@dataclass
class Figure:
    value: float
    unit: str
    status: str  # P | D | E
    source: str
    what: str

    def as_dict(self) -> dict:
        return {"value": self.value, "unit": self.unit, "status": self.status, "source": self.source, "what": self.what}


@dataclass
class Check:
    """A published cumulative receipt to compare with the model: KZ's receipts from ``start`` to ``end`` (inclusive)."""

    label: str
    basins: tuple[str, ...]
    start: pd.Timestamp
    end: pd.Timestamp
    figure: Figure


@dataclass
class NamedYear:
    basin: str
    year: int
    year_type: str
    scale: float
    inflow_note: Figure
    initial_storage: dict[str, Figure] = field(default_factory=dict)
    plan: Figure | None = None  # the Commission's plan (operative quota) [hm³ Apr–Sep]
    checks: list[Check] = field(default_factory=list)

    def manifest(self) -> dict:
        return {"named_year": self.year, "year_type": self.year_type, "inflow_scale": self.scale,
                "inflow": self.inflow_note.as_dict(),
                "initial_storage": {k: v.as_dict() for k, v in self.initial_storage.items()},
                "plan": None if self.plan is None else self.plan.as_dict(),
                "published_checks": [{"label": c.label, "basins": list(c.basins), "from": f"{c.start:%Y-%m-%d}",
                                      "to": f"{c.end:%Y-%m-%d}", **c.figure.as_dict()} for c in self.checks]}


def table() -> pd.DataFrame:
    return pd.read_csv(DATA, dtype=str)


def figure(basin: str, year: int | str, quantity: str, post: str = "", date: str = "") -> Figure:
    """The one row of named_years.csv for basin, year (a number or the table's text, e.g. "2022 or 2023"), quantity (exact) and post / date (substrings)."""
    df = table()
    sel = df[(df.basin == basin) & (df.year == str(year)) & (df.quantity == quantity)
             & df.post_or_object.str.contains(post, regex=False) & df.date_or_period.str.contains(date, regex=False)]
    if len(sel) != 1:
        raise LookupError(f"{DATA}: {len(sel)} rows for {basin} {year} {quantity!r} {post!r} {date!r}; expected one")
    r = sel.iloc[0]
    return Figure(float(r.value), r.unit, r.status, r.source_url if isinstance(r.source_url, str) else "",
                  f"{r.quantity}, {r.post_or_object}, {r.date_or_period}")


def _ts(s: str) -> pd.Timestamp:
    return pd.Timestamp(s)


def scenario(basin: str, year: int) -> NamedYear:
    """The named season of ``basin`` (``talas`` or ``chu``) in ``year`` (2023, 2024 or 2025)."""
    if basin not in ("talas", "chu") or int(year) not in YEARS:
        raise ValueError(f"named years are {', '.join(map(str, YEARS))} for the talas and chu basins, not {basin} {year}")
    year = int(year)
    if basin == "chu" and year == 2023:
        f = figure("chu", 2023, "flow % of norm", "8 gauges")
        ny = NamedYear(basin, year, "normal", f.value / 100,
                       Figure(f.value / 100, "x normal", "D", f.source, "normal year x 0.78 (Chu rivers Apr-Jun 78% of norm)"))
        # 1 April 2023 [D]: the 2 Aug minimum plus the Apr-Aug net drawdown (the 343 hm3 of 15 March, used until
        # 2026-12-03, is dated 2022 by its page)
        ny.initial_storage["CH_R_OT"] = figure("chu", 2023, "storage", "Orto-Tokoy", "1 April 2023")
        ny.checks.append(Check("KZ vegetation receipts, Chu", ("chu",), _ts("2023-04-01"), _ts("2023-09-30"),
                               figure("chu", 2023, "KZ vegetation receipts (actual)", "Chu")))
    elif basin == "talas" and year == 2023:
        f = figure("talas", 2023, "water availability vs 2022", "Talas basin")
        ny = NamedYear(basin, year, "extreme-dry", 1.0, Figure(1.0, "x extreme-dry", "E", f.source,
                                                            "extreme-dry typical year (P99): availability 1/4 of 2022 [D], "
                                                            "no share of norm published"))
        ny.initial_storage["TA_R_KIR"] = figure("talas", 2023, "storage", "Kirov", "2023-04-21")
        ny.plan = figure("talas", 2023, "Commission plan (schedule) Apr-Sep", "Kirov")
        ny.checks.append(Check("KZ receipts, Talas (Kirov release to KZ)", ("talas",), _ts("2023-04-01"), _ts("2023-08-05"),
                               figure("talas", 2023, "KZ receipts cumulative (actual)", "Kirov")))
    elif year == 2024:
        name = "Talas" if basin == "talas" else "Chu"
        ny = NamedYear(basin, year, "normal", 1.0, Figure(1.0, "x normal", "E", figure(basin, 2024, "KZ plan fulfilment", name).source,
                                                          "normal typical year: no share of norm published; plan fulfilled 110% Talas / 92% Chu [D]"))
        ny.plan = figure(basin, 2024, "Commission plan vegetation", f"{name} to KZ")
        ny.checks.append(Check(f"KZ receipts, {name}", (basin,), _ts("2024-04-01"), _ts("2024-09-02"),
                               figure(basin, 2024, "KZ vegetation receipts cumulative", f"{name} to KZ")))
        ny.checks.append(Check(f"KZ vegetation receipts, {name}", (basin,), _ts("2024-04-01"), _ts("2024-09-30"),
                               figure(basin, 2024, "KZ vegetation receipts (final)", f"{name} to KZ")))
    else:  # 2025
        name = "Talas" if basin == "talas" else "Chu"
        f = figure("chu+talas", 2025, "flow % of norm", "Shu")
        if basin == "chu":  # (until 2026-12-03 dry, as the Talas; the Chu's own calibration year was very-dry)
            ot = figure("chu", 2025, "storage", "Orto-Tokoy", "2025-12-31")
            ny = NamedYear(basin, year, "extreme-dry", 1.0, Figure(1.0, "x extreme-dry", "E", ot.source,
                                                                "extreme-dry typical year (P99), as the Chu's single-year "
                                                                "calibration: Orto-Tokoy ended 2025 at 169 hm3 (36 %) "
                                                                "against 345 (73 %) a year before [P]"))
        else:
            ny = NamedYear(basin, year, "dry", 1.0, Figure(1.0, "x dry", "E", f.source,
                                                           "dry typical year: '30-40% of norm' attributed to Syr Darya alone elsewhere; KZ got 427.5 on Talas"))
        if basin == "talas":
            ny.initial_storage["TA_R_KIR"] = figure("talas", 2025, "storage", "Kirov", "2025-02-18")
        ny.plan = figure(basin, 2025, "Commission plan from late April", f"{name} to KZ")
        ny.checks.append(Check(f"KZ vegetation receipts, {name}", (basin,), _ts("2025-04-01"), _ts("2025-09-30"),
                               figure(basin, 2025, "KZ vegetation receipts (actual)", f"{name} to KZ")))
        ny.checks.append(Check("KZ receipts, Chu+Talas", ("chu", "talas"), _ts("2025-04-01"), _ts("2025-07-01"),
                               figure("chu+talas", 2025, "KZ receipts cumulative (actual)", "Chu+Talas")))
    return ny
