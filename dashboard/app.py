"""Dash application: one French page with the indicator catalogue and a commune map."""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path

import dash
import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, dcc, html

from dashboard.figures import choropleth
from dashboard.queries import Database

log = logging.getLogger(__name__)

TITLE = "itdd — indicateurs territoriaux de développement durable"
DEFAULT_INDICATOR = "population"
MAP_LEVEL = "commune"  # the only level drawn for now

# The catalogue stores finality ids; these are the five finalities of
# article L110-1 of the Code de l'environnement. Unknown ids show as stored.
FINALITY_LABELS = {
    "climat": "Lutte contre le changement climatique",
    "biodiversite": "Préservation de la biodiversité, des milieux et des ressources",
    "cohesion_sociale": "Cohésion sociale et solidarité",
    "epanouissement": "Épanouissement de tous les êtres humains",
    "production_consommation": "Production et consommation responsables",
}


def _text(value: object, default: str = "") -> str:
    """A catalogue cell as text; NULL (NaN/None/NA) becomes `default`."""
    return default if value is None or pd.isna(value) else str(value)


def _source_names(source_ids: object, sources: pd.DataFrame) -> str:
    """'insee,ign' -> 'INSEE, IGN', falling back to the id for unknown sources."""
    producers = dict(zip(sources["source_id"], sources["producer"], strict=True))
    ids = [s.strip() for s in _text(source_ids).split(",") if s.strip()]
    names = [_text(producers.get(s), s) for s in ids]
    return ", ".join(dict.fromkeys(names))  # one mention per producer, in order


def _indicator_table(indicators: pd.DataFrame, sources: pd.DataFrame) -> html.Table:
    header = html.Tr([html.Th(h) for h in ("Indicateur", "Unité", "Finalité", "Sources")])
    rows = [
        html.Tr(
            [
                html.Td(_text(r.label_fr, r.indicator_id), title=_text(r.definition_fr)),
                html.Td(_text(r.unit)),
                html.Td(FINALITY_LABELS.get(_text(r.finality), _text(r.finality))),
                html.Td(_source_names(r.sources, sources)),
            ]
        )
        for r in indicators.itertuples()
    ]
    return html.Table([html.Thead(header), html.Tbody(rows)], id="indicator-table")


def _footer(sources: pd.DataFrame) -> html.Footer:
    items = [
        html.Li(
            [
                f"{_text(r.producer)} — ",
                html.A(_text(r.title, r.source_id), href=_text(r.url) or None),
                f" — licence : {_text(r.licence, 'non précisée')}",
            ]
        )
        for r in sources.itertuples()
    ]
    return html.Footer([html.H2("Sources et licences"), html.Ul(items)], id="sources")


def _layout(db: Database) -> html.Div:
    """Built on every page load, so a rebuilt database shows without restart."""
    indicators = db.indicators()
    sources = db.sources()
    ids = indicators["indicator_id"].tolist()
    default = DEFAULT_INDICATOR if DEFAULT_INDICATOR in ids else (ids[0] if ids else None)
    years = db.years(default, MAP_LEVEL) if default else []
    return html.Div(
        [
            html.H1(TITLE),
            html.Div(
                [
                    html.Label(
                        [
                            "Indicateur",
                            dcc.Dropdown(
                                id="indicator",
                                options=[
                                    {"label": _text(r.label_fr, r.indicator_id), "value": r.indicator_id}
                                    for r in indicators.itertuples()
                                ],
                                value=default,
                                clearable=False,
                            ),
                        ],
                        className="control control-indicator",
                    ),
                    html.Label(
                        [
                            "Année",
                            dcc.Dropdown(
                                id="year",
                                options=[{"label": str(y), "value": y} for y in reversed(years)],
                                value=years[-1] if years else None,
                                clearable=False,
                            ),
                        ],
                        className="control control-year",
                    ),
                ],
                className="controls",
            ),
            dcc.Graph(id="map", config={"displayModeBar": False}),
            html.P(id="definition", className="definition"),
            html.H2("Indicateurs disponibles"),
            _indicator_table(indicators, sources),
            _footer(sources),
        ],
        className="page",
    )


def _message_figure(message: str) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(
        xaxis={"visible": False},
        yaxis={"visible": False},
        height=620,
        annotations=[{"text": message, "showarrow": False, "font": {"size": 16}}],
    )
    return fig


def map_figure(db: Database, indicator_id: str | None, year: int | None) -> tuple[go.Figure, str]:
    """Commune choropleth and definition text for the selected indicator and year."""
    indicators = db.indicators().set_index("indicator_id")
    if not indicator_id or indicator_id not in indicators.index or year is None:
        return _message_figure("Aucune donnée disponible pour cette sélection."), ""
    meta = indicators.loc[indicator_id]
    label = _text(meta.label_fr, indicator_id)
    fig = choropleth(
        db.geojson(MAP_LEVEL),
        db.values(indicator_id, MAP_LEVEL, int(year)),
        unit=_text(meta.unit) or None,
        polarity=_text(meta.polarity) or None,
        title=f"{label} — communes, {int(year)}",
    )
    return fig, _text(meta.definition_fr)


def create_app(db_path: Path) -> dash.Dash:
    """Build the Dash app over `db_path`; the file is only read when pages are served."""
    db = Database(db_path)
    app = dash.Dash(__name__, title=TITLE)
    app.layout = partial(_layout, db)

    @app.callback(Output("year", "options"), Output("year", "value"), Input("indicator", "value"))
    def _update_years(indicator_id):
        years = db.years(indicator_id, MAP_LEVEL) if indicator_id else []
        options = [{"label": str(y), "value": y} for y in reversed(years)]
        return options, (years[-1] if years else None)

    @app.callback(
        Output("map", "figure"),
        Output("definition", "children"),
        Input("indicator", "value"),
        Input("year", "value"),
    )
    def _update_map(indicator_id, year):
        return map_figure(db, indicator_id, year)

    return app


def serve(db_path: Path, host: str = "127.0.0.1", port: int = 8050) -> None:
    """Run the development server (read-only over `db_path`)."""
    log.info("serving %s on http://%s:%d/", db_path, host, port)
    create_app(Path(db_path)).run(host=host, port=port, debug=False)
