"""Progress assessment: the method on SYNTHETIC hand-computed series, then invariants of
the real builds (offline snapshot, and the shared INSEE mirror when present)."""

from __future__ import annotations

import math
import re

import duckdb
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from etl.build import build
from etl.catalogue import Target
from etl.indicators import TABLES_DDL
from etl.progress import CATEGORIES, assess, assess_progress, limit_coefficient

UP, DOWN = "higher_is_better", "lower_is_better"


def series(*pairs, status="ok"):
    """(year, value) pairs as ok points."""
    return [(year, value, status) for year, value in pairs]


def target(**fields):
    return Target(basis="synthetic", **fields)


# --- without a target: signed CAGR against 1.5 % and 0.5 % a year ----------------------


@pytest.mark.parametrize(
    ("polarity", "last", "cagr", "category"),
    [
        (UP, 110, 0.019245, "on_track"),  # 1.1 ** (1/5) - 1
        (UP, 105, 0.009806, "acceleration_needed"),
        (UP, 101, 0.001992, "limited_progress"),
        (UP, 95, -0.010206, "deterioration"),
        (DOWN, 90, -0.020852, "on_track"),
        (DOWN, 97, -0.006074, "acceleration_needed"),
        (DOWN, 98, -0.004032, "limited_progress"),
        (DOWN, 102, 0.003968, "deterioration"),
    ],
)
def test_synthetic_categories_without_target(polarity, last, cagr, category):
    a = assess(series((2015, 100), (2018, 123), (2020, last)), polarity)
    assert (a.base_year, a.last_year, a.base_value, a.last_value) == (2015, 2020, 100, last)
    assert a.cagr == pytest.approx(cagr, abs=1e-6)
    assert a.signed_cagr == pytest.approx(cagr if polarity == UP else -cagr, abs=1e-6)
    assert (a.category, a.reason, a.points) == (category, None, 3)
    assert a.ratio_to_required is None and a.target_value is None


@pytest.mark.parametrize(
    ("last", "category"),
    [(101.5, "on_track"), (100.5, "acceleration_needed"), (100, "limited_progress"), (99.999, "deterioration")],
)
def test_synthetic_thresholds_are_inclusive_despite_float_noise(last, category):
    assert assess(series((2019, 100), (2020, last)), UP).category == category


# --- with a target: R = signed CAGR / |CAGR needed| ----------------------------------------


@pytest.mark.parametrize(
    ("last", "ratio", "category"),
    [
        (210, None, "target_achieved"),
        (130, 1.139126, "on_track"),  # (1.3 ** .2 - 1) / (2 ** (1/15) - 1)
        (120, 0.785241, "acceleration_needed"),
        (105, 0.207336, "limited_progress"),
        (90, -0.440893, "deterioration"),
    ],
)
def test_synthetic_absolute_target_higher_is_better(last, ratio, category):
    a = assess(series((2015, 100), (2020, last)), UP, target(value=200, year=2030))
    assert (a.target_value, a.target_year, a.category) == (200, 2030, category)
    if ratio is not None:
        assert a.ratio_to_required == pytest.approx(ratio, abs=1e-5)


@pytest.mark.parametrize(
    ("last", "ratio", "category"),
    [
        (9.5, None, "target_achieved"),
        (16, 0.966542, "on_track"),  # (1 - 0.8 ** .2) / (1 - 0.5 ** (1/15))
        (17, 0.708201, "acceleration_needed"),
        (18, 0.461744, "limited_progress"),
        (21, -0.217142, "deterioration"),
    ],
)
def test_synthetic_relative_target_lower_is_better(last, ratio, category):
    halve = target(change_percent=-50, reference_year=2015, year=2030)  # "reduce by half against 2015"
    a = assess(series((2015, 20), (2020, last)), DOWN, halve)
    assert (a.target_value, a.category) == (10, category)
    if ratio is not None:
        assert a.ratio_to_required == pytest.approx(ratio, abs=1e-5)


def test_synthetic_relative_target_against_a_reference_period_mean():
    # "-50 % over 2021-2031 against 2011-2021": the mean of 2011-2013 (30, 20, 10) is 20
    zan = target(change_percent=-50, reference_period=(2011, 2013), year=2030)
    a = assess(series((2011, 30), (2012, 20), (2013, 10), (2015, 20), (2020, 16)), DOWN, zan)
    assert a.target_value == 10 and a.base_year == 2015 and a.category == "on_track"


def test_synthetic_target_whose_reference_is_absent_is_assessed_without_it():
    ghg = target(change_percent=-40, reference_year=1990, year=2030)
    a = assess(series((2015, 100), (2020, 90)), DOWN, ghg)
    assert a.target_value is None and a.target_year == 2030 and a.ratio_to_required is None
    assert (a.category, a.reason) == ("on_track", "target_reference_missing")


def test_synthetic_unusable_targets_are_said_so():
    other_sign = assess(series((2015, 100), (2020, 90)), DOWN, target(value=-5, year=2030))
    assert (other_sign.category, other_sign.reason) == ("on_track", "target_not_usable")
    too_early = assess(series((2016, 100), (2020, 90)), DOWN, target(value=50, year=2015))
    assert too_early.reason == "target_not_usable"


def test_synthetic_target_equal_to_base_value_and_left_is_deterioration():
    a = assess(series((2015, 100), (2020, 95)), UP, target(value=100, year=2030))
    assert (a.category, a.ratio_to_required) == ("deterioration", None)


def test_synthetic_zero_target_uses_the_full_required_decline():
    a = assess(series((2015, 20), (2020, 10)), DOWN, target(value=0, year=2030))
    assert a.ratio_to_required == pytest.approx(1 - 0.5**0.2, abs=1e-9)  # CAGR_T = -100 % a year
    assert a.category == "limited_progress"


# --- natural limits ------------------------------------------------------------------------


def test_limit_coefficient_formula():
    assert limit_coefficient(95, 100, UP) == pytest.approx(1 - 0.95**4.44)
    assert limit_coefficient(50, 100, UP) == pytest.approx(1 - 0.5**4.44)
    assert limit_coefficient(100, 100, UP) == 0
    assert limit_coefficient(4, 3, DOWN) == pytest.approx(1 - (2 / 3) ** 4.44)  # minimum limit 3
    assert limit_coefficient(6, 3, DOWN) == 1 and limit_coefficient(3, 3, DOWN) == 0
    assert limit_coefficient(2, 3, DOWN) == 1  # below a minimum: not a limit in the desired direction
    assert limit_coefficient(0.5, 0, DOWN) == 1  # a steady relative decline never reaches 0
    assert math.isnan(limit_coefficient(95, float("nan"), UP))


def test_synthetic_share_near_100_percent_scales_the_thresholds_down():
    # 95 -> 96 in 5 years: 0.21 % a year, limited progress far from a limit,
    # acceleration needed near 100 % (thresholds 1.5 % and 0.5 % times C = 0.2037)
    points = series((2015, 95), (2020, 96))
    assert assess(points, UP).category == "limited_progress"
    near = assess(points, UP, natural_limit=100)
    assert near.limit_coefficient == pytest.approx(0.203670, abs=1e-6)
    assert near.category == "acceleration_needed"


def test_synthetic_value_kept_at_its_limit_is_on_track():
    assert assess(series((2015, 100), (2020, 100)), UP, natural_limit=100).category == "on_track"
    assert assess(series((2015, 100), (2020, 99)), UP, natural_limit=100).category == "deterioration"


def test_synthetic_limit_against_the_desired_direction_is_ignored():
    # a share's 100 % ceiling does not hinder a decrease; a floor of 3 does not hinder a rise
    assert limit_coefficient(95, 100, DOWN) == 1
    assert limit_coefficient(5, 3, UP) == 1
    a = assess(series((2015, 95), (2020, 92)), DOWN, natural_limit=100)  # -0.64 % a year
    assert (a.limit_coefficient, a.category) == (1, "acceleration_needed")


def test_synthetic_limit_is_ignored_with_a_target():
    a = assess(series((2015, 95), (2020, 96)), UP, target(value=99, year=2030), natural_limit=100)
    assert a.limit_coefficient is None and a.ratio_to_required is not None


# --- unable to assess, with a reason ------------------------------------------------------


@pytest.mark.parametrize(
    ("points", "reason"),
    [
        ([], "fewer_than_two_points"),
        (series((2019, 12.5)), "fewer_than_two_points"),
        (series((2012, 10), (2019, 12.5)), "fewer_than_two_points"),  # 2012 is before the base year
        ([(2018, None, "secret"), (2019, None, "secret")], "secret"),
        ([(2018, None, "secret"), (2019, 12.5, "ok")], "secret"),
        ([(2018, None, "missing"), (2019, 12.5, "ok")], "fewer_than_two_points"),
        (series((2016, -5), (2020, 5)), "mixed_sign_or_zero"),
        (series((2016, 0), (2020, 5)), "mixed_sign_or_zero"),
        (series((2016, 4), (2018, 0), (2020, 5)), "mixed_sign_or_zero"),
    ],
)
def test_synthetic_unable_to_assess_reasons(points, reason):
    for polarity in (UP, DOWN):
        a = assess(points, polarity, target(value=1, year=2030))
        assert (a.category, a.reason, a.cagr, a.ratio_to_required) == ("unable_to_assess", reason, None, None)


def test_synthetic_rates_of_change_are_not_assessed():
    a = assess(series((2016, 0.4), (2020, 0.8)), UP, growth_rate=True)
    assert (a.category, a.reason, a.cagr) == ("unable_to_assess", "growth_rate_indicator", None)


def test_synthetic_context_indicator_gets_growth_and_no_category():
    a = assess(series((2016, 1000), (2021, 1100)), None)
    assert a.category is None and a.reason == "no_polarity"
    assert a.cagr == pytest.approx(1.1**0.2 - 1)
    few = assess(series((2021, 1100)), None)
    assert (few.category, few.reason, few.cagr) == (None, "no_polarity,fewer_than_two_points", None)


# --- base year, incomplete values, negative series ------------------------------------------


def test_synthetic_base_year_is_the_first_year_with_data_from_the_configured_one():
    points = series((2012, 50), (2016, 100), (2021, 110))
    assert assess(points, UP).base_year == 2016  # default: from 2015 on
    assert assess(points, UP, base_year=2010).base_year == 2012
    assert assess(points, UP, base_year=2017).category == "unable_to_assess"


def test_synthetic_secret_or_missing_years_are_skipped_not_guessed():
    points = [(2016, None, "secret"), (2017, 100, "ok"), (2020, None, "missing"), (2021, 110, "ok")]
    a = assess(points, UP)
    assert (a.base_year, a.last_year, a.points) == (2017, 2021, 2)


def test_synthetic_incomplete_values_are_used_and_flagged():
    a = assess([(2016, 100, "incomplete"), (2018, 104, "incomplete"), (2021, 110, "ok")], UP)
    assert (a.category, a.reason, a.incomplete_points) == ("on_track", "incomplete_values", 2)
    middle_only = assess([(2016, 100, "ok"), (2018, 104, "incomplete"), (2021, 110, "ok")], UP)
    assert (middle_only.reason, middle_only.incomplete_points) == (None, 1)


def test_synthetic_all_negative_series_flip_the_direction():
    # -10 -> -5 is a rise: good when higher is better, although |y| shrinks
    a = assess(series((2015, -10), (2020, -5)), UP)
    assert a.cagr == pytest.approx(0.5**0.2 - 1)
    assert a.signed_cagr > 0 and a.category == "on_track"
    assert assess(series((2015, -10), (2020, -5)), DOWN).category == "deterioration"


def test_category_names_are_the_documented_ones():
    assert CATEGORIES == (
        "target_achieved",
        "on_track",
        "acceleration_needed",
        "limited_progress",
        "deterioration",
        "unable_to_assess",
    )


# --- properties ----------------------------------------------------------------------------

values = st.floats(min_value=0.01, max_value=1e6, allow_nan=False, allow_infinity=False)
years = st.lists(st.integers(2015, 2030), min_size=2, max_size=6, unique=True)


@st.composite
def positive_series(draw):
    ys = sorted(draw(years))
    return [(y, draw(values), "ok") for y in ys]


@settings(max_examples=75, deadline=None)
@given(positive_series())
def test_property_flipping_polarity_mirrors_the_category(points):
    up, down = assess(points, UP), assess(points, DOWN)
    assert down.signed_cagr == pytest.approx(-up.signed_cagr, abs=1e-11)
    if up.signed_cagr == 0:
        assert up.category == down.category == "limited_progress"
    else:
        improving, worsening = (up, down) if up.signed_cagr > 0 else (down, up)
        assert worsening.category == "deterioration"
        growth = improving.signed_cagr
        expected = "on_track" if growth >= 0.015 else "acceleration_needed" if growth >= 0.005 else "limited_progress"
        assert improving.category == expected


@settings(max_examples=75, deadline=None)
@given(positive_series(), st.sampled_from([UP, DOWN]), st.floats(min_value=1e-3, max_value=1e3))
def test_property_flipping_polarity_mirrors_the_ratio_to_a_target(points, polarity, target_scale):
    base = points[0][1]
    goal = target(value=base * (1 + target_scale), year=2035)
    other = DOWN if polarity == UP else UP
    a, b = assess(points, polarity, goal), assess(points, other, goal)
    assert b.ratio_to_required == pytest.approx(-a.ratio_to_required, abs=1e-9)


@settings(max_examples=75, deadline=None)
@given(
    positive_series(),
    st.sampled_from([UP, DOWN]),
    st.sampled_from([0.001, 0.37, 2.0, 3.0, 1000.0, 1e6]),
    st.booleans(),
    st.booleans(),
)
def test_property_scaling_every_value_keeps_the_category(points, polarity, k, with_target, with_limit):
    base = points[0][1]
    goal = target(value=base * 1.5, year=2035) if with_target else None
    limit = base * 1.2 if with_limit else None
    a = assess(points, polarity, goal, natural_limit=limit)
    scaled_goal = target(value=goal.value * k, year=2035) if goal else None
    b = assess([(y, v * k, s) for y, v, s in points], polarity, scaled_goal, natural_limit=limit * k if limit else None)
    # keep clear of a threshold, where the last bit of float rounding could tip either way
    assume(all(abs((a.signed_cagr or 0) - t) > 1e-9 for t in (0.015, 0.005, 0)))
    assert a.category == b.category
    assert b.cagr == pytest.approx(a.cagr, rel=1e-9, abs=1e-12)


# --- the DuckDB stage on a SYNTHETIC database ------------------------------------------------


def synthetic_database(values: list[tuple]) -> duckdb.DuckDBPyConnection:
    """Two communes in one EPCI and one département, and the given indicator values."""
    con = duckdb.connect()
    con.execute(TABLES_DDL)
    con.execute(
        "CREATE TABLE territory_links (child_level VARCHAR, child_code VARCHAR, parent_level VARCHAR, parent_code VARCHAR)"
    )
    con.execute("""INSERT INTO territory_links VALUES
        ('commune', '33001', 'epci', '200000001'), ('commune', '33001', 'departement', '33'),
        ('commune', '33002', 'epci', '200000001'), ('commune', '33002', 'departement', '33')""")
    con.executemany("INSERT INTO indicator_values VALUES (?, ?, ?, ?, ?, NULL, NULL, ?)", values)
    return con


def test_stage_status_against_references_respects_polarity_and_tolerance(catalogue):
    con = synthetic_database(
        [
            # unemployment, lower is better, tolerance 5 % of the reference
            ("taux_chomage_15_64", "commune", "33001", 2018, 10.0, "ok"),
            ("taux_chomage_15_64", "commune", "33002", 2018, 14.0, "ok"),
            ("taux_chomage_15_64", "epci", "200000001", 2018, 10.3, "ok"),
            ("taux_chomage_15_64", "departement", "33", 2018, 12.0, "ok"),
            # jobs growth, higher is better, absolute tolerance 0.2 point
            ("evolution_emploi", "commune", "33001", 2018, 0.5, "ok"),
            ("evolution_emploi", "epci", "200000001", 2018, 0.35, "ok"),
            ("evolution_emploi", "departement", "33", 2018, None, "secret"),
        ]
    )
    assess_progress(con, catalogue)
    got = {
        (i, code, ref): (round(diff, 6) if diff is not None else None, position, status)
        for i, code, ref, diff, position, status in con.execute(
            "SELECT indicator_id, code, reference_level, difference, position, reference_status FROM indicator_status"
        ).fetchall()
    }
    assert got == {
        ("taux_chomage_15_64", "33001", "epci"): (-0.3, "similar", "ok"),  # within 0.515
        ("taux_chomage_15_64", "33001", "departement"): (-2.0, "better", "ok"),
        ("taux_chomage_15_64", "33002", "epci"): (3.7, "worse", "ok"),
        ("taux_chomage_15_64", "33002", "departement"): (2.0, "worse", "ok"),
        ("evolution_emploi", "33001", "epci"): (0.15, "similar", "ok"),
        ("evolution_emploi", "33001", "departement"): (None, None, "secret"),
    }


def test_stage_summary_counts_categories_per_finality(catalogue):
    con = synthetic_database(
        [
            ("taux_chomage_15_64", "commune", "33001", 2016, 12.0, "ok"),
            ("taux_chomage_15_64", "commune", "33001", 2021, 10.0, "ok"),  # cohesion: on track
            ("taux_activite_15_64", "commune", "33001", 2016, 70.0, "ok"),
            ("taux_activite_15_64", "commune", "33001", 2021, 69.0, "ok"),  # cohesion: deterioration
            ("part_logements_vacants", "commune", "33001", 2018, 8.0, "ok"),  # biodiversity: one year
            ("population", "commune", "33001", 2016, 1000.0, "ok"),  # context: not counted
            ("population", "commune", "33001", 2021, 1100.0, "ok"),
        ]
    )
    assess_progress(con, catalogue)
    summary = con.execute(
        "SELECT finality, category, indicators, indicator_ids FROM progress_summary WHERE code = '33001' ORDER BY ALL"
    ).fetchall()
    assert summary == [
        ("biodiversite", "unable_to_assess", 1, ["part_logements_vacants"]),
        ("cohesion_sociale", "deterioration", 1, ["taux_activite_15_64"]),
        ("cohesion_sociale", "on_track", 1, ["taux_chomage_15_64"]),
    ]
    categories = [c for (c,) in con.execute("SELECT category FROM progress_categories ORDER BY rank").fetchall()]
    assert categories == list(CATEGORIES)
    assert con.execute("SELECT count(*) FROM progress_reasons").fetchone()[0] >= 8


# --- the real builds -----------------------------------------------------------------------


def test_offline_build_has_progress_for_every_series(query):
    series_count = query("SELECT count(*) FROM (SELECT DISTINCT indicator_id, level, code FROM indicator_values)")
    assert query("SELECT count(*) FROM indicator_progress") == series_count


def test_offline_context_indicators_have_growth_and_no_category(query):
    rows = query(
        "SELECT DISTINCT category, reason, cagr IS NOT NULL FROM indicator_progress "
        "WHERE indicator_id IN ('population', 'densite_population') AND level <> 'commune' ORDER BY ALL"
    )
    # 2016 lacks communes merged in 2019 at every level: the base value is flagged, not hidden
    assert rows == [(None, "no_polarity", True), (None, "no_polarity,incomplete_values", True)]
    # Gironde: 1 623 749 inhabitants in 2016 (incomplete: merged communes) to 1 690 493 in 2023
    (row,) = query(
        "SELECT base_year, last_year, cagr, points FROM indicator_progress "
        "WHERE indicator_id = 'population' AND level = 'departement'"
    )
    base, last = query(
        "SELECT min_by(value, year), max_by(value, year) FROM indicator_values "
        "WHERE indicator_id = 'population' AND level = 'departement' AND year >= 2015"
    )[0]
    assert row[:2] == (2016, 2023) and row[3] == 8  # 2016 to 2023, with the censuses of 2017 and 2018
    assert row[2] == pytest.approx((last / base) ** (1 / 7) - 1)


def test_offline_rates_of_change_get_no_growth_of_growth(query):
    assert query("SELECT DISTINCT cagr FROM indicator_progress WHERE indicator_id = 'evolution_population'") == [
        (None,)
    ]


def test_offline_status_against_references(query):
    rows = query(
        "SELECT reference_level, reference_code, position FROM indicator_status "
        "WHERE indicator_id = 'densite_population' AND code = '33063' AND year = 2023 ORDER BY 1"
    )
    assert [r[:2] for r in rows] == [("departement", "33"), ("epci", "243300316")]
    assert {r[2] for r in rows} == {None}  # context: a difference, no judgement
    counts = query("SELECT count(*) FROM indicator_status WHERE indicator_id = 'population'")
    assert counts == [(0,)]  # counts are not compared with their references


def invariants(con) -> None:
    """What any build must satisfy."""
    q = lambda sql: con.execute(sql).fetchall()  # noqa: E731
    assert q("""SELECT count(*) FROM indicator_progress
                WHERE category NOT IN ('unable_to_assess') AND (points < 2 OR last_year <= base_year)""") == [(0,)]
    assert q("""SELECT count(*) FROM indicator_progress
                WHERE category = 'unable_to_assess' AND (reason IS NULL OR cagr IS NOT NULL)""") == [(0,)]
    assert q("SELECT count(*) FROM indicator_progress WHERE (polarity IS NULL) <> (category IS NULL)") == [(0,)]
    judged = {i for (i,) in q("SELECT indicator_id FROM indicators WHERE polarity IS NOT NULL")}
    with_values = {i for (i,) in q("SELECT DISTINCT indicator_id FROM indicator_values")}
    assessed = {i for (i,) in q("SELECT DISTINCT indicator_id FROM indicator_progress")}
    assert judged & with_values <= assessed
    assert q("SELECT count(*) FROM indicator_status WHERE position NOT IN ('better', 'similar', 'worse')") == [(0,)]


def test_offline_invariants(offline_db):
    with duckdb.connect(str(offline_db), read_only=True) as con:
        invariants(con)


@pytest.mark.integration
def test_real_insee_files_give_honest_progress(tmp_path, catalogue, serve_folder, shared_opendata):
    db = tmp_path / "mirror.duckdb"
    build(catalogue, db, mirror=serve_folder(shared_opendata), cache_dir=tmp_path / "cache")
    with duckdb.connect(str(db), read_only=True) as con:
        invariants(con)
        # real series: census 2017-2018 and Filosofi 2018-2021 give real categories, secrets are said
        chomage = con.execute(
            "SELECT category FROM indicator_progress WHERE indicator_id = 'taux_chomage_15_64' AND code = '33063'"
        ).fetchall()
        assert chomage == [("on_track",)]
        reasons = dict(
            con.execute(
                "SELECT reason, count(*) FROM indicator_progress WHERE indicator_id = 'taux_pauvrete' GROUP BY 1"
            ).fetchall()
        )
        assert reasons.get("secret", 0) > 100
        summary = con.execute(
            "SELECT sum(indicators) FROM progress_summary WHERE level = 'commune' AND code = '33063'"
        ).fetchone()[0]
        judged = con.execute(
            "SELECT count(*) FROM indicator_progress WHERE code = '33063' AND level = 'commune' AND category IS NOT NULL"
        ).fetchone()[0]
        assert summary == judged > 0


# --- targets and settings in the catalogue ---------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"value": 5, "change_percent": -50, "reference_year": 2015}, "exactly one of `value`"),
        ({}, "exactly one of `value`"),
        ({"change_percent": -50}, "needs exactly one of `reference_year` or `reference_period`"),
        ({"value": 5, "reference_year": 2015}, "an absolute target takes no reference"),
        ({"change_percent": -50, "reference_period": [2021, 2011]}, "reference_period is [first year, last year]"),
    ],
)
def test_target_declarations_are_checked(fields, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        Target(year=2030, basis="synthetic", **fields)


def test_shipped_targets_cite_their_basis(catalogue):
    targets = {i.id: i.target for i in catalogue.indicators if i.target}
    assert targets, "at least one target"
    assert all(len(t.basis) > 40 for t in targets.values())
    assert targets["taux_pauvrete"].change_percent == -50
