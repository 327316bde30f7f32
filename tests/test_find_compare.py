"""Issue #16 without a browser, on the real offline build: postcodes and former names in the
database and the search, the map search's answer, the names layer, the printable portrait's
parts, and the comparison of two territories (pages, HTTP status, pure functions)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from dash import Patch, no_update

from dashboard import chrome, fiche, queries
from dashboard.app import create_app
from dashboard.context import db
from dashboard.i18n import using
from dashboard.maps import parts
from dashboard.pages import comparer, territoire
from tests.test_dashboard_pages import as_text

SNAPSHOT = Path(__file__).resolve().parents[1] / "data" / "snapshot"


@pytest.fixture(scope="module")
def app(offline_db: Path):
    return create_app(offline_db)


@pytest.fixture
def context(app):
    with app.server.test_request_context("/"):
        yield db()


def test_postcodes_are_la_postes_as_the_snapshot_carries_them(query) -> None:
    with (SNAPSHOT / "commune_postcodes.csv").open(encoding="utf-8") as f:
        shipped = {(r["code"], r["postcode"]) for r in csv.DictReader(f)}
    assert set(query("SELECT code, postcode FROM commune_postcodes")) == shipped
    assert ("33522", "33400") in shipped and ("33400", "33580") in shipped  # Talence; Saint-Ferme
    codes = {c for (c,) in query("SELECT code FROM territories WHERE level = 'commune'")}
    assert {c for c, _ in shipped} == codes  # every commune of the build has its postcodes, no other
    assert all(len(p) == 5 and p.isdigit() for _, p in shipped)


def test_former_names_come_from_inseees_history(query) -> None:
    names = dict(query("SELECT old_code, old_name FROM commune_changes WHERE new_code = '33008'"))
    assert names == {"33092": "Cantois", "33409": "Saint-Genis-du-Bois"}


def test_search_offers_both_the_postcode_and_the_insee_code(context) -> None:
    index = context.run(queries.territory_search_index)
    text = as_text(chrome.territory_results(index, "33400"))
    assert text.index("Talence") < text.index("Saint-Ferme")
    assert "code postal 33400" in text and "code INSEE 33400" in text
    with using("en"):
        assert "postcode 33400" in as_text(chrome.territory_results(index, "33400"))
    assert "anciennement Saint-Genis-du-Bois" in as_text(chrome.territory_results(index, "st genis du bois"))
    assert "SIREN 243300316" in as_text(chrome.territory_results(index, "243300316"))


def test_map_search_outlines_and_zooms_to_the_first_result(context) -> None:
    patch, status = parts.focus(context, "map-search-submit", {"n": 1, "text": "33400"}, "commune")
    assert isinstance(patch, Patch)
    operations = {tuple(op["location"]): op["params"]["value"] for op in patch.to_plotly_json()["operations"]}
    assert operations[("layout", "meta", "focus")] == "33522"
    assert operations[("layout", "map", "zoom")] > 10
    assert len(operations[("layout", "map", "layers")]) == 1
    assert "Talence est entouré" in as_text(status) and "/territoire/commune/33522" in as_text(status)
    # A result's button names its territory; at the EPCI level, an EPCI.
    patch, _ = parts.focus(context, {"type": "map-hit", "level": "commune", "code": "33400"}, None, "commune")
    assert isinstance(patch, Patch)
    assert parts.focus(context, "map-search-submit", {"text": "zzzz"}, "commune")[0] is no_update
    # Wrong types or unknown codes change nothing.
    for args in [
        ("map-search-submit", {"text": ["33400"]}, "commune"),
        ("map-search-submit", "33400", "commune"),
        ({"type": "map-hit", "code": "99999"}, None, "commune"),
        ("map-search-submit", {"text": "33400"}, 3),
        ("map-search-submit", {"text": "33400"}, "nowhere"),
    ]:
        assert parts.focus(context, *args)[0] is no_update


def test_names_layer_is_fetched_apart_and_light(app) -> None:
    client = app.server.test_client()
    names = client.get("/carte/noms/commune.json")
    assert names.status_code == 200
    points = names.get_json()
    assert len(points) == 536 and ["33522", "Talence"] in [p[:2] for p in points]
    assert len(names.data) < 40_000
    assert client.get("/carte/noms/nowhere.json").status_code == 404


def test_portrait_is_a_printable_fiche(app) -> None:
    with app.server.test_request_context("/"):
        text = as_text(territoire.layout(level="commune", code="33063"))
        database = db()
        assert fiche.build_date(database) in text
    assert "Base de données construite le" in text and "Éditions des producteurs" in text
    assert "http://localhost/territoire/commune/33063" in text  # the page's address
    assert "data:image/svg+xml" in text and "portrait-locator" in text
    assert "/comparer/commune/33063/epci/243300316" in text  # compare with its EPCI
    assert '"data-label": "Gironde"' in text  # each reference named on a phone's card


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/comparer/commune/33063/epci/243300316", 200),
        ("/comparer/commune/33063/commune/33522?lang=en", 200),
        ("/comparer/commune/99999/commune/33522", 404),
        ("/comparer/commune/33063/nowhere/33522", 404),
        ("/comparer/commune/33063", 404),
    ],
)
def test_compare_page_status(app, path: str, status: int) -> None:
    assert app.server.test_client().get(path).status_code == status


def test_compare_page_in_both_languages(app) -> None:
    with app.server.test_request_context("/"):
        fr = as_text(comparer.layout(level="commune", code="33063", level2="epci", code2="243300316"))
        with using("en"):
            en = as_text(comparer.layout(level="commune", code="33063", level2="epci", code2="243300316"))
        missing = as_text(comparer.layout(level="commune", code="33063", level2="commune", code2="99999"))
    assert "Comparaison\u00a0: Bordeaux et Bordeaux Métropole" in fr and "s'améliore plus vite" in fr
    assert "Écart (Bordeaux − Bordeaux Métropole)" in fr
    assert not any(word in fr for word in ("Comparison", "improves", "faster", "Gap (", "Same pace"))
    assert "Comparison: Bordeaux and Bordeaux Métropole" in en and "improves faster" in en
    assert "commune/99999" in missing and "not-found" in missing


def test_who_improves_faster_over_the_same_years() -> None:
    a = {2016: (90.0, "ok"), 2019: (100.0, "ok"), 2021: (121.0, "ok")}
    b = {2017: (40.0, "ok"), 2019: (50.0, "ok"), 2021: (51.005, "ok")}
    start, end, growth_a, growth_b = comparer.pace(a, b, "ratio")
    assert (start, end) == (2019, 2021)  # the years both have
    assert growth_a == pytest.approx(10.0) and growth_b == pytest.approx(1.0)
    names = ("A", "B")
    assert comparer.faster((start, end, growth_a, growth_b), "higher_is_better", names).startswith("A s'")
    assert comparer.faster((start, end, growth_a, growth_b), "lower_is_better", names).startswith("B s'")
    with using("en"):
        assert comparer.faster((start, end, growth_a, growth_b), None, names).startswith("A grows faster")
    assert comparer.faster((start, end, 1.0, 1.05), "higher_is_better", names).startswith("Même rythme")
    assert comparer.pace(a, {2021: (1.0, "ok")}, "ratio") is None  # one common year
    assert comparer.pace(a, b, "change_rate") is None  # a rate of change has no growth of its own
    assert comparer.pace({2019: (-1.0, "ok"), 2021: (1.0, "ok")}, b, "ratio") is None
    assert comparer.gap(a, b, "%") == "+70 points (2021)"
    with using("en"):
        assert comparer.gap(b, a, "€") == "-70 € (2021)"
