"""The texts of the basin validation messages, in English and Russian: the catalogue behind every
:class:`~basins.errors.Problem`.

A problem carries a message key and its parameters (ids, numbers, paths: never words); its ``message`` is the
English text, and :meth:`~basins.errors.Problem.text` renders it in the current language. The language is the
one the interfaces set (:func:`optimizer.interfaces.ui_text.set_language` sets :data:`LANGUAGE`, the context
variable both share), else ``$CHUTALAS_LANG``, else English; ``basins`` imports nothing of ``optimizer``.

Units as the Commission writes them in Russian: млн м³ (hm³), м³/с (m³/s), декада (dekad).
"""

from __future__ import annotations

import contextvars
import os
import re
from collections.abc import Mapping
from typing import NamedTuple

from .messages_text import MESSAGES

LANGUAGES = ("en", "ru")
#: the current language of this thread/context (None: $CHUTALAS_LANG, else English); shared with ui_text
LANGUAGE: contextvars.ContextVar[str | None] = contextvars.ContextVar("chutalas_language", default=None)


def current_language() -> str:
    """The language set for this context, else ``$CHUTALAS_LANG``, else ``"en"``."""
    code = LANGUAGE.get() or os.environ.get("CHUTALAS_LANG", "").strip().lower()
    return code if code in LANGUAGES else "en"


class Msg(NamedTuple):
    """A message as a parameter of another (pydantic's value error around a schema check's own message)."""

    key: str
    params: Mapping[str, object]


#: units as the data files write them -> as the Commission writes them in Russian
UNITS_RU = {"hm3": "млн м³", "hm3/month": "млн м³/мес", "hm3/yr": "млн м³/год", "hm3/dekad": "млн м³/декаду",
            "m3/s": "м³/с", "mm": "мм", "km2": "км²"}
#: words passed as parameters named ``*_word`` (an entry's kind), in Russian
WORDS_RU = {"node": "узел", "link": "звено", "inflow": "приток", "inflow node": "узел притока",
            "demand": "водопользователь", "aquifer": "водоносный горизонт", "reservoir": "водохранилище"}


def render(key: str, params: Mapping[str, object] | None = None, lang: str | None = None) -> str:
    """The message ``key`` in ``lang`` (default: the current language) with its ``{placeholders}`` filled.
    In Russian, unit parameters (``m3/s``) are written as the Commission writes them (``м³/с``) and
    ``*_word`` parameters are translated. A key missing from the catalogue raises KeyError (a programming
    error, found by the tests)."""
    code = lang or current_language()
    en, ru = MESSAGES[key]
    values: dict[str, object] = {}
    for name, v in (params or {}).items():
        if isinstance(v, Msg):
            v = render(v.key, v.params, code)
        elif isinstance(v, tuple) and v and all(isinstance(m, Msg) for m in v):  # several, joined by "; "
            v = "; ".join(render(m.key, m.params, code) for m in v)
        elif code == "ru" and isinstance(v, str) and name == "entry":
            v = entry_text(v, code)
        elif code == "ru" and isinstance(v, str):
            v = WORDS_RU.get(v, v) if name.endswith("_word") else UNITS_RU.get(v, v) if name.endswith("unit") else v
        values[name] = v
    return (ru if code == "ru" else en).format(**values)


#: the words of a location (``Problem.entry``) in Russian: the entry's kind; ids and field names stay as written
ENTRY_WORDS_RU = {
    "file": "файл", "line": "строка", "column": "столбец", "row": "строка", "header": "заголовок",
    "node": "узел", "link": "звено", "reservoir": "водохранилище", "demand": "водопользователь",
    "aquifer": "водоносный горизонт", "share rule": "правило раздела", "quota": "квота",
    "storage split": "раздел ёмкости", "facility": "сооружение", "calibration parameter": "параметр калибровки",
    "calibration target": "цель калибровки", "calibration": "калибровка", "basin": "бассейн",
    "year_type": "тип года", "account": "счёт", "cost split": "раздел затрат", "series": "ряды",
}
_ENTRY_WORD = re.compile(r"(?<![\w'.\[=])(" + "|".join(sorted(map(re.escape, ENTRY_WORDS_RU), key=len, reverse=True))
                         + r")(?![\w'=\]])")


def entry_text(entry: str, lang: str | None = None) -> str:
    """A location in ``lang``: "line 3, column 5" → "строка 3, столбец 5", "link 'X'" → "звено 'X'"; ids,
    quoted names and ``key=value`` parts of series rows are kept as written."""
    if (lang or current_language()) != "ru":
        return entry
    parts = re.split(r"('[^']*'|\"[^\"]*\")", entry)  # never translate inside quotes (ids, names)
    return "".join(p if i % 2 else _ENTRY_WORD.sub(lambda m: ENTRY_WORDS_RU[m.group(1)], p)
                   for i, p in enumerate(parts))


def location(file: str, entry: str, field: str, lang: str | None = None) -> str:
    """``file: entry, field 'x'`` in ``lang``."""
    code = lang or current_language()
    frame = ", поле '{field}'" if code == "ru" else ", field '{field}'"
    return f"{file}: {entry_text(entry, code)}" + (frame.format(field=field) if field else "")


def header(n: int, lang: str | None = None) -> str:
    """The first line of a BasinError: how many problems."""
    if (lang or current_language()) == "ru":
        return f"Ошибок во входных данных бассейна: {n}"
    return f"{n} problem{'s' if n != 1 else ''} in the basin input:"
