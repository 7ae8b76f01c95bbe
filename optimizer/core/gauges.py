"""Measured series in: daily or dekadal gauge records from a plain CSV, gaps reported, aggregated to the model step.

The file has one row per post and date::

    post,date,value,unit[,quantity]
    Kirov release to KZ,2023-07-01,41.2,m3/s

``unit`` is ``m3/s`` (a discharge or canal-head withdrawal: mean flow of the day or dekad), ``hm3`` (a volume
passed during the day or dekad) or ``m`` (a water level). ``quantity`` is optional: ``flow`` (m3/s), ``volume``
(hm3 passed), ``storage`` (a reservoir volume reading, hm3) or ``level`` (m); without it ``m3/s`` is a flow,
``hm3`` a volume passed and ``m`` a level. A post's records are daily or dekadal (dated by the step's first day).

A gap (a date missing between a post's first and last record, or a value left empty) is reported by post and
date and never filled. Aggregation to the model step (:func:`optimizer.core.timesteps.aggregate`): flows are
averaged by duration, volumes passed are summed, storage and level readings take the step's last reading (the
state at the end of the step); a model step touched by a gap is NaN, never estimated. A finer step is never made
up from a coarser one.

A reservoir post recorded as a water level (``m``, m a.s.l.) is converted to volume (quantity ``storage``, hm³)
when its level–area–volume table is given (``level_tables``: post → :class:`basins.level_volume.LevelVolume`,
e.g. :func:`basins.level_volume.for_reservoir`): linear between the table's rows; a level outside the table is an
error naming the post, date, row and the table's range (never extrapolated); a gap stays a gap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from basins.level_volume import LevelVolume
from optimizer.core import timesteps

UNITS = {"m3/s": "flow", "hm3": "volume", "m": "level"}
QUANTITY_UNIT = {"flow": "m3/s", "volume": "hm3", "storage": "hm3", "level": "m"}


class GaugeError(ValueError):
    """A gauge file that cannot be read; the message names file, row, field and fix."""


@dataclass
class Gap:
    post: str
    date: pd.Timestamp
    why: str  # "no record" | "empty value"

    def __str__(self) -> str:
        return f"{self.post}: {self.date:%Y-%m-%d} ({self.why})"


@dataclass
class Gauges:
    """Measured series per post, on each post's own step (``day`` or ``dekad``), with the gaps found."""

    series: dict[str, pd.Series]  # post → values by step start (NaN at a gap)
    unit: dict[str, str]
    quantity: dict[str, str]
    step: dict[str, str]
    gaps: list[Gap]
    file: str = ""

    def gap_report(self) -> str:
        if not self.gaps:
            return "no gaps"
        by_post: dict[str, list[Gap]] = {}
        for g in self.gaps:
            by_post.setdefault(g.post, []).append(g)
        return "; ".join(f"{p}: {len(v)} gap(s) on " + ", ".join(f"{g.date:%Y-%m-%d}" for g in v)
                         for p, v in by_post.items())

    def to_step(self, step: str) -> pd.DataFrame:
        """All posts on the model's ``step`` (step start × post, in each post's unit); NaN where a gap falls."""
        timesteps.check_step(step)
        out = {}
        for p, s in self.series.items():
            if timesteps.STEPS.index(step) > timesteps.STEPS.index(self.step[p]):
                raise GaugeError(f"{self.file}: post {p!r} is recorded per {self.step[p]}; it cannot be given per "
                                 f"{step} without inventing the values in between: run the model per {self.step[p]} "
                                 "or coarser")
            key = _keys(s.index, step)
            w = pd.Series(timesteps.step_days(s.index, self.step[p]), index=s.index)  # days each record covers
            steps = pd.DatetimeIndex(sorted(set(key)))
            covered = w.groupby(key).sum().reindex(steps)
            whole = np.isclose(covered.to_numpy(), timesteps.step_days(steps, step))  # a step only partly on record
            bad = s.isna().groupby(key).any().reindex(steps).to_numpy() | ~whole
            q = self.quantity[p]
            if q in ("storage", "level"):
                vals = s.groupby(key).apply(lambda v: v.iloc[-1]).reindex(steps)  # the reading at the step's end
            elif q == "flow":
                vals = (s.fillna(0.0) * w).groupby(key).sum().reindex(steps) / covered  # mean by duration
            else:
                vals = timesteps.aggregate(s.fillna(0.0), step, "sum").reindex(steps)  # volumes passed: summed
            out[p] = vals.where(~bad)
        return pd.DataFrame(out)

    def hm3(self, step: str) -> pd.DataFrame:
        """Flows and volumes passed as hm³ per model step (flows × the real step length); NaN at gaps."""
        df = self.to_step(step)
        out = {}
        for p in df.columns:
            if self.quantity[p] == "flow":
                out[p] = df[p] * timesteps.step_days(df.index, step) * timesteps.SECONDS_PER_DAY / 1e6
            elif self.quantity[p] == "volume":
                out[p] = df[p]
        return pd.DataFrame(out, index=df.index)


def _keys(idx: pd.DatetimeIndex, step: str) -> pd.DatetimeIndex:
    idx = pd.DatetimeIndex(idx)
    if step == "month":
        return idx.to_period("M").to_timestamp()
    if step == "dekad":
        day = np.select([idx.day < 11, idx.day < 21], [1, 11], 21)
        return pd.DatetimeIndex([pd.Timestamp(y, m, d) for y, m, d in zip(idx.year, idx.month, day)])
    return idx.normalize()


def _fail(file, row, fld, problem, fix):
    raise GaugeError(f"{file}, row {row}, field {fld!r}: {problem}; {fix}")


def read(path: str | Path, level_tables: Mapping[str, LevelVolume] | None = None) -> Gauges:
    path = Path(path)
    if not path.exists():
        raise GaugeError(f"{path}: no such file; give the path of a gauge CSV (post,date,value,unit)")
    return from_table(pd.read_csv(path, dtype={"post": str, "unit": str}), str(path), level_tables)


def _level_to_volume(file: str, post: str, g: pd.DataFrame, s: pd.Series, table: LevelVolume) -> pd.Series:
    """A post's levels [m a.s.l.] as volumes [hm³] through its table; NaN (a gap) stays NaN."""
    lv = s.to_numpy(float)
    out = (lv < table.lowest_m) | (lv > table.highest_m)  # (NaN compares False: a gap is not out of range)
    if out.any():
        ts = s.index[int(np.argmax(out))]
        row = int(g.loc[g["date"] == ts, "row"].iloc[0])
        _fail(file, row, "value", f"post {post!r} on {ts:%Y-%m-%d}: level {lv[out][0]:g} m is outside the "
              f"level-volume table of {table.reservoir} ({table.range_text()}, {table.file})",
              "check the reading and its datum (m a.s.l.), or extend the table")
    return pd.Series(table.volume(lv), index=s.index)


def from_table(df: pd.DataFrame, file: str = "<table>",
               level_tables: Mapping[str, LevelVolume] | None = None) -> Gauges:
    df = df.rename(columns=lambda c: str(c).strip())
    for col in ("post", "date", "value", "unit"):
        if col not in df.columns:
            _fail(file, 1, col, "column missing", "the header is post,date,value,unit[,quantity]")
    recs = []
    for i, r in df.iterrows():
        row = int(i) + 2
        post = str(r["post"]).strip() if pd.notna(r["post"]) else ""
        if not post:
            _fail(file, row, "post", "empty", "name the gauge post")
        ts = pd.to_datetime(r["date"], errors="coerce")
        if pd.isna(ts) or ts != ts.normalize():
            _fail(file, row, "date", f"{r['date']!r} is not a date", "write the date as YYYY-MM-DD")
        unit = str(r["unit"]).strip() if pd.notna(r["unit"]) else ""
        if unit not in UNITS:
            _fail(file, row, "unit", f"{unit!r} is not a known unit", "use m3/s, hm3 or m")
        q = str(r["quantity"]).strip() if "quantity" in df.columns and pd.notna(r.get("quantity")) else UNITS[unit]
        if q not in QUANTITY_UNIT or QUANTITY_UNIT[q] != unit:
            _fail(file, row, "quantity", f"{q!r} with unit {unit}", "use flow (m3/s), volume or storage (hm3), level (m)")
        if pd.isna(r["value"]) or str(r["value"]).strip() == "":
            v = np.nan  # an empty value: a gap, reported
        else:
            v = pd.to_numeric(r["value"], errors="coerce")
            if pd.isna(v) or not np.isfinite(v) or (v < 0 and q != "level"):
                _fail(file, row, "value", f"{r['value']!r} is not a number >= 0", "write the measured value, or leave it "
                      "empty where nothing was measured (it is reported as a gap)")
        recs.append((post, pd.Timestamp(ts), float(v), unit, q, row))
    if not recs:
        _fail(file, 2, "post", "no rows", "one row per post and date")
    long = pd.DataFrame(recs, columns=["post", "date", "value", "unit", "quantity", "row"])
    series, units, quantities, steps, gaps = {}, {}, {}, {}, []
    for post, g in long.groupby("post", sort=False):
        if g["unit"].nunique() > 1 or g["quantity"].nunique() > 1:
            r = g[g["unit"] != g["unit"].iloc[0]].row
            _fail(file, int(r.iloc[0]) if len(r) else int(g.row.iloc[0]), "unit", f"post {post!r} mixes units "
                  f"{sorted(g['unit'].unique())}", "give one unit per post (or name the posts apart)")
        dup = g[g.duplicated("date")]
        if len(dup):
            _fail(file, int(dup.row.iloc[0]), "date", f"post {post!r} has {dup.date.iloc[0]:%Y-%m-%d} twice",
                  "keep one record per post and date")
        g = g.sort_values("date")
        days = g["date"].dt.day
        step = "dekad" if days.isin(timesteps.DEKAD_STARTS).all() and (g["date"].diff().dt.days.dropna() >= 8).all() \
            and len(g) > 1 else "day"
        first, last = g["date"].iloc[0], g["date"].iloc[-1]
        if step == "day":
            full = pd.date_range(first, last, freq="D")
        else:
            months = pd.date_range(first.to_period("M").to_timestamp(), last, freq="MS")
            full = pd.DatetimeIndex([m + pd.Timedelta(days=d - 1) for m in months for d in timesteps.DEKAD_STARTS])
            full = full[(full >= first) & (full <= last)]
        s = pd.Series(g["value"].to_numpy(), index=pd.DatetimeIndex(g["date"])).reindex(full)
        present = set(g["date"])
        for ts in full:
            if ts not in present:
                gaps.append(Gap(post, ts, "no record"))
            elif np.isnan(s[ts]):
                gaps.append(Gap(post, ts, "empty value"))
        unit, q = g["unit"].iloc[0], g["quantity"].iloc[0]
        if level_tables and post in level_tables and q != "level":
            _fail(file, int(g.row.iloc[0]), "unit", f"post {post!r} is recorded as {q} ({unit}), not as a level (m)",
                  "give a level-volume table only for a post recorded in m a.s.l.")
        if q == "level" and level_tables and post in level_tables:
            s, unit, q = _level_to_volume(file, post, g, s, level_tables[post]), "hm3", "storage"
        series[post], units[post], quantities[post], steps[post] = s, unit, q, step
    unknown = sorted(set(level_tables or {}) - set(series))
    if unknown:
        _fail(file, 1, "post", f"level-volume tables given for posts not in the file: {unknown}",
              f"name the posts as the file does ({sorted(series)})")
    return Gauges(series, units, quantities, steps, gaps, file)
