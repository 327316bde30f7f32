"""The public static site: the dashboard's own pages, rendered once to plain HTML.

The layouts of `dashboard/pages` are called inside the app's context, their Dash components
turned into HTML, the app's URLs rewritten into relative file paths, and the figures drawn with
the copy of Plotly.js that the `plotly` package ships. There is no server code and no outside
host: any static host can serve the folder. Controls that need the server (selectors) are left
out; every page keeps its tables. The territory search becomes a search in the browser over a
small index of territories and indicators (`recherche.json`, `site_assets/search.js`).
`404.html` is the page static hosts serve for a path they do not have. Every page is written in
French at the root and in English under `en/`, in the same layout, each linking to the other
(`site_html.py` turns components into HTML and URLs into links between files); the open data
and the assets are shared. Portraits read their data by batch (`site_data.py`).
`site_pool.write_site` runs this module's `prepare` and `render_pages` in rendering processes.
"""

from __future__ import annotations

import gc
import html as html_text
import json
import posixpath
import shutil
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import cast

from dashboard import assessment, database, queries
from dashboard.app import create_app, page_title
from dashboard.chrome import footer, label
from dashboard.context import CONFIG_KEY, db
from dashboard.i18n import LANGS, current_lang, other_lang, t, using
from dashboard.pages import home, indicateur, methode, not_found_404, territoire
from dashboard.site_data import FrozenDatabase
from dashboard.site_html import (  # noqa: F401 (file_path, find: the site's API, used by tests)
    Renderer,
    append_to_main,
    file_path,
    find,
    lang_folder,
    page_lang,
    relative_path,
)
from dashboard.site_pages import locator_block, map_block, map_page, territories_index, trends_block
from dashboard.site_search import SEARCH_INDEX, search_index, site_search

ASSETS = "assets"
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


def _up(page: str, folder: str = "") -> str:
    """The relative path from the site file `page` to `folder` (the site's root by default), "" or ending in "/"."""
    prefix = relative_path(folder, posixpath.dirname(page))
    return "" if prefix == "." else prefix + "/"


def language_link(page: str) -> str:
    """The header's link to the same page in the other language."""
    lang = page_lang(page)
    other = other_lang()
    target = lang_folder(other) + page.removeprefix(lang_folder(lang))
    href = relative_path(target, posixpath.dirname(page))
    return (
        f'<a href="{html_text.escape(href, quote=True)}" id="lang-switch" class="lang-switch" '
        f'title="{html_text.escape(t("switch_title"), quote=True)}" lang="{other}" hreflang="{other}">'
        f"{html_text.escape(t('switch_label'))}</a>"
    )


def write_page(root: Path, page: str, layout, title: str, base_url: str | None = None) -> int:
    """Render `layout` to `root/page` (its language from its folder: `en/` English, else French);
    returns the bytes written. `base_url` makes its links absolute (the 404 page, which a host
    serves at any depth)."""
    lang = page_lang(page)
    prefix = _up(page)
    raw = {
        "territory-search-box": site_search(_up(page, lang_folder(lang))),
        "lang-switch": language_link(page),
        "sources": db().derived(_footer_html, posixpath.dirname(page)),
    }
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
        lang=lang, title=html_text.escape(title), base=base, root=prefix, skip=html_text.escape(t("skip_link")),
        badges=assessment.badge_css(), body=body, scripts=scripts,
    )  # fmt: skip
    data = document.encode("utf-8")
    target = root / page
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return len(data)


def _footer_html(_database, folder: str) -> str:
    """The footer's HTML, the same on every page of a folder (its language, its links)."""
    return Renderer(posixpath.join(folder, "index.html")).render(footer())


def pages(database) -> Iterator[tuple[str, Callable[[], object], str]]:
    """(site file, layout factory, title) of every page of the site in the bound language
    (English under `en/`); a factory is called with its page's locale bound (`render_pages`)."""
    territory = database.run(queries.build_territory)
    folder = lang_folder(current_lang())

    def title(prefix: str) -> str:
        return page_title(prefix, territory)

    yield folder + "index.html", lambda: home.layout(), title("")
    yield folder + "carte.html", lambda: map_page(database), title(f"{t('tab_carte')} — ")
    yield folder + "methode.html", lambda: methode.layout(), title(f"{t('tab_methode')} — ")
    yield (
        folder + "territoires.html",
        lambda: territories_index(database),
        title(f"{t('tab_territoires')} — "),
    )
    yield folder + NOT_FOUND_PAGE, lambda: not_found_404.layout(), title(f"{t('tab_404')} — ")
    for row in database.run(queries.catalogue).itertuples():
        page = f"{folder}indicateur/{row.indicator_id}.html"

        def sheet(row=row, page=page):
            layout = indicateur.layout(indicator_id=row.indicator_id)
            append_to_main(layout, [map_block(database, row.indicator_id, page) if row.has_values else None])
            return layout

        yield page, sheet, title(f"{label(row)} — ")
    for r in database.run(queries.list_territories).itertuples():
        page = f"{folder}territoire/{r.level}/{r.code}.html"

        def portrait(r=r, page=page):
            layout = territoire.layout(level=r.level, code=r.code)
            blocks = [
                locator_block(database, r.level, r.code, page),
                trends_block(database, r.level, r.code),
            ]
            append_to_main(layout, blocks)
            return layout

        yield page, portrait, title(f"{r.name} — ")


def prepare(db_path: Path, root: Path) -> list[list[int]]:
    """Write the site's assets and search indexes under `root`; returns the pages to render, as
    tasks (lists of page numbers in `pages()` order, both languages, for `render_pages`).

    Both languages of a page go to the same task: they read the same rows (one prefetch, cached
    results). Portraits go by code: a task's territories lie in few row groups of the tables,
    which are stored by indicator, level and code, so that DuckDB skips the others."""
    assets = root / ASSETS
    assets.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(Path(__file__).parent / "assets" / "style.css", assets / "style.css")
    for script in ("site.js", "search.js"):
        shutil.copyfile(Path(__file__).parent / "site_assets" / script, assets / script)
    with resources.as_file(resources.files("plotly") / "package_data" / "plotly.min.js") as plotly_js:
        shutil.copyfile(plotly_js, assets / "plotly.min.js")
    listed = _site_pages(db_path, root)  # and the search index
    total = len(listed)
    first: dict[str, int] = {}
    for i, page in enumerate(listed):
        first.setdefault(_without_lang(page), i)
    order = sorted(range(total), key=lambda i: (_territory(listed[i]) or ("", ""), first[_without_lang(listed[i])], i))
    size = max(PAGES_PER_TASK, -(-total // MAX_TASKS))
    return [order[start : start + size] for start in range(0, total, size)]


PAGES_PER_TASK = 80  # at least; more in a bigger site, so that there are at most MAX_TASKS
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


def start_worker(db_path: Path) -> None:
    """A rendering process: its app created, then what it keeps for the whole run set aside from
    the garbage collector (`gc.freeze`), which then collects once after each task (`render_pages`)
    rather than during its pages: a page makes and drops thousands of components, and the
    collections that walk what a process holds were about a quarter of the rendering time
    (Gironde in one process: 95 CPU s, 67 with the collector frozen and rarer). Pages make
    little cyclic garbage (memory the same without collecting), and a task bounds it."""
    _database(db_path)
    gc.collect()
    gc.freeze()
    gc.disable()


def _listed() -> list[tuple[str, Callable[[], object], str]]:
    listed: list[tuple[str, Callable[[], object], str]] = []
    for lang in LANGS:
        with using(lang):  # the titles; the layouts are made later, in their own page's locale
            listed += pages(db())
    return listed


def _site_pages(db_path: Path, root: Path) -> list[str]:
    """The site's files, in order; writes the search index of each language."""
    with _database(db_path).server.app_context():
        for lang in LANGS:
            with using(lang):
                index = json.dumps(search_index(db()), ensure_ascii=False, separators=(",", ":"))
            (root / lang_folder(lang)).mkdir(parents=True, exist_ok=True)
            (root / lang_folder(lang) / SEARCH_INDEX).write_text(index + "\n", encoding="utf-8")
        return [page for page, _, _ in _listed()]


def render_pages(db_path: Path, root: Path, which: list[int], base_url: str | None = None) -> int:
    """Render the pages numbered `which` of `pages()`; returns how many. `base_url`, the site's
    public address, makes the links of the 404 page absolute: a host serves it for a missing
    path at any depth, where links relative to the root would break."""
    with _database(db_path).server.app_context():
        listed = _listed()
        chosen = [listed[i] for i in which]
        cast(FrozenDatabase, db()).prefetch(
            list(dict.fromkeys(_territory(page) for page, _, _ in chosen if _territory(page)))
        )
        for page, make, title in chosen:
            with using(page_lang(page)):
                write_page(root, page, make(), title, base_url if page == NOT_FOUND_PAGE else None)
    if not gc.isenabled():  # a rendering process (`start_worker`)
        gc.collect()
    return len(which)


def _territory(page: str) -> tuple[str, str] | None:
    """The (level, code) of a portrait's file, in any language; None for another page."""
    parts = _without_lang(page).removesuffix(".html").split("/")
    return (parts[1], parts[2]) if len(parts) == 3 and parts[0] == "territoire" else None
