"""Issue #16 in headless Chromium, at 1366 px and 390 px, in French and English: a commune found
by its postcode (map and home search), the A4 print of Bordeaux's portrait (2 pages or fewer,
nothing clipped), the comparison of two territories, and the portrait on a phone.

One app server (on 127.0.0.1, ports 8850-8899) and one browser for the module. Screenshots and
the PDF go to test-output/screenshots/.
"""

from __future__ import annotations

import base64
import io
import threading
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_browser import SCREENSHOTS, _axe_violations, _css, _open, _severe_console_errors, _wait, start_chromium

pytestmark = pytest.mark.browser

PORTS = range(8850, 8900)
DESKTOP, PHONE = (1366, 900), (390, 844)
FOCUS_JS = """
const gd = document.querySelector('#map .js-plotly-plot');
if (!gd || !gd._fullLayout || !gd._fullLayout.map) return null;
let m; try { m = gd._fullLayout.map._subplot.map; } catch (e) { return null; }
if (!m.loaded()) return null;
const b = m.getBounds(), names = document.querySelector('.map-names');
return {
    focus: (gd.layout.meta || {}).focus || null,
    fit: (gd.layout.meta || {}).fit || null,
    layers: (gd.layout.map.layers || []).length,
    zoom: m.getZoom(),
    bounds: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()],
    names: names ? Array.from(names.children).map(n => n.textContent) : [],
};
"""
NO_SIDEWAYS_JS = """
const wide = Array.from(document.querySelectorAll('.table-scroll'))
    .filter(b => b.querySelector('.portrait-table') && b.scrollWidth > b.clientWidth + 1);
return {page: document.documentElement.scrollWidth, inner: window.innerWidth,
        boxes: wide.map(b => b.getAttribute('aria-label'))};
"""


@pytest.fixture(scope="module")
def server_url(offline_db: Path) -> Iterator[str]:
    from werkzeug.serving import make_server

    from dashboard.app import create_app

    app = create_app(offline_db)
    for port in PORTS:
        try:
            server = make_server("127.0.0.1", port, app.server, threaded=True)
            break
        except OSError:
            continue
    else:
        pytest.skip("no free port in 8850-8899")
    threading.Thread(target=server.serve_forever, name="find-test-server", daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def driver():
    yield from start_chromium()


def _size(drv, size: tuple[int, int]) -> None:
    drv.set_window_size(*size)
    _wait(drv, lambda d: abs(d.execute_script("return window.innerWidth") - size[0]) < 20)


def _shot(drv, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    drv.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def _no_sideways_scroll(drv) -> None:
    found = drv.execute_script(NO_SIDEWAYS_JS)
    assert found["page"] <= found["inner"] + 1, found
    assert not found["boxes"], found


def _send(drv, selector: str, keys: str) -> bool:
    """Keys to the element, False if React replaced it meanwhile (to try again)."""
    from selenium.common.exceptions import StaleElementReferenceException

    try:
        _css(drv, selector)[0].send_keys(keys)
    except StaleElementReferenceException:
        return False
    return True


def _type(drv, selector: str, text: str, enter: bool = False) -> None:
    from selenium.webdriver.common.keys import Keys

    box = _css(drv, selector)[0]
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.BACKSPACE)  # clear() does not reach React's state
    box.send_keys(text + (Keys.ENTER if enter else ""))


@pytest.mark.parametrize(
    ("size", "lang", "words"),
    [
        (DESKTOP, "fr", ("code postal 33400", "code INSEE 33400", "est entouré")),
        (PHONE, "en", ("postcode 33400", "INSEE code 33400", "is outlined")),
    ],
)
def test_commune_found_by_postcode_on_the_map(driver, server_url: str, size, lang: str, words) -> None:
    from selenium.webdriver.common.keys import Keys

    _size(driver, size)
    _open(driver, f"{server_url}/carte?indicateur=population&lang={lang}", "#map .js-plotly-plot")
    first = _wait(driver, lambda d: d.execute_script(FOCUS_JS))
    # The map is fitted to the territory at this width: Gironde's outline is in sight.
    west, south, east, north = first["fit"]
    b = first["bounds"]
    assert b[0] <= west + 0.02 and b[1] <= south + 0.02 and b[2] >= east - 0.02 and b[3] >= north - 0.02, first
    assert not first["names"]  # no names at the département's zoom
    _type(driver, "#map-search", "33400")
    _wait(driver, lambda d: len(_css(d, "#map-search-results li")) >= 2)
    results = [li.text for li in _css(driver, "#map-search-results li")]
    assert results[0].startswith("Talence") and words[0] in results[0], results
    assert results[1].startswith("Saint-Ferme") and words[1] in results[1], results
    _wait(driver, lambda d: _send(d, "#map-search", Keys.ENTER))  # Enter: the first result
    state = _wait(driver, lambda d: (s := d.execute_script(FOCUS_JS)) and s["focus"] == "33522" and s["names"] and s)
    assert state["layers"] == 1 and state["zoom"] > first["zoom"] + 2
    assert "Talence" in state["names"]  # names shown once zoomed in
    assert words[2] in _css(driver, "#map-focus")[0].text
    _shot(driver, f"find-postcode-map-{size[0]}-{lang}")
    assert not _severe_console_errors(driver)
    assert not _axe_violations(driver)


@pytest.mark.parametrize(("size", "lang"), [(DESKTOP, "fr"), (PHONE, "en")])
def test_home_search_enter_opens_the_postcode_commune(driver, server_url: str, size, lang: str) -> None:
    _size(driver, size)
    _open(driver, f"{server_url}/?lang={lang}", "#territory-search")
    _type(driver, "#territory-search", "33400", enter=True)
    _wait(driver, lambda d: d.current_url.split("?")[0].endswith("/territoire/commune/33522"))
    _wait(driver, lambda d: "Talence" in _css(d, "h1")[0].text)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a4_print_of_bordeaux_fits_two_pages(driver, server_url: str, lang: str) -> None:
    pypdf = pytest.importorskip("pypdf")
    from selenium.webdriver.common.print_page_options import PrintOptions

    _size(driver, DESKTOP)
    _open(driver, f"{server_url}/territoire/commune/33063?lang={lang}", "#fiche-edition")
    options = PrintOptions()
    options.page_width, options.page_height = 21.0, 29.7  # A4, in cm
    options.background = True
    pdf = base64.b64decode(driver.print_page(options))
    (SCREENSHOTS / f"fiche-bordeaux-{lang}.pdf").write_bytes(pdf)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    words = " ".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) <= 2, len(reader.pages)
    flat = " ".join(unicodedata.normalize("NFKC", words).split())  # "ﬁ" ligatures as "fi"
    built = {"fr": "Base de données construite le", "en": "Database built on"}[lang]
    assert built in flat and "/territoire/commune/33063" in flat.replace(" ", "")
    assert "Filosofi" in flat and "INSEE" in flat  # the sources and their editions
    # Nothing clipped: in print layout at A4's width, no table is wider than the page.
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    driver.set_window_size(718, 1080)  # A4 less its margins (190 mm), at 96 dpi
    try:
        clipped = driver.execute_script(
            "const main = document.querySelector('main');"
            "return Array.from(document.querySelectorAll('main table')).filter(t => t.offsetParent !== null"
            " && t.getBoundingClientRect().right > main.getBoundingClientRect().right + 1).length;"
        )
        assert clipped == 0
        assert _css(driver, "#portrait-locator img")[0].is_displayed()
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(718, height + 100)
        _shot(driver, f"fiche-bordeaux-print-{lang}")
    finally:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


@pytest.mark.parametrize(
    ("size", "lang", "words"),
    [(DESKTOP, "fr", ("Comparaison", "plus vite")), (PHONE, "en", ("Comparison", "faster"))],
)
def test_comparison_page(driver, server_url: str, size, lang: str, words) -> None:
    _size(driver, size)
    _open(driver, f"{server_url}/territoire/commune/33063?lang={lang}", "#compare-links")
    _css(driver, "#compare-links .compare-choices a")[0].click()  # Bordeaux against its EPCI
    _wait(driver, lambda d: "/comparer/commune/33063/epci/243300316" in d.current_url)
    _wait(driver, lambda d: _css(d, ".compare-table tbody tr"))
    title = _css(driver, "h1")[0].text
    assert words[0] in title and "Bordeaux Métropole" in title
    body = _css(driver, "main")[0].text
    assert words[1] in body
    if size == PHONE:
        _no_sideways_scroll(driver)
    _shot(driver, f"compare-bordeaux-{size[0]}-{lang}")
    assert not _severe_console_errors(driver)
    assert not _axe_violations(driver)
    _open(driver, f"{server_url}/comparer/commune/33063/commune/99999?lang={lang}", "#not-found")
    driver.get_log("browser")  # the not-found page's 404, expected


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_phone_portrait_shows_cards_without_sideways_scroll(driver, server_url: str, lang: str) -> None:
    _size(driver, PHONE)
    _open(driver, f"{server_url}/territoire/commune/33063?lang={lang}", ".portrait-table")
    _no_sideways_scroll(driver)
    # Each reference and the verdict are in view, named by their column.
    cells = _css(driver, ".portrait-table tbody tr:first-child td[data-label]")
    labels = [c.get_attribute("data-label") for c in cells]
    assert {"Bordeaux Métropole", "Gironde", "France"} <= set(labels), labels
    for cell in cells:
        rect = driver.execute_script("const r = arguments[0].getBoundingClientRect(); return [r.left, r.right];", cell)
        assert rect[0] >= 0 and rect[1] <= PHONE[0], (cell.get_attribute("data-label"), rect)
    _shot(driver, f"portrait-phone-{lang}")
    assert not _axe_violations(driver)
