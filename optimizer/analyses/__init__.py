"""Analyses built on the core: calibration, validation, scenarios, ensembles, trade-offs, hydropower, run comparison."""
