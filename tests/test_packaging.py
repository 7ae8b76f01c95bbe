"""The built wheel is self-contained: built from a copy of the repository, installed into a fresh virtual
environment outside the checkout, it solves a bundled basin, serves the app and reports its version.

The fresh environment gets the already installed dependencies through a ``.pth`` line pointing at this
interpreter's site-packages (no network, no download); the ``chutalas`` it runs is the wheel's copy, which
the test checks by the path of the imported modules. Also: LICENSE, ``py.typed`` and the Pyomo cap.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import threading
import time
import tomllib
import urllib.request
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(cmd: list[str], cwd: Path, env: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)  # noqa: S603


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info", "__pycache__",
                                                            ".pytest_cache", ".hypothesis"))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--disable-pip-version-check",
                  "-w", str(tmp / "dist"), str(src)], tmp, env)
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (tmp / "dist").glob("chutalas-*.whl")
    venv = tmp / "venv"
    made = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp, env)
    assert made.returncode == 0, made.stderr
    py = venv / "bin" / "python"
    site = Path(_run([str(py), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], tmp, env).stdout.strip())
    # the dependencies already installed here, without this checkout (a plain path line runs no .pth hooks)
    (site / "_deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    inst = _run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index",
                 "--disable-pip-version-check", str(wheel)], tmp, env)
    if "no such option: --python" in inst.stderr:  # pip < 22.3
        inst = _run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--target", str(site),
                     str(wheel)], tmp, env)
    assert inst.returncode == 0, inst.stdout + inst.stderr
    work = tmp / "elsewhere"
    work.mkdir()
    shutil.rmtree(src)  # nothing of the checkout copy remains to be found by accident
    return {"wheel": wheel, "venv": venv, "py": py, "site": site, "cwd": work, "env": env}


def test_wheel_contents(installed):
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    for basin in ("chu", "talas"):
        assert f"basins/{basin}.yaml" in names
        for f in ("inflow.csv", "demand.csv", "evaporation.csv", "SOURCES.md"):
            assert f"basins/data/{basin}/{f}" in names, f
    for f in ("optimizer/interfaces/streamlit_app.py", "optimizer/interfaces/app/page_results.py", "basins/py.typed", "optimizer/py.typed"):
        assert f in names, f
    # the licence file: dist-info/LICENSE, or dist-info/licenses/LICENSE with setuptools >= 77 (PEP 639)
    assert names & {"chutalas-0.1.0.dist-info/LICENSE", "chutalas-0.1.0.dist-info/licenses/LICENSE"}, sorted(
        n for n in names if "dist-info" in n)


def test_installed_modules_come_from_the_venv(installed):
    r = _run([str(installed["py"]), "-c", "import basins, optimizer; print(basins.__file__); print(optimizer.__file__);"
              "print(basins.loading.DATA_DIR)"], installed["cwd"], installed["env"])
    assert r.returncode == 0, r.stderr
    print(r.stdout)
    for line in r.stdout.split():
        assert Path(line).is_relative_to(installed["site"]), line


def test_installed_version(installed):
    r = _run([str(installed["py"]), "-m", "optimizer", "--version"], installed["cwd"], installed["env"])
    print(r.stdout)
    assert r.returncode == 0 and r.stdout.strip() == "chutalas 0.1.0", r.stdout + r.stderr


def test_installed_solve(installed):
    r = _run([str(installed["venv"] / "bin" / "chutalas"), "solve", "chu", "--months", "12", "--out", "run.nc"],
             installed["cwd"], installed["env"])
    print(r.stdout)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Chu" in r.stdout and "optimal" in r.stdout.lower(), r.stdout
    assert (installed["cwd"] / "run.nc").stat().st_size > 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _health(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as resp:  # noqa: S310
            return resp.status == 200
    except OSError:
        return False


def test_installed_app_serves(installed):
    """``chutalas app`` of the wheel serves and warms up the packaged script (it runs it once inside the server:
    imports, the bundled basins, the first model build)."""
    port = _free_port()
    proc = subprocess.Popen([str(installed["venv"] / "bin" / "chutalas"), "app", "--port", str(port)],  # noqa: S603
                            cwd=installed["cwd"], env=installed["env"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None and not any("serving" in x for x in lines):
            time.sleep(0.5)
        serving = [x for x in lines if "serving" in x]
        assert serving, f"no 'serving' line; exit {proc.poll()}; output: {''.join(lines)[-2000:]}"
        assert f"serving http://127.0.0.1:{port} (warmed up)" in serving[0], serving
        assert _health(port)
        print(serving[0].strip(), "; /_stcore/health: ok")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert not _health(port)


def test_license_and_pins():
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "Copyright (c) 2026 the chutalas developers" in text
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    deps = meta["project"]["dependencies"]
    from packaging.requirements import Requirement
    from pyomo.version import version as pyomo_installed

    (pin,) = [Requirement(d) for d in deps if d.startswith("pyomo")]
    assert any(s.operator == "<" for s in pin.specifier), "Pyomo is capped to the tested versions"
    assert pin.specifier.contains(pyomo_installed), (str(pin), pyomo_installed)
    for extra in ("ruff", "mypy", "compliance-checker"):
        assert any(d.startswith(extra) for d in meta["project"]["optional-dependencies"]["test"]), extra
