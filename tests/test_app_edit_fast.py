"""An edit re-checks only the changed numbers (issue 15 item 3): ``revalidate_series`` gives exactly the basin the
full validation gives, falls back to it for anything else, and the app uses it for a valid series edit."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import basins
import optimizer
from optimizer.interfaces.app import edits as E

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("basin_id", ["chu", "talas"])
def test_changed_cells_check_gives_the_basin_the_full_validation_gives(basin_id):
    b = basins.load(basin_id)
    defaults = E.edits_from_basin(b)
    yt = b.year_types[0]
    e = defaults.copy()
    e.inflow[yt].iloc[3, 0] += 1.25
    e.demand.iloc[5, 1] *= 0.5
    slow, problems = E.validate_edits(b, e)
    fast, none = E.revalidate_series(b, defaults, e)
    assert problems == [] and none == []
    series = {"series_files", "series_inline"}  # (the arrays carry the series; a download writes them from there)
    assert fast.spec.model_dump(exclude=series) == slow.spec.model_dump(exclude=series)
    assert fast.sha256() == slow.sha256() and fast.path is None
    assert basins.dumps(fast, inline=True) == basins.dumps(slow, inline=True)  # the scenario file saved is the same
    assert float(fast.inflow.sel(year_type=yt).isel(month=3, node=0)) == pytest.approx(
        float(b.inflow.sel(year_type=yt).isel(month=3, node=0)) + 1.25, abs=1e-12)
    e2 = e.copy()  # a second edit from the fast basin: still the same as checking everything
    e2.inflow[yt].iloc[4, 0] += 2.0
    assert E.revalidate_series(fast, e, e2)[0].sha256() == E.validate_edits(b, e2)[0].sha256()
    assert np.array_equal(b.inflow.values, basins.load(basin_id).inflow.values)  # the checked basin is not touched


@pytest.mark.parametrize("bad", [-1.0, np.nan, np.inf, 2e9])
def test_a_bad_changed_cell_falls_back_to_the_full_validation(bad):
    b = basins.load("chu")
    defaults = E.edits_from_basin(b)
    e = defaults.copy()
    e.inflow["normal"].iloc[0, 0] = bad
    assert E.revalidate_series(b, defaults, e) is None
    _, problems = E.validate_edits(b, e)
    assert problems  # (the loader's located message, shown next to the cell)


def test_any_other_change_falls_back_to_the_full_validation():
    b = basins.load("chu")
    defaults = E.edits_from_basin(b)
    for change in ("reservoir", "canal", "rule", "priority"):
        e = defaults.copy()
        if change == "reservoir":
            e.reservoirs.iloc[0, e.reservoirs.columns.get_loc("capacity_hm3")] += 1
        elif change == "canal":
            e.canals.iloc[0, e.canals.columns.get_loc("capacity")] += 1
        elif change == "rule":
            next(iter(e.rules.values()))["mode"] = "soft"
        else:
            e.priorities[next(iter(e.priorities))] += 1
        assert E.revalidate_series(b, defaults, e) is None, change


def test_the_app_checks_only_the_changed_cells_of_a_series_edit(monkeypatch):
    calls = []
    real = E.validate_edits

    def counting(base, e):
        calls.append(1)
        return real(base, e)

    monkeypatch.setattr(E, "validate_edits", counting)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    inflow = lambda: float(re.sub(r"[^\d.]", "", next(m.value for m in at.metric if m.label == "Natural inflow")))  # noqa: E731
    before = inflow()
    at.session_state["tab"] = "Inputs"
    at.run()
    (key,) = [d.key for d in at.data_editor if d.key and d.key.startswith("ed_inflow_normal")]
    v = float(at.data_editor(key=key).value.iloc[0, 0])
    at.session_state[key] = {"edited_rows": {"0": {"CH_IN_OT": v + 100.0}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception and not at.error
    assert calls == []  # no YAML round trip: only the changed cell was checked
    assert inflow() == pytest.approx(before + 100.0, abs=1.0)  # and the solve used the edited number
    # the solve pushed only the changed row bounds to the kept instances and ran stage 2 alone (results.app_solve)
    ro = list(at.session_state["reoptimizers"].values())[-1]  # (the most recently used)
    assert ro.allocation.path == "bounds"
    shown = at.session_state["results"]["chu"]["result"]
    edited_basin, opts = at.session_state["results"]["chu"]["label_args"]
    fresh = optimizer.solve(edited_basin, **opts)  # the same problem solved cold in one call
    assert shown.manifest["inputs_sha256"] == fresh.manifest["inputs_sha256"] and shown.manifest["model_reused"]
    np.testing.assert_allclose(shown.dataset["flow_hm3"].values, fresh.dataset["flow_hm3"].values, rtol=0, atol=1e-6)
    at.session_state[key] = {"edited_rows": {"0": {"CH_IN_OT": -5.0}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert calls == [1]  # a bad number: the whole basin is checked and the problem located as before
    assert "Chu headwaters into Orto-Tokoy" in "\n".join(e.value for e in at.error)  # (the column by name)


def test_an_inflow_edit_that_stays_infeasible_is_diagnosed_each_time():
    """A hard vegetation quota of 1,000 hm³ and the Apr–Sep inflows edited to 0, then April to 0.5: both edits are
    infeasible and both are diagnosed; the app never shows the diagnosis's relaxed LP as a solution (review of
    6997e27: the second edit came back "solved … (model reused)" with an objective of 4.4e7)."""
    from test_app import edit_cells, errors, open_tab, run, start, widget

    at = start()
    open_tab(at, "tab_agreement")
    widget(at, "radio", "mode_chu_vegetation_kz").set_value("hard")
    widget(at, "number_input", "volume_chu_vegetation_kz").set_value(1000.0)
    run(at)
    assert not at.error  # 1,000 of a normal year's Apr–Sep: feasible
    solved = at.session_state["results"]["chu"]["result"]
    open_tab(at, "tab_inputs")
    nodes = ["CH_IN_OT", "CH_IN_MID", "CH_IN_VAL_KG", "CH_IN_VAL_KZ"]
    for april in (0.0, 0.5):
        edit_cells(at, "ed_inflow_normal", {m: {n: (april if m == 3 else 0.0) for n in nodes} for m in range(3, 9)})
        assert "short by" in errors(at), april  # the diagnosis, in words
        assert at.session_state["results"]["chu"]["result"] is solved  # the last valid solution stays shown
