"""The optimiser: a monthly linear programme of a :class:`basins.Basin` under its agreement rules.

    >>> import basins, optimizer
    >>> r = optimizer.solve(basins.load("chu"), year_type="normal", months=12)

``solve`` is imported on first use, so ``import optimizer`` (and the ``chutalas``
command line) stays fast and does not load Pyomo until a model is built.
"""

from __future__ import annotations

from importlib import import_module

__version__ = "0.1.0"  # the package version (pyproject.toml reads it from here)

_LAZY = {  # public name -> module that defines it
    "solve": ".core.solver",
    "Reoptimizer": ".core.reoptimize",
    "clear_cache": ".core.solver",
    "pareto": ".analyses.tradeoffs",
    "Result": ".core.result",
    "SolveError": ".core.errors",
    "InfeasibleAgreement": ".core.errors",
    "PhysicallyInfeasible": ".core.errors",
    "SolverLimit": ".core.errors",
    "SolverFailure": ".core.errors",
    "solve_ensemble": ".analyses.ensemble",
    "generate": ".analyses.scenarios",
}

__all__ = list(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
