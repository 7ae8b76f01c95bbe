"""Cost sharing by use of facilities (optimizer/core/cost_sharing.py)."""

import numpy as np
import pytest

import optimizer

from fixtures import demand, network, reservoir


def two_users(cost_sharing="use_of_facilities"):
    """Reservoir R (60 hm³ above dead, no inflow) releases to J1, where KG takes 40 hm³; the rest flows to J2,
    where a tributary brings 100 hm³, and on to the border B and KZ's demand of 120 hm³. R is the facility."""
    fac = {"id": "res", "name": "The reservoir", "host": "KG", "om_cost_usd_per_year": 1200, "reservoir": "R",
           "receipts": {"KG": {"links": ["J1_KG"]}, "KZ": {"links": ["J2_B"]}}}
    return network({"IN": "inflow", "R": "reservoir", "J1": "junction", "KG": "demand", "TR": "inflow",
                    "J2": "junction", "B": "border KZ", "KZ": "demand KZ", "OUT": "sink KZ"},
                   ["IN -> R", "R -> J1", "J1 -> KG", "J1 -> J2", "TR -> J2", "J2 -> B", "B -> KZ", "B -> OUT"],
                   reservoirs=[reservoir("R", 100, dead=0, initial=60)],
                   demands=[demand("KG", "KG"), demand("KZ", "KZ")],
                   agreement={"cost_sharing": cost_sharing, "facilities": [fac]},
                   inflow={"IN": [0], "TR": [100]}, demand={"KG": [40], "KZ": [120]})


def test_each_party_pays_for_the_facility_water_it_gets():
    # by hand: R releases 60; KG consumes 40 of it, KZ gets the other 20 (with the tributary's 100, which the
    # reservoir does not regulate): KG 40/60 = 2/3, KZ 1/3 of the 1,200 USD/yr O&M (one month: 100 USD)
    r = optimizer.solve(two_users(), months=1, end_storage="free")
    c = r.cost_sharing.set_index("party")
    assert c.loc["KG", "water_hm3"] == pytest.approx(40, abs=1e-6)
    assert c.loc["KZ", "water_hm3"] == pytest.approx(20, abs=1e-6)
    assert c.loc["KG", "share"] == pytest.approx(2 / 3, abs=1e-9)
    assert c.loc["KZ", "cost_usd"] == pytest.approx(100 / 3, abs=1e-6)
    assert c.loc["KG", "name"] == "The reservoir"


def test_former_method_counted_all_receipts():
    # the former split used all of KZ's border receipts (120, of which 100 are the tributary's): KG 25 %
    r = optimizer.solve(two_users("proportional_to_water_received"), months=1, end_storage="free")
    c = r.cost_sharing.set_index("party")
    assert c.loc["KG", "share"] == pytest.approx(40 / 160, abs=1e-9)


@pytest.mark.parametrize("basin, year_type", [("chu", "normal"), ("chu", "dry"), ("talas", "dry")])
def test_facility_water_is_conserved(basin, year_type):
    r = optimizer.solve(basin, year_type)
    om = r.cost_sharing[r.cost_sharing["item"] == "O&M"]
    for f, g in om.groupby("facility"):
        total, lost = g["facility_water_hm3"].iloc[0], g["unattributed_hm3"].iloc[0]
        assert total > 0 and lost >= -1e-6, f
        assert g["water_hm3"].sum() + lost == pytest.approx(total, abs=1e-6)
        assert g["share"].sum() == pytest.approx(1.0)
        assert g["cost_usd"].sum() == pytest.approx(g["om_cost_usd"].iloc[0])


def test_chu_article_2_facilities_are_all_there_and_orto_tokoy_is_not_split_by_all_receipts():
    r = optimizer.solve("chu", "normal")
    c = r.cost_sharing
    names = set(c["name"])
    assert {"Orto-Tokoy reservoir", "Western Big Chu Canal", "Eastern Big Chu Canal", "Chumysh hydroscheme",
            "Bypass ferroconcrete Chu canals (Bystrovka - Tokmok)"} <= names
    ot = c[(c["facility"] == "orto_tokoy") & (c["item"] == "O&M")].set_index("party")
    # KZ's Orto-Tokoy water is a part of the reservoir's release, far less than KZ's border receipts
    assert ot.loc["KZ", "water_hm3"] < ot.loc["KZ", "facility_water_hm3"]
    assert ot.loc["KZ", "water_hm3"] < 0.2 * float(r.dataset["delivered_hm3"].sel(link="CH_L_BORDER").sum())
    cap = c[c["item"] != "O&M"]
    lining = cap[cap["facility"] == "w_bchk"].set_index("party")
    w = c[(c["facility"] == "w_bchk") & (c["item"] == "O&M")].set_index("party")
    assert lining.loc["KZ", "share"] == pytest.approx(w.loc["KZ", "share"])  # no published share: as the O&M
    assert lining.loc["KZ", "cost"] + lining.loc["KG", "cost"] == pytest.approx(37e6)
    canal2 = cap[cap["facility"] == "bypass_canals"].set_index("party")
    assert canal2.loc["KZ", "share"] == 1.0 and canal2.loc["KZ", "share_basis"] == "agreed (published)"


def test_cost_table_survives_netcdf(tmp_path):
    r = optimizer.solve("chu", "normal")
    back = optimizer.Result.from_netcdf(r.to_netcdf(tmp_path / "r.nc"))
    assert list(back.cost_sharing.columns) == list(r.cost_sharing.columns)
    np.testing.assert_allclose(back.cost_sharing["water_hm3"].to_numpy(dtype=float),
                               r.cost_sharing["water_hm3"].to_numpy(dtype=float))


def test_cli_prints_facility_names_shares_and_capital_works(capsys):
    from optimizer.interfaces.cli import main

    assert main(["solve", "chu"]) == 0
    text = capsys.readouterr().out.split("by use of facilities")[1]
    r = optimizer.solve("chu", "normal")
    ot = r.cost_sharing[(r.cost_sharing["facility"] == "orto_tokoy") & (r.cost_sharing["party"] == "KZ")].iloc[0]
    line = next(ln for ln in text.splitlines() if ln.strip().startswith("Orto-Tokoy reservoir") and " KZ " in ln)
    assert f"{ot.share:.1%}" in line and f"{ot.cost_usd:,.0f}" in line
    assert "Chumysh hydroscheme" in text and "Eastern Big Chu Canal" in text
    assert "Lining of the Western Big Chu Canal (EBRD)" in text and "EUR" in text


def test_cli_in_russian_names_facilities_and_works_and_writes_numbers_the_russian_way(capsys):
    """`chutalas --lang ru solve chu`: the cost tables name facilities and capital works in Russian (as the app),
    say what each share counts in Russian, and write "351 512" and "87,9 %" ("351,512" reads as 351.5 there)."""
    from optimizer.interfaces import ui_text
    from optimizer.interfaces.cli import main

    try:
        assert main(["--lang", "ru", "solve", "chu"]) == 0
    finally:
        ui_text.set_language(None)
    text = capsys.readouterr().out
    r = optimizer.solve("chu", "normal")
    ot = r.cost_sharing[(r.cost_sharing["facility"] == "orto_tokoy") & (r.cost_sharing["party"] == "KZ")].iloc[0]
    line = next(ln for ln in text.splitlines() if ln.strip().startswith("Орто-Токойское водохранилище") and " РК " in ln)
    assert ui_text.number(ot.cost_usd, ",.0f", "ru") in line and ui_text.number(100 * ot.share, ".1f", "ru") + " %" in line
    assert "Облицовка Западного Большого Чуйского канала (ЕБРР)" in text and "попуски водохранилища" in text
    assert "Orto-Tokoy reservoir" not in text and "Lining of the Western" not in text
