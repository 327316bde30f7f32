"""Shared page parts: header with navigation and language switch, footer, tables, not-found page."""

from __future__ import annotations

import functools
import json
from urllib.parse import urlencode

import pandas as pd
from dash import Input, Output

from dashboard import queries, urls
from dashboard.attributes import aria, data, optional
from dashboard.components import dcc, html
from dashboard.context import db
from dashboard.i18n import current_lang, labelled, other_lang, t, with_query
from dashboard.inputs import search_text
from dashboard.search import search_territories
from itdd import export


def text(value: object, default: str = "") -> str:
    """A catalogue cell as text; NULL (NaN/None/NA) becomes `default`."""
    return default if value is None or pd.isna(value) else str(value)


def metadata(row) -> dict:
    """A catalogue row's `metadata` (the indicator as declared, JSON); {} when unreadable. Parsed
    once per text (a portrait reads every indicator's): to be read, not changed."""
    return _parsed(text(row.metadata))


@functools.lru_cache(maxsize=512)  # one per indicator of the catalogues in use
def _parsed(declared: str) -> dict:
    try:
        found = json.loads(declared or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def label(row) -> str:
    """The label of a catalogue row in the current language, falling back to French then to the id."""
    return text(getattr(row, f"label_{current_lang()}", None)) or text(row.label_fr) or row.indicator_id


def header(params: dict) -> html.Header:
    query = {k: v for k, v in params.items() if v not in (None, "") and k != "lang"}
    target = other_lang()
    if target != "fr":
        query["lang"] = target
    return html.Header(
        [
            dcc.Link(t("site_title"), href=with_query("/"), className="site-title"),
            html.Nav(
                html.Ul(
                    [
                        html.Li(dcc.Link(t("nav_home"), href=with_query("/"))),
                        html.Li(dcc.Link(t("nav_map"), href=urls.map_view())),
                        html.Li(dcc.Link(t("nav_territory"), href=with_query("/") + "#territoires")),
                        html.Li(dcc.Link(t("nav_method"), href=urls.method())),
                    ]
                ),
                **aria(label="Navigation"),
            ),
            # A plain link (full reload); assets/lang.js refreshes its query string on click,
            # so that it keeps the current view of pages that update their URL.
            html.A(
                t("switch_label"),
                href="?" + urlencode(query),
                id="lang-switch",
                className="lang-switch",
                title=t("switch_title"),
                lang=target,
                **data(lang=target),
            ),
        ],
        className="site-header",
    )


def download_links(indicator_id: str, level: str | None = None, year: int | None = None) -> list:
    """A link to the indicator's values in each format of `itdd.export` (the same level and year),
    with a note saying which is exact and which rounded."""
    links: list = []
    for fmt in export.FORMATS:
        href = urls.download(export.file_name(indicator_id, fmt), level, year)
        links += [" · "] if links else []
        links.append(html.A(t(f"download_{fmt}"), href=href, className="download", id=f"download-{fmt}"))
    return [html.Span(links, className="download-links"), html.Br(), html.Small(t("downloads_note"))]


def source_title(row) -> str:
    """A source's title in the current language: the English one on English pages (when the build has it), else
    the French one, else its id."""
    english = text(getattr(row, "title_en", None)) if current_lang() == "en" else ""
    return english or text(row.title, row.source_id)


def source_item(row) -> list:
    """'INSEE — <title linked> — licence : Licence Ouverte' for a row of the sources table."""
    licence = text(row.licence, t("footer_unknown_licence"))
    return [
        f"{text(row.producer)} — ",
        html.A(source_title(row), href=text(row.url) or None),
        f" — {labelled('footer_licence', licence)}",
    ]


def footer() -> html.Footer:
    """The sources and their licences: the same on every page of a language (the static site
    makes it once a language, `Database.derived`)."""
    return db().derived(_footer, current_lang())


def _footer(database, _lang: str) -> html.Footer:  # `_lang`: what it is kept by, its texts' language
    items = [html.Li(source_item(r)) for r in database.rows(queries.list_sources)]
    return html.Footer(
        [html.H2(t("footer_sources")), html.Ul(items), html.P(t("footer_note"))],
        id="sources",
        className="site-footer",
    )


def shell(params: dict, children: list, page_class: str = "") -> html.Div:
    """A whole page: header, main content, footer, and the language for callbacks."""
    return html.Div(
        [
            dcc.Store(id="lang", data=current_lang()),
            header(params),
            html.Main(children, id="main", className=f"page {page_class}".strip(), lang=current_lang()),
            footer(),
        ],
        className="shell",
    )


def scroll_region(table: html.Table, label: str) -> html.Div:
    """`table` in a box that scrolls sideways when the screen is narrower (a phone);
    focusable, so that the keyboard can scroll it too."""
    return html.Div(table, className="table-scroll", tabIndex="0", role="region", **aria(label=label))


def data_table(headers: list[str], rows: list[list], caption: str, table_id: str | None = None) -> html.Div:
    """A plain accessible HTML table (caption, th scope), in its scroll region."""
    table = html.Table(
        [
            html.Caption(caption),
            html.Thead(html.Tr([html.Th(h, scope="col") for h in headers])),
            html.Tbody([html.Tr([html.Td(cell) for cell in row]) for row in rows]),
        ],
        className="data-table",
        **optional(id=table_id),
    )
    return scroll_region(table, caption)


SEARCH_DEBOUNCE_S = 0.3


def search_box(input_id: str, label_text: str, placeholder: str, value: str = "") -> list:
    """A labelled search input that reports its value `SEARCH_DEBOUNCE_S` after typing stops."""
    return [
        html.Label(label_text, htmlFor=input_id),
        dcc.Input(
            id=input_id, type="search", placeholder=placeholder, debounce=SEARCH_DEBOUNCE_S, autoComplete="off",
            value=value,
        ),
    ]  # fmt: skip


def territory_search() -> html.Div:
    """The territory search: results as you type, Enter opens the first (see `submitted_text`)."""
    return html.Div(
        [
            *search_box("territory-search", t("territory_search"), t("territory_search_placeholder")),
            html.Ul(id="territory-results", className="search-results", **aria(live="polite")),
            dcc.Store(id="territory-submit"),
            dcc.Location(id="territory-nav", refresh="callback-nav"),
        ],
        className="territory-search no-print",
        id="territory-search-box",
    )


def match_note(kind: str, term: str, level: str) -> str:
    """How a search result was found: ' — commune, code postal 33400'; a name match says only the level."""
    if kind == "code":
        kind = "code_siren" if level == "epci" else "code_insee"
    return f" — {t(f'level1_{level}')}" + (f", {t(f'match_{kind}', term=term)}" if kind != "name" else "")


def territory_results(index: pd.DataFrame, text: str, href=None) -> list:
    """The territory search's result list: each a link (to its portrait, else `href(level, code)`)
    saying how it was found."""
    if not text.strip():
        return []
    found = search_territories(index, text)
    if found.empty:
        return [html.Li(t("territory_no_match", text=text))]
    href = href or (lambda level, code: urls.portrait(level, code))
    return [
        html.Li([dcc.Link(r.name, href=href(r.level, r.code)), match_note(r.kind, r.term, r.level)])
        for r in found.itertuples()
    ]


def first_result(index: pd.DataFrame, submitted: object):
    """The first search result for the text Enter submitted ({n, text}, see `submitted_text`), or None."""
    text = search_text(submitted.get("text") if isinstance(submitted, dict) else None)
    found = search_territories(index, text, limit=1) if text and text.strip() else index.iloc[0:0]
    return None if found.empty else found.iloc[0]


def submitted_text(app, input_id: str, store_id: str) -> None:
    """On Enter in `input_id`, write {n, text} to `store_id` with the box's current text: the
    debounced `value` may not have arrived yet when Enter is pressed. The answer waits out the
    debounce: Enter may open another page, and dcc.Input's pending timer throws once its box is gone."""
    wait_ms = round(SEARCH_DEBOUNCE_S * 1000) + 50
    app.clientside_callback(
        f"""function(n) {{
            var box = document.getElementById({input_id!r});
            var submitted = {{n: n, text: box ? box.value : ""}};
            return new Promise(function(resolve) {{ setTimeout(function() {{ resolve(submitted); }}, {wait_ms}); }});
        }}""",
        Output(store_id, "data"),
        Input(input_id, "n_submit"),
        prevent_initial_call=True,
    )


def territory_link(level: str, code: str, name: str) -> dcc.Link:
    return dcc.Link(name, href=urls.portrait(level, code))


def not_found(params: dict, what: str, choices: list[tuple[str, str]]) -> html.Div:
    """The friendly page for a bad URL: what was not found, and the nearest valid choices."""
    body = [
        html.H1(t("not_found_title")),
        html.P(t("not_found_intro", what=what), id="not-found"),
    ]
    if choices:
        body += [
            html.P(t("not_found_choices")),
            html.Ul([html.Li(dcc.Link(name, href=href)) for name, href in choices], className="choices"),
        ]
    body.append(html.P(dcc.Link(t("not_found_home"), href=with_query("/"))))
    return shell(params, body, "not-found")
