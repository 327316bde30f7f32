"""Pure chart builders (no database access): trend lines, bars, sparklines, contributions,
in the dashboard's chart style (`chart`)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import quote

import numpy as np
import pandas as pd

from dashboard.formatting import is_missing
from dashboard.i18n import colon, current_lang, t, unit_in

SCALE_GAP = 10  # territories whose values differ tenfold or more share no axis: each is indexed instead


class TrendRows(NamedTuple):
    """The points of a trend chart in the order drawn: each one's territory name, year and value
    (NaN: none). Plain lists: a portrait draws many charts."""

    names: list[str]
    years: list[int]
    values: list[float]


def trend_figure(rows: TrendRows, unit: str | None, target: dict | None = None) -> dict:
    """Lines of `rows` per territory, with the target as a dashed line.

    A single year is drawn as bars, not as lone dots on a time axis. Territories of very
    different sizes (a commune and its département: `SCALE_GAP`) are drawn as indices, base
    100 in their first common year, so that no line lies flat at the bottom; the hover and
    the table keep the values."""
    every_value = np.asarray(rows.values, dtype=float)
    kept = np.flatnonzero(~np.isnan(every_value))
    every_year, every_name = rows.years, rows.names
    years, names, values = [int(every_year[i]) for i in kept], [every_name[i] for i in kept], every_value[kept]
    if len(set(years)) == 1:
        return _bars(names, years[0], values, unit)
    lines: dict[str, list[int]] = {}  # each territory's rows, in the order of the series
    for i, name in enumerate(names):
        lines.setdefault(name, []).append(i)
    base_year = _index_base_year(lines, years, values)
    rounded = values.round(4).tolist()  # rounded once for every line: a portrait draws 20-odd charts
    shown = rounded if base_year is None else _indexed(lines, years, values, base_year)
    data: list[dict] = []
    for name, line in lines.items():
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": name,
                "x": [years[i] for i in line],
                "y": [shown[i] for i in line],
                "customdata": [rounded[i] for i in line],
                "hovertemplate": f"{name}<br>%{{x}}{colon()}%{{customdata:,.4~r}} {unit_in(unit)}<extra></extra>",
            }
        )
    if target and not is_missing(target.get("value")) and base_year is None:
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": t("target_line", year=target.get("year", "")),
                "x": [int(min(every_year)) if every_year else target.get("year"), target.get("year")],
                "y": [target["value"], target["value"]],
                "line": {"dash": "dash", "color": "#000"},
            }
        )
    axis = unit_in(unit) if base_year is None else t("index_axis", year=base_year)
    return chart(data, axis, {"dtick": 1, "tickformat": "d"})


def _indexed(lines: dict, years: list[int], values: np.ndarray, base_year: int) -> list[float]:
    """Each value over its territory's value in `base_year`, times 100, rounded as drawn."""
    base = np.empty_like(values)
    for line in lines.values():
        base[line] = values[next(i for i in line if years[i] == base_year)]
    return (values / base * 100).round(4).tolist()


def _index_base_year(lines: dict, years: list[int], values: np.ndarray) -> int | None:
    """The first year every territory has, when their values are too far apart to share an axis.
    `lines`: each territory's row numbers in `years` and `values`."""
    latest = [values[max(rows, key=lambda i: years[i])] for rows in lines.values()]  # at its latest year
    if len(latest) < 2 or (values <= 0).any() or max(latest) < SCALE_GAP * min(latest):
        return None
    common = set.intersection(*({years[i] for i in rows} for rows in lines.values()))
    return min(common) if common else None


def _bars(names: list[str], year: int, values: np.ndarray, unit: str | None) -> dict:
    """One bar per territory, for an indicator with a single year."""
    bar = {
        "type": "bar",
        "x": names,
        "y": np.round(values, 4).tolist(),
        "marker": {"color": "#2c7bb6"},
        "hovertemplate": f"%{{x}} ({year}){colon()}%{{y:,.4~r}} {unit_in(unit)}<extra></extra>",
    }
    return chart([bar], unit_in(unit), {"title": {"text": str(year)}})


def chart(data: list, y_title: str, xaxis: dict, height: int = 380, **layout) -> dict:
    """A figure of `data` in the dashboard's chart style (numbers in the current language), `layout` added."""
    return {
        "data": data,
        "layout": {
            "height": height,
            "margin": {"l": 10, "r": 10, "t": 10, "b": 40},
            "separators": (", " if current_lang() == "fr" else ".,").replace(" ", "\u202f"),
            "yaxis": {"title": {"text": y_title}, "tickformat": ",~r", "automargin": True},
            "xaxis": xaxis,
            "legend": {"orientation": "h", "y": -0.15},
            "plot_bgcolor": "white",
            **layout,
        },
    }


def sparkline_svg(values: Sequence[float], width: int = 120, height: int = 32, colour: str = "#2c7bb6") -> str:
    """A data-URI SVG polyline of `values` (NaN skipped), for an <img> with alt text."""
    return _sparkline(tuple(values), width, height, colour)


@lru_cache(maxsize=64)  # both languages of a portrait draw the same
def _sparkline(values: tuple[float, ...], width: int, height: int, colour: str) -> str:
    points = [v for v in values if not is_missing(v)]
    if len(points) < 2:
        return ""
    low, high = min(points), max(points)
    span = (high - low) or 1.0
    step = (width - 4) / (len(points) - 1)
    coords = " ".join(
        f"{2 + i * step:.1f},{height - 2 - (v - low) / span * (height - 4):.1f}" for i, v in enumerate(points)
    )
    last_x, last_y = coords.split(" ")[-1].split(",")
    svg = (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' viewBox='0 0 {width} {height}'>"
        f"<polyline fill='none' stroke='{colour}' stroke-width='2' points='{coords}'/>"
        f"<circle cx='{last_x}' cy='{last_y}' r='2.5' fill='{colour}'/></svg>"
    )
    return "data:image/svg+xml;utf8," + (svg.translate(URL_QUOTED) if svg.isascii() else quote(svg))


# `urllib.parse.quote`'s escapes of ASCII, as one table: a portrait quotes a sparkline per indicator.
URL_QUOTED = {code: f"%{code:02X}" for code in range(128) if quote(chr(code)) != chr(code)}


def contribution_figure(parts: pd.DataFrame) -> dict:
    """Horizontal bars: each component's contribution to a composite index, in points."""
    ordered = parts.sort_values("contribution", ascending=True)
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "x": ordered["contribution"].round(2).tolist(),
                "y": ordered["label"].tolist(),
                "marker": {"color": "#2c7bb6"},
                "hovertemplate": f"%{{y}}{colon()}%{{x:.1f}} points<extra></extra>",
            }
        ],
        "layout": {
            "height": 80 + 40 * len(ordered),
            "margin": {"l": 10, "r": 10, "t": 10, "b": 40},
            "separators": ", " if current_lang() == "fr" else ".,",
            "xaxis": {"title": {"text": t("col_contribution")}, "rangemode": "tozero"},
            "yaxis": {"automargin": True},
            "plot_bgcolor": "white",
        },
    }
