"""FastAPI dependencies as ``Annotated`` aliases, so routes read like prose."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from services.common.errors import Forbidden, Unauthorized
from services.common.identity import (
    BODY_SHA256_SCOPE_KEY,
    IDENTITY_HEADER,
    SIGNATURE_HEADER,
    Binding,
    Identity,
    IdentityError,
    request_path_qs,
    verify_identity,
)
from services.common.settings import ServiceSettings
from services.common.state import ServiceState


def get_state(request: Request) -> ServiceState[Any]:
    return request.app.state.service  # type: ignore[no-any-return]


def get_settings(request: Request) -> ServiceSettings:
    return get_state(request).settings_as(ServiceSettings)


def get_read_session(request: Request) -> Iterator[Session]:
    """A session for reads; closed (never committed) after the request."""
    session = get_state(request).read_sessions()
    try:
        yield session
    finally:
        session.close()


def get_write_session(request: Request) -> Iterator[Session]:
    """A session for one unit of work; the route commits it before answering.

    Committing inside the route (not after ``yield``) means a failed commit is
    the answer the client gets, never a 201 for a write that did not land.
    Anything left uncommitted is rolled back.
    """
    session = get_state(request).write_sessions()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


async def get_identity(request: Request) -> Identity | None:
    """The gateway-verified caller, or None for an anonymous caller.

    With no identity secret configured (embedded development) identity headers
    are ignored. With one, a header that does not verify for this very request
    (method, path and query as received, body) is refused outright. The body's
    digest comes from :class:`~services.common.identity.BodyDigest`; a body nobody
    has read yet is read here (and kept for the route, which reads it from memory).
    """
    settings = get_settings(request)
    payload = request.headers.get(IDENTITY_HEADER)
    signature = request.headers.get(SIGNATURE_HEADER)
    if not settings.identity_secret:
        return None
    if payload is None and signature is None:
        return None
    if not payload or not signature:
        raise Unauthorized("identity header without its signature (or the reverse)")
    body_sha256 = request.scope.get(BODY_SHA256_SCOPE_KEY)
    if body_sha256 is None:
        try:
            body = await request.body()
        except RuntimeError as exc:  # read as a stream already, and not through BodyDigest
            raise Unauthorized("identity rejected: its body could not be checked") from exc
        body_sha256 = (
            request.scope.get(BODY_SHA256_SCOPE_KEY) or Binding.of("", "", body).body_sha256
        )
    binding = Binding(request.method, request_path_qs(request.scope), body_sha256)
    try:
        return verify_identity(payload, signature, settings.identity_secret, binding)
    except IdentityError as exc:
        raise Unauthorized(f"identity rejected: {exc}") from exc


def role_guard(
    *roles: str, action: str
) -> Callable[[Request], Coroutine[Any, Any, Identity | None]]:
    """A dependency that lets only ``roles`` (and admins) ``action``; anonymous only in development.

    Anonymous callers pass when ``CARECIRCLE_REQUIRE_IDENTITY`` is off (embedded use, CLI);
    with it on they get 401. A verified caller of another role gets 403 naming the roles allowed.
    """
    allowed = set(roles) | {"admin"}

    async def guard(request: Request) -> Identity | None:
        identity = await get_identity(request)
        if identity is None:
            if get_settings(request).require_identity:
                raise Unauthorized(f"to {action} you need a gateway-signed identity")
            return None
        if identity.role not in allowed:
            raise Forbidden(
                f"role {identity.role!r} may not {action}; allowed: {', '.join(sorted(allowed))}"
            )
        return identity

    return guard


StateDep = Annotated[ServiceState[Any], Depends(get_state)]
SettingsDep = Annotated[ServiceSettings, Depends(get_settings)]
ReadSessionDep = Annotated[Session, Depends(get_read_session)]
WriteSessionDep = Annotated[Session, Depends(get_write_session)]
IdentityDep = Annotated[Identity | None, Depends(get_identity)]
