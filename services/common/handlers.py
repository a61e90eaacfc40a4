"""Every error, from our code, from validation or from Starlette, as problem+json."""

from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.common.errors import CareError, InvalidInput, ServiceUnavailable, field_errors
from services.common.responses import ProblemResponse

log = logging.getLogger("carecircle.errors")


def problem_response(request: Request, error: CareError) -> ProblemResponse:
    request_id = getattr(request.state, "request_id", None)
    return ProblemResponse(
        error.problem(instance=request.url.path, request_id=request_id),
        status_code=error.status,
        headers=error.headers or None,
    )


async def _care_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, CareError)
    if exc.status >= 500:
        log.error("request failed", extra={"error": exc.detail, "status": exc.status})
    return problem_response(request, exc)


async def _validation_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    errors = field_errors(exc.errors())
    first = errors[0] if errors else {"field": "request", "message": "invalid"}
    detail = f"{first['field']}: {first['message']}"
    if len(errors) > 1:
        detail += f" (and {len(errors) - 1} more)"
    return problem_response(request, InvalidInput(detail, errors=errors))


async def _http_error(request: Request, exc: Exception) -> ProblemResponse:
    """Starlette's own errors (unknown route, wrong method, …) in the same shape as ours."""
    assert isinstance(exc, StarletteHTTPException)
    detail = str(exc.detail)
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no route for {request.method} {request.url.path}"
    error = CareError(detail, headers=exc.headers)
    error.status = exc.status_code
    error.title = HTTPStatus(exc.status_code).phrase
    error.slug = error.title.lower().replace(" ", "-")
    return problem_response(request, error)


# What a database that is down, restarting, locked or out of connections raises; nothing
# was committed by the request that met it (its transaction is rolled back).
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
    sa_exc.DisconnectionError,
)
DATABASE_RETRY_AFTER_S = 2


async def _database_unavailable(request: Request, exc: Exception) -> ProblemResponse:
    """A lost or refused database connection is the service's outage, not the caller's
    fault and not a bug: 503 with Retry-After (and nothing written), never a 500."""
    log.error("database unavailable", extra={"error": type(exc).__name__})
    return problem_response(
        request,
        ServiceUnavailable(
            "the database is unavailable; nothing was written, try again shortly",
            retry_after_s=DATABASE_RETRY_AFTER_S,
        ),
    )


async def _dbapi_error(request: Request, exc: Exception) -> ProblemResponse:
    """Other driver errors: a dropped connection (``connection_invalidated``) is a 503 too."""
    assert isinstance(exc, sa_exc.DBAPIError)
    if exc.connection_invalidated:
        return await _database_unavailable(request, exc)
    return await _unexpected(request, exc)


async def _unexpected(request: Request, exc: Exception) -> ProblemResponse:
    log.exception("unhandled error", exc_info=exc)
    return problem_response(request, CareError("An unexpected error occurred; it has been logged."))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(CareError, _care_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for kind in DATABASE_UNAVAILABLE:
        app.add_exception_handler(kind, _database_unavailable)
    app.add_exception_handler(sa_exc.DBAPIError, _dbapi_error)
    app.add_exception_handler(Exception, _unexpected)
