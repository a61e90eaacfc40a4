"""Response classes: fast JSON (orjson) and RFC 9457 problem+json."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse

from services.common.errors import PROBLEM_JSON

# Every timestamp we store is UTC; SQLite hands them back naive, so say so on the wire.
ORJSON_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS | orjson.OPT_NAIVE_UTC


class FastJSONResponse(JSONResponse):
    """JSON rendered by orjson (numpy arrays, datetimes and dataclasses included)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=ORJSON_OPTIONS, default=str)


class ProblemResponse(FastJSONResponse):
    media_type = PROBLEM_JSON
