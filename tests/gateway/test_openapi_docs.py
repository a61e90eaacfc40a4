"""The merged OpenAPI document (what /docs shows and clients are generated from) is complete:
readable unique operation ids, a written summary and an example for every public operation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest

from gateway import openapi, operations
from gateway.app import create_app
from gateway.settings import GatewaySettings
from services.beds.app import create_app as create_beds_app
from services.beds.settings import BedsSettings
from services.common.openapi_examples import NULL_MARK
from services.common.operation_ids import area_of, readable_id
from services.coverage.app import create_app as create_coverage_app
from services.coverage.settings import CoverageSettings
from services.facilities.app import create_app as create_facilities_app
from services.facilities.settings import FacilitiesSettings

METHODS = ("get", "put", "post", "patch", "delete")
READABLE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The gateway's merged document, from the real apps (no process needed: same merge)."""
    tmp = tmp_path_factory.mktemp("openapi")

    def url(name: str) -> str:
        return f"sqlite:///{tmp / name}.sqlite3"

    apps = {
        "facilities": create_facilities_app(
            FacilitiesSettings(database_url=url("facilities"), log_level="WARNING")
        ),
        "beds": create_beds_app(BedsSettings(database_url=url("beds"), log_level="WARNING")),
        "coverage": create_coverage_app(
            CoverageSettings(database_url=url("coverage"), log_level="WARNING")
        ),
    }
    gateway = create_app(
        GatewaySettings(database_url=url("gateway"), log_level="WARNING", identity_secret="x")
    )
    request = mock.Mock(app=gateway)  # base_document reads only request.app
    yield openapi.merge(
        operations.base_document(request), {name: app.openapi() for name, app in apps.items()}
    )
    for app in [*apps.values(), gateway]:
        app.state.service.engine.dispose()


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_operation_ids_are_unique_and_readable(document: dict[str, Any]) -> None:
    ids = [op["operationId"] for _, _, op in _operations(document)]
    assert len(ids) > 60
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for path, method, op in _operations(document):
        oid = op["operationId"]
        assert READABLE.match(oid) and len(oid) <= 40, (method, path, oid)
        assert "api_v1" not in oid, (method, path, oid)
        assert oid == area_of(path) or oid.startswith(area_of(path) + "_"), (method, path, oid)
    by_path = {(p, m): op["operationId"] for p, m, op in _operations(document)}
    assert by_path[("/api/v1/facilities/nearby", "get")] == "facilities_nearby"
    assert by_path[("/api/v1/nearby", "get")] == "nearby"
    assert by_path[("/api/v1/regions/{code}/dashboard", "get")] == "regions_dashboard"
    assert by_path[("/api/v1/facilities/{facility_id}", "get")] == "facilities_get"


def test_the_rule_reads_well() -> None:
    assert readable_id("/api/v1/facilities/nearby", "nearby_facilities") == "facilities_nearby"
    assert readable_id("/api/v1/plans/indicators", "get_indicators") == "plans_get_indicators"
    assert readable_id("/api/v1/coverage/walk-times", "walk_times") == "coverage_walk_times"
    assert readable_id("/api/v1/gateway/keys", "create_key") == "gateway_create_key"
    assert readable_id("/metrics", "metrics") == "metrics"


def _generated(summary: str) -> bool:
    """FastAPI's stand-in for a missing summary: the function's name in Title Case."""
    return summary == summary.title() and re.fullmatch(r"[A-Za-z ]+", summary) is not None


def test_every_operation_has_a_written_summary(document: dict[str, Any]) -> None:
    missing = [
        f"{method.upper()} {path}: {op.get('summary')!r}"
        for path, method, op in _operations(document)
        if not op.get("summary") or _generated(op["summary"])
    ]
    assert not missing, "\n".join(missing)


def _resolve(document: dict[str, Any], schema: Any) -> Any:
    while isinstance(schema, dict) and "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _has_example(document: dict[str, Any], holder: dict[str, Any]) -> bool:
    """An example on the parameter or media type itself, or on its (resolved) schema."""
    if "example" in holder or "examples" in holder:
        return True
    schema = _resolve(document, holder.get("schema"))
    if not isinstance(schema, dict):
        return False
    if "example" in schema or "examples" in schema:
        return True
    return any(
        _has_example(document, {"schema": part})
        for key in ("anyOf", "oneOf", "allOf")
        for part in schema.get(key, [])
        if part.get("type") != "null"
    )


def missing_examples(
    document: dict[str, Any], path: str, method: str, op: dict[str, Any]
) -> list[str]:
    """What an app developer would have to guess: path and required query parameters, the
    body, the success answer."""
    out = [
        f"parameter {p['name']}"
        for p in op.get("parameters", [])
        if (p["in"] == "path" or p.get("required")) and not _has_example(document, p)
    ]
    body = op.get("requestBody")
    if body is not None and not any(
        _has_example(document, media) for media in body.get("content", {}).values()
    ):
        out.append("request body")
    answers = {s: r for s, r in op["responses"].items() if s.startswith("2")}
    with_content = [r for r in answers.values() if r.get("content")]
    if with_content and not any(
        _has_example(document, media) for r in with_content for media in r["content"].values()
    ):
        out.append(f"answer {'/'.join(answers)}")
    return out


def test_every_operation_has_examples(document: dict[str, Any]) -> None:
    missing = [
        f"{method.upper()} {path}: {', '.join(gaps)}"
        for path, method, op in _operations(document)
        if (gaps := missing_examples(document, path, method, op))
    ]
    assert not missing, "\n".join(missing)


def test_the_checks_notice_what_is_missing(document: dict[str, Any]) -> None:
    """The checks themselves: a generated summary and an operation without examples are found."""
    assert _generated("Walk Times") and not _generated("Walking minutes from one point")
    bare = {
        "parameters": [
            {"name": "run_id", "in": "path", "required": True, "schema": {"type": "integer"}}
        ],
        "responses": {"200": {"content": {"application/json": {"schema": {"type": "object"}}}}},
    }
    assert missing_examples(document, "/x/{run_id}", "get", bare) == [
        "parameter run_id",
        "answer 200",
    ]


def _examples_with_schemas(
    document: dict[str, Any],
) -> Iterator[tuple[str, Any, dict[str, Any]]]:
    """(where, example, schema) for every JSON answer and body example that has a schema."""
    for path, method, op in _operations(document):
        media = [
            (f"{method.upper()} {path} answer {status}", content)
            for status, answer in op["responses"].items()
            if status.startswith("2")
            for content in [(answer.get("content") or {}).get("application/json")]
            if content
        ]
        body = (op.get("requestBody") or {}).get("content", {}).get("application/json")
        if body:
            media.append((f"{method.upper()} {path} body", body))
        for where, content in media:
            if "example" in content and "schema" in content:
                yield where, content["example"], content["schema"]
            for name, named in (content.get("examples") or {}).items():
                if "value" in named and "schema" in content:
                    yield f"{where} ({name})", named["value"], content["schema"]


def test_every_example_fits_its_schema(document: dict[str, Any]) -> None:
    """An example a client cannot parse with its own generated models is worse than none."""
    from jsonschema import Draft202012Validator

    checked, wrong = 0, []
    for where, example, schema in _examples_with_schemas(document):
        root = {**schema, "components": document["components"]}
        errors = list(Draft202012Validator(root).iter_errors(example))
        checked += 1
        if errors:
            wrong.append(f"{where}: {errors[0].message[:200]} at {list(errors[0].absolute_path)}")
    assert checked > 50
    assert not wrong, "\n".join(wrong)
    assert NULL_MARK not in str(document)  # every null in an example is a null again
