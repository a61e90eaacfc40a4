"""Builders for beds tests: facilities and regions in the REAL facilities database, bed reports in ours.

Facilities and regions are inserted with the facilities service's own tables
(tests may reach into both databases; the services themselves never do), then
served by the real facilities app over HTTP (``tests.servers.running_app``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert

from services.beds import repository
from services.beds.figures import FacilityFacts, FamilyBedCount, Figures
from services.common.db import make_engine
from services.common.identity import region_prefix

LEVEL_BY_WIDTH = {2: "province", 4: "city", 6: "district", 9: "street", 12: "community"}


def parent_of(code: str) -> str | None:
    width = len(region_prefix(code))
    for shorter in (9, 6, 4, 2):
        if shorter < width:
            return code[:shorter].ljust(12, "0")
    return None


def seed_facilities_db(
    url: str, *, regions: Iterable[dict[str, Any]] = (), facilities: Iterable[dict[str, Any]] = ()
) -> None:
    """Insert regions (code, name, elderly_60plus) and facilities (id, external_id, type, status, …)."""
    from services.facilities.models import Facility, Region

    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            region_rows = [
                {
                    "code": r["code"],
                    "code_int": int(r["code"]),
                    "name": r.get("name", r["code"]),
                    "level": r.get("level", LEVEL_BY_WIDTH[len(region_prefix(r["code"]))]),
                    "parent_code": r.get("parent_code", parent_of(r["code"])),
                    "population": r.get("population"),
                    "elderly_60plus": r.get("elderly_60plus"),
                    "elderly_65plus": r.get("elderly_65plus"),
                    "year": r.get("year", 2020),
                }
                for r in regions
            ]
            if region_rows:
                conn.execute(insert(Region.__table__), region_rows)
            facility_rows = [
                {
                    "id": f["id"],
                    "external_id": f.get("external_id", f"F{f['id']}"),
                    "source": f.get("source", "registry"),
                    "name": f.get("name", f"Facility {f['id']}"),
                    "name_normalized": f.get("name", f"facility {f['id']}").lower(),
                    "type": f.get("type", "nursing_home"),
                    "services": [],
                    "services_mask": 0,
                    "operation_mode": f.get("operation_mode"),
                    "status": f.get("status", "active"),
                    "capacity": f.get("capacity"),
                    "lon": 117.6,
                    "lat": 24.5,
                    "region_code": f.get("region_code"),
                    "version": 1,
                }
                for f in facilities
            ]
            if facility_rows:
                conn.execute(insert(Facility.__table__), facility_rows)
    finally:
        engine.dispose()


def facts(
    facility_id: int,
    region_code: str | None,
    *,
    mode: str | None = "private",
    type_: str = "nursing_home",
) -> FacilityFacts:
    return FacilityFacts(
        facility_id=facility_id,
        external_id=f"F{facility_id}",
        name=f"Facility {facility_id}",
        type=type_,
        operation_mode=mode,
        region_code=region_code,
        status="active",
    )


def write_report(
    session: Any,
    *,
    fact: FacilityFacts,
    period: str,
    total: int,
    nursing: int,
    dementia: int = 0,
    occupied: int = 0,
    family: Iterable[tuple[str, int]] = (),
) -> Any:
    figures = Figures(
        total, nursing, dementia, occupied, tuple(FamilyBedCount(c, b) for c, b in family)
    )
    return repository.create_report(
        session, period=period, figures=figures, facts=fact, actor="test", request_id=None
    )
