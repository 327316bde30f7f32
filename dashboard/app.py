"""Dash application: five pages over the DuckDB file built by the ETL, opened read-only.

`create_app` registers the pages of `dashboard/pages/` and their callbacks, the CSV
downloads and the HTTP hardening (`dashboard.hardening`); nothing reads the database
before a page is served. Each request reads one version of the file from start to end
(`dashboard.context`), and the next request after a rebuild (atomic swap) reads the new
one, without a restart.
"""

from __future__ import annotations

import functools
import logging
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dash
from dash import Input, Output, State
from flask import Response, abort, request

from dashboard import assessment, chrome, database, hardening, queries, urls
from dashboard.caching import install_cache
from dashboard.components import html
from dashboard.compression import install_compression
from dashboard.context import CONFIG_KEY, db, release_database, request_lang
from dashboard.i18n import Locale, localised, t, using
from dashboard.inputs import search_text
from dashboard.pages import carte, comparer, home, indicateur, methode, not_found_404, territoire
from itdd import export

log = logging.getLogger(__name__)

TITLE = Locale().t("site_title")
PAGES_FOLDER = Path(__file__).resolve().parent / "pages"
INDEX = """<!DOCTYPE html>
<html lang="fr">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
        <style>BADGE_CSS</style>
    </head>
    <body>
        <a class="skip-link" href="#main">Aller au contenu / Skip to content</a>
        {%app_entry%}
        <footer>
            {%config%}
            {%scripts%}
            {%renderer%}
        </footer>
    </body>
</html>"""


def page_title(prefix: str, territory: dict | None) -> str:
    """`Carte — Landes — itdd — indicateurs…`: the page, the build's territory, the site."""
    return f"{prefix}{territory['name'] + ' — ' if territory else ''}{t('site_title')}"


def _titled(tab: str | None = None) -> Callable[..., str]:
    """A page's title in the request's language (bound here: Dash asks for it apart from the
    layout), read from the database at each request (a rebuild may change territory): a
    portrait is named after its territory, a sheet after its indicator, other pages after
    `tab` (i18n `tab_<tab>`)."""

    def title(**path) -> str:
        with using(request_lang()):
            return _title(tab, **path)

    return title


def _title(tab: str | None, level: str = "", code: str = "", indicator_id: str = "", **_path) -> str:
    database = db()
    name = None
    if tab == "portrait" and isinstance(code, str):
        name = database.run(queries.territory_name, level, code)
    elif tab == "indicateur":
        found = database.run(queries.list_indicators)
        row = next(found[found["indicator_id"] == indicator_id].itertuples(), None)
        name = chrome.label(row) if row is not None else None
    prefix = f"{name or t(f'tab_{tab}')} — " if tab else ""
    return page_title(prefix, database.run(queries.build_territory))


def _register_pages(app: dash.Dash) -> None:
    pages = [
        (home, {"path": urls.ROUTES["home"], "title": _titled(), "order": 0}),
        (carte, {"path": urls.ROUTES["map"], "title": _titled("carte"), "order": 1}),
        (territoire, {"path_template": urls.ROUTES["portrait"], "title": _titled("portrait")}),
        (indicateur, {"path_template": urls.ROUTES["indicator"], "title": _titled("indicateur")}),
        (comparer, {"path_template": urls.ROUTES["compare"], "title": _titled("comparer")}),
        (methode, {"path": urls.ROUTES["method"], "title": _titled("methode"), "order": 2}),
        (not_found_404, {"path": urls.ROUTES["not_found"], "title": _titled("404")}),
    ]
    for module, options in pages:
        dash.register_page(module.__name__, layout=_first_values(module.layout), **options)
        if hasattr(module, "register_callbacks"):
            module.register_callbacks(app)


def _first_values(layout):
    """A page layout whose query values are text: a repeated parameter (a list) keeps its first value."""

    @functools.wraps(layout)
    def with_text_values(**params):
        params = _query_values(params)
        with using(params.pop("lang", None)):  # the page's language, bound once for its layout
            return layout(**params)

    return with_text_values


def _query_values(params: dict) -> dict:
    return {k: v[0] if isinstance(v, list) else v for k, v in params.items()}


def page_found(path: str, query: dict) -> bool:
    """Whether `path` (with its query) shows a page, rather than the not-found page: the HTTP status.

    A page module may define `found(database, **params)`, given the path's variables and the
    query values, as its layout would be.
    """
    page, variables = hardening.match_page(path)
    if page is None:
        return False
    found = getattr(sys.modules[page["module"]], "found", None)
    return found is None or found(db(), **{**variables, **_query_values(query)})


def _register_shared_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output("territory-results", "children"),
        Input("territory-search", "value"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    @localised
    def _search(text):
        text = search_text(text)
        if text is None:
            return dash.no_update
        return chrome.territory_results(db().run(queries.territory_search_index), text)

    chrome.submitted_text(app, "territory-search", "territory-submit")

    @app.callback(
        Output("territory-nav", "href"),
        Input("territory-submit", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    @localised
    def _open_first(submitted):
        """Enter in the territory search opens the first result's portrait."""
        first = chrome.first_result(db().run(queries.territory_search_index), submitted)
        if first is None:
            return dash.no_update
        return urls.portrait(first["level"], first["code"])


YEAR = re.compile(r"[0-9]{4}")  # ASCII digits only: str.isdigit() also accepts '²'
LEVELS = frozenset(queries.LEVEL_ORDER)


def download_filter(args: dict) -> tuple[str | None, int | None] | None:
    """The (level, year) a download asks for (`niveau`, `annee`; empty means all), or None if either is unknown."""
    level = args.get("niveau") or None
    year = args.get("annee") or None
    if level is not None and level not in LEVELS:
        return None
    if year is not None and not YEAR.fullmatch(year):
        return None
    return level, int(year) if year else None


def _register_downloads(app: dash.Dash) -> None:
    @app.server.route(urls.ROUTES["download"])
    def _download(file_name: str):
        """One indicator's values (itdd.export), optionally one level (niveau) and year (annee), in
        the format its name says: the open-data CSV, the French CSV or the workbook.

        A level or year without rows is not found (404), like an unknown indicator or format.
        """
        database = db()
        wanted, named = download_filter(request.args), export.parse_file_name(file_name)
        if wanted is None or named is None or named[0] not in set(database.run(queries.catalogue)["indicator_id"]):
            abort(404)
        (level, year), (indicator_id, fmt) = wanted, named
        rows = database.run(export.tidy_values, indicator_id, level, year)
        if rows.empty and (level or year):
            abort(404)
        try:
            body = database.run(export.download, rows, indicator_id, fmt)
        except export.ExportError as e:
            return Response(f"{e}\n", status=422, mimetype="text/plain")
        name = "_".join(filter(None, [indicator_id, level, year and str(year)]))
        return Response(
            body,
            mimetype=export.FORMATS[fmt].mimetype,
            headers={"Content-Disposition": hardening.content_disposition(export.file_name(name, fmt))},
        )


class _App(dash.Dash):
    def interpolate_index(self, *args: Any, **kwargs: Any) -> str:  # Dash passes keywords only
        # The served page names the build's territory; the router then sets the page's own title.
        page = super().interpolate_index(*args, **{**kwargs, "title": _titled()()})
        return page.replace('<html lang="fr">', f'<html lang="{request_lang()}">', 1)


def create_app(db_path: Path, cache: bool = True) -> dash.Dash:
    """Build the Dash app over `db_path`; the file is only read when pages are served.

    `cache` keeps the answers of callbacks and downloads per version of the file (`dashboard.caching`).
    """
    app = _App(
        __name__,
        title=TITLE,
        use_pages=True,
        pages_folder=str(PAGES_FOLDER),
        suppress_callback_exceptions=True,
        index_string=INDEX.replace("BADGE_CSS", assessment.badge_css()),
        add_log_handler=False,  # Dash's logs go where the process sends its own, once
    )
    app.server.config[CONFIG_KEY] = database.Database(db_path, database.SERVING_MEMORY_LIMIT)
    _register_pages(app)
    _register_shared_callbacks(app)
    _register_downloads(app)
    install_compression(app)  # first, so that it runs last: on the cache's answers too, never inside the cache
    if cache:  # its answers are kept after the hardening's headers and status are set
        install_cache(app, lambda: db().version)
    hardening.install(app, page_found)
    app.server.teardown_appcontext(release_database)
    app.layout = html.Div(dash.page_container)
    return app
