"""`/territoire/<level>/<code>`: the portrait of one territory, every indicator, printable."""

from __future__ import annotations

import pandas as pd
from dash import Input, Output, State, dcc, html, no_update

from dashboard import assessment, chrome, fiche, figures, progress_queries, queries, urls
from dashboard.attributes import aria, data
from dashboard.chrome import (
    data_table,
    label,
    not_found,
    scroll_region,
    search_box,
    shell,
    submitted_text,
    territory_link,
    territory_results,
    territory_search,
    text,
)
from dashboard.context import db
from dashboard.formatting import format_number, format_value, is_missing, trend_words
from dashboard.gaps import gap_cell, gap_reason, gap_text
from dashboard.i18n import FINALITIES, colon, finality_label, normalise_lang, t
from dashboard.inputs import has_types, search_text
from dashboard.peers import peer_line, policy_figure, policy_sentence
from dashboard.search import nearest


def reference_columns(refs: pd.DataFrame) -> list[list]:
    """One column per enclosing level; France's column holds France then France métropolitaine,
    which some producers publish instead (the cell then names it)."""
    columns: dict[str, list] = {}
    for ref in refs.itertuples():
        columns.setdefault(ref.level, []).append(ref)
    return list(columns.values())


def reference_cell(row, column: list, points: dict, last_year: int, status: dict, gaps: dict, lang: str) -> html.Td:
    """The first reference of the column with values: its value (same year as the territory's,
    else its latest, with the year) and the position against it; else why it has none.
    `data-label` names the column on a phone, where each row is a card (assets/style.css)."""
    unit = text(row.unit) or None
    ref = next((r for r in column if points.get((r.level, r.code))), None)
    named = {"data-label": column[0].name}
    if ref is None:
        levels = text(row.levels).split(",")
        gap = gap_cell(*gap_reason(gaps, row.indicator_id, column[0].level, levels), lang)
        return html.Td(gap, className="num", **named)
    ref_points = points[(ref.level, ref.code)]
    shown_year = last_year if last_year in ref_points else max(ref_points)
    parts: list = [format_value(ref_points[shown_year][0], unit, lang)]
    if shown_year != last_year:  # the reference has no value that year: say which year is shown
        parts.append(f" ({shown_year})")
    if ref is not column[0]:  # France métropolitaine, never passed off as France
        parts += [html.Br(), html.Span(ref.name, className="muted")]
    position = status.get((row.indicator_id, last_year, ref.level, ref.code)) if shown_year == last_year else None
    marker = assessment.position_text(position, lang)
    return html.Td([*parts, *([html.Br(), *marker] if marker else [])], className="num", **named)


def indicator_row(
    row,
    series: pd.DataFrame,
    columns: list[list],
    progress: dict | None,
    lang: str,
    key: str = "",
    status: dict | None = None,
    labels: dict | None = None,
    gaps: dict | None = None,
    peers: dict | None = None,
) -> html.Tr | None:
    """One table row: latest value, sparkline, trend in words, reference values with the
    position against each (status), progress badge and its explanation.

    `progress` maps indicator ids to rows of indicator_progress (None: the build has none);
    `status` maps (indicator_id, year, reference level, reference code) to a position;
    `gaps` maps (indicator_id, level) to why a level has no value; `peers` indicator ids to
    rows of indicator_peer_comparison."""
    unit = text(row.unit) or None
    points: dict[tuple[str, str], dict[int, tuple[float, str]]] = {}  # plain Python: a portrait has 100s of rows
    own_key = None
    rows = [series[k].tolist() for k in ("level", "code", "year", "value", "status", "is_self")]  # lists: fast
    for lv, c, y, v, s, me in zip(*rows, strict=True):
        if not is_missing(v):
            points.setdefault((lv, c), {})[int(y)] = (v, s)
        own_key = (lv, c) if me else own_key
    own = sorted((points.get(own_key) or {}).items())
    if not own:
        return None
    last_year, (last_value, last_status) = own[-1]
    value = format_value(last_value, unit, lang)
    if last_status == "incomplete":
        value += " *"
    alt = "; ".join(f"{y}{colon(lang)}{format_number(v, lang)}" for y, (v, _) in own)
    spark = figures.sparkline_svg([v for _, (v, _) in own])
    cells = [
        html.Th(
            dcc.Link(label(row, lang), href=urls.indicator(row.indicator_id, lang, key)),
            scope="row",
        ),
        html.Td(  # one column for the value and its trend: the references and verdicts need the room
            [
                html.Strong(value),
                " ",
                html.Span(str(last_year), className="muted"),
                html.Img(src=spark, alt=alt, className="sparkline") if spark else None,
                html.Div(trend_words([(y, v) for y, (v, _) in own], unit, lang), className="trend-sentence"),
            ],
            **data(label=t("latest_and_trend", lang)),
        ),
        *(reference_cell(row, column, points, last_year, status or {}, gaps or {}, lang) for column in columns),
    ]
    if progress is not None:
        cells.append(
            html.Td(
                [
                    *assessment.progress_cell(progress.get(row.indicator_id), unit, lang, labels),
                    peer_line((peers or {}).get(row.indicator_id), lang),
                ],
                className="progress",
                **data(label=t("progress", lang)),
            )
        )
    return html.Tr(cells)


def own_statuses(values: pd.DataFrame) -> tuple[set, dict]:
    """The indicators with a value for the territory (`is_self`), and the statuses of each: once a page."""
    own = values[values["is_self"]]
    with_value = set(own.loc[own["value"].notna(), "indicator_id"])
    return with_value, own.groupby("indicator_id")["status"].agg(set).to_dict()


def without_values(rows, statuses: tuple[set, dict], level: str, gaps: dict, lang: str) -> html.Div | None:
    """The indicators of a finality with no value for this territory, each with why (`statuses`:
    see `own_statuses`)."""
    with_value, by_indicator = statuses
    items = []
    for row in rows:
        if row.indicator_id in with_value:
            continue
        found = by_indicator.get(row.indicator_id, set())
        reason, sources = gap_reason(gaps, row.indicator_id, level, text(row.levels).split(","), found)
        link = dcc.Link(label(row, lang), href=urls.indicator(row.indicator_id, lang))
        items.append(html.Li([link, f"{colon(lang)}{gap_text(reason, sources, lang)}"]))
    if not items:
        return None
    return html.Div([html.H3(t("no_value_here", lang)), html.Ul(items)], className="without-values")


def peers_section(database, level: str, code: str, name: str, lang: str) -> html.Section | None:
    """The territory's comparable territories, named and linked, and what they were chosen on."""
    features = database.run(progress_queries.peer_features, level)
    if features.empty:
        return None  # peers are not computed at this level
    used = features[features["used"]]
    words = ", ".join(text(getattr(r, f"label_{lang}", None)) or text(r.label_fr) for r in used.itertuples()).lower()
    peers = database.run(progress_queries.territory_peers, level, code)
    if peers.empty:
        return html.Section([html.H2(t("peers_title", lang)), html.P(t("peers_none", lang, name=name, features=words))])
    scope = ", ".join(database.run(queries.level_names, "departement"))
    links = [
        part
        for i, r in enumerate(peers.itertuples())
        for part in ([", "] if i else []) + [territory_link(level, r.code, r.name, lang)]
    ]
    return html.Section(
        [
            html.H2(t("peers_title", lang)),
            html.P(t("peers_intro", lang, n=len(peers), name=name, features=words, scope=scope), className="muted"),
            html.P(links, className="peer-list"),
        ],
        id="peers",
    )


def policies_section(database, level: str, code: str, name: str, catalogue: pd.DataFrame, lang: str):
    """Each declared policy of the territory: the sentence, and the territory against its
    synthetic control with the start of the policy (chart and table)."""
    effects, series = database.run(progress_queries.policies_of, level, code)
    if effects.empty:
        return None
    rows = {r.indicator_id: r for r in catalogue.itertuples()}
    blocks: list = [html.H2(t("policy_title", lang))]
    for effect in effects.itertuples():
        row = rows.get(effect.indicator_id)
        label_text = label(row, lang) if row is not None else effect.indicator_id
        unit = text(row.unit) if row is not None else None
        blocks += [
            html.H3(f"{effect.name} — {label_text}"),
            html.P(policy_sentence(effect, unit, name, label_text, lang), className="policy-sentence"),
        ]
        own = series[(series["policy_id"] == effect.policy_id) & (series["indicator_id"] == effect.indicator_id)]
        if own.empty:
            continue
        names = (name, t("policy_synthetic", lang))
        rows_of_table = [
            [str(int(r.year)), format_value(r.actual, unit, lang), format_value(r.synthetic, unit, lang)]
            for r in own.itertuples()
        ]
        blocks += [
            dcc.Graph(
                id=f"policy-{effect.policy_id}-{effect.indicator_id}",
                figure=policy_figure(own, int(effect.start_year), unit, names, lang),
                config={"displayModeBar": False},
            ),
            data_table([t("year", lang), *names], rows_of_table, f"{effect.name} — {label_text}"),
        ]
    return html.Section(blocks, id="policies")


def summary_table(summary: pd.DataFrame, lang: str, labels: dict | None = None) -> html.Section | None:
    """Per finality, how many indicators in each category: the one-glance answer."""
    if summary.empty:
        return None
    present = set(summary["category"])
    # The judged categories, their total, then the indicators that could not be assessed: the
    # total counts only what was assessed, so the row agrees with itself.
    judged = [c for c in assessment.CATEGORIES if c in present and c != "unable_to_assess"]
    unassessed = ["unable_to_assess"] if "unable_to_assess" in present else []
    order = {f: i for i, f in enumerate(FINALITIES)}
    counts: dict[str, dict[str, int]] = {}  # finality -> category -> indicators (plain Python: once a portrait)
    for finality, category, n in zip(summary["finality"], summary["category"], summary["indicators"], strict=True):
        if not (pd.isna(finality) or pd.isna(category)):
            found = counts.setdefault(finality, {})
            found[category] = found.get(category, 0) + (0 if pd.isna(n) else n)

    def cell(n) -> html.Td:
        return html.Td("–" if pd.isna(n) or not n else str(int(n)), className="num")

    rows = []
    for finality in sorted(sorted(counts), key=lambda f: order.get(f, 99)):
        found = counts[finality]
        rows.append(
            html.Tr(
                [
                    html.Th(finality_label(text(finality), lang), scope="row"),
                    *(cell(found.get(c)) for c in judged),
                    cell(sum(0 if pd.isna(found.get(c)) else found.get(c) for c in judged)),
                    *(cell(found.get(c)) for c in unassessed),
                ]
            )
        )
    header = [html.Th(t("sheet_finality", lang), scope="col")]
    header += [html.Th(assessment.badge(c, lang, labels), scope="col") for c in judged]
    header.append(html.Th(t("summary_total", lang), scope="col"))
    header += [html.Th(assessment.badge(c, lang, labels), scope="col") for c in unassessed]
    return html.Section(
        [
            html.H2(t("summary_title", lang)),
            html.P(t("summary_intro", lang), className="muted"),
            scroll_region(
                html.Table(
                    [
                        html.Caption(t("summary_title", lang), className="sr-only"),
                        html.Thead(html.Tr(header)),
                        html.Tbody(rows),
                    ],  # fmt: skip
                    className="data-table summary-table",
                    id="progress-summary",
                ),
                t("summary_title", lang),
            ),
        ],
        className="summary",
    )


def years_table(rows: pd.DataFrame, catalogue: pd.DataFrame, lang: str) -> html.Details:
    """The values behind the sparklines: indicators by years (the accessible alternative)."""
    by_indicator: dict[str, dict[int, float]] = {}
    for indicator_id, year, value in zip(rows["indicator_id"], rows["year"], rows["value"], strict=True):
        if not is_missing(value):
            by_indicator.setdefault(indicator_id, {}).setdefault(int(year), value)
    years = sorted({year for values in by_indicator.values() for year in values})
    labels = {r.indicator_id: label(r, lang) for r in catalogue.itertuples()}
    return html.Details(
        [
            html.Summary(t("values_by_year", lang)),
            scroll_region(
                html.Table(
                    [
                        html.Caption(t("values_by_year", lang)),
                        html.Thead(
                            html.Tr(
                                [html.Th(t("map_indicator", lang), scope="col")]
                                + [html.Th(str(y), scope="col") for y in years]
                            )
                        ),
                        html.Tbody(
                            [
                                html.Tr(
                                    [html.Th(labels.get(i, i), scope="row")]
                                    + [html.Td(format_number(values.get(y), lang), className="num") for y in years]
                                )
                                for i, values in sorted(by_indicator.items())
                            ]
                        ),
                    ],
                    className="data-table",
                ),
                t("values_by_year", lang),
            ),
        ],
        className="years-table",
    )


def _not_found(lang: str, params: dict, level: str, code: str) -> html.Div:
    territories = db().run(queries.list_territories)
    same_level = territories[territories["level"] == level]
    pool = same_level if not same_level.empty else territories
    by_code = pool[pool["code"] == code]
    if by_code.empty:
        wanted = nearest(pool["code"].tolist(), code)
        by_code = pool.set_index("code").loc[wanted].reset_index()
    if level not in queries.LEVEL_ORDER:
        by_code = territories[territories["code"] == code] if (territories["code"] == code).any() else by_code
    links = [(f"{r.name} ({r.code})", urls.portrait(r.level, r.code, lang)) for r in by_code.itertuples()]
    return not_found(lang, params, t("nf_territory", lang, value=f"{level}/{code}"), links)


def found(database, level: str | None = None, code: str | None = None, **_params) -> bool:
    """Whether the territory exists (else the not-found page, HTTP 404)."""
    return level in queries.LEVEL_ORDER and database.run(queries.territory_name, level, code) is not None


def layout(level: str | None = None, code: str | None = None, lang: str = "fr", **params) -> html.Div:
    lang = normalise_lang(lang)
    params = {**params, "lang": lang}
    database = db()
    name = database.run(queries.territory_name, level, code) if level in queries.LEVEL_ORDER else None
    if name is None:
        return _not_found(lang, params, str(level), str(code))
    refs = database.run(queries.reference_territories, level, code)
    values = database.run(queries.territory_values, [(level, code), *zip(refs["level"], refs["code"], strict=True)])
    values["is_self"] = (values["level"] == level) & (values["code"] == code)
    catalogue = database.run(queries.catalogue)
    has_progress = database.run(queries.has_progress)
    progress_df = database.run(progress_queries.progress_rows, level, code)
    labels = assessment.labels_from(database.run(progress_queries.progress_labels))
    summary = database.run(progress_queries.progress_summary, level, code)
    status_df = database.run(progress_queries.status_rows, level, code)
    progress = {r.indicator_id: r for r in progress_df.itertuples()} if has_progress else None
    status = {
        (r.indicator_id, int(r.year), r.reference_level, r.reference_code): r.position
        for r in status_df.itertuples()
        if not pd.isna(r.position)
    }
    gaps = database.run(queries.indicator_gaps)
    peer_rows = database.run(progress_queries.peer_comparisons, level, code)
    columns = reference_columns(refs)
    order = {f: i for i, f in enumerate(FINALITIES)}
    sections: list = []
    by_indicator = dict(tuple(values.groupby("indicator_id", sort=False)))
    statuses = own_statuses(values)
    for finality, rows in sorted(catalogue.groupby("finality", dropna=False), key=lambda g: order.get(g[0], 99)):
        listed = list(rows.itertuples())  # once: a namedtuple class per call
        body = [
            indicator_row(
                r,
                by_indicator[r.indicator_id],
                columns,
                progress,
                lang,
                f"{level}:{code}",
                status,
                labels,
                gaps,
                peer_rows,
            )  # fmt: skip
            for r in listed
            if r.indicator_id in by_indicator
        ]
        body = [b for b in body if b is not None]
        missing = without_values(listed, statuses, level, gaps, lang)
        if not body:
            if missing is not None:
                sections.append(
                    html.Section([html.H2(finality_label(text(finality), lang)), missing], className="finality")
                )
            continue
        headers = [t("map_indicator", lang), t("latest_and_trend", lang), *(c[0].name for c in columns)]
        if progress is not None:
            headers.append(t("progress", lang))
        own = values[values["is_self"] & values["indicator_id"].isin(rows["indicator_id"])]
        sections.append(
            html.Section(
                [
                    html.H2(finality_label(text(finality), lang)),
                    scroll_region(
                        html.Table(
                            [
                                html.Caption(finality_label(text(finality), lang), className="sr-only"),
                                html.Thead(html.Tr([html.Th(h, scope="col") for h in headers])),
                                html.Tbody(body),
                            ],
                            className="data-table portrait-table",
                        ),
                        finality_label(text(finality), lang),
                    ),
                    years_table(own, catalogue, lang),
                    missing,
                ],
                className="finality",
            )
        )
    level_name = t(f"level1_{level}", lang)
    children = [
        html.H1(t("portrait_title", lang, name=name)),
        html.P(t("portrait_intro", lang, level=level_name.capitalize(), code=code)),
        html.P(
            [t("references", lang), colon(lang)]
            + [
                part
                for i, r in enumerate(refs.itertuples())
                for part in ([", "] if i else []) + [territory_link(r.level, r.code, r.name, lang)]
            ],
            className="references",
        )
        if not refs.empty
        else None,
        html.Div(
            [
                fiche.locator(database, level, code, name, refs, lang),
                compare_links(database, level, code, refs, lang),
            ],
            className="portrait-head",
        ),
        html.Button(t("portrait_print", lang), id="print-button", className="no-print"),
        summary_table(summary, lang, labels),
        html.P(
            [
                t("status_note", lang) + " " if status else "",
                dcc.Link(t("method_link", lang), href=urls.method(lang), id="method-link"),
            ],
            className="muted",
        )
        if progress is not None
        else None,
        territory_search(lang),
        peers_section(database, level, code, name, lang),
        *(sections or [html.P(t("no_value", lang))]),
        html.P(f"* {t('incomplete_marker', lang)}", className="muted")
        if (values["is_self"] & (values["status"] == "incomplete")).any()
        else None,
        policies_section(database, level, code, name, catalogue, lang),
        fiche.edition_block(database, level, code, lang),
    ]
    return shell(lang, params, children, "portrait")


N_COMPARE_PEERS = 3


def compare_links(database, level: str, code: str, refs: pd.DataFrame, lang: str) -> html.Nav:
    """ "Comparer avec…": the enclosing territories, the first comparable ones, and a search for
    any territory (its results open the comparison)."""
    peers = database.run(progress_queries.territory_peers, level, code).head(N_COMPARE_PEERS)
    choices = [(r.level, r.code, r.name) for r in refs.itertuples() if r.code != "METRO"]
    choices += [(level, r.code, r.name) for r in peers.itertuples()]
    links = [
        html.Li(dcc.Link(other, href=compare_href(level, code, other_level, other_code, lang)))
        for other_level, other_code, other in choices
    ]
    return html.Nav(
        [
            html.H2(t("compare_with", lang), id="compare-title"),
            html.Ul(links, className="compare-choices"),
            html.Div(
                [
                    *search_box("compare-search", t("compare_search", lang), t("territory_search_placeholder", lang)),
                    html.Ul(id="compare-results", className="search-results", **aria(live="polite")),
                    dcc.Store(id="compare-from", data={"level": level, "code": code}),
                    dcc.Store(id="compare-submit"),
                    dcc.Location(id="compare-nav", refresh="callback-nav"),
                ]
            ),
        ],
        className="compare-links no-print",
        id="compare-links",
        **aria(labelledby="compare-title"),
    )


def compare_href(level: str, code: str, other_level: str, other_code: str, lang: str) -> str:
    return urls.compare((level, code), (other_level, other_code), lang)


def compare_results(index: pd.DataFrame, origin: dict, text: str, lang: str) -> list:
    """The compare search's results: links to the comparison of the portrait's territory with each."""
    return territory_results(
        index, text, lang, lambda lv, c: compare_href(origin["level"], origin["code"], lv, c, lang)
    )


ORIGIN_TYPES = {"level": (str,), "code": (str,)}


def register_callbacks(app) -> None:
    @app.callback(
        Output("compare-results", "children"),
        Input("compare-search", "value"),
        State("compare-from", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    def _compare_search(text, origin, lang):
        text = search_text(text)
        if text is None or not has_types(origin, ORIGIN_TYPES):
            return no_update
        return compare_results(db().run(queries.territory_search_index), origin, text, normalise_lang(lang))

    submitted_text(app, "compare-search", "compare-submit")

    @app.callback(
        Output("compare-nav", "href"),
        Input("compare-submit", "data"),
        State("compare-from", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    def _compare_first(submitted, origin, lang):
        """Enter in the compare search opens the comparison with the first result."""
        first = chrome.first_result(db().run(queries.territory_search_index), submitted)
        if first is None or not has_types(origin, ORIGIN_TYPES):
            return no_update
        return compare_href(origin["level"], origin["code"], first["level"], first["code"], normalise_lang(lang))

    app.clientside_callback(
        "function(n) { if (n) { window.print(); } return ''; }",
        Output("print-button", "title"),
        Input("print-button", "n_clicks"),
        prevent_initial_call=True,
    )
