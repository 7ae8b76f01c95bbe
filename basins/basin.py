"""The validated ``Basin``: the network as pandas tables, the monthly series as xarray."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import xarray as xr

from .schema import BasinSpec, Demand, Reservoir


@dataclass
class Basin:
    """A validated basin. Build it with :func:`basins.load`; never construct it from unchecked data.

    Attributes
    ----------
    spec : BasinSpec
        The declarations of the basin file (nodes, links, reservoirs, demands, agreement).
    inflow : xr.DataArray
        Natural inflow [hm³/month], dims ``(year_type, month, node)`` over the inflow nodes.
    demand : xr.DataArray
        Demand at the demand node [hm³/month], dims ``(month, node)``.
    evaporation : xr.DataArray
        Open-water evaporation depth [mm/month], dims ``(month, node)`` over the reservoirs.
    path : Path | None
        The file it was loaded from, if any.
    """

    spec: BasinSpec
    inflow: xr.DataArray
    demand: xr.DataArray
    evaporation: xr.DataArray
    path: Path | None = field(default=None, compare=False)

    # ---- identity -------------------------------------------------------------------------
    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def name(self) -> str:
        return self.spec.name

    def sha256(self, *, inflow: bool = True) -> str:
        """Hash of everything that determines a solve: the declarations and every series value; with
        ``inflow=False``, everything but the inflow tables (two basins with equal such hashes differ at most in
        their typical-year inflows: optimizer.Reoptimizer.set_basin_inflow)."""
        h = hashlib.sha256()
        spec = self.spec.model_dump(mode="json", exclude={"series_files", "series_inline"})
        h.update(json.dumps(spec, sort_keys=True).encode())
        if not inflow:
            h.update(b"without the inflow tables")
        for da in ((self.inflow,) if inflow else ()) + (self.demand, self.evaporation):
            h.update(json.dumps([list(map(str, da[d].values)) for d in da.dims]).encode())
            h.update(da.values.astype("<f8").tobytes())
        return h.hexdigest()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Basin) and self.sha256() == other.sha256()

    # ---- tables ---------------------------------------------------------------------------
    @property
    def nodes(self) -> pd.DataFrame:
        """One row per node: name, kind, country, lat, lon."""
        return pd.DataFrame([n.model_dump() for n in self.spec.nodes]).set_index("id")

    @property
    def links(self) -> pd.DataFrame:
        """One row per link: source, target, capacity (+unit, NaN = unlimited), loss, minimum flow."""
        return pd.DataFrame([link.model_dump() for link in self.spec.links]).set_index("id")

    @property
    def reservoirs(self) -> pd.DataFrame:
        return pd.DataFrame([r.model_dump() for r in self.spec.reservoirs],
                            columns=list(Reservoir.model_fields)).set_index("node")

    @property
    def demands(self) -> pd.DataFrame:
        return pd.DataFrame([d.model_dump() for d in self.spec.demands],
                            columns=list(Demand.model_fields)).set_index("node")

    @property
    def year_types(self) -> list[str]:
        return list(self.spec.year_types)

    @property
    def effective_demand(self) -> xr.DataArray:
        """Demand the model serves [hm³/month]: the demand series × each demand's ``demand_factor``."""
        factor = xr.DataArray([d.demand_factor for d in self.spec.demands], dims="node",
                              coords={"node": [d.node for d in self.spec.demands]})
        return (self.demand * factor).assign_attrs(self.demand.attrs)

    def annual_inflow_hm3(self) -> pd.Series:
        """Total natural inflow of the basin per year type [hm³/yr]."""
        return self.inflow.sum(["month", "node"]).to_series().rename("inflow_hm3_per_year")

    def copy(self) -> "Basin":
        return Basin(self.spec.model_copy(deep=True), self.inflow.copy(deep=True), self.demand.copy(deep=True),
                     self.evaporation.copy(deep=True), self.path)

    def save(self, path: str | Path, inline: bool = False) -> Path:
        """Write the basin file. Series go to the CSV files it names (default ``<stem>_data/*.csv`` beside
        it), or into the YAML itself with ``inline=True`` so that one file carries a whole scenario. Saved to
        another file, the reservoirs' level-volume tables are copied into ``<stem>_data/`` as well (an inline
        file keeps their paths: a level-volume table is not inlined)."""
        from .loading import save

        return save(self, path, inline=inline)
