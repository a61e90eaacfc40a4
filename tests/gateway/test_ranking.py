"""Pure helpers of the nearby view, against brute force and hand-worked examples."""

from __future__ import annotations

import itertools
import random
from datetime import datetime

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


HOURS = {
    "mon": [["08:00", "12:00"], ["14:00", "18:00"]],
    "fri": [["20:00", "02:00"]],
    "sun": [["00:00", "24:00"]],
}


@pytest.mark.parametrize(
    ("when", "known"),
    [
        (datetime(2026, 11, 23, 8, 0), True),  # Monday, opening minute
        (datetime(2026, 11, 23, 12, 0), False),  # Monday, closing minute is closed
        (datetime(2026, 11, 23, 13, 0), False),  # lunch break
        (datetime(2026, 11, 23, 17, 59), True),
        (datetime(2026, 11, 24, 10, 0), False),  # Tuesday: no hours listed
        (datetime(2026, 11, 27, 23, 0), True),  # Friday night
        (datetime(2026, 11, 28, 1, 30), True),  # after midnight, still Friday's interval
        (datetime(2026, 11, 28, 2, 0), False),
        (datetime(2026, 11, 29, 23, 59), True),  # Sunday all day
    ],
)
def test_is_open_hand_worked(when: datetime, known: bool) -> None:
    assert ranking.is_open(HOURS, when) is known


def test_is_open_unknown_or_malformed_hours() -> None:
    assert ranking.is_open(None, datetime(2026, 11, 23, 9)) is None
    assert ranking.is_open({"mon": [["8am", "5pm"]]}, datetime(2026, 11, 23, 9)) is None
    assert ranking.is_open({"mon": [["08:00", "25:00"]]}, datetime(2026, 11, 23, 9)) is None
