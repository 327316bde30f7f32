"""INSEE workbooks (header blocks, several sheets, split codes) on the real files of the
shared mirror, through the download path; they also check the embedded snapshot."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import yaml

from etl.build import build
from etl.catalogue_reader import parse_catalogue
from etl.catalogue_sources import Source
from etl.load import load_raw

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parent.parent
LEGAL_POPULATIONS = {  # reference year -> INSEE file
    2019: "https://www.insee.fr/fr/statistiques/fichier/6011070/ensemble.xlsx",
    2022: "https://www.insee.fr/fr/statistiques/fichier/8290591/ensemble.xlsx",
}
COMMON = {"producer": "INSEE", "licence": "Licence Ouverte / Etalab 2.0", "format": "xlsx", "header_row": 8}


def legal_population_sources() -> list[dict]:
    sources = []
    for year, url in LEGAL_POPULATIONS.items():
        sources.append(
            {
                **COMMON,
                "id": f"insee_pop_{year}",
                "title": f"Populations légales {year}",
                "title_en": f"Legal populations {year}",
                "url": url,
                "sheet": "Communes",
                "key": ["Code département", "Code commune"],
                "variables": {"population": {"Population municipale": year}},
            }
        )
    sources.append(
        {
            **COMMON,
            "id": "insee_pop_2022_dep",
            "title": "Populations légales 2022, départements",
            "title_en": "Legal populations 2022, départements",
            "url": LEGAL_POPULATIONS[2022],
            "sheet": "Départements",
            "key": "Code département",
            "level": "departement",
            "variables": {"population": {"Population municipale": 2022}},
        }
    )
    return sources


@pytest.fixture(scope="module")
def built(tmp_path_factory, shared_opendata, serve_folder) -> Path:
    raw = yaml.safe_load((ROOT / "indicators.yaml").read_text())
    raw["sources"] += legal_population_sources()
    for source_id in ("insee_pop_2019", "insee_pop_2022", "insee_pop_2022_dep"):
        raw["indicators"].append(
            {
                "id": f"check_{source_id}",
                "label": {"fr": source_id},
                "finality": "cohesion_sociale",
                "unit": "hab.",
                "kind": "count",
                "variable": {"source": source_id, "variable": "population"},
                "levels": ["commune", "epci", "departement"],
                "definition": {"fr": "test"},
            }
        )
    catalogue = parse_catalogue(raw, Path("test.yaml"))
    folder = tmp_path_factory.mktemp("xlsx")
    db = folder / "itdd.duckdb"
    report = build(catalogue, db, mirror=serve_folder(shared_opendata), cache_dir=folder / "cache")
    statuses = {s.source_id: s.status for s in report.sources}
    assert statuses["insee_mouvements_communes"] == "downloaded"  # INSEE's history, now in the mirror (§13)
    assert statuses["insee_pop_2022"] == "downloaded"
    assert statuses["insee_pop_2022_dep"] == "unchanged"  # same workbook: a conditional request, 304
    return db


def pivot(db: Path, sql: str) -> dict:
    with duckdb.connect(str(db), read_only=True) as con:
        return {tuple(row[:-1]): row[-1] for row in con.execute(sql).fetchall()}


def test_snapshot_populations_equal_insee_files_commune_by_commune(built):
    for year in LEGAL_POPULATIONS:
        insee = pivot(
            built,
            f"""SELECT code, value FROM indicator_values
            WHERE indicator_id = 'check_insee_pop_{year}' AND level = 'commune' AND year = {year} AND code LIKE '33%'""",
        )
        snapshot = pivot(
            built,
            f"""SELECT code, value FROM indicator_values
            WHERE indicator_id = 'population' AND level = 'commune' AND year = {year} AND code LIKE '33%'""",
        )
        assert len(insee) == 534 and insee == snapshot, year


def test_the_2022_file_carries_saint_genis_into_porte_de_benauge(built):
    # INSEE's 2022 file is in the 2024 code list: 33409 is still a commune there
    with duckdb.connect(str(built), read_only=True) as con:
        published = con.execute(
            "SELECT code, value FROM observations WHERE source_id = 'insee_pop_2022' AND code IN ('33008', '33409')"
        ).fetchall()
        carried = con.execute("SELECT value FROM obs WHERE source_id = 'insee_pop_2022' AND code = '33008'").fetchone()
    assert sorted(published) == [("33008", 505.0), ("33409", 86.0)]
    assert carried == (591.0,)


def test_the_departement_sheet_gives_the_producer_total(built):
    values = pivot(
        built,
        """SELECT indicator_id, value FROM indicator_values
        WHERE level = 'departement' AND code = '33' AND year = 2022
          AND indicator_id IN ('check_insee_pop_2022_dep', 'population')""",
    )
    assert values == {("check_insee_pop_2022_dep",): 1674980.0, ("population",): 1674980.0}


def test_epci_membership_matches_insee_composition_2024(shared_opendata, offline_db, tmp_path):
    source = Source.model_validate(
        {
            **COMMON,
            "id": "insee_epci_2024",
            "title": "EPCI au 1er janvier 2024",
            "title_en": "EPCIs on 1 January 2024",
            "header_row": 6,
            "url": "https://www.insee.fr/fr/statistiques/fichier/2510634/epci_au_01-01-2024.zip",
            "member": "EPCI_au_01-01-2024.xlsx",
            "sheet": "Composition_communale",
            "variables": {},
        }
    )
    path = shared_opendata / "www.insee.fr/fr/statistiques/fichier/2510634/epci_au_01-01-2024.zip"
    con = duckdb.connect()
    assert load_raw(con, source, path) == 535
    con.execute(f"ATTACH '{offline_db}' AS built (READ_ONLY)")
    differences = con.execute("""
        SELECT r.CODGEO, r.EPCI, l.parent_code FROM raw_insee_epci_2024 r
        LEFT JOIN built.code_map m ON m.old_code = r.CODGEO
        LEFT JOIN built.territory_links l ON l.child_code = coalesce(m.code, r.CODGEO) AND l.parent_level = 'epci'
        WHERE l.parent_code IS DISTINCT FROM r.EPCI""").fetchall()
    assert differences == []
