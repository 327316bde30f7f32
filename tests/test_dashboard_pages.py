"""Pages and callbacks on the real offline build, without a browser (Flask test client)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from dash import Patch, no_update
from plotly.io.json import to_json_plotly
from plotly.utils import PlotlyJSONEncoder

from dashboard.app import create_app
from dashboard.context import db
from dashboard.i18n import t, using
from dashboard.maps.outlines import CACHE_CONTROL
from dashboard.maps.table import PAGE_SIZE, table_rows
from dashboard.maps.view import state_for
from dashboard.pages import carte, home, indicateur, not_found_404, territoire
from tests.conftest import in_lang


@pytest.fixture(scope="module")
def app(offline_db: Path):
    return create_app(offline_db)


def as_text(component) -> str:
    """A component tree as JSON text with its accents and U+202F unescaped."""
    return json.dumps(json.loads(json.dumps(component, cls=PlotlyJSONEncoder)), ensure_ascii=False)


@pytest.fixture
def page(app):
    """Render a page layout inside a request, as text."""

    def render(layout, **params) -> str:
        with app.server.test_request_context():
            return as_text(layout(**params))

    return render


def test_create_app_reads_nothing(tmp_path: Path) -> None:
    app = create_app(tmp_path / "absent.duckdb")  # no I/O until a page is served
    assert app.title.startswith("itdd")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_page_renders_real_gironde_data(page, lang: str) -> None:
    assert "Gironde" in page(home.layout, lang=lang)
    assert "Bordeaux" in page(carte.layout, lang=lang, indicateur="population", niveau="commune", annee="2023")
    portrait = page(territoire.layout, level="commune", code="33063", lang=lang)
    assert "Bordeaux Métropole" in portrait and "sparkline" in portrait
    sheet = page(indicateur.layout, indicator_id="population", lang=lang, territoires="commune:33063")
    assert "Licence Ouverte" in sheet and "INSEE" in sheet
    # An indicator of the catalogue without values yet still has its sheet.
    assert "taux_chomage_15_64" in page(indicateur.layout, indicator_id="taux_chomage_15_64", lang=lang)


def test_home_search_from_the_url_filters_the_catalogue(page) -> None:
    text = page(home.layout, q="chômage")
    assert "Taux de chômage des 15-64 ans" in text
    assert "/carte?indicateur=densite_population" not in text  # filtered out of the catalogue
    assert "Aucun indicateur ne correspond à « zzz »." in page(home.layout, q="zzz")


def test_portrait_speaks_plain_french(page) -> None:
    text = page(territoire.layout, level="commune", code="33063")
    assert "en hausse de 0,9\u202f% par an depuis 2016" in text
    assert "Portrait\u00a0: Bordeaux" in text


def test_portrait_marks_incomplete_values_only_where_it_has_some(page) -> None:
    # Porte-de-Benauge's 2016 population is incomplete (test_build_offline); Bordeaux has none.
    marker = f"* {t('incomplete_marker')}"
    assert marker in page(territoire.layout, level="commune", code="33008")
    assert marker not in page(territoire.layout, level="commune", code="33063")


@pytest.mark.parametrize(
    ("layout", "params", "expected"),
    [
        (indicateur.layout, {"indicator_id": "populaton"}, "Population municipale"),
        (territoire.layout, {"level": "commune", "code": "33999"}, "/territoire/commune/33"),
        (territoire.layout, {"level": "canton", "code": "33063"}, "/territoire/commune/33063"),
        (carte.layout, {"indicateur": "nope"}, "/carte?indicateur="),
        (carte.layout, {"indicateur": "population", "niveau": "region"}, "niveau=commune"),
        (carte.layout, {"indicateur": "population", "annee": "1990"}, "annee=2016"),
        (carte.layout, {"indicateur": "population", "annee": "deux-mille"}, "annee=2023"),
        (not_found_404.layout, {}, "/carte"),
    ],
)
def test_bad_urls_name_what_is_missing_and_offer_choices(page, layout, params, expected) -> None:
    text = page(layout, **params)
    assert "Page introuvable" in text and "Nous n'avons pas trouvé" in text
    assert expected in text


def _switch(app, trigger, indicator, level, year, drawn_level, classes="quantiles", lang="fr"):
    with app.server.test_request_context():
        with using(lang):
            return carte.switch(trigger, indicator, level, year, classes, drawn_level)


def _outlines(app, figure: dict) -> dict:
    """The outlines a map figure names by URL, as the browser fetches them."""
    url = figure["data"][0]["geojson"]
    assert isinstance(url, str) and url.startswith("/carte/contours/"), url
    response = app.server.test_client().get(url)
    assert response.status_code == 200 and response.headers["Cache-Control"] == CACHE_CONTROL
    return response.get_json()


def test_outlines_are_one_cacheable_asset_per_level(app) -> None:
    client = app.server.test_client()
    figure = _switch(app, "niveau", "population", "commune", 2023, None)["figure"]
    url = figure["data"][0]["geojson"]
    first = client.get(url)
    assert first.headers["ETag"] and first.mimetype == "application/geo+json"
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert all(
        set(f) == {"type", "id", "geometry"} for f in first.get_json()["features"]
    )  # no names: the page has them
    epci = _switch(app, "niveau", "population", "epci", 2023, "commune")["figure"]["data"][0]["geojson"]
    assert epci != url and "/epci-" in epci
    stale = client.get(url.replace("/commune-", "/commune-0000"))  # a page drawn before a rebuild
    assert stale.status_code == 200 and stale.headers["Cache-Control"] == "no-cache" and stale.data == first.data
    assert client.get("/carte/contours/canton-0123.geojson").status_code == 404


def test_year_and_indicator_switches_send_values_only(app) -> None:
    full = _switch(app, "niveau", "population", "commune", 2023, None)["figure"]
    assert isinstance(full, dict) and len(_outlines(app, full)["features"]) == 536
    year = _switch(app, "annee", "population", "commune", 2019, "commune")
    assert isinstance(year["figure"], Patch) and year["year"] == 2019
    assert year["search"] == "?indicateur=population&niveau=commune&annee=2019"
    assert year["year_marks"] is no_update and year["class_options"] is no_update  # the same indicator and level
    other = _switch(app, "indicateur", "densite_population", "commune", 2019, "commune")
    assert isinstance(other["figure"], Patch) and other["year"] == 2019  # the year is kept when the indicator has it
    assert other["year_marks"] and other["class_options"]  # another indicator: its years and classes
    patch_bytes = len(to_json_plotly(other["figure"]))  # as Dash sends it
    full_bytes = len(to_json_plotly(full)) + len(json.dumps(_outlines(app, full)))  # the first map and its outlines
    assert full_bytes > 10 * patch_bytes
    # A year the new indicator lacks: its latest year instead.
    change = _switch(app, "indicateur", "evolution_population", "commune", 2015, "commune")
    assert change["year"] == 2023


def test_level_switch_redraws_geometry(app) -> None:
    out = _switch(app, "niveau", "population", "epci", 2023, "commune")
    assert isinstance(out["figure"], dict) and len(_outlines(app, out["figure"])["features"]) == 28
    assert out["drawn_level"] == "epci" and [o["value"] for o in out["level_options"]] == [
        "commune",
        "epci",
        "departement",
    ]


def test_a_map_rendered_for_a_page_without_scripts_has_its_hover_in_words(app) -> None:
    with app.server.test_request_context():
        view = carte.view(db(), indicateur="population", annee=2023)
        drawn = carte.render(db(), view, PAGE_SIZE, hover_text=True)
    trace = drawn.figure["data"][0]
    by_code = dict(zip(trace["locations"], trace["customdata"], strict=True))
    assert by_code["33063"][:2] == ["267\u202f991", 1] and "hover" not in drawn.figure["layout"]["meta"]
    assert len(drawn.rows) == PAGE_SIZE and "Bordeaux" in as_text(drawn.rows[0])  # the table's rows, not the hover's


def test_the_kept_map_states_are_kept_per_language(app) -> None:
    """A map state holds texts (legend, hover): the English one is not the French one kept."""
    with app.server.test_request_context():
        view = carte.view(db(), indicateur="population", annee=2023)
        french, english, again = (in_lang(lang, state_for, db(), view) for lang in ("fr", "en", "fr"))
    assert (french["hover"]["lang"], english["hover"]["lang"]) == ("fr", "en") and again is french


def test_table_sorts_and_pages(app) -> None:
    with app.server.test_request_context():
        view = carte.view(db(), indicateur="population", annee=2023)
        state = state_for(db(), view)
    rows, page_no, pages = table_rows(state, view, "value", True, 0)
    assert pages == 27 and page_no == 0 and len(rows) == PAGE_SIZE
    assert "Bordeaux" in as_text(rows[0])
    rows, page_no, _ = table_rows(state, view, "name", False, 99)
    assert page_no == pages - 1  # clamped
    first, _, _ = table_rows(state, view, "name", False, 0)
    assert "Abzac" in as_text(first[0])


def test_csv_download_of_the_map_values(app) -> None:
    client = app.server.test_client()
    response = client.get("/telecharger/population.csv?niveau=commune&annee=2023")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = response.data.decode().splitlines()
    assert lines[0] == "indicator_id,level,code,name,year,value,unit,status"  # the published CSV's columns
    assert len(lines) == 1 + 536
    assert "population,commune,33063,Bordeaux,2023,267991,habitants,ok" in lines
    assert client.get("/telecharger/nope.csv").status_code == 404


def test_router_serves_bad_paths_without_error(app) -> None:
    client = app.server.test_client()
    # A real 404 status, with Dash's page: the browser draws the friendly not-found page in it.
    response = client.get("/carte?indicateur=nope")
    assert response.status_code == 404 and b"_dash-renderer" in response.data
    client.get("/_dash-layout")  # the router is set up on the first request

    def route(path: str, search: str = "") -> dict:
        response = client.post(
            "/_dash-update-component",
            json={
                "output": ".._pages_content.children..._pages_store.data..",
                "outputs": [
                    {"id": "_pages_content", "property": "children"},
                    {"id": "_pages_store", "property": "data"},
                ],
                "inputs": [
                    {"id": "_pages_location", "property": "pathname", "value": path},
                    {"id": "_pages_location", "property": "search", "value": search},
                ],
                "changedPropIds": ["_pages_location.pathname"],
            },
        )
        assert response.status_code == 200, response.data[:500]
        return response.get_json()

    for path, search in [
        ("/indicateur/xyz", ""),
        ("/territoire/commune", ""),
        ("/carte", "?annee=abc"),
        ("/x/y/z", ""),
    ]:
        assert "Page introuvable" in json.dumps(route(path, search), ensure_ascii=False)
    assert "Bordeaux" in json.dumps(route("/territoire/commune/33063", "?lang=en"), ensure_ascii=False)


def test_progress_categories_show_when_the_build_has_them(tmp_path: Path) -> None:
    import os

    import duckdb
    from test_dashboard_queries import make_synthetic_db

    path = make_synthetic_db(tmp_path / "progress.duckdb")
    synthetic = create_app(path)
    with synthetic.server.test_request_context():
        assert "Progrès" not in as_text(territoire.layout(level="commune", code="SYN01"))
    # A rebuild with progress rows, swapped in while the app runs.
    rebuilt = make_synthetic_db(tmp_path / "rebuilt.duckdb")
    with duckdb.connect(str(rebuilt)) as rw:
        rw.execute(
            "INSERT INTO indicator_progress BY NAME SELECT 'synth_rate' AS indicator_id, 'commune' AS level, "
            "'SYN01' AS code, 'on_track' AS category"
        )
        rw.execute(
            "INSERT INTO progress_categories BY NAME "
            "SELECT 'on_track' AS category, 'En bonne voie' AS label_fr, 'On track' AS label_en"
        )
    os.replace(rebuilt, path)
    with synthetic.server.test_request_context():
        assert "En bonne voie" in as_text(territoire.layout(level="commune", code="SYN01"))
        with using("en"):
            assert "On track" in as_text(territoire.layout(level="commune", code="SYN01"))


def test_formula_lists_every_source_of_a_series_and_the_scale(catalogue) -> None:
    import pandas as pd

    from dashboard.sheet import formula

    sources = pd.DataFrame(
        [{"source_id": s.id, "producer": s.producer, "edition": s.edition} for s in catalogue.sources]
    )
    labels = {i.id: i.label.fr for i in catalogue.indicators}

    def words(indicator_id: str) -> str:
        indicator = catalogue.newest_first(catalogue.indicator(indicator_id))  # as the build stores it
        return str(formula(json.loads(indicator.model_dump_json(exclude_none=True)), sources, labels))

    # newest edition first (June 2022 release of 2019, then 2018's of 2021), and the rule said
    poverty = words("taux_pauvrete")
    assert "taux_pauvrete (INSEE, édition 2022-06-27) ; taux_pauvrete (INSEE, édition 2021)" in poverty
    assert "la plus récente l'emporte" in poverty and "Valeur publiée par le producteur" in poverty
    assert "published" not in poverty and "insee_filosofi" not in poverty  # words, not codes
    assert "l'emporte" not in words("surface_naf_consommee")
    assert "naf_consommee_m2 (Cerema)" in words("surface_naf_consommee")
    assert "× 0,0001" in words("surface_naf_consommee")  # m² to ha, not rounded away
    composite = words("indice_sante_sociale")  # its components are its formula
    assert "Taux de pauvreté (poids 1" in composite and "Indice composite" in composite


@pytest.mark.parametrize(
    ("path", "fr", "en"),
    [
        ("/methode", "Méthode — Gironde — itdd — indicateurs", "Method — Gironde — itdd — territorial"),
        ("/territoire/commune/33063", "Bordeaux — Gironde — itdd", "Bordeaux — Gironde — itdd — territorial"),
        ("/indicateur/taux_pauvrete", "Taux de pauvreté — Gironde", "Poverty rate — Gironde"),
    ],
)
def test_tab_titles_and_page_language_follow_lang(app, path: str, fr: str, en: str) -> None:
    client = app.server.test_client()
    french, english = (client.get(f"{path}?lang={lang}").get_data(as_text=True) for lang in ("fr", "en"))
    assert '<html lang="fr">' in french and '<html lang="en">' in english
    assert f'content="{fr}' in french and f'content="{en}' in english  # the router's title, as served
    assert "Méthode" not in english.split("<body")[0] and "indicateurs" not in english.split("<body")[0]


def test_a_callback_knows_the_language_of_its_page(app) -> None:
    from dashboard.context import request_lang

    router = {"inputs": [{"id": "_pages_location", "property": "pathname", "value": "/methode"},
                         {"id": "_pages_location", "property": "search", "value": "?lang=en"}]}  # fmt: skip
    with app.server.test_request_context("/_dash-update-component", method="POST", json=router):
        assert request_lang() == "en"
    for body in ({"inputs": "x"}, {"inputs": [{"property": "search", "value": 3}]}, [1]):
        with app.server.test_request_context("/_dash-update-component", method="POST", json=body):
            assert request_lang() == "fr"


def visible_text(node) -> str:
    """The text a reader sees in a component tree (children strings, labels, placeholders)."""
    if isinstance(node, str):
        return node
    if isinstance(node, (list, tuple)):
        return "\n".join(visible_text(n) for n in node)
    if hasattr(node, "to_plotly_json"):
        props = node.to_plotly_json()["props"]
        seen = [props.get(k) for k in ("children", "placeholder", "title", "label")]
        seen += [o.get("label") for o in props.get("options") or [] if isinstance(o, dict)]
        return "\n".join(visible_text(v) for v in seen if v is not None)
    return ""


def english_phrases() -> set[str]:
    """The English texts' fixed parts (between placeholders) that French never uses."""
    import re

    from dashboard.i18n import TEXT

    french = "\n".join(TEXT["fr"].values())
    parts = {p.strip() for text in TEXT["en"].values() for p in re.split(r"\{[^}]*\}", text)}
    return {p for p in parts if len(p) >= 12 and " " in p and p not in french}


PAGES = [
    ("home", {}),
    ("carte", {"indicateur": "taux_pauvrete"}),
    ("territoire", {"level": "commune", "code": "33063"}),
    ("indicateur", {"indicator_id": "taux_pauvrete"}),
    ("methode", {}),
    ("comparer", {"level": "commune", "code": "33063", "level2": "epci", "code2": "243300316"}),
]


@pytest.mark.parametrize(("module", "params"), PAGES)
def test_no_english_on_a_french_page(app, module: str, params: dict) -> None:
    import importlib

    layout = importlib.import_module(f"dashboard.pages.{module}").layout
    with app.server.test_request_context():
        french, english = (visible_text(in_lang(lang, layout, **params)) for lang in ("fr", "en"))
    phrases = english_phrases()
    assert [p for p in phrases if p in english]  # the check sees English where there is some
    assert [p for p in phrases if p in french] == []


def french_phrases(catalogue) -> set[str]:
    """The French texts' fixed parts that English never uses, and the catalogue's French source
    titles and limits, each of which has its English twin."""
    import re

    from dashboard.i18n import TEXT

    english = "\n".join(TEXT["en"].values())
    parts = {p.strip() for text in TEXT["fr"].values() for p in re.split(r"\{[^}]*\}", text)}
    own = {p for p in parts if len(p) >= 12 and " " in p and p not in english}
    limits = {i.limits.fr for i in catalogue.indicators if i.limits}
    return own | {s.title for s in catalogue.sources} | limits


def french_units(catalogue, text: str) -> list[str]:
    """The catalogue's French units (those English writes otherwise) found as words in `text`."""
    import re

    from dashboard.i18n import UNITS_EN

    units = {i.unit for i in catalogue.indicators if UNITS_EN.get(i.unit, i.unit) != i.unit}
    return [u for u in units if re.search(rf"(?<![\w-]){re.escape(u)}(?!\w)", text)]


@pytest.mark.parametrize(("module", "params"), [*PAGES, ("indicateur", {"indicator_id": "population"})])
def test_no_french_on_an_english_page(app, catalogue, module: str, params: dict) -> None:
    import importlib

    layout = importlib.import_module(f"dashboard.pages.{module}").layout
    with app.server.test_request_context():
        french, english = (visible_text(in_lang(lang, layout, **params)) for lang in ("fr", "en"))
    phrases = french_phrases(catalogue)
    assert [p for p in phrases if p in french]  # the check sees French where there is some
    assert [p for p in phrases if p in english] == []
    assert french_units(catalogue, english) == []


def test_the_unit_check_reads_words(catalogue) -> None:
    assert sorted(french_units(catalogue, "1 200 habitants, 3 % par an")) == ["% par an", "habitants"]
    assert french_units(catalogue, "1,200 inhabitants, 3 % a year") == []


def test_sheet_holds_the_chosen_territories_options_only(page) -> None:
    sheet = page(indicateur.layout, indicator_id="population", territoires="commune:33063")
    assert '{"label": "Bordeaux (33063)", "value": "commune:33063"}' in sheet
    assert "commune:33281" not in sheet  # Mérignac is offered once typed, not in the page


def test_sheet_dropdown_offers_what_is_typed_with_a_value_of_the_indicator(app) -> None:
    from dashboard.hardening import callback_key, callback_request

    def options(indicator_id: str, text, chosen: list[str]):
        key = callback_key(app.callback_map, "sheet-territories.options")
        values = {"sheet-territories.search_value": text, "sheet-territories.value": chosen,
                  "sheet-indicator.data": indicator_id}  # fmt: skip
        body = callback_request(app.callback_map, key, values, "sheet-territories.search_value")
        response = app.server.test_client().post("/_dash-update-component", json=body)
        assert response.status_code in (200, 204), response.data[:300]
        answer = response.get_json()["response"] if response.status_code == 200 else {}
        return answer.get("sheet-territories", {}).get("options")  # None: no update

    found = options("population", "merignac", ["commune:33063"])
    assert found[0] == {"label": "Bordeaux (33063)", "value": "commune:33063"}  # the chosen one stays
    assert {"label": "Mérignac (33281)", "value": "commune:33281", "search": "merignac"} in found
    assert [o["value"] for o in options("population", "33700", [])] == ["commune:33281"]  # its postcode
    assert len(options("population", "saint", [])) == indicateur.MAX_OPTIONS
    # The département has population but no development index: it is offered for the first only.
    assert "departement:33" in [o["value"] for o in options("population", "Gironde", [])]
    assert "departement:33" not in [o["value"] for o in options("indice_developpement_humain", "Gironde", [])]
    assert options("population", "", ["epci:243300316"]) == [
        {"label": "Bordeaux Métropole (243300316)", "value": "epci:243300316"}
    ]
    assert options("population", 3, []) is None  # a forged search: no update


def test_concurrent_requests_each_render_their_own_language(app) -> None:
    """Pages served at once by two threads, one French and one English: each is in its own language
    (the locale is bound per request, not shared by the process)."""
    app.server.test_client().get("/_dash-layout")  # the router is set up on the first request
    titles = {lang: in_lang(lang, t, "site_title") for lang in ("fr", "en")}

    def served(search: str) -> str:
        body = {
            "output": ".._pages_content.children..._pages_store.data..",
            "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
            "inputs": [
                {"id": "_pages_location", "property": "pathname", "value": "/"},
                {"id": "_pages_location", "property": "search", "value": search},
            ],
            "changedPropIds": ["_pages_location.pathname"],
        }
        response = app.server.test_client().post("/_dash-update-component", json=body)
        assert response.status_code == 200, response.data[:500]
        return response.get_data(as_text=True)

    searches = ["", "?lang=en"] * 4
    with ThreadPoolExecutor(2) as pool:
        pages = list(pool.map(served, searches))
    for search, text in zip(searches, pages, strict=True):
        lang, other = ("en", "fr") if search else ("fr", "en")
        assert titles[lang] in text and titles[other] not in text
