"""Every plan indicator of a made-up city straight from its written definition (brute force).

Plain loops over the generated lists, with prefix matching written out here, so the
SQL rollups, the registry indexes and the rollup rules of the code are checked
against something obviously right.
"""

from __future__ import annotations

from typing import Any

from tests.beds.plans.city import City

INSTITUTIONS = {"nursing_home", "township_home", "embedded_home"}
STATION_LIKE = {"care_center", "community_station", "day_care"}
HOME_COMMUNITY = {
    "care_center",
    "community_station",
    "day_care",
    "meal_point",
    "rural_happiness_home",
    "mutual_aid_point",
}
PRIVATE = {"public_built_private_run", "private"}

Value = tuple[float | None, float | None, float | None]  # value, numerator, denominator


def prefix(code: str) -> str:
    for width in (2, 4, 6, 9, 12):
        if set(code[width:]) <= {"0"}:
            return code[:width]
    return code


def within(code: str | None, region: str) -> bool:
    return code is not None and code.startswith(prefix(region))


def share(part: int | float, whole: int | float) -> Value:
    return (part / whole if whole else None, part, whole)


class Oracle:
    def __init__(self, city: City) -> None:
        self.city = city
        self.regions = {r["code"]: r for r in city.regions}

    def kind(self, code: str) -> str | None:
        return self.regions.get(code, {}).get("kind")

    def active(self, region: str, types: set[str]) -> list[dict[str, Any]]:
        return [
            f
            for f in self.city.facilities
            if f["status"] == "active" and f["type"] in types and within(f["region_code"], region)
        ]

    def units(self, region: str, level: str, kinds: set[str]) -> list[str]:
        return [
            r["code"]
            for r in self.city.regions
            if r["level"] == level and r.get("kind") in kinds and within(r["code"], region)
        ]

    def coverage_of_units(self, region: str, level: str, kinds: set[str], types: set[str]) -> Value:
        units = self.units(region, level, kinds)
        covered = [u for u in units if self.active(u, types)]
        return share(len(covered), len(units))

    def urban(self, facility: dict[str, Any]) -> bool | None:
        code = facility["region_code"]
        if code is None or len(prefix(code)) < 9:
            return None
        if len(prefix(code)) == 12 and self.kind(code) in ("urban_community", "village"):
            return self.kind(code) == "urban_community"
        street = self.kind(code[:9] + "000")
        return None if street is None else street == "subdistrict"

    def registry(self, region: str) -> dict[str, Value]:
        streets = {"subdistrict", "town", "township"}
        towns = {"town", "township"}
        out = {
            "street_center_coverage": self.coverage_of_units(
                region, "street", streets, {"care_center"}
            ),
            "town_center_coverage": self.coverage_of_units(
                region, "street", towns, {"care_center"}
            ),
            "town_residential_care_coverage": self.coverage_of_units(
                region, "street", towns, INSTITUTIONS
            ),
            "street_embedded_home_coverage": self.coverage_of_units(
                region, "street", {"subdistrict"}, {"embedded_home"}
            ),
            "community_station_coverage": self.coverage_of_units(
                region, "community", {"urban_community"}, STATION_LIKE
            ),
            "village_mutual_aid_coverage": self.coverage_of_units(
                region, "community", {"village"}, {"mutual_aid_point", "rural_happiness_home"}
            ),
            "village_service_coverage": self.coverage_of_units(
                region, "community", {"village"}, HOME_COMMUNITY
            ),
            "home_community_service_coverage": self.coverage_of_units(
                region, "community", {"urban_community", "village"}, HOME_COMMUNITY
            ),
        }
        centers = self.active(region, {"care_center"})
        in_towns = [
            f
            for f in centers
            if len(prefix(f["region_code"])) >= 9
            and self.kind(f["region_code"][:9] + "000") in towns
        ]
        count = len(in_towns)
        out["town_centers"] = (count, count, None)
        n = len(self.active(region, {"embedded_home"}))
        out["embedded_homes"] = (n, n, None)
        n = len(self.active(region, {"mutual_aid_point"}))
        out["mutual_aid_points"] = (n, n, None)
        urban = [f for f in self.active(region, STATION_LIKE) if self.urban(f)]
        moded = [f for f in urban if f["operation_mode"] is not None]
        out["socialized_operation_rate"] = share(
            sum(f["operation_mode"] in PRIVATE for f in moded), len(moded)
        )
        active_centres = {
            f["id"]
            for f in self.city.facilities
            if f["status"] == "active" and f["type"] == "care_center"
        }
        stations = [f for f in urban if f["type"] == "community_station"]
        out["center_led_station_rate"] = share(
            sum(f["center_id"] in active_centres for f in stations), len(stations)
        )
        homes = [
            f for f in self.active(region, {"township_home"}) if f["operation_mode"] is not None
        ]
        out["township_home_socialized_rate"] = share(
            sum(f["operation_mode"] in PRIVATE for f in homes), len(homes)
        )
        institutions = self.active(region, INSTITUTIONS)
        out["star_rated_share"] = share(
            sum((f["star_rating"] or 0) >= 1 for f in institutions), len(institutions)
        )
        out["star_3plus_share"] = share(
            sum((f["star_rating"] or 0) >= 3 for f in institutions), len(institutions)
        )
        return out

    def beds(self, region: str, period: str) -> dict[str, Value]:
        rows = [
            r
            for r in self.city.reports
            if r["period"] == period and within(r["facility"]["region_code"], region)
        ]
        names = (
            "total_beds",
            "institutional_beds",
            "nursing_share",
            "beds_per_1000_elderly",
            "private_operated_share",
            "government_operated_share",
            "county_has_70pct_nursing_facility",
            "county_has_70pct_central_home",
        )
        if not rows:
            return {n: (None, None, None) for n in names}
        total = sum(r["total"] for r in rows)
        inst = [r for r in rows if r["facility"]["type"] in INSTITUTIONS]
        inst_total = sum(r["total"] for r in inst)
        elderly = self.regions[region].get("elderly_60plus")
        out: dict[str, Value] = {
            "total_beds": (total, total, None),
            "institutional_beds": (inst_total, inst_total, None),
            "nursing_share": share(sum(r["nursing"] for r in inst), inst_total),
            "beds_per_1000_elderly": (total * 1000 / elderly if elderly else None, total, elderly),
            "private_operated_share": share(
                sum(r["total"] for r in rows if r["facility"]["operation_mode"] in PRIVATE), total
            ),
            "government_operated_share": share(
                sum(r["total"] for r in rows if r["facility"]["operation_mode"] == "public_run"),
                total,
            ),
        }
        counties = [c for c in self.city.codes("district") if within(c, region)]
        for name, types in (
            ("county_has_70pct_nursing_facility", INSTITUTIONS),
            ("county_has_70pct_central_home", {"township_home"}),
        ):
            have = [
                c
                for c in counties
                if any(
                    r["facility"]["type"] in types
                    and r["total"] > 0
                    and r["nursing"] / r["total"] >= 0.7 - 1e-12
                    and within(r["facility"]["region_code"], c)
                    for r in rows
                )
            ]
            out[name] = share(len(have), len(counties))
        return out

    def coverage(self, region: str) -> dict[str, Value]:
        rows = [r for r in self.city.coverage if r["region_code"] == region]
        if not rows:
            rows = [r for r in self.city.coverage if within(r["region_code"], region)]
        none: Value = (None, None, None)
        if not rows:
            return {"fifteen_minute_circle_share": none, "rural_one_hour_circle_share": none}
        elderly = sum(r["elderly"] for r in rows)
        covered = sum(r["covered_elderly"] for r in rows)
        return {
            "fifteen_minute_circle_share": (
                covered / elderly if elderly else None,
                covered,
                elderly,
            ),
            "rural_one_hour_circle_share": none,  # the run is a 15-minute one
        }

    def reported(self, region: str, indicator: str, period: str, is_share: bool) -> Value:
        own = [
            r
            for r in self.city.reported
            if r["region_code"] == region and r["indicator"] == indicator and r["period"] == period
        ]
        if own:
            r = own[0]
            return (r["value"], r["numerator"] if is_share else r["value"], r["denominator"])
        kids = [c["code"] for c in self.city.regions if c["parent_code"] == region]
        anywhere = any(
            within(r["region_code"], region)
            and r["indicator"] == indicator
            and r["period"] == period
            for r in self.city.reported
        )
        if not kids or not anywhere:
            return (None, None, None)
        parts = [self.reported(k, indicator, period, is_share) for k in kids]
        if any(p[0] is None for p in parts):
            return (None, None, None)
        if is_share:
            if any(p[1] is None or p[2] is None for p in parts):
                return (None, None, None)
            return share(sum(p[1] for p in parts), sum(p[2] for p in parts))  # type: ignore[misc]
        total = sum(p[0] for p in parts)  # type: ignore[misc]
        return (total, total, None)

    def all(self, region: str, period: str) -> dict[str, Value]:
        from services.beds.plans.definitions import BY_ID, REPORTED_IDS

        out = {**self.registry(region), **self.beds(region, period), **self.coverage(region)}
        for indicator in REPORTED_IDS:
            out[indicator] = self.reported(region, indicator, period, BY_ID[indicator].is_share)
        workers = out["elderly_care_social_workers"][0]
        elderly = self.regions[region].get("elderly_60plus")
        inst = out["institutional_beds"][0]
        out["social_workers_per_1000_elderly"] = (
            (workers * 1000 / elderly, workers, elderly)
            if workers is not None and elderly
            else (None, workers, elderly)
            if workers is not None
            else (None, None, None)
        )
        out["social_workers_per_100_institution_beds"] = (
            (workers * 100 / inst, workers, inst)
            if workers is not None and inst
            else (None, workers, inst)
            if workers is not None
            else (None, None, None)
        )
        counties = [c for c in self.city.codes("district") if within(c, region)]
        homes = [
            self.reported(c, "integrated_care_nursing_homes", period, False)[0] for c in counties
        ]
        if not counties or any(h is None for h in homes):
            out["county_has_integrated_care_home"] = (None, None, None)
        else:
            out["county_has_integrated_care_home"] = share(
                sum(h >= 1 for h in homes),
                len(counties),  # type: ignore[operator]
            )
        return out
