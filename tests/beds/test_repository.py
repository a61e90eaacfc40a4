"""SQL rollups on both engines: a hand-computed region tree, and brute force on random reports."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session

from services.beds import repository
from services.beds.indicators import CENTRAL_HOME_TYPES, GOVERNMENT_MODES, PRIVATE_MODES, BedTotals
from services.beds.levels import child_column, column_for
from services.common.db import make_engine, make_session_factory, transaction
from services.common.identity import region_prefix
from tests.beds.factories import facts, write_report

CITY, D1, D2 = "350600000000", "350602000000", "350603000000"
S1, S2, K1 = "350602001000", "350602002000", "350602001001"
P = "2025-03"


@pytest.fixture
def sessions(beds_db_url: str) -> Iterator[Any]:
    engine = make_engine(beds_db_url)
    yield make_session_factory(engine, write=True)
    engine.dispose()


def totals(
    session: Session, code: str, group_by: str | None = None, first: str = P, last: str = P
) -> dict[Any, BedTotals]:
    return repository.region_totals(
        session,
        column=column_for(code),
        code=code,
        first_period=first,
        last_period=last,
        group_by=group_by,
    )


def seed_hand_example(session: Session) -> None:
    """Four facilities in Zhangzhou (see the known values below)."""
    write_report(
        session,
        fact=facts(1, K1, mode="private"),
        period=P,
        total=100,
        nursing=60,
        dementia=10,
        occupied=80,
        family=[(K1, 5)],
    )
    write_report(
        session,
        fact=facts(2, S2, mode="public_run", type_="township_home"),
        period=P,
        total=50,
        nursing=40,
        occupied=30,
    )
    write_report(
        session,
        fact=facts(3, D2, mode="public_built_private_run", type_="township_home"),
        period=P,
        total=40,
        nursing=20,
        occupied=40,
    )
    write_report(
        session,
        fact=facts(4, D1, mode=None, type_="care_center"),
        period=P,
        total=10,
        nursing=0,
        occupied=5,
        family=[(D2, 7)],
    )
    # Another month and another city must not leak into the rollup.
    write_report(session, fact=facts(1, K1), period="2025-02", total=999, nursing=0)
    write_report(session, fact=facts(9, "520201000000"), period=P, total=77, nursing=7)


def test_hand_computed_city_rollup(sessions: Any) -> None:
    with transaction(sessions) as session:
        seed_hand_example(session)
    with sessions() as session:
        observed = totals(session, CITY)[None]
    known = BedTotals(
        facilities=4,
        total_beds=200,
        nursing_beds=120,
        institutional_beds=190,  # the care centre's 10 beds are not an institution's
        institutional_nursing_beds=120,
        dementia_beds=10,
        occupied_beds=155,
        private_beds=140,
        government_beds=50,
        unknown_mode_beds=10,
        family_beds=12,
        central_homes=2,
        central_homes_meeting_70=1,
        central_homes_gap_beds=8,
    )
    assert observed == known


def test_hand_computed_children_and_family_beds_in_the_homes_region(sessions: Any) -> None:
    with transaction(sessions) as session:
        seed_hand_example(session)
    with sessions() as session:
        districts = totals(session, CITY, "district_code")
        streets = totals(session, D1, "street_code")
    assert (districts[D1].total_beds, districts[D1].nursing_beds, districts[D1].family_beds) == (
        160,
        100,
        5,
    )
    assert (districts[D2].total_beds, districts[D2].family_beds) == (40, 7)
    # Facility 4 sits on the district itself: it has no street, so it is in no street's row.
    assert {k: v.total_beds for k, v in streets.items()} == {S1: 100, S2: 50, None: 10}


def test_series_groups_by_month(sessions: Any) -> None:
    with transaction(sessions) as session:
        seed_hand_example(session)
    with sessions() as session:
        series = totals(session, K1, "period", first="2025-01", last="2025-03")
    assert {k: v.total_beds for k, v in series.items()} == {"2025-02": 999, "2025-03": 100}


# --- brute force on random data ----------------------------------------------------------------

DISTRICTS = ["350602000000", "350603000000", "350681000000"]
MODES = [*PRIVATE_MODES, *GOVERNMENT_MODES, None]
TYPES = ["nursing_home", "care_center", *CENTRAL_HOME_TYPES]
PERIODS = ["2025-01", "2025-02", "2025-03"]


def random_codes(rng: random.Random) -> list[str]:
    codes = list(DISTRICTS)
    for district in DISTRICTS:
        for street in range(1, 4):
            street_code = district[:6] + f"{street:03d}000"
            codes.append(street_code)
            codes += [street_code[:9] + f"{c:03d}" for c in range(1, 3)]
    return codes


def brute_force(
    reports: list[dict[str, Any]], family: list[dict[str, Any]], code: str, period: str
) -> BedTotals:
    """Plain Python over every report, with prefix matching instead of level columns."""
    prefix = region_prefix(code)
    inside = [
        r
        for r in reports
        if r["period"] == period and r["region"] and r["region"].startswith(prefix)
    ]
    central = [r for r in inside if r["type"] in CENTRAL_HOME_TYPES and r["total"] > 0]
    institutions = [
        r for r in inside if r["type"] in ("nursing_home", "township_home", "embedded_home")
    ]
    meeting = [r for r in central if r["nursing"] / r["total"] >= 0.7 - 1e-12]
    gap = 0
    for r in central:
        missing = 0
        while (r["nursing"] + missing) * 10 < 7 * r["total"]:
            missing += 1
        gap += missing
    return BedTotals(
        facilities=len(inside),
        total_beds=sum(r["total"] for r in inside),
        nursing_beds=sum(r["nursing"] for r in inside),
        institutional_beds=sum(r["total"] for r in institutions),
        institutional_nursing_beds=sum(r["nursing"] for r in institutions),
        dementia_beds=sum(r["dementia"] for r in inside),
        occupied_beds=sum(r["occupied"] for r in inside),
        private_beds=sum(r["total"] for r in inside if r["mode"] in PRIVATE_MODES),
        government_beds=sum(r["total"] for r in inside if r["mode"] in GOVERNMENT_MODES),
        unknown_mode_beds=sum(r["total"] for r in inside if r["mode"] is None),
        family_beds=sum(
            f["beds"] for f in family if f["period"] == period and f["region"].startswith(prefix)
        ),
        central_homes=len(central),
        central_homes_meeting_70=len(meeting),
        central_homes_gap_beds=gap,
    )


@pytest.mark.parametrize("seed", [7, 2026])
def test_sql_rollups_equal_brute_force_on_random_reports(sessions: Any, seed: int) -> None:
    rng = random.Random(seed)
    codes = random_codes(rng)
    reports, family = [], []
    with transaction(sessions) as session:
        for facility_id in range(1, 121):
            region = rng.choice(codes + [None])
            mode, type_ = rng.choice(MODES), rng.choice(TYPES)
            for period in rng.sample(PERIODS, rng.randint(1, 3)):
                total = rng.randint(0, 300)
                row = {
                    "region": region,
                    "period": period,
                    "mode": mode,
                    "type": type_,
                    "total": total,
                    "nursing": rng.randint(0, total),
                    "dementia": rng.randint(0, total),
                    "occupied": rng.randint(0, total),
                }
                homes = (
                    [(rng.choice(codes), rng.randint(0, 20)) for _ in range(rng.randint(0, 2))]
                    if region
                    else []
                )
                homes = list(dict(homes).items())
                write_report(
                    session,
                    fact=facts(facility_id, region, mode=mode, type_=type_),
                    period=period,
                    total=row["total"],
                    nursing=row["nursing"],
                    dementia=row["dementia"],
                    occupied=row["occupied"],
                    family=homes,
                )
                reports.append(row)
                family += [{"region": c, "beds": b, "period": period} for c, b in homes]
    with sessions() as session:
        for code in ["350000000000", CITY, *rng.sample(codes, 8)]:
            for period in PERIODS:
                assert totals(session, code, first=period, last=period).get(
                    None, BedTotals()
                ) == brute_force(reports, family, code, period), (code, period)
            series = totals(session, code, "period", first=PERIODS[0], last=PERIODS[-1])
            for period in PERIODS:
                assert series.get(period, BedTotals()) == brute_force(reports, family, code, period)
            column = child_column(code)
            if column:
                children = totals(session, code, column, first="2025-02", last="2025-02")
                for child, observed in children.items():
                    if child is not None:
                        assert observed == brute_force(reports, family, child, "2025-02"), (
                            code,
                            child,
                        )


def test_a_correction_keeps_the_old_revision(sessions: Any) -> None:
    from services.beds.figures import Figures

    with transaction(sessions) as session:
        report = write_report(session, fact=facts(1, K1), period=P, total=100, nursing=50)
        repository.revise_report(
            session,
            report,
            figures=Figures(100, 65, 0, 0),
            facts=facts(1, K1),
            actor="test",
            request_id="r2",
            reason="typo",
        )
    with sessions() as session:
        current = repository.get_report(session, facility_id=1, period=P)
        history = repository.revisions(session, report_id=current.id)
    assert (current.version, current.nursing_beds) == (2, 65)
    assert [(h.revision, h.figures["nursing_beds"], h.reason) for h in history] == [
        (1, 50, None),
        (2, 65, "typo"),
    ]
