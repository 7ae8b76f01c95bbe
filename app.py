"""Streamlit entry point of a checkout: ``streamlit run app.py``.

The app itself is ``optimizer/interfaces/streamlit_app.py`` (inside the package, so a wheel ships it and
``chutalas app`` finds it through ``importlib.resources``); this file runs it on every Streamlit rerun.
"""

import runpy
from importlib.resources import as_file, files

with as_file(files("optimizer.interfaces") / "streamlit_app.py") as _script:
    runpy.run_path(str(_script), run_name="__main__")
