"""Where to add stations: greedy and exact (MILP) maximal covering, plus a capacitated form.

Inputs are arrays: ``covers[i, j]`` is True when candidate site ``j`` is within the
circle (e.g. 15 min) of demand point ``i``; ``weight[i]`` its elderly count;
``already[i]`` True when an existing station covers it (existing stations are kept
fixed, so such points add nothing). Pure numpy/scipy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix, csr_matrix, hstack, vstack


@dataclass(frozen=True)
class Siting:
    """Chosen candidate indexes (pick order for greedy), marginal gains, total newly covered."""

    chosen: list[int]
    gains: list[float]
    newly_covered: float
    method: str


def _check(covers: NDArray[np.bool_], weight: NDArray[np.float64], k: int) -> None:
    if covers.ndim != 2 or covers.shape[0] != weight.shape[0]:
        raise ValueError("covers must be (demand points x candidates)")
    if k < 0:
        raise ValueError("k must be >= 0")
    if k > covers.shape[1]:
        raise ValueError(f"k={k} exceeds the {covers.shape[1]} candidate sites")


def greedy(
    covers: NDArray[np.bool_], weight: NDArray[np.float64], already: NDArray[np.bool_], k: int
) -> Siting:
    """Pick k sites one at a time, each newly covering the most elderly (ties: lowest index)."""
    _check(covers, weight, k)
    open_w = np.where(already, 0.0, weight).astype(np.float64)
    cov = csr_matrix(covers.astype(np.float64).T)  # candidates x demand
    chosen: list[int] = []
    gains: list[float] = []
    for _ in range(k):
        gain = cov @ open_w
        gain[chosen] = -1.0
        j = int(np.argmax(gain))
        chosen.append(j)
        gains.append(float(gain[j]))
        open_w[covers[:, j]] = 0.0
    return Siting(chosen, gains, float(sum(gains)), "greedy")


def exact(
    covers: NDArray[np.bool_],
    weight: NDArray[np.float64],
    already: NDArray[np.bool_],
    k: int,
    *,
    cost: NDArray[np.float64] | None = None,
    budget: float | None = None,
    time_limit_s: float = 30.0,
) -> Siting:
    """Maximal covering location problem solved exactly with HiGHS (scipy.optimize.milp).

    max sum w_i y_i  s.t.  y_i <= sum_j a_ij x_j,  sum x_j <= k  (or sum c_j x_j <= budget),
    x binary, 0 <= y <= 1. Already-covered points are left out (they gain nothing).
    """
    _check(covers, weight, k)
    open_ = ~already & covers.any(axis=1)
    a = covers[open_]
    w = weight[open_]
    m, n = a.shape
    c = np.concatenate([np.zeros(n), -w])
    # y_i - sum_j a_ij x_j <= 0
    link = hstack([-csr_matrix(a.astype(np.float64)), coo_matrix(np.eye(m))]).tocsr() if m else None
    rows = []
    if link is not None:
        rows.append(LinearConstraint(link, -np.inf, 0.0))
    pick = np.concatenate([np.ones(n) if cost is None else cost, np.zeros(m)])
    rows.append(LinearConstraint(pick[None, :], -np.inf, k if budget is None else budget))
    integrality = np.concatenate([np.ones(n), np.zeros(m)])
    res = milp(
        c,
        constraints=rows,
        integrality=integrality,
        bounds=Bounds(0, 1),
        options={"time_limit": time_limit_s},
    )
    if res.x is None:
        raise ValueError(f"siting MILP failed: {res.message}")
    chosen = [int(j) for j in np.flatnonzero(res.x[:n] > 0.5)]
    gains = marginal_gains(covers, weight, already, chosen)
    return Siting(chosen, gains, float(sum(gains)), "milp")


def capacitated(
    covers: NDArray[np.bool_],
    weight: NDArray[np.float64],
    already: NDArray[np.bool_],
    capacity: NDArray[np.float64],
    k: int,
    *,
    time_limit_s: float = 30.0,
) -> Siting:
    """Capacitated maximal covering: each new site serves at most ``capacity[j]`` elderly.

    Assignment z_ij (elderly of point i served by site j, continuous) with
    z_ij <= w_i a_ij x_j, sum_j z_ij <= w_i, sum_i z_ij <= cap_j x_j, sum x_j <= k.
    The objective is the served elderly (a point may be split between sites).
    """
    _check(covers, weight, k)
    open_ = ~already & covers.any(axis=1)
    a = covers[open_]
    w = weight[open_]
    m, n = a.shape
    pairs_i, pairs_j = np.nonzero(a)
    p = pairs_i.size
    # variables: x (n), z (p)
    c = np.concatenate([np.zeros(n), -np.ones(p)])
    cons = []
    eye_p = np.arange(p)
    # z_ij - w_i x_j <= 0
    a1 = hstack(
        [
            coo_matrix((-w[pairs_i], (eye_p, pairs_j)), shape=(p, n)),
            coo_matrix((np.ones(p), (eye_p, eye_p)), shape=(p, p)),
        ]
    )
    cons.append(LinearConstraint(a1.tocsr(), -np.inf, 0.0))
    # sum_j z_ij <= w_i
    a2 = hstack([csr_matrix((m, n)), coo_matrix((np.ones(p), (pairs_i, eye_p)), shape=(m, p))])
    cons.append(LinearConstraint(a2.tocsr(), -np.inf, w))
    # sum_i z_ij - cap_j x_j <= 0
    a3 = hstack(
        [
            coo_matrix(np.diag(-np.asarray(capacity, dtype=float))),
            coo_matrix((np.ones(p), (pairs_j, eye_p)), shape=(n, p)),
        ]
    )
    cons.append(LinearConstraint(a3.tocsr(), -np.inf, 0.0))
    a4 = vstack([csr_matrix(np.concatenate([np.ones(n), np.zeros(p)])[None, :])])
    cons.append(LinearConstraint(a4, -np.inf, k))
    ub = np.concatenate([np.ones(n), w[pairs_i]])
    res = milp(
        c,
        constraints=cons,
        integrality=np.concatenate([np.ones(n), np.zeros(p)]),
        bounds=Bounds(0, ub),
        options={"time_limit": time_limit_s},
    )
    if res.x is None:
        raise ValueError(f"capacitated siting MILP failed: {res.message}")
    chosen = [int(j) for j in np.flatnonzero(res.x[:n] > 0.5)]
    served = -float(res.fun)
    return Siting(chosen, [], served, "milp-capacitated")


def marginal_gains(
    covers: NDArray[np.bool_],
    weight: NDArray[np.float64],
    already: NDArray[np.bool_],
    chosen: list[int],
) -> list[float]:
    """Newly covered elderly of each pick, in the given order."""
    open_w = np.where(already, 0.0, weight).astype(np.float64)
    gains = []
    for j in chosen:
        gains.append(float(open_w[covers[:, j]].sum()))
        open_w[covers[:, j]] = 0.0
    return gains
