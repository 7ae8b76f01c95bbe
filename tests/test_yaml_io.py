"""Basin YAML on ruamel.yaml (basins/yaml_io.py): YAML 1.2 reading, round-trip writing that keeps comments.

* ``Basin.save`` into a copy of basins/chu.yaml with one changed parameter: every comment is still there, in
  order; the value changed; no other line outside it changed; the saved file loads as the changed basin.
* The bundled files written back unchanged are the same bytes (the writer is stable).
* New keys go in the schema's order, new entries among one-line entries are one-line too.
* A file written for a YAML 1.1 reader (``yes``, ``1:30``, ``017``) cannot change meaning silently.
"""

from __future__ import annotations

import difflib
import re
import shutil
from pathlib import Path

import pytest

import basins
from basins import loading, yaml_io

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def chu_copy(tmp_path) -> Path:
    (tmp_path / "basins").mkdir()
    shutil.copy(ROOT / "basins" / "chu.yaml", tmp_path / "basins" / "chu.yaml")
    shutil.copytree(ROOT / "data" / "chu", tmp_path / "data" / "chu")
    return tmp_path / "basins" / "chu.yaml"


def _comments(text: str) -> list[str]:
    """Every comment of a YAML text: whole comment lines and the ``# ...`` tail of a line (quoted texts, which
    may hold a '#', are taken out first)."""
    out = []
    for line in text.splitlines():
        bare = re.sub(r'"[^"]*"|\'[^\']*\'', "''", line)
        m = re.search(r"(?:^|\s)(#.*)$", bare)
        if m:
            out.append(m.group(1))
    return out


def test_save_writes_a_changed_parameter_and_keeps_the_comments(chu_copy):
    before = chu_copy.read_text(encoding="utf-8")
    assert len(_comments(before)) > 10
    b = basins.load(chu_copy)
    link = next(lk for lk in b.spec.links if lk.id == "CH_L_TAS_SHU")
    assert link.loss_fraction == 0.15
    link.loss_fraction = 0.17
    b.save(chu_copy)
    after = chu_copy.read_text(encoding="utf-8")
    assert _comments(after) == _comments(before)  # every comment, in order
    again = basins.load(chu_copy)
    assert next(lk.loss_fraction for lk in again.spec.links if lk.id == "CH_L_TAS_SHU") == 0.17
    assert again == b  # everything else as it was (declarations and every series value)
    changed = [ln for ln in difflib.ndiff(before.splitlines(), after.splitlines()) if ln[:2] in ("- ", "+ ")]
    assert len(changed) == 2, changed  # the one line, nothing else
    assert changed[0].startswith("- ") and "loss_fraction: 0.15," in changed[0]
    assert changed[1] == changed[0].replace("- ", "+ ", 1).replace("loss_fraction: 0.15,", "loss_fraction: 0.17,")


@pytest.mark.parametrize("bid", ["chu", "talas"])
def test_bundled_files_written_back_unchanged_are_the_same_bytes(bid):
    b = basins.load(bid)
    text = b.path.read_text(encoding="utf-8")
    assert loading.update_text(text, b, str(b.path)) == text


def test_new_keys_in_schema_order_and_new_entries_on_one_line(chu_copy):
    b = basins.load(chu_copy)
    node = next(n for n in b.spec.nodes if n.id == "CH_IN_VAL_KZ")  # has no channel_fraction yet
    assert "channel_fraction" not in node.model_fields_set
    node.channel_fraction = 0.9
    cal = b.spec.calibration
    cal.parameters = [p for p in cal.parameters if p.id != "mid_channel"]  # an entry removed
    b.save(chu_copy)
    text = chu_copy.read_text(encoding="utf-8")
    line = next(ln for ln in text.splitlines() if ln.startswith("  - {id: CH_IN_VAL_KZ,"))
    # after lon (written as it was, 74.10), before source: the schema's order
    assert "lon: 74.10, channel_fraction: 0.9, source:" in line, line
    assert "- id: mid_channel" not in text and "- id: valley_channel" in text and "- id: kg_return" in text
    assert basins.load(chu_copy) == b
    # a new link among the one-line links is one line too, after the last one
    b = basins.load(chu_copy)
    b.spec.links = [*b.spec.links, type(b.spec.links[0])(id="CH_L_NEW", source="CH_J_LOWER", target="CH_SINK")]
    b.save(chu_copy)
    lines = chu_copy.read_text(encoding="utf-8").splitlines()
    i = next(i for i, ln in enumerate(lines) if "CH_L_NEW" in ln)
    assert lines[i] == "  - {id: CH_L_NEW, source: CH_J_LOWER, target: CH_SINK}", lines[i]
    assert lines[i - 1].startswith("  - {id: CH_L_LOWER,")
    assert basins.load(chu_copy) == b


def test_a_new_file_is_block_yaml_with_literal_series(tmp_path):
    b = basins.load("talas")
    text = basins.dumps(b, inline=True)
    assert text.startswith("# Basin file for ")
    assert "inflow: |\n    year_type,month,node,inflow,unit\n" in text
    assert basins.loads(text) == b
    out = tmp_path / "new.yaml"
    b.path = None  # no file to keep comments from: a new file
    b.save(out, inline=True)
    assert out.read_text(encoding="utf-8") == text


@pytest.mark.parametrize("text, value", [("yes", "yes"), ("'1:30'", "1:30"), ("'017'", "017"), ("1e3", 1000.0),
                                         ("0o17", 15), ("17", 17)])
def test_yaml_1_2_reading(text, value):
    assert yaml_io.parse(f"x: {text}\n") == {"x": value}


@pytest.mark.parametrize("text, key", [("1:30", "yaml.base60"), ("017", "yaml.octal"), ("-1:30:00", "yaml.base60")])
def test_yaml_1_1_numbers_are_refused(text, key):
    with pytest.raises(yaml_io.Refused) as exc:
        yaml_io.parse(f"x: {text}\n")
    assert exc.value.key == key and exc.value.entry == "line 1"


def test_texts_another_reader_would_misread_are_written_quoted():
    data = {"a": "yes", "b": "1:30", "c": "017", "d": "plain", "e": "two\nlines\n"}
    text = yaml_io.dump(data)
    assert "a: 'yes'" in text and "b: '1:30'" in text and "c: '017'" in text and "d: plain" in text
    assert yaml_io.parse(text) == data


def test_duplicate_key_names_the_line_the_key_and_the_first():
    with pytest.raises(basins.BasinError) as exc:
        basins.loads("id: a\nname: x\nid: b\n", file="dup.yaml")
    (p,) = exc.value.problems
    assert (p.file, p.entry, p.field) == ("dup.yaml", "line 3 ('a')", "id")
    assert p.message.startswith("duplicate key 'id' (first on line 1)") and "delete one of them" in p.message


def test_yaml_1_1_directive_is_refused():
    with pytest.raises(basins.BasinError, match=r"line 1: '%YAML 1.1': basin files are YAML 1.2"):
        basins.loads("%YAML 1.1\n---\nid: a\n", file="old.yaml")


def test_duplicate_key_in_russian_at_the_same_place():
    with pytest.raises(basins.BasinError) as exc:
        basins.loads("id: a\nname: x\nid: b\n", file="dup.yaml")
    assert exc.value.text("ru").splitlines() == [
        "Ошибок во входных данных бассейна: 1",
        "  - dup.yaml: строка 3 ('a'), поле 'id': ключ 'id' повторяется (впервые в строке 1); каждый ключ может "
        "встречаться в словаре только один раз, удалите один из них"]
    assert str(exc.value).startswith("1 problem in the basin input:\n  - dup.yaml: line 3 ('a'), field 'id': ")


def test_a_problem_message_follows_the_language_the_interfaces_set():
    from optimizer.interfaces import ui_text

    with pytest.raises(basins.BasinError) as exc:
        basins.loads("id: a\nname: x\nid: b\n", file="dup.yaml")
    (p,) = exc.value.problems
    assert p.message.startswith("duplicate key 'id'") and p.english == p.message
    with ui_text.language("ru"):  # the app's session language: the same problem, in Russian
        assert p.message.startswith("ключ 'id' повторяется") and str(p).startswith("dup.yaml: строка 3 ('a'), поле")
    assert p.message.startswith("duplicate key 'id'")
