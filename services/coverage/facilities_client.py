"""Stations from the facilities service snapshot, cached by registry version (ETag)."""

from __future__ import annotations

from typing import Any

import httpx

from services.common.errors import InvalidInput, ServiceUnavailable, UpstreamError
from services.common.http import async_client

SNAPSHOT_PARAMS = ("type", "status", "region")


class SnapshotCache:
    """Last snapshot per query; revalidated with ``If-None-Match`` (304 keeps it)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.entries: dict[tuple[str, str, str], tuple[str, dict[str, Any]]] = {}

    async def snapshot(
        self, types: list[str], statuses: list[str], region: str | None
    ) -> dict[str, Any]:
        key = (",".join(sorted(types)), ",".join(sorted(statuses)), region or "")
        params = {"type": key[0], "status": key[1]}
        if region:
            params["region"] = region
        headers = {}
        if key in self.entries:
            headers["If-None-Match"] = self.entries[key][0]
        try:
            async with async_client(self.base_url, timeout_s=10.0) as client:
                resp = await client.get(
                    "/api/v1/facilities/snapshot", params=params, headers=headers
                )
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(f"facilities service unreachable: {exc}") from exc
        if resp.status_code == 304 and key in self.entries:
            return self.entries[key][1]
        if resp.status_code == 422:
            raise _query_error(resp)
        if resp.status_code != 200:
            raise UpstreamError(f"facilities snapshot answered {resp.status_code}")
        body = resp.json()
        if not isinstance(body, dict):
            raise UpstreamError("facilities snapshot answered something other than an object")
        self.entries[key] = (resp.headers.get("ETag", ""), body)
        return body


def _query_error(resp: httpx.Response) -> InvalidInput:
    """The facilities service refused our query: the caller's ``station_query`` named a bad value.

    Its problem body names the query parameter (``type``, ``status``, ``query.region``); the
    vocabulary stays there, in one place.
    """
    try:
        problem = resp.json()
    except ValueError:
        problem = {}
    errors = problem.get("errors") if isinstance(problem, dict) else None
    name = ""
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        name = str(errors[0].get("field", "")).removeprefix("query.")
    field = f"station_query.{name}" if name in SNAPSHOT_PARAMS else "station_query"
    detail = problem.get("detail") if isinstance(problem, dict) else None
    return InvalidInput(
        f"station_query: {detail or 'refused by the facilities service'}", field=field
    )


async def communities_for(base_url: str, code: str) -> list[dict[str, Any]]:
    """The community regions (with boundaries) under ``code``, or the region itself."""
    try:
        async with async_client(base_url, timeout_s=30.0) as client:
            resp = await client.get(
                f"/api/v1/regions/{code}/descendants", params={"geometry": "true"}
            )
            if resp.status_code == 404:
                raise InvalidInput(f"region {code} is not in the registry", field="region")
            if resp.status_code != 200:
                raise UpstreamError(f"facilities regions answered {resp.status_code}")
            items = [r for r in resp.json().get("items", []) if r.get("level") == "community"]
            if not items:
                own = await client.get(f"/api/v1/regions/{code}", params={"geometry": "true"})
                if own.status_code == 200:
                    items = [own.json()]
    except httpx.HTTPError as exc:
        raise ServiceUnavailable(f"facilities service unreachable: {exc}") from exc
    return items
