"""Siting checked against PySAL's spopt (``MCLP``, solved by CBC through PuLP) on small cases.

spopt is a well-kept implementation of the maximal covering location problem made for this
job; the service keeps its own (scipy's HiGHS, no PuLP/CBC at run time, existing stations held
fixed, a greedy pick order for the report — docs/decisions/0004). Here it is the oracle:

* ``siting.exact`` covers exactly as many elderly as spopt's optimum, with existing stations
  given to spopt as predefined facilities;
* ``siting.greedy`` never beats it and reaches at least (1 - 1/e) of what the optimum adds (the
  classic bound for greedy maximal covering).
"""

from __future__ import annotations

import math

import numpy as np
import pulp
import pytest
from spopt.locate import MCLP

from services.coverage import siting

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")
RADIUS_MIN = 15.0


def spopt_covered(minutes: np.ndarray, weight: np.ndarray, existing: np.ndarray, k: int) -> float:
    """Elderly covered by spopt's optimal ``k`` new sites plus the existing ones (all columns)."""
    model = MCLP.from_cost_matrix(
        minutes,
        weight,
        service_radius=RADIUS_MIN,
        p_facilities=k + int(existing.sum()),
        predefined_facilities_arr=existing.astype(int),
        name="oracle",
    )
    model = model.solve(pulp.PULP_CBC_CMD(msg=False))
    assert pulp.LpStatus[model.problem.status] == "Optimal"
    return float(pulp.value(model.problem.objective))


def case(seed: int, demand: int = 40, candidates: int = 12, existing: int = 2):
    """Random walking minutes from demand points to candidate and existing sites (0–40 min)."""
    rng = np.random.default_rng(seed)
    points = rng.uniform(0, 3000, size=(demand, 2))
    sites = rng.uniform(0, 3000, size=(candidates + existing, 2))
    metres = np.linalg.norm(points[:, None, :] - sites[None, :, :], axis=2)
    minutes = metres * rng.uniform(1.0, 1.4, size=metres.shape) / 60.0  # detours over 1 m/s
    weight = rng.integers(1, 200, size=demand).astype(np.float64)
    is_existing = np.zeros(candidates + existing, dtype=bool)
    is_existing[candidates:] = True
    return minutes, weight, is_existing


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("k", [1, 3])
def test_exact_and_greedy_siting_against_spopt(seed: int, k: int) -> None:
    minutes, weight, is_existing = case(seed)
    covers_all = minutes <= RADIUS_MIN
    already = covers_all[:, is_existing].any(axis=1)
    covers = covers_all[:, ~is_existing]
    known = spopt_covered(minutes, weight, is_existing, k)

    observed = siting.exact(covers, weight, already, k)
    assert observed.newly_covered + weight[already].sum() == pytest.approx(known, abs=1e-6)

    greedy = siting.greedy(covers, weight, already, k)
    optimum_adds = known - weight[already].sum()
    assert greedy.newly_covered <= optimum_adds + 1e-6
    assert greedy.newly_covered >= (1 - 1 / math.e) * optimum_adds - 1e-6
