r"""Stochastic monthly inflow scenarios for a basin's inflow nodes (hm³/month), seeded and reproducible.

    >>> import basins
    >>> from optimizer import scenarios
    >>> q = scenarios.generate(basins.load("talas"), members=100, years=30, seed=1,
    ...                        climate=scenarios.Climate(change=-0.275, target_year=2050))
    >>> q.dims                       # ('member', 'time', 'node'), q.attrs["units"] == "hm3/month"

The model (fitted by :func:`fit` to the basin's own monthly series; its spread is measured **[D]** on the
Kyrgyzhydromet gauge records of data/observed/gauges where they exist and estimated **[E]** elsewhere, see
docs/ensembles.md):

1. **Annual totals, lognormal, cross-correlated, optionally persistent.** For inflow node n in year y::

       A[y,n] = μ_n · exp(σ_n Z[y,n] − σ_n²/2),      σ_n² = ln(1 + c_n²)

   so that E[A] = μ_n and CV[A] = c_n exactly. Z[y] ~ N(0, R_log) with
   R_log[i,j] = ln(1 + ρ c_i c_j) / (σ_i σ_j), which makes the correlation of the annual *volumes* of
   two nodes exactly ρ (``correlation``: Chu 0.745 [D], the left-bank rivers against the Chon-Kemin; Talas
   and other basins 0.8 [E]); Z[y] = φ Z[y−1] + √(1−φ²) E[y] with ``persistence`` φ (default 0, independent
   years: the gauges' lag-1 of 0.26 on the Chu, 34 years, is not different from 0 at 5 %).

   * The normal year of the basin file is taken as the median year (facts §1: "normal" = P50), so
     μ_n = (normal-year total of n) · √(1 + c_n²).
   * ``cv`` is the coefficient of variation of the basin's **total** annual resource (the volume the
     share rules divide): 0.123 Chu, 0.145 Talas [D] (the gauged rivers summed; until 2026-12-04 0.20 /
     0.22 [E]), 0.20 for other basins [E].
     All nodes get the same c, chosen so that the total has exactly that CV:
     c = cv / √(Σ_ij w_i w_j R_ij) with w = μ/Σμ and R the volume correlation (1 on the diagonal).

2. **Monthly distribution: the documented shape plus noise that keeps the annual total.** ::

       X[y,m,n] = A[y,n] · s'[m,n] e^{ε[y,m,n]} / Σ_k s'[k,n] e^{ε[y,k,n]}

   s is the node's monthly shape in the basin's normal year (facts §1a: the bundled series are annual ×
   shape), ε a Gaussian log-noise with standard deviation √ln(1+``monthly_cv``²) (``monthly_cv`` Chu 0.151,
   Talas 0.158 [D]; 0.10 [E] elsewhere), lag-1 autocorrelated from month to month (``monthly_lag1`` Chu 0.312,
   Talas 0.406 [D]; 0.5 [E] elsewhere: a late melt stays late)
   and correlated ρ between nodes. Renormalising within each year keeps the annual statistics exact.
   Renormalised noise alone would bias the mean fractions by ≈ σ_ε²·(sᵀPs − (Ps)_m)·s_m (P the
   month-to-month noise correlation; +0.25 % in winter for a noise CV of 0.10 and a lag-1 of 0.5), so the shape that is perturbed
   is corrected for it first (:func:`_debias`): the mean monthly fractions equal the shape up to a
   bias of order σ_ε⁴.

3. **Climate** (:class:`Climate`, optional): a linear trend of the mean from ``base_year`` (factor 1) to
   ``change`` at ``target_year``, held constant after it. The 2050 outlook is a **band**, not a point
   (:data:`CLIMATE_2050_BAND`, :func:`generate_band`): the Chu-Talas Water Commission's −25 … −45 % in 25–50
   years [P 15], which contains the −25…−30 % by 2050 for three Shu rivers [P 14] (whose middle, −0.275, is
   the default of a single :class:`Climate`); and an earlier snowmelt: the monthly shape is moved earlier by
   ``shift_weeks`` (2 weeks [E] at the target year, growing linearly like the trend). The shift treats
   the flow within a month as uniform, moves it d months earlier and re-aggregates by calendar month
   (``s'[m] = (1−f) s[m+k] + f s[m+k+1]`` with d = k + f, circular), which keeps each year's total.

Reproducibility: member k of ``generate(..., seed=s)`` is drawn from ``SeedSequence(s).spawn(...)[k]``
(numpy ``Generator``/PCG64), so it is the same whatever the number of members; years are drawn one
after another as whole calendar years from the horizon's first year, so a longer horizon with the same
first calendar year extends a shorter one month for month.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import xarray as xr

from basins import Basin

# Measured [D] (data/build_series.py, ``annual_statistics`` and ``noise_statistics`` of the Kyrgyzhydromet gauges in
# data/observed/gauges; tests/test_gauges.py recomputes every figure below from the records):
#: Coefficient of variation of the basin's total annual resource: the gauged rivers summed, Chu 34 years 1961-2002,
#: Talas 12 years 2000-2011 [D] (until 2026-12-04: 0.20 / 0.22 [E], facts §1 "no published Cv").
CV_ANNUAL = {"chu": 0.123, "talas": 0.145}
DEFAULT_CV = 0.20  # other basins [E]
#: Correlation between the inflow nodes' annual volumes and monthly log-noise: the Chu's left-bank rivers against
#: the Chon-Kemin, 34 years [D]; the Talas has one gauged node, so its 0.8 stays an estimate [E].
CORRELATION_BASIN = {"chu": 0.745}
CORRELATION = 0.8  # other basins and the Talas [E]
#: Monthly log-noise around the shape (CV) and its month-to-month lag-1 autocorrelation, from each year's monthly
#: fractions of the gauged proxies [D] (until 2026-12-04: 0.10 and 0.5 [E] for both basins).
MONTHLY_CV_BASIN = {"chu": 0.151, "talas": 0.158}
MONTHLY_LAG1_BASIN = {"chu": 0.312, "talas": 0.406}
MONTHLY_CV = 0.10  # other basins [E]
MONTHLY_LAG1 = 0.5  # other basins [E]
#: Lag-1 autocorrelation of the summed annual volumes, measured but not used as the default persistence: Chu 0.257
#: (34 years; standard error ≈ 1/√34 = 0.17, not different from 0 at 5 %), Talas 0.168 (12 years) [D].
PERSISTENCE_MEASURED = {"chu": 0.257, "talas": 0.168}
DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class Climate:
    """A linear climate trend: the mean annual flow changes by ``change`` (a fraction, −0.275 = −27.5 %)
    between ``base_year`` and ``target_year`` and stays there afterwards; the snowmelt peak arrives
    ``shift_weeks`` earlier at the target year (linearly in between)."""

    change: float = -0.275
    target_year: int = 2050
    base_year: int = 2025
    shift_weeks: float = 2.0

    def __post_init__(self):
        if not -1.0 < self.change < 10.0:
            raise ValueError(f"climate change must be a fraction > -1 (e.g. -0.275 for -27.5 %), got {self.change}")
        if self.target_year <= self.base_year:
            raise ValueError(f"target_year ({self.target_year}) must come after base_year ({self.base_year})")
        if not -26 <= self.shift_weeks <= 26:
            raise ValueError(f"shift_weeks must be within half a year, got {self.shift_weeks}")

    def ramp(self, years) -> np.ndarray:
        """0 up to the base year, 1 from the target year on, linear in between."""
        y = np.asarray(years, dtype=float)
        return np.clip((y - self.base_year) / (self.target_year - self.base_year), 0.0, 1.0)

    def factor(self, years) -> np.ndarray:
        """Multiplier of the mean annual flow in each year."""
        return 1.0 + self.change * self.ramp(years)

    def shift_months(self, years) -> np.ndarray:
        """How many months earlier the monthly shape is in each year."""
        return self.shift_weeks * 7.0 / DAYS_PER_MONTH * self.ramp(years)


#: The published 2050 range of the change of mean flow, as a low/high pair of trends (issue 13 item 5):
#: −25 … −45 % in 25–50 years, Chu-Talas Water Commission [P] (facts sheet [15], https://donors.kg/en/news-block/3802);
#: −25…−30 % by 2050 for three Shu rivers [P] (facts sheet [14], https://www.mdpi.com/2073-4441/13/20/2800) lies inside.
#: Reached in 2050 (the near end of "25–50 years" from the 2025 base [E]); snowmelt 2 weeks earlier [E].
CLIMATE_2050_BAND: dict[str, Climate] = {
    "low": Climate(change=-0.45, target_year=2050),   # drier end of the band
    "high": Climate(change=-0.25, target_year=2050),  # wetter end of the band
}


def shift_shape(shape: np.ndarray, months_earlier: float) -> np.ndarray:
    """Move a monthly shape (12, …) ``months_earlier`` months earlier (circular, volume-preserving:
    flow uniform within each month, shifted, re-aggregated by calendar month)."""
    k = int(np.floor(months_earlier))
    f = months_earlier - k
    idx = (np.arange(12) + k) % 12
    return (1.0 - f) * shape[idx] + f * shape[(idx + 1) % 12]


@dataclass(frozen=True)
class InflowModel:
    """The fitted generator: per inflow node its monthly shape and annual mean, and the noise parameters."""

    basin: str
    nodes: tuple[str, ...]
    shape: np.ndarray  # (12, node), fractions of the annual volume, columns sum to 1
    mean_annual_hm3: np.ndarray  # (node,)
    cv_total: float  # CV of the basin's total annual volume
    cv_node: np.ndarray  # (node,) CV of each node's annual volume (derived from cv_total)
    correlation: float
    persistence: float
    monthly_cv: float
    monthly_lag1: float

    def volume_correlation(self) -> np.ndarray:
        """Correlation matrix of the nodes' annual volumes."""
        n = len(self.nodes)
        return np.full((n, n), self.correlation) + (1 - self.correlation) * np.eye(n)

    def log_correlation(self) -> np.ndarray:
        """Correlation of the annual log-volumes that gives :meth:`volume_correlation` exactly."""
        c = self.cv_node
        s = np.sqrt(np.log1p(c ** 2))
        cov = np.log1p(self.volume_correlation() * np.outer(c, c))
        with np.errstate(invalid="ignore", divide="ignore"):
            r = cov / np.outer(s, s)
        r[~np.isfinite(r)] = 0.0
        np.fill_diagonal(r, 1.0)
        return r

    def params(self) -> dict:
        """The parameters as plain numbers (for attrs and reports)."""
        return {"basin": self.basin, "nodes": list(self.nodes), "cv_total": self.cv_total,
                "cv_node": [round(float(c), 6) for c in self.cv_node], "correlation": self.correlation,
                "persistence": self.persistence, "monthly_cv": self.monthly_cv, "monthly_lag1": self.monthly_lag1,
                "mean_annual_hm3": [round(float(v), 6) for v in self.mean_annual_hm3]}


def _check_fraction(name: str, v: float, lo: float, hi: float, hi_open: bool = True) -> float:
    v = float(v)
    if not (lo <= v < hi if hi_open else lo <= v <= hi):
        raise ValueError(f"{name} must be in [{lo}, {hi}{')' if hi_open else ']'}, got {v}")
    return v


def fit(basin: Basin, *, cv: float | None = None, correlation: float | None = None, persistence: float = 0.0,
        monthly_cv: float | None = None, monthly_lag1: float | None = None, reference: str = "normal") -> InflowModel:
    """Fit the generator to ``basin``: shapes and medians from its ``reference`` year type (the normal year
    is the median year), the spread from ``cv`` (CV of the total annual resource). A parameter left ``None``
    takes the basin's measured value (:data:`CV_ANNUAL`, :data:`CORRELATION_BASIN`, :data:`MONTHLY_CV_BASIN`,
    :data:`MONTHLY_LAG1_BASIN`) or, for another basin, the estimate."""
    if reference not in basin.year_types:
        raise ValueError(f"reference year type {reference!r} not in the basin's year types {basin.year_types}")
    cv = CV_ANNUAL.get(basin.id, DEFAULT_CV) if cv is None else float(cv)
    correlation = CORRELATION_BASIN.get(basin.id, CORRELATION) if correlation is None else float(correlation)
    monthly_cv = MONTHLY_CV_BASIN.get(basin.id, MONTHLY_CV) if monthly_cv is None else float(monthly_cv)
    monthly_lag1 = MONTHLY_LAG1_BASIN.get(basin.id, MONTHLY_LAG1) if monthly_lag1 is None else float(monthly_lag1)
    _check_fraction("cv", cv, 0.0, 2.0)
    _check_fraction("correlation", correlation, 0.0, 1.0)
    _check_fraction("persistence", persistence, 0.0, 1.0)
    _check_fraction("monthly_cv", monthly_cv, 0.0, 2.0)
    _check_fraction("monthly_lag1", monthly_lag1, 0.0, 1.0)
    normal = basin.inflow.sel(year_type=reference).transpose("month", "node")
    nodes = tuple(str(n) for n in normal["node"].values)
    v = normal.values.astype(float)  # (12, node)
    total = v.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        shape = np.where(total > 0, v / total, 1.0 / 12)
    w = total / total.sum() if total.sum() > 0 else np.full(len(nodes), 1.0 / len(nodes))
    r = np.full((len(nodes), len(nodes)), correlation) + (1 - correlation) * np.eye(len(nodes))
    c = cv / np.sqrt(w @ r @ w) if cv > 0 else 0.0
    cv_node = np.full(len(nodes), c)
    mean = total * np.sqrt(1.0 + cv_node ** 2)  # the reference year is the median of a lognormal
    return InflowModel(basin.id, nodes, shape, mean, cv, cv_node, float(correlation), float(persistence),
                       float(monthly_cv), float(monthly_lag1))


def _chol(r: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.cholesky(r)
    except np.linalg.LinAlgError:  # e.g. correlation 1: symmetric square root instead
        vals, vecs = np.linalg.eigh(r)
        return vecs * np.sqrt(np.clip(vals, 0, None))


def _ar1(e: np.ndarray, phi: float, axis: int = 0) -> np.ndarray:
    """Stationary AR(1) along ``axis`` driven by standard normal innovations ``e`` (unit variance out)."""
    if phi == 0:
        return e
    e = np.moveaxis(e, axis, 0)
    out = np.empty_like(e)
    out[0] = e[0]
    k = np.sqrt(1.0 - phi * phi)
    for t in range(1, len(e)):
        out[t] = phi * out[t - 1] + k * e[t]
    return np.moveaxis(out, 0, axis)


def _debias(shape: np.ndarray, var: float, phi: float) -> np.ndarray:
    """The shape to perturb so that the *renormalised* noisy fractions have mean ``shape``.

    With ε ~ N(0, var·P), P[k,l] = φ^|k−l| within a year, a second-order expansion of
    E[s̃_m e^{ε_m} / Σ_k s̃_k e^{ε_k}] gives s̃_m (1 + var·(s̃ᵀP s̃ − (P s̃)_m)); solving that for s̃ by a
    few fixed-point steps leaves a bias of order var² (< 10⁻⁴ of s for the defaults)."""
    if var == 0:
        return shape
    k = np.arange(12)
    P = phi ** np.abs(k[:, None] - k[None, :])
    target = np.asarray(shape, dtype=float)
    s = target.copy()
    for _ in range(4):
        ps = np.einsum("kl,...ln->...kn", P, s)  # (…, 12, node)
        sps = np.einsum("...kn,...kn->...n", s, ps)[..., None, :]
        s = target / (1.0 + var * (sps - ps))
        s = s / s.sum(axis=-2, keepdims=True)
    return s


def _mix(x: np.ndarray, L: np.ndarray) -> np.ndarray:
    """``x @ L.T`` over the last axis (correlating independent innovations with a Cholesky factor), summed node by
    node in a fixed order, so that every element is computed the same way whatever the shape of ``x``. (``@`` goes
    to BLAS, whose kernel and summation order depend on the number of rows: with numpy 2.4.6 a one-year horizon
    and the same year inside a two-year horizon differed in the last bit, and a member would depend on the horizon
    it was drawn for.)"""
    out = x[..., :1] * L[:, 0]
    for k in range(1, L.shape[1]):
        out = out + x[..., k:k + 1] * L[:, k]
    return out


def _members(model: InflowModel, rngs: list[np.random.Generator], years: np.ndarray, shapes: np.ndarray,
             factor: np.ndarray, l_annual: np.ndarray, l_month: np.ndarray) -> np.ndarray:
    """Members (member, len(years)·12, node) in hm³/month over whole calendar years; ``shapes`` (year, 12,
    node) are the (climate-shifted, debiased) shapes, ``factor`` (year,) the climate factor of the mean."""
    n_y, n = len(years), len(model.nodes)
    # each member's own stream, year by year: one annual and twelve monthly innovations per node, so a
    # longer horizon from the same first year extends a shorter one
    e = np.stack([rng.standard_normal((n_y, 13, n)) for rng in rngs])  # (member, year, 13, node)
    sig = np.sqrt(np.log1p(model.cv_node ** 2))
    z = _ar1(_mix(e[:, :, 0], l_annual), model.persistence, axis=1)
    annual = model.mean_annual_hm3 * np.exp(sig * z - sig ** 2 / 2) * factor[:, None]  # (member, year, node)
    s_eps = np.sqrt(np.log1p(model.monthly_cv ** 2))
    eps = s_eps * _ar1(_mix(e[:, :, 1:].reshape(len(rngs), n_y * 12, n), l_month), model.monthly_lag1, axis=1)
    w = shapes * np.exp(eps.reshape(len(rngs), n_y, 12, n))
    w = w / w.sum(axis=2, keepdims=True)
    return (annual[:, :, None, :] * w).reshape(len(rngs), n_y * 12, n)


def generate(basin: Basin | InflowModel, members: int = 100, years: int = 1, *, seed: int = 0,
             start: str = "2025-01", months: int | None = None, climate: Climate | None = None,
             **fit_options) -> xr.DataArray:
    """Monthly natural inflow scenarios, dims ``(member, time, node)`` in hm³/month.

    Parameters
    ----------
    basin : a :class:`basins.Basin` (fitted with :func:`fit` and ``fit_options``) or a fitted model.
    members : number of scenarios.
    years, months : horizon length; ``months`` (if given) overrides ``years`` (12 per year).
    seed : seed of the numpy Generator; the same seed gives the same members.
    start : first month of the horizon (``YYYY-MM``).
    climate : an optional :class:`Climate` trend and snowmelt shift (None: stationary climate).
    """
    model = basin if isinstance(basin, InflowModel) else fit(basin, **fit_options)
    if isinstance(basin, InflowModel) and fit_options:
        raise TypeError(f"fit options {sorted(fit_options)} need a Basin, not a fitted InflowModel")
    members = int(members)
    if members < 1:
        raise ValueError(f"members must be >= 1, got {members}")
    T = int(months) if months is not None else 12 * int(years)
    if not 1 <= T <= 1200:
        raise ValueError(f"the horizon must be 1-1,200 months, got {T}")
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    t0 = pd.Timestamp(start).to_period("M").to_timestamp()
    times = pd.date_range(t0, periods=T, freq="MS")
    cal_years = np.arange(times[0].year, times[-1].year + 1)
    offset = times[0].month - 1
    l_annual, l_month = _chol(model.log_correlation()), _chol(model.volume_correlation())
    if climate is not None:
        factor = climate.factor(cal_years)
        shapes = np.stack([shift_shape(model.shape, d) for d in climate.shift_months(cal_years)])
    else:
        factor = np.ones(len(cal_years))
        shapes = np.broadcast_to(model.shape, (len(cal_years), 12, len(model.nodes)))
    shapes = _debias(shapes, np.log1p(model.monthly_cv ** 2), model.monthly_lag1)
    rngs = [np.random.Generator(np.random.PCG64(c)) for c in np.random.SeedSequence(int(seed)).spawn(members)]
    out = np.empty((members, T, len(model.nodes)))
    block = max(1, 2_000_000 // (len(cal_years) * 13 * len(model.nodes)))  # bound the memory of one pass
    for i in range(0, members, block):
        series = _members(model, rngs[i:i + block], cal_years, shapes, factor, l_annual, l_month)
        out[i:i + block] = series[:, offset:offset + T]
    attrs = {
        "units": "hm3/month", "long_name": "natural inflow scenario", "basin": model.basin, "seed": int(seed),
        "generator": "annual lognormal totals x monthly shape with AR(1) log-noise (optimizer.analyses.scenarios)",
        "model": json.dumps(model.params()),
        "climate": json.dumps(asdict(climate)) if climate is not None else "none",
    }
    da = xr.DataArray(out, dims=("member", "time", "node"),
                      coords={"member": np.arange(members), "time": times.values, "node": list(model.nodes)},
                      name="inflow", attrs=attrs)
    da["time"].attrs["long_name"] = "first day of the month"
    return da


def generate_band(basin: Basin | InflowModel, members: int = 100, years: int = 1, *,
                  band: dict[str, Climate] | None = None, **options) -> xr.DataArray:
    """The scenarios of :func:`generate` under each trend of a climate ``band`` (default
    :data:`CLIMATE_2050_BAND`), dims ``(climate, member, time, node)`` in hm³/month. Every band member uses the
    same seed, so the members differ only by the trend: the band's width is the climate's, not the noise's."""
    band = CLIMATE_2050_BAND if band is None else band
    if not band:
        raise ValueError("the climate band needs at least one member, e.g. {'low': Climate(-0.45), 'high': Climate(-0.25)}")
    das = [generate(basin, members, years, climate=c, **options) for c in band.values()]
    out = xr.concat(das, dim=pd.Index(list(band), name="climate"), combine_attrs="drop_conflicts")
    out.attrs["climate_band"] = json.dumps({k: asdict(c) for k, c in band.items()})
    return out


def annual_totals(scenarios: xr.DataArray) -> xr.DataArray:
    """Calendar-year totals [hm³/yr] of a scenario array (member, year, node); partial years are dropped."""
    t = pd.DatetimeIndex(scenarios["time"].values)
    years = xr.DataArray(t.year, dims="time", coords={"time": scenarios["time"]})
    counts = pd.Series(t.year).value_counts()
    full = sorted(y for y, c in counts.items() if c == 12)
    out = scenarios.groupby(years.rename("year")).sum("time").sel(year=full)
    out.attrs = {"units": "hm3/yr", "long_name": "annual natural inflow"}
    return out
