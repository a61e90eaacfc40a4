"""A made-up city for plan-indicator tests: regions with kinds, facilities, bed reports, reported figures.

Everything is generated (seeded) and written through each service's own tables —
facilities and regions into the REAL facilities database, bed reports and reported
figures into ours, a finished coverage run into the coverage database — then read
back by the real services over HTTP. ``oracle.py`` recomputes every indicator from
these lists by brute force.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, update

from services.beds.figures import FacilityFacts, Figures
from services.beds.plans import repository as plans_repository
from services.common.db import make_engine, make_session_factory, transaction

PROVINCE, CITY = "990000000000", "990100000000"
DISTRICTS = ("990101000000", "990102000000", "990103000000")
DISTRICT_ELDERLY = {"990101000000": 12_000, "990102000000": 8_000, "990103000000": None}
STREET_NAMES = ("一街道", "二镇", "三乡", "四林场")
COMMUNITY_NAMES = ("甲社区居委会", "乙村民委员会", "丙居委会", "丁虚拟社区", "戊村委会")
TYPES = (
    "nursing_home",
    "care_center",
    "community_station",
    "day_care",
    "rural_happiness_home",
    "mutual_aid_point",
    "meal_point",
    "township_home",
    "embedded_home",
)
MODES = ("public_run", "public_built_private_run", "private", None)
STATUSES = ("active", "active", "active", "planned", "suspended", "closed")
PERIODS = ("2025-09", "2025-10")


@dataclass
class City:
    regions: list[dict[str, Any]] = field(default_factory=list)
    facilities: list[dict[str, Any]] = field(default_factory=list)
    reports: list[dict[str, Any]] = field(default_factory=list)
    reported: list[dict[str, Any]] = field(default_factory=list)
    coverage: list[dict[str, Any]] = field(default_factory=list)  # rows of one 15-minute run

    def codes(self, level: str) -> list[str]:
        return [r["code"] for r in self.regions if r["level"] == level]


def make_city(seed: int) -> City:
    rng = random.Random(seed)
    city = City()
    city.regions += [
        {
            "code": PROVINCE,
            "name": "样例省",
            "level": "province",
            "parent_code": None,
            "elderly_60plus": None,
        },
        {
            "code": CITY,
            "name": "样例市",
            "level": "city",
            "parent_code": PROVINCE,
            "elderly_60plus": 30_000,
        },
    ]
    for d, district in enumerate(DISTRICTS, start=1):
        city.regions.append(
            {
                "code": district,
                "name": f"{d}区",
                "level": "district",
                "parent_code": CITY,
                "elderly_60plus": DISTRICT_ELDERLY[district],
            }
        )
        for s, street_name in enumerate(STREET_NAMES, start=1):
            street = district[:6] + f"{s:03d}000"
            name = f"{d}{street_name}"
            city.regions.append(
                {
                    "code": street,
                    "name": name,
                    "level": "street",
                    "parent_code": district,
                    "kind": {"一街道": "subdistrict", "二镇": "town", "三乡": "township"}.get(
                        street_name
                    ),
                    "elderly_60plus": 900 if (d, s) == (1, 1) else None,
                }
            )
            for c in range(1, rng.randint(2, 5) + 1):
                base = COMMUNITY_NAMES[(c + s) % len(COMMUNITY_NAMES)]
                kind = {
                    "甲社区居委会": "urban_community",
                    "丙居委会": "urban_community",
                    "乙村民委员会": "village",
                    "戊村委会": "village",
                }.get(base)
                city.regions.append(
                    {
                        "code": street[:9] + f"{c:03d}",
                        "name": f"{d}{s}{base}",
                        "level": "community",
                        "parent_code": street,
                        "kind": kind,
                        "elderly_60plus": None,
                    }
                )
    communities, streets = city.codes("community"), city.codes("street")
    for fid in range(1, 181):
        where = rng.random()
        region = (
            rng.choice(communities)
            if where < 0.6
            else rng.choice(streets)
            if where < 0.85
            else rng.choice(DISTRICTS)
            if where < 0.95
            else None
        )
        city.facilities.append(
            {
                "id": fid,
                "type": rng.choice(TYPES),
                "status": rng.choice(STATUSES),
                "region_code": region,
                "operation_mode": rng.choice(MODES),
                "star_rating": rng.choice((None, 0, 1, 2, 3, 4, 5)),
                "center_id": None,
            }
        )
    # A centre and its stations in urban communities of 一街道 (中心带站), one station on its own.
    urban = [r["code"] for r in city.regions if r.get("kind") == "urban_community"]
    city.facilities.append(
        {
            "id": 181,
            "type": "care_center",
            "status": "active",
            "region_code": urban[0],
            "operation_mode": "private",
            "star_rating": 3,
            "center_id": None,
        }
    )
    for fid, code in zip((182, 183, 184), urban[1:4], strict=True):
        city.facilities.append(
            {
                "id": fid,
                "type": "community_station",
                "status": "active",
                "region_code": code,
                "operation_mode": "public_built_private_run",
                "star_rating": None,
                "center_id": 181 if fid != 184 else None,
            }
        )
    for facility in city.facilities[:180]:
        if facility["type"] == "community_station" and rng.random() < 0.6:
            facility["center_id"] = rng.choice(city.facilities)["id"]  # often a centre, not always
    for facility in city.facilities:
        for period in PERIODS:
            if rng.random() < 0.7:
                total = rng.randint(0, 150)
                nursing = (
                    rng.randint(int(total * 0.6), total)
                    if rng.random() < 0.3
                    else rng.randint(0, total)
                )
                if (facility["region_code"] or "").startswith("990103"):
                    nursing = min(nursing, total * 69 // 100)  # 3区: no facility at 70 %
                city.reports.append(
                    {"facility": facility, "period": period, "total": total, "nursing": nursing}
                )
    # Reported figures: every reported indicator somewhere, as shares with parts or as counts.
    from services.beds.plans.definitions import BY_ID, REPORTED_IDS

    for i, indicator in enumerate(REPORTED_IDS):
        share = BY_ID[indicator].is_share
        for d, district in enumerate(DISTRICTS):
            if (i + d) % 7 == 0:
                continue  # some districts do not report some figures
            row = {
                "region_code": district,
                "period": "2025-10",
                "indicator": indicator,
                "source": f"{district} 民政局 2025-10",
            }
            if share:
                den = rng.randint(5, 60)
                row.update(numerator=float(rng.randint(0, den)), denominator=float(den))
                row["value"] = row["numerator"] / row["denominator"]
            elif BY_ID[indicator].unit == "yuan_100m":
                row.update(value=round(rng.uniform(0, 3), 2), numerator=None, denominator=None)
            else:
                row.update(value=float(rng.randint(0, 40)), numerator=None, denominator=None)
            city.reported.append(row)
    city.reported.append(
        {
            "region_code": "990101001000",
            "period": "2025-10",
            "indicator": "certified_staff_rate",
            "value": 0.75,
            "numerator": None,
            "denominator": None,
            "source": "一街道 bare share",
        }
    )
    # A finished 15-minute coverage run with rows per street (what the coverage service stores).
    for street in streets:
        elderly = float(rng.randint(0, 500))
        covered = float(rng.randint(0, int(elderly))) if elderly else 0.0
        points = rng.randint(1, 20)
        city.coverage.append(
            {
                "region_code": street,
                "elderly": elderly,
                "covered_elderly": covered,
                "demand_points": points,
                "covered_share_by_count": rng.randint(0, points) / points,
                "covered_share_by_elderly": covered / elderly if elderly else None,
            }
        )
    return city


def load_facilities(url: str, city: City) -> None:
    """Regions (with kinds) and facilities into the facilities service's own tables."""
    from services.facilities.models import Facility, Region

    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(Region.__table__),
                [
                    {
                        "code": r["code"],
                        "code_int": int(r["code"]),
                        "name": r["name"],
                        "level": r["level"],
                        "parent_code": r["parent_code"],
                        "kind": r.get("kind"),
                        "elderly_60plus": r.get("elderly_60plus"),
                        "year": 2020,
                    }
                    for r in city.regions
                ],
            )
            conn.execute(
                insert(Facility.__table__),
                [
                    {
                        "id": f["id"],
                        "external_id": f"M{f['id']}",
                        "source": "made-up",
                        "name": f"设施{f['id']}",
                        "name_normalized": f"设施{f['id']}",
                        "type": f["type"],
                        "services": [],
                        "services_mask": 0,
                        "operation_mode": f["operation_mode"],
                        "star_rating": f["star_rating"],
                        "status": f["status"],
                        "lon": 116.0,
                        "lat": 39.0,
                        "region_code": f["region_code"],
                        "version": 1,
                    }
                    for f in city.facilities
                ],
            )
            for f in city.facilities:
                if f["center_id"] is not None:
                    conn.execute(
                        update(Facility.__table__)
                        .where(Facility.__table__.c.id == f["id"])
                        .values(center_id=f["center_id"])
                    )
    finally:
        engine.dispose()


def load_beds(url: str, city: City) -> None:
    """Bed reports and reported figures into the beds database, as the services write them."""
    from services.beds import repository

    engine = make_engine(url)
    sessions = make_session_factory(engine, write=True)
    try:
        with transaction(sessions) as session:
            for r in city.reports:
                f = r["facility"]
                repository.create_report(
                    session,
                    period=r["period"],
                    figures=Figures(r["total"], r["nursing"], 0, 0),
                    facts=FacilityFacts(
                        f["id"],
                        f"M{f['id']}",
                        None,
                        f["type"],
                        f["operation_mode"],
                        f["region_code"],
                        f["status"],
                    ),
                    actor="test",
                    request_id=None,
                )
            for row in city.reported:
                plans_repository.write_reported(
                    session,
                    existing=None,
                    region_code=row["region_code"],
                    period=row["period"],
                    values=row,
                    actor="test",
                    request_id=None,
                )
    finally:
        engine.dispose()


def load_coverage(url: str, city: City, minutes: int = 15) -> None:
    """One finished coverage run (as the coverage service stores it) with the city's rows."""
    from services.coverage.models import DemandSetRow, NetworkRow, RunRegionRow, RunRow

    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(NetworkRow.__table__),
                [
                    {
                        "id": 1,
                        "name": "made-up",
                        "kind": "walk",
                        "version": f"v{minutes}",
                        "epsg": 4326,
                        "n_nodes": 0,
                        "n_edges": 0,
                        "data": b"",
                    }
                ],
            )
            conn.execute(
                insert(DemandSetRow.__table__),
                [
                    {
                        "id": 1,
                        "name": "made-up",
                        "version": f"d{minutes}",
                        "n_points": 0,
                        "total_elderly": 0.0,
                        "data": b"",
                    }
                ],
            )
            conn.execute(
                insert(RunRow.__table__),
                [
                    {
                        "id": 1,
                        "cache_key": f"k{minutes}",
                        "status": "done",
                        "progress": 100,
                        "network_id": 1,
                        "demand_set_id": 1,
                        "params": {"minutes": minutes, "speed_mps": 1.0},
                        "stations": [],
                        "summary": {},
                        "finished_at": datetime.now(UTC),
                    }
                ],
            )
            conn.execute(
                insert(RunRegionRow.__table__), [{"run_id": 1, **row} for row in city.coverage]
            )
    finally:
        engine.dispose()
