"""API keys: format and hashing, storage on both engines, and the `carecircle apikey` CLI."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import httpx

from gateway import keys, repository
from gateway.app import create_app
from gateway.auth import Authenticator
from gateway.models import ApiKey
from services.common.db import make_engine, make_session_factory, transaction
from tests.gateway.conftest import Stub, close_app, make_settings


def test_key_format_and_hash() -> None:
    made = keys.new_key()
    key_id, secret = keys.split_key(made.full_key) or ("", "")
    assert key_id == made.key_id and len(key_id) == 12
    assert made.secret_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in made.secret_sha256
    assert keys.secret_matches(secret, made.secret_sha256)
    assert not keys.secret_matches(secret + "x", made.secret_sha256)
    assert keys.split_key("cc_123_abc") is None
    assert len({keys.new_key().full_key for _ in range(100)}) == 100


def test_keys_are_stored_hashed_and_found_on_both_engines(gateway_db_url: str) -> None:
    engine = make_engine(gateway_db_url)
    try:
        writes = make_session_factory(engine, write=True)
        made = keys.new_key()
        with transaction(writes) as session:
            repository.create_api_key(
                session, key=made, role="operator", region_code=None, facility_ids=[3, 5], label="x"
            )
        with writes() as session:
            row = session.query(ApiKey).one()
            assert made.full_key not in (row.secret_sha256, row.key_id)
        auth = Authenticator(make_settings(gateway_db_url), make_session_factory(engine))
        identity = auth.identify(made.full_key, None)
        assert (
            identity is not None and identity.facility_ids == (3, 5) and identity.role == "operator"
        )
        with transaction(writes) as session:
            assert repository.revoke_api_key(session, key_id=made.key_id) is not None
            assert repository.revoke_api_key(session, key_id="ffffffffffff") is None
        auth.forget(made.key_id)
        with writes() as session:
            assert repository.list_api_keys(session) == []
            assert len(repository.list_api_keys(session, include_revoked=True)) == 1
    finally:
        engine.dispose()


async def test_cli_prints_a_working_key_once(
    gateway_sqlite_url: str, upstreams: dict[str, Stub]
) -> None:
    env = {**os.environ, "GATEWAY_DATABASE_URL": gateway_sqlite_url}
    cmd = [
        sys.executable,
        "-m",
        "services.cli",
        "apikey",
        "create",
        "--role",
        "official",
        "--region",
        "110105",
    ]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    printed = done.stdout.strip()
    assert keys.split_key(printed) is not None  # stdout is the key alone, for scripts
    bad = subprocess.run([*cmd[:-4], "--role", "official"], env=env, capture_output=True, text=True)
    assert bad.returncode != 0 and "--region" in bad.stderr
    listed = subprocess.run(
        [sys.executable, "-m", "services.cli", "apikey", "list"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert printed not in listed.stdout and printed.split("_")[1] in listed.stdout

    app = create_app(make_settings(gateway_sqlite_url, upstreams))
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gw"
        ) as client:
            response = await client.post(
                "/api/v1/facilities",
                json={"region_code": "110105003000"},
                headers={"X-API-Key": printed},
            )
            assert response.status_code == 200
            identity = upstreams["facilities"].behaviour.received[-1]["identity"]
            assert (identity.role, identity.region_code) == ("official", "110105000000")
    finally:
        await close_app(app)
