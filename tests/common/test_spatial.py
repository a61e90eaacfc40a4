"""Geometry columns and the SQLite R*Tree, on both engines (through the facilities schema)."""

from __future__ import annotations

from shapely.geometry import MultiPolygon, Point, box
from sqlalchemy import select, text

from services.common.db import is_sqlite, make_engine, make_session_factory
from services.facilities.models import Facility, Region
from services.facilities.rtree_lanes import LANE_WIDTH, TYPE_LANES


def _facility(lon: float, lat: float, name: str = "站") -> Facility:
    return Facility(
        name=name,
        name_normalized=name,
        type="community_station",
        lon=lon,
        lat=lat,
        geog=Point(lon, lat),
        services=[],
        services_mask=0,
        status="active",
        source="test",
    )


def test_geometry_round_trips_and_versions_bump(facilities_db_url: str) -> None:
    engine = make_engine(facilities_db_url)
    sessions = make_session_factory(engine, write=True)
    try:
        with sessions() as session:
            polygon = MultiPolygon([box(118.0, 24.0, 118.5, 24.5)])
            session.add_all(
                [
                    _facility(118.1, 24.2),
                    Region(
                        code="350203000000",
                        code_int=350203000000,
                        name="思明区",
                        level="district",
                        geom=polygon,
                        min_lon=118.0,
                        min_lat=24.0,
                        max_lon=118.5,
                        max_lat=24.5,
                    ),
                ]
            )
            session.commit()
            facility = session.scalars(select(Facility)).one()
            region = session.scalars(select(Region)).one()
            assert facility.geog.equals(Point(118.1, 24.2))
            assert region.geom.equals(polygon)
            facility.name = "新站"
            session.commit()
            assert facility.version == 2
    finally:
        engine.dispose()


def test_spatial_index_finds_points_in_a_box(facilities_db_url: str) -> None:
    engine = make_engine(facilities_db_url)
    sessions = make_session_factory(engine, write=True)
    try:
        with sessions() as session:
            session.add_all([_facility(118.1, 24.2, "in"), _facility(119.9, 25.9, "out")])
            session.commit()
            if is_sqlite(engine):
                offset = LANE_WIDTH * TYPE_LANES["community_station"]  # ADR 0074
                sql = (
                    "SELECT f.name FROM facilities f JOIN rtree_facilities r ON r.id = f.id "
                    f"WHERE r.min_x <= {118.5 + offset} AND r.max_x >= {118.0 + offset} "
                    "AND r.min_y <= 24.5 AND r.max_y >= 24.0"
                )
            else:
                sql = (
                    "SELECT name FROM facilities "
                    "WHERE geog && ST_MakeEnvelope(118.0, 24.0, 118.5, 24.5, 4326)::geography"
                )
            assert [row[0] for row in session.execute(text(sql))] == ["in"]
            # The index follows moves and deletes (triggers on SQLite).
            moved = session.scalars(select(Facility).where(Facility.name == "out")).one()
            moved.lon, moved.lat, moved.geog = 118.2, 24.3, Point(118.2, 24.3)
            session.commit()
            assert sorted(row[0] for row in session.execute(text(sql))) == ["in", "out"]
            session.delete(moved)
            session.commit()
            assert [row[0] for row in session.execute(text(sql))] == ["in"]
    finally:
        engine.dispose()
