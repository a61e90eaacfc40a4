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
from gateway.context import Gateway
from gateway.routing import Upstream

CACHE_S = 60.0
RETRY_S = 5.0
SECURITY_SCHEMES = {
    "ApiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
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


def public_paths(service: Upstream, document: dict[str, Any]) -> dict[str, Any]:
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
    return merged


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
