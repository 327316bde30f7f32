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

    territories = pd.concat(
        [
            communes.assign(level="commune")[["level", "code", "name"]],
            epcis.assign(level="epci")[["level", "code", "name"]],
            areas[["level", "code", "name"]],
            pd.DataFrame([FRANCE], columns=["level", "code", "name"]),
        ],
        ignore_index=True,
    )
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
        ],
        ignore_index=True,
    )[["child_level", "child_code", "parent_level", "parent_code"]]
    _check_epci_membership(communes, epcis)

    con.register("territories_df", territories)
    con.register("links_df", links)
    con.execute("CREATE OR REPLACE TABLE territories AS SELECT level, code, name FROM territories_df")
    con.execute("CREATE OR REPLACE TABLE territory_links AS SELECT * FROM links_df")
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
    shapes = gpd.read_file(snapshot_file("snapshot/communes.geojson")).merge(
        communes[["code", "epci", "departement"]], on="code", validate="one_to_one"
    )
    missing = set(communes["code"]) - set(shapes["code"])
    if missing:
        raise GeographyError(f"no geometry for commune(s) {', '.join(sorted(missing))}")
    # Communes share simplified edges, so unions of them have no slivers.
    epci = (
        shapes[shapes["epci"] != ""].groupby("epci").geometry.apply(lambda g: shapely.coverage_union_all(g.to_numpy()))
    )
    dep = shapely.coverage_union_all(shapes.loc[shapes["departement"] == territory].geometry.to_numpy())
    rows = (
        [("commune", c, shapely.to_geojson(g)) for c, g in zip(shapes["code"], shapes.geometry, strict=True)]
        + [("epci", c, shapely.to_geojson(g)) for c, g in epci.items()]
        + [("departement", territory, shapely.to_geojson(dep))]
    )
    con.execute("CREATE OR REPLACE TABLE geometries (level VARCHAR, code VARCHAR, geojson VARCHAR)")
    con.executemany("INSERT INTO geometries VALUES (?, ?, ?)", rows)
