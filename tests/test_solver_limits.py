"""What happens when HiGHS does not simply return an optimum: time limits, other statuses, numbers that
should never reach it, and a badly scaled network.

Every failure is a typed :class:`optimizer.SolveError` (or a ValueError for a bad option) with a plain
message, and the command line turns each into exit code 2 with that message on stderr, never a traceback.
"""

from __future__ import annotations

import inspect
import math
from types import SimpleNamespace

import numpy as np
import pytest
import pyomo.environ as pyo
from pyomo.contrib.solver.common.results import TerminationCondition
from pyomo.repn import generate_standard_repn

import basins
import optimizer
from fixtures import demand, network, reservoir
from optimizer.core import solver
from optimizer.interfaces.cli import build_parser, main
from optimizer.core.model import build, make_inputs
from test_balance import TOL, check_result, node_imbalance

TINY = 1e-9  # seconds: no LP of these basins is proved optimal that fast


@pytest.fixture(scope="module")
def talas():
    return basins.load("talas")


def _no_traceback(text: str) -> None:
    assert "Traceback" not in text and 'File "' not in text, text


# ---- time limits ------------------------------------------------------------------------------------------

def test_default_time_limit_is_60_seconds_in_the_api_and_the_cli():
    assert inspect.signature(optimizer.solve).parameters["time_limit"].default == 60.0
    args = build_parser().parse_args(["solve", "chu"])
    assert args.time_limit == 60.0
    assert build_parser().parse_args(["solve", "chu", "--time-limit", "5"]).time_limit == 5.0


@pytest.mark.parametrize("foresight", ["perfect", "myopic"])
def test_time_limit_hit_is_a_typed_solver_limit_with_a_plain_message(talas, foresight):
    with pytest.raises(optimizer.SolverLimit) as exc:
        optimizer.solve(talas, "dry", months=24, foresight=foresight, time_limit=TINY)
    msg = str(exc.value)
    assert isinstance(exc.value, optimizer.SolveError)
    assert "stopped at its limit" in msg and "time limit 1e-09 s" in msg and "--time-limit" in msg, msg
    _no_traceback(msg)


def test_a_time_limit_is_not_sticky_on_the_kept_model(talas):
    # the persistent model is kept between calls: a limit hit must not change the next solve's answer
    optimizer.clear_cache()
    fresh = optimizer.solve(talas, "dry", months=24)
    with pytest.raises(optimizer.SolverLimit):
        optimizer.solve(talas, "dry", months=24, time_limit=TINY)
    again = optimizer.solve(talas, "dry", months=24)
    assert again.manifest["model_reused"]
    assert again.objective == fresh.objective
    assert np.array_equal(again.dataset["flow_hm3"].values, fresh.dataset["flow_hm3"].values)
    assert optimizer.solve(talas, "dry", months=24, time_limit=None).objective == fresh.objective


def test_cli_time_limit_hit_exits_2_with_the_message(capsys):
    assert main(["solve", "talas", "--months", "24", "--time-limit", "1e-9"]) == 2
    out, err = capsys.readouterr()
    assert "chutalas solve: HiGHS stopped at its limit (maxTimeLimit, time limit 1e-09 s)" in err
    assert "raise --time-limit" in err and out == ""
    _no_traceback(err)


@pytest.mark.parametrize("value", ["0", "-1", "nan", "-inf"])
def test_cli_refuses_a_meaningless_time_limit(capsys, value):
    # before: -1 was rejected by HiGHS and the previous call's limit silently stayed in force, NaN meant none
    assert main(["solve", "talas", f"--time-limit={value}"]) == 2
    err = capsys.readouterr().err
    assert "time limit must be a positive number of seconds" in err, err
    _no_traceback(err)


@pytest.mark.parametrize("value", [0.0, -5.0, float("nan")])
def test_solve_refuses_a_meaningless_time_limit(talas, value):
    with pytest.raises(ValueError, match="time limit must be a positive number"):
        optimizer.solve(talas, time_limit=value)


def test_time_limit_in_the_infeasibility_diagnosis_is_a_solver_limit(monkeypatch):
    # the first LP proves the hard rules infeasible; the elastic re-solve then hits the limit: that is a
    # SolverLimit, not a claim that the physics is infeasible (the message before this fix)
    b = network({"IN": "inflow", "B": "border KZ", "OUT": "sink KZ"}, ["IN -> B", "B -> OUT"],
                agreement={"quotas": [{"id": "q", "party": "KZ", "period": "month", "volume_hm3": 500.0,
                                       "receipts": {"links": ["IN_B"]}}]},
                inflow={"IN": [100]})
    with pytest.raises(optimizer.InfeasibleAgreement):
        optimizer.solve(b, months=1)
    real, calls = solver._run, []

    def second_call_times_out(entry, time_limit):
        calls.append(time_limit)
        return real(entry, TINY if len(calls) == 2 else time_limit)

    monkeypatch.setattr(solver, "_run", second_call_times_out)
    with pytest.raises(optimizer.SolverLimit, match="while finding which rules conflict"):
        optimizer.solve(b, months=1)
    assert len(calls) == 2


# ---- other HiGHS statuses ---------------------------------------------------------------------------------

@pytest.mark.parametrize("status, error, words", [
    (TerminationCondition.maxTimeLimit, optimizer.SolverLimit, "stopped at its limit (maxTimeLimit"),
    (TerminationCondition.iterationLimit, optimizer.SolverLimit, "stopped at its limit (iterationLimit"),
    (TerminationCondition.unbounded, optimizer.SolverFailure, "status unbounded"),
    (TerminationCondition.error, optimizer.SolverFailure, "status error"),
    # a Ctrl-C caught by HiGHS is an interruption (the CLI says "interrupted", exit 130), not a solver failure
    (TerminationCondition.interrupted, KeyboardInterrupt, ""),
    (TerminationCondition.unknown, optimizer.SolverFailure, "status unknown"),
    (TerminationCondition.minStepLength, optimizer.SolverFailure, "badly scaled"),
])
def test_every_non_optimal_status_is_a_typed_error(monkeypatch, talas, status, error, words):
    monkeypatch.setattr(solver, "_run", lambda entry, time_limit: SimpleNamespace(termination_condition=status))
    with pytest.raises(error) as exc:
        optimizer.solve(talas, "dry")
    assert words in str(exc.value)
    _no_traceback(str(exc.value))


def test_cli_reports_a_solver_failure_with_exit_2(monkeypatch, capsys):
    monkeypatch.setattr(solver, "_run", lambda entry, time_limit: SimpleNamespace(
        termination_condition=TerminationCondition.error))
    assert main(["solve", "talas"]) == 2
    err = capsys.readouterr().err
    assert "HiGHS ended with status error" in err
    _no_traceback(err)


def _objective_terms(m):
    repn = generate_standard_repn(m.cost.expr, compute_values=True)
    assert repn.is_linear()
    return list(zip(repn.linear_vars, repn.linear_coefs))


@pytest.mark.parametrize("name", ["chu", "talas"])
@pytest.mark.parametrize("mode", ["perfect", "myopic month", "elastic"])
def test_the_lp_cannot_be_unbounded(name, mode):
    """Why "unbounded" never happens, checked on the built model.

    Every variable has a finite lower bound (flows, deliveries, spills, outflows and slacks ≥ 0, storage
    ≥ dead storage). Every objective coefficient on a variable without an upper bound is ≥ 0: flows
    (FLOW_COST), spill (SPILL_PENALTY), minimum-flow shortfall (ENV_PENALTY), soft-rule excess (penalty
    ≥ 0 by the schema), end-storage shortfall (ELASTIC_PENALTY). The only negative coefficients are on
    bounded variables: deliveries (−w_d, q ≤ demand) and, in the myopic model, the end storage (−v,
    s ≤ capacity). So the objective is bounded below by Σ_{c<0} c·ub + Σ_{c>0} c·lb, and HiGHS's
    "infeasible or unbounded" can only mean infeasible (solver.py diagnoses it as such)."""
    from optimizer.core.model import set_elastic
    from optimizer.core.solver import MYOPIC_STORAGE_VALUE, horizon, inflow_series

    b = basins.load(name)
    times = horizon("2025-01", 1 if mode == "myopic month" else 12)
    inp = make_inputs(b, times, inflow_series(b, times, "dry"), end_storage="free" if mode != "perfect" else "initial",
                      storage_value=MYOPIC_STORAGE_VALUE if mode == "myopic month" else 0.0,
                      monthly_rules=mode == "myopic month")
    m = build(inp)
    if mode == "elastic":
        set_elastic(m, inp, True)
    terms = _objective_terms(m)
    assert terms
    in_objective = {id(v) for v, _ in terms}
    for v in m.component_data_objects(ctype=pyo.Var):
        assert v.lb is not None and math.isfinite(v.lb), v.name
    negative = 0
    for v, c in terms:
        if c < 0:
            negative += 1
            assert v.ub is not None and math.isfinite(v.ub), f"{v.name} has cost {c} and no upper bound"
    assert negative > 0 and in_objective  # the bound matters: there are negative costs, all on bounded variables


def test_physically_infeasible_is_typed_and_says_why():
    # a reservoir at its dead storage whose surface still evaporates in a dry month: the storage would have to
    # fall below dead storage, which no rule relaxation can fix (a known limit of the linear area model)
    b = network({"IN": "inflow", "R": "reservoir", "OUT": "sink"}, ["IN -> R", "R -> OUT"],
                reservoirs=[reservoir("R", 100.0, dead=10.0, initial=10.0, area_km2_at_dead=5.0,
                                      area_km2_at_full=10.0)],
                inflow={"IN": [0.0]}, evaporation={"R": [100.0]})
    with pytest.raises(optimizer.PhysicallyInfeasible) as exc:
        optimizer.solve(b, months=1, end_storage="free")
    assert "dead storage against evaporation" in str(exc.value)
    assert not isinstance(exc.value, optimizer.InfeasibleAgreement)
    # HiGHS's IIS in words: the reservoir's balance and its storage limits in that month
    msg = str(exc.value)
    assert "irreducible infeasible set" in msg
    assert "water balance at " in msg and "(R) in 2025-01" in msg
    assert "storage limits of " in msg and "R" in msg.split("storage limits of ", 1)[1][:40]


# ---- numbers that must never reach HiGHS ------------------------------------------------------------------

def _edit_link_capacity(b, value):
    i = next(i for i, lk in enumerate(b.spec.links) if lk.capacity is not None)
    b.spec.links[i] = b.spec.links[i].model_copy(update={"capacity": value})  # model_copy skips validation


def _edit_share(b, value):
    r = b.spec.agreement.share_rules[0]
    b.spec.agreement.share_rules[0] = r.model_copy(update={"shares": {**r.shares, "KZ": value}})


def _edit_area(b, value):
    b.spec.reservoirs[0] = b.spec.reservoirs[0].model_copy(update={"area_km2_at_full": value})


SNEAKED = {  # a Basin changed in memory after basins.load (validation ran before the change)
    "NaN inflow": (lambda b: b.inflow.values.__setitem__((slice(None), 0, 0), np.nan), "inflow of"),
    "inf inflow": (lambda b: b.inflow.values.__setitem__((slice(None), 3, 0), np.inf), "inflow of"),
    "1e300 inflow": (lambda b: b.inflow.values.__setitem__((slice(None), 3, 0), 1e300), "inflow of"),
    "NaN demand": (lambda b: b.demand.values.__setitem__((5, 0), np.nan), "demand of"),
    "negative demand": (lambda b: b.demand.values.__setitem__((5, 0), -1.0), "demand of"),
    "inf evaporation": (lambda b: b.evaporation.values.__setitem__((slice(None), 0), np.inf), "evaporation of"),
    "NaN capacity": (lambda b: _edit_link_capacity(b, float("nan")), "capacity of"),
    "inf capacity": (lambda b: _edit_link_capacity(b, float("inf")), "capacity of"),
    "NaN share": (lambda b: _edit_share(b, float("nan")), "shares.KZ is nan"),
    "NaN reservoir area": (lambda b: _edit_area(b, float("nan")), "area_km2_at_full is nan"),
}


@pytest.fixture
def never_solved(monkeypatch):
    """Fail the test if a model is built or HiGHS is called."""
    def refuse(*a, **k):
        raise AssertionError("the model was built or solved")
    monkeypatch.setattr(solver, "build", refuse)
    monkeypatch.setattr(solver, "_run", refuse)
    solver.clear_cache()
    yield
    solver.clear_cache()


@pytest.mark.parametrize("case", list(SNEAKED))
def test_nan_or_inf_that_sneaked_past_validation_is_refused_before_the_solve(talas, never_solved, case):
    edit, words = SNEAKED[case]
    b = talas.copy()
    edit(b)
    with pytest.raises(ValueError) as exc:
        optimizer.solve(b, "normal")
    msg = str(exc.value)
    assert words in msg and "Nothing was solved" in msg, msg


@pytest.mark.parametrize("storage, words", [
    ({"TA_R_KIR": float("nan")}, "initial storage of TA_R_KIR is nan"),
    ({"TA_R_KIR": -50.0}, "outside [dead storage"),
    ({"TA_R_KIR": 1e6}, "outside [dead storage"),
    ({"NOT_A_RESERVOIR": 10.0}, "not a reservoir (or aquifer) of talas"),
])
def test_bad_initial_storage_is_refused_before_the_solve(talas, never_solved, storage, words):
    # before: NaN reached Pyomo, -50 was reported as physically infeasible, 1e6 as an end-storage conflict,
    # an unknown name as KeyError 'TA_R_KIR'
    with pytest.raises(ValueError) as exc:
        optimizer.solve(talas, "normal", initial_storage=storage)
    assert words in str(exc.value)


def test_partial_initial_storage_keeps_the_basin_value_for_the_others(talas):
    r = optimizer.solve(talas, "normal", initial_storage={"TA_R_KIR": 200.0})
    assert float(r.dataset["storage_start_hm3"].isel(time=0).sel(reservoir="TA_R_KIR")) == 200.0


def test_end_storage_nan_and_explicit_inflow_nan_are_refused(talas, never_solved):
    with pytest.raises(ValueError, match="end storage of 'TA_R_KIR' is nan"):
        optimizer.solve(talas, "normal", end_storage={"TA_R_KIR": float("nan")})
    q = solver.inflow_series(talas, solver.horizon("2025-01", 3), "normal").copy()
    q.values[1, 0] = np.nan
    with pytest.raises(ValueError, match="NaN, infinite or negative"):
        optimizer.solve(talas, inflow=q)


# ---- scaling ----------------------------------------------------------------------------------------------

def _badly_scaled(big: float = 1e6, small: float = 1e-3):
    """One network holding volumes from ``small`` to ``big`` hm³: a huge and a tiny reservoir, a tiny canal
    (in hm³/month and in m³/s) next to a huge one, a 0.1 % share, demands of 0.001 and 100,000 hm³."""
    return network(
        {"IN": "inflow", "BIG": "reservoir", "J": "junction", "SMALL": "reservoir", "DS": "demand", "DB": "demand",
         "B": "border KZ", "DZ": "demand KZ", "OUT": "sink KZ"},
        ["IN -> BIG", "BIG -> J", ("J -> SMALL", {"capacity": small, "capacity_unit": "hm3/month"}),
         ("SMALL -> DS", {"capacity": small, "capacity_unit": "m3/s"}), "SMALL -> B",
         ("J -> DB", {"capacity": big, "capacity_unit": "hm3/month"}), "J -> B",
         ("B -> DZ", {"capacity": small / 2, "capacity_unit": "m3/s", "loss_fraction": 0.001}), "B -> OUT"],
        reservoirs=[reservoir("BIG", big, dead=big / 1000, initial=big / 2, area_km2_at_dead=0,
                              area_km2_at_full=big / 100),
                    reservoir("SMALL", small, initial=small / 2, area_km2_at_dead=0, area_km2_at_full=small / 10)],
        demands=[demand("DS", priority=1), demand("DB", priority=5, return_fraction=0.3, return_node="B"),
                 demand("DZ", "KZ", priority=2)],
        agreement={"share_rules": [{"id": "s", "resource_inflows": ["IN"], "period": "month",
                                    "shares": {"KZ": 0.001, "KG": 0.999},
                                    "receipts": {"KZ": {"links": ["J_B", "SMALL_B"]}, "KG": {"links": ["J_DB"]}},
                                    "enforce": ["KZ"], "mode": "hard"}]},
        inflow={"IN": [big / 10, small, 0, big / 20, big / 10, big / 5, big * 0.3, big / 10, 2 * small, 0, 0, big / 100]},
        demand={"DS": [small] * 12, "DB": [big / 10] * 12, "DZ": [2 * small] * 12},
        evaporation={"BIG": [100] * 12, "SMALL": [100] * 12})


@pytest.mark.parametrize("foresight", ["perfect", "myopic"])
def test_badly_scaled_network_still_closes_every_balance(foresight):
    b = _badly_scaled()
    r = optimizer.solve(b, start="2025-01", months=24, foresight=foresight,
                        end_storage="initial" if foresight == "perfect" else "free")
    assert r.manifest["status"] == "optimal"
    check_result(b, r)  # balances to 1e-6 hm³, bounds, ledger, hard share met
    ds = r.dataset
    # the tiny canals carry what they can, not more (their capacity is 6 orders below the big one's)
    assert float(ds["flow_hm3"].sel(link="J_SMALL").max()) <= 1e-3 + TOL


def test_largest_accepted_volumes_still_solve_to_the_balance_tolerance():
    # basin files may hold volumes up to basins.schema.MAX_VOLUME (1e9 hm³); at that size, next to 1e-3 hm³
    # canals, the balances still close to 1e-6 hm³
    from basins.schema import MAX_VOLUME

    b = _badly_scaled(big=MAX_VOLUME)
    r = optimizer.solve(b, start="2025-01", months=12, end_storage="free")
    worst = float(abs(node_imbalance(r.dataset)).max())
    assert worst <= TOL, worst


def test_highs_log_does_not_leak_to_stdout(capfd, talas):
    """HiGHS logs to the process's stdout unless told not to; a changeCoeff warning (a rule's share
    set to 0 on a kept model) used to appear between solves and would corrupt `chutalas solve --json`."""
    import yaml

    d = yaml.safe_load(basins.dumps(talas, inline=True))
    d["agreement"]["share_rules"][0]["shares"] = {"KZ": 0.0, "KG": 1.0}
    zero = basins.loads(yaml.safe_dump(d, sort_keys=False))
    capfd.readouterr()
    for b in (talas, zero, zero, talas, zero):
        optimizer.solve(b, "normal")
    out, err = capfd.readouterr()
    assert out == "" and "WARNING" not in err, (out, err)


def test_run_highs_retries_an_unsure_solve_with_each_option_set_and_puts_the_options_back():
    """second_stage.run_highs on a stand-in for highspy.Highs whose first two runs end Unknown: the solve is run
    again from scratch with RETRIES[0], then RETRIES[1], stops at the first sure status, and every option is
    back at its value afterwards."""
    import highspy

    from optimizer.core import second_stage as S2

    class Stub:
        def __init__(self):
            self.options = {"presolve": "choose", "simplex_strategy": 1, "simplex_scale_strategy": 1}
            self.runs, self.cleared = [], 0

        def run(self):
            self.runs.append(dict(self.options))

        def getModelStatus(self):
            return highspy.HighsModelStatus.kUnknown if len(self.runs) < 3 else highspy.HighsModelStatus.kOptimal

        def getInfo(self):
            return type("Info", (), {"primal_solution_status": 2})()

        def getOptionValue(self, k):
            return (highspy.HighsStatus.kOk, self.options[k])

        def setOptionValue(self, k, v):
            self.options[k] = v

        def clearSolver(self):
            self.cleared += 1

    h = Stub()
    assert S2.run_highs(h) is True
    assert len(h.runs) == 3 and h.cleared == 2
    assert h.runs[1] == {**h.runs[0], **S2.RETRIES[0]} and h.runs[2] == {**h.runs[0], **S2.RETRIES[1]}
    assert h.options == h.runs[0]  # put back
    sure = Stub()
    sure.runs = [{}, {}]  # its next run ends Optimal
    assert S2.run_highs(sure) is False and sure.cleared == 0


def test_fixed_columns_hand_their_cost_to_the_constant_and_the_talas_solves_first_time():
    """The cause of the unsure Talas solves (2026-12-03): the overdraft and end-storage shortfall columns are fixed
    at 0 outside the infeasibility diagnosis but cost 1e6 per hm³, and HiGHS's postsolve returned bases with dual
    infeasibilities of ~3.6e7. highs_lp moves a fixed column's cost into the objective's constant (the same LP,
    the same objective value): the 120-month Talas normal year, which needed a run without presolve, now solves at
    the first run, every row of the assembled LP holds to 1e-6 hm³, and its objective equals that of the LP with
    the costs where they were, solved through the retries."""
    import highspy

    from optimizer.core import second_stage as S2
    from optimizer.core import solver as S
    from optimizer.core.assemble_highs import fixed_cost_moved, highs_lp, new_highs
    from optimizer.core.highs_adapter import HIGHS_OPTIONS

    optimizer.clear_cache()
    r = optimizer.solve("talas", "normal", months=120)
    entry = next(e for e in S._cache.values() if getattr(e.lp, "assembled", None) is not None)
    assert r.manifest["status"] == "optimal" and not entry.lp.retried
    a, x = entry.lp.assembled, entry.lp.values()
    act = a.A @ x
    assert (act >= a.row_lo - 1e-6).all() and (act <= a.row_hi + 1e-6).all()
    assert (x >= a.col_lo - 1e-6).all() and (x <= a.col_hi + 1e-6).all()
    cost, offset = fixed_cost_moved(a)
    fixed = a.col_lo == a.col_hi
    assert (cost[fixed] == 0).all() and (cost[~fixed] == a.cost[~fixed]).all() and (a.cost[fixed] >= 1e6).any()
    assert offset == a.offset + float(a.cost[fixed] @ a.col_lo[fixed])
    moved, kept = new_highs(), new_highs()
    for h in (moved, kept):
        for k, v in {**HIGHS_OPTIONS, "output_flag": False}.items():
            h.setOptionValue(k, v)
    moved.passModel(highs_lp(a))
    lp = highs_lp(a)
    lp.col_cost_, lp.offset_ = a.cost, a.offset  # the costs where the model puts them
    kept.passModel(lp)
    assert S2.run_highs(moved) is False
    S2.run_highs(kept)
    assert kept.getModelStatus() == moved.getModelStatus() == highspy.HighsModelStatus.kOptimal
    z_moved, z_kept = moved.getInfo().objective_function_value, kept.getInfo().objective_function_value
    assert abs(z_moved - z_kept) <= 1e-7 * max(1.0, abs(z_kept)), (z_moved, z_kept)


def test_a_talas_ensemble_solves_every_member_at_the_first_run():
    """8 members × 120 months of the Talas (scenarios.generate, seed 1). Before the fixed columns' costs moved to the
    constant (assemble_highs.fixed_cost_moved), HiGHS ended 18 of 50 such members unsure at the first run and 5 of
    50 failed even after the retries (docs/ensembles.md §4); member 0 needed a retry and held its rows only to
    1e-4 hm³. Now every member is optimal and member 0's rows hold to 1e-6 hm³ without a retry."""
    import numpy as np

    from optimizer.analyses import ensemble, scenarios
    from optimizer.core import solver as S

    b = basins.load("talas")
    q = scenarios.generate(b, members=8, months=120, seed=1)
    first = q.isel(member=0).transpose("time", "node")
    first.attrs["units"] = "hm3"
    optimizer.clear_cache()
    r = optimizer.solve(b, inflow=first)
    entry = next(e for e in S._cache.values() if getattr(e.lp, "assembled", None) is not None)
    assert r.manifest["status"] == "optimal" and not entry.lp.retried
    a, x = entry.lp.assembled, entry.lp.values()
    act = a.A @ x
    assert (act >= a.row_lo - 1e-6).all() and (act <= a.row_hi + 1e-6).all()
    ds = ensemble.solve_ensemble(b, q, scheduler="synchronous")
    assert [str(s) for s in ds["status"].values] == ["optimal"] * 8
    st = ds["storage_hm3"].values
    assert np.isfinite(st).all() and (st >= 10.0 - 1e-6).all() and (st <= 550.0 + 1e-6).all()


def test_an_ensemble_member_does_not_depend_on_the_members_solved_before_it():
    """Ten Talas members (120 months) solved in file order and in reverse order give the same statuses and the same
    flows, bit for bit. Before 2026-12-03 a cold solve of a kept instance only pushed the changed bounds to it
    (push_changes), and what HiGHS kept from the previous member changed which of these members ended unsure: one
    SolverFailure in file order, three in reverse, the others' flows 1.6e-7 hm³ apart. A cold solve now passes the
    whole LP (solve_arrays.solve_entry), as a fresh instance gets it; only a warm start pushes bounds. (Since the
    fixed columns' costs moved to the constant, every one of these members solves; the flows must still agree.)"""
    import numpy as np

    from optimizer.analyses import ensemble, scenarios

    b = basins.load("talas")
    q = scenarios.generate(b, members=32, months=120, seed=1).isel(member=[5, 6, 7, 8, 22, 23, 24, 25, 30, 31])
    optimizer.clear_cache()
    fwd = ensemble.solve_ensemble(b, q, scheduler="synchronous")
    optimizer.clear_cache()
    rev = ensemble.solve_ensemble(b, q.isel(member=slice(None, None, -1)), scheduler="synchronous").sortby("member")
    assert list(fwd["status"].values) == list(rev["status"].values)
    assert "optimal" in set(fwd["status"].values)
    assert np.array_equal(fwd["flow_hm3"].values, rev["flow_hm3"].values, equal_nan=True)
    assert np.array_equal(fwd["storage_hm3"].values, rev["storage_hm3"].values, equal_nan=True)
