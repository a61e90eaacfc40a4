"""Work for a caller who may hang up: cancelled (with its upstream calls) when they do.

uvicorn does not cancel a route when its client disconnects; the route only learns of it
by receiving ``http.disconnect``. For the aggregated views, which fan out to several
services, :func:`unless_disconnected` watches for it while the work runs and cancels the
work at once, so no more upstream calls are made (and those in flight are dropped) for
an answer nobody will read.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

import anyio
from starlette.requests import Request

T = TypeVar("T")


class ClientGone(Exception):
    """The caller disconnected before the answer was ready."""


async def unless_disconnected(request: Request, work: Awaitable[T]) -> T:
    """``await work``, unless the client disconnects first (then :class:`ClientGone`)."""
    done: list[T] = []
    failed: list[Exception] = []
    async with anyio.create_task_group() as group:

        async def watch() -> None:
            while (await request.receive())["type"] != "http.disconnect":
                pass  # the (empty) request body of a GET
            group.cancel_scope.cancel()

        group.start_soon(watch)
        try:
            done.append(await work)
        except Exception as exc:  # raised below, outside the group (not as an ExceptionGroup)
            failed.append(exc)
        group.cancel_scope.cancel()
    if failed:
        raise failed[0]
    if not done:
        raise ClientGone
    return done[0]
