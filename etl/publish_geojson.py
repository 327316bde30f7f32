"""`donnees/territoires-<level>.geojson`: each territory with, per indicator, the value of the
latest year with values at that level, its status and its progress category."""

from __future__ import annotations

import json

import duckdb
import pandas as pd

from etl.publish_metadata import text_of


def latest_values(con: duckdb.DuckDBPyConnection, level: str) -> pd.DataFrame:
    """Per indicator, each territory's value in the latest year with values at `level`,
    with its status and progress category (NULL without an assessment)."""
    progress = (
        "(SELECT indicator_id, level, code, category FROM indicator_progress)"
        if con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'indicator_progress'"
        ).fetchone()[0]
        else "(SELECT NULL::VARCHAR AS indicator_id, NULL AS level, NULL AS code, NULL::VARCHAR AS category)"
    )
    return con.execute(
        f"""
        WITH latest AS (
            SELECT indicator_id, max(year) AS year FROM indicator_values
            WHERE level = $1 AND value IS NOT NULL GROUP BY indicator_id
        )
        SELECT v.indicator_id, v.code, v.year, v.value, v.status, p.category
        FROM indicator_values AS v JOIN latest USING (indicator_id, year)
        LEFT JOIN {progress} AS p ON p.indicator_id = v.indicator_id AND p.level = v.level AND p.code = v.code
        WHERE v.level = $1
        ORDER BY v.indicator_id, v.code
        """,  # noqa: S608 (fragments of code; values as parameters)
        [level],
    ).df()


def territories_geojson(con: duckdb.DuckDBPyConnection, level: str, indicator_ids: list[str]) -> dict:
    """The territories of `level` with geometry, and per indicator `<id>`, `<id>__year`,
    `<id>__status` and `<id>__progress` as properties (null where there is no value)."""
    shapes = con.execute(
        """
        SELECT g.code, coalesce(t.name, g.code) AS name, g.geojson FROM geometries AS g
        LEFT JOIN territories AS t ON t.level = g.level AND t.code = g.code
        WHERE g.level = ? ORDER BY g.code
        """,
        [level],
    ).fetchall()
    latest = latest_values(con, level)
    by_key = {(r.indicator_id, r.code): r for r in latest.itertuples()}
    with_values = set(latest["indicator_id"].tolist())
    present = [i for i in indicator_ids if i in with_values]
    features = []
    for code, name, geometry in shapes:
        properties = {"code": code, "name": name}
        for indicator_id in present:
            row = by_key.get((indicator_id, code))
            properties[indicator_id] = _number(row.value) if row else None
            properties[f"{indicator_id}__year"] = int(row.year) if row else None
            properties[f"{indicator_id}__status"] = row.status if row else None
            properties[f"{indicator_id}__progress"] = (text_of(row.category) or None) if row else None
        features.append({"type": "Feature", "id": code, "properties": properties, "geometry": json.loads(geometry)})
    return {"type": "FeatureCollection", "features": features}


def _number(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)
