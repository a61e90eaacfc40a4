"""Every indicator of the read path (SQL + math + cached elderly counts) against brute force (both engines)."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from typing import Any

import pytest

from services.beds import repository
from services.beds.indicators import CENTRAL_HOME_TYPES, GOVERNMENT_MODES, PRIVATE_MODES
from services.beds.rollups import Rollups
from services.common.db import make_engine, make_session_factory, transaction
from services.common.identity import region_prefix
from tests.beds.factories import facts, parent_of, write_report
from tests.beds.test_repository import MODES, PERIODS, TYPES, random_codes

CITY = "350600000000"


@pytest.fixture
def rollups(beds_db_url: str) -> Iterator[Rollups]:
    engine = make_engine(beds_db_url)
    yield Rollups(
        read_sessions=make_session_factory(engine),
        write_sessions=make_session_factory(engine, write=True),
        client=None,  # region names and elderly counts come from the cache filled below
        region_ttl_s=10**9,
    )
    engine.dispose()


def expected(
    rows: list[dict[str, Any]], code: str, period: str, elderly: int | None
) -> dict[str, Any]:
    """Each indicator straight from its definition, over the rows whose region starts with the prefix."""
    inside = [
        r
        for r in rows
        if r["period"] == period and r["region"] and r["region"].startswith(region_prefix(code))
    ]
    total = sum(r["total"] for r in inside)

    def share(values: list[int]) -> float | None:
        return sum(values) / total if total else None

    central = [r for r in inside if r["type"] in CENTRAL_HOME_TYPES and r["total"] > 0]
    # 养老机构护理型床位占比: institutions only (nursing homes, township homes, embedded homes).
    institutions = [
        r for r in inside if r["type"] in ("nursing_home", "township_home", "embedded_home")
    ]
    institutional_beds = sum(r["total"] for r in institutions)
    return {
        "total_beds": total,
        "nursing_beds": sum(r["nursing"] for r in inside),
        "nursing_share": (
            sum(r["nursing"] for r in institutions) / institutional_beds
            if institutional_beds
            else None
        ),
        "occupancy_rate": share([r["occupied"] for r in inside]),
        "private_operated_share": share([r["total"] for r in inside if r["mode"] in PRIVATE_MODES]),
        "government_operated_share": share(
            [r["total"] for r in inside if r["mode"] in GOVERNMENT_MODES]
        ),
        "beds_per_1000_elderly": total / (elderly / 1000) if elderly else None,
        "central_homes_nursing_70_share": (
            sum(1 for r in central if 10 * r["nursing"] >= 7 * r["total"]) / len(central)
            if central
            else None
        ),
    }


def close(a: float | None, b: float | None) -> bool:
    return (a is None and b is None) or (
        a is not None and b is not None and math.isclose(a, b, rel_tol=1e-12)
    )


@pytest.mark.parametrize("seed", [3, 11])
def test_every_indicator_equals_brute_force(rollups: Rollups, seed: int) -> None:
    rng = random.Random(seed)
    codes = random_codes(rng)
    elderly = {code: rng.choice([None, rng.randint(1_000, 90_000)]) for code in [CITY, *codes]}
    rows = []
    with transaction(rollups.write_sessions) as session:
        repository.upsert_regions(
            session,
            [
                {"code": c, "name": c, "parent_code": parent_of(c), "elderly_60plus": e}
                for c, e in elderly.items()
            ],
        )
        for code in elderly:  # every cached region knows its children
            repository.upsert_regions(session, [], children_of=code)
        for facility_id in range(1, 90):
            region, mode, type_ = rng.choice(codes), rng.choice(MODES), rng.choice(TYPES)
            for period in rng.sample(PERIODS, rng.randint(1, 3)):
                total = rng.randint(0, 200)
                row = {
                    "region": region,
                    "period": period,
                    "mode": mode,
                    "type": type_,
                    "total": total,
                    "nursing": rng.randint(0, total),
                    "occupied": rng.randint(0, total),
                }
                write_report(
                    session,
                    fact=facts(facility_id, region, mode=mode, type_=type_),
                    period=period,
                    total=total,
                    nursing=row["nursing"],
                    occupied=row["occupied"],
                )
                rows.append(row)
    for code in [CITY, *rng.sample(codes, 5)]:
        for period in PERIODS:
            observed = rollups.region_indicators(code, period)
            assert observed["elderly_source"] == "cache"
            for name, value in expected(rows, code, period, elderly[code]).items():
                assert close(observed[name], value), (code, period, name)
        series = rollups.series(code, PERIODS[0], PERIODS[-1])["items"]
        for item in series:
            for name, value in expected(rows, code, item["period"], elderly[code]).items():
                assert close(item[name], value), (code, item["period"], name)
        children = rollups.children(code, PERIODS[1], "nursing_share", "asc")["items"]
        for child in children:
            for name, value in expected(
                rows, child["region"], PERIODS[1], elderly.get(child["region"])
            ).items():
                assert close(child[name], value), (code, child["region"], name)
        shares = [c["nursing_share"] for c in children if c["nursing_share"] is not None]
        assert shares == sorted(shares)
