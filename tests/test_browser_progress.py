"""Progress in headless Chromium (issue #5): portrait summary and badges, the method page,
the map coloured by progress category, a composite's contributions; axe-core on each.

This module builds from the shared open-data mirror over its folder (skipped without it):
real multi-year series, so real categories and composites; the offline build gives the
same values (tests/test_real_trends.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_browser import (  # noqa: F401 (driver is a fixture)
    _check_page,
    _css,
    _open,
    _screenshot,
    _wait,
    _wait_for_map,
    driver,
    serve_dashboard,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def mirror_db(tmp_path_factory, catalogue, shared_opendata: Path) -> Path:
    from etl.build import build

    folder = tmp_path_factory.mktemp("mirror_progress")
    db = folder / "itdd.duckdb"
    build(catalogue, db, mirror=str(shared_opendata), cache_dir=folder / "cache")
    return db


@pytest.fixture(scope="module")
def server_url(mirror_db: Path) -> Iterator[str]:
    yield from serve_dashboard(mirror_db)


def test_portrait_summary_badges_link_to_the_method(driver, server_url: str) -> None:  # noqa: F811
    _open(driver, server_url + "/territoire/commune/33063", "#progress-summary")
    summary = driver.find_element("id", "progress-summary").text
    assert "Évaluation impossible" in summary and "Cohésion sociale" in summary
    badges = _css(driver, "a.badge")
    assert len(badges) > 10
    assert all("/methode#" in b.get_attribute("href") for b in badges)
    assert all(b.text.strip() for b in badges)  # words, not colour alone
    main = driver.find_element("tag name", "main").text
    # real verdicts on Bordeaux: unemployment falls, poverty rises
    assert "En bonne voie" in main and "Détérioration" in main
    assert "France métropolitaine" in main and "Nouvelle-Aquitaine" in main  # references up to France
    assert "non calculée : fichier national non chargé" in main  # and why one is missing
    _check_page(driver, "portrait_progress")
    _css(driver, "#progress-summary a.badge")[0].click()
    _wait(driver, lambda d: _css(d, "table.method-table") and "/methode" in d.current_url)
    assert driver.current_url.endswith("#on_track")
    _check_page(driver, "methode")


def test_method_page_in_english(driver, server_url: str) -> None:  # noqa: F811
    _open(driver, server_url + "/methode?lang=en", "table.method-table")
    assert driver.find_element("tag name", "h1").text.startswith("Method")
    assert len(_css(driver, "table.method-table tbody tr")) == 7
    _check_page(driver, "methode_en")


def test_map_coloured_by_progress(driver, server_url: str) -> None:  # noqa: F811
    _open(driver, server_url + "/carte?indicateur=taux_chomage_15_64&niveau=commune&couleur=progres", "#map")
    state = _wait_for_map(driver)
    assert "Progrès" in state["hover"]
    legend = driver.find_element("id", "map-legend").text
    for name in ("Cible atteinte", "En bonne voie", "Détérioration", "Évaluation impossible", "Non évalué"):
        assert name in legend
    _check_page(driver, "map_progress")
    # Hover in the middle of the map: name, value and category.
    from selenium.webdriver.common.action_chains import ActionChains

    graph = driver.find_element("css selector", "#map .js-plotly-plot")
    ActionChains(driver).move_to_element(graph).pause(0.5).perform()
    hover = _wait(driver, lambda d: " ".join(e.text for e in _css(d, "#map .hovertext")))
    assert "Valeur (%)" in hover and "Progrès" in hover, hover
    _screenshot(driver, "map_progress_hover")
    # Back to values: the URL drops the switch, the legend shows classes again.
    value_radio = next(i for i in _css(driver, "#couleur input") if i.get_attribute("value") == "valeur")
    driver.execute_script("arguments[0].click()", value_radio)
    _wait(driver, lambda d: "couleur" not in d.execute_script("return window.location.search"))
    _wait(driver, lambda d: "Légende (" in d.find_element("id", "map-legend").text)


def test_composite_sheet_shows_contributions(driver, server_url: str) -> None:  # noqa: F811
    _open(driver, server_url + "/indicateur/indice_sante_sociale?territoires=commune:33003", "#composite-table")
    assert len(_css(driver, "#composite-table tbody tr")) == 4
    _wait(driver, lambda d: _css(d, "#composite-chart .js-plotly-plot .bars"))
    assert _css(driver, ".sheet-progress a.badge")
    _check_page(driver, "sheet_composite")
    driver.execute_script("document.getElementById('sheet-territory-box').scrollIntoView()")
    _screenshot(driver, "sheet_composite_parts")
