"""Request bodies over the limit are refused before they are read, or as soon as they pass it.

A declared ``Content-Length`` over the limit gets its 413 at once, without reading a byte;
a body without one (chunked) is counted as it arrives and refused when it passes the
limit, before the multipart parser has spooled it to disk. Pure ASGI, inside the request-id
middleware, so the 413 is a problem+json carrying the request id like every other error.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.errors import PayloadTooLarge
from services.common.responses import ProblemResponse

_CONTENT_LENGTH = b"content-length"


class BodyTooLarge(HTTPException):
    """Raised from ``receive``: an ``HTTPException``, so FastAPI's body parsing passes it on."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(
            413, f"request body too large: over {max_bytes / 1e6:g} MB (COVERAGE_MAX_UPLOAD_MB)"
        )


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            error = PayloadTooLarge(BodyTooLarge(self.max_bytes).detail)
            body = error.problem(
                instance=scope["path"], request_id=scope.get("state", {}).get("request_id")
            )
            # The body is left unread: the server closes the connection after this answer.
            await ProblemResponse(body, status_code=413)(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, limited, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == _CONTENT_LENGTH:
            try:
                return int(value)
            except ValueError:
                return None
    return None
