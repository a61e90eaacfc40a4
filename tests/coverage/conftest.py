"""Fixtures of the coverage tests: tiny files in tests/data/coverage."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data" / "coverage"


@pytest.fixture(scope="session")
def tiny() -> dict[str, Path]:
    """A hand-drawn street network (2 streets + a detached spur) with 2 stations, 4 points."""
    return {
        "network": DATA / "tiny_streets.geojson",
        "stations": DATA / "tiny_stations.geojson",
        "demand": DATA / "tiny_demand.csv",
    }
