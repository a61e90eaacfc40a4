"""One OpenAPI document for every public route: the gateway's own plus each service's public part.

Each service's ``/openapi.json`` is fetched (in parallel) and only paths under
the prefixes the gateway routes to that service are kept; operations tagged
``internal`` stay internal. Schema names that two documents define differently
are prefixed with the service name and their ``$ref``s rewritten.
"""

from __future__ import annotations

import asyncio
import copy
import time
from typing import Any

from gateway import routing
from gateway.auth import API_KEY_HEADER
from gateway.context import Gateway
from services.common.openapi_errors import PROBLEM_SCHEMA as SERVICE_PROBLEM_SCHEMA
from services.common.openapi_errors import RETRY_AFTER

CACHE_S = 60.0
RETRY_S = 5.0
SECURITY_SCHEMES = {
    "ApiKey": {
        "type": "apiKey",
        "in": "header",
        "name": API_KEY_HEADER,
        "description": "a key from `carecircle apikey create`",
    },
    "Bearer": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "a person's token (HS256/RS256)",
    },
}
_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
_READS = {"get", "head", "options"}
#: The gateway's own answers, which any service may not know about: an RFC 9457 body.
PROBLEM_SCHEMA_NAME = "GatewayProblem"
PROBLEM_SCHEMA: dict[str, Any] = {
    **SERVICE_PROBLEM_SCHEMA,
    "properties": {
        **SERVICE_PROBLEM_SCHEMA["properties"],
        "upstream": {"type": "string", "description": "The service that failed (502/503/504)"},
    },
}
#: status → (description, with Retry-After)
GATEWAY_ANSWERS: dict[str, tuple[str, bool]] = {
    "404": ("Nothing has that id or code", False),
    "400": ("The path has a dot segment, an encoded slash or a double encoding", False),
    "401": ("A credential was sent but is unknown, revoked or invalid, or one is needed", False),
    "403": ("The caller's role or region may not do this", False),
    "413": ("The request body is larger than the gateway accepts", False),
    "422": ("The request names a bad value (the field is in `errors`)", False),
    "429": ("The caller's rate limit is spent", True),
    "502": ("The service answered badly", False),
    "503": ("The service is down, or its circuit breaker is open", True),
    "504": ("The service did not answer in time", False),
}


def public_paths(service: str, document: dict[str, Any]) -> dict[str, Any]:
    """The service's path items the gateway exposes, internal operations removed."""
    out: dict[str, Any] = {}
    for path, item in (document.get("paths") or {}).items():
        route = routing.resolve(routing.concrete_path(path))
        if route is None or route.upstream != service:
            continue
        kept = {
            key: op
            for key, op in item.items()
            if key not in _METHODS or "internal" not in (op.get("tags") or [])
        }
        if any(key in _METHODS for key in kept):
            out[path] = kept
    return out


def _rewrite_refs(node: Any, renames: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {
            key: (
                _renamed_ref(value, renames)
                if key == "$ref" and isinstance(value, str)
                else _rewrite_refs(value, renames)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_refs(value, renames) for value in node]
    return node


def _renamed_ref(ref: str, renames: dict[str, str]) -> str:
    prefix = "#/components/schemas/"
    if ref.startswith(prefix) and ref[len(prefix) :] in renames:
        return prefix + renames[ref[len(prefix) :]]
    return ref


def merge(base: dict[str, Any], parts: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """``base`` (the gateway's own document) plus each service's public paths and their schemas."""
    merged = copy.deepcopy(base)
    schemas: dict[str, Any] = merged.setdefault("components", {}).setdefault("schemas", {})
    paths: dict[str, Any] = merged.setdefault("paths", {})
    for service, document in parts.items():
        theirs = (document.get("components") or {}).get("schemas") or {}
        renames = {
            name: f"{service}_{name}"
            for name, schema in theirs.items()
            if name in schemas and schemas[name] != schema
        }
        for name, schema in theirs.items():
            schemas[renames.get(name, name)] = _rewrite_refs(schema, renames)
        for path, item in public_paths(service, document).items():
            paths.setdefault(path, _rewrite_refs(item, renames))
        for tag in document.get("tags") or []:
            if tag not in merged.setdefault("tags", []):
                merged["tags"].append(tag)
    merged["components"].setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
    merged["security"] = [{}, {"ApiKey": []}, {"Bearer": []}]
    declare_gateway_answers(merged)
    return merged


def gateway_answers(route: routing.Route | None, method: str) -> list[str]:
    """The statuses the gateway itself may answer for ``method`` on ``route`` (before, or
    instead of, the service's own answer)."""
    reading = method in _READS
    statuses = ["400", "401", "422", "429"]  # any path, any credential, any query, any caller
    if route is None:
        return statuses
    rule = route.read if reading else route.write
    if rule.roles != routing.ANYONE or rule.scoped:
        statuses.append("403")
    if not reading:
        statuses.append("413")
    if route.proxied or route.aggregates:
        statuses += ["502", "503", "504"]
    return sorted(statuses)


def declare_gateway_answers(document: dict[str, Any]) -> None:
    """Add the gateway's own answers, as problem+json, to every operation (in place).

    What an operation already declares for a status stays; FastAPI's default 422 body
    (``HTTPValidationError``, which nothing here sends) is replaced by the problem body.
    """
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas[PROBLEM_SCHEMA_NAME] = PROBLEM_SCHEMA
    problem = {
        "application/problem+json": {
            "schema": {"$ref": f"#/components/schemas/{PROBLEM_SCHEMA_NAME}"}
        }
    }
    for path, item in (document.get("paths") or {}).items():
        route = routing.resolve(routing.concrete_path(path))
        for method, operation in item.items():
            if method not in _METHODS or not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            statuses = gateway_answers(route, method)
            if "{" in path:  # a path parameter naming nothing (the gateway's own routes too)
                statuses = sorted({*statuses, "404"})
            for status in statuses:
                description, retry = GATEWAY_ANSWERS[status]
                declared = responses.get(status)
                if declared is None or _is_fastapi_validation_error(declared):
                    answer: dict[str, Any] = {"description": description, "content": problem}
                    if retry:
                        answer["headers"] = RETRY_AFTER
                    responses[status] = answer


def _is_fastapi_validation_error(response: Any) -> bool:
    content = response.get("content", {}) if isinstance(response, dict) else {}
    schema = content.get("application/json", {}).get("schema", {})
    return bool(schema.get("$ref", "").endswith("/HTTPValidationError"))


async def merged_document(gateway: Gateway, base: dict[str, Any]) -> dict[str, Any]:
    """The merged document, cached; refetched sooner while a service is missing from it."""
    cache = gateway.openapi_cache
    if "document" in cache and cache["expires_at"] > time.monotonic():
        return cache["document"]  # type: ignore[no-any-return]

    async def fetch(name: str) -> tuple[str, dict[str, Any] | None]:
        try:
            answer = await gateway.upstreams[name].get_json("/openapi.json", timeout_s=3.0)
            return name, answer.json() if answer.status == 200 else None
        except Exception:
            return name, None

    results = await asyncio.gather(*(fetch(name) for name in gateway.upstreams))
    parts = {name: doc for name, doc in results if doc is not None}
    missing = sorted(name for name, doc in results if doc is None)
    document = merge(base, parts)
    if missing:
        document.setdefault("info", {})["x-unavailable-services"] = missing
    cache.update(document=document, expires_at=time.monotonic() + (RETRY_S if missing else CACHE_S))
    return document
