"""Equal priority between states is a rule, not a tie-break (optimizer/core/fairshare.py)."""

import numpy as np
import pytest

import optimizer
from optimizer.core import model, solver

from fixtures import demand, network

TIE_BREAKS = ("FLOW_COST", "LOSS_COST", "SPILL_PENALTY")


def rivals(rule: str):
    """100 hm³ in January for KG (80, takes first, one link) and KZ (120, at the end of two links), both
    priority 3. A KZ 42 % / KG 58 % share rule is declared but costs nothing (soft, penalty 0)."""
    shares = {"id": "shares", "resource_inflows": ["IN"], "period": "month", "shares": {"KZ": 0.42, "KG": 0.58},
              "receipts": {"KZ": {"links": ["J_B"]}, "KG": {"links": ["J_KG"]}}, "enforce": ["KZ"],
              "mode": "soft", "penalty": 0}
    return network({"IN": "inflow", "J": "junction", "KG": "demand", "B": "border KZ", "KZ": "demand KZ",
                    "OUT": "sink KZ"},
                   ["IN -> J", "J -> KG", "J -> B", "B -> KZ", "B -> OUT"],
                   demands=[demand("KG", "KG"), demand("KZ", "KZ")],
                   agreement={"equal_priority": rule, "share_rules": [shares]},
                   inflow={"IN": [100]}, demand={"KG": [80], "KZ": [120]})


def deliveries(r):
    return r.dataset["delivery_hm3"].sel(time=r.dataset["time"][0]).to_series()


@pytest.mark.parametrize("rule, kg, kz", [
    ("equal-fraction", 40.0, 60.0),  # both get 100/200 = 50 % of their demand
    ("proportional-to-entitlement", 100 * 80 / 164, 100 * 84 / 164),  # f (58 % of 200 capped at 80, 42 % of 200 = 84)
])
def test_tiny_network_split_equals_hand_derived(rule, kg, kz):
    q = deliveries(optimizer.solve(rivals(rule), months=1))
    assert q["KG"] == pytest.approx(kg, abs=1e-6) and q["KZ"] == pytest.approx(kz, abs=1e-6)


def test_without_the_rule_the_tie_break_decides():
    # 'none': the one-link route to KG is cheaper by FLOW_COST, so KG is served in full -- the arbitrary
    # outcome the rule removes
    q = deliveries(optimizer.solve(rivals("none"), months=1))
    assert q["KG"] == pytest.approx(80, abs=1e-6) and q["KZ"] == pytest.approx(20, abs=1e-6)


def solve_scaled(monkeypatch, factor, *args, **kw):
    with monkeypatch.context() as mp:
        for name in TIE_BREAKS:
            mp.setattr(model, name, getattr(model, name) * factor)
        solver.clear_cache()  # the constants enter the objective when a model is built
        r = optimizer.solve(*args, **kw)
    solver.clear_cache()
    return r


def per_party(r):
    ds = r.dataset
    return ds["delivery_hm3"].groupby(ds["demand_party"]).sum("demand")  # (time, party)


@pytest.mark.parametrize("case", ["tiny", "chu"])
@pytest.mark.parametrize("factor", [10.0, 0.1])
def test_split_does_not_move_when_tie_breaks_are_scaled(monkeypatch, case, factor):
    args = ((rivals("equal-fraction"),), {"months": 1}) if case == "tiny" else (("chu", "normal"), {})
    base = solve_scaled(monkeypatch, 1.0, *args[0], **args[1])
    scaled = solve_scaled(monkeypatch, factor, *args[0], **args[1])
    np.testing.assert_allclose(per_party(scaled).values, per_party(base).values, atol=1e-6)
    np.testing.assert_allclose(scaled.dataset["delivery_hm3"].values, base.dataset["delivery_hm3"].values, atol=1e-6)


def test_status_quo_operation_serves_the_upstream_party_first():
    # status quo = KG intakes first (upstream weight); the equal-priority rule is an agreement rule
    q = deliveries(optimizer.solve(rivals("equal-fraction"), months=1, operation="status-quo"))
    assert q["KG"] == pytest.approx(80, abs=1e-6) and q["KZ"] == pytest.approx(20, abs=1e-6)


def test_proportional_rule_needs_a_share_rule():
    b = rivals("proportional-to-entitlement").copy()
    b.spec.agreement.share_rules = []
    with pytest.raises(ValueError, match="needs a share rule"):
        optimizer.solve(b, months=1)
