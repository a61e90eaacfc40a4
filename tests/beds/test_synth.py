"""Generated demo data: valid for ``carecircle beds import`` and placed inside real district boundaries."""

from __future__ import annotations

import json
from pathlib import Path

import shapely
from shapely.geometry import shape

from services.beds.csv_import import parse_bed_csv
from services.beds.synth import BED_COLUMNS, District, synthesize, write_csv

DISTRICTS = "cn-admin-districts/wgs84/districts_xiamen_zhangzhou_chongqing_liupanshui.geojson"


def test_generated_rows_import_cleanly_and_sit_in_their_district(
    shared_data: Path, tmp_path: Path
) -> None:
    features = json.loads((shared_data / DISTRICTS).read_text(encoding="utf-8"))["features"]
    liupanshui = [
        District(
            str(f["properties"]["adcode"]).ljust(12, "0"),
            f["properties"]["name"],
            100_000,
            shape(f["geometry"]),
        )
        for f in features
        if str(f["properties"]["adcode"]).startswith("5202")
    ]
    facilities, beds = synthesize(liupanshui, ["2025-01", "2025-02"], seed=1)
    write_csv(tmp_path / "beds.csv", BED_COLUMNS, beds)
    rows, errors = parse_bed_csv((tmp_path / "beds.csv").read_text(encoding="utf-8"))
    assert errors == [] and len(rows) == 2 * len(facilities)
    by_district = {d.code[:6]: d.geometry for d in liupanshui}
    for facility in facilities:
        district = facility["external_id"].split("-")[1]
        assert shapely.contains_xy(by_district[district], facility["lon"], facility["lat"])
    # One central township home per county-level unit (code digits 21+), none in urban districts.
    homes = {f["external_id"].split("-")[1] for f in facilities if f["type"] == "township_home"}
    assert homes == {d.code[:6] for d in liupanshui if int(d.code[4:6]) >= 21}
