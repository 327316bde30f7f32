"""Read-only queries over the itdd DuckDB file: the catalogue, territories and their values.

The functions take an open DuckDB connection and return pandas objects, so
they can be tested against a synthetic database. `dashboard.database.Database`
runs them on the file; `dashboard.progress_queries` reads progress, peers and policies.
"""

from __future__ import annotations

import json

import duckdb
import pandas as pd

from dashboard import batched, search
from dashboard.collation import french_key
from itdd.model import LEVELS
from itdd.sql import literal


def indicators_with_values(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The catalogue's indicators with at least one non-NULL value, by id. One query per indicator,
    each ending at its first value: a DISTINCT over the values reads every one (0.1-0.4 s nationally,
    on the first page a server shows)."""
    ids = [i for (i,) in con.execute("SELECT indicator_id FROM indicators ORDER BY 1").fetchall()]
    if not ids:
        return []
    firsts = " UNION ALL ".join(
        f"(SELECT indicator_id FROM indicator_values WHERE indicator_id = {literal(i)} AND value IS NOT NULL LIMIT 1)"  # noqa: S608 (ids through literal())
        for i in ids
    )
    return sorted(i for (i,) in con.execute(firsts).fetchall())


def list_indicators(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Catalogue rows of the indicators that have at least one non-NULL value."""
    return con.execute(
        """
        SELECT i.*
        FROM indicators AS i
        WHERE list_contains(?, i.indicator_id)
        ORDER BY i.finality, i.label_fr, i.indicator_id
        """,
        [indicators_with_values(con)],
    ).df()


def available_years(con: duckdb.DuckDBPyConnection, indicator_id: str, level: str) -> list[int]:
    """Years (ascending) with at least one non-NULL value at this level."""
    rows = con.execute(
        """
        SELECT DISTINCT year FROM indicator_values
        WHERE indicator_id = ? AND level = ? AND value IS NOT NULL
        ORDER BY year
        """,
        [indicator_id, level],
    ).fetchall()
    return [int(year) for (year,) in rows]


def indicator_values(con: duckdb.DuckDBPyConnection, indicator_id: str, level: str, year: int) -> pd.DataFrame:
    """Values of one indicator for one level and year, with territory names.

    NULL values stay NULL (NaN): missing and secret data are not zero.
    """
    return con.execute(
        """
        SELECT v.code, coalesce(t.name, v.code) AS name, v.value,
               v.numerator, v.denominator, v.status
        FROM indicator_values AS v
        LEFT JOIN territories AS t ON t.level = v.level AND t.code = v.code
        WHERE v.indicator_id = ? AND v.level = ? AND v.year = ?
        ORDER BY v.code
        """,
        [indicator_id, level, int(year)],
    ).df()


def list_sources(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Sources that went into this build, for attribution (producer, title in French and English, url, licence)."""
    return con.execute(
        "SELECT source_id, producer, title, title_en, url, licence FROM sources "
        "WHERE source_id IN (SELECT source_id FROM provenance) ORDER BY source_id"
    ).df()


def geometry_rows(con: duckdb.DuckDBPyConnection, level: str, codes: list[str] | None = None) -> list[tuple]:
    """(code, name, GeoJSON geometry text) of the outlines of a level, by code; only those of
    `codes` when given (a portrait's locator reads a few, not the whole level)."""
    return con.execute(
        """
        SELECT g.code, coalesce(t.name, g.code) AS name, g.geojson
        FROM geometries AS g
        LEFT JOIN territories AS t ON t.level = g.level AND t.code = g.code
        WHERE g.level = $1 AND ($2 IS NULL OR list_contains($2, g.code))
        ORDER BY g.code
        """,
        [level, codes],
    ).fetchall()


def geometries_geojson(con: duckdb.DuckDBPyConnection, level: str = "commune", codes: list[str] | None = None) -> dict:
    """The geometries of a level (only `codes`' when given) as a FeatureCollection whose feature id is the code."""
    features = [
        {
            "type": "Feature",
            "id": code,
            "properties": {"code": code, "name": name},
            "geometry": json.loads(geometry),
        }
        for code, name, geometry in geometry_rows(con, level, codes)
    ]
    return {"type": "FeatureCollection", "features": features}


def outlines_text(con: duckdb.DuckDBPyConnection, level: str) -> str:
    """The outlines of a level as one GeoJSON FeatureCollection (each feature its code as id and
    its geometry, by code), written by DuckDB from the stored texts without parsing one."""
    return con.execute(
        """
        SELECT '{"type":"FeatureCollection","features":['
            || coalesce(string_agg('{"type":"Feature","id":' || to_json(code) || ',"geometry":' || geojson || '}',
                                   ',' ORDER BY code), '')
            || ']}'
        FROM geometries WHERE level = ?
        """,
        [level],
    ).fetchone()[0]


def has_progress(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the build assessed any progress (every build has the table; a catalogue may give it no row)."""
    return con.execute("SELECT EXISTS (SELECT 1 FROM indicator_progress)").fetchone()[0]


def catalogue(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every catalogue row, with `has_values` (False for indicators not built yet)."""
    return con.execute(
        """
        SELECT i.*, list_contains(?, i.indicator_id) AS has_values
        FROM indicators AS i
        ORDER BY i.finality, i.label_fr, i.indicator_id
        """,
        [indicators_with_values(con)],
    ).df()


def list_territories(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """All territories (level, code, name), by level, then names in French order (Étauliers before Yvrac)."""
    rows = con.execute("SELECT level, code, name FROM territories").df()
    return rows.sort_values(
        ["level", "name", "code"], key=lambda column: column.map(french_key) if column.name == "name" else column
    ).reset_index(drop=True)


def level_names(con: duckdb.DuckDBPyConnection, level: str) -> list[str]:
    """The names of a level's territories in French order (as `list_territories` orders them), without
    sorting every territory of a national build."""
    rows = con.execute("SELECT name, code FROM territories WHERE level = ?", [level]).fetchall()
    return [name for name, _ in sorted(rows, key=lambda row: (french_key(row[0]), row[1]))]


def territory_search_index(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """What the territory search reads (`dashboard.search.search_index`): names and codes, with
    La Poste's postcodes and the COG history's former names where the build has them."""
    postcodes = con.execute("SELECT code, postcode FROM commune_postcodes ORDER BY code, postcode").df()
    former = con.execute(
        "SELECT DISTINCT new_code AS code, old_name FROM commune_changes WHERE old_name IS NOT NULL ORDER BY 1, 2"
    ).df()
    return search.search_index(list_territories(con), postcodes, former)


def build_territory(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The territory the database was built for: level, code, name, tncc (INSEE's article type)."""
    row = con.execute("SELECT level, code, name, tncc FROM build_territory").fetchone()
    return dict(zip(("level", "code", "name", "tncc"), row, strict=True)) if row else None


def national_scope(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The région and France sums of national files: per source, variable and territory, the
    years, the départements counted of those expected and the ones the file lacks."""
    return con.execute(
        """
        SELECT s.source_id, s.variable, s.level, s.code, t.name,
               string_agg(DISTINCT s.year::VARCHAR, ', ' ORDER BY s.year::VARCHAR) AS years,
               s.departements, s.expected, array_to_string(s.missing, ', ') AS missing
        FROM national_scope AS s JOIN territories AS t ON t.level = s.level AND t.code = s.code
        GROUP BY s.source_id, s.variable, s.level, s.code, t.name, s.departements, s.expected, s.missing
        ORDER BY s.source_id, s.variable, list_position(['region', 'france'], s.level), s.code
        """
    ).df()


def territory_name(con: duckdb.DuckDBPyConnection, level: str, code: str) -> str | None:
    row = con.execute("SELECT name FROM territories WHERE level = ? AND code = ?", [level, code]).fetchone()
    return row[0] if row else None


def map_values(con: duckdb.DuckDBPyConnection, indicator_id: str, level: str, year: int) -> pd.DataFrame:
    """Values for one level and year, with the previous available year's value.

    Columns: code, name, value, status, prev_year, prev_value. Territories of the
    level without a row come with status 'missing', so nothing is silently dropped.
    """
    return con.execute(
        """
        WITH prev AS (
            SELECT max(year) AS year FROM indicator_values
            WHERE indicator_id = $1 AND level = $2 AND year < $3 AND value IS NOT NULL
        )
        SELECT t.code, t.name, v.value, coalesce(v.status, 'missing') AS status,
               (SELECT year FROM prev) AS prev_year, p.value AS prev_value
        FROM territories AS t
        LEFT JOIN indicator_values AS v
          ON v.indicator_id = $1 AND v.level = t.level AND v.code = t.code AND v.year = $3
        LEFT JOIN indicator_values AS p
          ON p.indicator_id = $1 AND p.level = t.level AND p.code = t.code
         AND p.year = (SELECT year FROM prev)
        WHERE t.level = $2
        ORDER BY t.code
        """,
        [indicator_id, level, int(year)],
    ).df()


def territory_values(con: duckdb.DuckDBPyConnection, territories: list[tuple[str, str]]) -> pd.DataFrame:
    """Every indicator value of the given (level, code) territories, by year."""
    if not territories:
        return pd.DataFrame(columns=["indicator_id", "level", "code", "year", "value", "status"])
    if len(territories) <= batched.FEW_TERRITORIES:  # a portrait's: named, so that row groups are skipped
        found = f"indicator_values AS v WHERE {batched.territory_condition(territories, 'v')}"
    else:
        wanted = batched.wanted_frame(territories)  # noqa: F841 (read by DuckDB)
        found = "indicator_values AS v JOIN wanted AS w USING (level, code)"
    return con.execute(
        f"""
        SELECT v.indicator_id, v.level, v.code, v.year, v.value, v.status FROM {found}
        ORDER BY v.indicator_id, v.level, v.code, v.year
        """  # noqa: S608 (constants through literal())
    ).df()


LEVEL_ORDER = LEVELS  # commune up to France


def reference_territories(con: duckdb.DuckDBPyConnection, level: str, code: str) -> pd.DataFrame:
    """The enclosing EPCI, département, région and France (and France métropolitaine, which
    some producers publish instead) of a territory, where they exist.

    An EPCI's département is the one of most of its member communes.
    """
    return batched.one(batched.reference_territories(con, [(level, code)]), batched.REFERENCE_KEY)


def territories_series(
    con: duckdb.DuckDBPyConnection, territories: list[tuple[str, str]], indicator_id: str | None = None
) -> pd.DataFrame:
    """Values of every indicator (or one) over the years for the given territories, with names,
    ordered by level, code, indicator and year."""
    if not territories:
        return pd.DataFrame(columns=["indicator_id", "level", "code", "name", "year", "value", "status"])
    wanted = pd.DataFrame(territories, columns=["level", "code"])  # noqa: F841 (read by DuckDB)
    return con.execute(
        """
        SELECT v.indicator_id, v.level, v.code, coalesce(t.name, v.code) AS name, v.year, v.value, v.status
        FROM indicator_values AS v JOIN wanted AS w USING (level, code)
        LEFT JOIN territories AS t ON t.level = v.level AND t.code = v.code
        WHERE $indicator IS NULL OR v.indicator_id = $indicator
        ORDER BY v.level, v.code, v.indicator_id, v.year
        """,
        {"indicator": indicator_id},
    ).df()


def with_values(con: duckdb.DuckDBPyConnection, indicator_id: str, territories: list[tuple[str, str]]) -> set:
    """The (level, code) of the given territories that have a value of the indicator."""
    if not territories:
        return set()
    wanted = pd.DataFrame(territories, columns=["level", "code"])  # noqa: F841 (read by DuckDB)
    rows = con.execute(
        "SELECT DISTINCT v.level, v.code FROM indicator_values AS v JOIN wanted AS w USING (level, code) "
        "WHERE v.indicator_id = ? AND v.value IS NOT NULL",
        [indicator_id],
    ).fetchall()
    return set(rows)


def epci_neighbours(con: duckdb.DuckDBPyConnection, commune: str) -> list[str]:
    """The communes of the commune's EPCI (itself included; empty without an EPCI)."""
    return batched.epci_neighbours(con, [("commune", commune)])["neighbour"].tolist()


def epcis_of_departement(con: duckdb.DuckDBPyConnection, departement: str) -> list[str]:
    """The EPCIs with a member commune in the département."""
    rows = con.execute(
        """
        SELECT DISTINCT e.parent_code FROM territory_links AS d
        JOIN territory_links AS e ON e.child_level = 'commune' AND e.child_code = d.child_code AND e.parent_level = 'epci'
        WHERE d.child_level = 'commune' AND d.parent_level = 'departement' AND d.parent_code = ?
        ORDER BY 1
        """,
        [departement],
    ).fetchall()
    return [code for (code,) in rows]


def largest_territories(con: duckdb.DuckDBPyConnection, indicator_id: str, per_level: int) -> pd.DataFrame:
    """The `per_level` communes and EPCIs with the largest value of the indicator in its latest year
    at those levels (level, code, value, name), largest first."""
    return con.execute(
        """
        WITH found AS (
            SELECT level, code, year, value FROM indicator_values
            WHERE indicator_id = $1 AND level IN ('commune', 'epci')
        )
        SELECT f.level, f.code, f.value, t.name
        FROM found AS f JOIN territories AS t USING (level, code)
        WHERE f.year = (SELECT max(year) FROM found) AND f.value IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY f.level ORDER BY f.value DESC, f.code) <= $2
        ORDER BY f.value DESC, f.code
        """,
        [indicator_id, per_level],
    ).df()


def departements_of_region(con: duckdb.DuckDBPyConnection, region: str) -> list[str]:
    """The départements of a région."""
    rows = con.execute(
        "SELECT child_code FROM territory_links WHERE child_level = 'departement' AND parent_level = 'region' "
        "AND parent_code = ? ORDER BY 1",
        [region],
    ).fetchall()
    return [code for (code,) in rows]


def all_sources(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every declared source with its latest fetch (NULL when it did not go into the build),
    its edition and whether its layout was checked on a real file (`verified`)."""
    return con.execute(
        """
        SELECT s.source_id, s.producer, s.title, s.title_en, s.url, s.licence, max(p.fetched_at) AS fetched_at,
               s.edition, s.verified_sha256 IS NOT NULL OR s.from_snapshot AS verified
        FROM sources AS s LEFT JOIN provenance AS p USING (source_id)
        GROUP BY ALL ORDER BY s.source_id
        """
    ).df()


def indicator_gaps(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], tuple[str, list[str]]]:
    """{(indicator_id, level): (reason, sources not loaded)} for declared levels without any value."""
    rows = con.execute("SELECT indicator_id, level, reason, sources FROM indicator_gaps").fetchall()
    return {(i, lv): (reason, list(sources or [])) for i, lv, reason, sources in rows}


def indicator_levels(con: duckdb.DuckDBPyConnection, indicator_id: str) -> list[str]:
    """Levels with at least one non-NULL value for this indicator, from commune up."""
    rows = con.execute(
        "SELECT DISTINCT level FROM indicator_values WHERE indicator_id = ? AND value IS NOT NULL", [indicator_id]
    ).fetchall()
    found = {level for (level,) in rows}
    return [level for level in LEVEL_ORDER if level in found] + sorted(found - set(LEVEL_ORDER))


def geometry_levels(con: duckdb.DuckDBPyConnection) -> list[str]:
    found = {level for (level,) in con.execute("SELECT DISTINCT level FROM geometries").fetchall()}
    return [level for level in LEVEL_ORDER if level in found]
