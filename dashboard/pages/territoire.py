"""`/territoire/<level>/<code>`: the portrait of one territory, every indicator, printable."""

from __future__ import annotations

import pandas as pd
from dash import Input, Output, State, no_update

from dashboard import chrome, fiche, queries, urls
from dashboard.chrome import not_found, shell, submitted_text, territory_results, territory_search
from dashboard.components import html
from dashboard.context import db
from dashboard.i18n import localised, t
from dashboard.inputs import has_types, search_text
from dashboard.portrait import view
from dashboard.portrait.sections import (
    compare_href,
    compare_links,
    method_note,
    peers_section,
    policies_section,
    references_line,
    summary_table,
)
from dashboard.portrait.table import finality_sections
from dashboard.search import nearest


def _not_found(params: dict, level: str, code: str) -> html.Div:
    territories = db().run(queries.list_territories)
    same_level = territories[territories["level"] == level]
    pool = same_level if not same_level.empty else territories
    by_code = pool[pool["code"] == code]
    if by_code.empty:
        wanted = nearest(pool["code"].tolist(), code)
        by_code = pool.set_index("code").loc[wanted].reset_index()
    if level not in queries.LEVEL_ORDER:
        by_code = territories[territories["code"] == code] if (territories["code"] == code).any() else by_code
    links = [(f"{r.name} ({r.code})", urls.portrait(r.level, r.code)) for r in by_code.itertuples()]
    return not_found(params, t("nf_territory", value=f"{level}/{code}"), links)


def found(database, level: str | None = None, code: str | None = None, **_params) -> bool:
    """Whether the territory exists (else the not-found page, HTTP 404)."""
    return level in queries.LEVEL_ORDER and database.run(queries.territory_name, level, code) is not None


def layout(level: str | None = None, code: str | None = None, **params) -> html.Div:
    database = db()
    name = database.run(queries.territory_name, level, code) if level in queries.LEVEL_ORDER else None
    if name is None:
        return _not_found(params, str(level), str(code))
    portrait = database.derived(view.read, str(level), str(code), name)
    return shell(params, children(database, portrait), "portrait")


def children(database, portrait: view.Portrait) -> list:
    """The portrait's page, top to bottom."""
    p = portrait
    sections = finality_sections(p)
    level_name = t(f"level1_{p.level}")
    return [
        html.H1(t("portrait_title", name=p.name)),
        html.P(t("portrait_intro", level=level_name.capitalize(), code=p.code)),
        references_line(p.ref_rows),
        html.Div(
            [
                fiche.locator(database, p.level, p.code, p.name, p.refs),
                compare_links(database, p.level, p.code, p.ref_rows),
            ],
            className="portrait-head",
        ),
        html.Button(t("portrait_print"), id="print-button", className="no-print"),
        summary_table(p.summary, p.labels),
        method_note(p),
        territory_search(),
        peers_section(database, p.level, p.code, p.name),
        *(sections or [html.P(t("no_value"))]),
        html.P(f"* {t('incomplete_marker')}", className="muted")
        if any("incomplete" in statuses for statuses in p.points.statuses.values())  # of its own values
        else None,
        policies_section(database, p.level, p.code, p.name, p.catalogue),
        fiche.edition_block(database, p.level, p.code),
    ]


def compare_results(index: pd.DataFrame, origin: dict, text: str) -> list:
    """The compare search's results: links to the comparison of the portrait's territory with each."""
    return territory_results(index, text, lambda lv, c: compare_href(origin["level"], origin["code"], lv, c))


ORIGIN_TYPES = {"level": (str,), "code": (str,)}


def register_callbacks(app) -> None:
    @app.callback(
        Output("compare-results", "children"),
        Input("compare-search", "value"),
        State("compare-from", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    @localised
    def _compare_search(text, origin):
        text = search_text(text)
        if text is None or not has_types(origin, ORIGIN_TYPES):
            return no_update
        return compare_results(db().run(queries.territory_search_index), origin, text)

    submitted_text(app, "compare-search", "compare-submit")

    @app.callback(
        Output("compare-nav", "href"),
        Input("compare-submit", "data"),
        State("compare-from", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    @localised
    def _compare_first(submitted, origin):
        """Enter in the compare search opens the comparison with the first result."""
        first = chrome.first_result(db().run(queries.territory_search_index), submitted)
        if first is None or not has_types(origin, ORIGIN_TYPES):
            return no_update
        return compare_href(origin["level"], origin["code"], first["level"], first["code"])

    app.clientside_callback(
        "function(n) { if (n) { window.print(); } return ''; }",
        Output("print-button", "title"),
        Input("print-button", "n_clicks"),
        prevent_initial_call=True,
    )
