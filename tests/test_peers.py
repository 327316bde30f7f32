"""Comparable territories and a policy's effect on the trend (issue #17).

Peer groups and comparisons are checked on the real offline build (Bordeaux) against hand
recomputations from `indicator_values`; the synthetic control on SYNTHETIC panels with an
effect injected after a start year (values made up, labelled so)."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from etl.peers import nearest
from etl.policy import Policy, PolicySettings, evaluate_policies, load_policies, placebo_p_value, synthetic_control

# --- peer groups -----------------------------------------------------------------------------------


def test_nearest_never_includes_itself_and_does_not_depend_on_row_order():
    rng = np.random.default_rng(7)
    codes = [f"C{i:03d}" for i in range(60)]
    matrix = rng.normal(size=(60, 3))
    matrix[5] = matrix[6]  # two identical territories: a tie, broken by code
    first = nearest(codes, matrix, 10)
    order = rng.permutation(60)
    second = nearest([codes[i] for i in order], matrix[order], 10)
    key = ["code", "rank"]
    assert first.sort_values(key).reset_index(drop=True).equals(second.sort_values(key).reset_index(drop=True))
    assert not (first["code"] == first["peer_code"]).any()
    assert first.groupby("code").size().eq(10).all()
    assert first[(first["code"] == "C005") & (first["rank"] == 1)]["peer_code"].item() == "C006"


@pytest.fixture(scope="module")
def q(offline_db):
    con = duckdb.connect(str(offline_db), read_only=True)
    yield lambda sql, *params: con.execute(sql, list(params)).fetchall()
    con.close()


def test_bordeaux_has_ten_named_peers_of_its_kind(q):
    peers = q(
        "SELECT t.name FROM territory_peers p JOIN territories t ON t.level = p.level AND t.code = p.peer_code "
        "WHERE p.level = 'commune' AND p.code = '33063' ORDER BY p.rank"
    )
    names = [n for (n,) in peers]
    assert len(names) == 10 and "Bordeaux" not in names
    assert {"Mérignac", "Pessac", "Talence"} <= set(names)  # the large communes of the métropole
    # a feature without values in this build is left out, and said
    assert ("part_65_ans_plus", False) in q("SELECT indicator_id, used FROM peer_features WHERE level = 'commune'")


def test_a_territory_missing_a_feature_gets_no_peers(q):
    # Porte-de-Benauge: merged in 2025, so no median income can be carried (never imputed)
    assert q("SELECT count(*) FROM territory_peers WHERE code = '33008'") == [(0,)]
    assert q("SELECT DISTINCT reason FROM indicator_peer_comparison WHERE code = '33008'") == [("no_peer_group",)]


@pytest.mark.parametrize("indicator", ["revenu_median", "taux_pauvrete"])
def test_peer_comparison_recomputed_by_hand(q, indicator):
    (base, last, cagr, n, median, q1, q3, verdict), = q(
        "SELECT base_year, last_year, cagr, peer_n, peer_median_cagr, peer_q1_cagr, peer_q3_cagr, verdict "
        "FROM indicator_peer_comparison WHERE indicator_id = ? AND level = 'commune' AND code = '33063'",
        indicator,
    )  # fmt: skip
    values = dict(
        ((code, year), value)
        for code, year, value in q(
            "SELECT code, year, value FROM indicator_values WHERE indicator_id = ? AND level = 'commune' "
            "AND year IN (?, ?) AND value IS NOT NULL",
            indicator,
            base,
            last,
        )
    )
    peers = [c for (c,) in q("SELECT peer_code FROM territory_peers WHERE level = 'commune' AND code = '33063'")]
    growth = [
        (values[(c, last)] / values[(c, base)]) ** (1 / (last - base)) - 1
        for c in peers
        if (c, base) in values and (c, last) in values and values[(c, base)] > 0
    ]
    assert n == len(growth) >= 5
    assert median == pytest.approx(np.median(growth)) and q1 == pytest.approx(np.quantile(growth, 0.25))
    assert q3 == pytest.approx(np.quantile(growth, 0.75))
    own = (values[("33063", last)] / values[("33063", base)]) ** (1 / (last - base)) - 1
    assert cagr == pytest.approx(own)
    higher = indicator == "revenu_median"
    expected = (
        "better" if (own > q3 if higher else own < q1) else "worse" if (own < q1 if higher else own > q3) else "similar"
    )
    assert verdict == expected


# --- a policy's effect: synthetic control on SYNTHETIC panels -------------------------------------

YEARS = np.arange(2010, 2022)
START = 2017


def synthetic_panel(effect: float, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Twelve donors with their own trends; the territory is a mix of three of them, plus
    `effect` from START on (SYNTHETIC)."""
    rng = np.random.default_rng(seed)
    t = (YEARS - YEARS[0])[:, None]
    donors = 10 + rng.uniform(0, 5, 12) + t * rng.uniform(-0.3, 0.3, 12) + rng.normal(0, 0.05, (len(YEARS), 12))
    treated = donors[:, :3] @ np.array([0.5, 0.3, 0.2]) + np.where(YEARS >= START, effect, 0.0)
    return treated, donors, YEARS < START


def test_the_injected_effect_is_recovered():
    treated, donors, pre = synthetic_panel(effect=-1.5)
    fit = synthetic_control(treated, donors, pre)
    assert fit.weights.min() >= 0 and fit.weights.sum() == pytest.approx(1)
    assert fit.effect == pytest.approx(-1.5, abs=0.15)
    assert fit.rmse_pre < 0.1
    p, _ = placebo_p_value(treated, donors, pre)
    assert p <= 1 / 13 + 1e-9  # no placebo does as well: the smallest p twelve donors allow


def test_without_an_effect_the_placebo_p_value_is_not_small():
    treated, donors, pre = synthetic_panel(effect=0.0, seed=3)
    assert abs(synthetic_control(treated, donors, pre).effect) < 0.15
    p, _ = placebo_p_value(treated, donors, pre)
    assert p > 0.2


def policy_db(effect: float) -> duckdb.DuckDBPyConnection:
    """A SYNTHETIC commune T01 and its twelve peers, one indicator, in the build's tables."""
    treated, donors, _ = synthetic_panel(effect)
    con = duckdb.connect()
    rows = [("T01", y, v) for y, v in zip(YEARS, treated, strict=True)]
    rows += [(f"P{j:02d}", y, donors[i, j]) for i, y in enumerate(YEARS) for j in range(donors.shape[1])]
    con.register("v", pd.DataFrame(rows, columns=["code", "year", "value"]))
    con.execute(
        "CREATE TABLE indicator_values AS SELECT 'taux_x' AS indicator_id, 'commune' AS level, code, "
        "year::INTEGER AS year, value, 'ok' AS status FROM v"
    )
    con.execute(
        "CREATE TABLE territory_peers AS SELECT 'commune' AS level, 'T01' AS code, 'P' || lpad(j::VARCHAR, 2, '0') "
        "AS peer_code, j + 1 AS rank, 0.0 AS distance FROM range(12) t(j)"
    )
    return con


def test_a_declared_policy_gives_its_effect_back(tmp_path):
    path = tmp_path / "policies.yaml"
    path.write_text(
        "policies:\n  - {id: plan_x, name: Plan X (synthetic), territory: 'commune:T01', start_year: 2017,\n"
        "     indicators: [taux_x], expected: decrease}\n"
    )
    con = policy_db(effect=-1.5)
    evaluate_policies(con, load_policies(path))
    (effect, p, verdict, pre, post, donors), = con.execute(
        "SELECT effect, p_value, verdict, pre_years, post_years, donors FROM policy_effects"
    ).fetchall()  # fmt: skip
    assert effect == pytest.approx(-1.5, abs=0.15) and p < 0.1 and verdict == "effect_as_expected"
    assert (pre, post, donors) == (7, 5, 12)
    assert con.execute("SELECT count(*), sum(weight) FROM policy_weights").fetchone()[1] == pytest.approx(1)
    assert con.execute("SELECT count(*) FROM policy_series").fetchone()[0] == len(YEARS)


def test_too_few_years_gives_no_number(offline_db):
    settings = PolicySettings(
        policies=[Policy(id="p", name="Plan", territory="commune:33063", start_year=2020,
                         indicators=["taux_pauvrete"], expected="decrease")]
    )  # fmt: skip
    con = duckdb.connect()
    con.execute(f"ATTACH '{offline_db}' AS built (READ_ONLY)")
    con.execute("CREATE TABLE indicator_values AS SELECT * FROM built.indicator_values")
    con.execute("CREATE TABLE territory_peers AS SELECT * FROM built.territory_peers")
    evaluate_policies(con, settings)
    assert con.execute("SELECT effect, verdict, reason, pre_years FROM policy_effects").fetchall() == [
        (None, "not_evaluated", "too_few_years", 2)  # Filosofi 2018-2019 before 2020: real series too short
    ]


def test_a_poor_fit_before_the_start_draws_no_conclusion(tmp_path):
    con = policy_db(effect=0.0)
    con.execute("UPDATE indicator_values SET value = value * 3 WHERE code = 'T01'")  # out of the peers' reach
    settings = PolicySettings(
        policies=[Policy(id="p", name="Plan", territory="commune:T01", start_year=2017, indicators=["taux_x"],
                         expected="decrease")]
    )  # fmt: skip
    evaluate_policies(con, settings)
    ((verdict, reason, p, rmse),) = con.execute(
        "SELECT verdict, reason, p_value, rmse_pre FROM policy_effects"
    ).fetchall()
    assert (verdict, reason, p) == ("not_evaluated", "poor_fit", None) and rmse > 1


# --- on the portrait ---------------------------------------------------------------------------------


def test_the_portrait_names_the_peers_and_gives_a_peer_verdict_for_every_trend(offline_db, q):
    from test_dashboard_pages import as_text

    from dashboard.app import create_app
    from dashboard.pages import territoire

    app = create_app(offline_db)
    with app.server.test_request_context():
        text = as_text(territoire.layout(level="commune", code="33063"))
    for (name,) in q("SELECT t.name FROM territory_peers p JOIN territories t ON t.level = 'commune' "
                     "AND t.code = p.peer_code WHERE p.level = 'commune' AND p.code = '33063'"):  # fmt: skip
        assert name in text
    assert "parmi ceux de cette base (Gironde)" in text  # a Gironde build compares Gironde communes, and says so
    judged = q(
        "SELECT count(*) FROM indicator_peer_comparison WHERE level = 'commune' AND code = '33063' "
        "AND verdict IN ('better', 'similar', 'worse')"
    )[0][0]
    shown = sum(text.count(t) for t in ("Mieux que les territoires", "Dans la norme des", "Moins bien que les"))
    assert shown == judged > 5


def test_the_map_colours_each_commune_by_its_peer_verdict(offline_db, q):
    from test_dashboard_pages import as_text

    from dashboard.app import create_app
    from dashboard.pages import carte
    from dashboard.peers import VERDICT_STYLE

    app = create_app(offline_db)
    with app.server.test_request_context():
        page = carte.layout(indicateur="taux_pauvrete", niveau="commune", couleur="pairs")
        out = carte.switch("couleur", "taux_pauvrete", "commune", None, "quantiles", None, "pairs")
        by_value = carte.switch("couleur", "taux_pauvrete", "commune", None, "quantiles", None, "valeur")
    figure, class_options = out["figure"], out["class_options"]
    assert all(o["disabled"] for o in class_options) and not any(o["disabled"] for o in by_value["class_options"])
    trace = figure["data"][0]
    keys = list(VERDICT_STYLE)
    shown = dict(zip(trace["locations"], (keys[z] for z in trace["z"]), strict=True))
    expected = dict(
        q(
            "SELECT code, verdict FROM indicator_peer_comparison WHERE indicator_id = 'taux_pauvrete' AND level = 'commune'"
        )
    )
    assert {c: v for c, v in shown.items() if v != "none"} == expected  # every commune with a row, its own verdict
    assert set(shown.values()) >= {"better", "worse", "none"}  # a real mix, and communes without a comparison
    assert "Mieux que les territoires comparables" in as_text(page)  # the legend, in words
    assert "Territoires comparables" in trace["hovertemplate"]
