"""Progress in the dashboard (issue #5) on a SYNTHETIC database: queries, badges, sentences,
the progress-coloured map, the portrait's finality summary, the method page, composite sheets.

The territories (SYN01..SYN03) and every value, category and contribution here are
synthetic, written for these tests; none are real data.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pandas as pd
import pytest
from plotly.utils import PlotlyJSONEncoder
from test_dashboard_queries import make_synthetic_db

from dashboard import assessment, charts, figures, progress_queries, queries
from dashboard.app import create_app
from dashboard.i18n import using
from dashboard.maps import hover
from dashboard.pages import carte, indicateur, methode, territoire
from dashboard.peers import peer_sentence


def as_text(component) -> str:
    return json.dumps(json.loads(json.dumps(component, cls=PlotlyJSONEncoder)), ensure_ascii=False)


def add_progress_tables(path: Path) -> Path:
    """Synthetic rows of the (empty) progress, status settings, summary and composite tables."""
    with duckdb.connect(str(path)) as con:
        con.execute("""
            INSERT INTO indicator_progress BY NAME SELECT * FROM (VALUES
              ('synth_rate', 'commune', 'SYN01', 2015, 2023, 24.48, 25.0, 0.003, 32.0, 2030, 0.16,
               'limited_progress', NULL),
              ('synth_rate', 'commune', 'SYN02', 2015, 2023, 3.0, 1.5, -0.083, NULL, NULL, NULL,
               'on_track', 'incomplete_values'),
              ('synth_rate', 'commune', 'SYN03', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
               'unable_to_assess', 'fewer_than_two_points,secret'),
              ('synth_pop', 'commune', 'SYN01', 2022, 2023, 100.0, 1234567.8, 12344.678, NULL, NULL, NULL,
               NULL, 'no_polarity')
            ) AS t(indicator_id, level, code, base_year, last_year, base_value, last_value, cagr,
                   target_value, target_year, ratio_to_required, category, reason)
        """)
        con.execute("""
            INSERT INTO progress_categories BY NAME SELECT * FROM (VALUES
              ('limited_progress', 3, 'Progrès limité', 'Limited progress', 'Règle synthétique', 'Synthetic rule'),
              ('on_track', 1, 'En bonne voie', 'On track', 'R ≥ 95 %', 'R ≥ 95 %')
            ) AS t(category, rank, label_fr, label_en, rule_fr, rule_en)
        """)
        con.execute("""
            INSERT INTO progress_summary BY NAME SELECT * FROM (VALUES
              ('commune', 'SYN01', 'climat', 'limited_progress', 1, ['synth_rate'])
            ) AS t(level, code, finality, category, indicators, indicator_ids)
        """)
        con.execute("INSERT INTO status_settings VALUES ('synth_rate', 'lower_is_better', ['epci'], 0.05, NULL)")
        con.execute(
            "UPDATE progress_settings SET base_year = 2012, tolerance_relative = NULL, tolerance_absolute = 0.5"
        )
        con.execute("INSERT INTO territories VALUES ('epci', 'SYNEPCI', 'Synthagglo')")
        con.execute(
            "INSERT INTO indicator_values VALUES ('synth_rate', 'epci', 'SYNEPCI', 2023, 1.0, NULL, NULL, 'ok')"
        )
        con.execute("""
            INSERT INTO indicators VALUES ('synth_index', 'Indice synthétique', 'Synthetic index', 'climat',
              'indice', 'higher_is_better', 'composite', 'commune', 'synsrc', 'Synthetic index.', NULL, NULL, '{}')
        """)
        con.execute(
            "INSERT INTO indicator_values VALUES ('synth_index', 'commune', 'SYN01', 2023, 62.5, NULL, NULL, 'ok')"
        )
        con.execute("""
            INSERT INTO composite_components BY NAME SELECT * FROM (VALUES
              ('synth_index', 'commune', 'SYN01', 2023, 'synth_rate', 2023, 0.5, 1.0, 0.5, 50.0),
              ('synth_index', 'commune', 'SYN01', 2023, 'synth_pop', 2022, 100.0, 0.25, 0.5, 12.5)
            ) AS t(indicator_id, level, code, year, component_id, component_year, value, normalised, weight,
                   contribution)
        """)
    return path


@pytest.fixture
def synthetic_progress_db(tmp_path: Path) -> Path:
    return add_progress_tables(make_synthetic_db(tmp_path / "synthetic_progress.duckdb"))


@pytest.fixture
def con(synthetic_progress_db: Path):
    connection = duckdb.connect(str(synthetic_progress_db), read_only=True)
    yield connection
    connection.close()


@pytest.fixture
def app(synthetic_progress_db: Path):
    return create_app(synthetic_progress_db)


def test_queries_on_a_build_without_progress_rows_are_empty(tmp_path: Path) -> None:
    with duckdb.connect(str(make_synthetic_db(tmp_path / "bare.duckdb")), read_only=True) as bare:
        for frame in (
            progress_queries.progress_rows(bare, "commune", "SYN01"),
            progress_queries.progress_labels(bare),
            progress_queries.progress_summary(bare, "commune", "SYN01"),
            progress_queries.positions(
                bare, queries.territory_values(bare, [("commune", "SYN01")]), "commune", "SYN01"
            ),
            progress_queries.composite_contributions(bare, "x", "commune", "SYN01"),
        ):
            assert frame.empty and len(frame.columns) > 0


def test_progress_queries(con) -> None:
    rows = progress_queries.progress_rows(con, "commune", "SYN01")
    assert rows["indicator_id"].tolist() == ["synth_pop", "synth_rate"]
    assert pd.isna(rows.set_index("indicator_id").loc["synth_pop", "category"])  # context rows are kept
    by_indicator = progress_queries.progress_rows(con, "commune", None, "synth_rate")
    assert by_indicator["code"].tolist() == ["SYN01", "SYN02", "SYN03"]
    assert progress_queries.progress_labels(con)["category"].tolist() == ["on_track", "limited_progress"]  # by rank
    assert progress_queries.progress_summary(con, "commune", "SYN01")["indicators"].tolist() == [1]
    values = queries.territory_values(con, [("commune", "SYN01"), ("epci", "SYNEPCI")])
    assert progress_queries.positions(con, values, "commune", "SYN01")["position"].tolist() == ["better"]
    parts = progress_queries.composite_contributions(con, "synth_index", "commune", "SYN01")
    assert parts["component_id"].tolist() == ["synth_rate", "synth_pop"]  # largest contribution first
    assert parts["label_fr"].iloc[0] == "Taux synthétique"


def _row(**values) -> SimpleNamespace:
    base = dict.fromkeys(progress_queries.PROGRESS_COLUMNS)
    return SimpleNamespace(**{**base, **values})


def test_explanations_in_plain_words() -> None:
    with_target = _row(category="limited_progress", base_year=2015, last_year=2023, base_value=24.48,
                       last_value=25.0, cagr=0.003, target_value=32.0, target_year=2030,
                       ratio_to_required=0.16)  # fmt: skip
    assert assessment.explanation(with_target, "%") == (
        "Progrès limité\u00a0: +0,3\u202f%/an depuis 2015 alors qu'il faudrait +1,8\u202f%/an "
        "pour atteindre 32\u202f% en 2030"
    )
    with using("en"):
        assert "+0.3%/yr since 2015 where +1.8%/yr is needed to reach 32 % by 2030" in assessment.explanation(
            with_target, "%"
        )
    unable = _row(category="unable_to_assess", reason="fewer_than_two_points,secret")
    assert assessment.explanation(unable, "%") == (
        "Évaluation impossible\u00a0: moins de deux années de données, valeurs couvertes par le secret statistique"
        "\u202f; une seconde année de données permettra de conclure"  # what would bring a verdict
    )
    assert assessment.explanation(unable, "%", with_label=False).startswith("Moins de deux")
    achieved = _row(category="target_achieved", last_year=2023, last_value=0.9, target_value=1.0, target_year=2030,
                    cagr=-0.02, ratio_to_required=2.0, base_year=2015, base_value=1.2)  # fmt: skip
    assert "0,9 en 2023, pour une cible de 1 en 2030" in assessment.explanation(achieved, None)
    context = _row(category=None, base_year=2016, last_year=2023, cagr=0.009, reason="no_polarity")
    assert assessment.explanation(context, None) == "Contexte, sans jugement\u00a0: +0,9\u202f%/an entre 2016 et 2023"
    context_short = _row(category=None, reason="no_polarity,fewer_than_two_points")
    assert assessment.explanation(context_short, None, with_label=False) == "Moins de deux années de données"
    no_target = _row(category="on_track", base_year=2015, last_year=2022, cagr=-0.02, reason=None)
    assert assessment.explanation(no_target, "%") == (
        "En bonne voie\u00a0: -2\u202f%/an entre 2015 et 2022 "
        "(sans cible\u00a0: en bonne voie à partir de 1,5\u202f%/an dans le sens souhaité)"
    )
    near_limit = _row(category="on_track", base_year=2015, last_year=2022, cagr=0.004, limit_coefficient=0.2)
    assert "à partir de 0,3\u202f%/an" in assessment.explanation(near_limit, "%")
    caveat = _row(category="on_track", base_year=2015, last_year=2023, cagr=0.02, reason="incomplete_values")
    assert assessment.explanation(caveat, None).endswith("(valeur de départ ou d'arrivée incomplète)")


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_badges_have_symbol_words_colour_and_a_method_link() -> None:
    for key in assessment.MAP_KEYS:
        symbol, fill, ink = assessment.STYLE[key]
        high, low = sorted((_luminance(fill), _luminance(ink)), reverse=True)
        assert (high + 0.05) / (low + 0.05) >= 4.5, key  # WCAG AA for the badge text
        text = as_text(assessment.badge(key))
        assert symbol in text and assessment.category_label(key) in text
        assert f'"/methode#{key}"' in text
    assert len({assessment.STYLE[k][1] for k in assessment.MAP_KEYS}) == len(assessment.MAP_KEYS)
    with using("en"):
        assert '"/methode?lang=en#on_track"' in as_text(assessment.badge("on_track"))
    assert assessment.category_label("on_track", {("on_track", "fr"): "Libellé de la base"}) == ("Libellé de la base")


def test_map_state_with_progress_colours_by_category() -> None:
    values = pd.DataFrame(
        {"code": ["SYN01", "SYN02", "SYN03"], "name": ["A", "B", "C"], "value": [0.5, 1.5, None],
         "status": ["ok", "ok", "secret"], "prev_year": [None] * 3, "prev_value": [None] * 3}
    )  # fmt: skip
    progress = pd.DataFrame({"code": ["SYN01", "SYN02"], "category": ["deterioration", None]})
    state = figures.map_state(values, "%", "lower_is_better")
    categories = assessment.map_categories(state["codes"], progress)
    assert categories == ["deterioration", "context", "not_assessed"]
    hover_only = figures.with_progress(state, categories)
    assert hover_only["z"] == state["z"] and "%{customdata[3]}" in hover_only["hovertemplate"]
    assert hover.texts(hover_only["ranked"], state["hover"], "%", hover_only["hover_lines"])[0][3] == "Détérioration"
    explained = figures.with_progress(state, categories, explanations=["−0,8 %/an", "", ""])
    (line,) = explained["hover_lines"]
    assert [line["texts"][i] for i in line["index"]] == [
        "Détérioration — −0,8 %/an",
        "Contexte, sans jugement",
        "Non évalué",
    ]
    coloured = figures.with_progress(state, categories, colour=True)
    colour_of = {i: coloured["colorscale"][2 * i][1] for i in range(len(assessment.MAP_KEYS))}
    assert [colour_of[z] for z in coloured["z"]] == [assessment.STYLE[c][1] for c in categories]
    assert [name for _, name in coloured["legend"]][:2] == ["★ Cible atteinte", "✓ En bonne voie"]
    assert len(coloured["legend"]) == len(assessment.MAP_KEYS)


def test_map_progress_switch_is_in_the_url(app) -> None:
    with app.server.test_request_context():
        out = carte.switch("couleur", "synth_rate", "commune", 2023, "quantiles", "commune", "progres")
        page = as_text(carte.layout(indicateur="synth_rate", couleur="progres"))
    assert out["search"] == "?indicateur=synth_rate&niveau=commune&annee=2023&couleur=progres"
    assert "Légende (progrès depuis l'année de base)" in as_text(out["legend"])
    assert "Progrès limité" in page and "/methode#categories" in page


def test_portrait_has_summary_badges_and_status(app) -> None:
    with app.server.test_request_context():
        page = as_text(territoire.layout(level="commune", code="SYN01"))
        with using("en"):
            english = as_text(territoire.layout(level="commune", code="SYN01"))
    assert "Synthèse des progrès par finalité" in page and '"progress-summary"' in page
    assert "/methode#limited_progress" in page and "qu'il faudrait +1,8" in page
    assert "mieux" in page and "▲" in page  # SYN01 is better than its EPCI
    assert "Progress at a glance" in english and "Limited progress" in english


def test_method_page_has_an_anchor_per_category(app) -> None:
    with app.server.test_request_context():
        page = as_text(methode.layout())
        with using("en"):
            english = as_text(methode.layout())
    for key in (*assessment.CATEGORIES, "context"):
        assert f'"id": "{key}"' in page
    assert "Règle synthétique" in page and "Moins de deux années de données" in page
    assert "fewer_than_two_points" not in page.replace('"id": "reason-fewer_than_two_points"', "")  # words, not codes
    assert "Statistics Canada" in english and "min-max" in english
    # the build's settings (synthetic: 2012, an absolute tolerance of 0.5), never a restated default
    assert "à partir de 2012" in page and "au plus 0,5 dans l'unité de l'indicateur" in page
    assert "from 2012 on" in english and "within 0.5 in the indicator's unit" in english
    assert "2015" not in page and "au plus 5 %" not in page


def test_a_peer_verdict_without_enough_peers_says_how_many_had_data() -> None:
    row = SimpleNamespace(verdict="not_comparable", reason="fewer_peers_with_data", peer_n=3)
    assert peer_sentence(row).endswith("trop peu de territoires comparables ont des données ces années-là (3)")
    with using("en"):
        assert peer_sentence(row).endswith("too few comparable territories have data for those years (3)")


def test_composite_sheet_shows_contributions(app) -> None:
    with app.server.test_request_context():
        chosen = as_text(indicateur.layout(indicator_id="synth_index", territoires="commune:SYN01"))
        none = as_text(indicateur.layout(indicator_id="synth_index"))
        other = as_text(indicateur.layout(indicator_id="synth_index", territoires="commune:SYN02"))
    assert "Composantes de l'indice pour Synthville 1 (2023)" in chosen
    assert '"composite-table"' in chosen and '"composite-chart"' in chosen and "Taux synthétique" in chosen
    assert "Choisissez un territoire" in none
    assert "Pas d'indice pour Synthville 2" in other
    figure = charts.contribution_figure(pd.DataFrame({"label": ["a", "b"], "contribution": [50.0, 12.5]}))
    assert figure["data"][0]["y"] == ["b", "a"]
