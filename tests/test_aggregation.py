"""Harmonisation and aggregation on small SYNTHETIC tables (codes and values are made up)."""

from pathlib import Path

import duckdb
import pytest

from etl.catalogue_reader import parse_catalogue
from etl.indicators import compute_indicators
from etl.transform import code_map, harmonise

SOURCE = {
    "id": "synthetic",
    "producer": "tests",
    "title": "synthetic values",
    "title_en": "synthetic values",
    "licence": "none",
    "snapshot": "x.csv",
    "format": "csv",
    "variables": {
        "people": {"people": None},
        "jobless": {"j": None},
        "area": {"a": None},
        "median": {"m": None},
        "emissions": {"e": None},
    },
}


def indicator(id_, kind, **refs):
    return {
        "id": id_,
        "label": {"fr": id_},
        "finality": "cohesion_sociale",
        "unit": "u",
        "kind": kind,
        "levels": ["commune", "epci", "departement", "region"],
        "definition": {"fr": "-"},
        **refs,
    }


CATALOGUE = parse_catalogue(
    {
        "reference_code_list": 2025,
        "sources": [SOURCE],
        "indicators": [
            indicator("people", "count", variable={"source": "synthetic", "variable": "people"}),
            indicator(
                "rate",
                "ratio",
                numerator={"source": "synthetic", "variable": "jobless"},
                denominator={"source": "synthetic", "variable": "people"},
                scale=100,
            ),
            indicator(
                "density",
                "ratio",
                numerator={"source": "synthetic", "variable": "people"},
                denominator={"source": "synthetic", "variable": "area"},
            ),
            indicator("growth", "change_rate", variable={"source": "synthetic", "variable": "people"}),
            indicator("median", "published", variable={"source": "synthetic", "variable": "median"}),
            indicator(
                "per_head",
                "ratio",
                numerator={"source": "synthetic", "variable": "emissions"},
                denominator={"source": "synthetic", "variable": "people"},
            ),
        ],
        "coverage_population": {"source": "synthetic", "variable": "people"},
    },
    Path("synthetic.yaml"),
)


@pytest.fixture
def con():
    """Communes A, B (EPCI E1), C (EPCI E2), all in département D; old code A0 merged into A."""
    c = duckdb.connect()
    c.execute(
        "CREATE TABLE territories AS SELECT * FROM (VALUES ('commune','A','a'), ('commune','B','b'), "
        "('commune','C','c'), ('epci','E1','e1'), ('epci','E2','e2'), ('departement','D','d')) t(level, code, name)"
    )
    c.execute(
        "CREATE TABLE territory_links AS SELECT * FROM (VALUES "
        "('commune','A','epci','E1'), ('commune','B','epci','E1'), ('commune','C','epci','E2'), "
        "('commune','A','departement','D'), ('commune','B','departement','D'), ('commune','C','departement','D')"
        ") t(child_level, child_code, parent_level, parent_code)"
    )
    c.execute("CREATE TABLE commune_changes AS SELECT 'A0' AS old_code, 'A' AS new_code, '2019-01-01' AS date")
    c.execute(
        "CREATE TABLE observations (source_id VARCHAR, variable VARCHAR, level VARCHAR, code VARCHAR, "
        "year INTEGER, value DOUBLE, status VARCHAR)"
    )
    return c


def add(con, variable, rows):
    con.executemany(
        "INSERT INTO observations VALUES ('synthetic', ?, ?, ?, ?, ?, ?)",
        [(variable, level, code, year, value, status) for level, code, year, value, status in rows],
    )


def values(con, indicator_id):
    rows = con.execute(
        "SELECT level, code, year, value, status FROM indicator_values WHERE indicator_id = ? ORDER BY ALL",
        [indicator_id],
    ).fetchall()
    return {(level, code, year): (value, status) for level, code, year, value, status in rows}


def test_code_map_follows_chains():
    assert code_map([("x", "y"), ("y", "z"), ("w", "z")]) == {"x": "z", "y": "z", "w": "z"}


def test_merged_commune_is_summed_into_its_successor(con):
    add(
        con,
        "people",
        [
            ("commune", "A", 2020, 100, "ok"),
            ("commune", "A0", 2020, 50, "ok"),
            ("commune", "B", 2020, 10, "ok"),
            ("commune", "C", 2020, 1, "ok"),
        ],
    )
    harmonise(con)
    assert con.execute("SELECT value, status FROM obs WHERE code = 'A'").fetchall() == [(150.0, "ok")]
    assert con.execute("SELECT count(*) FROM obs WHERE code = 'A0'").fetchone()[0] == 0


def test_a_median_of_merged_communes_is_not_carried(con):
    add(
        con,
        "median",
        [
            ("commune", "A", 2020, 21000, "ok"),
            ("commune", "A0", 2020, 19000, "ok"),
            ("commune", "B", 2020, 18000, "ok"),
        ],
    )
    harmonise(con, [("synthetic", "median")])
    rows = dict(con.execute("SELECT code, (value, status) FROM obs WHERE variable = 'median'").fetchall())
    assert rows["A"] == (None, "missing")  # not 40000, not 20000
    assert rows["B"] == (18000.0, "ok")


def test_counts_are_summed_and_missing_is_not_zero(con):
    add(
        con,
        "people",
        [
            ("commune", "A", 2020, 100, "ok"),
            ("commune", "B", 2020, None, "missing"),
            ("commune", "C", 2020, 7, "ok"),
            ("commune", "A", 2021, 110, "ok"),
            ("commune", "B", 2021, 20, "ok"),
            ("commune", "C", 2021, None, "secret"),
        ],
    )
    harmonise(con)
    compute_indicators(con, CATALOGUE)
    got = values(con, "people")
    assert got[("commune", "B", 2020)] == (None, "missing")
    assert got[("epci", "E1", 2020)] == (100.0, "incomplete")  # B missing: not a complete 100
    assert got[("epci", "E2", 2021)] == (None, "secret")  # its only commune is withheld
    assert got[("epci", "E1", 2021)] == (130.0, "ok")
    assert got[("departement", "D", 2021)] == (130.0, "incomplete")


def test_rates_are_sum_over_sum_never_a_mean_of_rates(con):
    add(
        con,
        "people",
        [("commune", "A", 2020, 1000, "ok"), ("commune", "B", 2020, 10, "ok"), ("commune", "C", 2020, 90, "ok")],
    )
    add(
        con,
        "jobless",
        [("commune", "A", 2020, 100, "ok"), ("commune", "B", 2020, 5, "ok"), ("commune", "C", 2020, None, "secret")],
    )
    harmonise(con)
    compute_indicators(con, CATALOGUE)
    got = values(con, "rate")
    assert got[("commune", "B", 2020)] == (50.0, "ok")
    assert got[("epci", "E1", 2020)][0] == pytest.approx(105 / 1010 * 100)  # mean of rates would be 30
    assert got[("commune", "C", 2020)] == (None, "secret")
    # D is computed over A and B only, where both parts are known, and says so
    assert got[("departement", "D", 2020)] == (pytest.approx(105 / 1010 * 100), "incomplete")


def test_static_denominator_applies_to_every_year(con):
    add(
        con, "people", [("commune", c, y, v, "ok") for c, v in (("A", 100), ("B", 50), ("C", 30)) for y in (2020, 2021)]
    )
    add(
        con, "area", [("commune", "A", None, 2, "ok"), ("commune", "B", None, 3, "ok"), ("commune", "C", None, 0, "ok")]
    )
    harmonise(con)
    compute_indicators(con, CATALOGUE)
    got = values(con, "density")
    assert got[("epci", "E1", 2021)] == (30.0, "ok")
    assert got[("commune", "C", 2020)] == (None, "missing")  # zero area: no density, not infinity


def test_growth_is_computed_from_aggregated_counts(con):
    add(
        con,
        "people",
        [
            ("commune", "A", 2016, 100, "ok"),
            ("commune", "B", 2016, 100, "ok"),
            ("commune", "A", 2019, 200, "ok"),
            ("commune", "B", 2019, 100, "ok"),
            ("commune", "C", 2016, 10, "ok"),
            ("commune", "C", 2019, 10, "ok"),
        ],
    )
    harmonise(con)
    compute_indicators(con, CATALOGUE)
    got = values(con, "growth")
    assert got[("epci", "E1", 2019)][0] == pytest.approx(((300 / 200) ** (1 / 3) - 1) * 100)
    assert got[("commune", "C", 2019)] == (0.0, "ok")
    assert ("commune", "A", 2016) not in got  # no previous year, no rate


def test_published_values_are_never_aggregated(con):
    add(
        con,
        "median",
        [
            ("commune", "A", 2020, 21000, "ok"),
            ("commune", "B", 2020, None, "secret"),
            ("commune", "C", 2020, 19000, "ok"),
            ("epci", "E1", 2020, 20500, "ok"),
        ],
    )
    harmonise(con)
    compute_indicators(con, CATALOGUE)
    got = values(con, "median")
    assert got[("epci", "E1", 2020)] == (20500.0, "ok")  # the producer's own median
    assert got[("commune", "B", 2020)] == (None, "secret")
    assert ("epci", "E2", 2020) not in got  # no published value: none, not a mean of medians
    assert ("departement", "D", 2020) not in got


def test_a_producer_total_wins_and_a_missing_side_is_summed(con):
    add(
        con,
        "people",
        [("commune", "A", 2020, 100, "ok"), ("commune", "B", 2020, 300, "ok"), ("commune", "C", 2020, 50, "ok")],
    )
    add(con, "emissions", [("epci", "E1", 2020, 800, "ok"), ("epci", "E2", 2020, 100, "ok")])
    harmonise(con)
    compute_indicators(con, CATALOGUE)
    got = values(con, "per_head")
    assert got[("epci", "E1", 2020)] == (2.0, "ok")  # 800 published / (100 + 300) summed
    assert got[("epci", "E2", 2020)] == (2.0, "ok")
    assert ("commune", "A", 2020) not in {k for k, v in got.items() if v[0] is not None}


def test_incomplete_aggregates_carry_their_coverage(con):
    add(
        con,
        "people",
        [("commune", "A", 2020, 300, "ok"), ("commune", "B", 2020, 100, "ok"), ("commune", "C", 2020, 50, "ok")],
    )
    add(
        con,
        "jobless",
        [("commune", "A", 2020, 30, "ok"), ("commune", "B", 2020, None, "missing"), ("commune", "C", 2020, 5, "ok")],
    )
    harmonise(con)
    compute_indicators(con, CATALOGUE)
    coverage = {
        (lv, code): rest
        for lv, code, *rest in con.execute(
            "SELECT level, code, members, members_with_data, population_share FROM indicator_coverage "
            "WHERE indicator_id = 'rate' AND year = 2020"
        ).fetchall()
    }
    assert coverage[("epci", "E1")] == [2, 1, pytest.approx(0.75)]  # A's 300 of A + B's 400
    assert coverage[("epci", "E2")] == [1, 1, 1.0]
    assert coverage[("departement", "D")] == [3, 2, pytest.approx(350 / 450)]
    assert values(con, "rate")[("epci", "E1", 2020)] == (10.0, "incomplete")


def test_only_changes_after_a_source_code_list_apply(con):
    # A0 merged into A on 2019-01-01: a source on the 2020 code list cannot hold A0 as the old commune
    con.execute("INSERT INTO commune_changes VALUES ('B0', 'B', '2024-01-01')")
    add(
        con,
        "people",
        [("commune", "A0", 2018, 7, "ok"), ("commune", "B0", 2018, 5, "ok"), ("commune", "B", 2018, 1, "ok")],
    )
    harmonise(con, vintages={"synthetic": 2020})
    rows = dict(con.execute("SELECT code, value FROM obs WHERE variable = 'people'").fetchall())
    assert rows == {"B": 6.0}  # B0 carried into B; A0 is not a code of that list and is dropped


def test_a_split_after_the_code_list_is_flagged_not_apportioned(con):
    con.execute("CREATE TABLE commune_splits AS SELECT '2022-01-01' AS date, 'C' AS code")
    add(con, "people", [("commune", "C", 2018, 70, "ok"), ("commune", "B", 2018, 30, "ok")])
    harmonise(con, vintages={"synthetic": 2021})
    rows = dict(con.execute("SELECT code, (value, status) FROM obs WHERE variable = 'people'").fetchall())
    assert rows["C"] == (None, "missing") and rows["B"] == (30.0, "ok")
    harmonise(con, vintages={"synthetic": 2023})  # a source drawn after the split is fine
    assert con.execute("SELECT value FROM obs WHERE code = 'C'").fetchone() == (70.0,)


def test_a_zero_denominator_under_a_non_zero_numerator_is_left_out_of_the_sums(con):
    """A corrupt row (3 jobless in a commune of 0 people) would inflate its EPCI's rate."""
    add(
        con,
        "people",
        [("commune", "A", 2020, 100, "ok"), ("commune", "B", 2020, 0, "ok"), ("commune", "C", 2020, 50, "ok")],
    )
    add(
        con,
        "jobless",
        [("commune", "A", 2020, 10, "ok"), ("commune", "B", 2020, 3, "ok"), ("commune", "C", 2020, 0, "ok")],
    )
    harmonise(con)
    compute_indicators(con, CATALOGUE)
    rate = values(con, "rate")
    assert rate[("commune", "B", 2020)] == (None, "missing")
    assert rate[("epci", "E1", 2020)] == (pytest.approx(10.0), "incomplete")  # 10 / 100, not 13 / 100
    assert rate[("departement", "D", 2020)] == (pytest.approx(10 / 150 * 100), "incomplete")
    assert rate[("epci", "E2", 2020)] == (0.0, "ok")  # 0 of 50: a real zero, kept
