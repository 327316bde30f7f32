"""`/`: the catalogue by finality, an indicator search, the build territory's headline strip, territory links."""

from __future__ import annotations

import pandas as pd
from dash import Input, Output, State, no_update

from dashboard import assessment, progress_queries, queries, urls
from dashboard.chrome import label, search_box, shell, territory_link, territory_search, text
from dashboard.components import dcc, html
from dashboard.context import db
from dashboard.formatting import format_value, trend_sentence
from dashboard.gaps import gap_reason, gap_text
from dashboard.i18n import FINALITIES, finality_label, localised, place_names, t
from dashboard.inputs import search_text
from dashboard.search import search_indicators

N_LARGEST = 6
N_HEADLINE = 8


def headline_indicators(catalogue: pd.DataFrame, values: pd.DataFrame) -> pd.DataFrame:
    """The key indicators of the strip: with a value, judged ones (with a polarity, not rates of
    change, which the method never judges) and longer series first."""
    years = values.dropna(subset=["value"]).groupby("indicator_id")["year"].nunique()
    ranked = catalogue[catalogue["indicator_id"].isin(years.index)].assign(
        _judged=lambda df: df["polarity"].notna() & (df["kind"] != "change_rate"),
        _years=lambda df: df["indicator_id"].map(years),
    )
    ranked = ranked.sort_values(["_judged", "_years"], ascending=False, kind="stable")
    return ranked.head(N_HEADLINE).drop(columns=["_judged", "_years"])


def headline(
    catalogue: pd.DataFrame, values: pd.DataFrame, progress: dict | None = None, labels: dict | None = None
) -> list:
    """One card per key indicator of the headline territory: latest value, trend, progress.

    `progress` maps indicator ids to rows of indicator_progress (None: the build has none)."""
    cards = []
    for row in headline_indicators(catalogue, values).itertuples():
        series = values[values["indicator_id"] == row.indicator_id].dropna(subset=["value"])
        last = series.iloc[-1]
        cards.append(
            html.Li(
                [
                    dcc.Link(label(row), href=urls.indicator(row.indicator_id)),
                    html.Strong(format_value(last["value"], text(row.unit)), className="headline-value"),
                    html.Span(f"{t('year')} {int(last['year'])}", className="headline-year"),
                    html.Span(trend_sentence(series, text(row.unit)), className="headline-trend"),
                    html.Div(
                        assessment.progress_cell(progress.get(row.indicator_id), text(row.unit), labels),
                        className="headline-progress",
                    )
                    if progress is not None
                    else None,
                ],
                className="headline-card",
            )
        )
    return cards


def catalogue_sections(catalogue: pd.DataFrame, gaps: dict | None = None) -> list:
    """The catalogue grouped by the five finalities (unknown finalities last); an indicator
    without values says why (`gaps`: the build's reason at its first level)."""
    order = {f: i for i, f in enumerate(FINALITIES)}
    sections = []
    for finality, rows in sorted(catalogue.groupby("finality", dropna=False), key=lambda g: order.get(g[0], 99)):
        items = []
        for row in rows.itertuples():
            link = dcc.Link(label(row), href=urls.indicator(row.indicator_id))
            extra = (
                [" — ", dcc.Link(t("see_map"), href=urls.map_view(indicateur=row.indicator_id))]
                if row.has_values
                else [html.Span(f" ({why_empty(row, gaps or {})})", className="muted")]
            )
            items.append(html.Li([link, *extra]))
        sections.append(
            html.Section(
                [html.H3(finality_label(text(finality))), html.Ul(items)],
                className="finality",
            )
        )
    return sections


def why_empty(row, gaps: dict) -> str:
    levels = [lv for lv in text(row.levels).split(",") if lv]
    return gap_text(*gap_reason(gaps, row.indicator_id, levels[0], levels)) if levels else t("no_data_yet")


def filtered_catalogue(catalogue: pd.DataFrame, query: str | None, gaps: dict | None = None) -> list:
    """The catalogue sections of the indicators matching `query` (all when empty)."""
    found = search_indicators(catalogue, query or "")
    if found.empty:
        return [html.P(t("home_no_match", text=query))]
    return catalogue_sections(found, gaps)


def layout(q: str = "", **params) -> html.Div:
    query = q or ""
    database = db()
    catalogue = database.run(queries.catalogue)
    head = database.run(queries.build_territory)  # the territory the database was built for
    names = place_names(head["name"], head["tncc"]) if head else {}
    intro = t(f"home_intro_{head['level']}", **names) if head else t("home_intro")
    children = [html.H1(t("site_title")), html.P(intro)]
    if head:
        level, code = head["level"], head["code"]
        values = database.run(queries.territory_values, [(level, code)])
        with database.connect() as con:
            assessed = progress_queries.progress_rows(con, level, code)
            progress = {r.indicator_id: r for r in assessed.itertuples()} if queries.has_progress(con) else None
            labels = assessment.labels_from(progress_queries.progress_labels(con))
        children += [
            html.H2([t("home_headline", **names), " — ", territory_link(level, code, head["name"])]),
            html.Ul(headline(catalogue, values, progress, labels), className="headline"),
            html.P(territory_link(level, code, t("home_all_indicators", name=head["name"]))),
        ]
    counts = catalogue[(catalogue["kind"] == "count") & catalogue["has_values"]]
    quick = pd.DataFrame()
    if not counts.empty:  # quick links: the biggest communes and EPCIs by the first count indicator
        quick = database.run(queries.largest_territories, counts.iloc[0]["indicator_id"], N_LARGEST // 2)
    children += [
        html.Section(
            [
                html.H2(t("home_territories"), id="territoires"),
                html.Ul(
                    [html.Li(territory_link(r.level, r.code, r.name)) for r in quick.itertuples()],
                    className="quick-links",
                ),
                territory_search(),
            ]
        ),
        html.H2(t("home_catalogue")),
        *search_box("indicator-search", t("home_search"), t("home_search_placeholder"), query),
        html.Div(filtered_catalogue(catalogue, query, database.run(queries.indicator_gaps)), id="catalogue"),
    ]
    return shell(params, children, "home")


def register_callbacks(app) -> None:
    @app.callback(
        Output("catalogue", "children"),
        Input("indicator-search", "value"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    @localised
    def _filter(query):
        query = search_text(query)
        if query is None:
            return no_update
        database = db()
        return filtered_catalogue(database.run(queries.catalogue), query, database.run(queries.indicator_gaps))
