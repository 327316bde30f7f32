"""Composite indices in the Lab M21 style: normalised components, polarity respected, weights.

For one level at a time (communes with communes, EPCI with EPCI):

1. The index years are the years of the components' data at that level, from the first
   year every component has data. For index year Y, each component takes the territory's
   latest value from Y - `component_max_age` to Y (0 by default: the same year).
2. Each component is scaled min-max over the territories of the level,
   `(v - min) / (max - min)`, or `(max - v) / (max - min)` when lower is better, with
   `min` and `max` taken on the values that enter the index in the `reference_period`
   years (by default, the first index year). The bounds are fixed: a later year does not
   re-scale earlier ones, and a change from one year to the next is a real change. A
   value outside the reference range scores below 0 or above 1: it is not clipped.
3. The index is `100 * sum(weight * normalised) / sum(weight)`: 0 is the worst reference
   territory on every component, 100 the best.

A territory missing any component (secret, missing, too old) gets no index for that
year: its status is `secret` if a missing component is secret, else `missing`. There is
no reweighting over the components that remain, because an index over fewer components
would not be comparable with its neighbours'. A component value that is `incomplete`
makes the index `incomplete`.

`composite_components` holds each component's value, normalised score, weight and
contribution (in index points; they sum to the index). `composite_bounds` holds the
fixed bounds, for the indicator sheet's explanation.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from etl.catalogue import Catalogue, Indicator
from itdd.model import TABLE, columns
from itdd.sql import registered

log = logging.getLogger(__name__)

USABLE = ("ok", "incomplete")
INDEX_COLUMNS = ["level", "code", "year", "value", "status"]
# The frames' columns: the tables' (itdd.model) but their indicator_id, added when stored.
CONTRIBUTION_COLUMNS = columns("composite_components")[1:]
BOUND_COLUMNS = columns("composite_bounds")[1:]

COMPOSITE_DDL = ";\n".join(TABLE[t].create(if_not_exists=True) for t in ("composite_components", "composite_bounds"))


@dataclass(frozen=True)
class Part:
    """A component as the computation needs it: id, direction, weight."""

    id: str
    polarity: str
    weight: float = 1.0


def composite_frame(
    values: pd.DataFrame,
    parts: list[Part],
    reference_period: tuple[int, int] | None = None,
    component_max_age: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The index from component values.

    `values`: component_id, level, code, year, value, status (rows of `indicator_values`).
    Returns (index rows: level, code, year, value, status;
             contributions: level, code, year, component_id, component_year, value, normalised, weight, contribution;
             bounds: level, component_id, polarity, weight, minimum, maximum, reference_first, reference_last).
    """
    ids = [p.id for p in parts]
    total = sum(p.weight for p in parts)
    spec = pd.DataFrame(
        {"component_id": ids, "polarity": [p.polarity for p in parts], "weight": [p.weight / total for p in parts]}
    )
    values = values[values["component_id"].isin(ids)]
    index_rows, contribution_rows, bound_rows = [], [], []
    for level, at_level in values.groupby("level", sort=True):
        first_years = at_level.groupby("component_id")["year"].min()
        if set(first_years.index) != set(ids):
            continue  # a component has no data at all at this level: no index
        years = sorted(y for y in at_level["year"].unique() if y >= first_years.max())
        reference = reference_period or (years[0], years[0])
        picked = _latest_components(at_level, spec, years, component_max_age)
        picked, bounds = _normalised(picked, ids, reference)
        per_territory, status = _per_territory(picked)
        index_rows.append(
            pd.DataFrame(
                {
                    "level": level,
                    "code": per_territory.index.get_level_values("code"),
                    "year": per_territory.index.get_level_values("index_year"),
                    "value": per_territory["value"].where(per_territory["complete"]).to_numpy(),
                    "status": status,
                }
            )
        )
        complete = per_territory.index[per_territory["complete"]]
        by_territory = picked.set_index(["code", "index_year"])
        kept = by_territory[by_territory.index.isin(complete)].reset_index()
        contribution_rows.append(kept.assign(level=level).rename(columns={"index_year": "year"})[CONTRIBUTION_COLUMNS])
        bound_rows.append(
            bounds.merge(spec, on="component_id").assign(
                level=level, reference_first=reference[0], reference_last=reference[1]
            )
        )

    def stacked(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
        return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)

    index = stacked(index_rows, INDEX_COLUMNS)
    contributions = stacked(contribution_rows, CONTRIBUTION_COLUMNS)
    bounds = stacked(bound_rows, BOUND_COLUMNS)
    return index, contributions, bounds


def _latest_components(at_level: pd.DataFrame, spec: pd.DataFrame, years: list, max_age: int) -> pd.DataFrame:
    """For every territory, index year and component: the component's latest row within its
    allowed age (`max_age` years before the index year), or none."""
    grid = (
        at_level[["code"]]
        .drop_duplicates()
        .merge(pd.DataFrame({"index_year": years}), how="cross")
        .merge(spec, how="cross")
    )
    rows = at_level[["code", "component_id", "year", "value", "status"]]
    rows = rows.assign(year=rows["year"].astype(grid["index_year"].dtype)).rename(columns={"year": "component_year"})
    # An as-of join, in the grid's order: joining every index year to every year of a component
    # made millions of rows nationally (11 s of the build).
    picked = (
        pd.merge_asof(
            grid.assign(grid_row=np.arange(len(grid))).sort_values("index_year", kind="stable"),
            rows.sort_values("component_year", kind="stable"),
            left_on="index_year",
            right_on="component_year",
            by=["code", "component_id"],
            direction="backward",
            tolerance=max_age,
        )
        .sort_values("grid_row")
        .drop(columns="grid_row")
        .reset_index(drop=True)
    )
    picked["available"] = picked["value"].notna() & picked["status"].isin(USABLE)
    return picked


def _normalised(picked: pd.DataFrame, ids: list[str], reference: tuple[int, int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each component scaled to [0, 1] between its bounds over the reference years, by polarity;
    its contribution, and whether it is usable. Returns (picked with them, bounds)."""
    in_reference = picked["available"] & picked["index_year"].between(*reference)
    bounds = (
        picked[in_reference]
        .groupby("component_id")["value"]
        .agg(minimum="min", maximum="max")
        .reindex(ids)
        .reset_index()
    )
    picked = picked.merge(bounds, on="component_id", how="left")
    spread = (picked["maximum"] - picked["minimum"]).where(lambda s: s > 0)
    higher = picked["polarity"] == "higher_is_better"
    picked["normalised"] = np.where(
        higher, (picked["value"] - picked["minimum"]) / spread, (picked["maximum"] - picked["value"]) / spread
    )
    picked["contribution"] = 100 * picked["weight"] * picked["normalised"]
    picked["usable"] = picked["available"] & picked["normalised"].notna()
    return picked, bounds


def _per_territory(picked: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Per territory and index year: complete or not, the index (sum of contributions) and its status."""
    # Boolean columns reduced with built-in `any`: a Python lambda per group is 300x slower.
    picked["is_incomplete"] = picked["status"] == "incomplete"
    picked["is_secret"] = picked["status"] == "secret"
    per_territory = picked.groupby(["code", "index_year"]).agg(
        complete=("usable", "all"),
        value=("contribution", "sum"),
        incomplete=("is_incomplete", "any"),
        secret=("is_secret", "any"),
    )
    status = np.where(
        per_territory["complete"],
        np.where(per_territory["incomplete"], "incomplete", "ok"),
        np.where(per_territory["secret"], "secret", "missing"),
    )
    return per_territory, status


def parts_for(indicator: Indicator, catalogue: Catalogue) -> list[Part] | None:
    """The components with their direction; None (and a warning) if one has none."""
    parts = []
    for component in indicator.component_specs():
        polarity = component.polarity or catalogue.indicator(component.id).polarity
        if polarity is None:
            log.warning(
                "%s: component %s has no polarity; give one in `components` ({id: %s, polarity: ...}). "
                "The index is not computed.",
                indicator.id,
                component.id,
                component.id,
            )
            return None
        parts.append(Part(component.id, polarity, component.weight))
    return parts


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(COMPOSITE_DDL)


def compute_composite(con: duckdb.DuckDBPyConnection, catalogue: Catalogue, indicator: Indicator) -> None:
    """Add the index to `indicator_values`, and its components to `composite_components`."""
    ensure_tables(con)
    parts = parts_for(indicator, catalogue)
    if parts is None:
        return
    levels = [lv.value for lv in indicator.levels]
    values = con.execute(
        "SELECT indicator_id AS component_id, level, code, year, value, status FROM indicator_values "
        "WHERE list_contains(?, indicator_id) AND list_contains(?, level)",
        [[p.id for p in parts], levels],
    ).df()
    norm = indicator.normalisation
    index, contributions, bounds = composite_frame(
        values,
        parts,
        reference_period=norm.reference_period if norm else None,
        component_max_age=norm.component_max_age if norm else 0,
    )
    tagged = {
        name: frame.assign(indicator_id=indicator.id)
        for name, frame in (("_index", index), ("_contributions", contributions), ("_bounds", bounds))
    }
    with (
        registered(con, "_index", tagged["_index"]),
        registered(con, "_contributions", tagged["_contributions"]),
        registered(con, "_bounds", tagged["_bounds"]),
    ):
        con.execute("""INSERT INTO indicator_values
            SELECT indicator_id, level, code, year, value, NULL, NULL, status FROM _index ORDER BY level, code, year""")
        con.execute("""INSERT INTO composite_components
            SELECT indicator_id, level, code, year, component_id, component_year, value, normalised, weight, contribution
            FROM _contributions ORDER BY level, code, year, component_id""")
        con.execute("""INSERT INTO composite_bounds
            SELECT indicator_id, level, component_id, polarity, weight, minimum, maximum, reference_first, reference_last
            FROM _bounds""")
    computed = int(index["value"].notna().sum()) if len(index) else 0
    log.info("%s: %d index values over %d territory-years", indicator.id, computed, len(index))
