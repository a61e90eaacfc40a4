"""siting.py: greedy and MILP against exhaustive search on tiny cases; capacitated vs max-flow."""

from __future__ import annotations

from itertools import combinations

import networkx as nx
import numpy as np
import pytest

from services.coverage.siting import capacitated, exact, greedy


def brute_best(covers, weight, already, k):  # type: ignore[no-untyped-def]
    open_w = np.where(already, 0.0, weight)
    return max(
        open_w[covers[:, list(c)].any(axis=1)].sum()
        for c in combinations(range(covers.shape[1]), k)
    )


def brute_capacitated(covers, weight, already, cap, k):  # type: ignore[no-untyped-def]
    """Every k-subset, best served elderly by max flow (source->point->site->sink)."""
    best = 0.0
    for sub in combinations(range(covers.shape[1]), k):
        g = nx.DiGraph()
        for i in range(covers.shape[0]):
            if already[i]:
                continue
            g.add_edge("s", ("d", i), capacity=float(weight[i]))
            for j in sub:
                if covers[i, j]:
                    g.add_edge(("d", i), ("c", j), capacity=float(weight[i]))
        for j in sub:
            g.add_edge(("c", j), "t", capacity=float(cap[j]))
        if "s" in g and "t" in g:
            best = max(best, nx.maximum_flow_value(g, "s", "t"))
    return best


def test_hand_worked_greedy_is_not_optimal_but_milp_is() -> None:
    # classic trap: site 0 covers the middle (w=5+5), sites 1 and 2 each cover one end + half middle
    covers = np.array(
        [
            [0, 1, 0],  # w 6
            [1, 1, 0],  # w 5
            [1, 0, 1],  # w 5
            [0, 0, 1],  # w 6
        ],
        dtype=bool,
    )
    w = np.array([6.0, 5, 5, 6])
    none = np.zeros(4, dtype=bool)
    g = greedy(covers, w, none, 2)
    assert g.chosen == [1, 2] and g.gains == [11.0, 11.0]
    e = exact(covers, w, none, 2)
    assert e.newly_covered == 22.0
    one = greedy(covers, w, none, 1)
    assert one.newly_covered == 11.0


@pytest.mark.parametrize("seed", range(12))
def test_milp_equals_exhaustive_and_greedy_is_bounded(seed: int) -> None:
    rng = np.random.default_rng(seed)
    covers = rng.random((12, 6)) < 0.3
    w = rng.integers(0, 20, 12).astype(float)
    already = rng.random(12) < 0.2
    for k in (1, 2, 3):
        known = brute_best(covers, w, already, k)
        assert exact(covers, w, already, k).newly_covered == pytest.approx(known)
        g = greedy(covers, w, already, k).newly_covered
        assert (1 - 1 / np.e) * known - 1e-9 <= g <= known + 1e-9


@pytest.mark.parametrize("seed", range(8))
def test_capacitated_equals_exhaustive_max_flow(seed: int) -> None:
    rng = np.random.default_rng(seed)
    covers = rng.random((8, 5)) < 0.4
    w = rng.integers(1, 20, 8).astype(float)
    already = rng.random(8) < 0.2
    cap = rng.integers(5, 30, 5).astype(float)
    for k in (1, 2):
        known = brute_capacitated(covers, w, already, cap, k)
        assert capacitated(covers, w, already, cap, k).newly_covered == pytest.approx(
            known, abs=1e-6
        )


def test_budget_form_and_bad_k() -> None:
    covers = np.eye(3, dtype=bool)
    w = np.array([10.0, 8, 7])
    none = np.zeros(3, dtype=bool)
    cost = np.array([3.0, 1, 1])
    assert sorted(exact(covers, w, none, 3, cost=cost, budget=2).chosen) == [1, 2]
    with pytest.raises(ValueError, match="exceeds"):
        greedy(covers, w, none, 4)
