"""The Landes (40) through `--mirror` (issue #13): its real communes, EPCI and legal populations
(tests/fixtures/territory-40, derived from the npm package @etalab/decoupage-administratif by
scripts/build_test_territory.py: real figures, not the producers' bytes) written into the
producers' layouts: data.gouv.fr's COG and donnees_communes.csv, INSEE's EPCI workbook,
ensemble.xlsx and history of changes. Every expected figure is read from the fixture here,
never from the build."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import duckdb
import producer_files
import pytest
from producer_files import Commune
from test_territories import nothing_of_gironde

from etl.build import build

pytestmark = pytest.mark.integration

FIXTURE = Path(__file__).parent / "fixtures" / "territory-40"
YEARS = (2019, 2021, 2022, 2023)


def read(name: str) -> list[dict]:
    with (FIXTURE / name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def landes() -> tuple[list[Commune], dict[str, str], list[tuple[str, str, str]]]:
    populations = defaultdict(dict)
    for row in read("populations.csv"):
        populations[row["code"]][int(row["year"])] = int(row["population"])
    communes = [
        Commune(r["code"], r["name"], r["departement"], r["region"], r["epci"] or None, populations[r["code"]])
        for r in read("communes.csv")
    ]
    epci = {r["epci"]: r["epci_name"] for r in read("communes.csv") if r["epci"]}
    history = [(r["old_code"], r["new_code"], r["date"]) for r in read("history.csv")]
    return communes, epci, history


@pytest.fixture(scope="module")
def landes_db(tmp_path_factory, catalogue, serve_folder) -> Path:
    communes, epci, history = landes()
    mirror = tmp_path_factory.mktemp("landes") / "mirror"
    producer_files.write_cog_communes(mirror, catalogue, communes)
    producer_files.write_epci_composition(mirror, catalogue, communes, epci)
    producer_files.write_commune_history(mirror, catalogue, communes, history)
    for year in (2021, 2022, 2023):
        producer_files.write_legal_populations(mirror, catalogue, year, communes)
    producer_files.write_legal_populations_xlsx(mirror, catalogue, 2019, communes)
    db = mirror.parent / "itdd.duckdb"
    build(catalogue, db, mirror=serve_folder(mirror), territory="40", cache_dir=mirror.parent / "cache")
    return db


@pytest.fixture(scope="module")
def q(landes_db):
    con = duckdb.connect(str(landes_db), read_only=True)
    yield lambda sql, *params: con.execute(sql, list(params)).fetchall()
    con.close()


def test_327_communes_and_18_epci(q):
    assert q("SELECT count(*) FROM territory_links WHERE parent_level = 'departement' AND parent_code = '40'") == [
        (327,)
    ]
    assert q("SELECT count(*) FROM territories WHERE level = 'epci'") == [(18,)]
    # CC d'Aire-sur-l'Adour keeps its ten members in the Gers (32)
    outside = q("SELECT code FROM territories WHERE level = 'commune' AND code NOT LIKE '40%' ORDER BY code")
    assert len(outside) == 10 and all(c.startswith("32") for (c,) in outside)
    assert q("SELECT name FROM territories WHERE level = 'departement'") == [("Landes",)]


def test_values_at_every_level_are_those_of_the_files(q):
    communes, _, _ = landes()
    built = {
        (level, code, year): value
        for level, code, year, value in q(
            "SELECT level, code, year, value FROM indicator_values WHERE indicator_id = 'population' AND status = 'ok'"
        )
    }
    expected = {}
    for c in communes:
        for year, population in c.populations.items():
            expected[("commune", c.code, year)] = population
            expected[("epci", c.epci, year)] = expected.get(("epci", c.epci, year), 0) + population
            if c.departement == "40":
                expected[("departement", "40", year)] = expected.get(("departement", "40", year), 0) + population
    assert len(expected) == 337 * 4 + 18 * 4 + 4
    assert built == expected
    assert built[("departement", "40", 2023)] == 433_570  # the Landes' legal population 2023
    # no région or France: these files hold the Landes' rows only, and the census files are not
    # in this mirror (Gironde's embedded populations are not a source the Landes lack)
    gaps = q("SELECT level, reason, sources FROM indicator_gaps WHERE indicator_id = 'population' ORDER BY level")
    assert gaps == [
        (level, "source_not_loaded", ["insee_comparateur", "insee_comparateur_2017"]) for level in ("france", "region")
    ]


def test_no_trace_of_gironde(q):
    nothing_of_gironde(q)
    assert q("SELECT level, code, name FROM build_territory") == [("departement", "40", "Landes")]


def test_without_outlines_the_pages_still_work(q, landes_db):
    from dashboard.app import create_app
    from dashboard.pages import carte, home, territoire

    assert q("SELECT count(*) FROM geometries") == [(0,)]  # geo.api.gouv.fr is not in this mirror
    app = create_app(landes_db)
    with app.server.test_request_context():
        page = str(home.layout())
        carte.layout(indicateur="population", niveau="commune", annee="2023")
        portrait = str(territoire.layout(level="commune", code="40192"))
    assert "Les Landes en bref" in page and "le département des Landes." in page
    assert "Mont-de-Marsan" in portrait
