"""Region levels of 12-digit statistical division codes (2+2+2+3+3 digits).

A code's ancestor at a level is its first ``width`` digits padded with zeros,
which is the same prefix logic as :func:`services.common.identity.region_prefix`.
Reports store these ancestors so SQL can roll up by ``WHERE <level>_code = :code``.
"""

from __future__ import annotations

import re

from services.common.identity import region_prefix

LEVELS = ("province", "city", "district", "street", "community")
WIDTHS = (2, 4, 6, 9, 12)
LEVEL_OF_WIDTH = dict(zip(WIDTHS, LEVELS, strict=True))
CODE_PATTERN = re.compile(r"^\d{12}$")


def check_code(code: str, field: str = "region") -> str:
    """``code`` if it is 12 digits; 6-digit adcodes are padded with six zeros."""
    code = code.strip()
    if re.fullmatch(r"\d{6}", code):
        code += "000000"
    if not CODE_PATTERN.match(code) or code == "0" * 12:
        raise ValueError(
            f"{field} must be a 12-digit division code (or a 6-digit adcode), got {code!r}"
        )
    return code


def level_of(code: str) -> str:
    """The level a code sits at, from its last non-zero digit group."""
    return LEVEL_OF_WIDTH[len(region_prefix(code))]


def ancestor_codes(code: str | None) -> dict[str, str | None]:
    """``{"province_code": …, …, "community_code": …}``: the code's ancestor at each level.

    Levels below the code's own are ``None``; the code itself sits at its own level.

    >>> ancestor_codes("350203001000")["district_code"]
    '350203000000'
    >>> ancestor_codes("350203001000")["community_code"] is None
    True
    """
    out: dict[str, str | None] = {f"{level}_code": None for level in LEVELS}
    if code is None:
        return out
    own = len(region_prefix(code))
    for level, width in zip(LEVELS, WIDTHS, strict=True):
        if width <= own:
            out[f"{level}_code"] = code[:width].ljust(12, "0")
    return out


def column_for(code: str) -> str:
    """The report column whose value equals ``code`` for every report inside it."""
    return f"{level_of(code)}_code"


def child_column(code: str, child_codes: list[str] | None = None) -> str | None:
    """The column grouping reports by the children of ``code`` (None below communities).

    The registry's children decide the level when known (Chongqing's districts
    hang straight under the municipality); otherwise the next level down.
    """
    own = len(region_prefix(code))
    if child_codes:
        widths = sorted({len(region_prefix(c)) for c in child_codes if len(region_prefix(c)) > own})
        if widths:
            return f"{LEVEL_OF_WIDTH[widths[0]]}_code"
    deeper = [w for w in WIDTHS if w > own]
    return f"{LEVEL_OF_WIDTH[deeper[0]]}_code" if deeper else None
