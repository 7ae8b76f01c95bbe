"""The ``chutalas basins`` and ``chutalas check`` commands, in process and as the installed script."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import basins
from optimizer.interfaces.cli import COMMANDS, main


def _cli() -> list[str]:
    """The console script next to the running interpreter, else ``python -m optimizer.interfaces.cli``."""
    script = Path(sys.executable).parent / "chutalas"
    if script.is_file():
        return [str(script)]
    found = shutil.which("chutalas")
    return [found] if found else [sys.executable, "-m", "optimizer.interfaces.cli"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(_cli() + list(args), capture_output=True, text=True, timeout=120, cwd=cwd)


@pytest.fixture
def broken_yaml(tmp_path: Path) -> Path:
    """A self-contained copy of the Chu basin with one misspelt key (``capcity_hm3``)."""
    text = basins.dumps(basins.load("chu"), inline=True)
    assert "capacity_hm3:" in text
    path = tmp_path / "chu_typo.yaml"
    path.write_text(text.replace("capacity_hm3:", "capcity_hm3:", 1), encoding="utf-8")
    return path


# ---- in process ---------------------------------------------------------------------------------

def test_commands_registered_once():
    names = [c.name for c in COMMANDS]
    assert {"basins", "check"} <= set(names)
    assert len(names) == len(set(names))


def test_basins_lists_bundled(capsys):
    assert main(["basins"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split()[0] == "id"
    chu = next(line for line in lines if line.startswith("chu "))
    talas = next(line for line in lines if line.startswith("talas "))
    assert "Chu (Shu)" in chu and "6,607" in chu
    # nodes, links, reservoirs, natural inflow: the Chu 24 nodes and 23 links since its two aquifers, the well
    # fields, Bishkek and the lower-Shu releases (2026-12; was 20 and 20); the Talas 12 nodes with its aquifer
    assert chu.split()[-4:] == ["25", "24", "2", "6,607"]
    assert talas.split()[-4:] == ["12", "10", "1", "1,589"]


def test_check_chu_summary(capsys):
    assert main(["check", "chu"]) == 0
    cap = capsys.readouterr()
    out = cap.out
    assert cap.err == ""
    assert "Chu (Shu) [chu]  OK" in out
    # nodes by kind
    assert "inflow      4  CH_IN_OT, CH_IN_MID, CH_IN_VAL_KG, CH_IN_VAL_KZ" in out
    assert "reservoir   2" in out and "sink        1  CH_SINK" in out
    # canal capacities with their units, loss and minimum flow
    assert "Links: 24, 7 with a capacity" in out
    assert "CH_L_OT_OUT" in out and "275 m3/s" in out
    bypass = next(lk for lk in basins.load("chu").spec.links if lk.id == "CH_L_BYPASS")
    assert f"70 m3/s  {bypass.loss_fraction:>4.0%}" in out
    assert "50 m3/s" in out  # the Furmanov canal (no minimum flow since the lower-Shu releases are a demand)
    assert "CH_AQ_VALLEY" in out and "CH_L_BYS_CHUM" in out  # the losing reach recharges the piedmont aquifer
    # reservoirs: capacity / dead / initial
    ot = next(line for line in out.splitlines() if line.strip().startswith("CH_R_OT "))
    assert ot.split() == ["CH_R_OT", "470", "8", "200"]
    # demands: party, sector, priority, annual demand
    b = basins.load("chu")
    served = b.effective_demand.sum("month")  # the series x demand_factor, what the model serves
    assert f"Demands: 8, total {float(served.sum()):,.0f} hm3/yr" in out
    e = next(line for line in out.splitlines() if line.strip().startswith("KG_CHU_E "))
    factor = next(d.demand_factor for d in b.spec.demands if d.node == "KG_CHU_E")
    assert e.split() == ["KG_CHU_E", "KG", "irrigation", "3", f"{factor:g}",
                         f"{float(served.sel(node='KG_CHU_E')):,.0f}"]
    assert abs(float(b.demand.sel(node="KG_CHU_E").sum()) - 660.0) < 1e-9  # 88k ha x 7,500 m3/ha before the factor
    # annual inflow per year type
    for yt, v in [("wet", "7,171"), ("normal", "6,607"), ("dry", "6,076"), ("very-dry", "5,359"), ("extreme-dry", "4,894")]:
        assert any(line.split() == [yt, v] for line in out.splitlines()), yt
    # agreement rules
    assert "share rule chu_1983_shares: KZ 42%, KG 58%" in out and "per hydro-year, hard; KZ entitlement, KG ceiling" in out
    assert "quota chu_vegetation_kz: KZ >= 370 hm3 per apr-sep, soft" in out
    assert "facility orto_tokoy" in out and "O&M 400,000 USD/yr" in out
    assert len(out.splitlines()) < 60  # one screen


def test_check_talas_storage_accounts(capsys):
    # the Kirov 88/12 is a split of the accumulated water (storage accounts), no longer of all releases
    assert main(["check", "talas"]) == 0
    out = capsys.readouterr().out
    assert ("storage accounts kirov_accounts: water accumulated in TA_R_KIR: KZ 88%, KG 12%; start balances "
            "KZ 211.2, KG 28.8 hm3") in out
    assert "storage split" not in out
    assert any(line.split() == ["normal", "1,589"] for line in out.splitlines())


def test_check_a_path_and_a_saved_copy(tmp_path, capsys):
    path = basins.load("talas").save(tmp_path / "t.yaml")
    assert main(["check", str(path)]) == 0
    assert str(path) in capsys.readouterr().out


def test_check_typo_key_exits_2_and_names_file_and_field(broken_yaml, capsys):
    assert main(["check", str(broken_yaml)]) == 2
    cap = capsys.readouterr()
    assert cap.out == ""
    assert str(broken_yaml) in cap.err
    assert "capcity_hm3" in cap.err and "unknown key" in cap.err
    assert "CH_R_OT" in cap.err
    assert "Traceback" not in cap.err


@pytest.mark.parametrize("arg", ["does_not_exist.yaml", "no_such_basin"])
def test_check_missing_exits_2(arg, tmp_path, capsys):
    assert main(["check", str(tmp_path / arg) if arg.endswith(".yaml") else arg]) == 2
    err = capsys.readouterr().err
    assert arg in err
    assert "not found" in err or "neither a bundled basin" in err


def test_check_directory_and_binary_file_exit_2(tmp_path, capsys):
    assert main(["check", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"\xff\xfe\x00garbage")
    assert main(["check", str(bad)]) == 2
    assert "not UTF-8" in capsys.readouterr().err


def test_bundled_id_wins_over_same_named_directory(tmp_path, monkeypatch, capsys):
    (tmp_path / "chu").mkdir()
    monkeypatch.chdir(tmp_path)
    assert main(["check", "chu"]) == 0
    assert "Chu (Shu) [chu]  OK" in capsys.readouterr().out


def test_usage_errors_exit_2(capsys):
    assert main([]) == 2
    assert main(["frobnicate"]) == 2
    assert main(["check"]) == 2
    assert "usage: chutalas" in capsys.readouterr().err
    assert main(["--help"]) == 0
    assert "check" in capsys.readouterr().out


# ---- as a subprocess (the installed console script) ---------------------------------------------

def test_script_basins(tmp_path):
    r = run("basins", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "chu" in r.stdout and "talas" in r.stdout and "6,607" in r.stdout


def test_script_check_chu(tmp_path):
    r = run("check", "chu", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "normal" in r.stdout and "6,607" in r.stdout
    assert "275 m3/s" in r.stdout


def test_script_check_broken_copy(broken_yaml):
    r = run("check", str(broken_yaml), cwd=broken_yaml.parent)
    assert r.returncode == 2
    assert str(broken_yaml) in r.stderr and "capcity_hm3" in r.stderr
    assert "Traceback" not in r.stderr


def test_script_check_missing_path(tmp_path):
    r = run("check", str(tmp_path / "missing.yaml"), cwd=tmp_path)
    assert r.returncode == 2
    assert "missing.yaml" in r.stderr and "not found" in r.stderr
    assert "Traceback" not in r.stderr


def test_module_entry_point(tmp_path):
    r = subprocess.run([sys.executable, "-m", "optimizer.interfaces.cli", "check", "talas"], capture_output=True, text=True,
                       timeout=120, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "Talas [talas]  OK" in r.stdout
