"""Russian labels of the app and the CLI: the same keys as :data:`optimizer.interfaces.ui_text.EN`, gathered
from the topic modules (``ui_text_<topic>.py`` hold each topic's English and Russian side by side).

Terms as the Chu-Talas Water Commission writes them: млн м³ (hm³), м³/с, декада, вегетационный период (апр–сен),
межвегетационный период (окт–мар), гидрологический год, Кыргызстан / Казахстан, Чу / Талас.
"""

from __future__ import annotations

from optimizer.interfaces.ui_text_app import RU_APP
from optimizer.interfaces.ui_text_calib import RU_CALIB
from optimizer.interfaces.ui_text_cli import RU_CLI
from optimizer.interfaces.ui_text_ensemble import RU_ENS
from optimizer.interfaces.ui_text_season import RU_SEASON
from optimizer.interfaces.ui_text_tables import RU_TABLES
from optimizer.interfaces.ui_text_tradeoffs import RU_TRADEOFFS

RU: dict[str, str] = {**RU_APP, **RU_TRADEOFFS, **RU_TABLES, **RU_SEASON, **RU_CALIB, **RU_CLI, **RU_ENS}
