"""Every seeded plan target against its plan: the quoted line is verbatim, the figures and words agree."""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from services.beds.plans.comparators import exact
from services.beds.plans.definitions import BY_ID
from services.beds.seeds import PLAN_TARGETS

PLANS_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "plans"
# What a comparator is when the plan words it so (README of ../shared/plans).
WORDS = {
    "gt": ("超过",),
    "ge": (
        "以上",
        "不低于",
        "达到",
        "达",
        "全覆盖",
        "覆盖所有",
        "不少于",
        "≥",
        "全面",
        "各",
        "所有",
        "建有",
        "每个",
        "设置",
        "建成",
        "新增",
        "培育",
        "均拥有",
        "个",
        "100",
    ),
    "le": ("不超过", "≤"),
}
FULL = ("全覆盖", "覆盖所有", "所有", "全面", "每个", "各")  # "every …": the threshold is 100 %


def lines_of(name: str) -> list[str]:
    path = PLANS_DIR / name
    if not path.is_file():
        pytest.fail(f"plan file {path} not found; CI lays ../shared beside the clone")
    return path.read_text(encoding="utf-8").splitlines()


def as_written(cell: str, unit: str) -> Fraction:
    """A table cell's figure as the exact value stored (percent cells divided by 100)."""
    return Fraction(cell) / (100 if unit == "share" else 1)


def ids(target: dict[str, Any]) -> str:
    return f"{target['region_code']}-{target['indicator']}"


@pytest.mark.parametrize("target", PLAN_TARGETS, ids=ids)
def test_the_quoted_line_is_in_the_file_verbatim(target: dict[str, Any]) -> None:
    lines = lines_of(target["source_file"])
    assert "\n" not in target["source_line"]
    assert any(target["source_line"] in line for line in lines), target["source_line"]


@pytest.mark.parametrize("target", PLAN_TARGETS, ids=ids)
def test_figure_wording_kind_and_year_agree_with_the_text(target: dict[str, Any]) -> None:
    line, table = target["source_line"], target["source_table"]
    cells = table.split(" | ") if table else []
    text = line + " " + " ".join(cells)
    # the comparator's own words are in the text, and they mean this comparator
    for piece in target["wording"].split("…"):
        assert piece in text, (piece, text)
    assert any(word in target["wording"] for word in WORDS[target["comparator"]]), target
    if target["comparator"] == "ge":
        assert "超过" not in target["wording"] and "不超过" not in target["wording"]
    # the threshold is the figure written (shares as fractions), or 100 % for "every …"
    unit = BY_ID[target["indicator"]].unit
    figure = target["threshold"] * 100 if unit == "share" else target["threshold"]
    written = f"{figure:g}"
    numbers = re.findall(r"\d+(?:\.\d+)?", text)
    if written in numbers or f"{figure:.0f}" in numbers:
        pass
    else:
        assert any(word in target["wording"] for word in FULL), (written, text)
        assert target["threshold"] == 1.0
    # binding (约束性) / expected (预期性) only where an indicator table says so
    if cells:
        assert cells[-1] in ("约束性", "预期性")
        assert target["binding"] is (cells[-1] == "约束性")
    else:
        assert target["binding"] is None
    # the target year: the one the line names, else 2025 (the 14th plan's last year)
    named = re.findall(r"(20\d\d)年", line)
    if target["source_file"].startswith("xiamen-2023"):
        assert target["target_year"] == 2023
    elif named:
        assert target["target_year"] == int(named[0])
    else:
        assert target["target_year"] in (2022, 2025)


@pytest.mark.parametrize("target", [t for t in PLAN_TARGETS if t["source_table"]], ids=ids)
def test_table_rows_are_consecutive_cells_of_the_file(target: dict[str, Any]) -> None:
    cells = target["source_table"].split(" | ")
    filled = [line.strip() for line in lines_of(target["source_file"]) if line.strip()]
    starts = [i for i in range(len(filled)) if filled[i : i + len(cells)] == cells]
    assert starts, cells
    # the 2025 column (just before 指标属性) holds the threshold, with its ≥/≤ when written
    goal = cells[-2]
    unit = BY_ID[target["indicator"]].unit
    assert as_written(goal.lstrip("≥≤"), unit) == exact(target["threshold"])
    if goal[0] in "≥≤":
        assert target["comparator"] == {"≥": "ge", "≤": "le"}[goal[0]]
    if target["baseline"] is not None:  # the 2020 column
        assert as_written(cells[-3], unit) == exact(target["baseline"])


def test_the_known_wrong_ones_are_right_now() -> None:
    by_key = {(t["region_code"], t["indicator"]): t for t in PLAN_TARGETS}
    yubei = "500112000000"
    assert by_key[(yubei, "nursing_share")]["binding"] is True
    assert by_key[(yubei, "government_operated_share")]["binding"] is True
    assert by_key[(yubei, "total_beds")]["binding"] is False
    assert BY_ID["total_beds"].label_zh == "养老服务床位"
    assert by_key[("350600000000", "nursing_share")]["comparator"] == "gt"
    county = by_key[("520200000000", "county_has_70pct_nursing_facility")]
    assert (county["comparator"], county["threshold"]) == ("ge", 1.0)


def test_every_target_names_a_known_indicator_and_the_plans_region() -> None:
    readme = (PLANS_DIR / "README.md").read_text(encoding="utf-8")
    for target in PLAN_TARGETS:
        assert target["indicator"] in BY_ID
        row = next(line for line in readme.splitlines() if target["source_file"] in line)
        city = re.search(r"(\d{12})", row)
        assert city and target["region_code"].startswith(city.group(1).rstrip("0")[:4]), target
