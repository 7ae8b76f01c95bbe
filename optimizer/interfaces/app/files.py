"""The app's files: uploaded scenario files (validated, never unpickled or evaluated) and the downloads
(NetCDF result, ledger CSV). No Streamlit here."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import basins
from basins import Basin, BasinError, Problem

from optimizer.interfaces.app.results import ledger_display
from optimizer.interfaces.ui_text import t

UPLOAD_MAX_MB = 2
UPLOAD_MAX_BYTES = UPLOAD_MAX_MB * 1024 * 1024


# ---- uploads ------------------------------------------------------------------------------------
def read_upload(name: str, data: bytes) -> tuple[Basin | None, list[Problem]]:
    """Validate an uploaded scenario file (YAML text with inline series); never unpickles or evaluates."""
    if len(data) > UPLOAD_MAX_BYTES:
        return None, [Problem(name, "file", "", t("upload_too_large", mb=UPLOAD_MAX_MB))]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, [Problem(name, "file", "", t("upload_not_text"))]
    try:
        return basins.loads(text, file=name), []
    except BasinError as exc:
        return None, list(exc.problems)


def upload_key(uploaded: dict, basin_id: str) -> str:
    """The session key of a new upload: ``upload:<id>``, or ``upload:<id> (2)``, ``(3)``, ... when an upload
    with that id is already open, so an upload never replaces an earlier one (nor the user's edits on it)."""
    key, n = f"upload:{basin_id}", 2
    while key in uploaded:
        key, n = f"upload:{basin_id} ({n})", n + 1
    return key


def upload_suffix(key: str) -> str:
    """`` (2)`` for the second upload of one basin id (see :func:`upload_key`), else ``""``."""
    m = re.search(r" \((\d+)\)$", key)
    return f" ({m.group(1)})" if m else ""



def netcdf_bytes(result) -> bytes:
    """The result as NetCDF bytes (written to a temporary file by ``Result.to_netcdf``)."""
    with tempfile.TemporaryDirectory(prefix="chutalas-") as d:
        path = result.to_netcdf(Path(d) / "result.nc")
        return Path(path).read_bytes()


def ledger_csv(result, labelled: bool = False) -> bytes:
    """The ledger as CSV: column ids and raw values (machine-readable), or with ``labelled`` the table as
    shown (headers, modes, periods and met in the current language)."""
    return (ledger_display(result.ledger) if labelled else result.ledger).to_csv(index=False).encode("utf-8")

