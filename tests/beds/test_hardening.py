"""Bad input to beds is a 422 naming the field on both engines, never a 500 (issue 13, items 1, 8, 9)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from services.beds.models import BedReport
from services.cli import app
from tests.beds.conftest import beds_client
from tests.beds.test_api_reports import REPORT, count_rows

HUGE = "99999999999999999999999"


def fields(response: httpx.Response) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    return [e["field"] for e in response.json()["errors"]]


async def test_ids_above_the_column_range_are_422(client: httpx.AsyncClient) -> None:
    for path in (
        f"/api/v1/beds/facilities/{HUGE}/current",
        f"/api/v1/beds/reports/{HUGE}/2025-03",
        f"/api/v1/beds/reports/{2**31}/2025-03/revisions",
        f"/api/v1/plans/reported/{HUGE}/revisions",
    ):
        r = await client.get(path)
        assert fields(r)[0].startswith("path."), (path, r.text)
    r = await client.get("/api/v1/beds/reports", params={"facility_id": HUGE})
    assert fields(r) == ["query.facility_id"]
    r = await client.put(
        f"/api/v1/beds/reports/{HUGE}/2025-03",
        json={k: v for k, v in REPORT.items() if k not in ("facility_id", "period")},
        headers={"If-Match": '"1"'},
    )
    assert fields(r) == ["path.facility_id"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("total_beds", 2**64 + 1),
        ("nursing_beds", 2**31),
        ("occupied_beds", int(HUGE)),
        ("dementia_beds", 2**63),
        ("family_beds", 2**63),
        ("facility_id", int(HUGE)),
    ],
)
async def test_counts_past_the_column_range_are_422_and_nothing_is_written(
    client: httpx.AsyncClient, beds_db_url: str, name: str, value: int
) -> None:
    r = await client.post("/api/v1/beds/reports", json={**REPORT, name: value})
    assert fields(r) == [f"body.{name}"]
    assert count_rows(beds_db_url, BedReport) == 0


async def test_text_with_nul_is_refused_in_bodies_and_queries(
    client: httpx.AsyncClient, beds_db_url: str
) -> None:
    r = await client.post("/api/v1/beds/reports", json={**REPORT, "reason": "补报\x00"})
    assert fields(r) == ["body.reason"]
    r = await client.post("/api/v1/beds/reports", json={**REPORT, "period": "2025-03\x00"})
    assert fields(r) == ["body.period"]
    assert count_rows(beds_db_url, BedReport) == 0
    for path, params in (
        ("/api/v1/beds/indicators", {"region": "350600000000\x00"}),
        ("/api/v1/beds/targets", {"region": "\x00"}),
        ("/api/v1/plans/indicators", {"region": "35\x00"}),
    ):
        r = await client.get(path, params=params)
        assert fields(r) == ["query.region"], (path, r.text)


BIG_CELL = "床" * (128 * 1024 + 1)
HEADER = "facility_external_id,period,total_beds,nursing_beds,dementia_beds,occupied_beds\n"


async def upload(client: httpx.AsyncClient, body: bytes) -> httpx.Response:
    return await client.post(
        "/api/v1/beds/reports/import", content=body, headers={"Content-Type": "text/csv"}
    )


@pytest.mark.parametrize(
    ("line", "field"),
    [
        (f"F1,2025-03,{2**63 + 1},0,0,0", "total_beds"),
        (f"F1,2025-03,10,{2**31},0,0", "nursing_beds"),
        (f"{BIG_CELL},2025-03,10,0,0,0", "facility_external_id"),
        ("F1\x00,2025-03,10,0,0,0", "facility_external_id"),
    ],
)
async def test_csv_import_names_the_row_and_column_of_huge_numbers_and_big_cells(
    client: httpx.AsyncClient, beds_db_url: str, line: str, field: str
) -> None:
    r = await upload(client, (HEADER + line + "\n").encode())
    assert r.status_code == 422, r.text[:300]
    error = r.json()["errors"][0]
    assert (error["row"], error["field"]) == (2, field), error
    assert count_rows(beds_db_url, BedReport) == 0


async def test_http_import_reads_gb18030_like_the_cli(
    client: httpx.AsyncClient, beds_db_url: str, tmp_path: Path, facilities_url: str
) -> None:
    """A GB18030 file is read (its Chinese id named in the answer), over HTTP and on the CLI."""
    body = (HEADER + "F1,2025-03,10,5,0,3\n漳州F9,2025-03,10,5,0,3\n").encode("gb18030")
    r = await upload(client, body)
    assert r.status_code == 422, r.text
    error = r.json()["errors"][0]
    assert (error["row"], error["field"]) == (3, "facility_external_id"), error
    assert "漳州F9" in error["message"], error
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(body)
    env = {"BEDS_DATABASE_URL": beds_db_url, "FACILITIES_URL": facilities_url}
    result = CliRunner().invoke(app, ["beds", "import", str(gbk)], env=env)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "line 3: facility_external_id" in result.output and "漳州F9" in result.output
    gbk.write_bytes(body.split("漳州".encode("gb18030"))[0])
    result = CliRunner().invoke(app, ["beds", "import", str(gbk)], env=env)
    assert result.exit_code == 0, result.output
    assert count_rows(beds_db_url, BedReport) == 1


def test_cli_refuses_big_cells_cleanly(
    tmp_path: Path, beds_db_url: str, facilities_url: str
) -> None:
    env = {"BEDS_DATABASE_URL": beds_db_url, "FACILITIES_URL": facilities_url}
    big = tmp_path / "big.csv"
    big.write_text(HEADER + f"F1,2025-04,{BIG_CELL},0,0,0\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["beds", "import", str(big)], env=env)
    assert result.exit_code == 1, result.output[:500]
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "line 2: total_beds" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["beds", "compliance", "--region", "999999", "--period", "2025-03"],
        ["beds", "compliance", "--region", "12", "--period", "2025-03"],
        ["beds", "compliance", "--region", "350600", "--period", "2025-13"],
        ["beds", "indicators", "--region", "999999", "--period", "2025-03"],
    ],
)
def test_cli_reports_on_unknown_regions_with_a_message_and_exit_code_2(
    beds_db_url: str, facilities_url: str, args: list[str]
) -> None:
    env = {"BEDS_DATABASE_URL": beds_db_url, "FACILITIES_URL": facilities_url}
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 2, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "error:" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("POST", "/api/v1/beds/reports", {"json": REPORT}),
        (
            "PUT",
            "/api/v1/beds/reports/1/2025-03",
            {
                "json": {"total_beds": 1, "nursing_beds": 0, "occupied_beds": 0},
                "headers": {"If-Match": '"1"'},
            },
        ),
        (
            "POST",
            "/api/v1/beds/reports/import",
            {"content": b"x\n", "headers": {"Content-Type": "text/csv"}},
        ),
        (
            "POST",
            "/api/v1/plans/reported/import",
            {"content": b"x\n", "headers": {"Content-Type": "text/csv"}},
        ),
    ],
)
async def test_an_anonymous_writer_gets_401_before_the_registry_is_asked(
    beds_db_url: str, closed_port_url: str, method: str, path: str, kwargs: dict[str, object]
) -> None:
    """Identities required, the registry down: the answer is still the caller's 401 (not a 503)."""
    async with beds_client(
        beds_db_url, closed_port_url, identity_secret="s", require_identity=True
    ) as c:
        r = await c.request(method, path, **kwargs)  # type: ignore[arg-type]
    assert r.status_code == 401, r.text
    assert count_rows(beds_db_url, BedReport) == 0
