"""Transform: raw tables to tidy observations on the reference code list.

`observations(source_id, variable, level, code, year, value, status)` holds every value
as published; `obs` holds commune values carried to the reference code list (merged
communes summed into their successor) plus the producers' own totals at other levels.

Status: `ok`; `missing` (blank or absent, value NULL); `secret` (withheld, value NULL);
`incomplete` (a value computed without some of its parts).
"""

from __future__ import annotations

import logging

import duckdb

from etl.catalogue import Source
from etl.load import raw_table

log = logging.getLogger(__name__)

OBSERVATIONS_DDL = """
CREATE TABLE IF NOT EXISTS observations (
    source_id VARCHAR, variable VARCHAR, level VARCHAR, code VARCHAR,
    year INTEGER, value DOUBLE, status VARCHAR
)"""

# The status of a sum over parts: complete only if every part is there.
SUM_STATUS = """
CASE WHEN count(*) FILTER (WHERE value IS NULL) = 0 AND bool_and(status = 'ok') THEN 'ok'
     WHEN count(value) > 0 THEN 'incomplete'
     WHEN bool_or(status = 'secret') THEN 'secret'
     ELSE 'missing' END"""


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def tidy(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    """Append the source's variables to `observations`, one row per (code, year)."""
    con.execute(OBSERVATIONS_DDL)
    raw = raw_table(source)
    level = quote(source.level_column) if source.level_column else "'commune'"
    blank = "'missing'"
    for variable, columns in source.variables.items():
        for column, year in columns.items():
            col = quote(column)
            number = f"TRY_CAST(replace(trim({col}), ',', '.') AS DOUBLE)"
            year_sql = (
                f"TRY_CAST({quote(source.year_column)} AS INTEGER)"
                if source.year_column
                else ("NULL" if year is None else str(int(year)))
            )
            status = (
                f"CASE WHEN {number} IS NULL THEN {blank} ELSE coalesce({quote(source.status_column)}, 'ok') END"
                if source.status_column
                else f"CASE WHEN {number} IS NULL THEN {blank} ELSE 'ok' END"
            )
            bad = con.execute(
                f"SELECT count(*), any_value({col}) FROM {raw} WHERE trim(coalesce({col}, '')) <> '' AND {number} IS NULL"
            ).fetchone()
            if bad[0]:
                log.warning("%s.%s: %d value(s) are not numbers (e.g. %r), kept as missing", source.id, column, *bad)
            con.execute(
                f"""INSERT INTO observations
                SELECT ?, ?, {level}, trim({quote(source.key)}), {year_sql}, {number}, {status}
                FROM {raw}""",
                [source.id, variable],
            )


def code_map(changes: list[tuple[str, str]]) -> dict[str, str]:
    """old code -> code in the reference list, following chains of mergers."""
    direct = dict(changes)
    resolved = {}
    for old in direct:
        seen, code = {old}, direct[old]
        while code in direct and code not in seen:
            seen.add(code)
            code = direct[code]
        resolved[old] = code
    return resolved


def harmonise(con: duckdb.DuckDBPyConnection) -> None:
    """Build `obs`: commune values summed onto reference codes, other levels as published."""
    changes = con.execute("SELECT old_code, new_code FROM commune_changes").fetchall()
    con.execute("CREATE OR REPLACE TABLE code_map (old_code VARCHAR, code VARCHAR)")
    con.executemany("INSERT INTO code_map VALUES (?, ?)", list(code_map(changes).items()))
    con.execute(f"""
        CREATE OR REPLACE TABLE obs AS
        SELECT o.source_id, o.variable, 'commune' AS level, coalesce(m.code, o.code) AS code, o.year,
               sum(o.value) AS value, {SUM_STATUS} AS status
        FROM observations o LEFT JOIN code_map m ON o.code = m.old_code
        WHERE o.level = 'commune'
          AND coalesce(m.code, o.code) IN (SELECT code FROM territories WHERE level = 'commune')
        GROUP BY ALL
        UNION ALL
        SELECT source_id, variable, level, code, year, value, status
        FROM observations WHERE level <> 'commune'
    """)
