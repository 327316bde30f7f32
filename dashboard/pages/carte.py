"""`/carte?indicateur=&niveau=&annee=&classes=&couleur=`: the map explorer and its data table.

`couleur=progres` colours territories by progress category instead of by value, `couleur=pairs`
by their trend against comparable territories (issue #17).

The first render draws the full figure; switching indicator, year or classes
sends a `Patch` with the values only. Changing level redraws the geometry.
"""

from __future__ import annotations

import math

import pandas as pd
import shapely.geometry
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update
from flask import abort, jsonify

from dashboard import assessment, figures, peers, queries, urls
from dashboard.chrome import (
    download_links,
    label,
    match_note,
    metadata,
    not_found,
    scroll_region,
    search_box,
    shell,
    submitted_text,
    text,
)
from dashboard.context import db
from dashboard.formatting import change_since, format_value
from dashboard.i18n import normalise_lang, t, unit_in, with_query
from dashboard.inputs import has_types, is_text, optional_number, optional_text, search_text
from dashboard.search import nearest, normalise, search_territories

PATH = urls.ROUTES["map"]
PAGE_SIZE = 20
SORT_COLUMNS = ("name", "value", "rank", "change")
COLOURS = {
    "valeur": "value",
    "progres": "progress",
    "pairs": "peers",
}  # URL value: i18n suffix; the first is the default
DEFAULT_COLOUR = next(iter(COLOURS))
DEFAULT_TABLE = {"sort": "rank", "desc": False, "page": 0}  # the best first (largest for context indicators)
NO_SWITCH = (no_update,) * 15  # the map callback's outputs, unchanged
NO_TABLE = (no_update,) * 4


def resolve(
    database, indicateur=None, niveau=None, annee=None, classes=None, couleur=None
) -> tuple[dict | None, tuple | None]:
    """The view a URL asks for, with defaults filled in, or (None, (error kind, value, choices))."""
    catalogue = database.run(queries.list_indicators)
    ids = catalogue["indicator_id"].tolist()
    if not ids:
        return None, ("indicator", indicateur or "", [])
    drawable = database.run(queries.geometry_levels)
    if indicateur is None:
        indicateur = next((i for i in ids if set(drawable) & set(database.run(queries.indicator_levels, i))), ids[0])
    if indicateur not in ids:
        return None, ("indicator", indicateur, nearest(ids, str(indicateur)))
    levels = [lv for lv in database.run(queries.indicator_levels, indicateur) if lv in drawable]
    if not levels:
        return None, ("level", niveau or "", [])
    niveau = niveau or levels[0]
    if niveau not in levels:
        return None, ("level", niveau, levels)
    years = database.years(indicateur, niveau)
    if annee in (None, ""):
        annee = years[-1]
    try:
        year = int(annee)
    except (TypeError, ValueError):
        year = None
    if year not in years:
        close = sorted(years, key=lambda y: abs(y - year) if year is not None else -y)[:5]
        return None, ("year", annee, sorted(close))
    row = catalogue.set_index("indicator_id").loc[indicateur]
    view = {
        "indicator": indicateur,
        "level": niveau,
        "year": year,
        "classes": classes if classes in figures.CLASS_METHODS else figures.CLASS_METHODS[0],
        "colour": couleur if couleur in COLOURS else DEFAULT_COLOUR,
        "levels": levels,
        "years": years,
        "unit": text(row["unit"]) or None,
        "polarity": text(row["polarity"]) or None,
        "decimals": decimals if isinstance(decimals := metadata(row).get("decimals"), int) else None,
    }
    return view, None


def found(database, indicateur=None, niveau=None, annee=None, classes=None, couleur=None, **_params) -> bool:
    """Whether the URL's query gives a map rather than the not-found page (the HTTP status)."""
    return resolve(database, indicateur, niveau, annee, classes, couleur)[1] is None


def url_params(view: dict) -> dict:
    return {
        "indicateur": view["indicator"],
        "niveau": view["level"],
        "annee": view["year"],
        "classes": None if view["classes"] == figures.CLASS_METHODS[0] else view["classes"],
        "couleur": None if view.get("colour", DEFAULT_COLOUR) == DEFAULT_COLOUR else view["colour"],
    }


_STATES = queries.ResultCache(64)  # recent map states: the table callback follows the map's with the same view


def state_for(database, view: dict, lang: str) -> dict:
    """Everything the map and its table show for a view (read-only: callers copy what they change)."""
    key = (str(database.path), database.version, tuple(_public(view).items()), lang)
    hit, state = _STATES.get(key)
    if not hit:
        state = _map_state(database, view, lang)
        _STATES.put(key, state)
    return state


def _map_state(database, view: dict, lang: str) -> dict:
    values = database.run(queries.map_values, view["indicator"], view["level"], view["year"])
    has_progress = database.run(queries.table_exists, "indicator_progress")
    progress = database.run(queries.progress_rows, view["level"], None, view["indicator"])
    labels = assessment.labels_from(database.run(queries.progress_labels))
    state = figures.map_state(values, view["unit"], view["polarity"], lang, view["classes"], view.get("decimals"))
    if not has_progress:
        return state
    categories = assessment.map_categories(state["codes"], progress)
    colour = view.get("colour") == "progres"
    # The sentence in the hover only when colouring by progress: it would double every value switch's bytes.
    rows = {r.code: r for r in progress.itertuples()} if colour else {}
    explanations = [
        assessment.explanation(rows[c], view["unit"], lang, labels, with_label=False) if c in rows else ""
        for c in state["codes"]
    ]
    state = figures.with_progress(state, categories, lang, labels, colour=colour, explanations=explanations)
    if view.get("colour") != "pairs":
        return state
    rows = database.run(queries.peer_verdicts, view["indicator"], view["level"])
    keys, sentences = peers.map_verdicts(state["codes"], rows, lang)
    state = figures.with_hover_line(state, t("hover_peers", lang), sentences, lang)
    return figures.coloured_by(state, keys, peers.verdict_legend(lang), "peers")


def caption(view: dict, catalogue: pd.DataFrame, lang: str) -> str:
    row = next(catalogue[catalogue["indicator_id"] == view["indicator"]].itertuples())
    return t("map_caption", lang, label=label(row, lang), level=t(f"level_{view['level']}", lang), year=view["year"])


def legend(state: dict, view: dict, lang: str) -> list:
    items = [
        html.Li([html.Span(className="swatch", style={"background": colour}), name]) for colour, name in state["legend"]
    ]
    if state.get("colour") in ("progress", "peers"):
        section = {"progress": "categories", "peers": "peers"}[state["colour"]]
        return [
            html.H3(t(f"legend_{state['colour']}", lang)),
            html.Ul(items),
            dcc.Link(t("method_link", lang), href=assessment.method_href(section, lang)),
        ]
    if state["has_incomplete"]:
        items.append(html.Li([html.Span(className="swatch swatch-incomplete"), t("legend_incomplete", lang)]))
    return [html.H3(t("legend_title", lang, unit=unit_in(view["unit"], lang) or "—")), html.Ul(items)]


def table_rows(
    state: dict, view: dict, sort: str, descending: bool, page: int, lang: str, page_size: int = PAGE_SIZE
) -> tuple[list, int, int]:
    """Table body rows for one page, the page number (clamped) and the number of pages."""
    df = state["ranked"].copy()
    df["change_value"] = (df["value"] / df["prev_value"] - 1).where(df["prev_value"] > 0)
    key = {"name": "name", "value": "value", "rank": "rank", "change": "change_value"}.get(sort, "value")
    df = df.sort_values(key, ascending=not descending, na_position="last", key=_sort_key(key))
    pages = max(1, math.ceil(len(df) / page_size))
    page = min(max(0, page), pages - 1)
    rows = []
    # One category for all (a context indicator): its words, without a badge per row.
    uniform = "category" in df.columns and df["category"].nunique(dropna=False) == 1
    for r in df.iloc[page * page_size : (page + 1) * page_size].itertuples():
        status = {"incomplete": "*", "secret": t("secret", lang), "missing": t("missing", lang)}.get(r.status, "")
        rows.append(
            html.Tr(
                [
                    html.Th(dcc.Link(r.name, href=urls.portrait(view["level"], r.code, lang)), scope="row"),
                    html.Td(r.code),
                    html.Td(format_value(r.value, view["unit"], lang, view.get("decimals"), fixed=True)),
                    html.Td("–" if pd.isna(r.rank) else int(r.rank)),
                    html.Td(change_since(r.prev_value, r.value, view["unit"], lang)),
                    html.Td(status),
                    html.Td(_progress_cell(r, df, uniform, lang), className="progress"),
                ]
            )
        )
    return rows, page, pages


def _progress_cell(row, df: pd.DataFrame, uniform: bool, lang: str):
    if "category" not in df.columns:
        return "–"
    if uniform:
        return assessment.category_label(assessment.category_key(row.category), lang)
    return assessment.badge(row.category, lang)


def _sort_key(column: str):
    return (lambda names: names.map(normalise)) if column == "name" else None


def table_header(lang: str) -> html.Thead:
    def sortable(column: str, key: str) -> html.Th:
        return html.Th(
            html.Button(
                t(column, lang),
                id={"type": "sort", "col": key},
                className="sort",
                title=t("sort_by", lang, column=t(column, lang)),
            ),
            scope="col",
        )

    return html.Thead(
        html.Tr(
            [
                sortable("col_name", "name"),
                html.Th(t("col_code", lang), scope="col"),
                sortable("col_value", "value"),
                sortable("col_rank", "rank"),
                sortable("col_change", "change"),
                html.Th(t("col_status", lang), scope="col"),
                html.Th(t("progress", lang), scope="col"),
            ]
        )
    )


def downloads(view: dict, lang: str) -> list:
    """Links to the values drawn (the indicator, level and year) in each download format."""
    return download_links(view["indicator"], lang, view["level"], view["year"])


def _not_found(lang: str, params: dict, error: tuple) -> html.Div:
    kind, value, choices = error
    base = {k: v for k, v in params.items() if k in ("indicateur", "niveau", "annee", "classes", "couleur")}
    if kind == "indicator":
        labels = {r.indicator_id: label(r, lang) for r in db().run(queries.list_indicators).itertuples()}
        links = [(labels.get(c, c), with_query(PATH, lang, indicateur=c)) for c in choices]
    elif kind == "level":
        links = [
            (t(f"level_{c}", lang), with_query(PATH, lang, **{**base, "niveau": c, "annee": None})) for c in choices
        ]
    else:
        links = [(str(c), with_query(PATH, lang, **{**base, "annee": c})) for c in choices]
    return not_found(lang, params, t(f"nf_{kind}", lang, value=value), links)


def layout(
    lang: str = "fr", indicateur=None, niveau=None, annee=None, classes=None, couleur=None, **params
) -> html.Div:
    lang = normalise_lang(lang)
    params = {
        **params, "indicateur": indicateur, "niveau": niveau, "annee": annee, "classes": classes,
        "couleur": couleur, "lang": lang,
    }  # fmt: skip
    database = db()
    view, error = resolve(database, indicateur, niveau, annee, classes, couleur)
    if error:
        return _not_found(lang, params, error)
    catalogue = database.run(queries.list_indicators)
    state = state_for(database, view, lang)
    figure = figures.map_figure(database.geojson(view["level"]), state, level=view["level"])
    rows, page, pages = table_rows(state, view, DEFAULT_TABLE["sort"], DEFAULT_TABLE["desc"], 0, lang)
    controls = html.Div(
        [
            html.Div(
                [
                    html.Label(t("map_indicator", lang), htmlFor="indicateur"),
                    dcc.Dropdown(
                        id="indicateur",
                        options=[{"label": label(r, lang), "value": r.indicator_id} for r in catalogue.itertuples()],
                        value=view["indicator"],
                        clearable=False,
                    ),
                ],
                className="control control-indicator",
            ),
            html.Fieldset(
                [
                    html.Legend(t("map_level", lang)),
                    dcc.RadioItems(id="niveau", options=_level_options(view["levels"], lang), value=view["level"]),
                ],
                className="control",
            ),
            html.Fieldset(
                [
                    html.Legend(t("map_classes", lang)),
                    dcc.RadioItems(id="classes", options=_class_options(view, lang), value=view["classes"]),
                ],
                className="control",
            ),
            html.Fieldset(
                [
                    html.Legend(t("colour_by", lang)),
                    dcc.RadioItems(
                        id="couleur",
                        options=[{"label": t(f"colour_{k}", lang), "value": c} for c, k in COLOURS.items()],
                        value=view["colour"],
                    ),
                ],
                className="control",
            ),
            html.Div(
                [html.Span(t("map_year", lang), id="annee-label", className="label"), _year_slider(view)],
                className="control control-year",
            ),
        ],
        className="controls no-print",
    )
    children = [
        dcc.Location(id="carte-url", refresh=False),
        dcc.Location(id="carte-nav", refresh="callback-nav"),
        dcc.Store(id="map-view", data=_public(view)),
        dcc.Store(id="map-level", data=view["level"]),
        dcc.Store(id="table-state", data=DEFAULT_TABLE),
        html.H1(t("map_title", lang)),
        controls,
        map_search(lang),
        html.H2(caption(view, catalogue, lang), id="map-caption"),
        html.P(
            [
                t("map_hint", lang),
                " ",
                dcc.Link(
                    t("see_sheet", lang),
                    href=urls.indicator(view["indicator"], lang),
                    id="map-sheet-link",
                ),
            ],
            className="hint",
        ),
        html.Div(
            [
                html.Div(
                    dcc.Graph(
                        id="map",
                        figure=figure,
                        config={"displayModeBar": False, "scrollZoom": True, "responsive": True},
                    ),
                    className="map-box",
                    role="img",
                    **{"aria-label": caption(view, catalogue, lang)},
                ),
                html.Div(legend(state, view, lang), id="map-legend", className="legend"),
            ],
            className="map-row",
        ),
        html.Section(
            [
                html.H2(t("table_title", lang)),
                html.P(downloads(view, lang), id="map-downloads", className="downloads"),
                scroll_region(
                    html.Table(
                        [
                            html.Caption(table_caption(view, catalogue, lang), id="map-table-caption"),
                            table_header(lang),
                            html.Tbody(rows, id="map-table-body"),
                        ],
                        className="data-table",
                        id="map-table",
                    ),
                    caption(view, catalogue, lang),
                ),
                html.Div(
                    [
                        html.Button(t("previous", lang), id="table-prev", className="pager"),
                        html.Span(t("page_of", lang, page=page + 1, pages=pages), id="table-page"),
                        html.Button(t("next", lang), id="table-next", className="pager"),
                    ],
                    className="pagination no-print",
                ),
            ],
            className="table-section",
        ),
    ]
    return shell(lang, params, children, "carte")


def map_search(lang: str) -> html.Div:
    """Find a territory of the drawn level on the map: results as you type (name, former name,
    postcode, code); a result, or Enter for the first, outlines it and zooms to it."""
    return html.Div(
        [
            *search_box("map-search", t("map_search", lang), t("territory_search_placeholder", lang)),
            html.Ul(id="map-search-results", className="search-results map-search-results"),
            html.P(id="map-focus", className="map-focus", **{"aria-live": "polite"}),
            dcc.Store(id="map-search-submit"),
        ],
        className="map-search no-print",
    )


def search_results(index: pd.DataFrame, text: str, level: str, lang: str) -> list:
    """The map search's results among the drawn level's territories: buttons that focus the map."""
    if not text.strip():
        return []
    found = search_territories(index[index["level"] == level], text)
    if found.empty:
        return [html.Li(t("territory_no_match", lang, text=text))]
    return [
        html.Li(
            [
                html.Button(r.name, id={"type": "map-hit", "level": r.level, "code": r.code}, className="map-hit"),
                match_note(r.kind, r.term, r.level, lang),
            ]
        )
        for r in found.itertuples()
    ]


def focus(database, trigger, submitted, level, lang):
    """The map search's answer: (figure Patch, status line) for a chosen result (a button, or Enter
    for the first result); `no_update` for anything else."""
    if not is_text(level):
        return no_update, no_update
    lang = normalise_lang(lang)
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
            return no_update, t("territory_no_match", lang, text=text)
    row = rows.iloc[0]
    patch = figures.focus_patch(database.geojson(level), row["code"])
    if patch is None:
        return no_update, no_update
    portrait = dcc.Link(t("focus_open", lang), href=urls.portrait(level, row["code"], lang))
    return patch, [t("focus_done", lang, name=row["name"]), " ", portrait]


def label_points(geojson: dict) -> list[list]:
    """[code, name, lon, lat, area] for each feature: where its name goes on the map (a point
    inside it), largest first, which assets/map.js shows when zoomed in."""
    points = []
    for feature in geojson.get("features", []):
        shape = shapely.geometry.shape(feature["geometry"])
        point = shape.representative_point()
        name = feature.get("properties", {}).get("name") or feature["id"]
        points.append([feature["id"], name, round(point.x, 4), round(point.y, 4), round(shape.area, 6)])
    return sorted(points, key=lambda p: -p[4])


def _public(view: dict) -> dict:
    return {k: view[k] for k in ("indicator", "level", "year", "classes", "colour", "unit", "polarity", "decimals")}


def _class_options(view: dict, lang: str) -> list[dict]:
    # Classes only apply when colouring by value.
    by_value = view["colour"] == DEFAULT_COLOUR
    return [{"label": t(f"classes_{m}", lang), "value": m, "disabled": not by_value} for m in figures.CLASS_METHODS]


def table_caption(view: dict, catalogue: pd.DataFrame, lang: str) -> str:
    """The map's caption, and what rank 1 means."""
    return f"{caption(view, catalogue, lang)} ({figures.rank_direction(view['polarity'], lang)})"


def _level_options(levels: list[str], lang: str) -> list[dict]:
    return [{"label": t(f"level_{lv}", lang), "value": lv} for lv in levels]


def _year_slider(view: dict) -> dcc.Slider:
    years = view["years"]
    return dcc.Slider(
        id="annee",
        min=years[0],
        max=years[-1],
        step=None,
        marks={y: str(y) for y in years},
        value=view["year"],
        allow_direct_input=False,
        included=False,
    )


def register_callbacks(app) -> None:
    @app.callback(
        Output("map", "figure"),
        Output("map-level", "data"),
        Output("map-view", "data"),
        Output("niveau", "options"),
        Output("niveau", "value"),
        Output("annee", "min"),
        Output("annee", "max"),
        Output("annee", "marks"),
        Output("annee", "value"),
        Output("map-caption", "children"),
        Output("map-legend", "children"),
        Output("carte-url", "search"),
        Output("map-downloads", "children"),
        Output("map-sheet-link", "href"),
        Output("classes", "options"),
        Input("indicateur", "value"),
        Input("niveau", "value"),
        Input("annee", "value"),
        Input("classes", "value"),
        Input("couleur", "value"),
        State("map-level", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    def _switch(indicator, level, year, classes, colour, drawn_level, lang):
        return switch(ctx.triggered_id, indicator, level, year, classes, drawn_level, lang, colour)

    @app.callback(
        Output("map-table-body", "children"),
        Output("table-page", "children"),
        Output("table-state", "data"),
        Output("map-table-caption", "children"),
        Input("map-view", "data"),
        Input({"type": "sort", "col": ALL}, "n_clicks"),
        Input("table-prev", "n_clicks"),
        Input("table-next", "n_clicks"),
        State("table-state", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    def _table(view, _sorts, _prev, _next, table, lang):
        return table_update(ctx.triggered_id, view, table, lang)

    @app.callback(
        Output("map-search-results", "children"),
        Input("map-search", "value"),
        State("map-level", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    def _search(text, level, lang):
        text = search_text(text)
        if text is None or not is_text(level):
            return no_update
        return search_results(db().run(queries.territory_search_index), text, level, normalise_lang(lang))

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
    def _focus(submitted, clicks, level, lang):
        trigger = ctx.triggered_id
        if isinstance(trigger, dict) and not any(isinstance(n, int) and n for n in (clicks or [])):
            return no_update, no_update  # the results were redrawn, nothing was pressed
        return focus(db(), trigger, submitted, level, lang)

    @app.server.route(urls.ROUTES["map_names"])
    def _names(level: str):
        """The label points of a level's territories (fetched by assets/map.js when zoomed in)."""
        database = db()
        if level not in database.run(queries.geometry_levels):
            abort(404)
        return jsonify(label_points(database.geojson(level)))

    @app.callback(
        Output("carte-nav", "href"),
        Input("map", "clickData"),
        State("map-view", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    def _open_portrait(click, view, lang):
        return portrait_href(click, view, lang)


def switch(trigger, indicator, level, year, classes, drawn_level, lang, colour=None):
    """The map callback: a Patch of values when the drawn level is unchanged, else a full figure.

    `trigger` is the id of the control that changed. Values of the wrong type change nothing.
    """
    if not (is_text(indicator) and is_text(level) and optional_number(year)):
        return NO_SWITCH
    if not all(optional_text(v) for v in (classes, colour, drawn_level)):
        return NO_SWITCH
    lang = normalise_lang(lang)
    database = db()
    if trigger == "niveau" and year not in database.years(indicator, level):
        year = None  # the latest year of the new level
    view, error = resolve(database, indicator, level, year, classes, colour)
    if error and trigger == "indicateur":
        # Keep the level and year when the new indicator has them, else fall back to its defaults.
        view, error = resolve(database, indicator, level, None, classes, colour)
        if error:
            view, error = resolve(database, indicator, None, None, classes, colour)
    if error:
        return NO_SWITCH
    state = state_for(database, view, lang)
    geojson = database.geojson(view["level"])
    if view["level"] == drawn_level:
        drawn = {f["id"] for f in geojson["features"]}
        figure = figures.map_patch(state, [c for c in state["codes"] if c in drawn])
    else:
        figure = figures.map_figure(geojson, state, level=view["level"])
    catalogue = database.run(queries.list_indicators)
    years = view["years"]
    return (
        figure,
        view["level"],
        _public(view),
        _level_options(view["levels"], lang),
        view["level"],
        years[0],
        years[-1],
        {y: str(y) for y in years},
        view["year"],
        caption(view, catalogue, lang),
        legend(state, view, lang),
        with_query("", lang, **url_params(view)),
        downloads(view, lang),
        urls.indicator(view["indicator"], lang),
        _class_options(view, lang),
    )


# What the table callback reads from the map view (the rest comes from the database again).
VIEW_TYPES = {"indicator": (str,), "level": (str,), "year": (int,), "classes": (str,), "colour": (str,)}
TABLE_TYPES = {"sort": (str,), "desc": (bool,), "page": (int,)}


def table_update(trigger, view, table, lang):
    """The table callback: sort (a column's button), page (previous, next), or a new view (back to page 1).

    The view is resolved again from the database, so a forged one only gives `no_update`.
    """
    lang = normalise_lang(lang)
    if not has_types(view, VIEW_TYPES):
        return NO_TABLE
    database = db()
    resolved, error = resolve(database, view["indicator"], view["level"], view["year"], view["classes"], view["colour"])
    if error:
        return NO_TABLE
    table = dict(table) if has_types(table, TABLE_TYPES) and table["sort"] in SORT_COLUMNS else dict(DEFAULT_TABLE)
    if isinstance(trigger, dict):
        column = trigger.get("col")
        if column not in SORT_COLUMNS:
            return NO_TABLE
        # A second click reverses; a first click sorts names A-Z, ranks best first, values largest first.
        table["desc"] = not table["desc"] if table["sort"] == column else column in ("value", "change")
        table["sort"], table["page"] = column, 0
    elif trigger == "table-prev":
        table["page"] -= 1
    elif trigger == "table-next":
        table["page"] += 1
    else:
        table["page"] = 0
    state = state_for(database, resolved, lang)
    rows, table["page"], pages = table_rows(state, resolved, table["sort"], table["desc"], table["page"], lang)
    catalogue = database.run(queries.list_indicators)
    pager = t("page_of", lang, page=table["page"] + 1, pages=pages)
    return rows, pager, table, table_caption(resolved, catalogue, lang)


def portrait_href(click, view, lang):
    """The portrait of the clicked territory, or `no_update` for a click elsewhere (or a forged one)."""
    points = click.get("points") if isinstance(click, dict) else None
    point = points[0] if isinstance(points, list) and points else None
    location = point.get("location") if isinstance(point, dict) else None
    if not (is_text(location) and location and has_types(view, {"level": (str,)})):
        return no_update
    return urls.portrait(view["level"], location, normalise_lang(lang))
