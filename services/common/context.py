"""Per-request context (the request id) carried through logs and outgoing calls."""

from __future__ import annotations

import re
import secrets
from contextvars import ContextVar

REQUEST_ID_HEADER = "X-Request-ID"
_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def current_request_id() -> str | None:
    return _request_id.get()


def set_request_id(value: str | None) -> object:
    """Set the id for this context; returns a token for :func:`reset_request_id`."""
    return _request_id.set(value)


def reset_request_id(token: object) -> None:
    _request_id.reset(token)  # type: ignore[arg-type]


def accept_or_new_request_id(incoming: str | None) -> str:
    """Keep a caller's id when it is a sane token (no header injection), else make one."""
    if incoming and _SAFE_ID.match(incoming):
        return incoming
    return secrets.token_hex(16)
