"""The ensemble machinery on real Dask workers (optimizer.analyses.dask_run): the forecast-ensemble probability
that each post's schedule is met runs on it and gives the serial numbers on a cluster (issue 12.6); the automatic
choice of where to run; a worker process killed mid-ensemble is retried, or reported by member with exit 2 and no
traceback (issue 16.6)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from optimizer.analyses import dask_run
from optimizer.analyses import season as S
from optimizer.analyses.ensemble_members import KILL_ENV, KILL_ONCE_ENV

ROOT = Path(__file__).resolve().parents[1]
FRACTIONS = [0.3, 0.6, 0.85, 1.0, 1.2]


@pytest.fixture(scope="module")
def talas_season():
    s = S.season("talas", 2025, forecast=1.0, step="dekad")
    plan, _ = S.propose(s)
    return s, plan


def test_schedule_probability_is_the_same_serial_and_on_a_one_worker_cluster(talas_season):
    s, plan = talas_season
    serial = S.probability_met(s, plan, FRACTIONS, scheduler="synchronous", chunk_size=2)
    dist = S.probability_met(s, plan, FRACTIONS, scheduler="local", workers=1, chunk_size=2)
    assert serial.attrs["run"]["scheduler"] == "synchronous" and serial.attrs["run"]["chunks"] == 3
    assert dist.attrs["run"]["scheduler"] == "local" and dist.attrs["run"]["workers"] == 1
    assert dist.attrs["run"]["startup_s"] > 0 and dist.attrs["run"]["warm_s"] > 0
    pd.testing.assert_frame_equal(serial, dist, check_exact=True)  # the same LPs: the same numbers, bit for bit
    row = serial.loc["TA_L_BORDER"]
    assert row["plan_hm3"] == pytest.approx(590.0, abs=1e-6) and row["members"] == len(FRACTIONS)
    # each member is the schedule run of its own inflow: its season receipts decide whether the plan is met
    got = [float(S.receipts(S.follow(s, plan, inflow=s.inflow * f), s.posts)["TA_L_BORDER"].sum()) for f in FRACTIONS]
    assert row["received_min_hm3"] == pytest.approx(min(got), rel=1e-12)
    assert row["received_max_hm3"] == pytest.approx(max(got), rel=1e-12)
    assert row["probability_met"] == pytest.approx(np.mean([g >= 0.99 * 590.0 for g in got]))
    assert 0.0 < row["probability_met"] < 1.0  # 30 % of the forecast cannot deliver 590 hm3, the forecast can


def test_where_members_run_is_chosen_from_the_size_of_the_run():
    limit = dask_run.AUTO_SERIAL_MEMBER_STEPS
    assert dask_run.choose(5, 18, None, None, 2)[0] == "synchronous"  # a season of dekads, 5 members
    assert dask_run.choose(limit // 120 + 1, 120, None, None, 2)[0] == "local"
    assert dask_run.choose(limit, 120, None, None, 1)[0] == "synchronous"  # one worker never beats this process
    assert dask_run.choose(2, 12, None, "local", 2)[0] == "local"
    with pytest.raises(ValueError, match="scheduler"):
        dask_run.choose(2, 12, None, "nonsense", 2)


def test_guided_chunks_cover_every_member_once_and_end_in_single_members():
    """Chunks of decreasing size: the first ~1/(2 x workers) of the members, the last ones single members, so a
    worker waits at most one member for the other at the end (equal chunks of 7 left one worker 28 of 50)."""
    for n, w in [(50, 2), (1, 2), (7, 3), (1000, 2), (200, 8)]:
        chunks = dask_run.guided_chunks(n, w)
        assert [k for c in chunks for k in c] == list(range(n))  # every member once, in order
        sizes = [len(c) for c in chunks]
        assert sizes == sorted(sizes, reverse=True) and sizes[-1] == 1 and max(sizes) <= dask_run.MAX_CHUNK
    assert [len(c) for c in dask_run.guided_chunks(50, 2)] == [13, 10, 7, 5, 4, 3, 2, 2, 1, 1, 1, 1]


def test_the_local_cluster_runs_its_workers_with_the_measured_settings(monkeypatch):
    """The settings of dask_run.LOCAL_CLUSTER_CONFIG reach the worker processes: no profiler, a slow event-loop
    tick and system monitor, and no MALLOC_TRIM_THRESHOLD_ in their environment (Dask's nannies set it to 65536,
    in this process's own environment too: here as an earlier default cluster leaves it), which is put back."""
    import dask
    from distributed import Client

    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")

    cluster = dask_run.local_cluster(1)
    try:
        with Client(cluster) as client:
            (got,) = client.run(lambda: (dask.config.get("distributed.worker.profile.enabled"),
                                         dask.config.get("distributed.admin.tick.interval"),
                                         os.environ.get("MALLOC_TRIM_THRESHOLD_"))).values()
    finally:
        dask_run.quiet_close(None, cluster)
    assert got == (False, "1s", None)
    assert os.environ["MALLOC_TRIM_THRESHOLD_"] == "65536"  # this process's environment as it was
    assert dask.config.get("distributed.worker.profile.enabled") is True  # this process's config is untouched


def _cli(args: list[str], env_extra: dict, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1", **env_extra)
    return subprocess.run([sys.executable, "-m", "optimizer", "ensemble", "talas", "--members", "8", "--seed", "4",
                           "--no-progress", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def _statistics(stdout: str) -> str:
    return stdout.split("\nsolved on ")[0]


def test_a_killed_worker_is_reported_by_member_with_exit_2(tmp_path):
    """Member 5 kills its own worker process (SIGKILL) every time it is run: dask gives up on its task after the
    retries, the chunk's other members are re-run one by one and come back, member 5 is named; exit 2, no
    traceback, nothing written."""
    p = _cli(["--scheduler", "local", "--workers", "1", "--chunk-size", "4", "--out", "e.nc"],
             {KILL_ENV: "5", "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0"}, tmp_path)
    text = p.stdout + p.stderr
    assert p.returncode == 2, text
    assert "1 member(s) have no result" in p.stderr and "members 5" in p.stderr, p.stderr
    assert "KilledWorker" in p.stderr
    assert "Traceback" not in text and "TypeError" not in text and "FutureCancelledError" not in text, text
    assert list(tmp_path.iterdir()) == []


def test_a_worker_killed_once_is_retried_and_the_numbers_are_the_serial_ones(tmp_path, capsys):
    import argparse

    from optimizer.interfaces import cli_ensemble

    once = tmp_path / "killed"
    p = _cli(["--scheduler", "local", "--workers", "1", "--chunk-size", "4"],
             {KILL_ENV: "5", KILL_ONCE_ENV: str(once), "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0"},
             tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    assert once.exists()  # member 5 did kill its worker once
    assert "Traceback" not in p.stderr, p.stderr
    ap = argparse.ArgumentParser()
    cli_ensemble.add_arguments(ap)
    assert cli_ensemble.run(ap.parse_args(["talas", "--members", "8", "--seed", "4", "--no-progress",
                                           "--scheduler", "synchronous"])) == 0
    serial = capsys.readouterr().out
    assert "solved on this process, as asked" in serial
    assert _statistics(p.stdout) == _statistics(serial)


def test_the_schedule_command_prints_the_forecast_ensemble_probability(capsys):
    import json

    from optimizer.interfaces import cli

    assert cli.main(["schedule", "talas", "--forecast", "1", "--step", "month", "--probability", "0.3", "1", "1.2",
                     "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)["probability_met"]
    assert doc["run"]["scheduler"] == "synchronous" and "automatic" in doc["run"]["scheduler_choice"]
    post = doc["posts"]["TA_L_BORDER"]
    assert post["plan_hm3"] == pytest.approx(590.0, abs=1e-6)
    assert post["probability_met"] == pytest.approx(2 / 3)  # as tests/test_schedule.py: 30 % cannot meet it


def test_a_kept_model_does_not_run_out_of_time_over_many_members():
    """HiGHS checks its time limit against a run clock that keeps running over every solve of one instance: before
    the fix, a kept model failed every member with maxTimeLimit once its earlier solves added up to the limit
    (2,178 of 3,000 Chu members at the default 60 s). 200 one-year Talas members take ~0.7 s of HiGHS in all,
    each well under 0.3 s."""
    import basins
    from optimizer.analyses import ensemble, scenarios

    b = basins.load("talas")
    ds = ensemble.solve_ensemble(b, scenarios.generate(b, members=200, years=1, seed=5), scheduler="synchronous",
                                 time_limit=0.3, variables=("storage_hm3",))
    assert (ds["status"] == "optimal").all(), sorted(set(ds["status"].values))
