"""The static site's pieces (issue #16) on the real offline build, without writing the whole
site: territory lists in French order, the EPCI heading, the 404 page, the search index."""

from __future__ import annotations

import html as html_text
import json
import posixpath
import re
from pathlib import Path

import pytest

from dashboard import queries
from dashboard.app import create_app
from dashboard.collation import french_key
from dashboard.context import CONFIG_KEY, db
from dashboard.i18n import using
from dashboard.pages import home, indicateur, not_found_404, territoire
from dashboard.site_html import relative_link, relative_path
from dashboard.site_pages import map_page, territories_index
from dashboard.site_search import search_index
from dashboard.static_site import (
    NOT_FOUND_PAGE,
    FrozenDatabase,
    Renderer,
    file_path,
    lang_folder,
    pages,
    write_page,
)


@pytest.fixture(scope="module")
def database(offline_db: Path):
    app = create_app(offline_db)
    app.server.config[CONFIG_KEY] = FrozenDatabase(offline_db)
    with app.server.app_context():
        yield db()


def test_relative_paths_are_posixpaths() -> None:
    paths = ["", "en", "en/", "index.html", "en/index.html", "territoire/commune", "territoire/commune/33063.html",
             "en/territoire/epci/243300316.html", "territoire/commune/33", "donnees/population.csv"]  # fmt: skip
    for target in paths:
        for folder in (p for p in paths if not p.endswith((".html", ".csv"))):
            assert relative_path(target, folder) == posixpath.relpath(target or ".", folder or "."), (target, folder)


def test_french_order_ignores_accents_case_and_punctuation_first() -> None:
    names = ["Yvrac", "Étauliers", "eysines", "Sainte-Croix-du-Mont", "Saint-Yzans-de-Médoc", "Œuilly", "Ordonnac"]
    assert sorted(names, key=french_key) == [
        "Étauliers", "eysines", "Œuilly", "Ordonnac", "Saint-Yzans-de-Médoc", "Sainte-Croix-du-Mont", "Yvrac"
    ]  # fmt: skip
    assert sorted(names) != sorted(names, key=french_key)  # byte order puts É and Œ after Y


def test_territories_come_in_french_order(database) -> None:
    communes = database.run(queries.list_territories).query("level == 'commune'")["name"].tolist()
    assert communes.index("Étauliers") < communes.index("Eysines") < communes.index("Yvrac")
    assert communes == sorted(communes, key=french_key)


def test_the_territories_page_lists_in_french_order_under_readable_headings(database) -> None:
    html = Renderer("territoires.html").render(territories_index(database))
    assert "<h2>Intercommunalités (EPCI)</h2>" in html and "(epci)" not in html
    assert html.index(">Étauliers (33159)<") < html.index(">Yvrac (33554)<")


def test_the_404_page_links_home_and_can_be_served_at_any_depth(database, tmp_path: Path) -> None:
    write_page(tmp_path, NOT_FOUND_PAGE, not_found_404.layout(), "Page introuvable — itdd")
    page = (tmp_path / NOT_FOUND_PAGE).read_text(encoding="utf-8")
    assert "<title>Page introuvable — itdd</title>" in page and 'href="index.html"' in page
    assert "<base " not in page  # relative to the site's root without a public address
    write_page(tmp_path, NOT_FOUND_PAGE, not_found_404.layout(), "x", "https://data.example.fr/itdd")
    page = (tmp_path / NOT_FOUND_PAGE).read_text(encoding="utf-8")
    assert '<base href="https://data.example.fr/itdd/">' in page  # links resolve from any missing path


def test_the_search_index_names_every_territory_and_indicator_with_its_page(database) -> None:
    index = search_index(database)
    assert index["abbreviations"]["st"] == "saint"
    entries = index["entries"]
    territories = database.run(queries.list_territories)
    indicators = database.run(queries.catalogue)
    also = [e for e in entries if "note" in e]  # postcodes and former names, each saying how it matches
    assert len(entries) == len(territories) + len(indicators) + len(also)
    talence = next(e for e in also if e["code"] == "33400")
    assert talence["name"] == "Talence" and talence["note"] == "commune, code postal 33400"
    assert talence["page"] == "territoire/commune/33522.html"
    assert any(e["note"].startswith("commune, anciennement ") and e["words"] for e in also)
    merignac = next(e for e in entries if e["code"] == "33281")
    assert merignac == {"name": "Mérignac", "code": "33281", "kind": "commune",
                        "page": "territoire/commune/33281.html", "words": "merignac"}  # fmt: skip
    assert entries[0] == talence or "note" in entries[0]  # postcodes and former names first, as on the dashboard
    assert next(e for e in entries if "note" not in e)["kind"] == "département"  # then the larger territories first
    population = next(e for e in entries if e["code"] == "population")
    assert population["page"] == "indicateur/population.html" and "population" in population["words"]
    assert len(json.dumps(index, ensure_ascii=False)) < 200_000  # small enough to fetch on a phone


def test_pages_with_the_search_box_load_the_search_script(database, tmp_path: Path) -> None:
    from dashboard.pages import home

    write_page(tmp_path, "index.html", home.layout(), "itdd")
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert 'id="site-search"' in page and 'data-index="recherche.json"' in page
    assert re.search(r'<script src="assets/search.js"></script>', page)
    assert 'href="territoires.html"' in page  # the full list stays, for a browser without scripts


def test_the_map_page_draws_the_default_map_and_links_every_other(database, tmp_path: Path) -> None:
    assert file_path("/carte") == ("carte.html", "") and file_path("/carte?indicateur=population")[0].startswith(
        "indicateur/"
    )
    write_page(tmp_path, "carte.html", map_page(database), "Carte — itdd")
    page = (tmp_path / "carte.html").read_text(encoding="utf-8")
    assert 'id="map"' in page and "plotly.min.js" in page  # a real map, drawn in the browser
    others = set(re.findall(r'href="(indicateur/[a-z0-9_]+\.html#carte)"', page))
    drawn = len(database.run(queries.list_indicators))
    assert len(others) == drawn - 1  # every other indicator with values, on its sheet's map


def _visible(page: str) -> str:
    """The text a reader sees: without scripts, styles, tags and the link to the other language."""
    page = re.sub(r'<a [^>]*id="lang-switch".*?</a>', "", page, flags=re.S)
    page = re.sub(r"<(script|style)[^>]*>.*?</\1>", "", page, flags=re.S)
    return html_text.unescape(re.sub(r"<[^>]+>", "\n", page))


SAMPLE = [
    ("index.html", lambda: home.layout()),
    ("territoire/commune/33063.html", lambda: territoire.layout(level="commune", code="33063")),
    ("indicateur/taux_pauvrete.html", lambda: indicateur.layout(indicator_id="taux_pauvrete")),
]


@pytest.fixture(scope="module")
def both_languages(database, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("site")
    for page, layout in SAMPLE:
        for lang in ("fr", "en"):
            with using(lang):
                write_page(root, lang_folder(lang) + page, layout(), "itdd")
    return root


def test_english_pages_mirror_the_french_ones_and_link_to_each_other(both_languages: Path) -> None:
    for page, _ in SAMPLE:
        french, english = both_languages / page, both_languages / "en" / page
        assert '<html lang="fr">' in french.read_text(encoding="utf-8")
        assert '<html lang="en">' in english.read_text(encoding="utf-8") and "Skip to content" in english.read_text()
        for source, target in ((french, english), (english, french)):
            link = re.search(r'<a href="([^"]+)" id="lang-switch"', source.read_text(encoding="utf-8"))
            assert link and (source.parent / link.group(1)).resolve() == target.resolve(), (source, link)


def test_english_pages_link_to_english_pages_and_the_shared_data(both_languages: Path) -> None:
    portrait = (both_languages / "en" / "territoire" / "commune" / "33063.html").read_text(encoding="utf-8")
    assert 'href="../../../en/indicateur/' not in portrait  # relative within en/, never through the root
    assert re.search(r'href="\.\./\.\./indicateur/population\.html', portrait)  # English sheets
    assert 'data-index="../../recherche.json"' in portrait  # the English search index, at en/
    sheet = (both_languages / "en" / "indicateur" / "taux_pauvrete.html").read_text(encoding="utf-8")
    assert 'href="../../donnees/taux_pauvrete.csv"' in sheet  # one copy of the open data, at the root
    assert file_path("/territoire/commune/33063?lang=en") == ("en/territoire/commune/33063.html", "")
    assert relative_link("/indicateur/population", "en/index.html") == "indicateur/population.html"
    assert relative_link("/indicateur/population?lang=fr", "en/index.html") == "../indicateur/population.html"


def test_a_link_is_the_same_from_its_cached_part_of_the_url() -> None:
    """`relative_link` caches the app URL without the query parameters that do not decide the
    site file: each link is what `file_path` makes of the whole URL, and another site's URL
    keeps its query."""
    from dashboard.site_html import relative_path

    hrefs = [
        "/indicateur/population?territoires=commune%3A33063",
        "/indicateur/population?territoires=commune%3A33063&lang=en#carte",
        "/carte?niveau=epci&indicateur=population&annee=2021",
        "/carte?niveau=epci",
        "/territoire/commune/33063?lang=fr",
        "https://opendata.agenceore.fr/exports/csv?delimiter=%2C",
        "//example.org/x?a=1",
    ]
    for page in ("index.html", "en/territoire/commune/33063.html", "indicateur/population.html"):
        for href in hrefs:
            found = file_path(href, "en" if page.startswith("en/") else "fr")
            if found is None:
                expected = href
            else:
                link = relative_path(found[0], page.rpartition("/")[0])
                expected = f"{link}#{found[1]}" if found[1] else link
            assert relative_link(href, page) == expected, (href, page)


def test_french_pages_have_no_english_and_english_pages_are_english(both_languages: Path) -> None:
    from tests.test_dashboard_pages import english_phrases

    phrases = english_phrases()
    for page, _ in SAMPLE:
        french = _visible((both_languages / page).read_text(encoding="utf-8"))
        english = _visible((both_languages / "en" / page).read_text(encoding="utf-8"))
        assert [p for p in phrases if p in english], page  # the check sees English where there is some
        assert [p for p in phrases if p in french] == [], page


def test_the_english_search_index_names_english_pages_and_kinds(database) -> None:
    with using("en"):
        entries = search_index(database)["entries"]
    merignac = next(e for e in entries if e["code"] == "33281" and "note" not in e)
    assert merignac["page"] == "territoire/commune/33281.html"  # relative to en/, where it is written
    assert merignac["kind"] == "municipality"
    assert next(e for e in entries if e["code"] == "population")["kind"] == "indicator"


def test_an_indicator_page_holds_no_table_of_every_territory(database, tmp_path: Path) -> None:
    page, make, title = next(p for p in pages(database) if p[0] == "indicateur/population.html")
    write_page(tmp_path, page, make(), title)
    sheet = (tmp_path / page).read_text(encoding="utf-8")
    table = re.search(r'<table id="map-table"[^>]*>(.*?)</table>', sheet, flags=re.S).group(1)
    total = int(re.search(r"Les 20 premiers des (\d+) territoires", sheet).group(1))
    assert table.count("<tr>") - 1 == 20 and total > 500  # the first rows by rank, under its header row
    assert ">Bordeaux</a>" in table  # the most populous first
    assert 'href="../donnees/population.csv"' in sheet  # every territory's value, in the files
    assert len(sheet.encode()) < 100_000
