"""The client: one ``httpx.Client`` to the gateway, one method per thing an app asks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import Any, Literal

import httpx

from carecircle_client.models import BedReport, Facility, NearbyPage, OpeningHours, Station

Crs = Literal["wgs84", "gcj02", "bd09"]
Sort = Literal["walk", "distance", "rating"]


class CareCircleError(Exception):
    """An error answer (RFC 9457 problem+json): status, title, detail, and the fields named."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        self.status = status
        self.title = str(problem.get("title") or "")
        self.detail = str(problem.get("detail") or "")
        self.errors: list[dict[str, Any]] = list(problem.get("errors") or [])
        self.request_id: str | None = problem.get("request_id")
        super().__init__(f"{status} {self.title}: {self.detail}")

    @property
    def fields(self) -> list[str]:
        """The parameters the answer names (``query.crs`` → ``crs``)."""
        return [str(e.get("field", "")).rsplit(".", 1)[-1] for e in self.errors]


def _listed(values: str | Iterable[str] | None) -> str | None:
    if values is None or isinstance(values, str):
        return values
    return ",".join(values)


class CareCircle:
    """A client of the gateway at ``base_url``; ``api_key`` for what the public may not read.

    ``transport`` is httpx's (e.g. ``httpx.ASGITransport`` in tests).
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        timeout_s: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Accept": "application/json"}
        if api_key:
            headers["X-API-Key"] = api_key
        self._http = httpx.Client(
            base_url=base_url, headers=headers, timeout=timeout_s, transport=transport
        )

    def __enter__(self) -> CareCircle:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        sent = {k: v for k, v in (params or {}).items() if v is not None}
        response = self._http.get(path, params=sent)
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {"detail": response.text}
            raise CareCircleError(
                response.status_code, problem if isinstance(problem, dict) else {}
            )
        return response.json()

    def nearby(
        self,
        lon: float,
        lat: float,
        *,
        crs: Crs = "wgs84",
        radius_m: float | None = None,
        k: int | None = None,
        limit: int | None = None,
        sort: Sort | None = None,
        type: str | Iterable[str] | None = None,  # noqa: A002 - the API's name
        status: str | Iterable[str] | None = None,
        services: str | Iterable[str] | None = None,
        q: str | None = None,
        min_stars: int | None = None,
        open_now: bool | None = None,
        cursor: str | None = None,
    ) -> NearbyPage:
        """One page of usable stations near ``lon``/``lat`` (in ``crs``), fewest walking minutes
        first (``sort="walk"``), with free beds and open-now (``GET /api/v1/nearby``)."""
        params = {
            "lon": lon,
            "lat": lat,
            "crs": crs,
            "radius_m": radius_m,
            "k": k,
            "limit": limit,
            "sort": sort,
            "type": _listed(type),
            "status": _listed(status),
            "services": _listed(services),
            "q": q,
            "min_stars": min_stars,
            "open_now": None if open_now is None else str(open_now).lower(),
            "cursor": cursor,
        }
        return NearbyPage.from_json(self._get("/api/v1/nearby", params))

    def nearby_all(self, lon: float, lat: float, **options: Any) -> Iterator[Station]:
        """Every station of :meth:`nearby`'s result set, page after page."""
        cursor = None
        while True:
            page = self.nearby(lon, lat, cursor=cursor, **options)
            yield from page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def facility(self, facility_id: int, *, crs: Crs = "wgs84") -> Facility:
        """One facility's record (``GET /api/v1/facilities/{id}``)."""
        return Facility.from_json(self._get(f"/api/v1/facilities/{int(facility_id)}", {"crs": crs}))

    def opening_hours(self, facility_id: int) -> OpeningHours | None:
        """A facility's weekly opening hours; None when the registry does not know them."""
        return self.facility(facility_id).opening_hours

    def current_beds(self, facility_id: int) -> BedReport | None:
        """A facility's latest bed report, None if it never reported (needs a member's key;
        the nearby view's ``free_beds`` is public)."""
        try:
            data = self._get(f"/api/v1/beds/facilities/{int(facility_id)}/current")
        except CareCircleError as exc:
            if exc.status == 404:
                return None
            raise
        return BedReport.from_json(data)
