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

from etl.catalogue import Column, Source
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


def _number(expr: str) -> str:
    # Producers write decimals with a comma or a point; blanks and masks become NULL.
    return f"TRY_CAST(replace(trim({expr}), ',', '.') AS DOUBLE)"


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _where(spec: Column) -> str:
    clauses = ["true"]
    for column, wanted in spec.where.items():
        values = [wanted] if isinstance(wanted, str) else wanted
        clauses.append(f"trim({quote(column)}) IN ({', '.join(_literal(v) for v in values)})")
    return " AND ".join(clauses)


def tidy(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    """Append the source's variables to `observations`, one row per (level, code, year)."""
    con.execute(OBSERVATIONS_DDL)
    raw = raw_table(source)
    key = " || ".join(f"trim({quote(k)})" for k in source.keys)
    level = f"trim({quote(source.level_column)})" if source.level_column else _literal(source.level.value)
    status_col = f"coalesce({quote(source.status_column)}, 'ok')" if source.status_column else "'ok'"
    blank = _literal(source.blank)
    for variable, spec in source.variables.items():
        if isinstance(spec, Column):  # long file: filter rows, sum duplicates per (code, year)
            number = _number(quote(spec.column))
            _warn_not_numbers(con, source, raw, spec.column, _where(spec))
            con.execute(
                f"""INSERT INTO observations
                SELECT ?, ?, level, code, year, sum(value), {SUM_STATUS}
                FROM (SELECT {level} AS level, {key} AS code, TRY_CAST({quote(source.year_column)} AS INTEGER) AS year,
                             {number} AS value,
                             CASE WHEN {number} IS NULL THEN {blank} ELSE {status_col} END AS status
                      FROM {raw} WHERE {_where(spec)})
                GROUP BY level, code, year""",
                [source.id, variable],
            )
            continue
        for column, year in spec.items():
            number = _number(quote(column))
            year_sql = (
                f"TRY_CAST({quote(source.year_column)} AS INTEGER)"
                if source.year_column
                else ("NULL" if year is None else str(int(year)))
            )
            _warn_not_numbers(con, source, raw, column, "true")
            con.execute(
                f"""INSERT INTO observations
                SELECT ?, ?, {level}, {key}, {year_sql}, {number},
                       CASE WHEN {number} IS NULL THEN {blank} ELSE {status_col} END
                FROM {raw}""",
                [source.id, variable],
            )


def _warn_not_numbers(con: duckdb.DuckDBPyConnection, source: Source, raw: str, column: str, where: str) -> None:
    col = quote(column)
    count, example = con.execute(
        f"SELECT count(*), any_value({col}) FROM {raw} "
        f"WHERE {where} AND trim(coalesce({col}, '')) <> '' AND {_number(col)} IS NULL"
    ).fetchone()
    if count:
        log.warning(
            "%s.%s: %d value(s) are not numbers (e.g. %r), kept as %s", source.id, column, count, example, source.blank
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


def harmonise(con: duckdb.DuckDBPyConnection, non_additive: list[tuple[str, str]] = ()) -> None:
    """Build `obs`: commune values summed onto reference codes, other levels as published.

    A non-additive variable (a median, a rate) of communes that merged cannot be carried:
    the successor gets no value, never a sum of medians.
    """
    changes = con.execute("SELECT old_code, new_code FROM commune_changes").fetchall()
    con.execute("CREATE OR REPLACE TABLE code_map (old_code VARCHAR, code VARCHAR)")
    con.executemany("INSERT INTO code_map VALUES (?, ?)", list(code_map(changes).items()))
    con.execute("CREATE OR REPLACE TEMP TABLE _non_additive (source_id VARCHAR, variable VARCHAR)")
    if non_additive:
        con.executemany("INSERT INTO _non_additive VALUES (?, ?)", list(non_additive))
    con.execute(f"""
        CREATE OR REPLACE TABLE obs AS
        WITH carried AS (
            SELECT o.source_id, o.variable, coalesce(m.code, o.code) AS code, o.year,
                   sum(o.value) AS value, {SUM_STATUS} AS status, count(*) AS parts
            FROM observations o LEFT JOIN code_map m ON o.code = m.old_code
            WHERE o.level = 'commune'
              AND coalesce(m.code, o.code) IN (SELECT code FROM territories WHERE level = 'commune')
            GROUP BY ALL
        )
        SELECT c.source_id, c.variable, 'commune' AS level, c.code, c.year,
               CASE WHEN n.variable IS NULL OR c.parts = 1 THEN c.value END AS value,
               CASE WHEN n.variable IS NULL OR c.parts = 1 THEN c.status ELSE 'missing' END AS status
        FROM carried c LEFT JOIN _non_additive n USING (source_id, variable)
        UNION ALL
        SELECT source_id, variable, level, code, year, value, status
        FROM observations WHERE level <> 'commune'
    """)
    lost = con.execute("""
        SELECT count(*) FROM obs o JOIN _non_additive n USING (source_id, variable)
        WHERE o.level = 'commune' AND o.status = 'missing' AND o.code IN (SELECT code FROM code_map)""").fetchone()[0]
    if lost:
        log.info("%d value(s) of non-additive variables not carried across commune mergers", lost)
