"""The dashboard in headless Chromium over the real offline build: every page, the map
switches, a click to a portrait, shared URLs, the language switch, bad URLs, axe-core.

One server and one browser for the module. Screenshots go to test-output/screenshots/.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard.i18n import using
from tests.conftest import in_lang

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
REPO_ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = REPO_ROOT / "test-output" / "screenshots"
AXE = REPO_ROOT / ".cache" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
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
TIMEOUT = 60

log = logging.getLogger(__name__)

# Plotly's map subplot is the most direct evidence that polygons were drawn:
# the MapLibre instance has loaded and has rendered features.
MAP_STATE_JS = """
const gd = document.querySelector('#map .js-plotly-plot');
if (!gd || !gd.data || !gd.layout || !gd._fullLayout.map) return null;
let rendered = 0, loaded = false;
try {
    const m = gd._fullLayout.map._subplot.map;
    loaded = m.loaded();
    rendered = m.queryRenderedFeatures().length;
} catch (e) { return null; }
const trace = gd.data[0];
// The outlines are named by URL: Plotly fetched them once into window.PlotlyGeoAssets.
const outlines = typeof trace.geojson === 'string' ? (window.PlotlyGeoAssets || {})[trace.geojson] : trace.geojson;
if (!outlines || !outlines.features) return null;  // not fetched yet
return {
    loaded: loaded,
    rendered: rendered,
    features: outlines.features.length,
    geometry_marker: outlines.__test_marker || null,
    outline_fetches: performance.getEntriesByType('resource').filter(e => e.name.includes('/carte/contours/')).length,
    z: Array.from(trace.z),
    hover: trace.hovertemplate,
    caption: document.getElementById('map-caption').textContent,
    search: window.location.search,
};
"""


def serve_dashboard(db: Path, app=None) -> Iterator[str]:
    """The app over `db` (or `app`, a Dash app) on a free port of 127.0.0.1, for a module-scoped fixture."""
    from werkzeug.serving import make_server

    from dashboard.app import create_app

    server = make_server("127.0.0.1", 0, (app or create_app(db)).server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="dash-test-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def server_url(offline_db: Path) -> Iterator[str]:
    yield from serve_dashboard(offline_db)


def start_chromium(*extra_args: str) -> Iterator:
    """Headless Chromium for a module-scoped fixture (skips without Chromium or Selenium)."""
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        pytest.skip(f"needs {CHROMIUM} and {CHROMEDRIVER}")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for arg in (*CHROME_ARGS, *extra_args):
        options.add_argument(arg)
    options.binary_location = str(CHROMIUM)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    drv.set_script_timeout(30)
    try:
        yield drv
    finally:
        drv.quit()


@pytest.fixture(scope="module")
def driver():
    yield from start_chromium()


def _wait(drv, condition, timeout: float = TIMEOUT):
    """Until `condition` holds; an element Dash re-rendered between finding and reading it
    (stale) is read again at the next poll, the condition must still hold within `timeout`."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(drv, timeout, poll_frequency=0.2, ignored_exceptions=(StaleElementReferenceException,))
    return wait.until(lambda d: condition(d) or False)


def _css(drv, selector: str):
    from selenium.webdriver.common.by import By

    return drv.find_elements(By.CSS_SELECTOR, selector)


def _open(drv, url: str, ready_selector: str) -> None:
    drv.get(url)
    _wait(drv, lambda d: _css(d, ready_selector))


def _wait_for_map(drv, accept=lambda state: True) -> dict:
    from selenium.common.exceptions import TimeoutException

    last = {}

    def ready(d):
        state = d.execute_script(MAP_STATE_JS)
        last["state"] = state and {k: v for k, v in state.items() if k != "z"}
        return state if state and state["loaded"] and state["rendered"] > 0 and accept(state) else None

    try:
        return _wait(drv, ready)
    except TimeoutException:
        pytest.fail(f"map not as expected: {last.get('state')}")


def _severe_console_errors(drv) -> list[str]:
    return [
        entry["message"]
        for entry in drv.get_log("browser")
        if entry["level"] == "SEVERE" and not any(word in entry["message"].lower() for word in IGNORED_CONSOLE)
    ]


def _screenshot(drv, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    drv.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def _axe_violations(drv) -> list[dict]:
    """Serious and critical axe-core violations of the current page ([] when axe is absent)."""
    if not AXE.is_file():
        return []
    drv.execute_script(AXE.read_text(encoding="utf-8"))
    result = drv.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations), e => done(String(e)));"
    )
    assert isinstance(result, list), result
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result
        if v["impact"] in ("serious", "critical")
    ]


def _check_page(drv, name: str) -> None:
    """Screenshot, no console error, a data table for every chart, no serious accessibility violation."""
    _screenshot(drv, name)
    charts = _css(drv, ".js-plotly-plot")
    assert len(_css(drv, "table.data-table")) >= len(charts), "a chart without its data table"
    assert all(img.get_attribute("alt") for img in _css(drv, "img.sparkline")), "a sparkline without alt text"
    assert not _severe_console_errors(drv)
    violations = _axe_violations(drv)
    assert not violations, json.dumps(violations, indent=1)


def test_axe_is_installed_or_skipped() -> None:
    if not AXE.is_file():
        pytest.skip(f"axe-core absent ({AXE}); .ci/run installs it")


def test_home_page(driver, server_url: str) -> None:
    _open(driver, server_url + "/", ".headline-card")
    assert driver.find_element("tag name", "h1").text.startswith("itdd")
    assert len(_css(driver, ".finality")) >= 2
    assert "licence" in driver.find_element("id", "sources").text.lower()
    _check_page(driver, "home")


def test_map_switches_year_and_indicator_without_resending_geometry(driver, server_url: str) -> None:
    from selenium.webdriver.common.keys import Keys

    _open(driver, server_url + "/carte?indicateur=population&niveau=commune&annee=2023", "#map")
    state = _wait_for_map(driver)
    assert state["features"] > 500 and "2023" in state["caption"]
    assert len(_css(driver, "#map-table-body tr")) == 20
    _check_page(driver, "map")
    driver.execute_script(
        "const url = document.querySelector('#map .js-plotly-plot').data[0].geojson;"
        "window.PlotlyGeoAssets[url].__test_marker = 'kept';"
    )

    # Year: the slider thumb takes the arrow keys.
    thumb = _css(driver, "#annee [role=slider]")[0]
    thumb.send_keys(Keys.ARROW_LEFT)
    state = _wait_for_map(driver, lambda s: "2022" in s["caption"] and "annee=2022" in s["search"])
    assert state["geometry_marker"] == "kept", "the geometry was sent again"
    first_row = _css(driver, "#map-table-body tr")[0].text
    assert first_row.startswith("Bordeaux")

    # Indicator: pick another one in the dropdown.
    before = state["z"]
    driver.find_element("id", "indicateur").click()
    _wait(driver, lambda d: _css(d, "input.dash-dropdown-search"))[0].send_keys("Densité")  # a long list: type
    option = _wait(driver, lambda d: [o for o in _css(d, "[role=option]") if "Densité" in o.text])[0]
    option.click()
    state = _wait_for_map(driver, lambda s: "Densité" in s["caption"])
    assert "indicateur=densite_population" in state["search"]
    assert state["geometry_marker"] == "kept" and state["outline_fetches"] == 1  # fetched once, for the first map
    assert state["z"] != before
    _screenshot(driver, "map-switched")
    assert not _severe_console_errors(driver)


def test_map_level_switch_and_click_opens_portrait(driver, server_url: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    _open(driver, server_url + "/carte?indicateur=population&niveau=epci", "#map")
    state = _wait_for_map(driver)
    assert state["features"] == 28 and "Intercommunalités" in state["caption"]
    graph = driver.find_element("css selector", "#map .js-plotly-plot")
    # The middle of the map is inside an EPCI: hover shows its name, value, rank and change.
    ActionChains(driver).move_to_element(graph).pause(0.5).perform()
    hover = _wait(driver, lambda d: " ".join(e.text for e in _css(d, "#map .hovertext")))
    assert "Rang" in hover and "Valeur (habitants)" in hover, hover
    assert re.search(r"\d\u202f\d{3}", hover), hover  # the value written out in the browser, in French
    _screenshot(driver, "map-hover")
    ActionChains(driver).click().perform()
    _wait(driver, lambda d: "/territoire/epci/" in d.current_url)
    _wait(driver, lambda d: _css(d, ".portrait-table"))
    assert driver.find_element("tag name", "h1").text.startswith("Portrait")


HOVER_ROWS = [  # SYNTHETIC values: [value, rank, previous value], with ties and the edges where rounding gains a digit
    [1234567.8, 1, 1200000.0], [7.0, 2, 6.5], [9.25, 3, None], [-1.5, None, 2.0], [0.125, 4, 0.1],
    [12.5, 5, 12.5], [0.0, 6, -3.0], [None, None, 4.0], [None, None, None], [2_500.5, 7, 0.0], [30.0, 8, 24.0],
    [9.996, 9, 8.0], [-0.004, 10, 0.5], [2.675, 11, 0.679], [1234.5, 12, 1000.0], [3.996, 13, 2.0],
    [35.24324324324324, 14, 36.972972972972975], [999.96, 15, 999.951],
]  # fmt: skip
HOVER_STATUS = ["ok"] * 5 + ["incomplete", "ok", "secret", "ok", "ok", "incomplete"] + ["ok"] * 7
HOVER_LINE = ["Détérioration", "En bonne voie"] * 9  # SYNTHETIC progress words


@pytest.mark.parametrize(
    ("lang", "unit", "decimals"),
    [("fr", "habitants", None), ("fr", "%", 1), ("en", "hab./km²", 0), ("en", None, 2), ("fr", "%", None)],
)
def test_the_browser_writes_the_hover_as_the_server_would(driver, server_url: str, lang, unit, decimals) -> None:
    """assets/hover.js, from the columns a switch sends (each number rounded once, on the server),
    against dashboard.maps.hover's words from the unrounded values (the functions of the tables)."""
    import pandas as pd
    from plotly.io.json import to_json_plotly

    from dashboard.maps import hover

    if "/carte" not in driver.current_url:
        _open(driver, server_url + "/carte?indicateur=population&niveau=epci", "#map")
    ranked = pd.DataFrame(HOVER_ROWS, columns=["value", "rank", "prev_value"]).assign(status=HOVER_STATUS)
    with using(lang):
        base, columns, lines = (
            hover.spec(unit, decimals),
            hover.columns(ranked, unit, decimals),
            [hover.line(HOVER_LINE)],
        )
    sent = json.loads(to_json_plotly({"values": columns["value"], "spec": hover.meta(base, columns, lines)}))
    shown = driver.execute_script(
        "return window.itddHover.texts(arguments[0], arguments[1]);", sent["values"], sent["spec"]
    )
    assert shown == in_lang(lang, hover.texts, ranked, base, unit, lines)


def test_shared_map_url_restores_the_view(driver, server_url: str) -> None:
    url = server_url + "/carte?indicateur=densite_population&niveau=epci&annee=2019&classes=equal"
    _open(driver, url, "#map")
    state = _wait_for_map(driver)
    assert state["features"] == 28
    assert "Densité" in state["caption"] and "2019" in state["caption"]
    checked = [e.get_attribute("value") for e in _css(driver, "input[type=radio]") if e.is_selected()]
    assert sorted(checked) == ["epci", "equal", "valeur"]  # colours by value unless ?couleur=progres
    assert driver.current_url == url


def test_portrait_and_territory_search(driver, server_url: str) -> None:
    _open(driver, server_url + "/territoire/commune/33063", ".portrait-table")
    page = driver.find_element("id", "main").text.replace("\u00a0", " ")
    assert "Portrait : Bordeaux" in page
    assert "en hausse de" in page and "Bordeaux Métropole" in page and "France" in page
    assert _css(driver, "img.sparkline")
    _check_page(driver, "portrait")
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert not driver.find_element("id", "territory-search").is_displayed()  # hidden on paper
        _screenshot(driver, "portrait-print")
    finally:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    box = driver.find_element("id", "territory-search")
    box.send_keys("St Medard")
    _wait(driver, lambda d: "Saint-Médard-en-Jalles" in d.find_element("id", "territory-results").text)


def test_indicator_sheet_with_chosen_territories(driver, server_url: str) -> None:
    _open(driver, server_url + "/indicateur/population?territoires=commune:33063", "#trend .main-svg")
    # Bordeaux and its references: its EPCI, the département, the région and France
    _wait(
        driver, lambda d: d.execute_script("return document.querySelector('#trend .js-plotly-plot').data.length") == 5
    )
    page = driver.find_element("id", "main").text
    assert "Licence Ouverte" in page and "édition 2026-01-01" in page and "téléchargé le" in page
    rows = [r.text for r in _css(driver, "#trend-table tbody tr")]
    for name in ("Bordeaux Métropole", "Gironde", "Nouvelle-Aquitaine", "France", "Bordeaux"):
        assert any(r.startswith(name) for r in rows), name
    _check_page(driver, "indicator")


def test_indicator_sheet_offers_territories_as_one_types(driver, server_url: str) -> None:
    _open(driver, server_url + "/indicateur/population?territoires=commune:33063", "#trend .main-svg")
    driver.find_element("id", "sheet-territories").click()
    # Without accents: the server's search finds Mérignac, and the dropdown keeps what it found.
    _wait(driver, lambda d: _css(d, "input.dash-dropdown-search"))[0].send_keys("merignac")
    option = _wait(driver, lambda d: [o for o in _css(d, "[role=option]") if "Mérignac (33281)" in o.text])[0]
    option.click()
    _wait(driver, lambda d: "33281" in d.current_url)  # the choice is in the address
    _wait(driver, lambda d: any(r.text.startswith("Mérignac") for r in _css(d, "#trend-table tbody tr")))
    assert not _severe_console_errors(driver)


def test_poverty_sheet_shows_real_trends_references_and_verdicts(driver, server_url: str) -> None:
    _open(driver, server_url + "/indicateur/taux_pauvrete?territoires=commune:33063", "#trend .main-svg")
    rows = {r.text.split(" ")[0]: r.text for r in _css(driver, "#trend-table tbody tr")}
    assert "16 %" in rows["Bordeaux"].replace("\u202f", " ") and "17 %" in rows["Bordeaux"].replace("\u202f", " ")
    assert any(r.startswith("France métropolitaine") for r in rows.values())  # named so, never "France"
    progress = driver.find_element("css selector", ".sheet-progress").text
    assert "Bordeaux" in progress and "Détérioration" in progress
    assert "la plus récente l'emporte" in driver.find_element("id", "main").text
    _check_page(driver, "sheet_poverty_bordeaux")


def test_indicator_without_data_says_why_and_draws_no_chart(driver, server_url: str) -> None:
    _open(driver, server_url + "/indicateur/surface_bio", ".no-data-box")
    assert not _css(driver, "#trend")  # no empty axes
    why = driver.find_element("css selector", ".no-data-box").text
    assert "source non téléchargée dans cette construction (agence_bio_communes)" in why
    assert "format non vérifié sur un fichier réel" in driver.find_element("id", "main").text
    _check_page(driver, "sheet_no_data")


def test_portrait_of_bordeaux_with_real_trends(driver, server_url: str) -> None:
    _open(driver, server_url + "/territoire/commune/33063", "#progress-summary")
    main = driver.find_element("tag name", "main").text
    for words in ("Niveau de vie médian", "24 870", "France métropolitaine", "Nouvelle-Aquitaine", "Détérioration",
                  "non calculée : fichier national non chargé", "Sans valeur pour ce territoire"):  # fmt: skip
        assert words in main.replace("\u202f", " "), words
    _check_page(driver, "portrait_bordeaux")


def test_language_switch_keeps_the_view(driver, server_url: str) -> None:
    _open(driver, server_url + "/carte?indicateur=population&niveau=commune&annee=2019", "#map")
    _wait_for_map(driver)
    driver.find_element("id", "lang-switch").click()
    _wait(driver, lambda d: "lang=en" in d.current_url)
    state = _wait_for_map(driver, lambda s: "Municipal population" in s["caption"])
    assert "2019" in state["caption"] and "Rank" in state["hover"]
    assert driver.find_element("tag name", "h1").text == "Indicator map"
    assert driver.execute_script("return document.documentElement.lang") == "en"
    _wait(driver, lambda d: d.title.startswith("Map — Gironde — itdd — territorial"))  # the build names its territory
    _check_page(driver, "map-english")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/indicateur/populaton", "population"),
        ("/territoire/commune/33999", "33"),
        ("/carte?indicateur=population&annee=1990", "2016"),
        ("/carte?indicateur=population&niveau=canton", "Communes"),
        ("/nulle-part", "Carte"),
    ],
)
def test_bad_urls_give_a_friendly_page(driver, server_url: str, path: str, expected: str) -> None:
    _open(driver, server_url + path, "#not-found")
    main = driver.find_element("id", "main").text
    assert "Page introuvable" in main and "Nous n'avons pas trouvé" in main
    assert expected in " ".join(e.text for e in _css(driver, ".choices a"))
    # The page comes with a real 404 status, which the browser reports; nothing else may fail.
    status = f"{server_url}{path} - Failed to load resource: the server responded with a status of 404"
    errors = _severe_console_errors(driver)
    assert any(e.startswith(status) for e in errors), errors
    assert not [e for e in errors if not e.startswith(status)]
    if path == "/nulle-part":
        _check_page(driver, "not-found")


def test_bordeaux_population_trend_in_two_clicks(driver, server_url: str) -> None:
    from selenium.webdriver.common.by import By

    _open(driver, server_url + "/", ".quick-links a")
    driver.find_element(By.LINK_TEXT, "Bordeaux").click()  # click 1: the portrait
    _wait(driver, lambda d: _css(d, ".portrait-table"))
    driver.find_element(By.LINK_TEXT, "Population municipale").click()  # click 2: the indicator sheet
    _wait(driver, lambda d: "/indicateur/population" in d.current_url)
    started = time.monotonic()
    _wait(driver, lambda d: _css(d, "#trend-table tbody tr"))
    log.info("sheet shown in %.1f s", time.monotonic() - started)
    assert "Population municipale" in driver.find_element(By.TAG_NAME, "h1").text
    assert any(r.text.startswith("Bordeaux") for r in _css(driver, "#trend-table tbody tr"))


def test_portrait_badges_link_to_the_method_page(driver, server_url: str) -> None:
    # The offline build has context indicators only: each gets a "context" badge, words and symbol.
    _open(driver, server_url + "/territoire/commune/33063", "a.badge")
    badges = _css(driver, "a.badge")
    assert all("/methode#" in b.get_attribute("href") and b.text.strip() for b in badges)
    driver.find_element("id", "method-link").click()
    _wait(driver, lambda d: _css(d, "table.method-table") and d.current_url.endswith("/methode"))
    assert len(_css(driver, "table.method-table a.badge")) == 7
    _check_page(driver, "methode-offline")
