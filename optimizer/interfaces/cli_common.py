"""Shared pieces of the ``chutalas`` sub-commands: exit codes, :class:`CliError`, aligned tables, volumes and
data ids as the CLI prints them, loading a basin by id or path, and lazy imports of sub-command modules.
(:mod:`optimizer.interfaces.cli` re-exports them.)"""

from __future__ import annotations

from collections.abc import Callable, Set
from pathlib import Path
from typing import TextIO

import basins
from basins.loading import PACKAGE_DIR
from optimizer.interfaces import ui_text

EXIT_OK = 0
EXIT_INPUT = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl-C


class CliError(Exception):
    """Bad input that is not a basin-file problem (e.g. an unreadable path); printed without a traceback."""


# ---- output helpers ----------------------------------------------------------------------------

def _fmt_hm3(v: float) -> str:
    """A volume for humans: whole hm3 from 100 up, three significant digits below."""
    from optimizer.interfaces.ui_text import number

    return number(v, ",.0f" if abs(v) >= 100 else ".3g")


def _table(rows: list[list[str]], header: list[str], out: TextIO, indent: str = "  ",
           right: Set[int] = frozenset()) -> None:
    """Print ``rows`` as aligned columns; columns in ``right`` are right-aligned (numbers)."""
    cells = [header] + rows
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for r in cells:
        parts = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))]
        print(indent + "  ".join(parts).rstrip(), file=out)


def _load(name_or_path: str) -> basins.Basin:
    """``basins.load`` of a bundled id or a path; OS-level failures become a :class:`CliError`
    (a :class:`basins.BasinError` passes through)."""
    if name_or_path in basins.available() and not Path(name_or_path).is_file():
        # a bundled id wins over a same-named directory in the working directory (e.g. data/chu)
        name_or_path = str(PACKAGE_DIR / f"{name_or_path}.yaml")
    elif Path(name_or_path).is_dir():
        raise CliError(ui_text.t("cli_load_dir", path=name_or_path, ids=", ".join(basins.available())))
    try:
        return basins.load(name_or_path)
    except OSError as exc:
        raise CliError(ui_text.t("cli_load_unreadable", path=name_or_path, error=exc.strerror or exc)) from None
    except UnicodeDecodeError as exc:
        raise CliError(ui_text.t("cli_load_not_utf8", path=name_or_path, reason=exc.reason, start=exc.start)) from None



def _word(prefix: str, value: str) -> str:
    """A data id (year type, node kind, mode, option) as the CLI prints it: the id itself in English (as
    scripts expect), its label from ui_text in another language."""
    return str(value) if ui_text.get_language() == "en" else ui_text.label_or(f"{prefix}{value}", str(value))


def _unit(unit: str) -> str:
    """A data file's unit (hm3/month, m3/s) as the current language writes it."""
    return _word("cli_unit_", unit)




def _lazy(module: str, func: str) -> Callable:
    """A subcommand function imported on first use, so ``chutalas --help`` stays fast."""
    def call(*a, **k):
        from importlib import import_module

        return getattr(import_module(module), func)(*a, **k)
    return call

