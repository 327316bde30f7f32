"""`/carte?indicateur=&niveau=&annee=&classes=&couleur=`: the map explorer and its data table.

`couleur=progres` colours territories by progress category instead of by value, `couleur=pairs`
by their trend against comparable territories (issue #17).

The figure names the level's outlines by URL (`dashboard.maps.outlines`, a cacheable asset):
switching indicator, year or classes sends a `Patch` of values only, and a new level a
figure without geometry. The page's parts live in `dashboard.maps`: the view model (`view`),
the outlines, the table and the page's pieces; the static site uses `view` and `render`.
"""

from __future__ import annotations

from dataclasses import dataclass

from dash import ALL, Input, Output, State, ctx, no_update
from flask import Response, abort, request

from dashboard import queries, urls
from dashboard.attributes import aria
from dashboard.chrome import label, not_found, scroll_region, shell, submitted_text
from dashboard.components import dcc, html
from dashboard.context import db
from dashboard.i18n import localised, t, with_query
from dashboard.inputs import has_types, is_text, optional_number, optional_text, search_text
from dashboard.maps import hover, outlines, parts
from dashboard.maps import table as tables
from dashboard.maps.table import DEFAULT_TABLE, NO_TABLE, PAGE_SIZE, table_caption, table_header, table_rows
from dashboard.maps.view import QUERY, MapView, NotFound, resolve, resolve_switch, state_for

PATH = urls.ROUTES["map"]
SWITCH_OUTPUTS = {  # the map callback's outputs, by name
    "figure": ("map", "figure"),
    "drawn_level": ("map-level", "data"),
    "view": ("map-view", "data"),
    "level_options": ("niveau", "options"),
    "level": ("niveau", "value"),
    "year_min": ("annee", "min"),
    "year_max": ("annee", "max"),
    "year_marks": ("annee", "marks"),
    "year": ("annee", "value"),
    "caption": ("map-caption", "children"),
    "legend": ("map-legend", "children"),
    "search": ("carte-url", "search"),
    "downloads": ("map-downloads", "children"),
    "sheet_href": ("map-sheet-link", "href"),
    "class_options": ("classes", "options"),
}
NO_SWITCH = dict.fromkeys(SWITCH_OUTPUTS, no_update)
# What a switch of year or classes leaves as it was (the same indicator and level): not sent again.
KEPT = {
    "annee": ("level_options", "year_min", "year_max", "year_marks", "sheet_href", "class_options"),
    "classes": ("level_options", "year_min", "year_max", "year_marks", "sheet_href", "class_options"),
}


def view(database, indicateur=None, niveau=None, annee=None, classes=None, couleur=None, **_params):
    """The map a URL's query asks for: a `MapView`, or a `NotFound` (public: the static site's door)."""
    return resolve(database, indicateur, niveau, annee, classes, couleur)


def found(database, **params) -> bool:
    """Whether the URL's query gives a map rather than the not-found page (the HTTP status)."""
    return isinstance(view(database, **params), MapView)


@dataclass(frozen=True)
class Rendered:
    """A map as drawn: its figure (outlines by URL), caption, legend, and its table's header and rows."""

    figure: dict
    caption: str
    legend: list
    header: html.Thead
    rows: list
    pages: int
    state: dict


def render(database, shown: MapView, page_size: int | None = None, hover_text: bool = False) -> Rendered:
    """A view drawn: the map and the first page of its table sorted by rank (all rows without
    `page_size`). The hover rows are numbers that assets/hover.js writes out, or with
    `hover_text` (a page without the dashboard's scripts) already words."""
    state = state_for(database, shown)
    caption = parts.caption(shown, database.run(queries.list_indicators))
    size = page_size or len(state["codes"]) or 1
    rows, _, pages = table_rows(state, shown, DEFAULT_TABLE["sort"], DEFAULT_TABLE["desc"], 0, size)
    figure = outlines.map_figure(database, shown.level, state)
    if hover_text:  # the rows in words, in the order drawn; no columns left for assets/hover.js
        trace = figure["data"][0]
        words = hover.texts(state["ranked"], state["hover"], shown.unit, state["hover_lines"])
        by_code = dict(zip(state["codes"], words, strict=True))
        trace["customdata"] = [by_code[code] for code in trace["locations"]]
        del figure["layout"]["meta"]["hover"]
    return Rendered(figure, caption, parts.legend(state, shown), table_header(), rows, pages, state)


def _not_found(params: dict, missing: NotFound) -> html.Div:
    base = {k: v for k, v in params.items() if k in QUERY}
    if missing.kind == "indicator":
        labels = {r.indicator_id: label(r) for r in db().run(queries.list_indicators).itertuples()}
        links = [(labels.get(c, c), urls.map_view(indicateur=c)) for c in missing.choices]
    elif missing.kind == "level":
        links = [(t(f"level_{c}"), urls.map_view(**{**base, "niveau": c, "annee": None})) for c in missing.choices]  # fmt: skip
    else:
        links = [(str(c), urls.map_view(**{**base, "annee": c})) for c in missing.choices]
    return not_found(params, t(f"nf_{missing.kind}", value=missing.value), links)


def layout(**params) -> html.Div:
    params = {**params, **{k: params.get(k) for k in QUERY}}
    database = db()
    shown = view(database, **params)
    if isinstance(shown, NotFound):
        return _not_found(params, shown)
    catalogue = database.run(queries.list_indicators)
    drawn = render(database, shown, PAGE_SIZE)
    indicators = [{"label": label(r), "value": r.indicator_id} for r in catalogue.itertuples()]
    children = [
        dcc.Location(id="carte-url", refresh=False),
        dcc.Location(id="carte-nav", refresh="callback-nav"),
        dcc.Store(id="map-view", data=shown.public()),
        dcc.Store(id="map-level", data=shown.level),
        dcc.Store(id="table-state", data=DEFAULT_TABLE),
        html.H1(t("map_title")),
        parts.controls(shown, indicators),
        parts.map_search(),
        html.H2(drawn.caption, id="map-caption"),
        html.P(
            [
                t("map_hint"),
                " ",
                dcc.Link(t("see_sheet"), href=_sheet_href(shown), id="map-sheet-link"),
            ],
            className="hint",
        ),  # fmt: skip
        html.Div([_graph(drawn), html.Div(drawn.legend, id="map-legend", className="legend")], className="map-row"),
        _table_section(shown, drawn),
    ]
    return shell(params, children, "carte")


def _graph(drawn: Rendered) -> html.Div:
    config = dcc.Graph.Config(displayModeBar=False, scrollZoom=True, responsive=True)
    graph = dcc.Graph(id="map", figure=drawn.figure, config=config)
    return html.Div(graph, className="map-box", role="img", **aria(label=drawn.caption))


def _table_section(shown: MapView, drawn: Rendered) -> html.Section:
    caption = html.Caption(table_caption(drawn.caption, shown), id="map-table-caption")
    table = html.Table(
        [caption, drawn.header, html.Tbody(drawn.rows, id="map-table-body")], className="data-table", id="map-table"
    )
    pager = html.Div(
        [
            html.Button(t("previous"), id="table-prev", className="pager"),
            html.Span(t("page_of", page=1, pages=drawn.pages), id="table-page"),
            html.Button(t("next"), id="table-next", className="pager"),
        ],
        className="pagination no-print",
    )
    return html.Section(
        [
            html.H2(t("table_title")),
            html.P(parts.downloads(shown), id="map-downloads", className="downloads"),
            scroll_region(table, drawn.caption),
            pager,
        ],
        className="table-section",
    )


def _sheet_href(shown: MapView) -> str:
    return urls.indicator(shown.indicator)


def _outputs(names: dict) -> dict:
    return {name: Output(*target) for name, target in names.items()}


def register_callbacks(app) -> None:
    controls = {
        "indicator": "indicateur",
        "level": "niveau",
        "year": "annee",
        "classes": "classes",
        "colour": "couleur",
    }

    @app.callback(
        output=_outputs(SWITCH_OUTPUTS),
        inputs={name: Input(ident, "value") for name, ident in controls.items()},
        state={"drawn_level": State("map-level", "data"), "lang": State("lang", "data")},
        prevent_initial_call=True,
    )
    @localised
    def _switch(indicator, level, year, classes, colour, drawn_level):
        return switch(ctx.triggered_id, indicator, level, year, classes, drawn_level, colour)

    @app.callback(
        output=_outputs(tables.OUTPUTS),
        inputs={
            "view": Input("map-view", "data"),
            "sorts": Input({"type": "sort", "col": ALL}, "n_clicks"),
            "previous": Input("table-prev", "n_clicks"),
            "following": Input("table-next", "n_clicks"),
        },
        state={"table": State("table-state", "data"), "lang": State("lang", "data")},
        prevent_initial_call=True,
    )
    @localised
    def _table(view, sorts, previous, following, table):
        return table_update(ctx.triggered_id, view, table)

    _register_search(app)
    _register_routes(app)

    @app.callback(
        Output("carte-nav", "href"),
        Input("map", "clickData"),
        State("map-view", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    @localised
    def _open_portrait(click, view):
        return portrait_href(click, view)


def _register_search(app) -> None:
    @app.callback(
        Output("map-search-results", "children"),
        Input("map-search", "value"),
        State("map-level", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    @localised
    def _search(text, level):
        text = search_text(text)
        if text is None or not is_text(level):
            return no_update
        return parts.search_results(db().run(queries.territory_search_index), text, level)

    submitted_text(app, "map-search", "map-search-submit")

    @app.callback(
        Output("map", "figure", allow_duplicate=True),
        Output("map-focus", "children"),
        Input("map-search-submit", "data"),
        Input({"type": "map-hit", "level": ALL, "code": ALL}, "n_clicks"),
        State("map-level", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    @localised
    def _focus(submitted, clicks, level):
        trigger = ctx.triggered_id
        if isinstance(trigger, dict) and not any(isinstance(n, int) and n for n in (clicks or [])):
            return no_update, no_update  # the results were redrawn, nothing was pressed
        return parts.focus(db(), trigger, submitted, level)


def _register_routes(app) -> None:
    @app.server.route(urls.ROUTES["map_names"])
    def _names(level: str):
        """The label points of a level's territories (fetched by assets/map.js when zoomed in)."""
        database = db()
        if level not in database.run(queries.geometry_levels):
            abort(404)
        return Response(outlines.label_points(database, level), mimetype="application/json")

    @app.server.route(outlines.ROUTE)
    def _outlines(level: str, digest: str):
        """A level's outlines: cached for a year under their digest; an older digest (a page
        drawn before a rebuild) gets today's outlines, not to be cached."""
        database = db()
        if level not in database.run(queries.geometry_levels):
            abort(404)
        asset = outlines.outlines(database, level)
        response = Response(asset.body, mimetype="application/geo+json")
        response.headers["Cache-Control"] = outlines.CACHE_CONTROL if digest == asset.digest else "no-cache"
        response.set_etag(asset.digest)
        return response.make_conditional(request)


def switch(trigger, indicator, level, year, classes, drawn_level, colour=None) -> dict:
    """The map callback's outputs by name (`SWITCH_OUTPUTS`): a Patch of values when the drawn
    level is unchanged, else a full figure (outlines by URL). `trigger` is the id of the control
    that changed. Values of the wrong type change nothing (`NO_SWITCH`)."""
    if not (is_text(indicator) and is_text(level) and optional_number(year)):
        return NO_SWITCH
    if not all(optional_text(v) for v in (classes, colour, drawn_level)):
        return NO_SWITCH
    database = db()
    shown = resolve_switch(database, trigger, indicator, level, year, classes, colour)
    if shown is None:
        return NO_SWITCH
    kept = dict.fromkeys(KEPT.get(trigger, ()), no_update)
    return {**_switch_outputs(database, shown, drawn_level), **kept}


def _switch_outputs(database, shown: MapView, drawn_level) -> dict:
    state = state_for(database, shown)
    caption = parts.caption(shown, database.run(queries.list_indicators))
    return {
        "figure": outlines.switch_figure(database, shown.level, state, drawn_level),
        "drawn_level": shown.level,
        "view": shown.public(),
        "level_options": parts.level_options(shown),
        "level": shown.level,
        "year_min": shown.years[0],
        "year_max": shown.years[-1],
        "year_marks": parts.year_marks(shown),
        "year": shown.year,
        "caption": caption,
        "legend": parts.legend(state, shown),
        "search": with_query("", **shown.url_params()),
        "downloads": parts.downloads(shown),
        "sheet_href": _sheet_href(shown),
        "class_options": parts.class_options(shown),
    }


def table_update(trigger, view, table) -> dict:
    """The table callback's outputs by name (`maps.table.OUTPUTS`): sort (a column's button), page
    (previous, next), or a new view (back to page 1)."""
    database = db()
    catalogue = database.run(queries.list_indicators)
    return tables.table_update(database, trigger, view, table, lambda shown: parts.caption(shown, catalogue))


def portrait_href(click, view):
    """The portrait of the clicked territory, or `no_update` for a click elsewhere (or a forged one)."""
    points = click.get("points") if isinstance(click, dict) else None
    point = points[0] if isinstance(points, list) and points else None
    location = point.get("location") if isinstance(point, dict) else None
    if not (is_text(location) and location and has_types(view, {"level": (str,)})):
        return no_update
    return urls.portrait(view["level"], location)


__all__ = ["NO_TABLE", "MapView", "NotFound", "Rendered", "found", "layout", "render", "switch", "view"]
