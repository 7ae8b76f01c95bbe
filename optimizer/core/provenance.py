"""What a run records about the software that made it: the versions of the packages and of HiGHS, for every
result's manifest (:func:`optimizer.core.solver.solve`) and every calibration report."""

from __future__ import annotations

import functools
import platform
from importlib import metadata


@functools.lru_cache(maxsize=1)
def versions() -> dict:
    def v(pkg):
        try:
            return metadata.version(pkg)
        except metadata.PackageNotFoundError:
            return "unknown"

    import highspy

    h = highspy.Highs()
    return {"chutalas": v("chutalas"), "pyomo": v("pyomo"), "highspy": v("highspy"),
            "highs": f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}", "xarray": v("xarray"),
            "pandas": v("pandas"), "python": platform.python_version()}
