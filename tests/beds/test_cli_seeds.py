"""``carecircle beds import`` against the real facilities service, and the seeded plan targets."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from services.beds.models import PlanTarget
from services.beds.seeds import PLAN_TARGETS
from services.cli import app
from services.common.db import make_engine
from services.common.migrate import upgrade
from tests.beds.test_api_indicators import GOOD, HEADER
from tests.conftest import ScratchDatabases


def test_cli_import_then_compliance(tmp_path: Path, beds_db_url: str, facilities_url: str) -> None:
    env = {"BEDS_DATABASE_URL": beds_db_url, "FACILITIES_URL": facilities_url}
    good = tmp_path / "beds.csv"
    good.write_text(GOOD, encoding="utf-8")
    result = CliRunner().invoke(app, ["beds", "import", str(good)], env=env)
    assert result.exit_code == 0, result.output
    assert "4 rows, 4 created, 0 revised, 0 unchanged" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "F1,2025-04,10,11,0,5,\nNOPE,2025-04,1,0,0,0,\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["beds", "import", str(bad)], env=env)
    assert result.exit_code == 1
    assert (
        "line 2: nursing_beds" in result.output and "line 3: facility_external_id" in result.output
    )


def test_migration_seeds_the_plan_targets_as_written(scratch_databases: ScratchDatabases) -> None:
    url = scratch_databases.empty_url("sqlite", "seeds")
    upgrade("beds", url)
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(select(PlanTarget.__table__)).mappings().all()
    engine.dispose()
    observed = sorted((dict(r) for r in rows), key=lambda r: (r["region_code"], r["indicator"]))
    for row in observed:
        row.pop("id")
    assert observed == sorted(PLAN_TARGETS, key=lambda r: (r["region_code"], r["indicator"]))
    by_key = {(r["region_code"], r["indicator"]): r for r in observed}
    # The ones issue 16 names as carried wrongly before:
    assert by_key[("500112000000", "nursing_share")]["binding"] is True  # 约束性
    assert by_key[("500112000000", "government_operated_share")]["binding"] is True  # 约束性
    assert by_key[("500112000000", "total_beds")]["binding"] is False  # 预期性
    assert by_key[("350600000000", "nursing_share")]["comparator"] == "gt"  # 超过60%
    assert by_key[("520200000000", "county_has_70pct_nursing_facility")]["threshold"] == 1.0
    assert ("520200000000", "central_homes_nursing_70_share") not in by_key
