"""The figures of one bed report and the rules they obey (pure).

Every rule is checked and every broken one named, so a caller fixes a report
(or a whole CSV file) in one round rather than one error at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from services.common.validation import MAX_INT

COUNT_FIELDS = ("total_beds", "nursing_beds", "dementia_beds", "occupied_beds")


@dataclass(frozen=True)
class FamilyBedCount:
    """Family care beds (家庭养老床位) a facility serves in one region's homes."""

    region_code: str
    beds: int


@dataclass(frozen=True)
class Figures:
    """One facility's beds in one month (counts of beds)."""

    total_beds: int
    nursing_beds: int
    dementia_beds: int
    occupied_beds: int
    family: tuple[FamilyBedCount, ...] = field(default_factory=tuple)

    @property
    def family_beds(self) -> int:
        return sum(item.beds for item in self.family)

    def as_dict(self) -> dict[str, object]:
        return {
            "total_beds": self.total_beds,
            "nursing_beds": self.nursing_beds,
            "dementia_beds": self.dementia_beds,
            "occupied_beds": self.occupied_beds,
            "family_beds": self.family_beds,
            "family": [{"region_code": f.region_code, "beds": f.beds} for f in self.family],
        }


def figure_errors(values: dict[str, object]) -> list[tuple[str, str]]:
    """``[(field, message)]`` for every broken rule; empty when the figures are valid.

    Rules: counts are integers in [0, MAX_INT] (what an ``INTEGER`` column holds);
    nursing, dementia and occupied beds each fit within the total.
    """
    errors: list[tuple[str, str]] = []
    counts: dict[str, int] = {}
    for name in (*COUNT_FIELDS, "family_beds"):
        value = values.get(name)
        if value is None and name == "family_beds":
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            errors.append((name, f"{name} must be a whole number, got {value!r}"))
        elif value < 0:
            errors.append((name, f"{name} must be >= 0, got {value}"))
        elif value > MAX_INT:
            errors.append((name, f"{name} must be at most {MAX_INT}, got {value}"))
        else:
            counts[name] = value
    total = counts.get("total_beds")
    if total is not None:
        for name, label in (
            ("nursing_beds", "nursing-type"),
            ("dementia_beds", "dementia-care"),
            ("occupied_beds", "occupied"),
        ):
            if name in counts and counts[name] > total:
                errors.append((name, f"{label} beds ({counts[name]}) exceed total beds ({total})"))
    return errors


@dataclass(frozen=True)
class FacilityFacts:
    """What the facilities service said about a facility when its report was written."""

    facility_id: int
    external_id: str | None
    name: str | None
    type: str | None
    operation_mode: str | None
    region_code: str | None
    status: str | None = None

    @classmethod
    def from_facility(cls, body: dict[str, object]) -> FacilityFacts:
        """From a ``FacilityOut`` (or snapshot item) of the facilities service."""
        return cls(
            facility_id=int(body["id"]),  # type: ignore[call-overload]
            external_id=body.get("external_id"),  # type: ignore[arg-type]
            name=body.get("name"),  # type: ignore[arg-type]
            type=body.get("type"),  # type: ignore[arg-type]
            operation_mode=body.get("operation_mode"),  # type: ignore[arg-type]
            region_code=body.get("region_code"),  # type: ignore[arg-type]
            status=body.get("status"),  # type: ignore[arg-type]
        )
