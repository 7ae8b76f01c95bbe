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
    "schema.say_what_each_party": (
        "say what each party's share is: roles: {{KZ: entitlement, KG: ceiling}} (entitlement = floor on receipts, "
        "ceiling = cap on use, reported = information only)",
        "укажите, что означает доля каждой стороны: roles: {{KZ: entitlement, KG: ceiling}} (entitlement — "
        "нижняя граница получения, ceiling — верхний предел забора, reported — только для сведения)"),
    "schema.enforce_roles_disagree_drop": (
        "'enforce' and 'roles' disagree; drop 'enforce' (roles replaces it)",
        "'enforce' и 'roles' противоречат друг другу; удалите 'enforce' (его заменяет roles)"),
    "schema.unknown_key": (
        "unknown key {name!r}; check the spelling against the schema (basins/schema.py)",
        "неизвестный ключ {name!r}; проверьте написание по схеме (basins/schema.py)"),
    "schema.missing": ("is required but missing", "обязательно, но не задано"),
    # ---- pydantic's checks of the schema (English: pydantic's own text; Russian: by the error type) ----------
    "pydantic.value_error": ("{pydantic} (got {got})", "{reason} (получено {got})"),
    "pydantic.float_parsing": ("{pydantic} (got {got})", "должно быть числом (получено {got})"),
    "pydantic.float_type": ("{pydantic} (got {got})", "должно быть числом (получено {got})"),
    "pydantic.finite_number": ("{pydantic} (got {got})", "должно быть конечным числом (получено {got})"),
    "pydantic.int_parsing": ("{pydantic} (got {got})", "должно быть целым числом (получено {got})"),
    "pydantic.int_type": ("{pydantic} (got {got})", "должно быть целым числом (получено {got})"),
    "pydantic.int_from_float": ("{pydantic} (got {got})", "должно быть целым числом без дробной части (получено {got})"),
    "pydantic.greater_than_equal": ("{pydantic} (got {got})", "должно быть не меньше {ge} (получено {got})"),
    "pydantic.greater_than": ("{pydantic} (got {got})", "должно быть больше {gt} (получено {got})"),
    "pydantic.less_than_equal": ("{pydantic} (got {got})", "должно быть не больше {le} (получено {got})"),
    "pydantic.less_than": ("{pydantic} (got {got})", "должно быть меньше {lt} (получено {got})"),
    "pydantic.string_type": ("{pydantic} (got {got})", "должно быть текстом (получено {got})"),
    "pydantic.string_pattern_mismatch": ("{pydantic} (got {got})",
                                         "текст должен соответствовать шаблону '{pattern}' (получено {got})"),
    "pydantic.string_too_short": ("{pydantic} (got {got})",
                                  "текст должен содержать не менее {min_length} символов (получено {got})"),
    "pydantic.string_too_long": ("{pydantic} (got {got})",
                                 "текст должен содержать не более {max_length} символов (получено {got})"),
    "pydantic.too_short": ("{pydantic} (got {got})", "должно содержать не менее {min_length} элементов (получено {got})"),
    "pydantic.too_long": ("{pydantic} (got {got})", "должно содержать не более {max_length} элементов (получено {got})"),
    "pydantic.list_type": ("{pydantic} (got {got})", "должно быть списком (получено {got})"),
    "pydantic.dict_type": ("{pydantic} (got {got})", "должно быть словарём (получено {got})"),
    "pydantic.model_type": ("{pydantic} (got {got})", "должно быть словарём ключей (получено {got})"),
    "pydantic.model_attributes_type": ("{pydantic} (got {got})", "должно быть словарём ключей (получено {got})"),
    "pydantic.literal_error": ("{pydantic} (got {got})", "должно быть одним из значений: {expected} (получено {got})"),
    "pydantic.bool_type": ("{pydantic} (got {got})", "должно быть true или false (получено {got})"),
    "pydantic.bool_parsing": ("{pydantic} (got {got})", "должно быть true или false (получено {got})"),
    "pydantic.other": ("{pydantic} (got {got})", "недопустимое значение: {pydantic} (получено {got})"),
    # ---- files (basins/loading.py) -----------------------------------------------------------------------------
    "load.neither_bundled_basin_nor": (
        "is neither a bundled basin {available} nor a basin file (.yaml)",
        "не является ни встроенным бассейном {available}, ни файлом бассейна (.yaml)"),
    "load.not_basin_file_give": (
        "is not a basin file; give a .yaml file or a bundled basin id {available}",
        "не является файлом бассейна; укажите файл .yaml или id встроенного бассейна {available}"),
    "save.level_volume_missing": (
        "the level-volume table {path} does not exist, so it cannot be copied beside the saved basin; restore the "
        "file or remove level_volume from the reservoir",
        "таблица уровень–объём {path} не существует и не может быть скопирована рядом с сохраняемым бассейном; "
        "восстановите файл или удалите level_volume у водохранилища"),
    "load.give_exactly_one_series": (
        "give exactly one of 'series_files' (CSV paths) or 'series_inline' (CSV text)",
        "укажите ровно одно из двух: 'series_files' (пути к CSV) или 'series_inline' (текст CSV)"),
    "load.larger_than_mb_basin": (
        "is larger than {value} MB; a basin file is far smaller",
        "больше {value} МБ; файл бассейна намного меньше"),
    "load.larger_than_mb": ("is larger than {value} MB", "больше {value} МБ"),
    "load.uploaded_file_must_carry": (
        "an uploaded file must carry its series inline (series_inline); file paths are not followed",
        "загруженный файл должен содержать ряды внутри себя (series_inline); пути к файлам не открываются"),
    "load.must_relative_path_inside": (
        "{rel!r} must be a relative path inside the basin's folder tree",
        "{rel!r} должен быть относительным путём внутри папки бассейна"),
    "load.file_not_found_looked": (
        "file {rel!r} not found (looked in {value})",
        "файл {rel!r} не найден (искали в {value})"),
    "load.too_large_for_monthly": (
        "is too large for a monthly series file",
        "слишком велик для файла месячных рядов"),
    "load.not_found": ("not found", "не найден"),
    "load.rewrite_mismatch": (
        "the rewritten file does not read back the basin's values; nothing written (please report this)",
        "переписанный файл не даёт при чтении значений бассейна; ничего не записано (сообщите об этом)"),
    "load.not_utf_text_at": (
        "is not UTF-8 text ({reason} at byte {start}); save it as UTF-8",
        "не является текстом UTF-8 ({reason}, байт {start}); сохраните его в кодировке UTF-8"),
    # ---- series (basins/series.py) -----------------------------------------------------------------------------
    "series.cannot_read_as_csv": (
        "cannot be read as CSV ({exc}); fix the file's syntax",
        "не читается как CSV ({exc}); исправьте синтаксис файла"),
    "series.columns_must_exactly_missing": (
        "columns must be exactly {expected}; missing {missing}, unknown {extra}",
        "столбцы должны быть ровно {expected}; нет {missing}, лишние {extra}"),
    "series.give_number": (
        "is empty or NaN; give a number (no value is filled in)",
        "пусто или NaN; укажите число (значения не подставляются)"),
    "series.give_month": (
        "is empty or NaN; give a month number 1-12 (no value is filled in)",
        "пусто или NaN; укажите номер месяца 1–12 (значения не подставляются)"),
    "series.give_unit": (
        "is empty or NaN; give a unit (no value is filled in)",
        "пусто или NaN; укажите единицу измерения (значения не подставляются)"),
    "series.give_node": (
        "is empty or NaN; give a node id (no value is filled in)",
        "пусто или NaN; укажите id узла (значения не подставляются)"),
    "series.give_year_type": (
        "is empty or NaN; give a year type (no value is filled in)",
        "пусто или NaN; укажите тип года (значения не подставляются)"),
    "series.empty_nan_give_number": (
        "is empty or NaN ({value!r}); give a number (no value is filled in)",
        "пусто или NaN ({value!r}); укажите число (значения не подставляются)"),
    "series.not_month_number": (
        "{month!r} is not a month number 1-12", "{month!r} — не номер месяца 1–12"),
    "series.not_number": ("{value!r} is not a number", "{value!r} — не число"),
    "series.not_finite_value_correct": (
        "{value} is not a finite value >= 0; correct the data (values are never clipped)",
        "{value} — не конечное значение >= 0; исправьте данные (значения никогда не обрезаются)"),
    "series.larger_than_beyond_any": (
        "{value:g} is larger than {max:g}, beyond any real basin; correct the data (values are never clipped)",
        "{value:g} больше {max:g} — больше, чем в любом реальном бассейне; исправьте данные (значения никогда не "
        "обрезаются)"),
    "series.unknown_unit_use_one": (
        "unknown unit {unit!r}; use one of {kind}",
        "неизвестная единица {unit!r}; используйте одну из {kind}"),
    "series.repeats_earlier_row_s": (
        "repeats an earlier row's key; each key may appear once, delete one of the rows",
        "повторяет ключ одной из предыдущих строк; каждый ключ может встречаться один раз, удалите одну из строк"),
    "series.not_declared_basin_s": (
        "is not declared in the basin's year_types {year_type}",
        "не объявлен среди типов лет бассейна (year_types) {year_type}"),
    "series.not_node_basin_expected": (
        "is not a {kind} node of the basin; expected one of {nodes}",
        "не является узлом бассейна для ряда {kind}; ожидается один из {nodes}"),
    "series.missing_every_month_every": (
        "is missing; every month of every node needs a value",
        "отсутствует; для каждого месяца каждого узла нужно значение"),
    "series.more_missing_rows": ("{missing} more missing rows", "и ещё {missing} отсутствующих строк"),
    # ---- the network and the agreement (basins/network.py, basins/semantics.py) ------------------------------
    "net.basin_has_no_sink": (
        "the basin has no sink node; add one where the river leaves the basin",
        "в бассейне нет замыкающего узла (sink); добавьте его там, где река покидает бассейн"),
    "net.duplicate_rule_id": ("duplicate rule id", "повторяющийся id правила"),
    "net.not_one_basin_s": (
        "{year_type!r} is not one of the basin's year_types {year_types}",
        "{year_type!r} не входит в типы лет бассейна (year_types) {year_types}"),
    "net.duplicate_id": (
        "duplicate {what_word} id; ids must be unique",
        "повторяющийся id ({what_word}); id должны быть уникальными"),
    "net.link_cannot_end_where": (
        "a link cannot end where it starts", "звено не может заканчиваться там, где начинается"),
    "net.sink_water_does_not": (
        "{source!r} is a sink; water does not leave a sink by a link",
        "{source!r} — замыкающий узел (sink); вода не уходит из него по звену"),
    "net.receives_no_link_only": (
        "receives no link; only inflow nodes may start the network",
        "в узел не входит ни одно звено; начинать сеть могут только узлы притока"),
    "net.has_no_path_sink": (
        "has no path to a sink; add a link downstream",
        "нет пути к замыкающему узлу (sink); добавьте звено вниз по течению"),
    "net.applies_inflow_nodes_only": (
        "applies to inflow nodes only; remove it or make the node an inflow",
        "применяется только к узлам притока; удалите его или сделайте узел узлом притока"),
    "net.applies_inflow_nodes_only_2": (
        "applies to inflow nodes only", "применяется только к узлам притока"),
    "net.not_node_kind_aquifer": (
        "{node!r} is not a node of kind 'aquifer'", "{node!r} — не узел вида 'aquifer'"),
    "net.declared_twice": ("declared twice", "объявлен дважды"),
    "net.declared_twice_2": ("declared twice", "объявлен дважды"),
    "net.declared_twice_3": ("declared twice", "объявлен дважды"),
    "net.unknown_node": ("unknown node {discharge_to!r}", "неизвестный узел {discharge_to!r}"),
    "net.unknown_node_2": ("unknown node {node!r}", "неизвестный узел {node!r}"),
    "net.unknown_node_3": ("unknown node {spill_to!r}", "неизвестный узел {spill_to!r}"),
    "net.unknown_node_4": ("unknown node {node!r}", "неизвестный узел {node!r}"),
    "net.unknown_node_5": ("unknown node {return_node!r}", "неизвестный узел {return_node!r}"),
    "net.unknown_link": ("unknown link {lid!r}", "неизвестное звено {lid!r}"),
    "net.unknown_link_2": ("unknown link {lid!r}", "неизвестное звено {lid!r}"),
    "net.unknown_link_3": ("unknown link {lid!r}", "неизвестное звено {lid!r}"),
    "net.unknown_link_4": ("unknown link {lid!r}", "неизвестное звено {lid!r}"),
    "net.unknown_node_declare_under": (
        "unknown node {ref!r}; declare it under 'nodes' or fix the id",
        "неизвестный узел {ref!r}; объявите его в 'nodes' или исправьте id"),
    "net.aquifer_node_without_entry": (
        "is an aquifer node without an entry under 'aquifers'",
        "узел водоносного горизонта без записи в 'aquifers'"),
    "net.reservoir_node_without_entry": (
        "is a reservoir node without an entry under 'reservoirs'",
        "узел водохранилища без записи в 'reservoirs'"),
    "net.demand_node_without_entry": (
        "is a demand node without an entry under 'demands'",
        "узел водопользователя без записи в 'demands'"),
    "net.hm_above_capacity_hm": (
        "{dead_storage_hm3} hm3 is above the capacity {capacity_hm3} hm3; dead storage must not exceed the capacity",
        "{dead_storage_hm3} млн м³ больше полной ёмкости {capacity_hm3} млн м³; мёртвый объём не может превышать "
        "полную ёмкость"),
    "net.hm_outside_dead_storage": (
        "{initial_storage_hm3} hm3 is outside [dead storage {dead_storage_hm3}, capacity {capacity_hm3}] hm3; start "
        "the reservoir within its bounds",
        "{initial_storage_hm3} млн м³ вне диапазона [мёртвый объём {dead_storage_hm3}, полная ёмкость "
        "{capacity_hm3}] млн м³; начальный объём водохранилища должен быть в этих пределах"),
    "net.larger_than_area_km": (
        "is larger than area_km2_at_full; the full reservoir has the larger area",
        "больше area_km2_at_full; у полного водохранилища площадь больше"),
    "net.spill_would_go_demand": (
        "spill would go to the demand node {spill!r} (a demand cannot take more than it asks); set spill_to to a "
        "river node downstream",
        "холостой сброс пошёл бы в узел водопользователя {spill!r} (водопользователь не может взять больше своей "
        "потребности); укажите в spill_to речной узел ниже по течению"),
    "net.reservoir_has_no_outgoing": (
        "the reservoir has no outgoing link to spill into; add one or set spill_to",
        "у водохранилища нет исходящего звена для холостого сброса; добавьте его или укажите spill_to"),
    "net.node_kind_not_demand": (
        "node {node!r} is of kind {kind!r}, not 'demand'",
        "узел {node!r} имеет вид {kind!r}, а не 'demand'"),
    "net.node_kind_not_reservoir": (
        "node {node!r} is of kind {kind!r}, not 'reservoir'",
        "узел {node!r} имеет вид {kind!r}, а не 'reservoir'"),
    "net.demand_needs_party_kg": (
        "a demand needs a party (KG or KZ)", "у водопользователя должна быть сторона (KG или KZ)"),
    "net.return_fraction_needs_return": (
        "return_fraction > 0 needs a return_node", "при return_fraction > 0 нужен return_node"),
    "net.shares_sum_not_make": (
        "shares sum to {total:g}, not 1; make them add up to 1 (e.g. 0.42 + 0.58)",
        "сумма долей {total:g}, а не 1; доли должны давать в сумме 1 (например, 0.42 + 0.58)"),
    "net.shares_sum_not_make_2": (
        "shares sum to {total:g}, not 1; make them add up to 1 (e.g. 0.88 + 0.12)",
        "сумма долей {total:g}, а не 1; доли должны давать в сумме 1 (например, 0.88 + 0.12)"),
    "net.shares_sum_not": ("shares sum to {total:g}, not 1", "сумма долей {total:g}, а не 1"),
    "net.not_party_agreement": (
        "{party} is not a party of the agreement", "{party} не является стороной соглашения"),
    "net.not_party_agreement_2": (
        "{value} is not a party of the agreement {parties}", "{value} не является стороной соглашения {parties}"),
    "net.not_party_agreement_3": (
        "{value} is not a party of the agreement {parties}", "{value} не является стороной соглашения {parties}"),
    "net.not_declared_reservoir": (
        "{reservoir!r} is not a declared reservoir", "{reservoir!r} не объявлен как водохранилище"),
    "net.not_declared_reservoir_2": (
        "{reservoir!r} is not a declared reservoir", "{reservoir!r} не объявлен как водохранилище"),
    "net.not_declared_reservoir_3": (
        "{reservoir!r} is not a declared reservoir", "{reservoir!r} не объявлен как водохранилище"),
    "net.use_facilities_cost_sharing": (
        "use-of-facilities cost sharing needs the facility's water: set reservoir or controls",
        "для раздела затрат по использованию сооружений нужна вода сооружения: укажите reservoir или controls"),
    "net.not_facility_id_agreement": (
        "{facility!r} is not a facility id of agreement.facilities",
        "{facility!r} не является id сооружения из agreement.facilities"),
    "net.outside_documented_range": (
        "{prior} is outside its documented range [{min}, {max}]",
        "{prior} вне документированного диапазона [{min}, {max}]"),
    "net.above_observed_max_hm": (
        "{lo} is above observed_max_hm3 {hi}", "{lo} больше observed_max_hm3 {hi}"),
    "net.not_aquifer_node_name": (
        "{loss_to!r} is not an aquifer node; name an aquifer or remove loss_to",
        "{loss_to!r} — не узел водоносного горизонта; укажите водоносный горизонт или удалите loss_to"),
    "net.not_aquifer_node": (
        "{recharge_to!r} is not an aquifer node", "{recharge_to!r} — не узел водоносного горизонта"),
    "net.loss_table_rows": (
        "needs two rows or more [flow m3/s, loss fraction]: add rows or use loss_fraction",
        "нужно не меньше двух строк [расход м3/с, доля потерь]: добавьте строки или задайте loss_fraction"),
    "net.loss_table_flows": (
        "flows {flows} must be >= 0 and strictly increasing: sort the rows by flow and drop repeated flows",
        "расходы {flows} должны быть >= 0 и строго возрастать: отсортируйте строки по расходу, уберите повторы"),
    "net.loss_table_fractions": (
        "loss fractions {fractions} must be in [0, 1): a loss of 1 or more takes all the flow",
        "доли потерь {fractions} должны быть в [0, 1): потеря 1 и более забирает весь расход"),
    "net.loss_table_and_fraction": (
        "is given together with loss_fraction {loss_fraction}: keep one (remove loss_fraction)",
        "задана вместе с loss_fraction {loss_fraction}: оставьте одно (удалите loss_fraction)"),
    "net.applies_with_loss_only": (
        "applies with loss_to only: name the aquifer the seepage recharges",
        "применяется только вместе с loss_to: укажите водоносный горизонт, который пополняет фильтрация"),
    "net.has_no_effect_with": (
        "has no effect with loss_fraction 0 (nothing is lost); set the loss or remove loss_to",
        "не действует при loss_fraction 0 (потерь нет); задайте потери или удалите loss_to"),
    "net.has_no_effect_with_2": (
        "has no effect with channel_fraction 1 (nothing infiltrates)",
        "не действует при channel_fraction 1 (ничего не фильтруется)"),
    "net.node_groundwater_must_discharge": (
        "{discharge_to!r} is a {kind} node; groundwater must discharge to a river node (junction, border, reservoir "
        "or sink)",
        "{discharge_to!r} — узел вида {kind!r}; подземные воды должны разгружаться в речной узел (junction, border, "
        "reservoir или sink)"),
    "net.aquifer_groundwater_recharged_by": (
        "{ref!r} is an aquifer; groundwater is recharged by infiltration and returns and discharges by its "
        "recession, not by links",
        "{ref!r} — водоносный горизонт; подземные воды пополняются фильтрацией и возвратными водами и "
        "разгружаются по своей кривой истощения, а не по звеньям"),
    "net.less_seepage_net": (
        "less_seepage deducts the seeping part of the conveyance loss from a gross count, but this receipt is "
        "counted net (after the whole loss); write 'counted: gross' or drop less_seepage",
        "less_seepage вычитает фильтрационную часть потерь из учёта брутто, а этот учёт ведётся нетто (после всех "
        "потерь); укажите 'counted: gross' или уберите less_seepage"),
    "net.not_declared_demand_list": (
        "{d!r} is not a declared demand; list demand nodes whose return flow is deducted from this count",
        "{d!r} не объявлен как водопользователь; перечислите узлы водопользователей, чьи возвратные воды "
        "вычитаются из этого учёта"),
    "net.not_inflow_node": ("{nid!r} is not an inflow node", "{nid!r} — не узел притока"),
    "net.not_inflow_node_2": ("{nid!r} is not an inflow node", "{nid!r} — не узел притока"),
    "net.not_inflow_node_3": ("{nid!r} is not an inflow node", "{nid!r} — не узел притока"),
    "net.not_fraction": ("{value} is not a fraction in [0, 1]", "{value} — не доля в диапазоне [0, 1]"),
    "net.not_fraction_2": ("{value} is not a fraction in [0, 1]", "{value} — не доля в диапазоне [0, 1]"),
    "net.party_has_share_but": (
        "party {value} has a share but no receipts; say which links count as its water",
        "у стороны {value} есть доля, но нет получения (receipts); укажите, какие звенья считаются её водой"),
    "net.party_enforced_but_has": (
        "party {value} is enforced but has no share", "сторона {value} указана в enforce, но у неё нет доли"),
    "net.party_has_role_but": (
        "party {value} has a role but no share; give it a share or drop the role",
        "у стороны {value} есть роль, но нет доли; задайте долю или удалите роль"),
    "net.already_has_storage_accounts": (
        "{reservoir!r} already has storage accounts; one account entry per reservoir",
        "у {reservoir!r} уже есть счета объёма; одна запись счетов на водохранилище"),
    "net.party_has_share_but_2": (
        "party {value} has a share but no initial balance; give it in hm3",
        "у стороны {value} есть доля, но нет начального остатка; укажите его в млн м³"),
    "net.party_has_share_but_3": (
        "party {value} has a share but no release_to links; name the links its water takes",
        "у стороны {value} есть доля, но нет звеньев release_to; укажите звенья, по которым идёт её вода"),
    "net.has_no_share_this": ("{value} has no share in this account", "у {value} нет доли в этом счёте"),
    "net.not_volume_hm": (
        "{value} is not a volume in [0, {value2:g}] hm3", "{value} — не объём в диапазоне [0, {value2:g}] млн м³"),
    "net.balances_add_up_hm": (
        "the balances add up to {bal:g} hm3, but the reservoir starts with {above:g} hm3 above dead storage "
        "({initial_storage_hm3:g} - {dead_storage_hm3:g}); the accounts must own exactly the water above dead storage",
        "сумма остатков {bal:g} млн м³, а в водохранилище в начале {above:g} млн м³ сверх мёртвого объёма "
        "({initial_storage_hm3:g} - {dead_storage_hm3:g}); счетам должна принадлежать ровно вода сверх мёртвого "
        "объёма"),
    "net.entry_of_wrong_kind": (
        "{ref!r} is not a {what_word}; {name} applies to {what_word}s",
        "{ref!r} не подходит (нужен: {what_word}); {name} задаётся только для этого вида записей"),
    "net.exceeds_capacity": (
        "{min_flow} exceeds the capacity {capacity}", "{min_flow} больше пропускной способности {capacity}"),
    "net.min_flow_over_capacity_in_month": (
        "{min_flow:g} {min_flow_unit} exceeds the capacity {capacity:g} {capacity_unit} in month {months}",
        "{min_flow:g} {min_flow_unit} больше пропускной способности {capacity:g} {capacity_unit} в месяце {months}"),
    "net.min_flow_over_capacity_in_months": (
        "{min_flow:g} {min_flow_unit} exceeds the capacity {capacity:g} {capacity_unit} in months {months}",
        "{min_flow:g} {min_flow_unit} больше пропускной способности {capacity:g} {capacity_unit} в месяцах "
        "{months}"),
    "net.not_downstream_where_takes": (
        "{return_node!r} is not downstream of where {node!r} takes its water; return flow must re-enter below the "
        "intake",
        "{return_node!r} не ниже по течению места водозабора {node!r}; возвратные воды должны поступать ниже "
        "водозабора"),
    "sem.party_in_entry": ("{party} in {entry}", "{party} в записи {entry}"),
    "sem.fed_by_nothing_no": (
        "is fed by nothing: no inflow node, aquifer discharge or return flow reaches it (its links only come from "
        "nodes that are not fed either, e.g. a loop of junctions); connect it below an inflow node or remove it",
        "ничем не питается: к нему не доходят ни приток, ни разгрузка подземных вод, ни возвратные воды (его "
        "звенья идут только из узлов, которые тоже не питаются, например из кольца узлов); подключите его ниже "
        "узла притока или удалите"),
    "sem.link_listed_twice_water": (
        "link {lid!r} is listed twice; its water would be counted twice, delete the repeat",
        "звено {lid!r} указано дважды; его вода была бы учтена дважды, удалите повтор"),
    "sem.inflow_listed_twice_water": (
        "inflow {nid!r} is listed twice; its water would be counted twice, delete the repeat",
        "приток {nid!r} указан дважды; его вода была бы учтена дважды, удалите повтор"),
    "sem.listed_twice_resource_would": (
        "{nid!r} is listed twice; the resource would count its inflow twice, delete the repeat",
        "{nid!r} указан дважды; ресурс учёл бы его приток дважды, удалите повтор"),
    "sem.cycle_counted_again": (
        "is on the cycle {cycle} (links {links}) and counts as receipts of {users}: water circulating round the "
        "cycle would be counted again on every pass; remove or reverse one of the cycle's links (links must run "
        "downstream)",
        "входит в цикл {cycle} (звенья {links}) и учитывается как получение {users}: вода, циркулирующая по "
        "циклу, учитывалась бы заново на каждом круге; удалите или разверните одно из звеньев цикла (звенья "
        "должны идти вниз по течению)"),
    "sem.cycle_within_month": (
        "is on the cycle {cycle} (links {links}): water would circulate within the month; remove or reverse one of "
        "the cycle's links (links must run downstream)",
        "входит в цикл {cycle} (звенья {links}): вода циркулировала бы в пределах месяца; удалите или "
        "разверните одно из звеньев цикла (звенья должны идти вниз по течению)"),
    "sem.reservoir_cannot_spill_into": (
        "a reservoir cannot spill into itself; set spill_to to a river node downstream",
        "водохранилище не может сбрасывать воду само в себя; укажите в spill_to речной узел ниже по течению"),
    "sem.demand_node_with_no": (
        "is a demand node with no intake (no link ends at it), so it can never be served; add a link from a river "
        "node or canal to it",
        "узел водопользователя без водозабора (ни одно звено в него не входит), его потребность никогда не "
        "будет покрыта; добавьте звено к нему от речного узла или канала"),
    "sem.inflow_upstream_receipt_link": (
        "inflow {nid!r} is upstream of the receipt link {lid!r} ({way}): its water would be counted twice, once as "
        "inflow and again when it passes the link; remove the inflow or the link from these receipts",
        "приток {nid!r} выше по течению звена получения {lid!r} ({way}): его вода была бы учтена дважды — как "
        "приток и ещё раз при прохождении звена; удалите из этого получения приток или звено"),
    "sem.given_hard_rule_which": (
        "{tolerance:g} is given on a hard rule, which allows no shortfall, so it would be silently dropped; remove "
        "the tolerance or make the rule soft (mode: soft)",
        "{tolerance:g} задан для жёсткого правила, которое не допускает недодачи, и был бы молча отброшен; "
        "удалите допуск или сделайте правило мягким (mode: soft)"),
    "sem.upstream_reservoir_spilled_water": (
        "{value!r} is upstream of the reservoir ({back}): spilled water would flow back into {node!r} (a cycle "
        "through the spill); set spill_to to a node downstream of it",
        "{value!r} выше водохранилища по течению ({back}): сброшенная вода вернулась бы в {node!r} (цикл через "
        "холостой сброс); укажите в spill_to узел ниже по течению"),
    "sem.counts_as_receipts_both": (
        "{what_word} {value!r} counts as receipts of both {first} and {party}; the same water cannot be received "
        "by two parties, remove it from one of them",
        "{what_word} {value!r} учитывается в получении и {first}, и {party}; одну и ту же воду не могут получить "
        "обе стороны, удалите его у одной из них"),
}
