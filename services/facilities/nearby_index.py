"""The nearby search in memory: a snapshot of the registry at one version, no database per query.

A :class:`Snapshot` holds every facility once (columns as arrays, each FacilityOut
JSON object pre-rendered) and a KD-tree (scipy ``cKDTree``) per (type, status) lane
over unit-sphere xyz, plus one per type, per status and for all — so any filter of
types × statuses is a few tree lookups (ADR 0075). Chord length on the unit sphere
grows with the great-circle angle, so a tree's ``k`` nearest by chord are exactly the
``k`` nearest on the sphere; as on the database paths (ADR 0070) the order a user
sees is decided by :func:`services.facilities.nearby.rank` on ``haversine_m``, only
up to the distance below which the candidates are provably complete.

Pure compute: rows in, arrays out. Reading the rows and keeping the snapshot at the
registry's version: :mod:`services.facilities.nearby_snapshots`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from services.common.geo import EARTH_RADIUS_M, haversine_m
from services.common.opening_hours import is_open
from services.common.responses import ORJSON_OPTIONS
from services.facilities import nearby as ranking
from services.facilities.nearby_search import NearbyQuery
from services.facilities.normalize import normalize_name

# The tree's chord and haversine_m are two float formulas for one distance: candidates
# count as complete only this far inside the last chord fetched (cf. KNN_REL_SLACK).
REL_SLACK = 1e-9
ABS_SLACK_M = 1e-3
FIRST_EXTRA = 8

Lane = tuple[str | None, str | None]  # (type, status); None: any


def unit_xyz(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.float64]:
    """Points on the unit sphere (n × 3) of WGS84 degrees (the sphere of ``haversine_m``)."""
    lam, phi = np.radians(lon), np.radians(lat)
    cos_phi = np.cos(phi)
    return np.column_stack((cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi)))


def chord_of_m(distance_m: float) -> float:
    """Unit-sphere chord of a great-circle distance (meters); inf beyond half the sphere."""
    if distance_m >= math.pi * EARTH_RADIUS_M:
        return math.inf
    return 2.0 * math.sin(distance_m / (2.0 * EARTH_RADIUS_M))


def m_of_chord(chord: float) -> float:
    """Great-circle meters of a unit-sphere chord."""
    return 2.0 * EARTH_RADIUS_M * math.asin(min(1.0, chord / 2.0))


@dataclass(frozen=True)
class Snapshot:
    """Every facility of one registry version, searchable without the database."""

    version: int
    ids: NDArray[np.int64]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    services_mask: NDArray[np.int64]
    stars: NDArray[np.float64]  # NaN: unrated
    names: list[str]
    names_normalized: list[str]
    hours_json: list[bytes | None]  # opening hours as JSON (no containers for the GC to walk)
    items_json: list[bytes]  # FacilityOut JSON, as the database paths render it
    trees: dict[Lane, tuple[cKDTree, NDArray[np.intp]]] = field(repr=False)

    def __len__(self) -> int:
        return len(self.ids)

    _open_cache: dict[tuple[str, str], dict[int, bool | None]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def item(self, row: int) -> dict[str, Any]:
        """A fresh FacilityOut dict of snapshot row ``row`` (callers may change it)."""
        value: dict[str, Any] = orjson.loads(self.items_json[row])
        return value

    def open_now(self, row: int, moment: tuple[str, str]) -> bool | None:
        """``is_open`` of row ``row`` at ``moment`` (weekday, "HH:MM"), remembered for that minute."""
        cache = self._open_cache.get(moment)
        if cache is None:
            self._open_cache.clear()  # one minute at a time: the old ones will not come back
            cache = self._open_cache[moment] = {}
        if row in cache:
            return cache[row]
        raw = self.hours_json[row]
        value = cache[row] = is_open(orjson.loads(raw) if raw else None, *moment)
        return value


#: Row keys the snapshot uses but FacilityOut does not show.
_NOT_PUBLIC = frozenset(("services_mask", "name_normalized"))


def _exact(raw: bytes) -> bytes:
    """A copy of exactly ``len(raw)`` bytes: orjson's answers keep their whole write buffer
    (≥ 1 KiB each; 100,000 of them held ~0.9 GB more than their text)."""
    return bytes(memoryview(raw))


def build_snapshot(version: int, rows: Iterable[Mapping[str, Any]]) -> Snapshot:
    """A snapshot of ``rows`` (FacilityOut dicts plus ``services_mask`` and, when known,
    ``name_normalized``) at ``version``.

    One pass, each row rendered at once, so that only the columns stay in memory; text and
    bytes only, so that the garbage collector has almost nothing new to walk.
    """
    ids: list[int] = []
    lon: list[float] = []
    lat: list[float] = []
    stars: list[float] = []
    masks: list[int] = []
    types: list[str] = []
    statuses: list[str] = []
    names: list[str] = []
    names_normalized: list[str] = []
    hours_json: list[bytes | None] = []
    items_json: list[bytes] = []
    for r in rows:
        ids.append(r["id"])
        lon.append(r["lon"])
        lat.append(r["lat"])
        stars.append(math.nan if r["star_rating"] is None else r["star_rating"])
        masks.append(r.get("services_mask") or 0)
        types.append(r["type"])
        statuses.append(r["status"])
        names.append(r["name"])
        names_normalized.append(r.get("name_normalized") or normalize_name(r["name"]))
        hours = r["opening_hours"]
        hours_json.append(_exact(orjson.dumps(hours)) if hours is not None else None)
        public = {k: v for k, v in r.items() if k not in _NOT_PUBLIC}
        items_json.append(_exact(orjson.dumps(public, option=ORJSON_OPTIONS, default=str)))
    lon_a, lat_a = np.array(lon, dtype=np.float64), np.array(lat, dtype=np.float64)
    xyz = unit_xyz(lon_a, lat_a) if ids else np.zeros((0, 3))
    return Snapshot(
        version=version,
        ids=np.array(ids, dtype=np.int64),
        lon=lon_a,
        lat=lat_a,
        services_mask=np.array(masks, dtype=np.int64),
        stars=np.array(stars, dtype=np.float64),
        names=names,
        names_normalized=names_normalized,
        hours_json=hours_json,
        items_json=items_json,
        trees=_trees(xyz, np.array(types, dtype=object), np.array(statuses, dtype=object)),
    )


def _trees(
    xyz: NDArray[np.float64], types: NDArray[Any], statuses: NDArray[Any]
) -> dict[Lane, tuple[cKDTree, NDArray[np.intp]]]:
    lanes: dict[Lane, NDArray[np.bool_]] = {(None, None): np.ones(len(xyz), dtype=bool)}
    for type_ in set(types.tolist()):
        lanes[(type_, None)] = types == type_
    for status in set(statuses.tolist()):
        lanes[(None, status)] = statuses == status
        for type_ in set(types.tolist()):
            lanes[(type_, status)] = (types == type_) & (statuses == status)
    out = {}
    for lane, members in lanes.items():
        rows = np.flatnonzero(members)
        if len(rows):
            out[lane] = (cKDTree(xyz[rows]), rows)
    return out


def search(
    snapshot: Snapshot, query: NearbyQuery, need: int
) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """The first ``need`` matches of ``query`` in (distance, id) order: snapshot rows and meters.

    ``query.after`` is not used (callers take the whole result set and page it). Each lane
    gives its ``m`` nearest by chord; a lane that gave fewer than asked is complete up to
    the radius, otherwise up to its last chord (less the slack). Filters the trees cannot
    apply (services, stars, keyword, open now) drop candidates, so ``m`` grows until
    ``need`` matches lie inside the distance where every lane is complete.
    """
    lanes = _lanes(snapshot, query)
    if need <= 0 or not lanes:
        return np.zeros(0, dtype=np.intp), np.zeros(0)
    lam, phi = math.radians(query.lon), math.radians(query.lat)
    q_xyz = (math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi))
    radius_chord = chord_of_m(query.radius_m * (1 + REL_SLACK) + ABS_SLACK_M)
    m = need + FIRST_EXTRA
    while True:
        parts: list[NDArray[np.intp]] = []
        complete_m = query.radius_m
        for tree, rows in lanes:
            asked = min(m, tree.n)
            chords, found = tree.query(q_xyz, k=asked, distance_upper_bound=radius_chord)
            if asked == 1:
                chords, found = np.atleast_1d(chords), np.atleast_1d(found)
            last = float(chords[-1])  # chords ascend; misses (beyond the radius) are inf, last
            if math.isfinite(last):
                parts.append(rows[found])
                if asked < tree.n:  # more may lie beyond the last chord
                    last_m = m_of_chord(last)
                    complete_m = min(complete_m, last_m * (1 - REL_SLACK) - ABS_SLACK_M)
            else:
                parts.append(rows[found[: int(np.searchsorted(chords, math.inf))]])
        candidates = _filtered(
            snapshot, query, parts[0] if len(parts) == 1 else np.concatenate(parts)
        )
        distances = haversine_m(
            query.lon, query.lat, snapshot.lon[candidates], snapshot.lat[candidates]
        )
        order = ranking.rank(snapshot.ids[candidates], distances, within_m=complete_m)
        if len(order) >= need or complete_m >= query.radius_m:
            order = order[:need]
            return candidates[order], distances[order]
        m *= 4


def _lanes(snapshot: Snapshot, query: NearbyQuery) -> list[tuple[cKDTree, NDArray[np.intp]]]:
    types: Sequence[str | None] = query.filters.types or (None,)
    statuses: Sequence[str | None] = query.filters.statuses or (None,)
    return [
        snapshot.trees[(t, s)]
        for t in dict.fromkeys(types)
        for s in dict.fromkeys(statuses)
        if (t, s) in snapshot.trees
    ]


def _filtered(snapshot: Snapshot, query: NearbyQuery, rows: NDArray[np.intp]) -> NDArray[np.intp]:
    """``rows`` passing the filters the trees do not hold (as ``queries.where_sql`` reads them)."""
    filters = query.filters
    if not (filters.services_mask or filters.min_stars is not None or filters.q or query.open_at):
        return rows
    keep = np.ones(len(rows), dtype=bool)
    if filters.services_mask:
        keep &= (snapshot.services_mask[rows] & filters.services_mask) == filters.services_mask
    if filters.min_stars is not None:
        keep &= snapshot.stars[rows] >= filters.min_stars  # NaN (unrated) is never >=
    rows = rows[keep]
    if filters.q:
        rows = rows[[_name_matches(snapshot, int(r), filters.q) for r in rows]].astype(np.intp)
    if query.open_at is not None:
        moment = query.open_at
        rows = rows[[snapshot.open_now(int(r), moment) is True for r in rows]].astype(np.intp)
    return rows


def _name_matches(snapshot: Snapshot, row: int, q: str) -> bool:
    """The keyword in the name as written (case-insensitive), or in its normalized key."""
    if q.lower() in snapshot.names[row].lower():
        return True
    key = normalize_name(q)
    return bool(key) and key in snapshot.names_normalized[row]
