"""``chutalas app``: start the Streamlit app and warm it up, so the first visitor finds it ready.

Streamlit runs ``app.py`` only when a browser connects, so the first visitor after a start would wait for
the Python imports and the first model build (about 1.5 s here). This launcher starts the server, waits for
``/_stcore/health`` and then asks ``/_stcore/script-health-check`` once, which runs the script inside the
server: imports, the bundled basins and the Chu normal-year model are then in memory.
"""

from __future__ import annotations

import argparse
import errno
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from importlib.resources import as_file, files
from pathlib import Path

APP_RESOURCE = files("optimizer.interfaces") / "streamlit_app.py"  # inside the package: a wheel ships it


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, default=8501, help="port to serve on (default 8501)")
    p.add_argument("--address", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")


def _get(url: str, timeout: float) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 - our own local server
            return r.status == 200
    except OSError:
        return False


def port_problem(address: str, port: int) -> str | None:
    """Why the server could not listen on ``address:port`` (in use, not allowed), or None when it can."""
    if not 1 <= port <= 65535:
        return f"port {port} is not a TCP port (1-65535)"
    try:
        infos = socket.getaddrinfo(address, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return f"address {address!r} cannot be resolved ({exc.strerror})"
    family, _, _, _, sockaddr = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds (a TIME_WAIT is no conflict)
        try:
            s.bind(sockaddr)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return (f"port {port} on {address} is already in use (another `chutalas app`?); stop it or "
                        "choose another with --port")
            return f"cannot listen on {address}:{port} ({exc.strerror or exc})"
    return None


def run(args: argparse.Namespace) -> int:
    with as_file(APP_RESOURCE) as app:
        return _serve(args, Path(app))


def _serve(args: argparse.Namespace, app: Path) -> int:
    if not app.is_file():
        print(f"chutalas app: {app} not found; reinstall the package", file=sys.stderr)
        return 2
    problem = port_problem(args.address, args.port)
    if problem:
        print(f"chutalas app: {problem}", file=sys.stderr)
        return 2
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.headless", "true",
           "--server.port", str(args.port), "--server.address", args.address,
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
           "--server.scriptHealthCheckEnabled", "true"]
    server = subprocess.Popen(cmd)  # noqa: S603 - fixed argument list, no shell
    base = f"http://{args.address}:{args.port}"

    def stop(signum, frame):  # a TERM to the launcher stops the server too
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        deadline = time.monotonic() + 60
        while server.poll() is None and time.monotonic() < deadline and not _get(f"{base}/_stcore/health", 1):
            time.sleep(0.2)
        if server.poll() is not None:  # e.g. the port was taken between the check and the server's bind
            print(f"chutalas app: the server stopped before serving (exit {server.returncode}); see its log above",
                  file=sys.stderr)
            return 2
        if server.poll() is None:
            warm = _get(f"{base}/_stcore/script-health-check", 60)
            print(f"chutalas app: serving {base} ({'warmed up' if warm else 'warm-up failed; see the log above'})",
                  flush=True)
        return server.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
