"""`dashboard/urls.py`: every route's URL is built there, and each one it builds is served."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard import urls
from dashboard.app import create_app
from dashboard.static_site import file_path
from tests.conftest import in_lang

BORDEAUX, CUB = ("commune", "33063"), ("epci", "243300316")  # Bordeaux and Bordeaux Métropole (embedded data)

# One URL per route, for a known territory and indicator, in both languages where a page has one.
BUILT = {
    "home": [urls.home(), in_lang("en", urls.home)],
    "map": [urls.map_view(), in_lang("en", urls.map_view, indicateur="taux_pauvrete", niveau="epci")],
    "map_names": [urls.map_names("commune")],
    "portrait": [urls.portrait(*BORDEAUX), in_lang("en", urls.portrait, *CUB)],
    "indicator": [urls.indicator("population"), in_lang("en", urls.indicator, "taux_pauvrete", "commune:33063")],
    "compare": [urls.compare(BORDEAUX, CUB), in_lang("en", urls.compare, CUB, BORDEAUX)],
    "method": [urls.method(), in_lang("en", urls.method, "composite")],
    "download": [urls.download("population.csv"), urls.download("population.xlsx", "commune", 2021)],
}


@pytest.fixture(scope="module")
def client(offline_db: Path):
    return create_app(offline_db).server.test_client()


def test_the_builders_write_the_routes() -> None:
    assert in_lang("en", urls.portrait, "commune", "33063") == "/territoire/commune/33063?lang=en"
    assert urls.indicator("population", "commune:33063") == "/indicateur/population?territoires=commune%3A33063"
    assert urls.compare(BORDEAUX, CUB) == "/comparer/commune/33063/epci/243300316"
    assert in_lang("en", urls.method, "on_track") == "/methode?lang=en#on_track"
    assert urls.download("population-fr.csv", "epci") == "/telecharger/population-fr.csv?niveau=epci"
    assert urls.portrait("commune", "a/b") == "/territoire/commune/a%2Fb"  # a value stays one segment


def test_every_route_has_a_url_here() -> None:
    assert set(BUILT) == set(urls.ROUTES) - {"not_found", "map_outlines"}  # outlines: below, by their digest


def test_the_outlines_url_is_served(client, offline_db: Path) -> None:
    from dashboard import database
    from dashboard.maps.outlines import outlines

    url = outlines(database.Database(offline_db), "commune").url("commune")
    assert urls.match(url)[0] == "map_outlines"
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(("route", "url"), [(route, url) for route, built in BUILT.items() for url in built])
def test_each_built_url_is_served(client, route: str, url: str) -> None:
    assert urls.match(url)[0] == route
    response = client.get(url.split("#")[0])
    assert response.status_code == 200, url


def test_an_unknown_territory_or_indicator_is_not_found(client) -> None:
    for url in (urls.portrait("commune", "99999"), urls.indicator("no_such_indicator")):
        assert client.get(url).status_code == 404, url
    assert client.get(urls.download("no_such_indicator.csv")).status_code == 404


def test_the_static_site_names_its_files_from_the_routes() -> None:
    assert file_path(urls.home()) == ("index.html", "")
    assert file_path(urls.portrait(*BORDEAUX)) == ("territoire/commune/33063.html", "")
    assert file_path(urls.indicator("population")) == ("indicateur/population.html", "")
    assert file_path(urls.map_view(indicateur="population")) == ("indicateur/population.html", "carte")
    assert file_path(urls.map_view()) == ("carte.html", "")
    assert file_path(urls.method("composite")) == ("methode.html", "composite")
    assert file_path(urls.download("population.csv")) == ("donnees/population.csv", "")
    assert file_path("/territoires") == ("territoires.html", "")  # a page of the site alone
    assert file_path("https://example.org/carte") is None
    assert urls.match("https://example.org/carte") is None and urls.match("/nulle/part") is None
