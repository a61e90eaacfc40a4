"""``make bench``: run every bench/*.py with ``--quick`` and print ONE table of their figures.

Each benchmark prints its own figures, then a last ``BENCH_JSON {...}`` line (the
convention is in bench/_report.py): median and spread over its runs, the baseline it
measured in the same run and the ratio to it. This runner reads that line from each and
prints one Markdown table, with the date, the machine and the load average at the start
(and at the start of each bench). A bench without the line is listed as such; a bench
that fails makes the whole run fail after the table is printed.

Run: ``.venv/bin/python bench/table.py [--only coverage_,beds_] [--timeout 900]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PREFIX = "BENCH_JSON "


def machine() -> str:
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024**2:.0f} GB"
    except (OSError, ValueError, IndexError):
        pass
    return f"{platform.machine()}, {os.cpu_count()} cores{mem}, {platform.system()} {platform.release()}"


def benches(only: str) -> list[Path]:
    """Every benchmark: bench/*.py with a ``--quick`` option (helpers and data writers
    such as coverage_andorra_sample.py have none)."""
    return [
        p
        for p in sorted(HERE.glob("*.py"))
        if not p.name.startswith("_")
        and p.name != "table.py"
        and any(part in p.stem for part in only.split(","))
        and '"--quick"' in p.read_text(encoding="utf-8")
    ]


def run(path: Path, timeout: float) -> tuple[dict | None, str, float]:
    """(its BENCH_JSON, a note, seconds taken)."""
    t0 = time.perf_counter()
    try:
        p = subprocess.run(
            [sys.executable, str(path), "--quick"],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None, f"stopped after {timeout:.0f} s", time.perf_counter() - t0
    took = time.perf_counter() - t0
    if p.returncode:
        tail = (p.stderr or p.stdout).strip().splitlines()[-1:] or [""]
        return None, f"FAILED (exit {p.returncode}): {tail[0][:120]}", took
    lines = [x for x in p.stdout.splitlines() if x.startswith(PREFIX)]
    if not lines:
        return None, "ran; no BENCH_JSON line yet (see bench/_report.py)", took
    return json.loads(lines[-1][len(PREFIX) :]), "", took


def fmt(x: float | None, unit: str = "") -> str:
    if x is None:
        return ""
    text = f"{x:.3g}" if abs(x) < 100 else f"{x:,.0f}"
    return f"{text} {unit}".strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--only",
        default="",
        help="run the benches whose name contains this (several: comma-separated)",
    )
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per bench")
    args = ap.parse_args()
    start = [round(x, 2) for x in os.getloadavg()]
    print(f"# make bench — {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {machine()}")
    print(f"load average at start: {start[0]} / {start[1]} / {start[2]}\n")
    table = [
        "| bench | figure | median | spread | runs | baseline (same run) | ratio | load at bench start |",
        "|---|---|---|---|---|---|---|---|",
    ]
    failed = False
    t_all = time.perf_counter()
    for path in benches(args.only):
        print(f"running {path.name} --quick ...", flush=True)
        result, note, took = run(path, args.timeout)
        failed |= note.startswith(("FAILED", "stopped"))
        if result is None:
            table.append(f"| {path.stem} | ({note}; {took:.0f} s) | | | | | | |")
            continue
        load = "/".join(f"{x:g}" for x in result.get("load_avg", []))
        for r in result["rows"]:
            ratio = r.get("ratio")
            better = r.get("better", "lower")
            ratio_text = f"{ratio:.3g}× ({better} is better)" if ratio is not None else ""
            table.append(
                f"| {result['bench']} | {r['name']} | {fmt(r['median'], r['unit'])} | "
                f"{fmt(r['spread'], r['unit'])} | {r['runs']} | {r.get('baseline') or ''} | "
                f"{ratio_text} | {load} |"
            )
    print()
    print("\n".join(table))
    print(f"\n({time.perf_counter() - t_all:.0f} s in all; ratio = median / baseline's median)")
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
