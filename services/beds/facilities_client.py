"""The facilities service as the beds service sees it: facilities and regions over HTTP.

Only the routes of docs/contracts.md are used. A facilities service that cannot
be reached, times out or answers 5xx is :class:`ServiceUnavailable` (503 with
``Retry-After``): callers must write nothing then.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import quote

import httpx

from services.common.errors import ServiceUnavailable, UpstreamError
from services.common.http import sync_client

RETRY_AFTER_S = 5
API = "/api/v1"


class FacilitiesClient:
    """A blocking client (beds routes run in the thread pool; the CLI is synchronous)."""

    def __init__(
        self, base_url: str, *, timeout_s: float = 5.0, http: httpx.Client | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = http or sync_client(self.base_url, timeout_s=timeout_s)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> FacilitiesClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _get(self, path: str, params: dict[str, Any] | None = None) -> httpx.Response | None:
        """GET ``path``; ``None`` on 404, the response on 2xx/304, an error otherwise."""
        try:
            response = self._http.get(API + path, params=params)
        except httpx.TransportError as exc:  # refused, reset, DNS, timeouts
            raise ServiceUnavailable(
                f"facilities service at {self.base_url} is unreachable ({type(exc).__name__}); nothing was written",
                retry_after_s=RETRY_AFTER_S,
            ) from exc
        if response.status_code == 404:
            return None
        if response.status_code >= 500:
            raise ServiceUnavailable(
                f"facilities service answered {response.status_code}; nothing was written",
                retry_after_s=int(
                    response.headers.get("Retry-After", RETRY_AFTER_S) or RETRY_AFTER_S
                ),
            )
        if response.status_code >= 400:
            raise UpstreamError(f"facilities service answered {response.status_code} to GET {path}")
        return response

    def reachable(self, timeout_s: float = 1.0) -> bool:
        """Whether the facilities service answers its liveness probe (for /readyz)."""
        try:
            return self._http.get("/healthz", timeout=timeout_s).status_code == 200
        except httpx.HTTPError:
            return False

    def facility(self, facility_id: int) -> dict[str, Any] | None:
        """``GET /facilities/{id}``: the facility, or ``None`` when it does not exist."""
        response = self._get(f"/facilities/{facility_id}")
        return None if response is None else response.json()

    def facilities_by_external_ids(
        self, external_ids: Iterable[str], source: str | None = None
    ) -> dict[str, list[dict[str, Any]]]:
        """Every facility with one of ``external_ids`` (of ``source`` when given), by external id.

        Asks only for the ids named, in batches (``GET /facilities?external_id=…`` repeated,
        at most ``LOOKUP_BATCH_IDS`` ids or ``LOOKUP_BATCH_CHARS`` of query a request), never
        for the whole registry.
        """
        found: dict[str, list[dict[str, Any]]] = {}
        for batch in _batches(list(dict.fromkeys(external_ids))):
            params: dict[str, Any] = {"external_id": batch, "limit": 100}
            if source:
                params["source"] = source
            for item in self._paged("/facilities", params):
                found.setdefault(str(item["external_id"]), []).append(item)
        return found

    def snapshot(
        self, *, region: str | None = None, status: str | None = None
    ) -> list[dict[str, Any]] | None:
        """``GET /facilities/snapshot``: every facility (inside ``region``, of ``status``) in one call.

        ``None`` if the route is missing.
        """
        params = {k: v for k, v in (("region", region), ("status", status)) if v}
        response = self._get("/facilities/snapshot", params or None)
        return None if response is None else list(response.json()["items"])

    def region(self, code: str, *, geometry: bool = False) -> dict[str, Any] | None:
        response = self._get(f"/regions/{code}", {"geometry": "true"} if geometry else None)
        return None if response is None else response.json()

    def region_children(self, code: str) -> list[dict[str, Any]]:
        response = self._get(f"/regions/{code}/children")
        return [] if response is None else list(response.json()["items"])

    def region_descendants(self, code: str, *, geometry: bool = False) -> list[dict[str, Any]]:
        response = self._get(
            f"/regions/{code}/descendants", {"geometry": "true"} if geometry else None
        )
        return [] if response is None else list(response.json()["items"])

    def _paged(self, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        cursor: str | None = None
        while True:
            response = self._get(path, {**params, **({"cursor": cursor} if cursor else {})})
            if response is None:
                return
            body = response.json()
            yield from body["items"]
            cursor = body.get("next_cursor")
            if not cursor:
                return


LOOKUP_BATCH_IDS = 200  # the facilities service's MAX_EXTERNAL_IDS
LOOKUP_BATCH_CHARS = 6000  # of encoded query: well inside every HTTP server's request-line limit


def _batches(ids: list[str]) -> Iterator[list[str]]:
    batch: list[str] = []
    chars = 0
    for external_id in ids:
        size = len(quote(external_id, safe="")) + len("&external_id=")
        if batch and (len(batch) == LOOKUP_BATCH_IDS or chars + size > LOOKUP_BATCH_CHARS):
            yield batch
            batch, chars = [], 0
        batch.append(external_id)
        chars += size
    if batch:
        yield batch
