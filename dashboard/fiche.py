"""The printable "fiche territoire" parts of a portrait: a locator map, and the edition block
(the producers' editions, the build date, the sources and the page's address)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from urllib.parse import quote

import flask
import pandas as pd
import shapely
import shapely.geometry

from dashboard import queries, urls
from dashboard.chrome import source_title, text
from dashboard.components import html
from dashboard.i18n import colon, current_lang, t

LOCATOR_SIZE = 220  # px, the longer side
LOCATOR_TOLERANCE = 0.004  # degrees: a locator needs no more detail (about 400 m)
LOCATOR_COLOURS = {"context": "#e6e6e6", "line": "#8c8c8c", "focus": "#1d5a8e"}


def locator_svg(context: list[dict], focus: dict, size: int = LOCATOR_SIZE) -> str:
    """A data-URI SVG of the `focus` geometry (filled) among the `context` geometries (outlined),
    framed on the context; GeoJSON geometries in degrees, drawn in an equirectangular projection
    scaled at the frame's latitude."""
    shapes = [shapely.geometry.shape(g).simplify(LOCATOR_TOLERANCE) for g in context]
    target = shapely.geometry.shape(focus).simplify(LOCATOR_TOLERANCE / 4)
    west, south, east, north = shapely.GeometryCollection([*shapes, target]).bounds
    x_scale = math.cos(math.radians((south + north) / 2))
    span = max((east - west) * x_scale, north - south, 1e-6)
    scale = (size - 4) / span
    width, height = round((east - west) * x_scale * scale) + 4, round((north - south) * scale) + 4

    def path(shape) -> str:
        rings = []
        for polygon in getattr(shape, "geoms", [shape]):
            for ring in [polygon.exterior, *polygon.interiors] if hasattr(polygon, "exterior") else []:
                points = [
                    f"{(x - west) * x_scale * scale + 2:.1f} {(north - y) * scale + 2:.1f}" for x, y in ring.coords
                ]
                rings.append("M" + "L".join(points) + "Z")
        return "".join(rings)

    c = LOCATOR_COLOURS
    body = "".join(f"<path d='{path(s)}'/>" for s in shapes)
    svg = (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' viewBox='0 0 {width} {height}'>"
        f"<g fill='{c['context']}' stroke='{c['line']}' stroke-width='0.6'>{body}</g>"
        f"<path d='{path(target)}' fill='{c['focus']}' stroke='#000' stroke-width='1'/></svg>"
    )
    return "data:image/svg+xml;utf8," + quote(svg)


def locator(database, level: str, code: str, name: str, refs: pd.DataFrame) -> html.Figure | None:
    """Where the territory lies in its département (its EPCI's outlines around it; a département
    among its région's), or None without outlines (or for the static site, which draws its own)."""
    if database.static:
        return None
    levels = database.run(queries.geometry_levels)
    if level not in levels:
        return None
    # Only the outlines drawn are read: a worker keeps no level's geometry (a national level is tens of MB).
    own = {f["id"]: f["geometry"] for f in database.run(queries.geometries_geojson, level, [code])["features"]}
    if code not in own:
        return None
    context_level = "epci" if level in ("commune", "epci") and "epci" in levels else level
    frame = refs[refs["level"] == "departement"]["code"].tolist()
    region = refs[refs["level"] == "region"]["code"].tolist()
    members = None  # the whole level
    if level in ("commune", "epci") and frame and context_level == "epci":
        # the EPCIs of the territory's département only (a national build has a thousand: 1.5 s to draw)
        members = list(database.run(queries.epcis_of_departement, frame[0]))
    elif level == "departement" and region:  # the départements of its région, not of France
        members = list(database.run(queries.departements_of_region, region[0]))
    context = [f["geometry"] for f in database.run(queries.geometries_geojson, context_level, members)["features"]]
    caption = t("fiche_locator", name=name)
    return html.Figure(
        [
            html.Img(src=locator_svg(context or [own[code]], own[code]), alt=caption, className="locator-map"),
            html.Figcaption(caption, className="muted"),
        ],
        className="locator",
        id="portrait-locator",
    )


def build_date(database) -> str:
    """The date the database file was built (its last write: a build swaps the file in whole)."""
    return datetime.fromtimestamp(database.version[1] / 1e9, UTC).date().isoformat()


def page_address(path: str) -> str | None:
    """The page's full address as the visitor reached it, or None outside a request (the static site)."""
    if not flask.has_request_context():
        return None
    return flask.request.host_url.rstrip("/") + path


def edition_block(database, level: str, code: str) -> html.Section | None:
    """The fiche's edition: the producers' editions (each source's own), the build date, and the
    page's address, each labelled as what it is; None for the static site (it names the file's
    date, and the site is reproducible)."""
    if database.static:
        return None
    items = []
    for row in database.rows(queries.all_sources):
        if pd.isna(row.fetched_at):  # a source never fetched has no edition to name
            continue
        edition = text(row.edition)
        items.append(
            f"{text(row.producer)} — {source_title(row)}" + (f" ({t('sheet_edition')} {edition})" if edition else "")
        )
    address = page_address(urls.portrait(level, code))
    return html.Section(
        [
            html.H2(t("fiche_edition_title")),
            html.P([html.Strong(t("fiche_build_date") + colon()), build_date(database)]),
            html.P(
                [
                    html.Strong(t("fiche_editions") + colon()),
                    " ; ".join(items) if current_lang() == "fr" else "; ".join(items),
                ]
            ),
            html.P([html.Strong(t("fiche_address") + colon()), html.Span(address, className="page-address")])
            if address
            else None,
        ],
        className="fiche-edition",
        id="fiche-edition",
    )
