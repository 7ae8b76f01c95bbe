"""Schedules, gauges, schedule operation, plan against fact, re-planning and the exchanged tables."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

import basins
import optimizer
from optimizer.analyses import named_years
from optimizer.analyses import season as S
from optimizer.core import gauges, timesteps
from optimizer.core.schedule import Schedule, ScheduleError, from_table, read, write_csv
from optimizer.interfaces.tables import HEADERS, export

# ---- gauges ----------------------------------------------------------------------------------------


def _daily(post, start, end, value, unit="m3/s", drop=()):
    return [(post, t, value(i), unit) for i, t in enumerate(pd.date_range(start, end)) if f"{t:%Y-%m-%d}" not in drop]


def test_daily_flows_average_by_duration_and_volumes_sum_over_leap_february():
    rows = _daily("Q", "2024-02-01", "2024-02-29", lambda i: float(i + 1))
    rows += _daily("V", "2024-02-01", "2024-02-29", lambda i: 2.0, unit="hm3")
    g = gauges.from_table(pd.DataFrame(rows, columns=["post", "date", "value", "unit"]))
    d = g.to_step("dekad")
    # dekad 3 of February 2024 has 9 days (21..29): mean of 21..29 = 25, volume 9 x 2 = 18
    assert d.loc["2024-02-21", "Q"] == pytest.approx(25.0)
    assert d.loc["2024-02-21", "V"] == pytest.approx(18.0)
    assert d.loc["2024-02-01", "Q"] == pytest.approx(5.5)
    assert g.to_step("month").loc["2024-02-01", "Q"] == pytest.approx(15.0)
    # a flow as hm3 per step uses the real length: 25 m3/s x 9 d x 86400 s / 1e6
    assert g.hm3("dekad").loc["2024-02-21", "Q"] == pytest.approx(25 * 9 * 86400 / 1e6)
    assert g.gaps == []


def test_gaps_are_reported_by_post_and_date_and_never_filled():
    rows = _daily("Kirov", "2023-07-01", "2023-07-31", lambda i: 40.0, drop=("2023-07-15",))
    rows.append(("Georgievka", pd.Timestamp("2023-07-01"), np.nan, "m3/s"))
    rows += _daily("Georgievka", "2023-07-02", "2023-07-10", lambda i: 6.5)
    g = gauges.from_table(pd.DataFrame(rows, columns=["post", "date", "value", "unit"]))
    found = {(x.post, f"{x.date:%Y-%m-%d}", x.why) for x in g.gaps}
    assert found == {("Kirov", "2023-07-15", "no record"), ("Georgievka", "2023-07-01", "empty value")}
    d = g.to_step("dekad")
    assert np.isnan(d.loc["2023-07-11", "Kirov"]) and np.isnan(d.loc["2023-07-01", "Georgievka"])
    assert d.loc["2023-07-01", "Kirov"] == pytest.approx(40.0)
    assert "Kirov: 1 gap(s) on 2023-07-15" in g.gap_report()


def test_gauge_file_errors_are_located(tmp_path):
    f = tmp_path / "g.csv"
    f.write_text("post,date,value,unit\nA,2023-07-01,5,m3/s\nA,2023-07-02,5,l/s\n")
    with pytest.raises(gauges.GaugeError, match=r"g.csv, row 3, field 'unit'.*use m3/s, hm3 or m"):
        gauges.read(f)
    f.write_text("post,date,value,unit\nA,2023-07-01,-5,m3/s\n")
    with pytest.raises(gauges.GaugeError, match=r"row 2, field 'value'"):
        gauges.read(f)


def test_dekadal_records_are_not_made_daily():
    rows = [("A", pd.Timestamp(t), 10.0, "m3/s") for t in ("2023-07-01", "2023-07-11", "2023-07-21")]
    g = gauges.from_table(pd.DataFrame(rows, columns=["post", "date", "value", "unit"]))
    assert g.step["A"] == "dekad"
    assert g.to_step("month").loc["2023-07-01", "A"] == pytest.approx(10.0)
    with pytest.raises(gauges.GaugeError, match="cannot be given per day"):
        g.to_step("day")


# ---- schedule files ----------------------------------------------------------------------------------


def test_schedule_round_trip_and_units(tmp_path):
    times = timesteps.horizon("2024-02", 1, "dekad")
    s = Schedule.from_m3s(pd.DataFrame({"TA_L_BORDER": [10.0, 20.0, 30.0]}, index=times), "dekad")
    # 30 m3/s over the 9 days of dekad 3 of February 2024
    assert s.plan_hm3["TA_L_BORDER"].iloc[2] == pytest.approx(30 * 9 * 0.0864)
    assert s.cumulative_hm3["TA_L_BORDER"].iloc[-1] == pytest.approx(0.0864 * (100 + 200 + 270))
    back = read(write_csv(s, tmp_path / "s.csv"), step="dekad", basin=basins.load("talas"))
    np.testing.assert_allclose(back.plan_hm3.to_numpy(), s.plan_hm3.to_numpy(), rtol=1e-12)


def test_schedule_errors_name_file_row_field_and_fix(tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text("post,step_start,plan_m3s\nTA_L_BORDER,2025-04-01,10\nTA_L_NOPE,2025-04-11,10\n")
    with pytest.raises(ScheduleError, match=r"bad.csv, row 3, field 'post': 'TA_L_NOPE' is not a link"):
        read(f, basin=basins.load("talas"))
    f.write_text("post,step_start,plan_m3s\nTA_L_BORDER,2025-04-01,10\nTA_L_BORDER,2025-04-11,x\n")
    with pytest.raises(ScheduleError, match=r"row 3, field 'plan_m3s'.*write the planned delivery as a number"):
        read(f)
    f.write_text("post,step_start,plan_m3s\nTA_L_BORDER,2025-04-01,10\nTA_L_BORDER,2025-04-21,10\n")
    with pytest.raises(ScheduleError, match="step_start"):
        read(f)  # dekad 2 missing: not consecutive steps
    dekads = pd.DataFrame({"post": ["TA_L_BORDER"] * 3, "step_start": ["2025-04-01", "2025-04-11", "2025-04-21"],
                           "plan_hm3": [1.0, 2.0, 3.0]})
    with pytest.raises(ScheduleError, match="the schedule is per dekad, the run per month"):
        from_table(dekads, step="month")


# ---- schedule operation, plan against fact, re-planning ------------------------------------------------


@pytest.fixture(scope="module")
def talas_2023():
    s = S.season("talas", 2023, named=True, step="dekad")
    plan, prop = S.propose(s)
    run = S.follow(s, plan)
    return s, plan, prop, run


def test_schedule_is_met_in_schedule_operation(talas_2023):
    s, plan, _, run = talas_2023
    got = S.receipts(run, s.posts)
    assert plan.total_hm3().sum() == pytest.approx(344.7, abs=1e-6)  # the Commission's 2023 plan
    assert (got.to_numpy() >= plan.plan_hm3.to_numpy() - 1e-6).all()
    assert run.manifest["options"]["operation"] == "schedule"


def test_schedule_operation_delivers_the_plan_before_kg_intakes():
    """A schedule above what upstream-first leaves KZ is delivered in schedule operation, at KG's expense."""
    s = S.season("talas", 2025, forecast=1.0, step="month")
    sq = optimizer.solve("talas", inflow=s.inflow, operation="status-quo", step="month")
    base = S.receipts(sq, s.posts)
    plan = Schedule(base + 5.0, "month")  # 5 hm3 more in every month than upstream-first delivers
    run = S.follow(s, plan)
    got = S.receipts(run, s.posts)
    assert (got.to_numpy() >= plan.plan_hm3.to_numpy() - 1e-6).all()
    kg = lambda r: float(r.dataset["delivery_hm3"].sel(demand=[d.node for d in r_b.spec.demands if d.party == "KG"]).sum())  # noqa: E731
    r_b = basins.load("talas")
    assert kg(run) < kg(sq)


def test_schedule_needs_operation_schedule():
    s = S.season("talas", 2025, forecast=1.0, step="month")
    with pytest.raises(ValueError, match="needs a schedule"):
        optimizer.solve("talas", inflow=s.inflow, operation="schedule")


def test_plan_vs_fact_matches_hand_arithmetic():
    times = timesteps.horizon("2025-04", 1, "dekad")
    plan = Schedule(pd.DataFrame({"P": [10.0, 20.0, 30.0]}, index=times), "dekad")
    act = pd.DataFrame({"P": [12.0, 15.0, 30.0]}, index=times)
    t = S.plan_vs_fact(plan, act)
    assert t["cum_plan_hm3"].tolist() == [10.0, 30.0, 60.0]
    assert t["cum_actual_hm3"].tolist() == [12.0, 27.0, 57.0]
    assert t["deviation_hm3"].tolist() == pytest.approx([2.0, -3.0, -3.0])
    assert t["fulfilment_pct"].tolist() == pytest.approx([120.0, 90.0, 95.0])
    assert t["plan_m3s"].iloc[0] == pytest.approx(10.0 / 0.864)
    assert len(S.plan_vs_fact(plan, act, until="2025-04-11")) == 2
    # cumulative to a date inside a step counts the step's days up to it: 10 + 20 × 5/10
    assert S.cumulative_to(plan.plan_hm3["P"], "dekad", pd.Timestamp("2025-04-01"), pd.Timestamp("2025-04-15")) == 20.0


def test_replanning_keeps_the_past_fixed(talas_2023):
    s, plan, _, run = talas_2023
    date = pd.Timestamp("2023-07-01")
    rp = S.replan(s, plan, run, date)
    got = S.receipts(run, s.posts)
    past = got.index < date
    np.testing.assert_array_equal(rp.combined.loc[past].to_numpy(), got.loc[past].to_numpy())
    assert rp.combined.index.equals(got.index)
    # the rest starts from the schedule run's storage at the end of June
    kirov = float(run.dataset["storage_hm3"].sel(reservoir="TA_R_KIR", time="2023-06-21"))
    assert rp.storage_at_date["TA_R_KIR"] == pytest.approx(kirov)
    assert float(rp.result.dataset["storage_start_hm3"].sel(reservoir="TA_R_KIR").isel(time=0)) == pytest.approx(kirov)
    # what is still due at the post after June is planned (and met) over the remaining steps
    due = plan.total_hm3()["TA_L_BORDER"] - got.loc[past, "TA_L_BORDER"].sum()
    assert rp.schedule.total_hm3()["TA_L_BORDER"] >= max(due, 0.0) - 1e-6


# ---- named years -------------------------------------------------------------------------------------


def test_named_years_take_their_figures_from_data_observed():
    ny = named_years.scenario("talas", 2023)
    assert ny.initial_storage["TA_R_KIR"].value == 445.6 and ny.initial_storage["TA_R_KIR"].status == "P"
    assert ny.plan.value == 344.7
    assert named_years.scenario("chu", 2024).plan.value == 180.0
    s = S.season("chu", 2023, named=True)
    assert s.availability == pytest.approx(0.78)
    assert s.operative_quota_hm3 == pytest.approx(370 * 0.78)  # no 2023 Chu plan published: Regulation × availability
    assert s.regulation_quota_hm3 == 370
    with pytest.raises(ValueError, match="named years"):
        named_years.scenario("talas", 2019)


# ---- exported tables ---------------------------------------------------------------------------------


def test_workbook_reads_back_with_the_same_numbers(tmp_path, talas_2023):
    s, plan, _, run = talas_2023
    pf = S.plan_vs_fact(plan, S.receipts(run, s.posts))
    path = export(tmp_path / "season.xlsx", "dekad", schedule=plan, plan_fact=pf, ledger=run.ledger)[0]
    book = pd.read_excel(path, sheet_name=None)
    assert set(book) == {"schedule", "plan_fact", "ledger"}
    sh = book["schedule"]
    assert HEADERS["plan_m3s"] == "План, м³/с / Plan, m³/s" and HEADERS["plan_m3s"] in sh.columns
    np.testing.assert_allclose(sh[HEADERS["cumulative_hm3"]].to_numpy(),
                               plan.cumulative_hm3["TA_L_BORDER"].to_numpy(), atol=5e-4)
    assert sh[HEADERS["step"]].iloc[0] == "I дек. апрель 2023 / 2023-04 dekad 1"
    got = book["plan_fact"]
    np.testing.assert_allclose(got[HEADERS["cum_actual_hm3"]].to_numpy(), pf["cum_actual_hm3"].to_numpy(), atol=5e-4)
    csvs = export(tmp_path / "season.csv", "dekad", schedule=plan, plan_fact=pf)
    back = pd.read_csv(csvs[1], encoding="utf-8-sig")
    np.testing.assert_allclose(back[HEADERS["deviation_hm3"]].to_numpy(), pf["deviation_hm3"].to_numpy(), atol=5e-4)


def test_cli_schedule_and_solve_year(tmp_path, capsys):
    from optimizer.interfaces.cli import main
    out = tmp_path / "t.xlsx"
    assert main(["schedule", "talas", "--year", "2024", "--step", "month", "--replan", "2024-07-01",
                 "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "operative quota 380.0 hm3 (Regulation reference 590 hm3)" in text
    assert "published [P] KZ receipts, Talas 2024-04-01..2024-09-02: 394.3 hm3" in text
    assert "re-plan from 2024-07-01" in text and "storage gain over the season" in text
    book = pd.read_excel(out, sheet_name=None)
    assert book["schedule"][HEADERS["plan_hm3"]].sum() == pytest.approx(380.0, abs=0.01)
    page = tmp_path / "s.html"
    assert main(["schedule", "talas", "--year", "2024", "--step", "month", "--html", str(page)]) == 0
    capsys.readouterr()
    doc = page.read_text(encoding="utf-8")
    assert "394.3 [P]" in doc and "План нараст., млн м³ / Cumulative plan, hm³" in doc
    assert pd.read_html(io.StringIO(doc))[0].iloc[-1, 2] == pytest.approx(380.0, abs=0.05)
    assert main(["solve", "talas", "--year", "2023", "--operation", "status-quo"]) == 0
    text = capsys.readouterr().out
    assert "operative quota 344.7 hm3" in text and "storage gain: TA_R_KIR" in text


def test_probability_that_the_schedule_is_met_falls_with_drier_members():
    s = S.season("talas", 2025, forecast=1.0, step="month")
    plan, _ = S.propose(s)
    p = S.probability_met(s, plan, [0.3, 1.0, 1.2])
    row = p.loc["TA_L_BORDER"]
    assert row["plan_hm3"] == pytest.approx(590.0, abs=1e-6)  # normal forecast: the Regulation's 590
    assert row["members"] == 3
    # the forecast and a wetter member meet it; 30 % of the forecast cannot (less water than the plan needs)
    assert row["probability_met"] == pytest.approx(2 / 3)
    assert row["received_min_hm3"] < 0.99 * 590.0 <= row["received_median_hm3"]


def test_plan_fact_figure_has_a_plan_and_an_actual_line_per_post():
    times = timesteps.horizon("2025-04", 1, "dekad")
    plan = Schedule(pd.DataFrame({"P": [10.0, 20.0, 30.0]}, index=times), "dekad")
    fig = S.figure(S.plan_vs_fact(plan, pd.DataFrame({"P": [12.0, 15.0, 30.0]}, index=times)))
    assert [tr.name for tr in fig.data] == ["P plan", "P actual"]
    assert list(fig.data[1].y) == [12.0, 27.0, 57.0]
    assert fig.layout.yaxis.title.text == "cumulative delivery, hm³"


def test_cli_schedule_against_measured_gauges(tmp_path, capsys):
    from optimizer.interfaces.cli import main
    g = tmp_path / "g.csv"
    rows = ["post,date,value,unit"] + [f"TA_L_BORDER,{t:%Y-%m-%d},20,m3/s" for t in pd.date_range("2024-04-01", "2024-04-30")
                                      if t != pd.Timestamp("2024-04-15")]
    g.write_text("\n".join(rows) + "\n")
    out = tmp_path / "pf.csv"
    assert main(["schedule", "talas", "--year", "2024", "--gauges", str(g), "--out", str(out)]) == 0
    cap = capsys.readouterr()
    assert "TA_L_BORDER: 1 gap(s) on 2024-04-15" in cap.err
    assert "received unknown (a gap in the measured series)" in cap.out
    pf = pd.read_csv(out.with_suffix(".plan_fact.csv"), encoding="utf-8-sig")
    actual = pf[HEADERS["actual_hm3"]].tolist()
    # 20 m3/s for the 10 days of dekad 1 = 17.28 hm3; dekad 2 has a gap: not filled, NaN; dekad 3 17.28
    assert actual[0] == pytest.approx(17.28) and np.isnan(actual[1]) and actual[2] == pytest.approx(17.28)
    assert len(pf) == 3
    assert np.isnan(pf[HEADERS["cum_actual_hm3"]].iloc[2])  # a gap makes the cumulative fact unknown after it
