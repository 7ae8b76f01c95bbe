"""Storage ownership accounts (optimizer/core/accounts.py, docs/accounts.md)."""

import numpy as np
import pytest

import basins
import optimizer
from optimizer.core import accounts

from fixtures import demand, network, reservoir


def two_party_reservoir(evaporation_mm=None, kg_initial=20.0, kz_initial=80.0):
    """IN (100 hm³ in Jan, 50 in Feb) fills R (dead 10, starts at 110 hm³: 100 above dead, KZ 80 / KG 20).
    R releases to J, where KG's canal J -> KG and the river J -> B towards KZ split. Accounts KZ 80 % / KG 20 %.
    KG needs 30 in Mar and Apr, KZ 100 in Mar and 200 in Apr."""
    agreement = {"storage_accounts": [{
        "id": "acc", "reservoir": "R", "shares": {"KZ": 0.8, "KG": 0.2},
        "initial_balance_hm3": {"KZ": kz_initial, "KG": kg_initial},
        "release_to": {"KZ": ["J_B"], "KG": ["J_KG"]}}]}
    return network({"IN": "inflow", "R": "reservoir", "J": "junction", "KG": "demand", "B": "border KZ",
                    "KZ": "demand KZ", "OUT": "sink KZ"},
                   ["IN -> R", "R -> J", "J -> KG", "J -> B", "B -> KZ", "B -> OUT"],
                   reservoirs=[reservoir("R", 500, dead=10, initial=110)],
                   demands=[demand("KG", "KG"), demand("KZ", "KZ")], agreement=agreement,
                   inflow={"IN": [100, 50]}, demand={"KG": [0, 0, 30, 30], "KZ": [0, 0, 100, 200]},
                   evaporation=evaporation_mm)


def balances(r, party):
    return r.dataset["account_hm3"].sel(reservoir="R", party=party).values


def test_tiny_network_balances_equal_hand_derived_values():
    # by hand: Jan KZ 80 + 0.8*100 = 160, KG 20 + 0.2*100 = 40; Feb +40 / +10 -> 200 / 50; Mar KZ releases its
    # 100, KG its 30 -> 100 / 20; Apr KZ draws its last 100 of 200 asked, KG its last 20 of 30 asked -> 0 / 0
    r = optimizer.solve(two_party_reservoir(), months=4, end_storage="free")
    np.testing.assert_allclose(balances(r, "KZ"), [160, 200, 100, 0], atol=1e-6)
    np.testing.assert_allclose(balances(r, "KG"), [40, 50, 20, 0], atol=1e-6)
    rel = r.dataset["account_release_hm3"].sel(reservoir="R")
    np.testing.assert_allclose(rel.sel(party="KZ").values, [0, 0, 100, 100], atol=1e-6)
    np.testing.assert_allclose(rel.sel(party="KG").values, [0, 0, 30, 20], atol=1e-6)
    # KG is short 10 in April although 80 hm3 of KZ's water passed it in the same month: it owns no more
    np.testing.assert_allclose(r.dataset["shortage_hm3"].sel(demand="KG").values, [0, 0, 0, 10], atol=1e-6)
    # KZ's release reaches KZ: it is what KZ receives at the border
    np.testing.assert_allclose(r.dataset["delivered_hm3"].sel(link="J_B").values, [0, 0, 100, 100], atol=1e-6)


def test_sum_of_accounts_is_storage_above_dead_and_recurrence_holds_with_evaporation():
    r = optimizer.solve(two_party_reservoir(evaporation_mm={"R": [100, 100, 100, 100]}), months=4,
                        end_storage="free")
    ds = r.dataset
    above = ds["storage_hm3"].sel(reservoir="R").values - 10.0
    total = ds["account_hm3"].sel(reservoir="R").sum("party").values
    np.testing.assert_allclose(total, above, atol=1e-6)
    # a[p,t] = a[p,t-1] + share_p (inflow - evaporation) - release_p, from the Dataset alone
    inflow = ds["delivered_hm3"].sel(link="IN_R").values
    evap = ds["evaporation_hm3"].sel(reservoir="R").values
    assert evap.min() > 0.09  # 100 mm on 1 km2 = 0.1 hm3 a month
    for p, share in (("KZ", 0.8), ("KG", 0.2)):
        start = ds["account_start_hm3"].sel(reservoir="R", party=p).values
        rel = ds["account_release_hm3"].sel(reservoir="R", party=p).values
        np.testing.assert_allclose(balances(r, p), start + share * (inflow - evap) - rel, atol=1e-6)
        assert balances(r, p).min() >= -1e-9


@pytest.mark.parametrize("year_type", ["normal", "dry", "very-dry"])
def test_kirov_accounts_never_negative_and_add_up(year_type):
    r = optimizer.solve("talas", year_type, months=24)
    ds = r.dataset
    acc = ds["account_hm3"].sel(reservoir="TA_R_KIR")
    assert float(acc.min()) >= -1e-7
    above = ds["storage_hm3"].sel(reservoir="TA_R_KIR") - ds["dead_storage_hm3"].sel(reservoir="TA_R_KIR")
    np.testing.assert_allclose(acc.sum("party").values, above.values, atol=1e-6)
    # the releases made for the parties are the whole release and flow on the parties' links
    rel = ds["account_release_hm3"].sel(reservoir="TA_R_KIR")
    out = ds["flow_hm3"].sel(link="TA_L_KIR_OUT").values + ds["spill_hm3"].sel(reservoir="TA_R_KIR").values
    np.testing.assert_allclose(rel.sum("party").values, out, atol=1e-6)
    assert (rel.sel(party="KZ").values <= ds["flow_hm3"].sel(link="TA_L_KIR_KZ").values + 1e-6).all()
    assert (rel.sel(party="KG").values <= ds["flow_hm3"].sel(link="TA_L_MANAS").values + 1e-6).all()


def test_myopic_operation_carries_the_balances_month_to_month():
    r = optimizer.solve(two_party_reservoir(), months=4, foresight="myopic")
    np.testing.assert_allclose(balances(r, "KZ"), [160, 200, 100, 0], atol=1e-6)
    np.testing.assert_allclose(balances(r, "KG"), [40, 50, 20, 0], atol=1e-6)


def test_start_storage_given_by_a_caller_scales_the_balances():
    b = basins.load("talas")
    start = accounts.initial_balances(b.spec, {"TA_R_KIR": 550.0})
    assert start[("TA_R_KIR", "KZ")] == pytest.approx(0.88 * 540)
    assert start[("TA_R_KIR", "KG")] == pytest.approx(0.12 * 540)


def test_balances_that_do_not_add_up_to_the_storage_are_refused():
    with pytest.raises(basins.BasinError, match="initial_balance_hm3.*add up to 90"):
        two_party_reservoir(kz_initial=70.0)


def test_status_quo_reports_an_overdraft_instead_of_enforcing_the_accounts():
    # KG intakes first: KG takes its 30 in April although its account holds 20 -> balance -10 (overdraft)
    r = optimizer.solve(two_party_reservoir(), months=4, end_storage="free", operation="status-quo")
    assert balances(r, "KG")[-1] == pytest.approx(-10, abs=1e-6)
    assert r.dataset["shortage_hm3"].sel(demand="KG").values[-1] == pytest.approx(0, abs=1e-6)
    above = r.dataset["storage_hm3"].sel(reservoir="R").values - 10.0
    np.testing.assert_allclose(r.dataset["account_hm3"].sel(reservoir="R").sum("party").values, above, atol=1e-6)


def test_caller_start_balances_keep_their_proportions():
    # 30 / 70 of the 100 hm3 above dead storage, instead of the file's 20 / 80
    r = optimizer.solve(two_party_reservoir(), months=4, end_storage="free",
                        initial_accounts={("R", "KG"): 3.0, ("R", "KZ"): 7.0})
    start = r.dataset["account_start_hm3"].sel(reservoir="R").isel(time=0)
    assert float(start.sel(party="KG")) == pytest.approx(30) and float(start.sel(party="KZ")) == pytest.approx(70)
    np.testing.assert_allclose(balances(r, "KG"), [50, 60, 30, 0], atol=1e-6)  # Apr: KG's 30 asked, all owned
    with pytest.raises(ValueError, match="not storage accounts"):
        optimizer.solve(two_party_reservoir(), months=1, initial_accounts={("X", "KG"): 1.0})


def test_accounts_chart_shows_each_party_and_the_storage():
    from optimizer.interfaces.app_support import fig_accounts

    r = optimizer.solve("talas", "dry")
    fig = fig_accounts(r.dataset)
    names = [tr.name for tr in fig.data]
    assert {"KZ balance", "KG balance", "KZ release", "KG release", "storage above dead storage"} <= set(names)
    kz = next(tr for tr in fig.data if tr.name == "KZ balance")
    np.testing.assert_allclose(kz.y, r.dataset["account_hm3"].sel(reservoir="TA_R_KIR", party="KZ").values)
    assert fig_accounts(optimizer.solve("chu", "normal").dataset) is None  # no accounts on the Chu


def _one_reservoir(kz0, kg0, release_to, evaporation_mm=None, inflow=0.0, capacity=100.0, initial=50.0,
                   area_dead=0.0, area_full=1.0, kg_canal=False):
    """IN → R (dead 0) → J → B → OUT with R's outlet R -> J closed (capacity 0): R holds its water or spills to J.
    Accounts KZ 88 % / KG 12 % on R; ``kg_canal``: KG's canal J -> KG (capacity 0, no demand)."""
    nodes = {"IN": "inflow", "R": "reservoir", "J": "junction", "B": "border KZ", "OUT": "sink KZ"}
    links = ["IN -> R", ("R -> J", {"capacity": 0.0}), "J -> B", "B -> OUT"]
    if kg_canal:
        nodes["KG"] = "demand"
        links.append(("J -> KG", {"capacity": 0.0}))
    agreement = {"storage_accounts": [{"id": "acc", "reservoir": "R", "shares": {"KZ": 0.88, "KG": 0.12},
                                       "initial_balance_hm3": {"KZ": kz0, "KG": kg0}, "release_to": release_to}]}
    return network(nodes, links, reservoirs=[reservoir("R", capacity, dead=0, initial=initial, area_km2_at_dead=area_dead,
                                                       area_km2_at_full=area_full)],
                   demands=[demand("KG", "KG")] if kg_canal else [], agreement=agreement,
                   inflow={"IN": [inflow]}, demand={"KG": [0.0]} if kg_canal else None, evaporation=evaporation_mm)


@pytest.mark.parametrize("build", ["arrays", "pyomo"])
def test_a_party_with_an_empty_account_pays_no_evaporation(build):
    """R holds 50 hm3, all KG's (KZ 0); no inflow, the outlet closed, 100 mm of evaporation on a surface of 10 km2
    at every storage: e = 0.1 hm3/km2 · 10 km2 = 1 hm3, so s = 49 hm3. KZ owns nothing, so it cannot pay its
    88 % (0.88 hm3): it pays nothing (relief u = 0.88 hm3 at RELIEF_PENALTY) and KG pays the whole 1 hm3. KZ's
    balance stays 0, KG's is 50 − 1 = 49 = s. (Before the fix: KZ 0 − 0.88 < 0, reported as physically
    infeasible.)"""
    b = _one_reservoir(0.0, 50.0, {"KZ": ["J_B"], "KG": ["J_B"]}, evaporation_mm={"R": [100.0]}, area_dead=10.0,
                       area_full=10.0)
    r = optimizer.solve(b, months=1, end_storage="free", build=build)
    assert float(r.dataset["storage_hm3"].sel(reservoir="R")[0]) == pytest.approx(49.0, abs=1e-6)
    assert float(r.dataset["evaporation_hm3"].sel(reservoir="R")[0]) == pytest.approx(1.0, abs=1e-6)
    assert balances(r, "KZ")[0] == pytest.approx(0.0, abs=1e-6)
    assert balances(r, "KG")[0] == pytest.approx(49.0, abs=1e-6)
    ev = r.dataset["account_evaporation_hm3"].sel(reservoir="R")
    assert float(ev.sel(party="KZ")[0]) == pytest.approx(0.0, abs=1e-6)
    assert float(ev.sel(party="KG")[0]) == pytest.approx(1.0, abs=1e-6)
    from optimizer.core.model import RELIEF_PENALTY
    assert r.objective == pytest.approx(RELIEF_PENALTY * 0.88, rel=1e-6)  # the relief is priced, nothing else


def test_both_balances_positive_share_the_evaporation_88_12():
    """As above with KZ 40 / KG 10: both can pay, so KZ pays 0.88 e and KG 0.12 e (e = 0.49751 hm3)."""
    b = _one_reservoir(40.0, 10.0, {"KZ": ["J_B"], "KG": ["J_B"]}, evaporation_mm={"R": [100.0]}, area_full=10.0)
    r = optimizer.solve(b, months=1, end_storage="free")
    e = 50 - 49.75 / 1.005
    assert balances(r, "KZ")[0] == pytest.approx(40 - 0.88 * e, abs=1e-6)
    assert balances(r, "KG")[0] == pytest.approx(10 - 0.12 * e, abs=1e-6)
    ev = r.dataset["account_evaporation_hm3"].sel(reservoir="R")
    np.testing.assert_allclose([float(ev.sel(party="KZ")[0]), float(ev.sel(party="KG")[0])], [0.88 * e, 0.12 * e],
                               atol=1e-9)


@pytest.mark.parametrize("build", ["arrays", "pyomo"])
def test_spill_is_charged_to_a_party_whose_release_link_it_bypasses(build):
    """R (10 hm3, full: KZ 8.8 / KG 1.2) gets 50 hm3 with its outlet R -> J closed: it spills all 50 to J,
    bypassing KZ's release link, the outlet R_J. KG's link, its canal J -> KG, is closed, so all 50 are released
    for KZ (the spill counts on KZ's outlet). By hand: KZ 8.8 + 0.88 · 50 − 50 = 2.8, KG 1.2 + 0.12 · 50 = 7.2
    (together the 10 hm3 stored)."""
    b = _one_reservoir(8.8, 1.2, {"KZ": ["R_J"], "KG": ["J_KG"]}, inflow=50.0, capacity=10.0, initial=10.0,
                       kg_canal=True)
    r = optimizer.solve(b, months=1, end_storage="free", build=build)
    assert float(r.dataset["spill_hm3"].sel(reservoir="R")[0]) == pytest.approx(50.0, abs=1e-6)
    rel = r.dataset["account_release_hm3"].sel(reservoir="R")
    assert float(rel.sel(party="KZ")[0]) == pytest.approx(50.0, abs=1e-6)
    assert float(rel.sel(party="KG")[0]) == pytest.approx(0.0, abs=1e-6)
    assert balances(r, "KZ")[0] == pytest.approx(2.8, abs=1e-6)
    assert balances(r, "KG")[0] == pytest.approx(7.2, abs=1e-6)


@pytest.mark.parametrize("build", ["arrays", "pyomo"])
def test_an_overdrawn_account_is_diagnosed_as_an_agreement_conflict(build):
    """As above with KZ owning nothing (KG 10): the 50 hm3 must leave (R is full) and can only be released for
    KZ, which accrues 0.88 · 50 = 44: its account is overdrawn by 50 − 44 = 6 hm3, an agreement conflict, not a
    physical one."""
    b = _one_reservoir(0.0, 10.0, {"KZ": ["R_J"], "KG": ["J_KG"]}, inflow=50.0, capacity=10.0, initial=10.0,
                       kg_canal=True)
    with pytest.raises(optimizer.InfeasibleAgreement, match="storage account of KZ in R") as exc:
        optimizer.solve(b, months=1, end_storage="free", build=build)
    c = exc.value.conflicts
    assert list(c["kind"]) == ["account"] and list(c["party"]) == ["KZ"]
    assert float(c["shortfall_hm3"].iloc[0]) == pytest.approx(6.0, abs=1e-6)
    assert float(c["required_hm3"].iloc[0]) == pytest.approx(50.0, abs=1e-6)


@pytest.mark.parametrize("elastic", [False, True])
def test_account_rows_of_both_formulations_are_equal_on_the_defect_networks(elastic):
    """The relief, spill-on-outlet and overdraft terms are the same in the Pyomo model and the assembled LP."""
    from test_assemble import compare, inputs

    for b in (_one_reservoir(0.0, 50.0, {"KZ": ["J_B"], "KG": ["J_B"]}, evaporation_mm={"R": [100.0]},
                             area_full=10.0),
              _one_reservoir(8.8, 1.2, {"KZ": ["R_J"], "KG": ["J_KG"]}, inflow=50.0, capacity=10.0,
                             initial=10.0, kg_canal=True)):
        compare(inputs(b, months=1), elastic=elastic)


def test_an_unavoidable_relief_makes_the_optimum_lower_the_storage_where_the_water_has_no_use():
    """The price of the relief (accounts.py) where it cannot be avoided: KZ owns nothing, the surface grows with
    the storage (0.1 km2 per hm3), and with a free end storage nobody needs KG's water, so the LP spills it rather
    than keep it and relieve KZ of 0.88 · 0.1 · 0.1 · (50 + s)/2 hm3 of evaporation. With s = 0 (all spilled):
    e = 0.25 hm3, spill 49.75 hm3, objective 0.01 · 49.75 + 1e4 · 0.88 · 0.25 (+ tie costs). This is a known
    limitation of a priced relief, asserted so that a formulation without it shows up here."""
    b = _one_reservoir(0.0, 50.0, {"KZ": ["J_B"], "KG": ["J_B"]}, evaporation_mm={"R": [100.0]}, area_full=10.0)
    r = optimizer.solve(b, months=1, end_storage="free")
    assert float(r.dataset["storage_hm3"].sel(reservoir="R")[0]) == pytest.approx(0.0, abs=1e-6)
    assert float(r.dataset["spill_hm3"].sel(reservoir="R")[0]) == pytest.approx(49.75, abs=1e-6)
    assert r.objective == pytest.approx(0.01 * 49.75 + 1e4 * 0.88 * 0.25, abs=0.05)
