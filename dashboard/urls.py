"""Every URL of the dashboard, built in one place (as datasette's `Urls`).

`ROUTES` names each route's template (Flask's `<name>` segments, which Dash's `path_template`
also reads); the builders below fill them, quoting each segment and adding the query string
(`lang` only when not French, see `i18n.with_query`). `match` reads a URL back into its route
and values: the static site names its files from it (`static_site.file_path`).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, quote, urlsplit

from dashboard.i18n import Locale, with_query

ROUTES = {
    "home": "/",
    "map": "/carte",
    "map_names": "/carte/noms/<level>.json",  # the names drawn on the map, per level
    "map_outlines": "/carte/contours/<level>-<digest>.geojson",  # a level's outlines, cached by content digest
    "portrait": "/territoire/<level>/<code>",
    "indicator": "/indicateur/<indicator_id>",
    "compare": "/comparer/<level>/<code>/<level2>/<code2>",
    "method": "/methode",
    "download": "/telecharger/<file_name>",  # <id>.csv, <id>-fr.csv, <id>.xlsx (itdd.export.FORMATS)
    "not_found": "/404",
}


def segments(template: str) -> list[str]:
    """A route template cut at its `<name>`s: literal text at even positions, names at odd ones."""
    return re.split(r"<([^>]+)>", template)


SEGMENTS = {route: segments(template) for route, template in ROUTES.items()}


def path(route: str, **values: object) -> str:
    """A route's path with each `<name>` replaced by its value, quoted as one path segment."""
    return "".join(p if i % 2 == 0 else quote(str(values[p]), safe="") for i, p in enumerate(SEGMENTS[route]))


def home() -> str:
    return with_query(path("home"))


def map_view(**query: object) -> str:
    """The map, with its query (`indicateur`, `niveau`, `annee`, `classes`, `couleur`…)."""
    return with_query(path("map"), **query)


def map_names(level: str) -> str:
    return path("map_names", level=level)


def map_outlines(level: str, digest: str) -> str:
    return path("map_outlines", level=level, digest=digest)


def portrait(level: str, code: str) -> str:
    return with_query(path("portrait", level=level, code=code))


def indicator(indicator_id: str, territories: str | None = None) -> str:
    """An indicator's sheet; `territories` ("commune:33063,epci:243300316") preselects its comparison."""
    return with_query(path("indicator", indicator_id=indicator_id), territoires=territories)


def compare(first: tuple[str, str], second: tuple[str, str]) -> str:
    """Two territories side by side, each (level, code)."""
    (level, code), (level2, code2) = first, second
    return with_query(path("compare", level=level, code=code, level2=level2, code2=code2))


def method(anchor: str | None = None) -> str:
    """The method page, at a section's anchor (`composite`, a category's key) if given."""
    return with_query(path("method")) + (f"#{anchor}" if anchor else "")


def download(file_name: str, level: str | None = None, year: int | None = None) -> str:
    """A download (one format, optionally one level and year); its files are in French only."""
    return Locale().with_query(path("download", file_name=file_name), niveau=level, annee=year)


def template_pattern(template: str) -> re.Pattern:
    """A route template as a regular expression that matches a whole path, `<name>` groups included."""
    parts = segments(template)  # each variable is one path segment
    return re.compile("".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>[^/]+)" for i, p in enumerate(parts)) + "$")


PATTERNS = {route: template_pattern(template) for route, template in ROUTES.items()}


def match(url: str) -> tuple[str, dict[str, str], dict[str, list[str]]] | None:
    """(route, path values, query) of one of the app's URLs; None for another site's or no route."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    wanted = parts.path.rstrip("/") or "/"
    for route, pattern in PATTERNS.items():
        found = pattern.match(wanted)
        if found:
            return route, found.groupdict(), parse_qs(parts.query)
    return None
