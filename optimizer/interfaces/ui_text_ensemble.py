"""Labels of ``chutalas ensemble`` (optimizer/interfaces/cli_ensemble.py) in English and Russian; merged into
:data:`optimizer.interfaces.ui_text.EN` / ``RU`` (use :func:`optimizer.interfaces.ui_text.t`).

English writes units in ASCII (hm3, m3/s) as the other CLI summaries; Russian as the Commission writes them
(млн м³, м³/с; Apr–Sep = вегетационный период).
"""

from __future__ import annotations

EN_ENS: dict[str, str] = {
    # rules per party
    "ens_role_entitlement": "entitlement (floor on receipts)",
    "ens_role_ceiling": "use ceiling",
    "ens_role_quota": "seasonal quota (floor on receipts)",
    "ens_role_reported": "reported only",
    "ens_rule_head": "  {rule}, {role}:",
    "ens_reported_no_test": "{head} reported only, no test",
    "ens_enforced": "{head} enforced (a hard constraint of this operation) — feasible in {ok} of {n} members",
    "ens_member_message": "    member {member}: {message}",
    "ens_p_within_ceiling": "P(within the ceiling)",
    "ens_p_met": "P(met)",
    "ens_over_ceiling": "use over the ceiling",
    "ens_shortfall": "shortfall",
    "ens_rule_line": "{head} {what} {p} of member-periods, {every} of members in every period; {gap} per period "
                     "[hm3]: {cells}",
    # per-party statistics
    "ens_header": "{basin}: {n} members x {months} months, {ok} solved",
    "ens_header_failed": ", {bad} without an allocation (status per member in the file)",
    "ens_shortage_horizon": "  shortage over the horizon [hm3]: mean {mean}  {cells}",
    "ens_shortage_year": "  shortage per year [hm3/yr]: mean {mean}  {cells}",
    "ens_storage": "  storage of {name} ({id}): lowest {low} hm3, P5 of member minima {p5} hm3 (dead {dead})",
    # where and how fast
    "ens_this_process": "this process",
    "ens_workers": "{workers} Dask worker(s) ({scheduler} cluster)",
    "ens_solved_on": "solved on {where}, {why}; {chunks} task(s) of <= {size} members",
    "ens_timing": "  start-up {startup} s (cluster), {warm} s (model build per worker); members {solve} s = {rate} "
                  "members/s; total {wall} s",
    "ens_retried": "  {n} member(s) re-run one by one after a Dask worker was lost",
    "ens_choice_asked": "as asked",
    "ens_choice_one_worker": "automatic: one worker is never faster than this process",
    "ens_choice_small": "automatic: {n} members x {steps} steps < {limit} member-steps (a cluster would not pay "
                        "for its start-up)",
    "ens_choice_large": "automatic: {n} members x {steps} steps >= {limit} member-steps",
    # the robust plan
    "ens_plan_header": "Robust Apr-Sep plan for {party} at {links} (CVaR alpha {alpha}, weight {weight}; value "
                       "{value}, penalty {penalty} per hm3)",
    "ens_plan_month": "month",
    "ens_plan_robust": "robust",
    "ens_plan_normal-year": "normal-year",
    "ens_plan_failed": "robust plan: {error}",
    # messages
    "ens_bad_members": "--members and --years must be >= 1",
    "ens_bad_years": "--years must be at most 100 (1,200 months)",
    "ens_out_is_dir": "it is a directory",
    "ens_out_no_dir": "the directory {dir} does not exist",
    "ens_out_not_writable": "the directory {dir} is not writable ({error})",
    "ens_cannot_write_before": "cannot write {path}: {why}; nothing was solved",
    "ens_no_scheduler": "cannot reach the Dask scheduler {scheduler!r}: {error}",
    "ens_cannot_write": "cannot write {path} ({error}); nothing was written there",
    "ens_wrote": "wrote {path}",
    "ens_band_head": "== Climate {year}: mean flow {change}, the {end} end of the published band (-25 ... -45 % in "
                     "25-50 years, Chu-Talas Water Commission) ==",
    "ens_band_low": "drier",
    "ens_band_high": "wetter",
    "ens_change_needs_year": "--climate-change needs --climate YEAR (the year the change is reached)",
}

RU_ENS: dict[str, str] = {
    # правила по сторонам
    "ens_role_entitlement": "право на воду (нижняя граница получения)",
    "ens_role_quota": "лимит на вегетационный период (нижняя граница получения)",
    "ens_role_ceiling": "предел водозабора",
    "ens_role_reported": "только отчёт",
    "ens_rule_head": "  {rule}, {role}:",
    "ens_reported_no_test": "{head} только отчёт, без проверки",
    "ens_enforced": "{head} обязательное (жёсткое ограничение этого режима) — выполнимо в {ok} из {n} членов "
                    "ансамбля",
    "ens_member_message": "    член ансамбля {member}: {message}",
    "ens_p_within_ceiling": "P(в пределах лимита)",
    "ens_p_met": "P(выполнено)",
    "ens_over_ceiling": "забор сверх предела",
    "ens_shortfall": "недобор",
    "ens_rule_line": "{head} {what} {p} членов-периодов, {every} членов ансамбля во всех периодах; {gap} за период "
                     "[млн м³]: {cells}",
    # статистика по сторонам
    "ens_header": "{basin}: {n} членов ансамбля x {months} мес., рассчитано {ok}",
    "ens_header_failed": ", {bad} без распределения (статус каждого члена в файле)",
    "ens_shortage_horizon": "  дефицит за горизонт [млн м³]: среднее {mean}  {cells}",
    "ens_shortage_year": "  дефицит за год [млн м³/год]: среднее {mean}  {cells}",
    "ens_storage": "  объём {name} ({id}): наименьший {low} млн м³, P5 минимумов членов ансамбля {p5} млн м³ "
                   "(мёртвый объём {dead})",
    # где и как быстро
    "ens_this_process": "этом процессе",
    "ens_workers": "{workers} процессах Dask (кластер {scheduler})",
    "ens_solved_on": "рассчитано в {where}, {why}; задач: {chunks}, по <= {size} членов ансамбля",
    "ens_timing": "  запуск {startup} с (кластер), {warm} с (построение модели на процесс); члены ансамбля {solve} с "
                  "= {rate} в секунду; всего {wall} с",
    "ens_retried": "  членов ансамбля пересчитано по одному после потери процесса Dask: {n}",
    "ens_choice_asked": "как задано",
    "ens_choice_one_worker": "автоматически: один процесс Dask никогда не быстрее этого процесса",
    "ens_choice_small": "автоматически: {n} членов ансамбля x {steps} шагов < {limit} (кластер не окупит свой "
                        "запуск)",
    "ens_choice_large": "автоматически: {n} членов ансамбля x {steps} шагов >= {limit}",
    # устойчивый план
    "ens_plan_header": "Устойчивый план на вегетационный период (апр–сен) для {party} на {links} (CVaR alpha "
                       "{alpha}, вес {weight}; ценность {value}, штраф {penalty} за млн м³)",
    "ens_plan_month": "месяц",
    "ens_plan_robust": "устойчивый",
    "ens_plan_normal-year": "средний год",
    "ens_plan_failed": "устойчивый план: {error}",
    # сообщения
    "ens_bad_members": "--members и --years должны быть >= 1",
    "ens_bad_years": "--years не больше 100 (1 200 месяцев)",
    "ens_out_is_dir": "это каталог",
    "ens_out_no_dir": "каталога {dir} нет",
    "ens_out_not_writable": "в каталог {dir} нельзя писать ({error})",
    "ens_cannot_write_before": "нельзя записать {path}: {why}; ничего не рассчитано",
    "ens_no_scheduler": "нет связи с планировщиком Dask {scheduler!r}: {error}",
    "ens_cannot_write": "нельзя записать {path} ({error}); туда ничего не записано",
    "ens_wrote": "записано: {path}",
    "ens_band_head": "== Климат {year}: средний сток {change}, {end} граница опубликованного диапазона (-25 ... -45 % "
                     "за 25-50 лет, Чу-Таласская водохозяйственная комиссия) ==",
    "ens_band_low": "маловодная",
    "ens_band_high": "многоводная",
    "ens_change_needs_year": "--climate-change требует --climate ГОД (год, к которому достигается изменение)",
}
