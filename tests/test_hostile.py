"""Hostile and broken inputs, through every door a basin file comes in by.

One table of bad inputs (truncated files, wrong types, typos, huge, negative and NaN numbers, booleans and
other YAML 1.1 surprises, duplicate keys, YAML bombs, oversized files, bad encodings, path-like names) is
fed to

* the loader: ``basins.loads(text, file=...)`` and ``basins.load(path)``;
* the command line: ``chutalas check PATH`` and ``chutalas solve PATH`` (exit 2, the located problem on
  stderr, never a traceback);
* the app's upload path: ``optimizer.interfaces.app_support.read_upload(name, bytes)`` (size check, UTF-8 decode, then
  ``basins.loads(text, file=name)``), which returns the located problems instead of raising.

Each case names the problem it must produce: the entry (an id or a line), the field and words of the
message. A last group checks, by reading the source, that no module of ``basins`` or ``optimizer``
evaluates, unpickles or shells out, that PyYAML is only read with a SafeLoader subclass and ruamel.yaml only
with ``typ="safe"`` or ``typ="rt"`` (never ``unsafe``/``full``/``base``), and that the basin reader is
ruamel's safe constructor (YAML 1.2), pure Python, refusing aliases.
"""

from __future__ import annotations

import ast
import importlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
import ruamel.yaml
import yaml

import basins
from basins import loading, yaml_io
from fixtures import BlockDumper
from optimizer.interfaces.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _csv(header: str, rows) -> str:
    return "\n".join([header] + [",".join(map(str, r)) for r in rows]) + "\n"


def base_spec() -> dict:
    """A small valid basin (inline series): inflow → reservoir → junction → KG canal / border → KZ → sink."""
    months = range(1, 13)
    return {
        "id": "hostile", "name": "Hostile-input test basin",
        "year_types": ["normal"],
        "nodes": [
            {"id": "IN", "name": "Headwater", "kind": "inflow", "country": "KG", "lat": 42.0, "lon": 75.0},
            {"id": "RES", "name": "Reservoir", "kind": "reservoir", "country": "KG", "lat": 42.1, "lon": 75.1},
            {"id": "J", "name": "Junction", "kind": "junction", "country": "KG", "lat": 42.2, "lon": 75.2},
            {"id": "KG_IRR", "name": "KG irrigation", "kind": "demand", "country": "KG", "lat": 42.3, "lon": 75.3},
            {"id": "B", "name": "Border", "kind": "border", "country": "KZ", "lat": 42.4, "lon": 75.4},
            {"id": "KZ_IRR", "name": "KZ irrigation", "kind": "demand", "country": "KZ", "lat": 42.5, "lon": 75.5},
            {"id": "OUT", "name": "Outlet", "kind": "sink", "country": "KZ", "lat": 42.6, "lon": 75.6},
        ],
        "links": [
            {"id": "L_IN", "source": "IN", "target": "RES"},
            {"id": "L_RES", "source": "RES", "target": "J", "capacity": 40.0, "capacity_unit": "m3/s"},
            {"id": "L_CANAL", "source": "J", "target": "KG_IRR", "capacity": 20.0, "capacity_unit": "m3/s"},
            {"id": "L_BORDER", "source": "J", "target": "B"},
            {"id": "L_KZ", "source": "B", "target": "KZ_IRR"},
            {"id": "L_OUT", "source": "B", "target": "OUT"},
        ],
        "reservoirs": [{"node": "RES", "capacity_hm3": 100.0, "dead_storage_hm3": 5.0, "initial_storage_hm3": 50.0,
                        "area_km2_at_dead": 1.0, "area_km2_at_full": 8.0}],
        "demands": [{"node": "KG_IRR", "party": "KG", "sector": "irrigation", "priority": 2},
                    {"node": "KZ_IRR", "party": "KZ", "sector": "irrigation", "priority": 2}],
        "agreement": {"share_rules": [{
            "id": "border_share", "resource_inflows": ["IN"], "period": "year", "shares": {"KZ": 0.5, "KG": 0.5},
            "receipts": {"KZ": {"links": ["L_BORDER"]}, "KG": {"links": ["L_CANAL"]}}, "enforce": ["KZ"],
            "mode": "hard"}]},
        "series_inline": {
            "inflow": _csv("year_type,month,node,inflow,unit", [("normal", m, "IN", 60.0, "hm3") for m in months]),
            "demand": _csv("month,node,demand,unit",
                           [(m, n, 20.0, "hm3") for m in months for n in ("KG_IRR", "KZ_IRR")]),
            "evaporation": _csv("month,node,evaporation,unit", [(m, "RES", 50.0, "mm") for m in months]),
        },
    }


def dump(spec: dict) -> str:
    """YAML as a person writes it: block style, inline CSV series as literal ``|`` blocks (one row a line)."""
    return yaml.dump(spec, Dumper=BlockDumper, sort_keys=False, allow_unicode=True, width=200)


BASE = dump(base_spec())


def test_the_base_case_is_valid_and_solves(tmp_path, capsys):
    b = basins.loads(BASE, file="hostile.yaml")
    assert [n.id for n in b.spec.nodes][:2] == ["IN", "RES"]
    path = tmp_path / "hostile.yaml"
    path.write_text(BASE, encoding="utf-8")
    assert main(["check", str(path)]) == 0
    assert main(["solve", str(path), "--json"]) == 0
    capsys.readouterr()


# ---- the table ---------------------------------------------------------------------------------------------

def edit(fn: Callable[[dict], None]) -> Callable[[], str]:
    """A case made by editing the base spec (then dumped as YAML)."""
    def make() -> str:
        spec = base_spec()
        fn(spec)
        return dump(spec)
    return make


def text_edit(fn: Callable[[str], str]) -> Callable[[], str]:
    return lambda: fn(BASE)


def node(spec, nid):
    return next(n for n in spec["nodes"] if n["id"] == nid)


def link(spec, lid):
    return next(lk for lk in spec["links"] if lk["id"] == lid)


def series(spec, kind, old, new):
    text = spec["series_inline"][kind]
    assert old in text, old
    spec["series_inline"][kind] = text.replace(old, new, 1)


def sub(old: str, new: str) -> Callable[[str], str]:
    def f(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)
    return f


def truncate_at(marker: str, keep: int = 0) -> Callable[[str], str]:
    """Cut the file ``keep`` characters after the first ``marker``."""
    return lambda text: text[:text.index(marker) + keep]


BILLION_LAUGHS = "\n".join(
    ['lol0: &l0 "lol"'] + [f"lol{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, 10)]) + "\n"


@dataclass(frozen=True)
class Case:
    make: Callable[[], str | bytes]
    entry: str  # words of the problem's entry (an id, a line, a series row)
    field: str  # the problem's field ("" = none)
    words: str  # words of the message


CASES: dict[str, Case] = {
    # truncated files
    "truncated inside a quoted string": Case(text_edit(lambda t: t[:t.index("Hostile-input")] + "'Hosti"), "line 2",
                                             "", "YAML error: found unexpected end of stream"),
    "truncated after 'links:'": Case(text_edit(truncate_at("links:", len("links:"))), "file", "links",
                                     "Input should be a valid list (got None)"),
    "truncated in the inline series": Case(text_edit(truncate_at("normal,7,IN,", len("normal,7,IN,"))),
                                           "series_inline", "demand", "is required but missing"),
    "a series row cut short": Case(text_edit(sub("normal,7,IN,60.0,hm3\n", "normal,7,IN,\n")),
                                   "year_type=normal, month=7, node=IN", "inflow", "is empty or NaN"),
    "truncated to nothing": Case(lambda: "", "file", "", "must be a YAML mapping"),
    # wrong types
    "string for a number": Case(edit(lambda s: link(s, "L_RES").update(capacity="lots")), "'L_RES'", "capacity",
                                "Input should be a valid number"),
    "string for an integer": Case(edit(lambda s: s["demands"][0].update(priority="high")), "'KG_IRR'", "priority",
                                  "Input should be a valid integer"),
    "mapping for a list": Case(edit(lambda s: s.update(links={"L_IN": "IN -> RES"})), "file", "links",
                               "Input should be a valid list"),
    "number for an id": Case(edit(lambda s: node(s, "J").update(id=123)), "nodes[2]", "id",
                             "Input should be a valid string"),
    "boolean for a number (yes)": Case(text_edit(sub("capacity: 40.0", "capacity: yes")), "'L_RES'", "capacity",
                                       "is not a number"),
    "boolean share (on)": Case(text_edit(sub("KZ: 0.5", "KZ: on")), "'border_share'", "shares",
                               "is not a number"),
    "YAML 1.1 base-60 number": Case(text_edit(sub("capacity: 40.0", "capacity: 1:30")), "line", "",
                                    "'1:30' is a YAML 1.1 base-60 number (90)"),
    "YAML 1.1 octal number": Case(text_edit(sub("capacity: 40.0", "capacity: 040")), "line", "",
                                  "'040' is a YAML 1.1 octal number (32)"),
    "minimum flow above the capacity (mixed units)": Case(
        edit(lambda s: link(s, "L_RES").update(min_flow=105.0, min_flow_unit="hm3/month")), "link 'L_RES'", "min_flow",
        "105 hm3/month exceeds the capacity 40 m3/s in months 2, 4, 6, 9, 11"),
    "unknown kind": Case(edit(lambda s: node(s, "J").update(kind="lake")), "'J'", "kind", "Input should be"),
    # unknown keys
    "typo capcity": Case(edit(lambda s: s["reservoirs"][0].update(capcity=s["reservoirs"][0].pop("capacity_hm3"))),
                         "'RES'", "capcity", "unknown key 'capcity'"),
    "typo at the top level": Case(edit(lambda s: s.update(reservoir=s.pop("reservoirs"))), "file", "reservoir",
                                  "unknown key 'reservoir'"),
    # huge numbers
    "1e300 capacity": Case(edit(lambda s: link(s, "L_RES").update(capacity=1e300)), "'L_RES'", "capacity",
                           "less than or equal to 1000000000"),
    "1e300 capacity written without a dot": Case(text_edit(sub("capacity: 40.0", "capacity: 1e300")), "'L_RES'",
                                                 "capacity", "less than or equal to 1000000000"),
    "400-digit integer": Case(text_edit(sub("capacity: 40.0", "capacity: " + "9" * 400)), "'L_RES'", "capacity",
                              "valid number (got 999999999999"),
    "1e300 in a series": Case(edit(lambda s: series(s, "inflow", "normal,3,IN,60.0", "normal,3,IN,1e300")),
                              "month=3, node=IN", "inflow", "1e+300 is larger than 1e+09"),
    "1e300 reservoir": Case(edit(lambda s: s["reservoirs"][0].update(capacity_hm3=1e300)), "'RES'", "capacity_hm3",
                            "less than or equal to 1000000000"),
    # negative and NaN
    "negative capacity": Case(edit(lambda s: link(s, "L_RES").update(capacity=-5.0)), "'L_RES'", "capacity",
                              "greater than or equal to 0"),
    "negative initial storage": Case(edit(lambda s: s["reservoirs"][0].update(initial_storage_hm3=-1.0)), "'RES'",
                                     "initial_storage_hm3", "greater than or equal to 0"),
    "negative in a series": Case(edit(lambda s: series(s, "demand", "5,KZ_IRR,20.0", "5,KZ_IRR,-3")),
                                 "month=5, node=KZ_IRR", "demand", "-3.0 is not a finite value >= 0"),
    "YAML .nan": Case(text_edit(sub("capacity: 40.0", "capacity: .nan")), "'L_RES'", "capacity",
                      "Input should be a finite number"),
    "YAML .inf": Case(text_edit(sub("capacity_hm3: 100.0", "capacity_hm3: .inf")), "'RES'", "capacity_hm3",
                      "Input should be a finite number"),
    "CSV nan": Case(edit(lambda s: series(s, "inflow", "normal,9,IN,60.0", "normal,9,IN,nan")), "month=9, node=IN",
                    "inflow", "is empty or NaN"),
    "CSV inf": Case(edit(lambda s: series(s, "evaporation", "4,RES,50.0", "4,RES,inf")), "month=4, node=RES",
                    "evaporation", "inf is not a finite value >= 0"),
    # names and ids
    "unicode id": Case(edit(lambda s: node(s, "J").update(id="Чуй")), "nodes[2]", "id",
                       "String should match pattern"),
    "path-like node id": Case(edit(lambda s: node(s, "J").update(id="../../etc/passwd")), "nodes[2]", "id",
                              "String should match pattern"),
    "path-like basin id": Case(edit(lambda s: s.update(id="../evil")), "file", "id", "String should match pattern"),
    "slash in a link id": Case(edit(lambda s: link(s, "L_OUT").update(id="L/OUT")), "links[5]", "id",
                               "String should match pattern"),
    # YAML constructs
    "duplicate key": Case(text_edit(sub("  capacity_hm3: 100.0\n", "  capacity_hm3: 100.0\n  capacity_hm3: 900.0\n")),
                          "line", "capacity_hm3", "duplicate key"),
    "duplicate top-level key": Case(lambda: BASE + "id: another\n", "line", "id", "duplicate key"),
    "billion laughs": Case(lambda: BILLION_LAUGHS, "line 1", "lol0", "anchor '&l0'"),
    "alias only": Case(text_edit(sub("capacity_hm3: 100.0", "capacity_hm3: *cap")), "'RES'", "capacity_hm3",
                       "alias '*cap'"),
    "deep nesting": Case(lambda: "id: x\nnodes: " + "[" * 100_000 + "]" * 100_000 + "\n", "line 2", "",
                         "nested more than 32 levels deep"),
    "python object tag": Case(lambda: "id: !!python/object/apply:os.system ['echo pwned > pwned.txt']\n", "line 1",
                              "", "could not determine a constructor for the tag"),
    "NUL byte": Case(lambda: BASE.replace("Junction", "Junc\x00tion"), "line 19, column 13", "",
                     "character '\\x00' is not allowed in YAML text"),
    "not UTF-8": Case(lambda: BASE.encode("utf-8").replace(b"Junction", b"Junc\xff\xfetion"), "file", "",
                      "UTF-8"),
    "a YAML list, not a mapping": Case(lambda: "- id: x\n- id: y\n", "file", "", "must be a YAML mapping"),
}

DOORS = ["loads", "load", "cli check", "cli solve", "app upload"]


def _write(tmp_path: Path, content: str | bytes, name: str = "hostile.yaml") -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def problems_through(door: str, content: str | bytes, tmp_path: Path, capsys) -> tuple[list[str], str]:
    """The problem lines a door reports for ``content`` and the label of the file in them."""
    if door == "loads":
        text = content.decode("utf-8") if isinstance(content, bytes) else content
        with pytest.raises(basins.BasinError) as exc:
            basins.loads(text, file="upload.yaml")
        return [str(p) for p in exc.value.problems], "upload.yaml"
    if door == "load":
        path = _write(tmp_path, content)
        with pytest.raises(basins.BasinError) as exc:
            basins.load(path)
        return [str(p) for p in exc.value.problems], str(path)
    if door.startswith("cli"):
        path = _write(tmp_path, content)
        capsys.readouterr()
        assert main([door.split()[1], str(path)]) == 2
        out, err = capsys.readouterr()
        assert "Traceback" not in err and 'File "' not in err, err
        assert out == "", out  # nothing half-printed before the error
        return err.splitlines(), str(path)
    if door == "app upload":
        support = importlib.import_module("optimizer.interfaces.app_support")
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        basin, problems = support.read_upload("scenario.yaml", data)
        assert basin is None and problems
        return [str(p) for p in problems], "scenario.yaml"
    raise ValueError(door)


# basins.loads takes text: bytes that are not UTF-8 never become text, so byte cases go through the other doors
_BYTES = {case for case, c in CASES.items() if isinstance(c.make(), bytes)}
DOOR_CASES = [(door, case) for case in CASES for door in DOORS if not (door == "loads" and case in _BYTES)]


@pytest.mark.parametrize("door, case", DOOR_CASES)
def test_hostile_input_gives_a_located_problem(tmp_path, capsys, case, door):
    c = CASES[case]
    content = c.make()
    lines, label = problems_through(door, content, tmp_path, capsys)
    hits = [line for line in lines if c.words in line]
    assert hits, "\n".join(lines)
    line = hits[0]
    assert label in line, line  # the file is named
    assert c.entry in line, line  # and the entry (an id, a line or a series row)
    if c.field:
        assert f"field '{c.field}'" in line, line


def test_python_tags_do_not_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(basins.BasinError):
        basins.loads(CASES["python object tag"].make())
    assert not (tmp_path / "pwned.txt").exists()


def test_yaml_bomb_is_refused_at_once():
    t0 = time.perf_counter()
    with pytest.raises(basins.BasinError, match="anchors and aliases are not allowed"):
        basins.loads(BILLION_LAUGHS)
    assert time.perf_counter() - t0 < 1.0  # refused at the first anchor, never expanded (10^9 "lol"s)


# ---- sizes -------------------------------------------------------------------------------------------------

@pytest.fixture
def no_parsing(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("the file was parsed")
    monkeypatch.setattr(loading, "parse_yaml", refuse)
    monkeypatch.setattr(yaml_io, "parse", refuse)
    monkeypatch.setattr(ruamel.yaml.YAML, "load", refuse)


def _fifty_mb() -> str:
    pad = "# " + "x" * 1022 + "\n"
    return BASE + pad * (50 * 1024)


def test_50_mb_file_is_refused_by_size_before_parsing(tmp_path, capsys, no_parsing):
    text = _fifty_mb()
    assert len(text) > 50 * 2**20
    with pytest.raises(basins.BasinError, match="is larger than 20 MB"):
        basins.loads(text, file="big.yaml")
    path = _write(tmp_path, text, "big.yaml")
    with pytest.raises(basins.BasinError, match="is larger than 20 MB"):
        basins.load(path)
    for command in ("check", "solve"):
        assert main([command, str(path)]) == 2
        err = capsys.readouterr().err
        assert f"{path}: file: is larger than 20 MB" in err and "Traceback" not in err


def test_upload_over_the_app_limit_is_refused_before_parsing(no_parsing):
    support = importlib.import_module("optimizer.interfaces.app_support")
    limit = support.UPLOAD_MAX_BYTES
    for data in (_fifty_mb().encode(), b"#" * (limit + 1)):
        basin, problems = support.read_upload("big.yaml", data)
        assert basin is None
        (p,) = problems
        assert str(p) == f"big.yaml: file: is larger than {support.UPLOAD_MAX_MB} MB; a scenario file is far smaller"


def test_upload_exactly_at_the_app_limit_is_read():
    support = importlib.import_module("optimizer.interfaces.app_support")
    data = BASE.encode()
    data += b"#" * (support.UPLOAD_MAX_BYTES - len(data) - 1) + b"\n"
    assert len(data) == support.UPLOAD_MAX_BYTES
    basin, problems = support.read_upload("full.yaml", data)
    assert problems == [] and basin.id == "hostile"


def test_the_app_validates_uploads_with_basins_loads(monkeypatch):
    """The upload path ends in basins.loads(text, file=<name>) (so every check above applies to uploads)."""
    support = importlib.import_module("optimizer.interfaces.app_support")
    seen = {}
    real = basins.loads

    def spy(text, file="<upload>", base_dir=None):
        seen.update(text=text, file=file, base_dir=base_dir)
        return real(text, file=file, base_dir=base_dir)

    monkeypatch.setattr(support.basins, "loads", spy)
    basin, problems = support.read_upload("mine.yaml", BASE.encode())
    assert problems == [] and seen == {"text": BASE, "file": "mine.yaml", "base_dir": None}


# ---- unicode names ------------------------------------------------------------------------------------------

UNICODE_NAMES = {"IN": "Чу — верховье (Кочкор)", "J": "Şu ırmağı · جسر", "B": "Граница KG/KZ 🌊",
                 "OUT": "Балқаш көлі ← \u202etxt.exe"}


def _unicode_spec() -> dict:
    spec = base_spec()
    for nid, name in UNICODE_NAMES.items():
        node(spec, nid)["name"] = name
    spec["name"] = "Чу–Талас / Шу–Талас"
    return spec


def test_unicode_names_round_trip(tmp_path, capsys):
    text = dump(_unicode_spec())
    b = basins.loads(text, file="юникод.yaml")
    names = {n.id: n.name for n in b.spec.nodes}
    assert all(names[k] == v for k, v in UNICODE_NAMES.items())
    # YAML text (inline), a saved file with its series folder, and back
    again = basins.loads(basins.dumps(b), file="again.yaml")
    assert again == b and {n.id: n.name for n in again.spec.nodes} == names
    path = tmp_path / "юникод" / "basin.yaml"
    b.save(path)
    loaded = basins.load(path)
    assert loaded == b and loaded.name == "Чу–Талас / Шу–Талас"
    # the command line reads the file (a non-ASCII path) and prints its summary
    assert main(["check", str(path)]) == 0
    assert "Чу–Талас / Шу–Талас" in capsys.readouterr().out
    # a result keeps the names through NetCDF
    import optimizer

    r = optimizer.solve(loaded, months=2)
    out = tmp_path / "result.nc"
    r.to_netcdf(out)
    back = optimizer.Result.from_netcdf(out)
    assert dict(zip(back.dataset["node"].values, back.dataset["node_name"].values)) == names


# ---- path-like names ----------------------------------------------------------------------------------------

def _with_series_files(files: dict) -> str:
    spec = base_spec()
    del spec["series_inline"]
    spec["series_files"] = files
    return dump(spec)


@pytest.mark.parametrize("bad", ["../../etc/passwd", "/etc/passwd", "../../../../../../etc/shadow",
                                 "data/../../../etc/passwd"])
@pytest.mark.parametrize("door", ["load", "cli check", "cli solve"])
def test_series_paths_must_stay_in_the_basin_folder_tree(tmp_path, capsys, bad, door):
    from basins import series as series_mod

    home = tmp_path / "a" / "b"
    home.mkdir(parents=True)
    b = basins.loads(BASE)
    for kind in ("inflow", "demand", "evaporation"):
        (home / f"{kind}.csv").write_text(series_mod.from_dataarray(getattr(b, kind), kind), encoding="utf-8")
    text = _with_series_files({"inflow": bad, "demand": "demand.csv", "evaporation": "evaporation.csv"})
    (home / "basin.yaml").write_text(text, encoding="utf-8")
    if door == "load":
        with pytest.raises(basins.BasinError) as exc:
            basins.load(home / "basin.yaml")
        lines = [str(p) for p in exc.value.problems]
    else:
        assert main([door.split()[1], str(home / "basin.yaml")]) == 2
        lines = capsys.readouterr().err.splitlines()
    hit = [line for line in lines if "must be a relative path inside the basin's folder tree" in line]
    assert hit and "series_files, field 'inflow'" in hit[0] and repr(bad) in hit[0], lines
    # the good files next to it are fine: only the one bad path is reported
    assert not [line for line in lines if "field 'demand'" in line or "field 'evaporation'" in line]


def test_a_symlink_out_of_the_folder_tree_is_refused(tmp_path):
    from basins import series as series_mod

    home = tmp_path / "a" / "b"
    home.mkdir(parents=True)
    outside = tmp_path / "outside.csv"  # the basin's folder tree is tmp_path/a
    b = basins.loads(BASE)
    outside.write_text(series_mod.from_dataarray(b.inflow, "inflow"), encoding="utf-8")
    for kind in ("demand", "evaporation"):
        (home / f"{kind}.csv").write_text(series_mod.from_dataarray(getattr(b, kind), kind), encoding="utf-8")
    os.symlink(outside, home / "inflow.csv")
    (home / "basin.yaml").write_text(_with_series_files(
        {"inflow": "inflow.csv", "demand": "demand.csv", "evaporation": "evaporation.csv"}), encoding="utf-8")
    with pytest.raises(basins.BasinError, match="must be a relative path inside the basin's folder tree"):
        basins.load(home / "basin.yaml")


def test_uploads_never_follow_file_paths():
    support = importlib.import_module("optimizer.interfaces.app_support")
    text = _with_series_files({"inflow": "../../etc/passwd", "demand": "d.csv", "evaporation": "e.csv"})
    with pytest.raises(basins.BasinError) as exc:
        basins.loads(text, file="upload.yaml")
    msgs = [str(p) for p in exc.value.problems]
    assert any("series_files, field 'inflow': an uploaded file must carry its series inline" in m for m in msgs), msgs
    basin, problems = support.read_upload("../../etc/passwd", text.encode())
    assert basin is None and all(p.file == "../../etc/passwd" for p in problems)  # the name is only a label
    assert any("file paths are not followed" in p.message for p in problems)


def test_a_path_like_upload_name_is_only_a_label():
    support = importlib.import_module("optimizer.interfaces.app_support")
    basin, problems = support.read_upload("../../etc/passwd", BASE.encode())
    assert problems == [] and basin.path is None and basin.id == "hostile"


@pytest.mark.parametrize("target", ["/etc/passwd", "/dev/null", "/proc/self/environ"])
def test_cli_on_system_files_exits_2_without_a_traceback(capsys, target):
    assert Path(target).exists()  # every Linux machine (and CI's) has these
    for command in ("check", "solve"):
        assert main([command, target]) == 2
        err = capsys.readouterr().err
        assert target in err and "Traceback" not in err, err


# ---- what the code may call ---------------------------------------------------------------------------------

def _modules() -> list[Path]:
    files = sorted((ROOT / "basins").glob("*.py")) + sorted((ROOT / "optimizer").rglob("*.py"))
    assert len(files) > 10
    return files


BANNED_IMPORTS = {"pickle", "cPickle", "marshal", "shelve", "dill", "cloudpickle", "joblib", "subprocess", "pty",
                  "commands"}
BANNED_CALLS = {"eval", "exec", "compile", "__import__", "input"}
BANNED_ATTRS = {("os", "system"), ("os", "popen"), ("os", "execv"), ("os", "execve"), ("os", "execl"),
                ("os", "execlp"), ("os", "execvp"), ("os", "spawnl"), ("os", "spawnv"), ("os", "startfile"),
                ("pd", "read_pickle"), ("yaml", "unsafe_load"), ("yaml", "full_load"),
                ("yaml", "load_all"), ("yaml", "unsafe_load_all"), ("yaml", "full_load_all")}


#: the one module that starts a process: `chutalas app` starts Streamlit with a fixed argument list, no shell
SUBPROCESS_ALLOWED = {"optimizer/interfaces/app_launch.py"}


@pytest.mark.parametrize("path", _modules(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_eval_pickle_shell_or_unsafe_yaml(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    where = lambda n: f"{path.relative_to(ROOT)}:{n.lineno}"  # noqa: E731
    rel = path.relative_to(ROOT).as_posix()
    banned = BANNED_IMPORTS - ({"subprocess"} if rel in SUBPROCESS_ALLOWED else set())
    alias = {}  # local name -> module (import yaml as y; import pandas as pd)
    for n in ast.walk(tree):
        if isinstance(n, ast.Call) and rel in SUBPROCESS_ALLOWED:
            assert not any(k.arg == "shell" for k in n.keywords), f"{where(n)} passes shell="
        if isinstance(n, ast.Import):
            for a in n.names:
                assert a.name.split(".")[0] not in banned, f"{where(n)} imports {a.name}"
                alias[a.asname or a.name] = a.name
        elif isinstance(n, ast.ImportFrom) and n.module:
            assert n.module.split(".")[0] not in banned, f"{where(n)} imports from {n.module}"
            for a in n.names:  # from os import system; from yaml import load
                module = {"pandas": "pd"}.get(n.module, n.module)
                assert (module, a.name) not in BANNED_ATTRS and (n.module, a.name) != ("yaml", "load"), \
                    f"{where(n)} imports {a.name} from {n.module}"
    for n in ast.walk(tree):
        if isinstance(n, ast.Call):
            f = n.func
            if isinstance(f, ast.Name):
                assert f.id not in BANNED_CALLS, f"{where(n)} calls {f.id}()"
            elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
                module = alias.get(f.value.id, f.value.id)
                module = "pd" if module == "pandas" else module
                assert (module, f.attr) not in BANNED_ATTRS, f"{where(n)} calls {f.value.id}.{f.attr}()"
                if f.attr in ("read_pickle", "to_pickle"):
                    raise AssertionError(f"{where(n)} uses {f.attr}")
                if (module, f.attr) == ("yaml", "load"):
                    _assert_safe_loader(path, n)
            if _name_of(f) == "YAML":
                _assert_safe_ruamel(where(n), n)
            if isinstance(f, ast.Attribute) and f.attr == "load" and any(
                    k.arg == "allow_pickle" and not (isinstance(k.value, ast.Constant) and k.value.value is False)
                    for k in n.keywords):
                raise AssertionError(f"{where(n)} loads with allow_pickle")


def _assert_safe_loader(path: Path, call: ast.Call) -> None:
    """``yaml.load(..., Loader=X)`` only with X a subclass of yaml.SafeLoader (looked up in the module)."""
    import importlib

    loader = next((k.value for k in call.keywords if k.arg == "Loader"), call.args[1] if len(call.args) > 1 else None)
    assert isinstance(loader, ast.Name), f"{path.name}:{call.lineno}: yaml.load without a named Loader"
    module = importlib.import_module(f"{path.parent.name}.{path.stem}")
    cls = getattr(module, loader.id)
    assert isinstance(cls, type) and issubclass(cls, yaml.SafeLoader), f"{loader.id} is not a SafeLoader"
    assert not issubclass(cls, (yaml.FullLoader, yaml.UnsafeLoader))


def _name_of(f: ast.expr) -> str:
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


def _assert_safe_ruamel(where: str, call: ast.Call) -> None:
    """``YAML(...)`` of ruamel.yaml only with an explicit ``typ="safe"`` or ``typ="rt"`` (both construct plain
    data, never Python objects)."""
    typ = next((k.value for k in call.keywords if k.arg == "typ"), None)
    assert isinstance(typ, ast.Constant) and typ.value in ("safe", "rt"), f"{where}: YAML() without typ='safe'/'rt'"


def test_the_scan_sees_unsafe_ruamel():
    for bad in ('YAML(typ="unsafe")', "YAML()", 'ruamel.yaml.YAML(typ="full")', "YAML(typ=kind)"):
        with pytest.raises(AssertionError):
            _assert_safe_ruamel("x", ast.parse(bad).body[0].value)
    _assert_safe_ruamel("x", ast.parse('YAML(typ="safe", pure=True)').body[0].value)


def test_the_basin_loader_is_a_safe_loader_that_refuses_aliases():
    from ruamel.yaml.constructor import Constructor, RoundTripConstructor, SafeConstructor

    y = yaml_io.reader()
    assert y.typ == ["safe"] and y.pure and not y.allow_duplicate_keys
    assert issubclass(y.Constructor, SafeConstructor)
    assert not issubclass(y.Constructor, (Constructor, RoundTripConstructor))  # the unsafe / round-trip ones
    assert y.load("c: yes\nd: 1e3\n") == {"c": "yes", "d": 1000.0}  # YAML 1.2: in YAML 1.1 True and "1e3"
    with pytest.raises(basins.BasinError, match="could not determine a constructor"):
        basins.loads("x: !!python/name:os.system\n")


# ---- nothing lost: interrupted writes --------------------------------------------------------------------------

def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _disk_full(*a, **k):
    raise OSError(28, "No space left on device")


@pytest.fixture(scope="module")
def solved_args(tmp_path_factory):
    path = tmp_path_factory.mktemp("basin") / "hostile.yaml"
    path.write_text(BASE, encoding="utf-8")
    return ["solve", str(path), "--months", "3"]


@pytest.mark.parametrize("interruption", [OSError, KeyboardInterrupt])
@pytest.mark.parametrize("existing", [True, False])
def test_cli_out_netcdf_is_atomic(tmp_path, capsys, monkeypatch, solved_args, interruption, existing):
    import xarray as xr

    out = tmp_path / "x.nc"
    if existing:
        assert main(solved_args + ["--out", str(out), "--json"]) == 0
    before = _snapshot(tmp_path)

    def midway(self, path, *a, **k):  # half a file written, then the disk fills up / the user presses Ctrl-C
        Path(path).write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 4096)
        if interruption is OSError:
            _disk_full()
        raise KeyboardInterrupt

    monkeypatch.setattr(xr.Dataset, "to_netcdf", midway)
    capsys.readouterr()
    if interruption is OSError:
        assert main(solved_args + ["--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert f"chutalas solve: cannot write {out} (No space left on device)" in err and "Traceback" not in err
    else:  # Ctrl-C: "interrupted", exit 130, no traceback (issue 16.4)
        assert main(solved_args + ["--out", str(out)]) == 130
        err = capsys.readouterr().err
        assert "interrupted" in err and "Traceback" not in err, err
    assert _snapshot(tmp_path) == before  # the old x.nc byte for byte (or none), and no temporary file
    if existing:
        monkeypatch.undo()
        import optimizer

        assert optimizer.Result.from_netcdf(out).manifest["status"] == "optimal"


@pytest.mark.parametrize("interruption", [OSError, KeyboardInterrupt])
def test_cli_ledger_csv_is_atomic(tmp_path, capsys, monkeypatch, solved_args, interruption):
    import pandas as pd

    led = tmp_path / "ledger.csv"
    assert main(solved_args + ["--ledger", str(led), "--json"]) == 0
    before = _snapshot(tmp_path)
    assert before["ledger.csv"].startswith(b"rule,kind,party,role,period")
    real = pd.DataFrame.to_csv

    def midway(self, path_or_buf=None, *a, **k):
        real(self.head(1), path_or_buf, *a, **k)  # a partial table reaches the file, then the write fails
        if interruption is OSError:
            _disk_full()
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_csv", midway)
    capsys.readouterr()
    if interruption is OSError:
        assert main(solved_args + ["--ledger", str(led)]) == 2
        assert f"cannot write {led} (No space left on device)" in capsys.readouterr().err
    else:  # Ctrl-C: "interrupted", exit 130, no traceback (issue 16.4)
        assert main(solved_args + ["--ledger", str(led)]) == 130
        err = capsys.readouterr().err
        assert "interrupted" in err and "Traceback" not in err, err
    assert _snapshot(tmp_path) == before


def test_cli_out_to_a_directory_or_an_unwritable_place_exits_2(tmp_path, capsys, solved_args):
    (tmp_path / "dir.nc").mkdir()
    for target in (tmp_path / "dir.nc", Path("/proc/no/such/place.nc")):
        capsys.readouterr()
        assert main(solved_args + ["--out", str(target)]) == 2
        err = capsys.readouterr().err
        assert f"cannot write {target}" in err and "Traceback" not in err, err
    assert _snapshot(tmp_path) == {}


@pytest.mark.parametrize("inline", [False, True])
@pytest.mark.parametrize("fail_at", [1, 2, 3, 4])
def test_basin_save_is_all_or_nothing(tmp_path, monkeypatch, inline, fail_at):
    """Basin.save writes the series CSVs and the YAML; an interruption while writing any of them leaves every
    file as it was (before: the CSVs already written were replaced, beside the old YAML) and no temporary file."""
    b = basins.loads(BASE)
    path = tmp_path / "basin.yaml"
    b.save(path, inline=inline)
    before = _snapshot(tmp_path)
    assert (len(before) == 1) if inline else (len(before) == 4)
    changed = b.copy()
    changed.inflow.values[:] = changed.inflow.values * 2
    real, opened = os.fdopen, []

    def fdopen(fd, *a, **k):
        opened.append(fd)
        fh = real(fd, *a, **k)
        if len(opened) == fail_at:
            fh.write("rule,half a row")  # something reaches the temporary file
            fh.close()
            _disk_full()
        return fh

    monkeypatch.setattr(loading.os, "fdopen", fdopen)
    if inline and fail_at > 1:
        changed.save(path, inline=inline)  # only one file to write: the later failure points do not occur
        monkeypatch.undo()
        assert basins.load(path) == changed
        return
    with pytest.raises(OSError, match="No space left"):
        changed.save(path, inline=inline)
    monkeypatch.undo()
    assert _snapshot(tmp_path) == before
    assert basins.load(path) == b
