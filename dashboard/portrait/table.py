"""The portrait's tables, one per finality: each indicator's latest value and trend, the
references' values with the territory's position against each, and its progress badge."""

from __future__ import annotations

from dashboard import assessment, charts, urls
from dashboard.attributes import data
from dashboard.chrome import label, scroll_region, text
from dashboard.components import dcc, html
from dashboard.formatting import format_number, format_value, is_missing, trend_words
from dashboard.gaps import gap_cell, gap_reason, gap_text
from dashboard.i18n import FINALITIES, colon, finality_label, t
from dashboard.peers import peer_line
from dashboard.portrait.view import PagePoints, Points, Portrait


def reference_columns(refs: list) -> list[list]:
    """One column per enclosing level (`refs`: the rows of the references); France's column holds
    France then France métropolitaine, which some producers publish instead (the cell then names it)."""
    columns: dict[str, list] = {}
    for ref in refs:
        columns.setdefault(ref.level, []).append(ref)
    return list(columns.values())


def reference_cell(row, column: list, points: dict, last_year: int, status: dict, gaps: dict) -> html.Td:
    """The first reference of the column with values: its value (same year as the territory's,
    else its latest, with the year) and the position against it; else why it has none.
    `data-label` names the column on a phone, where each row is a card (assets/style.css)."""
    unit = text(row.unit) or None
    ref = next((r for r in column if points.get((r.level, r.code))), None)
    named = {"data-label": column[0].name}
    if ref is None:
        levels = text(row.levels).split(",")
        gap = gap_cell(*gap_reason(gaps, row.indicator_id, column[0].level, levels))
        return html.Td(gap, className="num", **named)
    ref_points = points[(ref.level, ref.code)]
    shown_year = last_year if last_year in ref_points else max(ref_points)
    parts: list = [format_value(ref_points[shown_year][0], unit)]
    if shown_year != last_year:  # the reference has no value that year: say which year is shown
        parts.append(f" ({shown_year})")
    if ref is not column[0]:  # France métropolitaine, never passed off as France
        parts += [html.Br(), html.Span(ref.name, className="muted")]
    position = status.get((row.indicator_id, last_year, ref.level, ref.code)) if shown_year == last_year else None
    marker = assessment.position_text(position)
    return html.Td([*parts, *([html.Br(), *marker] if marker else [])], className="num", **named)


def latest_cell(own: list[tuple[int, tuple[float, str]]], unit: str | None) -> html.Td:
    """The latest value (starred when incomplete), its year, the sparkline and the trend in words:
    one column, as the references and verdicts need the room."""
    last_year, (last_value, last_status) = own[-1]
    value = format_value(last_value, unit)
    if last_status == "incomplete":
        value += " *"
    alt = "; ".join(f"{y}{colon()}{format_number(v)}" for y, (v, _) in own)
    spark = charts.sparkline_svg([v for _, (v, _) in own])
    return html.Td(
        [
            html.Strong(value),
            " ",
            html.Span(str(last_year), className="muted"),
            html.Img(src=spark, alt=alt, className="sparkline") if spark else None,
            html.Div(trend_words([(y, v) for y, (v, _) in own], unit), className="trend-sentence"),
        ],
        **data(label=t("latest_and_trend")),
    )


def indicator_row(
    row,
    points: Points,
    own: list[tuple[int, tuple[float, str]]],
    columns: list[list],
    progress: dict | None,
    key: str = "",
    status: dict | None = None,
    labels: dict | None = None,
    gaps: dict | None = None,
    peers: dict | None = None,
) -> html.Tr | None:
    """One table row: latest value, sparkline, trend in words, reference values with the
    position against each (status), progress badge and its explanation. `points`: the
    indicator's points of the territory and its references; `own`: the territory's, by year.

    `progress` maps indicator ids to rows of indicator_progress (None: the build has none);
    `status` maps (indicator_id, year, reference level, reference code) to a position;
    `gaps` maps (indicator_id, level) to why a level has no value; `peers` indicator ids to
    rows of indicator_peer_comparison."""
    unit = text(row.unit) or None
    if not own:
        return None
    last_year = own[-1][0]
    cells = [
        html.Th(
            dcc.Link(label(row), href=urls.indicator(row.indicator_id, key)),
            scope="row",
        ),
        latest_cell(own, unit),
        *(reference_cell(row, column, points, last_year, status or {}, gaps or {}) for column in columns),
    ]
    if progress is not None:
        cells.append(
            html.Td(
                [
                    *assessment.progress_cell(progress.get(row.indicator_id), unit, labels),
                    peer_line((peers or {}).get(row.indicator_id)),
                ],
                className="progress",
                **data(label=t("progress")),
            )
        )
    return html.Tr(cells)


def without_values(rows, page: PagePoints, level: str, gaps: dict) -> html.Div | None:
    """The indicators of a finality with no value for this territory, each with why."""
    items = []
    for row in rows:
        if row.indicator_id in page.by_year:
            continue
        found = page.statuses.get(row.indicator_id, set())
        reason, sources = gap_reason(gaps, row.indicator_id, level, text(row.levels).split(","), found)
        link = dcc.Link(label(row), href=urls.indicator(row.indicator_id))
        items.append(html.Li([link, f"{colon()}{gap_text(reason, sources)}"]))
    if not items:
        return None
    return html.Div([html.H3(t("no_value_here")), html.Ul(items)], className="without-values")


def finality_sections(portrait: Portrait) -> list:
    """One section per finality, in the catalogue's order of finalities (a catalogue row without
    one last)."""
    columns = reference_columns(portrait.ref_rows)
    order = {f: i for i, f in enumerate(FINALITIES)}
    page = portrait.points
    rows = portrait.catalogue
    labels = {r.indicator_id: label(r) for r in rows}
    by_finality: dict = {}
    for r in rows:
        by_finality.setdefault(None if is_missing(r.finality) else r.finality, []).append(r)
    named = sorted(f for f in by_finality if f is not None) + ([None] if None in by_finality else [])
    sections = []
    for finality in sorted(named, key=lambda f: order.get(f, 99)):
        section = finality_section(portrait, finality, by_finality[finality], columns, page, labels)
        if section is not None:
            sections.append(section)
    return sections


def finality_section(
    portrait: Portrait,
    finality,
    listed: list,
    columns: list[list],
    page: PagePoints,
    labels: dict,
) -> html.Section | None:
    """A finality's table of indicators (`listed`: their catalogue rows) with values, their values
    by year, and the indicators without a value here (alone when none has one; None when the
    finality has no indicator)."""
    p = portrait
    territory = (p.level, p.code)
    body = [
        indicator_row(r, page.points[r.indicator_id], page.own(r.indicator_id, territory), columns, p.progress, f"{p.level}:{p.code}", p.status, p.labels, p.gaps, p.peers)
        for r in listed
        if r.indicator_id in page.points
    ]  # fmt: skip
    body = [b for b in body if b is not None]
    missing = without_values(listed, page, p.level, p.gaps)
    title = finality_label(text(finality))
    if not body:
        return None if missing is None else html.Section([html.H2(title), missing], className="finality")
    headers = [t("map_indicator"), t("latest_and_trend"), *(c[0].name for c in columns)]
    if p.progress is not None:
        headers.append(t("progress"))
    by_year = {r.indicator_id: page.by_year[r.indicator_id] for r in listed if r.indicator_id in page.by_year}
    return html.Section(
        [
            html.H2(title),
            scroll_region(
                html.Table(
                    [
                        html.Caption(title, className="sr-only"),
                        html.Thead(html.Tr([html.Th(h, scope="col") for h in headers])),
                        html.Tbody(body),
                    ],
                    className="data-table portrait-table",
                ),
                title,
            ),
            years_table(by_year, labels),
            missing,
        ],
        className="finality",
    )


def years_table(by_indicator: dict[str, dict[int, float]], labels: dict) -> html.Details:
    """The values behind the sparklines (`by_indicator`: each indicator's value by year), indicators
    by years: the accessible alternative. `labels`: the indicators' labels by id."""
    years = sorted({year for values in by_indicator.values() for year in values})
    return html.Details(
        [
            html.Summary(t("values_by_year")),
            scroll_region(
                html.Table(
                    [
                        html.Caption(t("values_by_year")),
                        html.Thead(
                            html.Tr(
                                [html.Th(t("map_indicator"), scope="col")]
                                + [html.Th(str(y), scope="col") for y in years]
                            )
                        ),
                        html.Tbody(
                            [
                                html.Tr(
                                    [html.Th(labels.get(i, i), scope="row")]
                                    + [html.Td(format_number(values.get(y)), className="num") for y in years]
                                )
                                for i, values in sorted(by_indicator.items())
                            ]
                        ),
                    ],
                    className="data-table",
                ),
                t("values_by_year"),
            ),
        ],
        className="years-table",
    )
