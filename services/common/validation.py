"""Checks every service applies at the edge, the same on SQLite and PostgreSQL.

Integers: the id and count columns are SQL ``INTEGER`` (32-bit on PostgreSQL), so a
value past ``MAX_INT`` is a caller's mistake to name with a 422, not a driver
overflow that surfaces as a 500. Text: PostgreSQL refuses NUL in ``text`` while
SQLite stores it; other control characters are never meaningful in our names,
codes or queries. One check (:func:`check_text`) serves the query string, path
parameters, JSON bodies and every imported file cell.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Path, Request
from pydantic import BaseModel, Field, field_validator
from starlette.datastructures import QueryParams

from services.common.errors import InvalidInput
from services.common.geo import validate_lon_lat

MAX_INT = 2**31 - 1
"""The largest value an ``INTEGER`` column holds on both engines (PostgreSQL ``int4``)."""

# C0 controls and DEL, except tab, line feed and carriage return (kept in multi-line text).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored, or None. NUL is named: PostgreSQL refuses it outright."""
    match = _CONTROL.search(value)
    if match is None:
        return None
    char = match.group()
    if char == "\x00":
        return "must not contain NUL (\\u0000)"
    return f"must not contain control character U+{ord(char):04X}"


def check_text(value: str) -> str:
    """``value`` unchanged, or ``ValueError`` naming the control character in it."""
    problem = text_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def row_number(text: str) -> int:
    """``text`` as a row id or version: ASCII digits only, at most ``MAX_INT`` (``ValueError`` otherwise).

    ``int()`` alone accepts ``"٣"``, ``" 3"`` and ``"1_000"``, and any size, which the
    database then refuses with an overflow.
    """
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_INT:
        raise ValueError(f"not a whole number in [0, {MAX_INT}]: {text[:40]!r}")
    return int(text)


def check_bounds(min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> None:
    """A geometry's WGS84 bounding box lies on the globe (``ValueError`` naming the corner).

    Points go through :func:`services.common.geo.validate_lon_lat` (and pydantic's bounds on
    the facility fields); a polygon's vertices all lie inside its bounding box.
    """
    validate_lon_lat(min_lon, min_lat)
    validate_lon_lat(max_lon, max_lat)


DbId = Annotated[int, Field(ge=1, le=MAX_INT)]
"""A row id in a JSON body."""

IdPath = Annotated[int, Path(ge=1, le=MAX_INT)]
"""A row id in the path: ids past the column range are a 422 naming it, never a 500."""


class TextChecked(BaseModel):
    """Input models inherit this: every string in them, nested ones too, passes :func:`check_text`.

    The error is raised per field, so the 422 names it (``body.name``).
    """

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        problem = _nested_text_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value


def _nested_text_problem(value: Any) -> str | None:
    if isinstance(value, str):
        return text_problem(value)
    if isinstance(value, Mapping):
        for key, item in value.items():
            problem = _nested_text_problem(key) or _nested_text_problem(item)
            if problem is not None:
                return problem
    elif isinstance(value, (list, tuple)):
        for item in value:
            problem = _nested_text_problem(item)
            if problem is not None:
                return problem
    return None


def check_query_text(query: QueryParams) -> None:
    """NUL or control characters in a query parameter (name or value): a 422 naming it."""
    for name, value in query.multi_items():
        problem = text_problem(name) or text_problem(value)
        if problem is not None:
            shown = _CONTROL.sub("?", name)
            raise InvalidInput(f"query.{shown}: {problem}", field=f"query.{shown}")


async def check_request_text(request: Request) -> None:
    """App-wide dependency: NUL or control characters in a query or path parameter are a 422 naming it."""
    check_query_text(request.query_params)
    for name, raw in request.path_params.items():
        if isinstance(raw, str):
            problem = text_problem(raw)
            if problem is not None:
                raise InvalidInput(f"path.{name}: {problem}", field=f"path.{name}")
