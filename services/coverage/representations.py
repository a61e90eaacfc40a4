"""The same coverage result in the format a caller asked for (JSON, GeoJSON, files).

Routes compute a result once and hand it here with the chosen format
(:func:`services.common.negotiation.choose`). Defaults, so existing clients keep working:
isochrones and gaps answer GeoJSON (``application/geo+json``; gaps always were a
FeatureCollection), points and siting answer the service's JSON; every route takes
``format=`` or an ``Accept`` header for the others, including the files planners and
bureaus open (CSV with BOM, xlsx, GeoPackage: :mod:`services.common.exports`).
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import Query
from starlette.responses import Response

from services.common.exports import Lang, csv_bytes, gpkg_bytes, xlsx_bytes
from services.common.negotiation import EXTENSIONS, MEDIA_TYPES, Format
from services.common.openapi_examples import keep_nulls
from services.common.responses import FastJSONResponse
from services.coverage.export_tables import Table

GEO: Final[tuple[Format, ...]] = ("json", "geojson")


def format_query(offered: tuple[Format, ...], default: Format) -> Any:
    """The ``format=`` query parameter of a route offering ``offered``."""
    return Query(
        description=f"One of {', '.join(offered)}; overrides Accept. Default: {default} "
        f"({MEDIA_TYPES[default].split(';')[0]}).",
    )


def json_answer(
    content: Any, fmt: Format, headers: dict[str, str] | None = None, status: int = 200
) -> Response:
    """``content`` as JSON labelled with the media type of ``fmt`` (json or geojson)."""
    return FastJSONResponse(
        content, status_code=status, media_type=MEDIA_TYPES[fmt], headers=headers
    )


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


FILES: Final[tuple[Format, ...]] = ("csv", "xlsx", "gpkg")
ALL: Final[tuple[Format, ...]] = GEO + FILES
#: Examples of the file answers in the OpenAPI documents (binary ones are described).
FILE_EXAMPLES: Final[dict[Format, Any]] = {
    "csv": "\ufeffid,elderly,minutes,nearest_station,covered,access_2sfca,lon,lat\r\n"
    "B00093,11,8.3,18,true,0.0441,24.941123,60.168201\r\n",
    "xlsx": "(an Excel workbook: one sheet, the same columns as the CSV)",
    "gpkg": "(a GeoPackage: one layer in EPSG:4326, the columns at full precision)",
}


def lang_query() -> Any:
    """The ``lang=`` query parameter of the file answers."""
    return Query(
        description="Files (csv, xlsx): en — headings are the column names, true/false; "
        "zh — Chinese headings, 是/否."
    )


def file_answer(fmt: Format, table: Table, name: str, lang: Lang) -> Response:
    """A download: CSV (UTF-8 with BOM), xlsx or GeoPackage (layer ``name``)."""
    columns, rows, geometries = table
    if fmt == "csv":
        body = csv_bytes(columns, rows, lang)
    elif fmt == "xlsx":
        body = xlsx_bytes(columns, rows, lang, sheet=name)
    elif fmt == "gpkg":
        body = gpkg_bytes(columns, rows, geometries, layer=name)
    else:
        raise ValueError(f"not a file format: {fmt}")
    return Response(
        body,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}.{EXTENSIONS[fmt]}"'},
    )
