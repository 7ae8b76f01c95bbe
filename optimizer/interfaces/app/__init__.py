"""The Streamlit app's parts, by concept; imports only downward (plain-data modules first, then pages):

* :mod:`.edits` — scenario edits as tables, their validation through ``basins.loads``, problems located in cells;
* :mod:`.results` — solve options and keys, result labels, the ledger in words and colours, comparisons;
* :mod:`.files` — uploads (validated) and downloads (NetCDF, ledger CSV);
* :mod:`.figures` — the Plotly figures of a solve;
* :mod:`.tradeoffs` — the trade-offs tab's tables and figures;
* :mod:`.season` — the season's schedule typed in the app: the editor's table, its checks, plan against fact;
* ``page_*`` — the Streamlit page sections (the only modules here that import Streamlit).

``optimizer/interfaces/streamlit_app.py`` is the script Streamlit runs; ``optimizer.interfaces.app_support`` re-exports
the plain-data functions under their old names.
"""
