"""The public static site: the dashboard's own pages, rendered once to plain HTML.

`write_site` calls the layouts of `dashboard/pages` inside the app's context, turns
their Dash components into HTML, rewrites the app's URLs into relative file paths and
draws the figures with the copy of Plotly.js that the `plotly` package ships. There is
no server code and no outside host: any static host can serve the folder. Controls that
need the server (selectors) are left out; every page keeps its tables. The territory search
becomes a search in the browser over a small index of territories and indicators
(`recherche.json`, `site_assets/search.js`). `404.html` is the page static hosts serve for a
path they do not have. Every page is written in French at the root and in English under `en/`,
in the same layout, each linking to the other (`site_html.py` turns components into HTML and
URLs into links between files); the open data and the assets are shared. Portraits read their
data by batch (`site_data.py`).
"""

from __future__ import annotations

import html as html_text
import json
import multiprocessing
import os
import posixpath
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from importlib import resources
from itertools import repeat
from pathlib import Path
from typing import cast

from dash import dcc, html

from dashboard import assessment, database, figures, queries, urls
from dashboard.app import create_app, page_title
from dashboard.attributes import aria
from dashboard.chrome import label, scroll_region, shell
from dashboard.context import CONFIG_KEY, db
from dashboard.i18n import FINALITIES, LANGS, other_lang, t
from dashboard.pages import carte, home, indicateur, methode, not_found_404, territoire
from dashboard.search import ABBREVIATIONS, LEVEL_RANK, normalise
from dashboard.site_data import FrozenDatabase
from dashboard.site_html import (  # noqa: F401 (file_path, find: the site's API, used by tests)
    Renderer,
    append_to_main,
    file_path,
    find,
    lang_folder,
    page_lang,
    relative_link,
)
from itdd import export

ASSETS = "assets"
SEARCH_INDEX = "recherche.json"
PAGE = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{title}</title>
{base}<link rel="stylesheet" href="{root}assets/style.css">
<style>{badges}</style>
</head>
<body>
<a class="skip-link" href="#main">{skip}</a>
{body}
{scripts}</body>
</html>
"""
NOT_FOUND_PAGE = "404.html"  # the name static hosts (GitHub Pages, Netlify, GitLab Pages) serve for a missing path


def map_block(database, indicator_id: str, page: str, lang: str) -> html.Section | None:
    """The indicator's map at its finest drawable level, latest year, with its legend and the first
    rows of its table by rank (as the dashboard's first page), with links to every value's files:
    no table of every territory (35,000 communes at national size)."""
    view = carte.view(database, indicateur=indicator_id)
    if not isinstance(view, carte.MapView):
        return None
    drawn = carte.render(database, view, lang, page_size=carte.PAGE_SIZE, hover_text=True)
    figure, caption, rows = drawn.figure, drawn.caption, drawn.rows
    figure["data"][0]["geojson"] = relative_link(urls.download(f"territoires-{view.level}.geojson"), page)
    files = [
        html.A(
            t(f"download_{fmt}", lang), href=urls.download(export.file_name(indicator_id, fmt)), className="download"
        )
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
                    html.Summary(t("table_title", lang)),
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
                            t("site_table_first", lang, n=len(rows), total=len(drawn.state["codes"])),
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


def map_page(database, lang: str = "fr") -> html.Div:
    """`carte.html`: the default indicator's map (as the dashboard opens it), then every other
    indicator's map, each on its sheet (the site has no server to switch values)."""
    view = carte.view(database)
    view = view if isinstance(view, carte.MapView) else None
    maps = [
        html.Li(dcc.Link(label(r, lang), href=urls.map_view(lang, indicateur=r.indicator_id)))
        for r in database.run(queries.list_indicators).itertuples()
        if (view is None or r.indicator_id != view.indicator) and carte.found(database, indicateur=r.indicator_id)
    ]
    children = [
        html.H1(t("map_title", lang)),
        map_block(database, view.indicator, lang_folder(lang) + "carte.html", lang) if view else None,
        html.Section([html.H2(t("site_other_maps", lang)), html.Ul(maps, className="territory-index")]),
    ]
    return shell(lang, {}, [c for c in children if c is not None], "carte")


def locator_block(database, level: str, code: str, page: str, lang: str) -> html.Section | None:
    """Where the territory lies: its outline among its neighbours (for a commune, its EPCI's communes)."""
    features, position = database.geojson(level)["features"], database.feature_positions(level)
    if code not in position:
        return None
    codes = list(position)  # the whole level, but a commune among its EPCI's communes
    if level == "commune":
        codes = sorted(set(database.run(queries.epci_neighbours, code)) & position.keys() | {code})
    name = database.run(queries.territory_name, level, code)
    shown = {"type": "FeatureCollection", "features": [features[i] for i in sorted(position[c] for c in codes)]}
    trace = {
        "type": "choroplethmap",
        "geojson": relative_link(urls.download(f"territoires-{level}.geojson"), page),
        "featureidkey": "id",
        "locations": codes,
        "z": [1 if c == code else 0 for c in codes],
        "text": [f["properties"]["name"] for f in shown["features"]],
        "colorscale": [[0, figures.MISSING_COLOUR], [1, "#2c7bb6"]],
        "showscale": False,
        "hovertemplate": "%{text}<extra></extra>",
        "marker": {"line": {"width": 0.6, "color": "#ffffff"}},
    }
    layout = {"map": {"style": "white-bg", **figures.map_view(shown)}, "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
              "height": 320}  # fmt: skip
    caption = t("locator_caption", lang, name=name)
    return html.Section(
        [
            html.H2(t("locator_title", lang)),
            html.Div(
                dcc.Graph(id="locator", figure={"data": [trace], "layout": layout}),
                className="map-box",
                role="img",
                **aria(label=caption),
            ),  # fmt: skip
            html.P(caption, className="muted"),
        ]
    )


def trends_block(database, level: str, code: str, lang: str) -> html.Section | None:
    """A trend chart, with its table, for each indicator with at least two years for the territory."""
    catalogue = database.run(queries.catalogue)
    values = database.run(queries.territory_values, [(level, code)]).dropna(subset=["value"])
    years = values.groupby("indicator_id")["year"].nunique()
    order = {f: i for i, f in enumerate(FINALITIES)}
    rows = sorted(
        (r for r in catalogue.itertuples() if years.get(r.indicator_id, 0) >= 2),
        key=lambda r: (order.get(r.finality, 99), label(r, lang)),
    )
    if not rows:
        return None
    blocks: list = [html.H2(t("trends_title", lang))]
    for row in rows:
        figure, table = indicateur.trend_view(database, row.indicator_id, [f"{level}:{code}"], row, lang)
        blocks += [
            html.H3(label(row, lang)),
            dcc.Graph(id=f"trend-{row.indicator_id}", figure=figure),
            html.Details([html.Summary(t("values_by_year", lang)), table]),
        ]
    return html.Section(blocks, className="trends")


def territories_index(database, lang: str = "fr") -> html.Div:
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
                    html.H2(t(f"level_{level}", lang)),  # as written: "Intercommunalités (EPCI)"
                    html.Ul(
                        [
                            html.Li(dcc.Link(f"{r.name} ({r.code})", href=urls.portrait(level, r.code, lang)))
                            for r in found.itertuples()
                        ],  # fmt: skip
                        className="territory-index",
                    ),
                ]
            )
        )
    return shell(lang, {}, [html.H1(t("territories_title", lang)), *sections], "territories")


def site_search(prefix: str, lang: str = "fr") -> str:
    """The search box of the site (`site_assets/search.js` fills its list), and the list of all territories."""
    attributes = {"data-index": prefix + SEARCH_INDEX, "data-root": prefix, "data-none": t("site_search_none", lang)}
    data = "".join(f' {k}="{html_text.escape(v, quote=True)}"' for k, v in attributes.items())
    return (
        '<div class="territory-search site-search no-print" id="site-search-box">'
        f'<label for="site-search">{html_text.escape(t("site_search", lang))}</label>'
        f'<input id="site-search" type="search" autocomplete="off" '
        f'placeholder="{html_text.escape(t("site_search_placeholder", lang), quote=True)}"{data}>'
        '<ul id="site-search-results" class="search-results" aria-live="polite"></ul>'
        f'<p class="all-territories"><a href="{prefix}territoires.html">{html_text.escape(t("territories_all", lang))}</a></p>'
        "</div>"
    )


def search_index(database, lang: str = "fr") -> dict:
    """What the site's search reads: each territory and indicator with its page and its words
    normalised as the dashboard's search does (`dashboard.search.normalise`, whose abbreviations
    the script applies to what is typed)."""
    territories = database.run(queries.list_territories)
    territories = territories.assign(rank=territories["level"].map(LEVEL_RANK).fillna(9)).sort_values(
        "rank", kind="stable"
    )  # départements and EPCI before communes; names stay in French order
    # Postcodes and former names, where the build has them: each an entry of its own, saying how it matched.
    also = database.run(queries.territory_search_index)
    also = also[also["kind"].isin(["postcode", "former"])]
    # First, as on the dashboard: "33400" is Talence's postcode before it is Saint-Ferme's INSEE code.
    entries = [
        {"name": r.name, "code": r.term if r.kind == "postcode" else r.code,
         "kind": t(f"level1_{r.level}", lang), "note": f"{t(f'level1_{r.level}', lang)}, {t(f'match_{r.kind}', lang, term=r.term)}",
         "page": f"territoire/{r.level}/{r.code}.html", "words": normalise(r.term) if r.kind == "former" else ""}
        for r in also.itertuples()
    ] + [
        {"name": r.name, "code": r.code, "kind": t(f"level1_{r.level}", lang), "page": f"territoire/{r.level}/{r.code}.html",
         "words": normalise(r.name)}
        for r in territories.itertuples()
    ]  # fmt: skip
    for row in database.run(queries.catalogue).itertuples():
        entries.append(
            {"name": label(row, lang), "code": row.indicator_id, "kind": t("indicator_word", lang),
             "page": f"indicateur/{row.indicator_id}.html", "words": normalise(f"{label(row, lang)} {row.indicator_id}")}
        )  # fmt: skip
    return {"abbreviations": ABBREVIATIONS, "entries": entries}


def _up(page: str, folder: str = "") -> str:
    """The relative path from the site file `page` to `folder` (the site's root by default), "" or ending in "/"."""
    prefix = posixpath.relpath(folder or ".", posixpath.dirname(page) or ".")
    return "" if prefix == "." else prefix + "/"


def language_link(page: str) -> str:
    """The header's link to the same page in the other language."""
    lang = page_lang(page)
    other = other_lang(lang)
    target = lang_folder(other) + page.removeprefix(lang_folder(lang))
    href = posixpath.relpath(target, posixpath.dirname(page) or ".")
    return (
        f'<a href="{html_text.escape(href, quote=True)}" id="lang-switch" class="lang-switch" '
        f'title="{html_text.escape(t("switch_title", lang), quote=True)}" lang="{other}" hreflang="{other}">'
        f"{html_text.escape(t('switch_label', lang))}</a>"
    )


def write_page(root: Path, page: str, layout, title: str, base_url: str | None = None) -> int:
    """Render `layout` to `root/page` (its language from its folder: `en/` English, else French);
    returns the bytes written. `base_url` makes its links absolute (the 404 page, which a host
    serves at any depth)."""
    lang = page_lang(page)
    prefix = _up(page)
    raw = {"territory-search-box": site_search(_up(page, lang_folder(lang)), lang), "lang-switch": language_link(page)}
    renderer = Renderer(page, raw=raw)
    body = renderer.render(layout)
    scripts = (
        f'<script src="{prefix}{ASSETS}/plotly.min.js"></script>\n<script src="{prefix}{ASSETS}/site.js"></script>\n'
        if renderer.has_figures
        else ""
    )
    if 'id="site-search"' in body:
        scripts += f'<script src="{prefix}{ASSETS}/search.js"></script>\n'
    base = f'<base href="{html_text.escape(base_url.rstrip("/") + "/", quote=True)}">\n' if base_url else ""
    document = PAGE.format(
        lang=lang, title=html_text.escape(title), base=base, root=prefix, skip=html_text.escape(t("skip_link", lang)),
        badges=assessment.badge_css(), body=body, scripts=scripts,
    )  # fmt: skip
    data = document.encode("utf-8")
    target = root / page
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return len(data)


def pages(database, lang: str = "fr") -> Iterator[tuple[str, Callable[[], object], str]]:
    """(site file, layout factory, title) of every page of the site in `lang` (English under `en/`)."""
    territory = database.run(queries.build_territory)
    folder = lang_folder(lang)

    def title(prefix: str) -> str:
        return page_title(prefix, territory, lang)

    yield folder + "index.html", lambda: home.layout(lang=lang), title("")
    yield folder + "carte.html", lambda: map_page(database, lang), title(f"{t('tab_carte', lang)} — ")
    yield folder + "methode.html", lambda: methode.layout(lang=lang), title(f"{t('tab_methode', lang)} — ")
    yield (
        folder + "territoires.html",
        lambda: territories_index(database, lang),
        title(f"{t('tab_territoires', lang)} — "),
    )
    yield folder + NOT_FOUND_PAGE, lambda: not_found_404.layout(lang=lang), title(f"{t('tab_404', lang)} — ")
    for row in database.run(queries.catalogue).itertuples():
        page = f"{folder}indicateur/{row.indicator_id}.html"

        def sheet(row=row, page=page):
            layout = indicateur.layout(indicator_id=row.indicator_id, lang=lang)
            append_to_main(layout, [map_block(database, row.indicator_id, page, lang) if row.has_values else None])
            return layout

        yield page, sheet, title(f"{label(row, lang)} — ")
    for r in database.run(queries.list_territories).itertuples():
        page = f"{folder}territoire/{r.level}/{r.code}.html"

        def portrait(r=r, page=page):
            layout = territoire.layout(level=r.level, code=r.code, lang=lang)
            blocks = [
                locator_block(database, r.level, r.code, page, lang),
                trends_block(database, r.level, r.code, lang),
            ]
            append_to_main(layout, blocks)
            return layout

        yield page, portrait, title(f"{r.name} — ")


def write_site(
    db_path: Path,
    root: Path,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
    base_url: str | None = None,
) -> int:
    """Write every page and asset of the site under `root`; returns the number of pages.

    Pages are rendered by `workers` processes (default: one per core), each with its own
    connection and cache; a page depends only on the database, so the bytes do not depend on
    how many there are. `base_url`, the site's public address, makes the links of the
    404 page absolute: a host serves it for a missing path at any depth, where links relative
    to the root would break."""
    assets = root / ASSETS
    assets.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(Path(__file__).parent / "assets" / "style.css", assets / "style.css")
    for script in ("site.js", "search.js"):
        shutil.copyfile(Path(__file__).parent / "site_assets" / script, assets / script)
    with resources.as_file(resources.files("plotly") / "package_data" / "plotly.min.js") as plotly_js:
        shutil.copyfile(plotly_js, assets / "plotly.min.js")
    listed = _site_pages(db_path, root)  # and the search index
    total = len(listed)
    # Both languages of a page in the same task: they read the same rows (one prefetch, cached
    # results). Portraits by code: a task's territories lie in few row groups of the tables,
    # which are stored by indicator, level and code, so that DuckDB skips the others.
    first: dict[str, int] = {}
    for i, page in enumerate(listed):
        first.setdefault(_without_lang(page), i)
    order = sorted(range(total), key=lambda i: (_territory(listed[i]) or ("", ""), first[_without_lang(listed[i])], i))
    size = max(PAGES_PER_TASK, -(-total // MAX_TASKS))
    tasks = [order[start : start + size] for start in range(0, total, size)]
    workers = max(1, min(workers or os.cpu_count() or 1, len(tasks)))
    done = 0
    if workers == 1:
        for task in tasks:
            done += _render_pages(db_path, root, task, base_url)
            if progress:
                progress(done, total)
        return total
    # spawn, not fork: the parent's libraries (DuckDB) must not be copied mid-state
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        for written in pool.map(_render_pages, repeat(db_path), repeat(root), tasks, repeat(base_url)):
            done += written
            if progress:
                progress(done, total)
    return total


PAGES_PER_TASK = 40  # at least; more in a bigger site, so that there are at most MAX_TASKS
MAX_TASKS = 200  # each task's prefetch reads the tables once: their number bounds the scans
_APP: dict = {}  # this process's app, over one version of one file


def _without_lang(page: str) -> str:
    """A site file's path from its language's folder: the same for every language."""
    return page.removeprefix(lang_folder(page_lang(page)))


def _database(db_path: Path):
    """This process's app (created once per version of the file), for `app_context`."""
    key = (Path(db_path), database.file_version(Path(db_path)))
    if key not in _APP:  # a new file, or the same path rebuilt: nothing kept from the old one
        _APP.clear()
        _APP[key] = create_app(Path(db_path), cache=False)
        _APP[key].server.config[CONFIG_KEY] = FrozenDatabase(Path(db_path))
    return _APP[key]


def _listed() -> list[tuple[str, Callable[[], object], str]]:
    return [page for lang in LANGS for page in pages(db(), lang)]


def _site_pages(db_path: Path, root: Path) -> list[str]:
    """The site's files, in order; writes the search index of each language."""
    with _database(db_path).server.app_context():
        for lang in LANGS:
            index = json.dumps(search_index(db(), lang), ensure_ascii=False, separators=(",", ":"))
            (root / lang_folder(lang)).mkdir(parents=True, exist_ok=True)
            (root / lang_folder(lang) / SEARCH_INDEX).write_text(index + "\n", encoding="utf-8")
        return [page for page, _, _ in _listed()]


def _render_pages(db_path: Path, root: Path, which: list[int], base_url: str | None = None) -> int:
    """Render the pages numbered `which` of `pages()`; `base_url`: see `write_site`."""
    with _database(db_path).server.app_context():
        listed = _listed()
        chosen = [listed[i] for i in which]
        cast(FrozenDatabase, db()).prefetch(
            list(dict.fromkeys(_territory(page) for page, _, _ in chosen if _territory(page)))
        )
        for page, make, title in chosen:
            write_page(root, page, make(), title, base_url if page == NOT_FOUND_PAGE else None)
    return len(which)


def _territory(page: str) -> tuple[str, str] | None:
    """The (level, code) of a portrait's file, in any language; None for another page."""
    parts = _without_lang(page).removesuffix(".html").split("/")
    return (parts[1], parts[2]) if len(parts) == 3 and parts[0] == "territoire" else None
