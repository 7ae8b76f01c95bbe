"""Every user-facing label of the Streamlit app (app.py) and of the CLI summaries, in English (:data:`EN`) and
Russian (:data:`RU`, in :mod:`optimizer.interfaces.ui_text_ru`). The labels themselves live by topic, each
topic's English and Russian side by side: ``ui_text_app`` (the app's page), ``ui_text_tradeoffs``,
``ui_text_tables`` (ledger, cost split, validation, water balance columns), ``ui_text_season``,
``ui_text_calib``, ``ui_text_cli`` (``chutalas basins/check/solve``) and ``ui_text_ensemble``.

Use :func:`t` with a key and, where the text has ``{placeholders}``, their values::

    >>> t("solved_in", seconds=0.06, lang="en")
    'solved in 0.06 s'
    >>> t("solved_in", seconds=0.06, lang="ru")
    'решено за 0.06 с'

Without ``lang=`` the current language is used: the one set by :func:`set_language` (or the :func:`language`
context) in this thread/context, else the environment variable ``CHUTALAS_LANG``, else English. The current
language lives in a :class:`contextvars.ContextVar`, so two Streamlit sessions (each its own script thread) do
not see each other's choice.

A key missing from :data:`EN` raises :class:`KeyError`. A key present in EN but missing from a translation
falls back to English with a logged warning in use, and raises under pytest (tests fail loudly).
Units are written the way they are displayed (hm³ = млн м³, m³/s = м³/с); the data files use ``hm3`` and ``m3/s``.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import numbers
import os
import re
import string

from basins import messages as basin_messages
from optimizer.interfaces.ui_text_app import EN_APP
from optimizer.interfaces.ui_text_calib import EN_CALIB
from optimizer.interfaces.ui_text_cli import EN_CLI
from optimizer.interfaces.ui_text_ensemble import EN_ENS
from optimizer.interfaces.ui_text_ru import RU
from optimizer.interfaces.ui_text_season import EN_SEASON
from optimizer.interfaces.ui_text_tables import EN_TABLES
from optimizer.interfaces.ui_text_tradeoffs import EN_TRADEOFFS

log = logging.getLogger("chutalas.ui_text")

HM3 = "hm³"
HM3_MONTH = "hm³/month"
M3S = "m³/s"

#: Month abbreviations in calendar order (index 0 = January), English; see :func:`month_abbr`.
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
MONTHS_RU = ["янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"]

#: The English table, by topic: one module per topic holds its English and Russian (ui_text_<topic>.py).
EN: dict[str, str] = {**EN_APP, **EN_TRADEOFFS, **EN_TABLES, **EN_SEASON, **EN_CALIB, **EN_CLI, **EN_ENS}

LANGUAGES: dict[str, dict[str, str]] = {"en": EN, "ru": RU}
MONTH_NAMES: dict[str, list[str]] = {"en": MONTHS, "ru": MONTHS_RU}
DEFAULT_LANGUAGE = "en"
TEXT: dict[str, str] = EN  # kept for old imports: the English table

# the basin validation messages (basins/messages.py) read the same context variable: a BasinError printed or
# shown while Russian is set is in Russian
_current: contextvars.ContextVar[str | None] = basin_messages.LANGUAGE


def check_language(lang: str) -> str:
    """``lang`` normalised (``RU`` -> ``ru``); ValueError naming the known codes if it is not one."""
    code = str(lang).strip().lower()
    if code not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGUAGES)}")
    return code


def get_language() -> str:
    """The current language code: set_language/language(), else $CHUTALAS_LANG, else English."""
    code = _current.get()
    if code:
        return code
    env = os.environ.get("CHUTALAS_LANG", "").strip().lower()
    return env if env in LANGUAGES else DEFAULT_LANGUAGE


def set_language(lang: str | None) -> None:
    """Set the current language for this thread/context (None: back to $CHUTALAS_LANG / English)."""
    _current.set(check_language(lang) if lang else None)


@contextlib.contextmanager
def language(lang: str):
    """``with language("ru"): ...`` – the labels inside are Russian."""
    token = _current.set(check_language(lang))
    try:
        yield
    finally:
        _current.reset(token)


def t(key: str, lang: str | None = None, **values) -> str:
    """The label ``key`` in ``lang`` (default: the current language), ``{placeholders}`` filled from ``values``."""
    if key not in EN:
        raise KeyError(f"no label {key!r} in optimizer/interfaces/ui_text.py (EN)")
    code = check_language(lang) if lang else get_language()
    text = LANGUAGES[code].get(key)
    if text is None:
        if "PYTEST_CURRENT_TEST" in os.environ:
            raise KeyError(f"label {key!r} has no {code} translation")
        log.warning("label %r has no %s translation; showing English", key, code)
        text = EN[key]
    if "party" in values:  # a party in the reader's words (КР, РК in Russian)
        values["party"] = party_label(str(values["party"]), code)
    if not values:
        return text
    return _RU_NUMBERS.format(text, **values) if code == "ru" else text.format(**values)


#: the thousands separator of Russian numbers: a no-break space ("2 326"; the decimal sign is a comma, "80,4")
RU_THOUSANDS = "\u00a0"


def number(value: float, spec: str, lang: str | None = None) -> str:
    """``format(value, spec)`` as the reader writes numbers: "2,326.5" in English, "2 326,5" in Russian (a
    comma read as a decimal sign would make 2,326 read as 2.3)."""
    s = format(value, spec)
    code = check_language(lang) if lang else get_language()
    return s.replace(",", RU_THOUSANDS).replace(".", ",") if code == "ru" else s


class _RuNumberFormatter(string.Formatter):
    """str.format for Russian labels: every number placed into a label is written as :func:`number` writes it
    (text, dates and ids are left as they are)."""

    def format_field(self, value, format_spec):
        s = format(value, format_spec)
        if isinstance(value, numbers.Number) and not isinstance(value, bool):  # (numpy's numbers too; dates not)
            return s.replace(",", RU_THOUSANDS).replace(".", ",")
        return s


_RU_NUMBERS = _RuNumberFormatter()


#: the parties as Russian text abbreviates them (Кыргызская Республика, Республика Казахстан); the codes KG and KZ
#: stay what the files, the ledger's data and --json use
PARTY_RU = {"KG": "КР", "KZ": "РК"}


def party_label(party: str, lang: str | None = None) -> str:
    """A party code as the reader writes it: KG/KZ in English, КР/РК in Russian."""
    code = check_language(lang) if lang else get_language()
    return PARTY_RU.get(party, party) if code == "ru" else party


def month_abbr(month: int, lang: str | None = None) -> str:
    """The abbreviation of calendar month ``month`` (1-12) in ``lang`` (default: the current language)."""
    return MONTH_NAMES[check_language(lang) if lang else get_language()][int(month) - 1]


_EN_MONTH = re.compile(r"\b(" + "|".join(MONTHS) + r")\b")


def period_label(period: str, lang: str | None = None) -> str:
    """A ledger period such as ``2025 Apr-Sep`` with its month names in ``lang`` (``2025 апр–сен``)."""
    code = check_language(lang) if lang else get_language()
    if code == "en":
        return str(period)
    names = MONTH_NAMES[code]
    out = str(period).replace(" hydro-year", " " + t("period_hydro_year", lang=code))
    out = _EN_MONTH.sub(lambda m: names[MONTHS.index(m.group(1))], out)
    return re.sub(r"(?<=[^\W\d_])-(?=[^\W\d_])", "–", out)


def label_or(key: str, default: str, lang: str | None = None) -> str:
    """The label ``key`` if the tables have it, else ``default`` (e.g. a year type the labels do not know)."""
    return t(key, lang=lang) if key in EN else default


def column_labels(columns, prefix: str, lang: str | None = None) -> list[str]:
    """Display headers of table ``columns`` through the keys ``{prefix}{column}`` (unknown columns unchanged)."""
    return [label_or(f"{prefix}{c}", str(c), lang=lang) for c in columns]


def relabel(df, prefix: str, lang: str | None = None):
    """A copy of ``df`` with its column headers translated at display time (see :func:`column_labels`)."""
    return df.set_axis(column_labels(df.columns, prefix, lang), axis=1)


def ledger_test(role: str, status: str, required: float, received: float, deficit: float,
                lang: str | None = None) -> str:
    """A ledger row's test in words in ``lang`` ("entitled 2,761, received 2,761 hm³ — met"), from its numbers."""
    def v(x: float) -> str:
        x = 0.0 if abs(x) < 5e-7 else x
        return number(x, ",.0f" if abs(x) >= 100 else ".3g", lang)

    vals = dict(req=v(required), rec=v(received), d=v(deficit), unused=v(max(0.0, required - received)), lang=lang)
    if status in ("reported", "not applicable", "within", "over"):
        return t(f"test_{status.replace(' ', '_')}", **vals)
    what = "entitlement" if role == "entitlement" else "quota"
    return t(f"test_{what}_{status}", **vals)




def rule_name(rule: str, names: dict, lang: str | None = None) -> str:
    """The name a reader sees for ``rule``, in ``lang`` (default: the current language), from ``names`` (rule id
    → {language: name}: a ledger's ``attrs["rule_names"]``, optimizer.core.result.rule_names): the name in that
    language, else the English one, else the id."""
    n = names.get(rule) or {}
    return n.get(check_language(lang or get_language())) or n.get("en") or rule


def node_name(node, lang: str | None = None) -> str:
    """A node's name in ``lang`` (default: the current language): ``name_ru`` in Russian where the basin file
    gives one, else ``name`` (:func:`in_language`)."""
    return in_language(node, "name", lang)


def in_language(entry, field: str, lang: str | None = None) -> str:
    """A basin entry's text ``field`` (``name``, ``description``, ``mapping``, ``status``) in ``lang`` (default: the
    current language): its ``<field>_ru`` in Russian where the basin file gives one, else the English text."""
    code = check_language(lang or get_language())
    return (getattr(entry, f"{field}_ru", "") if code == "ru" else "") or getattr(entry, field, "") or ""


def description(rule, lang: str | None = None) -> str:
    """A rule's description in ``lang`` (:func:`in_language`)."""
    return in_language(rule, "description", lang)


#: optimizer.core.cost_sharing's share bases → their words
COST_BASIS = {"use of facilities": "cost_basis_use", "agreed (published)": "cost_basis_agreed",
              "use of facilities (as the facility's O&M)": "cost_basis_as_om"}


def costs_in_words(costs, basin):
    """The cost table (optimizer.core.cost_sharing) as the reader reads it, in the app and the CLI alike:
    facilities and capital works by their names in the reader's language, what a share counts in words, the share
    basis and the currency in the reader's words. ``om`` marks the O&M rows; ``facility`` and ``work`` keep the
    ids (not shown). A table written before ``work`` existed is read by its ``item`` ("O&M")."""
    ag = basin.spec.agreement
    fac = {f.id: f for f in ag.facilities}
    works = {w.id: w for w in ag.capital_works}
    out = costs.copy()
    out["om"] = om = (out["work"] == "") if "work" in out else (out["item"] == "O&M")
    wid = list(out["work"]) if "work" in out else [""] * len(out)
    out["name"] = out["facility"].map(lambda f: in_language(fac[f], "name") if f in fac else f)
    out["basis"] = [(in_language(fac[f], "mapping") or b) if is_om and f in fac else
                    (in_language(works[w], "status") or b if w in works else b)
                    for f, w, b, is_om in zip(out["facility"], wid, out["basis"], om)]
    out["item"] = [t("cost_item_om") if is_om else (in_language(works[w], "name") if w in works else i)
                   for i, w, is_om in zip(out["item"], wid, om)]
    out["share_basis"] = out["share_basis"].map(lambda v: t(COST_BASIS[v]) if v in COST_BASIS else v)
    out["currency"] = out["currency"].map(lambda c: t("u_usd") if c == "USD" else c)
    return out


def validation_in_words(vt, cal_year_type: str):
    """The validation table (optimizer.analyses.validation.table) in the reader's language, for the app and the CLI
    alike: in Russian its quantity and period in Russian where the row gives them, the run in words and the units
    as the Commission writes them; the Russian columns dropped. Headers are left to :func:`relabel` (``val_col_``)."""
    extra = [c for c in ("quantity_ru", "period_ru", "run_id") if c in vt]
    out = vt.copy()
    if "unit" in out:
        out["unit"] = out["unit"].map({"hm3": t("u_hm3"), "m3/s": t("u_m3s")}).fillna(out["unit"])
    if get_language() == "ru" and extra:
        for c in ("quantity", "period"):
            if f"{c}_ru" in out:
                out[c] = [r or e for r, e in zip(out[f"{c}_ru"], out[c])]
        if "run_id" in out:
            yt = label_or(f"year_type_{cal_year_type}", cal_year_type)
            out["run"] = [label_or(f"val_run_{r}", w) if r != "calibration" else t("val_run_calibration", year_type=yt)
                          for r, w in zip(out["run_id"], out["run"])]
    return out.drop(columns=extra)


_ID_LIST = r"[A-Z]{2}_[A-Z0-9_]+(?: \+ (?:[A-Z]{2}_[A-Z0-9_]+|…))*"


def without_ids(quantity: str) -> str:
    """A validation quantity as a commissioner reads it in English, without the model's ids (the CLI keeps them for
    modellers): "KZ receipts from KG [CH_L_BORDER + CH_L_GEORG]" → "KZ receipts from KG at its accounting posts",
    "Orto-Tokoy storage (CH_R_OT)" → "Orto-Tokoy storage", "Orto-Tokoy release (CH_L_OT_OUT + spill)" →
    "Orto-Tokoy release (with spill)", "Georgievka canal to KZ (CH_L_GEORG), mean flow" → "Georgievka canal to KZ,
    mean flow"."""
    q = re.sub(r"\s*\[(" + _ID_LIST + r")\]",
               lambda m: " at its accounting post" + ("s" if "+" in m.group(1) else ""), quantity)
    q = re.sub(r"\s*\(" + _ID_LIST + r" \+ spill\)", " (with spill)", q)
    return re.sub(r"\s*\(" + _ID_LIST + r"\)", "", q)


def short_name(name: str) -> str:
    """A name without its parenthesis ("KG valley intakes on the Chu (inter-farm canals north of Bishkek)" →
    "KG valley intakes on the Chu"): a column header's or a map label's words; the whole name goes in the hover."""
    return re.sub(r"\s*\(.*?\)", "", name).strip() or name


def basin_name(basin, lang: str | None = None) -> str:
    """A basin's name in ``lang`` (a Basin or its spec), as :func:`node_name`."""
    return node_name(getattr(basin, "spec", basin), lang)


def dataset_node_names(ds, lang: str | None = None) -> list[str]:
    """The names of a result Dataset's nodes in ``lang``, in its ``node`` order (``node_name_ru`` in Russian
    where given, else ``node_name``, else the id)."""
    code = check_language(lang or get_language())
    ids = [str(n) for n in ds["node"].values]
    en = [str(n) for n in ds["node_name"].values] if "node_name" in ds else ids
    ru = [str(n) for n in ds["node_name_ru"].values] if code == "ru" and "node_name_ru" in ds else [""] * len(ids)
    return [r or e or i for r, e, i in zip(ru, en, ids)]


def dataset_basin_name(ds, lang: str | None = None) -> str:
    """A result Dataset's basin name in ``lang`` (its ``basin_name_ru`` attribute in Russian where given)."""
    ru = check_language(lang or get_language()) == "ru" and ds.attrs.get("basin_name_ru")
    return str(ds.attrs["basin_name_ru"] if ru else ds.attrs["basin_name"])
