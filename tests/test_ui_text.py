"""Russian and English labels (optimizer/interfaces/ui_text.py): the tables agree, the current language works per
thread, and no user-facing string of the app, its figures or the CLI summaries bypasses ``t(...)`` (an ``ast``
scan of app.py, optimizer/interfaces/streamlit_app.py, every module of optimizer/interfaces/app/, the summary
printing of ``chutalas check/solve`` and every printed line of the CLI modules in :data:`CLI_MODULES`)."""

from __future__ import annotations

import ast
import json
import math
import re
import string
import threading
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import basins
from optimizer.interfaces import cli, ui_text
from optimizer.interfaces.ui_text import EN, RU, t

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
SUPPORT = ROOT / "optimizer" / "interfaces" / "app_support.py"
APP_SCRIPT = ROOT / "optimizer" / "interfaces" / "streamlit_app.py"
#: the app's modules: plain-data support (edits, figures, tables) and the page sections that draw the tabs
APP_MODULES = sorted((ROOT / "optimizer" / "interfaces" / "app").glob("*.py"))
#: the modules of the summaries of ``chutalas basins / check`` and ``solve`` (cli.py re-exports them)
CLI_SUMMARY_MODULES = [ROOT / "optimizer" / "interfaces" / f"{m}.py" for m in ("cli_basins", "cli_solve")]
LETTER = re.compile(r"[^\W\d_]")  # any letter, Latin, Cyrillic or Greek

#: Keys whose Russian value may equal the English one: proper nouns (the language names, the program's name
#: before a message that is itself translated) and ids.
SAME_IN_RU = {"lang_en", "lang_ru", "cli_id", "cli_command_error"}


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _non_linguistic(text: str) -> bool:
    """True if ``text`` holds no words: only placeholders, Plotly %{…} tokens, HTML tags, printf/strftime
    specs, digits, punctuation and symbols."""
    s = re.sub(r"%\{[^}]*\}", "", text)
    s = re.sub(r"\{[^}]*\}", "", s)
    s = re.sub(r"<[^>]*>", "", s)
    s = re.sub(r"%[-+ 0#,]*\d*(?:\.\d+)?[a-zA-Z%]", "", s)
    s = s.replace("Δ", "")  # the difference sign
    # a Python format spec standing alone (ui_text.number(x, ",.1f")): ",g", ".3g", ",.0f"
    s = re.sub(r"^[-+ 0#,]*\d*(?:\.\d+)?[bcdeEfFgGnosxX%]$", "", s)
    return not LETTER.search(s)


# ---- the tables --------------------------------------------------------------------------------------
def test_ru_has_exactly_the_keys_of_en():
    assert set(RU) == set(EN), {"missing in RU": sorted(set(EN) - set(RU)), "extra in RU": sorted(set(RU) - set(EN))}


def test_topic_modules_pair_up_and_do_not_overlap():
    """Each ui_text_<topic>.py holds the same keys in English and Russian; no key is in two topics (a later topic
    would silently win in the merged table); EN and RU are exactly the union of the topics."""
    import importlib

    seen: dict[str, str] = {}
    for path in sorted((ROOT / "optimizer" / "interfaces").glob("ui_text_*.py")):
        if path.stem == "ui_text_ru":
            continue
        mod = importlib.import_module(f"optimizer.interfaces.{path.stem}")
        (en,), (ru,) = ([v for k, v in vars(mod).items() if k.startswith(lang) and isinstance(v, dict)]
                        for lang in ("EN_", "RU_"))
        assert set(en) == set(ru), (path.name, sorted(set(en) ^ set(ru)))
        both = {k: seen[k] for k in en if k in seen}
        assert not both, (path.name, both)
        seen.update(dict.fromkeys(en, path.name))
    assert set(seen) == set(EN) == set(RU)


def test_every_placeholder_matches():
    bad = {k: (sorted(_placeholders(EN[k])), sorted(_placeholders(RU[k]))) for k in EN
           if _placeholders(EN[k]) != _placeholders(RU[k])}
    assert not bad, bad


def test_no_ru_value_is_left_in_english():
    same = sorted(k for k in EN if RU[k] == EN[k] and k not in SAME_IN_RU and not _non_linguistic(EN[k]))
    assert not same, same


def test_commission_terms():
    ru = "\n".join(RU.values())
    for term in ("млн м³", "м³/с", "вегетационный период", "межвегетационный период", "Кыргызстан", "Казахстан"):
        assert term in ru, term
    assert "hm³" not in ru and "m³/s" not in ru.replace("м³/с", "")  # no English unit left in Russian
    assert [ui_text.month_abbr(m, lang="ru") for m in (1, 2, 12)] == ["янв", "фев", "дек"]
    assert ui_text.period_label("2025 Apr-Sep", lang="ru") == "2025 апр–сен"
    assert ui_text.period_label("2025 Apr-Sep", lang="en") == "2025 Apr-Sep"


# ---- t(): current language, missing keys ---------------------------------------------------------------
def test_t_in_both_languages_and_loud_failures(monkeypatch):
    assert t("solved_in", seconds=0.5, lang="en") == "solved in 0.50 s"
    assert t("solved_in", seconds=0.5, lang="ru") == "решено за 0,50 с"  # a Russian decimal comma
    # Russian numbers: thousands by a no-break space, decimals by a comma; text, ids and dates untouched
    assert t("hm3_value", value=2307.4, lang="en") == "2,307 hm³"
    assert t("share_other", party="KG", share=0.58, role="x", lang="ru") == "КР: остальное, 0,58 — x"
    assert ui_text.ledger_test("ceiling", "within", 3211.7, 2226.2, 0.0, lang="ru").startswith(
        "допустимо 3\u00a0212, использовано 2\u00a0226 млн м³")
    assert ui_text.number(12345.678, ",.1f", "ru") == "12\u00a0345,7" and ui_text.number(12345.678, ",.1f", "en") == "12,345.7"
    with ui_text.language("ru"):
        assert t("solve") == "Рассчитать" and ui_text.month_abbr(5) == "май"
    assert t("solve") == "Solve"  # the context restored English
    with pytest.raises(KeyError, match="no label 'no_such_key'"):
        t("no_such_key")
    monkeypatch.delitem(RU, "solve")
    with pytest.raises(KeyError, match="no ru translation"):
        t("solve", lang="ru")
    with pytest.raises(ValueError, match="unknown language 'de'"):
        t("solve", lang="de")
    with pytest.raises(KeyError):  # a placeholder misspelt
        t("solved_in", lang="ru", second=1)


def test_language_is_per_thread_and_env_is_the_default(monkeypatch):
    monkeypatch.setenv("CHUTALAS_LANG", "ru")
    assert t("solve") == "Рассчитать"  # no language set: the environment's
    seen = {}

    def other():
        ui_text.set_language("en")
        seen["other"] = t("solve")

    ui_text.set_language("ru")
    try:
        th = threading.Thread(target=other)
        th.start()
        th.join()
        assert seen["other"] == "Solve" and t("solve") == "Рассчитать"  # neither thread saw the other's choice
    finally:
        ui_text.set_language(None)
    monkeypatch.delenv("CHUTALAS_LANG")
    assert t("solve") == "Solve"


# ---- the scan: no user-facing literal outside t() -----------------------------------------------------------
#: Display calls (by the called attribute's name) -> positions of their user-facing arguments (None: all).
DISPLAY_ARGS = {
    "title": (0,), "header": (0,), "subheader": (0,), "markdown": (0,), "write": None, "caption": (0,),
    "button": (0,), "download_button": (0,), "toggle": (0,), "checkbox": (0,), "number_input": (0,),
    "text_input": (0,), "file_uploader": (0,), "error": (0,), "warning": (0,), "info": (0,), "success": (0,),
    "spinner": (0,), "expander": (0,), "tabs": (0,), "metric": (0, 1, 2), "TextColumn": (0,),
    "NumberColumn": (0,), "selectbox": (0,), "radio": (0,), "multiselect": (0,), "slider": (0,),
    "_layout": (1, 2, 3), "heading": (0,), "set_page_config": (),
}
#: Keywords that are user-facing in any call (Streamlit help texts, Plotly titles, trace names, hover texts).
DISPLAY_KEYWORDS = {"label", "help", "delta", "body", "format_func", "page_title", "title", "title_text", "name",
                    "subplot_titles", "hovertemplate", "hovertext", "ticktext", "text", "show_spinner"}
#: Calls whose arguments are labels already (their first argument is a key or a default value).
TRANSLATORS = {"t", "month_abbr", "period_label", "label_or", "column_labels", "relabel", "_word", "_unit"}


def _name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


#: Calls whose string arguments are ids or keys, not text (``d.get("label")``, ``s.split(" (")``).
KEY_CALLS = {"get", "pop", "split", "startswith", "endswith", "strip", "sel", "isel", "sum", "index"}


def _literals(node: ast.AST):
    """String constants in ``node`` that reach the reader: not produced by a translator, not a format spec of
    an f-string, not a subscript key, a comparison or an argument of a key lookup."""
    if isinstance(node, ast.Call) and _name(node.func) in TRANSLATORS | KEY_CALLS:
        if _name(node.func) in KEY_CALLS and isinstance(node.func, ast.Attribute):
            yield from _literals(node.func.value)
        return
    if isinstance(node, ast.Compare):
        return
    if isinstance(node, ast.Subscript):
        yield from _literals(node.value)
        return
    if isinstance(node, ast.Call) and _name(node.func) == "dict":  # dict(text=..., side="right"): the text
        for k in node.keywords:
            if k.arg in DISPLAY_KEYWORDS:
                yield from _literals(k.value)
        return
    if isinstance(node, ast.FormattedValue):
        yield from _literals(node.value)  # the format spec (",.0f") is not text
        return
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node
        return
    for child in ast.iter_child_nodes(node):
        yield from _literals(child)


def _radio_options(call: ast.Call) -> list[ast.expr]:
    """A selectbox's/radio's options are shown as they are unless a format_func translates them."""
    if _name(call.func) in ("selectbox", "radio", "multiselect") and len(call.args) > 1 and \
            not any(k.arg == "format_func" for k in call.keywords):
        return [call.args[1]]
    return []


def scan(tree: ast.AST, where: str) -> list[str]:
    """Every linguistic string literal passed to a display call in ``tree``, as ``where:line: 'text'``."""
    found = []
    for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
        name = _name(call.func)
        if name in TRANSLATORS or (isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name)
                                   and call.func.value.id in ("log", "logging", "logger")):
            continue  # log lines are for the operator, in English
        args: list[ast.AST] = []
        if name in DISPLAY_ARGS:
            pos = DISPLAY_ARGS[name]
            args += [a for i, a in enumerate(call.args) if pos is None or i in pos]
            args += _radio_options(call)
        args += [k.value for k in call.keywords if k.arg in DISPLAY_KEYWORDS]
        for arg in args:
            for lit in _literals(arg):
                if not _non_linguistic(lit.value):
                    found.append(f"{where}:{lit.lineno}: {lit.value!r}")
    return found


#: Calls of the CLI modules whose arguments reach the reader (stdout, stderr, an error message, a printed line).
CLI_OUTPUT_CALLS = {"print", "_table", "append", "extend", "CliError", "write", "SystemExit"}
#: Calls whose arguments are data, not text (JSON documents keep their English keys and ids).
CLI_DATA_CALLS = {"dumps", "to_dict", "replace"}


def _cli_literals(node: ast.AST):
    """The user-facing literals of ``node`` as :func:`_literals` finds them, leaving out JSON data (the keys of
    dicts and the arguments of ``json.dumps`` / ``to_dict``)."""
    if isinstance(node, ast.Call) and _name(node.func) in CLI_DATA_CALLS:
        return
    if isinstance(node, ast.Dict):
        for v in node.values:
            yield from _cli_literals(v)
        return
    if isinstance(node, (ast.Call, ast.JoinedStr, ast.BinOp, ast.IfExp, ast.BoolOp, ast.List, ast.Tuple,
                         ast.ListComp, ast.GeneratorExp)):
        for child in ast.iter_child_nodes(node):
            if isinstance(node, ast.Call) and child is node.func:
                if _name(node.func) in TRANSLATORS | KEY_CALLS:
                    yield from _literals(node)  # a translator: nothing; a key call: its object
                    return
                continue
            yield from _cli_literals(child)
        return
    yield from _literals(node)


def scan_cli(tree: ast.AST, where: str, funcs: set[str] | None = None) -> list[str]:
    """Every linguistic string literal that a CLI module prints, writes, appends to a printed list or raises as
    a :class:`CliError` outside ``t(...)``, in every function but the argument definitions (``add_arguments``,
    ``_args_*``: argparse's help stays English) or in ``funcs`` only."""
    found = []
    for f in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
        if f.name == "add_arguments" or f.name.startswith("_args_") or (funcs is not None and f.name not in funcs):
            continue
        for call in (n for n in ast.walk(f) if isinstance(n, ast.Call) and _name(n.func) in CLI_OUTPUT_CALLS):
            for arg in [*call.args, *(k.value for k in call.keywords if k.arg not in ("file", "sep", "end"))]:
                found += [f"{where}:{lit.lineno} ({f.name}): {lit.value!r}" for lit in _cli_literals(arg)
                          if not _non_linguistic(lit.value)]
    return sorted(set(found))


def scan_cli_summaries() -> list[str]:
    """print() and _table() calls of the CLI's summary functions (basins, check, solve)."""
    names = {"_run_basins", "summary", "print_result", "_receipt_str", "print_ledger", "print_water_balance",
             "print_costs"}
    trees = {p.name: ast.parse(p.read_text(encoding="utf-8")) for p in CLI_SUMMARY_MODULES}
    assert names <= {f.name for tree in trees.values() for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)}
    return [x for name, tree in trees.items() for x in scan_cli(tree, name, names)]


def test_scan_finds_literals_it_must_find():
    """The scanner is not blind: English passed to display calls and Plotly titles is reported."""
    bad = ast.parse('st.button("Solve")\nfig.update_layout(title="Storage (hm³)")\nst.metric(t("x"), "12 hm³")\n'
                    'st.radio(t("a"), ["wet", "dry"])\nst.markdown(f"**{x}** solved")\n'
                    'go.Scatter(name="border flow")\n_layout(fig, t("c"), "hm³/month")')
    assert len(scan(bad, "x")) == 8, scan(bad, "x")  # the radio's two options count once each
    ok = ast.parse('st.button(t("solve"), key="solve", type="primary")\nst.markdown(f"##### {text}")\n'
                   'st.radio(t("a"), ["wet", "dry"], format_func=lambda v: t(f"year_type_{v}"))\n'
                   'fig.add_scatter(hovertemplate="%{y}, %{x}: %{z:,.2f}<extra></extra>")\n'
                   'st.caption(f"{v:,.1f} · {t(\'solved_in\', seconds=1)}")')
    assert scan(ok, "x") == []
    cli_bad = ast.parse('def summary(b, out):\n    print("Nodes:", file=out)\n'
                        'def run(a):\n    raise CliError(f"cannot write {a.out}")\n'
                        'def g(x, lines):\n    lines.append(f"{x} hm3 " + t("k"))\n    print(json.dumps({"basin": x}))\n'
                        'def add_arguments(p):\n    p.add_argument("--x", help="some help")\n')
    assert scan_cli(cli_bad, "x") == ["x:2 (summary): 'Nodes:'", "x:4 (run): 'cannot write '",
                                      "x:6 (g): ' hm3 '"], scan_cli(cli_bad, "x")


@pytest.mark.parametrize("path", [APP, SUPPORT, APP_SCRIPT, *APP_MODULES],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_no_user_facing_literal_outside_t(path):
    found = scan(ast.parse(path.read_text(encoding="utf-8")), path.name)
    assert not found, "\n".join(found)


def test_no_cli_summary_literal_outside_t():
    found = scan_cli_summaries()
    assert not found, "\n".join(found)


#: Every CLI module: each printed line and message goes through t() (all of their functions are scanned).
CLI_MODULES = sorted((ROOT / "optimizer" / "interfaces").glob("cli*.py"))
assert len(CLI_MODULES) >= 8, CLI_MODULES  # cli, cli_common, cli_basins, cli_solve, cli_calibrate, ... (every one)


@pytest.mark.parametrize("path", CLI_MODULES, ids=lambda p: p.name)
def test_no_cli_literal_outside_t(path):
    found = scan_cli(ast.parse(path.read_text(encoding="utf-8")), path.name)
    assert not found, "\n".join(found)


# ---- the CLI and the app in Russian ------------------------------------------------------------------------
def test_cli_ensemble_in_russian(capsys):
    """``chutalas --lang ru ensemble``: the statistics, the run and its messages in Russian; English by default."""
    argv = ["ensemble", "talas", "--members", "3", "--seed", "2", "--no-progress", "--scheduler", "synchronous"]
    try:
        assert cli.main(["--lang", "ru", *argv]) == 0
        ru = capsys.readouterr().out
        assert cli.main(["--lang", "ru", "ensemble", "talas", "--members", "0"]) == 2
        err = capsys.readouterr().err
    finally:
        ui_text.set_language(None)
    assert ru.startswith("talas: 3 членов ансамбля x 12 мес., рассчитано 3"), ru[:200]
    for words in ("дефицит за горизонт [млн м³]: среднее", "рассчитано в этом процессе, как задано",
                  "членов ансамбля", "запуск"):
        assert words in ru, words
    for english in ("members x", "shortage", "solved on", "hm3", "start-up"):
        assert english not in ru, english
    assert "--members и --years должны быть >= 1" in err
    assert cli.main(argv) == 0
    en = capsys.readouterr().out
    assert en.startswith("talas: 3 members x 12 months, 3 solved") and "shortage over the horizon [hm3]" in en
    # the same numbers in both languages: the mean shortage per party
    num = re.compile(r"\[(?:hm3|млн м³)\]: (?:mean|среднее) ([-\d.,e+]+)")
    assert num.findall(ru) == num.findall(en) and len(num.findall(en)) >= 2, (num.findall(ru), num.findall(en))


def test_cli_solve_and_check_in_russian(capsys, monkeypatch):
    assert cli.main(["--lang", "ru", "solve", "chu"]) == 0
    out = capsys.readouterr().out
    for words in ("Журнал соблюдения соглашения", "выполнено", "получено", "дефицит", "средний",
                  "2025 апр–сен"):
        assert words in out, words
    for english in ("Compliance ledger", "received", "shortage", "months from", "Apr-Sep"):
        assert english not in out, english
    monkeypatch.setenv("CHUTALAS_LANG", "ru")
    assert cli.main(["check", "talas"]) == 0
    out = capsys.readouterr().out
    assert "Водохранилища: 1" in out and "Естественный приток [млн м³/год]" in out and "маловодный" in out
    assert cli.main(["basins", "--lang", "en"]) == 0  # the option wins over the environment
    assert "normal inflow [hm3/yr]" in capsys.readouterr().out
    ui_text.set_language(None)
    monkeypatch.setenv("CHUTALAS_LANG", "fr")
    assert cli.main(["basins"]) == 2
    assert "unknown language 'fr'" in capsys.readouterr().err
    assert cli.main(["--lang", "xx", "basins"]) == 2
    ui_text.set_language(None)


def test_app_in_russian_from_the_query_and_remembered():
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["lang"] = "ru"
    at.run()
    assert not at.exception, at.exception
    assert at.session_state["lang"] == "ru" and at.radio(key="lang").value == "ru"
    md = "\n".join(m.value for m in at.markdown)
    assert "Чу (Шу) · средний год · 12 мес. с янв 2025 · прогноз полный" in md and "решено за" in md
    labels = [m.label for m in at.metric]
    assert "РК получено, млн м³" in labels and "Приток, млн м³" in labels
    assert at.button(key="solve").label == "Рассчитать"
    import json
    alloc = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert alloc["layout"]["yaxis"]["title"]["text"] == "млн м³/мес"
    assert alloc["layout"]["xaxis"]["ticktext"][:2] == ["янв 2025", "фев 2025"]
    # every chart's numbers the Russian way ("2 326,5"), the cached ones and those drawn anew (the border chart)
    assert all(json.loads(c.proto.spec)["layout"]["separators"] == ", " for c in at.get("plotly_chart"))
    assert all(json.loads(c.proto.spec)["layout"]["yaxis"]["hoverformat"] == ",.1f" for c in at.get("plotly_chart"))
    at.session_state["tab"] = t("tab_compliance", lang="ru")
    with ui_text.language("ru"):  # AppTest calls the app's format functions in this thread, to find the value
        at.run()
    led = at.table[0].value
    assert {"Правило", "Сторона", "Положено, разрешено или квота (млн м³)", "Выполнено"} <= set(led.columns)
    assert set(led["Выполнено"]) <= {"да", "нет"}
    at.radio(key="lang").set_value("en")  # switching back: English on the next run, kept in the session
    with ui_text.language("ru"):
        at.run()
    assert at.session_state["lang"] == "en" and at.button(key="solve").label == "Solve"
    at.run()
    assert at.button(key="solve").label == "Solve"
    # the result kept from the Russian runs reads in English now: its headline and figures are not the cached
    # Russian ones (they are built per language)
    md = "\n".join(m.value for m in at.markdown)
    assert "Chu (Shu) · normal year · 12 months from Jan 2025" in md, md[:300]
    alloc = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert alloc["layout"]["yaxis"]["title"]["text"] == "hm³/month"



def test_a_language_switch_keeps_every_choice_and_relabels_it():
    # Streamlit's front end keeps a choice by its label (streamlit/streamlit#13611): the app re-sends each
    # labelled widget's choice on a switch (on_language), so nothing is lost or shown unselected
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    yt = next(s for s in at.selectbox if str(s.key).startswith("year_type_"))
    yt.set_value("dry")
    at.selectbox(key="start_month").set_value(4)
    at.radio(key="foresight").set_value("myopic")
    at.run()
    # month by month there is no end storage to plan: shown fixed at free, and the run solves (no error)
    assert not at.error and not at.exception, [e.value for e in at.error]
    assert at.radio(key="end_storage_myopic").value == "free" and at.radio(key="end_storage_myopic").disabled
    at.radio(key="lang").set_value("ru")
    at.run()  # (AppTest reads the widgets' choices back through their labels of the previous run: English)
    assert not at.exception and not at.warning, [w.value for w in at.warning]
    assert at.radio(key="foresight").value == "myopic" and at.selectbox(key="start_month").value == 4
    assert next(s for s in at.selectbox if str(s.key).startswith("year_type_")).value == "dry"
    assert "помесячный (месяц за месяцем)" in at.radio(key="foresight").options
    assert at.session_state["foresight"] == "myopic"
    md = "\n".join(m.value for m in at.markdown)
    assert "маловодный" in md and "с апр 2025" in md and "Доли 1983 г. по Чу" in md, md[:400]
    # the basin and its nodes by their Russian names (the reservoirs' tab and the water-value axis)
    assert md.startswith("**Чу (Шу) ·") and at.radio(key="basin").options[0] == "Чу (Шу)"
    import json
    at.session_state["tab"] = t("tab_reservoirs", lang="ru")
    with ui_text.language("ru"):
        at.run()
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    titles = [a["text"] for s in specs for a in s["layout"].get("annotations", [])]
    assert "Орто-Токойское водохранилище" in titles, titles
    axes = [y for s in specs for d in s["data"] if d.get("type") == "heatmap" for y in d["y"]]
    assert not axes or "Пограничный пост Кайнар" in axes


# ---- the basin validation messages (basins/messages_text.py) -------------------------------------------------
from basins import messages as basin_messages  # noqa: E402
from basins.messages_text import MESSAGES as BASIN_MESSAGES  # noqa: E402

BASIN_MODULES = [ROOT / "basins" / f"{m}.py" for m in ("schema", "network", "semantics", "series", "loading", "yaml_io")]
#: calls that make a located problem, a schema check's error or a nested message -> position of the message key
PROBLEM_CALLS = {"of": 3, "add": 2, "Invalid": 0, "Refused": 2, "Msg": 0}


def _key_constants(node: ast.expr) -> list[ast.Constant] | None:
    """The literal keys an argument can be (a constant, or either branch of ``a if c else b``); None if computed."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node]
    if isinstance(node, ast.IfExp):
        a, b = _key_constants(node.body), _key_constants(node.orelse)
        return None if a is None or b is None else a + b
    return None


def scan_basins(tree: ast.AST, where: str) -> list[str]:
    """Messages of located problems not taken from the catalogue: a ``Problem(...)`` made from a text, a key
    that is not in basins/messages_text.py, a text among a problem's parameters, or (in the schema's
    validators) a ``ValueError`` with a text."""
    found = []
    for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
        name = _name(call.func)
        if name == "Problem":
            found.append(f"{where}:{call.lineno}: Problem(...) with a text; use Problem.of(..., key, **params)")
        elif name == "ValueError" and where.endswith("schema.py"):
            found += [f"{where}:{lit.lineno}: {lit.value!r}" for a in call.args for lit in _literals(a)
                      if not _non_linguistic(lit.value)]
        elif name in PROBLEM_CALLS and len(call.args) > PROBLEM_CALLS[name]:
            key = call.args[PROBLEM_CALLS[name]]
            keys = _key_constants(key)
            if keys is not None:
                found += [f"{where}:{k.lineno}: no message {k.value!r} in basins/messages_text.py" for k in keys
                          if k.value not in BASIN_MESSAGES]
            elif isinstance(key, ast.JoinedStr) and not key.values[0:1] == [] and \
                    isinstance(key.values[0], ast.Constant) and key.values[0].value == "pydantic.":
                pass  # pydantic's error type, looked up in the catalogue (else "pydantic.other")
            else:
                found += [f"{where}:{lit.lineno}: {lit.value!r}" for lit in _literals(key)
                          if not _non_linguistic(lit.value)]
            params = [k.value for k in call.keywords] + list(call.args[PROBLEM_CALLS[name] + 1:])
            found += [f"{where}:{lit.lineno}: text parameter {lit.value!r}" for p in params for lit in _literals(p)
                      if not _non_linguistic(lit.value) and " " in lit.value.strip()]
    return found


def test_basin_scan_finds_what_it_must_find():
    bad = ast.parse('Problem(f, "file", "", "is not found")\nadd(e, "x", "net.no_such_key")\n'
                    'add(e, "x", "no key, a sentence")\nProblem.of(f, e, "", "load.not_found", hint="try again later")\n'
                    'raise ValueError("a sentence for the user")')
    assert len(scan_basins(bad, "schema.py")) == 5, scan_basins(bad, "schema.py")
    ok = ast.parse('add(e, "x", "net.unknown_link", lid=lid)\nProblem.of(f, e, "", key, **params)\n'
                   'add(e, "x", "net.min_flow_over_capacity_in_months" if many else "net.min_flow_over_capacity_in_month")')
    assert scan_basins(ok, "network.py") == []


@pytest.mark.parametrize("path", BASIN_MODULES, ids=lambda p: p.name)
def test_no_basin_message_outside_the_catalogue(path):
    found = scan_basins(ast.parse(path.read_text(encoding="utf-8")), f"basins/{path.name}")
    assert not found, "\n".join(found)


def test_basin_catalogue_has_russian_for_every_message():
    for key, (en, ru) in BASIN_MESSAGES.items():
        assert ru and ru != en and re.search("[а-яё]", ru), key
        if not key.startswith("pydantic."):  # pydantic's English is its own text; the Russian uses the error's context
            assert _placeholders(en) == _placeholders(ru), key
    ru = "\n".join(r for _, r in BASIN_MESSAGES.values())
    assert not re.search(r"\bhm3\b|\bm3/s\b", ru)  # units as the Commission writes them
    assert "млн м³" in ru
    assert basin_messages.render("net.min_flow_over_capacity_in_months", {
        "min_flow": 105.0, "min_flow_unit": "hm3/month", "capacity": 40.0, "capacity_unit": "m3/s",
        "months": "2, 4"}, lang="ru") == "105 млн м³/мес больше пропускной способности 40 м³/с в месяцах 2, 4"


def _bad_basin(tmp_path: Path) -> Path:
    """The bundled Talas with a schema error, a network error and a series error in one file."""
    import shutil

    (tmp_path / "basins").mkdir()
    shutil.copytree(ROOT / "data" / "talas", tmp_path / "data" / "talas")
    text = (ROOT / "basins" / "talas.yaml").read_text(encoding="utf-8")
    text = text.replace("year_types:", "year_typos: [x]\nyear_types:", 1)  # unknown key
    path = tmp_path / "basins" / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    (tmp_path / "data" / "talas" / "demand.csv").write_text(
        (ROOT / "data" / "talas" / "demand.csv").read_text().replace(",hm3", ",km3", 1))
    return path


_LINE = re.compile(r"^  - (?P<file>[^:]+): (?P<entry>.*?)(?:, (?:field|поле) '(?P<field>[^']*)')?: (?P<msg>.*)$")


def test_cli_validate_and_check_in_russian_name_the_same_locations(tmp_path, capsys):
    path = _bad_basin(tmp_path)
    outs = {}
    for lang in ("en", "ru"):
        for command in ("check", "validate"):
            assert cli.main(["--lang", lang, command, str(path)]) == 2
            outs[lang, command] = capsys.readouterr().err.splitlines()
    ui_text.set_language(None)
    assert outs["en", "check"] == outs["en", "validate"] and outs["ru", "check"] == outs["ru", "validate"]
    en, ru = outs["en", "check"], outs["ru", "check"]
    assert en[0].endswith("in the basin input:") and ru[0] == f"Ошибок во входных данных бассейна: {len(en) - 1}"
    assert len(en) == len(ru) >= 3
    for e, r in zip(en[1:], ru[1:]):
        me, mr = _LINE.match(e), _LINE.match(r)
        assert me and mr, (e, r)
        assert me["file"] == mr["file"] and me["field"] == mr["field"], (e, r)
        assert re.findall(r"'[^']*'", me["entry"]) == re.findall(r"'[^']*'", mr["entry"])  # the same ids
        assert re.search("[а-яё]", mr["msg"]) and mr["msg"] != me["msg"], r
    joined = "\n".join(ru)
    assert "неизвестный ключ 'year_typos'" in joined and "неизвестная единица 'km3'" in joined
    assert "field '" not in joined and "unknown key" not in joined


def test_an_infeasible_agreement_reads_in_russian_with_names():
    # the diagnosis rows as optimizer.core words them (a basin rule, an end storage, a storage account)
    import pandas as pd

    import basins
    from optimizer.core.agreement import rule_names
    from optimizer.interfaces.app.results import conflicts_in_words

    b = basins.load("talas")
    from optimizer.core.errors import CONFLICT_COLUMNS

    rows = pd.DataFrame([
        ["talas_vegetation_kz", "quota", "KZ", "", "2025 Apr-Sep", 900.0, 120.5],
        ["end storage TA_R_KIR", "end_storage", "-", "TA_R_KIR", "end", 250.0, 30.0],
        ["storage account of KG in TA_R_KIR not overdrawn (the water released and evaporated for KG at most what "
         "it owns)", "account", "KG", "TA_R_KIR", "2025-07 to 2025-08", 40.0, 12.25]], columns=CONFLICT_COLUMNS)
    nodes = {n.id: n.name for n in b.spec.nodes}
    with ui_text.language("ru"):
        text, table = conflicts_in_words(rows, rule_names(b), nodes)
    lines = text.splitlines()
    assert lines[1] == "- Объём РК на вегетацию (апр.–сент.) (квота, РК, 2025 апр–сен): недостаёт 120,5 из 900,0 млн м³"
    assert lines[2].startswith(f"- объём на конец периода, {nodes['TA_R_KIR']} (объём на конец")
    assert f"счёт КР в {nodes['TA_R_KIR']} без перерасхода" in lines[3] and "12,2" in lines[3]
    assert "talas_vegetation_kz" not in text and "TA_R_KIR" not in text
    assert list(table.columns)[0] == "Правило" and "Недостаёт (млн м³)" in table.columns


def test_demand_chart_panels_are_named_not_numbered_by_ids():
    # a commissioner reads names: each panel of the demand chart carries the demand's name and state in the
    # current language (it showed the node id, "KG_CHU_E (KG)", until 2026-12-03)
    import optimizer
    from optimizer.interfaces.app.figures import fig_demand

    ds = optimizer.solve("chu", "normal").dataset
    try:
        for lang, bishkek in (("en", "Bishkek water supply (wells) (KG)"), ("ru", "Водоснабжение Бишкека (скважины) (КР)")):
            ui_text.set_language(lang)
            titles = [a.text.replace("<br>", " ") for a in fig_demand(ds).layout.annotations]
            assert len(titles) == ds.sizes["demand"]
            assert bishkek in titles
            assert not any(str(d) in " ".join(titles) for d in ds["demand"].values)  # no id anywhere
    finally:
        ui_text.set_language(None)


def test_map_labels_are_short_names_that_never_overlap():
    """The network schematic's labels: a name without its parenthesis, at most two lines; of two nodes at one
    place only one is labelled there, the other beside it or in its hover only."""
    from optimizer.interfaces.app.figures import labelled, map_label

    assert map_label("KG valley intakes on the Chu (inter-farm canals north of Bishkek)") == \
        "KG valley intakes on the<br>Chu"
    assert map_label("Boom gorge, Chon-Kemin, Kichi-Kemin") == "Boom gorge, Chon-Kemin,<br>Kichi-Kemin"
    assert map_label("a " * 40).count("<br>") == 1 and map_label("a " * 40).endswith("…")
    nodes, kinds = ["R", "D1", "D2", "J", "FAR"], ["reservoir", "demand", "demand", "junction", "sink"]
    lon = {"R": 74.0, "D1": 74.0, "D2": 74.0, "J": 74.5, "FAR": 76.0}
    lat = {"R": 42.0, "D1": 42.0, "D2": 42.0, "J": 43.0, "FAR": 44.0}
    where = labelled(nodes, kinds, lon, lat, ["Reservoir", "Demand one", "Demand two", "Junction", "Lake"])
    assert where["R"] == "top center" and where["FAR"] == "top center" and "J" not in where
    # the two demands at the reservoir's place: below it, then to the right (not on top of each other)
    assert where["D1"] == "bottom center" and where["D2"] == "middle right"


def test_the_allocation_chart_names_each_share_by_its_role_in_both_languages():
    """KG's 58 % reads as a use ceiling and KZ's 42 % as an entitlement, in English and Russian, from the roles
    the result keeps; a result without them (an older file) claims no role: each party's "share"."""
    import basins
    import optimizer
    from optimizer.interfaces.app.figures import fig_allocation

    ds = optimizer.solve(basins.load("chu"), months=3).dataset
    for lang, want in (("en", {"KG use ceiling (cap)", "KZ entitlement (floor)", "KG used", "KZ received"}),
                       ("ru", {"КР: предел использования (не больше)", "РК: право на долю (не меньше)",
                               "КР использовано", "РК получено"})):
        with ui_text.language(lang):
            assert {tr.name for tr in fig_allocation(ds).data} == want
    old = ds.copy()
    old["entitlement_hm3"].attrs.pop("roles")
    assert {tr.name for tr in fig_allocation(old).data if tr.type == "scatter"} == {"KG share", "KZ share"}


def test_russian_numbers_in_labels_and_nothing_else():
    """t() writes numbers the Russian way ("3 780", "0,58"); text, ids, file names and dates pass untouched."""
    assert t("metric_of_demand", demand=2995.2, lang="ru") == "из потребности 2\u00a0995"  # (the unit is the metric label's)
    assert t("metric_of_demand", demand=2995.2, lang="en").startswith("of 2,995 hm³")
    assert t("cli_demands_n", n=8, total=3780.4, lang="ru").startswith("Водопотребители: 8, всего 3780,4")
    assert t("calib_wrote", path="run.v1.nc", lang="ru").count("run.v1.nc") == 1
    assert t("share_of", party="KZ", role="x", lang="ru") == "Доля РК: x"


def test_the_frontier_sentence_names_what_each_number_is():
    """KG's number on the trade-off frontier is its deliveries to its demands, not its use under the share rule
    that the metric and the alternatives table show: the sentence says which (a reader saw three KG figures)."""
    from types import SimpleNamespace

    from optimizer.interfaces.app.tradeoffs import agreement_summary

    fr = SimpleNamespace(x="kz_received_hm3", y="kg_delivery_hm3", agreement={
        "status": "optimal", "kz_received_hm3": 3889.0, "kg_delivery_hm3": 2771.0,
        "frontier_kg_delivery_hm3": 2800.0, "gap_kg_delivery_hm3": 29.0})
    with ui_text.language("en"):
        s = agreement_summary(fr, "hm³")
    assert "KZ 3,889 hm³ of receipts at its posts" in s and "KG 2,771 hm³ of deliveries to its demands" in s
    with ui_text.language("ru"):
        assert "подача её водопотребителям" in agreement_summary(fr, "млн м³")


def test_russian_app_names_facilities_rules_and_parties_in_russian():
    """In Russian the cost table names facilities and works in Russian, says what a share counts in Russian, writes
    the parties КР / РК and shows no facility id; the agreement tab gives each rule's Russian description, and the
    quota is called a quota (until 2026-12-03 the text called it an "entitlement"); every chart's ticks have the
    thousands separator and no "k" suffix."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["lang"] = "ru"
    at.run()
    at.session_state["tab"] = t("tab_compliance", lang="ru")
    with ui_text.language("ru"):
        at.run()
    assert not at.exception, at.exception
    (costs,) = [d.value for d in at.dataframe if "Название" in d.value.columns]
    assert "Сооружение" not in costs.columns and not costs.isin(["orto_tokoy", "w_bchk", "KG", "KZ"]).any().any()
    assert {"Орто-Токойское водохранилище", "Западный Большой Чуйский канал"} <= set(costs["Название"])
    assert set(costs["Сторона"]) == {"КР", "РК"}
    assert costs["Что учитывает доля"].str.contains("попуски водохранилища").any()
    assert "Облицовка Западного Большого Чуйского канала (ЕБРР)" in set(costs["Статья"])
    assert set(costs["Основа доли"]) <= {"по использованию сооружений", "согласовано (опубликовано)",
                                          "по использованию сооружений (как ЭиТО сооружения)"}
    (bars,) = [json.loads(c.proto.spec) for c in at.get("plotly_chart") if c.key == "chart_costs"]
    assert {tr["name"] for tr in bars["data"]} == {"КР", "РК"} and "Орто-Токойское водохранилище" in bars["data"][0]["x"]
    assert sum(sum(tr["y"]) if isinstance(tr["y"], list) else 1 for tr in bars["data"]) > 0
    for c in at.get("plotly_chart"):
        lay = json.loads(c.proto.spec)["layout"]
        assert lay["yaxis"]["separatethousands"] is True and lay["yaxis"]["exponentformat"] == "none"
    at.session_state["tab"] = t("tab_agreement", lang="ru")
    with ui_text.language("ru"):
        at.run()
    captions = "\n".join(c.value for c in at.caption)
    assert "Квота РК на вегетационный период (апр.–сент.) по Положению" in captions
    assert "Все водные ресурсы бассейна независимо от места формирования: РК 42 %, КР 58 %" in captions
    assert not [q.id for b in ("chu", "talas") for q in basins.load(b).spec.agreement.quotas if "entitlement" in q.description]


def test_result_tables_round_for_reading_and_never_show_minus_zero():
    from optimizer.interfaces.app.page_common import numbers

    df = pd.DataFrame({"v": [1234.5678, -4.5e-13, 0.04], "f": [0.11624, 1.0, 2.0], "n": ["a", "b", "c"]})
    shown, cfg = numbers(df, 1, {"f": 4})
    assert shown["v"].tolist() == [1234.6, 0.0, 0.0] and math.copysign(1, shown["v"][1]) == 1.0
    assert shown["f"].tolist() == [0.1162, 1.0, 2.0] and set(cfg) == {"v", "f"}
    assert cfg["v"]["type_config"]["format"] == "localized" and cfg["f"]["type_config"]["format"] == "%.4f"


def test_clause_and_frontier_tables_speak_the_readers_words():
    """The codes of the clause table (kind, mode, the parties it protects, the solver status) and of the frontier
    table (point, status) in Russian; pandas 3's "str" columns included."""
    from optimizer.interfaces.app.tradeoffs import clauses_table, labelled

    df = pd.DataFrame({"rule": ["q"], "kind": ["quota"], "protects": ["KZ,KG"], "mode": ["hard"],
                       "shadow_price": [-4.5e-13], "binding": [True], "status": ["optimal"]})
    with ui_text.language("ru"):
        out = clauses_table(df)
        assert out.iloc[0].tolist()[:4] == ["q", t("kind_quota"), "РК, КР", t("mode_hard")]
        assert t("status_optimal") in out.iloc[0].tolist() and out.iloc[0][t("col_shadow_price")] == 0.0
        pts = labelled(pd.DataFrame({"kind": pd.Series(["grid", "agreement"], dtype="str"), "status": ["optimal"] * 2}),
                       {"kind": "col_kind", "status": "col_status"})
        assert pts.iloc[:, 0].tolist() == ["сетка", "соглашение"] and set(pts.iloc[:, 1]) == {"оптимально"}


def test_hydropower_tables_name_plants_and_reservoirs_in_russian():
    import optimizer
    from optimizer.analyses import hydropower as hp
    from optimizer.interfaces.app.tradeoffs import energy_by_season, hydro_factors

    b = basins.load("talas")
    with ui_text.language("ru"):
        f = hydro_factors(b)
        assert f[t("col_plant")].tolist() == ["ГЭС Бала-Сару (Кировское водохранилище)"]
        assert f[t("col_reservoir")].tolist() == ["Кировское водохранилище"]
        e = energy_by_season(hp.energy(optimizer.solve(b)))
        assert set(e[t("col_plant")]) == {"ГЭС Бала-Сару (Кировское водохранилище)"}
    assert hydro_factors(b)[t("col_plant")].tolist() == ["Bala-Saruu HPP (Kirov reservoir)"]


def test_validation_rows_read_in_russian():
    """Every published figure of both basins has its quantity and period in Russian; the app's table shows them,
    the run in words and the calibration year type, and drops the Russian columns (none with an id in it)."""
    from optimizer.analyses import validation as V
    from optimizer.interfaces.ui_text import validation_in_words

    for b in ("chu", "talas"):
        obs = V.observations(basins.load(b))
        assert obs and all(o.quantity_ru and o.period_ru for o in obs), b
        assert not [o.quantity_ru for o in obs if re.search(r"[A-Z]{2}_[A-Z]", o.quantity_ru)]
    vt = pd.DataFrame([["KZ receipts from KG [CH_L_BORDER]", "2025 Apr-Sep", 160.0, 271.8, "hm3", 69.9, "[P 13]",
                        "very-dry-year status quo", True, "Поступление в РК из КР на постах учёта", "2025 апр–сен",
                        "calibration"],
                       ["x", "2023-08", 0.7, 21.5, "m3/s", 2971.6, "[P 19]", "2023 drought scenario, status quo", False,
                        "", "", "2023"]], columns=V.COLUMNS + V.COLUMNS_RU)
    with ui_text.language("ru"):
        out = validation_in_words(vt, "very-dry")
        assert list(out.columns) == V.COLUMNS
        assert out["quantity"].tolist() == ["Поступление в РК из КР на постах учёта", "x"]  # (none given: the English)
        assert out["run"].tolist() == ["очень маловодный год, статус-кво (расчёт калибровки, цикличные запасы)",
                                       "сценарий засухи 2023 г., статус-кво"]
    assert validation_in_words(vt, "very-dry")["quantity"].tolist() == ["KZ receipts from KG [CH_L_BORDER]", "x"]


def test_chart_titles_fit_and_name_a_party_once():
    """A long title is broken in two at a space (Plotly cut the Russian titles at the right edge) and gets the room
    for it; a demand's panel says its party once ("КР, восточная часть …", not "… (КР)" after it)."""
    import optimizer
    from optimizer.interfaces.app.figures import _wrapped, fig_demand

    title = t("chart_border_cumulative", period=t("period_kind_hydro-year", lang="ru"), lang="ru")
    assert len(title) > 85 and _wrapped(title).count("<br>") == 1 and _wrapped(title).replace("<br>", " ") == title
    assert _wrapped("short") == "short"
    ds = optimizer.solve("chu").dataset
    with ui_text.language("ru"):
        titles = [a["text"].replace("<br>", " ") for a in fig_demand(ds).to_dict()["layout"]["annotations"]]
    assert any(x.startswith("КР, восточная часть Чуйской долины") for x in titles)
    assert not [x for x in titles if x.startswith(("КР,", "РК,")) and x.endswith(("(КР)", "(РК)"))], titles
    assert any(x.endswith("(КР)") for x in titles)  # a name without the party still gets it (Bishkek's wells)


def test_alternative_agreements_described_in_russian():
    """Every alternative agreement of both basins has a Russian description, shown in the Russian app; the status
    mark of a Commission plan reads "[P]", "[D]" or "[E]" (it read "[P" until 2026-12-03)."""
    from optimizer.analyses import alternatives as alt
    from optimizer.interfaces.app.tradeoffs import alternatives_table

    for b in ("chu", "talas"):
        basin = basins.load(b)
        names = alt.variants(basin)
        assert all(alt.description_ru(n, basin) for n in names), [n for n in names if not alt.description_ru(n, basin)]
        assert all(re.search(r"\[[PDE]\]$", d) for n, (d, _) in names.items() if n.startswith("commission_"))
    df = pd.DataFrame({"variant": ["1983"], "description": ["1983 Regulation"], "description_ru": ["Положение 1983 г."],
                       "status": ["optimal"]})
    with ui_text.language("ru"):
        assert alternatives_table(df)[t("col_description")].tolist() == ["Положение 1983 г."]
    assert alternatives_table(df)[t("col_description")].tolist() == ["1983 Regulation"]


def test_shadow_prices_read_in_russian():
    import optimizer
    from optimizer.interfaces.app.tradeoffs import shadow_prices

    led = optimizer.solve("chu").ledger
    with ui_text.language("ru"):
        sp = shadow_prices(led)
        assert set(sp[t("col_party")]) <= {"КР", "РК"} and set(sp[t("col_mode")]) <= {t("mode_hard"), t("mode_soft")}
        assert not sp[t("col_period")].str.contains("hydro-year|Apr-Sep").any(), sp[t("col_period")].tolist()


def test_water_balance_labels_are_wrapped_to_their_bar():
    """The water-balance bars' labels (party, then period) have lines of at most 26 characters: whole Russian period
    labels ran into the neighbouring bar's."""
    import optimizer
    from optimizer.interfaces.app.figures import fig_water_balance

    wb = optimizer.solve("chu").water_balance
    with ui_text.language("ru"):
        xs = fig_water_balance(wb).to_dict()["data"][0]["x"]
    lines = [ln for x in xs for ln in x.split("<br>")]
    assert len(lines) > len(xs) and max(map(len, lines)) <= 26, lines
    assert {x.split("<br>")[0] for x in xs} == {"КР", "РК"}
