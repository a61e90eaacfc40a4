"""Plan monitoring's read side: every indicator of a region, its children, its series, its targets.

One region and month take: the region, its descendants and its active facilities from
the facilities service (three calls), bed sums and per-county tests from our own
tables (``GROUP BY``s), reported and recorded figures (one query each), and the
coverage service's latest results (one call per circle and region). The arithmetic
is in the pure modules (registry_figures, combined, reported, status).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from services.beds import repository as beds_repository
from services.beds.facilities_client import FacilitiesClient
from services.beds.indicators import BedTotals
from services.beds.levels import ancestor_codes, child_column, column_for, level_of
from services.beds.periods import periods_between
from services.beds.plans import repository
from services.beds.plans.combined import bed_figures, derived_figures
from services.beds.plans.coverage_client import CoverageClient
from services.beds.plans.definitions import BY_ID, INDICATOR_IDS, REPORTED_IDS
from services.beds.plans.figures import Figure
from services.beds.plans.registry_figures import REGISTRY_IDS, Facility, Registry, Unit, inside
from services.beds.plans.reported import Reported, rollup
from services.beds.plans.status import WINDOW_MONTHS, month_index
from services.common.db import transaction
from services.common.errors import NotFound

CIRCLES = {"fifteen_minute_circle_share": 15, "rural_one_hour_circle_share": 60}
RECORDED_IDS = (*REGISTRY_IDS, *CIRCLES)  # what a month close stores (no history elsewhere)


@dataclass(frozen=True)
class Context:
    """A region as the registry describes it now: its units and active facilities."""

    code: str
    region: Unit
    registry: Registry
    children: tuple[Unit, ...]
    kids_of: dict[str, tuple[str, ...]]

    def counties(self, code: str) -> list[str]:
        """The county-level units (districts, counties, county-level cities) ``code`` is or contains."""
        return sorted(
            u.code
            for u in self.registry.units.values()
            if u.level == "district" and inside(u.code, code)
        )

    def unit(self, code: str) -> Unit:
        return self.registry.units.get(code) or Unit(code, None, level_of(code))


def shift_period(period: str, months: int) -> str:
    index = month_index(period) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


class PlanMonitor:
    """Bound to the beds database, the facilities client and (optionally) the coverage client."""

    def __init__(
        self,
        *,
        read_sessions: sessionmaker[Session],
        write_sessions: sessionmaker[Session],
        facilities: FacilitiesClient,
        coverage: CoverageClient | None,
    ) -> None:
        self.read_sessions = read_sessions
        self.write_sessions = write_sessions
        self.facilities = facilities
        self.coverage = coverage

    # --- inputs ----------------------------------------------------------------------------

    def context(self, code: str) -> Context:
        """The region, its descendants and its active facilities (404 for a region not loaded)."""
        body = self.facilities.region(code)
        if body is None:
            raise NotFound(f"region {code} is not in the region registry")
        rows = [body, *self.facilities.region_descendants(code)]
        units = [
            Unit(
                code=r["code"],
                name=r.get("name"),
                level=r["level"],
                kind=r.get("kind"),
                parent_code=r.get("parent_code"),
                elderly_60plus=r.get("elderly_60plus"),
            )
            for r in rows
        ]
        facilities = [
            Facility(
                id=int(f["id"]),
                type=f["type"],
                status=f["status"],
                region_code=f.get("region_code"),
                operation_mode=f.get("operation_mode"),
                star_rating=f.get("star_rating"),
                center_id=f.get("center_id"),
            )
            for f in self.facilities.snapshot(region=code, status="active") or []
        ]
        kids: dict[str, list[str]] = {}
        for unit in units:
            if unit.parent_code:
                kids.setdefault(unit.parent_code, []).append(unit.code)
        registry = Registry(units, facilities)
        return Context(
            code=code,
            region=registry.units[code],
            registry=registry,
            children=tuple(
                sorted((u for u in units if u.parent_code == code), key=lambda u: u.code)
            ),
            kids_of={k: tuple(sorted(v)) for k, v in kids.items()},
        )

    def resolve_period(self, code: str, period: str | None) -> str:
        """``period``, or the latest month with bed reports inside the region."""
        if period:
            return period
        with self.read_sessions() as session:
            latest = beds_repository.latest_period(session, column=column_for(code), code=code)
        if latest is None:
            return datetime.now(UTC).strftime("%Y-%m")
        return latest

    # --- figures ---------------------------------------------------------------------------

    def bed_series(
        self, ctx: Context, code: str, first: str, last: str
    ) -> dict[str, dict[str, Figure]]:
        """``{period: bed figures}`` of ``code`` for every month ``first``–``last``."""
        with self.read_sessions() as session:
            totals = beds_repository.region_totals(
                session,
                column=column_for(code),
                code=code,
                first_period=first,
                last_period=last,
                group_by="period",
            )
            qualifiers = repository.county_qualifiers(
                session, column=column_for(code), code=code, first=first, last=last
            )
        counties = ctx.counties(code)
        out = {}
        for period in periods_between(first, last):
            month = {d: q for (p, d), q in qualifiers.items() if p == period and d is not None}
            t = totals.get(period, BedTotals())
            out[period] = bed_figures(
                t,
                ctx.unit(code).elderly_60plus,
                counties,
                month,
                f"bed reports {period} ({t.facilities} facilities)",
            )
        return out

    def child_bed_figures(self, ctx: Context, period: str) -> dict[str, dict[str, Figure]]:
        """Bed figures of each child of the region for ``period`` (one ``GROUP BY``)."""
        column = child_column(ctx.code, [c.code for c in ctx.children])
        if column is None:
            return {}
        with self.read_sessions() as session:
            totals = beds_repository.region_totals(
                session,
                column=column_for(ctx.code),
                code=ctx.code,
                first_period=period,
                last_period=period,
                group_by=column,
            )
            qualifiers = repository.county_qualifiers(
                session, column=column_for(ctx.code), code=ctx.code, first=period, last=period
            )
        by_county = {d: q for (_, d), q in qualifiers.items() if d is not None}
        return {
            child.code: bed_figures(
                totals.get(child.code, BedTotals()),
                child.elderly_60plus,
                ctx.counties(child.code),
                by_county,
                f"bed reports {period}",
            )
            for child in ctx.children
        }

    def coverage_figures(self, code: str) -> dict[str, Figure]:
        out = {}
        for indicator, minutes in CIRCLES.items():
            if self.coverage is None:
                out[indicator] = Figure(None, missing="no coverage service configured")
                continue
            body, why = self.coverage.latest(code, minutes)
            if body is None:
                out[indicator] = Figure(None, missing=why)
                continue
            covered, elderly = body.get("covered_elderly"), body.get("elderly")
            value = body.get("covered_share_by_elderly")
            out[indicator] = Figure(
                value,
                covered,
                elderly,
                missing=None if value is not None else "no elderly in the run's demand",
                provenance=f"coverage run {body.get('run_id')} ({body.get('finished_at')}, {minutes} min)",
            )
        return out

    def reported_series(
        self, ctx: Context, codes: Sequence[str], first: str, last: str, bed: dict[str, Figure]
    ) -> dict[str, dict[str, dict[str, Figure]]]:
        """``{period: {code: reported and derived figures}}`` for ``codes`` (the region or its children).

        ``bed``: institutional-beds figure of each code (for social workers per 100 beds) —
        only for ``last``; earlier months read it as unknown.
        """
        with self.read_sessions() as session:
            rows = repository.reported_rows(session, code=ctx.code, first=first, last=last)
        by_period: dict[str, dict[str, dict[str, Reported]]] = {}
        for row in rows:
            by_period.setdefault(row.period, {}).setdefault(row.indicator, {})[row.region_code] = (
                Reported(
                    row.region_code,
                    row.period,
                    row.indicator,
                    row.value,
                    row.numerator,
                    row.denominator,
                    row.source,
                    row.note,
                    row.version,
                )
            )

        def kids(code: str) -> tuple[str, ...]:
            return ctx.kids_of.get(code, ())

        out: dict[str, dict[str, dict[str, Figure]]] = {}
        for period in periods_between(first, last):
            own = by_period.get(period, {})
            month: dict[str, dict[str, Figure]] = {}
            for code in codes:
                figures = {i: rollup(code, BY_ID[i], own.get(i, {}), kids) for i in REPORTED_IDS}
                homes = own.get("integrated_care_nursing_homes", {})
                counties = {
                    c: rollup(c, BY_ID["integrated_care_nursing_homes"], homes, kids)
                    for c in ctx.counties(code)
                }
                figures.update(
                    derived_figures(
                        figures["elderly_care_social_workers"],
                        ctx.unit(code).elderly_60plus,
                        bed.get(code, Figure(None, missing="no bed reports this month"))
                        if period == last
                        else Figure(None, missing="not kept for past months"),
                        counties,
                    )
                )
                month[code] = figures
            out[period] = month
        return out

    def registry_figures(self, ctx: Context, code: str) -> dict[str, Figure]:
        return {
            k: Figure(f.value, f.numerator, f.denominator, f.missing, "facility registry (now)")
            for k, f in ctx.registry.figures(code).items()
        }

    def figures(self, ctx: Context, period: str) -> dict[str, Figure]:
        """Every indicator of the region for ``period``, in definition order."""
        beds = self.bed_series(ctx, ctx.code, period, period)[period]
        out: dict[str, Figure] = {
            **beds,
            **self.registry_figures(ctx, ctx.code),
            **self.coverage_figures(ctx.code),
        }
        reported = self.reported_series(
            ctx, [ctx.code], period, period, {ctx.code: beds["institutional_beds"]}
        )
        out.update(reported[period][ctx.code])
        return {i: out[i] for i in INDICATOR_IDS}

    def child_figures(self, ctx: Context, period: str) -> dict[str, dict[str, Figure]]:
        """Every indicator of each child of the region for ``period``."""
        beds = self.child_bed_figures(ctx, period)
        codes = [c.code for c in ctx.children]
        reported = self.reported_series(
            ctx,
            codes,
            period,
            period,
            {c: beds[c]["institutional_beds"] for c in codes if c in beds},
        )[period]
        out = {}
        for code in codes:
            merged = {
                **beds.get(code, {}),
                **self.registry_figures(ctx, code),
                **self.coverage_figures(code),
                **reported[code],
            }
            out[code] = {
                i: merged.get(i, Figure(None, missing="not applicable")) for i in INDICATOR_IDS
            }
        return out

    def window_series(
        self, ctx: Context, period: str, current: dict[str, Figure]
    ) -> dict[str, list[tuple[str, float | None]]]:
        """Each indicator's monthly values over the 12 months ending at ``period`` (projections)."""
        return self.series_between(ctx, shift_period(period, 1 - WINDOW_MONTHS), period, current)

    def series_between(
        self, ctx: Context, first: str, last: str, current: dict[str, Figure] | None = None
    ) -> dict[str, list[tuple[str, float | None]]]:
        """Monthly values: bed and reported figures from their months, registry and coverage
        figures from recorded month closes (and ``current`` for ``last``)."""
        months = periods_between(first, last)
        beds = self.bed_series(ctx, ctx.code, first, last)
        reported = self.reported_series(
            ctx, [ctx.code], first, last, {ctx.code: beds[last]["institutional_beds"]}
        )
        with self.read_sessions() as session:
            recorded = repository.recorded_figures(session, code=ctx.code, first=first, last=last)
        kept = {(r.period, r.indicator): r.value for r in recorded}
        out: dict[str, list[tuple[str, float | None]]] = {}
        for indicator in INDICATOR_IDS:
            values: list[tuple[str, float | None]] = []
            for month in months:
                if indicator in beds[month]:
                    value = beds[month][indicator].value
                elif indicator in reported[month][ctx.code]:
                    value = reported[month][ctx.code][indicator].value
                elif month == last and current is not None:
                    value = current[indicator].value
                else:
                    value = kept.get((month, indicator))
                values.append((month, value))
            out[indicator] = values
        return out

    def record(self, code: str, period: str) -> dict[str, Figure]:
        """Close a month: store the registry and coverage figures of the region (for series)."""
        ctx = self.context(code)
        figures = self.figures(ctx, period)
        kept = {i: figures[i] for i in RECORDED_IDS}
        with transaction(self.write_sessions) as session:
            repository.record_figures(session, code=code, period=period, figures=kept)
        return kept

    def ancestors(self, code: str) -> list[str]:
        return [c for c in ancestor_codes(code).values() if c is not None]

    def targets(self, code: str) -> list[Any]:
        with self.read_sessions() as session:
            rows = beds_repository.targets_for(session, self.ancestors(code))
        return [r for r in rows if r.indicator in BY_ID]
