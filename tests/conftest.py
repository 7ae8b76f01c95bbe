"""Shared pytest set-up: Hypothesis profiles for the property-based tests (tests/test_properties.py).

    pytest tests/test_properties.py                             # "ci": 140 examples, derandomized (reproducible)
    pytest --hypothesis-profile=dev tests/test_properties.py    # "dev": 10,000 examples, random seed
    HYPOTHESIS_PROFILE=dev pytest tests/test_properties.py      # the same, from the environment
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# Each example solves several LPs (perfect foresight, free end storage, month by month): far slower than
# Hypothesis' default 200 ms deadline, and a first build of a model structure is slower still.
_SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large]

# (140: each example now also runs aquifers, storage accounts and dekads; the file's CPU time stays that of the
# 200 month-only examples before)
settings.register_profile("ci", max_examples=140, deadline=None, derandomize=True, database=None,
                          print_blob=True, suppress_health_check=_SLOW)
settings.register_profile("dev", max_examples=10_000, deadline=None, print_blob=True, suppress_health_check=_SLOW)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))  # --hypothesis-profile=NAME overrides this
