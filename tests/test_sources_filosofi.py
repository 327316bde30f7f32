"""Filosofi across editions (issue #3): the 2019 commune file (wide) and the 2021 file
(long, one row per territory and measure, communes, EPCI and départements) make one
series; the 2023 edition (new method) is a separate series. Producer values are used at
every level they exist, never aggregated.

INSEE's layouts (`;`, CODGEO or GEO as text, blank = withheld); VALUES ARE SYNTHETIC.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import duckdb
import pytest

from etl.build import build
from etl.catalogue import load_catalogue

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parent.parent
FILOSOFI_2019 = "www.insee.fr/fr/statistiques/fichier/6036902/base-cc-filosofi-2019_CSV.zip"
FILOSOFI_2021 = "www.insee.fr/fr/statistiques/fichier/7756729/base-cc-filosofi-2021-geo2025_csv.zip"
FILOSOFI_2023 = "www.insee.fr/fr/statistiques/fichier/8984752/FILOSOFI_CC_csv.zip"
LONG_HEADER = "GEO;GEO_OBJECT;FILOSOFI_MEASURE;UNIT_MEASURE;UNIT_MULT;CONF_STATUS;OBS_STATUS;TIME_PERIOD;OBS_VALUE"
FILES = {
    FILOSOFI_2019: (
        "cc_filosofi_2019_COM.CSV",
        [
            "CODGEO;NBMENFISC19;MED19;TP6019;TP60AGE119;TP60TOL219;PIMP19;PPSOC19;RD19",
            "33063;1000;23000;16;;25;60;6;4.5",
        ],
    ),
    FILOSOFI_2021: (
        "DS_FILOSOFI_CC_data.csv",
        [
            LONG_HEADER,
            "33063;COM;MED_SL;EUR_YR;0;F;A;2021;24500",
            "33063;COM;PR_MD60;PT;0;F;A;2021;15,5",
            "33002;COM;PR_MD60;PT;0;C;A;2021;",
            "243300316;EPCI;PR_MD60;PT;0;F;A;2021;14.1",
            "33;DEP;PR_MD60;PT;0;F;A;2021;13.2",
            "75;REG;PR_MD60;PT;0;F;A;2021;13.9",
        ],
    ),
    FILOSOFI_2023: (
        "DS_FILOSOFI_CC_2023_data.csv",
        [LONG_HEADER, "33063;COM;PR_MD60;PT;0;F;A;2023;17.0", "33;DEP;PR_MD60;PT;0;F;A;2023;14.0"],
    ),
}


@pytest.fixture(scope="module")
def filosofi_db(tmp_path_factory, serve_folder) -> Path:
    folder = tmp_path_factory.mktemp("filosofi")
    for path, (member, lines) in FILES.items():
        target = folder / "mirror" / path
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(target, "w") as zf:
            zf.writestr(member, "\r\n".join(lines) + "\r\n")
    db = folder / "itdd.duckdb"
    build(load_catalogue(ROOT / "indicators.yaml"), db, mirror=serve_folder(folder / "mirror"), cache_dir=folder / "c")
    return db


@pytest.fixture
def series(filosofi_db):
    con = duckdb.connect(str(filosofi_db), read_only=True)

    def get(indicator: str, level: str, code: str) -> dict[int, tuple[float | None, str]]:
        rows = con.execute(
            "SELECT year, value, status FROM indicator_values WHERE indicator_id = ? AND level = ? AND code = ?",
            [indicator, level, code],
        ).fetchall()
        return {year: (value, status) for year, value, status in rows}

    yield get
    con.close()


def test_two_editions_with_one_method_make_one_series(series) -> None:
    assert series("taux_pauvrete", "commune", "33063") == {2019: (16.0, "ok"), 2021: (15.5, "ok")}
    assert series("revenu_median", "commune", "33063") == {2019: (23000.0, "ok"), 2021: (24500.0, "ok")}
    assert series("taux_pauvrete", "commune", "33002")[2021] == (None, "secret")


def test_producer_values_at_every_level_they_exist_never_aggregated(series, filosofi_db) -> None:
    assert series("taux_pauvrete", "epci", "243300316") == {2021: (14.1, "ok")}  # 2019: no EPCI file
    assert series("taux_pauvrete", "departement", "33") == {2021: (13.2, "ok")}
    with duckdb.connect(str(filosofi_db), read_only=True) as con:
        levels = {
            lv
            for (lv,) in con.execute(
                "SELECT DISTINCT level FROM obs WHERE source_id = 'insee_filosofi_2021'"
            ).fetchall()
        }
    assert levels == {"commune", "epci", "departement"}  # GEO_OBJECT codes mapped; REG is not in level_values


def test_the_new_method_is_a_new_series(series, filosofi_db) -> None:
    assert 2023 not in series("taux_pauvrete", "commune", "33063")
    assert series("taux_pauvrete_filosofi2", "commune", "33063") == {2023: (17.0, "ok")}
    with duckdb.connect(str(filosofi_db), read_only=True) as con:
        progress = dict(
            con.execute(
                "SELECT indicator_id, last_year FROM indicator_progress WHERE level = 'commune' AND code = '33063' "
                "AND indicator_id IN ('taux_pauvrete', 'taux_pauvrete_filosofi2')"
            ).fetchall()
        )
    assert progress == {"taux_pauvrete": 2021, "taux_pauvrete_filosofi2": 2023}  # no trend across the break


def test_losing_one_edition_does_not_lose_the_indicator(catalogue) -> None:
    poverty = catalogue.indicator("taux_pauvrete")
    assert not poverty.needs_any_of({"insee_filosofi_2021"})
    assert poverty.needs_any_of({"insee_filosofi_2019", "insee_filosofi_2021"})
    assert catalogue.indicator("conso_energie_par_habitant").needs_any_of({"populations_legales"})
