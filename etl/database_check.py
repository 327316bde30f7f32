"""Is a file a usable itdd database? What `itdd serve` and `itdd publish` ask before reading
one: a readable DuckDB file, with every required table (itdd.model), each readable whole,
built with this itdd's schema version; else the reason, and "rebuild it"."""

from __future__ import annotations

from pathlib import Path

import duckdb

from itdd.model import REQUIRED_TABLES, SCHEMA_VERSION
from itdd.sql import literal, quote


def database_problem(db_path: Path) -> str | None:
    """Why `db_path` is not a usable itdd database, or None if it is.

    Every table is read whole (a count of each column's values), not only listed: a truncated
    or damaged file is refused here, before serving, rather than on a page. It takes tens of ms.
    """
    rebuild = f"rebuild it with `itdd build --db {db_path}`"
    if db_path.is_dir():
        return f"a directory, not a database file; {rebuild}"
    # A private in-memory instance: duckdb.connect(path) could return an instance of this
    # process already open on the path, not the file as it is now.
    with duckdb.connect(":memory:") as con:
        try:
            con.execute(f"ATTACH {literal(str(db_path))} AS checked (TYPE duckdb, READ_ONLY)")
        except duckdb.Error as e:
            return f"not a readable DuckDB file ({str(e).splitlines()[0]}); {rebuild}"
        tables = [
            name
            for (name,) in con.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_catalog = 'checked' AND table_type = 'BASE TABLE' ORDER BY table_name"
            ).fetchall()
        ]
        missing = [t for t in REQUIRED_TABLES if t not in tables]
        if missing:
            return f"not an itdd database (no table {', '.join(missing)}); {rebuild}"
        for table in tables:
            try:
                con.execute(f"SELECT count(COLUMNS(*)) FROM checked.{quote(table)}").fetchall()  # noqa: S608 (table names from code, quoted)
            except duckdb.Error as e:
                return f"damaged: table {table} cannot be read ({str(e).splitlines()[0]}); {rebuild}"
        version = _schema_version(con) if "itdd_meta" in tables else None
    if version != SCHEMA_VERSION:  # an older file: its tables may lack what this itdd reads
        return (
            f"built by another version of itdd (database schema {version or 1}, this itdd reads "
            f"{SCHEMA_VERSION}); rebuild with `itdd build --db {db_path}`"
        )
    return None


def _schema_version(con: duckdb.DuckDBPyConnection) -> int | None:
    try:
        row = con.execute("SELECT max(schema_version) FROM checked.itdd_meta").fetchone()
    except duckdb.Error:
        return None
    return row[0] if row else None
