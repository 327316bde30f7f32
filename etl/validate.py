"""Validation of a producer's file once loaded: no wrong number gets in silently.

Each source's `observations` (and its raw table) are checked against rules with strict
defaults, some declared per source in `indicators.yaml`:

- a territory appears once per year in a wide file: a repeated row is an error, never summed;
- codes have the shape of their level (`33063`, `2A004`, `243300316`, `33`...);
- the file covers the territory: at least `min_coverage` of its communes (or of its
  départements, for a file by département);
- values are finite, and not absurdly large; they are not negative, but for the `signed`
  variables; they lie within the declared `bounds` (a share between 0 and 100);
- where the producer publishes a département total beside its communes, the communes
  add up to it (within rounding; withheld parts only make the sum smaller).

A referential source (communes, EPCI: `check_referential`) follows the same rules on its
codes (once per code, INSEE's shapes, rows for the territory's départements) and one of
its own: a file of code list V lists no commune the history of changes ended by 1 January V.

A broken rule stops the source with a message naming the rule, the column and a few
offending rows; the build then falls back to the last good cached copy, as for a
download failure (`etl.build`).
"""

from __future__ import annotations

import duckdb

from etl.catalogue_sources import Attribute, Column, Source
from etl.geography import stale_codes
from etl.load import raw_table
from etl.transform import DEPARTEMENT_OF_COMMUNE
from itdd.sql import literal, quote

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


Departements = tuple[str, ...]  # the départements of the build's territory


def check_source(con: duckdb.DuckDBPyConnection, source: Source, departements: Departements) -> None:
    """Raise SourceRejected on the first rule `source`'s loaded values break."""
    for rule in (_unique_keys, _code_shapes, _coverage, _finite_values, _signs_and_bounds, _parts_add_up):
        rule(con, source, departements)


def _sample(rows: list[tuple]) -> str:
    shown = "; ".join(", ".join(str(v) for v in row) for row in rows[:SAMPLE])
    return shown + (" …" if len(rows) > SAMPLE else "")


def _columns(source: Source, variable: str) -> str:
    spec = source.variables[variable]
    return ", ".join(spec.columns if isinstance(spec, Column) else spec)


def _offending(con: duckdb.DuckDBPyConnection, source: Source, condition: str) -> list[tuple]:
    return con.execute(
        f"SELECT variable, level, code, year, value FROM observations WHERE source_id = ? AND ({condition}) "  # noqa: S608 (names through quote()/raw_table(); values as parameters or literal())
        "ORDER BY variable, level, code, year LIMIT 10",
        [source.id],
    ).fetchall()


def _unique_keys(con: duckdb.DuckDBPyConnection, source: Source, departements: Departements) -> None:
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


def _code_shapes(con: duckdb.DuckDBPyConnection, source: Source, departements: Departements) -> None:
    # One constant pattern per level: a pattern chosen row by row (CASE) is compiled row by row.
    unlike = " OR ".join(
        f"(level = {literal(level)} AND NOT regexp_full_match(coalesce(code, ''), {literal(shape)}))"
        for level, shape in CODE_SHAPES.items()
    )
    found = con.execute(
        f"""SELECT DISTINCT level, code FROM observations
        WHERE source_id = ? AND ({unlike})
        ORDER BY ALL LIMIT 10""",  # noqa: S608 (names through quote()/raw_table(); values as parameters or literal())
        [source.id],
    ).fetchall()
    if found:
        raise SourceRejected(
            f"rule `code shape`: column(s) {', '.join(source.keys)}: codes unlike INSEE's "
            f"(level, code: {_sample(found)}), e.g. a code written as a number (`33063.0`) or cut (`063`)"
        )


def _coverage(con: duckdb.DuckDBPyConnection, source: Source, departements: Departements) -> None:
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
                               WHERE child_level = 'commune' AND parent_level = 'departement'
                                 AND parent_code IN (SELECT unnest(?::VARCHAR[]))),
                    names AS (SELECT code, code AS commune FROM wanted
                              UNION SELECT old_code, new_code FROM commune_changes WHERE new_code IN (SELECT code FROM wanted))
            SELECT count(DISTINCT n.commune), (SELECT count(*) FROM wanted)
            FROM names n JOIN observations o ON o.code = n.code AND o.level = 'commune' AND o.source_id = ?""",
            [list(departements), source.id],
        ).fetchone()
        share = known[0] / known[1] if known[1] else 1.0
        if share < source.min_coverage:
            raise SourceRejected(
                f"rule `coverage`: column(s) {', '.join(source.keys)}: rows for {known[0]} of the territory's "
                f"{known[1]} communes ({share:.0%}), fewer than min_coverage {source.min_coverage:.0%}"
            )
    elif levels == {"departement"}:
        present = {
            code
            for (code,) in con.execute(
                "SELECT DISTINCT code FROM observations WHERE source_id = ? AND level = 'departement'", [source.id]
            ).fetchall()
        }
        lacking = [d for d in departements if d not in present]
        if len(departements) - len(lacking) < source.min_coverage * len(departements) or len(lacking) == len(
            departements
        ):
            raise SourceRejected(
                f"rule `coverage`: column(s) {', '.join(source.keys)}: no row for département{'s' * (len(lacking) > 1)} "
                f"{', '.join(lacking[:12])}{' …' if len(lacking) > 12 else ''}"
            )


def _finite_values(con: duckdb.DuckDBPyConnection, source: Source, departements: Departements) -> None:
    """`NaN`, `inf` or `1e308` in a file is a corrupt cell, not a value to drop quietly."""
    raw = raw_table(source)
    for variable, spec in source.variables.items():
        for column in spec.columns if isinstance(spec, Column) else spec:
            number = f"TRY_CAST(replace(trim({quote(column)}), ',', '.') AS DOUBLE)"
            found = con.execute(
                f"SELECT {quote(column)} FROM {raw} WHERE NOT isfinite({number}) OR abs({number}) > {LARGEST} LIMIT 10"  # noqa: S608 (names through quote()/raw_table(); values as parameters or literal())
            ).fetchall()
            if found:
                raise SourceRejected(
                    f"rule `finite values`: column {column} ({variable}): {_sample(found)} is not a plausible number"
                )


def _signs_and_bounds(con: duckdb.DuckDBPyConnection, source: Source, departements: Departements) -> None:
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


def _parts_add_up(con: duckdb.DuckDBPyConnection, source: Source, departements: Departements) -> None:
    """Where the file gives a département's total and its communes, the communes add up to it
    (all there and known: equal within rounding; some withheld or absent: no more than it)."""
    additive = [v for v in source.variables if v not in source.non_additive]
    if not additive:
        return
    found = con.execute(
        f"""WITH sizes AS (
                SELECT parent_code AS departement, count(*) AS communes FROM territory_links
                WHERE child_level = 'commune' AND parent_level = 'departement' GROUP BY ALL),
            parts AS (
                SELECT variable, year, {DEPARTEMENT_OF_COMMUNE} AS departement, sum(value) AS total,
                       bool_and(status = 'ok') AS known, count(*) AS communes
                FROM observations
                WHERE source_id = $1 AND level = 'commune' AND variable IN (SELECT unnest($3::VARCHAR[]))
                GROUP BY ALL)
        SELECT p.departement, p.variable, p.year, p.total, d.value FROM parts p
        JOIN sizes s USING (departement)
        JOIN observations d
          ON d.source_id = $1 AND d.level = 'departement' AND d.code = p.departement AND d.variable = p.variable
         AND d.year IS NOT DISTINCT FROM p.year
        WHERE p.departement IN (SELECT unnest($2::VARCHAR[])) AND d.value IS NOT NULL
          AND (p.total > d.value * (1 + {TOTAL_TOLERANCE}) + 1
               OR (p.known AND p.communes >= s.communes AND p.total < d.value * (1 - {TOTAL_TOLERANCE}) - 1))
        ORDER BY ALL""",  # noqa: S608 (names through quote()/raw_table(); values as parameters or literal())
        [source.id, list(departements), additive],
    ).fetchall()
    if found:
        departement, variable = found[0][0], found[0][1]
        raise SourceRejected(
            f"rule `parts add up`: column(s) {_columns(source, variable)} ({variable}): the communes of "
            f"département {departement} sum to a different total than the file's own (variable, year, communes, "
            f"département: {_sample([row[1:] for row in found])})"
        )


# --- referential sources ---------------------------------------------------------------------

ATTRIBUTE_SHAPES = {Attribute.departement: "departement", Attribute.region: "region", Attribute.epci: "epci"}


def check_referential(con: duckdb.DuckDBPyConnection, source: Source, departements: Departements) -> None:
    """Raise SourceRejected on the first rule `source`'s referential rows break."""
    rows = "FROM referential_rows WHERE source_id = ?"
    twice = con.execute(
        f"SELECT level, code, count(*) {rows} GROUP BY ALL HAVING count(*) > 1 ORDER BY ALL LIMIT 10", [source.id]
    ).fetchall()
    if twice:
        raise SourceRejected(
            f"rule `unique key`: column(s) {', '.join(source.keys)}: a territory appears more than once "
            f"(level, code, rows: {_sample(twice)})"
        )
    checks = [("code", ", ".join(source.keys), "level")] + [
        (attribute.value, column, literal(ATTRIBUTE_SHAPES[attribute]))
        for attribute, column in source.attributes.items()
        if attribute in ATTRIBUTE_SHAPES
    ]
    cases = " ".join(f"WHEN {literal(level)} THEN {literal(shape)}" for level, shape in CODE_SHAPES.items())
    for field, column, level in checks:
        bad = con.execute(
            f"""SELECT DISTINCT {field} {rows} AND {field} IS NOT NULL
            AND NOT regexp_full_match({field}, CASE {level} {cases} ELSE '.*' END) ORDER BY 1 LIMIT 10""",
            [source.id],
        ).fetchall()
        if bad:
            raise SourceRejected(f"rule `code shape`: column(s) {column}: codes unlike INSEE's ({_sample(bad)})")
    communes = con.execute(
        f"SELECT DISTINCT {DEPARTEMENT_OF_COMMUNE} {rows} AND level = 'commune'", [source.id]
    ).fetchall()
    present = {d for (d,) in communes}
    if communes and not present & set(departements):
        raise SourceRejected(
            f"rule `coverage`: column(s) {', '.join(source.keys)}: no commune of département(s) "
            f"{', '.join(departements[:12])}{' …' if len(departements) > 12 else ''} (the file has "
            f"{', '.join(sorted(present)[:12])}{' …' if len(present) > 12 else ''})"
        )
    if not communes and not con.execute(f"SELECT count(*) {rows}", [source.id]).fetchone()[0]:
        raise SourceRejected("rule `coverage`: the file has no row of data (only a header, or nothing)")
    if Attribute.departement in source.attributes:
        stale = stale_codes(con, source)
        if stale:
            raise SourceRejected(
                f"rule `code list`: column(s) {', '.join(source.keys)}: the file is older than the "
                f"{source.code_list} code list it should follow: it lists commune(s) ended by 1 January "
                f"{source.code_list} (code, successor, date: {_sample(stale)}), from the history of changes"
            )
