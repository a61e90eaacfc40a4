"""The real GDAL client (OAPIF driver) reads /ogc from a running server, on SQLite and PostGIS."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.facilities.queries_support import (
    query_app,
    random_facilities,
    seed_facilities,
    seed_regions,
)
from tests.facilities.test_ogc import district_rows
from tests.servers import running_app

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(
        shutil.which("ogrinfo") is None, reason="gdal-bin (ogrinfo) is not installed"
    ),
]


def _run(*args: str) -> str:
    done = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_ogrinfo_lists_both_layers_and_ogr2ogr_pages_through_features(
    facilities_db_url: str, shared_data: Path
) -> None:
    rows = random_facilities(37, seed=5)
    regions = district_rows(shared_data)
    seed_facilities(facilities_db_url, rows)
    seed_regions(facilities_db_url, regions)
    with running_app(query_app(facilities_db_url)) as base:
        summary = _run("ogrinfo", "-ro", "-al", "-so", f"OAPIF:{base}/ogc")
        layers = dict(re.findall(r"Layer name: (\w+).*?Feature Count: (\d+)", summary, flags=re.S))
        assert layers == {"facilities": str(len(rows)), "regions": str(len(regions))}
        assert "Geometry: Point" in summary and "Geometry: Multi Polygon" in summary
        assert "external_id: String" in summary

        # small pages force GDAL to follow our `next` links
        exported = _run(
            "ogr2ogr",
            "-f",
            "GeoJSON",
            "/vsistdout/",
            f"OAPIF:{base}/ogc",
            "facilities",
            "-oo",
            "PAGE_SIZE=10",
        )
    features = json.loads(exported)["features"]
    by_external = {r["external_id"]: r for r in rows}
    assert sorted(f["properties"]["external_id"] for f in features) == sorted(by_external)
    for feature in features:
        row = by_external[feature["properties"]["external_id"]]
        assert feature["geometry"]["coordinates"] == pytest.approx(
            [row["lon"], row["lat"]], abs=1e-9
        )
        assert feature["properties"]["name"] == row["name"]
