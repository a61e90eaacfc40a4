"""A small typed client for CareCircle's public gateway, written on httpx.

>>> from carecircle_client import CareCircle
>>> with CareCircle("http://127.0.0.1:8000") as cc:            # doctest: +SKIP
...     page = cc.nearby(106.5372, 29.5975, crs="gcj02", services=["meal"])
...     first = page.items[0]
...     print(first.name, first.walk_minutes, first.free_beds, first.open_now)

See docs/clients.md.
"""

from carecircle_client.client import CareCircle, CareCircleError
from carecircle_client.models import BedReport, Facility, NearbyPage, OpeningHours, Station

__all__ = [
    "BedReport",
    "CareCircle",
    "CareCircleError",
    "Facility",
    "NearbyPage",
    "OpeningHours",
    "Station",
]
