"""The edge checks (services/common/validation.py) against plain definitions."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.common.validation import MAX_INT, check_text, row_number, text_problem


def is_refused_char(c: str) -> bool:
    """The definition: C0 controls and DEL, except tab, LF and CR."""
    return (unicodedata.category(c) == "Cc" and ord(c) < 0x80) and c not in "\t\n\r"


@given(st.text())
def test_text_is_refused_exactly_when_it_holds_a_refused_character(text: str) -> None:
    assert (text_problem(text) is not None) == any(is_refused_char(c) for c in text)
    if text_problem(text) is None:
        assert check_text(text) == text
    else:
        with pytest.raises(ValueError):
            check_text(text)


@given(st.integers(min_value=0, max_value=MAX_INT))
def test_row_numbers_in_range_read_back(n: int) -> None:
    assert row_number(str(n)) == n


@given(st.integers(min_value=MAX_INT + 1, max_value=10**40))
def test_row_numbers_past_the_column_are_refused(n: int) -> None:
    with pytest.raises(ValueError):
        row_number(str(n))


@pytest.mark.parametrize("text", ["", " 3", "3 ", "+3", "-3", "1_000", "٣", "²", "3.0", "0x10"])
def test_only_ascii_digits_are_row_numbers(text: str) -> None:
    with pytest.raises(ValueError):
        row_number(text)
