"""Downloads that open in a spreadsheet set to French (issue #16): the workbook and the French
CSV, rounded to each indicator's declared decimals, on the real offline build; the open-data
CSV stays exact."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest

from dashboard.app import create_app
from dashboard.i18n import using
from dashboard.pages import carte, indicateur
from itdd import export
from itdd.export import DEFAULT_DECIMALS, default_decimals


@pytest.fixture(scope="module")
def client(offline_db: Path):
    return create_app(offline_db).server.test_client()


def database_values(offline_db: Path, indicator_id: str, level: str) -> pd.DataFrame:
    with duckdb.connect(str(offline_db), read_only=True) as con:
        return con.execute(
            "SELECT code, year, value, status FROM indicator_values WHERE indicator_id = ? AND level = ?",
            [indicator_id, level],
        ).df()


def test_each_indicator_declares_its_decimals_or_takes_its_units(catalogue) -> None:
    decimals = {i.id: i.decimals for i in catalogue.indicators}
    assert decimals["population"] == 0 and decimals["revenu_median"] == 0  # counts and euros
    assert decimals["taux_pauvrete"] == 1 and decimals["densite_population"] == 1
    assert decimals["indice_vieillissement"] == 1  # declared in indicators.yaml
    assert decimals["rapport_interdecile"] == DEFAULT_DECIMALS == default_decimals("une unité nouvelle")


def test_the_workbook_opens_and_its_numbers_are_the_database_rounded(client, offline_db: Path) -> None:
    response = client.get("/telecharger/densite_population.xlsx?niveau=commune")
    assert response.status_code == 200 and response.mimetype == export.XLSX_MIMETYPE
    assert 'filename="densite_population_commune.xlsx"' in response.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Valeurs", "Métadonnées"]
    rows = list(book["Valeurs"].iter_rows(values_only=True))
    assert list(rows[0]) == export.TIDY_COLUMNS
    sheet = pd.DataFrame(rows[1:], columns=rows[0])
    expected = database_values(offline_db, "densite_population", "commune")
    merged = expected.merge(sheet, on=["code", "year"], validate="one_to_one")
    assert len(merged) == len(expected) == len(sheet)
    known = merged.dropna(subset=["value_x"])
    assert (known["value_x"].round(1) == known["value_y"]).all()  # hab./km²: one decimal
    assert (known["value_x"] != known["value_y"]).any()  # the exact values had more
    assert (merged["status_x"] == merged["status_y"]).all()
    cells = [cell for row in book["Valeurs"].iter_rows(min_row=2, max_row=50) for cell in row]
    assert all(c.data_type != "f" for c in cells)
    assert {c.number_format for c in cells if c.column_letter == "F"} == {"#,##0.0"}
    assert all(isinstance(c.value, str) for c in cells if c.column_letter == "C")  # codes stay text: "01001"
    about = dict(book["Métadonnées"].iter_rows(values_only=True))
    assert about["Unité"] == "hab./km²" and about["Définition"]
    assert "à une décimale" in about["Précision"] and "densite_population.csv" in about["Précision"]
    assert about["  Licence"] == "Licence Ouverte / Etalab 2.0"
    assert "Édition du producteur" in "".join(about) and "sha256" in about["Téléchargement"]


def test_secret_and_missing_stay_empty_cells_with_their_status(client, offline_db: Path) -> None:
    book = openpyxl.load_workbook(io.BytesIO(client.get("/telecharger/taux_pauvrete.xlsx").data))
    sheet = pd.DataFrame(list(book["Valeurs"].iter_rows(min_row=2, values_only=True)), columns=export.TIDY_COLUMNS)
    assert {"secret", "missing", "ok"} <= set(sheet["status"])
    withheld = sheet[sheet["status"].isin(["secret", "missing"])]
    assert withheld["value"].isna().all()  # never 0
    assert sheet.loc[sheet["status"] == "ok", "value"].notna().all()


def test_the_french_csv_round_trips_in_pandas_with_a_bom(client, offline_db: Path) -> None:
    response = client.get("/telecharger/densite_population-fr.csv?niveau=commune")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="densite_population_commune-fr.csv"' in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbfindicator_id;level;code;")
    text = response.data.decode("utf-8-sig")
    assert ";Mérignac;" in text and "MÃ©rignac" not in text
    values = [line.split(";")[5] for line in text.splitlines()[1:]]
    assert all(re.fullmatch(r"-?[0-9]+,[0-9]", v) for v in values if v)  # a decimal comma, one decimal
    read = pd.read_csv(io.BytesIO(response.data), sep=";", decimal=",", encoding="utf-8-sig", dtype={"code": str})
    assert list(read.columns) == export.TIDY_COLUMNS
    expected = database_values(offline_db, "densite_population", "commune")
    merged = expected.merge(read, on=["code", "year"], validate="one_to_one")
    assert len(merged) == len(expected) == len(read)
    assert (merged["value_x"].isna() == merged["value_y"].isna()).all()
    known = merged.dropna(subset=["value_x"])
    assert (known["value_x"].round(1) == known["value_y"]).all()


def test_the_open_data_csv_stays_exact(client, offline_db: Path) -> None:
    read = pd.read_csv(io.BytesIO(client.get("/telecharger/densite_population.csv").data), dtype={"code": str})
    expected = database_values(offline_db, "densite_population", "commune")
    merged = expected.merge(read[read["level"] == "commune"], on=["code", "year"]).dropna(subset=["value_x"])
    assert (merged["value_x"] == merged["value_y"]).all()


def test_the_same_values_give_the_same_workbook_bytes(client) -> None:
    first = client.get("/telecharger/population.xlsx?niveau=departement").data
    assert first == client.get("/telecharger/population.xlsx?niveau=departement").data
    book = openpyxl.load_workbook(io.BytesIO(first))
    assert book.properties.modified == book.properties.created  # the sources' recorded date, not the clock


@pytest.mark.parametrize(
    "path",
    [
        "/telecharger/population.ods",
        "/telecharger/population-en.csv",
        "/telecharger/Population.xlsx",
        "/telecharger/population-fr.xlsx",
        "/telecharger/nope.xlsx",
        "/telecharger/population.xlsx?annee=1789",
        "/telecharger/population-fr.csv?niveau=canton",
    ],
)
def test_an_unknown_format_indicator_or_filter_is_404(client, path: str) -> None:
    assert client.get(path).status_code == 404


def test_the_workbook_defuses_formulas_and_drops_characters_a_sheet_cannot_hold(offline_db: Path, tmp_path) -> None:
    path = tmp_path / "hostile.duckdb"
    shutil.copyfile(offline_db, path)
    with duckdb.connect(str(path)) as rw:
        rw.execute("UPDATE territories SET name = '=HYPERLINK(\"http://evil\")' || chr(1) WHERE level = 'departement'")
    response = create_app(path).server.test_client().get("/telecharger/population.xlsx?niveau=departement")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    name = book["Valeurs"]["D2"]
    assert name.value == '\'=HYPERLINK("http://evil")' and name.data_type == "s"


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_map_and_sheet_link_every_format(offline_db: Path, lang: str) -> None:
    app = create_app(offline_db)
    with app.server.test_request_context():
        with using(lang):
            links = {
                "map": carte.layout(indicateur="population", niveau="epci", annee="2021"),
                "sheet": indicateur.layout(indicator_id="population"),
            }
        hrefs = {where: _hrefs(layout) for where, layout in links.items()}
    assert {"/telecharger/population.csv?niveau=epci&annee=2021", "/telecharger/population-fr.csv?niveau=epci&annee=2021",
            "/telecharger/population.xlsx?niveau=epci&annee=2021"} <= hrefs["map"]  # fmt: skip
    assert {"/telecharger/population.csv", "/telecharger/population-fr.csv", "/telecharger/population.xlsx"} <= hrefs[
        "sheet"
    ]
    label = {"fr": "Classeur Excel (.xlsx)", "en": "Excel workbook (.xlsx)"}[lang]
    with app.server.test_request_context():
        with using(lang):
            assert label in str(indicateur.layout(indicator_id="population"))


def _hrefs(node) -> set[str]:
    found = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, list | tuple):
            stack.extend(item)
        elif hasattr(item, "to_plotly_json"):
            href = getattr(item, "href", None)
            if isinstance(href, str):
                found.add(href)
            stack.append(getattr(item, "children", None))
    return found
