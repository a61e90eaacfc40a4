"""2SFCA and station-by-demand minutes against brute force on a hand-drawn graph."""

from __future__ import annotations

import numpy as np
import pytest

from services.coverage.access import station_demand_minutes, two_step_fca
from services.coverage.graph import build_network


def test_two_step_fca_hand_worked() -> None:
    # points P0 (10 elderly), P1 (30); station A (cap 20) reaches both, B (cap 30) only P1
    minutes = np.array([[5.0, np.inf], [10.0, 12.0]])
    a, r = two_step_fca(minutes, np.array([20.0, 30.0]), np.array([10.0, 30.0]), 15.0)
    assert r.tolist() == pytest.approx([20 / 40, 30 / 30])
    assert a.tolist() == pytest.approx([0.5, 1.5])
    # beds are conserved: sum_i w_i A_i == total capacity of reached stations
    assert float(np.array([10.0, 30.0]) @ a) == pytest.approx(50.0)


def test_station_demand_minutes_matches_paths() -> None:
    net = build_network(
        np.arange(4.0), np.zeros(4), [0, 1, 2], [1, 2, 3], [60.0, 60, 60], epsg=32650
    )
    m = station_demand_minutes(
        net,
        np.array([0, 3]),
        np.array([0.0, 0.0]),
        np.array([0, 1, 2, 3]),
        np.zeros(4),
        1.0,
        2.5,
        chunk=1,
    )
    known = np.array([[0, np.inf], [1, 2], [2, 1], [np.inf, 0]], dtype=float)
    assert m.tolist() == known.tolist()
