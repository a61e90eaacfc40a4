"""The same coverage result in the format a caller asked for (JSON, GeoJSON, files).

Routes compute a result once and hand it here with the chosen format
(:func:`services.common.negotiation.choose`). Defaults, so existing clients keep working:
isochrones and gaps answer GeoJSON (``application/geo+json``; gaps always were a
FeatureCollection), points and siting answer the service's JSON; every route takes
``format=`` or an ``Accept`` header for the others.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import Query
from starlette.responses import Response

from services.common.negotiation import MEDIA_TYPES, Format
from services.common.openapi_examples import keep_nulls
from services.common.responses import FastJSONResponse

GEO: Final[tuple[Format, ...]] = ("json", "geojson")


def format_query(offered: tuple[Format, ...], default: Format) -> Any:
    """The ``format=`` query parameter of a route offering ``offered``."""
    return Query(
        description=f"One of {', '.join(offered)}; overrides Accept. Default: {default} "
        f"({MEDIA_TYPES[default].split(';')[0]}).",
    )


def json_answer(content: Any, fmt: Format, headers: dict[str, str] | None = None) -> Response:
    """``content`` as JSON labelled with the media type of ``fmt`` (json or geojson)."""
    return FastJSONResponse(content, media_type=MEDIA_TYPES[fmt], headers=headers)


def answers(
    examples: dict[Format, Any], status: int = 200, description: str = ""
) -> dict[int | str, dict[str, Any]]:
    """A route's ``responses=`` entry with one example per media type it answers."""
    out: dict[str, Any] = {
        "content": {
            MEDIA_TYPES[fmt].split(";")[0]: {"example": keep_nulls(example)}
            for fmt, example in examples.items()
        }
    }
    if description:
        out["description"] = description
    return {status: out}
