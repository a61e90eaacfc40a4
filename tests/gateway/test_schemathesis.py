"""Schemathesis against the gateway's merged OpenAPI, with the three real services and real
databases behind it (issue 13): no 5xx, and every answer matches its documented status code,
content type and schema.

SQLite runs in the quick run (``make test-fast``); the PostGIS variant runs in ``make test``.
The number of cases is bounded (``EXAMPLES`` per operation and mode: about 800 cases per
engine) so each run stays under a minute on a lightly loaded machine;
``CARECIRCLE_FUZZ_EXAMPLES=25`` runs about 3,000 per engine.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gateway.app import create_app as create_gateway_app
from services.beds.app import create_app as create_beds_app
from services.beds.settings import BedsSettings
from services.coverage.app import create_app as create_coverage_app
from services.coverage.settings import CoverageSettings
from services.facilities.app import create_app as create_facilities_app
from services.facilities.settings import FacilitiesSettings
from tests.coverage.conftest import DATA as COVERAGE_DATA
from tests.gateway.conftest import SECRET, make_settings, new_key
from tests.servers import running_app

# Cases per operation and generation mode (positive and negative); the total is printed.
EXAMPLES = int(os.environ.get("CARECIRCLE_FUZZ_EXAMPLES", "6"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Routes whose answer is not the JSON API (HTML docs) or that would stop the run for everyone.
SKIPPED_PATHS = ("/docs", "/redoc", "/map")


@dataclass
class Tally:
    cases: int = 0
    failures: list[str] = field(default_factory=list)


@pytest.fixture
def stack(
    facilities_db_url: str,
    beds_db_url: str,
    coverage_db_url: str,
    gateway_sqlite_url: str,
) -> Iterator[tuple[str, str]]:
    """Facilities, beds and coverage served by uvicorn on their own databases, the gateway in
    front; yields (gateway URL, an admin API key)."""
    common: dict[str, Any] = {"identity_secret": SECRET, "log_level": "CRITICAL"}
    with ExitStack() as stack:
        facilities = stack.enter_context(
            running_app(
                create_facilities_app(FacilitiesSettings(database_url=facilities_db_url, **common))
            )
        )
        beds = stack.enter_context(
            running_app(
                create_beds_app(
                    BedsSettings(database_url=beds_db_url, facilities_url=facilities, **common)
                )
            )
        )
        coverage = stack.enter_context(
            running_app(
                create_coverage_app(
                    CoverageSettings(
                        database_url=coverage_db_url,
                        facilities_url=facilities,
                        import_dir=str(COVERAGE_DATA),
                        **common,
                    )
                )
            )
        )
        gateway = create_gateway_app(
            make_settings(
                gateway_sqlite_url,
                None,
                facilities_url=facilities,
                beds_url=beds,
                coverage_url=coverage,
                log_level="CRITICAL",
                rate_limit_anonymous="100000/minute",
                rate_limit_key="100000/minute",
                rate_limit_heavy="100000/minute",
                upstream_timeout_s=20.0,
            )
        )
        key = new_key(gateway, "admin")
        url = stack.enter_context(running_app(gateway))
        yield url, key


def _run_operation(operation: Any, base_url: str, headers: dict[str, str], tally: Tally) -> None:
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        try:
            strategy = operation.as_strategy(generation_mode=mode)
        except Exception as exc:  # an operation schemathesis cannot build cases for
            tally.failures.append(f"{operation.label} [{mode.value}]: no cases: {exc!r}")
            continue

        label = f"{operation.label} [{mode.value}]"

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def one(case: Any) -> None:
            tally.cases += 1
            try:
                response = case.call(base_url=base_url, headers=headers, timeout=30)
                case.validate_response(response, checks=CHECKS)
            except (Exception, BaseExceptionGroup) as exc:  # collected: one run reports all
                if len(tally.failures) < 300:
                    tally.failures.append(f"{label}: {_summary(exc)}")  # noqa: B023 (run at once)

        try:
            one()
        except Unsatisfiable:  # nothing to negate (no parameters, no body)
            continue


def _summary(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = " | ".join(lines[:8])
    for sub in getattr(exc, "exceptions", ()):
        text += f" || {type(sub).__name__}: {str(sub).splitlines()[0] if str(sub) else ''}"
    return text[:700]


def test_the_merged_openapi_holds_against_the_real_services(stack: tuple[str, str]) -> None:
    base_url, key = stack
    spec = httpx.get(base_url + "/openapi.json", timeout=30).json()
    schema = schemathesis.openapi.from_dict(spec)
    headers = {"X-API-Key": key}
    tally = Tally()
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.startswith(SKIPPED_PATHS):
            continue
        _run_operation(operation, base_url, headers, tally)
    print(f"schemathesis: {tally.cases} cases, {len(tally.failures)} failures")
    assert not tally.failures, "\n".join(sorted(set(tally.failures)))
    assert tally.cases >= 40 * EXAMPLES, tally.cases
