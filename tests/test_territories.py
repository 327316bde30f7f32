"""Any territory (issue #13): a département, a région or France, built from producers' files.

A made-up Corse-du-Sud (2A) in the producers' exact layouts, served as a mirror over HTTP:
EVERY NAME AND VALUE IS SYNTHETIC. Its EPCI 200000001 straddles the border with
Haute-Corse (2B); 2A005 merged into 2A004 on 1 January 2025; each expected figure below is
added up by hand from the lists that follow.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import producer_files
import pytest
from producer_files import Commune, write_cog_communes

from etl.build import build
from etl.geography import GeographyError
from etl.load import LoadError
from etl.paths import data_dir
from etl.territory import TerritoryError, national_lists, parse_territory
from tests.conftest import in_lang

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parent.parent


def made_up(code, name, departement, epci, populations, merged_into=None, n=0) -> Commune:
    return Commune(code, name, departement, "94", epci, populations, merged_into, (8.5 + n * 0.01, 41.5))


COMMUNES = [  # SYNTHETIC: populations 2021, 2022, 2023
    made_up("2A001", "Synthétique-Alpha", "2A", "200000001", {2021: 1000, 2022: 1010, 2023: 1020}, n=0),
    made_up("2A002", "Synthétique-Bêta", "2A", "200000001", {2021: 500, 2022: 505, 2023: 510}, n=1),
    made_up("2A003", "Synthétique-Gamma", "2A", "200000002", {2021: 2000, 2022: 2020, 2023: 2040}, n=2),
    made_up("2A004", "Synthétique-Delta", "2A", "200000002", {2021: 300, 2022: 300, 2023: 390}, n=3),
    made_up("2A005", "Synthétique-Epsilon", "2A", "200000002", {2021: 80, 2022: 90}, merged_into="2A004"),
    made_up("2B001", "Synthétique-Zêta", "2B", "200000001", {2021: 700, 2022: 710, 2023: 720}, n=4),
    made_up("2B002", "Synthétique-Êta", "2B", "200000003", {2021: 4000, 2022: 4100, 2023: 4200}, n=5),
    made_up("2B003", "Synthétique-Thêta", "2B", "200000003", {2021: 900, 2022: 950, 2023: 1000}, n=6),
]
EPCI_NAMES = {  # SYNTHETIC
    "200000001": "Communauté de communes synthétique du Col",  # 2A001, 2A002 and 2B001 (Haute-Corse)
    "200000002": "Communauté de communes synthétique de la Côte",
    "200000003": "Communauté de communes synthétique de la Plaine",  # Haute-Corse only
}
# Comparateur (census 2018, 2021 code list: 2A005 still apart): unemployed and labour force aged 15-64
UNEMPLOYMENT = {  # SYNTHETIC
    "2A001": (50, 500),
    "2A002": (20, 250),
    "2A003": (100, 1000),
    "2A004": (10, 150),
    "2A005": (5, 50),
    "2B001": (30, 300),
    "2B002": (200, 2000),
    "2B003": (40, 400),
}


def write_mirror(root: Path, catalogue, communes=COMMUNES) -> Path:
    comparateur = {code: {"P18_CHOM1564": u, "P18_ACT1564": a} for code, (u, a) in UNEMPLOYMENT.items()}
    return producer_files.write_mirror(root, catalogue, communes, EPCI_NAMES, comparateur)


@pytest.fixture(scope="module")
def mirror(tmp_path_factory, catalogue, serve_folder) -> str:
    return serve_folder(write_mirror(tmp_path_factory.mktemp("corse") / "mirror", catalogue))


@pytest.fixture(scope="module")
def corse_du_sud(tmp_path_factory, catalogue, mirror):
    folder = tmp_path_factory.mktemp("2A")
    report = build(catalogue, folder / "itdd.duckdb", mirror=mirror, territory="2A", cache_dir=folder / "cache")
    return folder / "itdd.duckdb", report


@pytest.fixture(scope="module")
def q(corse_du_sud):
    con = duckdb.connect(str(corse_du_sud[0]), read_only=True)
    yield lambda sql, *params: con.execute(sql, list(params)).fetchall()
    con.close()


def value(q, indicator: str, level: str, code: str, year: int):
    rows = q(
        "SELECT value, status FROM indicator_values WHERE indicator_id = ? AND level = ? AND code = ? AND year = ?",
        indicator,
        level,
        code,
        year,
    )
    return rows[0] if rows else None


def test_the_territory_and_its_straddling_epci(q, corse_du_sud):
    assert q("SELECT level, code, name, spelling FROM build_territory") == [("departement", "2A", "Corse-du-Sud", "2A")]
    territories = dict(q("SELECT level, list(code ORDER BY code) FROM territories GROUP BY level"))
    assert territories == {
        "commune": ["2A001", "2A002", "2A003", "2A004", "2B001"],  # 2A005 merged; 2B001, the outside member
        "epci": ["200000001", "200000002"],  # not 200000003: no member in 2A
        "departement": ["2A"],
        "region": ["94"],
        "france": ["FR", "METRO"],
    }
    names = dict(q("SELECT code, name FROM territories WHERE level IN ('epci', 'region')"))
    assert names == {"200000001": EPCI_NAMES["200000001"], "200000002": EPCI_NAMES["200000002"], "94": "Corse"}
    outside = q("SELECT parent_level, parent_code FROM territory_links WHERE child_code = '2B001' ORDER BY ALL")
    assert outside == [("epci", "200000001"), ("france", "FR"), ("france", "METRO"), ("region", "94")]
    statuses = {s.source_id: s.status for s in corse_du_sud[1].sources}
    assert statuses["decoupage_communes"] == statuses["populations_legales"] == "skipped"  # Gironde's snapshot
    assert statuses["insee_cog_communes"] == statuses["insee_epci_2024"] == "downloaded"


def test_populations_as_the_files_give_them_at_every_level(q):
    assert value(q, "population", "commune", "2A001", 2023) == (1020, "ok")
    assert value(q, "population", "commune", "2A004", 2022) == (300 + 90, "ok")  # 2A005 carried into 2A004
    assert value(q, "population", "commune", "2A004", 2021) == (300 + 80, "ok")
    assert value(q, "population", "commune", "2B001", 2023) == (720, "ok")
    assert value(q, "population", "epci", "200000001", 2023) == (1020 + 510 + 720, "ok")  # with Haute-Corse's member
    assert value(q, "population", "epci", "200000002", 2022) == (2020 + 300 + 90, "ok")
    assert value(q, "population", "departement", "2A", 2023) == (1020 + 510 + 2040 + 390, "ok")
    # The files cover both départements of Corse: the région is their sum, France is not summed
    assert value(q, "population", "region", "94", 2023) == (1020 + 510 + 2040 + 390 + 720 + 4200 + 1000, "ok")
    assert value(q, "population", "france", "FR", 2023) is None


def test_a_ratio_is_summed_over_the_members_on_both_sides_of_the_border(q):
    rate, status = value(q, "taux_chomage_15_64", "epci", "200000001", 2018)
    assert status == "ok" and rate == pytest.approx((50 + 20 + 30) / (500 + 250 + 300) * 100)
    assert value(q, "taux_chomage_15_64", "commune", "2A004", 2018) == (pytest.approx(15 / 200 * 100), "ok")
    rate, status = value(q, "taux_chomage_15_64", "departement", "2A", 2018)
    assert status == "ok" and rate == pytest.approx((50 + 20 + 100 + 15) / (500 + 250 + 1000 + 200) * 100)
    rate, _ = value(q, "taux_chomage_15_64", "region", "94", 2018)
    assert rate == pytest.approx(455 / 4650 * 100)


def test_density_and_outlines_come_from_the_departements_of_the_build(q):
    # geo.api.gouv.fr gives 100 ha (1 km²) for each commune, in a file per département (2A and 2B)
    assert value(q, "densite_population", "commune", "2A004", 2023) == (pytest.approx(390.0), "ok")
    assert value(q, "densite_population", "epci", "200000001", 2023) == (pytest.approx(2250 / 3), "ok")
    urls = [u for (u,) in q("SELECT url FROM provenance WHERE source_id = 'geo_api_communes' ORDER BY url")]
    assert [u.split("/departements/")[1][:2] for u in urls] == ["2A", "2B"]
    drawn = dict(q("SELECT level, count(*) FROM geometries GROUP BY level"))
    assert drawn == {"commune": 5, "epci": 2, "departement": 1}


def nothing_of_gironde(q) -> None:
    """Codes, names and titles: nothing of the embedded territory (Gironde, its EPCI and their
    Dordogne members) in another one's database."""
    epci = list(pd.read_csv(data_dir() / "snapshot" / "epci.csv", dtype=str)["code"])
    gironde = "((level = 'commune' AND (code LIKE '33%' OR code LIKE '24%')) OR (level = 'departement' AND code IN ('33', '24')) OR (level = 'epci' AND code IN (SELECT unnest(?::VARCHAR[]))))"
    for table in ("territories", "indicator_values", "obs", "geometries"):
        assert q(f"SELECT count(*) FROM {table} WHERE {gironde}", epci) == [(0,)], table
    for side in ("child", "parent"):
        links = gironde.replace("level", f"{side}_level").replace("code", f"{side}_code")
        assert q(f"SELECT count(*) FROM territory_links WHERE {links}", epci) == [(0,)], side
    words = ("Gironde", "Bordeaux", "Dordogne", "département 33")
    for table in ("territories", "sources", "build_sources", "provenance", "indicators", "build_territory"):
        text = str(q(f"SELECT * FROM {table}"))
        assert not [w for w in words if w in text], table
    assert q("SELECT count(*) FROM provenance WHERE url LIKE '%/33/%' OR url LIKE '%:33&%'") == [(0,)]


def test_nothing_of_gironde_leaks_into_another_build(q):
    nothing_of_gironde(q)
    assert "Nouvelle-Aquitaine" not in str(q("SELECT * FROM territories"))


def test_a_region_is_built_with_all_its_departements(tmp_path, catalogue, mirror):
    db = tmp_path / "corse.duckdb"
    build(catalogue, db, mirror=mirror, territory="R94", cache_dir=tmp_path / "cache")
    with duckdb.connect(str(db), read_only=True) as con:
        levels = dict(con.execute("SELECT level, count(*) FROM territories GROUP BY level").fetchall())
        region = con.execute(
            "SELECT value FROM indicator_values WHERE indicator_id = 'population' AND level = 'region' AND year = 2023"
        ).fetchall()
        spelling = con.execute("SELECT spelling, name FROM build_territory").fetchone()
    assert levels == {"commune": 7, "epci": 3, "departement": 2, "region": 1, "france": 2}
    assert region == [(9880,)] and spelling == ("R94", "Corse")


def test_territory_spellings():
    assert parse_territory("2a").spelling == "2A" and parse_territory(" 971 ").name == "Guadeloupe"
    assert parse_territory("r75").departements[:3] == ("16", "17", "19") and parse_territory("R75").level == "region"
    assert len(parse_territory("FR").departements) == 101
    for wrong in ("99", "R99", "975", "France", "33063", ""):
        with pytest.raises(TerritoryError, match="unknown territory"):
            parse_territory(wrong)


# --- bad input: a clear error, and the previous database kept ------------------------------------


def run_cli(*args: str, cache: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "itdd.cli", *args],
        capture_output=True,
        text=True,
        env={"ITDD_CACHE": str(cache), "COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )


@pytest.mark.parametrize("territory", ["99", "R99"])
def test_an_unknown_territory_is_refused_before_anything_is_read(tmp_path, offline_db, territory):
    db = tmp_path / "itdd.duckdb"
    db.write_bytes(offline_db.read_bytes())
    result = run_cli("build", "--db", str(db), "--territory", territory, "--mirror", str(tmp_path), cache=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"unknown territory '{territory}'" in result.stderr and "R75" in result.stderr
    assert db.read_bytes() == offline_db.read_bytes()


def test_a_departement_absent_from_the_downloaded_file_is_refused(tmp_path, catalogue, mirror, offline_db):
    db = tmp_path / "itdd.duckdb"
    db.write_bytes(offline_db.read_bytes())
    with pytest.raises(LoadError) as refused:
        build(catalogue, db, mirror=mirror, territory="40", cache_dir=tmp_path / "cache")
    message = str(refused.value)
    assert "source 'insee_cog_communes'" in message and "communes.csv" in message
    assert "no commune of département(s) 40 (the file has 2A, 2B)" in message
    assert db.read_bytes() == offline_db.read_bytes()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".building")] == []


def test_a_cog_file_older_than_the_reference_list_is_refused(tmp_path, catalogue, serve_folder, offline_db):
    """The 2024 list still has 2A005, which INSEE's history merged into 2A004 on 1 January 2025."""
    mirror = write_mirror(tmp_path / "mirror", catalogue)
    write_cog_communes(
        mirror, catalogue, [c.__class__(**{**c.__dict__, "merged_into": None}) for c in COMMUNES]
    )  # the 2024 list served as the 2025 one
    db = tmp_path / "itdd.duckdb"
    db.write_bytes(offline_db.read_bytes())
    with pytest.raises(LoadError) as refused:
        build(catalogue, db, mirror=serve_folder(mirror), territory="2A", cache_dir=tmp_path / "cache")
    message = str(refused.value)
    assert "rule `code list`" in message and "older than the 2025 code list" in message
    assert "2A005, 2A004, 2025-01-01" in message
    assert db.read_bytes() == offline_db.read_bytes()


def test_the_real_cog_2024_file_is_refused_as_2025(tmp_path, catalogue, serve_folder, shared_opendata):
    """INSEE's real 2024 list (data.gouv.fr's copy, Gironde rows) still has Saint-Genis-du-Bois."""
    cog = catalogue.source("insee_cog_communes").url
    older = cog.replace("db0e5280feb8df10b5b84c7b5414e507a901bc15", "a0e96f6f4f1c688b08453344709fc502eb3d4071")
    mirror = tmp_path / "mirror"
    for url, copied in ((cog, older), (catalogue.source("insee_mouvements_communes").url, None)):
        relative = (copied or url).removeprefix("https://")
        target = mirror / url.removeprefix("https://")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((shared_opendata / relative).read_bytes())
    with pytest.raises(LoadError, match=r"33409, 33008, 2025-01-01"):
        build(catalogue, tmp_path / "x.duckdb", mirror=serve_folder(mirror), territory="33", cache_dir=tmp_path / "c")


# --- pages and published metadata name the build's territory -------------------------------------


def test_the_pages_name_the_territory_of_the_database(corse_du_sud):
    from dashboard.app import create_app
    from dashboard.pages import home, indicateur, methode

    app = create_app(corse_du_sud[0])
    client = app.server.test_client()
    with app.server.test_request_context():
        french, english = str(home.layout()), str(in_lang("en", home.layout))
        sheet = str(indicateur.layout(indicator_id="population"))
        method = str(methode.layout())
    # which départements the national sums count: the région's population sums its two
    assert "insee_populations_legales_2023 (population)" in method and "2 / 2" in method
    assert "La Corse-du-Sud en bref" in french and "le département de la Corse-du-Sud." in french
    assert "Corse-du-Sud at a glance" in english
    assert "Synthétique-Alpha" in french  # the quick links: its own communes
    assert "Corse-du-Sud" in sheet and "Corse" in sheet  # without a choice, the build's territory and its région
    served = client.get("/carte").get_data(as_text=True)
    assert "<title>Corse-du-Sud — itdd — indicateurs territoriaux de développement durable</title>" in served
    assert 'property="og:title" content="Carte — Corse-du-Sud — itdd' in served  # the router's title too
    for text in (french, english, sheet, client.get("/").get_data(as_text=True)):
        assert "Gironde" not in text and "Bordeaux" not in text and "33063" not in text


def test_publish_names_the_territory_and_its_publisher(corse_du_sud, tmp_path):
    import json

    from typer.testing import CliRunner

    from itdd.cli import app

    out = tmp_path / "site"
    args = ["publish", "--db", str(corse_du_sud[0]), "--out", str(out), "--publisher", "Collectivité de Corse"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    assert package["title"] == "Indicateurs territoriaux de développement durable — Corse-du-Sud"
    assert package["itdd:territory"] == {"level": "departement", "code": "2A", "name": "Corse-du-Sud"}
    assert package["contributors"] == [{"title": "Collectivité de Corse", "role": "publisher"}]
    catalogue = json.loads((out / "catalogue.jsonld").read_text(encoding="utf-8"))
    assert catalogue["dct:title"]["@value"].endswith(" — Corse-du-Sud")
    assert catalogue["dct:publisher"]["foaf:name"] == "Collectivité de Corse"
    assert catalogue["dct:spatial"]["skos:prefLabel"]["@value"] == "Corse-du-Sud"
    population = next(d for d in catalogue["dcat:dataset"] if d["dct:identifier"] == "population")
    assert population["dct:title"]["@value"] == "Population municipale — Corse-du-Sud"
    assert population["dct:spatial"] == catalogue["dct:spatial"]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "<title>Corse-du-Sud — itdd" in index and "La Corse-du-Sud en bref" in index
    leaks = [p.name for p in out.rglob("*") if p.is_file() and b"Gironde" in p.read_bytes()]
    assert leaks == []


def test_france_is_its_101_departements_and_says_which_a_file_lacks(tmp_path, catalogue, serve_folder):
    """A made-up France (SYNTHETIC): three communes a département, 002 merged into 001 in 2025;
    the 2023 legal populations leave out Mayotte, as INSEE's do."""
    departements, _ = national_lists()
    communes, epci = producer_files.synthetic_communes(
        list(departements[["code", "region"]].itertuples(index=False)), 3
    )
    mirror = producer_files.write_mirror(tmp_path / "mirror", catalogue, communes, epci, {})
    without_mayotte = [c for c in communes if c.departement != "976"]
    producer_files.write_legal_populations(mirror, catalogue, 2023, without_mayotte)
    db = tmp_path / "fr.duckdb"
    build(catalogue, db, mirror=serve_folder(mirror), territory="FR", cache_dir=tmp_path / "cache")
    kept = [c for c in communes if not c.merged_into]
    metropolitan = sum(c.populations[2023] for c in kept if not c.departement.startswith("97"))
    overseas_but_mayotte = sum(c.populations[2023] for c in kept if c.departement[:3] in ("971", "972", "973", "974"))
    with duckdb.connect(str(db), read_only=True) as con:
        values = dict(
            ((code, year), (value, status))
            for code, year, value, status in con.execute(
                "SELECT code, year, value, status FROM indicator_values WHERE indicator_id = 'population' "
                "AND level IN ('france', 'region')"
            ).fetchall()
        )
        scope = con.execute(
            "SELECT code, departements, expected, missing FROM national_scope "
            "WHERE source_id = 'insee_populations_legales_2023' AND level = 'france'"
        ).fetchall()
        levels = dict(con.execute("SELECT level, count(*) FROM territories GROUP BY level").fetchall())
    assert levels == {"commune": 101 * 2, "epci": 101, "departement": 101, "region": 18, "france": 2}
    assert values[("FR", 2023)] == (metropolitan + overseas_but_mayotte, "incomplete")  # without Mayotte
    assert values[("METRO", 2023)] == (metropolitan, "ok")  # France métropolitaine, its 96 départements
    assert ("06", 2023) not in values and values[("06", 2022)][1] == "ok"  # Mayotte's région: its file only
    assert sorted(scope) == [("FR", 100, 101, ["976"]), ("METRO", 96, 96, [])]


def test_an_epci_member_missing_from_the_commune_list_is_refused(tmp_path, catalogue, serve_folder):
    """The commune list restricted to Corse-du-Sud beside an EPCI file that has 2B001: the EPCI
    would be summed without its Haute-Corse member."""
    mirror = write_mirror(tmp_path / "mirror", catalogue)
    write_cog_communes(mirror, catalogue, [c for c in COMMUNES if c.departement == "2A"])
    with pytest.raises(GeographyError, match=r"2B001 in EPCI 200000001 \(insee_epci_2024\)"):
        build(catalogue, tmp_path / "x.duckdb", mirror=serve_folder(mirror), territory="2A", cache_dir=tmp_path / "c")
