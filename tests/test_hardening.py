"""Hostile input, one case at a time (Flask test client, no server): callback inputs of the wrong
type, malformed callback bodies, the CSV route's parameters and file name, formula cells in
the CSV, HTTP 404 for unknown pages, the body size limit, component-suite paths."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote

import duckdb
import pandas as pd
import pytest
from dash import no_update
from werkzeug.datastructures import MultiDict

from dashboard import assessment
from dashboard.app import create_app, download_filter
from dashboard.hardening import (
    MAX_BODY_BYTES,
    callback_key,
    callback_problem,
    callback_request,
    content_disposition,
    json_depth,
    match_page,
)
from dashboard.i18n import using
from dashboard.maps.table import DEFAULT_TABLE, PAGE_SIZE, SORT_COLUMNS
from dashboard.pages import carte, indicateur
from itdd import export

# Every JSON type, and the awkward ones: what a forged request can put in any input.
JSON_VALUES = [
    None,
    True,
    False,
    0,
    -1,
    10**400,
    2022.9,
    float("nan"),
    float("inf"),
    "",
    "x",
    "\n",
    [],
    ["a"],
    [[]],
    {},
    {"a": 1},
]


@pytest.fixture(scope="module")
def app(offline_db: Path):
    dash_app = create_app(offline_db)
    dash_app.server.test_client().get("/")  # Dash registers its page router on the first request
    return dash_app


@pytest.fixture
def client(app):
    return app.server.test_client()


def _map_values(**changes) -> dict:
    values = {"indicateur.value": "population", "niveau.value": "commune", "annee.value": 2023,
              "classes.value": "quantiles", "couleur.value": "valeur", "map-level.data": "commune", "lang.data": "fr"}  # fmt: skip
    return {**values, **changes}


def test_a_well_formed_body_passes_and_runs(app, client) -> None:
    key = callback_key(app.callback_map, "map.figure")
    body = callback_request(app.callback_map, key, _map_values(), "annee.value")
    assert callback_problem(body, app.callback_map) is None
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200 and "map-view" in response.get_json()["response"]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda b: None, "not a JSON object"),
        (lambda b: {}, "no server callback"),
        (lambda b: {**b, "output": "print-button.title"}, "no server callback"),  # a clientside callback
        (lambda b: {**b, "outputs": b["outputs"][:2]}, "outputs do not match"),
        (lambda b: {**b, "inputs": b["inputs"][:3]}, "inputs: 5 expected"),
        (lambda b: {**b, "inputs": [*b["inputs"][:4], {"id": "other", "property": "value", "value": 1}]}, "inputs[4]"),
        (lambda b: {**b, "state": "x"}, "state: 2 expected"),
        (lambda b: {**b, "changedPropIds": ["nothing.value"]}, "changedPropIds"),
        (lambda b: {**b, "changedPropIds": ['{"broken.value']}, "changedPropIds"),
        (lambda b: {**b, "changedPropIds": ['{"a":' * 100_000 + "1" + "}" * 100_000 + ".value"]}, "changedPropIds"),
        (
            lambda b: {**b, "extra": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]},
            "nested too deeply",
        ),
    ],
)
def test_malformed_callback_bodies_are_refused_with_400(app, client, change, problem: str) -> None:
    body = change(callback_request(app.callback_map, callback_key(app.callback_map, "map.figure"), _map_values()))
    assert problem in callback_problem(body, app.callback_map)
    assert client.post("/_dash-update-component", json=body).status_code == 400


@pytest.mark.parametrize(
    "raw", [b"null", b"{}", b"[" * 100_000 + b"]" * 100_000, b'{"output": ', b"\xff\xfe", b"9" * 5000]
)
def test_raw_bodies_that_broke_dash_are_400(client, raw: bytes) -> None:
    response = client.post("/_dash-update-component", data=raw, content_type="application/json")
    assert response.status_code == 400


def test_the_router_takes_only_text(app, client) -> None:
    key = callback_key(app.callback_map, "_pages_content.children")
    for pathname in (None, 5, [], {"a": 1}, "carte"):  # Dash's router fails on a path without its leading "/"
        body = callback_request(app.callback_map, key, {"_pages_location.pathname": pathname})
        assert client.post("/_dash-update-component", json=body).status_code == 400
    body = callback_request(
        app.callback_map, key, {"_pages_location.pathname": "/x", "_pages_location.search": "?a=1&a=2"}
    )
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200 and "Page introuvable" in response.text


def test_body_size_is_limited(client) -> None:
    response = client.post("/_dash-update-component", data=b" " * (MAX_BODY_BYTES + 1), content_type="application/json")
    assert response.status_code == 413


def test_json_depth_is_counted_without_recursion() -> None:
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    assert json_depth(deep) == 100_001 and json_depth({"a": [1, {"b": 2}]}) == 3 and json_depth("x") == 0


@pytest.mark.parametrize("value", JSON_VALUES)
def test_map_callbacks_answer_no_update_to_any_wrong_type(app, value) -> None:
    with app.server.test_request_context():
        for position in range(6):
            args = ["annee", "population", "commune", 2023, "quantiles", "commune", "valeur"]
            args[1 + position] = value
            out = carte.switch(*args)
            assert (
                isinstance(out, dict) and out.keys() == carte.NO_SWITCH.keys()
            )  # a figure or no_update, never an error
        view = {"indicator": "population", "level": "commune", "year": 2023, "classes": "quantiles", "colour": "valeur"}
        assert carte.table_update(None, value, None) == carte.NO_TABLE
        for key in view:
            forged = {**view, key: value}
            out = carte.table_update({"col": value, "type": "sort"}, forged, value)
            assert len(out) == 4
        assert carte.portrait_href(value, view) is no_update
        href = carte.portrait_href({"points": [{"location": value}]}, view)
        if isinstance(value, str) and value:
            assert href == "/territoire/commune/" + quote(value, safe="")
        else:
            assert href is no_update
        forged_keys = not (value is None or isinstance(value, list) and all(isinstance(v, str) for v in value))
        assert (indicateur.sheet_update(value, "population")[0] is no_update) == forged_keys
        assert indicateur.sheet_update([], value) == (no_update,) * 6  # not an indicator id


def test_a_forged_map_view_is_resolved_again_from_the_database(app) -> None:
    view = {"indicator": "population", "level": "commune", "year": 1789, "classes": "quantiles", "colour": "valeur"}
    with app.server.test_request_context():
        assert carte.table_update(None, view, None) == carte.NO_TABLE
        out = carte.table_update(None, {**view, "year": 2023}, None)
        rows, page, table, caption = (out[k] for k in ("rows", "pager", "table", "caption"))
    assert len(rows) == PAGE_SIZE and table == {**DEFAULT_TABLE, "page": 0} and "2023" in caption
    assert carte.portrait_href({"points": [{"location": "../x"}]}, view) == "/territoire/commune/..%2Fx"


def test_category_label_takes_any_language_value() -> None:
    for lang in JSON_VALUES:
        with using(lang):
            assert assessment.category_label("on_track", {("on_track", "fr"): "En bonne voie"}) == "En bonne voie"
    assert assessment.category_label(["x"])  # a list is not a missing category, and no error


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", (None, None)),
        ("niveau=commune&annee=2023", ("commune", 2023)),
        ("annee=%C2%B2", None),  # '²' passes str.isdigit() and used to give HTTP 500
        ("annee=" + "9" * 5000, None),
        ("annee=-2023", None),
        ("niveau=canton", None),
        ("niveau=commune%0Aevil", None),
        ("niveau=%E4%B8%AD", None),  # not Latin-1: the header used to hang the response
    ],
)
def test_download_accepts_known_levels_and_four_digit_years(query: str, expected) -> None:
    args = MultiDict(parse_qsl(query, keep_blank_values=True))
    assert download_filter(args) == expected


@pytest.mark.parametrize(
    "query",
    [
        "annee=%C2%B2",
        "annee=" + "9" * 5000,
        "niveau=a%0D%0AX-Evil:%201",
        "niveau=%E4%B8%AD",
        "annee=1789",
        "niveau=epci&annee=1789",
    ],
)
def test_download_of_anything_unknown_is_404(client, query: str) -> None:
    assert client.get(f"/telecharger/population.csv?{query}").status_code == 404


def test_download_file_name_is_safe() -> None:
    header = content_disposition('evil"\r\nSet-Cookie: x=1;.html\u4e2d.csv')
    assert "\r" not in header and "\n" not in header and header.isascii()
    fallback = header.split('filename="')[1].split('"')[0]
    assert fallback == "evil___Set-Cookie__x_1_.html_.csv"
    assert unquote(header.split("filename*=UTF-8''")[1]) == 'evil"\r\nSet-Cookie: x=1;.html\u4e2d.csv'
    assert content_disposition("population_commune_2023.csv") == (
        "attachment; filename=\"population_commune_2023.csv\"; filename*=UTF-8''population_commune_2023.csv"
    )


def _old_csv_text(rows: pd.DataFrame) -> str:
    """The CSV writer before formula escaping, to show that normal rows keep their bytes."""
    shown = rows.astype({"year": "Int64"}).assign(value=rows["value"].map(export._shortest))
    return shown.to_csv(index=False, lineterminator="\n")


def test_formula_cells_are_defused_and_normal_rows_keep_their_bytes(offline_db: Path) -> None:
    with duckdb.connect(str(offline_db), read_only=True) as con:
        rows = pd.concat([export.tidy_values(con, i) for i in ("population", "evolution_population")])
    assert (rows["value"] < 0).any()  # negative numbers are numbers, never escaped
    assert export.csv_text(rows) == _old_csv_text(rows)
    hostile = rows.head(7).copy()
    hostile["name"] = ['=HYPERLINK("http://x")', "+1", "-1", "@SUM(A1)", "\tx", "\rx", "Saint-Émilion"]
    hostile["value"] = [-0.5, 1.0, -2.0, 3.0, 4.0, 5.0, -6.0]
    lines = export.csv_text(hostile).splitlines()
    cells = [line.split(",")[3] for line in lines[1:]]
    assert cells[0] == '"\'=HYPERLINK(""http://x"")"' and cells[1:4] == ["'+1", "'-1", "'@SUM(A1)"]
    assert cells[-1] == "Saint-Émilion" and ",-0.5,habitants," in lines[1]


def test_the_download_route_defuses_a_formula_name(offline_db: Path, tmp_path: Path) -> None:
    path = tmp_path / "hostile.duckdb"
    shutil.copyfile(offline_db, path)
    with duckdb.connect(str(path)) as rw:
        rw.execute("UPDATE territories SET name = '=HYPERLINK(\"http://evil\")' WHERE level = 'departement'")
    response = create_app(path).server.test_client().get("/telecharger/population.csv?niveau=departement")
    assert response.status_code == 200
    assert ',"\'=HYPERLINK(""http://evil"")",2016,' in response.text
    assert response.headers["Content-Disposition"].startswith('attachment; filename="population_departement.csv"')


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 200),
        ("/carte", 200),
        ("/carte/", 200),
        ("/carte?indicateur=population&niveau=epci&annee=2019", 200),
        ("/carte?indicateur=population&indicateur=nope", 200),  # a repeated parameter: its first value
        ("/methode", 200),
        ("/indicateur/population", 200),
        ("/territoire/commune/33063", 200),
        ("/territoire/epci/243300316?lang=en", 200),
        ("/nulle-part", 404),
        ("/404", 404),
        ("/carte?indicateur=nope", 404),
        ("/carte?annee=1789", 404),
        ("/indicateur/nope", 404),
        ("/territoire/commune/99999", 404),
        ("/territoire/canton/33063", 404),
        ("/territoire/commune/33063/plus", 404),
        ("/favicon.ico", 404),
        ("/_dash-component-suites/dash/../../../../etc/passwd", 404),
        ("/_dash-component-suites/os/path.py", 404),
        ("/_dash-component-suites/dash/dcc/nope.js", 404),
        ("/assets/../queries.py", 404),
    ],
)
def test_http_status_of_pages(client, path: str, status: int) -> None:
    response = client.get(path)
    assert response.status_code == status
    if path.startswith("/_dash-component-suites"):
        assert b"Registered" not in response.data  # Dash's message listed every registered file


def test_match_page_follows_the_registered_pages(app) -> None:
    assert match_page("/territoire/commune/33063")[1] == {"level": "commune", "code": "33063"}
    assert match_page("/indicateur/population/")[1] == {"indicator_id": "population"}
    assert match_page("/carte")[0]["path"] == "/carte"
    for path in ("/territoire/commune", "/territoire/a/b/c", "/indicateur/", "/cartes"):
        assert match_page(path) == (None, {}), path


def test_callback_bodies_of_the_real_renderer_shape_pass(app) -> None:
    """The table callback's pattern input (sort buttons) and its changedPropIds as Dash writes them."""
    key = callback_key(app.callback_map, "map-table-body.children")
    sort = [{"id": {"col": c, "type": "sort"}, "value": None} for c in SORT_COLUMNS]
    view = {"indicator": "population", "level": "commune", "year": 2023, "classes": "quantiles", "colour": "valeur"}
    changed = json.dumps({"col": "name", "type": "sort"}, separators=(",", ":")) + ".n_clicks"
    values = {"map-view.data": view, '{"col":["ALL"],"type":"sort"}.n_clicks': sort, "lang.data": "fr"}
    body = callback_request(app.callback_map, key, values, changed)
    assert callback_problem(body, app.callback_map) is None
    body["inputs"][1].append({"id": {"col": "name", "type": "other"}, "property": "n_clicks", "value": 1})
    assert "does not match" in callback_problem(body, app.callback_map)
