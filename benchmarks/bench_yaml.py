"""Time to read a basin file: PyYAML's pure-Python SafeLoader (the reader before ruamel.yaml) against the basin
reader (basins.yaml_io.parse: ruamel.yaml, safe, pure Python, YAML 1.2, strict), and the whole
``basins.loads`` (parse + schema + network + series checks). Interleaved runs, medians (survives a loaded
machine).

    PYTHONPATH=. python benchmarks/bench_yaml.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import basins  # noqa: E402
from basins import yaml_io  # noqa: E402
from fixtures import BlockDumper  # noqa: E402
from test_semantic import canal_network  # noqa: E402


def _seconds(f) -> float:
    t0 = time.perf_counter()
    f()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    texts = {"400-canal network (310 kB, block style)": yaml.safe_dump(canal_network(400), sort_keys=False, width=120),
             "chu, series inline": basins.dumps(basins.load("chu"), inline=True),
             "1.8 MB upload (series as literal blocks)": yaml.dump(
                 canal_network(400, year_types=tuple(f"y{i}" for i in range(140))), Dumper=BlockDumper,
                 sort_keys=False, width=120)}
    for label, text in texts.items():
        runs: dict[str, list[float]] = {"pyyaml SafeLoader": [], "yaml_io.parse (ruamel)": [], "basins.loads": []}
        for _ in range(args.repeat):
            runs["pyyaml SafeLoader"].append(_seconds(lambda t=text: yaml.load(t, Loader=yaml.SafeLoader)))  # noqa: S506
            runs["yaml_io.parse (ruamel)"].append(_seconds(lambda t=text: yaml_io.parse(t)))
            runs["basins.loads"].append(_seconds(lambda t=text: basins.loads(t, "bench.yaml")))
        med = {k: statistics.median(v) for k, v in runs.items()}
        print(f"{label}: " + ", ".join(f"{k} {v:.3f} s" for k, v in med.items())
              + f"; ruamel/pyyaml = {med['yaml_io.parse (ruamel)'] / med['pyyaml SafeLoader']:.2f}")


if __name__ == "__main__":
    main()
