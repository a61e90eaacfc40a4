"""Chinese (default) and English words of plan reports, and numbers as a report shows them (pure)."""

from __future__ import annotations

import re
from typing import Literal

from services.beds.plans.comparators import SYMBOLS
from services.beds.plans.definitions import Definition

Lang = Literal["zh", "en"]

STATUS = {
    "zh": {"met": "达标", "not_met": "未达标", "no_data": "无数据"},
    "en": {"met": "met", "not_met": "not met", "no_data": "no data"},
}
KIND = {
    "zh": {"binding": "约束性", "expected": "预期性", None: "未注明"},
    "en": {"binding": "binding", "expected": "expected", None: "not stated"},
}
SCOPE = {
    "zh": {"own": "本级目标", "inherited": "上级目标"},
    "en": {"own": "own target", "inherited": "target of {region}"},
}
COLUMNS: dict[str, tuple[str, str]] = {
    "no": ("序号", "No."),
    "indicator": ("指标", "Indicator"),
    "indicator_id": ("指标代码", "Indicator id"),
    "scope": ("目标层级", "Target of"),
    "target": ("目标", "Target"),
    "target_year": ("目标年份", "Target year"),
    "kind": ("属性", "Kind"),
    "baseline": ("基期值", "Baseline"),
    "value": ("当前值", "Value"),
    "parts": ("分子 / 分母", "Numerator / denominator"),
    "status": ("状态", "Status"),
    "gap": ("差距", "Gap"),
    "projection": ("按趋势预计", "Projection"),
    "worst": ("拖后的下级地区", "Sub-regions below target"),
    "provenance": ("数据来源", "Data source"),
    "definition": ("指标定义", "Definition"),
    "document": ("规划文件", "Plan"),
    "quote": ("规划原文", "Quoted line"),
    "note": ("备注", "Note"),
    "unit": ("单位", "Unit"),
}
UNITS = {
    "zh": {
        "share": "%",
        "count": "个",
        "beds": "张",
        "per_1000": "每千人",
        "per_100": "每百张",
        "yuan_100m": "亿元",
    },
    "en": {
        "share": "%",
        "count": "count",
        "beds": "beds",
        "per_1000": "per 1,000",
        "per_100": "per 100",
        "yuan_100m": "100 million yuan",
    },
}
TITLE = {
    "zh": "{name}（{code}）规划指标监测报告 — {period}",
    "en": "Plan monitoring report: {name} ({code}) — {period}",
}
NOTES = {
    "zh": (
        "床位指标取当月床位报表；设施与辖区指标取设施登记库的当前状态（登记库不保存月度历史）；"
        "覆盖率取覆盖率服务对本地区最近一次完成的计算；上报指标取区县当月上报数（下级全部上报时汇总）。"
        "“按趋势预计”：以截至本月的最近12个月数据（至少3个月）作最小二乘直线，读取目标年份12月的值。",
    ),
    "en": (
        "Bed indicators come from the month's bed reports; registry indicators from the facility "
        "registry as it is now (it keeps no monthly history); circle shares from the coverage "
        "service's latest finished run for the region; reported indicators from the month's district "
        "reports (summed when every sub-region reported). Projection: least-squares line through the "
        "last 12 months' values up to this month (at least 3), read at December of the target year.",
    ),
}
# Reasons a figure is missing, as the code words them → Chinese.
MISSING_ZH: tuple[tuple[str, str], ...] = (
    (r"^no bed reports this month$", "当月无床位报表"),
    (r"^no beds reported this month$", "当月无床位"),
    (r"^no institutional beds reported this month$", "当月无养老机构床位报表"),
    (r"^no population: .*$", "无人口数（该地区无60岁及以上人口数）"),
    (r"^no county-level unit here$", "不含县级单位"),
    (r"^no streets/towns of this kind loaded here$", "未载入此类乡镇（街道）"),
    (r"^no communities/villages of this kind loaded here$", "未载入此类社区（村）"),
    (
        r"^no urban community facility with a recorded operation mode$",
        "无登记运营方式的城市社区设施",
    ),
    (r"^no urban community station registered$", "未登记城市社区养老服务站"),
    (r"^no township home with a recorded operation mode$", "无登记运营方式的敬老院"),
    (r"^no active institution registered$", "未登记在用养老机构"),
    (r"^not reported$", "未上报"),
    (r"^(\d+) of (\d+) sub-regions reported$", r"\2个下级地区中\1个已上报"),
    (r"^(\d+) of (\d+) county-level units reported$", r"\2个县级单位中\1个已上报"),
    (r"^reported as bare shares: they do not add up$", "下级仅上报比例，无法汇总"),
    (r"^social workers (.*)$", r"社会工作者：\1"),
    (r"^no coverage service configured$", "未配置覆盖率服务"),
    (r"^coverage service unreachable.*$", "覆盖率服务无法连接"),
    (r"^coverage service answered (\d+)$", r"覆盖率服务返回 \1"),
    (r"^no finished coverage run for this region$", "本地区无已完成的覆盖率计算"),
    (
        r"^the latest coverage run is (\S+) minutes, not (\d+)$",
        r"最近一次覆盖率计算为\1分钟，不是\2分钟",
    ),
    (r"^no elderly in the run's demand$", "覆盖率计算中无老年人"),
    (r"^not applicable$", "不适用"),
    (r"^not kept for past months$", "往月不保存"),
)


PROVENANCE_ZH: tuple[tuple[str, str], ...] = (
    (r"^bed reports (\d{4}-\d{2}) \((\d+) facilities\)$", r"\1 床位报表（\2 家设施）"),
    (r"^bed reports (\d{4}-\d{2})$", r"\1 床位报表"),
    (r"^facility registry \(now\)$", "设施登记库（当前）"),
    (r"^coverage run (\S+) \((.*), (\d+) min\)$", r"覆盖率计算 #\1（\2，\3 分钟）"),
    (r"^sum of (\d+) sub-regions' reports$", r"\1个下级地区上报数之和"),
    (r"^(.*) \(rev\. (\d+)\)$", r"\1（第\2版）"),
)


def _translated(text: str | None, lang: Lang, table: tuple[tuple[str, str], ...]) -> str:
    if not text or lang == "en":
        return text or ""
    for pattern, words in table:
        if re.match(pattern, text):
            return re.sub(pattern, words, text)
    return text


def missing_text(reason: str | None, lang: Lang) -> str:
    """Why a figure is missing, in the report's language."""
    return _translated(reason, lang, MISSING_ZH)


def provenance_text(provenance: str | None, lang: Lang) -> str:
    """Where a figure comes from, in the report's language."""
    return _translated(provenance, lang, PROVENANCE_ZH)


def number(value: float | None, unit: str, lang: Lang = "zh", *, with_unit: bool = True) -> str:
    """A figure rounded as a report shows it: 57.1%, 26,552, 29.3, 1.25 亿元.

    >>> number(0.57133, "share"), number(26552, "beds"), number(29.289, "per_1000")
    ('57.1%', '26,552', '29.3')
    """
    if value is None:
        return "—"
    if unit == "share":
        text = f"{value * 100:.1f}".removesuffix(".0")
        return text + "%"
    if unit in ("count", "beds"):
        return f"{round(value):,}"
    if unit == "yuan_100m":
        text = f"{value:,.2f}".rstrip("0").rstrip(".")
        return text + (f" {UNITS[lang]['yuan_100m']}" if with_unit else "")
    return f"{value:,.1f}"


def as_written(value: float, unit: str, lang: Lang = "zh") -> str:
    """A threshold or baseline as the plan writes it (59.09%, 7,000), not rounded for display."""
    if unit == "share":
        return f"{value * 100:.2f}".rstrip("0").rstrip(".") + "%"
    if float(value).is_integer():
        return f"{int(value):,}"
    return number(value, unit, lang)


def target_text(
    comparator: str, threshold: float, wording: str | None, unit: str, lang: Lang
) -> str:
    """``> 60%（超过）`` — the comparator with the plan's own words."""
    symbol = SYMBOLS[comparator]  # type: ignore[index]
    base = f"{symbol} {as_written(threshold, unit, lang)}"
    if wording and wording not in SYMBOLS.values():
        return f"{base}（{wording}）" if lang == "zh" else f"{base} ({wording})"
    return base


def label(definition: Definition, lang: Lang) -> str:
    return definition.label_zh if lang == "zh" else definition.label_en


def gap_text(gap: int | None, gap_if_added: int | None, definition: Definition, lang: Lang) -> str:
    if gap is None:
        return ""
    unit = definition.gap_unit_zh if lang == "zh" else definition.gap_unit_en
    if gap == 0:
        return "0"
    bed_share = (
        definition.source == "beds" and definition.is_share and definition.gap_unit_en == "beds"
    )
    if lang == "zh":
        text = f"{gap:,} {unit}" if not bed_share else f"转换 {gap:,} {unit}"
        if bed_share and gap_if_added is not None:
            text += f"，或新增 {gap_if_added:,} {unit}"
        return text
    text = f"{gap:,} {unit}" if not bed_share else f"{gap:,} {unit} converted"
    if bed_share and gap_if_added is not None:
        text += f", or {gap_if_added:,} new {unit}"
    return text
