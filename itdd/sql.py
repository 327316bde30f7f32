"""SQL text for names and values that come from producers' files, the catalogue and the
command line: every value enters a statement as a parameter, or through `literal` or
`quote` where DuckDB takes no parameter (a `COPY … TO` path, an `ATTACH`, a name)."""

from __future__ import annotations

import collections
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb
import numpy as np
import pandas as pd


def quote(identifier: str) -> str:
    """A column or table name, quoted: `P18_POP`, `Code Commune`, `nb "sites"`."""
    return '"' + identifier.replace('"', '""') + '"'


def literal(value: str) -> str:
    """A string constant: `'Electricité'`, `'L''Île'`."""
    return "'" + value.replace("'", "''") + "'"


def python_text(found):
    """A frame's text columns as Python strings (object dtype), not pandas' Arrow-backed `str`:
    pages read a few rows at a time (`itertuples`, `take`, one cell), where each Arrow access
    costs microseconds; the static site's pages took a third more time with them."""
    if not isinstance(found, pd.DataFrame):
        return found
    text = [column for column, kind in found.dtypes.items() if isinstance(kind, pd.StringDtype)]
    return found.astype(dict.fromkeys(text, object)) if text else found


def named_rows(frame: pd.DataFrame) -> list:
    """The rows of `frame` as `itertuples` gives them (named tuples, the index first, the same
    values), with one tuple class per set of columns rather than one per call, read column by
    column: a portrait reads a few dozen small frames this way (ten times faster)."""
    make = _row_class(tuple(frame.columns))._make
    if all(_plain(kind) for kind in frame.dtypes):  # every column at once, as Python objects
        columns = frame.to_numpy(dtype=object).T.tolist()
    else:
        columns = [_cells(column) for _, column in frame.items()]
    return list(map(make, zip(_cells(frame.index), *columns, strict=True)))


def _plain(kind) -> bool:
    """A NumPy array of numbers, text or objects, whose items are Python scalars: not a nullable
    integer, a date or pandas' own text, whose cells are other objects."""
    return isinstance(kind, np.dtype) and kind.kind in "biufO"


def _cells(column) -> list:
    """A column's values as iterating it gives them (the scalars of its kind)."""
    return column.to_numpy().tolist() if _plain(column.dtype) else list(column)


@functools.lru_cache(maxsize=256)  # one per query's columns: bounded by the code
def _row_class(columns: tuple) -> Any:
    return collections.namedtuple("Pandas", ["Index", *map(str, columns)], rename=True)


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> Iterator[str]:
    """A DataFrame readable as the view `name` inside the block, unregistered after it even
    on error; yields the quoted name. A result left unfetched on `con` (by a `fetchone`) is
    finished first: DuckDB 2 refuses to register or unregister beside one."""
    con.complete()
    con.register(name, frame)
    try:
        yield quote(name)
    finally:
        con.complete()
        con.unregister(name)


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """Append the rows of a DataFrame to `table`, columns matched by name, in one set-based
    statement (`executemany` runs one statement per row: 46 s for 35,000 outlines)."""
    if frame.empty:
        return
    with registered(con, f"_frame_{table}", frame) as view:
        con.execute(f"INSERT INTO {quote(table)} BY NAME SELECT * FROM {view}")  # noqa: S608 (quoted names)
