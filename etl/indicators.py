"""Indicators: commune values, then aggregates, in `indicator_values`.

EPCI and département values are recomputed from all their member communes: counts are
summed, ratios are a sum of numerators over a sum of denominators (never a mean of
rates). Region and France values are taken from producers' totals, since the build only
holds the communes of one département. An aggregate that misses some members' data is
`incomplete`; one with no data at all is `missing` or `secret`, with no value.
"""

from __future__ import annotations

import logging

import duckdb

from etl.catalogue import Catalogue, Indicator, VariableRef

log = logging.getLogger(__name__)

AGGREGATED_LEVELS = ("epci", "departement")
PUBLISHED_LEVELS = ("region", "france")

INDICATOR_VALUES_DDL = """
CREATE OR REPLACE TABLE indicator_values (
    indicator_id VARCHAR, level VARCHAR, code VARCHAR, year INTEGER,
    value DOUBLE, numerator DOUBLE, denominator DOUBLE, status VARCHAR
)"""

# Status of a numerator/denominator pair for one territory and year.
PAIR_STATUS = """
CASE WHEN n.value IS NOT NULL AND {den_present} THEN
          CASE WHEN n.status = 'ok' AND {den_ok} THEN 'ok' ELSE 'incomplete' END
     WHEN n.status = 'secret' {den_secret} THEN 'secret'
     ELSE 'missing' END"""


def _variable(ref: VariableRef | None, alias: str, levels: str) -> str:
    if ref is None:
        return (
            f"{alias} AS (SELECT NULL::VARCHAR AS level, NULL::VARCHAR AS code, NULL::INTEGER AS year, "
            "NULL::DOUBLE AS value, NULL::VARCHAR AS status WHERE false)"
        )
    return (
        f"{alias} AS (SELECT level, code, year, value, status FROM obs "
        f"WHERE source_id = '{ref.source}' AND variable = '{ref.variable}' AND level IN ({levels}))"
    )


def _pairs(con: duckdb.DuckDBPyConnection, numerator: VariableRef, denominator: VariableRef | None) -> None:
    """`_pairs(level, code, year, numerator, denominator, status)` at every level."""
    ratio = denominator is not None
    status = PAIR_STATUS.format(
        den_present="d.value IS NOT NULL" if ratio else "true",
        den_ok="d.status = 'ok'" if ratio else "true",
        den_secret="OR d.status = 'secret'" if ratio else "",
    )
    # A denominator without a year (an area, say) applies to every year.
    join_d = "LEFT JOIN d ON d.code = t.code AND (d.year = y.year OR d.year IS NULL)"
    published = ", ".join(f"'{lvl}'" for lvl in PUBLISHED_LEVELS)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _communes AS
        WITH {_variable(numerator, "n", "'commune'")}, {_variable(denominator, "d", "'commune'")},
             years AS (SELECT DISTINCT year FROM n)
        SELECT t.code, y.year, n.value AS numerator, d.value AS denominator, {status} AS status
        FROM territories t CROSS JOIN years y
        LEFT JOIN n ON n.code = t.code AND n.year IS NOT DISTINCT FROM y.year
        {join_d}
        WHERE t.level = 'commune'
    """)
    present = "numerator IS NOT NULL" + (" AND denominator IS NOT NULL" if ratio else "")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _pairs AS
        SELECT 'commune' AS level, code, year, numerator, denominator, status FROM _communes
        UNION ALL
        SELECT l.parent_level, l.parent_code, c.year,
               sum(c.numerator) FILTER (WHERE {present}),
               sum(c.denominator) FILTER (WHERE {present}),
               CASE WHEN bool_and({present} AND c.status = 'ok') THEN 'ok'
                    WHEN bool_or({present}) THEN 'incomplete'
                    WHEN bool_or(c.status = 'secret') THEN 'secret'
                    ELSE 'missing' END
        FROM territory_links l JOIN _communes c ON c.code = l.child_code
        WHERE l.child_level = 'commune' AND l.parent_level IN {AGGREGATED_LEVELS}
        GROUP BY ALL
        UNION ALL
        SELECT * FROM (
            WITH {_variable(numerator, "n", published)}, {_variable(denominator, "d", published)}
            SELECT n.level, n.code, n.year, n.value, d.value, {status}
            FROM n LEFT JOIN d ON d.level = n.level AND d.code = n.code
                 AND (d.year = n.year OR d.year IS NULL)
        )
    """)


def _values_sql(indicator: Indicator) -> str:
    if indicator.kind == "count":
        return "SELECT level, code, year, numerator AS value, numerator, NULL AS denominator, status FROM _pairs"
    if indicator.kind == "ratio":
        return f"""
            SELECT level, code, year,
                   CASE WHEN status IN ('ok', 'incomplete') AND denominator <> 0
                        THEN numerator / denominator * {indicator.scale} END AS value,
                   numerator, denominator,
                   CASE WHEN status IN ('ok', 'incomplete') AND denominator = 0 THEN 'missing' ELSE status END AS status
            FROM _pairs"""
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
    con.execute(INDICATOR_VALUES_DDL)
    for indicator in catalogue.indicators:
        if indicator.kind == "composite":
            log.warning("%s: composite indicators are not computed yet; skipped", indicator.id)
            continue
        numerator = indicator.numerator if indicator.kind == "ratio" else indicator.variable
        _pairs(con, numerator, indicator.denominator)
        levels = ", ".join(f"'{lvl.value}'" for lvl in indicator.levels)
        con.execute(
            f"""INSERT INTO indicator_values
            SELECT ?, level, code, year, value, numerator, denominator, status
            FROM ({_values_sql(indicator)}) WHERE level IN ({levels}) AND year IS NOT NULL
            ORDER BY level, code, year""",
            [indicator.id],
        )
