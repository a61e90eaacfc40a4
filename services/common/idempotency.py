"""Idempotency-Key on POST: a retried request gets the first answer back, never a second effect.

A service stores each answered POST under ``<actor>:<key>`` (:func:`scoped_key`, so two callers
picking the same key never see each other's answer) in its own ``idempotency_keys`` table, for
:data:`IDEMPOTENCY_TTL_S`. Each service owns its database, so the table is passed in; the tables
share their columns: ``key, request_hash, status_code, response_body, headers, created_at``.

* same key, same request: the stored answer, with ``Idempotent-Replayed: true``;
* same key, another request: 422 naming ``header.Idempotency-Key`` (the request is wrong, nothing
  conflicts in the data: ADR 0040), the name FastAPI's own validation gives that header;
* a key older than the TTL is forgotten: it may be used again.

The first half of this module is pure (digest, expiry, the replay-or-reuse decision); the second
reads and writes the calling service's table, and :func:`create_once` is the whole idempotent
create every POST route uses (replay, write, store, commit, replay again on a race).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import orjson
from fastapi import Header, Response
from sqlalchemy import Table, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from services.common.errors import Conflict, InvalidInput
from services.common.locks import advisory_lock
from services.common.responses import FastJSONResponse

#: How long an answer is replayed for its key.
IDEMPOTENCY_TTL_S = 24 * 3600
#: The field a reused key's 422 names (``errors[].field``), as request validation names the header.
FIELD = "header.Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
#: The request header of every POST that accepts a key (one description in every service's OpenAPI).
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description=(
            "Retry-safe POST: a retry with the same key and body replays the first answer "
            f"(`{REPLAYED_HEADER}: true`) for 24 h; the same key with another body is a 422."
        ),
        examples=["3f1c9a2e-7b4d-4e0a-9c55-2d8e1b6f0a41"],
    ),
]


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """One answered POST: a row of a service's ``idempotency_keys`` table, less its key.

    The fields are the table's column names, so reading and writing a row needs no mapping.
    """

    request_hash: str
    status_code: int
    response_body: dict[str, Any]
    headers: dict[str, str]
    created_at: datetime


COLUMNS = tuple(f.name for f in fields(StoredAnswer))


@dataclass(frozen=True, slots=True)
class Created:
    """What a create wrote, as the client gets it (and a retry gets it again)."""

    body: dict[str, Any]
    headers: dict[str, str]
    status_code: int = 201


# --- pure --------------------------------------------------------------------------------------


def scoped_key(actor: str, key: str | None) -> str | None:
    """The stored key of ``actor``'s ``Idempotency-Key`` header; None without the header."""
    return f"{actor}:{key}" if key else None


def request_digest(body: Any, params: Mapping[str, Any] | None = None) -> str:
    """SHA-256 of what a POST asked for: its body and the query parameters that change its meaning.

    Key order does not matter. Without ``params`` the body alone is hashed, so the digests the
    beds service stored before this module existed still match (facilities always passes params).
    """
    document = body if params is None else {"body": body, "params": dict(params)}
    canonical = orjson.dumps(document, option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.sha256(canonical).hexdigest()


def expiry_cutoff(now: datetime) -> datetime:
    """Answers stored before this instant have expired."""
    return now - timedelta(seconds=IDEMPOTENCY_TTL_S)


def answer_to_replay(
    stored: StoredAnswer | None, request_hash: str, *, now: datetime
) -> StoredAnswer | None:
    """The answer a retry gets back, or None when there is none (never stored, or expired).

    Raises :class:`InvalidInput` (422 naming :data:`FIELD`) when the key was used with
    another request.
    """
    if stored is None or stored.created_at < expiry_cutoff(now):
        return None
    if stored.request_hash != request_hash:
        raise InvalidInput(
            "Idempotency-Key was already used with a different request body", field=FIELD
        )
    return stored


def replay_response(answer: StoredAnswer) -> Response:
    """The stored answer again, saying it is a replay."""
    headers = {**answer.headers, REPLAYED_HEADER: "true"}
    return FastJSONResponse(answer.response_body, status_code=answer.status_code, headers=headers)


# --- storage (the calling service's table) -----------------------------------------------------


def stored_answer(
    session: Session, table: Table, key: str, *, now: datetime | None = None
) -> StoredAnswer | None:
    """The answer stored under ``key`` while it is younger than :data:`IDEMPOTENCY_TTL_S`."""
    cutoff = expiry_cutoff(now or datetime.now(UTC))
    columns = [table.c[name] for name in COLUMNS]
    row = session.execute(
        select(*columns).where(table.c.key == key, table.c.created_at >= cutoff)
    ).first()
    if row is None:
        return None
    values = dict(row._mapping)
    return StoredAnswer(**{**values, "headers": dict(values["headers"] or {})})


def store_answer(
    session: Session,
    table: Table,
    key: str,
    *,
    request_hash: str,
    status_code: int,
    body: dict[str, Any],
    headers: Mapping[str, str],
    now: datetime | None = None,
) -> None:
    """Store an answer under ``key`` in the caller's transaction; expired answers are purged first.

    The purge takes this key's own expired answer too. A live one is never overwritten: its
    insert fails on the primary key and the caller replays it (:func:`replay_committed`).
    """
    answer = StoredAnswer(request_hash, status_code, body, dict(headers), now or datetime.now(UTC))
    session.execute(delete(table).where(table.c.created_at < expiry_cutoff(answer.created_at)))
    session.execute(insert(table).values(key=key, **asdict(answer)))


def replay(session: Session, table: Table, key: str | None, request_hash: str) -> Response | None:
    """In a write transaction, under the key's lock: the answer to replay, None to go ahead.

    Requests racing with one key wait for each other (on PostgreSQL an advisory lock; SQLite
    write sessions are serialised already), so a retry sent while the first try is still
    running answers what that one did instead of writing twice.
    """
    if key is None:
        return None
    advisory_lock(session=session, key="idempotency:" + key)
    return _replay(session, table, key, request_hash)


def replay_committed(
    read_sessions: sessionmaker[Session], table: Table, key: str | None, request_hash: str
) -> Response | None:
    """The answer committed under ``key``, read without taking any lock (a fresh read session)."""
    if key is None:
        return None
    with read_sessions() as session:
        return _replay(session, table, key, request_hash)


def _replay(session: Session, table: Table, key: str, request_hash: str) -> Response | None:
    now = datetime.now(UTC)
    answer = answer_to_replay(stored_answer(session, table, key, now=now), request_hash, now=now)
    return None if answer is None else replay_response(answer)


def create_once(
    session: Session,
    read_sessions: sessionmaker[Session],
    table: Table,
    key: str | None,
    request_hash: str,
    write: Callable[[], Created],
    *,
    conflict: str | None = None,
) -> Response:
    """The idempotent create: replay, else ``write()``, store its answer, commit — once per key.

    ``session`` is the request's write session (not yet committed); ``write`` runs in it and
    returns the answer. A retry racing its first try waits on the key's lock and replays. An
    :class:`~sqlalchemy.exc.IntegrityError` at write or commit means a concurrent request
    committed first: its answer under the same key is replayed; with no such answer the error
    is a 409 with ``conflict`` as its detail (re-raised when ``conflict`` is None).
    """
    replayed = replay(session, table, key, request_hash)
    if replayed is not None:
        return replayed
    try:
        created = write()
        if key:
            store_answer(
                session,
                table,
                key,
                request_hash=request_hash,
                status_code=created.status_code,
                body=created.body,
                headers=created.headers,
            )
        session.commit()
    except IntegrityError:
        session.rollback()
        replayed = replay_committed(read_sessions, table, key, request_hash)
        if replayed is not None:
            return replayed
        if conflict is None:
            raise
        raise Conflict(conflict) from None
    return FastJSONResponse(created.body, status_code=created.status_code, headers=created.headers)
