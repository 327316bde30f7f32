"""The territorial backbone from the embedded snapshot: territories, links, geometries.

The snapshot holds the reference code list (COG 2025) for one département plus the
outside members of its EPCIs, so that every EPCI is built from all of its communes.
"""

from __future__ import annotations

import logging

import duckdb
import geopandas as gpd
import pandas as pd
import shapely

from etl.paths import snapshot_file

log = logging.getLogger(__name__)

FRANCE = ("france", "FR", "France")
# INSEE publishes some figures for metropolitan France only (Filosofi's METRO file): a
# territory of its own, so that such a value is never shown as France's.
METROPOLITAN_FRANCE = ("france", "METRO", "France métropolitaine")
# Display geometry: coverage simplification tolerance and coordinate grid, in degrees.
SIMPLIFY_TOLERANCE = 0.0015
COORDINATE_GRID = 1e-4


class GeographyError(Exception):
    pass


def read_snapshot_csv(name: str) -> pd.DataFrame:
    return pd.read_csv(snapshot_file(f"snapshot/{name}"), dtype=str, keep_default_na=False)


def load_geography(con: duckdb.DuckDBPyConnection, territory: str) -> None:
    communes = read_snapshot_csv("communes.csv")
    epcis = read_snapshot_csv("epci.csv")
    areas = read_snapshot_csv("areas.csv")
    departement = areas[(areas["level"] == "departement") & (areas["code"] == territory)]
    if departement.empty:
        covered = ", ".join(areas.loc[areas["level"] == "departement", "code"])
        raise GeographyError(
            f"the embedded snapshot covers département {covered}, not {territory}; "
            "rebuild it with scripts/build_snapshot.py --territory " + territory
        )
    region = departement["parent"].iloc[0]

    countries = [FRANCE] + ([METROPOLITAN_FRANCE] if not territory.startswith("97") else [])
    territories = pd.concat(
        [
            communes.assign(level="commune")[["level", "code", "name"]],
            epcis.assign(level="epci")[["level", "code", "name"]],
            areas[["level", "code", "name"]],
            pd.DataFrame(countries, columns=["level", "code", "name"]),
        ],
        ignore_index=True,
    )
    metropolitan = communes[~communes["departement"].str.startswith("97")]
    links = pd.concat(
        [
            _links(communes[communes["epci"] != ""], "commune", "epci", "epci"),
            _links(communes[communes["departement"] == territory], "commune", "departement", "departement"),
            _links(communes, "commune", "region", "region"),
            communes.assign(child_level="commune", parent_level="france", parent_code="FR").rename(
                columns={"code": "child_code"}
            ),
            epcis.assign(child_level="epci", parent_level="france", parent_code="FR").rename(
                columns={"code": "child_code"}
            ),
            pd.DataFrame(
                [
                    ("departement", territory, "region", region),
                    ("departement", territory, "france", "FR"),
                    ("region", region, "france", "FR"),
                ],
                columns=["child_level", "child_code", "parent_level", "parent_code"],
            ),
            *(
                _links(frame.assign(metro="METRO"), level, "france", "metro")
                for level, frame in (
                    ("commune", metropolitan),
                    ("epci", epcis[epcis["code"].isin(metropolitan["epci"])]),
                    ("departement", pd.DataFrame({"code": [territory]})),
                    ("region", pd.DataFrame({"code": [region]})),
                )
                if len(countries) > 1
            ),
        ],
        ignore_index=True,
    )[["child_level", "child_code", "parent_level", "parent_code"]]
    _check_epci_membership(communes, epcis)

    con.register("territories_df", territories)
    con.register("links_df", links)
    con.execute("CREATE OR REPLACE TABLE territories AS SELECT level, code, name FROM territories_df")
    con.execute("CREATE OR REPLACE TABLE territory_links AS SELECT * FROM links_df")
    departements = read_snapshot_csv("departements.csv")  # every département of France, for national sums
    con.register("departements_df", departements)
    con.execute("CREATE OR REPLACE TABLE france_departements AS SELECT code, name, region FROM departements_df")
    changes = read_snapshot_csv("commune_changes.csv")
    con.register("changes_df", changes)
    con.execute("CREATE OR REPLACE TABLE commune_changes AS SELECT * FROM changes_df")
    _load_geometries(con, communes, territory)


def _links(df: pd.DataFrame, child: str, parent_level: str, parent_column: str) -> pd.DataFrame:
    return pd.DataFrame(
        {"child_level": child, "child_code": df["code"], "parent_level": parent_level, "parent_code": df[parent_column]}
    )


def _check_epci_membership(communes: pd.DataFrame, epcis: pd.DataFrame) -> None:
    present = communes[communes["epci"] != ""].groupby("epci").size()
    for code, expected in zip(epcis["code"], epcis["member_count"].astype(int), strict=True):
        if present.get(code, 0) != expected:
            raise GeographyError(
                f"EPCI {code} has {expected} member communes but the snapshot holds {present.get(code, 0)}"
            )


def _load_geometries(con: duckdb.DuckDBPyConnection, communes: pd.DataFrame, territory: str) -> None:
    shapes = gpd.read_file(snapshot_file("snapshot/communes.geojson"))
    missing = set(communes["code"]) - set(shapes["code"])
    if missing:
        raise GeographyError(f"no geometry for commune(s) {', '.join(sorted(missing))}")
    con.execute("CREATE OR REPLACE TABLE geometries (level VARCHAR, code VARCHAR, geojson VARCHAR)")
    _write_communes(con, shapes)
    _write_unions(con, territory)


def _write_communes(con: duckdb.DuckDBPyConnection, shapes: gpd.GeoDataFrame) -> None:
    con.executemany(
        "INSERT INTO geometries VALUES ('commune', ?, ?)",
        [(c, shapely.to_geojson(g)) for c, g in zip(shapes["code"], shapes.geometry, strict=True)],
    )


def _write_unions(con: duckdb.DuckDBPyConnection, territory: str) -> None:
    """EPCI and département outlines: unions of their communes' outlines."""
    con.execute("DELETE FROM geometries WHERE level IN ('epci', 'departement')")
    members = con.execute("""
        SELECT l.parent_level, l.parent_code, g.geojson FROM territory_links l
        JOIN geometries g ON g.level = 'commune' AND g.code = l.child_code
        WHERE l.child_level = 'commune' AND l.parent_level IN ('epci', 'departement')""").df()
    members["geometry"] = shapely.from_geojson(members["geojson"].to_numpy())
    unions = members.groupby(["parent_level", "parent_code"]).geometry.apply(lambda g: shapely.union_all(g.to_numpy()))
    con.executemany(
        "INSERT INTO geometries VALUES (?, ?, ?)",
        [(level, code, shapely.to_geojson(g)) for (level, code), g in unions.items()],
    )


def dissolve_to_reference(shapes: gpd.GeoDataFrame, mapping: dict[str, str], reference: set[str]) -> gpd.GeoDataFrame:
    """Outlines in an older code list, merged into the reference communes they formed."""
    codes = shapes["code"].map(lambda c: mapping.get(c, c))
    kept = shapes.assign(code=codes)[codes.isin(reference)]
    return kept.dissolve(by="code", as_index=False)[["code", "geometry"]]


def simplify_for_display(geometries: gpd.GeoSeries) -> list:
    """Topology-aware simplification (neighbours keep shared edges), then a coarse grid."""
    simplified = shapely.coverage_simplify(geometries.to_numpy(), SIMPLIFY_TOLERANCE)
    return list(shapely.set_precision(simplified, COORDINATE_GRID))


def shapes_from_raw(con: duckdb.DuckDBPyConnection, raw: str, key: str) -> gpd.GeoDataFrame:
    frame = con.execute(f'SELECT trim("{key}") AS code, geometry_wkb FROM {raw}').df()
    return gpd.GeoDataFrame(
        {"code": frame["code"]}, geometry=shapely.from_wkb([bytes(b) for b in frame["geometry_wkb"]]), crs="EPSG:4326"
    )


def replace_commune_geometries(
    con: duckdb.DuckDBPyConnection, shapes: gpd.GeoDataFrame, mapping: dict[str, str], territory: str
) -> str:
    """Use downloaded outlines for the territory's communes; say what was done."""
    wanted = {
        c
        for (c,) in con.execute(
            "SELECT child_code FROM territory_links WHERE parent_level = 'departement' AND parent_code = ?", [territory]
        ).fetchall()
    }
    dissolved = dissolve_to_reference(shapes, mapping, wanted)
    missing = wanted - set(dissolved["code"])
    if missing:
        return f"not used: no outline for {len(missing)} commune(s) ({', '.join(sorted(missing)[:5])}…)"
    dissolved = gpd.GeoDataFrame(
        {"code": dissolved["code"]}, geometry=simplify_for_display(dissolved.geometry), crs="EPSG:4326"
    )
    con.execute("DELETE FROM geometries WHERE level = 'commune' AND code IN (SELECT unnest(?))", [sorted(wanted)])
    _write_communes(con, dissolved)
    _write_unions(con, territory)
    return f"outlines of {len(shapes)} features dissolved into {len(dissolved)} communes"
