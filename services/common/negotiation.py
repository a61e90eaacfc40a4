"""Which representation a caller asked for: ``format=`` first, then the ``Accept`` header.

Why here: several routes offer the same result as JSON, GeoJSON, CSV, xlsx or GeoPackage
(issue 17: results in the tools people use). One rule for all of them: an explicit
``format=`` query parameter wins (a browser link or a download cannot set headers); else
the first type of ``Accept`` (by ``q``, then order) that the route offers; a missing
``Accept``, ``*/*`` or ``application/*`` gives the route's default; an ``Accept`` naming only
types the route does not offer is a 406 listing what it does (an unknown ``format=`` a 422).
"""

from __future__ import annotations

from typing import Final, Literal, get_args

from services.common.errors import InvalidInput, NotAcceptable

Format = Literal["json", "geojson", "csv", "xlsx", "gpkg"]
FORMATS: Final[tuple[Format, ...]] = get_args(Format)

#: format → the media type it is answered with (and recognised under in ``Accept``).
MEDIA_TYPES: Final[dict[Format, str]] = {
    "json": "application/json",
    "geojson": "application/geo+json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "gpkg": "application/geopackage+sqlite3",
}
#: file name extension of each format (downloads).
EXTENSIONS: Final[dict[Format, str]] = {
    "json": "json",
    "geojson": "geojson",
    "csv": "csv",
    "xlsx": "xlsx",
    "gpkg": "gpkg",
}
_BY_TYPE: Final[dict[str, Format]] = {
    **{media.split(";")[0]: fmt for fmt, media in MEDIA_TYPES.items()},
    "application/csv": "csv",
    "application/vnd.geo+json": "geojson",
}


def _accepted(accept: str) -> list[str]:
    """Media types of an ``Accept`` header, most wanted first (``q=0`` dropped)."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(accept.split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0:
            ranked.append((-q, i, media))
    return [media for _, _, media in sorted(ranked)]


def choose(
    accept: str | None,
    format: Format | None,  # noqa: A002 - the query parameter's name
    offered: tuple[Format, ...],
    default: Format,
) -> Format:
    """The format to answer with (see the module docstring); 406 when nothing offered fits.

    >>> choose("application/geo+json", None, ("json", "geojson"), "json")
    'geojson'
    >>> choose("text/html, */*;q=0.8", None, ("json", "geojson"), "geojson")
    'geojson'
    >>> choose("application/json", "csv", ("json", "csv"), "json")
    'csv'
    """
    if format is not None:
        if format not in offered:
            raise InvalidInput(
                f"format={format} is not offered here; use one of {', '.join(offered)}",
                field="query.format",
            )
        return format
    if not accept or not accept.strip():
        return default
    for media in _accepted(accept):
        if media in ("*/*", "application/*"):
            return default
        found = _BY_TYPE.get(media)
        if found in offered:
            return found
    raise NotAcceptable(
        f"none of the types in Accept is offered here; offered: "
        f"{', '.join(MEDIA_TYPES[f].split(';')[0] for f in offered)} (or pass format=)",
        errors=[{"field": "header.accept", "message": "no offered type"}],
    )
