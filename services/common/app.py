"""The app factory every service builds on: middleware, error handlers, health, metrics,
offline docs and readable operation ids."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import Message, Receive, Scope, Send

from services.common import startup
from services.common.docs import router as docs_router
from services.common.handlers import install_error_handlers
from services.common.health import router as health_router
from services.common.identity import BodyDigest
from services.common.logging import configure_logging
from services.common.middleware import ObservabilityMiddleware
from services.common.openapi_errors import declare_problem_answers
from services.common.openapi_examples import finish
from services.common.operation_ids import operation_id
from services.common.responses import FastJSONResponse
from services.common.settings import ServiceSettings
from services.common.state import ServiceState
from services.common.validation import check_request_text

GZIP_MIN_BYTES = 1024


class ServiceApp(FastAPI):
    """FastAPI minus one habit: Starlette's outermost error middleware sends the 500 answer
    and then re-raises, and uvicorn closes the connection of any request whose app raised,
    so the client's next request on that keep-alive connection got no answer. The error has
    been rendered (problem+json) and logged by then; once the whole answer is out, it stops
    here (as the gateway's own routes do, gateway/fastpath.py)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        await stop_once_answered(super().__call__, scope, receive, send)


async def stop_once_answered(
    app: Callable[[Scope, Receive, Send], Awaitable[None]],
    scope: Scope,
    receive: Receive,
    send: Send,
) -> None:
    """Run ``app``; an error raised after its whole answer was sent stops here (it has been
    rendered and logged), so the server keeps the client's keep-alive connection open."""
    answered = False

    async def tracking_send(message: Message) -> None:
        nonlocal answered
        await send(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            answered = True

    try:
        await app(scope, receive, tracking_send)
    except Exception:
        if not answered:
            raise


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    version: str,
    routers: Iterable[APIRouter],
    on_startup: Callable[[ServiceState[Any]], Any] | None = None,
    on_shutdown: Callable[[ServiceState[Any]], Any] | None = None,
    openapi_tags: list[dict[str, Any]] | None = None,
    app_class: type[FastAPI] = ServiceApp,
    startup_warnings: bool = True,
) -> FastAPI:
    """A FastAPI app for one service, owning its engine for its whole life."""
    configure_logging(settings.log_level, settings.log_json)
    if startup_warnings:  # the gateway says its own (gateway/app.py)
        for warning in startup.startup_warnings(settings):
            logging.getLogger("carecircle.startup").warning(warning)
    state = ServiceState.from_settings(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if on_startup is not None:
            await _maybe_await(on_startup(state))
        try:
            yield
        finally:
            if on_shutdown is not None:
                await _maybe_await(on_shutdown(state))
            for close in state.async_closers:
                await close()
            state.engine.dispose()

    app = app_class(
        title=title,
        description=description,
        version=version,
        lifespan=lifespan,
        default_response_class=FastJSONResponse,
        openapi_tags=openapi_tags,
        # /docs and /redoc from installed files, not a CDN (services/common/docs.py).
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=operation_id,
        # NUL and control characters in any query or path parameter: one 422 for every route.
        dependencies=[Depends(check_request_text)],
    )
    app.state.service = state
    _document_with_path_examples(app)
    install_error_handlers(app)
    for router in routers:
        app.include_router(router)
    app.include_router(health_router)
    app.include_router(docs_router)
    app.add_middleware(BodyDigest)  # for services/common/deps.py's identity check
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MIN_BYTES)
    app.add_middleware(ObservabilityMiddleware, metrics=state.metrics)
    return app


def _document_with_path_examples(app: FastAPI) -> None:
    """``app.openapi()`` as FastAPI builds it, plus the shared path-parameter examples and
    the problem+json answers every operation can give (services/common/openapi_errors.py)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = declare_problem_answers(finish(build()), app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


async def _maybe_await(value: Any) -> Any:
    if hasattr(value, "__await__"):
        return await value
    return value
