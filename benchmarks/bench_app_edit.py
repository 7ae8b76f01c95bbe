"""Edit → re-run time of the app in AppTest (issue 15 item 3): one inflow cell edited on the Inputs tab, the
script re-run (editor, validation of the edit, solve, status). Median of ``--repeats`` edits, alternating values.

    PYTHONPATH=$PWD python benchmarks/bench_app_edit.py [--root DIR] [--repeats 15] [--months 12]

``--root`` runs another checkout's app.py (e.g. an older commit exported with ``git archive``), so that two
versions are measured on the same machine in the same way. Besides the whole re-run, it times the edit's validation
alone: the full check (``validate_edits``: YAML text re-read by ``basins.loads``) and, where the checkout has it,
the changed-cells check (``revalidate_series``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default=str(Path(__file__).resolve().parents[1]))
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--months", type=int, default=12)
    args = ap.parse_args()
    root = Path(args.root).resolve()
    sys.path.insert(0, str(root))
    from streamlit.testing.v1 import AppTest

    import basins
    from optimizer.interfaces import app_support as sup

    at = AppTest.from_file(str(root / "app.py"), default_timeout=120)
    at.run()
    at.number_input(key="months").set_value(args.months)
    at.run()
    at.session_state["tab"] = "Inputs"
    at.run()
    (key,) = [d.key for d in at.data_editor if d.key and d.key.startswith("ed_inflow_normal")]
    base_value = float(at.data_editor(key=key).value.iloc[0, 0])
    times = []
    for i in range(args.repeats + 2):
        at.session_state[key] = {"edited_rows": {"0": {"CH_IN_OT": base_value + 0.5 * (1 + i % 2)}},
                                 "added_rows": [], "deleted_rows": []}
        t0 = time.perf_counter()
        at.run()
        if i >= 2:  # (the first two build the model and fill the caches)
            times.append(time.perf_counter() - t0)
        assert not at.exception, at.exception
    chu = basins.load("chu")
    defaults = sup.edits_from_basin(chu)
    e = defaults.copy()
    e.inflow["normal"].iloc[0, 0] += 0.5
    full = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        sup.validate_edits(chu, e)
        full.append(time.perf_counter() - t0)
    quick = []
    if hasattr(sup, "revalidate_series"):
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            sup.revalidate_series(chu, defaults, e)
            quick.append(time.perf_counter() - t0)
    print(f"{root}: Chu, {args.months} months, {args.repeats} edits")
    print(f"  edit -> re-run (AppTest), median      {statistics.median(times):.3f} s  (min {min(times):.3f})")
    print(f"  full validation of the edit, median   {statistics.median(full) * 1e3:.1f} ms")
    if quick:
        print(f"  changed-cells check, median           {statistics.median(quick) * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
