"""One rule for every operation id: ``<area>_<function name without the area's words>``.

FastAPI's generated ids (``nearby_facilities_api_v1_facilities_nearby_get``) repeat
the path and the method; generated clients turn them into method names, so they
should read like what they do. The *area* is the path's first segment after
``/api/v1`` (``facilities``, ``regions``, ``beds``, ``plans``, ``coverage``,
``nearby``, ``gateway``), or its first segment elsewhere (``ogc``); words of the
function's name that repeat the area (singular or plural) are dropped:

>>> readable_id("/api/v1/facilities/nearby", "nearby_facilities")
'facilities_nearby'
>>> readable_id("/api/v1/facilities/{facility_id}", "get_facility")
'facilities_get'
>>> readable_id("/api/v1/regions/{code}/dashboard", "region_dashboard")
'regions_dashboard'
>>> readable_id("/api/v1/nearby", "nearby")
'nearby'
>>> readable_id("/ogc/collections/{collection_id}/items", "items")
'ogc_items'
>>> readable_id("/healthz", "healthz")
'healthz'

A route that needs another name says so with ``operation_id=`` (FastAPI uses it
as is) or ``name=``. tests/gateway/test_openapi_docs.py checks that every id of
the merged document is unique and follows this rule.
"""

from __future__ import annotations

import re
from typing import Any

API_PREFIX = "/api/v1/"
_WORD = re.compile(r"[^a-z0-9]+")


def area_of(path: str) -> str:
    """The path's area: its first segment after ``/api/v1/`` (or its first segment), as a word."""
    rest = path.removeprefix(API_PREFIX) if path.startswith(API_PREFIX) else path.lstrip("/")
    return _WORD.sub("_", rest.split("/", 1)[0].lower()).strip("_")


def _forms(word: str) -> set[str]:
    """A word and its singular (``facilities`` → ``facility``, ``regions`` → ``region``)."""
    forms = {word}
    if word.endswith("ies"):
        forms.add(word[:-3] + "y")
    elif word.endswith("s"):
        forms.add(word[:-1])
    return forms


def readable_id(path: str, name: str) -> str:
    """``<area>_<name without the area's words>``; just the area when nothing else is left."""
    area = area_of(path)
    repeated = {form for word in area.split("_") if word for form in _forms(word)}
    rest = [
        word for word in _WORD.sub("_", name.lower()).split("_") if word and word not in repeated
    ]
    return "_".join([area, *rest]) if area else "_".join(rest)


def operation_id(route: Any) -> str:
    """FastAPI's ``generate_unique_id_function``: the readable id of a route."""
    return readable_id(str(route.path_format), str(route.name))
