"""runs.check_stations measures a station's distance the way the run does (ADR 0103)."""

from __future__ import annotations

import numpy as np
import pytest

from services.common.errors import InvalidInput
from services.coverage.graph import build_network
from services.coverage.loaders import from_epsg
from services.coverage.networks import LoadedNetwork
from services.coverage.runs import check_stations


def test_a_station_near_a_long_street_is_on_the_network() -> None:
    # one straight 2 km street; a station 300 m beside its middle is 1,044 m from either node
    net = build_network(
        np.array([500_000.0, 502_000.0]),
        np.array([2_700_000.0, 2_700_000.0]),
        np.array([0]),
        np.array([1]),
        np.array([2000.0]),
        epsg=32650,
    )
    lon, lat = from_epsg(
        net.epsg, np.array([501_000.0, 501_000.0]), np.array([2_700_300.0, 2_701_000.0])
    )
    near = [{"id": "near", "lon": float(lon[0]), "lat": float(lat[0])}]
    check_stations(LoadedNetwork(net), near, 500.0, skip=False)  # no error
    far = [{"id": "far", "lon": float(lon[1]), "lat": float(lat[1])}]
    with pytest.raises(InvalidInput, match="station far is 1000 m from the nearest street"):
        check_stations(LoadedNetwork(net), far, 500.0, skip=False)
