"""Pure rules of registry writes: If-Match parsing, request digests, who may write."""

from __future__ import annotations

import pytest

from services.common.errors import Forbidden, InvalidInput, PreconditionRequired
from services.common.identity import Identity
from services.facilities.registry import Actor, check_may_write, parse_if_match


@pytest.mark.parametrize(
    ("header", "known"), [('"3"', 3), ('W/"3"', 3), ("3", 3), ('"7", "8"', 7), ("*", None)]
)
def test_if_match_forms(header: str, known: int | None) -> None:
    assert parse_if_match(header) == known


def test_if_match_missing_or_malformed() -> None:
    with pytest.raises(PreconditionRequired):
        parse_if_match(None)
    assert parse_if_match(None, required=False) is None
    with pytest.raises(InvalidInput, match="If-Match"):
        parse_if_match('"abc"')


def test_scope_rules() -> None:
    official = Actor("clerk", Identity("clerk", "official", region_code="500112000000"))
    check_may_write(official, ["500112001000"])
    with pytest.raises(Forbidden, match="500105000000"):
        check_may_write(official, ["500105000000"])
    with pytest.raises(Forbidden, match="no region"):
        check_may_write(official, [None])
    check_may_write(Actor("root", Identity("root", "admin")), [None])
    check_may_write(Actor("anonymous"), ["anything"])  # no identity configured: development mode
