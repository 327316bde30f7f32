"""The one writer of indicator values as tidy CSV, shared by `itdd publish` and the
dashboard's download links, so that both give the same file.

Columns: indicator_id, level, code, name, year, value, unit, status. A missing or
secret value is an empty cell and its status says why (missing is not zero).
Rows are in a fixed order (level from commune to France, code, year), so the same
database always gives the same bytes.
"""

from __future__ import annotations

import io

import duckdb
import pandas as pd

from etl.catalogue import Level

TIDY_COLUMNS = ["indicator_id", "level", "code", "name", "year", "value", "unit", "status"]
TEXT_COLUMNS = ["indicator_id", "level", "code", "name", "unit", "status"]  # year and value are numbers
# A cell starting with one of these is run as a formula by spreadsheets (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
LEVEL_ORDER = [level.value for level in Level]  # commune up to France


def tidy_values(
    con: duckdb.DuckDBPyConnection, indicator_id: str, level: str | None = None, year: int | None = None
) -> pd.DataFrame:
    """The tidy rows of one indicator, optionally one level and/or one year."""
    return con.execute(
        f"""
        SELECT v.indicator_id, v.level, v.code, coalesce(t.name, v.code) AS name, v.year, v.value,
               i.unit, v.status
        FROM indicator_values AS v
        JOIN indicators AS i USING (indicator_id)
        LEFT JOIN territories AS t ON t.level = v.level AND t.code = v.code
        WHERE v.indicator_id = $1 AND ($2 IS NULL OR v.level = $2) AND ($3 IS NULL OR v.year = $3)
        ORDER BY list_position({LEVEL_ORDER}, v.level), v.code, v.year
        """,
        [indicator_id, level, year],
    ).df()[TIDY_COLUMNS]


def csv_text(rows: pd.DataFrame) -> str:
    """`rows` (TIDY_COLUMNS) as CSV text: UTF-8, comma, '\\n' line ends, shortest exact floats;
    text cells that a spreadsheet would run as a formula are defused."""
    buffer = io.StringIO()
    shown = rows.astype({"year": "Int64"}).assign(value=rows["value"].map(_shortest))
    for column in TEXT_COLUMNS:
        shown[column] = shown[column].map(defuse_formula)
    shown.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


def _shortest(value: float) -> str:
    """The shortest text that reads back as the same float; '2492' rather than '2492.0'."""
    if pd.isna(value):
        return ""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def defuse_formula(cell: object) -> object:
    """A text cell a spreadsheet would run as a formula, with a leading `'` (shown as text); others unchanged."""
    return "'" + cell if isinstance(cell, str) and cell.startswith(FORMULA_START) else cell
