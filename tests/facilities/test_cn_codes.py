"""Streets/towns and communities/villages from cn-admin-codes: kinds, build-cn --codes, import, population."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from services.common.db import normalize_url
from services.facilities.cn_regions import read_codes
from services.facilities.region_kinds import kind_from_name
from services.facilities.schemas import REGION_KINDS
from tests.conftest import ScratchDatabases, migrated_database
from tests.facilities.conftest import station

REPO = Path(__file__).resolve().parents[2]
MIGRATION = (
    REPO / "migrations/facilities/versions/2026_12_02_0006_region_kind_and_population_source.py"
)


def codes_files(shared_data: Path) -> list[Path]:
    folder = shared_data / "cn-admin-codes"
    return [
        folder / "streets_xiamen_zhangzhou_yubei_liupanshui.csv",
        folder / "villages_xiamen_zhangzhou_yubei_liupanshui.csv",
    ]


@pytest.mark.parametrize(
    ("name", "level", "kind"),
    [
        ("鸿山社区居委会", "community", "urban_community"),
        ("荷花社区居民委员会", "community", "urban_community"),
        ("红田居委会", "community", "urban_community"),
        ("金峰工业区社区", "community", "urban_community"),
        ("后溪村民委员会", "community", "village"),
        ("上李村委会", "community", "village"),
        (
            "石龙社区村民委员会",
            "community",
            "village",
        ),  # a village committee, whatever it calls itself
        ("火炬高技术开发园虚拟社区", "community", None),
        ("天竺山林场虚拟生活区", "community", None),
        ("大帽山农场生活区", "community", None),
        ("厦港街道", "street", "subdistrict"),
        ("灌口镇", "street", "town"),
        ("杨柳乡", "street", "township"),
        ("天竺山林场", "street", None),
        ("思明区", "district", None),
    ],
)
def test_kind_from_name(name: str, level: str, kind: str | None) -> None:
    assert kind_from_name(name, level) == kind


def test_migration_freezes_the_kind_vocabulary() -> None:
    spec = importlib.util.spec_from_file_location("facilities_0006", MIGRATION)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.KINDS == REGION_KINDS


def test_read_codes_on_the_real_files(shared_data: Path) -> None:
    rows = read_codes(reversed(codes_files(shared_data)))  # order of the two files does not matter
    levels = Counter(r["level"] for r in rows)
    assert levels == {"street": 322, "community": 4254}
    by_code = {r["code"]: r for r in rows}
    assert len(by_code) == len(rows)
    for row in rows:
        assert len(row["code"]) == 12 and row["code"].startswith(row["parent_code"].rstrip("0")[:6])
        if row["level"] == "community":
            assert row["parent_code"] in by_code, row
    assert by_code["350203001001"]["name"] == "鸿山社区居委会"
    assert by_code["350203001001"]["kind"] == "urban_community"
    assert by_code["350203001000"] == {
        "code": "350203001000",
        "name": "厦港街道",
        "level": "street",
        "parent_code": "350203000000",
        "kind": "subdistrict",
    }
    kinds = Counter(r["kind"] for r in rows if r["level"] == "community")
    # SOURCE.md: 1,552 names contain 社区; 居委会 without 社区 are urban too, 虚拟社区 are not.
    assert kinds == {"village": 2612, "urban_community": 1598, None: 44}
    # every community named …村民委员会/村委会 is a village, every …社区居委会 an urban community
    for row in rows:
        if row["name"].endswith(("村民委员会", "村委会")):
            assert row["kind"] == "village"
        if row["name"].endswith(("社区居民委员会", "社区居委会")):
            assert row["kind"] == "urban_community"


def test_read_codes_names_a_wrong_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("adcode,name\n350203,思明区\n", encoding="utf-8")
    with pytest.raises(ValueError, match="expected cn-admin-codes columns"):
        read_codes([bad])
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("code,name,areaCode\n350204001,某街道,350203\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 2: code '350204001' is not a 9-digit street code"):
        read_codes([wrong])


def carecircle(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FACILITIES_DATABASE_URL": url, "CARECIRCLE_LOG_JSON": "false"}
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def query(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(normalize_url(url))
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()


@pytest.fixture
def sqlite_facilities_url(scratch_databases: ScratchDatabases) -> Iterator[str]:
    """The whole real chain on the embedded engine (PostGIS checks kinds below, on a few rows)."""
    yield from migrated_database(scratch_databases, "sqlite", "facilities")


@pytest.mark.slow
def test_build_cn_with_codes_then_import_and_population(
    sqlite_facilities_url: str, shared_data: Path, tmp_path: Path
) -> None:
    facilities_db_url = sqlite_facilities_url
    """The outside-check interface: build-cn … --codes STREETS VILLAGES, regions import, regions population."""
    out = tmp_path / "regions.geojson"
    built = carecircle(
        facilities_db_url,
        "regions",
        "build-cn",
        "--boundaries",
        str(
            shared_data
            / "cn-admin-districts/wgs84/districts_xiamen_zhangzhou_chongqing_liupanshui.geojson"
        ),
        "--boundaries",
        str(
            shared_data
            / "cn-admin-districts/wgs84/cities_xiamen_zhangzhou_chongqing_liupanshui.geojson"
        ),
        "--census",
        str(shared_data / "cn-census2020-county/census2020_county_target_cities.csv"),
        "--codes",
        *map(str, codes_files(shared_data)),
        "--out",
        str(out),
    )
    assert built.returncode == 0, built.stderr
    assert "322 street, 4254 community" in built.stdout
    features = json.loads(out.read_text())["features"]
    props = {f["properties"]["code"]: f["properties"] for f in features}
    assert props["350203000000"]["population_source"].startswith("2020 census")
    assert props["350203001000"]["elderly_60plus"] is None  # no census below districts
    imported = carecircle(facilities_db_url, "regions", "import", str(out))
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["created"] == 4643
    rows = query(
        facilities_db_url,
        "SELECT level, kind, count(*) FROM regions WHERE level IN ('street', 'community') "
        "GROUP BY level, kind",
    )
    assert {(level, kind): n for level, kind, n in rows} == {
        ("street", "subdistrict"): 97,
        ("street", "town"): 143,
        ("street", "township"): 49,
        ("street", None): 33,
        ("community", "urban_community"): 1598,
        ("community", "village"): 2612,
        ("community", None): 44,
    }
    assert query(
        facilities_db_url, "SELECT parent_code FROM regions WHERE code = '350203001001'"
    ) == [("350203001000",)]
    # Population per street: a bureau's own count, with its source; a bad file changes nothing.
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "code,elderly_60plus,source\n350203001,1200,思明区 2024 户籍\n350203001001,-3,x\n999999001,5,y\n",
        encoding="utf-8",
    )
    refused = carecircle(facilities_db_url, "regions", "population", str(bad))
    assert refused.returncode == 1
    assert "row 2: elderly_60plus" in refused.stderr and "row 3: code" in refused.stderr
    assert query(
        facilities_db_url, "SELECT elderly_60plus FROM regions WHERE code = '350203001000'"
    ) == [(None,)]
    good = tmp_path / "good.csv"
    good.write_text(
        "\ufeffcode,elderly_60plus,year,source\n350203001,1200,2024,思明区 2024 户籍\n",
        encoding="utf-8",
    )
    done = carecircle(facilities_db_url, "regions", "population", str(good))
    assert done.returncode == 0, done.stderr
    assert query(
        facilities_db_url,
        "SELECT elderly_60plus, year, population_source, name, kind FROM regions WHERE code = '350203001000'",
    ) == [(1200, 2024, "思明区 2024 户籍", "厦港街道", "subdistrict")]


async def test_kinds_are_checked_on_import_and_by_postgresql(
    client: httpx.AsyncClient, facilities_db_url: str
) -> None:
    rows = "code,name,level,parent_code,kind\n500112001000,双龙湖街道,street,,castle\n"
    refused = await client.post(
        "/api/v1/regions/import", content=rows.encode(), headers={"Content-Type": "text/csv"}
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "kind"
    if facilities_db_url.startswith("postgresql"):
        engine = create_engine(normalize_url(facilities_db_url))
        try:
            with pytest.raises(IntegrityError), engine.begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO regions (code, code_int, name, level, kind) "
                        "VALUES ('500112001000', 500112001000, 'x', 'street', 'castle')"
                    )
                )
        finally:
            engine.dispose()


async def test_a_facility_keeps_the_community_it_names(client: httpx.AsyncClient) -> None:
    """No boundary below the district: the declared 12-digit community stays the facility's region."""
    rows = (
        "code,name,level,parent_code\n"
        "500000000000,重庆市,province,\n500100000000,市辖区,city,500000000000\n"
        "500112000000,渝北区,district,500100000000\n500112001000,双龙湖街道,street,500112000000\n"
        "500112001001,双龙湖社区居委会,community,500112001000\n"
    )
    imported = await client.post(
        "/api/v1/regions/import", content=rows.encode(), headers={"Content-Type": "text/csv"}
    )
    assert imported.status_code == 200, imported.text
    region = (await client.get("/api/v1/regions/500112001001")).json()
    assert (region["kind"], region["level"], region["population_source"]) == (
        "urban_community",
        "community",
        None,
    )
    assert (await client.get("/api/v1/regions/500112001000")).json()["kind"] == "subdistrict"
    created = await client.post(
        "/api/v1/facilities", json=station(region_code="500112001001", lon=106.53, lat=29.6)
    )
    assert created.status_code == 201, created.text
    assert created.json()["region_code"] == "500112001001"


def test_population_columns_are_checked(tmp_path: Path) -> None:
    from services.facilities.bulk import RowErrors
    from services.facilities.region_population import parse_population_rows

    errors = RowErrors()
    assert parse_population_rows("code,name\n1,2\n", errors) == []
    assert "missing column(s) source" in errors.items[0]["message"]
    assert "unknown column(s) name" in errors.items[0]["message"]
    errors = RowErrors()
    rows = parse_population_rows(
        "code,source,elderly_60plus,population\n350203,census,5,\n350203,again,6,\n350205,,1,\n350206,x,,\n",
        errors,
    )
    assert rows == [
        {"row": 1, "code": "350203000000", "population_source": "census", "elderly_60plus": 5}
    ]
    assert [(e["row"], e["field"]) for e in errors.items] == [(2, "code"), (3, "source"), (4, None)]


async def test_snapshot_names_each_stations_center(client: httpx.AsyncClient) -> None:
    """The plan indicator 中心带站运营率 needs center_id from the one-call snapshot."""
    center = await client.post(
        "/api/v1/facilities", json=station(external_id="C-1", type="care_center", name="龙溪中心")
    )
    assert center.status_code == 201, center.text
    linked = await client.post(
        "/api/v1/facilities", json=station(external_id="S-2", center_id=center.json()["id"])
    )
    assert linked.status_code == 201, linked.text
    items = (await client.get("/api/v1/facilities/snapshot")).json()["items"]
    assert {i["external_id"]: i["center_id"] for i in items} == {
        "C-1": None,
        "S-2": center.json()["id"],
    }
