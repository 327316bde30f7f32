"""The outlines of a level, served once as a cacheable asset, and the figures drawn over them.

The map's figure names its outlines by URL (`/carte/contours/<level>-<digest>.geojson`, the
digest of their bytes): Plotly fetches them once, the browser keeps them (a year's
`Cache-Control`, `immutable`, an ETag), and neither a switch of values nor a new level sends
geometry inside a callback's answer. A rebuilt file with other outlines has another digest.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import shapely.geometry
from dash import Patch

from dashboard import database, figures, urls

ROUTE = urls.ROUTES["map_outlines"]
CACHE_CONTROL = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Outlines:
    """A level's outlines as served: the body, its digest, and the codes it draws."""

    body: bytes
    digest: str
    codes: frozenset[str]

    def url(self, level: str) -> str:
        return urls.map_outlines(level, self.digest)


_ASSETS = database.ResultCache(16)  # per file version and level


def outlines(database, level: str) -> Outlines:
    """A level's outlines, serialised once per version of the file (ids and geometry only)."""
    key = (str(database.path), database.version, level)
    hit, found = _ASSETS.get(key)
    if not hit:
        features = database.geojson(level)["features"]
        collection = {
            "type": "FeatureCollection",
            "features": [{"type": "Feature", "id": f["id"], "geometry": f["geometry"]} for f in features],
        }
        body = json.dumps(collection, separators=(",", ":")).encode()
        found = Outlines(body, hashlib.sha256(body).hexdigest()[:16], frozenset(f["id"] for f in features))
        _ASSETS.put(key, found)
    return found


def map_figure(database, level: str, state: dict) -> dict:
    """The full map figure of `state` at `level`, its outlines by URL."""
    figure = figures.map_figure(database.geojson(level), state, level=level)
    figure["data"][0]["geojson"] = outlines(database, level).url(level)
    return figure


def switch_figure(database, level: str, state: dict, drawn_level: str | None) -> dict | Patch:
    """A Patch of values when the map already draws `level`, else the full figure (its outlines by URL)."""
    if level != drawn_level:
        return map_figure(database, level, state)
    drawn = outlines(database, level).codes
    return figures.map_patch(state, [c for c in state["codes"] if c in drawn])


def label_points(geojson: dict) -> list[list]:
    """[code, name, lon, lat, area] for each feature: where its name goes on the map (a point
    inside it), largest first, which assets/map.js shows when zoomed in."""
    points = []
    for feature in geojson.get("features", []):
        shape = shapely.geometry.shape(feature["geometry"])
        point = shape.representative_point()
        name = feature.get("properties", {}).get("name") or feature["id"]
        points.append([feature["id"], name, round(point.x, 4), round(point.y, 4), round(shape.area, 6)])
    return sorted(points, key=lambda p: -p[4])
