"""Validation of a producer's file once loaded: no wrong number gets in silently.

Each source's `observations` (and its raw table) are checked against rules with strict
defaults, some declared per source in `indicators.yaml`:

- a territory appears once per year in a wide file: a repeated row is an error, never summed;
- codes have the shape of their level (`33063`, `2A004`, `243300316`, `33`...);
- the file covers the territory: at least `min_coverage` of its communes (or its own
  département, for a file by département);
- values are finite, and not absurdly large; they are not negative, but for the `signed`
  variables; they lie within the declared `bounds` (a share between 0 and 100);
- where the producer publishes a département total beside its communes, the communes
  add up to it (within rounding; withheld parts only make the sum smaller).

A broken rule stops the source with a message naming the rule, the column and a few
offending rows; the build then falls back to the last good cached copy, as for a
download failure (`etl.build`).
"""

from __future__ import annotations

import duckdb

from etl.catalogue import Column, Source
from etl.load import raw_table
from etl.sql import literal, quote

CODE_SHAPES = {  # INSEE's code of each level; `FR` and `METRO` are ours
    "commune": r"^([0-9]{2}|2[AB])[0-9]{3}$",
    "epci": r"^[0-9]{9}$",
    "departement": r"^([0-9]{2}|2[AB]|97[0-9])$",
    "region": r"^[0-9]{2}$",
    "france": r"^(FR|METRO)$",
}
LARGEST = 1e15  # no territorial statistic comes near: a value beyond is a corrupt cell
TOTAL_TOLERANCE = 0.005  # producers round their totals and parts
SAMPLE = 3


class SourceRejected(Exception):
    """A rule the file breaks: the message says which, where, and shows a few rows."""


def check_source(con: duckdb.DuckDBPyConnection, source: Source, territory: str) -> None:
    """Raise SourceRejected on the first rule `source`'s loaded values break."""
    for rule in (_unique_keys, _code_shapes, _coverage, _finite_values, _signs_and_bounds, _parts_add_up):
        rule(con, source, territory)


def _sample(rows: list[tuple]) -> str:
    shown = "; ".join(", ".join(str(v) for v in row) for row in rows[:SAMPLE])
    return shown + (" …" if len(rows) > SAMPLE else "")


def _columns(source: Source, variable: str) -> str:
    spec = source.variables[variable]
    return ", ".join(spec.columns if isinstance(spec, Column) else spec)


def _offending(con: duckdb.DuckDBPyConnection, source: Source, condition: str) -> list[tuple]:
    return con.execute(
        f"SELECT variable, level, code, year, value FROM observations WHERE source_id = ? AND ({condition}) "
        "ORDER BY variable, level, code, year LIMIT 10",
        [source.id],
    ).fetchall()


def _unique_keys(con: duckdb.DuckDBPyConnection, source: Source, territory: str) -> None:
    """Long files list parts (one row per operator, sector...), summed by design; a wide
    file gives each territory once per year."""
    wide = [v for v, spec in source.variables.items() if not isinstance(spec, Column)]
    if not wide:
        return
    found = con.execute(
        """SELECT level, code, year, count(*) FROM observations
        WHERE source_id = ? AND variable = ? AND level IS NOT NULL
        GROUP BY ALL HAVING count(*) > 1 ORDER BY ALL LIMIT 10""",
        [source.id, wide[0]],
    ).fetchall()
    if found:
        raise SourceRejected(
            f"rule `unique key`: column(s) {', '.join(source.keys)}: a territory appears more than once "
            f"(level, code, year, rows: {_sample(found)}); a repeated row is never summed"
        )


def _code_shapes(con: duckdb.DuckDBPyConnection, source: Source, territory: str) -> None:
    cases = " ".join(f"WHEN {literal(level)} THEN {literal(shape)}" for level, shape in CODE_SHAPES.items())
    found = con.execute(
        f"""SELECT DISTINCT level, code FROM observations
        WHERE source_id = ? AND level IS NOT NULL
          AND NOT regexp_full_match(coalesce(code, ''), CASE level {cases} ELSE '.*' END)
        ORDER BY ALL LIMIT 10""",
        [source.id],
    ).fetchall()
    if found:
        raise SourceRejected(
            f"rule `code shape`: column(s) {', '.join(source.keys)}: codes unlike INSEE's "
            f"(level, code: {_sample(found)}), e.g. a code written as a number (`33063.0`) or cut (`063`)"
        )


def _coverage(con: duckdb.DuckDBPyConnection, source: Source, territory: str) -> None:
    """The file gives rows for enough of the territory: a header-only file, or codes that
    match nothing, would otherwise make values silently vanish."""
    if not source.variables or source.absent == "zero":  # outlines, history; a register of the few
        return
    found = con.execute("SELECT DISTINCT level FROM observations WHERE source_id = ?", [source.id]).fetchall()
    levels = {level for (level,) in found}
    if not levels:
        raise SourceRejected("rule `coverage`: the file has no row of data (only a header, or nothing)")
    if "commune" in levels:
        known = con.execute(
            """WITH wanted AS (SELECT child_code AS code FROM territory_links
                               WHERE child_level = 'commune' AND parent_level = 'departement' AND parent_code = ?),
                    names AS (SELECT code, code AS commune FROM wanted
                              UNION SELECT old_code, new_code FROM commune_changes WHERE new_code IN (SELECT code FROM wanted))
            SELECT count(DISTINCT n.commune), (SELECT count(*) FROM wanted)
            FROM names n JOIN observations o ON o.code = n.code AND o.level = 'commune' AND o.source_id = ?""",
            [territory, source.id],
        ).fetchone()
        share = known[0] / known[1] if known[1] else 1.0
        if share < source.min_coverage:
            raise SourceRejected(
                f"rule `coverage`: column(s) {', '.join(source.keys)}: rows for {known[0]} of the territory's "
                f"{known[1]} communes ({share:.0%}), fewer than min_coverage {source.min_coverage:.0%}"
            )
    elif levels == {"departement"}:
        present = con.execute(
            "SELECT count(*) FROM observations WHERE source_id = ? AND level = 'departement' AND code = ?",
            [source.id, territory],
        ).fetchone()[0]
        if not present:
            raise SourceRejected(
                f"rule `coverage`: column(s) {', '.join(source.keys)}: no row for département {territory}"
            )


def _finite_values(con: duckdb.DuckDBPyConnection, source: Source, territory: str) -> None:
    """`NaN`, `inf` or `1e308` in a file is a corrupt cell, not a value to drop quietly."""
    raw = raw_table(source)
    for variable, spec in source.variables.items():
        for column in spec.columns if isinstance(spec, Column) else spec:
            number = f"TRY_CAST(replace(trim({quote(column)}), ',', '.') AS DOUBLE)"
            found = con.execute(
                f"SELECT {quote(column)} FROM {raw} WHERE NOT isfinite({number}) OR abs({number}) > {LARGEST} LIMIT 10"
            ).fetchall()
            if found:
                raise SourceRejected(
                    f"rule `finite values`: column {column} ({variable}): {_sample(found)} is not a plausible number"
                )


def _signs_and_bounds(con: duckdb.DuckDBPyConnection, source: Source, territory: str) -> None:
    for variable in source.variables:
        low, high = source.bounds.get(variable, (None if variable in source.signed else 0, None))
        conditions = [f"value < {low}" if low is not None else None, f"value > {high}" if high is not None else None]
        condition = " OR ".join(c for c in conditions if c)
        if not condition:
            continue
        found = _offending(con, source, f"variable = {literal(variable)} AND ({condition})")
        if found:
            expected = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
            raise SourceRejected(
                f"rule `bounds`: column(s) {_columns(source, variable)} ({variable}) must be {expected}: "
                f"{_sample([row[1:] for row in found])}"
            )


def _parts_add_up(con: duckdb.DuckDBPyConnection, source: Source, territory: str) -> None:
    """Where the file gives a département's total and its communes, the communes add up to it
    (all there and known: equal within rounding; some withheld or absent: no more than it)."""
    additive = [v for v in source.variables if v not in source.non_additive]
    if not additive:
        return
    found = con.execute(
        f"""WITH parts AS (
                SELECT variable, year, sum(value) AS total,
                       bool_and(status = 'ok') AND count(*) >= (  -- every commune there, none withheld
                           SELECT count(*) FROM territory_links WHERE child_level = 'commune'
                           AND parent_level = 'departement' AND parent_code = $2) AS complete
                FROM observations
                WHERE source_id = $1 AND level = 'commune' AND code LIKE $2 || '%' AND variable IN (SELECT unnest($3))
                GROUP BY ALL)
        SELECT p.variable, p.year, p.total, d.value FROM parts p JOIN observations d
          ON d.source_id = $1 AND d.level = 'departement' AND d.code = $2 AND d.variable = p.variable
         AND d.year IS NOT DISTINCT FROM p.year
        WHERE d.value IS NOT NULL AND (p.total > d.value * (1 + {TOTAL_TOLERANCE}) + 1
              OR (p.complete AND p.total < d.value * (1 - {TOTAL_TOLERANCE}) - 1))
        ORDER BY ALL""",
        [source.id, territory, additive],
    ).fetchall()
    if found:
        variable = found[0][0]
        raise SourceRejected(
            f"rule `parts add up`: column(s) {_columns(source, variable)} ({variable}): the communes of "
            f"département {territory} sum to a different total than the file's own (variable, year, communes, "
            f"département: {_sample(found)})"
        )
