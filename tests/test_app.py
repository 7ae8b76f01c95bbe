"""The Streamlit app (app.py) driven headless with ``streamlit.testing.v1.AppTest``: every control, the
invalid-input paths (located errors, last solution kept), infeasible agreements, reset, basin switch,
pin/compare, save/load. The real browser is exercised by tests/test_browser.py."""

from __future__ import annotations

import importlib.util
import json
import math
import re
import sys
import time
import types
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import basins
from optimizer.core import solver
from optimizer.interfaces import app_support as sup
from optimizer.interfaces import ui_text
from optimizer.interfaces.ui_text import t

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
TIMEOUT = 60


# ---- helpers -------------------------------------------------------------------------------------
def start() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    return at


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_tab(at: AppTest, key: str) -> AppTest:
    at.session_state["tab"] = t(key)
    return run(at)


def status(at: AppTest) -> str:
    hits = [m.value for m in at.markdown if "solved in" in m.value]
    assert hits, "no solution status line"
    return hits[0]


def metric(at: AppTest, label: str) -> float:
    for m in at.metric:
        if m.label == label:
            return float(re.sub(r"[^\d.\-]", "", m.value))
    raise AssertionError(f"no metric {label!r}: {[m.label for m in at.metric]}")


def errors(at: AppTest) -> str:
    return "\n".join(e.value for e in at.error)


def warnings(at: AppTest) -> str:
    return "\n".join(w.value for w in at.warning)


def editor_key(at: AppTest, prefix: str) -> str:
    keys = [d.key for d in at.data_editor if d.key and d.key.startswith(prefix)]
    assert len(keys) == 1, [d.key for d in at.data_editor]
    return keys[0]


def edit_cells(at: AppTest, prefix: str, edited_rows: dict) -> AppTest:
    """Seed a data editor's edit state (row position -> column -> value), as the browser would send it."""
    k = editor_key(at, prefix)
    at.session_state[k] = {"edited_rows": edited_rows, "added_rows": [], "deleted_rows": []}
    return run(at)


def charts(at: AppTest) -> dict[str, dict]:
    return {c.key: json.loads(c.proto.spec) for c in at.get("plotly_chart")}


def widget(at: AppTest, kind: str, prefix: str):
    # the key up to its "|chu|v0" suffix: "priority_KZ_SHU" must not also find "priority_KZ_SHU_ENV"
    found = [w for w in getattr(at, kind) if w.key and (w.key == prefix or w.key.startswith(prefix + "|"))]
    if not found:  # a caller's shorter prefix
        found = [w for w in getattr(at, kind) if w.key and w.key.startswith(prefix)]
    assert len(found) == 1, [w.key for w in getattr(at, kind)]
    return found[0]


@pytest.fixture(scope="module")
def chu():
    return basins.load("chu")


# ---- opening ---------------------------------------------------------------------------------------
def test_opens_on_chu_normal_year_already_solved():
    t0 = time.perf_counter()
    at = start()
    elapsed = time.perf_counter() - t0
    assert at.radio(key="basin").value == "chu"
    assert widget(at, "selectbox", "year_type").value == "normal"
    assert "Chu (Shu) · normal year · 12 months from Jan 2025" in status(at)
    assert not at.error and not at.warning
    for label in ("KG use", "KZ received", "KG shortage", "KZ shortage", "Natural inflow"):
        assert metric(at, label) >= 0
    specs = charts(at)
    assert set(specs) == {"chart_allocation", "chart_border"}
    open_tab(at, "tab_demands")
    specs |= charts(at)
    assert set(specs) == {"chart_allocation", "chart_border", "chart_demand"}
    assert len([tr for tr in specs["chart_demand"]["data"] if tr["type"] == "bar"]) == 8  # one panel per demand (8 since 2026-12-03: KG_CHU_LOCAL)
    alloc = specs["chart_allocation"]
    assert alloc["layout"]["yaxis"]["title"]["text"] == "hm³/month"
    assert alloc["layout"]["barmode"] == "stack"
    names = [tr["name"] for tr in alloc["data"]]
    # KG's 58 % is a use ceiling, KZ's 42 % an entitlement: the lines say so (a ceiling never reads as an entitlement)
    assert {"KG used", "KZ received", "KG use ceiling (cap)", "KZ entitlement (floor)"} <= set(names)
    assert not any("KG entitlement" in n for n in names)
    lines = {tr["name"]: tr["line"]["dash"] for tr in alloc["data"] if tr["type"] == "scatter"}
    assert lines == {"KG use ceiling (cap)": "dot", "KZ entitlement (floor)": "dash"}
    for spec in specs.values():  # every y axis that carries data names its unit
        used = {"yaxis" + tr.get("yaxis", "y")[1:] for tr in spec["data"]}
        for k in used:
            assert "hm³" in spec["layout"][k]["title"]["text"], (k, spec["layout"][k])
    assert elapsed < 30, f"first run took {elapsed:.1f} s"


def test_every_label_used_exists():
    used = set()
    app_files = sorted((ROOT / "optimizer" / "interfaces" / "app").glob("*.py"))
    assert len(app_files) >= 8, app_files  # the app's modules (edits, figures, pages, ...)
    for path in (ROOT / "optimizer" / "interfaces" / "streamlit_app.py", *app_files,
                 *sorted((ROOT / "optimizer" / "interfaces").glob("cli*.py"))):
        used |= set(re.findall(r"""\bt\(\s*["']([A-Za-z0-9_\-]+)["']""", path.read_text()))
    assert used, "no labels found"
    assert not used - set(ui_text.EN), sorted(used - set(ui_text.EN))
    assert t("solved_in", seconds=0.5) == "solved in 0.50 s"


# ---- sidebar controls ----------------------------------------------------------------------------
def test_year_type_start_month_and_months_resolve():
    at = start()
    normal_inflow = metric(at, "Natural inflow")
    widget(at, "selectbox", "year_type").set_value("dry")
    run(at)
    assert "dry year" in status(at)
    assert metric(at, "Natural inflow") < normal_inflow
    at.selectbox(key="start_month").set_value(4)
    run(at)
    assert "from Apr 2025" in status(at)
    at.number_input(key="months").set_value(24)
    run(at)
    assert "24 months from Apr 2025" in status(at)
    spec = charts(at)["chart_allocation"]
    assert len(spec["data"][0]["x"]) == 24
    assert at.number_input(key="months").max == 120 and at.number_input(key="months").min == 1


def test_operation_end_storage_and_foresight():
    at = start()
    at.radio(key="operation").set_value("status-quo")
    run(at)
    assert "status quo" in status(at)
    at.radio(key="end_storage").set_value("free")
    run(at)
    assert not at.error, errors(at)
    at.radio(key="foresight").set_value("myopic")
    run(at)
    # the myopic operator either solves or reports why not, in words (never a traceback)
    assert "myopic foresight" in status(at) or t("solve_failed") in errors(at)
    at.radio(key="basin").set_value("talas")
    run(at)
    assert "Talas" in status(at) and "myopic foresight" in status(at), errors(at)


def test_auto_solve_off_waits_for_the_solve_button():
    at = start()
    at.toggle(key="auto_solve").set_value(False)
    run(at)
    widget(at, "selectbox", "year_type").set_value("wet")
    run(at)
    assert "normal year" in status(at)
    assert "Press **Solve**" in warnings(at)
    at.button(key="solve").click()
    run(at)
    assert "wet year" in status(at)
    assert not at.warning


def test_basin_switch_to_talas_and_back_keeps_edits():
    at = start()
    open_tab(at, "tab_inputs")
    edit_cells(at, "ed_inflow_normal", {0: {"CH_IN_OT": 100.0}})
    chu_inflow = metric(at, "Natural inflow")
    at.radio(key="basin").set_value("talas")
    run(at)
    assert status(at).startswith("**Talas")
    assert any(d.key.startswith("ed_inflow_normal_hm3|talas") for d in at.data_editor)
    open_tab(at, "tab_compliance")
    ledger = at.table[0].value
    # the rule by its name, not its id (the Kirov 88/12 is now storage accounts)
    assert "1983 shares of the Talas" in set(ledger[t("ledger_col_rule")])
    assert "talas_1983_shares" not in set(ledger[t("ledger_col_rule")])
    at.radio(key="basin").set_value("chu")
    run(at)
    assert metric(at, "Natural inflow") == pytest.approx(chu_inflow)
    assert at.session_state["edits"]["chu"].inflow["normal"].iat[0, 0] == 100.0


# ---- edits ----------------------------------------------------------------------------------------
def test_valid_inflow_edit_resolves_and_survives_reruns(chu):
    at = start()
    before = metric(at, "Natural inflow")
    open_tab(at, "tab_inputs")
    jan = float(chu.inflow.sel(year_type="normal", month=1, node="CH_IN_OT"))
    edit_cells(at, "ed_inflow_normal", {0: {"CH_IN_OT": 500.0}})
    assert metric(at, "Natural inflow") == pytest.approx(before - jan + 500.0, abs=1)
    assert any("1 value differs" in c.value for c in at.caption)
    assert not at.error
    # a rerun, another tab and back: the edit is still there and still solved
    run(at)
    open_tab(at, "tab_allocation")
    assert metric(at, "Natural inflow") == pytest.approx(before - jan + 500.0, abs=1)
    open_tab(at, "tab_inputs")
    assert at.data_editor[0].value.iat[0, 0] == pytest.approx(500.0)


def test_unit_toggle_shows_m3s_and_converts_edits_back(chu):
    at = start()
    open_tab(at, "tab_inputs")
    at.radio(key="unit").set_value("m3/s")
    run(at)
    shown = at.data_editor[0].value
    jan_hm3 = float(chu.inflow.sel(year_type="normal", month=1, node="CH_IN_OT"))
    assert shown.iat[0, 0] == pytest.approx(basins.hm3_to_m3s(jan_hm3, 1))
    assert "m³/s" in [m.value for m in at.markdown if "inflow" in m.value][0]
    edit_cells(at, "ed_inflow_normal_m3/s", {1: {"CH_IN_OT": 10.0}})  # 10 m3/s in February (28 days)
    stored = at.session_state["edits"]["chu"].inflow["normal"].at[2, "CH_IN_OT"]
    assert stored == pytest.approx(10.0 * 28 * 86400 / 1e6)
    edit_cells(at, "ed_demand_m3/s", {5: {"KZ_SHU": 20.0}})  # June, 30 days
    assert at.session_state["edits"]["chu"].demand.at[6, "KZ_SHU"] == pytest.approx(20.0 * 30 * 86400 / 1e6)
    assert not at.error


def test_invalid_edit_names_the_cell_and_keeps_the_last_solution():
    at = start()
    label, received = status(at), metric(at, "KZ received")
    open_tab(at, "tab_inputs")
    edit_cells(at, "ed_inflow_normal", {1: {"CH_IN_OT": -5.0}})
    err = errors(at)
    assert "row Feb, column Chu headwaters into Orto-Tokoy" in err and "not a finite value >= 0" in err
    assert "1 problem" in err
    assert "last valid one" in warnings(at)
    assert metric(at, "KZ received") == received
    assert status(at) == label
    # a NaN (cleared cell) in the demand table and dead storage above capacity
    edit_cells(at, "ed_demand", {2: {"KZ_SHU": None}})
    k = editor_key(at, "ed_reservoirs")
    at.session_state[k] = {"edited_rows": {1: {"dead_storage_hm3": 900.0}}, "added_rows": [], "deleted_rows": []}
    run(at)
    err = errors(at)
    assert "row Mar, column KZ Shu and Moiynkum irrigation: is empty or NaN" in err  # (by name: ids hidden)
    assert "row Tasotkel reservoir, column Dead storage (hm³)" in err and "CH_R_TAS" not in err
    assert metric(at, "KZ received") == received
    # the download of an invalid scenario is refused
    open_tab(at, "tab_files")
    assert t("scenario_invalid") in warnings(at)
    assert not [b for b in at.get("download_button") if b.proto.id.endswith("dl_scenario")]
    # problems of a closed tab are listed at the top
    assert "row Feb, column Chu headwaters into Orto-Tokoy" in errors(at)
    # fixing every cell solves again
    open_tab(at, "tab_inputs")
    edit_cells(at, "ed_inflow_normal", {1: {"CH_IN_OT": 13.0}})
    edit_cells(at, "ed_demand", {2: {"KZ_SHU": 3.0}})
    at.session_state[editor_key(at, "ed_reservoirs")] = {"edited_rows": {1: {"dead_storage_hm3": 20.0}},
                                                          "added_rows": [], "deleted_rows": []}
    run(at)
    assert not at.error, errors(at)
    assert not at.warning


def test_canal_capacity_edit_and_negative_capacity():
    at = start()
    open_tab(at, "tab_inputs")
    edit_cells(at, "ed_canals", {0: {"capacity": -1.0}})
    assert "row Orto-Tokoy reservoir → Bystrovka headworks, column Capacity" in errors(at)
    edit_cells(at, "ed_canals", {0: {"capacity": 5.0}})
    assert not at.error
    assert at.session_state["edits"]["chu"].canals.at["CH_L_OT_OUT", "capacity"] == 5.0


def test_reset_restores_the_basin_defaults():
    at = start()
    default_inflow = metric(at, "Natural inflow")
    open_tab(at, "tab_inputs")
    edit_cells(at, "ed_inflow_normal", {0: {"CH_IN_OT": 900.0}})
    assert metric(at, "Natural inflow") != pytest.approx(default_inflow)
    open_tab(at, "tab_agreement")
    widget(at, "number_input", "volume_chu_vegetation_kz").set_value(100.0)
    run(at)
    at.button(key="reset").click()
    run(at)
    assert metric(at, "Natural inflow") == pytest.approx(default_inflow)
    assert widget(at, "number_input", "volume_chu_vegetation_kz").value == 370.0
    open_tab(at, "tab_inputs")
    assert not any("differ" in c.value for c in at.caption)
    assert at.data_editor[0].value.iat[0, 0] != 900.0


# ---- agreement ---------------------------------------------------------------------------------------
def test_agreement_options_share_mode_and_priorities():
    at = start()
    open_tab(at, "tab_agreement")
    share = widget(at, "number_input", "share_chu_1983_shares")
    assert share.value == pytest.approx(0.42)
    share.set_value(0.5)
    run(at)
    # KZ's share is an entitlement, KG's the rest as a use ceiling (never read as an entitlement)
    assert share.label == "Share of KZ: entitlement, a floor on what it receives"
    assert any(c.value == "KG: the rest, 0.50 — use ceiling, a cap on its use (not a target)" for c in at.caption)
    heads = [m.value for m in at.markdown if "`chu_1983_shares`" in m.value]
    assert heads and "**1983 shares of the Chu**" in heads[0]  # the rule by its name, the id beside it
    prio = widget(at, "number_input", "priority_KG_CHU_VAL")
    assert prio.label.startswith("KG valley intakes on the Chu") and prio.label.endswith("(KG)")
    assert not at.error, errors(at)
    open_tab(at, "tab_compliance")
    led = at.table[0].value.rename(columns={t(f"ledger_col_{c}"): c for c in ("rule", "party", "required_hm3")})
    kz = led[(led["rule"] == "1983 shares of the Chu") & (led["party"] == "KZ")]
    total = at.session_state["results"]["chu"]["result"].dataset["natural_inflow_hm3"].sum().item()
    # the share rule runs by hydrological year: Jan–Dec holds two partial ones, whose entitlements add up to 50 %
    assert sum(float(str(v).replace(",", "")) for v in kz["required_hm3"]) == pytest.approx(0.5 * total, rel=1e-3)
    open_tab(at, "tab_agreement")
    widget(at, "radio", "mode_chu_1983_shares").set_value("soft")
    widget(at, "number_input", "priority_KZ_SHU").set_value(1)
    run(at)
    assert not at.error, errors(at)
    spec = at.session_state["validated"]["chu"][1].spec
    assert spec.agreement.share_rules[0].mode == "soft"
    assert {d.node: d.priority for d in spec.demands}["KZ_SHU"] == 1


def test_infeasible_agreement_shows_the_diagnosis_and_keeps_the_solution():
    at = start()
    received = metric(at, "KZ received")
    open_tab(at, "tab_agreement")
    widget(at, "radio", "mode_chu_vegetation_kz").set_value("hard")
    widget(at, "number_input", "volume_chu_vegetation_kz").set_value(50000.0)
    run(at)
    err = errors(at)
    assert t("solve_failed") in err
    # the rule by its name, the shortfall in numbers (the id stays out of what a commissioner reads)
    assert "KZ's vegetation-period volume (Apr–Sep) (quota, KZ, 2025 Apr-Sep): short by" in err, err
    assert "of 50,000.0 hm³ required" in err and "chu_vegetation_kz" not in err
    assert "Traceback" not in err
    assert metric(at, "KZ received") == received
    assert "last valid one" in warnings(at)
    # back to a feasible volume: solved again
    widget(at, "number_input", "volume_chu_vegetation_kz").set_value(370.0)
    run(at)
    assert not at.error and not at.warning


# ---- result tabs -------------------------------------------------------------------------------------
def test_reservoir_network_and_compliance_tabs():
    at = start()
    open_tab(at, "tab_reservoirs")
    specs = charts(at)
    assert set(specs) == {"chart_storage", "chart_network", "chart_water_values"}
    storage = specs["chart_storage"]
    assert {"storage", "dead storage", "full (capacity)"} <= {tr.get("name") for tr in storage["data"]}
    assert storage["layout"]["yaxis"]["title"]["text"] == "hm³"
    net = specs["chart_network"]
    assert net["layout"]["xaxis"]["title"]["text"] == "Longitude (°E)"
    assert "mapbox" not in json.dumps(net) and "geo" not in net["layout"]  # offline: no map tiles
    widths = [tr["line"]["width"] for tr in net["data"] if tr.get("mode") == "lines"]
    spec = basins.load("chu").spec  # one line per link and one (dotted) per aquifer's discharge: 23 + 2
    assert len(widths) == len(spec.links) + len(spec.aquifers) == 26 and max(widths) > min(widths)
    assert t("kind_aquifer") in {tr.get("name") for tr in net["data"]}
    # nodes labelled by name, not by id, where the label overlaps no other; every node's hover has its name and id
    pts = [(lab, hov, pos) for tr in net["data"] if str(tr.get("mode", "")).startswith("markers")
           and tr.get("hovertext") for lab, hov, pos in zip(tr["text"], tr["hovertext"], tr["textposition"])]
    labels = {lab: hov for lab, hov, _ in pts if lab}
    assert "Orto-Tokoy reservoir" in labels and "CH_R_OT" in labels["Orto-Tokoy reservoir"]
    assert len(labels) >= 12 and not any(n.id in labels for n in spec.nodes)
    hovers = " ".join(h for _, h, _ in pts)
    assert all(n.name in hovers and n.id in hovers for n in spec.nodes)
    heat = specs["chart_water_values"]
    assert heat["data"][0]["type"] == "heatmap" and len(heat["data"][0]["y"]) == len(spec.nodes) == 25
    widget(at, "selectbox", "network_month").set_value(6)
    run(at)
    open_tab(at, "tab_compliance")
    led = at.table[0].value
    assert {t(f"ledger_col_{c}") for c in ("rule", "party", "required_hm3", "received_hm3", "met")} <= set(led.columns)
    styled = sup.ledger_styled(at.session_state["results"]["chu"]["result"].ledger).to_html()
    # no red row in the default solve: KG's 58 % is a use ceiling, within it (before: painted red as "not met")
    assert sup.MET_COLOUR in styled and sup.NOT_MET_COLOUR not in styled
    assert "chart_costs" in charts(at)
    assert [b for b in at.get("download_button") if b.proto.id.endswith("dl_ledger")]


# ---- compare -------------------------------------------------------------------------------------
def test_pin_and_compare():
    at = start()
    open_tab(at, "tab_compare")
    assert t("nothing_pinned") in [i.value for i in at.info]
    at.button(key="pin").click()
    run(at)
    pinned_kz = metric(at, "KZ received")
    widget(at, "selectbox", "year_type").set_value("dry")
    run(at)
    table = at.dataframe[0].value
    assert list(table.index) == ["KG", "KZ"]
    diff = table["received (hm³) difference"]
    assert diff["KZ"] == pytest.approx(metric(at, "KZ received") - pinned_kz, abs=1)
    assert diff["KZ"] < 0  # a dry year gives KZ less than the pinned normal year
    assert "shortage (hm³) pinned" in table.columns
    assert "chart_compare" in charts(at)
    assert any("Pinned:" in m.value and "normal year" in m.value for m in at.markdown)
    at.button(key="unpin").click()
    run(at)
    assert t("nothing_pinned") in [i.value for i in at.info]


def test_validation_table_only_when_the_calibration_provides_it(monkeypatch):
    at = start()
    open_tab(at, "tab_compare")
    if importlib.util.find_spec("optimizer.analyses.validation") is None:
        assert not any(t("validation") in m.value for m in at.markdown)
    fake = types.ModuleType("optimizer.analyses.validation")
    fake.table = lambda basin_id: pd.DataFrame({"basin": [basin_id], "observed_hm3": [1.0], "modelled_hm3": [1.1]})
    monkeypatch.setitem(sys.modules, "optimizer.analyses.validation", fake)
    run(at)
    assert any(t("validation") in m.value for m in at.markdown)
    assert at.dataframe[-1].value["basin"].iloc[0] == "chu"


def test_validation_errors_are_written_with_their_sign_and_thousands():
    at = start()
    at.radio(key="basin").set_value("talas")
    run(at)
    open_tab(at, "tab_compare")
    table = at.dataframe[-1].value
    errs = list(table[t("val_col_error_pct")])
    assert "+0.5" in errs and "+31.0" in errs  # the calibration rows, signed
    assert any(re.fullmatch(r"\+\d{1,3}(,\d{3})+\.\d", e) for e in errs), errs  # Kirov's inflow, +2,502.1 (not +2502.1)
    quantities = list(table[t("val_col_quantity")])  # names, not the model's ids (the CLI keeps those)
    assert not [q for q in quantities if re.search(r"[A-Z]{2}_[A-Z]", q)], quantities
    assert "KZ receipts from KG at its accounting post" in quantities and "Kirov storage" in quantities


# ---- save / load ---------------------------------------------------------------------------------
def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key="upload").set_value((name, data, "application/x-yaml"))
    return run(at)


def test_upload_of_a_bad_file_shows_located_errors(chu):
    at = start()
    open_tab(at, "tab_files")
    text = basins.dumps(chu, inline=True).replace("capacity_hm3: 470", "capcity_hm3: 470")
    upload(at, "bad.yaml", text.encode())
    err = errors(at)
    assert "bad.yaml was not loaded" in err
    assert "reservoirs[0] ('CH_R_OT')" in err and "capcity_hm3" in err
    assert at.radio(key="basin").value == "chu" and at.radio(key="basin").options == ["Chu (Shu)", "Talas"]
    upload(at, "neg.yaml", basins.dumps(chu, inline=True).replace("normal,1,CH_IN_OT,", "normal,1,CH_IN_OT,-")
           .encode())
    assert "node=CH_IN_OT" in errors(at) and "not a finite value >= 0" in errors(at)
    upload(at, "evil.yaml", b"!!python/object/apply:os.system ['echo hi']\n")
    assert "evil.yaml was not loaded" in errors(at)
    upload(at, "binary.yaml", b"\xff\xfe\x00 not text")
    assert "not UTF-8 text" in errors(at)
    upload(at, "big.yaml", b"#" * (sup.UPLOAD_MAX_BYTES + 1))
    assert "larger than 2 MB" in errors(at)
    assert "Chu (Shu) · normal year" in status(at)


def test_upload_of_a_saved_scenario_becomes_a_basin(chu):
    edited = chu.copy()
    edited.inflow.loc[{"year_type": "normal", "month": 1, "node": "CH_IN_OT"}] = 300.0
    at = start()
    before = metric(at, "Natural inflow")
    open_tab(at, "tab_files")
    upload(at, "my_chu.yaml", basins.dumps(edited, inline=True).encode())
    assert at.radio(key="basin").value == "upload:chu"
    assert "Chu (Shu) (uploaded: my_chu.yaml)" in at.radio(key="basin").options
    assert any("Loaded my_chu.yaml" in s.value for s in at.success)
    jan = float(chu.inflow.sel(year_type="normal", month=1, node="CH_IN_OT"))
    assert metric(at, "Natural inflow") == pytest.approx(before - jan + 300.0, abs=1)
    # the bundled basin is still there, unedited
    at.radio(key="basin").set_value("chu")
    run(at)
    assert metric(at, "Natural inflow") == pytest.approx(before)


def test_a_second_upload_of_one_basin_id_is_kept_beside_the_first(chu):
    first, second = chu.copy(), chu.copy()
    first.inflow.loc[{"year_type": "normal", "month": 1, "node": "CH_IN_OT"}] = 300.0
    second.inflow.loc[{"year_type": "normal", "month": 1, "node": "CH_IN_OT"}] = 50.0
    at = start()
    open_tab(at, "tab_files")
    upload(at, "a.yaml", basins.dumps(first, inline=True).encode())
    inflow_first = metric(at, "Natural inflow")
    upload(at, "b.yaml", basins.dumps(second, inline=True).encode())
    radio = at.radio(key="basin")
    assert radio.value == "upload:chu (2)"
    assert {"Chu (Shu) (uploaded: a.yaml)", "Chu (Shu) (2) (uploaded: b.yaml)"} <= set(radio.options)
    assert any("Chu (Shu) (2)" in s.value for s in at.success)
    assert metric(at, "Natural inflow") == pytest.approx(inflow_first - 250.0, abs=1)
    # the first upload is still open with its own numbers
    at.radio(key="basin").set_value("upload:chu")
    run(at)
    assert metric(at, "Natural inflow") == pytest.approx(inflow_first)


def test_download_buttons_and_their_contents(chu):
    at = start()
    open_tab(at, "tab_files")
    ids = [b.proto.id for b in at.get("download_button")]
    assert any(i.endswith("dl_scenario") for i in ids) and any(i.endswith("dl_netcdf") for i in ids)
    entry = at.session_state["results"]["chu"]
    nc = sup.netcdf_bytes(entry["result"])
    assert nc[:4] == b"\x89HDF"  # NetCDF-4 is HDF5
    csv = sup.ledger_csv(entry["result"]).decode()
    assert csv.splitlines()[0].startswith("rule,kind,party,role,period")
    # the scenario text of an edited basin re-validates and carries the edits
    e = sup.edits_from_basin(chu)
    e.reservoirs.at["CH_R_OT", "capacity_hm3"] = 480.0
    b, problems = sup.validate_edits(chu, e)
    assert not problems
    again = basins.loads(basins.dumps(b, inline=True), file="round-trip.yaml")
    assert again.spec.reservoirs[0].capacity_hm3 == 480.0


# ---- support functions ---------------------------------------------------------------------------
def test_apply_cell_edits_is_idempotent_and_converts():
    target = pd.DataFrame({"A": [1.0, 2.0]}, index=[1, 2])
    shown = pd.DataFrame({"A": [1.0, 10.0]}, index=["Jan", "Feb"])
    edited = {1: {"A": 10.0}}
    once = sup.apply_cell_edits(target, edited, shown, lambda v, pos: v * 2)
    twice = sup.apply_cell_edits(once, edited, shown, lambda v, pos: v * 2)
    assert once.equals(twice) and once.at[2, "A"] == 20.0
    cleared = sup.apply_cell_edits(target, {0: {"A": None}}, pd.DataFrame({"A": [None, 2.0]}))
    assert math.isnan(cleared.at[1, "A"])


def test_locate_maps_every_kind_of_problem(chu):
    e = sup.edits_from_basin(chu)
    e.inflow["dry"].at[7, "CH_IN_MID"] = float("nan")
    _, problems = sup.validate_edits(chu, e)
    (loc,) = [sup.locate(p) for p in problems]
    assert (loc.table, loc.year_type, loc.row, loc.column) == ("inflow", "dry", "Jul", "CH_IN_MID")
    assert loc.text.startswith("dry year, row Jul, column CH_IN_MID")
    e = sup.edits_from_basin(chu)
    e.rules["chu_vegetation_kz"]["volume_hm3"] = -1.0
    _, problems = sup.validate_edits(chu, e)
    assert [sup.locate(p).table for p in problems] == ["agreement"]


# ---- hardening: edits and the last solution survive every kind of failure ------------------------------
def inflow_edits(at: AppTest, basin: str = "chu", year_type: str = "normal") -> pd.DataFrame:
    return at.session_state["edits"][basin].inflow[year_type]


def test_edits_and_last_solution_survive_invalid_infeasible_and_timeout():
    at = start()
    default_inflow = metric(at, "Natural inflow")
    assert widget(at, "number_input", "time_limit").value == 60.0
    # a valid edit: solved at once
    open_tab(at, "tab_inputs")
    edit_cells(at, "ed_inflow_normal", {0: {"CH_IN_OT": 500.0}})
    assert not at.error, errors(at)
    edited_inflow, kz = metric(at, "Natural inflow"), metric(at, "KZ received")
    assert edited_inflow > default_inflow
    label = status(at)
    # 1. an invalid edit: refused, the edit and the last solution stay
    edit_cells(at, "ed_inflow_normal", {0: {"CH_IN_OT": 500.0}, 1: {"CH_IN_OT": -5.0}})
    assert "row Feb, column Chu headwaters into Orto-Tokoy" in errors(at)
    assert "last valid one" in warnings(at)
    assert (metric(at, "KZ received"), metric(at, "Natural inflow"), status(at)) == (kz, edited_inflow, label)
    assert inflow_edits(at).loc[1, "CH_IN_OT"] == 500.0 and inflow_edits(at).loc[2, "CH_IN_OT"] == -5.0
    edit_cells(at, "ed_inflow_normal", {0: {"CH_IN_OT": 500.0}, 1: {"CH_IN_OT": 13.0}})
    assert not at.error, errors(at)
    kz, inflow, label = metric(at, "KZ received"), metric(at, "Natural inflow"), status(at)
    # 2. an infeasible agreement (a huge hard quota): diagnosed, the inflow edits and the solution stay
    open_tab(at, "tab_agreement")
    widget(at, "radio", "mode_chu_vegetation_kz").set_value("hard")
    widget(at, "number_input", "volume_chu_vegetation_kz").set_value(50000.0)
    run(at)
    assert t("solve_failed") in errors(at) and "short by" in errors(at)
    assert "last valid one" in warnings(at)
    assert (metric(at, "KZ received"), metric(at, "Natural inflow"), status(at)) == (kz, inflow, label)
    assert inflow_edits(at).loc[1, "CH_IN_OT"] == 500.0
    assert at.session_state["edits"]["chu"].rules["chu_vegetation_kz"]["volume_hm3"] == 50000.0
    widget(at, "number_input", "volume_chu_vegetation_kz").set_value(370.0)
    run(at)
    assert not at.error, errors(at)
    kz, label = metric(at, "KZ received"), status(at)
    # 3. the solver stops at its time limit: the message says so in words, edits and solution stay
    at.number_input(key="time_limit").set_value(1e-6)
    run(at)
    assert not at.error, "a new time limit alone must not re-solve an unchanged scenario"
    # HiGHS checks its time limit between iterations: a warm re-solve from the kept basis (≈ 1 ms, a few
    # iterations) can finish before the first check, and is then a proven optimum, rightly shown. The kept
    # instances are dropped (as after a restart or an eviction: the process's models and the session's
    # Reoptimizer, results.app_solve) so that this solve starts cold and meets the limit.
    solver.clear_cache()
    at.session_state["reoptimizers"].clear()
    open_tab(at, "tab_inputs")
    edit_cells(at, "ed_inflow_normal", {0: {"CH_IN_OT": 500.0}, 1: {"CH_IN_OT": 13.0}, 2: {"CH_IN_OT": 80.0}})
    err = errors(at)
    assert t("solve_failed") in err and "stopped at its limit" in err, err
    assert t("solver_limit_hint") in err and "--time-limit" not in err and "Traceback" not in err
    assert "last valid one" in warnings(at)
    assert (metric(at, "KZ received"), status(at)) == (kz, label)
    assert inflow_edits(at).loc[3, "CH_IN_OT"] == 80.0 and inflow_edits(at).loc[1, "CH_IN_OT"] == 500.0
    assert at.session_state["edits"]["chu"].rules["chu_vegetation_kz"]["mode"] == "hard"
    run(at)  # a rerun does not retry the same failing solve, and keeps everything
    assert "stopped at its limit" in errors(at) and metric(at, "KZ received") == kz
    # a raised limit is tried again at once and solves the edited scenario
    at.number_input(key="time_limit").set_value(60.0)
    run(at)
    assert not at.error and not at.warning, (errors(at), warnings(at))
    assert metric(at, "Natural inflow") > inflow


def test_two_sessions_do_not_see_each_others_edits():
    a, b = start(), start()
    default_inflow, default_kz = metric(b, "Natural inflow"), metric(b, "KZ received")
    open_tab(a, "tab_inputs")
    edit_cells(a, "ed_inflow_normal", {0: {"CH_IN_OT": 500.0}})
    assert metric(a, "Natural inflow") > default_inflow
    run(b)
    assert (metric(b, "Natural inflow"), metric(b, "KZ received")) == (default_inflow, default_kz)
    assert "solved in" in status(b) and not b.error and not b.warning
    open_tab(b, "tab_inputs")
    shown = b.data_editor(key=editor_key(b, "ed_inflow_normal")).value
    assert shown.iloc[0]["CH_IN_OT"] != 500.0
    assert inflow_edits(b).loc[1, "CH_IN_OT"] != 500.0
    assert not [m for m in b.caption if "differ" in m.value]
    # b's own edit leaves a's alone
    edit_cells(b, "ed_inflow_normal", {0: {"CH_IN_OT": 1.0}})
    assert metric(b, "Natural inflow") < default_inflow
    run(a)
    assert inflow_edits(a).loc[1, "CH_IN_OT"] == 500.0 and metric(a, "Natural inflow") > default_inflow
    assert a.session_state["results"]["chu"]["result"] is not b.session_state["results"]["chu"]["result"]


# ---- trade-offs tab ------------------------------------------------------------------------------------
def open_subtab(at: AppTest, key: str) -> AppTest:
    at.session_state["tradeoff_tab"] = t(key)
    return run(at)


def test_tradeoffs_tab_is_lazy_and_shows_every_part():
    at = start()
    assert not at.session_state["tradeoffs"], "trade-offs computed before their tab was opened"
    open_tab(at, "tab_tradeoffs")
    assert [k.split(":")[0] for k in at.session_state["tradeoffs"]] == ["frontier"]
    spec = charts(at)["chart_frontier"]
    assert [tr["name"] for tr in spec["data"]] == [t("frontier_line"), t("agreement_point")]
    assert "hm³" in spec["layout"]["xaxis"]["title"]["text"] and "hm³" in spec["layout"]["yaxis"]["title"]["text"]
    line, point = spec["data"]
    assert len(line["x"]) >= 11 and all(b <= a + 1e-6 for a, b in zip(line["y"], line["y"][1:]))  # non-increasing
    assert point["y"][0] <= max(line["y"]) + 1e-6
    table = at.dataframe[0].value
    assert {t("col_eps"), t("col_kg_delivery_max"), t("col_price"), t("col_kz_received")} <= set(table.columns)
    assert len(table) == len(line["x"])
    assert "on the frontier KG could have" in "".join(m.value for m in at.markdown)
    # a rerun reuses the frontier
    cached = dict(at.session_state["tradeoffs"])
    run(at)
    assert dict(at.session_state["tradeoffs"]) == cached
    # hydropower: factors with their [P]/[E] marks, energy of the solution, winter-energy frontier
    open_subtab(at, "sub_hydropower")
    factors = at.dataframe[0].value
    assert t("col_head") in factors.columns and "[E]" in t("col_head") and "[P]" in t("col_capacity_mw")
    assert list(factors[t("col_reservoir")]) == ["Orto-Tokoy reservoir"]  # (by name)
    season = at.dataframe[1].value
    assert set(season[t("col_season")]) == {t("season_winter"), t("season_summer"), t("season_total")}
    specs = charts(at)
    assert {"chart_energy", "chart_energy_frontier"} <= set(specs)
    assert "GWh" in specs["chart_energy_frontier"]["layout"]["yaxis"]["title"]["text"]
    # alternative agreements: table and bars of the differences per party
    open_subtab(at, "sub_alternatives")
    alt = at.dataframe[0].value
    assert list(alt[t("col_variant")])[0] == "1983 Regulation (baseline)" and "KG claim (80/20 in Apr–Sep)" in list(alt[t("col_variant")])  # names, not ids
    assert alt[t("col_d", label=t("col_kz_received"))].iloc[0] == 0
    bars = charts(at)["chart_alternatives"]["data"]
    assert {tr["name"] for tr in bars} == {t("d_received", party="KG"), t("d_received", party="KZ"),
                                           t("d_shortage", party="KG"), t("d_shortage", party="KZ")}
    # value of each clause beside the shadow prices
    open_subtab(at, "sub_clauses")
    clauses, prices = at.dataframe[0].value, at.dataframe[1].value
    # by name (not id), as the ledger
    assert set(clauses[t("col_rule")]) == {"1983 shares of the Chu", "KZ's vegetation-period volume (Apr–Sep)"}
    assert t("col_shadow_price") in prices.columns and "1983 shares of the Chu" in set(prices[t("col_rule")])
    assert sorted(k.split(":")[0] for k in at.session_state["tradeoffs"]) == \
        ["alternatives", "clauses", "energy_frontier", "frontier"]
    assert not at.error


def test_tradeoff_errors_are_shown_in_words():
    at = start()
    at.number_input(key="time_limit").set_value(1e-6)
    run(at)
    open_tab(at, "tab_tradeoffs")
    err = errors(at)
    assert t("tradeoff_failed", what=t("what_frontier"), message="").strip(": ") in err
    assert "limit" in err and "Traceback" not in err
    assert not at.get("plotly_chart")
    # an invalid edit: nothing is computed, the tab says why
    at.number_input(key="time_limit").set_value(60.0)
    open_tab(at, "tab_inputs")
    edit_cells(at, "ed_inflow_normal", {1: {"CH_IN_OT": -5.0}})
    open_tab(at, "tab_tradeoffs")
    assert t("tradeoffs_invalid") in warnings(at)
