"""`/indicateur/<id>?territoires=level:code,...`: the indicator sheet, trend chart and data."""

from __future__ import annotations

import numpy as np
import pandas as pd
from dash import Input, Output, State, no_update

from dashboard import assessment, charts, progress_queries, queries, urls
from dashboard.chrome import data_table, download_links, label, metadata, not_found, shell, text
from dashboard.components import dcc, html
from dashboard.context import db
from dashboard.formatting import format_number, format_value, is_missing
from dashboard.gaps import gap_reason, gap_text
from dashboard.i18n import colon, current_lang, localised, t, with_query
from dashboard.inputs import is_text, search_text, text_list
from dashboard.peers import peer_line
from dashboard.search import nearest, search_territories
from dashboard.sheet import definition_list
from itdd.sql import named_rows

MAX_TERRITORIES = 8


def parse_selection(value: str | None) -> list[tuple[str, str]]:
    """'commune:33063,epci:243300316' -> [('commune', '33063'), ('epci', '243300316')]."""
    pairs = [item.split(":", 1) for item in (value or "").split(",") if ":" in item]
    return list(dict.fromkeys((level, code) for level, code in pairs))[:MAX_TERRITORIES]


def selection_param(keys: list[str]) -> str | None:
    return ",".join(keys[:MAX_TERRITORIES]) or None


def series_table(rows: charts.TrendRows, unit: str | None, caption: str, table_id: str = "trend-table") -> html.Div:
    """Territories by years: the data behind the trend chart."""
    by_name: dict[str, dict[int, float]] = {}  # in the rows' order of territories
    for name, year, value in zip(rows.names, rows.years, rows.values, strict=True):
        if not is_missing(value):
            by_name.setdefault(name, {}).setdefault(int(year), value)
    years = sorted({year for values in by_name.values() for year in values})
    cells = [[name, *(format_value(values.get(y), unit) for y in years)] for name, values in by_name.items()]
    return data_table([t("col_name"), *(str(y) for y in years)], cells, caption, table_id)


def references(database, keys: list[str]) -> list[tuple[str, str]]:
    """The territories drawn besides the chosen ones: the first chosen territory's EPCI,
    département, région and France (or France métropolitaine); without a choice, the
    build's territory and what encloses it."""
    chosen = parse_selection(",".join(keys))
    if chosen:
        level, code = chosen[0]
    else:
        built = database.run(queries.build_territory)
        if built is None:
            return []
        level, code = built["level"], built["code"]
    refs = database.run(queries.reference_territories, level, code)
    return ([] if chosen else [(level, code)]) + list(zip(refs["level"], refs["code"], strict=True))


def trend_view(
    database, indicator_id: str, keys: list[str], row, table_id: str = "trend-table"
) -> tuple[dict | None, html.Div | html.P]:
    """The trend chart and its table (`table_id`: its id, one per page); no chart, but why, when
    nothing has a value."""
    drawn = database.derived(drawn_territories, tuple(keys))
    # the static site draws every indicator for a portrait's territories: all are derived at once
    trends = database.derived(trend_rows, drawn, None if database.static else indicator_id)
    rows = trends.get(indicator_id)
    if rows is None:  # no chart with empty axes: say why, or where values are
        return None, no_data(database, indicator_id, row) if not row.has_values else html.P(t("sheet_pick"))
    unit = text(row.unit) or None
    target = metadata(row).get("target")
    figure = charts.trend_figure(rows, unit, target if isinstance(target, dict) else None)
    return figure, series_table(rows, unit, t("sheet_trend"), table_id)


def drawn_territories(database, keys: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """The references of the chosen territories (`keys`: "level:code"), then the chosen ones."""
    return tuple(dict.fromkeys(references(database, list(keys)) + parse_selection(",".join(keys))))


def trend_rows(
    database, drawn: tuple[tuple[str, str], ...], indicator_id: str | None = None
) -> dict[str, charts.TrendRows]:
    """{indicator id: the values of `drawn` in the order drawn (the references first, from the
    widest, then by year)} for one indicator (or every one); none for an indicator without value."""
    series = database.run(queries.territories_series, list(drawn), *([indicator_id] if indicator_id else []))
    ids, levels, codes, names, years = (series[k].tolist() for k in ("indicator_id", "level", "code", "name", "year"))
    values = series["value"].to_numpy(dtype=float, na_value=np.nan).tolist()
    order = {key: i for i, key in enumerate(drawn)}
    rank = [order.get(key, 99) for key in zip(levels, codes, strict=True)]
    found: dict[str, charts.TrendRows] = {}
    for i in sorted(range(len(ids)), key=lambda i: (ids[i], rank[i], years[i])):  # stable
        trend = found.setdefault(ids[i], charts.TrendRows([], [], []))
        trend.names.append(names[i])
        trend.years.append(years[i])
        trend.values.append(values[i])
    return {key: trend for key, trend in found.items() if not all(np.isnan(trend.values))}


def no_data(database, indicator_id: str, row) -> html.Div:
    """Why the chart is not drawn: the reason at each declared level (levels sharing one, together)."""
    gaps = database.run(queries.indicator_gaps)
    levels = [lv for lv in text(row.levels).split(",") if lv]
    by_reason: dict[str, list[str]] = {}
    for lv in levels:
        by_reason.setdefault(gap_text(*gap_reason(gaps, indicator_id, lv, levels)), []).append(lv)
    items = [html.Li(f"{', '.join(t(f'level_{lv}') for lv in lvs)}{colon()}{why}") for why, lvs in by_reason.items()]
    return html.Div([html.P(t("sheet_no_data"), className="no-data"), html.Ul(items)], className="no-data-box")


def progress_block(database, indicator_id: str, keys: list[str], row) -> html.Div | None:
    """Each drawn territory's progress badge and explanation (None when the build has no progress)."""
    territories = database.run(queries.list_territories)
    names = {(r.level, r.code): r.name for r in territories.itertuples()}
    wanted = references(database, keys) + parse_selection(",".join(keys))
    if not database.run(queries.has_progress):
        return None
    labels = assessment.labels_from(database.run(progress_queries.progress_labels))
    rows = {
        (lv, c): next(iter(named_rows(database.run(progress_queries.progress_rows, lv, c, indicator_id))), None)
        for lv, c in dict.fromkeys(wanted)
    }
    # through `run`: the static site keeps each territory's peers for every indicator's page
    peers = {key: database.run(progress_queries.peer_comparisons, *key).get(indicator_id) for key in rows}
    unit = text(row.unit) or None
    # Only territories assessed for this indicator (the département has no row for a commune-only index).
    items = [
        html.Li(
            [
                html.Strong(names.get(key, key[1])),
                " ",
                *assessment.progress_cell(found, unit, labels),
                peer_line(peers[key]),  # and against territories like it
            ]
        )
        for key, found in rows.items()
        if found is not None
    ]
    if not items:
        return None
    return html.Div(
        [
            html.H2(t("sheet_progress")),
            html.Ul(items, className="sheet-progress"),
            dcc.Link(t("method_link"), href=assessment.method_href("categories")),
        ]
    )


def composite_block(database, indicator_id: str, keys: list[str], row) -> html.Div | None:
    """For a composite index: the method, and each component's contribution for the first chosen
    territory, as a bar chart and its data table."""
    if text(getattr(row, "kind", "")) != "composite":
        return None
    children = [
        html.H2(t("composite_method_title"), id="composite"),
        html.P(
            [
                t("composite_method"),
                " ",
                dcc.Link(t("method_composite_link"), href=urls.method("composite")),
            ]
        ),
    ]
    chosen = parse_selection(",".join(keys))
    if not chosen:
        children.append(html.P(t("composite_choose"), className="muted"))
        return html.Div(children, id="composite-box")
    level, code = chosen[0]
    name = database.run(queries.territory_name, level, code) or code
    parts = database.run(progress_queries.composite_contributions, indicator_id, level, code)
    if parts.empty:
        children.append(html.P(t("composite_none", name=name)))
        return html.Div(children, id="composite-box")
    parts["label"] = [
        text(getattr(r, f"label_{current_lang()}", None)) or text(r.label_fr) or r.component_id
        for r in parts.itertuples()
    ]
    caption = t("composite_title", name=name, year=int(parts["year"].iloc[0]))
    rows = [
        [
            r.label,
            str(int(r.component_year)) if not pd.isna(r.component_year) else "–",
            format_value(r.value, text(r.unit) or None),
            format_number(r.normalised, decimals=2),
            format_number(r.weight, decimals=2),
            format_number(r.contribution, decimals=1),
        ]
        for r in parts.itertuples()
    ]
    headers = [t(k) for k in ("col_component", "col_component_year", "col_value", "col_normalised",
                                    "col_weight", "col_contribution")]  # fmt: skip
    children += [
        html.H3(caption),
        dcc.Graph(
            id="composite-chart",
            figure=charts.contribution_figure(parts),
            config={"displayModeBar": False},
            className="composite-chart",
        ),
        data_table(headers, rows, caption, "composite-table"),
    ]
    return html.Div(children, id="composite-box")


def territory_blocks(database, indicator_id: str, keys: list[str], row) -> list:
    return [
        block
        for block in (
            progress_block(database, indicator_id, keys, row),
            composite_block(database, indicator_id, keys, row),
        )
        if block is not None
    ]


def found(database, indicator_id: str | None = None, **_params) -> bool:
    """Whether the indicator is in the catalogue (else the not-found page, HTTP 404)."""
    return indicator_id in set(database.run(queries.catalogue)["indicator_id"])


def layout(indicator_id: str | None = None, territoires: str | None = None, **params) -> html.Div:
    params = {**params, "territoires": territoires}
    database = db()
    catalogue = database.run(queries.catalogue)
    ids = catalogue["indicator_id"].tolist()
    labels = {r.indicator_id: label(r) for r in catalogue.itertuples()}
    if indicator_id not in ids:
        links = [(labels[c], urls.indicator(c)) for c in nearest(ids, str(indicator_id))]
        return not_found(params, t("nf_indicator", value=indicator_id), links)
    row = next(catalogue[catalogue["indicator_id"] == indicator_id].itertuples())
    meta = metadata(row)
    sources = database.run(queries.all_sources)
    selection = [f"{lv}:{c}" for lv, c in parse_selection(territoires)]
    figure, table = trend_view(database, indicator_id, selection, row)
    options = chosen_options(database, selection)
    children = [
        dcc.Location(id="sheet-url", refresh=False),
        dcc.Store(id="sheet-indicator", data=indicator_id),
        html.H1(label(row)),
        definition_list(row, meta, sources, labels),
        html.P(
            [
                dcc.Link(t("see_map"), href=urls.map_view(indicateur=indicator_id)),
                " — ",
                *download_links(indicator_id),
            ],
            className="downloads",
        )
        if row.has_values
        else None,
        html.H2(t("sheet_trend")),
        html.Div(
            [
                html.Label(t("sheet_choose"), htmlFor="sheet-territories"),
                dcc.Dropdown(
                    id="sheet-territories",
                    options=options,  # the chosen ones: the others come as one types (`territory_options`)
                    value=selection,
                    multi=True,
                    placeholder=t("territory_search_placeholder"),
                ),
            ],
            className="control no-print",
        )
        if row.has_values
        else None,
        dcc.Graph(id="trend", figure=figure or {}, config={"displayModeBar": False}, style=graph_style(figure))
        if row.has_values
        else None,
        html.Div(table, id="trend-table-box"),
        html.Div(territory_blocks(database, indicator_id, selection, row), id="sheet-territory-box"),
    ]
    return shell(params, children, "sheet")


def graph_style(figure: dict | None) -> dict | None:
    return {"display": "none"} if figure is None else None


MAX_OPTIONS = 20  # territories offered for a search text


def _option(level: str, code: str, name: str, found_as: str = "") -> dict:
    option = {"label": f"{name} ({code})", "value": f"{level}:{code}"}
    return {**option, "search": found_as} if found_as else option


def chosen_options(database, keys: list[str]) -> list[dict]:
    """The dropdown's options for the chosen territories (those that exist): a national build has
    36,000 territories, so the others are asked for as one types (`territory_options`)."""
    options = []
    for level, code in parse_selection(",".join(keys)):
        name = database.run(queries.territory_name, level, code)
        if name is not None:
            options.append(_option(level, code, name))
    return options


def territory_options(database, indicator_id: str, text: str, keys: list[str]) -> list[dict]:
    """The chosen territories' options, then those of up to MAX_OPTIONS territories found by the
    territory search for `text` (names, former names, postcodes, codes) that have a value of the
    indicator, best first. Each found one carries `text` as its `search` field: the dropdown
    filters options on their label, value and `search`, and "St Medard" is no substring of
    "Saint-Médard-en-Jalles"."""
    options = chosen_options(database, keys)
    found = search_territories(database.run(queries.territory_search_index), text, limit=10 * MAX_OPTIONS)
    if found.empty:
        return options
    kept = database.run(queries.with_values, indicator_id, list(zip(found["level"], found["code"], strict=True)))
    chosen = {o["value"] for o in options}
    for r in found.itertuples():
        if (
            (r.level, r.code) in kept
            and f"{r.level}:{r.code}" not in chosen
            and len(options) < len(chosen) + MAX_OPTIONS
        ):
            options.append(_option(r.level, r.code, r.name, text))
    return options


def register_callbacks(app) -> None:
    @app.callback(
        Output("trend", "figure"),
        Output("trend", "style"),
        Output("trend-table-box", "children"),
        Output("sheet-url", "search"),
        Output("sheet-territories", "value"),
        Output("sheet-territory-box", "children"),
        Input("sheet-territories", "value"),
        State("sheet-indicator", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    @localised
    def _update(keys, indicator_id):
        return sheet_update(keys, indicator_id)

    @app.callback(
        Output("sheet-territories", "options"),
        Input("sheet-territories", "search_value"),
        State("sheet-territories", "value"),
        State("sheet-indicator", "data"),
        prevent_initial_call=True,
    )
    def _options(text, keys, indicator_id):
        """The options for what is typed (the chosen ones alone when nothing is)."""
        text, keys = search_text(text), text_list(keys)
        if text is None or keys is None or not is_text(indicator_id):
            return no_update
        return territory_options(db(), indicator_id, text, keys[:MAX_TERRITORIES])


def sheet_update(keys, indicator_id):
    """The sheet callback: the trend, table and blocks for the chosen territories (`no_update` for a forged input)."""
    keys = text_list(keys)
    if keys is None or not is_text(indicator_id):
        return (no_update,) * 6
    database = db()
    catalogue = database.run(queries.catalogue)
    row = next(catalogue[catalogue["indicator_id"] == indicator_id].itertuples(), None)
    if row is None:
        return (no_update,) * 6
    keys = keys[:MAX_TERRITORIES]
    figure, table = trend_view(database, indicator_id, keys, row)
    blocks = territory_blocks(database, indicator_id, keys, row)
    return (
        figure or {},
        graph_style(figure),
        table,
        with_query("", territoires=selection_param(keys)),
        keys,
        blocks,
    )
