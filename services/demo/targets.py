"""The demo's plan targets: made up for the synthetic demo city, so the map's dashboards have
something to be met or missed. Values follow the national 14th Five-Year guidance (nursing-type
beds ≥ 55 %) and common local plans (15-minute circle ≥ 90 %, ≥ 39 beds per 1,000 elderly)."""

from __future__ import annotations

import os
from typing import Any

import httpx
import orjson

from services.common.identity import Binding, Identity, sign_identity

SOURCE = "示范市养老服务规划(演示用,虚构)"
NOTE = "synthetic target of the CareCircle demo, not from any real plan"


def demo_targets(city_code: str, city_name: str = "示范市") -> list[dict[str, Any]]:
    """Bodies for ``POST /api/v1/beds/targets``: the demo city's targets for 2025."""
    rows = [
        ("nursing_share", "ge", 0.55, True),
        ("beds_per_1000_elderly", "ge", 39.0, False),
        ("fifteen_minute_circle_share", "ge", 0.9, False),
    ]
    return [
        {
            "region_code": city_code,
            "region_name": city_name,
            "indicator": indicator,
            "comparator": comparator,
            "threshold": threshold,
            "binding": binding,
            "target_year": 2025,
            "source_document": SOURCE,
            "note": NOTE,
        }
        for indicator, comparator, threshold, binding in rows
    ]


def load_targets(beds_url: str, city_code: str) -> int:
    """Add the demo targets through the beds service's API; ones already there (409) are kept.

    With ``CARECIRCLE_IDENTITY_SECRET`` set the service wants a signed identity: the demo
    signs an admin one, as the gateway would for an admin key.
    """
    secret = os.environ.get("CARECIRCLE_IDENTITY_SECRET", "")
    path = "/api/v1/beds/targets"
    added = 0
    with httpx.Client(timeout=30) as http:
        for body in demo_targets(city_code):
            content = orjson.dumps(body)
            headers = {"Content-Type": "application/json"}
            if secret:
                admin = Identity(subject="demo-loader", role="admin")
                headers |= sign_identity(admin, secret, Binding.of("POST", path, content))
            answer = http.post(f"{beds_url}{path}", content=content, headers=headers)
            if answer.status_code == 409:
                continue
            answer.raise_for_status()
            added += 1
    return added
