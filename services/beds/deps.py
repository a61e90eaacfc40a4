"""Dependencies of the beds routes (``Annotated`` aliases over the shared ones)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from services.beds.facilities_client import FacilitiesClient
from services.beds.rollups import Rollups
from services.beds.settings import BedsSettings
from services.beds.submissions import Writer
from services.common.context import current_request_id
from services.common.deps import IdentityDep, StateDep
from services.common.idempotency import IdempotencyKeyHeader

CLIENT_KEY = "facilities_client"


def get_client(state: StateDep) -> FacilitiesClient:
    client = state.extras.get(CLIENT_KEY)
    if not isinstance(client, FacilitiesClient):
        raise RuntimeError("the beds service has not started (no facilities client)")
    return client


def get_settings(state: StateDep) -> BedsSettings:
    return state.settings_as(BedsSettings)


def get_rollups(state: StateDep) -> Rollups:
    settings = get_settings(state)
    return Rollups(
        read_sessions=state.read_sessions,
        write_sessions=state.write_sessions,
        client=get_client(state),
        region_ttl_s=settings.region_cache_ttl_s,
    )


def get_writer(request: Request, identity: IdentityDep, state: StateDep) -> Writer:
    return Writer(
        identity=identity,
        require_identity=state.settings.require_identity,
        request_id=getattr(request.state, "request_id", None) or current_request_id(),
    )


ClientDep = Annotated[FacilitiesClient, Depends(get_client)]
RollupsDep = Annotated[Rollups, Depends(get_rollups)]
WriterDep = Annotated[Writer, Depends(get_writer)]
IdempotencyKey = IdempotencyKeyHeader
IfMatch = Annotated[
    str | None, Header(alias="If-Match", description='The report\'s ETag, e.g. "2"')
]
