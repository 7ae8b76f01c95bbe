"""Flow-dependent link losses (issue 13 item 2): a ``loss_table`` read at the natural flow before the LP.

The base basin of tests/test_semantic.py, with a table on L_BORDER (J → border B). The natural flow reaching it
is the inflow at IN (the only inflow upstream of J): 60 hm³ per month, in January 60e6 / (31 × 86400) =
22.401 m³/s, so the table [[0, 0.9], [100, 0.1]] gives 0.9 − 0.008 × 22.401 = 0.7208 (low flow, high loss); at
240 hm³ per month (89.606 m³/s) it gives 0.1832. The LP's own balance at B must use exactly that fraction.
"""
from __future__ import annotations

import copy

import pytest
import yaml

import basins
import optimizer
from test_semantic import base_spec, link, located

TABLE = [[0.0, 0.9], [100.0, 0.1]]


def with_table(inflow_hm3: float) -> dict:
    spec = base_spec()
    link(spec, "L_BORDER")["loss_table"] = copy.deepcopy(TABLE)
    rows = spec["series_inline"]["inflow"].splitlines()
    spec["series_inline"]["inflow"] = "\n".join(
        [rows[0]] + [r.replace(",60.0,", f",{inflow_hm3},") if ",IN," in r else r for r in rows[1:]]) + "\n"
    return spec


@pytest.mark.parametrize("inflow_hm3, fraction", [(60.0, 0.9 - 0.008 * 60e6 / (31 * 86400)),
                                                   (240.0, 0.9 - 0.008 * 240e6 / (31 * 86400))])
def test_the_loss_is_read_off_the_table_at_the_natural_flow(inflow_hm3, fraction):
    basin = basins.loads(yaml.safe_dump(with_table(inflow_hm3), sort_keys=False), "bed.yaml")
    ds = optimizer.solve(basin, "normal", operation="agreement").dataset
    jan = {"time": 0}
    flow = lambda lid: float(ds["flow_hm3"].sel(link=lid).isel(**jan))  # noqa: E731
    assert flow("L_BORDER") > 1.0  # the reach carries water in January
    # the LP's mass balance at B: what leaves B = what the border reach delivers after its loss + the tributary
    out_of_b = flow("L_KZ") + flow("L_OUT")
    assert out_of_b == pytest.approx((1 - fraction) * flow("L_BORDER") + flow("L_TRIB"), abs=1e-6)
    assert float(ds["link_evaporation_hm3"].sel(link="L_BORDER").isel(**jan)) == \
        pytest.approx(fraction * flow("L_BORDER"), abs=1e-6)


def test_low_natural_flow_loses_a_larger_share():
    lo, hi = (basins.loads(yaml.safe_dump(with_table(q), sort_keys=False), "bed.yaml") for q in (60.0, 240.0))
    f = [optimizer.solve(b, "normal", operation="agreement").dataset for b in (lo, hi)]
    share = [float(d["link_evaporation_hm3"].sel(link="L_BORDER").sum() / d["flow_hm3"].sel(link="L_BORDER").sum())
             for d in f]
    assert share[0] > 0.7 > 0.2 > share[1]


@pytest.mark.parametrize("table, words", [
    ([[10.0, 0.5], [5.0, 0.2]], ("strictly increasing", "[10.0, 5.0]")),
    ([[0.0, 0.5], [5.0, 1.2]], ("[0, 1)", "1.2")),
    ([[0.0, 0.5]], ("two rows",)),
])
def test_a_bad_loss_table_is_a_located_error(table, words):
    spec = base_spec()
    link(spec, "L_BORDER")["loss_table"] = table
    located(spec, "link 'L_BORDER'", "loss_table", *words)


def test_a_loss_table_with_a_loss_fraction_is_an_error():
    spec = base_spec()
    link(spec, "L_BORDER").update(loss_table=TABLE, loss_fraction=0.1)
    located(spec, "link 'L_BORDER'", "loss_table", "loss_fraction")
