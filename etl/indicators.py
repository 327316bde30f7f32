"""Indicators: commune values, then aggregates, in `indicator_values`.

At each level, a producer's own value wins where the source publishes one (an EPCI
file, a national total). Otherwise EPCI and département values are recomputed from all
their member communes: counts are summed, ratios are a sum of numerators over a sum of
denominators taken over the communes where both are known (never a mean of rates).
`published` indicators (medians, rates with withheld parts) are never aggregated: a
level without the producer's value has none.

An aggregate that misses some members' data is `incomplete`, and `indicator_coverage`
says how many members and what share of their population it covers.
"""

from __future__ import annotations

import logging

import duckdb
import pandas as pd

from etl.catalogue import Catalogue, Indicator, Series, VariableRef
from etl.composite import compute_composite
from itdd.model import TABLE, sql_level_list
from itdd.sql import literal, registered

log = logging.getLogger(__name__)

AGGREGATED_LEVELS = ("epci", "departement")
AT_COMMUNES, ABOVE_COMMUNES = "level = 'commune'", "level <> 'commune'"

TABLES_DDL = ";\n".join(TABLE[t].create() for t in ("indicator_values", "indicator_coverage"))

# Status of a numerator/denominator pair: `n` and `d` rows, `d` possibly absent (counts).
PAIR_STATUS = """
CASE WHEN n.value IS NOT NULL AND {d_present} THEN
          CASE WHEN n.status = 'ok' AND {d_ok} THEN 'ok' ELSE 'incomplete' END
     WHEN n.status = 'secret' {d_secret} THEN 'secret'
     ELSE 'missing' END"""

# A commune enters a ratio's sums only with a usable denominator: a zero denominator under a
# non-zero numerator (a corrupt row) would inflate its EPCI's rate; it is left out, and the
# aggregate is flagged incomplete.
CONSISTENT_DENOMINATOR = "AND d.value IS NOT NULL AND (d.value > 0 OR n.value = 0)"

# Status of an aggregate over member rows with a `present` flag.
AGGREGATE_STATUS = """
CASE WHEN bool_and(present AND status = 'ok') THEN 'ok'
     WHEN bool_or(present) THEN 'incomplete'
     WHEN bool_or(status = 'secret') THEN 'secret'
     ELSE 'missing' END"""


def _rows(series: list[VariableRef] | VariableRef | None, level_filter: str, table: str = "_series") -> str:
    """The values of a series in `table` (by default the current indicator's rows, see
    `_select_series`): the union of its sources; for a territory and year given by several,
    the first listed wins (`compute_indicators` lists the newest edition first)."""
    if series is None:
        return (
            "SELECT NULL::VARCHAR AS level, NULL::VARCHAR AS code, NULL::INTEGER AS year, "
            "NULL::DOUBLE AS value, NULL::VARCHAR AS status WHERE false"
        )
    refs = [series] if isinstance(series, VariableRef) else series

    if len(refs) == 1:
        return f"SELECT level, code, year, value, status FROM {table} WHERE {_is_series(refs[0].source, refs[0].variable)} AND {level_filter}"  # noqa: S608 (fragments of code; catalogue names through literal())
    ranks = " ".join(f"WHEN {_is_series(r.source, r.variable)} THEN {n}" for n, r in enumerate(refs))
    ranked = f"SELECT *, CASE {ranks} END AS rank FROM {table} WHERE {level_filter}"  # noqa: S608 (fragments of code; catalogue names through literal())
    # One aggregate keeps each key's row of the lowest rank (observations hold a key once per
    # source): an anti-join per edition cost more at national size, and a window over every row
    # four times as much. `arg_min_null`, because `arg_min` skips a withheld (NULL) value.
    return f"""SELECT level, code, year, arg_min_null(value, rank) AS value, arg_min_null(status, rank) AS status
        FROM ({ranked}) WHERE rank IS NOT NULL GROUP BY level, code, year"""  # noqa: S608 (fragments of code; catalogue names through literal())


def _is_series(source: str, variable: str) -> str:
    """The condition on a row of observations that it belongs to a source's variable."""
    return f"source_id = {literal(source)} AND variable = {literal(variable)}"


def _published_levels(con: duckdb.DuckDBPyConnection, series: list[VariableRef] | None) -> set[str]:
    if series is None:
        return set()
    return {lv for (lv,) in con.execute(f"SELECT DISTINCT level FROM ({_rows(series, ABOVE_COMMUNES)})").fetchall()}  # noqa: S608 (fragments of code; catalogue names through literal(); ids as parameters)


def _pair_status(ratio: bool) -> str:
    return PAIR_STATUS.format(
        d_present="d.value IS NOT NULL" if ratio else "true",
        d_ok="d.status = 'ok'" if ratio else "true",
        d_secret="OR d.status = 'secret'" if ratio else "",
    )


def _pairs(con: duckdb.DuckDBPyConnection, indicator: Indicator) -> None:
    """Make `_pairs(level, code, year, numerator, denominator, status)` (a view over `_communes`
    and `_above`) and `_coverage`."""
    numerator = indicator.numerator if indicator.kind == "ratio" else indicator.variable
    denominator = indicator.denominator if indicator.kind == "ratio" else None
    ratio = denominator is not None
    status = _pair_status(ratio)
    # Communes: every commune for every year both sides have, so absent means missing.
    # A denominator without a year (an area) applies to every year.
    years_with_denominator = (
        " WHERE year IN (SELECT year FROM d) OR EXISTS (SELECT 1 FROM d WHERE year IS NULL)" if ratio else ""
    )
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _communes AS
        WITH n AS ({_rows(numerator, AT_COMMUNES)}), d AS ({_rows(denominator, AT_COMMUNES)}),
             years AS (SELECT DISTINCT year FROM n{years_with_denominator})
        SELECT t.code, y.year, n.value AS numerator, d.value AS denominator, {status} AS status,
               n.value IS NOT NULL {CONSISTENT_DENOMINATOR if ratio else ""} AS present
        FROM territories t CROSS JOIN years y
        LEFT JOIN n ON n.code = t.code AND n.year IS NOT DISTINCT FROM y.year
        LEFT JOIN d ON d.code = t.code AND (d.year = y.year OR d.year IS NULL)
        WHERE t.level = 'commune'
    """)  # noqa: S608 (fragments of code; catalogue names through literal(); ids as parameters)
    _empty_pairs_above_communes(con)
    if indicator.kind == "published":
        aggregated: list[str] = []
    else:
        published = _published_levels(con, numerator) | _published_levels(con, denominator)
        aggregated = [lv for lv in AGGREGATED_LEVELS if lv not in published]
    if aggregated:
        _aggregate(con, aggregated)
    # Producers' own values at other levels; where one side is published at a level that
    # `_aggregate` left, the side missing there is summed from communes.
    excluded = ", ".join(f"'{lv}'" for lv in aggregated) or "''"
    to_sum = [] if indicator.kind == "published" else [lv for lv in AGGREGATED_LEVELS if lv not in aggregated]
    sides = {}
    for name, ref in (("n", numerator), ("d", denominator)):
        sides[name] = _rows(ref, ABOVE_COMMUNES)
        if to_sum:
            sides[name] += f"""
            UNION ALL
            SELECT l.parent_level, l.parent_code, c.year, fsum(c.value), {AGGREGATE_STATUS.replace("present", "c.value IS NOT NULL")}
            FROM territory_links l JOIN ({_rows(ref, AT_COMMUNES)}) c ON c.code = l.child_code
            WHERE l.child_level = 'commune' AND l.parent_level IN ({", ".join(literal(lv) for lv in to_sum)})
              AND l.parent_level NOT IN (SELECT level FROM ({_rows(ref, ABOVE_COMMUNES)}))
            GROUP BY ALL"""  # noqa: S608 (fragments of code; catalogue names through literal(); ids as parameters)
    con.execute(f"""
        INSERT INTO _above
        WITH n AS ({sides["n"]}), d AS ({sides["d"]})
        SELECT n.level, n.code, n.year, n.value, d.value, {status}
        FROM n LEFT JOIN d ON d.level = n.level AND d.code = n.code AND (d.year = n.year OR d.year IS NULL)
        WHERE n.level NOT IN ({excluded})
    """)  # noqa: S608 (fragments of code; catalogue names through literal(); ids as parameters)


def _empty_pairs_above_communes(con: duckdb.DuckDBPyConnection) -> None:
    """`_above` and `_coverage`, empty, and the view `_pairs` over `_communes` and `_above`: the
    commune rows are read in place (a copy took 2 s at national size)."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _above (level VARCHAR, code VARCHAR, year INTEGER, "
        "numerator DOUBLE, denominator DOUBLE, status VARCHAR)"
    )
    con.execute(
        "CREATE OR REPLACE TEMP VIEW _pairs AS "
        "SELECT 'commune' AS level, * EXCLUDE (present) FROM _communes UNION ALL SELECT * FROM _above"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _coverage (level VARCHAR, code VARCHAR, year INTEGER, "
        "members INTEGER, members_with_data INTEGER, population_share DOUBLE)"
    )


def _aggregate(con: duckdb.DuckDBPyConnection, levels: list[str]) -> None:
    """EPCI and département pairs from their communes, with coverage, in one pass over the members."""
    in_levels = ", ".join(f"'{lv}'" for lv in levels)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _sums AS
        SELECT l.parent_level AS level, l.parent_code AS code, c.year,
               fsum(c.numerator) FILTER (WHERE c.present) AS numerator,
               fsum(c.denominator) FILTER (WHERE c.present) AS denominator, {AGGREGATE_STATUS} AS status,
               count(*) AS members, count(*) FILTER (WHERE c.present) AS members_with_data,
               fsum(w.weight) FILTER (WHERE c.present) / nullif(fsum(w.weight), 0) AS population_share
        FROM territory_links l JOIN _communes c ON c.code = l.child_code
        LEFT JOIN _weights w ON w.commune = c.code AND w.year IS NOT DISTINCT FROM c.year
        WHERE l.child_level = 'commune' AND l.parent_level IN ({in_levels})
        GROUP BY l.parent_level, l.parent_code, c.year
    """)  # noqa: S608 (fragments of code; catalogue names through literal(); ids as parameters)
    con.execute("INSERT INTO _above SELECT level, code, year, numerator, denominator, status FROM _sums")
    con.execute(
        "INSERT INTO _coverage SELECT level, code, year, members, members_with_data, population_share FROM _sums"
    )


def _weights(con: duckdb.DuckDBPyConnection, population: Series | None) -> None:
    """`_weights(commune, year, weight)`: each commune's population in the nearest year with one
    (the later of two as near; the latest for a value without a year), for every year of `obs`.
    Made once per build: every indicator's coverage reads it."""
    populations = _rows(population, AT_COMMUNES, table="obs")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _weights AS
        WITH p AS ({populations}), years AS (SELECT DISTINCT year FROM obs)
        SELECT p.code AS commune, y.year, p.value AS weight
        FROM years y CROSS JOIN p
        QUALIFY row_number() OVER (PARTITION BY p.code, y.year
                                   ORDER BY abs(p.year - coalesce(y.year, p.year)), p.year DESC) = 1
    """)  # noqa: S608 (fragments of code; catalogue names through literal())


def _select_series(con: duckdb.DuckDBPyConnection, indicator: Indicator) -> None:
    """`_series`: the rows of `obs` an indicator reads, in one scan, for the several reads of
    `_rows` (a national `obs` holds millions of rows)."""
    wanted = sorted({(r.source, r.variable) for r in indicator.refs()})
    # Constant lists, which the scan filters before it reads the other columns (a semi join
    # with a table of the pairs read every row); the pairs themselves are then checked.
    sources = ", ".join(literal(source) for source in sorted({s for s, _ in wanted}))
    variables = ", ".join(literal(variable) for variable in sorted({v for _, v in wanted}))
    pairs = " OR ".join(f"({_is_series(source, variable)})" for source, variable in wanted)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _series AS SELECT * FROM obs
        WHERE source_id IN ({sources}) AND variable IN ({variables}) AND ({pairs})
    """)  # noqa: S608 (catalogue names through literal())


def _values_sql(indicator: Indicator) -> str:
    if indicator.kind in ("count", "published"):
        return f"""SELECT level, code, year, numerator * {indicator.scale} AS value, numerator,
                          NULL AS denominator, status FROM _pairs"""  # noqa: S608 (fragments of code; catalogue names through literal(); ids as parameters)
    if indicator.kind == "ratio":
        return f"""
            SELECT level, code, year,
                   CASE WHEN status IN ('ok', 'incomplete') AND denominator <> 0
                        THEN numerator / denominator * {indicator.scale} END AS value,
                   numerator, denominator,
                   CASE WHEN status IN ('ok', 'incomplete') AND denominator = 0 THEN 'missing' ELSE status END AS status
            FROM _pairs"""  # noqa: S608 (fragments of code; catalogue names through literal(); ids as parameters)
    # change_rate: compound annual growth since the previous year with a value
    return """
        WITH known AS (
            SELECT level, code, year, numerator AS value, status,
                   lag(numerator) OVER w AS previous, lag(year) OVER w AS previous_year,
                   lag(status) OVER w AS previous_status
            FROM _pairs WHERE numerator IS NOT NULL
            WINDOW w AS (PARTITION BY level, code ORDER BY year)
        )
        SELECT level, code, year,
               (pow(value / previous, 1.0 / (year - previous_year)) - 1) * 100 AS value,
               NULL AS numerator, NULL AS denominator,
               CASE WHEN status = 'ok' AND previous_status = 'ok' THEN 'ok' ELSE 'incomplete' END AS status
        FROM known WHERE previous > 0 AND value > 0"""


def compute_indicators(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> None:
    con.execute(TABLES_DDL)
    _weights(con, catalogue.coverage_population)
    for indicator in catalogue.indicators:
        if indicator.kind == "composite":
            compute_composite(con, catalogue, indicator)  # its components come earlier in the catalogue
            continue
        _select_series(con, indicator)
        _pairs(con, catalogue.newest_first(indicator))
        levels = ", ".join(f"'{lvl.value}'" for lvl in indicator.levels)
        con.execute(
            f"""INSERT INTO indicator_values
            SELECT ?, level, code, year, value, numerator, denominator, status
            FROM ({_values_sql(indicator)}) WHERE level IN ({levels}) AND year IS NOT NULL
            ORDER BY level, code, year""",  # noqa: S608 (fragments of code; catalogue names through literal(); ids as parameters)
            [indicator.id],
        )
        con.execute(
            f"""INSERT INTO indicator_coverage
            SELECT ?, * FROM _coverage WHERE level IN ({levels}) AND year IS NOT NULL ORDER BY ALL""",  # noqa: S608 (fragments of code; catalogue names through literal(); ids as parameters)
            [indicator.id],
        )


# Why a declared level of an indicator has no value, in the order the reasons are tried.
GAP_REASONS = ("withheld", "source_not_loaded", "not_published", "national_file_not_loaded", "no_value")


def record_gaps(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> None:
    """`indicator_gaps(indicator_id, level, reason, sources)`: each declared level of an
    indicator without any value, and why (`GAP_REASONS`), so that pages say why rather than "–":

    - `withheld`: the producer's values there are all secret;
    - `source_not_loaded`: a source of the indicator failed or was skipped in this build (`sources`);
    - `not_published`: the producer publishes no value at this level (medians, rates);
    - `national_file_not_loaded`: région and France sums need a national file (the build's
      files cover only its territory);
    - `no_value`: none of the above (a composite missing a component, say).
    """
    declared = pd.DataFrame(
        [
            {
                "indicator_id": i.id,
                "level": level.value,
                "kind": i.kind,
                "sources": sorted({r.source for r in i.refs()}),
                "order": n,
            }
            for n, i in enumerate(catalogue.indicators)
            for level in i.levels
        ]
    )
    with registered(con, "_declared", declared):
        embedded = [s.id for s in catalogue.sources if s.snapshot is not None]
        con.execute(
            f"""
            CREATE OR REPLACE TABLE indicator_gaps AS
            WITH found AS (
                SELECT indicator_id, level, count(value) AS values, count(*) FILTER (WHERE status = 'secret') AS secrets
                FROM indicator_values GROUP BY ALL
            ),
            unloaded AS (
                SELECT d.indicator_id, d.level, list(b.source_id ORDER BY b.source_id) AS sources
                FROM _declared d, unnest(d.sources) AS s(source_id)
                JOIN build_sources b ON b.source_id = s.source_id AND b.status IN ('failed', 'skipped')
                -- an embedded file of another territory is not a source this build lacks
                WHERE NOT (b.status = 'skipped' AND b.source_id IN (SELECT unnest(?::VARCHAR[])))
                GROUP BY ALL
            )
            SELECT d.indicator_id, d.level,
                   CASE WHEN coalesce(f.secrets, 0) > 0 THEN 'withheld'
                        WHEN u.sources IS NOT NULL THEN 'source_not_loaded'
                        WHEN d.kind = 'published' THEN 'not_published'
                        WHEN d.level IN ('region', 'france') THEN 'national_file_not_loaded'
                        ELSE 'no_value' END AS reason,
                   u.sources
            FROM _declared d
            LEFT JOIN found f USING (indicator_id, level)
            LEFT JOIN unloaded u USING (indicator_id, level)
            WHERE coalesce(f.values, 0) = 0
            ORDER BY d."order", list_position({sql_level_list()}, d.level)
        """,  # noqa: S608 (fragments of code; catalogue names through literal(); ids as parameters)
            [embedded],
        )
