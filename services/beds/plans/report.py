"""A plan-monitoring report a bureau can hand in: HTML, Excel (.xlsx) or CSV, Chinese or English.

Rows come from :func:`assessment.assess`: one per target (binding first), then every
indicator with its value, definition and data source, so each figure can be traced
to its definition and each target to the plan's own line. Numbers are rounded as a
report shows them (57.1%, 26,552); the CSV is UTF-8 with a byte-order mark, which
Excel on Chinese Windows needs to read it as UTF-8.
"""

from __future__ import annotations

import csv
import html
import io
from typing import Any, Literal

from services.beds.plans.definitions import BY_ID
from services.beds.plans.labels import (
    COLUMNS,
    KIND,
    NOTES,
    SCOPE,
    STATUS,
    TITLE,
    UNITS,
    Lang,
    as_written,
    gap_text,
    label,
    missing_text,
    number,
    provenance_text,
    target_text,
)

Format = Literal["html", "xlsx", "csv"]
TARGET_COLUMNS = (
    "no",
    "indicator",
    "scope",
    "target",
    "target_year",
    "kind",
    "baseline",
    "value",
    "parts",
    "status",
    "gap",
    "projection",
    "worst",
    "provenance",
    "definition",
    "document",
    "quote",
    "note",
    "indicator_id",
)
INDICATOR_COLUMNS = (
    "indicator",
    "value",
    "parts",
    "unit",
    "status",
    "provenance",
    "definition",
    "indicator_id",
)
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def heading(column: str, lang: Lang) -> str:
    zh, en = COLUMNS[column]
    return zh if lang == "zh" else en


def _parts(item: dict[str, Any], unit: str, lang: Lang) -> str:
    """``15,170 / 26,552``: the counts a share or rate is made of (people, beds, units)."""
    num, den = item.get("numerator"), item.get("denominator")
    if item.get("value") is None or num is None or den is None:
        return ""
    if unit not in ("share", "per_1000", "per_100"):
        return ""
    return f"{number(num, 'count', lang)} / {number(den, 'count', lang)}"


def _projection(item: dict[str, Any], unit: str, lang: Lang, period: str) -> str:
    p = item["projection"]
    if p["at"] <= period:  # the target year is over: judged on the current value
        return (
            f"目标年份（{item['target_year']}）已过"
            if lang == "zh"
            else f"target year {item['target_year']} is over"
        )
    if p["projected"] is None:
        return (
            f"历史数据不足（{p['points']}个月）"
            if lang == "zh"
            else f"not enough history ({p['points']} months)"
        )
    value = number(p["projected"], unit, lang)
    if lang == "zh":
        return f"{p['at']} 预计 {value}，" + ("可按期达标" if p["on_track"] else "难以按期达标")
    return f"{value} by {p['at']}: " + ("on track" if p["on_track"] else "off track")


def _worst(item: dict[str, Any], unit: str, lang: Lang) -> str:
    sep = "；" if lang == "zh" else "; "
    return sep.join(
        f"{c['region_name'] or c['region']} {number(c['value'], unit, lang)}"
        for c in item["worst_children"]
    )


def _status(item: dict[str, Any], lang: Lang) -> str:
    text = STATUS[lang][item["status"]]
    if item["status"] == "no_data" and item.get("missing"):
        reason = missing_text(item["missing"], lang)
        return f"{text}（{reason}）" if lang == "zh" else f"{text} ({reason})"
    return text


def target_rows(report: dict[str, Any], lang: Lang) -> list[dict[str, str]]:
    """One row of text per target, in the report's order (binding first)."""
    rows = []
    for n, item in enumerate(report["targets"], start=1):
        definition = BY_ID[item["indicator"]]
        unit = definition.unit
        scope = SCOPE[lang][item["scope"]].format(
            region=item["target_region_name"] or item["target_region"]
        )
        if item["scope"] == "inherited" and lang == "zh":
            scope += f"（{item['target_region_name'] or item['target_region']}）"
        baseline = ""
        if item["baseline"] is not None:
            baseline = f"{as_written(item['baseline'], unit, lang)}（{item['baseline_year']}）"
        quote = f"「{item['source_line']}」" if lang == "zh" else f"“{item['source_line']}”"
        if item["source_table"]:
            quote += ("；指标表：" if lang == "zh" else "; indicator table: ") + item[
                "source_table"
            ]
        rows.append(
            {
                "no": str(n),
                "indicator": label(definition, lang),
                "indicator_id": item["indicator"],
                "scope": scope,
                "target": target_text(
                    item["comparator"], item["threshold"], item["wording"], unit, lang
                ),
                "target_year": str(item["target_year"]),
                "kind": KIND[lang][item["kind"]],
                "baseline": baseline,
                "value": number(item["value"], unit, lang),
                "parts": _parts(item, unit, lang),
                "status": _status(item, lang),
                "gap": gap_text(item["gap"], item["gap_if_added"], definition, lang),
                "projection": _projection(item, unit, lang, report["period"]),
                "worst": _worst(item, unit, lang),
                "provenance": provenance_text(item["provenance"], lang),
                "definition": definition.definition_zh
                if lang == "zh"
                else definition.definition_en,
                "document": f"{item['source_document']}（{item['source_file']}）"
                if lang == "zh"
                else f"{item['source_document']} ({item['source_file']})",
                "quote": quote,
                "note": item["note"] or "",
            }
        )
    return rows


def indicator_rows(report: dict[str, Any], lang: Lang) -> list[dict[str, str]]:
    rows = []
    for item in report["indicators"]:
        definition = BY_ID[item["indicator"]]
        rows.append(
            {
                "indicator": label(definition, lang),
                "indicator_id": item["indicator"],
                "value": number(item["value"], definition.unit, lang),
                "parts": _parts(item, definition.unit, lang),
                "unit": UNITS[lang][definition.unit],
                "status": missing_text(item["missing"], lang),
                "provenance": provenance_text(item["provenance"], lang),
                "definition": definition.definition_zh
                if lang == "zh"
                else definition.definition_en,
            }
        )
    return rows


def title(report: dict[str, Any], lang: Lang) -> str:
    return TITLE[lang].format(
        name=report["region_name"] or report["region"],
        code=report["region"],
        period=report["period"],
    )


def render_csv(report: dict[str, Any], lang: Lang) -> bytes:
    """One table: a row per target, then a row per indicator without a target; UTF-8 with BOM."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([heading(c, lang) for c in TARGET_COLUMNS])
    targeted = set()
    for row in target_rows(report, lang):
        writer.writerow([row[c] for c in TARGET_COLUMNS])
        targeted.add(row["indicator_id"])
    for row in indicator_rows(report, lang):
        if row["indicator_id"] in targeted:
            continue
        full = {c: "" for c in TARGET_COLUMNS} | {
            k: row[k]
            for k in ("indicator", "indicator_id", "value", "parts", "provenance", "definition")
        }
        full["status"] = row["status"]
        writer.writerow([full[c] for c in TARGET_COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _table(columns: tuple[str, ...], rows: list[dict[str, str]], lang: Lang) -> str:
    head = "".join(f"<th>{html.escape(heading(c, lang))}</th>" for c in columns)
    body = []
    for row in rows:
        cls = ""
        if "status" in row:
            cls = {"达标": "met", "met": "met", "未达标": "not-met", "not met": "not-met"}.get(
                row["status"], ""
            )
        cells = "".join(f"<td>{html.escape(row[c])}</td>" for c in columns)
        body.append(f'<tr class="{cls}">{cells}</tr>')
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def render_html(report: dict[str, Any], lang: Lang) -> bytes:
    heading_text = html.escape(title(report, lang))
    parts = {
        "zh": ("规划目标达标情况（约束性目标在前）", "全部指标", "生成时间"),
        "en": ("Targets (binding first)", "All indicators", "Generated"),
    }[lang]
    doc = f"""<!doctype html>
<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8"><title>{heading_text}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;font-size:13px;margin-bottom:2em}}
td,th{{border:1px solid #999;padding:4px 6px;vertical-align:top}}th{{background:#eee}}
tr.met td:nth-child(10){{color:#176117}}tr.not-met td:nth-child(10){{color:#a11;font-weight:bold}}</style>
</head><body><h1>{heading_text}</h1>
<p>{html.escape(parts[2])}: {html.escape(report["generated_at"])}</p>
<p>{html.escape(NOTES[lang][0])}</p>
<h2>{html.escape(parts[0])}</h2>
{_table(TARGET_COLUMNS, target_rows(report, lang), lang)}
<h2>{html.escape(parts[1])}</h2>
{_table(INDICATOR_COLUMNS, indicator_rows(report, lang), lang)}
</body></html>
"""
    return doc.encode("utf-8")


def render_xlsx(report: dict[str, Any], lang: Lang) -> bytes:
    """Two sheets: targets and indicators; values also as rounded numbers with a number format."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    targets = book.active
    targets.title = "达标情况" if lang == "zh" else "Targets"
    indicators = book.create_sheet("全部指标" if lang == "zh" else "Indicators")
    for sheet, columns, rows, items in (
        (targets, TARGET_COLUMNS, target_rows(report, lang), report["targets"]),
        (indicators, INDICATOR_COLUMNS, indicator_rows(report, lang), report["indicators"]),
    ):
        sheet.append([title(report, lang)])
        sheet.append([heading(c, lang) for c in columns])
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row, item in zip(rows, items, strict=True):
            values: list[Any] = [row[c] for c in columns]
            unit = BY_ID[item["indicator"]].unit
            if item["value"] is not None:  # the value as a number Excel can sum, rounded as shown
                values[columns.index("value")] = _rounded(item["value"], unit)
            sheet.append(values)
            cell = sheet.cell(row=sheet.max_row, column=columns.index("value") + 1)
            cell.number_format = {
                "share": "0.0%",
                "count": "#,##0",
                "beds": "#,##0",
                "yuan_100m": "0.00",
            }.get(unit, "0.0")
        sheet.freeze_panes = "B3"
        for index, column in enumerate(columns, start=1):
            width = 40 if column in ("definition", "quote", "note", "document", "worst") else 16
            sheet.column_dimensions[sheet.cell(row=2, column=index).column_letter].width = width
        for line in sheet.iter_rows(min_row=3):
            for cell in line:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rounded(value: float, unit: str) -> float | int:
    if unit == "share":
        return round(value, 3)
    if unit in ("count", "beds"):
        return int(round(value))
    if unit == "yuan_100m":
        return round(value, 2)
    return round(value, 1)


def render(report: dict[str, Any], fmt: Format, lang: Lang) -> bytes:
    if fmt == "csv":
        return render_csv(report, lang)
    if fmt == "xlsx":
        return render_xlsx(report, lang)
    return render_html(report, lang)


def filename(report: dict[str, Any], fmt: Format) -> str:
    return f"plan_report_{report['region']}_{report['period']}.{fmt}"
