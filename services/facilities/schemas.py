"""Request and response schemas of the facilities service (the contract in docs/contracts.md).

The vocabularies (facility types, services, operation modes, statuses, region levels and kinds)
live once in :mod:`services.facilities.vocabulary`, CRS names in :mod:`services.facilities.crs`;
they are re-exported here for the schemas' importers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from services.common.opening_hours import WEEKDAYS as WEEKDAYS
from services.common.validation import MAX_INT, TextChecked
from services.facilities.crs import CRS_NAMES as CRS_NAMES
from services.facilities.crs import CrsName
from services.facilities.vocabulary import FACILITY_TYPES as FACILITY_TYPES
from services.facilities.vocabulary import OPERATION_MODES as OPERATION_MODES
from services.facilities.vocabulary import REGION_KINDS as REGION_KINDS
from services.facilities.vocabulary import REGION_LEVELS as REGION_LEVELS
from services.facilities.vocabulary import SERVICES as SERVICES
from services.facilities.vocabulary import STATUSES as STATUSES
from services.facilities.vocabulary import FacilityType as FacilityType
from services.facilities.vocabulary import OperationMode as OperationMode
from services.facilities.vocabulary import RegionKind as RegionKind
from services.facilities.vocabulary import RegionLevel as RegionLevel
from services.facilities.vocabulary import ServiceSlug as ServiceSlug
from services.facilities.vocabulary import Status as Status

Crs = CrsName  # the query parameter's name for it

REGION_CODE_PATTERN = r"^\d{12}$"
RegionCode = Annotated[str, Field(pattern=REGION_CODE_PATTERN, examples=["500112000000"])]
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")


def services_mask(services: Sequence[str]) -> int:
    """Bit mask of ``services`` (bit ``i`` = ``SERVICES[i]``), for index-free filtering in SQL."""
    mask = 0
    for slug in services:
        mask |= 1 << SERVICES.index(slug)
    return mask


def validate_opening_hours(value: dict[str, Any] | None) -> dict[str, list[list[str]]] | None:
    """Check ``{"mon": [["08:00", "18:00"]], …}``: known weekdays, HH:MM pairs, open ≠ close.

    A close before the open runs past midnight (``["20:00", "02:00"]``); the rule that
    reads them is ``services.common.opening_hours``.

    Raises ``ValueError`` naming the day; returns the value with days in week order.
    """
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError("opening_hours must be an object keyed by weekday (mon … sun)")
    out: dict[str, list[list[str]]] = {}
    for day, spans in value.items():
        if day not in WEEKDAYS:
            raise ValueError(
                f"opening_hours: unknown day {day!r}; use one of {', '.join(WEEKDAYS)}"
            )
        if not isinstance(spans, list):
            raise ValueError(f"opening_hours.{day} must be a list of [open, close] pairs")
        checked = []
        for span in spans:
            if not (
                isinstance(span, (list, tuple))
                and len(span) == 2
                and all(isinstance(t, str) for t in span)
            ):
                raise ValueError(
                    f'opening_hours.{day}: each span is ["HH:MM", "HH:MM"], got {span!r}'
                )
            start, end = span
            if not (_HHMM.match(start) and _HHMM.match(end)):
                raise ValueError(
                    f"opening_hours.{day}: times must be HH:MM (00:00–24:00), got {span!r}"
                )
            if start == end or start == "24:00":
                raise ValueError(
                    f"opening_hours.{day}: opening {start} and closing {end} make no span "
                    "(a closing time before the opening runs past midnight)"
                )
            checked.append([start, end])
        out[day] = checked
    return {day: out[day] for day in WEEKDAYS if day in out}


FACILITY_EXAMPLE: dict[str, Any] = {
    "external_id": "CQ-YB-0001",
    "source": "civil_affairs",
    "name": "渝北区龙溪街道社区养老服务站",
    "type": "community_station",
    "services": ["meal", "day_care", "recreation"],
    "operation_mode": "public_built_private_run",
    "operator": "重庆某某养老服务有限公司",
    "star_rating": 3,
    "status": "active",
    "capacity": 30,
    "opening_hours": {"mon": [["08:00", "18:00"]], "tue": [["08:00", "18:00"]]},
    "phone": "023-6700 0000",
    "address": "重庆市渝北区龙溪街道某某路 1 号",
    "lon": 106.5330,
    "lat": 29.6010,
    "region_code": "500112000000",
    "center_id": None,
    "verified_on": "2026-10-01",
}


class _FacilityFields(TextChecked):
    """Fields a client may set (shared by create and patch; patch makes them all optional)."""

    model_config = ConfigDict(extra="forbid")

    external_id: str | None = Field(
        None, max_length=128, description="Id in the source system; unique per source."
    )
    source: str = Field(
        "registry",
        min_length=1,
        max_length=64,
        description="Provenance: civil_affairs, field_survey, osm, registry …",
    )
    name: str = Field(
        ..., min_length=1, max_length=200, description="Facility name (Chinese as registered)."
    )
    type: FacilityType = Field(..., description="Type slug; see `type_label` for the Chinese name.")
    services: list[ServiceSlug] = Field(
        default_factory=list, description="Services offered (slugs)."
    )
    operation_mode: OperationMode | None = Field(
        None, description="public_run 公办公营, public_built_private_run 公建民营, private 民办."
    )
    operator: str | None = Field(None, max_length=200, description="The organisation running it.")
    star_rating: int | None = Field(None, ge=0, le=5, description="Official star rating 0–5.")
    status: Status = Field("active", description="planned, active, suspended or closed.")
    capacity: int | None = Field(None, ge=0, le=MAX_INT, description="Beds or daily places.")
    opening_hours: dict[str, list[list[str]]] | None = Field(
        None, description='Weekly hours, e.g. `{"mon": [["08:00","18:00"]]}`; days absent = closed.'
    )
    phone: str | None = Field(None, max_length=64)
    address: str | None = Field(None, max_length=300)
    lon: float = Field(
        ..., ge=-180, le=180, description="Longitude, degrees (WGS84 unless `crs=`)."
    )
    lat: float = Field(..., ge=-90, le=90, description="Latitude, degrees (WGS84 unless `crs=`).")
    region_code: RegionCode | None = Field(
        None,
        description="12-digit division code. Derived from the point when regions are loaded; "
        "when given, the point must lie inside it (or `allow_outside_region=true`).",
    )
    center_id: int | None = Field(
        None, ge=1, le=MAX_INT, description="The care center that runs this station (中心带站)."
    )
    verified_on: date | None = Field(
        None, description="When the record was last checked against reality."
    )

    @field_validator("opening_hours")
    @classmethod
    def _hours(cls, value: dict[str, Any] | None) -> dict[str, list[list[str]]] | None:
        return validate_opening_hours(value)

    @field_validator("services")
    @classmethod
    def _unique_services(cls, value: list[str]) -> list[str]:
        return sorted(set(value), key=SERVICES.index)

    @field_validator("name", "external_id", "operator", "phone", "address")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        return value


class FacilityIn(_FacilityFields):
    """A new facility (POST) or a full replacement (PUT)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [FACILITY_EXAMPLE]})

    @model_validator(mode="after")
    def _name_not_blank(self) -> FacilityIn:
        if not self.name:
            raise ValueError("name must not be blank")
        return self


class FacilityPatch(TextChecked):
    """A partial update (PATCH): only the fields sent change. `null` clears an optional field."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"status": "suspended", "capacity": 40}, {"lon": 106.534, "lat": 29.602}]
        },
    )

    external_id: str | None = Field(None, max_length=128)
    source: str | None = Field(None, min_length=1, max_length=64)
    name: str | None = Field(None, min_length=1, max_length=200)
    type: FacilityType | None = None
    services: list[ServiceSlug] | None = None
    operation_mode: OperationMode | None = None
    operator: str | None = Field(None, max_length=200)
    star_rating: int | None = Field(None, ge=0, le=5)
    status: Status | None = None
    capacity: int | None = Field(None, ge=0, le=MAX_INT)
    opening_hours: dict[str, list[list[str]]] | None = None
    phone: str | None = Field(None, max_length=64)
    address: str | None = Field(None, max_length=300)
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    region_code: RegionCode | None = None
    center_id: int | None = Field(None, ge=1, le=MAX_INT)
    verified_on: date | None = None

    @field_validator("opening_hours")
    @classmethod
    def _hours(cls, value: dict[str, Any] | None) -> dict[str, list[list[str]]] | None:
        return validate_opening_hours(value)

    @field_validator("services")
    @classmethod
    def _unique_services(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else sorted(set(value), key=SERVICES.index)

    @model_validator(mode="after")
    def _required_not_null(self) -> FacilityPatch:
        for name in ("name", "type", "status", "source", "lon", "lat", "services"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        if ("lon" in self.model_fields_set) != ("lat" in self.model_fields_set):
            raise ValueError("lon and lat must be changed together")
        return self


class FacilityOut(BaseModel):
    """A facility as stored (coordinates in the CRS asked for, WGS84 by default)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 42,
                    **FACILITY_EXAMPLE,
                    "type_label": "社区养老服务站",
                    "created_at": "2026-11-25T08:00:00Z",
                    "updated_at": "2026-11-25T08:00:00Z",
                    "version": 1,
                }
            ]
        }
    )

    id: int
    external_id: str | None
    source: str
    name: str
    type: FacilityType
    type_label: str
    services: list[ServiceSlug]
    operation_mode: OperationMode | None
    operator: str | None
    star_rating: int | None
    status: Status
    capacity: int | None
    opening_hours: dict[str, list[list[str]]] | None
    phone: str | None
    address: str | None
    lon: float
    lat: float
    region_code: str | None
    center_id: int | None
    verified_on: date | None
    created_at: datetime
    updated_at: datetime
    version: int = Field(..., description='Row version; the ETag is `"<version>"`.')


class FacilityPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"items": [{"id": 42, **FACILITY_EXAMPLE}], "next_cursor": None}]
        }
    )

    items: list[FacilityOut]
    next_cursor: str | None = None


class SnapshotItem(BaseModel):
    id: int
    external_id: str | None
    name: str
    type: FacilityType
    status: Status
    lon: float
    lat: float
    capacity: int | None
    region_code: str | None
    operation_mode: OperationMode | None
    star_rating: int | None
    center_id: int | None = Field(None, description="The care center running it (中心带站).")


class Snapshot(BaseModel):
    """Every matching facility in one response, for the beds and coverage services."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "registry_version": 17,
                    "items": [
                        {
                            "id": 42,
                            "external_id": "CQ-YB-0001",
                            "name": "渝北区龙溪街道社区养老服务站",
                            "type": "community_station",
                            "status": "active",
                            "lon": 106.533,
                            "lat": 29.601,
                            "capacity": 30,
                            "region_code": "500112000000",
                            "operation_mode": "public_built_private_run",
                            "star_rating": 3,
                            "center_id": None,
                        }
                    ],
                }
            ]
        }
    )

    registry_version: int
    items: list[SnapshotItem]


class RegistryVersion(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"registry_version": 17}]})

    registry_version: int = Field(
        ..., description="Changes on every write to facilities or regions."
    )


class AuditEntry(BaseModel):
    """One change to a facility: who, when, what it was before and after."""

    id: int
    facility_id: int
    action: Literal["create", "update", "delete", "import"]
    actor: str = Field(..., description='Identity subject, or "anonymous" / "cli".')
    request_id: str | None
    at: datetime
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "id": 7,
                            "facility_id": 42,
                            "action": "update",
                            "actor": "yubei-clerk",
                            "request_id": "9f1c2e",
                            "at": "2026-11-25T09:30:00Z",
                            "before": {"capacity": 30, "version": 1},
                            "after": {"capacity": 36, "version": 2},
                        }
                    ]
                }
            ]
        }
    )

    items: list[AuditEntry]


REGION_EXAMPLE: dict[str, Any] = {
    "code": "500112000000",
    "name": "渝北区",
    "level": "district",
    "parent_code": "500100000000",
    "population": 2191493,
    "elderly_60plus": 359381,
    "elderly_65plus": 280000,
    "households": 803029,
    "year": 2020,
    "kind": None,
    "population_source": "2020 census (cn-census2020-county)",
}


class RegionOut(BaseModel):
    """An administrative region; `geometry` (GeoJSON, WGS84 unless `crs=`) only when asked for."""

    model_config = ConfigDict(json_schema_extra={"examples": [REGION_EXAMPLE]})

    code: str = Field(..., description="12-digit statistical division code.")
    name: str
    level: RegionLevel
    parent_code: str | None
    population: int | None
    elderly_60plus: int | None
    elderly_65plus: int | None
    households: int | None
    year: int | None
    kind: RegionKind | None = Field(
        None,
        description="Street level: subdistrict (街道), town (镇), township (乡); community level: "
        "urban_community (社区/居委会) or village (村); null when the name says neither.",
    )
    population_source: str | None = Field(
        None, description="Where the population figures come from (census, a bureau's import)."
    )
    geometry: dict[str, Any] | None = Field(
        None, description="GeoJSON MultiPolygon when `geometry=true`."
    )


class RegionIn(TextChecked):
    """One region to import (the properties of a `carecircle regions import` feature)."""

    model_config = ConfigDict(extra="ignore")

    code: str
    name: str = Field(..., min_length=1, max_length=200)
    level: RegionLevel
    parent_code: str | None = None
    population: int | None = Field(None, ge=0, le=MAX_INT)
    elderly_60plus: int | None = Field(None, ge=0, le=MAX_INT)
    elderly_65plus: int | None = Field(None, ge=0, le=MAX_INT)
    households: int | None = Field(None, ge=0, le=MAX_INT)
    year: int | None = Field(None, ge=1900, le=2100)
    kind: RegionKind | None = Field(
        None, description="Derived from the name at street and community level when not given."
    )
    population_source: str | None = Field(None, max_length=200)

    @field_validator("code", "parent_code", mode="before")
    @classmethod
    def _code(cls, value: Any) -> str | None:
        if value is None or value == "":
            return None
        return pad_region_code(str(value))


def pad_region_code(code: str) -> str:
    """A 12-digit division code; 6-digit adcodes (and 9-digit street codes) are padded with zeros."""
    code = code.strip()
    if code.endswith(".0"):
        code = code[:-2]
    if not (code.isascii() and code.isdigit()) or len(code) not in (6, 9, 12):
        raise ValueError(f"region code must be 6, 9 or 12 digits, got {code!r}")
    return code.ljust(12, "0")


class RegionPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"items": [REGION_EXAMPLE], "next_cursor": "NTAwMTEyMDAwMDAw"}]
        }
    )

    items: list[RegionOut]
    next_cursor: str | None = None


class RegionList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [REGION_EXAMPLE]}]})

    items: list[RegionOut]


class RowError(BaseModel):
    row: int = Field(
        ..., description="1-based data row (CSV: header is row 0) or feature index + 1."
    )
    field: str | None
    message: str


class ImportReport(BaseModel):
    """What a bulk import did (or, with `dry_run`, would do)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "dry_run": False,
                    "total": 2,
                    "created": 1,
                    "updated": 1,
                    "unchanged": 0,
                    "errors": [],
                    "registry_version": 18,
                }
            ]
        }
    )

    dry_run: bool
    total: int
    created: int
    updated: int
    unchanged: int = 0
    errors: list[RowError] = Field(default_factory=list)
    registry_version: int | None = None


class RegionImportReport(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "dry_run": False,
                    "total": 67,
                    "created": 67,
                    "updated": 0,
                    "errors": [],
                    "registry_version": 1,
                }
            ]
        }
    )

    dry_run: bool
    total: int
    created: int
    updated: int
    errors: list[RowError] = Field(default_factory=list)
    registry_version: int | None = None
