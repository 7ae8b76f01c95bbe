"""The app's Plotly figures of one solve: allocation, demands, storage, border, costs, accounts, water values,
the network schematic, the water balance and the pinned-vs-current comparison. Units on every axis (hm³ per
month, hm³, USD); month names in the current language. No Streamlit here.
"""

from __future__ import annotations

import json
import math
import textwrap

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from basins import Basin

from optimizer.interfaces import ui_text
from optimizer.interfaces.app.results import party_totals
from optimizer.interfaces.ui_text import dataset_node_names, month_abbr, party_label, t

PARTY_COLOURS = {"KG": "#c8102e", "KZ": "#0090b8"}
KIND_SYMBOLS = {"inflow": "triangle-down", "reservoir": "square", "junction": "circle", "demand": "diamond",
                "border": "x", "sink": "star", "aquifer": "hexagon"}


def balance_period_label(name: str) -> str:
    """A water-balance period (``2024/25 hydrological year (Oct–Sep) — part in the horizon``, as
    optimizer.core.balance names it) in the current language."""
    if ui_text.get_language() == "en":
        return name
    out = name.replace(" — part in the horizon", t("period_partial"))
    for key in ("hydro-year", "year", "apr-sep", "oct-mar"):
        out = out.replace(ui_text.t(f"period_kind_{key}", lang="en"), t(f"period_kind_{key}"))
    return ui_text.period_label(out)


def fig_water_balance(wb: pd.DataFrame) -> go.Figure:
    """Water balance per party territory and period (Result.water_balance): what comes in (positive) and
    where it goes (negative bars), in hm³; the bars of each party and period sum to zero."""
    from optimizer.core.balance import IN_TERMS, OUT_TERMS

    # the party, then its period on lines of at most 26 characters (whole Russian labels ran into each other)
    x = ["<br>".join([party_label(party)] + [ln for part in balance_period_label(period).split(" — ")
                                             for ln in textwrap.wrap(part, 26)]) for period, party in wb.index]
    fig = go.Figure()
    for c in IN_TERMS + OUT_TERMS:
        sign = 1.0 if c in IN_TERMS else -1.0
        vals = sign * wb[c].to_numpy(dtype=float)
        if np.abs(vals).max(initial=0.0) < 1e-6:
            continue
        fig.add_bar(x=x, y=vals, name=t(f"wb_{c}"))
    fig.update_layout(barmode="relative")
    fig = _layout(fig, t("wb_title"), t("axis_hm3_period"), x="", height=520)
    fig.update_xaxes(tickangle=0)  # (the period on lines of its own under the party)
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.33, xanchor="left", x=0),  # 11 terms:
                      margin=dict(l=60, r=20, t=60, b=190))  # below the plot and its labels, clear of the title
    return fig



# ---- figures -------------------------------------------------------------------------------------
def _times(ds) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(ds["time"].values)


def _date_axis(fig: go.Figure, times, most: int = 12, **where) -> None:
    """Month ticks "Jan 2025" on a date axis, with month names in the current language (Plotly's own %b is
    English only): at most about 12 labelled ticks."""
    times = pd.DatetimeIndex(times)
    if ui_text.get_language() == "en" or not len(times):
        fig.update_xaxes(tickformat="%b %Y", **where)
        return
    step = max(1, math.ceil(len(times) / most))
    ticks = times[::step]
    fig.update_xaxes(tickmode="array", tickvals=list(ticks), hoverformat="%Y-%m",
                     ticktext=[f"{month_abbr(ts.month)} {ts.year}" for ts in ticks], **where)


def _wrapped(title: str, width: int = 85) -> str:
    """A chart title on two lines where it is longer than ``width`` characters (Plotly does not wrap, and cut
    the Russian titles at the right edge), broken at the space nearest its middle."""
    if len(title) <= width or " " not in title:
        return title
    mid = len(title) // 2
    cut = min((i for i, ch in enumerate(title) if ch == " "), key=lambda i: abs(i - mid))
    return title[:cut] + "<br>" + title[cut + 1:]


def _layout(fig: go.Figure, title: str, y: str, x: str | None = None, height: int = 420) -> go.Figure:
    # the title at the top of the figure and the legend just above the plot, with room for two lines of each
    # (a legend of two rows was drawn over the title)
    two = "<br>" in _wrapped(title)
    h = height + (20 if two else 0)
    fig.update_layout(title=dict(text=_wrapped(title), y=1 - 12 / h, yref="container", yanchor="top"),  # 12 px down
                      height=h, margin=dict(l=60, r=20, t=105 if two else 80, b=50),
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0, traceorder="normal"),
                      hovermode="x unified")
    fig.update_yaxes(title_text=y)
    fig.update_xaxes(title_text=x if x is not None else t("axis_month"))
    return fig


def share_roles(ds) -> dict[str, str]:
    """Each party's role under the Dataset's share rule (``entitlement``, ``ceiling``, ``reported``; the
    ``roles`` attribute of ``entitlement_hm3``), or ``share`` where a file predates it (no role claimed)."""
    if "entitlement_hm3" not in ds:
        return {}
    raw = ds["entitlement_hm3"].attrs.get("roles")
    return json.loads(raw) if raw else {str(p): "share" for p in ds["party"].values}


#: the dashed line of a party's share, by its role: an entitlement dashed, a ceiling dotted (a cap, not a target)
_SHARE_DASH = {"entitlement": "dash", "ceiling": "dot", "reported": "dashdot", "share": "dash"}


def fig_allocation(ds) -> go.Figure:
    """Stacked bars of water received (a ceiling party: used) per party, with each party's share of the
    resource as a line named by its role: an entitlement (a floor on its receipts) or a use ceiling (a cap)."""
    times = _times(ds)
    fig = go.Figure()
    if "party" not in ds.coords:
        return _layout(fig, t("chart_allocation"), t("u_hm3_month"))
    roles = share_roles(ds)
    for p in map(str, ds["party"].values):
        fig.add_bar(x=times, y=ds["received_hm3"].sel(party=p).values,
                    name=t("used" if roles.get(p) == "ceiling" else "received", party=p),
                    marker_color=PARTY_COLOURS.get(p))
    for p in map(str, ds["party"].values):
        role = roles.get(p, "share")
        # the line in black over the party's own colour: a line in the bars' colour vanished over them
        fig.add_scatter(x=times, y=ds["entitlement_hm3"].sel(party=p).values,
                        name=t(f"share_line_{role}", party=p), mode="lines+markers",
                        line=dict(color=PARTY_COLOURS.get(p), dash=_SHARE_DASH.get(role, "dash"), width=3),
                        marker=dict(size=7, line=dict(width=1.5, color="#111"),
                                    symbol="triangle-down" if role == "ceiling" else "circle"))
    fig.update_layout(barmode="stack")
    _date_axis(fig, times)
    return _layout(fig, t("chart_allocation"), t("u_hm3_month"))


def fig_demand(ds) -> go.Figure:
    """One panel per demand node: delivery (bars) against demand (line)."""
    times = _times(ds)
    dem = [str(d) for d in ds["demand"].values]
    cols = 2 if len(dem) > 1 else 1
    rows = max(1, math.ceil(len(dem) / cols))
    party = {str(d): str(p) for d, p in zip(ds["demand"].values, ds["demand_party"].values)}
    names = dict(zip(map(str, ds["node"].values), dataset_node_names(ds)))
    # the demand's name (a commissioner reads names, not ids), wrapped to the panel's width, and its state
    def titled(d: str) -> str:  # the party after the name, unless the name starts with it ("КР, восточная …")
        name, pl = names.get(d, d), party_label(party[d])
        return name if name.startswith((pl + ",", pl + " ", party[d] + " ", party[d] + ",")) else f"{name} ({pl})"

    titles = ["<br>".join(textwrap.wrap(titled(d), 48 if cols > 1 else 96))
              for d in dem]
    fig = make_subplots(rows=rows, cols=cols, vertical_spacing=(0.2 if rows > 1 else 0.1) / max(1, rows / 4),
                        subplot_titles=titles)
    for i, d in enumerate(dem):
        r, c = i // cols + 1, i % cols + 1
        fig.add_bar(x=times, y=ds["delivery_hm3"].sel(demand=d).values, name=t("delivery"),
                    marker_color=PARTY_COLOURS.get(party[d]), showlegend=i == 0, legendgroup="delivery",
                    row=r, col=c)
        fig.add_scatter(x=times, y=ds["demand_hm3"].sel(demand=d).values, name=t("demand"), mode="lines",
                        line=dict(color="#333", dash="dot"), showlegend=i == 0, legendgroup="demand", row=r, col=c)
        fig.update_yaxes(title_text=t("u_hm3_month"), row=r, col=c)
        last = r == rows or (r == rows - 1 and c == cols and len(dem) % cols)  # lowest panel of its column
        fig.update_xaxes(title_text=t("axis_month") if last else None, row=r, col=c)
        _date_axis(fig, times, most=12 // cols, row=r, col=c)
    fig.update_layout(title=t("chart_demand"), height=max(300, 260 * rows), margin=dict(l=60, r=20, t=100, b=50),
                      legend=dict(orientation="h", yanchor="bottom", y=1.04, xanchor="right", x=1),
                      hovermode="x unified")
    return fig


def fig_storage(ds) -> go.Figure:
    """Storage of each reservoir with its dead storage and full (capacity) lines."""
    times = _times(ds)
    res = [str(r) for r in ds["reservoir"].values]
    names = dict(zip(map(str, ds["node"].values), dataset_node_names(ds)))
    fig = make_subplots(rows=1, cols=max(1, len(res)), subplot_titles=[names.get(r, r) for r in res])
    for i, r in enumerate(res):
        c = i + 1
        fig.add_scatter(x=times, y=ds["storage_hm3"].sel(reservoir=r).values, name=t("storage"), mode="lines+markers",
                        line=dict(color="#1f77b4", width=3), showlegend=i == 0, legendgroup="s", row=1, col=c)
        for var, label, colour in (("capacity_hm3", "full_storage", "#2ca02c"),
                                   ("dead_storage_hm3", "dead_storage", "#7f7f7f")):
            v = float(ds[var].sel(reservoir=r))
            fig.add_scatter(x=[times[0], times[-1]], y=[v, v], name=t(label), mode="lines",
                            line=dict(color=colour, dash="dash"), showlegend=i == 0, legendgroup=label, row=1, col=c)
        fig.update_yaxes(title_text=t("u_hm3"), row=1, col=c, rangemode="tozero")
        fig.update_xaxes(title_text=t("axis_month"), row=1, col=c)
        _date_axis(fig, times, most=12 // len(res) if len(res) > 1 else 12, row=1, col=c)
    fig.update_layout(title=t("chart_storage"), height=400, margin=dict(l=60, r=20, t=90, b=50),
                      legend=dict(orientation="h", yanchor="bottom", y=1.08, xanchor="right", x=1),
                      hovermode="x unified")
    return fig


def border_links(ds) -> list[str]:
    kinds = dict(zip(map(str, ds["node"].values), map(str, ds["node_kind"].values)))
    return [str(lk) for lk, tgt in zip(ds["link"].values, ds["link_target"].values) if kinds.get(str(tgt)) == "border"]


def first_rule_period(basin: Basin) -> str:
    """The period kind of the basin's first share rule (what the border chart accumulates over)."""
    rules = basin.spec.agreement.share_rules
    return rules[0].period if rules else "year"


def fig_border(ds, period: str = "hydro-year") -> go.Figure | None:
    """What the first share rule compares: the downstream party's receipts at its posts against its
    entitlement, each accumulated over the rule's period (restarting at every period start), with the monthly
    flow across the border as bars."""
    links = border_links(ds)
    if not links:
        return None
    from optimizer.core.agreement import periods

    times = _times(ds)
    countries = dict(zip(map(str, ds["node"].values), map(str, ds["node_country"].values)))
    fig = go.Figure()
    names = dict(zip(map(str, ds["node"].values), dataset_node_names(ds)))
    for lk in links:  # (a link by the node it reaches: the border post)
        to = str(ds["link_target"].sel(link=lk).item())
        fig.add_bar(x=times, y=ds["delivered_hm3"].sel(link=lk).values, name=t("border_flow", link=names.get(to, lk)),
                    marker_color="#c6dbef")
    down = countries.get(str(ds["link_target"].sel(link=links[0]).item()), "KZ")
    if "party" in ds.coords and down in map(str, ds["party"].values):
        rec = ds["received_hm3"].sel(party=down).values
        ent = ds["entitlement_hm3"].sel(party=down).values
        colour = PARTY_COLOURS.get(down)
        for k, g in enumerate(periods(period, pd.DatetimeIndex(ds["time"].values))):  # one pair of lines a period
            idx = list(g.steps)
            x = [times[i] for i in idx]
            fig.add_scatter(x=x, y=np.cumsum(rec[idx]), mode="lines+markers", legendgroup="rec", showlegend=k == 0,
                            name=t("border_cum_received", party=down), line=dict(color=colour, width=2.5))
            fig.add_scatter(x=x, y=np.cumsum(ent[idx]), mode="lines", legendgroup="ent", showlegend=k == 0,
                            name=t("border_cum_required", party=down), line=dict(color=colour, dash="dash", width=2))
    _date_axis(fig, times)
    return _layout(fig, t("chart_border_cumulative", period=t(f"period_kind_{period}")), t("u_hm3"))


def border_party(ds) -> str:
    links = border_links(ds)
    if not links:
        return ""
    countries = dict(zip(map(str, ds["node"].values), map(str, ds["node_country"].values)))
    return countries.get(str(ds["link_target"].sel(link=links[0]).item()), "")


def fig_costs(costs: pd.DataFrame) -> go.Figure:
    """O&M cost of each facility split between the parties (USD over the horizon)."""
    fig = go.Figure()
    if "om" in costs:  # use of facilities: the O&M rows (capital works are one-off costs in their currency)
        costs = costs[costs["om"]]  # (the item in the reader's words: ui_text.costs_in_words)
    elif "item" in costs:
        costs = costs[costs["item"] == "O&M"]
    for p in sorted(costs["party"].unique()) if len(costs) else []:
        sub = costs[costs["party"] == p]
        pl = party_label(p)
        fig.add_bar(x=[ui_text.short_name(n) for n in sub["name"]], y=sub["cost_usd"],  # (the full name on hover)
                    name=pl, marker_color=PARTY_COLOURS.get(p), hovertext=list(sub["name"]),
                    customdata=np.c_[sub["share"].fillna(0) * 100, sub["water_hm3"]],
                    hovertemplate="%{hovertext}<br>" + pl + ": %{y:,.0f} " + t("u_usd") + " (%{customdata[0]:.0f} %, "
                                  "%{customdata[1]:,.0f} " + t("u_hm3") + ")<extra></extra>")
    fig.update_layout(barmode="stack")
    _layout(fig, t("chart_costs"), t("axis_usd"), x="", height=380)
    fig.update_layout(hovermode="closest")
    return fig


def fig_accounts(ds) -> go.Figure | None:
    """Storage ownership accounts: each party's balance (lines) and the releases made for it (bars) per
    reservoir with accounts, with the storage above dead storage that the balances add up to [hm³]."""
    if "account_hm3" not in ds:
        return None
    times = _times(ds)
    acc = ds["account_hm3"]
    res = [str(r) for r in acc["reservoir"].values if np.isfinite(acc.sel(reservoir=r).values).any()]
    names = dict(zip(map(str, ds["node"].values), dataset_node_names(ds)))
    fig = make_subplots(rows=1, cols=max(1, len(res)), subplot_titles=[names.get(r, r) for r in res])
    for i, r in enumerate(res):
        for p in map(str, acc["party"].values):
            v = acc.sel(reservoir=r, party=p).values
            if not np.isfinite(v).all():
                continue
            fig.add_scatter(x=times, y=v, name=t("account_balance", party=p), mode="lines+markers",
                            line=dict(color=PARTY_COLOURS.get(p), width=3), legendgroup=f"b{p}",
                            showlegend=i == 0, row=1, col=i + 1)
            fig.add_bar(x=times, y=ds["account_release_hm3"].sel(reservoir=r, party=p).values,
                        name=t("account_release", party=p), marker_color=PARTY_COLOURS.get(p), opacity=0.35,
                        legendgroup=f"r{p}", showlegend=i == 0, row=1, col=i + 1)
        above = (ds["storage_hm3"].sel(reservoir=r) - ds["dead_storage_hm3"].sel(reservoir=r)).values
        fig.add_scatter(x=times, y=above, name=t("account_total"), mode="lines", line=dict(color="#7f7f7f", dash="dash"),
                        legendgroup="tot", showlegend=i == 0, row=1, col=i + 1)
        fig.update_yaxes(title_text=t("u_hm3"), row=1, col=i + 1, rangemode="tozero")
        fig.update_xaxes(title_text=t("axis_month"), row=1, col=i + 1)
        _date_axis(fig, times, row=1, col=i + 1)  # (month names in the reader's language, not Plotly's English)
    fig.update_layout(title=t("chart_accounts"), height=400, margin=dict(l=60, r=20, t=90, b=50),
                      legend=dict(orientation="h", yanchor="bottom", y=1.08, xanchor="right", x=1),
                      hovermode="x unified", barmode="group")
    return fig


def fig_water_values(ds) -> go.Figure:
    """Heat map of node water values (node × month)."""
    times = _times(ds)
    wv = ds["water_value"].transpose("node", "time")
    # the nodes by name (a reader's words), the id kept for the hover (what a modeller searches the file for)
    ids = [str(n) for n in ds["node"].values]
    names = dataset_node_names(ds)
    if len(set(names)) < len(names):  # one row per node: a repeated name is told apart by its id
        names = [f"{n} ({i})" if names.count(n) > 1 else n for n, i in zip(names, ids)]
    fig = go.Figure(go.Heatmap(z=wv.values, x=[f"{month_abbr(ts.month)} {ts.year}" for ts in times],
                               y=names, customdata=[[i] * len(times) for i in ids], colorscale="YlGnBu",
                               colorbar=dict(title=dict(text=t("axis_water_value"), side="right")),
                               hovertemplate="%{y} (%{customdata}), %{x}: %{z:,.2f}<extra></extra>"))
    _layout(fig, t("chart_water_values"), t("axis_node"), height=max(380, 22 * ds.sizes["node"] + 140))
    fig.update_layout(hovermode="closest")
    fig.update_yaxes(autorange="reversed")
    return fig


def schematic_positions(ds, stretch: float = 2.5) -> tuple[dict[str, float], dict[str, float]]:
    """Node positions (lon, lat) for the schematic: the real ones, except that a sink far downstream (the
    lower Shu lakes, the Moiynkum sands) is drawn at most ``stretch`` × the median link length from the node
    feeding it, in the same direction, so that it does not squeeze the rest of the network into a corner."""
    nodes = [str(n) for n in ds["node"].values]
    lon = dict(zip(nodes, map(float, ds["node_lon"].values)))
    lat = dict(zip(nodes, map(float, ds["node_lat"].values)))
    ends = list(zip(map(str, ds["link_source"].values), map(str, ds["link_target"].values)))
    lengths = [math.hypot(lon[a] - lon[b], lat[a] - lat[b]) for a, b in ends]
    if not lengths:
        return lon, lat
    limit = stretch * float(np.median(lengths))
    kinds = dict(zip(nodes, map(str, ds["node_kind"].values)))
    for (a, b), length in zip(ends, lengths):
        if kinds.get(b) == "sink" and length > limit:
            f = limit / length
            lon[b], lat[b] = lon[a] + f * (lon[b] - lon[a]), lat[a] + f * (lat[b] - lat[a])
    return lon, lat


def map_label(name: str, width: int = 24, lines: int = 2) -> str:
    """A node's label on the schematic: its name without the parenthesis (which the hover keeps), wrapped to
    ``lines`` lines of about ``width`` characters (Plotly ``<br>``), the rest cut with an ellipsis."""
    short = ui_text.short_name(name)
    parts = textwrap.wrap(short, width, break_on_hyphens=False) or [short]
    if len(parts) > lines:
        parts = parts[:lines]
        parts[-1] = parts[-1].rstrip(" ,;") + "…"
    return "<br>".join(parts)


#: which nodes get a label first where labels would overlap (the rest are named in the hover)
_LABEL_ORDER = ("reservoir", "border", "demand", "inflow", "sink", "aquifer")
#: where a label may go, tried in this order: Plotly textposition → the box's offset from the marker [px]
_LABEL_PLACES = {"top center": (0.0, 1.0), "bottom center": (0.0, -1.0), "middle right": (1.0, 0.0),
                 "middle left": (-1.0, 0.0)}


def labelled(nodes: list[str], kinds: list[str], lon: dict, lat: dict, names: list[str],
             size_px: tuple[float, float] = (950.0, 480.0)) -> dict[str, str]:
    """Where each labelled node's label is drawn (node → Plotly textposition): in the order of
    :data:`_LABEL_ORDER`, a node's label (:func:`map_label`, about 6 px a character and 15 px a line at the
    plot's ``size_px``, with a 4 px margin) goes to the first place of :data:`_LABEL_PLACES` where it overlaps
    no label already placed, and is left out (the node named in its hover only) where there is none; junctions
    are never labelled."""
    xs, ys = [lon[n] for n in nodes], [lat[n] for n in nodes]
    kx = size_px[0] / max(max(xs) - min(xs), 1e-9)
    ky = size_px[1] / max(max(ys) - min(ys), 1e-9)
    boxes: list[tuple[float, float, float, float]] = []  # x0, y0, x1, y1 [px]
    out: dict[str, str] = {}
    rank = {k: i for i, k in enumerate(_LABEL_ORDER)}
    for i in sorted((i for i, k in enumerate(kinds) if k in rank), key=lambda i: (rank[kinds[i]], i)):
        lines = map_label(names[i]).split("<br>")
        w, h = 6.0 * max(map(len, lines)) + 8.0, 15.0 * len(lines) + 4.0
        x, y = lon[nodes[i]] * kx, lat[nodes[i]] * ky
        for place, (dx, dy) in _LABEL_PLACES.items():
            cx, cy = x + dx * (w / 2 + 8.0), y + dy * (h / 2 + 10.0)  # the box's centre, 8-10 px off the marker
            box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
            if all(box[2] <= b[0] or b[2] <= box[0] or box[3] <= b[1] or b[3] <= box[1] for b in boxes):
                boxes.append(box)
                out[nodes[i]] = place
                break
    return out


def fig_network(ds, month: int | None = None) -> go.Figure:
    """Schematic of the network from node lat/lon (no map tiles): link width ∝ flow in ``month`` (an index
    into the horizon) or the mean over the horizon (None). Nodes are labelled by name (:func:`map_label`; the
    hover gives the whole name and the id), junctions on hover only."""
    nodes = [str(n) for n in ds["node"].values]
    names = dataset_node_names(ds)
    name_of = dict(zip(nodes, names))
    lon, lat = schematic_positions(ds)
    flow = ds["flow_hm3"].mean("time") if month is None else ds["flow_hm3"].isel(time=int(month))
    fmax = float(flow.max()) if flow.size and float(flow.max()) > 0 else 1.0
    fig = go.Figure()
    mid_x, mid_y, mid_text = [], [], []
    for lk, src, tgt in zip(map(str, ds["link"].values), map(str, ds["link_source"].values),
                            map(str, ds["link_target"].values)):
        f = float(flow.sel(link=lk))
        width = 1.0 + 14.0 * f / fmax
        fig.add_scatter(x=[lon[src], lon[tgt]], y=[lat[src], lat[tgt]], mode="lines", hoverinfo="skip",
                        line=dict(width=width, color="#3182bd" if f > 1e-6 else "#c6dbef"), showlegend=False)
        mid_x.append((lon[src] + lon[tgt]) / 2)
        mid_y.append((lat[src] + lat[tgt]) / 2)
        mid_text.append(t("network_link_hover", link=lk, source=name_of[src], target=name_of[tgt], flow=f))
    if "discharge_hm3" in ds:  # an aquifer has no links: a dotted line to where its baseflow surfaces
        q = ds["discharge_hm3"].mean("time") if month is None else ds["discharge_hm3"].isel(time=int(month))
        for aq, tgt in zip(map(str, ds["aquifer"].values), map(str, ds["discharge_to"].values)):
            f = float(q.sel(aquifer=aq))
            fig.add_scatter(x=[lon[aq], lon[tgt]], y=[lat[aq], lat[tgt]], mode="lines", hoverinfo="skip",
                            line=dict(width=1.0 + 14.0 * f / fmax, color="#74c476", dash="dot"), showlegend=False)
            mid_x.append((lon[aq] + lon[tgt]) / 2)
            mid_y.append((lat[aq] + lat[tgt]) / 2)
            mid_text.append(t("network_discharge_hover", aquifer=name_of[aq], target=name_of[tgt], flow=f))
    fig.add_scatter(x=mid_x, y=mid_y, mode="markers", marker=dict(size=6, color="rgba(49,130,189,0.35)"),
                    text=mid_text, hoverinfo="text", showlegend=False)
    kinds = list(map(str, ds["node_kind"].values))
    country = list(map(str, ds["node_country"].values))
    shown = labelled(nodes, kinds, lon, lat, names)
    for kind in dict.fromkeys(kinds):
        idx = [i for i, k in enumerate(kinds) if k == kind]
        fig.add_scatter(
            x=[lon[nodes[i]] for i in idx], y=[lat[nodes[i]] for i in idx],
            mode="markers" if kind == "junction" else "markers+text",  # junction names on hover only
            name=t(f"kind_{kind}"), text=[map_label(names[i]) if nodes[i] in shown else "" for i in idx],
            textposition=[shown.get(nodes[i], "top center") for i in idx],
            textfont=dict(size=9), hovertext=[t("network_node_hover", node=nodes[i], kind=t(f"kind_{kind}"),
                                                 country=party_label(country[i]), name=names[i]) for i in idx], hoverinfo="text",
            marker=dict(size=13, symbol=KIND_SYMBOLS.get(kind, "circle"),
                        color=[PARTY_COLOURS.get(country[i], "#555") for i in idx],
                        line=dict(width=1, color="#222")))
    fig.update_yaxes(title_text=t("axis_lat"))
    fig.update_xaxes(title_text=t("axis_lon"))
    # the legend below the plot: its node kinds take three rows in Russian and would cover the title above
    fig.update_layout(title=t("chart_network"), height=700, margin=dict(l=60, r=20, t=60, b=150),
                      legend=dict(orientation="h", yanchor="top", y=-0.12, xanchor="left", x=0),
                      hovermode="closest", plot_bgcolor="#f7f9fb")
    return fig


def fig_compare(pinned, current) -> go.Figure:
    """Grouped bars per party: received and shortage, pinned vs current."""
    a, b = party_totals(pinned), party_totals(current)
    fig = make_subplots(rows=1, cols=2, subplot_titles=[t("compare_received"), t("compare_shortage")])
    for label, s, colour in ((t("compare_pinned"), a, "#9e9e9e"), (t("compare_current"), b, "#3182bd")):
        for c, col in enumerate(("received_hm3", "shortage_hm3"), start=1):
            fig.add_bar(x=list(s.index), y=s[col].values if len(s) else [], name=label, marker_color=colour,
                        showlegend=c == 1, legendgroup=label, row=1, col=c)
            fig.update_yaxes(title_text=t("u_hm3"), row=1, col=c)
            fig.update_xaxes(title_text=t("axis_party"), row=1, col=c)
    fig.update_layout(title=t("chart_compare"), barmode="group", height=380, margin=dict(l=60, r=20, t=90, b=50),
                      legend=dict(orientation="h", yanchor="bottom", y=1.08, xanchor="right", x=1))
    return fig

