"""Reservoir level records → volumes through the level–area–volume tables (issue 12.2)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import basins
from basins import level_volume as lv
from optimizer.core import gauges

COLS = ["post", "date", "value", "unit"]


def _kirov_gauges(values, start="2023-08-01", post="Kirov level", **kw):
    rows = [(post, t, v, "m") for t, v in zip(pd.date_range(start, periods=len(values)), values)]
    table = lv.for_reservoir(basins.load("talas"), "TA_R_KIR")
    return gauges.from_table(pd.DataFrame(rows, columns=COLS), "kirov.csv", {post: table}, **kw)


def test_bundled_tables_match_their_reservoirs():
    for bid, node in (("talas", "TA_R_KIR"), ("chu", "CH_R_OT")):
        b = basins.load(bid)
        r = next(r for r in b.spec.reservoirs if r.node == node)
        t = lv.for_reservoir(b, node)
        # the full-supply row is the basin file's capacity and area at full
        assert t.volume_hm3[-1] == pytest.approx(r.capacity_hm3) and t.area_km2[-1] == pytest.approx(r.area_km2_at_full)
        assert t.volume_hm3[0] == 0.0 and np.all(np.diff(t.level_m) > 0) and np.all(np.diff(t.volume_hm3) > 0)
        assert set(t.marks) <= {"[P]", "[D]", "[E]"} and all(t.sources)
    assert lv.for_reservoir(basins.load("chu"), "CH_R_OT").range_text() == "1653-1700 m a.s.l."


def test_level_series_converts_to_the_hand_interpolated_volumes():
    # rows of data/talas/kirov_level_volume.csv: 988.0 m 277.913 hm3, 992.0 m 353.873, 996.0 m 444.041,
    # 1000.0 m 550.000, 928.0 m 0.000
    g = _kirov_gauges([990.0, 997.0, 1000.0, 928.0, 992.0])
    assert g.quantity["Kirov level"] == "storage" and g.unit["Kirov level"] == "hm3"
    expected = [277.913 + 0.5 * (353.873 - 277.913), 444.041 + 0.25 * (550.0 - 444.041), 550.0, 0.0, 353.873]
    np.testing.assert_allclose(g.series["Kirov level"].to_numpy(), expected, rtol=0, atol=1e-9)
    assert g.gaps == []


def test_a_level_gap_is_reported_and_stays_a_gap():
    g = _kirov_gauges([990.0, np.nan, 992.0] + [992.0] * 7)  # 1-10 Aug: a dekad of readings, one empty
    assert [(x.post, f"{x.date:%Y-%m-%d}", x.why) for x in g.gaps] == [("Kirov level", "2023-08-02", "empty value")]
    assert np.isnan(g.series["Kirov level"].loc["2023-08-02"])
    assert np.isnan(g.to_step("dekad").loc["2023-08-01", "Kirov level"])  # the dekad touched by the gap: NaN


def test_storage_reading_is_the_state_at_the_end_of_the_step():
    g = _kirov_gauges([1000.0] * 9 + [996.0])  # 1-10 Aug, the last reading at 996.0 m
    assert g.to_step("dekad").loc["2023-08-01", "Kirov level"] == pytest.approx(444.041)


def test_level_outside_the_table_names_post_date_and_range():
    with pytest.raises(gauges.GaugeError) as e:
        _kirov_gauges([990.0, 991.0, 1000.5])
    msg = str(e.value)
    assert "kirov.csv, row 4, field 'value'" in msg and "'Kirov level' on 2023-08-03" in msg
    assert "level 1000.5 m" in msg and "TA_R_KIR (928-1000 m a.s.l." in msg and "kirov_level_volume.csv" in msg
    with pytest.raises(gauges.GaugeError, match=r"'Kirov level' on 2023-08-01: level 927.9 m .*928-1000 m"):
        _kirov_gauges([927.9])


def test_table_given_for_a_flow_post_or_an_unknown_post_is_refused():
    table = lv.for_reservoir(basins.load("talas"), "TA_R_KIR")
    df = pd.DataFrame([("Kirov release", "2023-08-01", 40.0, "m3/s")], columns=COLS)
    with pytest.raises(gauges.GaugeError, match="recorded as flow .*not as a level"):
        gauges.from_table(df, "g.csv", {"Kirov release": table})
    with pytest.raises(gauges.GaugeError, match=r"posts not in the file: \['Kirov levl'\]"):
        gauges.from_table(df, "g.csv", {"Kirov levl": table})


def test_level_without_a_table_stays_a_level():
    df = pd.DataFrame([("Kirov level", "2023-08-01", 990.0, "m")], columns=COLS)
    g = gauges.from_table(df)
    assert g.quantity["Kirov level"] == "level" and g.series["Kirov level"].iloc[0] == 990.0


def test_bad_tables_are_located(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("# a comment\nlevel_m,area_km2,volume_hm3,mark,source\n10,0,0,[D],bed\n12,1,2,[E],x\n11,2,3,[E],x\n")
    with pytest.raises(lv.LevelVolumeError, match=r"t.csv, row 4, field 'level_m': 11 m does not rise"):
        lv.read(f, "R")
    f.write_text("level_m,area_km2,volume_hm3,mark,source\n10,0,0,[D],bed\n12,1,2,P,x\n")
    with pytest.raises(lv.LevelVolumeError, match=r"row 3, field 'mark'.*use \[P\]"):
        lv.read(f, "R")
    f.write_text("level_m,area_km2,volume_hm3,mark,source\n10,0,5,[D],bed\n12,1,2,[E],x\n")
    with pytest.raises(lv.LevelVolumeError, match=r"row 3, field 'volume_hm3': 2 is below the row before"):
        lv.read(f, "R")
    with pytest.raises(lv.LevelVolumeError, match="no level-volume table"):
        lv.for_reservoir(basins.load("chu"), "CH_R_TAS")


def test_a_saved_basin_carries_its_level_volume_table(tmp_path):
    # Basin.save elsewhere copies the table beside the new file and points the reservoir at the copy: the saved
    # basin converts levels exactly as the original (the bundled path ../data/... means nothing in tmp_path)
    b = basins.load("chu")
    b.save(tmp_path / "plan.yaml")
    saved = basins.load(tmp_path / "plan.yaml")
    assert {r.node: r.level_volume for r in saved.spec.reservoirs}["CH_R_OT"] == "plan_data/orto_tokoy_level_volume.csv"
    assert (tmp_path / "plan_data" / "orto_tokoy_level_volume.csv").is_file()
    a, c = lv.for_reservoir(b, "CH_R_OT"), lv.for_reservoir(saved, "CH_R_OT")
    levels = np.linspace(a.lowest_m, a.highest_m, 7)
    assert np.array_equal(a.volume(levels), c.volume(levels)) and np.array_equal(a.level_m, c.level_m)


def test_saving_a_basin_whose_table_is_gone_names_the_reservoir(tmp_path):
    b = basins.load("chu")
    b.save(tmp_path / "a.yaml")
    moved = basins.load(tmp_path / "a.yaml")
    (tmp_path / "a_data" / "orto_tokoy_level_volume.csv").unlink()
    with pytest.raises(basins.BasinError) as e:
        moved.save(tmp_path / "b.yaml")
    p = e.value.problems[0]
    assert (p.entry, p.field) == ("reservoir CH_R_OT", "level_volume") and "does not exist" in p.english
    assert not (tmp_path / "b.yaml").exists()
