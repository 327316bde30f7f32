"""Dash application: five pages over the DuckDB file built by the ETL, opened read-only.

`create_app` registers the pages of `dashboard/pages/` and their callbacks;
nothing reads the database before a page is served, and every request opens
the file again, so a rebuild (atomic swap) shows without a restart.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import dash
from dash import Input, Output, State, html
from flask import Response, abort, request

from dashboard import assessment, chrome, queries
from dashboard.context import CONFIG_KEY, db
from dashboard.i18n import t
from dashboard.pages import carte, home, indicateur, methode, not_found_404, territoire
from dashboard.search import search_territories
from etl import export

log = logging.getLogger(__name__)

TITLE = "itdd — indicateurs territoriaux de développement durable"
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
    return f"{prefix}{territory['name'] + ' — ' if territory else ''}{TITLE}"


def _titled(prefix: str = "") -> Callable[..., str]:
    """A page title read from the database at each request (a rebuild may change territory)."""
    return lambda **_path: page_title(prefix, db().run(queries.build_territory))


def _register_pages(app: dash.Dash) -> None:
    pages = [
        (home, {"path": home.PATH, "title": _titled(), "order": 0}),
        (carte, {"path": carte.PATH, "title": _titled("Carte — "), "order": 1}),
        (territoire, {"path_template": territoire.PATH_TEMPLATE, "title": _titled("Portrait — ")}),
        (indicateur, {"path_template": indicateur.PATH_TEMPLATE, "title": _titled("Indicateur — ")}),
        (methode, {"path": methode.PATH, "title": _titled("Méthode — "), "order": 2}),
        (not_found_404, {"path": "/404", "title": _titled("Page introuvable — ")}),
    ]
    for module, options in pages:
        dash.register_page(module.__name__, layout=module.layout, **options)
        if hasattr(module, "register_callbacks"):
            module.register_callbacks(app)


def _register_shared_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output("territory-results", "children"),
        Input("territory-search", "value"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    def _search(text, lang):
        if not (text or "").strip():
            return []
        found = search_territories(db().run(queries.list_territories), text)
        if found.empty:
            return [html.Li(t("territory_no_match", lang, text=text))]
        return [
            html.Li([chrome.territory_link(r.level, r.code, r.name, lang), f" — {t(f'level1_{r.level}', lang)}"])
            for r in found.itertuples()
        ]


def _register_downloads(app: dash.Dash) -> None:
    @app.server.route("/telecharger/<indicator_id>.csv")
    def _download(indicator_id: str):
        """The published CSV of one indicator (etl.export), optionally one level (niveau) and year (annee)."""
        database = db()
        if indicator_id not in set(database.run(queries.catalogue)["indicator_id"]):
            abort(404)
        level = request.args.get("niveau") or None
        year = int(request.args["annee"]) if request.args.get("annee", "").isdigit() else None
        rows = database.run(export.tidy_values, indicator_id, level, year)
        name = "_".join(filter(None, [indicator_id, level, year and str(year)]))
        return Response(
            export.csv_text(rows),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )


class _App(dash.Dash):
    def interpolate_index(self, **kwargs) -> str:
        # The served page names the build's territory; the router then sets the page's own title.
        return super().interpolate_index(**{**kwargs, "title": _titled()()})


def create_app(db_path: Path) -> dash.Dash:
    """Build the Dash app over `db_path`; the file is only read when pages are served."""
    app = _App(
        __name__,
        title=TITLE,
        use_pages=True,
        pages_folder=str(PAGES_FOLDER),
        suppress_callback_exceptions=True,
        index_string=INDEX.replace("BADGE_CSS", assessment.badge_css()),
    )
    app.server.config[CONFIG_KEY] = queries.Database(db_path)
    _register_pages(app)
    _register_shared_callbacks(app)
    _register_downloads(app)
    app.layout = html.Div(dash.page_container)
    return app


def serve(db_path: Path, host: str = "127.0.0.1", port: int = 8050) -> None:
    """Run the development server (read-only over `db_path`)."""
    log.info("serving %s on http://%s:%d/", db_path, host, port)
    create_app(Path(db_path)).run(host=host, port=port, debug=False)
