"""Regions (names, elderly counts, children) from the facilities registry, cached in our own database.

The beds service never reads another service's tables: it asks the facilities
service over HTTP and keeps what it needs. A stale entry is refreshed when the
registry answers and used as-is when it does not (an indicator with a day-old
elderly count beats no indicator).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from services.beds import repository
from services.beds.facilities_client import FacilitiesClient
from services.beds.models import CachedRegion
from services.common.db import transaction
from services.common.errors import CareError


@dataclass(frozen=True)
class RegionInfo:
    code: str
    name: str | None
    level: str | None
    elderly_60plus: int | None
    children: tuple[tuple[str, str | None, int | None], ...]  # (code, name, elderly_60plus)
    source: str  # "registry", "cache" (stale, registry unreachable) or "unavailable"


def _fresh(region: CachedRegion | None, ttl_s: int) -> bool:
    if region is None or not region.children_fetched:
        return False
    fetched = (
        region.fetched_at if region.fetched_at.tzinfo else region.fetched_at.replace(tzinfo=UTC)
    )
    return datetime.now(UTC) - fetched < timedelta(seconds=ttl_s)


def region_info(
    code: str,
    *,
    read_sessions: sessionmaker[Session],
    write_sessions: sessionmaker[Session],
    client: FacilitiesClient | None,
    ttl_s: int,
) -> RegionInfo:
    """The region and its children, from the cache when fresh, else from the registry."""
    with read_sessions() as session:
        cached = repository.cached_region(session, code)
        fresh = _fresh(cached, ttl_s)
    source = "cache"
    if not fresh and client is not None:
        try:
            body = client.region(code)
            children = client.region_children(code) if body is not None else []
        except CareError:
            body, children = None, []
            source = "cache" if cached is not None else "unavailable"
        else:
            if body is not None:
                try:
                    with transaction(write_sessions) as session:
                        repository.upsert_regions(session, [body])
                        repository.upsert_regions(session, children, children_of=code)
                except IntegrityError:
                    pass  # a concurrent request cached the same regions first (PostgreSQL)
                source = "registry"
            else:
                source = "unknown" if cached is None else "cache"
    with read_sessions() as session:
        region = repository.cached_region(session, code)
        kids = repository.cached_children(session, code)
        if region is None:
            return RegionInfo(
                code, None, None, None, (), "unavailable" if source != "unknown" else "unknown"
            )
        return RegionInfo(
            code=code,
            name=region.name,
            level=region.level,
            elderly_60plus=region.elderly_60plus,
            children=tuple((k.code, k.name, k.elderly_60plus) for k in kids),
            source=source,
        )
