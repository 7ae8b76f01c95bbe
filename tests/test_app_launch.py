"""`chutalas app` (the README's first command) serves the app and warms it up before the first visitor."""

import socket
import subprocess
import sys
import time
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_chutalas_app_serves_a_warm_app():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "optimizer.interfaces.cli", "app", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline, line = time.monotonic() + 90, ""
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if "chutalas app: serving" in line or proc.poll() is not None:
                break
        assert f"serving http://127.0.0.1:{port} (warmed up)" in line, line
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/script-health-check", timeout=30) as r:
            assert r.status == 200 and r.read().decode() == "ok"  # the script runs without an error
        proc.terminate()  # stops the server too: the port is free again
        proc.wait(timeout=20)
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0
    finally:
        if proc.poll() is None:
            proc.kill()
