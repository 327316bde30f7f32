"""The public static site: the dashboard's own pages, rendered once to plain HTML.

`write_site` calls the layouts of `dashboard/pages` inside the app's context, turns
their Dash components into HTML, rewrites the app's URLs into relative file paths and
draws the figures with the copy of Plotly.js that the `plotly` package ships. There is
no server code and no outside host: any static host can serve the folder. Controls that
need the server (selectors) are left out; every page keeps its tables. The territory search
becomes a search in the browser over a small index of territories and indicators
(`recherche.json`, `site_assets/search.js`). `404.html` is the page static hosts serve for a
path they do not have.
"""

from __future__ import annotations

import copy
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
from urllib.parse import urlsplit

import dash
import pandas as pd
import plotly.io
from dash import dcc, html

from dashboard import assessment, figures, queries, urls
from dashboard.app import create_app, page_title
from dashboard.chrome import label, scroll_region, shell
from dashboard.context import CONFIG_KEY, db
from dashboard.i18n import FINALITIES, t
from dashboard.pages import carte, home, indicateur, methode, not_found_404, territoire
from dashboard.search import ABBREVIATIONS, LEVEL_RANK, normalise
from etl.publish import DATA_DIR

LANG = "fr"
ASSETS = "assets"
SEARCH_INDEX = "recherche.json"
NOT_FOUND_PAGE = "404.html"  # the name static hosts (GitHub Pages, Netlify, GitLab Pages) serve for a missing path
# ids left out: the server's controls; the portrait's comparisons (no such pages), its locator
# (the site draws its own) and its edition block (it names the file's date: the site is reproducible)
SERVER_ONLY = {
    "sheet-territories", "indicator-search", "print-button", "lang-switch", "compare-links", "portrait-locator",
    "fiche-edition",
}  # fmt: skip
VOID = {"area", "br", "col", "hr", "img", "input", "link", "meta", "source", "wbr"}
SKIPPED_PROPS = {"children", "n_clicks", "n_clicks_timestamp", "disable_n_clicks", "key", "loading_state"}
ATTRIBUTE = {"className": "class", "htmlFor": "for"}
GRAPH_CONFIG = {"displayModeBar": False, "responsive": True}
PAGE = """<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{title}</title>
{base}<link rel="stylesheet" href="{root}assets/style.css">
<style>{badges}</style>
</head>
<body>
<a class="skip-link" href="#main">Aller au contenu</a>
{body}
{scripts}</body>
</html>
"""


class FrozenDatabase(queries.Database):
    """The database while the site is written: the file does not change, so query results
    are kept, the least recently used dropped beyond `size` (each caller gets its own copy of
    a table, as layouts add columns)."""

    def __init__(self, path: Path, size: int = 2048) -> None:
        super().__init__(path)
        self._results = queries.ResultCache(size)

    def run(self, query, *args):
        if query is queries.indicator_series:  # a portrait draws every indicator for the same territories
            indicator_id, territories = args
            every = self.run(queries.territories_series, [tuple(t) for t in territories])
            one = every[every["indicator_id"] == indicator_id]
            return one.drop(columns="indicator_id").reset_index(drop=True)
        key = (query, repr(args))
        hit, found = self._results.get(key)
        if not hit:
            found = super().run(query, *args)
            self._results.put(key, found)
        return found.copy() if isinstance(found, pd.DataFrame) else copy.deepcopy(found)


# The site's file for each route of the app (urls.ROUTES); a route not listed has no file.
SITE_FILES = {
    "home": "index.html",
    "map": "carte.html",
    "method": "methode.html",
    "indicator": "indicateur/{indicator_id}.html",
    "portrait": "territoire/{level}/{code}.html",
    "download": DATA_DIR + "/{file_name}",
}


def file_path(href: str) -> tuple[str, str] | None:
    """The site file (and fragment) for one of the app's URLs; None for an outside link."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    route, values, query = urls.match(href) or ("", {}, {})
    if route == "map" and query.get("indicateur"):
        return f"indicateur/{query['indicateur'][0]}.html", "carte"
    if route in SITE_FILES:
        return SITE_FILES[route].format(**values), parts.fragment
    segments = [s for s in parts.path.split("/") if s]  # a page of the site alone (territoires)
    return (f"{segments[0]}.html" if len(segments) == 1 else "index.html"), parts.fragment


def relative_link(href: str, page: str) -> str:
    """`href` (an app URL) as a link from the site file `page`."""
    if href.startswith("#"):
        return href
    found = file_path(href)
    if found is None:
        return href
    target, fragment = found
    link = posixpath.relpath(target, posixpath.dirname(page) or ".")
    return f"{link}#{fragment}" if fragment else link


class Renderer:
    """Dash components to HTML for one site file (`page`, relative to the site root); `replace`
    puts other components, `raw` HTML of the site's own, in place of the components with those ids."""

    def __init__(self, page: str, replace: dict | None = None, raw: dict[str, str] | None = None) -> None:
        self.page = page
        self.replace = replace or {}
        self.raw = raw or {}
        self.dropped: set[str] = set()
        self.has_figures = False

    def render(self, node) -> str:
        self.dropped = set(self._server_only_ids(node))
        return self._html(node)

    def _server_only_ids(self, node) -> Iterator[str]:
        for component in _walk(node):
            ident = getattr(component, "id", None)
            if isinstance(ident, str) and (ident in SERVER_ONLY or _is_control(component)):
                yield ident

    def _html(self, node) -> str:
        if node is None or isinstance(node, bool):
            return ""
        if isinstance(node, (list, tuple)):
            return "".join(self._html(n) for n in node)
        if not isinstance(node, dash.development.base_component.Component):
            return html_text.escape(str(node), quote=False)
        props = node.to_plotly_json()["props"]
        ident = props.get("id")
        if isinstance(ident, str) and ident in self.replace:
            return self._html(self.replace[ident])
        if isinstance(ident, str) and ident in self.raw:
            return self.raw[ident]
        if (isinstance(ident, str) and ident in self.dropped) or props.get("htmlFor") in self.dropped:
            return ""
        children = self._html(props.get("children"))
        if node._namespace == "dash_core_components":
            return self._core(node._type, props, children)
        tag = node._type.lower()
        if tag == "button":  # nothing to press without the server: keep its words
            return children
        if tag == "a" and props.get("href"):
            props = {**props, "href": relative_link(props["href"], self.page)}
        opening = f"<{tag}{_attributes(props)}>"
        return opening if tag in VOID else f"{opening}{children}</{tag}>"

    def _core(self, kind: str, props: dict, children: str) -> str:
        if kind == "Link":
            return (
                f"<a{_attributes({**props, 'href': relative_link(props.get('href', '/'), self.page)})}>{children}</a>"
            )
        if kind == "Graph":
            if not (props.get("figure") or {}).get("data"):
                return ""  # no chart with empty axes: the page says why beside it
            self.has_figures = True
            return figure_html(props["id"], props.get("figure") or {}, props.get("config"), props.get("className"))
        return ""  # stores, locations and server-driven controls


def figure_html(ident: str, figure: dict, config: dict | None = None, class_name: str | None = None) -> str:
    """A div that assets/site.js fills with Plotly.js from the JSON beside it."""
    spec = {
        "data": figure.get("data", []),
        "layout": figure.get("layout", {}),
        "config": {**GRAPH_CONFIG, **(config or {})},
    }
    payload = plotly.io.to_json(spec, validate=False).replace("</", "<\\/")
    classes = " ".join(filter(None, ["graph", class_name]))
    return (
        f'<div id="{html_text.escape(ident)}" class="{classes}"><div class="js-figure" data-figure="{ident}-figure">'
        f'</div></div><script type="application/json" id="{ident}-figure">{payload}</script>'
    )


def _is_control(component) -> bool:
    return component._namespace == "dash_core_components" and component._type not in ("Link", "Graph")


def _walk(node) -> Iterator:
    if isinstance(node, (list, tuple)):
        for n in node:
            yield from _walk(n)
    elif isinstance(node, dash.development.base_component.Component):
        yield node
        yield from _walk(getattr(node, "children", None))


def _attributes(props: dict) -> str:
    parts = []
    for key, value in props.items():
        if key in SKIPPED_PROPS or value is None or value is False or (key == "id" and not isinstance(value, str)):
            continue
        name = ATTRIBUTE.get(key, key if key.startswith(("aria-", "data-")) else key.lower())
        if key == "style":
            value = "; ".join(f"{k}: {v}" for k, v in value.items())
        parts.append(f" {name}" if value is True else f' {name}="{html_text.escape(str(value), quote=True)}"')
    return "".join(parts)


def find(node, ident: str):
    """The component with id `ident` in a layout."""
    return next((c for c in _walk(node) if getattr(c, "id", None) == ident), None)


def append_to_main(layout, blocks: list) -> None:
    main = find(layout, "main")
    main.children = [*list(main.children), *[b for b in blocks if b is not None]]


def map_block(database, indicator_id: str, page: str) -> html.Section | None:
    """The indicator's map at its finest drawable level, latest year, with legend and full table."""
    view = carte.view(database, indicateur=indicator_id)
    if not isinstance(view, carte.MapView):
        return None
    drawn = carte.render(database, view, LANG, hover_text=True)
    figure = drawn.figure
    figure["data"][0]["geojson"] = relative_link(urls.download(f"territoires-{view.level}.geojson"), page)
    caption, rows = drawn.caption, drawn.rows
    return html.Section(
        [
            html.H2(caption, id="carte"),
            html.Div(
                [
                    html.Div(
                        dcc.Graph(id="map", figure=figure), className="map-box", role="img", **{"aria-label": caption}
                    ),  # fmt: skip
                    html.Div(drawn.legend, className="legend"),
                ],
                className="map-row",
            ),
            html.Details(
                [
                    html.Summary(t("table_title", LANG)),
                    scroll_region(
                        html.Table(
                            [html.Caption(caption), drawn.header, html.Tbody(rows)],
                            className="data-table",
                            id="map-table",
                        ),
                        caption,
                    ),
                ]
            ),
        ],
        className="table-section",
    )


def map_page(database) -> html.Div:
    """`carte.html`: the default indicator's map (as the dashboard opens it), then every other
    indicator's map, each on its sheet (the site has no server to switch values)."""
    view = carte.view(database)
    view = view if isinstance(view, carte.MapView) else None
    maps = [
        html.Li(dcc.Link(label(r, LANG), href=urls.map_view(LANG, indicateur=r.indicator_id)))
        for r in database.run(queries.list_indicators).itertuples()
        if (view is None or r.indicator_id != view.indicator) and carte.found(database, indicateur=r.indicator_id)
    ]
    children = [
        html.H1(t("map_title", LANG)),
        map_block(database, view.indicator, "carte.html") if view else None,
        html.Section([html.H2(t("site_other_maps", LANG)), html.Ul(maps, className="territory-index")]),
    ]
    return shell(LANG, {}, [c for c in children if c is not None], "carte")


def locator_block(database, level: str, code: str, page: str) -> html.Section | None:
    """Where the territory lies: its outline among its neighbours (for a commune, its EPCI's communes)."""
    geojson = database.geojson(level)
    codes = [f["id"] for f in geojson["features"]]
    if code not in codes:
        return None
    if level == "commune":
        codes = sorted(set(database.run(queries.epci_neighbours, code)) & set(codes) | {code})
    name = database.run(queries.territory_name, level, code)
    shown = {"type": "FeatureCollection", "features": [f for f in geojson["features"] if f["id"] in codes]}
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
    caption = t("locator_caption", LANG, name=name)
    return html.Section(
        [
            html.H2(t("locator_title", LANG)),
            html.Div(
                dcc.Graph(id="locator", figure={"data": [trace], "layout": layout}),
                className="map-box",
                role="img",
                **{"aria-label": caption},
            ),  # fmt: skip
            html.P(caption, className="muted"),
        ]
    )


def trends_block(database, level: str, code: str) -> html.Section | None:
    """A trend chart, with its table, for each indicator with at least two years for the territory."""
    catalogue = database.run(queries.catalogue)
    values = database.run(queries.territory_values, [(level, code)]).dropna(subset=["value"])
    years = values.groupby("indicator_id")["year"].nunique()
    order = {f: i for i, f in enumerate(FINALITIES)}
    rows = sorted(
        (r for r in catalogue.itertuples() if years.get(r.indicator_id, 0) >= 2),
        key=lambda r: (order.get(r.finality, 99), label(r, LANG)),
    )
    if not rows:
        return None
    blocks = [html.H2(t("trends_title", LANG))]
    for row in rows:
        figure, table = indicateur.trend_view(database, row.indicator_id, [f"{level}:{code}"], row, LANG)
        blocks += [
            html.H3(label(row, LANG)),
            dcc.Graph(id=f"trend-{row.indicator_id}", figure=figure),
            html.Details([html.Summary(t("values_by_year", LANG)), table]),
        ]
    return html.Section(blocks, className="trends")


def territories_index(database) -> html.Div:
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
                    html.H2(t(f"level_{level}", LANG)),  # as written: "Intercommunalités (EPCI)"
                    html.Ul(
                        [
                            html.Li(dcc.Link(f"{r.name} ({r.code})", href=urls.portrait(level, r.code, LANG)))
                            for r in found.itertuples()
                        ],  # fmt: skip
                        className="territory-index",
                    ),
                ]
            )
        )
    return shell(LANG, {}, [html.H1(t("territories_title", LANG)), *sections], "territories")


def site_search(prefix: str) -> str:
    """The search box of the site (`site_assets/search.js` fills its list), and the list of all territories."""
    attributes = {"data-index": prefix + SEARCH_INDEX, "data-root": prefix, "data-none": t("site_search_none", LANG)}
    data = "".join(f' {k}="{html_text.escape(v, quote=True)}"' for k, v in attributes.items())
    return (
        '<div class="territory-search site-search no-print" id="site-search-box">'
        f'<label for="site-search">{html_text.escape(t("site_search", LANG))}</label>'
        f'<input id="site-search" type="search" autocomplete="off" '
        f'placeholder="{html_text.escape(t("site_search_placeholder", LANG), quote=True)}"{data}>'
        '<ul id="site-search-results" class="search-results" aria-live="polite"></ul>'
        f'<p class="all-territories"><a href="{prefix}territoires.html">{html_text.escape(t("territories_all", LANG))}</a></p>'
        "</div>"
    )


def search_index(database) -> dict:
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
         "kind": t(f"level1_{r.level}", LANG), "note": f"{t(f'level1_{r.level}', LANG)}, {t(f'match_{r.kind}', LANG, term=r.term)}",
         "page": f"territoire/{r.level}/{r.code}.html", "words": normalise(r.term) if r.kind == "former" else ""}
        for r in also.itertuples()
    ] + [
        {"name": r.name, "code": r.code, "kind": t(f"level1_{r.level}", LANG), "page": f"territoire/{r.level}/{r.code}.html",
         "words": normalise(r.name)}
        for r in territories.itertuples()
    ]  # fmt: skip
    for row in database.run(queries.catalogue).itertuples():
        entries.append(
            {"name": label(row, LANG), "code": row.indicator_id, "kind": t("indicator_word", LANG),
             "page": f"indicateur/{row.indicator_id}.html", "words": normalise(f"{label(row, LANG)} {row.indicator_id}")}
        )  # fmt: skip
    return {"abbreviations": ABBREVIATIONS, "entries": entries}


def write_page(root: Path, page: str, layout, title: str, base_url: str | None = None) -> int:
    """Render `layout` to `root/page`; returns the bytes written. `base_url` makes its links
    absolute (the 404 page, which a host serves at any depth)."""
    prefix = posixpath.relpath(".", posixpath.dirname(page) or ".")
    prefix = "" if prefix == "." else prefix + "/"
    renderer = Renderer(page, raw={"territory-search-box": site_search(prefix)})
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
        title=html_text.escape(title), base=base, root=prefix, badges=assessment.badge_css(), body=body, scripts=scripts
    )
    data = document.encode("utf-8")
    target = root / page
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return len(data)


def pages(database) -> Iterator[tuple[str, Callable[[], object], str]]:
    """(site file, layout factory, title) of every page of the site."""
    territory = database.run(queries.build_territory)
    yield "index.html", lambda: home.layout(lang=LANG), page_title("", territory)
    yield "carte.html", lambda: map_page(database), page_title(f"{t('tab_carte', LANG)} — ", territory)
    yield "methode.html", lambda: methode.layout(lang=LANG), page_title(f"{t('tab_methode', LANG)} — ", territory)
    yield (
        "territoires.html",
        lambda: territories_index(database),
        page_title(f"{t('tab_territoires', LANG)} — ", territory),
    )
    yield NOT_FOUND_PAGE, lambda: not_found_404.layout(lang=LANG), page_title(f"{t('tab_404', LANG)} — ", territory)
    for row in database.run(queries.catalogue).itertuples():
        page = f"indicateur/{row.indicator_id}.html"

        def sheet(row=row, page=page):
            layout = indicateur.layout(indicator_id=row.indicator_id, lang=LANG)
            append_to_main(layout, [map_block(database, row.indicator_id, page) if row.has_values else None])
            return layout

        yield page, sheet, page_title(f"{label(row, LANG)} — ", territory)
    for r in database.run(queries.list_territories).itertuples():
        page = f"territoire/{r.level}/{r.code}.html"

        def portrait(r=r, page=page):
            layout = territoire.layout(level=r.level, code=r.code, lang=LANG)
            append_to_main(
                layout, [locator_block(database, r.level, r.code, page), trends_block(database, r.level, r.code)]
            )
            return layout

        yield page, portrait, page_title(f"{r.name} — ", territory)


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
    total = _render_pages(db_path, root, None)  # and the search index
    workers = max(1, min(workers or os.cpu_count() or 1, total // PAGES_PER_TASK + 1))
    tasks = [range(start, min(start + PAGES_PER_TASK, total)) for start in range(0, total, PAGES_PER_TASK)]
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


PAGES_PER_TASK = 40
_APP: dict = {}  # this process's app, over one version of one file


def _render_pages(db_path: Path, root: Path, which: range | None, base_url: str | None = None) -> int:
    """Render the pages numbered `which` of `pages()` (None: none, only count them and write
    the search index); `base_url`: see `write_site`."""
    key = (Path(db_path), queries.file_version(Path(db_path)))
    if key not in _APP:  # a new file, or the same path rebuilt: nothing kept from the old one
        _APP.clear()
        _APP[key] = create_app(Path(db_path), cache=False)
        _APP[key].server.config[CONFIG_KEY] = FrozenDatabase(Path(db_path))
    with _APP[key].server.app_context():
        listed = list(pages(db()))
        if which is None:
            index = json.dumps(search_index(db()), ensure_ascii=False, separators=(",", ":"))
            (root / SEARCH_INDEX).write_text(index + "\n", encoding="utf-8")
        for page, make, title in (listed[i] for i in which or ()):
            write_page(root, page, make(), title, base_url if page == NOT_FOUND_PAGE else None)
    return len(listed) if which is None else len(which)
