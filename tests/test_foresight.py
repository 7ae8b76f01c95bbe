"""Perfect foresight against the month-by-month (myopic) operator, and the objective recomputed from a Result.

The myopic allocation is feasible for the perfect-foresight LP (each month's rules hold month by month,
so they hold over the year; the end storage is free for both), so valued by the same objective it can
never cost less than the perfect-foresight optimum.
"""

from __future__ import annotations

import pytest

import basins
import optimizer
from optimizer.core import result as res
from fixtures import demand, network, reservoir
from optimizer.core.model import FLOW_COST, make_inputs
from optimizer.core.solver import horizon, inflow_series


def allocation_cost(r) -> float:
    """The priority cost of the reported allocation: the LP's optimum (``objective``, stage 1) plus what the
    tie-break of stage 2 (optimizer.core.second_stage) adds, within its proven bound."""
    above = r.manifest["stage2_cost_above_optimum"]
    assert -1e-6 <= above <= r.manifest["stage2_cost_bound"]
    return r.objective + above


@pytest.fixture(scope="module", params=["chu", "talas"])
def basin(request):
    return basins.load(request.param)


def inputs(basin, year_type, *, start="2025-01", months=12, end_storage="initial", operation="agreement"):
    """The model inputs ``optimizer.solve`` builds for these options."""
    times = horizon(start, months)
    return make_inputs(basin, times, inflow_series(basin, times, year_type), end_storage=end_storage,
                       upstream_first=operation == "status-quo")


@pytest.mark.parametrize("year_type", ["dry", "very-dry"])
def test_perfect_foresight_is_never_worse_than_myopic(basin, year_type):
    perfect = optimizer.solve(basin, year_type, foresight="perfect", end_storage="free")
    myopic = optimizer.solve(basin, year_type, foresight="myopic", end_storage="free")
    assert perfect.objective <= myopic.objective + 1e-6
    # and both are the same function of the allocation: the myopic objective is the recomputed one
    inp = inputs(basin, year_type, end_storage="free")
    assert myopic.objective == pytest.approx(res.objective(myopic.dataset, inp, myopic.ledger), rel=1e-12)


@pytest.mark.parametrize("year_type", ["wet", "normal", "dry", "very-dry"])
@pytest.mark.parametrize("end_storage", ["initial", "free"])
def test_objective_recomputed_from_the_result_equals_the_lp(basin, year_type, end_storage):
    r = optimizer.solve(basin, year_type, end_storage=end_storage)
    recomputed = res.objective(r.dataset, inputs(basin, year_type, end_storage=end_storage), r.ledger)
    assert recomputed == pytest.approx(allocation_cost(r), rel=1e-7, abs=1e-6)


def test_objective_recomputed_in_status_quo_operation(basin):
    r = optimizer.solve(basin, "dry", operation="status-quo")
    recomputed = res.objective(r.dataset, inputs(basin, "dry", operation="status-quo"), r.ledger)
    assert recomputed == pytest.approx(allocation_cost(r), rel=1e-7, abs=1e-6)


def test_objective_recomputed_over_three_years():
    basin = basins.load("chu")
    r = optimizer.solve(basin, "very-dry", months=36)
    recomputed = res.objective(r.dataset, inputs(basin, "very-dry", months=36), r.ledger)
    assert recomputed == pytest.approx(allocation_cost(r), rel=1e-7, abs=1e-6)


def test_myopic_operator_spends_what_february_needs():
    # January brings 100 hm³ to an empty reservoir. A low-priority January demand (priority 10, weight 1)
    # wants 100; a high-priority February demand (priority 1, weight 10) wants 60 and February brings nothing.
    # Perfect foresight keeps 60 for February: 60 short at weight 1. The myopic operator values storage at
    # 0.1 per hm³ only, so it gives January all 100: 60 short at weight 10.
    b = network({"IN": "inflow", "R": "reservoir", "JAN": "demand", "FEB": "demand", "OUT": "sink"},
                ["IN -> R", "R -> JAN", "R -> FEB", "R -> OUT"],
                reservoirs=[reservoir("R", 200)], demands=[demand("JAN", priority=10), demand("FEB", priority=1)],
                inflow={"IN": [100, 0]}, demand={"JAN": [100, 0], "FEB": [0, 60]})
    perfect = optimizer.solve(b, start="2025-01", months=2, end_storage="free")
    myopic = optimizer.solve(b, start="2025-01", months=2, end_storage="free", foresight="myopic")
    p, m = perfect.dataset["delivery_hm3"], myopic.dataset["delivery_hm3"]
    assert float(p.sel(demand="JAN")[0]) == pytest.approx(40, abs=1e-6)
    assert float(p.sel(demand="FEB")[1]) == pytest.approx(60, abs=1e-6)
    assert float(m.sel(demand="JAN")[0]) == pytest.approx(100, abs=1e-6)
    assert float(m.sel(demand="FEB")[1]) == pytest.approx(0, abs=1e-6)
    flows = FLOW_COST * (100 + 100)  # IN → R, then R → JAN / FEB
    assert perfect.objective == pytest.approx(60 * 1 + flows, abs=1e-9)
    assert myopic.objective == pytest.approx(60 * 10 + flows, abs=1e-9)


def test_myopic_operation_has_no_end_storage_target():
    import pytest

    with pytest.raises(ValueError, match="no end-of-horizon storage target"):
        optimizer.solve("talas", "dry", foresight="myopic", end_storage="initial")
    r = optimizer.solve("talas", "dry", foresight="myopic")
    assert r.manifest["options"]["end_storage"] == "free"
