"""Load: producers' files into raw DuckDB tables (`raw_<source>`), every cell as text."""

from __future__ import annotations

import json
import tempfile
import zipfile
from pathlib import Path

import duckdb
import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from etl.catalogue import Source
from etl.sql import literal, quote


class LoadError(Exception):
    def __init__(self, source_id: str, path: Path, reason: str):
        super().__init__(f"source '{source_id}': cannot read {path.name}: {reason}")


def raw_table(source: Source) -> str:
    return f"raw_{source.id}"


def load_raw(con: duckdb.DuckDBPyConnection, source: Source, path: Path) -> int:
    """Create `raw_<source>` from the file at `path`; return its row count."""
    with tempfile.TemporaryDirectory() as tmp:
        file = _unzip_member(source, path, Path(tmp)) if source.member else path
        try:
            if source.format == "xlsx":
                _load_xlsx(con, source, file)
            elif source.format == "geojson":
                _load_geojson(con, source, file)
            elif source.format == "json":
                _load_json_lines(con, source, file)
            else:
                _load_csv(con, source, file)
        except (duckdb.Error, ValueError, KeyError, OSError, pyogrio.errors.DataSourceError) as e:
            raise LoadError(source.id, path, str(e).splitlines()[0]) from None
    table = raw_table(source)
    columns = {c[0] for c in con.execute(f"DESCRIBE {table}").fetchall()}
    absent = sorted(source.columns() - columns)
    if absent:
        raise LoadError(source.id, path, f"missing column(s) {', '.join(absent)}; found: {', '.join(sorted(columns))}")
    return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def _unzip_member(source: Source, path: Path, folder: Path) -> Path:
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            if source.member not in names:
                raise LoadError(source.id, path, f"no member '{source.member}' in the zip; it has: {', '.join(names)}")
            return Path(zf.extract(source.member, folder))
    except zipfile.BadZipFile:
        raise LoadError(source.id, path, "not a zip file") from None


def _load_csv(con: duckdb.DuckDBPyConnection, source: Source, path: Path) -> None:
    con.execute(
        f"CREATE OR REPLACE TABLE {raw_table(source)} AS SELECT * FROM read_csv(?, delim = ?, header = true, "
        "all_varchar = true, quote = '\"', encoding = ?)",
        [str(path), source.separator, source.encoding],
    )


def _load_json_lines(con: duckdb.DuckDBPyConnection, source: Source, path: Path) -> None:
    # The rows of a JSON API, one object per line (etl.extract). Every key of any row becomes
    # a text column, so that "2023" and 2023, 623.861 and "623.861" read alike.
    rows = f"read_json_objects({literal(str(path))}, format = 'newline_delimited')"
    keys = [k for (k,) in con.execute(f"SELECT DISTINCT unnest(json_keys(json)) FROM {rows} ORDER BY 1").fetchall()]
    if not keys:
        raise ValueError("no JSON object with keys")
    columns = ", ".join(f"json_extract_string(json, {literal('$.' + json.dumps(k))}) AS {quote(k)}" for k in keys)
    con.execute(f"CREATE OR REPLACE TABLE {raw_table(source)} AS SELECT {columns} FROM {rows}")


def _load_geojson(con: duckdb.DuckDBPyConnection, source: Source, path: Path) -> None:
    features = gpd.read_file(path)
    frame = pd.DataFrame(features.drop(columns="geometry").astype(str))
    frame["geometry_wkb"] = shapely.to_wkb(features.geometry.to_numpy())
    _register(con, source, frame)


def _register(con: duckdb.DuckDBPyConnection, source: Source, frame: pd.DataFrame) -> None:
    con.register("raw_frame", frame)
    con.execute(f"CREATE OR REPLACE TABLE {raw_table(source)} AS SELECT * FROM raw_frame")
    con.unregister("raw_frame")


def _load_xlsx(con: duckdb.DuckDBPyConnection, source: Source, path: Path) -> None:
    # INSEE workbooks put title lines, then labels, then codes above the data.
    frame = pd.read_excel(path, sheet_name=source.sheet, header=source.header_row - 1, dtype=str)
    frame.columns = [str(c) for c in frame.columns]
    _register(con, source, frame)
