"""The one-table convention of bench/: every benchmark ends with a ``BENCH_JSON`` line
built by bench/_report.py, and bench/table.py reads it back (bench/README.md).

Static checks over the bench sources (the benchmarks themselves are run on demand, never
here) plus the helpers' arithmetic against plain oracles and one real round trip
through table.py with a tiny benchmark script.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import statistics
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", BENCH / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


table = _load("table")
report = _load("_report")
BENCHES = table.benches("")
#: Benches that build the same line by hand (another area's files, left as they are):
#: they must still print the prefix with the load average.
BUILDS_ITS_OWN_LINE = {"coverage_service_run"}


def test_table_finds_the_benchmarks() -> None:
    names = {p.stem for p in BENCHES}
    # the helpers without --quick are not benchmarks; the ones the README names are
    assert "gateway_wrk" not in names and "coverage_andorra_sample" not in names
    assert {"beds_import", "facilities_import", "gateway_overhead", "plans_report"} <= names


def test_only_takes_several_names() -> None:
    picked = {p.stem for p in table.benches("beds_,facilities_import")}
    assert picked == {p.stem for p in BENCHES if p.stem.startswith(("beds_", "facilities_import"))}
    assert picked and {p.stem for p in table.benches("no_such_bench")} == set()


def _calls_emit_from_report(tree: ast.Module) -> tuple[bool, bool]:
    imported = any(
        isinstance(node, ast.ImportFrom)
        and node.module in ("_report", "bench._report")
        and any(alias.name == "emit" for alias in node.names)
        for node in ast.walk(tree)
    )
    called = any(
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "emit"
        for node in ast.walk(tree)
    )
    return imported, called


@pytest.mark.parametrize("path", BENCHES, ids=lambda p: p.stem)
def test_every_quick_bench_emits_bench_json_via_report(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    if path.stem in BUILDS_ITS_OWN_LINE:
        assert '"BENCH_JSON "' in source and '"load_avg"' in source
        assert f'"bench": "{path.stem}"' in source
        return
    imported, called = _calls_emit_from_report(ast.parse(source))
    assert imported and called, f"{path.name}: end with _report.emit(...) (see bench/_report.py)"
    assert "load_avg" in source or "getloadavg" in source, f"{path.name}: no load average"
    assert f'emit("{path.stem}"' in source, f"{path.name}: emit under its own name"


def test_row_is_median_and_spread() -> None:
    samples = [0.31, 0.2, 0.9, 0.25]
    r = report.row("x", samples, unit="s", baseline="b", better="lower")
    assert r["median"] == statistics.median(samples) == pytest.approx(0.28)
    assert r["spread"] == pytest.approx(0.9 - 0.2)
    assert (r["runs"], r["baseline"], r["unit"]) == (4, "b", "s")


def test_emit_fills_ratios_against_the_named_baseline(capsys: pytest.CaptureFixture[str]) -> None:
    rows = [
        report.row("ours", [2.0, 4.0, 3.0], baseline="theirs"),
        report.row("theirs", [1.0, 1.5, 0.5]),
        report.row("orphan", [1.0, 1.0, 1.0], baseline="missing"),
    ]
    report.emit("demo", rows, [1.0, 2.0, 3.0])
    out = capsys.readouterr().out.splitlines()
    assert out[-1].startswith(report.PREFIX)
    data = json.loads(out[-1][len(report.PREFIX) :])
    by_name = {r["name"]: r for r in data["rows"]}
    assert data["bench"] == "demo" and data["load_avg"] == [1.0, 2.0, 3.0]
    assert by_name["ours"]["ratio"] == pytest.approx(3.0 / 1.0)
    assert by_name["theirs"]["ratio"] is None and by_name["orphan"]["ratio"] is None


def test_table_reads_a_bench_back(tmp_path: Path) -> None:
    """A real bench script run the way table.py runs them (``--quick``, its own process)."""
    script = tmp_path / "tiny_bench.py"
    script.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(BENCH)!r})\n"
        "from _report import emit, load_avg, row\n"
        "assert sys.argv[1:] == ['--quick']\n"
        "print('human-readable figures first')\n"
        "emit('tiny', [row('a', [1.0, 3.0, 2.0], baseline='b'), row('b', [4.0, 4.0, 4.0])],"
        " load_avg())\n",
        encoding="utf-8",
    )
    result, note, _took = table.run(script, timeout=60)
    assert note == "" and result is not None
    assert [r["name"] for r in result["rows"]] == ["a", "b"]
    assert result["rows"][0]["ratio"] == pytest.approx(0.5)
    assert len(result["load_avg"]) == 3


def test_table_reports_a_bench_without_the_line(tmp_path: Path) -> None:
    script = tmp_path / "silent_bench.py"
    script.write_text("print('figures, but no last line')\n", encoding="utf-8")
    result, note, _took = table.run(script, timeout=60)
    assert result is None and "no BENCH_JSON" in note


def test_wrk_figures_rows_are_rates_and_latencies() -> None:
    sys.path.insert(0, str(BENCH.parent))
    from bench.gateway_wrk import WrkResult, median_run, wrk_figures

    runs = [WrkResult("via", rps, p50, 0.0, 0) for rps, p50 in ((90, 3.0), (120, 2.0), (100, 2.5))]
    rate, latency = wrk_figures("via", runs, baseline="direct")
    assert (rate["median"], rate["spread"], rate["better"]) == (100, 30, "higher")
    assert (latency["name"], latency["median"], latency["baseline"]) == (
        "via p50",
        2.5,
        "direct p50",
    )
    assert median_run(runs).rps == 100
