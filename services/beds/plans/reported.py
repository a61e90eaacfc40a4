"""Figures districts report (what no registry holds): their rules, and how they add up (pure).

A reported figure is one region's value of one ``reported`` indicator for one month,
with its source. Shares may be given as ``numerator``/``denominator`` (whole numbers:
people, facilities, estates) — then they also add up over regions — or as a bare
``value`` in [0, 1]. Counts are whole numbers; investment is in 100 million yuan.

Adding up: a region's figure is its own report when it has one; otherwise the sum over
its children (each by the same rule), and only when every child has a figure — a city
with one district unreported has no figure ("3 of 4 reported"), never a partial sum.
A share reported as a bare value cannot be added up.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from services.beds.plans.definitions import BY_ID, REPORTED_IDS, Definition
from services.beds.plans.figures import Figure
from services.common.identity import region_prefix

MAX_SOURCE = 300


@dataclass(frozen=True)
class Reported:
    """One region's reported figure for one month."""

    region_code: str
    period: str
    indicator: str
    value: float
    numerator: float | None
    denominator: float | None
    source: str
    note: str | None = None
    version: int = 1


def _number(raw: Any, field: str, errors: list[tuple[str, str]]) -> float | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        errors.append((field, f"{field} must be a number, got {raw!r}"))
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        errors.append((field, f"{field} must be a number, got {raw!r}"))
        return None
    if not math.isfinite(value) or value < 0:
        errors.append((field, f"{field} must be a finite number >= 0, got {raw!r}"))
        return None
    return value


def figure_errors(values: Mapping[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The checked ``{indicator, value, numerator, denominator, source, note}`` and every broken rule.

    Region and period are checked by the caller (they need the registry and today's date).
    """
    errors: list[tuple[str, str]] = []
    indicator = str(values.get("indicator") or "").strip()
    if indicator not in REPORTED_IDS:
        errors.append(
            ("indicator", f"indicator must be one of {', '.join(REPORTED_IDS)}; got {indicator!r}")
        )
        return {}, errors
    definition = BY_ID[indicator]
    value = _number(values.get("value"), "value", errors)
    numerator = _number(values.get("numerator"), "numerator", errors)
    denominator = _number(values.get("denominator"), "denominator", errors)
    source = str(values.get("source") or "").strip()
    if not source or len(source) > MAX_SOURCE:
        errors.append(
            ("source", f"source must say where the figure comes from (1–{MAX_SOURCE} characters)")
        )
    note = values.get("note")
    if errors:
        return {}, errors
    if definition.is_share:
        value = _share(value, numerator, denominator, errors)
    else:
        for name, given in (("numerator", numerator), ("denominator", denominator)):
            if given is not None:
                errors.append((name, f"{indicator} is a {definition.unit} figure: give value only"))
        if value is None:
            errors.append(("value", f"value is required for {indicator}"))
        elif definition.unit == "count" and not float(value).is_integer():
            errors.append(("value", f"{indicator} is a count: a whole number, got {value:g}"))
        numerator = denominator = None
    if errors:
        return {}, errors
    return {
        "indicator": indicator,
        "value": value,
        "numerator": numerator,
        "denominator": denominator,
        "source": source,
        "note": str(note).strip() if note not in (None, "") else None,
    }, errors


def _share(
    value: float | None,
    numerator: float | None,
    denominator: float | None,
    errors: list[tuple[str, str]],
) -> float | None:
    """The share's value, from numerator/denominator when given (and consistent with ``value``)."""
    if (numerator is None) != (denominator is None):
        missing = "denominator" if denominator is None else "numerator"
        errors.append((missing, "give numerator and denominator together (or value alone)"))
        return None
    if numerator is not None and denominator is not None:
        for name, given in (("numerator", numerator), ("denominator", denominator)):
            if not given.is_integer():
                errors.append(
                    (name, f"{name} counts people or places: a whole number, got {given:g}")
                )
        if denominator == 0:
            errors.append(("denominator", "denominator must be > 0"))
        elif numerator > denominator:
            errors.append(
                ("numerator", f"numerator ({numerator:g}) exceeds denominator ({denominator:g})")
            )
        if errors:
            return None
        computed = numerator / denominator
        if value is not None and not math.isclose(value, computed, rel_tol=1e-9, abs_tol=1e-9):
            errors.append(("value", f"value {value:g} is not numerator/denominator = {computed:g}"))
            return None
        return computed
    if value is None:
        errors.append(("value", "give value (a fraction 0–1) or numerator and denominator"))
        return None
    if value > 1:
        errors.append(("value", f"a share is a fraction from 0 to 1 (60 % is 0.6), got {value:g}"))
        return None
    return value


def rollup(
    code: str,
    definition: Definition,
    own: Mapping[str, Reported],
    children: Callable[[str], Sequence[str]],
) -> Figure:
    """The region's figure: its own report, else the sum over its children when all have one."""
    mine = own.get(code)
    if mine is not None:
        return Figure(
            mine.value,
            mine.numerator if definition.is_share else mine.value,
            mine.denominator,
            provenance=f"{mine.source} (rev. {mine.version})",
        )
    prefix = region_prefix(code)
    if not any(c.startswith(prefix) for c in own):
        return Figure(None, missing="not reported")
    kids = list(children(code))
    if not kids:
        return Figure(None, missing="not reported")
    parts = [rollup(k, definition, own, children) for k in kids]
    have = [p for p in parts if p.value is not None]
    if len(have) < len(parts):
        return Figure(None, missing=f"{len(have)} of {len(parts)} sub-regions reported")
    sources = f"sum of {len(parts)} sub-regions' reports"
    if definition.is_share:
        if any(p.numerator is None or p.denominator is None for p in parts):
            return Figure(None, missing="reported as bare shares: they do not add up")
        num = sum(p.numerator or 0.0 for p in parts)
        den = sum(p.denominator or 0.0 for p in parts)
        return Figure(num / den if den else None, num, den, provenance=sources)
    total = sum(p.value or 0.0 for p in parts)
    return Figure(total, total, None, provenance=sources)
