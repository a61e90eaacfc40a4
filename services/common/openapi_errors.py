"""Every service's OpenAPI document declares the problem+json answers it can give (issue 13).

FastAPI documents a route's success and its ``HTTPValidationError`` 422, a body no
CareCircle service sends. Generated clients and schemathesis then meet 404, 409, 412,
428 or 503 answers nobody declared. One rule here, applied to every service by
:func:`services.common.app.create_service_app`, says which statuses an operation can
answer from what it takes (path parameters, a body, ``If-Match``, the caller's
identity) and declares them with one RFC 9457 schema. Statuses a route documents
itself keep their description; only the body schema is made the problem one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from services.common.deps import get_identity
from services.common.errors import PROBLEM_JSON

PROBLEM_SCHEMA_NAME = "Problem"
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem (RFC 9457)",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "Each bad value: `field` (e.g. `body.name`, `query.q`, or a file's "
            "column) and `message`; imports add `row`.",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": ["string", "null"]},
                    "message": {"type": "string"},
                    "row": {"type": "integer"},
                },
            },
        },
    },
    "additionalProperties": True,
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "schema": {"type": "integer"},
    }
}
DESCRIPTIONS = {
    "401": "The identity the gateway signed does not verify for this request, or one is required",
    "403": "The caller's role or region may not do this",
    "404": "Nothing has that id or code (or the path does not name a resource)",
    "409": "The write conflicts with what is stored (duplicate, still referenced, or a "
    "reused idempotency key with another body)",
    "412": "If-Match names an older version: read it again",
    "415": "The body's Content-Type is not one this operation reads",
    "422": "A bad value; `errors` names each field",
    "428": "If-Match is required for this write",
    "503": "The database is unreachable; nothing was written. Retry after Retry-After seconds",
}
_WRITES = {"post", "put", "patch", "delete"}
_METHODS = _WRITES | {"get", "head", "options"}


def answers_of(method: str, operation: dict[str, Any], *, reads_identity: bool) -> list[str]:
    """The error statuses an operation can answer, from what it takes (sorted)."""
    params = operation.get("parameters") or []
    headers = {p.get("name", "").lower() for p in params if p.get("in") == "header"}
    statuses = {"503"}
    if params or "requestBody" in operation:
        statuses.add("422")
    # What a parameter or a body names may not exist (or what it reads, e.g. a street
    # network, may not be imported yet).
    if params or "requestBody" in operation or method in _WRITES:
        statuses.add("404")
    if "requestBody" in operation or method in ("post", "put", "patch"):
        statuses.add("415")
    if method in _WRITES or reads_identity:
        statuses |= {"401", "403"}
    if method in _WRITES:
        statuses.add("409")
    if "if-match" in headers:
        statuses |= {"412", "428"}
    return sorted(statuses)


def declare_problem_answers(document: dict[str, Any], app: FastAPI) -> dict[str, Any]:
    """Add the problem answers to every operation of ``document`` (in place; returned)."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas[PROBLEM_SCHEMA_NAME] = PROBLEM_SCHEMA
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    problem = {PROBLEM_JSON: {"schema": {"$ref": f"#/components/schemas/{PROBLEM_SCHEMA_NAME}"}}}
    with_identity = _operations_reading_identity(app.routes)
    for path, item in (document.get("paths") or {}).items():
        for method, operation in item.items():
            if method not in _METHODS or not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            reads_identity = (path, method) in with_identity
            for status in answers_of(method, operation, reads_identity=reads_identity):
                declared = responses.get(status) or {}
                answer: dict[str, Any] = {
                    "description": declared.get("description") or DESCRIPTIONS[status],
                    "content": {**_non_json(declared), **problem},
                }
                if status == "503":
                    answer["headers"] = RETRY_AFTER
                responses[status] = answer
            for status, declared in responses.items():
                if status[:1] in ("4", "5") and isinstance(declared, dict):
                    declared["content"] = {**_non_json(declared), **problem}
    return document


def _non_json(declared: dict[str, Any]) -> dict[str, Any]:
    """A declared answer's media types other than JSON (errors are problem+json only)."""
    content = declared.get("content") or {}
    return {k: v for k, v in content.items() if k not in ("application/json", PROBLEM_JSON)}


def _operations_reading_identity(routes: Iterable[Any]) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for route in routes:
        if isinstance(route, APIRoute) and _uses(route.dependant, get_identity):
            for method in route.methods or ():
                out.add((route.path_format, method.lower()))
    return out


def _uses(dependant: Dependant, call: Any) -> bool:
    return dependant.call is call or any(_uses(d, call) for d in dependant.dependencies)
