"""A bed import asks the real facilities service only for the facilities its file names, in
batches, never for the registry's snapshot (issue 13, item 6)."""

from __future__ import annotations

import re

import httpx

from services.beds.facilities_client import LOOKUP_BATCH_IDS, _batches
from services.beds.models import BedReport
from tests.beds.conftest import D1
from tests.beds.factories import seed_facilities_db
from tests.beds.test_api_reports import count_rows

HEADER = "facility_external_id,period,total_beds,nursing_beds,dementia_beds,occupied_beds\n"
REGISTRY = 3000  # facilities in the registry besides the four of the fixture
IMPORTED = 450  # facilities the file names


def requests_to(metrics: str, route: str) -> int:
    pattern = re.compile(r"^http_requests_total\{([^}]*)\} ([0-9.e+]+)$", re.M)
    total = 0
    for labels, value in pattern.findall(metrics):
        if f'route="{route}"' in labels and 'method="GET"' in labels:
            total += int(float(value))
    return total


async def test_an_import_looks_up_only_the_facilities_it_names(
    client: httpx.AsyncClient, facilities_url: str, facilities_db_url: str, beds_db_url: str
) -> None:
    extra = [
        {"id": 100 + i, "external_id": f"B{i}", "region_code": D1, "operation_mode": "private"}
        for i in range(REGISTRY)
    ]
    seed_facilities_db(facilities_db_url, regions=[], facilities=extra)
    before = httpx.get(facilities_url + "/metrics").text
    rows = "".join(f"B{i * 5},2025-03,10,5,0,3\n" for i in range(IMPORTED))
    r = await client.post(
        "/api/v1/beds/reports/import",
        content=(HEADER + rows).encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert r.status_code == 200, r.text[:500]
    assert r.json()["created"] == IMPORTED
    after = httpx.get(facilities_url + "/metrics").text
    snapshot = "/api/v1/facilities/snapshot"
    assert requests_to(after, snapshot) == requests_to(before, snapshot)
    lookups = requests_to(after, "/api/v1/facilities") - requests_to(before, "/api/v1/facilities")
    batches = -(-IMPORTED // LOOKUP_BATCH_IDS)
    assert batches <= lookups <= 2 * batches + 2, lookups  # a batch is one or two pages of 100
    assert count_rows(beds_db_url, BedReport) == IMPORTED


def test_batches_keep_every_id_once_within_both_limits() -> None:
    ids = [f"id-{i}" for i in range(450)] + ["长" * 128] * 3 + [f"长{i}" * 60 for i in range(80)]
    batches = list(_batches(list(dict.fromkeys(ids))))
    assert [i for b in batches for i in b] == list(dict.fromkeys(ids))
    assert all(1 <= len(b) <= LOOKUP_BATCH_IDS for b in batches)
