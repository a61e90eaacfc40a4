"""The one CSV reader: what csv.writer wrote reads back unchanged; bad cells are named."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.common.csv_files import MAX_CELL_CHARS, CsvRows, decode_text
from services.common.errors import InvalidInput
from services.common.validation import text_problem

# Printable text, tabs and newlines (quoted by the writer), Chinese included.
cell = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\x00"), max_size=30
).filter(lambda s: text_problem(s) is None)


def write(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 4).flatmap(lambda n: st.lists(st.lists(cell, min_size=n, max_size=n))))
def test_what_the_writer_wrote_reads_back(rows: list[list[str]]) -> None:
    width = len(rows[0]) if rows else 1
    header = [f"c{i}" for i in range(width)]
    text = write(header, rows)
    # (GB18030 is a fallback: a few of its byte pairs are valid UTF-8, so it is tested on
    # Chinese text in tests/facilities and tests/beds, not on arbitrary characters.)
    for encoded in (text.encode(), b"\xef\xbb\xbf" + text.encode()):
        reader = CsvRows(decode_text(encoded), first_row=1)
        assert reader.header == header
        got = [[cells[h] for h in header] for _, cells in reader]
        assert got == rows


@pytest.mark.parametrize(
    ("value", "needle"),
    [("a\x00b", "NUL"), ("\x1b[31m", "U+001B"), ("x" * (MAX_CELL_CHARS + 1), "128 KiB")],
)
def test_a_bad_cell_is_named_by_row_and_column(value: str, needle: str) -> None:
    text = write(["id", "name"], [["1", "ok"], ["2", value]])
    with pytest.raises(InvalidInput) as caught:
        list(CsvRows(text, first_row=2))
    error = caught.value.extra["errors"][0]
    assert (error["row"], error["field"]) == (3, "name")
    assert needle in error["message"] and value not in caught.value.detail


def test_a_cell_of_exactly_the_limit_is_read() -> None:
    text = write(["name"], [["长" * MAX_CELL_CHARS]])
    assert [len(c["name"]) for _, c in CsvRows(text)] == [MAX_CELL_CHARS]


def test_undecodable_bytes_are_a_422() -> None:
    with pytest.raises(InvalidInput):
        decode_text(b"\xff\xfe\xfa\x00\x81")
