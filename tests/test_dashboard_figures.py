"""Pure builders without a database: formatting, translations, search, map classes and colours."""

from __future__ import annotations

from urllib.parse import quote, unquote

import numpy as np
import pandas as pd

from dashboard import charts, figures
from dashboard.formatting import (
    change_since,
    format_difference,
    format_number,
    format_percent,
    format_value,
    trend_sentence,
)
from dashboard.i18n import Locale, labelled, switch_href, t, using, with_query
from dashboard.maps import hover
from dashboard.search import nearest, normalise, search_index, search_indicators, search_territories

NNBSP = "\u202f"


def hover_texts(state: dict, unit: str | None) -> list[list]:
    """The hover rows of a map state as they are shown (in the browser, assets/hover.js writes the same)."""
    return hover.texts(state["ranked"], state["hover"], unit, state["hover_lines"])


def values(rows: list[tuple]) -> pd.DataFrame:
    """A map_values-like frame from (code, value, status, prev_value) rows."""
    return pd.DataFrame(
        [
            {"code": c, "name": f"Synthville {c}", "value": v, "status": s, "prev_year": 2022, "prev_value": p}
            for c, v, s, p in rows
        ]
    )


SAMPLE = values(
    [
        ("A", 10.0, "ok", 8.0),
        ("B", 20.0, "ok", 20.0),
        ("C", 30.0, "incomplete", 33.0),
        ("D", 40.0, "ok", None),
        ("E", None, "missing", 5.0),
        ("F", None, "secret", None),
    ]
)


def test_french_and_english_number_formatting() -> None:
    assert format_number(1234567.8, decimals=1) == f"1{NNBSP}234{NNBSP}567,8"
    with using("en"):
        assert format_number(1234567.8, decimals=1) == "1,234,567.8"
    assert format_number(267991.0) == f"267{NNBSP}991"
    assert format_number(5398.146) == f"5{NNBSP}398"
    assert format_number(162.93) == "162,9"
    assert format_number(0.934) == "0,93"
    assert format_number(-1234.25, decimals=2) == f"-1{NNBSP}234,25"
    assert format_number(float("nan")) == "Donnée manquante"
    with using("en"):
        assert format_number(None) == "Missing data"
    assert format_value(1690493, "habitants") == f"1{NNBSP}690{NNBSP}493{NNBSP}habitants"
    assert format_value(None, "habitants") == "Donnée manquante"  # never "0 habitants"
    assert format_percent(2.345, sign=True) == f"+2,3{NNBSP}%"
    with using("en"):
        assert format_percent(2.345) == "2.3%"


def test_a_number_s_text_is_the_same_however_often_it_is_written() -> None:
    """`format_number` keeps the texts it wrote: the same number in the same format gives the
    same text, in each language, and -0.0 (equal to 0.0) keeps its own."""
    assert [format_number(v, decimals=1, fixed=True) for v in (0.0, -0.0, 0.0, -0.0)] == ["0,0", "-0,0"] * 2
    assert format_number(-0.0, decimals=1) == format_number(0.0, decimals=1) == "0"
    assert format_number(2.5, decimals=1, fixed=True) == "2,5"
    with using("en"):
        assert format_number(2.5, decimals=1, fixed=True) == "2.5"
    assert format_number(2.5, decimals=1, sign=True) == "+2,5"


def test_trend_sentences_in_plain_french() -> None:
    growing = pd.DataFrame({"year": [2016, 2023], "value": [100.0, 100 * 1.023**7]})
    assert trend_sentence(growing, "habitants") == f"en hausse de 2,3{NNBSP}% par an depuis 2016"
    with using("en"):
        assert trend_sentence(growing, "habitants") == "up 2.3% a year since 2016"
    falling = pd.DataFrame({"year": [2019, 2023], "value": [1.2, 0.9]})
    assert trend_sentence(falling, "% par an") == "en baisse de 0,3 point depuis 2019"
    flat = pd.DataFrame({"year": [2019, 2023], "value": [50.0, 50.0]})
    assert trend_sentence(flat, "habitants") == "stable depuis 2019"
    assert trend_sentence(growing.head(1), "habitants") == "une seule année disponible"
    assert change_since(100.0, 110.0, "habitants") == f"+10{NNBSP}%"
    assert change_since(2.0, 1.5, "%") == "-0,5 point"
    assert change_since(None, 1.5, "%") == "–"


def test_translations_and_urls() -> None:
    assert labelled("rank", 3) == "Rang\u00a0: 3" and Locale("en").labelled("rank", 3) == "Rank: 3"
    assert t("map_title") == "Carte des indicateurs" and Locale("en").t("map_title") == "Indicator map"
    with using("xx"):
        assert t("map_title") == "Carte des indicateurs"  # unknown language: French
    assert with_query("/carte", indicateur="population", annee=None) == "/carte?indicateur=population"
    assert Locale("en").with_query("/carte", annee=2023) == "/carte?annee=2023&lang=en"
    assert switch_href("?indicateur=population&annee=2019") == "?indicateur=population&annee=2019&lang=en"
    assert Locale("en").switch_href("?annee=2019&lang=en") == "?annee=2019"


def test_accent_insensitive_territory_search() -> None:
    territories = pd.DataFrame(
        {
            "level": ["commune", "commune", "epci", "commune"],
            "code": ["33449", "33063", "243300316", "33433"],
            "name": ["Saint-Médard-en-Jalles", "Bordeaux", "Bordeaux Métropole", "Saint-Médard-de-Guizières"],
        }
    )
    assert normalise("Saint-Médard-en-Jalles") == "saint medard en jalles"
    found = search_territories(territories, "St Medard")["name"].tolist()
    assert set(found) == {"Saint-Médard-en-Jalles", "Saint-Médard-de-Guizières"}
    assert search_territories(territories, "st medard jal")["name"].tolist() == ["Saint-Médard-en-Jalles"]
    assert search_territories(territories, "bordeaux")["name"].tolist() == ["Bordeaux", "Bordeaux Métropole"]
    assert search_territories(territories, "33063")["name"].tolist() == ["Bordeaux"]
    assert search_territories(territories, "").empty
    assert nearest(["population", "densite_population"], "populaton")[0] == "population"


def test_territory_search_by_postcode_former_name_and_code() -> None:
    # Real La Poste postcodes and COG history (data/snapshot): "33400" is Talence's postcode
    # and Saint-Ferme's INSEE code; Saint-Genis-du-Bois merged into Porte-de-Benauge in 2025.
    territories = pd.DataFrame(
        {
            "level": ["commune", "commune", "commune", "commune"],
            "code": ["33522", "33400", "33008", "33063"],
            "name": ["Talence", "Saint-Ferme", "Porte-de-Benauge", "Bordeaux"],
        }
    )
    postcodes = pd.DataFrame({"code": ["33522", "33400", "33008", "33063", "33063"],
                              "postcode": ["33400", "33580", "33760", "33000", "33800"]})  # fmt: skip
    former = pd.DataFrame(
        {"code": ["33008", "33008", "33063"], "old_name": ["Saint-Genis-du-Bois", "Cantois", "Caudéran"]}
    )
    index = search_index(territories, postcodes, former)
    found = search_territories(index, "33400")
    assert found[["name", "kind", "term"]].values.tolist() == [
        ["Talence", "postcode", "33400"],
        ["Saint-Ferme", "code", "33400"],
    ]
    assert search_territories(index, " 33 800 ")[["name", "kind"]].values.tolist() == [["Bordeaux", "postcode"]]
    assert search_territories(index, "st genis du bois")[["name", "kind", "term"]].values.tolist() == [
        ["Porte-de-Benauge", "former", "Saint-Genis-du-Bois"]
    ]
    assert search_territories(index, "cauderan")["code"].tolist() == ["33063"]
    assert search_territories(index, "Talence")["kind"].tolist() == ["name"]  # found by name, listed once
    assert search_territories(index, "99999").empty


def test_indicator_search_over_labels_and_definitions() -> None:
    catalogue = pd.DataFrame(
        {
            "indicator_id": ["population", "taux_chomage_15_64"],
            "label_fr": ["Population municipale", "Taux de chômage des 15-64 ans"],
            "label_en": ["Municipal population", "Unemployment rate"],
        }
    )
    assert search_indicators(catalogue, "chomage")["indicator_id"].tolist() == ["taux_chomage_15_64"]
    assert search_indicators(catalogue, "unemployment")["indicator_id"].tolist() == ["taux_chomage_15_64"]
    assert len(search_indicators(catalogue, "")) == 2


def test_classes_quantiles_and_equal_intervals() -> None:
    series = pd.Series([1.0, 2.0, 3.0, 4.0, 100.0, None])
    assert figures.class_breaks(series, "equal", 4) == [1.0, 25.75, 50.5, 75.25, 100.0]
    quantiles = figures.class_breaks(series, "quantiles", 4)
    assert quantiles[0] == 1.0 and quantiles[-1] == 100.0 and len(quantiles) == 5
    assert figures.class_breaks(pd.Series([5.0, 5.0]), "quantiles") == [5.0]  # one distinct value
    classes = figures.classify(series, [1.0, 2.5, 100.0])
    assert classes.tolist()[:5] == [0, 0, 1, 1, 1] and pd.isna(classes.iloc[5])


def test_polarity_colours_keep_the_better_end_blue() -> None:
    best = figures.JUDGED_COLOURS[-1]
    higher = figures.class_colours("higher_is_better", 5)
    lower = figures.class_colours("lower_is_better", 5)
    assert higher[-1] == best and lower[0] == best  # high values good / low values good
    assert lower == list(reversed(higher))
    neutral = figures.class_colours(None, 5)
    assert set(neutral) == set(figures.NEUTRAL_COLOURS) and not set(neutral) & set(figures.JUDGED_COLOURS)
    state = figures.map_state(SAMPLE, "%", "lower_is_better")
    assert "(favorable)" in state["legend"][0][1] and "(défavorable)" in state["legend"][-3][1]


def test_missing_and_secret_get_their_own_colour_never_zero() -> None:
    state = figures.map_state(SAMPLE, "habitants", None)
    z = dict(zip(state["codes"], state["z"], strict=True))
    n_classes = state["zmax"] - 0.5 - 1
    assert z["E"] == n_classes and z["F"] == n_classes + 1
    scale = dict((round(stop, 6), colour) for stop, colour in state["colorscale"])
    assert figures.MISSING_COLOUR in scale.values() and figures.SECRET_COLOUR in scale.values()
    # The colour of index i is the one whose band contains it, with zmin=-0.5.
    m = n_classes + 2
    colour_of = {i: state["colorscale"][2 * i][1] for i in range(int(m))}
    assert colour_of[z["E"]] == figures.MISSING_COLOUR and colour_of[z["F"]] == figures.SECRET_COLOUR
    assert colour_of[z["A"]] != figures.MISSING_COLOUR
    hover = dict(zip(state["codes"], hover_texts(state, "habitants"), strict=True))
    assert hover["E"][0] == "Donnée manquante" and hover["F"][0] == "Secret statistique"
    assert hover["C"][0] == "30 (donnée incomplète)"
    assert "Valeur (habitants)\u00a0: %{customdata[0]}" in state["hovertemplate"]
    assert [label for _, label in state["legend"][-2:]] == ["Donnée manquante", "Secret statistique"]


def test_ranks_follow_polarity_and_hover_shows_rank_and_change() -> None:
    higher = figures.add_ranks(SAMPLE, "higher_is_better").set_index("code")["rank"]
    lower = figures.add_ranks(SAMPLE, "lower_is_better").set_index("code")["rank"]
    assert higher["D"] == 1 and lower["A"] == 1 and pd.isna(higher["E"])
    state = figures.map_state(SAMPLE, "habitants", "higher_is_better")
    hover = dict(zip(state["codes"], hover_texts(state, "habitants"), strict=True))
    assert hover["D"][1] == 1 and hover["A"][2] == f"+25{NNBSP}%" and hover["D"][2] == "–"
    assert (
        "Rang\u00a0: %{customdata[1]} sur 4" in state["hovertemplate"]
        and "Évolution depuis 2022" in state["hovertemplate"]
    )
    assert state["has_incomplete"] and state["line_width"][2] > state["line_width"][0]
    assert "(1 = le plus favorable)" in state["hovertemplate"]  # rank 1 is the best end, said so
    with using("en"):
        context = figures.map_state(SAMPLE, "habitants", None)
    assert "(1 = the largest value)" in context["hovertemplate"]


def test_a_single_territory_gets_its_value_not_a_range() -> None:
    state = figures.map_state(values([("33", 1690493.0, "ok", None)]), "habitants", None)
    labels = [text for _, text in state["legend"]]
    assert labels[0] == f"1{NNBSP}690{NNBSP}493{NNBSP}habitants" and "–" not in labels[0]


def _square(code: str, lon: float) -> dict:
    ring = [[lon, 44.8], [lon + 0.1, 44.8], [lon + 0.1, 44.9], [lon, 44.9], [lon, 44.8]]
    return {"type": "Feature", "id": code, "geometry": {"type": "Polygon", "coordinates": [ring]}}


GEOJSON = {"type": "FeatureCollection", "features": [_square(c, -0.8 + 0.1 * i) for i, c in enumerate("ABCDEF")]}


def test_map_figure_holds_geometry_once_and_the_patch_none() -> None:
    state = figures.map_state(SAMPLE, "habitants", None)
    figure = figures.map_figure(GEOJSON, state)
    assert len(figure["data"]) == 1
    trace = figure["data"][0]
    assert trace["type"] == "choroplethmap" and len(trace["geojson"]["features"]) == 6
    assert trace["locations"] == list("ABCDEF") and trace["zmin"] == -0.5
    assert figure["layout"]["map"]["style"] == "white-bg"  # no tile server
    assert 6 <= figure["layout"]["map"]["zoom"] <= 12
    other = figures.map_state(values([(c, float(i), "ok", None) for i, c in enumerate("ABCDEF")]), "%", None)
    patch = figures.map_patch(other, trace["locations"]).to_plotly_json()
    operations = {tuple(op["location"]): op["params"]["value"] for op in patch["operations"]}
    assert ("data", 0, "z") in operations and ("data", 0, "customdata") in operations
    assert not any("geojson" in location for location in operations)


def test_trend_figure_has_target_line_and_sparkline_is_an_svg() -> None:
    series = charts.TrendRows(["A", "A", "B"], [2019, 2023, 2023], [1.0, 2.0, 3.0])
    figure = charts.trend_figure(series, "%", {"value": 5.0, "year": 2030})
    assert [trace["name"] for trace in figure["data"]] == ["A", "B", "Cible 2030"]
    assert figure["data"][-1]["line"]["dash"] == "dash"
    assert figure["layout"]["separators"] == f",{NNBSP}"
    svg = charts.sparkline_svg([1.0, float("nan"), 3.0, 2.0])
    assert svg.startswith("data:image/svg+xml") and "polyline" in unquote(svg)
    assert charts.sparkline_svg([1.0]) == ""


def test_the_sparklines_escapes_are_urllibs() -> None:
    ascii_text = "".join(map(chr, range(128)))
    assert ascii_text.translate(charts.URL_QUOTED) == quote(ascii_text)
    assert unquote(charts.sparkline_svg([1.0, 2.0], colour="#c0ffee")).count("#c0ffee") == 2


def test_every_catalogue_unit_has_an_english_name() -> None:
    from dashboard.i18n import UNITS_EN, unit_in
    from etl.catalogue_reader import load_catalogue
    from etl.paths import default_catalogue

    units = {i.unit for i in load_catalogue(default_catalogue()).indicators if i.unit}
    assert units - set(UNITS_EN) == set()
    with using("en"):
        assert format_value(1200, "habitants") == "1,200 inhabitants"
    assert unit_in("habitants") == "habitants"


def _series(rows: list[tuple[str, int, float]]) -> charts.TrendRows:
    names, years, values = zip(*rows, strict=True)
    return charts.TrendRows(list(names), list(years), list(values))


def test_territories_of_very_different_sizes_are_drawn_as_indices() -> None:
    # SYNTHETIC: a commune of 1,000 growing 10 % and its département of 100,000 growing 1 %
    series = _series([("Synthville", 2016, 1000.0), ("Synthville", 2021, 1100.0),
                      ("Synthdép", 2016, 100000.0), ("Synthdép", 2021, 101000.0)])  # fmt: skip
    figure = charts.trend_figure(series, "habitants", target={"value": 5000, "year": 2030})
    lines = {trace["name"]: trace for trace in figure["data"]}
    assert lines["Synthville"]["y"] == [100.0, 110.0] and lines["Synthdép"]["y"] == [100.0, 101.0]
    assert lines["Synthville"]["customdata"] == [1000.0, 1100.0]  # the hover keeps the value
    assert "base 100 en 2016" in figure["layout"]["yaxis"]["title"]["text"] and len(lines) == 2  # no raw target
    close = _series([("A", 2016, 12.0), ("A", 2021, 13.0), ("B", 2016, 15.0), ("B", 2021, 14.0)])
    assert charts.trend_figure(close, "%")["data"][0]["y"] == [12.0, 13.0]  # one axis when comparable


def test_a_single_year_is_drawn_as_bars_not_lone_dots() -> None:
    with using("en"):
        figure = charts.trend_figure(_series([("A", 2021, 12.0), ("B", 2021, 15.0)]), "%")
    (bar,) = figure["data"]
    assert bar["type"] == "bar" and bar["x"] == ["A", "B"] and figure["layout"]["xaxis"]["title"]["text"] == "2021"


def test_the_map_shows_every_value_at_the_indicator_precision() -> None:
    # SYNTHETIC rates: with one decimal declared, 7 is written "7,0" beside "9,2", in the legend and the hover
    state = figures.map_state(values([("A", 7.0, "ok", None), ("B", 9.2, "ok", None)]), "%", None, decimals=1)
    legend = [text for _, text in state["legend"][:2]]
    assert legend[0].startswith("7,0 –") and [row[0] for row in hover_texts(state, "%")] == ["7,0", "9,2"]
    loose = figures.map_state(values([("A", 7.0, "ok", None), ("B", 9.2, "ok", None)]), "%", None)
    assert [row[0] for row in hover_texts(loose, "%")] == ["7", "9,2"]  # without a precision, as before


# SYNTHETIC values across magnitudes, signs, written ties (x.xx5) and the edges where rounding gains a digit
EDGES = [0.125, 2.675, 1.005, 9.995, 9.996, 999.95, 999.96, -0.004, 1.995, 1.996, 1234.5, 1235.5, 0.0, -2.5, 7.0]


def synthetic_values(n: int = 3000) -> np.ndarray:
    rng = np.random.default_rng(14)
    return np.concatenate(
        [rng.uniform(-2000, 2000, n), rng.lognormal(0, 4, n), np.round(rng.uniform(-50, 50, n), 3), EDGES]
    )


def test_hover_values_travel_rounded_once_and_are_shown_as_the_exact_ones() -> None:
    values = synthetic_values()
    by_size = hover.shown_values(values, None)
    assert by_size.tolist() == [round(v, 0 if abs(v) >= 1000 else 1 if abs(v) >= 10 else 2) for v in values.tolist()]
    for decimals in (None, 0, 1, 3):
        sent = hover.shown_values(values, decimals).tolist()
        fixed = decimals is not None
        shown = [format_number(v, decimals, fixed=fixed) for v in values.tolist()]
        assert [format_number(v, decimals, fixed=fixed) for v in sent] == shown
    assert np.isnan(hover.shown_values(np.array([np.nan]), 1)).all()  # missing stays missing, never 0


def test_hover_changes_are_computed_from_the_exact_values_then_rounded_once() -> None:
    values = synthetic_values(1000)
    previous = np.roll(values, 1)
    previous[::50] = np.nan
    for unit in ("habitants", "%", None):
        sent, difference = hover.changes(values, previous, unit)
        for v, p, c, is_difference in zip(values.tolist(), previous.tolist(), sent.tolist(), difference, strict=True):
            # what assets/hover.js writes from the change sent
            written = "–" if c != c else format_percent(c, sign=True)
            if c == c and (is_difference or unit == "%"):
                written = format_difference(c, unit)
            assert written == change_since(p, v, unit), (v, p, unit)
    assert change_since(1.0, 2.996, "%") == "+2 points"  # the plural follows the number written
