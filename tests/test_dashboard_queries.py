"""Dashboard queries and figures on a tiny SYNTHETIC database.

Three square synthetic communes with fake codes (SYN01..SYN03) near the
Gironde map centre; none of the values are real data.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dashboard import batched, database, progress_queries, queries
from itdd import model

CODES = ["SYN01", "SYN02", "SYN03"]


def _square(lon: float, lat: float, size: float = 0.1) -> str:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def empty_build(con: duckdb.DuckDBPyConnection) -> None:
    """Every table of the schema (itdd.model), empty, as a build with no rows writes them,
    and its schema version; a test then fills what it needs (`INSERT INTO … BY NAME`
    leaves the columns it does not set NULL, as a build writes a value it could not compute)."""
    for table in model.TABLES:
        con.execute(table.create())
    con.execute("INSERT INTO itdd_meta VALUES (?)", [model.SCHEMA_VERSION])


def make_synthetic_db(path: Path, synth_pop_2023: float = 1234567.8) -> Path:
    """Write the synthetic database to `path` (overwriting it)."""
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    empty_build(con)
    con.execute("INSERT INTO progress_settings VALUES (2015, 0.05, NULL)")  # as every build writes one row
    for i, code in enumerate(CODES):
        con.execute("INSERT INTO territories VALUES ('commune', ?, ?)", [code, f"Synthville {i + 1}"])
        con.execute("INSERT INTO territory_links VALUES ('commune', ?, 'epci', 'SYNEPCI')", [code])
        con.execute("INSERT INTO geometries VALUES ('commune', ?, ?)", [code, _square(-0.8 + 0.1 * i, 44.8)])
    con.executemany(
        "INSERT INTO indicator_values VALUES (?, 'commune', ?, ?, ?, NULL, NULL, ?)",
        [
            # synth_pop: SYN02 is missing in 2023, SYN03 is secret in 2023.
            ["synth_pop", "SYN01", 2022, 100.0, "ok"],
            ["synth_pop", "SYN02", 2022, 200.0, "ok"],
            ["synth_pop", "SYN03", 2022, 300.0, "incomplete"],
            ["synth_pop", "SYN01", 2023, synth_pop_2023, "ok"],
            ["synth_pop", "SYN02", 2023, None, "missing"],
            ["synth_pop", "SYN03", 2023, None, "secret"],
            # synth_rate: lower is better, complete.
            ["synth_rate", "SYN01", 2023, 0.5, "ok"],
            ["synth_rate", "SYN02", 2023, 1.5, "ok"],
            ["synth_rate", "SYN03", 2023, 2.5, "ok"],
            # synth_empty: only NULLs, so it is not listed; 2021 has no value either.
            ["synth_empty", "SYN01", 2023, None, "missing"],
            ["synth_pop", "SYN01", 2021, None, "missing"],
        ],
    )
    con.execute(
        """INSERT INTO indicators VALUES
        ('synth_pop', 'Population synthétique', 'Synthetic population', 'Cohésion', 'habitants',
         NULL, 'stock', 'commune', 'synsrc', 'Synthetic context indicator.', NULL, NULL, '{}'),
        ('synth_rate', 'Taux synthétique', 'Synthetic rate', 'climat', '%',
         'lower_is_better', 'ratio', 'commune', 'synsrc,synsrc2', 'Synthetic rate.', NULL, NULL,
         '{"target": {"value": 1.0, "year": 2030}, "sdg": [13]}'),
        ('synth_empty', 'Indicateur vide', 'Empty', 'Climat', '%',
         'higher_is_better', 'ratio', 'commune', 'synsrc', 'No value at all.', NULL, NULL, NULL)"""
    )
    con.execute(
        """INSERT INTO sources VALUES
        ('synsrc', 'Producteur synthétique', 'Jeu synthétique', 'Synthetic dataset', 'https://example.invalid/a',
         'Licence synthétique',
         '2026-01-01', repeat('0', 64), false),
        ('synsrc2', 'Autre producteur', 'Autre jeu', 'Other dataset', 'https://example.invalid/b', 'Licence synthétique',
         NULL, NULL, false)"""
    )
    # Only synsrc went into this synthetic build.
    con.execute("INSERT INTO provenance VALUES ('synsrc', 'https://example.invalid/a', '2026-01-01', 'x', 1, 3)")
    con.close()
    return path


@pytest.fixture
def synthetic_db(tmp_path: Path) -> Path:
    return make_synthetic_db(tmp_path / "synthetic.duckdb")


@pytest.fixture
def con(synthetic_db: Path):
    connection = duckdb.connect(str(synthetic_db), read_only=True)
    yield connection
    connection.close()


def test_list_indicators_skips_indicators_without_values(con) -> None:
    df = queries.list_indicators(con)
    assert sorted(df["indicator_id"]) == ["synth_pop", "synth_rate"]
    assert {"label_fr", "unit", "finality", "polarity", "sources"} <= set(df.columns)


def test_available_years_only_counts_non_null_values(con) -> None:
    assert queries.available_years(con, "synth_pop", "commune") == [2022, 2023]
    assert queries.available_years(con, "synth_pop", "epci") == []
    assert queries.available_years(con, "synth_empty", "commune") == []


def test_indicator_values_keep_nulls_and_names(con) -> None:
    df = queries.indicator_values(con, "synth_pop", "commune", 2023).set_index("code")
    assert list(df.index) == CODES
    assert df.loc["SYN01", "name"] == "Synthville 1"
    assert df.loc["SYN01", "value"] == pytest.approx(1234567.8)
    assert df.loc["SYN02", "value"] != df.loc["SYN02", "value"]  # NaN, not 0
    assert df.loc[["SYN02", "SYN03"], "status"].tolist() == ["missing", "secret"]


def test_sources_are_those_that_went_into_the_build(con) -> None:
    assert queries.list_sources(con)["source_id"].tolist() == ["synsrc"]


def test_geometries_are_a_feature_collection_keyed_by_code(con) -> None:
    fc = queries.geometries_geojson(con, "commune")
    assert fc["type"] == "FeatureCollection"
    assert [f["id"] for f in fc["features"]] == CODES
    assert fc["features"][0]["geometry"]["type"] == "Polygon"
    assert fc["features"][0]["properties"]["name"] == "Synthville 1"
    assert queries.geometries_geojson(con, "region")["features"] == []


def test_database_caches_geometries_and_sees_an_atomic_swap(synthetic_db: Path, tmp_path: Path) -> None:
    db = database.Database(synthetic_db)
    first = db.geojson()
    assert db.geojson() is first  # cached for the same file version
    # A rebuild writes a new file and renames it over the old one.
    new = make_synthetic_db(tmp_path / "rebuild.duckdb", synth_pop_2023=42.0)
    with duckdb.connect(str(new)) as rw:
        rw.execute("DELETE FROM geometries WHERE code = 'SYN03'")
    os.replace(new, synthetic_db)
    assert [f["id"] for f in db.geojson()["features"]] == ["SYN01", "SYN02"]
    assert db.values("synth_pop", "commune", 2023).set_index("code").loc["SYN01", "value"] == 42.0


def test_map_values_list_every_territory_with_the_previous_year(con) -> None:
    df = queries.map_values(con, "synth_pop", "commune", 2023).set_index("code")
    assert list(df.index) == CODES
    assert df.loc["SYN01", "prev_value"] == 100.0 and df.loc["SYN01", "prev_year"] == 2022
    assert df.loc["SYN03", "status"] == "secret"
    # Territories without a row that year are listed as missing, never dropped.
    older = queries.map_values(con, "synth_pop", "commune", 2021)
    assert older["code"].tolist() == CODES and set(older["status"]) == {"missing"}
    rate = queries.map_values(con, "synth_rate", "commune", 2023)
    assert rate["prev_year"].isna().all()


def test_catalogue_levels_references_and_missing_progress_table(con) -> None:
    catalogue = queries.catalogue(con).set_index("indicator_id")
    assert not catalogue.loc["synth_empty", "has_values"] and catalogue.loc["synth_pop", "has_values"]
    assert queries.indicator_levels(con, "synth_pop") == ["commune"]
    assert queries.geometry_levels(con) == ["commune"]
    refs = queries.reference_territories(con, "commune", "SYN01")
    assert refs["level"].tolist() == ["epci"]  # only the links that exist
    assert queries.territory_name(con, "commune", "SYN02") == "Synthville 2"
    assert queries.territory_name(con, "commune", "NOPE") is None
    sources = queries.all_sources(con).set_index("source_id")
    assert sources.loc["synsrc", "fetched_at"] == "2026-01-01" and pd.isna(sources.loc["synsrc2", "fetched_at"])


def test_series_and_values_for_territories(con) -> None:
    series = queries.territories_series(con, [("commune", "SYN01"), ("commune", "SYN02")], "synth_pop")
    assert set(series["code"]) == {"SYN01", "SYN02"} and "name" in series
    assert set(series["indicator_id"]) == {"synth_pop"}
    values = queries.territory_values(con, [("commune", "SYN03")])
    assert set(values["indicator_id"]) == {"synth_pop", "synth_rate"}
    assert queries.territory_values(con, []).empty


def test_territory_values_are_the_same_named_or_joined(offline_db: Path, monkeypatch) -> None:
    with duckdb.connect(str(offline_db), read_only=True) as gironde:
        territories = gironde.execute(
            "SELECT level, code FROM territories QUALIFY row_number() OVER (PARTITION BY level ORDER BY code) <= 3"
        ).fetchall()
        named = queries.territory_values(gironde, territories)
        monkeypatch.setattr(batched, "FEW_TERRITORIES", 0)  # as for many territories: a join
        pd.testing.assert_frame_equal(named, queries.territory_values(gironde, territories))
    assert set(named["level"]) == {"commune", "departement", "epci", "france", "region"}


def test_positions_from_a_portraits_values_are_the_views_rows(offline_db: Path) -> None:
    """`indicator_status` (the view) and `positions` over what a portrait reads run the same SELECT:
    every enclosing territory of `territory_links` is among the references whose values it reads."""
    with duckdb.connect(str(offline_db), read_only=True) as gironde:
        territories = gironde.execute(
            "SELECT level, code FROM territories WHERE level <> 'commune' OR hash(code) % 20 = 0 ORDER BY ALL"
        ).fetchall()
        assert len(territories) > 40
        compared = 0
        for level, code in territories:
            refs = queries.reference_territories(gironde, level, code)
            values = queries.territory_values(gironde, [(level, code), *zip(refs["level"], refs["code"], strict=True)])
            found = progress_queries.positions(gironde, values, level, code)
            view = gironde.execute(
                "SELECT indicator_id, year, reference_level, reference_code, position FROM indicator_status "
                "WHERE level = ? AND code = ? ORDER BY ALL",
                [level, code],
            ).df()
            pd.testing.assert_frame_equal(found, view, check_dtype=False)
            compared += found["position"].notna().sum()
    assert compared > 1000


def test_epci_neighbours_are_the_communes_of_the_same_epci(con, offline_db: Path) -> None:
    assert queries.epci_neighbours(con, CODES[0]) == sorted(CODES)
    assert queries.epci_neighbours(con, "nowhere") == []
    with duckdb.connect(str(offline_db), read_only=True) as gironde:
        neighbours = queries.epci_neighbours(gironde, "33063")  # Bordeaux, in Bordeaux Métropole
    assert len(neighbours) == 28 and {"33063", "33281", "33318"} <= set(neighbours)
