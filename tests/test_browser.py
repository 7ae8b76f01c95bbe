"""The app in a real browser: start ``streamlit run app.py`` on a free port, drive it with Playwright and
Debian's chromium (tests/e2e_browser.py), stop the server. Needs /usr/bin/chromium (CI installs it with
``apt-get install chromium``); never ``playwright install``.

It also opens a second page (a second session) on the same server and checks that an edit in the first does
not reach it, and opens the Trade-offs tab. Screenshots and the downloaded ledger go to $CHUTALAS_E2E_OUT if set, else to pytest's tmp_path.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
import e2e_browser  # noqa: E402

BUDGET_S = 60


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, timeout: float = 2.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 - loopback only
            return r.status, r.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def stop(proc: subprocess.Popen) -> None:
    """Stop the server we started (its own process group), TERM first, then KILL."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


def test_app_in_a_real_browser(tmp_path):
    if not os.path.exists(e2e_browser.CHROMIUM):
        pytest.fail(f"{e2e_browser.CHROMIUM} is missing: install Debian's browser with "
                    "`apt-get install -y --no-install-recommends chromium` (never `playwright install`)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.fail("playwright is missing: `pip install -e '.[test]'` (the browser itself is /usr/bin/chromium)")

    t_start = time.perf_counter()
    out = Path(os.environ.get("CHUTALAS_E2E_OUT") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = out / "server.log"
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
           "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", "--server.runOnSave", "false",
           "--server.scriptHealthCheckEnabled", "true"]
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                if get(f"{base}/_stcore/health", timeout=1) == (200, "ok"):
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"no /_stcore/health answer in 30 s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        t_health = time.perf_counter() - t_start
        # one run of the script (also warms the imports and the solver, like a first visitor would)
        t0 = time.perf_counter()
        code, body = get(f"{base}/_stcore/script-health-check", timeout=60)
        t_script = time.perf_counter() - t0
        assert (code, body) == (200, "ok"), f"the script fails on the server ({code} {body}):\n" \
                                            f"{log_path.read_text()[-3000:]}"

        report = e2e_browser.run_e2e(base, out, server_log=log_path)
    finally:
        stop(proc)
    total = time.perf_counter() - t_start
    print(f"\nbrowser e2e: server up {t_health:.1f} s, first script run {t_script:.1f} s, "
          f"first chart {report['first_chart_s']} s after page load, edit→solution "
          f"{report['edit_to_solution_s']} s, trade-offs tab {report['tradeoffs_s']} s, total {total:.1f} s; "
          f"second session {report['second_session']}; screenshots in {out}")
    assert report["second_session"]["natural_inflow"] != report["second_session"]["edited_session_inflow"]
    assert "Traceback" not in log_path.read_text(encoding="utf-8", errors="replace")
    assert total < BUDGET_S, f"the browser test took {total:.0f} s (budget {BUDGET_S} s)"
