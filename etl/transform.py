"""Transform: raw tables to tidy observations on the reference code list.

`observations(source_id, variable, level, code, year, value, status)` holds every value
as published; `obs` holds commune values carried to the reference code list (merged
communes summed into their successor) plus the producers' own totals at other levels.

Status: `ok`; `missing` (blank or absent, value NULL); `secret` (withheld, value NULL);
`incomplete` (a value computed without some of its parts).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import duckdb
import pandas as pd

from etl.catalogue_sources import MEMBER_CODE, MEMBER_LEVEL, Column, Source
from etl.load import raw_table
from itdd.model import TABLE
from itdd.sql import insert_frame, literal, quote

log = logging.getLogger(__name__)

OBSERVATIONS_DDL = TABLE["observations"].create(if_not_exists=True)

# Sums use `fsum` (compensated summation): DuckDB adds in parallel, in no fixed order, and a
# plain `sum` of the same doubles can differ in its last digit from one build to the next.

# The status of a sum over parts: complete only if every part is there.
SUM_STATUS = """
CASE WHEN count(*) FILTER (WHERE value IS NULL) = 0 AND bool_and(status = 'ok') THEN 'ok'
     WHEN count(value) > 0 THEN 'incomplete'
     WHEN bool_or(status = 'secret') THEN 'secret'
     ELSE 'missing' END"""


def _number(expr: str) -> str:
    # Producers write decimals with a comma or a point; blanks, markers, NaN and infinities become NULL.
    number = f"TRY_CAST(replace(trim({expr}), ',', '.') AS DOUBLE)"
    return f"(CASE WHEN isfinite({number}) THEN {number} END)"


def _cell_status(source: Source, column: str, ok: str) -> str:
    """The status of one cell: `ok` for a number, else what the producer's blank or marker
    means (`blank`, `markers`); any other text is missing (and warned about)."""
    cell = f"trim({quote(column)})"
    secret = [m for m, status in source.markers.items() if status == "secret"]
    return f"""CASE WHEN {_number(quote(column))} IS NOT NULL THEN {ok}
        WHEN coalesce({cell}, '') = '' THEN {literal(source.blank)}
        WHEN {cell} IN ({", ".join(literal(m) for m in secret) or "NULL"}) THEN 'secret'
        ELSE 'missing' END"""


def _year(expr: str) -> str:
    # "2023", or a date such as "2018-01-01T00:00:00.000" (the ministry's indicator files)
    return f"TRY_CAST(left(trim({expr}), 4) AS INTEGER)"


def _where(spec: Column) -> str:
    clauses = ["true"]
    for column, wanted in spec.where.items():
        values = [wanted] if isinstance(wanted, str) else wanted
        clauses.append(f"trim({quote(column)}) IN ({', '.join(literal(v) for v in values)})")
    return " AND ".join(clauses)


def tidy(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    """Append the source's variables to `observations`, one row per (level, code, year), in one
    statement per source (one per cell column took a scan each on wide files)."""
    con.execute(OBSERVATIONS_DDL)
    raw = raw_table(source)
    key = " || ".join(f"trim({quote(k)})" for k in source.keys)
    if source.members:  # a member may fix the code of its rows (METRO's "1")
        key = f"coalesce({quote(MEMBER_CODE)}, {key})"
    level = level_sql(source)
    status_col = f"coalesce({quote(source.status_column)}, 'ok')" if source.status_column else "'ok'"
    selects, checked = [], []  # one SELECT per variable (long) or cell column (wide); (column, rows read)
    for variable, spec in source.variables.items():
        factor = f" * {float(source.multiply[variable])!r}" if variable in source.multiply else ""
        named = f"{literal(source.id)}, {literal(variable)}"
        if isinstance(spec, Column):  # long file: filter rows, sum duplicates (and columns) per (code, year)
            rows = " UNION ALL ".join(
                f"""SELECT {level} AS level, {key} AS code, {_year(quote(source.year_column))} AS year,
                           {_number(quote(column))}{factor} AS value, {_cell_status(source, column, status_col)} AS status
                    FROM {raw} WHERE {_where(spec)}"""  # noqa: S608 (names through quote()/raw_table(); texts through literal())
                for column in spec.columns
            )
            selects.append(
                f"SELECT {named}, level, code, year, fsum(value), {SUM_STATUS} FROM ({rows}) GROUP BY level, code, year"  # noqa: S608 (names through quote()/raw_table(); texts through literal())
            )
            checked += [(column, _where(spec)) for column in spec.columns]
            continue
        for column, year in spec.items():
            year_sql = (
                f"{_year(quote(source.year_column))}"
                if source.year_column
                else ("NULL" if year is None else str(int(year)))
            )
            selects.append(
                f"""SELECT {named}, {level}, {key}, {year_sql}, {_number(quote(column))}{factor},
                {_cell_status(source, column, status_col)} FROM {raw}"""  # noqa: S608 (names through quote()/raw_table(); texts through literal())
            )
            checked.append((column, "true"))
    _warn_not_numbers(con, source, raw, checked)
    if selects:
        con.execute("INSERT INTO observations " + " UNION ALL ".join(selects))
    if source.incomplete_years:
        con.execute(
            "UPDATE observations SET status = 'incomplete' WHERE source_id = ? AND status = 'ok' AND year IN "
            "(SELECT unnest(?))",
            [source.id, list(source.incomplete_years)],
        )


def level_sql(source: Source) -> str:
    """The level of each row; NULL for a code of `level_values` we do not read (it is dropped)."""
    if source.members:
        return quote(MEMBER_LEVEL)
    if not source.level_column:
        return literal(source.level.value)
    column = f"trim({quote(source.level_column)})"
    if not source.level_values:
        return column
    cases = " ".join(f"WHEN {literal(code)} THEN {literal(lv.value)}" for code, lv in source.level_values.items())
    return f"CASE {column} {cases} END"


def _warn_not_numbers(con: duckdb.DuckDBPyConnection, source: Source, raw: str, checked: list[tuple[str, str]]) -> None:
    """Say when cells are neither numbers, blanks nor the source's declared markers (one scan
    for all the `(column, rows read)` pairs)."""
    if not checked:
        return
    markers = ", ".join(literal(m) for m in source.markers) or "NULL"

    def bad(column: str, where: str) -> str:
        col = quote(column)
        return (
            f"{where} AND trim(coalesce({col}, '')) <> '' AND trim({col}) NOT IN ({markers}) AND {_number(col)} IS NULL"
        )

    found = con.execute(
        "SELECT "  # noqa: S608 (names through quote()/raw_table(); texts through literal())
        + ", ".join(
            f"count(*) FILTER (WHERE {bad(c, w)}), any_value({quote(c)}) FILTER (WHERE {bad(c, w)})" for c, w in checked
        )
        + f" FROM {raw}"
    ).fetchone()
    for n, (column, _) in enumerate(checked):
        count, example = found[2 * n], found[2 * n + 1]
        if count:
            log.warning(
                "%s.%s: %d value(s) are not numbers (e.g. %r), kept as missing", source.id, column, count, example
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


# INSEE's v_mvt_commune events: mergers and code changes, and re-establishments (splits).
MERGER_EVENTS = ("31", "32", "33", "34", "41", "50")
SPLIT_EVENTS = ("21",)


def history_from_insee(con: duckdb.DuckDBPyConnection, raw: str) -> None:
    """Replace `commune_changes` with INSEE's history of changes, and list the splits."""
    con.execute(f"""
        CREATE OR REPLACE TABLE commune_changes AS
        SELECT DISTINCT trim(COM_AV) AS old_code, trim(COM_AP) AS new_code, trim(DATE_EFF) AS date,
               'INSEE MOD ' || trim(MOD) AS event, nullif(trim(LIBELLE_AV), '') AS old_name
        FROM {raw}
        WHERE trim(MOD) IN {MERGER_EVENTS} AND TYPECOM_AV = 'COM' AND TYPECOM_AP = 'COM' AND COM_AV <> COM_AP
        ORDER BY date, old_code""")  # noqa: S608 (names through quote()/raw_table(); texts through literal())
    con.execute(f"""
        CREATE OR REPLACE TABLE commune_splits AS
        SELECT DISTINCT trim(DATE_EFF) AS date, unnest([trim(COM_AV), trim(COM_AP)]) AS code
        FROM {raw} WHERE trim(MOD) IN {SPLIT_EVENTS} AND TYPECOM_AV = 'COM' AND TYPECOM_AP = 'COM'""")  # noqa: S608 (names through quote()/raw_table(); texts through literal())


def code_map_frame(maps: list[tuple[int | None, str, str]]) -> pd.DataFrame:
    """The rows of `code_maps` as a frame (a missing vintage stays NULL, not NaN)."""
    return pd.DataFrame(maps, columns=["vintage", "old_code", "code"]).astype({"vintage": "Int64"})


def code_maps(
    con: duckdb.DuckDBPyConnection, vintages: set[int | None], current: set[str] | None = None
) -> list[tuple[int | None, str, str]]:
    """(vintage, old code, reference code): a source in the code list of 1 January V
    only goes through the changes after that date; None goes through all of them. `current`:
    the communes of the reference list (default: the build's)."""
    changes = con.execute("SELECT old_code, new_code, date FROM commune_changes ORDER BY date").fetchall()
    if current is None:
        current = {c for (c,) in con.execute("SELECT code FROM territories WHERE level = 'commune'").fetchall()}
    rows = []
    for vintage in vintages:
        after = [(old, new) for old, new, date in changes if vintage is None or str(date) > f"{vintage}-01-01"]
        # a code in force today was re-established after its merger: it maps to itself
        rows += [(vintage, old, code) for old, code in code_map(after).items() if old not in current]
    return rows


def code_mapping(con: duckdb.DuckDBPyConnection, vintage: int | None) -> dict[str, str]:
    """old code -> reference code, for data in the code list of 1 January `vintage`."""
    return {old: code for _, old, code in code_maps(con, {vintage})}


# Paris, Lyon and Marseille: some national files list their arrondissements municipaux
# beside the city itself, which must then not be counted twice.
ARRONDISSEMENTS = """(code BETWEEN '75101' AND '75120' OR code BETWEEN '69381' AND '69389'
                      OR code BETWEEN '13201' AND '13216')"""
CITY_OF_ARRONDISSEMENT = "CASE left(code, 2) WHEN '75' THEN '75056' WHEN '69' THEN '69123' ELSE '13055' END"
DEPARTEMENT_OF_COMMUNE = "CASE WHEN code LIKE '97%' THEN left(code, 3) ELSE left(code, 2) END"


def national_totals(con: duckdb.DuckDBPyConnection) -> None:
    """Add to `observations` the région, France and France métropolitaine sums of national
    files (`france_departements`: France is its 101 départements, metropolitan and overseas,
    as INSEE counts it). A région's and France métropolitaine's sums need every one of their
    départements. France's needs every metropolitan one: an overseas département the file
    lacks (INSEE's legal populations leave out Mayotte) makes it `incomplete`, and
    `national_scope` names the départements each sum lacks. A département is covered by its
    own row, else by its communes' rows (by code: communes merge within a département, so no
    harmonisation is needed). A level the producer publishes keeps the producer's value;
    medians and rates (non-additive) are never summed.
    """
    _departement_areas(con)
    _national_sums(con)
    con.execute("""
        CREATE OR REPLACE TABLE national_scope AS
        SELECT source_id, variable, level, code, year, expected - len(missing) AS departements, expected, missing
        FROM _national ORDER BY ALL""")
    con.execute("""
        INSERT INTO observations
        SELECT source_id, variable, level, code, year, value,
               CASE WHEN len(missing) > 0 AND status = 'ok' THEN 'incomplete' ELSE status END
        FROM _national n
        WHERE NOT EXISTS (SELECT 1 FROM observations o WHERE o.source_id = n.source_id AND o.variable = n.variable
                          AND o.level = n.level AND o.code = n.code AND o.year IS NOT DISTINCT FROM n.year)""")


def _departement_areas(con: duckdb.DuckDBPyConnection) -> None:
    """`_areas`: the région and the France (FR, and METRO for a metropolitan one) of each département."""
    con.execute(TABLE["france_departements"].create(if_not_exists=True))
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _areas AS
        SELECT code AS departement, 'region' AS level, region AS area FROM france_departements
        UNION ALL SELECT code, 'france', 'FR' FROM france_departements
        UNION ALL SELECT code, 'france', 'METRO' FROM france_departements WHERE code NOT LIKE '97%'""")


def _national_sums(con: duckdb.DuckDBPyConnection) -> None:
    """`_national`: each région's and France's sums of départements (own rows, else their
    communes' sums), with the départements expected and those missing; kept only when complete
    (France: when every metropolitan one is there)."""
    additive = "(o.source_id, o.variable) NOT IN (SELECT source_id, variable FROM _non_additive)"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _national AS
        WITH communes AS (
            SELECT o.source_id, o.variable, o.year, o.value, o.status, {DEPARTEMENT_OF_COMMUNE} AS departement
            FROM observations o
            WHERE o.level = 'commune' AND {additive}
              AND NOT ({ARRONDISSEMENTS} AND EXISTS (
                  SELECT 1 FROM observations c WHERE c.source_id = o.source_id AND c.variable = o.variable
                    AND c.year IS NOT DISTINCT FROM o.year AND c.level = 'commune'
                    AND c.code = {CITY_OF_ARRONDISSEMENT.replace("code", "o.code")}))
        ),
        departements AS (
            SELECT o.source_id, o.variable, o.year, o.value, o.status, o.code AS departement
            FROM observations o WHERE o.level = 'departement' AND {additive}
            UNION ALL
            SELECT source_id, variable, year, fsum(value) AS value, {SUM_STATUS} AS status, departement
            FROM communes c
            WHERE NOT EXISTS (SELECT 1 FROM observations d WHERE d.level = 'departement' AND d.source_id = c.source_id
                              AND d.variable = c.variable AND d.year IS NOT DISTINCT FROM c.year)
            GROUP BY source_id, variable, year, departement
        ),
        expected AS (
            SELECT level, area, count(*) AS departements,
                   count(*) FILTER (WHERE departement NOT LIKE '97%') AS metropolitan
            FROM _areas GROUP BY ALL
        ),
        sums AS (
            SELECT d.source_id, d.variable, a.level, a.area AS code, d.year, fsum(d.value) AS value,
                   {SUM_STATUS} AS status, list(DISTINCT d.departement) AS present,
                   count(DISTINCT d.departement) FILTER (WHERE d.departement NOT LIKE '97%') AS metropolitan
            FROM departements d JOIN _areas a USING (departement)
            GROUP BY d.source_id, d.variable, a.level, a.area, d.year
        )
        SELECT s.source_id, s.variable, s.level, s.code, s.year, s.value, s.status, e.departements AS expected,
               coalesce((SELECT list(b.departement ORDER BY b.departement) FROM _areas b
                         WHERE b.level = s.level AND b.area = s.code AND NOT list_contains(s.present, b.departement)),
                        []::VARCHAR[]) AS missing
        FROM sums s JOIN expected e ON e.level = s.level AND e.area = s.code
        WHERE len(s.present) = e.departements OR (s.code = 'FR' AND s.metropolitan = e.metropolitan)
    """)  # noqa: S608 (names through quote()/raw_table(); texts through literal())


def harmonise(
    con: duckdb.DuckDBPyConnection,
    non_additive: Sequence[tuple[str, str]] = (),
    vintages: dict[str, int | None] | None = None,
) -> None:
    """Build `obs`: commune values summed onto reference codes, other levels as published;
    only the territories of the build are kept (a national file has every département).

    A non-additive variable (a median, a rate) of communes that merged cannot be carried:
    the successor gets no value, never a sum of medians. Nor can any value of a commune
    split after the source's code list: it is flagged missing, never apportioned.
    """
    vintages = vintages or {}
    con.execute(TABLE["commune_splits"].create(if_not_exists=True))
    con.execute("CREATE OR REPLACE TEMP TABLE _vintage (source_id VARCHAR, vintage INTEGER)")
    con.execute(TABLE["code_map"].create())
    sources = {s for (s,) in con.execute("SELECT DISTINCT source_id FROM observations").fetchall()}
    if sources:
        con.executemany("INSERT INTO _vintage VALUES (?, ?)", [(s, vintages.get(s)) for s in sources])
    maps = code_maps(con, {vintages.get(s) for s in sources})
    insert_frame(con, "code_map", code_map_frame(maps))
    con.execute("CREATE OR REPLACE TEMP TABLE _non_additive (source_id VARCHAR, variable VARCHAR)")
    if non_additive:
        con.executemany("INSERT INTO _non_additive VALUES (?, ?)", list(non_additive))
    national_totals(con)
    con.execute(f"""
        CREATE OR REPLACE TABLE obs AS
        WITH carried AS (
            SELECT o.source_id, o.variable, coalesce(m.code, o.code) AS code, o.year,
                   fsum(o.value) AS value, {SUM_STATUS} AS status, count(*) AS parts, any_value(v.vintage) AS vintage
            FROM observations o JOIN _vintage v USING (source_id)
            LEFT JOIN code_map m ON m.old_code = o.code AND m.vintage IS NOT DISTINCT FROM v.vintage
            WHERE o.level = 'commune'
              AND coalesce(m.code, o.code) IN (SELECT code FROM territories WHERE level = 'commune')
            GROUP BY ALL
        ),
        flagged AS (
            SELECT c.*, (n.variable IS NOT NULL AND c.parts > 1)
                        OR EXISTS (SELECT 1 FROM commune_splits s
                                   WHERE s.code = c.code AND c.vintage IS NOT NULL
                                     AND s.date > c.vintage::VARCHAR || '-01-01') AS not_carried
            FROM carried c LEFT JOIN _non_additive n USING (source_id, variable)
        )
        SELECT source_id, variable, 'commune' AS level, code, year,
               CASE WHEN NOT not_carried THEN value END AS value,
               CASE WHEN NOT not_carried THEN status ELSE 'missing' END AS status
        FROM flagged
        UNION ALL
        SELECT source_id, variable, level, code, year, value, status
        FROM observations WHERE level <> 'commune' AND (level, code) IN (SELECT level, code FROM territories)
    """)  # noqa: S608 (names through quote()/raw_table(); texts through literal())
    lost = con.execute("""
        SELECT count(*) FROM obs WHERE level = 'commune' AND status = 'missing'
          AND code IN (SELECT code FROM code_map UNION SELECT code FROM commune_splits)""").fetchone()[0]
    if lost:
        log.info("%d commune value(s) could not be carried to the reference code list (mergers, splits)", lost)


def fill_absent_with_zero(con: duckdb.DuckDBPyConnection, source_id: str) -> None:
    """For a source declared `absent: zero` (a register listing only communes that have
    something): every commune of the territory absent from a year of the file gets 0."""
    con.execute(
        """
        INSERT INTO obs
        SELECT y.source_id, y.variable, 'commune', t.code, y.year, 0, 'ok'
        FROM (SELECT DISTINCT source_id, variable, year FROM obs
              WHERE source_id = ? AND level = 'commune' AND year IS NOT NULL) AS y
        CROSS JOIN (SELECT code FROM territories WHERE level = 'commune') AS t
        WHERE NOT EXISTS (SELECT 1 FROM obs AS o
                          WHERE o.source_id = y.source_id AND o.variable = y.variable
                            AND o.level = 'commune' AND o.code = t.code AND o.year = y.year)
        """,
        [source_id],
    )
