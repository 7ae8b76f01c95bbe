"""ε-constraint frontier (optimizer.analyses.tradeoffs.pareto), alternative agreements, clause values and the CLI."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pyomo.environ as pyo
import pytest
from pyomo.contrib.solver.solvers.highs import Highs

import basins
import optimizer
from optimizer.analyses import tradeoffs as T
from optimizer.analyses import frontier
from optimizer.interfaces import cli_tradeoffs
from optimizer.core.model import build

from fixtures import demand, network

TOL = 1e-6
POINTS = 5


@pytest.fixture(scope="module")
def frontiers():
    return {b: optimizer.pareto(b, "normal", points=POINTS) for b in ("chu", "talas")}


def scale(v: float) -> float:
    return max(1.0, abs(v))


# ---- the frontier ----------------------------------------------------------------------------------

@pytest.mark.parametrize("bid", ["chu", "talas"])
def test_frontier_monotone_and_concave(frontiers, bid):
    t = frontiers[bid].table
    assert (t["status"] == "optimal").all()
    assert len(t[t["kind"] == "grid"]) == POINTS
    t = t.sort_values("eps")
    eps, v, price = t["eps"].to_numpy(), t["kg_delivery_hm3"].to_numpy(), t["price"].to_numpy()
    assert np.all(np.diff(eps) >= -TOL)
    # KG delivery non-increasing as KZ's floor rises
    assert np.all(np.diff(v) <= TOL * scale(v.max())), v
    # LP duality: V is concave with supergradient -price, so V(e2) <= V(e1) - price1 (e2 - e1) for all pairs
    assert (price >= -TOL).all()
    for i in range(len(eps)):
        assert np.all(v <= v[i] - price[i] * (eps - eps[i]) + 1e-5 * scale(v.max()))
    # endpoints are the least and most KZ receipts attainable
    d = frontiers[bid].definitions
    assert eps[0] == pytest.approx(d["eps_min"]) and eps[-1] == pytest.approx(d["eps_max"], rel=1e-9, abs=1e-5)


def _independent_max_kg(basin, eps: float) -> float:
    """max KG delivery s.t. KZ receipts >= eps on a freshly built model (rules dropped, ε a constant)."""
    inp = frontier._horizon_inputs(basin, "normal", "2025-01", 12, "initial")
    inp.rules_enforced = False
    m = build(inp)
    rule = basin.spec.agreement.share_rules[0]
    m.cost.deactivate()
    m.check_eps = pyo.Constraint(expr=frontier._receipts_expr(m, rule.receipts["KZ"], range(inp.T)) >= float(eps))
    m.check_obj = pyo.Objective(expr=sum(m.q[d.node, t] for d in basin.spec.demands if d.party == "KG"
                                         for t in m.T), sense=pyo.maximize)
    r = Highs().solve(m)
    return float(r.incumbent_objective)


@pytest.mark.parametrize("bid", ["chu", "talas"])
def test_each_point_optimal_for_its_eps(frontiers, bid):
    basin = basins.load(bid)
    for row in frontiers[bid].table.itertuples():
        assert row.kg_delivery_hm3 == pytest.approx(_independent_max_kg(basin, row.eps), rel=1e-7, abs=1e-5)


@pytest.mark.parametrize("bid", ["chu", "talas"])
def test_agreement_point_on_or_inside(frontiers, bid):
    f = frontiers[bid]
    a = f.agreement
    r = optimizer.solve(bid, "normal")
    s = r.summary()
    # the agreement point is the ordinary solve's KZ receipts (first share rule) and KG delivery
    assert a["kz_received_hm3"] == pytest.approx(s.loc["KZ", "received_hm3"])
    assert a["kg_delivery_hm3"] == pytest.approx(s.loc["KG", "delivery_hm3"])
    assert a["kg_delivery_hm3"] <= f.value_at(a["kz_received_hm3"]) + TOL
    assert a["gap_kg_delivery_hm3"] >= -TOL


@pytest.mark.parametrize("bid", ["chu", "talas"])
def test_allocations_and_ledgers(frontiers, bid):
    f = frontiers[bid]
    for row in f.table.itertuples():
        ds = f.allocations[row.point]
        # stage 2 keeps the frontier: KZ receipts >= eps, KG delivery = V(eps)
        kz = float(ds["received_hm3"].sel(party="KZ").sum())
        assert kz == pytest.approx(row.kz_received_hm3) and kz >= row.eps - 1e-5
        kg = float(ds["delivery_hm3"].where(ds["demand_party"] == "KG", 0).sum())
        assert kg == pytest.approx(row.kg_delivery_hm3, abs=1e-5)
    led = f.ledgers
    assert set(led["point"]) == set(f.table["point"])
    assert list(led.columns[:2]) == ["point", "eps"] and "received_hm3" in led and led["shadow_price"].isna().all()
    assert f.timings["solves"] == 2 + 2 * len(f.table)  # range + two stages per point, one model
    json.dumps(f.to_dict())


def test_hard_rules_frontier_inside_physical(frontiers):
    hard = optimizer.pareto("talas", "normal", points=POINTS, rules="hard")
    phys = frontiers["talas"]
    for row in hard.table[hard.table["status"] == "optimal"].itertuples():
        assert row.kg_delivery_hm3 <= phys.value_at(row.eps) + 1e-5 or row.eps > phys.definitions["eps_max"]
    assert "dropped" in phys.definitions["rules"] and "kept" in hard.definitions["rules"]


def test_bad_arguments():
    with pytest.raises(ValueError, match="points"):
        optimizer.pareto("talas", points=1)
    with pytest.raises(ValueError, match="rules"):
        optimizer.pareto("talas", points=3, rules="soft")


# ---- alternative agreements ----------------------------------------------------------------------

def test_variant_specs():
    chu = basins.load("chu")
    v = T.variants(chu)
    assert list(v) == ["1983", "kg_claim", "kg_claim_no_quota", "commission_2023", "commission_2024",
                       "commission_2025"]
    claim = v["kg_claim"][1].spec.agreement
    assert [(r.period, r.shares["KG"], r.shares["KZ"]) for r in claim.share_rules] == \
        [("apr-sep", 0.80, 0.20), ("oct-mar", 0.58, 0.42)]
    assert len(claim.quotas) == 1 and not v["kg_claim_no_quota"][1].spec.agreement.quotas
    assert v["commission_2023"][1].spec.agreement.quotas[0].volume_hm3 == 154.0
    assert v["commission_2024"][1].spec.agreement.quotas[0].volume_hm3 == 180.0
    talas = T.variants("talas")
    assert talas["commission_2023"][1].spec.agreement.quotas[0].volume_hm3 == 344.7
    assert talas["commission_2024"][1].spec.agreement.quotas[0].volume_hm3 == 380.0
    # the original is untouched
    assert chu.spec.agreement.share_rules[0].period == "hydro-year" and chu.spec.agreement.quotas[0].volume_hm3 == 370


@pytest.mark.parametrize("bid,year_type", [("chu", "normal"), ("talas", "dry")])
def test_alternatives_table(bid, year_type):
    df = T.alternatives(bid, year_type)
    assert df["variant"].iloc[0] == "1983" and (df["status"] == "optimal").all()
    base = df.iloc[0]
    r = optimizer.solve(bid, year_type)
    assert base["kz_received_hm3"] == pytest.approx(r.summary().loc["KZ", "received_hm3"])
    assert base["objective"] == pytest.approx(r.objective, rel=1e-9)
    for c in T.ALT_DELTAS:
        assert df[f"d_{c}"].iloc[0] == 0
        assert np.allclose(df[f"d_{c}"], df[c] - base[c])
    assert ((df["kz_apr_sep_hm3"] + df["kz_oct_mar_hm3"]) - df["kz_received_hm3"]).abs().max() < 1e-6


def _claim_network():
    """KG (served first) above the border, KZ below; a 1983-style yearly 42/58 share at the border."""
    flow = [10, 10, 10, 50, 80, 100, 100, 80, 50, 20, 10, 10]
    return network(
        {"IN": "inflow", "J": "junction", "KG": "demand", "B": "border KZ", "KZ": "demand KZ", "OUT": "sink KZ"},
        ["IN -> J", "J -> KG", "J -> B", "B -> KZ", "B -> OUT"],
        demands=[demand("KG", "KG", priority=1), demand("KZ", "KZ", priority=5)],
        agreement={"share_rules": [{"id": "shares", "resource_inflows": ["IN"], "period": "year",
                                    "shares": {"KZ": 0.42, "KG": 0.58},
                                    "receipts": {"KZ": {"links": ["J_B"]}, "KG": {"links": ["J_KG"]}},
                                    "enforce": ["KZ"], "mode": "hard"}]},
        inflow={"IN": flow}, demand={"KG": [100] * 12, "KZ": [100] * 12})


def test_kg_claim_gives_kz_less_summer_water_when_binding():
    b = _claim_network()
    df = T.alternatives(b)
    summer_resource = 50 + 80 + 100 + 100 + 80 + 50  # 460 hm3 Apr-Sep
    base, claim = df.set_index("variant").loc["1983"], df.set_index("variant").loc["kg_claim"]
    assert base["kz_received_hm3"] == pytest.approx(0.42 * 530)  # the yearly 42 % binds
    r = optimizer.solve(T.kg_claim(b))
    row = r.ledger[(r.ledger["rule"] == "shares_apr_sep") & (r.ledger["party"] == "KZ")].iloc[0]
    assert row["shadow_price"] > 0  # the 80/20 row binds ...
    assert row["required_hm3"] == pytest.approx(0.20 * summer_resource)
    assert claim["kz_apr_sep_hm3"] == pytest.approx(0.20 * summer_resource)  # ... KZ gets 92 hm3 in Apr-Sep,
    assert claim["kz_apr_sep_hm3"] < 0.42 * summer_resource - 1  # not 193 (42 %)
    assert claim["kz_apr_sep_share"] == pytest.approx(0.20)
    assert claim["d_kg_delivery_hm3"] > 0 and claim["d_kz_received_hm3"] < 0  # what KG gains, KZ loses


@pytest.mark.parametrize("bid", ["chu", "talas"])
@pytest.mark.parametrize("year_type", ["normal", "very-dry"])
def test_kg_claim_rows_on_bundled_basins(bid, year_type):
    """Wherever the 80/20 Apr-Sep row binds, KZ gets 20 % of the Apr-Sep resource, below 42 %."""
    for keep_quotas in (True, False):
        r = optimizer.solve(T.kg_claim(bid, keep_quotas=keep_quotas), year_type)
        led = r.ledger
        rows = led[led["rule"].str.endswith("_apr_sep") & (led["party"] == "KZ")]
        assert len(rows) == 1
        row = rows.iloc[0]
        res_ = r.dataset["natural_inflow_hm3"].sel(
            node=basins.load(bid).spec.agreement.share_rules[0].resource_inflows).sum("node")
        summer = float(res_.where(r.dataset["time"].dt.month.isin([4, 5, 6, 7, 8, 9]), 0).sum())
        assert row["required_hm3"] == pytest.approx(0.20 * summer)
        if row["shadow_price"] > 1e-7:
            assert row["received_hm3"] == pytest.approx(row["required_hm3"], abs=1e-5)
            assert row["received_hm3"] < 0.42 * summer


# ---- clause values -------------------------------------------------------------------------------

@pytest.mark.parametrize("bid,year_type", [("chu", "normal"), ("talas", "normal"), ("talas", "very-dry")])
def test_clause_values_consistent_with_shadow_prices(bid, year_type):
    cv = T.clause_values(bid, year_type)
    spec = basins.load(bid).spec.agreement
    assert set(cv["rule"]) == {r.id for r in spec.share_rules + spec.quotas + spec.storage_splits}
    assert (cv["status"] == "optimal").all() and cv["consistent"].all()
    assert (cv["d_objective"] <= 1e-6).all()  # dropping a constraint cannot cost more
    for row in cv.itertuples():
        if row.binding:
            # the protected party is not better off by the rule's own measure once the rule is gone
            assert row.margin_after_hm3 <= 1e-6
            assert row.shadow_price > 0
        else:
            assert row.d_objective == pytest.approx(0, abs=1e-6)


def test_clause_value_of_binding_talas_share():
    cv = T.clause_values("talas", "normal").set_index("rule")
    assert cv.loc["talas_1983_shares", "binding"]  # it binds in the normal year with the bundled data
    row = cv.loc["talas_1983_shares"]
    assert row["d_kz_received_hm3"] <= 1e-6  # KZ, which the rule protects, does not gain
    assert row["d_kg_delivery_hm3"] >= -1e-6  # KG does not lose


def test_without_unknown_rule():
    with pytest.raises(ValueError, match="no rule"):
        T.without("chu", "nope")


# ---- command line --------------------------------------------------------------------------------

def _run(argv):
    p = argparse.ArgumentParser()
    cli_tradeoffs.add_arguments(p)
    return cli_tradeoffs.run(p.parse_args(argv))


def test_cli_text(capsys):
    assert _run(["talas", "--points", "3"]) == 0
    out = capsys.readouterr().out
    assert "Frontier of KZ receipts vs KG deliveries" in out and "Agreement point" in out and "agreement" in out


def test_cli_json_and_energy(capsys):
    assert _run(["talas", "--points", "3", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["x"] == "kz_received_hm3" and len([p for p in d["frontier"] if p["kind"] == "grid"]) == 3
    assert d["agreement"]["status"] == "optimal" and d["ledgers"]
    assert _run(["talas", "--points", "3", "--energy", "--year-type", "dry"]) == 0
    assert "winter" in capsys.readouterr().out


def test_cli_errors(capsys):
    assert _run(["talas", "--points", "1"]) == 2
    assert _run(["talas", "--year-type", "monsoon"]) == 2
    assert "monsoon" in capsys.readouterr().err


def test_cli_wired_into_main(monkeypatch, capsys):
    """As the lead wires it: a Command in optimizer.interfaces.cli.COMMANDS; bad paths go through main's handlers."""
    from optimizer.interfaces import cli

    if not any(c.name == "pareto" for c in cli.COMMANDS):
        monkeypatch.setattr(cli, "COMMANDS", cli.COMMANDS + [
            cli.Command("pareto", "frontier of KZ receipts against KG deliveries", cli_tradeoffs.add_arguments, cli_tradeoffs.run)])
    assert cli.main(["pareto", "talas", "--points", "2"]) == 0
    assert "Agreement point" in capsys.readouterr().out
    assert cli.main(["pareto", "no/such/basin.yaml"]) == 2
    assert capsys.readouterr().err
