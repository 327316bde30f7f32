"""Load: producers' files into raw DuckDB tables (`raw_<source>`), every cell as text."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

import duckdb

from etl.catalogue import Source


class LoadError(Exception):
    def __init__(self, source_id: str, path: Path, reason: str):
        super().__init__(f"source '{source_id}': cannot read {path.name}: {reason}")


def raw_table(source: Source) -> str:
    return f"raw_{source.id}"


def load_raw(con: duckdb.DuckDBPyConnection, source: Source, path: Path) -> int:
    """Create `raw_<source>` from the file at `path`; return its row count."""
    if source.format == "insee_csv_zip":
        with tempfile.TemporaryDirectory() as tmp:
            return _load_csv(con, source, _unzip_member(source, path, Path(tmp)), source.separator)
    return _load_csv(con, source, path, ",")


def _unzip_member(source: Source, path: Path, folder: Path) -> Path:
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            if source.member not in names:
                raise LoadError(source.id, path, f"no member '{source.member}' in the zip; it has: {', '.join(names)}")
            return Path(zf.extract(source.member, folder))
    except zipfile.BadZipFile:
        raise LoadError(source.id, path, "not a zip file") from None


def _load_csv(con: duckdb.DuckDBPyConnection, source: Source, path: Path, separator: str) -> int:
    table = raw_table(source)
    try:
        con.execute(
            f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM read_csv(?, delim = ?, header = true, "
            "all_varchar = true, quote = '\"')",
            [str(path), separator],
        )
    except duckdb.Error as e:
        raise LoadError(source.id, path, str(e).splitlines()[0]) from None
    columns = {c[0] for c in con.execute(f"DESCRIBE {table}").fetchall()}
    wanted = {source.key, source.year_column, source.level_column, source.status_column}
    wanted |= {col for cols in source.variables.values() for col in cols}
    absent = sorted(c for c in wanted - columns if c)
    if absent:
        raise LoadError(source.id, path, f"missing column(s) {', '.join(absent)}; found: {', '.join(sorted(columns))}")
    return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
