"""The result's ledger and cost split are made when first read (issue 15: a re-solve that only draws flows does
not pay for them) and are then the tables an eager build gives; a pickled result carries them."""

from __future__ import annotations

import pickle

import pandas as pd

import optimizer
from optimizer.core import result as res


def test_tables_made_on_first_read_equal_the_eager_tables(monkeypatch):
    made = []
    real = res.ledger
    monkeypatch.setattr(res, "ledger", lambda *a: made.append(1) or real(*a))
    r = optimizer.solve("talas", "dry", months=24)
    assert made == []  # not made by the solve
    led = r.ledger
    assert made == [1] and r.ledger is led  # made once, on the first read, then kept
    # the same as building the tables from the result's dataset and the inputs at once
    assert (led["status"] != "").all() and led["received_hm3"].notna().all()
    monkeypatch.undo()
    eager = optimizer.solve("talas", "dry", months=24)
    pd.testing.assert_frame_equal(led, eager.ledger)
    pd.testing.assert_frame_equal(r.cost_sharing, eager.cost_sharing)


def test_a_pickled_result_carries_its_tables():
    r = optimizer.solve("chu", "normal", months=12)
    back = pickle.loads(pickle.dumps(r))
    pd.testing.assert_frame_equal(back.ledger, r.ledger)
    pd.testing.assert_frame_equal(back.cost_sharing, r.cost_sharing)
    assert back.manifest == r.manifest and back.dataset.identical(r.dataset)
