"""The territorial backbone: communes, EPCI, départements, régions and France, and their outlines.

It comes from the referential sources of `indicators.yaml` (`referential`: the communes of
the reference code list with their name, département, région and EPCI), read like any
source. For each commune and attribute, the first listed source that gives it wins, so an
embedded file listed last fills only what the downloaded ones lack. A file in an older code
list (INSEE's EPCI composition of 1 January 2024) is carried to the reference list with the
history of changes.

A build keeps its territory's communes and the outside members of their EPCIs (so that an
EPCI is built from all of its communes), and every level above: EPCI, département, région,
France (its 101 départements, `FR`) and France métropolitaine (`METRO`).
"""

from __future__ import annotations

import logging

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from etl.catalogue_sources import Attribute, Source
from etl.load import raw_table
from etl.paths import snapshot_file
from etl.territory import FRANCE, METROPOLITAN_FRANCE, Territory, national_lists
from etl.transform import code_map_frame, code_maps
from itdd.model import TABLE
from itdd.sql import insert_frame, literal, quote, registered

log = logging.getLogger(__name__)

# Display geometry: coverage simplification tolerance and coordinate grid, in degrees.
SIMPLIFY_TOLERANCE = 0.0015
COORDINATE_GRID = 1e-4
# Unions are drawn at a smaller scale than communes: a coarser tolerance, still topology-aware.
UNION_TOLERANCE = {"epci": 2 * SIMPLIFY_TOLERANCE, "departement": 4 * SIMPLIFY_TOLERANCE}
NO_EPCI = "ZZZZZZZZZ"  # INSEE's EPCI code for a commune that belongs to none (some islands)
REFERENTIAL_DDL = TABLE["referential_rows"].create(if_not_exists=True)  # a column per Attribute


class GeographyError(Exception):
    pass


def load_national_lists(con: duckdb.DuckDBPyConnection) -> None:
    """`france_departements` (code, name, region) and `france_regions` (code, name)."""
    departements, regions = national_lists()
    with registered(con, "departements_df", departements), registered(con, "regions_df", regions):
        con.execute("CREATE OR REPLACE TABLE france_departements AS SELECT code, name, region FROM departements_df")
        con.execute("CREATE OR REPLACE TABLE france_regions AS SELECT code, name FROM regions_df")


def load_embedded_history(con: duckdb.DuckDBPyConnection, covered: bool) -> None:
    """`commune_changes` (with the old code's name, `old_name`) and `commune_postcodes`: the
    embedded history and La Poste's postcodes where the embedded data covers the build's
    territory (INSEE's history, once loaded, replaces the former), else empty."""
    con.execute(TABLE["commune_changes"].create())
    con.execute(TABLE["commune_postcodes"].create())
    if covered:
        for table, columns in (
            ("commune_changes", "old_code, new_code, date, event, nullif(old_name, '')"),
            ("commune_postcodes", "code, postcode"),
        ):
            rows = pd.read_csv(snapshot_file(f"snapshot/{table}.csv"), dtype=str, keep_default_na=False)
            with registered(con, "snapshot_df", rows):
                con.execute(f"INSERT INTO {table} SELECT {columns} FROM snapshot_df")  # noqa: S608 (our own names)


def tidy_attributes(con: duckdb.DuckDBPyConnection, source: Source, level_sql: str) -> None:
    """Append the source's attributes to `referential_rows`, one row per (level, code)."""
    con.execute(REFERENTIAL_DDL)
    key = " || ".join(f"trim({quote(k)})" for k in source.keys)
    values = []
    for attribute in Attribute:
        column = source.attributes.get(attribute)
        cell = f"nullif(trim({quote(column)}), '')" if column else "NULL"
        if attribute == Attribute.epci and column:
            cell = f"nullif({cell}, {literal(NO_EPCI)})"
        values.append(f"{cell} AS {attribute.value}")
    con.execute(
        f"""INSERT INTO referential_rows
        SELECT * FROM (SELECT ? AS source_id, {level_sql} AS level, {key} AS code, {", ".join(values)}
                       FROM {raw_table(source)}) WHERE level IS NOT NULL""",  # noqa: S608 (names through quote()/raw_table(); values as parameters)
        [source.id],
    )


def drop_attributes(con: duckdb.DuckDBPyConnection, source_id: str) -> None:
    con.execute(REFERENTIAL_DDL)
    con.execute("DELETE FROM referential_rows WHERE source_id = ?", [source_id])


def resolve_territory(
    con: duckdb.DuckDBPyConnection, territory: Territory, sources: list[Source], reference_code_list: int
) -> list[str]:
    """Build `territories`, `territory_links`, `referential` and `build_territory` from the
    loaded referential sources (listed by precedence); return the départements the build's
    communes lie in (its own, and those of the outside members of its EPCIs)."""
    _write_referential(con, sources, reference_code_list)
    wanted = list(territory.departements)
    absent = [
        d
        for (d,) in con.execute(
            "SELECT unnest(?::VARCHAR[]) AS d EXCEPT SELECT departement FROM referential ORDER BY d", [wanted]
        ).fetchall()
    ]
    if absent:
        raise GeographyError(_absent_message(con, territory, absent, sources))
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _communes AS
        WITH inside AS (SELECT * FROM referential WHERE departement IN (SELECT unnest($1::VARCHAR[])))
        SELECT r.*, r.departement IN (SELECT unnest($1::VARCHAR[])) AS inside,
               coalesce(r.region, d.region) AS region_code
        FROM referential r LEFT JOIN france_departements d ON d.code = r.departement
        WHERE r.departement IN (SELECT unnest($1::VARCHAR[]))
           OR r.epci IN (SELECT epci FROM inside WHERE epci IS NOT NULL)""",
        [wanted],
    )
    _check_members(con)
    _write_territories(con, territory)
    return [d for (d,) in con.execute("SELECT DISTINCT departement FROM _communes ORDER BY 1").fetchall()]


def _write_referential(con: duckdb.DuckDBPyConnection, sources: list[Source], reference_code_list: int) -> None:
    """`referential`: every commune of the reference code list with its name, département,
    région and EPCI, each from the first source (by precedence) that gives it; and the EPCI names."""
    con.execute(REFERENTIAL_DDL)
    ranks = pd.DataFrame(
        [(s.id, n, s.code_list) for n, s in enumerate(sources)], columns=["source_id", "rank", "vintage"]
    ).astype({"vintage": "Int64"})
    with registered(con, "_ranks_df", ranks):
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _ranks AS SELECT source_id, rank, vintage::INTEGER AS vintage FROM _ranks_df"
        )
    reference = {
        c
        for (c,) in con.execute(
            """SELECT DISTINCT code FROM referential_rows JOIN _ranks USING (source_id)
            WHERE level = 'commune' AND departement IS NOT NULL"""
        ).fetchall()
    }
    vintages = {s.code_list for s in sources if s.code_list != reference_code_list}
    maps = code_maps(con, vintages, reference)
    con.execute("CREATE OR REPLACE TEMP TABLE _ref_map (vintage INTEGER, old_code VARCHAR, code VARCHAR)")
    insert_frame(con, "_ref_map", code_map_frame(maps))
    # Names, départements and régions from rows of the commune's own code; an EPCI may come
    # from a predecessor's row in an older file (a commune nouvelle keeps its parts' EPCI).
    con.execute("""
        CREATE OR REPLACE TABLE referential AS
        WITH carried AS (
            SELECT r.*, k.rank, coalesce(m.code, r.code) AS commune, m.code IS NULL AS own
            FROM referential_rows r JOIN _ranks k USING (source_id)
            LEFT JOIN _ref_map m ON m.vintage = k.vintage AND m.old_code = r.code
            WHERE r.level = 'commune'
        )
        SELECT commune AS code,
               arg_min(name, rank) FILTER (WHERE own AND name IS NOT NULL) AS name,
               arg_min(departement, rank) FILTER (WHERE own AND departement IS NOT NULL) AS departement,
               arg_min(region, rank) FILTER (WHERE own AND region IS NOT NULL) AS region,
               arg_min(epci, rank * 2 + (NOT own)::INTEGER) FILTER (WHERE epci IS NOT NULL) AS epci,
               arg_min(source_id, rank) FILTER (WHERE own AND departement IS NOT NULL) AS source_id
        FROM carried GROUP BY commune
        HAVING departement IS NOT NULL
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _epci_names AS
        SELECT code, arg_min(name, rank) AS name FROM (
            SELECT r.code, r.name, k.rank FROM referential_rows r JOIN _ranks k USING (source_id)
            WHERE r.level = 'epci' AND r.name IS NOT NULL
            UNION ALL
            SELECT r.epci, r.epci_name, k.rank FROM referential_rows r JOIN _ranks k USING (source_id)
            WHERE r.level = 'commune' AND r.epci IS NOT NULL AND r.epci_name IS NOT NULL
        ) GROUP BY code""")


def _check_members(con: duckdb.DuckDBPyConnection) -> None:
    """An EPCI of the build whose member no file places in a département (a commune list
    restricted to the territory beside a national EPCI file) would be summed without it."""
    lost = con.execute("""
        SELECT DISTINCT r.epci, coalesce(m.code, r.code) AS commune, r.source_id
        FROM referential_rows r JOIN _ranks k USING (source_id)
        LEFT JOIN _ref_map m ON m.vintage = k.vintage AND m.old_code = r.code
        WHERE r.level = 'commune' AND r.epci IN (SELECT epci FROM _communes)
          AND coalesce(m.code, r.code) NOT IN (SELECT code FROM referential)
        ORDER BY ALL LIMIT 10""").fetchall()
    if lost:
        shown = "; ".join(f"{commune} in EPCI {epci} ({source})" for epci, commune, source in lost)
        raise GeographyError(
            f"EPCI member(s) that no referential file lists as a commune of the reference code list: {shown}. "
            "The commune list must hold every member of the territory's EPCI, outside ones included"
        )


def _absent_message(con: duckdb.DuckDBPyConnection, territory: Territory, absent: list[str], sources) -> str:
    found = con.execute(
        """SELECT source_id, list(DISTINCT departement ORDER BY departement) FROM referential_rows
        WHERE level = 'commune' AND departement IS NOT NULL GROUP BY ALL"""
    ).fetchall()
    covers = "; ".join(f"{s} covers {', '.join(d[:8])}{' …' if len(d) > 8 else ''}" for s, d in found)
    shown = ", ".join(absent[:12]) + (" …" if len(absent) > 12 else "")
    if not sources:
        return f"no commune of {territory.label}: indicators.yaml names no `referential` source that could be read"
    return (
        f"no commune of département(s) {shown} in the referential files of {territory.label} "
        f"({', '.join(s.id for s in sources)}): {covers or 'they hold no commune'}"
    )


def _write_territories(con: duckdb.DuckDBPyConnection, territory: Territory) -> None:
    """`territories`, `territory_links` and `build_territory` from `_communes`."""
    metro_code, metro_name = METROPOLITAN_FRANCE[1:]
    france_code, france_name = FRANCE[1:]
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _departements AS
        SELECT d.code, d.name, d.region FROM france_departements d WHERE d.code IN (SELECT unnest(?::VARCHAR[]))""",
        [list(territory.departements)],
    )
    con.execute(
        """CREATE OR REPLACE TABLE territories AS
        SELECT 'commune' AS level, code, coalesce(name, code) AS name FROM _communes
        UNION ALL
        SELECT 'epci', e.code, coalesce(n.name, e.code) FROM (SELECT DISTINCT epci AS code FROM _communes
            WHERE epci IN (SELECT epci FROM _communes WHERE inside)) e LEFT JOIN _epci_names n USING (code)
        UNION ALL SELECT 'departement', code, name FROM _departements
        UNION ALL SELECT 'region', code, name FROM france_regions WHERE code IN (SELECT region FROM _departements)
        UNION ALL SELECT 'france', $1, $2
        UNION ALL SELECT 'france', $3, $4 WHERE EXISTS (SELECT 1 FROM _departements WHERE code NOT LIKE '97%')
        ORDER BY 1, 2""",
        [france_code, france_name, metro_code, metro_name],
    )
    # Links to the levels of the build only; an outside member links to its EPCI, to its
    # région if the build has it, and to France.
    con.execute(
        """CREATE OR REPLACE TABLE territory_links AS
        WITH t AS (SELECT level, code FROM territories),
        pairs AS (
            SELECT 'commune' AS child_level, code AS child_code, 'epci' AS parent_level, epci AS parent_code FROM _communes
            UNION ALL SELECT 'commune', code, 'departement', departement FROM _communes WHERE inside
            UNION ALL SELECT 'commune', code, 'region', region_code FROM _communes
            UNION ALL SELECT 'commune', code, 'france', $1 FROM _communes
            UNION ALL SELECT 'commune', code, 'france', $2 FROM _communes WHERE departement NOT LIKE '97%'
            UNION ALL SELECT DISTINCT 'epci', epci, 'france', $1 FROM _communes
            UNION ALL SELECT DISTINCT 'epci', epci, 'france', $2 FROM _communes WHERE departement NOT LIKE '97%'
            UNION ALL SELECT 'departement', code, 'region', region FROM _departements
            UNION ALL SELECT 'departement', code, 'france', $1 FROM _departements
            UNION ALL SELECT 'departement', code, 'france', $2 FROM _departements WHERE code NOT LIKE '97%'
            UNION ALL SELECT DISTINCT 'region', region, 'france', $1 FROM _departements
            UNION ALL SELECT DISTINCT 'region', region, 'france', $2 FROM _departements WHERE code NOT LIKE '97%'
        )
        SELECT DISTINCT p.* FROM pairs p
        JOIN t c ON c.level = p.child_level AND c.code = p.child_code
        JOIN t a ON a.level = p.parent_level AND a.code = p.parent_code
        ORDER BY ALL""",
        [france_code, metro_code],
    )
    con.execute(
        "CREATE OR REPLACE TABLE build_territory AS "
        "SELECT ? AS level, ? AS code, ? AS name, ? AS spelling, ?::INTEGER AS tncc",
        [territory.level, territory.code, territory.name, territory.spelling, territory.tncc],
    )


def stale_codes(con: duckdb.DuckDBPyConnection, source: Source) -> list[tuple]:
    """Codes a file in the code list of 1 January V should not have: communes the history of
    changes ended on or before that date (merged, or moved to another code) and never re-established."""
    if source.code_list is None:
        return []
    con.execute(TABLE["commune_splits"].create(if_not_exists=True))
    return con.execute(
        """SELECT r.code, c.new_code, c.date FROM referential_rows r
        JOIN commune_changes c ON c.old_code = r.code AND c.date <= ? AND c.new_code <> r.code
        WHERE r.source_id = ? AND r.level = 'commune'
          AND NOT EXISTS (SELECT 1 FROM commune_splits s WHERE s.code = r.code AND s.date > c.date)
          AND NOT EXISTS (SELECT 1 FROM commune_changes l WHERE l.new_code = r.code AND l.date > c.date)
        ORDER BY c.date DESC, r.code LIMIT 10""",
        [f"{source.code_list}-01-01", source.id],
    ).fetchall()


# --- outlines ----------------------------------------------------------------------------


def dissolve_to_reference(shapes: gpd.GeoDataFrame, mapping: dict[str, str], reference: set[str]) -> gpd.GeoDataFrame:
    """Outlines in an older code list, merged into the reference communes they formed."""
    codes = shapes["code"].map(lambda c: mapping.get(c, c))
    kept = shapes.assign(code=codes)[codes.isin(reference)]
    merged_codes, merged = unions_by(kept["code"].to_numpy(), kept.geometry.to_numpy())
    return gpd.GeoDataFrame({"code": merged_codes}, geometry=merged, crs=shapes.crs)


def unions_by(keys: np.ndarray, geometries: np.ndarray) -> tuple[np.ndarray, list]:
    """Each key's geometries merged by `shapely.union_all` (as `GeoDataFrame.dissolve` does, and
    with the same results), keys sorted, members in their order: a pandas group per key took
    3 s for 35,000 communes."""
    order = np.argsort(keys, kind="stable")
    keys, geometries = keys[order], geometries[order]
    unique, starts = np.unique(keys, return_index=True)
    return unique, [shapely.union_all(part) for part in np.split(geometries, starts[1:])]


def simplify_for_display(geometries: gpd.GeoSeries, tolerance: float = SIMPLIFY_TOLERANCE) -> list:
    """Topology-aware simplification (neighbours keep shared edges), then a coarse grid."""
    simplified = shapely.coverage_simplify(geometries.to_numpy(), tolerance)
    return list(shapely.set_precision(simplified, COORDINATE_GRID))


def shapes_from_raw(con: duckdb.DuckDBPyConnection, raw: str, key: str) -> gpd.GeoDataFrame:
    frame = con.execute(f"SELECT trim({quote(key)}) AS code, geometry_wkb FROM {raw}").df()  # noqa: S608 (names through quote()/raw_table(); values as parameters)
    return gpd.GeoDataFrame(
        {"code": frame["code"]}, geometry=shapely.from_wkb([bytes(b) for b in frame["geometry_wkb"]]), crs="EPSG:4326"
    )


def embedded_outlines(codes: set[str]) -> gpd.GeoDataFrame:
    """The snapshot's outlines (already simplified) of the given communes."""
    shapes = gpd.read_file(snapshot_file("snapshot/communes.geojson"))
    return shapes[shapes["code"].isin(codes)][["code", "geometry"]]


def load_geometries(
    con: duckdb.DuckDBPyConnection, embedded: bool, downloaded: gpd.GeoDataFrame | None, mapping: dict[str, str]
) -> str | None:
    """`geometries`: commune outlines, and EPCI and département outlines as their unions.

    Downloaded outlines (in any code list, dissolved into the reference communes) are used
    when they cover every commune of the territory, or when there is nothing else; otherwise
    the embedded outlines are kept. Returns what was done with the downloaded ones."""
    inside = {
        c
        for (c,) in con.execute("SELECT child_code FROM territory_links WHERE parent_level = 'departement'").fetchall()
    }
    communes = {c for (c,) in con.execute("SELECT code FROM territories WHERE level = 'commune'").fetchall()}
    shapes = embedded_outlines(communes) if embedded else gpd.GeoDataFrame({"code": []}, geometry=[], crs="EPSG:4326")
    note = None
    if downloaded is not None:
        dissolved = dissolve_to_reference(downloaded, mapping, communes)
        dissolved = gpd.GeoDataFrame(
            {"code": dissolved["code"]}, geometry=simplify_for_display(dissolved.geometry), crs="EPSG:4326"
        )
        lacking = inside - set(dissolved["code"])
        if lacking and embedded:
            note = f"not used: no outline for {len(lacking)} commune(s) ({', '.join(sorted(lacking)[:5])}…)"
        else:
            kept = shapes[~shapes["code"].isin(dissolved["code"])]
            shapes = pd.concat([dissolved, kept], ignore_index=True)
            note = (
                f"outlines of {len(downloaded)} features dissolved into {len(set(dissolved['code']) & inside)} communes"
            )
            if lacking:
                note += f"; no outline for {len(lacking)} commune(s) ({', '.join(sorted(lacking)[:5])}…)"
    con.execute(TABLE["geometries"].create())
    outlines = {"code": shapes["code"].to_numpy(), "geojson": shapely.to_geojson(shapes.geometry.to_numpy())}
    insert_frame(con, "geometries", pd.DataFrame(outlines).assign(level="commune"))
    _write_unions(con)
    return note


def _write_unions(con: duckdb.DuckDBPyConnection) -> None:
    """EPCI and département outlines: unions of their communes' outlines, drawn only when
    every member has one (a partial outline would misplace the border)."""
    members = con.execute("""
        SELECT l.parent_level, l.parent_code, g.geojson FROM territory_links l
        LEFT JOIN geometries g ON g.level = 'commune' AND g.code = l.child_code
        WHERE l.child_level = 'commune' AND l.parent_level IN ('epci', 'departement')""").df()
    if members.empty:
        return
    territory = members.groupby(["parent_level", "parent_code"])["geojson"]
    members = members[territory.transform("count") == territory.transform("size")]  # every member outlined
    for level, level_members in members.groupby("parent_level"):
        codes, unions = unions_by(
            level_members["parent_code"].to_numpy(), shapely.from_geojson(level_members["geojson"].to_numpy())
        )
        simplified = simplify_for_display(gpd.GeoSeries(unions), UNION_TOLERANCE.get(level, SIMPLIFY_TOLERANCE))
        insert_frame(
            con, "geometries", pd.DataFrame({"level": level, "code": codes, "geojson": shapely.to_geojson(simplified)})
        )
