"""Name normalization: spellings of one name compare equal, different names do not."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.facilities.normalize import normalize_name


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("渝北区 龙溪街道（社区）养老服务站", "渝北区龙溪街道(社区)养老服务站"),
        ("ＡＢＣ养老院１号", "abc养老院1号"),
        ("龙溪·社区 站", "龙溪社区站"),
        ("Sunshine Home", "sunshinehome"),
    ],
)
def test_spellings_of_one_name_match(left: str, right: str) -> None:
    assert normalize_name(left) == normalize_name(right)


def test_different_names_differ() -> None:
    assert normalize_name("龙溪社区养老服务站") != normalize_name("龙山社区养老服务站")
    assert normalize_name("1号站") != normalize_name("2号站")


@given(st.text(max_size=60))
def test_normalizing_is_idempotent(name: str) -> None:
    once = normalize_name(name)
    assert normalize_name(once) == once
