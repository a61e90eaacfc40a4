"""A region against its plan targets: the outside-check list and the full compliance report.

Targets of the region itself are its own; a city's share and rate targets are also
shown for its districts, streets and communities (``scope: inherited``) — counts are
not (a city's "101 points" says nothing about one street). Order: binding (约束性)
targets first, then expected (预期性), then those whose kind the plan does not state;
own before inherited.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from services.beds.plans.definitions import BY_ID, INDICATOR_IDS, Definition
from services.beds.plans.figures import Figure
from services.beds.plans.monitor import Context, PlanMonitor
from services.beds.plans.status import check, project

WORST_CHILDREN = 3
KIND_ORDER = {"binding": 0, "expected": 1, None: 2}


def kind_of(binding: bool | None) -> str | None:
    return None if binding is None else ("binding" if binding else "expected")


def _target_entry(target: Any, figure: Figure, definition: Definition) -> dict[str, Any]:
    """The outside-check interface's target entry (keys exactly as documented)."""
    result = check(figure, definition, target.comparator, target.threshold)
    return {
        "comparator": target.comparator,
        "threshold": target.threshold,
        "target_year": target.target_year,
        "kind": kind_of(target.binding),
        "status": result.status,
        "gap": result.gap,
        "source_file": target.source_file,
        "source_line": target.source_line,
    }


def indicator_list(monitor: PlanMonitor, code: str, period: str) -> list[dict[str, Any]]:
    """One item per indicator: value, numerator, denominator, unit and the region's own targets."""
    return indicator_items(monitor, code, period)[0]


def indicator_items(
    monitor: PlanMonitor, code: str, period: str
) -> tuple[list[dict[str, Any]], dict[str, Figure]]:
    """:func:`indicator_list` and the figures behind it (with why a value is missing)."""
    ctx = monitor.context(code)
    figures = monitor.figures(ctx, period)
    own: dict[str, list[Any]] = {}
    for target in monitor.targets(code):
        if target.region_code == code:
            own.setdefault(target.indicator, []).append(target)
    items = []
    for indicator in INDICATOR_IDS:
        figure, definition = figures[indicator], BY_ID[indicator]
        items.append(
            {
                "indicator": indicator,
                "value": figure.value,
                "numerator": figure.numerator,
                "denominator": figure.denominator,
                "unit": definition.unit,
                "targets": [
                    _target_entry(t, figure, definition)
                    for t in sorted(own.get(indicator, []), key=lambda t: (t.target_year, t.id))
                ],
            }
        )
    return items, figures


def _applies(target: Any, code: str) -> str | None:
    """``own``, ``inherited`` or None (a count target of an ancestor)."""
    if target.region_code == code:
        return "own"
    return "inherited" if BY_ID[target.indicator].inheritable else None


def _worst_children(
    target: Any,
    definition: Definition,
    ctx: Context,
    children: dict[str, dict[str, Figure]],
) -> list[dict[str, Any]]:
    failing: list[dict[str, Any]] = []
    if not definition.inheritable:
        return failing  # a count of the whole region says nothing about each child
    for child in ctx.children:
        figure = children.get(child.code, {}).get(target.indicator)
        if figure is None or figure.value is None:
            continue
        result = check(figure, definition, target.comparator, target.threshold)
        if result.status == "not_met":
            failing.append(
                {
                    "region": child.code,
                    "region_name": child.name,
                    "value": figure.value,
                    "numerator": figure.numerator,
                    "denominator": figure.denominator,
                    "gap": result.gap,
                }
            )
    falling = target.comparator in ("le", "lt")
    failing.sort(key=lambda c: (-float(c["value"]) if falling else float(c["value"]), c["region"]))
    return failing[:WORST_CHILDREN]


def assess(monitor: PlanMonitor, code: str, period: str) -> dict[str, Any]:
    """The compliance report of a region and month: every indicator and every applicable target."""
    ctx = monitor.context(code)
    figures = monitor.figures(ctx, period)
    targets = [(t, scope) for t in monitor.targets(code) if (scope := _applies(t, code))]
    series = monitor.window_series(ctx, period, figures) if targets else {}
    children = monitor.child_figures(ctx, period) if targets and ctx.children else {}
    items = []
    for target, scope in targets:
        definition = BY_ID[target.indicator]
        figure = figures[target.indicator]
        result = check(figure, definition, target.comparator, target.threshold)
        projection = project(
            series[target.indicator],
            period,
            target_year=target.target_year,
            comparator=target.comparator,
            threshold=target.threshold,
            is_share=definition.is_share,
        )
        items.append(
            {
                "target_id": target.id,
                "indicator": target.indicator,
                "scope": scope,
                "target_region": target.region_code,
                "target_region_name": target.region_name,
                "comparator": target.comparator,
                "wording": target.wording,
                "threshold": target.threshold,
                "target_year": target.target_year,
                "kind": kind_of(target.binding),
                "baseline": target.baseline,
                "baseline_year": target.baseline_year,
                "value": figure.value,
                "numerator": figure.numerator,
                "denominator": figure.denominator,
                "missing": figure.missing,
                "provenance": figure.provenance,
                "status": result.status,
                "gap": result.gap,
                "gap_if_added": result.gap_if_added,
                "projection": {
                    "at": projection.at,
                    "points": projection.points,
                    "projected": projection.projected,
                    "on_track": projection.on_track,
                    "method": projection.method,
                },
                "worst_children": _worst_children(target, definition, ctx, children),
                "source_document": target.source_document,
                "source_file": target.source_file,
                "source_line": target.source_line,
                "source_table": target.source_table,
                "note": target.note,
            }
        )
    items.sort(
        key=lambda i: (
            KIND_ORDER[i["kind"]],
            i["scope"] != "own",
            INDICATOR_IDS.index(i["indicator"]),
            i["target_year"],
        )
    )
    return {
        "region": code,
        "region_name": ctx.region.name,
        "level": ctx.region.level,
        "period": period,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "targets": items,
        "indicators": [
            {
                "indicator": i,
                "value": f.value,
                "numerator": f.numerator,
                "denominator": f.denominator,
                "unit": BY_ID[i].unit,
                "missing": f.missing,
                "provenance": f.provenance,
            }
            for i, f in figures.items()
        ],
    }
