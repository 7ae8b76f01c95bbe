"""Time to load and validate large basin files (issue 9's targets), measured here rather than in timed tests:

- the 400-canal synthetic network (1,600 nodes and links), ``basins.loads``: target ≤ 2 s;
- the same network with inflow series for 140 year types, a file near the app's 2 MB upload limit: target ≤ 10 s;
- the network checks alone on 250 and 1,000 canals: a linear check grows ≈ 4×, a per-node search ≥ 16×.

    PYTHONPATH=. python benchmarks/bench_validate.py [--repeat 3]

Best of ``--repeat`` runs (the least disturbed by other load on the machine).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import basins  # noqa: E402
from basins import network  # noqa: E402
from fixtures import BlockDumper  # noqa: E402
from test_semantic import canal_network  # noqa: E402

from optimizer.interfaces.app_support import UPLOAD_MAX_BYTES  # noqa: E402


def best(f, repeat: int) -> float:
    out = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        out = min(out, time.perf_counter() - t0)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    text = yaml.safe_dump(canal_network(400), sort_keys=False, width=120)
    s400 = best(lambda: basins.loads(text, "canals.yaml"), args.repeat)
    big = yaml.dump(canal_network(400, year_types=tuple(f"y{i}" for i in range(140))), Dumper=BlockDumper,
                    sort_keys=False, width=120)
    mb = len(big.encode()) / 2**20
    sbig = best(lambda: basins.loads(big, "canals.yaml"), max(1, args.repeat - 1))
    small, large = (basins.BasinSpec.model_validate(canal_network(n)) for n in (250, 1000))
    c_small = best(lambda: network.check(small, "canals.yaml"), args.repeat)
    c_large = best(lambda: network.check(large, "canals.yaml"), args.repeat)
    ok = s400 <= 2.0 and sbig <= 10.0 and c_large <= 10 * c_small + 0.05
    print(f"400-canal network, basins.loads:           {s400:6.2f} s   (target <= 2 s)")
    print(f"{mb:.2f} MB upload (limit {UPLOAD_MAX_BYTES / 2**20:.1f} MB), basins.loads: {sbig:6.2f} s   (target <= 10 s)")
    print(f"network checks, 250 -> 1000 canals:        {c_small * 1e3:6.1f} -> {c_large * 1e3:6.1f} ms "
          f"({c_large / c_small:.1f}x; linear ~4x)")
    print("all targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
