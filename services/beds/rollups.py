"""Indicators per region, as time series, ranked across children, and against plan targets.

Each function runs one or two ``GROUP BY`` statements (repository) and the pure
math of :mod:`indicators` and :mod:`compliance`; no Python loop touches reports.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from services.beds import repository
from services.beds.compliance import Target, evaluate, is_met
from services.beds.facilities_client import FacilitiesClient
from services.beds.indicators import INDICATORS, BedTotals, indicators
from services.beds.levels import ancestor_codes, child_column, column_for, level_of
from services.beds.periods import periods_between
from services.beds.region_cache import RegionInfo, region_info
from services.common.errors import NotFound

WORST_CHILDREN = 3
MAX_SERIES_MONTHS = 240


class Rollups:
    """Read side of the service, bound to its sessions and the facilities client."""

    def __init__(
        self,
        *,
        read_sessions: sessionmaker[Session],
        write_sessions: sessionmaker[Session],
        client: FacilitiesClient | None,
        region_ttl_s: int,
    ) -> None:
        self.read_sessions = read_sessions
        self.write_sessions = write_sessions
        self.client = client
        self.region_ttl_s = region_ttl_s

    def region(self, code: str) -> RegionInfo:
        """The region as the registry knows it; 404 for a code it does not know and nobody reported in."""
        info = region_info(
            code,
            read_sessions=self.read_sessions,
            write_sessions=self.write_sessions,
            client=self.client,
            ttl_s=self.region_ttl_s,
        )
        if info.source == "unknown":
            with self.read_sessions() as session:
                reported = repository.latest_period(session, column=column_for(code), code=code)
            if reported is None:
                raise NotFound(
                    f"region {code} is not in the region registry and no report lies inside it"
                )
        return info

    def _totals(
        self, code: str, first: str, last: str, group_by: str | None
    ) -> dict[Any, BedTotals]:
        with self.read_sessions() as session:
            return repository.region_totals(
                session,
                column=column_for(code),
                code=code,
                first_period=first,
                last_period=last,
                group_by=group_by,
            )

    def resolve_period(self, code: str, period: str | None) -> str:
        """``period``, or the latest month with reports inside the region (else the current month)."""
        if period:
            return period
        with self.read_sessions() as session:
            latest = repository.latest_period(session, column=column_for(code), code=code)
        return latest or datetime.now(UTC).strftime("%Y-%m")

    @staticmethod
    def _header(info: RegionInfo) -> dict[str, Any]:
        return {
            "region": info.code,
            "region_name": info.name,
            "level": info.level or level_of(info.code),
            "elderly_source": info.source,
        }

    def region_indicators(self, code: str, period: str) -> dict[str, Any]:
        """One object: the region's indicators for ``period``, rolled up over its descendants."""
        info = self.region(code)
        totals = self._totals(code, period, period, None).get(None, BedTotals())
        return {**self._header(info), "period": period, **indicators(totals, info.elderly_60plus)}

    def series(self, code: str, first: str, last: str) -> dict[str, Any]:
        """Indicators month by month (months without reports have zero beds and null shares)."""
        months = periods_between(first, last)
        if not months:
            raise ValueError(f"from ({first}) is after to ({last})")
        if len(months) > MAX_SERIES_MONTHS:
            raise ValueError(f"at most {MAX_SERIES_MONTHS} months per series, asked {len(months)}")
        info = self.region(code)
        by_period = self._totals(code, first, last, "period")
        items = [
            {"period": p, **indicators(by_period.get(p, BedTotals()), info.elderly_60plus)}
            for p in months
        ]
        return {**self._header(info), "items": items}

    def children(self, code: str, period: str, indicator: str, order: str) -> dict[str, Any]:
        """The region's children ranked by ``indicator`` (``asc``: worst-first for ≥ targets)."""
        if indicator not in INDICATORS:
            raise ValueError(f"indicator must be one of {', '.join(INDICATORS)}; got {indicator!r}")
        info = self.region(code)
        items = self._child_items(info, period)
        ranked = rank(items, indicator, descending=order == "desc")
        return {
            **self._header(info),
            "period": period,
            "indicator": indicator,
            "order": order,
            "items": ranked,
        }

    def _child_items(self, info: RegionInfo, period: str) -> list[dict[str, Any]]:
        column = child_column(info.code, [c[0] for c in info.children])
        if column is None:
            return []
        totals = self._totals(info.code, period, period, column)
        names = {c[0]: (c[1], c[2]) for c in info.children}
        items = []
        for child in sorted(set(names) | {k for k in totals if k is not None}):
            name, elderly = names.get(child, (None, None))
            values = indicators(totals.get(child, BedTotals()), elderly)
            items.append({"region": child, "region_name": name, **values})
        return items

    def compliance(self, code: str, period: str) -> dict[str, Any]:
        """One item per plan target of the region or of its ancestors (``scope``), with gaps and worst children."""
        info = self.region(code)
        totals = self._totals(code, period, period, None).get(None, BedTotals())
        values = indicators(totals, info.elderly_60plus)
        ancestors = [c for c in ancestor_codes(code).values() if c is not None]
        with self.read_sessions() as session:
            # Bed targets only; the other plan indicators are services.beds.plans' (ADR 0201).
            targets = [
                t for t in repository.targets_for(session, ancestors) if t.indicator in INDICATORS
            ]
        children = self._child_items(info, period) if targets else []
        items = []
        for row in sorted(
            targets, key=lambda t: (t.region_code != code, t.region_code, t.indicator)
        ):
            target = Target(**{k: getattr(row, k) for k in Target.__dataclass_fields__})
            check = evaluate(target, values, totals)
            worst = [
                {
                    "region": c["region"],
                    "region_name": c["region_name"],
                    "value": c.get(target.indicator),
                }
                for c in rank(
                    children, target.indicator, descending=target.comparator in ("le", "lt")
                )
                if is_met(c.get(target.indicator), target.comparator, target.threshold) is False
            ][:WORST_CHILDREN]
            items.append(
                {
                    "target_id": target.id,
                    "indicator": target.indicator,
                    "comparator": target.comparator,
                    "threshold": target.threshold,
                    "value": check.value,
                    "met": check.met,
                    "gap_beds": check.gap_beds,
                    "gap_beds_if_added": check.gap_beds_if_added,
                    "message": check.message,
                    "binding": target.binding,
                    "target_year": target.target_year,
                    "source_document": target.source_document,
                    "target_region": target.region_code,
                    "scope": "own" if target.region_code == code else "inherited",
                    "note": target.note,
                    "worst_children": worst,
                }
            )
        return {**self._header(info), "period": period, "totals": asdict(totals), "items": items}


def rank(items: list[dict[str, Any]], indicator: str, *, descending: bool) -> list[dict[str, Any]]:
    """Items ordered by ``indicator``; regions without a value always come last."""
    with_value = [i for i in items if i.get(indicator) is not None]
    without = [i for i in items if i.get(indicator) is None]
    with_value.sort(key=lambda i: (i[indicator], i["region"]), reverse=descending)
    return with_value + without
