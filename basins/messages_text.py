"""The catalogue of basin validation messages: key → (English, Russian). See :mod:`basins.messages`.

Parameters are filled with ``str.format``; they are ids, numbers, paths and quoted values, never words, so
both languages show the same ones. Russian terms as the Commission writes them: млн м³ (hm³), м³/с (m³/s),
декада (dekad), вегетационный период.
"""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # ---- YAML (basins/yaml_io.py, basins/loading.py) ----------------------------------------------------------
    "yaml.duplicate_key": (
        "duplicate key {key!r} (first on line {first}); each key may appear once in a mapping, delete one of them",
        "ключ {key!r} повторяется (впервые в строке {first}); каждый ключ может встречаться в словаре только "
        "один раз, удалите один из них"),
    "yaml.anchor": (
        "YAML anchor '{name}': anchors and aliases are not allowed in a basin file; write the value out in full",
        "якорь YAML '{name}': якоря и ссылки в файле бассейна не допускаются; выпишите значение полностью"),
    "yaml.alias": (
        "YAML alias '{name}': anchors and aliases are not allowed in a basin file; write the value out in full",
        "ссылка YAML '{name}': якоря и ссылки в файле бассейна не допускаются; выпишите значение полностью"),
    "yaml.too_deep": (
        "nested more than {depth} levels deep; a basin file is a flat list of entries",
        "вложенность глубже {depth} уровней; файл бассейна — это плоский список записей"),
    "yaml.base60": (
        "{text!r} is a YAML 1.1 base-60 number ({value!r}); basin files are YAML 1.2, which reads it as the text "
        "{text!r}: write the plain decimal number, or quote a text",
        "{text!r} — шестидесятеричное число YAML 1.1 ({value!r}); файлы бассейна читаются как YAML 1.2, где это "
        "текст {text!r}: запишите обычное десятичное число или возьмите текст в кавычки"),
    "yaml.octal": (
        "{text!r} is a YAML 1.1 octal number ({value!r}); basin files are YAML 1.2, which reads it as {decimal!r}: "
        "write the plain decimal number without leading zeros, or quote a text",
        "{text!r} — восьмеричное число YAML 1.1 ({value!r}); файлы бассейна читаются как YAML 1.2, где это "
        "{decimal!r}: запишите десятичное число без ведущих нулей или возьмите текст в кавычки"),
    "yaml.tag": (
        "YAML error: could not determine a constructor for the tag {tag!r}; a basin file uses no tags (!!...), "
        "delete it",
        "ошибка YAML: для тега {tag!r} нет конструктора; "
        "в файле бассейна тегов (!!...) нет, удалите его"),
    "yaml.version": (
        "'%YAML {version}': basin files are YAML 1.2; delete the directive line",
        "'%YAML {version}': файлы бассейна записываются в YAML 1.2; удалите эту строку-директиву"),
    "yaml.bad_char": (
        "YAML error: character {char} is not allowed in YAML text; delete it",
        "ошибка YAML: символ {char} недопустим в тексте YAML; удалите его"),
    "yaml.syntax": (
        "YAML error: {problem}; fix the file's syntax",
        "ошибка YAML: {problem}; исправьте синтаксис файла"),
    "yaml.not_mapping": (
        "must be a YAML mapping with keys id, name, nodes, links, ...",
        "должен быть словарём YAML с ключами id, name, nodes, links, ..."),
    # ---- the schema's own checks (basins/schema.py) -------------------------------------------------------------
    "schema.boolean_number": (
        "true/false (in YAML also yes/no, on/off) is not a number; write the number",
        "true/false (в YAML также yes/no, on/off) — не число; запишите число"),
}
