"""Values enter SQL as parameters or through itdd.sql's quoting, never raw: a `'` in a
path or a name breaks nothing (issue #12, item 7). Rows here are SYNTHETIC."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from etl.publish_files import Writer, write_parquet
from itdd.sql import literal, named_rows, quote, registered


def test_write_parquet_into_a_folder_with_a_quote(tmp_path) -> None:
    folder = tmp_path / "l'export d'Aquitaine"
    (folder / "data").mkdir(parents=True)
    rows = pd.DataFrame({"code": ["33063", "33281"], "year": [2020, 2021], "value": [1.5, None]})
    with duckdb.connect() as con:
        published = write_parquet(con, Writer(folder), "data/x.parquet", rows)
        back = con.execute(
            "SELECT code, year, value FROM read_parquet(?) ORDER BY code", [str(folder / published.path)]
        )
        assert back.fetchall() == [("33063", 2020, 1.5), ("33281", 2021, None)]


def test_literal_and_quote_survive_their_own_quotes() -> None:
    with duckdb.connect() as con:
        name, column = "L'Île-d'Yeu", 'nb "sites"'
        assert con.execute(f"SELECT {literal(name)}").fetchone() == (name,)
        assert con.execute(f"SELECT 1 AS {quote(column)}").description[0][0] == column


def test_registered_unregisters_even_on_error() -> None:
    with duckdb.connect() as con:
        with pytest.raises(duckdb.Error), registered(con, "_frame", pd.DataFrame({"a": [1, 2]})) as view:
            assert con.execute(f"SELECT sum(a) FROM {view}").fetchone() == (3,)
            con.execute("SELECT no_such_column FROM _frame")
        with pytest.raises(duckdb.CatalogException):
            con.execute("SELECT * FROM _frame")


def test_registered_beside_a_result_left_unfetched() -> None:
    """A `fetchone` leaves its result open; DuckDB refuses a register (or unregister) beside it."""
    with duckdb.connect() as con:
        assert con.execute("SELECT * FROM range(5)").fetchone() == (0,)
        with registered(con, "_frame", pd.DataFrame({"a": [1, 2]})) as view:
            assert con.execute(f"SELECT sum(a) FROM {view}").fetchone() == (3,)


def test_named_rows_are_itertuples_rows() -> None:
    frame = pd.DataFrame(
        {
            "code": ["33063", None, "33281"],
            "value": [1.5, None, 3.0],
            "year": [2020, 2021, 2022],
            "count": pd.array([1, None, 3], dtype="Int64"),
            "secret": [True, False, True],
            "built": pd.to_datetime(["2024-01-01", None, "2025-06-30"]),
            "not an identifier": [1, 2, 3],
        },
        index=[5, 3, 9],
    )
    plain = frame[["code", "value", "year", "secret", "not an identifier"]].astype({"code": object})  # read at once
    for part in (frame, frame.iloc[[2, 0]], frame.iloc[:0], plain, plain.iloc[[2, 0]], plain.iloc[:0]):
        expected, found = list(part.itertuples()), named_rows(part)
        assert [row._fields for row in found] == [row._fields for row in expected]
        assert [[repr(cell) for cell in row] for row in found] == [[repr(cell) for cell in row] for row in expected]
        assert [[type(cell) for cell in row] for row in found] == [[type(cell) for cell in row] for row in expected]
