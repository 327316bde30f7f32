"""Read-only queries over the itdd DuckDB file.

The functions take an open DuckDB connection and return pandas objects, so
they can be tested against a synthetic database. `Database` opens the file
read-only for each call: a rebuild that atomically swaps the file is picked
up without restarting the server.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

log = logging.getLogger(__name__)


def list_indicators(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Catalogue rows of the indicators that have at least one non-NULL value."""
    return con.execute(
        """
        SELECT i.indicator_id, i.label_fr, i.unit, i.finality, i.polarity,
               i.kind, i.levels, i.sources, i.definition_fr
        FROM indicators AS i
        WHERE EXISTS (
            SELECT 1 FROM indicator_values AS v
            WHERE v.indicator_id = i.indicator_id AND v.value IS NOT NULL
        )
        ORDER BY i.finality, i.label_fr, i.indicator_id
        """
    ).df()


def available_years(con: duckdb.DuckDBPyConnection, indicator_id: str, level: str) -> list[int]:
    """Years (ascending) with at least one non-NULL value at this level."""
    rows = con.execute(
        """
        SELECT DISTINCT year FROM indicator_values
        WHERE indicator_id = ? AND level = ? AND value IS NOT NULL
        ORDER BY year
        """,
        [indicator_id, level],
    ).fetchall()
    return [int(year) for (year,) in rows]


def indicator_values(con: duckdb.DuckDBPyConnection, indicator_id: str, level: str, year: int) -> pd.DataFrame:
    """Values of one indicator for one level and year, with territory names.

    NULL values stay NULL (NaN): missing and secret data are not zero.
    """
    return con.execute(
        """
        SELECT v.code, coalesce(t.name, v.code) AS name, v.value,
               v.numerator, v.denominator, v.status
        FROM indicator_values AS v
        LEFT JOIN territories AS t ON t.level = v.level AND t.code = v.code
        WHERE v.indicator_id = ? AND v.level = ? AND v.year = ?
        ORDER BY v.code
        """,
        [indicator_id, level, int(year)],
    ).df()


def list_sources(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Sources that went into this build, for attribution (producer, title, url, licence)."""
    return con.execute(
        "SELECT source_id, producer, title, url, licence FROM sources "
        "WHERE source_id IN (SELECT source_id FROM provenance) ORDER BY source_id"
    ).df()


def geometries_geojson(con: duckdb.DuckDBPyConnection, level: str = "commune") -> dict:
    """All geometries of a level as a FeatureCollection whose feature id is the code."""
    rows = con.execute(
        """
        SELECT g.code, coalesce(t.name, g.code) AS name, g.geojson
        FROM geometries AS g
        LEFT JOIN territories AS t ON t.level = g.level AND t.code = g.code
        WHERE g.level = ?
        ORDER BY g.code
        """,
        [level],
    ).fetchall()
    features = [
        {
            "type": "Feature",
            "id": code,
            "properties": {"code": code, "name": name},
            "geometry": json.loads(geometry),
        }
        for code, name, geometry in rows
    ]
    return {"type": "FeatureCollection", "features": features}


class Database:
    """Opens the DuckDB file read-only per call; caches geometries per file version."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._geojson_cache: dict[str, tuple[tuple[int, int, int], dict]] = {}

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        con = duckdb.connect(str(self.path), read_only=True)
        try:
            yield con
        finally:
            con.close()

    def _file_version(self) -> tuple[int, int, int]:
        # An atomic rename gives a new inode; an in-place rewrite a new mtime/size.
        st = os.stat(self.path)
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def indicators(self) -> pd.DataFrame:
        with self.connect() as con:
            return list_indicators(con)

    def years(self, indicator_id: str, level: str) -> list[int]:
        with self.connect() as con:
            return available_years(con, indicator_id, level)

    def values(self, indicator_id: str, level: str, year: int) -> pd.DataFrame:
        with self.connect() as con:
            return indicator_values(con, indicator_id, level, year)

    def sources(self) -> pd.DataFrame:
        with self.connect() as con:
            return list_sources(con)

    def geojson(self, level: str = "commune") -> dict:
        """Geometries of a level, parsed once per version of the file."""
        # Read the version before loading: a swap in between only causes a reload later.
        version = self._file_version()
        with self._lock:
            cached = self._geojson_cache.get(level)
        if cached is not None and cached[0] == version:
            return cached[1]
        with self.connect() as con:
            collection = geometries_geojson(con, level)
        log.info(
            "loaded %d %s geometries from %s",
            len(collection["features"]),
            level,
            self.path,
        )
        with self._lock:
            self._geojson_cache[level] = (version, collection)
        return collection
