"""Level–area–volume tables of reservoirs: a measured water level [m a.s.l.] → volume [hm³] and area [km²].

A reservoir names its table in the basin file (``level_volume:``, a CSV path relative to the basin file, as the
series files are)::

    # comment lines: the table's sources and how it was made
    level_m,area_km2,volume_hm3,mark,source
    928.0,0.000,0.000,[D],bed: full level minus the greatest depth
    ...

Levels strictly increase; areas and volumes never decrease; every row has a mark ([P] published, [D] derived,
[E] estimate). Between rows, volume and area are linear in level (as a design table is read by hand). A level
outside the table is never extrapolated: :meth:`LevelVolume.volume` raises :class:`LevelOutOfRange`, which
gives the table's range so the caller can name the post and date.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .basin import Basin
from .loading import BUNDLED_DATA_PREFIX, DATA_DIR, PACKAGE_DIR

COLUMNS = ["level_m", "area_km2", "volume_hm3", "mark", "source"]
MARKS = ("[P]", "[D]", "[E]")


class LevelVolumeError(ValueError):
    """A level–volume table that cannot be used; the message names the file, row, field and fix."""


class LevelOutOfRange(LevelVolumeError):
    """A level below the table's first row or above its last (never extrapolated)."""

    def __init__(self, table: LevelVolume, level: float):
        self.table, self.level = table, level
        super().__init__(f"level {level:g} m is outside the level-volume table of {table.reservoir} "
                         f"({table.range_text()}, {table.file})")


@dataclass(frozen=True)
class LevelVolume:
    """One reservoir's table: levels [m a.s.l.], areas [km²], volumes [hm³], a mark and source per row."""

    reservoir: str
    level_m: np.ndarray
    area_km2: np.ndarray
    volume_hm3: np.ndarray
    marks: tuple[str, ...]
    sources: tuple[str, ...]
    file: str = ""

    @property
    def lowest_m(self) -> float:
        return float(self.level_m[0])

    @property
    def highest_m(self) -> float:
        return float(self.level_m[-1])

    def range_text(self) -> str:
        return f"{self.lowest_m:g}-{self.highest_m:g} m a.s.l."

    def _check(self, levels: np.ndarray) -> None:
        bad = ~np.isnan(levels) & ((levels < self.lowest_m) | (levels > self.highest_m))
        if bad.any():
            raise LevelOutOfRange(self, float(levels[np.argmax(bad)]))

    def volume(self, level_m: float | np.ndarray) -> np.ndarray:
        """Volume [hm³] at each level [m a.s.l.], linear between rows; NaN stays NaN (a gap is not filled)."""
        lv = np.atleast_1d(np.asarray(level_m, dtype=float))
        self._check(lv)
        return np.where(np.isnan(lv), np.nan, np.interp(lv, self.level_m, self.volume_hm3))

    def area(self, level_m: float | np.ndarray) -> np.ndarray:
        """Surface area [km²] at each level [m a.s.l.], linear between rows."""
        lv = np.atleast_1d(np.asarray(level_m, dtype=float))
        self._check(lv)
        return np.where(np.isnan(lv), np.nan, np.interp(lv, self.level_m, self.area_km2))


def _fail(file: str, row: int, fld: str, problem: str, fix: str) -> LevelVolumeError:
    return LevelVolumeError(f"{file}, row {row}, field {fld!r}: {problem}; {fix}")


def from_table(df: pd.DataFrame, reservoir: str, file: str = "<table>") -> LevelVolume:
    """Check and build a table (row numbers in messages count the CSV's header as row 1, comments excluded)."""
    df = df.rename(columns=lambda c: str(c).strip())
    for col in COLUMNS:
        if col not in df.columns:
            raise _fail(file, 1, col, "column missing", "the header is " + ",".join(COLUMNS))
    if len(df) < 2:
        raise _fail(file, 2, "level_m", f"{len(df)} row(s)", "give at least the bed and the full-supply rows")
    num = {}
    for col in ("level_m", "area_km2", "volume_hm3"):
        v = pd.to_numeric(df[col], errors="coerce").to_numpy(float)
        bad = ~np.isfinite(v) | ((v < 0) if col != "level_m" else np.zeros(len(v), bool))
        if bad.any():
            i = int(np.argmax(bad))
            raise _fail(file, i + 2, col, f"{df[col].iloc[i]!r} is not a number" + (" >= 0" if col != "level_m" else ""),
                        "write the table's figure")
        num[col] = v
    d = np.diff(num["level_m"])
    if (d <= 0).any():
        i = int(np.argmax(d <= 0)) + 1
        raise _fail(file, i + 2, "level_m", f"{num['level_m'][i]:g} m does not rise above the row before",
                    "list the levels in increasing order, each once")
    for col in ("area_km2", "volume_hm3"):
        d = np.diff(num[col])
        if (d < 0).any():
            i = int(np.argmax(d < 0)) + 1
            raise _fail(file, i + 2, col, f"{num[col][i]:g} is below the row before", f"{col} never decreases "
                        "with the level")
    marks = tuple(str(m).strip() for m in df["mark"])
    for i, m in enumerate(marks):
        if m not in MARKS:
            raise _fail(file, i + 2, "mark", f"{m!r} is not a mark", "use [P] published, [D] derived or [E] estimate")
    sources = tuple("" if pd.isna(s) else str(s).strip() for s in df["source"])
    for i, s in enumerate(sources):
        if not s:
            raise _fail(file, i + 2, "source", "empty", "say where the figure comes from")
    return LevelVolume(reservoir, num["level_m"], num["area_km2"], num["volume_hm3"], marks, sources, file)


def read(path: str | Path, reservoir: str) -> LevelVolume:
    path = Path(path)
    if not path.is_file():
        raise LevelVolumeError(f"{path}: no such file; give the level-volume table of {reservoir} "
                               "(level_m,area_km2,volume_hm3,mark,source)")
    return from_table(pd.read_csv(path, comment="#", dtype={"mark": str, "source": str}), reservoir, str(path))


def _resolve(basin: Basin, rel: str) -> Path:
    if basin.path is None:
        raise LevelVolumeError(f"basin {basin.id}: its level-volume table {rel!r} is a file path, which an "
                               "uploaded basin cannot follow; load the basin from its folder")
    base = Path(basin.path).resolve().parent
    if base == PACKAGE_DIR and rel.startswith(BUNDLED_DATA_PREFIX):  # a bundled basin (as basins.loading)
        return (DATA_DIR / rel[len(BUNDLED_DATA_PREFIX):]).resolve()
    p = (base / rel).resolve()
    if Path(rel).is_absolute() or not p.is_relative_to(base.parent):
        raise LevelVolumeError(f"basin {basin.id}: level_volume {rel!r} must be a relative path inside the "
                               "basin's folder tree")
    return p


def for_reservoir(basin: Basin, node: str) -> LevelVolume:
    """The table the basin file names for reservoir ``node``."""
    res = {r.node: r for r in basin.spec.reservoirs}
    if node not in res:
        raise LevelVolumeError(f"basin {basin.id}: {node!r} is not a reservoir (reservoirs: {sorted(res)})")
    rel = res[node].level_volume
    if not rel:
        raise LevelVolumeError(f"basin {basin.id}, reservoir {node}: no level-volume table (add level_volume: "
                               "PATH.csv to the reservoir in the basin file)")
    return read(_resolve(basin, rel), node)
