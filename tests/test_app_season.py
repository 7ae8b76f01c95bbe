"""The season schedule typed in the app (optimizer/interfaces/app/season.py, page_season.py), driven headless with
AppTest: the editor is pre-filled with the proposed schedule (m³/s per dekad), a typed or uploaded plan is operated
with operation="schedule", and plan against fact per post is shown with numbers the model computed."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import basins
from optimizer.analyses import season as S
from optimizer.core import schedule as sched_mod
from optimizer.core.timesteps import SECONDS_PER_DAY
from optimizer.interfaces import ui_text
from optimizer.interfaces.app import season as A
from optimizer.interfaces.ui_text import t

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
POST = "TA_L_BORDER"
HM3_PER_M3S_DAY = SECONDS_PER_DAY / 1e6  # 1 m³/s over one day = 0.0864 hm³


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def season_tab(basin: str = "talas", lang: str = "en") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["lang"] = lang
    with ui_text.language(lang):  # AppTest calls the app's format functions in this thread
        run(at)
        at.radio(key="basin").set_value(basin)
        run(at)
        at.session_state["tab"] = t("tab_schedule")
        return run(at)


def plan_key(at: AppTest) -> str:
    keys = [d.key for d in at.data_editor if d.key and d.key.startswith("season_plan|")]
    assert len(keys) == 1, [d.key for d in at.data_editor]
    return keys[0]


def type_cells(at: AppTest, rows: dict) -> AppTest:
    at.session_state[plan_key(at)] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}
    return run(at)


def post_metric(at: AppTest, name: str = "Talas at the border") -> tuple[float, str]:
    (m,) = [m for m in at.metric if m.label == name]
    return float(re.sub(r"[^\d.\-]", "", m.value)), m.delta


def plan_fact_table(at: AppTest) -> pd.DataFrame:
    found = [d.value for d in at.dataframe if t("pf_col_fulfilment_pct") in d.value.columns]
    assert len(found) == 1, [list(d.value.columns) for d in at.dataframe]
    return found[0]


def numbers(delta: str) -> list[float]:
    return [float(x.replace(",", "")) for x in re.findall(r"[-+]?[\d,]+\.\d", delta)]


@pytest.fixture(scope="module")
def talas_season():
    return S.season(basins.load("talas"), 2025, step="dekad")


def test_prefilled_with_the_proposed_schedule_and_met(talas_season):
    at = season_tab()
    proposed, _ = S.propose(talas_season)
    shown = at.data_editor(key=plan_key(at)).value
    assert list(shown.index) == [A.dekad_label(ts) for ts in talas_season.times] and len(shown) == 18
    assert shown.index[0] == "Apr 2025, dekad I"
    assert (shown[POST] - proposed.plan_m3s[POST].clip(lower=0).round(3).to_numpy()).abs().max() < 1e-9
    pct, delta = post_metric(at)
    dev, fact, plan = numbers(delta)
    assert plan == pytest.approx(590.0, abs=0.05)  # the operative quota of a normal forecast: the Regulation's 590 hm³
    assert pct == pytest.approx(100.0, abs=0.05) and fact == pytest.approx(plan, abs=0.05) and abs(dev) < 0.05
    assert not at.error


def test_a_typed_plan_the_river_can_meet_shows_100_percent(talas_season):
    at = season_tab()
    shown = at.data_editor(key=plan_key(at)).value
    first = float(shown[POST].iloc[0])
    type_cells(at, {"0": {POST: first - 20.0}})  # 20 m³/s less in the first dekad (10 days)
    pct, delta = post_metric(at)
    dev, fact, plan = numbers(delta)
    assert plan == pytest.approx(590.0 - 20.0 * 10 * HM3_PER_M3S_DAY, abs=0.1)  # 590 − 17.28 hm³
    assert pct == pytest.approx(100.0, abs=0.05) and fact == pytest.approx(plan, abs=0.1) and abs(dev) < 0.05
    # the table is plan against fact per dekad: the first dekad's plan is what was typed, in m³/s
    table = plan_fact_table(at)
    first_row = table[table[t("col_dekad")] == "Apr 2025, dekad I"].iloc[0]
    assert first_row[t("pf_col_plan_m3s")] == pytest.approx(first - 20.0, abs=1e-3)
    assert first_row[t("pf_col_plan_hm3")] == pytest.approx((first - 20.0) * 10 * HM3_PER_M3S_DAY, abs=1e-3)
    last = table.iloc[-1]
    assert last[t("pf_col_cum_plan_hm3")] == pytest.approx(plan, abs=0.1)
    assert float(last[t("pf_col_fulfilment_pct")]) == pytest.approx(100.0, abs=0.05)


def test_a_plan_larger_than_the_river_shows_the_shortfall(talas_season):
    at = season_tab()
    type_cells(at, {str(i): {POST: 500.0} for i in range(18)})
    pct, delta = post_metric(at)
    dev, fact, plan = numbers(delta)
    assert plan == pytest.approx(500.0 * 183 * HM3_PER_M3S_DAY, abs=0.1)  # 183 days Apr–Sep: 7,905.6 hm³
    # no more can reach the border than the season's natural inflow and the water stored at its start (Kirov above
    # its dead storage, the valley aquifer that lags the KG returns)
    spec = talas_season.basin.spec
    stored = sum(r.initial_storage_hm3 - r.dead_storage_hm3 for r in spec.reservoirs) + \
        sum(a.initial_storage_hm3 for a in spec.aquifers)
    natural = float(talas_season.inflow.sum())
    assert 0 < fact < natural + stored < plan
    assert dev == pytest.approx(fact - plan, abs=0.1) and dev < -6000
    assert pct == pytest.approx(100.0 * fact / plan, abs=0.05) and pct < 100
    assert delta.startswith("-")  # the shortfall reads as a deficit (red arrow down)
    # the app's numbers are the model's: operate the same schedule directly and compare per dekad
    q = pd.DataFrame({POST: 500.0}, index=talas_season.times)
    direct = S.plan_vs_fact(sched_mod.Schedule.from_m3s(q, "dekad"),
                            S.receipts(S.follow(talas_season, sched_mod.Schedule.from_m3s(q, "dekad")), [POST]))
    table = plan_fact_table(at)
    assert table[t("pf_col_actual_hm3")].to_numpy() == pytest.approx(direct["actual_hm3"].to_numpy(), abs=1e-3)
    assert table[t("pf_col_deviation_hm3")].iloc[-1] == pytest.approx(dev, abs=0.1)


def test_bad_entries_are_named_by_post_and_dekad_and_kept():
    at = season_tab()
    pct0, delta0 = post_metric(at)
    type_cells(at, {"2": {POST: -5}, "3": {POST: "abc"}, "4": {POST: None}})
    err = "\n".join(e.value for e in at.error)
    assert "Talas at the border, Apr 2025, dekad III: -5 is not a flow ≥ 0 m³/s" in err
    assert "Talas at the border, May 2025, dekad I: 'abc' is not a number" in err
    assert "Talas at the border, May 2025, dekad II: empty" in err
    assert "(3)" in err
    # nothing typed is lost: the editor's state still holds the entries; the last valid result stays, marked stale
    state = at.session_state[plan_key(at)]["edited_rows"]
    assert state["2"][POST] == -5 and state["3"][POST] == "abc"
    assert [w.value for w in at.warning] == [t("season_stale")]
    assert post_metric(at) == (pct0, delta0)
    type_cells(at, {"2": {POST: 5.0}, "3": {POST: 6.0}, "4": {POST: 7.0}})  # fixed: operated again, no error
    assert not at.error and not at.warning
    table = plan_fact_table(at)
    assert table[t("pf_col_plan_m3s")].iloc[2:5].tolist() == pytest.approx([5.0, 6.0, 7.0])


def _upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key="season_upload").set_value((name, data, "text/csv"))
    return run(at)


def test_uploaded_schedule_replaces_the_table_and_a_bad_one_is_refused(talas_season):
    at = season_tab()
    before = at.data_editor(key=plan_key(at)).value.copy()
    bad = "post,step_start,plan_m3s\nTA_L_XX,2025-04-11,10\n" + "".join(
        f"{POST},{ts:%Y-%m-%d},10\n" for ts in talas_season.times)
    _upload(at, "plan.csv", bad.encode())
    err = "\n".join(e.value for e in at.error)
    assert "plan.csv was not loaded" in err and "TA_L_XX, Apr 2025, dekad II: not an accounting post" in err
    assert at.data_editor(key=plan_key(at)).value.equals(before)  # the table is unchanged
    # a schedule file as `chutalas schedule --out` writes it (long table, plan_m3s and plan_hm3)
    q = pd.DataFrame({POST: 12.5}, index=talas_season.times)
    buf = io.StringIO()
    df = sched_mod.Schedule.from_m3s(q, "dekad").to_long()
    df["step_start"] = df["step_start"].dt.strftime("%Y-%m-%d")
    df.to_csv(buf, index=False)
    _upload(at, "ok.csv", buf.getvalue().encode())
    assert not at.error
    shown = at.data_editor(key=plan_key(at)).value
    assert shown[POST].tolist() == pytest.approx([12.5] * 18)
    _, delta = post_metric(at)
    assert numbers(delta)[2] == pytest.approx(12.5 * 183 * HM3_PER_M3S_DAY, abs=0.1)  # 197.6 hm³ planned


def test_season_tab_in_russian():
    at = season_tab(lang="ru")
    with ui_text.language("ru"):
        assert at.data_editor(key=plan_key(at)).value.index[0] == "I декада апр 2025"
        (m,) = [m for m in at.metric if m.label == "р. Талас на границе"]
        assert m.value == "100,0 %" and "млн м³ к плану" in m.delta  # a Russian decimal comma
        table = plan_fact_table(at)
        assert {t("pf_col_plan_m3s"), t("pf_col_cum_plan_hm3"), t("pf_col_fulfilment_pct")} <= set(table.columns)
        assert "План, м³/с" in table.columns and "Выполнение, %" in table.columns


def test_no_plan_yet_reads_as_a_dash_not_a_number(talas_season):
    q = pd.DataFrame({POST: [0.0, 0.0] + [10.0] * 16}, index=talas_season.times)
    sched = sched_mod.Schedule.from_m3s(q, "dekad")
    actual = sched.plan_hm3 * 0.5  # half of the plan arrives
    table = A.plan_fact_display(S.plan_vs_fact(sched, actual), {POST: "Talas at the border"})
    pct = table[t("pf_col_fulfilment_pct")].tolist()
    assert pct[:2] == ["—", "—"] and pct[2:] == ["50.0"] * 16
    assert table[t("pf_col_deviation_hm3")].iloc[-1] == pytest.approx(
        -0.5 * 10.0 * (183 - 20) * HM3_PER_M3S_DAY, abs=0.01)  # half of 10 m³/s over 163 days: -70.4 hm³
