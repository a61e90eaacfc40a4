"""Geometry columns and spatial indexes that work on PostGIS and on plain SQLite.

On PostgreSQL a :class:`GeometryColumn` is a real PostGIS ``geometry(…, 4326)``
(GiST-indexed by the migration); on SQLite it is the same geometry as WKB in a
BLOB, and the spatial index is SQLite's built-in R*Tree, kept in step by triggers
that :func:`sqlite_rtree_ddl` writes. Python code always sees shapely geometries.
"""

from __future__ import annotations

from typing import Any

import shapely
from geoalchemy2 import Geography, Geometry
from geoalchemy2.elements import WKBElement
from shapely.geometry.base import BaseGeometry
from sqlalchemy import LargeBinary
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

WGS84_SRID = 4326
RTREE_PREFIX = "rtree_"


class GeometryColumn(TypeDecorator[BaseGeometry]):
    """A WGS84 geometry: PostGIS ``geometry`` (or ``geography``) on PostgreSQL, WKB BLOB on SQLite.

    ``geography=True`` suits points searched by distance: PostGIS then measures
    on the spheroid and ``<->`` KNN ordering is in meters.
    """

    impl = LargeBinary
    cache_ok = True
    # Read by geoalchemy2's CREATE TABLE hooks on PostgreSQL (indexes come from migrations).
    spatial_index = False
    dimension = 2
    use_typmod = None

    def __init__(
        self, geometry_type: str = "GEOMETRY", srid: int = WGS84_SRID, geography: bool = False
    ) -> None:
        super().__init__()
        self.geometry_type = geometry_type
        self.srid = srid
        self.geography = geography

    def load_dialect_impl(self, dialect: Dialect | None) -> TypeEngine[Any]:
        if dialect is not None and dialect.name == "postgresql":
            kind = Geography if self.geography else Geometry
            return dialect.type_descriptor(
                kind(self.geometry_type, srid=self.srid, spatial_index=False)
            )
        return LargeBinary() if dialect is None else dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value: BaseGeometry | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        wkb = shapely.to_wkb(value)
        if dialect is not None and dialect.name == "postgresql":
            return WKBElement(wkb, srid=self.srid)
        return wkb

    def process_result_value(self, value: Any, dialect: Dialect) -> BaseGeometry | None:
        if value is None:
            return None
        if isinstance(value, WKBElement):
            value = value.data
        if isinstance(value, memoryview):
            value = bytes(value)
        if isinstance(value, str):
            return shapely.from_wkb(bytes.fromhex(value))
        return shapely.from_wkb(value)


def rtree_table(table: str) -> str:
    return f"{RTREE_PREFIX}{table}"


def sqlite_rtree_ddl(table: str, id_column: str, bbox_sql: tuple[str, str, str, str]) -> list[str]:
    """DDL for an R*Tree on ``table`` plus the triggers that keep it in step.

    ``bbox_sql`` are SQL expressions over ``NEW`` for min_x, max_x, min_y, max_y
    (e.g. ``("NEW.lon", "NEW.lon", "NEW.lat", "NEW.lat")`` for a point). The
    R*Tree's id is the row's integer ``id_column``.
    """
    index = rtree_table(table)
    min_x, max_x, min_y, max_y = bbox_sql
    insert = (
        f"INSERT OR REPLACE INTO {index} (id, min_x, max_x, min_y, max_y) "
        f"SELECT NEW.{id_column}, {min_x}, {max_x}, {min_y}, {max_y} WHERE {min_x} IS NOT NULL"
    )
    return [
        f"CREATE VIRTUAL TABLE {index} USING rtree(id, min_x, max_x, min_y, max_y)",
        f"CREATE TRIGGER {index}_ai AFTER INSERT ON {table} BEGIN {insert}; END",
        f"CREATE TRIGGER {index}_au AFTER UPDATE ON {table} BEGIN "
        f"DELETE FROM {index} WHERE id = OLD.{id_column}; {insert}; END",
        f"CREATE TRIGGER {index}_ad AFTER DELETE ON {table} BEGIN "
        f"DELETE FROM {index} WHERE id = OLD.{id_column}; END",
    ]


def sqlite_rtree_drop_ddl(table: str) -> list[str]:
    index = rtree_table(table)
    return [
        f"DROP TRIGGER IF EXISTS {index}_ai",
        f"DROP TRIGGER IF EXISTS {index}_au",
        f"DROP TRIGGER IF EXISTS {index}_ad",
        f"DROP TABLE IF EXISTS {index}",
    ]


def is_spatial_internal(name: str | None) -> bool:
    """Tables that belong to PostGIS or to an R*Tree, not to our models (autogenerate skips them)."""
    if not name:
        return False
    if name.startswith(RTREE_PREFIX):
        return True
    return name in {"spatial_ref_sys", "geography_columns", "geometry_columns"}
