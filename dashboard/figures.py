"""Pure Plotly figure builders (no database access)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

NARROW_NBSP = "\u202f"  # French thousands separator and space before a unit

# Viridis and Blues are readable with the common colour-vision deficiencies.
# For indicators with a polarity the bright yellow end is always the favourable one.
JUDGED_SCALE = "Viridis"
# Context indicators: single hue, no good/bad reading. The near-white start of
# Blues is dropped so that low values stay visible on the white background.
NEUTRAL_SCALE = [
    [0.0, "#c6dbef"],
    [0.25, "#9ecae1"],
    [0.5, "#6baed6"],
    [0.75, "#2171b5"],
    [1.0, "#08306b"],
]

MISSING_LABEL = "Donnée manquante"
SECRET_LABEL = "Secret statistique"
MISSING_COLOUR = "#bdbdbd"
SECRET_COLOUR = "#737373"

GIRONDE_CENTER = {"lon": -0.6, "lat": 44.85}
GIRONDE_ZOOM = 7.6  # whole department in the 620 px high map


def format_fr(value: float | None, max_decimals: int = 2) -> str:
    """Format a number the French way: 1234567.8 -> '1 234 567,8' (U+202F groups)."""
    if value is None or pd.isna(value):
        return MISSING_LABEL
    text = f"{value:,.{max_decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text == "-0":
        text = "0"
    return text.replace(",", NARROW_NBSP).replace(".", ",")


def format_value(value: float | None, unit: str | None) -> str:
    text = format_fr(value)
    if unit and text != MISSING_LABEL:
        text = f"{text}{NARROW_NBSP}{unit}"
    return text


def colour_scale(polarity: str | None) -> tuple[str | list, bool]:
    """(Plotly colour scale, reversescale) for an indicator polarity."""
    if polarity == "higher_is_better":
        return JUDGED_SCALE, False
    if polarity == "lower_is_better":
        return JUDGED_SCALE, True
    return NEUTRAL_SCALE, False


def _subset(geojson: dict, codes: list[str]) -> dict:
    # Each trace carries only its own features, so the page does not ship
    # the geometries several times.
    wanted = set(codes)
    return {
        "type": "FeatureCollection",
        "features": [f for f in geojson["features"] if f["id"] in wanted],
    }


def _flat_trace(geojson: dict, rows: pd.DataFrame, label: str, colour: str) -> go.Choroplethmap:
    """One-colour trace for territories without a value (z is a dummy constant)."""
    codes = rows["code"].tolist()
    return go.Choroplethmap(
        geojson=_subset(geojson, codes),
        locations=codes,
        featureidkey="id",
        z=[1] * len(codes),
        colorscale=[[0, colour], [1, colour]],
        showscale=False,
        showlegend=True,
        name=label,
        customdata=rows[["name"]].to_numpy(),
        hovertemplate=f"<b>%{{customdata[0]}}</b><br>{label}<extra></extra>",
        marker={"line": {"color": "white", "width": 0.4}},
    )


def choropleth(
    geojson: dict,
    values_df: pd.DataFrame,
    unit: str | None,
    polarity: str | None,
    title: str,
) -> go.Figure:
    """Choropleth of `values_df` (code, name, value, status) over `geojson` features.

    Territories drawn on the map but absent from `values_df`, or with a NULL
    value, go into a grey "Donnée manquante" trace (secret ones into a
    "Secret statistique" trace): they are never coloured as 0.
    """
    names = {f["id"]: f.get("properties", {}).get("name", f["id"]) for f in geojson["features"]}
    df = values_df[["code", "name", "value", "status"]].copy()
    df = df[df["code"].isin(names.keys())]
    present = set(df["code"])
    absent = [code for code in names if code not in present]
    if absent:
        df = pd.concat(
            [
                df,
                pd.DataFrame(
                    {"code": absent, "name": [names[c] for c in absent], "value": float("nan"), "status": "missing"}
                ),
            ],
            ignore_index=True,
        )
    has_value = df["value"].notna()
    shown = df[has_value]
    secret = df[~has_value & (df["status"] == "secret")]
    missing = df[~has_value & (df["status"] != "secret")]

    scale, reverse = colour_scale(polarity)
    notes = shown["status"].map({"incomplete": " (donnée incomplète)"}).fillna("")
    hover_values = [format_value(v, unit) + n for v, n in zip(shown["value"], notes, strict=True)]
    fig = go.Figure()
    fig.add_trace(
        go.Choroplethmap(
            geojson=_subset(geojson, shown["code"].tolist()),
            locations=shown["code"].tolist(),
            featureidkey="id",
            z=shown["value"].tolist(),
            colorscale=scale,
            reversescale=reverse,
            # ",~g" with the French `separators` gives "250 000" rather than "250k".
            colorbar={"title": {"text": unit or ""}, "thickness": 14, "tickformat": ",~g"},
            showlegend=False,
            name="Valeur",
            customdata=list(zip(shown["name"], hover_values, strict=True)),
            hovertemplate="<b>%{customdata[0]}</b><br>%{customdata[1]}<extra></extra>",
            marker={"line": {"color": "white", "width": 0.4}},
        )
    )
    if not missing.empty:
        fig.add_trace(_flat_trace(geojson, missing, MISSING_LABEL, MISSING_COLOUR))
    if not secret.empty:
        fig.add_trace(_flat_trace(geojson, secret, SECRET_LABEL, SECRET_COLOUR))
    fig.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left"},
        map={"style": "white-bg", "center": GIRONDE_CENTER, "zoom": GIRONDE_ZOOM},
        margin={"l": 0, "r": 0, "t": 48, "b": 0},
        legend={"x": 0.01, "y": 0.01, "xanchor": "left", "yanchor": "bottom", "bgcolor": "rgba(255,255,255,0.8)"},
        separators=f",{NARROW_NBSP}",
        height=620,
    )
    return fig
