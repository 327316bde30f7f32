"""Set-based queries: one query for many territories, each row with its `level` and `code`.

Each function takes a list of (level, code) territories and returns the rows of all of them,
ordered by level, code, then as the one-territory query in `dashboard.queries` or `dashboard.progress_queries` orders them
(those delegate here, so each query is written once). `split` cuts such a result into one
frame per territory, as the one-territory query would have returned it: the static site
(`dashboard.site_data`) runs one query per kind of data for a batch of pages instead of
one per page.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from dashboard import progress_queries
from itdd.method import status_select
from itdd.model import LEVELS, sql_level_list
from itdd.sql import literal, python_text, registered

KEY = ["level", "code"]
PEER_KEY = ["level", "territory_code"]  # territory_peers: `code` is the peer's
REFERENCE_KEY = ["territory_level", "territory_code"]  # reference_territories: `level`, `code` the reference's
# DuckDB integer types, as pandas receives them when a column has no NULL
INTEGER_DTYPES = {"TINYINT": np.int8, "SMALLINT": np.int16, "INTEGER": np.int32, "BIGINT": np.int64}


# Up to this many territories, a query names each as constants (`territory_condition`).
FEW_TERRITORIES = 50


def territory_condition(territories: list[tuple[str, str]], alias: str = "") -> str:
    """`(level = 'commune' AND code = '33063') OR …` for a few territories: DuckDB checks such
    constants against each row group's bounds and skips the others, where a join with a frame of
    them bounds the code by one range over every level's codes, which nearly every row group meets."""
    prefix = f"{alias}." if alias else ""
    pairs = dict.fromkeys(territories)
    return " OR ".join(f"({prefix}level = {literal(lv)} AND {prefix}code = {literal(c)})" for lv, c in pairs) or "false"


def wanted_frame(territories: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(list(dict.fromkeys(territories)), columns=KEY, dtype=object)


def _select(con: duckdb.DuckDBPyConnection, sql: str, territories: list[tuple[str, str]], params=None) -> pd.DataFrame:
    wanted = wanted_frame(territories)  # noqa: F841 (read by DuckDB)
    relation = con.execute(sql, params or [])
    types = [str(kind) for _, kind, *_ in relation.description]
    frame = python_text(relation.df())
    frame.attrs["duckdb_types"] = dict(zip(frame.columns, types, strict=True))
    return frame


def reference_territories(con: duckdb.DuckDBPyConnection, territories: list[tuple[str, str]]) -> pd.DataFrame:
    """Each territory's enclosing EPCI, département, région and France (and France métropolitaine,
    which some producers publish instead), where they exist, widest last; the territory as
    `territory_level`, `territory_code` (`REFERENCE_KEY`). An EPCI's département is the one of
    most of its member communes (the first by code when two have as many)."""
    above = sql_level_list(LEVELS[1:])  # every level above the commune
    return _select(
        con,
        f"""WITH parents AS (
            SELECT w.level AS territory_level, w.code AS territory_code, l.parent_level AS level, l.parent_code AS code
            FROM wanted AS w JOIN territory_links AS l ON l.child_level = w.level AND l.child_code = w.code
            WHERE list_contains({above}, l.parent_level)
            UNION
            SELECT territory_level, territory_code, level, code FROM (
                SELECT w.level AS territory_level, w.code AS territory_code, d.parent_level AS level,
                       d.parent_code AS code, count(*) AS members
                FROM wanted AS w
                JOIN territory_links AS m ON m.parent_level = 'epci' AND m.parent_code = w.code
                 AND m.child_level = 'commune'
                JOIN territory_links AS d ON d.child_level = 'commune' AND d.child_code = m.child_code
                 AND d.parent_level = 'departement'
                WHERE w.level = 'epci'
                GROUP BY 1, 2, 3, 4
                QUALIFY row_number() OVER (PARTITION BY territory_level, territory_code ORDER BY members DESC, code) = 1
            )
        )
        SELECT p.territory_level, p.territory_code, p.level, p.code, coalesce(t.name, p.code) AS name
        FROM parents AS p LEFT JOIN territories AS t USING (level, code)
        ORDER BY p.territory_level, p.territory_code, list_position({above}, p.level), p.code = 'METRO', p.code""",  # noqa: S608 (level list from code)
        territories,
    )


def progress_rows(con: duckdb.DuckDBPyConnection, territories: list[tuple[str, str]]) -> pd.DataFrame:
    """Rows of `indicator_progress` of each territory, by indicator (context indicators keep theirs)."""
    select = ", ".join(progress_queries.PROGRESS_COLUMNS)
    return _select(
        con,
        f"SELECT {select} FROM indicator_progress JOIN wanted USING (level, code) ORDER BY level, code, indicator_id",  # noqa: S608 (column names from code)
        territories,
    )


POSITION_COLUMNS = ["indicator_id", "year", "reference_level", "reference_code", "position"]


def positions(con: duckdb.DuckDBPyConnection, values: pd.DataFrame, territories: list[tuple[str, str]]) -> pd.DataFrame:
    """Each territory's position against each reference, per indicator and year: its rows of
    `indicator_status`, computed over `values` (the territories' and their references' rows, as
    `queries.territory_values` gives them) instead of reading `indicator_values` again."""
    read = values[["indicator_id", "level", "code", "year", "value", "status"]]
    with registered(con, "_territory_values", read) as name:
        return _select(
            con,
            f"""SELECT level, code, {", ".join(POSITION_COLUMNS)} FROM ({status_select(name)})
                JOIN wanted USING (level, code) ORDER BY ALL""",  # noqa: S608 (names from code)
            territories,
        )


def progress_summary(con: duckdb.DuckDBPyConnection, territories: list[tuple[str, str]]) -> pd.DataFrame:
    """Per territory, finality and category, how many indicators (from `progress_summary`)."""
    columns = ["finality", "category", "indicators"]
    return _select(
        con,
        f"SELECT level, code, {', '.join(columns)} FROM progress_summary JOIN wanted USING (level, code) "  # noqa: S608 (column names from code)
        "ORDER BY level, code, finality, category",
        territories,
    )


def peer_comparisons(con: duckdb.DuckDBPyConnection, territories: list[tuple[str, str]]) -> pd.DataFrame:
    """Every row of `indicator_peer_comparison` of the territories (its own columns, in its order)."""
    return _select(
        con,
        "SELECT c.* FROM indicator_peer_comparison AS c JOIN wanted USING (level, code) ORDER BY c.level, c.code, c.indicator_id",
        territories,
    )


def territory_peers(con: duckdb.DuckDBPyConnection, territories: list[tuple[str, str]]) -> pd.DataFrame:
    """Each territory's comparable territories, nearest first, with names."""
    return _select(
        con,
        """SELECT p.level, p.code AS territory_code, p.peer_code AS code, coalesce(t.name, p.peer_code) AS name,
        p.rank, p.distance
        FROM territory_peers p JOIN wanted w ON w.level = p.level AND w.code = p.code
        LEFT JOIN territories t ON t.level = p.level AND t.code = p.peer_code
        ORDER BY p.level, p.code, p.rank""",
        territories,
    )


def policy_effects(con: duckdb.DuckDBPyConnection, territories: list[tuple[str, str]]) -> pd.DataFrame:
    """The declared policies of the territories (`policy_effects` rows)."""
    return _select(
        con,
        "SELECT e.* FROM policy_effects AS e JOIN wanted USING (level, code) "
        "ORDER BY e.level, e.code, e.policy_id, e.indicator_id",
        territories,
    )


def policy_series(con: duckdb.DuckDBPyConnection, territories: list[tuple[str, str]]) -> pd.DataFrame:
    """The series of the territories' declared policies, with the territory's level and code first."""
    return _select(
        con,
        """SELECT e.level, e.code, s.* FROM policy_series s JOIN policy_effects e USING (policy_id, indicator_id)
        JOIN wanted w ON w.level = e.level AND w.code = e.code
        ORDER BY e.level, e.code, s.policy_id, s.indicator_id, s.year""",
        territories,
    )


def epci_neighbours(con: duckdb.DuckDBPyConnection, territories: list[tuple[str, str]]) -> pd.DataFrame:
    """For each commune, the communes of its EPCI (itself included), as (level, code, neighbour)."""
    return _select(
        con,
        """SELECT mine.child_level AS level, mine.child_code AS code, member.child_code AS neighbour
        FROM territory_links AS mine
        JOIN wanted w ON w.level = mine.child_level AND w.code = mine.child_code
        JOIN territory_links AS member USING (parent_level, parent_code, child_level)
        WHERE mine.child_level = 'commune' AND mine.parent_level = 'epci'
        ORDER BY 1, 2, 3""",
        territories,
    )


def split(frame: pd.DataFrame, key: list[str] | None = None, keep_key: bool = False) -> dict[tuple, pd.DataFrame]:
    """{(level, code): that territory's rows}, each indexed from 0 and with the dtypes a
    one-territory query gives: an integer column is nullable only where that territory has
    NULLs, a text column of objects where it has no text.
    `keep_key` keeps the key columns (a table's own `level` and `code`)."""
    key = key or KEY
    types = frame.attrs.get("duckdb_types", {})
    # a column without NULL in the whole frame has none in any part: its dtype is set once here,
    # and only the columns with NULLs are looked at again in each part
    nulls = {column: frame[column].isna().to_numpy() for column in types if column in frame}
    with_nulls = {column: types[column] for column, found in nulls.items() if found.any()}
    whole = _integer_dtypes(frame.copy(), types)
    body = whole if keep_key else whole.drop(columns=key)
    rows = frame.groupby(key, sort=False).indices if len(frame) else {}
    return {
        found: _integer_dtypes(
            _rows(body, at).reset_index(drop=True), with_nulls, {c: nulls[c][at] for c in with_nulls}
        )
        for found, at in rows.items()
    }


def _rows(frame: pd.DataFrame, at: np.ndarray) -> pd.DataFrame:
    """The rows at the ascending positions `at`: a slice when they follow each other, as a
    territory's rows do in a result ordered by level and code (faster than `take`)."""
    return frame.iloc[at[0] : at[-1] + 1] if at[-1] - at[0] + 1 == len(at) else frame.take(at)


def empty_part(frame: pd.DataFrame, key: list[str] | None = None, keep_key: bool = False) -> pd.DataFrame:
    """The frame a one-territory query gives for a territory without rows."""
    part = frame.iloc[0:0] if keep_key else frame.iloc[0:0].drop(columns=key or KEY)
    return _integer_dtypes(part.reset_index(drop=True), frame.attrs.get("duckdb_types", {}))


def _integer_dtypes(part: pd.DataFrame, types: dict[str, str], nulls: dict | None = None) -> pd.DataFrame:
    """`part` with the dtypes a query of its rows alone gives (`types`: DuckDB's, by column);
    `nulls`: where each column is NULL, when the caller knows (`split`: faster than asking pandas)."""
    for column, kind in types.items():
        if column not in part:
            continue
        wanted = INTEGER_DTYPES.get(kind)
        converted = wanted and part[column].dtype != wanted
        if not converted and kind != "VARCHAR":
            continue
        none = part[column].isna().to_numpy() if nulls is None else nulls[column]
        if converted and not none.any():
            part[column] = part[column].astype(wanted)
        elif kind == "VARCHAR" and none.all():  # DuckDB gives text without a value as objects
            part[column] = pd.Series([None] * len(part), index=part.index, dtype=object)
    part.attrs = {}
    return part


def one(frame: pd.DataFrame, key: list[str] | None = None, keep_key: bool = False) -> pd.DataFrame:
    """The rows of a query of this module over one territory, as a one-territory query gives them
    (what `split` gives that territory, without grouping)."""
    part = frame if keep_key else frame.drop(columns=key or KEY)
    return _integer_dtypes(part.reset_index(drop=True), frame.attrs.get("duckdb_types", {}))
