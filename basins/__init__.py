"""Basins as data: the Chu and Talas networks, agreement rules and monthly series.

    >>> import basins
    >>> basins.available()
    ['chu', 'talas']
    >>> chu = basins.load("chu")          # validated Basin; raises BasinError listing every problem
    >>> chu.inflow.sel(year_type="normal").sum().item()   # natural inflow [hm³/yr]
"""

from .basin import Basin
from .errors import BasinError, Problem
from .loading import available, dumps, load, loads, save
from .schema import BasinSpec
from .series import days_in_month, hm3_to_m3s, m3s_to_hm3, step_days

__all__ = ["Basin", "BasinError", "BasinSpec", "Problem", "available", "dumps", "load", "loads", "save",
           "days_in_month", "hm3_to_m3s", "m3s_to_hm3", "step_days"]
