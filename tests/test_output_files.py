"""Result files: a missing output directory is an error (exit 2, nothing created); a written file keeps the
mode of the file it replaces and is 0644 when new (also a basin saved over itself)."""

from __future__ import annotations

import os
import stat

import pytest

import basins
from basins.loading import atomic_output
from optimizer.interfaces.cli import main


def _mode(p) -> int:
    return stat.S_IMODE(os.stat(p).st_mode)


@pytest.mark.parametrize("flag,name", [("--out", "run.nc"), ("--ledger", "ledger.csv")])
def test_a_missing_output_directory_is_an_error(tmp_path, capsys, flag, name):
    target = tmp_path / "no_such_dir" / name
    assert main(["solve", "talas", "--months", "2", flag, str(target)]) == 2
    err = capsys.readouterr().err
    assert "no_such_dir" in err and "does not exist" in err, err
    assert not (tmp_path / "no_such_dir").exists()  # not silently created


def test_an_ensemble_into_a_missing_directory_is_an_error(tmp_path, capsys):
    target = tmp_path / "typo" / "ens.nc"
    with pytest.raises(FileNotFoundError, match="does not exist"):
        with atomic_output(target):
            pass
    assert not (tmp_path / "typo").exists()


def test_new_files_are_0644_and_replaced_files_keep_their_mode(tmp_path):
    new = tmp_path / "new.csv"
    old_umask = os.umask(0o022)
    try:
        with atomic_output(new) as tmp:
            tmp.write_text("a\n")
        assert _mode(new) == 0o644
        os.chmod(new, 0o640)
        with atomic_output(new) as tmp:
            tmp.write_text("b\n")
        assert _mode(new) == 0o640 and new.read_text() == "b\n"
    finally:
        os.umask(old_umask)


def test_a_cli_result_keeps_the_mode_of_the_file_it_replaces(tmp_path):
    out = tmp_path / "run.nc"
    assert main(["solve", "talas", "--months", "2", "--out", str(out)]) == 0
    assert _mode(out) == 0o644
    os.chmod(out, 0o664)
    assert main(["solve", "talas", "--months", "2", "--out", str(out)]) == 0
    assert _mode(out) == 0o664


def test_a_basin_saved_over_itself_keeps_its_mode(tmp_path):
    b = basins.load("talas")
    path = tmp_path / "talas.yaml"
    b.save(path)
    assert _mode(path) == 0o644 and _mode(tmp_path / "talas_data" / "inflow.csv") == 0o644
    os.chmod(path, 0o664)
    basins.load(path).save(path)
    assert _mode(path) == 0o664 and _mode(tmp_path / "talas_data" / "inflow.csv") == 0o644


# ---- README: venv activation and the __main__ guard for Dask ------------------------------------------

def _readme_blocks() -> list[str]:
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    return re.findall(r"```(?:python)?\n(.*?)```", text, flags=re.S)


def test_readme_says_how_to_activate_the_venv():
    assert any(". .venv/bin/activate" in b for b in _readme_blocks())


def test_readme_ensemble_script_has_a_main_guard_and_runs(tmp_path):
    import ast
    import subprocess
    import sys
    from pathlib import Path

    (script,) = [b for b in _readme_blocks() if "solve_ensemble" in b and "__main__" in b]
    tree = ast.parse(script)
    guard = [n for n in tree.body if isinstance(n, ast.If) and "__main__" in ast.unparse(n.test)]
    assert guard and "solve_ensemble" in ast.unparse(guard[0]) and "solve_ensemble" not in \
        "".join(ast.unparse(n) for n in tree.body if n not in guard)
    (tmp_path / "ens_script.py").write_text(script)
    env = {**__import__("os").environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    r = subprocess.run([sys.executable, "ens_script.py"], cwd=tmp_path, env=env, capture_output=True, text=True,  # noqa: S603
                       timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "KG" in r.stdout and "KZ" in r.stdout and "Traceback" not in r.stderr
