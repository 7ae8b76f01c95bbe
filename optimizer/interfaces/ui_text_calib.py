"""Labels of ``chutalas calibrate`` (optimizer/interfaces/cli_calibrate.py) in English (:data:`EN_CALIB`) and Russian
(:data:`RU_CALIB`); merged into :data:`optimizer.interfaces.ui_text.EN` / ``RU`` (use
:func:`optimizer.interfaces.ui_text.t`).
"""

from __future__ import annotations

EN_CALIB: dict[str, str] = {
    # chutalas calibrate (optimizer/interfaces/cli_calibrate.py)
    "calib_header": "Calibration of {basin}: status quo, {year_type} year (cyclic storage {storage} hm³)",
    "calib_method": "method: {method}; {iterations} iterations, {evaluations} LP runs; cost {cost:.5f}",
    "calib_widened": "; ranges widened (--allow-outside)",
    "calib_parameters": "Parameters:",
    "calib_param_line": "  {id:<26} {field:<19} prior {prior:<6g} range [{lo:g}, {hi:g}]  -> {value:.4f}{bound}{flag}",
    "calib_at_bound": " (at {bound})",
    "calib_bound_min": "min",
    "calib_bound_max": "max",
    "calib_flagged": "  FLAGGED: outside its documented range by {by:+.4f}",
    "calib_targets": "Targets (tolerance {tol:.0%}):",
    "calib_target_line": "  {id:<26} {party} {period:<8} observed {obs:>8,.1f}{rng:<12} modelled {mod:>8,.1f}  "
                         "error {err:+6.1f} %  {status}",
    "calib_ok": "ok",
    "calib_missed_word": "MISSED",
    "calib_within": "Within the documented ranges the fit reached:",
    "calib_within_line": "  {id:<26} modelled {mod:>8,.1f}  error {err:+6.1f} %  {status}",
    "calib_ident_title": "Identifiability at the fitted values (sensitivity: change of the targets, as a share of "
                         "the observed volume, per range-width; correlation {basis}):",
    "calib_basis_data": "from (JᵀJ)⁻¹ of the targets",
    "calib_basis_prior": "from (JᵀJ + λ²I)⁻¹: JᵀJ of the targets alone is singular, only the prior separates "
                         "what the targets cannot",
    "calib_ident_header": "  parameter                  range             value    bound  sensitivity  resolution  "
                          "max |corr| (with)                 identifiable",
    "calib_ident_line": "  {id:<26} {rng:<16}  {value:>8.4f}  {bound:<5}  {sens:>11.4f}  {res:>10.2f}  "
                        "{corr:>5.2f} ({other:<26})  {ident} {issues}",
    "calib_yes": "yes",
    "calib_no": "NO:",
    "calib_issue_zero_sensitivity": "no target responds to it",
    "calib_issue_unresolved": "in a direction the targets cannot see",
    "calib_issue_correlated": "|corr| {corr:.2f} with {other}",
    "calib_issue_collinear": "the targets respond to it as to {other} (|cos| {cos:.2f})",
    "calib_issue_at_bound": "at a bound",
    "calib_more_params": "{n} parameters, {m} targets: MORE PARAMETERS THAN TARGETS. The targets fix at most {m} "
                         "combinations of them (rank {rank}); the rest is set by the prior, not by the data.",
    "calib_params_targets": "{n} parameters, {m} targets (rank {rank}).",
    "calib_groups": "The targets cannot tell apart: {groups}",
    "calib_all_identifiable": "Every parameter is identifiable from the targets.",
    "calib_error": "chutalas calibrate: {error}",
    "calib_wrote": "wrote {path}",
    "calib_flagged_err": "FLAGGED {id} = {value:g} is outside its documented range [{lo:g}, {hi:g}]",
    "calib_missed_err": "MISSED {id}: modelled {mod:,.1f} hm³, observed {obs:,.1f} hm³ ({err:+.1f} % outside the "
                        "measured range; tolerance {tol:.0%})",
    "calib_named_title": "Named-year calibration of {basin}: fitted on {fitted}, held out {held} (status quo, each "
                         "year its own inflow, cyclic storage or, where published, the reservoirs' storage of 31 Dec "
                         "the year before; {iterations} iterations, {evaluations} LP-year runs)",
    "calib_named_inflow": "  inflow {year}: {note}",
    "calib_named_header": "  year  role        figure                                                     period     "
                          "             observed  modelled  error %  | file values: modelled  error %",
    "calib_named_line": "  {year}  {role:<10}  {label:<58} {start}..{end}  {obs:>8,.1f}  {mod:>8,.1f}  {err:>+7.1f}  |"
                        "               {file:>8,.1f}  {ferr:>+7.1f}",
    "calib_role_fitted": "fitted",
    "calib_role_validation": "validation",
}

RU_CALIB: dict[str, str] = {
    # chutalas calibrate (optimizer/interfaces/cli_calibrate.py)
    "calib_header": "Калибровка {basin}: существующий режим, {year_type} год (циклические запасы {storage} млн м³)",
    "calib_method": "метод: {method}; итераций {iterations}, расчётов ЛП {evaluations}; стоимость {cost:.5f}",
    "calib_widened": "; диапазоны расширены (--allow-outside)",
    "calib_parameters": "Параметры:",
    "calib_param_line": "  {id:<26} {field:<19} априори {prior:<6g} диапазон [{lo:g}; {hi:g}]  -> {value:.4f}{bound}{flag}",
    "calib_at_bound": " (на {bound})",
    "calib_bound_min": "мин.",
    "calib_bound_max": "макс.",
    "calib_flagged": "  ОТМЕЧЕНО: вне документированного диапазона на {by:+.4f}",
    "calib_targets": "Цели (допуск {tol:.0%}):",
    "calib_target_line": "  {id:<26} {party} {period:<8} измерено {obs:>8,.1f}{rng:<12} модель {mod:>8,.1f}  "
                         "ошибка {err:+6.1f} %  {status}",
    "calib_ok": "да",
    "calib_missed_word": "НЕ ДОСТИГНУТА",
    "calib_within": "В документированных диапазонах подбор достиг:",
    "calib_within_line": "  {id:<26} модель {mod:>8,.1f}  ошибка {err:+6.1f} %  {status}",
    "calib_ident_title": "Идентифицируемость при подобранных значениях (чувствительность: изменение целей в долях "
                         "измеренного объёма на ширину диапазона; корреляция {basis}):",
    "calib_basis_data": "по (JᵀJ)⁻¹ целей",
    "calib_basis_prior": "по (JᵀJ + λ²I)⁻¹: JᵀJ одних целей вырождена, то, что цели не различают, разделяет "
                         "только априорное значение",
    "calib_ident_header": "  параметр                   диапазон          значение граница чувствит.  разрешение  "
                          "макс. |корр| (с)                  идентифицируем",
    "calib_ident_line": "  {id:<26} {rng:<16}  {value:>8.4f}  {bound:<5}  {sens:>11.4f}  {res:>10.2f}  "
                        "{corr:>5.2f} ({other:<26})  {ident} {issues}",
    "calib_yes": "да",
    "calib_no": "НЕТ:",
    "calib_issue_zero_sensitivity": "ни одна цель на него не реагирует",
    "calib_issue_unresolved": "в направлении, которого цели не видят",
    "calib_issue_correlated": "|корр| {corr:.2f} с {other}",
    "calib_issue_collinear": "цели реагируют на него так же, как на {other} (|cos| {cos:.2f})",
    "calib_issue_at_bound": "на границе",
    "calib_more_params": "{n} параметров, {m} целей: ПАРАМЕТРОВ БОЛЬШЕ, ЧЕМ ЦЕЛЕЙ. Цели задают не более {m} "
                         "их комбинаций (ранг {rank}); остальное задаёт априорное значение, а не данные.",
    "calib_params_targets": "{n} параметров, {m} целей (ранг {rank}).",
    "calib_groups": "Цели не различают: {groups}",
    "calib_all_identifiable": "Каждый параметр идентифицируем по целям.",
    "calib_error": "chutalas calibrate: ошибка: {error}",
    "calib_wrote": "записано: {path}",
    "calib_flagged_err": "ОТМЕЧЕНО {id} = {value:g} вне документированного диапазона [{lo:g}; {hi:g}]",
    "calib_missed_err": "НЕ ДОСТИГНУТА {id}: модель {mod:,.1f} млн м³, измерено {obs:,.1f} млн м³ ({err:+.1f} % вне "
                        "измеренного диапазона; допуск {tol:.0%})",
    "calib_named_title": "Калибровка {basin} по именованным годам: подбор по {fitted}, проверка на {held} "
                         "(существующий режим, каждый год со своим притоком, циклические запасы или, где "
                         "опубликованы, запасы водохранилищ на 31 декабря предыдущего года; итераций "
                         "{iterations}, расчётов ЛП-лет {evaluations})",
    "calib_named_inflow": "  приток {year}: {note}",
    "calib_named_header": "  год   роль        показатель                                                 период     "
                          "             измерено  модель    ошибка % | значения файла: модель  ошибка %",
    "calib_named_line": "  {year}  {role:<10}  {label:<58} {start}..{end}  {obs:>8,.1f}  {mod:>8,.1f}  {err:>+7.1f}  |"
                        "               {file:>8,.1f}  {ferr:>+7.1f}",
    "calib_role_fitted": "подбор",
    "calib_role_validation": "проверка",
}
