"""The coverage service as plan monitoring sees it: a region's latest coverage results over HTTP.

Only ``GET /api/v1/coverage/regions/{code}/latest`` (docs/contracts.md) is used. The
15-minute and 1-hour circle shares are read from it only when the run's ``minutes``
say so (the route answers the latest run of any length; ``minutes`` is passed along
for a coverage service that filters by it). A coverage service that is down or has
no run for the region leaves those indicators without data — never a failed report.
"""

from __future__ import annotations

from typing import Any

import httpx

from services.common.http import sync_client

API = "/api/v1/coverage"


class CoverageClient:
    """A blocking client (plan routes run in the thread pool; the CLI is synchronous)."""

    def __init__(
        self, base_url: str, *, timeout_s: float = 5.0, http: httpx.Client | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = http or sync_client(self.base_url, timeout_s=timeout_s)

    def close(self) -> None:
        self._http.close()

    def latest(self, code: str, minutes: int) -> tuple[dict[str, Any] | None, str | None]:
        """``(figures, None)`` for the latest run of ``minutes``, else ``(None, why not)``."""
        try:
            response = self._http.get(f"{API}/regions/{code}/latest", params={"minutes": minutes})
        except httpx.HTTPError as exc:
            return None, f"coverage service unreachable ({type(exc).__name__})"
        if response.status_code == 404:
            return None, "no finished coverage run for this region"
        if response.status_code != 200:
            return None, f"coverage service answered {response.status_code}"
        body: dict[str, Any] = response.json()
        if body.get("minutes") != minutes:
            return None, f"the latest coverage run is {body.get('minutes')} minutes, not {minutes}"
        return body, None
