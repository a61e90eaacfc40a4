"""The growing-radius search against a plain unlimited Dijkstra (bit for bit), and its stop."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra

from services.coverage.walking import Stopped, distances_from, first_limit_m, weak_components


def random_graph(seed: int, n: int, density: float, directed: bool) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    m = sp.random(n, n, density=density, random_state=rng, format="csr")
    m.data = rng.uniform(0.5, 200.0, m.data.size).round(3)
    m.setdiag(0)
    m.eliminate_zeros()
    return m if directed else sp.csr_matrix(m.maximum(m.T))


def test_hand_drawn_path_and_an_island() -> None:
    """0 -2- 1 -3- 2 -4- 3 and 4 alone: from 0, 3 is 9 m away (the first pass of 1 m grows)."""
    rows, cols, w = [0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2], [2.0, 2.0, 3.0, 3.0, 4.0, 4.0]
    g = sp.csr_matrix((w, (rows, cols)), shape=(5, 5))
    known = [9.0, 0.0, 5.0, np.inf]
    observed = distances_from(
        g, 0, np.array([3, 0, 2, 4]), components=weak_components(g), first_limit=1.0
    )
    assert observed.tolist() == known


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(2, 80),
    density=st.floats(0.01, 0.2),
    directed=st.booleans(),
    first=st.floats(0.1, 500.0),
)
def test_equals_an_unlimited_dijkstra(
    seed: int, n: int, density: float, directed: bool, first: float
) -> None:
    g = random_graph(seed, n, density, directed)
    rng = np.random.default_rng(seed + 1)
    source = int(rng.integers(n))
    targets = rng.integers(0, n, size=int(rng.integers(1, 12))).astype(np.int64)
    known = dijkstra(g, directed=True, indices=source)[targets]
    observed = distances_from(g, source, targets, components=weak_components(g), first_limit=first)
    assert observed.tolist() == known.tolist()  # bit for bit, inf where unreachable


def test_asked_between_passes_and_stops() -> None:
    """A 200-node chain: the far end needs several passes; a stop request ends the search."""
    n = 200
    g = sp.diags([np.ones(n - 1), np.ones(n - 1)], [1, -1], format="csr")
    comps = weak_components(g)
    asked: list[int] = []

    def stop_after_first() -> bool:
        asked.append(1)
        return True

    with pytest.raises(Stopped):
        distances_from(
            g, 0, np.array([n - 1]), components=comps, first_limit=1.0, should_stop=stop_after_first
        )
    assert len(asked) == 1
    passes: list[int] = []

    def count_and_go_on() -> bool:
        passes.append(1)
        return False

    far = distances_from(
        g, 0, np.array([n - 1]), components=comps, first_limit=1.0, should_stop=count_and_go_on
    )
    assert far.tolist() == [n - 1.0] and len(passes) == 4  # limits 1, 4, 16, 64, then 256


def test_first_limit_is_half_again_the_farthest_straight_line() -> None:
    x, y = np.array([0.0, 3000.0, 0.0]), np.array([0.0, 4000.0, 100.0])
    assert first_limit_m(x, y, 0, np.array([1, 2])) == 7500.0
    assert first_limit_m(x, y, 0, np.array([2])) == 500.0  # never below 500 m
