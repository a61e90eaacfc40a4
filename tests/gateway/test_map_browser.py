"""The /map page in a real browser (Debian's headless Chromium driven by chromedriver through
selenium) against `carecircle demo --base-port N`: the page loads with no failed request, its
layers draw as many features as the APIs hold, the legend shows, a region click opens its
dashboard, a what-if changes the coverage figure, and /docs renders the operations.

Every host but 127.0.0.1 resolves to nothing, as on an intranet without internet. With
``CARECIRCLE_MAP_SCREENSHOTS=docs/screenshots`` the main states are saved as PNGs there.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.servers import free_port_block

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.live,
    pytest.mark.skipif(
        CHROMIUM is None or CHROMEDRIVER is None,
        reason="needs Debian's chromium and chromium-driver (scripts/ensure_services.sh)",
    ),
]
webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

DEMO_UP_S = 300  # the demo builds its dataset and runs its 15-minute circle first
WAIT_S = 90
SCREENSHOTS = os.environ.get("CARECIRCLE_MAP_SCREENSHOTS", "")


class Demo:
    def __init__(self, base: str, key: str) -> None:
        self.base = base
        self.key = key

    def get(self, path: str, **params: Any) -> Any:
        answer = httpx.get(
            self.base + path, params=params, headers={"X-API-Key": self.key}, timeout=60
        )
        answer.raise_for_status()
        return answer.json()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """`carecircle demo --base-port N` in a scratch folder, and a planner's API key for it."""
    cwd = tmp_path_factory.mktemp("map-demo")
    base_port = free_port_block(4)
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_DATABASE_URL", "_URL"))}
    env.pop("CARECIRCLE_IDENTITY_SECRET", None)
    log = (cwd / "demo.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "demo", "--base-port", str(base_port)],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        _wait_for_line(proc, "CareCircle demo is up", DEMO_UP_S, cwd / "demo.log")
        key = subprocess.run(
            [sys.executable, "-m", "services.cli", "apikey", "create", "--role", "planner"],
            cwd=cwd,
            env={**env, "GATEWAY_DATABASE_URL": f"sqlite:///{cwd / 'var/demo/gateway.sqlite3'}"},
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.strip()
        yield Demo(f"http://127.0.0.1:{base_port}", key)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
        log.close()


def _wait_for_line(proc: subprocess.Popen[str], text: str, timeout_s: float, log: Path) -> None:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise AssertionError(f"demo exited early:\n{log.read_text()[-4000:]}")
        if text in line:
            return
    raise AssertionError(f"no {text!r} within {timeout_s} s:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("map-downloads")


@pytest.fixture(scope="module")
def browser(downloads: Path) -> Iterator[WebDriver]:
    options = Options()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,800",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(WAIT_S)
    driver.set_script_timeout(WAIT_S)
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def page(browser: WebDriver) -> Iterator[WebDriver]:
    """The browser with its logs drained before the test; after it, no request may have failed."""
    browser.set_window_size(1280, 800)
    failed_requests(browser)
    yield browser
    assert failed_requests(browser) == []


def failed_requests(driver: WebDriver) -> list[str]:
    """Requests answered ≥ 400 or not answered, and console errors, since the last call."""
    out = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message["method"] == "Network.responseReceived":
            response = params["response"]
            if response["status"] >= 400:
                out.append(f"{response['status']} {response['url']}")
        elif message["method"] == "Network.loadingFailed":
            out.append(f"failed: {params.get('errorText')} ({params.get('type')})")
    out += [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    return out


def wait_for(driver: WebDriver, script: str, *args: Any, timeout_s: float = WAIT_S) -> Any:
    """The first truthy value of ``script`` (JavaScript, ``return …``), polled."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = driver.execute_script(script, *args)
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for: {script}")


def open_map(driver: WebDriver, base: str, key: str | None = None, lang: str = "zh") -> None:
    """The page with ``key`` (or none) in localStorage, ready (every layer it loads drawn)."""
    driver.get(base + "/healthz")  # same origin, no page script: storage is set before it runs
    driver.execute_script(
        "localStorage.clear(); localStorage.setItem('carecircle.lang', arguments[0]);"
        "if (arguments[1]) localStorage.setItem('carecircle.apiKey', arguments[1]);",
        lang,
        key,
    )
    driver.get(base + "/map")
    wait_for(driver, "return document.body.dataset.state === 'ready'")


def counts(driver: WebDriver) -> dict[str, int]:
    return dict(driver.execute_script("return window.careMap.counts()"))


def shot(driver: WebDriver, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(SCREENSHOTS) / f"{name}.png"))


def click_at(driver: WebDriver, lat: float, lon: float) -> None:
    """A real mouse click on the map at (lat, lon)."""
    point = driver.execute_script(
        "const p = window.careMap.map.latLngToContainerPoint([arguments[0], arguments[1]]);"
        "const size = window.careMap.map.getSize(); return [p.x - size.x / 2, p.y - size.y / 2];",
        lat,
        lon,
    )
    element = driver.find_element(By.ID, "map")
    ActionChains(driver).move_to_element_with_offset(
        element, int(point[0]), int(point[1])
    ).click().perform()


def texts(driver: WebDriver, selector: str) -> list[str]:
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, selector)]


# --- the tests ---------------------------------------------------------------------------------


def test_root_leads_to_the_map_and_public_layers_draw_without_a_key(
    demo: Demo, page: WebDriver
) -> None:
    assert httpx.get(demo.base + "/", follow_redirects=False).headers["location"].endswith("/map")
    open_map(page, demo.base)
    snapshot = demo.get("/api/v1/facilities/snapshot")["items"]
    streets = demo.get("/api/v1/coverage/streets")["features"]
    level = Select(page.find_element(By.ID, "level-select")).first_selected_option.get_attribute(
        "value"
    )
    regions = [r for r in demo.get("/api/v1/regions", limit=1000)["items"] if r["level"] == level]

    drawn = counts(page)
    assert len(page.find_elements(By.CSS_SELECTOR, "path.cc-facility")) == len(snapshot) > 0
    assert len(page.find_elements(By.CSS_SELECTOR, "path.cc-region")) == len(regions) > 1
    assert drawn["streets"] == len(streets) > 100
    assert drawn["gaps"] == 0 and drawn["choropleth"] == 0  # members' layers wait for a key

    # The legend: one entry per facility type, with the number drawn.
    by_type: dict[str, int] = {}
    for item in snapshot:
        by_type[item["type"]] = by_type.get(item["type"], 0) + 1
    entries = page.find_elements(By.CSS_SELECTOR, "#legend li.cc-legend-item")
    assert {e.get_attribute("data-type"): int(e.text.split()[-1]) for e in entries} == by_type
    assert all(e.is_displayed() for e in entries)
    assert "API" in page.find_element(By.ID, "status").text  # asks for a key
    shot(page, "map-public")


def test_a_key_entered_once_shows_coverage_gaps_and_a_choropleth(
    demo: Demo, page: WebDriver
) -> None:
    open_map(page, demo.base)
    page.find_element(By.ID, "key-button").click()
    page.find_element(By.ID, "key-input").send_keys(demo.key)
    page.find_element(By.ID, "key-save").click()
    wait_for(page, "return document.getElementById('coverage-figure').dataset.value")
    wait_for(page, "return document.body.dataset.state === 'ready'")

    page.refresh()  # kept: entered once
    wait_for(page, "return document.body.dataset.state === 'ready'")
    assert page.execute_script("return localStorage.getItem('carecircle.apiKey')") == demo.key
    root = next(r for r in demo.get("/api/v1/regions", limit=1000)["items"] if not r["parent_code"])
    latest = demo.get(f"/api/v1/coverage/regions/{root['code']}/latest")
    figure = page.find_element(By.ID, "coverage-figure")
    assert float(figure.get_attribute("data-value")) == pytest.approx(
        latest["covered_share_by_elderly"]
    )
    assert f"{latest['covered_share_by_elderly'] * 100:.1f}" in figure.text

    gaps = demo.get(f"/api/v1/coverage/runs/{latest['run_id']}/gaps")["features"]
    assert len(page.find_elements(By.CSS_SELECTOR, "path.cc-gap")) == len(gaps) > 0
    ranked = texts(page, "#gap-list li")
    assert len(ranked) == min(20, len(gaps))
    worst = gaps[0]["properties"]
    assert f"{worst['uncovered_elderly']:.0f}" in ranked[0].replace(",", "")

    drawn = counts(page)
    assert drawn["choropleth"] == drawn["regions"]
    fills = {p.get_attribute("fill") for p in page.find_elements(By.CSS_SELECTOR, "path.cc-region")}
    assert len(fills) > 1 and "#ffffff" not in fills  # coloured by value, every region
    assert texts(page, "#choropleth-legend li")
    shot(page, "map-overview")


def test_a_region_click_opens_its_dashboard_with_targets_met_or_not(
    demo: Demo, page: WebDriver
) -> None:
    open_map(page, demo.base, key=demo.key)
    Select(page.find_element(By.ID, "level-select")).select_by_value("street")
    streets = sorted(
        (r for r in demo.get("/api/v1/regions", limit=1000)["items"] if r["level"] == "street"),
        key=lambda r: r["code"],
    )
    assert len(page.find_elements(By.CSS_SELECTOR, "path.cc-region")) == len(streets)
    region = streets[0]
    point = page.execute_script("return window.careMap.regionPoint(arguments[0])", region["code"])
    assert point, "no visible point of the region to click"
    click_at(page, point[0], point[1])
    wait_for(page, "return document.querySelector('#dashboard:not(.loading) table.indicators')")
    dashboard = page.find_element(By.ID, "dashboard")
    assert dashboard.is_displayed()
    assert region["name"] in dashboard.find_element(By.TAG_NAME, "h2").text
    expected = demo.get(f"/api/v1/regions/{region['code']}/dashboard")
    statuses = {
        r.get_attribute("data-indicator"): r.get_attribute("data-status")
        for r in dashboard.find_elements(By.CSS_SELECTOR, "tr.cc-indicator")
        if r.get_attribute("data-status")
    }
    known = {
        c["indicator"]: ("no_data" if c["met"] is None else "met" if c["met"] else "not_met")
        for c in expected["beds"]["compliance"]
    }
    assert known and all(statuses[k] == v for k, v in known.items())
    assert {"met", "not_met"} & set(statuses.values())
    shot(page, "map-dashboard")


def test_a_facility_click_shows_its_record_and_latest_beds(demo: Demo, page: WebDriver) -> None:
    open_map(page, demo.base, key=demo.key)
    homes = [
        f for f in demo.get("/api/v1/facilities/snapshot")["items"] if f["type"] == "nursing_home"
    ]
    home = homes[0]
    beds = demo.get(f"/api/v1/beds/facilities/{home['id']}/current")
    page.execute_script(
        "window.careMap.map.setView([arguments[0], arguments[1]], 17, {animate: false})",
        home["lat"],
        home["lon"],
    )
    click_at(page, home["lat"], home["lon"])
    wait_for(page, "return document.querySelector('#facility dl.facts + h3')")
    record = page.find_element(By.ID, "facility")
    assert home["name"] in record.text
    assert str(beds["total_beds"]) in record.text and beds["period"] in record.text


def test_a_what_if_station_changes_the_coverage_figure_and_downloads_its_result(
    demo: Demo, page: WebDriver, downloads: Path
) -> None:
    open_map(page, demo.base, key=demo.key)
    before = float(page.find_element(By.ID, "coverage-figure").get_attribute("data-value") or "nan")
    root = next(r for r in demo.get("/api/v1/regions", limit=1000)["items"] if not r["parent_code"])
    run_id = demo.get(f"/api/v1/coverage/regions/{root['code']}/latest")["run_id"]
    # Where the siting route says one new station covers the most people (a gap's centre may
    # lie on a street cut off from the rest, where a station reaches no one).
    siting = httpx.post(
        f"{demo.base}/api/v1/coverage/runs/{run_id}/siting",
        json={"k": 1},
        headers={"X-API-Key": demo.key},
        timeout=120,
    ).json()
    site = siting["chosen"][0]
    assert site["marginal_elderly"] > 0
    lat, lon = site["lat"], site["lon"]

    page.execute_script(
        "window.careMap.map.setView([arguments[0], arguments[1]], 18, {animate: false})", lat, lon
    )
    free = page.execute_script(
        "return window.careMap.freePoint(arguments[0], arguments[1])", lat, lon
    )
    page.find_element(By.ID, "whatif-add").click()
    click_at(page, free[0], free[1])
    assert counts(page)["scenario"] == 1
    assert len(texts(page, "#whatif-changes li")) == 1
    page.find_element(By.ID, "whatif-run").click()
    result = wait_for(
        page, "return document.getElementById('whatif-result').dataset.run", timeout_s=240
    )
    after = float(page.find_element(By.ID, "coverage-figure").get_attribute("data-value"))
    assert after == pytest.approx(float(result))
    assert after > before  # the new station covers people who were not
    assert "→" in page.find_element(By.ID, "whatif-result").text
    buttons = page.find_elements(By.CSS_SELECTOR, "#whatif-downloads button.download")
    assert len(buttons) == 5
    run_id = int(page.find_element(By.ID, "whatif-result").get_attribute("data-scenario"))
    name = f"carecircle-scenario-{run_id}"
    for button in buttons:
        button.click()
    saved = {
        suffix: _downloaded(downloads / f"{name}-{suffix}")
        for suffix in ("summary.json", "gaps.geojson", "gaps.gpkg", "points.xlsx", "points.csv")
    }
    summary = json.loads(saved["summary.json"])
    assert summary == demo.get(f"/api/v1/coverage/runs/{run_id}/summary")
    assert summary["covered_share_by_elderly"] == pytest.approx(after)
    gaps = json.loads(saved["gaps.geojson"])
    assert gaps == demo.get(f"/api/v1/coverage/runs/{run_id}/gaps")
    assert saved["gaps.gpkg"].startswith(b"SQLite format 3\x00")  # a GeoPackage for QGIS
    assert saved["points.xlsx"].startswith(b"PK")  # an xlsx (zip)
    csv_lines = saved["points.csv"].decode("utf-8-sig").splitlines()
    assert len(csv_lines) == summary["demand_points"] + 1  # every point, with a header
    page.execute_script(
        "window.careMap.fitAll(); document.getElementById('whatif-box').scrollIntoView()"
    )
    shot(page, "map-whatif")


def _scenario_share(demo: Demo, run: dict[str, Any], close: list[str]) -> float:
    """The coverage share of the baseline run's inputs with ``close`` stations closed (API)."""
    summary = demo.get(f"/api/v1/coverage/runs/{run['id']}/summary")
    body = {
        "network_id": run["network_id"],
        "demand_set_id": run["demand_set_id"],
        **{k: run["params"][k] for k in ("minutes", "speed_mps", "max_snap_m", "gap_resolution")},
        "station_query": {
            "type": [row["type"] for row in summary["by_facility_type"]],
            "status": ["active"],
        },
        "close_stations": close,
    }
    queued = httpx.post(
        f"{demo.base}/api/v1/coverage/runs", json=body, headers={"X-API-Key": demo.key}, timeout=60
    ).json()
    for _ in range(600):
        status = demo.get(f"/api/v1/coverage/runs/{queued['id']}")
        if status["status"] in ("done", "failed"):
            break
        time.sleep(0.2)
    assert status["status"] == "done", status
    return float(
        demo.get(f"/api/v1/coverage/runs/{queued['id']}/summary")["covered_share_by_elderly"]
    )


def test_closing_a_station_gives_the_scenario_apis_figure(demo: Demo, page: WebDriver) -> None:
    root = next(r for r in demo.get("/api/v1/regions", limit=1000)["items"] if not r["parent_code"])
    latest = demo.get(f"/api/v1/coverage/regions/{root['code']}/latest")
    run = demo.get(f"/api/v1/coverage/runs/{latest['run_id']}")
    # The station nearest to the most demand points; the API says what closing it does.
    nearest: dict[str, int] = {}
    points = demo.get(f"/api/v1/coverage/runs/{run['id']}/points", limit=10000)["items"]
    for point in points:
        if point["nearest_station"]:
            nearest[point["nearest_station"]] = nearest.get(point["nearest_station"], 0) + 1
    station = max(nearest, key=lambda s: nearest[s])
    expected = _scenario_share(demo, run, [station])
    facility = next(
        f for f in demo.get("/api/v1/facilities/snapshot")["items"] if str(f["id"]) == station
    )

    open_map(page, demo.base, key=demo.key)
    before = float(page.find_element(By.ID, "coverage-figure").get_attribute("data-value"))
    page.execute_script(
        "window.careMap.map.setView([arguments[0], arguments[1]], 18, {animate: false})",
        facility["lat"],
        facility["lon"],
    )
    click_at(page, facility["lat"], facility["lon"])
    wait_for(page, "return document.querySelector('.leaflet-popup .cc-close-button')")
    page.find_element(By.CSS_SELECTOR, ".leaflet-popup .cc-close-button").click()
    assert facility["name"] in " ".join(texts(page, "#whatif-changes li"))
    assert len(page.find_elements(By.CSS_SELECTOR, "path.cc-facility.cc-closed")) == 1
    page.find_element(By.ID, "whatif-run").click()
    wait_for(page, "return document.getElementById('whatif-result').dataset.run", timeout_s=240)
    after = float(page.find_element(By.ID, "coverage-figure").get_attribute("data-value"))
    assert after == pytest.approx(expected)
    assert after <= before
    page.find_element(By.ID, "whatif-reset").click()
    wait_for(
        page,
        "return !document.getElementById('coverage-figure').classList.contains('scenario')",
    )
    assert float(
        page.find_element(By.ID, "coverage-figure").get_attribute("data-value")
    ) == pytest.approx(before)
    assert not page.find_elements(By.CSS_SELECTOR, "path.cc-facility.cc-closed")


def _downloaded(path: Path, timeout_s: float = 30) -> bytes:
    """The file the browser saved (waits for it to be complete)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        partial = path.with_name(path.name + ".crdownload")
        if path.exists() and not partial.exists():
            return path.read_bytes()
        time.sleep(0.2)
    raise AssertionError(f"{path.name} was not downloaded")


def test_a_what_if_station_can_be_dragged(demo: Demo, page: WebDriver) -> None:
    open_map(page, demo.base, key=demo.key)
    centre = page.execute_script(
        "const c = window.careMap.map.getCenter(); return window.careMap.freePoint(c.lat, c.lng)"
    )
    page.find_element(By.ID, "whatif-add").click()
    click_at(page, centre[0], centre[1])
    before = texts(page, "#whatif-changes li")
    marker = page.find_element(By.CSS_SELECTOR, ".cc-whatif")
    ActionChains(page).drag_and_drop_by_offset(marker, 60, 40).perform()
    wait_for(
        page,
        "return document.querySelector('#whatif-changes li').textContent !== arguments[0]",
        before[0],
    )
    after = texts(page, "#whatif-changes li")
    assert len(after) == 1 and after != before  # one station, at its new place


def test_suggested_sites_show_their_marginal_gains(demo: Demo, page: WebDriver) -> None:
    open_map(page, demo.base, key=demo.key)
    page.find_element(By.ID, "siting-k").clear()
    page.find_element(By.ID, "siting-k").send_keys("3")
    page.find_element(By.ID, "siting-run").click()
    wait_for(page, "return window.careMap.counts().sites === 3", timeout_s=180)
    gains = texts(page, "#siting-list li.cc-site-item")
    assert len(gains) == 3 and all(any(ch.isdigit() for ch in g) for g in gains)
    assert len(page.find_elements(By.CSS_SELECTOR, ".cc-site")) == 3


def test_english_switch_and_a_phone_screen(demo: Demo, page: WebDriver) -> None:
    open_map(page, demo.base, key=demo.key)
    assert page.find_element(By.CSS_SELECTOR, "#bar h1").text == "养老服务地图"
    page.find_element(By.ID, "lang-button").click()
    assert page.find_element(By.CSS_SELECTOR, "#bar h1").text == "Elderly-care map"
    assert "Community station" in " ".join(texts(page, "#legend li"))
    assert page.execute_script("return document.documentElement.lang") == "en"
    shot(page, "map-english")

    page.set_window_size(390, 844)
    wait_for(page, "return window.innerWidth <= 400")
    page.execute_script("window.careMap.map.invalidateSize()")
    map_box = page.find_element(By.ID, "map").rect
    panel_box = page.find_element(By.ID, "panel").rect
    assert map_box["width"] <= 400 and map_box["height"] > 250
    assert panel_box["y"] >= map_box["y"] + map_box["height"] - 1  # the panel below the map
    assert panel_box["width"] <= 400
    shot(page, "map-phone")


def test_a_stations_isochrones_draw_as_the_api_answers(demo: Demo, page: WebDriver) -> None:
    root = next(r for r in demo.get("/api/v1/regions", limit=1000)["items"] if not r["parent_code"])
    run_id = demo.get(f"/api/v1/coverage/regions/{root['code']}/latest")["run_id"]
    station = next(
        f
        for f in demo.get("/api/v1/facilities/snapshot")["items"]
        if f["type"] == "community_station" and f["status"] == "active"
    )
    answer = httpx.post(
        f"{demo.base}/api/v1/coverage/runs/{run_id}/isochrones",
        json={"station_ids": [str(station["id"])], "minutes": [5, 10, 15]},
        headers={"X-API-Key": demo.key, "Accept": "application/geo+json"},
        timeout=120,
    )
    assert answer.headers["content-type"].startswith("application/geo+json")
    expected = [f for f in answer.json()["features"] if f["geometry"]]
    assert {f["properties"]["minutes"] for f in expected} == {5, 10, 15}

    open_map(page, demo.base, key=demo.key)
    page.execute_script(
        "window.careMap.map.setView([arguments[0], arguments[1]], 18, {animate: false})",
        station["lat"],
        station["lon"],
    )
    click_at(page, station["lat"], station["lon"])
    wait_for(page, "return document.querySelector('.leaflet-popup .cc-iso-button')")
    page.find_element(By.CSS_SELECTOR, ".leaflet-popup .cc-iso-button").click()
    wait_for(page, "return window.careMap.counts().isochrones > 0", timeout_s=120)
    assert counts(page)["isochrones"] == len(expected)
    assert len(page.find_elements(By.CSS_SELECTOR, "path.cc-iso")) == len(expected)


def test_the_isochrone_adapter_in_the_browser(demo: Demo, page: WebDriver) -> None:
    """The page's one adapter turns today's isochrone answer into the GeoJSON shape."""
    open_map(page, demo.base)
    square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}
    old = {
        "items": [
            {
                "id": 7,
                "status": "ok",
                "contours": [
                    {"minutes": 5, "geometry": square},
                    {"minutes": 10, "geometry": square},
                ],
            },
            {"id": "8", "status": "off_network", "contours": []},
        ]
    }
    script = (
        "const done = arguments[arguments.length - 1];"
        "import('/map/app/isochrones.js').then(m => done([m.asFeatureCollection(arguments[0]),"
        " m.asFeatureCollection(m.asFeatureCollection(arguments[0]))]));"
    )
    converted, again = page.execute_async_script(script, old)
    assert converted == again
    assert converted["type"] == "FeatureCollection"
    assert [
        (f["properties"]["station_id"], f["properties"]["minutes"]) for f in converted["features"]
    ] == [
        ("7", 5),
        ("7", 10),
    ]
    assert all(f["geometry"] == square for f in converted["features"])


def test_docs_render_the_operations(demo: Demo, page: WebDriver) -> None:
    page.get(demo.base + "/docs")
    wait_for(page, "return document.querySelectorAll('.opblock').length > 20")
    ids = set(texts(page, ".opblock-summary-operation-id"))
    assert {"nearby", "facilities_nearby", "coverage_streets"} <= ids
