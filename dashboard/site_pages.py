"""What the static site adds to the dashboard's pages, or draws on its own: an indicator's map
over the published GeoJSON, the map page, a portrait's locator map and trend charts, and the
index of every territory (`dashboard/static_site.py` writes them)."""

from __future__ import annotations

from dashboard import figures, queries, urls
from dashboard.attributes import aria
from dashboard.chrome import label, scroll_region, shell
from dashboard.components import dcc, html
from dashboard.formatting import is_missing
from dashboard.i18n import FINALITIES, current_lang, t
from dashboard.pages import carte, indicateur
from dashboard.site_html import lang_folder, relative_link
from itdd import export


def map_block(database, indicator_id: str, page: str) -> html.Section | None:
    """The indicator's map at its finest drawable level, latest year, with its legend and the first
    rows of its table by rank (as the dashboard's first page), with links to every value's files:
    no table of every territory (35,000 communes at national size)."""
    view = carte.view(database, indicateur=indicator_id)
    if not isinstance(view, carte.MapView):
        return None
    drawn = carte.render(database, view, page_size=carte.PAGE_SIZE, hover_text=True)
    figure, caption, rows = drawn.figure, drawn.caption, drawn.rows
    figure["data"][0]["geojson"] = relative_link(urls.download(f"territoires-{view.level}.geojson"), page)
    files = [
        html.A(t(f"download_{fmt}"), href=urls.download(export.file_name(indicator_id, fmt)), className="download")
        for fmt in export.FORMATS
    ]
    return html.Section(
        [
            html.H2(caption, id="carte"),
            html.Div(
                [
                    html.Div(
                        dcc.Graph(id="map", figure=figure), className="map-box", role="img", **aria(label=caption)
                    ),  # fmt: skip
                    html.Div(drawn.legend, className="legend"),
                ],
                className="map-row",
            ),
            html.Details(
                [
                    html.Summary(t("table_title")),
                    scroll_region(
                        html.Table(
                            [html.Caption(caption), drawn.header, html.Tbody(rows)],
                            className="data-table",
                            id="map-table",
                        ),
                        caption,
                    ),
                    html.P(
                        [
                            t("site_table_first", n=len(rows), total=len(drawn.state["codes"])),
                            " ",
                            *_between(files, " · "),
                        ],
                        className="muted",
                    ),
                ]
            ),
        ],
        className="table-section",
    )


def _between(items: list, separator: str) -> list:
    return [part for i, item in enumerate(items) for part in ([separator] if i else []) + [item]]


def map_page(database) -> html.Div:
    """`carte.html`: the default indicator's map (as the dashboard opens it), then every other
    indicator's map, each on its sheet (the site has no server to switch values)."""
    view = carte.view(database)
    view = view if isinstance(view, carte.MapView) else None
    maps = [
        html.Li(dcc.Link(label(r), href=urls.map_view(indicateur=r.indicator_id)))
        for r in database.run(queries.list_indicators).itertuples()
        if (view is None or r.indicator_id != view.indicator) and carte.found(database, indicateur=r.indicator_id)
    ]
    children = [
        html.H1(t("map_title")),
        map_block(database, view.indicator, lang_folder(current_lang()) + "carte.html") if view else None,
        html.Section([html.H2(t("site_other_maps")), html.Ul(maps, className="territory-index")]),
    ]
    return shell({}, [c for c in children if c is not None], "carte")


def locator_block(database, level: str, code: str, page: str) -> html.Section | None:
    """Where the territory lies: its outline among its neighbours (for a commune, its EPCI's communes)."""
    position = database.feature_positions(level)
    if code not in position:
        return None
    codes = list(position)  # the whole level, but a commune among its EPCI's communes
    if level == "commune":
        codes = sorted(set(database.run(queries.epci_neighbours, code)) & position.keys() | {code})
    name = database.run(queries.territory_name, level, code)
    features = _outlines(database, level, codes)
    trace = {
        "type": "choroplethmap",
        "geojson": relative_link(urls.download(f"territoires-{level}.geojson"), page),
        "featureidkey": "id",
        "locations": codes,
        "z": [1 if c == code else 0 for c in codes],
        "text": [f["properties"]["name"] for f in features],
        "colorscale": [[0, figures.MISSING_COLOUR], [1, "#2c7bb6"]],
        "showscale": False,
        "hovertemplate": "%{text}<extra></extra>",
        "marker": {"line": {"width": 0.6, "color": "#ffffff"}},
    }
    view = database.derived(_outlines_view, level, tuple(codes))  # the same for the communes of an EPCI
    layout = {"map": {"style": "white-bg", **view}, "margin": {"l": 0, "r": 0, "t": 0, "b": 0}, "height": 320}
    caption = t("locator_caption", name=name)
    return html.Section(
        [
            html.H2(t("locator_title")),
            html.Div(
                dcc.Graph(id="locator", figure={"data": [trace], "layout": layout}),
                className="map-box",
                role="img",
                **aria(label=caption),
            ),  # fmt: skip
            html.P(caption, className="muted"),
        ]
    )


def _outlines(database, level: str, codes) -> list[dict]:
    """The outlines of `codes`, in the order of the level's."""
    features, position = database.geojson(level)["features"], database.feature_positions(level)
    return [features[i] for i in sorted(position[c] for c in codes)]


def _outlines_view(database, level: str, codes: tuple[str, ...]) -> dict:
    """The map view that fits the outlines of `codes` (`figures.map_view`)."""
    return figures.map_view({"features": _outlines(database, level, codes)})


def trends_block(database, level: str, code: str) -> html.Section | None:
    """A trend chart, with its table, for each indicator with at least two years for the territory."""
    order = {f: i for i, f in enumerate(FINALITIES)}
    rows = sorted(database.derived(trended, level, code), key=lambda r: (order.get(r.finality, 99), label(r)))
    if not rows:
        return None
    blocks: list = [html.H2(t("trends_title"))]
    for row in rows:
        keys, table_id = [f"{level}:{code}"], f"trend-table-{row.indicator_id}"  # an id per table of the page
        figure, table = indicateur.trend_view(database, row.indicator_id, keys, row, table_id)
        blocks += [
            html.H3(label(row)),
            dcc.Graph(id=f"trend-{row.indicator_id}", figure=figure),
            html.Details([html.Summary(t("values_by_year")), table]),
        ]
    return html.Section(blocks, className="trends")


def trended(database, level: str, code: str) -> list:
    """The catalogue rows of the indicators with values in at least two years for the territory."""
    values = database.run(queries.territory_values, [(level, code)])
    years: dict[str, set] = {}
    for indicator_id, year, value in zip(*(values[k].tolist() for k in ("indicator_id", "year", "value")), strict=True):
        if not is_missing(value):
            years.setdefault(indicator_id, set()).add(year)
    return [r for r in database.rows(queries.catalogue) if len(years.get(r.indicator_id, ())) >= 2]


def territories_index(database) -> html.Div:
    """Every territory by level: the static stand-in for the search box."""
    territories = database.run(queries.list_territories)
    sections = []
    for level in queries.LEVEL_ORDER:
        found = territories[territories["level"] == level]
        if found.empty:
            continue
        sections.append(
            html.Section(
                [
                    html.H2(t(f"level_{level}")),  # as written: "Intercommunalités (EPCI)"
                    html.Ul(
                        [
                            html.Li(dcc.Link(f"{r.name} ({r.code})", href=urls.portrait(level, r.code)))
                            for r in found.itertuples()
                        ],  # fmt: skip
                        className="territory-index",
                    ),
                ]
            )
        )
    return shell({}, [html.H1(t("territories_title")), *sections], "territories")
