"""``chutalas basins`` (the bundled basins in a table) and ``chutalas check`` (validate a basin file and print
its one-screen summary). Every printed line goes through :func:`optimizer.interfaces.ui_text.t`."""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

import basins
from optimizer.interfaces.cli_common import EXIT_INPUT, EXIT_OK, _fmt_hm3, _load, _table, _unit, _word
from optimizer.interfaces.ui_text import number, t

# ---- chutalas basins ---------------------------------------------------------------------------

def _args_basins(p: argparse.ArgumentParser) -> None:
    pass


def _run_basins(args: argparse.Namespace) -> int:
    rows: list[list[str]] = []
    failed: list[tuple[str, basins.BasinError]] = []
    for bid in basins.available():
        try:
            b = basins.load(bid)
        except basins.BasinError as err:
            failed.append((bid, err))
            continue
        inflow = b.annual_inflow_hm3()
        normal = _fmt_hm3(inflow["normal"]) if "normal" in inflow.index else "-"
        rows.append([b.id, b.name, str(len(b.spec.nodes)), str(len(b.spec.links)), str(len(b.spec.reservoirs)),
                     normal])
    _table(rows, [t("cli_id"), t("cli_name"), t("cli_nodes"), t("cli_links"), t("cli_reservoirs"),
                  t("cli_normal_inflow")], sys.stdout,
           indent="", right={2, 3, 4, 5})
    for bid, exc in failed:
        print(t("cli_not_loaded", id=bid, error=exc), file=sys.stderr)
    return EXIT_INPUT if failed else EXIT_OK


# ---- chutalas check ----------------------------------------------------------------------------

def _args_check(p: argparse.ArgumentParser) -> None:
    p.add_argument("basin", metavar="BASIN_OR_PATH", help="a bundled basin id (chu, talas) or a basin file path")


def _receipt_str(r) -> str:
    parts = list(r.links) + [t("cli_inflow_of", node=n) for n in r.inflows]
    return ", ".join(parts) if parts else "-"


def summary(b: basins.Basin, out: TextIO) -> None:
    """One-screen summary of a validated basin."""
    spec = b.spec
    print(t("cli_ok", name=b.name, id=b.id, path=b.path if b.path is not None else t("cli_in_memory")), file=out)

    kinds: dict[str, list[str]] = {}
    for n in spec.nodes:
        kinds.setdefault(n.kind, []).append(n.id)
    print("\n" + t("cli_nodes_n", n=len(spec.nodes)), file=out)
    width = max([10] + [len(_word("kind_", k)) for k in kinds])
    for kind, ids in kinds.items():
        print(f"  {_word('kind_', kind):<{width}} {len(ids):>2}  {', '.join(ids)}", file=out)

    limited = [link for link in spec.links if link.capacity is not None or link.min_flow is not None]
    n_cap = sum(link.capacity is not None for link in spec.links)
    n_min = sum(link.min_flow is not None for link in spec.links)
    print("\n" + t("cli_links_n", n=len(spec.links), cap=n_cap, mins=n_min), file=out)
    rows = []
    for link in limited:
        cap = f"{link.capacity:g} {_unit(link.capacity_unit)}" if link.capacity is not None else t("cli_unlimited")
        mn = f"{link.min_flow:g} {_unit(link.min_flow_unit)}" if link.min_flow is not None else "-"
        fr = [f for _, f in link.loss_table] if link.loss_table else []
        loss = (t("cli_loss_by_flow", lo=min(fr), hi=max(fr)) if fr else f"{link.loss_fraction:.0%}")
        rows.append([link.id, f"{link.source} -> {link.target}", cap, loss, mn])
    if rows:
        _table(rows, [t("cli_link"), t("cli_from_to"), t("cli_capacity"), t("cli_loss"), t("cli_min_flow")], out,
               indent="    ", right={2, 3, 4})

    print("\n" + t("cli_reservoirs_n", n=len(spec.reservoirs)), file=out)
    if spec.reservoirs:
        _table([[r.node, number(r.capacity_hm3, ",g"), number(r.dead_storage_hm3, ",g"),
                 number(r.initial_storage_hm3, ",g")]
                for r in spec.reservoirs],
               [t("cli_node"), t("cli_capacity_hm3"), t("cli_dead_hm3"), t("cli_initial_hm3")], out,
               indent="    ", right={1, 2, 3})

    if spec.aquifers:
        print("\n" + t("cli_aquifers_n", n=len(spec.aquifers)), file=out)
        recharged = {a.node: [n.id for n in spec.nodes if n.recharge_to == a.node] for a in spec.aquifers}
        returns = {a.node: [d.node for d in spec.demands if d.return_node == a.node] for a in spec.aquifers}
        seeping = {a.node: [lk.id for lk in spec.links if lk.loss_to == a.node] for a in spec.aquifers}  # link seepage
        _table([[a.node, number(a.recession_per_month, "g"), number(a.initial_storage_hm3, ",g"), a.discharge_to,
                 ", ".join(recharged[a.node] + returns[a.node] + seeping[a.node]) or "-"] for a in spec.aquifers],
               [t("cli_node"), t("cli_recession"), t("cli_initial_hm3"), t("cli_discharges_to"),
                t("cli_recharged_by")], out,
               indent="    ", right={1, 2})

    annual_demand = b.effective_demand.sum("month")
    print("\n" + t("cli_demands_n", n=len(spec.demands), total=_fmt_hm3(float(annual_demand.sum()))), file=out)
    if spec.demands:
        _table([[d.node, d.party or "-", d.sector, str(d.priority), number(d.demand_factor, "g"),
                 _fmt_hm3(float(annual_demand.sel(node=d.node)))]
                for d in spec.demands],
               [t("cli_node"), t("cli_party"), t("cli_sector"), t("cli_priority"), t("cli_factor"),
                t("cli_demand_hm3_yr")], out,
               indent="    ", right={3, 4, 5})

    print("\n" + t("cli_natural_inflow"), file=out)
    inflow = b.annual_inflow_hm3()
    width = max([10] + [len(_word("year_type_", yt)) for yt in inflow.index])
    for yt, v in inflow.items():
        print(f"    {_word('year_type_', yt):<{width}} {_fmt_hm3(v):>8}", file=out)

    ag = spec.agreement
    print("\n" + t("cli_agreement", parties=", ".join(ag.parties), cost_sharing=ag.cost_sharing), file=out)
    for r in ag.share_rules:
        shares = ", ".join(f"{p} {s:.0%}" for p, s in r.shares.items())
        roles = ", ".join(f"{p} {_word('role_', role)}" for p, role in r.party_roles.items())
        print(t("cli_share_rule", id=r.id, shares=shares, n=len(r.resource_inflows), period=r.period,
                mode=_word("mode_", r.mode), roles=roles), file=out)
    for q in ag.quotas:
        print(t("cli_quota", id=q.id, party=q.party, volume=number(q.volume_hm3, ",g"), period=q.period,
                mode=_word("mode_", q.mode))
              + (t("cli_quota_penalty", penalty=q.penalty) if q.mode == "soft" else ""), file=out)
    for s in ag.storage_splits:
        shares = ", ".join(f"{p} {v:.0%}" for p, v in s.shares.items())
        roles = ", ".join(f"{p} {_word('role_', role)}" for p, role in s.party_roles.items())
        print(t("cli_storage_split", id=s.id, reservoir=s.reservoir, shares=shares, period=s.period,
                mode=_word("mode_", s.mode), roles=roles), file=out)
    for a in ag.storage_accounts:  # storage ownership accounts (optimizer/core/accounts.py)
        shares = ", ".join(f"{p} {v:.0%}" for p, v in a.shares.items())
        start = ", ".join(f"{p} {v:,g}" for p, v in a.initial_balance_hm3.items())
        print(t("cli_storage_accounts", id=a.id, reservoir=a.reservoir, shares=shares, start=start), file=out)
    for f in ag.facilities:
        print(t("cli_facility", id=f.id, name=f.name, host=f.host, cost=f.om_cost_usd_per_year), file=out)
    if not (ag.share_rules or ag.quotas or ag.storage_splits or ag.facilities or ag.storage_accounts):
        print(t("cli_no_rules"), file=out)


def _run_check(args: argparse.Namespace) -> int:
    summary(_load(args.basin), sys.stdout)
    return EXIT_OK

