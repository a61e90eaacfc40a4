"""API keys and bearer tokens: accepted, refused, revoked; the identity the services receive."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI

from gateway.app import create_app
from tests.gateway.conftest import JWT_SECRET, Stub, close_app, make_settings


def token(
    claims: dict[str, object], key: str | bytes = JWT_SECRET, algorithm: str = "HS256"
) -> str:
    base = {"iss": "carecircle", "sub": "li.hua", "exp": int(time.time()) + 600}
    return jwt.encode({**base, **claims}, key, algorithm=algorithm)


async def test_bearer_token_identity_reaches_the_service(
    client: httpx.AsyncClient, upstreams: dict[str, Stub]
) -> None:
    bearer = token({"role": "official", "region_code": "110105"})
    response = await client.post(
        "/api/v1/facilities",
        json={"region_code": "110105002000"},
        headers={"Authorization": f"Bearer {bearer}"},
    )
    assert response.status_code == 200
    identity = upstreams["facilities"].behaviour.received[-1]["identity"]
    assert (identity.subject, identity.role, identity.region_code) == (
        "user:li.hua",
        "official",
        "110105000000",
    )


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (
            "Bearer " + token({"role": "admin"}, key="another-secret-of-sufficient-length-123"),
            "Signature verification failed",
        ),
        ("Bearer " + token({"role": "admin", "exp": int(time.time()) - 3600}), "expired"),
        ("Bearer " + token({"role": "admin", "iss": "someone-else"}), "issuer"),
        ("Bearer " + token({"role": "superuser"}), "unknown role"),
        ("Bearer " + token({"role": "operator", "facility_ids": ["7"]}), "facility_ids"),
        (
            "Bearer "
            + jwt.encode(
                {"iss": "carecircle", "sub": "x", "role": "admin"}, JWT_SECRET, algorithm="HS256"
            ),
            "exp",
        ),
        ("Bearer " + jwt.encode({"role": "admin"}, "", algorithm="none"), "not accepted"),
        ("Bearer not.a.jwt", "rejected"),
        ("Basic dXNlcjpwYXNz", "Bearer"),
    ],
)
async def test_bad_bearer_tokens_are_401_naming_why(
    client: httpx.AsyncClient, upstreams: dict[str, Stub], header: str, reason: str
) -> None:
    response = await client.get("/api/v1/facilities/1", headers={"Authorization": header})
    assert response.status_code == 401
    assert reason in response.json()["detail"]
    assert upstreams["facilities"].behaviour.received == []


async def test_rs256_tokens_with_the_configured_public_key(
    gateway_sqlite_url: str, upstreams: dict[str, Stub]
) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    app = create_app(
        make_settings(
            gateway_sqlite_url,
            upstreams,
            jwt_public_key=public_pem,
            jwt_issuer="https://sso.example",
            jwt_secret="",
        )
    )
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gw"
        ) as client:
            good = token(
                {"role": "planner", "iss": "https://sso.example"},
                key=private_pem,
                algorithm="RS256",
            )
            response = await client.post(
                "/api/v1/coverage/runs", json={}, headers={"Authorization": f"Bearer {good}"}
            )
            assert response.status_code == 200
            assert upstreams["coverage"].behaviour.received[-1]["identity"].role == "planner"
            # An HS256 token signed with the public key as secret (algorithm confusion) is refused.
            confused = _hs256_by_hand(
                {
                    "iss": "https://sso.example",
                    "sub": "x",
                    "role": "admin",
                    "exp": int(time.time()) + 60,
                },
                public_pem.encode(),
            )
            response = await client.get(
                "/api/v1/beds/indicators", headers={"Authorization": f"Bearer {confused}"}
            )
            assert response.status_code == 401
    finally:
        await close_app(app)


def _hs256_by_hand(claims: dict[str, object], secret: bytes) -> str:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = b64(b'{"alg":"HS256","typ":"JWT"}') + "." + b64(json.dumps(claims).encode())
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64(signature)


async def test_api_keys_malformed_unknown_and_revoked(
    client: httpx.AsyncClient, app: FastAPI, keys: dict[str, str]
) -> None:
    headers = {"X-API-Key": keys["planner"]}
    assert (await client.get("/api/v1/beds/indicators", headers=headers)).status_code == 200
    assert (await client.get("/api/v1/beds/indicators", headers={"X-API-Key": "cc_nope"})).json()[
        "detail"
    ] == "malformed API key"
    tampered = keys["planner"][:-1] + ("A" if keys["planner"][-1] != "A" else "B")
    assert (
        await client.get("/api/v1/beds/indicators", headers={"X-API-Key": tampered})
    ).status_code == 401

    key_id = keys["planner"].split("_")[1]
    admin = {"X-API-Key": keys["admin"]}
    listed = (await client.get("/api/v1/gateway/keys", headers=admin)).json()["items"]
    assert {k["role"] for k in listed} == {"public", "operator", "official", "planner", "admin"}
    assert all(k["api_key"] is None for k in listed)  # secrets are never shown again
    response = await client.delete(f"/api/v1/gateway/keys/{key_id}", headers=admin)
    assert response.status_code == 200 and response.json()["revoked_at"]
    response = await client.get("/api/v1/beds/indicators", headers=headers)
    assert response.status_code == 401 and "revoked" in response.json()["detail"]
    assert (
        await client.delete("/api/v1/gateway/keys/000000000000", headers=admin)
    ).status_code == 404
    assert (
        await client.delete(
            f"/api/v1/gateway/keys/{key_id}", headers={"X-API-Key": keys["official"]}
        )
    ).status_code == 403


async def test_admin_endpoint_creates_a_working_key(
    client: httpx.AsyncClient, keys: dict[str, str], upstreams: dict[str, Stub]
) -> None:
    response = await client.post(
        "/api/v1/gateway/keys",
        json={"role": "operator", "facility_ids": [41, 42], "label": "Sunshine home"},
        headers={"X-API-Key": keys["admin"]},
    )
    assert response.status_code == 201
    new = response.json()["api_key"]
    response = await client.put(
        "/api/v1/beds/reports/42/2026-10", json={}, headers={"X-API-Key": new}
    )
    assert response.status_code == 200
    assert upstreams["beds"].behaviour.received[-1]["identity"].facility_ids == (41, 42)
    response = await client.post(
        "/api/v1/gateway/keys",
        json={"role": "official", "region_code": "11x"},
        headers={"X-API-Key": keys["admin"]},
    )
    assert (
        response.status_code == 422 and response.json()["errors"][0]["field"] == "body.region_code"
    )
