"""Every CLI fault ends cleanly (issue 16.4/16.6, 14.5): a one-line message naming the file, the documented exit
code (2 bad input, 1 only for "runs differ" in compare, 130 interrupted), no traceback, no partial file."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import basins
import optimizer
from optimizer.interfaces import cli

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("faults")
    a = d / "a.nc"
    optimizer.solve("chu", months=12).to_netcdf(a)
    optimizer.solve("chu", "dry", months=12).to_netcdf(d / "dry.nc")
    (d / "empty.nc").write_bytes(b"")
    (d / "truncated.nc").write_bytes(a.read_bytes()[:5000])
    (d / "text.nc").write_text("not a netcdf file\n")
    (d / "dir.nc").mkdir()
    xr.Dataset({"x": ("t", [1.0])}).to_netcdf(d / "other.nc", engine="h5netcdf")
    return {"dir": d}


def _busy_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    return s, s.getsockname()[1]


# fault -> argv (with {d} the fixture directory) -> exit code -> words the message must contain
FAULTS = [
    ("same --out and --ledger", ["solve", "chu", "--out", "{d}/x.csv", "--ledger", "{d}/./x.csv"], 2,
     ["--out and --ledger are the same file", "nothing was solved"]),
    ("--out into a missing directory", ["solve", "chu", "--out", "{d}/nodir/x.nc"], 2, ["does not exist"]),
    ("--ledger is a directory", ["solve", "chu", "--out", "{d}/keep.nc", "--ledger", "{d}/dir.nc"], 2,
     ["dir.nc", "directory"]),
    ("start inside a month", ["solve", "chu", "--start", "2025-03-15"], 2, ["inside a month", "--round-start"]),
    ("compare: missing file", ["compare", "{d}/a.nc", "{d}/missing.nc"], 2, ["missing.nc", "no such file"]),
    ("compare: empty file", ["compare", "{d}/a.nc", "{d}/empty.nc"], 2, ["empty.nc", "is empty"]),
    ("compare: truncated file", ["compare", "{d}/a.nc", "{d}/truncated.nc"], 2, ["truncated.nc", "truncated"]),
    ("compare: text file", ["compare", "{d}/text.nc", "{d}/a.nc"], 2, ["text.nc", "not NetCDF"]),
    ("compare: directory", ["compare", "{d}/a.nc", "{d}/dir.nc"], 2, ["dir.nc", "is a directory"]),
    ("compare: NetCDF that is not a result", ["compare", "{d}/a.nc", "{d}/other.nc"], 2,
     ["other.nc", "not a chutalas result"]),
    ("compare: runs differ", ["compare", "{d}/a.nc", "{d}/dry.nc"], 1, ["values differ"]),
    ("compare: equal runs", ["compare", "{d}/a.nc", "{d}/a.nc"], 0, ["Equal within"]),
    ("ensemble --out into an unwritable directory",
     ["ensemble", "chu", "--members", "2", "--scheduler", "synchronous", "--out", "/proc/e.nc"], 2,
     ["not writable", "nothing was solved"]),
    ("ensemble --out into a missing directory",
     ["ensemble", "chu", "--members", "2", "--scheduler", "synchronous", "--out", "{d}/nodir/e.nc"], 2,
     ["does not exist"]),
]


@pytest.mark.parametrize("fault,argv,code,words", FAULTS, ids=[f[0] for f in FAULTS])
def test_fault_table(files, capsys, fault, argv, code, words):
    d = files["dir"]
    keep = d / "keep.nc"
    keep.write_bytes(b"previous contents")
    before = sorted(p.name for p in d.iterdir())
    rc = cli.main([a.format(d=d) for a in argv])
    out, err = capsys.readouterr()
    text = out + err
    assert rc == code, text
    for w in words:
        assert w in text, (w, text)
    assert "Traceback" not in text
    if code == 2:
        assert err.strip() and len(err.strip().splitlines()) == 1, err  # one line on stderr
        # nothing written, nothing left behind (no temporary files), earlier files untouched
        assert sorted(p.name for p in d.iterdir()) == before
        assert keep.read_bytes() == b"previous contents"
    print(f"{fault:<45} exit {rc}  {err.strip() or out.strip().splitlines()[-1]}")


def test_ledger_failure_says_what_was_not_written(files, capsys):
    d = files["dir"]
    # /proc exists but no file can be created there (even by root): the result is staged, then the ledger fails
    rc = cli.main(["solve", "chu", "--out", str(d / "r.nc"), "--ledger", "/proc/ledger.csv"])
    err = capsys.readouterr().err
    assert rc == 2 and "cannot write /proc/ledger.csv" in err and "nothing was written" in err, err
    assert f"not written: {d / 'r.nc'}, /proc/ledger.csv" in err
    assert not (d / "r.nc").exists()


def test_busy_port_is_reported_before_serving(capsys):
    from optimizer.interfaces import app_launch

    s, port = _busy_port()
    try:
        rc = cli.main(["app", "--port", str(port)])
    finally:
        s.close()
    out, err = capsys.readouterr()
    assert rc == 2 and f"port {port} on 127.0.0.1 is already in use" in err and "serving" not in out
    s, port = _busy_port()
    s.close()
    assert app_launch.port_problem("127.0.0.1", port) is None  # free again
    assert "not a TCP port" in app_launch.port_problem("127.0.0.1", 70000)


def _no_nan(token):
    raise ValueError(f"not strict JSON: {token}")


def test_json_is_strict_even_with_undefined_values(capsys):
    rc = cli.main(["solve", "chu", "--json"])
    out = capsys.readouterr().out
    assert rc == 0
    doc = json.loads(out, parse_constant=_no_nan)  # NaN/Infinity would raise
    assert doc["manifest"]["status"] == "optimal"
    # undefined values (a share of no water, NaN in numpy or pandas) become null
    assert cli._strict_json({"a": float("nan"), "b": [np.float64("inf"), np.int64(3)], "c": pd.NA is None}) == \
        {"a": None, "b": [None, 3], "c": False}
    json.dumps(cli._strict_json({"x": np.nan}), allow_nan=False)


def test_explicit_series_need_consecutive_unique_months():
    chu = basins.load("chu")
    from optimizer.core import solver

    good = solver.inflow_series(chu, solver.horizon("2025-01", 6), "normal")
    optimizer.solve(chu, inflow=good)  # accepted as given
    t = pd.DatetimeIndex(good["time"].values)
    for times, words in ((t[[1, 0, 2, 3, 4, 5]], "goes back before"), (t[[0, 2, 1, 3, 4, 5]], "skips 1 month"), (t[[0, 1, 1, 2, 3, 4]], "repeats"),
                         (t.delete(2).append(pd.DatetimeIndex(["2025-08-01"])), "skips 1 month")):
        with pytest.raises(ValueError, match=words) as exc:
            optimizer.solve(chu, inflow=good.assign_coords(time=times))
        assert "consecutive months" in str(exc.value)


def test_start_inside_a_month_is_an_error_unless_rounding_is_asked():
    with pytest.raises(ValueError, match="inside a month"):
        optimizer.solve("chu", start="2025-03-15")
    r = optimizer.solve("chu", start="2025-03-15", round_start=True, months=2)
    assert r.manifest["options"]["start"] == "2025-03-01"
    assert optimizer.solve("chu", start="2025-03-01", months=2).manifest["options"]["start"] == "2025-03-01"


def _run_and_interrupt(argv: list[str], cwd: Path, after_s: float) -> tuple[int, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.Popen([sys.executable, "-m", "optimizer", *argv], cwd=cwd, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    time.sleep(after_s)
    assert p.poll() is None, "finished before it could be interrupted: make the run longer"
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=120)
    return p.returncode, out + err


def test_sigint_during_a_long_solve(tmp_path):
    rc, text = _run_and_interrupt(["solve", "chu", "--months", "1200", "--foresight", "myopic", "--out", "r.nc"],
                                  tmp_path, 6)  # 1,200 monthly LPs: far longer than 6 s
    assert rc == 130, text
    assert "interrupted" in text and "Traceback" not in text and "badly scaled" not in text
    assert list(tmp_path.iterdir()) == []  # no partial or temporary file


def test_sigint_during_an_ensemble(tmp_path):
    rc, text = _run_and_interrupt(["ensemble", "chu", "--members", "3000", "--years", "5", "--workers", "2",
                                   "--no-progress", "--out", "e.nc"], tmp_path, 12)
    assert rc == 130, text
    assert "interrupted" in text and "Traceback" not in text and "CommClosedError" not in text
    assert list(tmp_path.iterdir()) == []


def test_lost_dask_worker_is_reported_by_member():
    """The logic with a stand-in client: chunk [2, 3] fails (its worker died, after dask's retries); its members
    are re-run one per task, member 2 comes back, member 3 fails again and is the one reported."""
    from optimizer.analyses.dask_run import WorkerLost, distributed

    class Fut:
        def __init__(self, key, exc=None, value=None):
            self.key, self.exc, self.value = key, exc, value

        def result(self):
            if self.exc:
                raise self.exc
            return self.value

    class Client:
        def scatter(self, x, **k):
            return x

        def submit(self, task, b, d, times, c, opts, **k):
            assert k["retries"] >= 1 or len(c) == 1  # chunks are retried; the one-member re-runs are the retry
            return Fut(tuple(c), exc=RuntimeError("KilledWorker: worker died") if c in ([2, 3], [3]) else None,
                       value=[{"member": i} for i in c])

        def cancel(self, futures):
            pass

    class Bar:
        def update(self, n):
            pass

        def close(self):
            pass

    import distributed as dd

    orig = dd.as_completed
    dd.as_completed = lambda futs: iter(futs)
    try:
        with pytest.raises(WorkerLost, match=r"1 member\(s\) have no result.*members 3$") as exc:
            distributed(Client(), None, Bar(), None, np.zeros((4, 1)), None, [[0, 1], [2, 3]], {})
        assert exc.value.members == [3]
    finally:
        dd.as_completed = orig


def test_an_interrupted_highs_solve_is_an_interruption_not_bad_scaling(monkeypatch):
    from types import SimpleNamespace

    from pyomo.contrib.solver.common.results import TerminationCondition

    from optimizer.core import solver

    solver.clear_cache()
    monkeypatch.setattr(solver, "_solve_call", lambda entry, limit: SimpleNamespace(
        termination_condition=TerminationCondition.interrupted))  # what HiGHS reports after a Ctrl-C
    with pytest.raises(KeyboardInterrupt):
        optimizer.solve("chu", months=3)
    monkeypatch.undo()
    assert optimizer.solve("chu", months=3).manifest["status"] == "optimal"  # the kept model still solves


def test_a_successful_ensemble_shuts_dask_down_quietly(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.run([sys.executable, "-m", "optimizer", "ensemble", "chu", "--members", "8", "--workers", "2",
                        "--scheduler", "local", "--no-progress", "--out", "e.nc"], cwd=tmp_path, env=env, capture_output=True, text=True, check=False,
                       timeout=300)
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr and "CommClosedError" not in p.stderr, p.stderr
    assert [f.name for f in tmp_path.iterdir()] == ["e.nc"]
