"""Pure map builders (no database access): map classes, colours, map figure and patch.
The charts are in `dashboard.charts`.

The map figure is a plain dict with one `choroplethmap` trace holding every
feature once. Values are drawn as discrete classes: z is the class index, and
two extra indices colour missing and secret territories, so a switch of
indicator or year only patches z, hover data and colours, never the geometry.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pandas as pd
from dash import Patch

from dashboard import assessment
from dashboard.formatting import format_value
from dashboard.i18n import colon, labelled, t, unit_in
from dashboard.maps import hover

# ColorBrewer RdYlBu (colour-blind safe), from unfavourable (red) to favourable (blue):
# the better end of a judged indicator is always blue.
JUDGED_COLOURS = ("#d7191c", "#fdae61", "#ffffbf", "#abd9e9", "#2c7bb6")
# Context indicators (no polarity): ColorBrewer Purples, light to dark = low to high.
NEUTRAL_COLOURS = ("#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f")
MISSING_COLOUR = "#f0f0f0"
SECRET_COLOUR = "#c4c4c4"  # light: withheld communes must not outweigh the data (swatches and shapes keep an outline)
BORDER_COLOUR = "#8c8c8c"
INCOMPLETE_BORDER = "#000000"
CLASS_METHODS = ("quantiles", "equal")
N_CLASSES = 5
MAP_HEIGHT = 560
MAP_WIDTH = 720  # the width the initial zoom is fitted to
FRANCE_VIEW = {"center": {"lon": 2.4, "lat": 46.6}, "zoom": 4.4}


def class_breaks(values: pd.Series, method: str = "quantiles", n: int = N_CLASSES) -> list[float]:
    """Ascending class edges (first = min, last = max); fewer classes when values repeat."""
    data = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
    if data.size == 0:
        return []
    if method == "equal":
        edges = np.linspace(data.min(), data.max(), n + 1)
    else:
        edges = np.quantile(data, np.linspace(0, 1, n + 1))
    return sorted(set(float(e) for e in edges))


def classify(values: pd.Series, breaks: list[float]) -> pd.Series:
    """Class index (0-based) of each value; NaN stays NaN."""
    numeric = pd.to_numeric(values, errors="coerce")
    if len(breaks) < 2:
        return numeric.where(numeric.isna(), 0.0)
    inner = np.asarray(breaks[1:-1])
    idx = np.searchsorted(inner, numeric.to_numpy(dtype=float), side="right").astype(float)
    idx[numeric.isna().to_numpy()] = np.nan
    return pd.Series(idx, index=values.index)


def class_colours(polarity: str | None, n: int) -> list[str]:
    """n colours from low to high values; for judged indicators the favourable end is blue."""
    if n <= 0:
        return []
    base = NEUTRAL_COLOURS if polarity not in ("higher_is_better", "lower_is_better") else JUDGED_COLOURS
    picks = [base[round(i * (len(base) - 1) / max(n - 1, 1))] for i in range(n)] if n > 1 else [base[-1]]
    return list(reversed(picks)) if polarity == "lower_is_better" else picks


def rank_direction(polarity: str | None) -> str:
    """What rank 1 means (add_ranks)."""
    return t("rank_best" if polarity in ("higher_is_better", "lower_is_better") else "rank_largest")


def add_ranks(df: pd.DataFrame, polarity: str | None) -> pd.DataFrame:
    """Add `rank` (1 = best; 1 = largest for context indicators) and `peers` (values ranked)."""
    out = df.copy()
    ascending = polarity == "lower_is_better"
    out["rank"] = out["value"].rank(ascending=ascending, method="min")
    out["peers"] = int(out["value"].notna().sum())
    return out


def discrete_colorscale(colours: list[str]) -> list[list]:
    """Plotly colour scale giving integer z = i exactly colours[i] (with zmin=-0.5, zmax=len-0.5)."""
    m = len(colours)
    scale = []
    for i, colour in enumerate(colours):
        scale += [[i / m, colour], [(i + 1) / m, colour]]
    return scale


def map_state(
    df: pd.DataFrame,
    unit: str | None,
    polarity: str | None,
    method: str = "quantiles",
    decimals: int | None = None,
) -> dict:
    """Everything the map draws for one indicator, level and year, except the geometry.

    `df` has code, name, value, status, prev_year, prev_value (queries.map_values);
    `decimals`, the indicator's precision, is that of every value and class limit shown.
    Returns per-feature arrays (same order as `df`) and the legend entries.
    """
    ranked = add_ranks(df, polarity)
    breaks = class_breaks(ranked["value"], method)
    n = max(len(breaks) - 1, 1) if breaks else 0
    colours = class_colours(polarity, n)
    classes = classify(ranked["value"], breaks)
    missing_z, secret_z = n, n + 1
    statuses = ranked["status"].to_numpy(dtype=object)  # arrays, not Series: 35,000 rows nationally
    unclassed = np.where(statuses == "secret", secret_z, missing_z)
    z = np.where(classes.isna().to_numpy(), unclassed, classes.fillna(0).to_numpy()).astype(int).tolist()
    prev_year = ranked["prev_year"].dropna()
    prev_year = int(prev_year.iloc[0]) if len(prev_year) else None
    peers = int(ranked["value"].notna().sum())
    incomplete = (ranked["status"] == "incomplete").to_numpy()
    return {
        "codes": ranked["code"].tolist(),
        "names": ranked["name"].tolist(),
        "z": z,
        "zmax": secret_z + 0.5,
        "colorscale": discrete_colorscale([*colours, MISSING_COLOUR, SECRET_COLOUR]),
        # Numbers, written out where they are shown (dashboard.maps.hover): no text per territory here.
        "hover": hover.spec(unit, decimals),
        "hover_columns": hover.columns(ranked, unit, decimals),
        "hover_lines": [],
        # Incomplete values get a thick black outline; arrays only when there are some.
        "line_width": np.where(incomplete, 2.0, 0.4) if incomplete.any() else 0.4,
        "line_colour": np.where(incomplete, INCOMPLETE_BORDER, BORDER_COLOUR) if incomplete.any() else BORDER_COLOUR,
        "hovertemplate": map_hovertemplate(unit, polarity, peers, prev_year),
        "legend": map_legend(colours, breaks, polarity, unit, decimals),
        "has_incomplete": bool(incomplete.any()),
        "prev_year": prev_year,
        "ranked": ranked,
    }


def map_legend(
    colours: list[str], breaks: list[float], polarity: str | None, unit: str | None, decimals: int | None
) -> list[tuple[str, str]]:
    """(colour, label) per class, the ends saying which is worse and better, then missing and secret."""
    legend = [(colours[i], _class_label(breaks, i, unit, decimals)) for i in range(len(colours))]
    if polarity in ("higher_is_better", "lower_is_better") and legend:
        worse_first = polarity == "higher_is_better"
        legend[0] = (legend[0][0], f"{legend[0][1]} ({t('legend_worse' if worse_first else 'legend_better')})")
        last = legend[-1]
        legend[-1] = (last[0], f"{last[1]} ({t('legend_better' if worse_first else 'legend_worse')})")
    return legend + [(MISSING_COLOUR, t("missing")), (SECRET_COLOUR, t("secret"))]


def map_hovertemplate(unit: str | None, polarity: str | None, peers: int, prev_year: int | None) -> str:
    """The hover of a territory: value, rank among the `peers` territories with a value, change."""
    change_label = t("change_since", year=prev_year) if prev_year else t("col_change")
    return (
        f"<b>%{{text}}</b><br>{t('col_value')}{f' ({unit_in(unit)})' if unit else ''}{colon()}%{{customdata[0]}}"
        f"<br>{labelled('rank', '%{customdata[1]}')} {t('rank_of')} {peers}"
        f" ({rank_direction(polarity)})"
        f"<br>{change_label}{colon()}%{{customdata[2]}}<extra></extra>"
    )


def _class_label(breaks: list[float], i: int, unit: str | None, decimals: int | None = None) -> str:
    low, high = breaks[i], breaks[min(i + 1, len(breaks) - 1)]
    fixed = decimals is not None
    low_text = format_value(low, None, decimals, fixed)
    if low_text == format_value(high, None, decimals, fixed):  # one value (one territory): no range
        return format_value(high, unit, decimals, fixed)
    return f"{low_text} – {format_value(high, unit, decimals, fixed)}"


def bounds(geojson: dict) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of the features of `geojson`, or None without coordinates."""
    lons: list[float] = []
    lats: list[float] = []
    for feature in geojson.get("features", []):
        for line in _lines(feature["geometry"]["coordinates"]):  # a ring's ends, not each point
            lons += (min(p[0] for p in line), max(p[0] for p in line))
            lats += (min(p[1] for p in line), max(p[1] for p in line))
    return (min(lons), min(lats), max(lons), max(lats)) if lons else None


def _lines(coords: list) -> Iterator[list]:
    """The lists of points (rings, lines) of a GeoJSON geometry's coordinates, at any depth."""
    if not coords:
        return
    if isinstance(coords[0], (int, float)):  # a point
        yield [coords]
    elif isinstance(coords[0][0], (int, float)):
        yield coords
    else:
        for part in coords:
            yield from _lines(part)


def map_view(geojson: dict, max_zoom: float | None = None) -> dict:
    """Centre and zoom that fit the features of `geojson` in the map (`box_view`)."""
    return box_view(bounds(geojson), max_zoom)


def box_view(box: tuple[float, float, float, float] | None, max_zoom: float | None = None) -> dict:
    """Centre and zoom that fit a (west, south, east, north) box in the map (MAP_WIDTH × MAP_HEIGHT;
    the browser fits it again to the map's real size, `assets/map.js`, from `layout.meta.fit`)."""
    if box is None:  # no outline at all: metropolitan France, whatever the territory
        return FRANCE_VIEW
    west, south, east, north = box

    def merc(lat: float) -> float:
        return math.degrees(math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)))

    span_x = max(east - west, 1e-3)
    span_y = max(merc(north) - merc(south), 1e-3)
    zoom = min(math.log2(MAP_WIDTH * 360 / (512 * span_x)), math.log2(MAP_HEIGHT * 360 / (512 * span_y))) - 0.05
    if max_zoom is not None:
        zoom = min(zoom, max_zoom)
    return {"center": {"lon": (west + east) / 2, "lat": (south + north) / 2}, "zoom": round(zoom, 2)}


# A found territory: its outline, and the view around it (its neighbours in sight).
FOCUS_LINE = {"color": "#000000", "width": 3.5}
FOCUS_MARGIN = 1.0  # zoom levels out from the tight fit
FOCUS_MAX_ZOOM = 12.0


def focus_patch(geojson: dict, code: str) -> Patch | None:
    """A Patch that outlines the feature `code` of the drawn map and moves the view to it, or None
    if the map has no such feature. A new `uirevision` makes the view move even after a pan."""
    feature = next((f for f in geojson.get("features", []) if f["id"] == code), None)
    if feature is None:
        return None
    alone = {"type": "FeatureCollection", "features": [feature]}
    view = map_view(alone)
    patch = Patch()
    patch["layout"]["map"]["center"] = view["center"]
    patch["layout"]["map"]["zoom"] = min(view["zoom"] - FOCUS_MARGIN, FOCUS_MAX_ZOOM)
    patch["layout"]["map"]["layers"] = [
        {"sourcetype": "geojson", "source": feature["geometry"], "type": "line", "color": FOCUS_LINE["color"],
         "line": {"width": FOCUS_LINE["width"]}, "below": ""}
    ]  # fmt: skip
    patch["layout"]["meta"]["fit"] = _padded(bounds(alone))
    patch["layout"]["meta"]["focus"] = code
    patch["layout"]["uirevision"] = f"focus:{code}"
    return patch


def _padded(box: tuple[float, float, float, float], share: float = 0.6) -> list[float]:
    """`box` grown by `share` of its size on each side: the found territory and its neighbours."""
    west, south, east, north = box
    dx, dy = (east - west) * share, (north - south) * share
    return [round(v, 4) for v in (west - dx, south - dy, east + dx, north + dy)]


def map_figure(geojson: dict, state: dict, aria_label: str = "", level: str | None = None) -> dict:
    """The full map figure as a dict: geometry once, values from `state` (same code order)."""
    by_code = {f["id"]: f["geometry"] for f in geojson.get("features", [])}
    features = [{"type": "Feature", "id": c, "geometry": by_code[c]} for c in state["codes"] if c in by_code]
    figure = outlined_figure(state, [f["id"] for f in features], bounds(geojson), level, aria_label)
    figure["data"][0]["geojson"] = {"type": "FeatureCollection", "features": features}
    return figure


def outlined_figure(
    state: dict, drawn: list[str], box: tuple | None, level: str | None = None, aria_label: str = ""
) -> dict:
    """The map figure of `state` over outlines the caller sets as the trace's `geojson` (inline, or
    a URL): the codes of those `drawn`, in the order of `state`, and the box they fill."""
    rows = _drawn_rows(state["codes"], drawn)
    trace = {
        "type": "choroplethmap",
        "featureidkey": "id",
        "locations": _pick(state["codes"], rows),
        "text": _pick(state["names"], rows),
        "name": aria_label,
        "showscale": False,
        "zmin": -0.5,
        "marker": {"opacity": 1},
    }
    trace.update(_value_props(state, rows))
    return {
        "data": [trace],
        "layout": {
            "map": {"style": "white-bg", **box_view(box)},
            # What assets/map.js reads: the box to fit to the map's real size (a phone), the
            # level whose names it shows when zoomed in, and the hover's format and columns.
            "meta": {
                "fit": [round(v, 4) for v in box or ()] or None,
                "level": level,
                "hover": _hover_meta(state, rows),
            },
            "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
            "height": MAP_HEIGHT,
            "showlegend": False,
            "uirevision": "map",
            "hoverlabel": {"bgcolor": "white", "font": {"color": "#222"}},
        },
    }


def _drawn_rows(codes: list[str], drawn: list[str]) -> np.ndarray | None:
    """The positions in `codes` of the territories `drawn`, in their order; None when they are the same."""
    if drawn == codes:
        return None
    index = {c: i for i, c in enumerate(codes)}
    return np.array([index[c] for c in drawn if c in index], dtype=np.int64)


def _pick(values, rows: np.ndarray | None):
    """The `rows` of a per-territory list or array (all when None); any other value as it is."""
    if rows is None or not isinstance(values, (list, np.ndarray)):
        return values
    return values[rows] if isinstance(values, np.ndarray) else [values[i] for i in rows]


def _value_props(state: dict, rows: np.ndarray | None) -> dict:
    return {
        "z": np.asarray(_pick(state["z"], rows)),  # an array travels without a Python object per row
        "zmax": state["zmax"],
        "colorscale": state["colorscale"],
        "customdata": _pick(state["hover_columns"]["value"], rows),  # assets/hover.js writes each row out
        "hovertemplate": state["hovertemplate"],
        "marker.line.width": _pick(state["line_width"], rows),
        "marker.line.color": _pick(state["line_colour"], rows),
    }


def _hover_meta(state: dict, rows: np.ndarray | None) -> dict:
    """The hover's format and its columns for the rows drawn (assets/hover.js)."""
    return hover.meta(state["hover"], state["hover_columns"], state["hover_lines"], rows)


def map_patch(state: dict, drawn_codes: list[str]) -> Patch:
    """Only the values of `state`, for a map already showing the features `drawn_codes`."""
    rows = _drawn_rows(state["codes"], drawn_codes)
    patch = Patch()
    trace = patch["data"][0]
    for key, value in _value_props(state, rows).items():
        *parents, last = key.split(".")
        target = trace
        for part in parents:
            target = target[part]
        target[last] = value
    patch["layout"]["meta"]["hover"] = _hover_meta(state, rows)
    return patch


def with_progress(
    state: dict,
    categories: list[str],
    labels: dict | None = None,
    colour: bool = False,
    explanations: list[str] | None = None,
) -> dict:
    """`state` with each territory's progress category in the hover (and the table);
    with `colour`, the map is coloured by category instead of value, with its own legend.

    `categories`: one key of assessment.MAP_KEYS per territory, in the order of `state["codes"]`;
    `explanations`: the sentence for each (assessment.explanation), shown after the category.
    """
    names = {key: assessment.category_label(key, labels) for key in assessment.MAP_KEYS}
    if explanations and any(explanations):
        texts = [names[c] + (f" — {w}" if w else "") for c, w in zip(categories, explanations, strict=True)]
    else:
        texts = [names[c] for c in categories]
    line = hover.line(texts)
    if len(line["texts"]) <= 1:  # one text for all (a context indicator): once in the template, not per territory
        out = dict(state)
        shown = line["texts"][0] if line["texts"] else ""
        out["hovertemplate"] = state["hovertemplate"].replace(
            "<extra></extra>", f"<br>{t('hover_progress')}{colon()}{shown}<extra></extra>"
        )
    else:
        out = _with_line(state, t("hover_progress"), line)
    out["ranked"] = state["ranked"].assign(category=categories)
    if colour:
        style = {k: (assessment.STYLE[k][0], assessment.STYLE[k][1], names[k]) for k in assessment.MAP_KEYS}
        out = coloured_by(out, categories, style, "progress")
    return out


def with_hover_line(state: dict, heading: str, texts: list[str]) -> dict:
    """`state` with one more hover line, `heading: text`, per territory."""
    return _with_line(state, heading, hover.line(texts))


def _with_line(state: dict, heading: str, line: dict) -> dict:
    index = hover.FIRST_LINE + len(state["hover_lines"])  # its place in a hover row (assets/hover.js)
    template = state["hovertemplate"].replace(
        "<extra></extra>", f"<br>{heading}{colon()}%{{customdata[{index}]}}<extra></extra>"
    )
    return {**state, "hover_lines": [*state["hover_lines"], line], "hovertemplate": template}


def coloured_by(state: dict, keys: list[str], style: dict[str, tuple[str, str, str]], mode: str) -> dict:
    """`state` coloured by category: `keys` one per territory, `style` {key: (symbol, colour, words)}
    in legend order; `mode` names the legend (`state["colour"]`)."""
    index = {key: i for i, key in enumerate(style)}
    return {
        **state,
        "z": [index[k] for k in keys],
        "zmax": len(style) - 0.5,
        "colorscale": discrete_colorscale([colour for _, colour, _ in style.values()]),
        "legend": [(colour, f"{symbol} {words}") for symbol, colour, words in style.values()],
        "colour": mode,
    }
