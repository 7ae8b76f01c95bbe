"""The tables the Commission exchanges: schedule, plan against fact and ledger as .xlsx (openpyxl) or CSV.

Headers are bilingual, Russian first as the protocols write them ("Декада / Dekad", "План, м³/с / Plan, m³/s",
"План нараст., млн м³ / Cumulative plan, hm³"); units м³/с and млн м³ (= hm³). Numbers are written as numbers
(rounded to 3 decimals for m³/s and hm³), never as text, so that a spreadsheet and pandas read them back exactly.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from optimizer.core import timesteps

DEKAD_RU = {1: "I", 2: "II", 3: "III"}
MONTH_RU = ["январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь",
            "ноябрь", "декабрь"]

HEADERS = {
    "post": "Пост учёта / Accounting post",
    "step_start": "Начало / Step start",
    "step": "Декада / Dekad",
    "days": "Дней / Days",
    "plan_m3s": "План, м³/с / Plan, m³/s",
    "plan_hm3": "План, млн м³ / Plan, hm³",
    "cumulative_hm3": "План нараст., млн м³ / Cumulative plan, hm³",
    "actual_m3s": "Факт, м³/с / Actual, m³/s",
    "actual_hm3": "Факт, млн м³ / Actual, hm³",
    "cum_plan_hm3": "План нараст., млн м³ / Cumulative plan, hm³",
    "cum_actual_hm3": "Факт нараст., млн м³ / Cumulative actual, hm³",
    "fulfilment_pct": "Выполнение, % / Fulfilment, %",
    "deviation_hm3": "Отклонение нараст., млн м³ / Deviation carried forward, hm³",
}
LEDGER_HEADERS = {
    "rule": "Правило / Rule", "party": "Сторона / Party", "role": "Роль / Role", "period": "Период / Period",
    "required_hm3": "Доля или предел, млн м³ / Share or limit, hm³",
    "received_hm3": "Учтено (получено или использовано), млн м³ / Counted (received or used), hm³",
    "deficit_hm3": "Недодано или превышение, млн м³ / Short or over, hm³", "mode": "Режим / Mode",
    "met": "Выполнено / Met", "test": "Проверка / Test",
}

ROLE_EN = {"entitlement": "entitlement", "ceiling": "use ceiling", "quota": "quota", "reported": "reported only"}
ROLE_RU = {"entitlement": "право на долю", "ceiling": "предел использования", "quota": "квота",
           "reported": "только для отчёта"}


def step_name(ts: pd.Timestamp, step: str) -> str:
    """``I декада апреля 2025 / 2025-04 dekad 1`` (the month in the nominative for brevity)."""
    if step == "dekad":
        k = timesteps.DEKAD_STARTS.index(ts.day) + 1
        return f"{DEKAD_RU[k]} дек. {MONTH_RU[ts.month - 1]} {ts.year} / {timesteps.step_label(ts, step)}"
    return timesteps.step_label(ts, step)


def bilingual(df: pd.DataFrame, step: str, headers: dict = HEADERS) -> pd.DataFrame:
    out = df.copy()
    if "step_start" in out:
        out["step"] = [step_name(pd.Timestamp(t), step) for t in out["step_start"]]
        out["step_start"] = pd.to_datetime(out["step_start"]).dt.strftime("%Y-%m-%d")
    for c in out.columns:
        if pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].round(3)
    return out.rename(columns={k: v for k, v in headers.items() if k in out.columns})


def ledger_table(ledger: pd.DataFrame) -> pd.DataFrame:
    """The ledger as exchanged: each row's role (entitlement, use ceiling, quota) and its test in words, in
    Russian and English, so that a ceiling not reached never reads as a shortfall."""
    from optimizer.interfaces.ui_text import ledger_test, party_label, period_label, rule_name

    keep = [c for c in LEDGER_HEADERS if c in ledger.columns]
    out = ledger[keep].copy()
    if "rule" in out:  # the rule's names, Russian / English (its id where the basin file gives none)
        names = ledger.attrs.get("rule_names", {})
        out["rule"] = [" / ".join(dict.fromkeys((rule_name(r, names, "ru"), rule_name(r, names, "en"))))
                       for r in ledger["rule"]]
    if "period" in out:  # the period in both languages, as the role and the test
        en = ledger["period_name"] if "period_name" in ledger else ledger["period"]
        out["period"] = [f"{period_label(str(p), 'ru')} / {e}" for p, e in zip(ledger["period"], en)]
    if "party" in out:  # КР / KG, РК / KZ
        out["party"] = [f"{party_label(str(p), 'ru')} / {p}" for p in ledger["party"]]
    if "role" in out:
        out["role"] = [f"{t_ru} / {t_en}" for t_ru, t_en in zip(
            (ROLE_RU.get(r, r) for r in ledger["role"]), (ROLE_EN.get(r, r) for r in ledger["role"]))]
    if "test" in out:
        out["test"] = [ledger_test(x.role, x.status, x.required_hm3, x.received_hm3, x.deficit_hm3, lang="ru")
                       + " / " + x.test for x in ledger.itertuples()]
    for c in out.columns:
        if pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].round(3)
    return out.rename(columns=LEDGER_HEADERS)


def export(path: str | Path, step: str, *, schedule=None, plan_fact: pd.DataFrame | None = None,
           ledger: pd.DataFrame | None = None, summary: pd.DataFrame | None = None) -> list[Path]:
    """Write the given tables: one .xlsx workbook (sheets ``schedule``, ``plan_fact``, ``ledger``, ``summary``) or,
    for a .csv path, one CSV per table (``NAME.csv`` for the schedule, ``NAME.plan_fact.csv`` …)."""
    path = Path(path)
    sheets = {}
    if schedule is not None:
        sheets["schedule"] = bilingual(schedule.to_long(), step)
    if plan_fact is not None:
        sheets["plan_fact"] = bilingual(plan_fact, step)
    if ledger is not None:
        sheets["ledger"] = ledger_table(ledger)
    if summary is not None:
        sheets["summary"] = summary
    if not sheets:
        raise ValueError("nothing to export: give a schedule, plan_fact, ledger or summary")
    if path.suffix.lower() == ".xlsx":
        with pd.ExcelWriter(path, engine="openpyxl") as xw:
            for name, df in sheets.items():
                df.to_excel(xw, sheet_name=name, index=False)
                ws = xw.sheets[name]
                for col in ws.columns:
                    ws.column_dimensions[col[0].column_letter].width = min(48, max(10, len(str(col[0].value)) + 2))
        return [path]
    if path.suffix.lower() != ".csv":
        raise ValueError(f"export to .xlsx or .csv, not {path.suffix!r} ({path})")
    written = []
    for i, (name, df) in enumerate(sheets.items()):
        p = path if i == 0 else path.with_suffix(f".{name}.csv")
        df.to_csv(p, index=False, encoding="utf-8-sig")  # (a BOM, so that Excel shows the Cyrillic headers)
        written.append(p)
    return written


def season_html(title: str, lines: list[str], plan_fact: pd.DataFrame, step: str,
                checks: list[dict] | None = None) -> str:
    """A printable one-page season summary (HTML, A4): the season's inputs, plan against fact at the end of each
    month per post, and the published receipts beside the modelled ones."""
    import html
    pf = plan_fact.copy()
    pf["month"] = pd.to_datetime(pf["step_start"]).dt.to_period("M")
    monthly = pf.groupby(["post", "month"], sort=False).tail(1)  # the month's last step: cumulative at month end
    cols = ["post", "step_start", "cum_plan_hm3", "cum_actual_hm3", "fulfilment_pct", "deviation_hm3"]
    table = bilingual(monthly[cols], step).to_html(index=False, na_rep="—", float_format=lambda v: f"{v:,.1f}")
    pub = ""
    if checks:
        rows = "".join(f"<tr><td>{html.escape(c['label'])}</td><td>{c['from']} – {c['to']}</td>"
                       f"<td>{c['published_hm3']:,.1f} [{html.escape(str(c['status']))}]</td>"
                       f"<td>{c['modelled_hm3']:,.1f}</td></tr>" for c in checks)
        pub = ("<h2>Опубликовано и модель / Published and modelled, млн м³ (hm³)</h2><table><tr><th>Что / What</th>"
               "<th>Даты / Dates</th><th>Опубликовано / Published</th><th>Модель / Model</th></tr>" + rows + "</table>")
    items = "".join(f"<li>{html.escape(x)}</li>" for x in lines)
    return ("<!DOCTYPE html><html lang='ru'><head><meta charset='utf-8'><title>" + html.escape(title) + "</title>"
            "<style>@page{size:A4;margin:12mm}body{font:10pt sans-serif}table{border-collapse:collapse}"
            "td,th{border:1px solid #999;padding:2px 5px;text-align:right}th{background:#eee}h1{font-size:14pt}"
            "h2{font-size:11pt}</style></head><body><h1>" + html.escape(title) + "</h1><ul>" + items + "</ul>"
            "<h2>План и факт нарастающим итогом на конец месяца / Cumulative plan and fact at month end</h2>"
            + table + pub + "</body></html>")
