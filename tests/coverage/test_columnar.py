"""Demand sets as columns: a lossless round trip, a version of the content, the migration."""

from __future__ import annotations

import numpy as np
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from services.common.db import make_engine
from services.common.migrate import downgrade, upgrade
from services.coverage import columnar
from services.coverage.loaders import PointSet, points_from_records
from tests.conftest import ScratchDatabases

text = st.one_of(st.none(), st.text(max_size=12))
record = st.fixed_dictionaries(
    {
        "lon": st.floats(-180, 180),
        "lat": st.floats(-90, 90),
        "elderly": st.floats(0, 1e6),
    },
    optional={
        "region_code": text,
        "type": st.one_of(text, st.integers(), st.booleans()),
        "elderly_80plus": st.one_of(st.none(), st.floats(0, 1e3), st.integers(0, 10**6)),
        "名字": text,
    },
)


def same(a: PointSet, b: PointSet) -> None:
    assert a.ids.tolist() == b.ids.tolist()
    assert a.lon.tobytes() == b.lon.tobytes() and a.lat.tobytes() == b.lat.tobytes()
    assert a.elderly.tobytes() == b.elderly.tobytes()
    assert sorted(a.attrs) == sorted(b.attrs)


@settings(max_examples=60, deadline=None)
@given(st.lists(record, min_size=1, max_size=30))
def test_round_trip_keeps_every_value(records: list[dict[str, object]]) -> None:
    records = [{**r, "id": f"p{i}é"} for i, r in enumerate(records)]
    ps = points_from_records(records, "demand", need_elderly=True)
    cols = columnar.columns(ps)
    back = columnar.decode(columnar.encode(cols))
    same(ps, back)
    for name, values in ps.attrs.items():
        got = back.attrs[name].tolist()
        if name == "elderly_80plus":
            known = [None if v is None else float(v) for v in values]
        else:
            known = [None if v is None else str(v) for v in values]
        assert got == known, name
    assert columnar.version(columnar.columns(back)) == columnar.version(cols)


def test_the_version_follows_the_content_not_the_bytes() -> None:
    base = [{"id": "a", "lon": 1.0, "lat": 2.0, "elderly": 3}]
    one = columnar.columns(points_from_records(base, "d", True))
    again = columnar.columns(points_from_records([dict(base[0])], "d", True))
    other = columnar.columns(points_from_records([{**base[0], "elderly": 4}], "d", True))
    assert columnar.version(one) == columnar.version(again) != columnar.version(other)
    assert columnar.encode(one) != b""  # compressed bytes may differ run to run; versions do not


def test_a_numeric_attribute_that_is_not_a_number_names_its_row() -> None:
    ps = points_from_records(
        [
            {"id": "a", "lon": 1, "lat": 2, "elderly": 3, "elderly_80plus": "1"},
            {"id": "b", "lon": 1, "lat": 2, "elderly": 3, "elderly_80plus": "many"},
        ],
        "demand",
        True,
    )
    try:
        columnar.columns(ps, "demand")
    except ValueError as exc:
        assert str(exc) == "demand row 2: elderly_80plus 'many' is not a number"
    else:
        raise AssertionError("accepted a word as a count")


def test_the_migration_converts_json_rows_both_ways(
    backend: str, scratch_databases: ScratchDatabases
) -> None:
    url = scratch_databases.empty_url(backend, "columnar")
    upgrade("coverage", url, "coverage_0002")
    points = [
        {"id": "a", "lon": 116.4, "lat": 39.9, "elderly": 10, "region_code": "110101001001"},
        {"id": "b", "lon": 116.41, "lat": 39.91, "elderly": 20.5, "elderly_80plus": 2},
    ]
    engine = make_engine(url)
    sets = sa.table(
        "coverage_demand_sets",
        *(sa.column(c) for c in ("id", "name", "version", "n_points", "total_elderly")),
        sa.column("derived", sa.Boolean()),
        sa.column("points", sa.JSON()),
    )
    try:
        with engine.begin() as conn:
            conn.execute(
                sets.insert().values(
                    id=1,
                    name="old",
                    version="0123456789abcdef",
                    n_points=2,
                    total_elderly=30.5,
                    derived=False,
                    points=points,
                )
            )
        upgrade("coverage", url)
        with engine.connect() as conn:
            data, version = conn.execute(
                sa.text("SELECT data, version FROM coverage_demand_sets WHERE id = 1")
            ).one()
        ps = columnar.decode(bytes(data))
        assert ps.ids.tolist() == ["a", "b"] and ps.elderly.tolist() == [10.0, 20.5]
        assert ps.attrs["region_code"].tolist() == ["110101001001", None]
        assert ps.attrs["elderly_80plus"].tolist() == [None, 2.0]
        assert version == columnar.version(columnar.columns(ps))
        downgrade("coverage", url, "coverage_0002")
        with engine.connect() as conn:
            back = conn.execute(sa.select(sets.c.points).where(sets.c.id == 1)).scalar_one()
        assert back == [
            {"id": "a", "lon": 116.4, "lat": 39.9, "elderly": 10.0, "region_code": "110101001001"},
            {"id": "b", "lon": 116.41, "lat": 39.91, "elderly": 20.5, "elderly_80plus": 2.0},
        ]
    finally:
        engine.dispose()


def test_text_packing_keeps_none_and_any_unicode() -> None:
    values = ["", None, "a,b", "北京", "\ud800", "x" * 1000]
    data, ends = columnar.pack_text(values)
    assert columnar.unpack_text(data, ends).tolist() == values
    assert np.asarray(ends).dtype == np.int64
