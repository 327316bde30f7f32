"""The build from the embedded Gironde snapshot: real figures, checked against INSEE's."""

import hashlib
import json

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from etl.paths import data_dir
from itdd.cli import app


def value(query, indicator, level, code, year):
    rows = query(
        "SELECT value, status FROM indicator_values WHERE indicator_id = ? AND level = ? AND code = ? AND year = ?",
        indicator,
        level,
        code,
        year,
    )
    assert len(rows) == 1, (indicator, level, code, year, rows)
    return rows[0]


def test_territories_and_geometries(query):
    counts = dict(query("SELECT level, count(*) FROM territories GROUP BY level"))
    assert counts == {"commune": 536, "epci": 28, "departement": 1, "region": 1, "france": 2}
    assert query("SELECT code, name FROM territories WHERE level = 'france' ORDER BY code") == [
        ("FR", "France"),
        ("METRO", "France métropolitaine"),  # INSEE's own level, never shown as France
    ]
    gironde = query("SELECT count(*) FROM territory_links WHERE parent_level = 'departement' AND parent_code = '33'")
    assert gironde == [(534,)]
    geometries = dict(query("SELECT level, count(*) FROM geometries WHERE geojson LIKE '{\"type\":%' GROUP BY level"))
    assert geometries == {"commune": 536, "epci": 28, "departement": 1}


def test_population_years_and_levels(query):
    years = query("SELECT DISTINCT year FROM indicator_values WHERE indicator_id = 'population' ORDER BY year")
    # legal populations (snapshot) and the census populations of the comparateur's two editions
    assert [y for (y,) in years] == [2012, 2013, 2016, 2017, 2018, 2019, 2020, 2021, 2022, 2023]
    assert value(query, "population", "commune", "33063", 2018) == (257068, "ok")  # P18_POP
    per_level = dict(
        query(
            "SELECT level, count(DISTINCT code) FROM indicator_values WHERE indicator_id = 'population' "
            "AND value IS NOT NULL GROUP BY level"
        )
    )
    assert per_level["commune"] == 536 and per_level["epci"] == 28 and per_level["departement"] == 1


def test_figures_from_the_issue(query):
    assert value(query, "population", "commune", "33063", 2023) == (267991, "ok")
    # Porte-de-Benauge 2021: its own 500 plus the 86 of Saint-Genis-du-Bois, merged in 2025
    assert value(query, "population", "commune", "33008", 2021) == (586, "ok")
    assert value(query, "population", "departement", "33", 2023) == (1690493, "ok")


def test_straddling_epci_counts_its_outside_commune(query):
    members = query("SELECT child_code FROM territory_links WHERE parent_level = 'epci' AND parent_code = '243301371'")
    codes = {c for (c,) in members}
    assert len(codes) == 20 and "24335" in codes
    total = query(
        "SELECT sum(value) FROM indicator_values WHERE indicator_id = 'population' AND level = 'commune' "
        "AND year = 2023 AND code IN (SELECT child_code FROM territory_links WHERE parent_code = '243301371')"
    )
    assert value(query, "population", "epci", "243301371", 2023) == (total[0][0], "ok")
    assert "24466" in {
        c
        for (c,) in query(
            "SELECT child_code FROM territory_links WHERE parent_level = 'epci' AND parent_code = '243301454'"
        )
    }


def test_every_epci_equals_the_sum_of_its_communes(query):
    mismatches = query("""
        SELECT e.code, e.year, e.value, sum(c.value) FROM indicator_values e
        JOIN territory_links l ON l.parent_level = 'epci' AND l.parent_code = e.code AND l.child_level = 'commune'
        JOIN indicator_values c ON c.indicator_id = e.indicator_id AND c.level = 'commune'
             AND c.code = l.child_code AND c.year = e.year
        WHERE e.indicator_id = 'population' AND e.level = 'epci'
        GROUP BY ALL HAVING e.value <> sum(c.value)""")
    assert mismatches == []


def test_density_is_a_ratio_of_sums(query):
    got = query("""
        SELECT e.value, sum(c.numerator) / sum(c.denominator) FROM indicator_values e
        JOIN territory_links l ON l.parent_level = 'epci' AND l.parent_code = e.code
        JOIN indicator_values c ON c.indicator_id = e.indicator_id AND c.level = 'commune'
             AND c.code = l.child_code AND c.year = e.year
        WHERE e.indicator_id = 'densite_population' AND e.code = '243300316' AND e.year = 2023 GROUP BY ALL""")
    assert got[0][0] == pytest.approx(got[0][1])
    bordeaux, status = value(query, "densite_population", "commune", "33063", 2023)
    assert status == "ok" and 5300 < bordeaux < 5500  # 267,991 inhabitants on about 49.4 km²


def test_2016_gaps_are_flagged_not_hidden(query):
    # The 2016 package lacks the population of communes merged in 2019 (Cantois into 33008)
    assert value(query, "population", "commune", "33008", 2016)[1] == "incomplete"
    assert value(query, "population", "departement", "33", 2016)[1] == "incomplete"
    assert value(query, "population", "commune", "33063", 2016) == (252040, "ok")


def test_provenance_names_every_embedded_source(query):
    rows = query("SELECT source_id, url, sha256, rows FROM provenance ORDER BY source_id")
    embedded = ("populations_legales", "surfaces_ign", "decoupage_communes", "decoupage_epci")
    snapshot = [r for r in rows if r[0] in embedded]
    assert len(snapshot) == 4 and all("decoupage-administratif" in r[1] for r in snapshot)
    manifest = json.loads((data_dir() / "extract" / "manifest.json").read_text())
    extracted = {f["source_id"]: f for f in manifest["files"]}
    assert {r[0] for r in rows} == {*embedded, *extracted}
    for source_id, url, sha256, count in rows:
        assert len(sha256) == 64 and count > 0
        if source_id in extracted:  # the official URL, and the bytes of the embedded copy
            assert url == extracted[source_id]["url"] and url.startswith("https://")
            assert (
                sha256
                == hashlib.sha256((data_dir() / "extract" / extracted[source_id]["file"]).read_bytes()).hexdigest()
            )


def test_embedded_extract_is_small_and_described():
    manifest = json.loads((data_dir() / "extract" / "manifest.json").read_text())
    files = {f["file"] for f in manifest["files"]}
    on_disk = {p.name for p in (data_dir() / "extract").iterdir()} - {"manifest.json"}
    assert files == on_disk
    assert sum((data_dir() / "extract" / f).stat().st_size for f in files) < 1_000_000
    assert all(f["national"].startswith("MANIFEST §") and f["derived"] for f in manifest["files"])


def test_snapshot_provenance_lists_packages_and_checks():
    meta = json.loads((data_dir() / "snapshot" / "provenance.json").read_text())
    years = {p["population_year"]: p for p in meta["populations"]}
    assert sorted(years) == [2016, 2019, 2020, 2021, 2022, 2023]
    assert years[2016]["incomplete_communes_in_snapshot"] == ["33008", "33055", "33380"]
    assert "IGN" in meta["geometry"]["producer"]
    size = sum(f.stat().st_size for f in (data_dir() / "snapshot").iterdir())
    assert size < 3_000_000


def test_snapshot_has_the_2025_code_list():
    communes = pd.read_csv(data_dir() / "snapshot" / "communes.csv", dtype=str)
    assert (communes["departement"] == "33").sum() == 534
    assert "33409" not in set(communes["code"])  # Saint-Genis-du-Bois, merged in 2025


def test_build_command_offline(tmp_path):
    db = tmp_path / "cli.duckdb"
    result = CliRunner().invoke(app, ["build", "--offline", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert db.exists() and "Built" in result.output


def test_an_offline_build_of_another_territory_names_the_files_it_lacks(tmp_path):
    result = CliRunner().invoke(app, ["build", "--offline", "--territory", "2A", "--db", str(tmp_path / "x.duckdb")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "an offline build of département 2A (Corse-du-Sud) needs --mirror or the network" in result.output
    assert "the embedded data covers département 33 (Gironde) only" in result.output
    lacking = result.output.split("It lacks the referential:")[1].split("and the files of its indicators:")[0]
    assert "insee_cog_communes: https://raw.githubusercontent.com/datagouv/" in lacking
    assert "insee_epci_2024: https://www.insee.fr/fr/statistiques/fichier/2510634/epci_au_01-01-2024.zip" in lacking
    assert "insee_mouvements_communes: https://www.insee.fr/" in lacking
    # the per-département API is named for the territory's own département
    assert "https://geo.api.gouv.fr/departements/2A/communes" in result.output
    assert not (tmp_path / "x.duckdb").exists()


def test_serve_refuses_a_file_that_is_not_an_itdd_database(tmp_path):
    bogus = tmp_path / "bogus.duckdb"
    bogus.write_text("not a database")
    result = CliRunner().invoke(app, ["serve", "--db", str(bogus)])
    assert result.exit_code == 1
    assert "not a readable DuckDB file" in result.output and "Traceback" not in result.output


def test_build_into_an_impossible_folder_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = CliRunner().invoke(app, ["build", "--offline", "--db", str(blocker / "sub" / "x.duckdb")])
    assert result.exit_code == 1
    assert "Build failed" in result.output and "Traceback" not in result.output


def test_two_builds_give_the_same_values_to_the_last_digit(tmp_path, offline_db, catalogue):
    """Sums are compensated (fsum), so DuckDB's parallel order does not change a last digit."""
    from etl.build import build

    build(catalogue, tmp_path / "again.duckdb", offline=True, cache_dir=tmp_path / "cache")
    tables = ("indicator_values", "indicator_progress", "indicator_status", "territory_peers", "composite_components")
    for table in tables:
        rows = []
        for db in (offline_db, tmp_path / "again.duckdb"):
            with duckdb.connect(str(db), read_only=True) as con:
                rows.append(con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall())
        assert rows[0] == rows[1], table
