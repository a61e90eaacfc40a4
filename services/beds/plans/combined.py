"""Plan indicators from bed sums, per-county facility tests and reported figures combined (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from services.beds.indicators import BedTotals
from services.beds.plans.figures import Figure, count_figure, scaled_figure, share_figure

NO_REPORTS = "no bed reports this month"
NO_POPULATION = "no population: the region has no elderly (60+) count"


def bed_figures(
    totals: BedTotals,
    elderly_60plus: int | None,
    counties: Sequence[str],
    qualifying: Mapping[str, tuple[int, int]],
    provenance: str,
) -> dict[str, Figure]:
    """The bed indicators of one region and month.

    ``counties``: the county-level units the region is or contains; ``qualifying``: per
    county, how many institutions and township homes reported ≥ 70 % nursing-type beds.
    A month without any report is no data for every bed indicator.
    """
    if totals.facilities == 0:
        missing = Figure(None, missing=NO_REPORTS)
        return {
            name: missing
            for name in (
                "total_beds",
                "institutional_beds",
                "nursing_share",
                "beds_per_1000_elderly",
                "private_operated_share",
                "government_operated_share",
                "county_has_70pct_nursing_facility",
                "county_has_70pct_central_home",
            )
        }
    out = {
        "total_beds": count_figure(totals.total_beds),
        "institutional_beds": count_figure(totals.institutional_beds),
        "nursing_share": share_figure(
            totals.institutional_nursing_beds,
            totals.institutional_beds,
            missing="no institutional beds reported this month",
        ),
        "beds_per_1000_elderly": scaled_figure(
            totals.total_beds, elderly_60plus, 1000, missing=NO_POPULATION
        ),
        "private_operated_share": share_figure(
            totals.private_beds, totals.total_beds, missing="no beds reported this month"
        ),
        "government_operated_share": share_figure(
            totals.government_beds, totals.total_beds, missing="no beds reported this month"
        ),
    }
    for name, which in (
        ("county_has_70pct_nursing_facility", 0),
        ("county_has_70pct_central_home", 1),
    ):
        have = sum(1 for c in counties if qualifying.get(c, (0, 0))[which] > 0)
        out[name] = share_figure(have, len(counties), missing="no county-level unit here")
    return {
        k: Figure(f.value, f.numerator, f.denominator, f.missing, provenance)
        for k, f in out.items()
    }


def derived_figures(
    social_workers: Figure,
    elderly_60plus: int | None,
    institutional_beds: Figure,
    county_homes: Mapping[str, Figure],
) -> dict[str, Figure]:
    """Reported figures over registry or bed figures (social workers per 1,000 elderly, …).

    ``county_homes``: each county-level unit's reported integrated-care nursing homes.
    """
    workers = social_workers.value
    out: dict[str, Figure] = {}
    if workers is None:
        missing = Figure(None, missing=f"social workers {social_workers.missing or 'not reported'}")
        out["social_workers_per_1000_elderly"] = missing
        out["social_workers_per_100_institution_beds"] = missing
    else:
        out["social_workers_per_1000_elderly"] = scaled_figure(
            workers, elderly_60plus, 1000, missing=NO_POPULATION
        )
        out["social_workers_per_100_institution_beds"] = scaled_figure(
            workers,
            institutional_beds.value,
            100,
            missing=institutional_beds.missing or "no institutional beds reported this month",
        )
    unreported = [c for c, f in county_homes.items() if f.value is None]
    if not county_homes:
        out["county_has_integrated_care_home"] = Figure(None, missing="no county-level unit here")
    elif unreported:
        out["county_has_integrated_care_home"] = Figure(
            None,
            missing=f"{len(county_homes) - len(unreported)} of {len(county_homes)} county-level "
            "units reported",
        )
    else:
        have = sum(1 for f in county_homes.values() if (f.value or 0) >= 1)
        out["county_has_integrated_care_home"] = share_figure(
            have, len(county_homes), missing="no county-level unit here"
        )
    return out
