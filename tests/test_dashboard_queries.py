"""Dashboard queries and figures on a tiny SYNTHETIC database.

Three square synthetic communes with fake codes (SYN01..SYN03) near the
Gironde map centre; none of the values are real data.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pytest

from dashboard import figures, queries
from dashboard.app import create_app, map_figure

NNBSP = "\u202f"

SCHEMA = """
CREATE TABLE territories(level VARCHAR, code VARCHAR, name VARCHAR);
CREATE TABLE territory_links(child_level VARCHAR, child_code VARCHAR,
                             parent_level VARCHAR, parent_code VARCHAR);
CREATE TABLE geometries(level VARCHAR, code VARCHAR, geojson VARCHAR);
CREATE TABLE indicator_values(indicator_id VARCHAR, level VARCHAR, code VARCHAR,
    year INTEGER, value DOUBLE, numerator DOUBLE, denominator DOUBLE, status VARCHAR);
CREATE TABLE indicators(indicator_id VARCHAR, label_fr VARCHAR, label_en VARCHAR,
    finality VARCHAR, unit VARCHAR, polarity VARCHAR, kind VARCHAR, levels VARCHAR,
    sources VARCHAR, definition_fr VARCHAR);
CREATE TABLE sources(source_id VARCHAR, producer VARCHAR, title VARCHAR, url VARCHAR,
                     licence VARCHAR);
CREATE TABLE provenance(source_id VARCHAR, url VARCHAR, fetched_at VARCHAR,
                        sha256 VARCHAR, bytes BIGINT, rows BIGINT);
"""

CODES = ["SYN01", "SYN02", "SYN03"]


def _square(lon: float, lat: float, size: float = 0.1) -> str:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def make_synthetic_db(path: Path, synth_pop_2023: float = 1234567.8) -> Path:
    """Write the synthetic database to `path` (overwriting it)."""
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    con.execute(SCHEMA)
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
         NULL, 'stock', 'commune', 'synsrc', 'Synthetic context indicator.'),
        ('synth_rate', 'Taux synthétique', 'Synthetic rate', 'climat', '%',
         'lower_is_better', 'ratio', 'commune', 'synsrc,synsrc2', 'Synthetic rate.'),
        ('synth_empty', 'Indicateur vide', 'Empty', 'Climat', '%',
         'higher_is_better', 'ratio', 'commune', 'synsrc', 'No value at all.')"""
    )
    con.execute(
        """INSERT INTO sources VALUES
        ('synsrc', 'Producteur synthétique', 'Jeu synthétique', 'https://example.invalid/a', 'Licence synthétique'),
        ('synsrc2', 'Autre producteur', 'Autre jeu', 'https://example.invalid/b', 'Licence synthétique')"""
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
    db = queries.Database(synthetic_db)
    first = db.geojson()
    assert db.geojson() is first  # cached for the same file version
    # A rebuild writes a new file and renames it over the old one.
    new = make_synthetic_db(tmp_path / "rebuild.duckdb", synth_pop_2023=42.0)
    with duckdb.connect(str(new)) as rw:
        rw.execute("DELETE FROM geometries WHERE code = 'SYN03'")
    os.replace(new, synthetic_db)
    assert [f["id"] for f in db.geojson()["features"]] == ["SYN01", "SYN02"]
    assert db.values("synth_pop", "commune", 2023).set_index("code").loc["SYN01", "value"] == 42.0


def _traces(fig) -> dict:
    return {trace.name: trace for trace in fig.data}


def test_null_values_go_to_grey_traces_not_to_zero(con) -> None:
    fig = figures.choropleth(
        queries.geometries_geojson(con),
        queries.indicator_values(con, "synth_pop", "commune", 2023),
        unit="habitants",
        polarity=None,
        title="synthetic",
    )
    traces = _traces(fig)
    assert list(traces["Valeur"].locations) == ["SYN01"]
    assert list(traces["Valeur"].z) == [pytest.approx(1234567.8)]
    assert 0 not in list(traces["Valeur"].z)
    assert list(traces[figures.MISSING_LABEL].locations) == ["SYN02"]
    assert list(traces[figures.SECRET_LABEL].locations) == ["SYN03"]
    for label in (figures.MISSING_LABEL, figures.SECRET_LABEL):
        trace = traces[label]
        assert trace.showlegend and not trace.showscale
        assert {c for _, c in trace.colorscale} == {
            figures.MISSING_COLOUR if label == figures.MISSING_LABEL else figures.SECRET_COLOUR
        }
        assert label in trace.hovertemplate
        # Each trace ships only its own geometries.
        assert [f["id"] for f in trace.geojson["features"]] == list(trace.locations)


def test_territory_without_a_row_is_drawn_as_missing(con) -> None:
    values = queries.indicator_values(con, "synth_pop", "commune", 2022)
    fig = figures.choropleth(
        queries.geometries_geojson(con), values[values["code"] != "SYN02"], unit=None, polarity=None, title="synthetic"
    )
    traces = _traces(fig)
    assert list(traces["Valeur"].locations) == ["SYN01", "SYN03"]
    assert list(traces[figures.MISSING_LABEL].locations) == ["SYN02"]


def test_polarity_sets_colour_scale_direction(con) -> None:
    geojson = queries.geometries_geojson(con)
    values = queries.indicator_values(con, "synth_rate", "commune", 2023)
    lower = _traces(figures.choropleth(geojson, values, "%", "lower_is_better", "t"))["Valeur"]
    higher = _traces(figures.choropleth(geojson, values, "%", "higher_is_better", "t"))["Valeur"]
    neutral = _traces(figures.choropleth(geojson, values, "%", None, "t"))["Valeur"]
    assert lower.reversescale is True
    assert higher.reversescale is False
    assert lower.colorscale == higher.colorscale  # same palette, opposite direction
    assert neutral.reversescale is False and neutral.colorscale != higher.colorscale
    assert len(_traces(figures.choropleth(geojson, values, "%", None, "t"))) == 1  # no grey trace


def test_map_is_fitted_to_gironde_without_tiles(con) -> None:
    fig = figures.choropleth(
        queries.geometries_geojson(con),
        queries.indicator_values(con, "synth_rate", "commune", 2023),
        "%",
        "lower_is_better",
        "t",
    )
    assert fig.layout.map.style == "white-bg"
    assert fig.layout.map.center.lon == pytest.approx(-0.6, abs=0.1)
    assert fig.layout.map.center.lat == pytest.approx(44.85, abs=0.1)
    assert 6.5 <= fig.layout.map.zoom <= 8


def test_french_number_formatting() -> None:
    assert figures.format_fr(1234567.8) == f"1{NNBSP}234{NNBSP}567,8"
    assert figures.format_fr(2492.0) == f"2{NNBSP}492"
    assert figures.format_fr(0.5) == "0,5"
    assert figures.format_fr(-1234.25) == f"-1{NNBSP}234,25"
    assert figures.format_fr(float("nan")) == figures.MISSING_LABEL
    assert figures.format_value(1234567.8, "habitants") == f"1{NNBSP}234{NNBSP}567,8{NNBSP}habitants"


def test_hover_shows_name_and_french_value(con) -> None:
    fig = figures.choropleth(
        queries.geometries_geojson(con),
        queries.indicator_values(con, "synth_pop", "commune", 2023),
        "habitants",
        None,
        "t",
    )
    name, text = _traces(fig)["Valeur"].customdata[0]
    assert name == "Synthville 1"
    assert text == f"1{NNBSP}234{NNBSP}567,8{NNBSP}habitants"


def test_app_layout_and_map_callback(synthetic_db: Path) -> None:
    app = create_app(synthetic_db)
    page = str(app.layout())
    assert "itdd — indicateurs territoriaux de développement durable" in page
    assert "Taux synthétique" in page and "Indicateur vide" not in page
    assert "Licence synthétique" in page
    assert "Lutte contre le changement climatique" in page  # finality id shown as its label
    fig, definition = map_figure(queries.Database(synthetic_db), "synth_rate", 2023)
    assert definition == "Synthetic rate."
    assert "2023" in fig.layout.title.text
    fig, definition = map_figure(queries.Database(synthetic_db), "synth_rate", None)
    assert definition == "" and not fig.data
