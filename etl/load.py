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
from python_calamine import CalamineError

from etl.catalogue_sources import MEMBER_CODE, MEMBER_LEVEL, Source
from itdd.sql import literal, quote, registered


class LoadError(Exception):
    def __init__(self, source_id: str, path: Path, reason: str):
        super().__init__(f"source '{source_id}': cannot read {path.name}: {reason}")


def raw_table(source: Source) -> str:
    return f"raw_{source.id}"


def load_raw(con: duckdb.DuckDBPyConnection, source: Source, path: Path) -> int:
    """Create `raw_<source>` from the file at `path`; return its row count."""
    with tempfile.TemporaryDirectory() as tmp:
        file = _unzip_member(source, path, source.member, Path(tmp)) if source.member else path
        try:
            if source.members:
                _load_members(con, source, path, Path(tmp))
            elif source.format == "xlsx":
                _load_xlsx(con, source, file)
            elif source.format == "geojson":
                _load_geojson(con, source, file)
            elif source.format == "json":
                _load_json_lines(con, source, file)
            else:
                _load_csv(con, source, file)
        except (duckdb.Error, ValueError, KeyError, OSError, pyogrio.errors.DataSourceError, CalamineError) as e:
            raise LoadError(source.id, path, str(e).splitlines()[0]) from None
    table = raw_table(source)
    columns = {c[0] for c in con.execute(f"DESCRIBE {table}").fetchall()}
    absent = sorted(source.columns() - columns)
    if absent:
        raise LoadError(source.id, path, f"missing column(s) {', '.join(absent)}; found: {', '.join(sorted(columns))}")
    return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 (names through quote()/raw_table(); paths and texts through literal())


def load_raw_parts(con: duckdb.DuckDBPyConnection, source: Source, paths: list[Path]) -> int:
    """`raw_<source>` from the files of a source fetched once per département, read as one."""
    if len(paths) == 1:
        return load_raw(con, source, paths[0])
    table, parts = raw_table(source), []
    try:
        for n, path in enumerate(paths):
            load_raw(con, source, path)
            parts.append(f"{table}__part{n}")
            con.execute(f"ALTER TABLE {table} RENAME TO {parts[-1]}")
        con.execute(
            f"CREATE OR REPLACE TABLE {table} AS {' UNION ALL BY NAME '.join(f'SELECT * FROM {p}' for p in parts)}"  # noqa: S608 (names through quote()/raw_table(); paths and texts through literal())
        )
    finally:
        for part in parts:
            con.execute(f"DROP TABLE IF EXISTS {part}")
    return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 (names through quote()/raw_table(); paths and texts through literal())


def _unzip_member(source: Source, path: Path, member: str, folder: Path) -> Path:
    """Extract `member`, its name matched ignoring case: INSEE republished one URL with
    `.csv` members where it had `.CSV` ones."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            found = [n for n in names if n.casefold() == member.casefold()]
            if len(found) != 1:
                problem = "no member" if not found else f"{len(found)} members named like"
                raise LoadError(source.id, path, f"{problem} '{member}' in the zip; it has: {', '.join(names)}")
            size = zf.getinfo(found[0]).file_size
            if size > source.max_bytes:  # checked before a byte is written: no decompression bomb
                raise LoadError(source.id, path, f"member '{found[0]}' holds {size:,} bytes, over max_bytes")
            return Path(zf.extract(found[0], folder))
    except zipfile.BadZipFile:
        raise LoadError(source.id, path, "not a zip file") from None


def _load_members(con: duckdb.DuckDBPyConnection, source: Source, path: Path, folder: Path) -> None:
    """One raw table from several CSV members of a zip (one per level), by column name,
    each row tagged with its member's level and fixed code."""
    parts = []
    for n, (name, member) in enumerate(source.members.items()):
        file = _unzip_member(source, path, name, folder / str(n))
        code = literal(member.code) if member.code else "NULL::VARCHAR"
        parts.append(
            f"SELECT *, {literal(member.level.value)} AS {quote(MEMBER_LEVEL)}, {code} AS {quote(MEMBER_CODE)} "  # noqa: S608 (names through quote()/raw_table(); paths and texts through literal())
            f"FROM {_read_csv(source, file)}"
        )
    con.execute(f"CREATE OR REPLACE TABLE {raw_table(source)} AS {' UNION ALL BY NAME '.join(parts)}")


def _read_csv(source: Source, path: Path) -> str:
    # Every cell as text: decimal marks, markers and codes with leading zeros are read later.
    return (
        f"read_csv({literal(str(path))}, delim = {literal(source.separator)}, header = true, all_varchar = true, "
        f"quote = '\"', encoding = {literal(source.encoding)})"
    )


def _load_csv(con: duckdb.DuckDBPyConnection, source: Source, path: Path) -> None:
    con.execute(f"CREATE OR REPLACE TABLE {raw_table(source)} AS SELECT * FROM {_read_csv(source, path)}")  # noqa: S608 (names through quote()/raw_table(); paths and texts through literal())


def _load_json_lines(con: duckdb.DuckDBPyConnection, source: Source, path: Path) -> None:
    # The rows of a JSON API, one object per line (etl.extract). Every key of any row becomes
    # a text column, so that "2023" and 2023, 623.861 and "623.861" read alike.
    rows = f"read_json_objects({literal(str(path))}, format = 'newline_delimited')"
    keys = [k for (k,) in con.execute(f"SELECT DISTINCT unnest(json_keys(json)) FROM {rows} ORDER BY 1").fetchall()]  # noqa: S608 (names through quote()/raw_table(); paths and texts through literal())
    if not keys:
        raise ValueError("no JSON object with keys")
    columns = ", ".join(f"json_extract_string(json, {literal('$.' + json.dumps(k))}) AS {quote(k)}" for k in keys)
    con.execute(f"CREATE OR REPLACE TABLE {raw_table(source)} AS SELECT {columns} FROM {rows}")  # noqa: S608 (names through quote()/raw_table(); paths and texts through literal())


def _load_geojson(con: duckdb.DuckDBPyConnection, source: Source, path: Path) -> None:
    features = gpd.read_file(path)
    frame = pd.DataFrame(features.drop(columns="geometry").astype(str))
    frame["geometry_wkb"] = shapely.to_wkb(features.geometry.to_numpy())
    _register(con, source, frame)


def _register(con: duckdb.DuckDBPyConnection, source: Source, frame: pd.DataFrame) -> None:
    with registered(con, "raw_frame", frame):
        con.execute(f"CREATE OR REPLACE TABLE {raw_table(source)} AS SELECT * FROM raw_frame")  # noqa: S608 (names through quote()/raw_table(); paths and texts through literal())


def _load_xlsx(con: duckdb.DuckDBPyConnection, source: Source, path: Path) -> None:
    # INSEE workbooks put title lines, then labels, then codes above the data. calamine: a
    # national EPCI workbook in 0.5 s, where openpyxl took 3.4 s for the same strings.
    frame = pd.read_excel(path, sheet_name=source.sheet, header=source.header_row - 1, dtype=str, engine="calamine")
    frame.columns = [str(c) for c in frame.columns]
    _register(con, source, frame)
