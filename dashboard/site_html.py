"""The static site's HTML: Dash components rendered to plain HTML, and the app's URLs
rewritten into relative paths between the site's files (French at the root, English under
`en/`, with the same layout)."""

from __future__ import annotations

import functools
import html as html_text
import posixpath
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import plotly.io
from dash.development.base_component import Component

from dashboard import urls
from dashboard.i18n import DEFAULT_LANG, normalise_lang
from itdd.export import DATA_DIR

# ids left out: the server's controls. What a portrait shows only on the server (its comparisons,
# locator and edition) is not made for the site at all (`database.static`).
SERVER_ONLY = {"sheet-territories", "indicator-search", "print-button", "lang-switch"}
VOID = {"area", "br", "col", "hr", "img", "input", "link", "meta", "source", "wbr"}
SKIPPED_PROPS = {"children", "n_clicks", "n_clicks_timestamp", "disable_n_clicks", "key", "loading_state"}
ATTRIBUTE = {"className": "class", "htmlFor": "for"}
GRAPH_CONFIG = {"displayModeBar": False, "responsive": True}


def lang_folder(lang: str) -> str:
    """Where the pages of `lang` are, from the site's root: "" (French) or "en/"."""
    lang = normalise_lang(lang)
    return "" if lang == DEFAULT_LANG else f"{lang}/"


# The site's file for each route of the app (urls.ROUTES); a route not listed has no file.
SITE_FILES = {
    "home": "index.html",
    "map": "carte.html",
    "method": "methode.html",
    "indicator": "indicateur/{indicator_id}.html",
    "portrait": "territoire/{level}/{code}.html",
    "download": DATA_DIR + "/{file_name}",
}


SITE_QUERY = ("indicateur", "lang")  # the query parameters `file_path` reads


def file_path(href: str, lang: str = DEFAULT_LANG) -> tuple[str, str] | None:
    """The site file (and fragment) for one of the app's URLs; None for an outside link. A page
    is in the language of the URL's `?lang=`, else `lang` (the language of the linking page)."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    route, values, query = urls.match(href) or ("", {}, parse_qs(parts.query))
    fragment = parts.fragment
    if route == "map" and query.get("indicateur"):
        target, fragment = f"indicateur/{query['indicateur'][0]}.html", "carte"
    elif route in SITE_FILES:
        target = SITE_FILES[route].format(**values)
    else:  # a page of the site alone (territoires)
        segments = [s for s in parts.path.split("/") if s]
        target = f"{segments[0]}.html" if len(segments) == 1 else "index.html"
    if route != "download":  # the open data is the same for every language
        target = lang_folder(query.get("lang", [lang])[0]) + target
    return target, fragment


def page_lang(page: str) -> str:
    """The language of a site file, from its folder."""
    first = page.split("/", 1)[0]
    return first if "/" in page and first != DEFAULT_LANG and normalise_lang(first) == first else DEFAULT_LANG


def relative_link(href: str, page: str) -> str:
    """`href` (an app URL) as a link from the site file `page` (to a page in its language, unless
    the URL names another)."""
    if href.startswith("#"):
        return href
    return _relative_link(_site_part(href), page_lang(page), posixpath.dirname(page))


def _site_part(href: str) -> str:
    """An app URL with only the query parameters that decide its site file (`SITE_QUERY`): a link
    that preselects a portrait's territories is then the same for every portrait, and cached.
    Another site's URL is kept whole."""
    path, mark, rest = href.partition("?")
    if not mark or not path.startswith("/") or path.startswith("//"):
        return href
    query, hash_mark, fragment = rest.partition("#")
    kept = "&".join(p for p in query.split("&") if p.partition("=")[0] in SITE_QUERY)
    return f"{path}{'?' if kept else ''}{kept}{hash_mark}{fragment}"


@functools.lru_cache(maxsize=4096)  # the same links from the pages of a folder: the header's, the catalogue's
def _relative_link(href: str, lang: str, folder: str) -> str:
    found = file_path(href, lang)
    if found is None:
        return href
    target, fragment = found
    link = relative_path(target, folder)
    return f"{link}#{fragment}" if fragment else link


def relative_path(target: str, folder: str) -> str:
    """`posixpath.relpath(target or ".", folder or ".")` for two of the site's paths (relative to
    its root, "" for the root, without `.` or `..`), without the two calls to `os.getcwd` it makes."""
    parts, up = [p for p in target.split("/") if p], [p for p in folder.split("/") if p]
    common = 0
    while common < min(len(parts), len(up)) and parts[common] == up[common]:
        common += 1
    return "/".join([".."] * (len(up) - common) + parts[common:]) or "."


class Renderer:
    """Dash components to HTML for one site file (`page`, relative to the site root); `replace`
    puts other components, `raw` HTML of the site's own, in place of the components with those ids."""

    def __init__(self, page: str, replace: dict | None = None, raw: dict[str, str] | None = None) -> None:
        self.page = page
        self.replace = replace or {}
        self.raw = raw or {}
        self.has_figures = False
        self._root = None
        self._dropped: set[str] | None = None

    def render(self, node) -> str:
        self._root, self._dropped = node, None
        return self._html(node)

    def _labels_nothing(self, target: str) -> bool:
        """Whether a label's `target` is left out: a server-only component or a control. The page is
        walked for its controls the first time a label asks (most pages have no label left)."""
        if self._dropped is None:
            controls = (c.id for c in _walk(self._root) if _is_control(c) and isinstance(getattr(c, "id", None), str))
            self._dropped = SERVER_ONLY | set(controls)
        return target in self._dropped

    def _html(self, node) -> str:
        kind = type(node)  # exact types first: a portrait has about 1,500 components and as many strings
        if kind is str:
            return _text(node)
        if kind is list:
            return "".join([self._html(n) for n in node])
        if kind not in _COMPONENT_KINDS:
            if node is None or isinstance(node, bool):
                return ""
            if isinstance(node, (list, tuple)):
                return "".join([self._html(n) for n in node])
            if not isinstance(node, Component):
                return html_text.escape(str(node), quote=False)
            _COMPONENT_KINDS.add(kind)
        own = node.__dict__
        ident = own.get("id")
        if isinstance(ident, str):
            if ident in self.replace:
                return self._html(self.replace[ident])
            if ident in self.raw:
                return self.raw[ident]
            if ident in SERVER_ONLY:  # a control's own id: `_core` writes nothing
                return ""
        target = own.get("htmlFor")
        if isinstance(target, str) and self._labels_nothing(target):
            return ""
        children = own.get("children")  # most often a text: escaped here, not in a call of its own
        children = _text(children) if type(children) is str else self._html(children)
        tag, written = _plan(node)
        if node._namespace == "dash_core_components":
            return self._core(node._type, own, written, children)
        if tag == "button":  # nothing to press without the server: keep its words
            return children
        href = own.get("href") if tag == "a" else None
        opening = f"<{tag}{_written(own, written, relative_link(href, self.page) if href else None)}>"
        return opening if tag in VOID else f"{opening}{children}</{tag}>"

    def _core(self, kind: str, own: dict, written: tuple[tuple[str, str], ...], children: str) -> str:
        if kind == "Link":
            return f"<a{_written(own, written, relative_link(own.get('href', '/'), self.page))}>{children}</a>"
        if kind == "Graph":
            if not (own.get("figure") or {}).get("data"):
                return ""  # no chart with empty axes: the page says why beside it
            self.has_figures = True
            return figure_html(own["id"], own.get("figure") or {}, own.get("config"), own.get("className"))
        return ""  # stores, locations and server-driven controls


def figure_html(ident: str, figure: dict, config: dict | None = None, class_name: str | None = None) -> str:
    """A div that assets/site.js fills with Plotly.js from the JSON beside it."""
    spec = {
        "data": figure.get("data", []),
        "layout": figure.get("layout", {}),
        "config": {**GRAPH_CONFIG, **(config or {})},
    }
    # orjson named, not left to plotly's choice (it uses orjson when installed): the same bytes everywhere
    payload = plotly.io.to_json(spec, validate=False, engine="orjson").replace("</", "<\\/")
    classes = " ".join(filter(None, ["graph", class_name]))
    return (
        f'<div id="{html_text.escape(ident)}" class="{classes}"><div class="js-figure" data-figure="{ident}-figure">'
        f'</div></div><script type="application/json" id="{ident}-figure">{payload}</script>'
    )


def _is_control(component) -> bool:
    return component._namespace == "dash_core_components" and component._type not in ("Link", "Graph")


def _walk(node) -> Iterator:
    """Every component of `node`, depth first, parents before children (a stack, not nested generators)."""
    stack = [node]
    while stack:
        node = stack.pop()
        if type(node) is str or node is None:  # the most frequent leaves, without isinstance
            continue
        if isinstance(node, (list, tuple)):
            stack.extend(reversed(node))
        elif isinstance(node, Component):
            yield node
            stack.append(node.__dict__.get("children"))


_COMPONENT_KINDS: set[type] = set()  # the component classes met, told from strings and lists at once


def _plan(node) -> tuple[str, tuple[tuple[str, str], ...]]:
    """A component's tag, and its props written as attributes (each with its HTML name) in
    `to_plotly_json`'s order (the class's prop names, then `data-*` and `aria-*`): the same for
    the components of a class with the same attributes, worked out once (a portrait has about
    1,500 components, of a few dozen kinds)."""
    own = node.__dict__
    key = (type(node), tuple(own))
    plan = _PLANS.get(key)
    if plan is None:
        order = {name: i for i, name in enumerate(node._prop_names)}
        wildcards = tuple(node._valid_wildcard_attributes)
        named = sorted((k for k in own if k in order), key=order.__getitem__)
        props = (*named, *(k for k in own if "-" in k and k.startswith(wildcards)))  # no prop name has a dash
        plan = _PLANS[key] = (
            node._type.lower(),
            tuple((k, _attribute_name(k)) for k in props if k not in SKIPPED_PROPS),
        )
    return plan


_PLANS: dict[tuple[type, tuple[str, ...]], tuple[str, tuple[tuple[str, str], ...]]] = {}  # bounded by the code


def _attribute_name(prop: str) -> str:
    return ATTRIBUTE.get(prop, prop if prop.startswith(("aria-", "data-")) else prop.lower())


def _written(values: dict, written: tuple[tuple[str, str], ...], href: str | None = None) -> str:
    """The attributes `written` (prop, HTML name) of `values`; `href` in place of its own."""
    parts = []
    for key, name in written:
        value = href if key == "href" and href is not None else values[key]
        if value is None or value is False or (key == "id" and not isinstance(value, str)):
            continue
        if key == "style":
            value = "; ".join(f"{k}: {v}" for k, v in values[key].items())
        parts.append(f" {name}" if value is True else _attribute(name, str(value)))
    return "".join(parts)


@functools.lru_cache(maxsize=8192)  # labels, headers, words and many numbers: the same on many pages
def _text(text: str) -> str:
    return html_text.escape(text, quote=False)


@functools.lru_cache(maxsize=4096)  # class names, scopes, the cells' labels: the same on every page
def _attribute(name: str, value: str) -> str:
    return f' {name}="{html_text.escape(value, quote=True)}"'


def find(node, ident: str):
    """The component with id `ident` in a layout."""
    return next((c for c in _walk(node) if getattr(c, "id", None) == ident), None)


def append_to_main(layout, blocks: list) -> None:
    main = find(layout, "main")
    main.children = [*list(main.children), *[b for b in blocks if b is not None]]
