"""The pieces of the map page: caption, legend, controls, downloads, and the map's search."""

from __future__ import annotations

import pandas as pd
from dash import no_update

from dashboard import assessment, figures, queries, urls
from dashboard.attributes import aria
from dashboard.chrome import download_links, label, match_note, search_box
from dashboard.components import dcc, html
from dashboard.i18n import t, unit_in
from dashboard.inputs import is_text, search_text
from dashboard.maps.view import COLOURS, DEFAULT_COLOUR, MapView
from dashboard.search import search_territories


def caption(view: MapView, catalogue: pd.DataFrame) -> str:
    row = next(catalogue[catalogue["indicator_id"] == view.indicator].itertuples())
    return t("map_caption", label=label(row), level=t(f"level_{view.level}"), year=view.year)


def legend(state: dict, view: MapView) -> list:
    items = [
        html.Li([html.Span(className="swatch", style={"background": colour}), name]) for colour, name in state["legend"]
    ]
    if state.get("colour") in ("progress", "peers"):
        section = {"progress": "categories", "peers": "peers"}[state["colour"]]
        return [
            html.H3(t(f"legend_{state['colour']}")),
            html.Ul(items),
            dcc.Link(t("method_link"), href=assessment.method_href(section)),
        ]
    if state["has_incomplete"]:
        items.append(html.Li([html.Span(className="swatch swatch-incomplete"), t("legend_incomplete")]))
    return [html.H3(t("legend_title", unit=unit_in(view.unit) or "—")), html.Ul(items)]


def downloads(view: MapView) -> list:
    """Links to the values drawn (the indicator, level and year) in each download format."""
    return download_links(view.indicator, view.level, view.year)


def level_options(view: MapView) -> list[dict]:
    return [{"label": t(f"level_{lv}"), "value": lv} for lv in view.levels]


def class_options(view: MapView) -> list[dict]:
    # Classes only apply when colouring by value.
    by_value = view.colour == DEFAULT_COLOUR
    return [{"label": t(f"classes_{m}"), "value": m, "disabled": not by_value} for m in figures.CLASS_METHODS]


def year_marks(view: MapView) -> dict:
    return {y: str(y) for y in view.years}


def controls(view: MapView, indicator_options: list[dict]) -> html.Div:
    """The indicator (its options filled on demand), level, classes, colouring and year."""

    def fieldset(legend_key: str, ident: str, options: list[dict], value) -> html.Fieldset:
        return html.Fieldset(
            [html.Legend(t(legend_key)), dcc.RadioItems(id=ident, options=options, value=value)],
            className="control",
        )

    colours = [{"label": t(f"colour_{k}"), "value": c} for c, k in COLOURS.items()]
    return html.Div(
        [
            html.Div(
                [
                    html.Label(t("map_indicator"), htmlFor="indicateur"),
                    dcc.Dropdown(id="indicateur", options=indicator_options, value=view.indicator, clearable=False),
                ],
                className="control control-indicator",
            ),
            fieldset("map_level", "niveau", level_options(view), view.level),
            fieldset("map_classes", "classes", class_options(view), view.classes),
            fieldset("colour_by", "couleur", colours, view.colour),
            html.Div(
                [html.Span(t("map_year"), id="annee-label", className="label"), _year_slider(view)],
                className="control control-year",
            ),
        ],
        className="controls no-print",
    )


def _year_slider(view: MapView) -> dcc.Slider:
    return dcc.Slider(
        id="annee",
        min=view.years[0],
        max=view.years[-1],
        step=None,
        marks=year_marks(view),
        value=view.year,
        allow_direct_input=False,
        included=False,
    )


def map_search() -> html.Div:
    """Find a territory of the drawn level on the map: results as you type (name, former name,
    postcode, code); a result, or Enter for the first, outlines it and zooms to it."""
    return html.Div(
        [
            *search_box("map-search", t("map_search"), t("territory_search_placeholder")),
            html.Ul(id="map-search-results", className="search-results map-search-results"),
            html.P(id="map-focus", className="map-focus", **aria(live="polite")),
            dcc.Store(id="map-search-submit"),
        ],
        className="map-search no-print",
    )


def search_results(index: pd.DataFrame, text: str, level: str) -> list:
    """The map search's results among the drawn level's territories: buttons that focus the map."""
    if not text.strip():
        return []
    found = search_territories(index[index["level"] == level], text)
    if found.empty:
        return [html.Li(t("territory_no_match", text=text))]
    return [
        html.Li(
            [
                html.Button(r.name, id={"type": "map-hit", "level": r.level, "code": r.code}, className="map-hit"),
                match_note(r.kind, r.term, r.level),
            ]
        )
        for r in found.itertuples()
    ]


def focus(database, trigger, submitted, level):
    """The map search's answer: (figure Patch, status line) for a chosen result (a button, or Enter
    for the first result); `no_update` for anything else."""
    if not is_text(level):
        return no_update, no_update
    index = database.run(queries.territory_search_index)
    drawn = index[index["level"] == level]
    if isinstance(trigger, dict):  # a result's button (its level and code come from the page)
        rows = drawn[drawn["code"] == trigger.get("code")].head(1)
        if rows.empty:
            return no_update, no_update
    else:  # Enter: the first result
        text = search_text(submitted.get("text") if isinstance(submitted, dict) else None)
        if not text or not text.strip():
            return no_update, no_update
        rows = search_territories(drawn, text, limit=1)
        if rows.empty:
            return no_update, t("territory_no_match", text=text)
    row = rows.iloc[0]
    patch = figures.focus_patch(database.run(queries.geometries_geojson, level, [row["code"]]), row["code"])
    if patch is None:
        return no_update, no_update
    portrait = dcc.Link(t("focus_open"), href=urls.portrait(level, row["code"]))
    return patch, [t("focus_done", name=row["name"]), " ", portrait]
