"""2SFCA checked against PySAL's ``access`` package (``Access.two_stage_fca``) on small cases.

``access`` is the well-kept implementation of floating catchments; the service keeps its own
three lines of numpy over the (demand x station) minutes it already holds (docs/decisions/0004).
Whole minutes make catchment edges fall exactly on the horizon, so both must count a station
at exactly the horizon as inside.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from access import Access

from services.coverage.access import two_step_fca

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")
HORIZON_MIN = 15.0


def pysal_2sfca(minutes: np.ndarray, beds: np.ndarray, elderly: np.ndarray) -> np.ndarray:
    """Accessibility per demand point from ``access`` (unreached points: 0, as the service says)."""
    demand = pd.DataFrame({"id": range(len(elderly)), "elderly": elderly})
    supply = pd.DataFrame({"id": range(len(beds)), "beds": beds})
    i, j = np.nonzero(np.isfinite(minutes))
    cost = pd.DataFrame({"origin": i, "dest": j, "minutes": minutes[i, j]})
    model = Access(
        demand_df=demand,
        demand_index="id",
        demand_value="elderly",
        supply_df=supply,
        supply_index="id",
        supply_value="beds",
        cost_df=cost,
        cost_origin="origin",
        cost_dest="dest",
        cost_name="minutes",
    )
    out = model.two_stage_fca(name="2sfca", max_cost=HORIZON_MIN, normalize=False)
    return out["2sfca_beds"].reindex(range(len(elderly))).fillna(0.0).to_numpy()


@pytest.mark.parametrize("seed", range(8))
def test_two_step_fca_against_pysal_access(seed: int) -> None:
    rng = np.random.default_rng(seed)
    demand, stations = int(rng.integers(5, 40)), int(rng.integers(2, 10))
    minutes = rng.integers(0, 31, size=(demand, stations)).astype(np.float64)
    minutes[rng.random(minutes.shape) < 0.2] = np.inf  # unreachable pairs
    beds = rng.integers(0, 80, size=stations).astype(np.float64)
    elderly = rng.integers(0, 300, size=demand).astype(np.float64)

    observed, _ = two_step_fca(minutes, beds, elderly, HORIZON_MIN)
    known = pysal_2sfca(minutes, beds, elderly)
    assert (minutes == HORIZON_MIN).any() or seed > 0  # the edge case is exercised
    np.testing.assert_allclose(observed, known, rtol=1e-12, atol=1e-12)
