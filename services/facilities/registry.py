"""Create, update and delete flows of the registry: the rules a write must pass, in one place.

Each flow runs inside the caller's write transaction and, when it succeeds, has
written the facility, its audit row and the registry-version bump together. The
caller commits. Rules, in order: who may write (role and region scope), field
validation, centre link, region by point-in-polygon, likely duplicates, the
optimistic-lock version (ETag / If-Match).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from services.common.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    Unauthorized,
)
from services.common.geo import haversine_m
from services.common.identity import Identity
from services.common.validation import row_number
from services.facilities import crs as crs_mod
from services.facilities import repository as repo
from services.facilities.normalize import normalize_name
from services.facilities.regions import city_prefix, covering_codes, deepest, is_within
from services.facilities.schemas import FACILITY_TYPES, FacilityIn, FacilityOut, services_mask

DUPLICATE_RADIUS_M = 50.0
WRITER_ROLES = ("official", "admin")


@dataclass(frozen=True)
class Actor:
    """Who is writing: the audit's ``actor`` plus the identity used for scope checks (None = unchecked)."""

    name: str
    identity: Identity | None = None
    request_id: str | None = None


def actor_for(
    identity: Identity | None, *, require_identity: bool, request_id: str | None = None
) -> Actor:
    """The writer behind a request; refuses anonymous writes when identities are required."""
    if identity is None:
        if require_identity:
            raise Unauthorized(
                "writes need a gateway-signed identity (CARECIRCLE_REQUIRE_IDENTITY is on)"
            )
        return Actor("anonymous", None, request_id)
    return Actor(identity.subject, identity, request_id)


def check_may_write(actor: Actor, region_codes: list[str | None]) -> None:
    """Role and region scope: admins anywhere, officials inside their region subtree, others never."""
    identity = actor.identity
    if identity is None:
        return
    if identity.role not in WRITER_ROLES:
        raise Forbidden(
            f"role {identity.role!r} cannot write facilities; only officials (in their region) and admins can",
            reason="role",
        )
    for code in region_codes:
        if not identity.covers_region(code):
            where = (
                f"region {code}"
                if code
                else "no region (the point lies outside every loaded region)"
            )
            raise Forbidden(
                f"official {identity.subject!r} covers region {identity.region_code}, but this facility is in {where}",
                reason="region_scope",
                region_code=code,
            )


# --- parsing helpers --------------------------------------------------------------------------


def parse_if_match(value: str | None, *, required: bool = True) -> int | None:
    """The version an ``If-Match`` names (``"3"``, ``W/"3"`` or ``3``); 428 when missing and required."""
    if value is None or not value.strip():
        if required:
            raise PreconditionRequired(
                'updates need If-Match: "<version>" (the ETag from GET) so that a stale edit cannot overwrite '
                "a newer one"
            )
        return None
    token = value.strip().split(",")[0].strip().removeprefix("W/").strip('"')
    if token == "*":
        return None
    try:
        return row_number(token)
    except ValueError:
        raise InvalidInput(
            f'If-Match must be an ETag like "3", got {value!r}', field="If-Match"
        ) from None


def etag(version: int) -> str:
    return f'"{version}"'


def to_out(row: dict[str, Any], crs: str = "wgs84") -> dict[str, Any]:
    """A stored row as ``FacilityOut`` JSON (coordinates in ``crs``, timestamps in UTC)."""
    lon, lat = crs_mod.point_from_wgs84(row["lon"], row["lat"], crs)
    out = FacilityOut(
        **{
            k: row[k]
            for k in FacilityOut.model_fields
            if k in row and k not in ("lon", "lat", "type_label")
        },
        lon=lon,
        lat=lat,
        type_label=FACILITY_TYPES[row["type"]],
    ).model_dump(mode="json")
    out["created_at"], out["updated_at"] = utc_iso(row["created_at"]), utc_iso(row["updated_at"])
    return out


def utc_iso(stamp: datetime) -> str:
    """ISO 8601 in UTC with ``Z`` (SQLite hands timestamps back naive; they were written in UTC)."""
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.astimezone(UTC).isoformat().replace("+00:00", "Z")


def history_entry(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "at": utc_iso(row["at"])}


# --- rules ------------------------------------------------------------------------------------


def resolve_region(
    session: Session, *, lon: float, lat: float, declared: str | None, allow_outside_region: bool
) -> str | None:
    """The region a facility at (lon, lat) belongs to (WGS84 degrees).

    With regions loaded, the deepest polygon covering the point wins. A declared
    ``region_code`` whose city has loaded polygons must agree: a point outside all of
    them is refused (422 naming lon/lat) unless ``allow_outside_region``, which keeps
    the declared code. Without polygons the declared code is kept as given.
    """
    candidates = repo.regions_at_point(session=session, lon=lon, lat=lat)
    exact = [(c, lvl) for c, lvl, g in candidates if g is None] + covering_codes(
        lon, lat, [(c, lvl, g) for c, lvl, g in candidates if g is not None]
    )
    if declared is None:
        return deepest(exact)
    city = city_prefix(declared)
    in_city = [(c, lvl) for c, lvl in exact if c.startswith(city)]
    if in_city:
        best = deepest(in_city)
        assert best is not None
        # A declared code more specific than any polygon (e.g. a street without a boundary) is kept.
        return declared if is_within(declared, best) else best
    if allow_outside_region or not repo.has_region_geometry(session=session, prefix=city):
        return declared
    raise InvalidInput(
        f"point ({lon:.6f}, {lat:.6f}) lies outside every loaded region of city {city.ljust(12, '0')} "
        f"(declared region_code {declared}); fix the coordinates (crs=gcj02/bd09 for map-app points) or pass "
        "allow_outside_region=true",
        field="lon",
        errors=[
            {"field": "lon", "message": "outside the declared city"},
            {"field": "lat", "message": "outside the declared city"},
            {"field": "region_code", "message": f"point is not inside {declared}"},
        ],
    )


def check_duplicates(
    session: Session,
    *,
    name_normalized: str,
    lon: float,
    lat: float,
    exclude_id: int | None = None,
    radius_m: float = DUPLICATE_RADIUS_M,
) -> None:
    """409 naming the nearest facility with the same normalized name within ``radius_m`` meters."""
    repo.advisory_lock(session=session, key="name:" + name_normalized)
    near = repo.same_name_near(
        session=session,
        name_normalized=name_normalized,
        lon=lon,
        lat=lat,
        radius_m=radius_m,
        exclude_id=exclude_id,
    )
    if not near:
        return
    distances = haversine_m(lon, lat, [r["lon"] for r in near], [r["lat"] for r in near])
    best = int(distances.argmin())
    if distances[best] <= radius_m:
        existing = near[best]
        raise Conflict(
            f"likely duplicate of facility {existing['id']} “{existing['name']}” "
            f"{distances[best]:.0f} m away; pass force=true to write it anyway",
            existing_id=existing["id"],
            existing_name=existing["name"],
            distance_m=round(float(distances[best]), 1),
        )


def _check_center(session: Session, center_id: int | None, own_id: int | None) -> None:
    if center_id is None:
        return
    if own_id is not None and center_id == own_id:
        raise InvalidInput("a facility cannot be its own center", field="center_id")
    if not repo.facility_exists(session=session, facility_id=center_id):
        raise InvalidInput(f"center_id {center_id} names no facility", field="center_id")


def _check_external_id(
    session: Session, source: str, external_id: str | None, own_id: int | None
) -> None:
    if external_id is None:
        return
    other = repo.get_by_external_id(session=session, source=source, external_id=external_id)
    if other is not None and other["id"] != own_id:
        raise Conflict(
            f"external_id {external_id!r} of source {source!r} already belongs to facility {other['id']}",
            existing_id=other["id"],
        )


def facility_columns(data: FacilityIn, region_code: str | None) -> dict[str, Any]:
    values = data.model_dump()
    values["region_code"] = region_code
    values["name_normalized"] = normalize_name(data.name)
    values["services_mask"] = services_mask(data.services)
    return values


# --- flows ------------------------------------------------------------------------------------


def create_facility(
    session: Session,
    *,
    data: FacilityIn,
    actor: Actor,
    force: bool = False,
    allow_outside_region: bool = False,
) -> dict[str, Any]:
    """Validate and insert one facility (WGS84 input), audit it, bump the registry version."""
    region_code = resolve_region(
        session,
        lon=data.lon,
        lat=data.lat,
        declared=data.region_code,
        allow_outside_region=allow_outside_region,
    )
    check_may_write(actor, [region_code])
    _check_center(session, data.center_id, None)
    _check_external_id(session, data.source, data.external_id, None)
    values = facility_columns(data, region_code)
    if not force:
        check_duplicates(
            session, name_normalized=values["name_normalized"], lon=data.lon, lat=data.lat
        )
    row = repo.insert_facility(session=session, values=values)
    repo.add_audit(
        session=session,
        facility_id=row["id"],
        action="create",
        actor=actor.name,
        request_id=actor.request_id,
        before=None,
        after=to_out(row),
    )
    repo.bump_registry_version(session=session)
    return row


def update_facility(
    session: Session,
    *,
    facility_id: int,
    expected_version: int | None,
    changes: dict[str, Any],
    actor: Actor,
    replace: bool = False,
    force: bool = False,
    allow_outside_region: bool = False,
) -> dict[str, Any]:
    """Apply a PATCH (``changes``: only the fields sent) or PUT (``replace``) under If-Match.

    Returns the new row; the unchanged row when nothing changed (no version bump).
    """
    current = repo.get_facility(session=session, facility_id=facility_id, for_update=True)
    if current is None:
        raise NotFound(f"facility {facility_id} does not exist")
    if expected_version is not None and current["version"] != expected_version:
        raise PreconditionFailed(
            f"facility {facility_id} is at version {current['version']}, not {expected_version}; "
            "GET it again and reapply your change",
            current_version=current["version"],
        )
    check_may_write(actor, [current["region_code"]])
    merged = {k: current[k] for k in FacilityIn.model_fields} if not replace else {}
    merged.update(changes)
    data = validated_input(merged)
    moved = (data.lon, data.lat) != (current["lon"], current["lat"])
    if moved or data.region_code != current["region_code"]:
        region_code = resolve_region(
            session,
            lon=data.lon,
            lat=data.lat,
            declared=data.region_code,
            allow_outside_region=allow_outside_region,
        )
    else:
        region_code = current["region_code"]
    check_may_write(actor, [region_code])
    _check_center(session, data.center_id, facility_id)
    _check_external_id(session, data.source, data.external_id, facility_id)
    values = facility_columns(data, region_code)
    diff = {k: v for k, v in values.items() if current.get(k) != v}
    if not diff:
        return current
    if not force and ("name_normalized" in diff or moved):
        check_duplicates(
            session,
            name_normalized=values["name_normalized"],
            lon=data.lon,
            lat=data.lat,
            exclude_id=facility_id,
        )
    if "lon" in diff or "lat" in diff:
        diff["lon"], diff["lat"] = data.lon, data.lat
    row = repo.update_facility(
        session=session, facility_id=facility_id, expected_version=current["version"], values=diff
    )
    if row is None:
        raise PreconditionFailed(
            f"facility {facility_id} changed while this update ran; GET it again"
        )
    repo.add_audit(
        session=session,
        facility_id=facility_id,
        action="update",
        actor=actor.name,
        request_id=actor.request_id,
        before=to_out(current),
        after=to_out(row),
    )
    repo.bump_registry_version(session=session)
    return row


def delete_facility(
    session: Session, *, facility_id: int, expected_version: int | None, actor: Actor
) -> None:
    """Remove a facility (its history stays). Centers still running stations are refused (409)."""
    current = repo.get_facility(session=session, facility_id=facility_id, for_update=True)
    if current is None:
        raise NotFound(f"facility {facility_id} does not exist")
    if expected_version is not None and current["version"] != expected_version:
        raise PreconditionFailed(
            f"facility {facility_id} is at version {current['version']}, not {expected_version}",
            current_version=current["version"],
        )
    check_may_write(actor, [current["region_code"]])
    stations = repo.count_stations_of(session=session, center_id=facility_id)
    if stations:
        raise Conflict(
            f"facility {facility_id} runs {stations} station(s) (center_id); reassign them or set status=closed",
            stations=stations,
        )
    if not repo.delete_facility(
        session=session, facility_id=facility_id, expected_version=current["version"]
    ):
        raise PreconditionFailed(
            f"facility {facility_id} changed while this delete ran; GET it again"
        )
    repo.add_audit(
        session=session,
        facility_id=facility_id,
        action="delete",
        actor=actor.name,
        request_id=actor.request_id,
        before=to_out(current),
        after=None,
    )
    repo.bump_registry_version(session=session)


def facility_or_404(session: Session, facility_id: int) -> dict[str, Any]:
    row = repo.get_facility(session=session, facility_id=facility_id)
    if row is None:
        raise NotFound(f"facility {facility_id} does not exist")
    return row


def validated_input(data: dict[str, Any]) -> FacilityIn:
    """``data`` as FacilityIn, or a 422 naming the first bad field (e.g. a converted point off the globe)."""
    try:
        return FacilityIn.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "body"
        raise InvalidInput(f"{field}: {first['msg']}", field=field) from None


def to_wgs84_input(data: dict[str, Any], crs: str) -> dict[str, Any]:
    """Body coordinates sent in ``crs`` converted to the WGS84 we store."""
    if crs == "wgs84" or data.get("lon") is None or data.get("lat") is None:
        return data
    lon, lat = crs_mod.point_to_wgs84(data["lon"], data["lat"], crs)
    return {**data, "lon": lon, "lat": lat}
