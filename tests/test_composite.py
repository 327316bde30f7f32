"""Composite indices: min-max normalisation on fixed bounds, polarity, weights, missing
components; on SYNTHETIC values, then through DuckDB and the real mirror build."""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from etl.build import build
from etl.catalogue_reader import CatalogueError, parse_catalogue
from etl.composite import Part, composite_frame, compute_composite
from etl.indicators import TABLES_DDL

ROOT = Path(__file__).resolve().parent.parent
UP, DOWN = "higher_is_better", "lower_is_better"


def rows(*items):
    """(component_id, code, year, value[, status]) -> component values at commune level."""
    out = []
    for item in items:
        component, code, year, value, *status = item
        out.append(
            {
                "component_id": component,
                "level": "commune",
                "code": code,
                "year": year,
                "value": value,
                "status": status[0] if status else ("ok" if value is not None else "missing"),
            }
        )
    return pd.DataFrame(out).astype({"value": float})


SYNTHETIC_2020 = [
    # income (higher is better): 10, 20, 30; unemployment (lower is better): 5, 15, 10
    ("income", "A", 2020, 10.0),
    ("income", "B", 2020, 20.0),
    ("income", "C", 2020, 30.0),
    ("unemployment", "A", 2020, 5.0),
    ("unemployment", "B", 2020, 15.0),
    ("unemployment", "C", 2020, 10.0),
]
PARTS = [Part("income", UP, 1.0), Part("unemployment", DOWN, 3.0)]


def index_of(index: pd.DataFrame) -> dict:
    return {(r.code, r.year): (None if pd.isna(r.value) else round(r.value, 9), r.status) for r in index.itertuples()}


def test_synthetic_min_max_with_polarity_and_weights():
    index, contributions, bounds = composite_frame(rows(*SYNTHETIC_2020), PARTS)
    # weights 1/4 and 3/4; A: income 0, unemployment (15-5)/10 = 1 -> 100 * 0.75 = 75
    # B: income 0.5, unemployment 0 -> 12.5; C: income 1, unemployment 0.5 -> 25 + 37.5 = 62.5
    assert index_of(index) == {("A", 2020): (75.0, "ok"), ("B", 2020): (12.5, "ok"), ("C", 2020): (62.5, "ok")}
    c = contributions.set_index(["code", "component_id"])
    assert c.loc[("C", "income"), ["normalised", "weight", "contribution"]].tolist() == [1.0, 0.25, 25.0]
    assert c.loc[("C", "unemployment"), "contribution"] == pytest.approx(37.5)
    sums = contributions.groupby("code")["contribution"].sum()
    assert sums.to_dict() == pytest.approx({"A": 75.0, "B": 12.5, "C": 62.5})
    b = bounds.set_index("component_id")
    assert b.loc["income", ["minimum", "maximum"]].tolist() == [10.0, 30.0]
    assert b.loc["unemployment", ["polarity", "reference_first", "reference_last"]].tolist() == [DOWN, 2020, 2020]


def test_synthetic_missing_or_secret_component_gives_no_index_and_no_reweighting():
    values = rows(*SYNTHETIC_2020[:-1], ("unemployment", "C", 2020, None, "secret"), ("income", "D", 2020, 25.0))
    index, contributions, _ = composite_frame(values, PARTS)
    got = index_of(index)
    assert got[("C", 2020)] == (None, "secret")
    assert got[("D", 2020)] == (None, "missing")  # D has no unemployment row at all
    assert set(contributions["code"]) == {"A", "B"}


def test_synthetic_incomplete_component_makes_the_index_incomplete():
    values = rows(*SYNTHETIC_2020[:-1], ("unemployment", "C", 2020, 10.0, "incomplete"))
    assert index_of(composite_frame(values, PARTS)[0])[("C", 2020)] == (62.5, "incomplete")


def test_synthetic_adding_a_later_year_does_not_change_earlier_index_values():
    before, _, bounds_before = composite_frame(rows(*SYNTHETIC_2020), PARTS, reference_period=(2020, 2020))
    later = [
        ("income", "A", 2021, 40.0),  # beyond the reference maximum: scores above 1, not clipped
        ("income", "B", 2021, 20.0),
        ("income", "C", 2021, 5.0),
        ("unemployment", "A", 2021, 5.0),
        ("unemployment", "B", 2021, 30.0),
        ("unemployment", "C", 2021, 10.0),
    ]
    after, _, bounds_after = composite_frame(rows(*SYNTHETIC_2020, *later), PARTS, reference_period=(2020, 2020))
    assert {k: v for k, v in index_of(after).items() if k[1] == 2020} == index_of(before)
    pd.testing.assert_frame_equal(bounds_before, bounds_after)
    # A 2021: income (40-10)/20 = 1.5 -> 37.5, unemployment 1 -> 75: 112.5 (a real change)
    # B 2021: unemployment (15-30)/10 = -1.5 -> -112.5 + income 12.5 = -100
    assert index_of(after)[("A", 2021)] == (112.5, "ok")
    assert index_of(after)[("B", 2021)] == (-100.0, "ok")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(min_value=-1e4, max_value=1e4, allow_nan=False), min_size=6, max_size=6),
    st.integers(2021, 2030),
)
def test_property_later_years_never_change_earlier_index_values(later_values, later_year):
    before, _, _ = composite_frame(rows(*SYNTHETIC_2020), PARTS, reference_period=(2020, 2020))
    later = [(c, code, later_year, v) for (c, code, _, _), v in zip(SYNTHETIC_2020, later_values, strict=True)]
    after, _, _ = composite_frame(rows(*SYNTHETIC_2020, *later), PARTS, reference_period=(2020, 2020))
    assert {k: v for k, v in index_of(after).items() if k[1] == 2020} == index_of(before)


def test_synthetic_default_reference_is_the_first_index_year_and_stays_fixed():
    later = [(c, code, 2021, v * 2) for c, code, _, v in SYNTHETIC_2020]
    first, _, _ = composite_frame(rows(*SYNTHETIC_2020), PARTS)
    both, _, bounds = composite_frame(rows(*SYNTHETIC_2020, *later), PARTS)
    assert {k: v for k, v in index_of(both).items() if k[1] == 2020} == index_of(first)
    assert set(bounds["reference_first"]) == {2020}


def test_synthetic_components_of_different_years_within_the_allowed_age():
    values = rows(
        ("income", "A", 2019, 10.0),
        ("income", "B", 2019, 30.0),
        ("unemployment", "A", 2020, 5.0),
        ("unemployment", "B", 2020, 15.0),
    )
    same_year, _, _ = composite_frame(values, PARTS)
    assert index_of(same_year) == {("A", 2020): (None, "missing"), ("B", 2020): (None, "missing")}
    aged, contributions, _ = composite_frame(values, PARTS, component_max_age=1)
    assert index_of(aged) == {("A", 2020): (75.0, "ok"), ("B", 2020): (25.0, "ok")}
    assert contributions.set_index(["code", "component_id"]).loc[("A", "income"), "component_year"] == 2019


def test_synthetic_the_latest_component_within_the_age_is_taken():
    values = rows(
        ("income", "A", 2017, 10.0),
        ("income", "A", 2019, 20.0),
        ("income", "B", 2017, 30.0),
        ("income", "C", 2020, 40.0),
        ("unemployment", "A", 2020, 5.0),
        ("unemployment", "B", 2020, 15.0),
        ("unemployment", "C", 2020, 10.0),
    )
    index, contributions, _ = composite_frame(values, PARTS, component_max_age=1)
    years = contributions.set_index(["code", "component_id"])["component_year"]
    assert years[("A", "income")] == 2019 and years[("C", "income")] == 2020
    assert index_of(index)[("B", 2020)] == (None, "missing")  # its income, of 2017, is older than allowed


def test_synthetic_equal_bounds_give_no_index():
    values = rows(("income", "A", 2020, 10.0), ("income", "B", 2020, 10.0))
    index, _, _ = composite_frame(values, [Part("income", UP)])
    assert index["value"].isna().all() and set(index["status"]) == {"missing"}


def test_synthetic_a_level_without_a_component_has_no_index():
    values = rows(*SYNTHETIC_2020).assign(level=lambda d: d["level"].where(d["component_id"] == "income", "x"))
    values = values[values["level"] == "commune"]
    index, _, _ = composite_frame(values, PARTS)
    assert index.empty


# --- catalogue and DuckDB stage ------------------------------------------------------------


def catalogue_with(extra: list[dict]):
    raw = yaml.safe_load((ROOT / "indicators.yaml").read_text())
    raw["indicators"] += extra
    return parse_catalogue(raw, Path("test.yaml"))


def composite(id_, components, **more):
    return {
        "id": id_,
        "label": {"fr": "Indice"},
        "finality": "cohesion_sociale",
        "unit": "indice",
        "polarity": "higher_is_better",
        "kind": "composite",
        "components": components,
        "levels": ["commune"],
        "definition": {"fr": "…"},
        **more,
    }


def test_catalogue_rejects_composites_of_composites():
    with pytest.raises(CatalogueError) as caught:
        catalogue_with([composite("indice_x", ["indice_sante_sociale", "taux_pauvrete"])])
    assert caught.value.errors == [
        "indicators (indice_x).components: 'indice_sante_sociale' is a composite; use its components"
    ]


def test_catalogue_wants_components_declared_before_the_composite():
    raw = yaml.safe_load((ROOT / "indicators.yaml").read_text())
    raw["indicators"].insert(0, composite("indice_x", ["taux_pauvrete"]))
    with pytest.raises(CatalogueError) as caught:
        parse_catalogue(raw, Path("test.yaml"))
    assert caught.value.errors == [
        "indicators (indice_x).components: 'taux_pauvrete' must be declared before the composite"
    ]


def test_catalogue_checks_weights():
    with pytest.raises(CatalogueError) as caught:
        catalogue_with([composite("indice_x", [{"id": "taux_pauvrete", "weight": 0}])])
    assert "indicators[" in caught.value.errors[0] and "weight" in caught.value.errors[0]


def stage(catalogue, values: list[tuple]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(TABLES_DDL)
    con.executemany("INSERT INTO indicator_values VALUES (?, 'commune', ?, ?, ?, NULL, NULL, ?)", values)
    return con


def test_stage_writes_the_index_and_its_components():
    catalogue = catalogue_with([])
    values = [
        (indicator, code, year, value, "ok")
        for code, (chomage, pauvrete, interdecile, mortalite) in {
            "33001": (8.0, 10.0, 2.5, 9.0),
            "33002": (12.0, 20.0, 3.5, 11.0),
            "33003": (10.0, 15.0, 3.0, 13.0),
        }.items()
        for indicator, year, value in (
            ("taux_chomage_15_64", 2018, chomage),
            ("taux_pauvrete", 2019, pauvrete),
            ("rapport_interdecile", 2019, interdecile),
            ("taux_mortalite", 2020, mortalite),
        )
    ]
    con = stage(catalogue, values)
    compute_composite(con, catalogue, catalogue.indicator("indice_sante_sociale"))
    index = dict(
        con.execute(
            "SELECT code, round(value, 6) FROM indicator_values WHERE indicator_id = 'indice_sante_sociale'"
        ).fetchall()
    )
    # 33001 is best on the first three and 1 - (9-9)/4 = 1 on mortality: 100
    # 33002: 0, 0, 0 and mortality (13-11)/4 = 0.5 -> 12.5; 33003: .5, .5, .5, 0 -> 37.5
    assert index == {"33001": 100.0, "33002": 12.5, "33003": 37.5}
    (parts,) = con.execute(
        "SELECT count(*) FROM composite_components WHERE indicator_id = 'indice_sante_sociale' AND code = '33003'"
    ).fetchall()
    assert parts == (4,)
    assert con.execute("SELECT count(*) FROM composite_bounds").fetchone() == (4,)


def test_stage_skips_a_component_without_direction_and_says_so(caplog):
    catalogue = catalogue_with([composite("indice_x", ["taux_pauvrete", "taux_natalite"])])
    con = stage(catalogue, [("taux_pauvrete", "33001", 2019, 10.0, "ok"), ("taux_natalite", "33001", 2019, 9, "ok")])
    with caplog.at_level(logging.WARNING):
        compute_composite(con, catalogue, catalogue.indicator("indice_x"))
    assert "taux_natalite has no polarity" in caplog.text
    assert con.execute("SELECT count(*) FROM indicator_values WHERE indicator_id = 'indice_x'").fetchone() == (0,)


def composites_hold(con) -> None:
    """Real Filosofi, census and death files: indices only where every component is known."""
    q = lambda sql: con.execute(sql).fetchall()  # noqa: E731
    computed = dict(
        q("""SELECT indicator_id, count(*) FROM indicator_values
             WHERE indicator_id LIKE 'indice_%' AND value IS NOT NULL GROUP BY 1""")
    )
    assert computed["indice_sante_sociale"] > 50 and computed["indice_developpement_humain"] > 400
    # never computed where the poverty rate is secret
    assert q("""SELECT count(*) FROM indicator_values i JOIN indicator_values p
                ON p.indicator_id = 'taux_pauvrete' AND p.level = i.level AND p.code = i.code AND p.year = i.year
                WHERE i.indicator_id = 'indice_sante_sociale' AND i.value IS NOT NULL
                  AND p.status = 'secret'""") == [(0,)]
    # contributions add up to the index; in the reference year every score lies in [0, 1]
    assert q("""SELECT count(*) FROM indicator_values i JOIN (
                    SELECT indicator_id, level, code, year, sum(contribution) AS total
                    FROM composite_components GROUP BY ALL) c USING (indicator_id, level, code, year)
                WHERE abs(i.value - c.total) > 1e-9""") == [(0,)]
    reference = "SELECT min(normalised) >= 0 AND max(normalised) <= 1 FROM composite_components WHERE year = 2020"
    assert q(reference) == [(True,)]
    # several index years: the index is assessed like any indicator
    categories = q("SELECT DISTINCT category FROM indicator_progress WHERE indicator_id = 'indice_sante_sociale'")
    assert {c for (c,) in categories} > {"unable_to_assess"}


def test_offline_build_has_composites_where_every_component_is_known(offline_db):
    with duckdb.connect(str(offline_db), read_only=True) as con:
        composites_hold(con)


@pytest.mark.integration
def test_real_insee_files_give_composites_only_where_every_component_is_known(
    tmp_path, catalogue, serve_folder, shared_opendata
):
    db = tmp_path / "mirror.duckdb"
    build(catalogue, db, mirror=serve_folder(shared_opendata), cache_dir=tmp_path / "cache")
    with duckdb.connect(str(db), read_only=True) as con:
        composites_hold(con)
