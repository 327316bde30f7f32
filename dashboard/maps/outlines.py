"""The outlines of a level, served once as a cacheable asset, and the figures drawn over them.

The map's figure names its outlines by URL (`/carte/contours/<level>-<digest>.geojson`, the
digest of their bytes): Plotly fetches them once, the browser keeps them (a year's
`Cache-Control`, `immutable`, an ETag), and neither a switch of values nor a new level sends
geometry inside a callback's answer. A rebuilt file with other outlines has another digest.

A worker keeps of each level only what it serves: the asset's bytes (written by DuckDB), the
codes drawn and their box; and, once asked for, the names layer's bytes. No geometry stays
parsed: a national level is tens of megabytes of Python objects.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import numpy as np
import shapely
from dash import Patch

from dashboard import database, figures, queries, urls

ROUTE = urls.ROUTES["map_outlines"]
CACHE_CONTROL = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Outlines:
    """A level's outlines as served: the body, its digest, the codes it draws and their box
    (west, south, east, north; None without outlines)."""

    body: bytes
    digest: str
    codes: frozenset[str]
    box: tuple[float, float, float, float] | None

    def url(self, level: str) -> str:
        return urls.map_outlines(level, self.digest)


_ASSETS = database.ResultCache(16)  # per file version and level
_NAMES = database.ResultCache(8)


def outlines(database, level: str) -> Outlines:
    """A level's outlines, once per version of the file (ids and geometry only)."""
    key = (str(database.path), database.version, level)
    hit, found = _ASSETS.get(key)
    if not hit:
        body = database.run(queries.outlines_text, level).encode()
        rows = database.run(queries.geometry_rows, level)
        codes = frozenset(c for c, _, _ in rows)
        found = Outlines(body, hashlib.sha256(body).hexdigest()[:16], codes, _box(rows))
        _ASSETS.put(key, found)
    return found


def _box(rows: list[tuple]) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) around the outlines of (code, name, GeoJSON text) rows."""
    if not rows:
        return None
    west, south, east, north = (float(v) for v in shapely.total_bounds(_shapes(rows)))
    return west, south, east, north


def _shapes(rows: list[tuple]) -> np.ndarray:
    """The geometries of (code, name, GeoJSON text) rows, parsed by GEOS at once."""
    return shapely.from_geojson(np.array([geometry for _, _, geometry in rows], dtype=object))


def map_figure(database, level: str, state: dict) -> dict:
    """The full map figure of `state` at `level`, its outlines by URL."""
    asset = outlines(database, level)
    figure = figures.outlined_figure(state, [c for c in state["codes"] if c in asset.codes], asset.box, level)
    figure["data"][0]["geojson"] = asset.url(level)
    return figure


def switch_figure(database, level: str, state: dict, drawn_level: str | None) -> dict | Patch:
    """A Patch of values when the map already draws `level`, else the full figure (its outlines by URL)."""
    if level != drawn_level:
        return map_figure(database, level, state)
    drawn = outlines(database, level).codes
    return figures.map_patch(state, [c for c in state["codes"] if c in drawn])


def label_points(database, level: str) -> bytes:
    """[code, name, lon, lat, area] for each territory of a level, as JSON: where its name goes on
    the map (a point inside it), largest first, which assets/map.js shows when zoomed in."""
    key = (str(database.path), database.version, level)
    hit, found = _NAMES.get(key)
    if not hit:
        rows = database.run(queries.geometry_rows, level)
        shapes = _shapes(rows) if rows else np.array([], dtype=object)
        points = shapely.point_on_surface(shapes)
        lon, lat = np.round(shapely.get_x(points), 4).tolist(), np.round(shapely.get_y(points), 4).tolist()
        area = np.round(shapely.area(shapes), 6)
        order = np.argsort(-area, kind="stable").tolist()
        area = area.tolist()
        found = json.dumps(
            [[rows[i][0], rows[i][1] or rows[i][0], lon[i], lat[i], area[i]] for i in order], ensure_ascii=False
        ).encode()
        _NAMES.put(key, found)
    return found
