r"""The allocation LP of :mod:`optimizer.core.model` assembled as arrays (numpy / scipy.sparse) for HiGHS.

The same LP as :func:`optimizer.core.model.build` — the docstring there is the spec, and
``tests/test_assemble.py`` proves the two give the same matrix, bounds, costs and row bounds (to 1e-12, rows
and columns matched by name) for both bundled basins and every operation — written as one COO block per
equation family. Variables are index blocks: ``x[l, t]`` is column ``lp.col["x"][l_index, t]``; rows likewise
(``lp.row["balance"][n_index, t]``). Each row is oriented as Pyomo writes it (an equality or ``a ≥ b`` with
a constant side keeps its variable side as the row; ``a ≥ b`` with variables on both sides becomes
``b − a ≤ 0``), so that the duals have Pyomo's signs too.

The LP goes to HiGHS in one ``passModel`` (:class:`ArrayLP`, ``optimizer.core.assemble_highs``) and the
primal values and duals come back as arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from basins.network import spill_node

from optimizer.core import accounts, bed_loss, fairshare
from optimizer.core import model as M  # the cost constants are read from it at each call (as model.build does)
from optimizer.core.model import INF, Inputs
from optimizer.core.physics import physics_arrays


@dataclass
class Blocks:
    """Named index blocks (columns or rows): ``keys`` of each block × T steps (or a single index: T = 0)."""

    start: dict[str, int] = field(default_factory=dict)
    keys: dict[str, list] = field(default_factory=dict)
    steps: dict[str, int] = field(default_factory=dict)
    n: int = 0

    def add(self, name: str, keys: list, T: int) -> np.ndarray:
        """Indices of a new block: shape (len(keys), T), or (len(keys),) when T == 0."""
        size = len(keys) * max(T, 1)
        self.start[name], self.keys[name], self.steps[name] = self.n, list(keys), T
        idx = np.arange(self.n, self.n + size)
        self.n += size
        return idx.reshape(len(keys), T) if T else idx

    def index(self, name: str) -> np.ndarray:
        T, k = self.steps[name], len(self.keys[name])
        idx = np.arange(self.start[name], self.start[name] + k * max(T, 1))
        return idx.reshape(k, T) if T else idx

    def label(self, j: int) -> tuple[str, tuple]:
        """(block, Pyomo index as a flat tuple) of index ``j``, e.g. ("x", ("CH_L1", 3))."""
        for name, s in self.start.items():
            T = self.steps[name]
            if s <= j < s + len(self.keys[name]) * max(T, 1):
                i = j - s
                key = self.keys[name][i // T if T else i]
                key = key if isinstance(key, tuple) else (key,)
                return name, key + ((i % T,) if T else ())
        raise IndexError(j)

    def names(self) -> list[str]:
        """``block[key,t]`` of every index, in index order: :func:`optimizer.core.second_stage.column_name` of
        (block, flat Pyomo index), the names stage 2's tie costs are derived from (the same on the Pyomo path)."""
        out: list[str] = []
        for name in sorted(self.start, key=self.start.__getitem__):
            T = self.steps[name]
            for key in self.keys[name]:
                k = ",".join(map(str, key if isinstance(key, tuple) else (key,)))
                out.extend([f"{name}[{k},{t}]" for t in range(T)] if T else [f"{name}[{k}]"])
        assert len(out) == self.n
        return out


@dataclass
class Assembled:
    """min cost·v + offset  s.t.  row_lo ≤ A v ≤ row_hi,  col_lo ≤ v ≤ col_hi."""

    A: sp.csc_matrix
    cost: np.ndarray
    offset: float
    col_lo: np.ndarray
    col_hi: np.ndarray
    row_lo: np.ndarray
    row_hi: np.ndarray
    col: Blocks
    row: Blocks
    #: what :func:`inflow_row_bounds` needs to re-write the inflow-dependent bounds (:func:`inflow_maps`)
    inflow_parts: dict | None = None
    #: the infeasibility diagnosis's relaxation (``assemble(elastic=True)``), not the allocation LP
    elastic: bool = False

    @property
    def shape(self) -> tuple[int, int]:
        return self.A.shape


class _Terms:
    """COO triplets of the matrix: ``add(rows, cols, coef)`` with broadcasting."""

    def __init__(self) -> None:
        self.r: list[np.ndarray] = []
        self.c: list[np.ndarray] = []
        self.v: list[np.ndarray] = []

    def add(self, rows, cols, coef=1.0) -> None:
        rows, cols, coef = np.asarray(rows), np.asarray(cols), np.asarray(coef, float)
        shape = np.broadcast_shapes(rows.shape, cols.shape, coef.shape)  # (np.broadcast_arrays, without its copies)
        for out, x in ((self.r, rows), (self.c, cols), (self.v, coef)):
            out.append((x if x.shape == shape else np.broadcast_to(x, shape)).ravel())

    def matrix(self, n_rows: int, n_cols: int) -> sp.csc_matrix:
        cat = lambda xs, dt: np.concatenate(xs).astype(dt) if xs else np.zeros(0, dt)  # noqa: E731
        A = sp.coo_matrix((cat(self.v, float), (cat(self.r, np.int64), cat(self.c, np.int64))),
                          shape=(n_rows, n_cols)).tocsc()  # duplicates summed, as Pyomo collects a row's terms
        A.eliminate_zeros()
        A.sort_indices()
        return A


def _pos(keys: list) -> dict:
    return {k: i for i, k in enumerate(keys)}


def assemble(inp: Inputs, elastic: bool = False) -> Assembled:
    """The LP of ``inp`` (``elastic``: the infeasibility diagnosis's relaxation, model.set_elastic)."""
    spec = inp.basin.spec
    T = inp.T
    ph = physics_arrays(inp)
    links, res, dems, aqs = spec.links, spec.reservoirs, spec.demands, spec.aquifers
    N = [n.id for n in spec.nodes]
    L, R, D, AQ = [lk.id for lk in links], [r.node for r in res], [d.node for d in dems], [a.node for a in aqs]
    K = [n.id for n in spec.nodes if n.kind == "sink"]
    LC, LM = list(inp.capacity.columns), list(inp.min_flow.columns)
    SP = [] if inp.schedule is None else list(inp.schedule.columns)
    ACC = accounts.keys(spec)
    ACC_R = sorted({r for r, _ in ACC})
    fair_kind = fairshare.rule(spec)
    FC = fairshare.classes(spec) if fair_kind != "none" else {}
    party = {d.node: d.party for d in dems}
    rows_ = inp.rows
    pn, pl, pr, pd_ = _pos(N), _pos(L), _pos(R), _pos(D)

    # --- columns (in model.build's order) ------------------------------------------------------------
    col = Blocks()
    X = col.add("x", L, T)
    S = col.add("s", R, T)
    SPILL = col.add("spill", R, T)
    G = col.add("g", AQ, T)
    Q = col.add("q", D, T)
    OUT = col.add("out", K, T)
    ENV = col.add("env", LM, T)
    EXC = col.add("excess", [a.key for a in rows_], 0)
    END = col.add("end_short", R, 0)
    SCH = col.add("sched_short", SP, T)
    ACCV = col.add("acc", ACC, T)
    REL = col.add("acc_rel", ACC, T)
    UNPAID = col.add("acc_unpaid", ACC, T)  # evaporation share an account cannot pay (accounts.py)
    EXTRA = col.add("acc_extra", ACC, T)  # others' evaporation an account pays
    OVER = col.add("acc_over", ACC, T)  # overdraft: 0 except in the diagnosis
    FAIR = col.add("fair", list(FC), T)
    lo, hi, cost = np.zeros(col.n), np.full(col.n, INF), np.zeros(col.n)

    cap = inp.capacity.to_numpy(float).T  # (LC, T) hm³ per step
    for j, lid in enumerate(LC):
        hi[X[pl[lid]]] = cap[j]
    for i, r in enumerate(res):
        lo[S[i]], hi[S[i]] = r.dead_storage_hm3, r.capacity_hm3
    demand = inp.demand[D].to_numpy(float).T if D else np.zeros((0, T))  # (D, T)
    hi[Q] = demand
    hard = [a.mode == "hard" and a.applies and inp.rules_enforced for a in rows_]
    for i in range(len(rows_)):
        hi[EXC[i]] = INF if (not hard[i] or elastic) else 0.0
    hi[END] = INF if elastic else 0.0
    if ACC and not inp.rules_enforced:
        lo[ACCV] = -INF  # status quo: the accounts are only reported (an overdraft is a negative balance)
    hi[FAIR] = 1.0
    hi[OVER] = INF if elastic else 0.0

    # --- objective -----------------------------------------------------------------------------------
    w = np.array([inp.weights[d] for d in D])
    cost[Q] = -w[:, None]  # w_d (demand − q): the demand part is the offset
    offset = float((w[:, None] * demand).sum())
    for i, a in enumerate(rows_):
        on = a.applies and inp.rules_enforced
        cost[EXC[i]] = M.ELASTIC_PENALTY if (elastic and hard[i]) else (a.penalty if on else 0.0)
    cost[ENV] = M.ENV_PENALTY
    cost[SPILL] = M.SPILL_PENALTY
    loss = ph["loss"].T.reshape(len(L), T)  # (L, T) [-]
    cost[X] = M.FLOW_COST + np.where(loss > 0, M.LOSS_COST * loss, 0.0)
    if T:
        cost[S[:, T - 1]] -= inp.storage_value
    cost[END] = M.ELASTIC_PENALTY
    cost[SCH] = M.SCHEDULE_PENALTY
    cost[UNPAID] = M.RELIEF_PENALTY
    cost[OVER] = M.ELASTIC_PENALTY
    fair_scale = {c: inp.demand[ds].to_numpy(float).sum(axis=1) for c, ds in FC.items()}
    if inp.rules_enforced:
        for i, c in enumerate(FC):
            cost[FAIR[i]] = -fairshare.EQUITY_WEIGHT * fair_scale[c]

    # --- rows --------------------------------------------------------------------------------------------
    row = Blocks()
    A = _Terms()
    rlo: list[np.ndarray] = []
    rhi: list[np.ndarray] = []

    def bounds(lower, upper, shape) -> None:
        rlo.append(np.broadcast_to(np.asarray(lower, float), shape).ravel())
        rhi.append(np.broadcast_to(np.asarray(upper, float), shape).ravel())

    # mass balance at every node and step: Σ_out x − Σ_in (1 − loss) x − ... = φ Q (model.py docstring)
    B = row.add("balance", N, T)
    const = np.zeros((len(N), T))  # constant terms of each row's body (moved to the bounds)
    src = np.array([pn[lk.source] for lk in links], int)
    tgt = np.array([pn[lk.target] for lk in links], int)
    A.add(B[src], X, 1.0)
    A.add(B[tgt], X, -(1.0 - loss))
    for i, dem in enumerate(dems):
        if dem.return_node:
            A.add(B[pn[dem.return_node]], Q[i], -dem.return_fraction)
        A.add(B[pn[dem.node]], Q[i], 1.0)
    s0 = np.array([inp.initial_storage[r] for r in R])
    for i, rv in enumerate(res):
        b, evap = B[pn[rv.node]], ph["evap"][rv.node]
        half = evap * (ph["a_slope"][rv.node] * 0.5)  # e[r,t] = evap·(a_dead + α((s_prev + s)/2 − S_dead))
        A.add(b, S[i], 1.0 + half)
        A.add(b[1:], S[i, :-1], -1.0 + half[1:])
        A.add(b, SPILL[i], 1.0)
        A.add(B[pn[spill_node(spec, rv.node)]], SPILL[i], -1.0)
        const[pn[rv.node]] += evap * ph["a_dead"][rv.node] + evap * ph["a_slope"][rv.node] * -ph["smin"][rv.node]
        if T:
            const[pn[rv.node], 0] += -s0[i] + half[0] * s0[i]
    for i, sink in enumerate(K):
        A.add(B[pn[sink]], OUT[i], 1.0)
    g0 = np.array([inp.initial_storage[a] for a in AQ])
    for i, aq in enumerate(aqs):
        rec = ph["recession"][aq.node]
        here, there = B[pn[aq.node]], B[pn[aq.discharge_to]]
        A.add(here, G[i], 1.0)  # g[a,t] − g[a,t−1] + k g[a,t−1] − Σ σ loss x − Σ ρ q = recharge
        A.add(here[1:], G[i, :-1], -1.0 + rec[1:])
        A.add(there[1:], G[i, :-1], -rec[1:])  # discharge k g[a,t−1] reaching its node
        if T:
            const[pn[aq.node], 0] += -g0[i] + rec[0] * g0[i]
            const[pn[aq.discharge_to], 0] += -rec[0] * g0[i]
        for lk in links:
            if lk.loss_to == aq.node:
                A.add(here, X[pl[lk.id]], -(ph["seep"][lk.id] * loss[pl[lk.id]]))
    reach, enters = inflow_maps(inp)
    inflow = inp.inflow.to_numpy(float).T  # (NI, T) natural inflow [hm³ per step]
    rhs = reach @ inflow
    bounds(rhs - const, rhs - const, B.shape)

    # end storage: s[r,T−1] + end_short[r] ≥ S_end
    E = row.add("end_storage", R, 0)
    if T:
        A.add(E, S[:, T - 1], 1.0)
    A.add(E, END, 1.0)
    bounds([inp.end_storage[r] for r in R], INF, E.shape)

    # minimum flows (soft): x[l,t] + env[l,t] ≥ m_l(t)
    MF = row.add("min_flow", LM, T)
    A.add(MF, X[[pl[lid] for lid in LM]], 1.0)
    A.add(MF, ENV, 1.0)
    bounds(inp.min_flow[LM].to_numpy(float).T if LM else 0.0, INF, MF.shape)

    # agreement rows: received + excess − keep·requirement ≥ 0, or keep·requirement − received + excess ≥ 0
    AG = row.add("agreement", [a.key for a in rows_], 0)
    ag_const = np.zeros(len(rows_))  # the constant terms other than natural inflow
    out_links = {r: [pl[lk.id] for lk in links if lk.source == r] for r in R}
    for i, a in enumerate(rows_):
        sign = -1.0 if a.ceiling else 1.0  # the sign of ``received`` in the row
        keep = 1.0 if a.mode == "hard" else (1.0 + a.tolerance if a.ceiling else 1.0 - a.tolerance)
        steps = list(a.period.steps)
        rc = a.receipts
        for lid in rc.links:
            if rc.counted == "gross":  # less the seeping part of the conveyance loss with less_seepage
                f = 1.0 - (ph["seep"][lid] * loss[pl[lid], steps] if rc.less_seepage else np.zeros(len(steps)))
            else:
                f = 1.0 - loss[pl[lid], steps]
            A.add(AG[i], X[pl[lid], steps], sign * f)
        for dn in rc.less_returns_of:
            A.add(AG[i], Q[pd_[dn], steps], -sign * ph["rf"][dn])
        # (a share's requirement, share × natural inflow, and the receipts' natural inflow are in ``enters``)
        if a.kind == "quota":
            ag_const[i] -= sign * keep * (a.volume_hm3 * a.scale)
        elif a.kind == "split":  # storage split: share × the reservoir's release (links + spill)
            for j in out_links[a.reservoir]:
                A.add(AG[i], X[j, steps], -sign * keep * a.share)
            A.add(AG[i], SPILL[pr[a.reservoir], steps], -sign * keep * a.share)
        A.add(AG[i], EXC[i], 1.0)
    bounds(-(entering(enters, inflow) + ag_const), INF, AG.shape)

    # schedule at the posts: (1 − loss_p) x[p,t] + sched_short[p,t] ≥ plan[p,t]
    SC = row.add("schedule", SP, T)
    for i, post in enumerate(SP):
        A.add(SC[i], X[pl[post]], 1.0 - loss[pl[post]])
    A.add(SC, SCH, 1.0)
    bounds(inp.schedule[SP].to_numpy(float).T if inp.schedule is not None else 0.0, INF, SC.shape)

    # storage accounts (accounts.py): acc − acc_prev − σ (s − s_prev + release) + rel = 0
    AB = row.add("acc_balance", ACC, T)
    start = inp.initial_accounts if inp.initial_accounts is not None else \
        accounts.initial_balances(spec, inp.initial_storage)
    acc_const = np.zeros((len(ACC), T))
    share: dict[tuple[str, str], float] = {(sa.reservoir, str(p)): float(v) for sa in spec.agreement.storage_accounts
                                           for p, v in sa.shares.items()}
    for i, k in enumerate(ACC):
        rr, sig = k[0], share[k]
        A.add(AB[i], ACCV[i], 1.0)
        A.add(AB[i, 1:], ACCV[i, :-1], -1.0)
        A.add(AB[i], S[pr[rr]], -sig)
        A.add(AB[i, 1:], S[pr[rr], :-1], sig)
        for j in out_links[rr]:
            A.add(AB[i], X[j], -sig)
        A.add(AB[i], SPILL[pr[rr]], -sig)
        A.add(AB[i], REL[i], 1.0)
        A.add(AB[i], UNPAID[i], -1.0)
        A.add(AB[i], EXTRA[i], 1.0)
        A.add(AB[i], OVER[i], -1.0)
        if T:
            acc_const[i, 0] = -float(start[k]) + sig * s0[pr[rr]]
    bounds(-acc_const, -acc_const, AB.shape)
    AR = row.add("acc_release", ACC_R, T)  # Σ_p rel[p,t] − release[rr,t] = 0
    for i, rr in enumerate(ACC_R):
        for j, k in enumerate(ACC):
            if k[0] == rr:
                A.add(AR[i], REL[j], 1.0)
        for j in out_links[rr]:
            A.add(AR[i], X[j], -1.0)
        A.add(AR[i], SPILL[pr[rr]], -1.0)
    bounds(0.0, 0.0, AR.shape)
    AH = row.add("acc_reach", ACC, T)  # rel[p,t] − Σ_{l ∈ release_to[p]} x[l,t] ≤ 0
    release_to: dict[tuple[str, str], list[str]] = {(sa.reservoir, str(p)): list(sa.release_to[p])
                                                    for sa in spec.agreement.storage_accounts for p in sa.shares}
    for i, k in enumerate(ACC):
        A.add(AH[i], REL[i], 1.0)
        for lid in release_to[k]:
            A.add(AH[i], X[pl[lid]], -1.0)
        if any(pl[lid] in out_links[k[0]] for lid in release_to[k]):  # an outlet: the spill bypasses it
            A.add(AH[i], SPILL[pr[k[0]]], -1.0)
    bounds(-INF, 0.0, AH.shape)
    AS = row.add("acc_evap_shared", ACC_R, T)  # Σ_p (u − v) = 0
    for i, rr in enumerate(ACC_R):
        for j, k in enumerate(ACC):
            if k[0] == rr:
                A.add(AS[i], UNPAID[j], 1.0)
                A.add(AS[i], EXTRA[j], -1.0)
    bounds(0.0, 0.0, AS.shape)
    AC = row.add("acc_evap_cap", ACC, T)  # u − σ e[r,t] ≤ 0, e = evap·(a_dead + α((s_prev + s)/2 − S_dead))
    cap_hi = np.zeros((len(ACC), T))
    for i, k in enumerate(ACC):
        rr, sig = k[0], share[k]
        evap = ph["evap"][rr]
        half = evap * (ph["a_slope"][rr] * 0.5)
        A.add(AC[i], UNPAID[i], 1.0)
        A.add(AC[i], S[pr[rr]], -sig * half)
        A.add(AC[i, 1:], S[pr[rr], :-1], -sig * half[1:])
        cap_hi[i] = sig * evap * (ph["a_dead"][rr] - ph["a_slope"][rr] * ph["smin"][rr])
        if T:
            cap_hi[i, 0] += sig * half[0] * s0[pr[rr]]
    bounds(-INF, cap_hi, AC.shape)

    # equal priority (fairshare.py): f·D[d,t] − q[d,t] ≤ 0, or f·κ[c,p,t] − Σ_{d∈c,p} q[d,t] ≤ 0
    if fair_kind == "equal-fraction":
        FD = [(c, d) for c, ds in FC.items() for d in ds]
        FR = row.add("fair_row", FD, T)
        for i, (c, dn) in enumerate(FD):
            A.add(FR[i], FAIR[list(FC).index(c)], demand[pd_[dn]])
            A.add(FR[i], Q[pd_[dn]], -1.0)
        bounds(-INF, 0.0, FR.shape)
    elif fair_kind == "proportional-to-entitlement":
        sh = fairshare._shares(spec) if FC else {}
        FP = [(c, pty) for c, ds in FC.items() for pty in sorted({str(party[dn]) for dn in ds})]
        FR = row.add("fair_row", FP, T)
        for i, (c, pty) in enumerate(FP):
            mine = [dn for dn in FC[c] if party[dn] == pty]
            kappa = np.minimum(sh.get(pty, 0.0) * fair_scale[c], inp.demand[mine].to_numpy(float).sum(axis=1))
            A.add(FR[i], FAIR[list(FC).index(c)], kappa)
            for dn in mine:
                A.add(FR[i], Q[pd_[dn]], -1.0)
        bounds(-INF, 0.0, FR.shape)

    cat = lambda xs: np.concatenate(xs) if xs else np.zeros(0)  # noqa: E731
    return Assembled(A.matrix(row.n, col.n), cost, offset, lo, hi, cat(rlo), cat(rhi), col, row,
                     inflow_parts={"reach": reach, "enters": enters, "balance_const": const, "agreement_const": ag_const},
                     elastic=elastic)


def inflow_maps(inp: Inputs) -> tuple[np.ndarray, sp.csr_matrix]:
    """How natural inflow Q (inflow node × step, hm³ per step) enters the LP's row bounds, which are linear in it:

    * ``reach`` (node × inflow node): node n's balance has ``reach @ Q`` on its right-hand side: φ_i Q_i at the
      inflow node i, (1 − φ_i) Q_i at the aquifer it recharges (``recharge_to``);
    * ``enters`` (agreement row × inflow node·step, Q flattened node by node): an agreement row's constant term,
      ``sign`` × the natural inflow at its receipt posts − ``sign`` × keep × share × the natural inflow of its
      resource (share rules); the row's lower bound is −(``enters @ Q`` + its other constants).

    :func:`assemble` writes those bounds with them, and :func:`inflow_row_bounds` re-writes them for an edited Q
    (the same expressions: bit for bit the bounds a fresh assembly gives). Nothing else of the LP depends on Q,
    except the losses of links with a ``loss_table`` (read at the natural flow: physics.py): the inflow nodes
    upstream of those are :func:`loss_inflow_nodes`."""
    spec = inp.basin.spec
    N, NI, T = [n.id for n in spec.nodes], list(inp.inflow.columns), inp.T
    pn = _pos(N)
    reach = np.zeros((len(N), len(NI)))
    for j, nid in enumerate(NI):
        node = spec.nodes[pn[nid]]
        if node.kind != "aquifer":
            reach[pn[nid], j] += node.channel_fraction
        if node.recharge_to:
            reach[pn[node.recharge_to], j] += 1.0 - node.channel_fraction
    ni = _pos(NI)
    r_, c_, v_ = [], [], []
    for i, a in enumerate(inp.rows):
        sign = -1.0 if a.ceiling else 1.0
        keep = 1.0 if a.mode == "hard" else (1.0 + a.tolerance if a.ceiling else 1.0 - a.tolerance)
        steps = np.asarray(list(a.period.steps), dtype=np.int64)
        terms = [(n, sign) for n in a.receipts.inflows]
        if a.kind == "share":
            terms += [(n, -sign * keep * a.share) for n in a.resource_inflows]
        for n, coef in terms:
            r_.append(np.full(len(steps), i))
            c_.append(ni[n] * T + steps)
            v_.append(np.full(len(steps), coef))
    cat = lambda xs, dt: np.concatenate(xs).astype(dt) if xs else np.zeros(0, dt)  # noqa: E731
    enters = sp.coo_matrix((cat(v_, float), (cat(r_, np.int64), cat(c_, np.int64))),
                           shape=(len(inp.rows), len(NI) * T)).tocsr()  # (duplicates summed)
    return reach, enters


def entering(enters: sp.csr_matrix, inflow: np.ndarray) -> np.ndarray:
    """``enters @ inflow.ravel()`` (:func:`inflow_maps`), summed term by term in the matrix's order (np.bincount:
    the same bits on every call, a few µs where scipy's ``@`` spends 15 on dispatch: an edit's re-solve is
    0.2 ms)."""
    rows = np.repeat(np.arange(enters.shape[0]), np.diff(enters.indptr))
    return np.bincount(rows, weights=enters.data * inflow.ravel()[enters.indices], minlength=enters.shape[0])


def inflow_row_bounds(a: Assembled, inflow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The row bounds (lower, upper) of the assembled ``a`` with the natural inflow ``inflow`` (inflow node ×
    step, hm³ per step) in place of the one it was assembled with: the balance and agreement rows re-written as
    :func:`assemble` writes them (:func:`inflow_maps`), every other row as assembled. Valid where the matrix and
    costs do not depend on the change (no edited node in :func:`loss_inflow_nodes`)."""
    parts = a.inflow_parts
    if parts is None:
        raise ValueError("this LP was not assembled by optimizer.core.assemble.assemble (no inflow parts)")
    lo, hi = a.row_lo.copy(), a.row_hi.copy()
    b = a.row.index("balance").ravel()
    bal = (parts["reach"] @ inflow - parts["balance_const"]).ravel()
    lo[b], hi[b] = bal, bal
    lo[a.row.index("agreement").ravel()] = -(entering(parts["enters"], inflow) + parts["agreement_const"])
    return lo, hi


def loss_inflow_nodes(inp: Inputs) -> set[str]:
    """The inflow nodes whose natural inflow sets a link's loss (a ``loss_table`` read at the natural flow): an
    edit of one of them changes the LP's matrix and costs, not only its bounds."""
    spec = inp.basin.spec
    return {n for lk in spec.links if getattr(lk, "loss_table", None)
            for n in bed_loss.upstream_inflows(spec, lk.source)} & set(inp.inflow.columns)
