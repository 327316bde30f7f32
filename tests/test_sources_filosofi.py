"""Filosofi across editions (issues #3, #11): the 2019 file (wide, one member per level,
in INSEE's June 2022 release format) and the 2021 file (long, one row per territory and
measure) make one series; the 2023 edition (new method) is a separate series. Producer
values are used at every level they exist, never aggregated.

INSEE's layouts (`;`, CODGEO or GEO as text, `s` or blank = withheld); VALUES ARE SYNTHETIC.
The real files are read in tests/test_real_trends.py.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import duckdb
import pytest

from etl.build import build

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parent.parent
FILOSOFI_2019 = "www.insee.fr/fr/statistiques/fichier/6036902/base-cc-filosofi-2019_CSV.zip"
FILOSOFI_2021 = "www.insee.fr/fr/statistiques/fichier/7756729/base-cc-filosofi-2021-geo2025_csv.zip"
FILOSOFI_2023 = "www.insee.fr/fr/statistiques/fichier/8984752/FILOSOFI_CC_csv.zip"
LONG_HEADER = "GEO;GEO_OBJECT;FILOSOFI_MEASURE;UNIT_MEASURE;UNIT_MULT;CONF_STATUS;OBS_STATUS;TIME_PERIOD;OBS_VALUE"
WIDE_2019 = "CODGEO;NBMENFISC19;MED19;TP6019;TP60AGE119;TP60TOL219;PIMP19;PPSOC19;RD19"
# The June 2022 release of 2019: one lower-case member per level, LF, decimal comma, `s` = secret
FILES_2019 = {
    "cc_filosofi_2019_COM.csv": [WIDE_2019, "33063;1000;23000;16;s;25;60;6;4,5", "33002;400;20000;s;s;s;s;s;nd"],
    "cc_filosofi_2019_EPCI.csv": [WIDE_2019, "243300316;9000;22900;14,2;s;24;58;5;4"],
    "cc_filosofi_2019_DEP.csv": [WIDE_2019, "33;700000;22600;12,6;22;23;60;5,5;3,2"],
    "cc_filosofi_2019_REG.csv": [
        WIDE_2019,
        "75;2700000;21500;13,4;23;26;54;5,7;3",
        "11;5000000;24000;15,5;19;25;69;4,6;4,4",
    ],
    "cc_filosofi_2019_METRO.csv": [WIDE_2019, "1;27900000;21900;14,5;22;27;57;5,8;3,4"],
}
FILES = {
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
def filosofi_db(tmp_path_factory, serve_folder, few_rows_catalogue) -> Path:
    folder = tmp_path_factory.mktemp("filosofi")
    for path, members in [*((p, {m: lines}) for p, (m, lines) in FILES.items()), (FILOSOFI_2019, FILES_2019)]:
        target = folder / "mirror" / path
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(target, "w") as zf:
            for member, lines in members.items():
                zf.writestr(member, "\n".join(lines) + "\n")
    db = folder / "itdd.duckdb"
    build(few_rows_catalogue, db, mirror=serve_folder(folder / "mirror"), cache_dir=folder / "c")
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
    assert series("taux_pauvrete", "commune", "33002") == {2019: (None, "secret"), 2021: (None, "secret")}
    assert series("rapport_interdecile", "commune", "33063")[2019] == (4.5, "ok")  # decimal comma
    assert series("rapport_interdecile", "commune", "33002")[2019] == (None, "missing")  # `nd`: not available


def test_producer_values_at_every_level_they_exist_never_aggregated(series, filosofi_db) -> None:
    assert series("taux_pauvrete", "epci", "243300316") == {2019: (14.2, "ok"), 2021: (14.1, "ok")}
    assert series("taux_pauvrete", "departement", "33") == {2019: (12.6, "ok"), 2021: (13.2, "ok")}
    assert series("taux_pauvrete", "region", "75") == {2019: (13.4, "ok")}  # the long file's REG is not read
    # INSEE's METRO file (code "1") is France métropolitaine, never France
    assert series("taux_pauvrete", "france", "METRO") == {2019: (14.5, "ok")}
    assert series("taux_pauvrete", "france", "FR") == {}
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
    assert not poverty.needs_any_of({"insee_filosofi_2021", "insee_filosofi_2019"})
    assert poverty.needs_any_of({r.source for r in poverty.refs()})
    energy = catalogue.indicator("conso_energie_par_habitant")
    legal = {r.source for r in energy.denominator if "population" in r.source}
    assert not energy.needs_any_of(legal)  # the census populations fill in
    assert energy.needs_any_of(legal | {"insee_comparateur", "insee_comparateur_2017"})
