"""`/comparer/<level>/<code>/<level2>/<code2>`: two territories side by side, indicator by
indicator: latest values, trend, progress verdict, the gap, and who improves faster (annual
growth over the years both have)."""

from __future__ import annotations

import math

import pandas as pd

from dashboard import assessment, progress_queries, queries, urls
from dashboard.attributes import data
from dashboard.chrome import label, not_found, scroll_region, shell, territory_link, text
from dashboard.components import dcc, html
from dashboard.context import db
from dashboard.formatting import annual_growth, format_difference, format_value, is_missing, trend_words
from dashboard.i18n import FINALITIES, finality_label, t
from dashboard.search import nearest

SAME_PACE = 0.1  # points of annual growth: closer than this, the two improve at the same pace


def _series(values: pd.DataFrame, level: str, code: str) -> dict[str, dict[int, tuple[float, str]]]:
    """indicator id -> {year: (value, status)} of one territory, values only."""
    own = values[(values["level"] == level) & (values["code"] == code)]
    series: dict[str, dict[int, tuple[float, str]]] = {}
    for indicator_id, year, value, status in zip(own["indicator_id"], own["year"], own["value"], own["status"],
                                                 strict=True):  # fmt: skip
        if not is_missing(value):
            series.setdefault(indicator_id, {})[int(year)] = (float(value), status)
    return series


def pace(first: dict[int, tuple[float, str]], second: dict[int, tuple[float, str]], kind: str):
    """(first year, last year, growth of the first, growth of the second) in % a year, over the
    years both territories have; None where a growth is not defined (fewer than two common years,
    a value ≤ 0, or an indicator that is itself a rate of change)."""
    common = sorted(set(first) & set(second))
    if len(common) < 2 or kind == "change_rate":
        return None
    start, end = common[0], common[-1]
    a = annual_growth(start, first[start][0], end, first[end][0])
    b = annual_growth(start, second[start][0], end, second[end][0])
    return None if a is None or b is None else (start, end, a, b)


def faster(growth: tuple | None, polarity: str | None, names: tuple[str, str]) -> str:
    """Who improves faster (by polarity), or who grows faster for a context indicator, in words."""
    if growth is None:
        return t("compare_no_pace")
    start, end, a, b = growth
    rates = t("compare_rates", a=_rate(a), b=_rate(b), start=start, end=end)
    if math.isclose(a, b, abs_tol=SAME_PACE):
        return f"{t('compare_same_pace')} ({rates})"
    sign = {"higher_is_better": 1, "lower_is_better": -1}.get(polarity or "")
    if sign is None:
        return f"{t('compare_grows_faster', name=names[0] if a > b else names[1])} ({rates})"
    better = names[0] if sign * a > sign * b else names[1]
    return f"{t('compare_improves_faster', name=better)} ({rates})"


def _rate(value: float) -> str:
    return assessment.percent_a_year(value / 100)


def gap(first: dict, second: dict, unit: str | None) -> str:
    """The first territory's value minus the second's, the latest year both have (with the year)."""
    common = sorted(set(first) & set(second))
    if not common:
        return t("compare_no_common_year")
    year = common[-1]
    return f"{format_difference(first[year][0] - second[year][0], unit)} ({year})"


def latest(series: dict, unit: str | None) -> list:
    if not series:
        return [html.Span(t("no_value"), className="muted")]
    year = max(series)
    value, status = series[year]
    shown = format_value(value, unit) + (" *" if status == "incomplete" else "")
    trend = trend_words([(y, v) for y, (v, _) in series.items()], unit)
    return [
        html.Strong(shown),
        " ",
        html.Span(str(year), className="muted"),
        html.Div(trend, className="trend-sentence"),
    ]


def verdict(row, labels: dict | None) -> list:
    return [] if row is None else [assessment.badge(row.category, labels)]


def comparison_table(catalogue, values, sides, progress, labels) -> list:
    """One section per finality: a row per indicator either territory has a value for."""
    (l1, c1, n1), (l2, c2, n2) = sides
    first, second = _series(values, l1, c1), _series(values, l2, c2)
    order = {f: i for i, f in enumerate(FINALITIES)}
    headers = [t("map_indicator"), n1, n2, t("compare_gap", a=n1, b=n2), t("compare_pace")]
    sections = []
    for finality, rows in sorted(catalogue.groupby("finality", dropna=False), key=lambda g: order.get(g[0], 99)):
        body = []
        for row in rows.itertuples():
            a, b = first.get(row.indicator_id, {}), second.get(row.indicator_id, {})
            if not a and not b:
                continue
            unit = text(row.unit) or None
            cells = [
                html.Th(
                    dcc.Link(
                        label(row),
                        href=urls.indicator(row.indicator_id, f"{l1}:{c1},{l2}:{c2}"),
                    ),
                    scope="row",
                ),  # fmt: skip
                html.Td(
                    [*latest(a, unit), *verdict(progress[0].get(row.indicator_id), labels)],
                    **data(label=n1),
                ),  # fmt: skip
                html.Td(
                    [*latest(b, unit), *verdict(progress[1].get(row.indicator_id), labels)],
                    **data(label=n2),
                ),  # fmt: skip
                html.Td(gap(a, b, unit), className="num", **data(label=headers[3])),
                html.Td(
                    faster(pace(a, b, text(row.kind)), text(row.polarity) or None, (n1, n2)),
                    **data(label=headers[4]),
                ),  # fmt: skip
            ]
            body.append(html.Tr(cells))
        if body:
            title = finality_label(text(finality))
            table = html.Table(
                [html.Caption(title, className="sr-only"), html.Thead(html.Tr([html.Th(h, scope="col") for h in headers])),
                 html.Tbody(body)],
                className="data-table portrait-table compare-table",
            )  # fmt: skip
            sections.append(html.Section([html.H2(title), scroll_region(table, title)], className="finality"))
    return sections


def _resolve(database, level, code) -> str | None:
    return database.run(queries.territory_name, level, code) if level in queries.LEVEL_ORDER else None


def found(database, level=None, code=None, level2=None, code2=None, **_params) -> bool:
    """Whether both territories exist (else the not-found page, HTTP 404)."""
    return _resolve(database, level, code) is not None and _resolve(database, level2, code2) is not None


def _not_found(database, params: dict, sides: list[tuple[str, str]]) -> html.Div:
    territories = database.run(queries.list_territories)
    level, code = next((lv, c) for lv, c in sides if _resolve(database, lv, c) is None)
    pool = territories[territories["level"] == level]
    pool = pool if not pool.empty else territories
    close = pool.set_index("code").loc[nearest(pool["code"].tolist(), str(code))].reset_index()
    links = [(f"{r.name} ({r.code})", urls.portrait(r.level, r.code)) for r in close.itertuples()]
    return not_found(params, t("nf_territory", value=f"{level}/{code}"), links)


def layout(level=None, code=None, level2=None, code2=None, **params) -> html.Div:
    database = db()
    names = (_resolve(database, level, code), _resolve(database, level2, code2))
    if None in names:
        return _not_found(database, params, [(str(level), str(code)), (str(level2), str(code2))])
    sides = ((level, code, names[0]), (level2, code2, names[1]))
    values = database.run(queries.territory_values, [(level, code), (level2, code2)])
    catalogue = database.run(queries.catalogue)
    labels = assessment.labels_from(database.run(progress_queries.progress_labels))
    progress = [
        {
            r.indicator_id: r
            for r in database.run(progress_queries.progress_rows, lv, c).itertuples()
            if not pd.isna(r.category)
        }
        for lv, c, _ in sides
    ]
    children = [
        html.H1(t("compare_title", a=names[0], b=names[1])),
        html.P(
            [
                territory_link(level, code, names[0]),
                f" ({t(f'level1_{level}')}, {code}) — ",
                territory_link(level2, code2, names[1]),
                f" ({t(f'level1_{level2}')}, {code2})",
            ],
            className="compare-sides",
        ),
        html.P(t("compare_intro"), className="muted"),
        *(comparison_table(catalogue, values, sides, progress, labels) or [html.P(t("no_value"))]),
        html.P(html.A(t("compare_swap"), href=urls.compare((level2, code2), (level, code)))),
    ]
    return shell(params, children, "compare")
