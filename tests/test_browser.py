"""End-to-end check of the dashboard in headless Chromium over the real offline build."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
REPO_ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = REPO_ROOT / "test-output" / "screenshots"
CHROME_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--enable-unsafe-swiftshader",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--window-size=1280,1400",
)
# Software WebGL (SwiftShader) reports driver chatter that is not an app error.
IGNORED_CONSOLE = ("webgl", "swiftshader", "gl driver", "gpu stall", "gl_")

log = logging.getLogger(__name__)

# Plotly's map subplot is the most direct evidence that polygons were drawn:
# the MapLibre instance has loaded and has rendered features.
MAP_STATE_JS = """
const gd = document.querySelector('#map .js-plotly-plot');
if (!gd || !gd.data || !gd.layout) return null;
let rendered = 0, loaded = false;
try {
    const m = gd._fullLayout.map._subplot.map;
    loaded = m.loaded();
    rendered = m.queryRenderedFeatures().length;
} catch (e) { return null; }
return {
    canvas: !!gd.querySelector('canvas.maplibregl-canvas'),
    loaded: loaded,
    rendered: rendered,
    title: (gd.layout.title && gd.layout.title.text) || '',
    traces: gd.data.map(t => ({name: t.name, n: (t.locations || []).length,
                               reversescale: !!t.reversescale})),
};
"""


@pytest.fixture(scope="module")
def real_db(offline_db: Path) -> Path:
    """The database built from the embedded snapshot (see conftest.py)."""
    return offline_db


@pytest.fixture(scope="module")
def server_url(real_db: Path) -> Iterator[str]:
    from werkzeug.serving import make_server

    from dashboard.app import create_app

    server = make_server("127.0.0.1", 0, create_app(real_db).server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="dash-test-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def driver():
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        pytest.skip(f"needs {CHROMIUM} and {CHROMEDRIVER}")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for arg in CHROME_ARGS:
        options.add_argument(arg)
    options.binary_location = str(CHROMIUM)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield drv
    finally:
        drv.quit()


def _wait_for_map(drv, accept=lambda state: True, timeout: float = 60) -> dict:
    """Wait until the map has rendered polygons and `accept(state)` holds."""
    from selenium.webdriver.support.ui import WebDriverWait

    def ready(d):
        state = d.execute_script(MAP_STATE_JS)
        if state and state["canvas"] and state["loaded"] and state["rendered"] > 0 and accept(state):
            return state
        return False

    return WebDriverWait(drv, timeout, poll_frequency=0.25).until(ready)


def _choose(drv, dropdown_id: str, pick) -> str | None:
    """Open a dcc.Dropdown and click the first option whose text `pick` accepts."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    drv.find_element(By.ID, dropdown_id).click()
    options = drv.find_elements(By.CSS_SELECTOR, "[role=option]")
    for option in options:
        if option.get_attribute("aria-selected") != "true" and pick(option.text):
            text = option.text
            option.click()
            return text
    drv.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    return None


def _severe_console_errors(drv) -> list[str]:
    return [
        entry["message"]
        for entry in drv.get_log("browser")
        if entry["level"] == "SEVERE" and not any(word in entry["message"].lower() for word in IGNORED_CONSOLE)
    ]


def test_home_page_draws_map_and_updates(driver, server_url: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(server_url)
    state = _wait_for_map(driver)
    assert driver.find_element(By.TAG_NAME, "h1").text.startswith("itdd — indicateurs territoriaux")
    assert state["traces"] and sum(t["n"] for t in state["traces"]) > 100, state
    assert driver.find_elements(By.CSS_SELECTOR, "#indicator-table tbody tr")
    assert "licence" in driver.find_element(By.ID, "sources").text.lower()

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / "home.png"))
    assert not _severe_console_errors(driver)

    # Another year of the same indicator: the title names the chosen year.
    year = _choose(driver, "year", lambda text: text.strip().isdigit())
    if year is not None:
        state = _wait_for_map(driver, lambda s: s["title"].endswith(year))
        log.info("after year change: %s", state["title"])

    # Another indicator: the title changes and the year list follows it.
    before = state["title"]
    label = _choose(driver, "indicator", lambda text: bool(text.strip()))
    if label is not None:
        state = _wait_for_map(driver, lambda s: s["title"].startswith(label) and s["title"] != before)
        driver.save_screenshot(str(SCREENSHOTS / "other-indicator.png"))
    assert year is not None or label is not None, "nothing to change: one indicator with one year"
    assert not _severe_console_errors(driver)
