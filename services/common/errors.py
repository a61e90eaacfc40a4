"""One error hierarchy, rendered once as RFC 9457 ``application/problem+json``.

Each error carries its own HTTP status and title; the user-facing ``detail`` is
kept apart from anything logged. Pure code raises ``ValueError``; the API layer
turns it into :class:`InvalidInput` (422) naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "https://carecircle.example/problems/"


class CareError(Exception):
    """Base of every error a CareCircle service answers with."""

    status: int = 500
    title: str = "Internal error"
    slug: str = "internal"

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.headers = dict(headers or {})
        self.extra = extra

    def problem(self, instance: str | None = None, request_id: str | None = None) -> dict[str, Any]:
        """The problem+json body (RFC 9457 members plus extension members)."""
        body: dict[str, Any] = {
            "type": PROBLEM_TYPE_BASE + self.slug,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        if request_id:
            body["request_id"] = request_id
        body.update(self.extra)
        return body


class InvalidInput(CareError):
    """A request that is well-formed HTTP but names a bad value (422)."""

    status, title, slug = 422, "Invalid input", "invalid-input"

    def __init__(self, detail: str, *, field: str | None = None, **extra: Any) -> None:
        errors = extra.pop("errors", None)
        if errors is None and field is not None:
            errors = [{"field": field, "message": detail}]
        super().__init__(detail, errors=errors or [], **extra)


class BadRequest(CareError):
    status, title, slug = 400, "Bad request", "bad-request"


class Unauthorized(CareError):
    status, title, slug = 401, "Unauthorized", "unauthorized"


class Forbidden(CareError):
    status, title, slug = 403, "Forbidden", "forbidden"


class NotFound(CareError):
    status, title, slug = 404, "Not found", "not-found"


class Conflict(CareError):
    status, title, slug = 409, "Conflict", "conflict"


class PreconditionFailed(CareError):
    status, title, slug = 412, "Precondition failed", "precondition-failed"


class PreconditionRequired(CareError):
    status, title, slug = 428, "Precondition required", "precondition-required"


class PayloadTooLarge(CareError):
    status, title, slug = 413, "Payload too large", "payload-too-large"


class UnsupportedMediaType(CareError):
    status, title, slug = 415, "Unsupported media type", "unsupported-media-type"


class NotAcceptable(CareError):
    status, title, slug = 406, "Not acceptable", "not-acceptable"


class TooManyRequests(CareError):
    status, title, slug = 429, "Too many requests", "rate-limited"


class UpstreamError(CareError):
    """A service this one depends on answered badly (502)."""

    status, title, slug = 502, "Bad gateway", "upstream-error"


class ServiceUnavailable(CareError):
    """A dependency is down; nothing was written. Callers may retry after ``Retry-After``."""

    status, title, slug = 503, "Service unavailable", "unavailable"

    def __init__(self, detail: str, *, retry_after_s: int = 5, **extra: Any) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after_s)}, **extra)


class UpstreamTimeout(CareError):
    status, title, slug = 504, "Gateway timeout", "upstream-timeout"


def field_errors(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Turn pydantic's error list into ``[{"field": "body.lat", "message": ...}]``."""
    out = []
    for err in errors:
        location = [str(part) for part in err.get("loc", ())]
        out.append(
            {
                "field": ".".join(location),
                "message": str(err.get("msg", "invalid value")),
                "type": err.get("type"),
            }
        )
    return out
