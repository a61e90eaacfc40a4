"""Pure helpers of the nearby view, against brute force and hand-worked examples."""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest

from gateway import ranking


def test_rank_by_walk_matches_brute_force_on_random_inputs() -> None:
    rng = random.Random(7)
    for _ in range(200):
        n = rng.randint(0, 8)
        stations = [
            {"id": i, "distance_m": rng.choice([100.0, 200.0, rng.uniform(0, 2000)])}
            for i in range(n)
        ]
        walk = {
            i: {
                "walk_minutes": rng.choice([None, 3.0, rng.uniform(1, 30)]),
                "network_distance_m": 1.0,
            }
            for i in range(n)
            if rng.random() < 0.9
        }
        k = rng.randint(1, 5)
        observed = [r["id"] for r in ranking.rank_by_walk(stations, walk, k)]

        # Oracle: of every ordering, the lexicographically smallest (reachable first, minutes, metres).
        def cost(
            order: tuple[dict[str, float], ...], walk: dict[int, dict[str, float | None]] = walk
        ) -> list[tuple[bool, float, float]]:
            out = []
            for s in order:
                minutes = walk.get(s["id"], {}).get("walk_minutes")
                out.append(
                    (minutes is None, minutes if minutes is not None else 0.0, s["distance_m"])
                )
            return out

        if n <= 6:
            best = min(itertools.permutations(stations), key=cost, default=())
            assert (
                cost(tuple(next(s for s in stations if s["id"] == i) for i in observed))
                == cost(best)[:k]
            )
        assert len(observed) == min(k, n)


def test_rank_by_walk_known_example_and_inputs_unchanged() -> None:
    stations = [
        {"id": 1, "distance_m": 150.0},
        {"id": 2, "distance_m": 400.0},
        {"id": 3, "distance_m": 90.0},
    ]
    walk = {
        1: {"walk_minutes": 12.0},
        2: {"walk_minutes": 5.5},
        3: {"walk_minutes": None},
    }  # 3 is across a river
    observed = ranking.rank_by_walk(stations, walk, 3)
    assert [r["id"] for r in observed] == [2, 1, 3]
    assert observed[0]["walk_minutes"] == 5.5
    assert "walk_minutes" not in stations[0]
    assert [r["id"] for r in ranking.rank_by_distance(stations, 2)] == [3, 1]
    assert ranking.rank_by_distance(stations, 2)[0]["walk_minutes"] is None


def _result_set(rng: random.Random, n: int) -> list[dict[str, Any]]:
    """Stations nearest first, each walking at least its straight line (1 m/s), some unreachable,
    some tied in distance or minutes."""
    out = []
    for i in range(n):
        distance_m = round(rng.uniform(0, 3000), -1 if rng.random() < 0.3 else 1)
        detour = rng.choice([1.0, 1.2, 1.5, 3.0, None])
        minutes = None if detour is None else round(distance_m * detour / 60.0, 1)
        out.append({"id": i + 1, "distance_m": distance_m, "walk_minutes": minutes})
    out.sort(key=lambda r: (r["distance_m"], r["id"]))
    return out


def test_walk_page_is_final_only_when_no_unfetched_station_could_belong_on_it() -> None:
    """Against brute force: fetch growing prefixes (the facilities' order) as the view does;
    a page said to be final is the brute-force page, and paging reaches every station once."""
    rng = random.Random(17)
    for _ in range(300):
        stations = _result_set(rng, rng.randint(0, 40))
        truth = sorted(stations, key=ranking.walk_key)
        limit = rng.randint(1, 6)
        after, seen = None, []
        while True:
            fetched = rng.randint(1, 4)
            while True:
                prefix = stations[:fetched]
                farthest = None if fetched >= len(stations) else prefix[-1]["distance_m"]
                page, final = ranking.walk_page(prefix, after, limit, farthest)
                if final:
                    break
                fetched *= 2
            start = len(seen)
            assert [r["id"] for r in page] == [r["id"] for r in truth[start : start + limit]]
            seen += page
            if len(page) < limit or len(seen) == len(stations):
                break
            after = ranking.walk_key(page[-1])
        assert sorted(r["id"] for r in seen) == sorted(r["id"] for r in stations)


def test_cursor_round_trip_and_garbage() -> None:
    state = {"v": 1, "q": "abc", "m": "walk", "n": 5, "k": [None, 120.5, 7]}
    assert ranking.decode_cursor(ranking.encode_cursor(state)) == state
    for bad in ("", "!!!", "bm90IGpzb24", ranking.encode_cursor([1, 2])):  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            ranking.decode_cursor(bad)
