"""The one CSV reader every import uses (facilities, regions, populations, bed reports, plan
figures), over HTTP and on the command line alike.

Bytes become text the same way everywhere: UTF-8 (a spreadsheet's BOM dropped), else
GB18030 (Chinese Excel's "CSV" export, a superset of GBK). Cells are refused, with the
row and column named, when they are longer than ``MAX_CELL_CHARS`` or hold NUL or
another control character (:func:`services.common.validation.check_text`), so a bad
file is a 422, never a ``_csv.Error`` 500, and a dry run fails the same way.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator
from typing import Any

from services.common.errors import InvalidInput
from services.common.validation import text_problem

MAX_CELL_CHARS = 128 * 1024

# The csv module's own limit (the same 131,072 characters) is process-wide and its error names
# no column: it is lifted once (the whole file is in memory already), and every reader checks
# MAX_CELL_CHARS per cell itself (here; the coverage uploads in services/coverage/uploads.py).
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def decode_text(data: bytes, *, field: str = "body") -> str:
    """UTF-8 text (BOM dropped), or GB18030 as a fallback; a 422 naming ``field`` otherwise."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            raise InvalidInput("the file is neither UTF-8 nor GB18030 text", field=field) from None


def cell_problem(value: str) -> str | None:
    """Why one cell cannot be imported, or None."""
    if len(value) > MAX_CELL_CHARS:
        return f"cell is {len(value)} characters; at most {MAX_CELL_CHARS} (128 KiB)"
    return text_problem(value)


class CsvRows:
    """``csv.DictReader`` over ``text`` whose cells are checked as they are read.

    ``header`` is the stripped column names; iterating yields ``(row number, cells)``
    where the first data row is ``first_row`` (1 when the header is row 0, 2 when it is
    line 1). A malformed file, an oversized cell or a control character raises
    :class:`InvalidInput` with ``errors=[{"row", "field", "message"}]``.
    """

    def __init__(self, text: str, *, first_row: int = 1) -> None:
        self.first_row = first_row
        self._text = text
        self._reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
        try:
            names = self._reader.fieldnames or []
        except csv.Error as exc:
            raise _bad(first_row - 1, None, f"not a readable CSV header: {exc}") from None
        for name in names:
            problem = cell_problem(name)
            if problem is not None:
                raise _bad(first_row - 1, name[:64], f"column name: {problem}")
        self.header = [name.strip() for name in names]
        self._reader.fieldnames = self.header

    def __iter__(self) -> Iterator[tuple[int, dict[Any, Any]]]:
        number = self.first_row - 1
        while True:
            number += 1
            try:
                cells = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                if "field larger than field limit" in str(exc):
                    column = self._long_column(self._reader.line_num)
                    message = f"cell is over {MAX_CELL_CHARS} characters (128 KiB)"
                    raise _bad(number, column, message) from None
                raise _bad(number, None, f"not readable as CSV: {exc}") from None
            for column, value in cells.items():
                values = value if isinstance(value, list) else [value]
                for item in values:
                    problem = cell_problem(item) if isinstance(item, str) else None
                    if problem is not None:
                        name = column if column is not None else "(extra cells)"
                        raise _bad(number, name, problem)
            yield number, cells

    def _long_column(self, line_num: int) -> str | None:
        """The column of the first over-long cell at or after physical line ``line_num`` (best
        effort: a quoted cell with commas inside may shift it; None when it cannot be told)."""
        lines = self._text.removeprefix("\ufeff").splitlines()
        for line in lines[max(line_num - 1, 0) :]:
            for index, piece in enumerate(line.split(",")):
                if len(piece) > MAX_CELL_CHARS:
                    return self.header[index] if index < len(self.header) else "(extra cells)"
        return None


def _bad(row: int, field: str | None, message: str) -> InvalidInput:
    where = f"row {row}" + (f", column {field}" if field else "")
    return InvalidInput(
        f"{where}: {message}; nothing was written",
        errors=[{"row": row, "field": field, "message": message}],
    )
