"""Signed identity headers: verify what the gateway signed, refuse anything else."""

from __future__ import annotations

import pytest

from services.common.identity import (
    IDENTITY_HEADER,
    MAX_AGE_S,
    SIGNATURE_HEADER,
    Binding,
    Identity,
    IdentityError,
    region_prefix,
    sign_identity,
    verify_identity,
)

SECRET = "test-secret"


POST = Binding.of("POST", "/api/v1/facilities?dry_run=true", b'{"name": "a"}')


def test_round_trip_keeps_every_field() -> None:
    identity = Identity(
        subject="key:7", role="operator", region_code="350203000000", facility_ids=(3, 9)
    )
    headers = sign_identity(identity, SECRET, POST, now_s=1_000)
    assert (
        verify_identity(
            headers[IDENTITY_HEADER], headers[SIGNATURE_HEADER], SECRET, POST, now_s=1_010
        )
        == identity
    )


def test_forged_payload_with_a_copied_signature_is_refused() -> None:
    official = sign_identity(Identity("u1", "official", "350203000000"), SECRET, POST, now_s=0)
    admin = sign_identity(Identity("u1", "admin"), "another-secret", POST, now_s=0)
    with pytest.raises(IdentityError, match="does not verify"):
        verify_identity(admin[IDENTITY_HEADER], official[SIGNATURE_HEADER], SECRET, POST, now_s=0)
    with pytest.raises(IdentityError, match="does not verify"):
        verify_identity(admin[IDENTITY_HEADER], admin[SIGNATURE_HEADER], SECRET, POST, now_s=0)


@pytest.mark.parametrize(
    "other",
    [
        Binding.of("POST", "/api/v1/facilities?dry_run=true", b'{"name": "b"}'),  # another body
        Binding.of("POST", "/api/v1/facilities?dry_run=false", b'{"name": "a"}'),  # query
        Binding.of("POST", "/api/v1/facilities/import", b'{"name": "a"}'),  # path
        Binding.of("PUT", "/api/v1/facilities?dry_run=true", b'{"name": "a"}'),  # method
        Binding.of("POST", "/api/v1/facilities?dry_run=true"),  # no body
    ],
)
def test_a_signature_is_good_for_its_own_request_only(other: Binding) -> None:
    headers = sign_identity(Identity("u1", "admin"), SECRET, POST, now_s=0)
    with pytest.raises(IdentityError, match="does not verify"):
        verify_identity(headers[IDENTITY_HEADER], headers[SIGNATURE_HEADER], SECRET, other, now_s=0)


def test_stale_and_malformed_signatures_are_refused() -> None:
    headers = sign_identity(Identity("u1", "planner"), SECRET, POST, now_s=0)
    verify_identity(
        headers[IDENTITY_HEADER], headers[SIGNATURE_HEADER], SECRET, POST, now_s=MAX_AGE_S
    )
    for now_s in (MAX_AGE_S + 1, -MAX_AGE_S - 1):
        with pytest.raises(IdentityError, match="stale"):
            verify_identity(
                headers[IDENTITY_HEADER], headers[SIGNATURE_HEADER], SECRET, POST, now_s=now_s
            )
    with pytest.raises(IdentityError, match="malformed"):
        verify_identity(headers[IDENTITY_HEADER], "garbage", SECRET, POST, now_s=0)
    old_format = headers[SIGNATURE_HEADER].replace("v2=", "v1=")  # unbound, before 2026-12-06
    with pytest.raises(IdentityError, match="malformed"):
        verify_identity(headers[IDENTITY_HEADER], old_format, SECRET, POST, now_s=0)
    assert MAX_AGE_S <= 60


@pytest.mark.parametrize(
    ("code", "prefix"),
    [
        ("350000000000", "35"),
        ("350200000000", "3502"),
        ("350203000000", "350203"),
        ("350203001000", "350203001"),
        ("350203001002", "350203001002"),
        ("350203", "350203"),
    ],
)
def test_region_prefix_follows_the_2_2_2_3_3_code_layout(code: str, prefix: str) -> None:
    assert region_prefix(code) == prefix


def test_region_scope() -> None:
    district = Identity("u", "official", region_code="350203000000")
    assert district.covers_region("350203001002")
    assert district.covers_region("350203000000")
    assert not district.covers_region("350206000000")
    assert not district.covers_region(None)
    assert Identity("root", "admin").covers_region("500112000000")
    assert not Identity("p", "planner").covers_region("500112000000")
