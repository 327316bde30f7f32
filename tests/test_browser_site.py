"""The published static site (issue #6) in headless Chromium, served from 127.0.0.1 with
every other host unresolvable: maps and charts draw on an indicator page and on a
territory page, nothing is fetched elsewhere, pages fit a phone, axe-core finds no
serious or critical violation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_browser import _check_page, _css, _open, _screenshot, _severe_console_errors, _wait, start_chromium

pytestmark = pytest.mark.browser

# Every host but 127.0.0.1, where the site is served, fails to resolve.
BLOCK_OTHER_HOSTS = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"

# The Plotly figure inside a container: for a map, MapLibre has loaded and drawn features;
# for a chart, SVG marks are on the page.
FIGURE_STATE_JS = """
const gd = document.querySelector(arguments[0] + ' .js-plotly-plot');
if (!gd || !gd._fullLayout || !gd._fullData) return null;
if (gd._fullLayout.map) {
    try {
        const m = gd._fullLayout.map._subplot.map;
        return {kind: 'map', loaded: m.loaded(), drawn: m.queryRenderedFeatures().length};
    } catch (e) { return null; }
}
return {kind: 'chart', loaded: true, drawn: gd.querySelectorAll('.scatterlayer .trace path, .scatterlayer .point').length};
"""
RESOURCES_JS = "return performance.getEntriesByType('resource').map(e => e.name);"


@pytest.fixture(scope="module")
def site_url(published: Path, serve_folder) -> str:
    return serve_folder(published)


@pytest.fixture(scope="module")
def offline_driver() -> Iterator:
    yield from start_chromium(BLOCK_OTHER_HOSTS)


def wait_for_figure(drv, container: str) -> dict:
    state = _wait(
        drv, lambda d: (s := d.execute_script(FIGURE_STATE_JS, container)) and s["loaded"] and s["drawn"] and s
    )
    return state


def only_local_requests(drv, site_url: str) -> None:
    outside = [url for url in drv.execute_script(RESOURCES_JS) if not url.startswith(site_url)]
    assert outside == []
    assert not _severe_console_errors(drv)  # a blocked request would log an error


def test_an_outside_host_is_really_blocked(offline_driver, site_url: str) -> None:
    """The blocking itself works, so the checks below mean something."""
    _open(offline_driver, site_url + "/index.html", "main")
    status = offline_driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch('https://cdn.plot.ly/plotly-latest.min.js').then(() => done('fetched'), e => done('blocked'));"
    )
    assert status == "blocked"
    offline_driver.get_log("browser")  # drop the error this fetch logged


def test_indicator_page_draws_its_map_and_chart(offline_driver, site_url: str) -> None:
    _open(offline_driver, site_url + "/indicateur/population.html", "#map")
    assert wait_for_figure(offline_driver, "#map")["kind"] == "map"
    assert wait_for_figure(offline_driver, "#trend")["kind"] == "chart"
    assert "Population municipale" in offline_driver.find_element("tag name", "h1").text
    assert "267\u202f991" in offline_driver.find_element("id", "map-table").get_attribute("textContent")
    only_local_requests(offline_driver, site_url)
    _check_page(offline_driver, "site_indicator")


def test_territory_page_draws_its_map_and_charts(offline_driver, site_url: str) -> None:
    _open(offline_driver, site_url + "/territoire/commune/33063.html", "#locator")
    assert wait_for_figure(offline_driver, "#locator")["kind"] == "map"
    assert wait_for_figure(offline_driver, "#trend-population")["kind"] == "chart"
    main = offline_driver.find_element("tag name", "main").text
    assert "Bordeaux" in main and "267\u202f991" in main
    only_local_requests(offline_driver, site_url)
    _check_page(offline_driver, "site_territory")


def test_links_lead_from_home_to_a_portrait(offline_driver, site_url: str) -> None:
    _open(offline_driver, site_url + "/index.html", "main")
    _check_page(offline_driver, "site_home")
    _css(offline_driver, "a.all-territories, .all-territories a")[0].click()
    _wait(offline_driver, lambda d: d.current_url.endswith("/territoires.html"))
    _check_page(offline_driver, "site_territories")
    next(a for a in _css(offline_driver, ".territory-index a") if a.text.startswith("Bordeaux Métropole")).click()
    _wait(offline_driver, lambda d: d.current_url.endswith("/territoire/epci/243300316.html"))
    wait_for_figure(offline_driver, "#locator")
    _check_page(offline_driver, "site_epci")


@pytest.mark.parametrize(
    ("typed", "found", "page"),
    [
        ("merig", "Mérignac", "/territoire/commune/33281.html"),
        ("st medard en j", "Saint-Médard-en-Jalles", "/territoire/commune/33449.html"),
        ("33063", "Bordeaux", "/territoire/commune/33063.html"),
        ("33400", "Talence", "/territoire/commune/33522.html"),  # a postcode, before Saint-Ferme's INSEE code
        ("pauvrete", "Taux de pauvreté", "/indicateur/taux_pauvrete.html"),
    ],
)
def test_the_site_search_finds_and_enter_opens_the_first(offline_driver, site_url, typed, found, page) -> None:
    from selenium.webdriver.common.keys import Keys

    _open(offline_driver, site_url + "/index.html", "#site-search")
    offline_driver.find_element("id", "site-search").send_keys(typed)
    # Read in the page, not through an element: the list is redrawn at each key typed.
    first_text = "var a = document.querySelector('#site-search-results a'); return a && a.textContent;"
    _wait(offline_driver, lambda d: d.execute_script(first_text) == found)
    offline_driver.find_element("id", "site-search").send_keys(Keys.ENTER)
    _wait(offline_driver, lambda d: d.current_url.endswith(page))
    only_local_requests(offline_driver, site_url)


@pytest.mark.parametrize(
    "page", ["index.html", "indicateur/population.html", "territoire/commune/33063.html", "methode.html"]
)
def test_pages_fit_a_phone(offline_driver, site_url: str, page: str) -> None:
    # A window cannot be made phone-narrow in headless Chromium; DevTools emulates the screen.
    phone = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}
    offline_driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", phone)
    try:
        _open(offline_driver, f"{site_url}/{page}", "main")
        width, overflow = offline_driver.execute_script(
            "const e = document.documentElement; return [e.clientWidth, e.scrollWidth - e.clientWidth];"
        )
        _screenshot(offline_driver, "site_phone_" + page.replace("/", "_").removesuffix(".html"))
        assert width == 390
        assert overflow <= 1, f"{page} is {overflow}px wider than a phone"
    finally:
        offline_driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
