"""`itdd publish` (issue #6) on the offline build: the open-data files match the database,
the Data Package validates, the GeoJSON opens in geopandas, the DCAT catalogue is RDF,
the site's links resolve and call no outside host, and publishing is atomic and
reproducible."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from itdd.cli import app

pytestmark = pytest.mark.integration


def digests(folder: Path) -> dict[str, str]:
    return {
        str(f.relative_to(folder)): hashlib.sha256(f.read_bytes()).hexdigest()
        for f in sorted(folder.rglob("*"))
        if f.is_file()
    }


def indicators_with_values(offline_db: Path) -> list[str]:
    with duckdb.connect(str(offline_db), read_only=True) as con:
        rows = con.execute(
            "SELECT DISTINCT indicator_id FROM indicator_values WHERE value IS NOT NULL ORDER BY 1"
        ).fetchall()
    return [i for (i,) in rows]


def test_datapackage_validates_with_frictionless(published: Path, offline_db: Path) -> None:
    frictionless = pytest.importorskip("frictionless")
    report = frictionless.validate(published / "datapackage.json")
    assert report.valid, report.flatten(["resource:name", "rowNumber", "fieldName", "type", "note"])
    package = json.loads((published / "datapackage.json").read_text())
    names = {r["name"] for r in package["resources"]}
    for indicator_id in indicators_with_values(offline_db):
        assert {indicator_id, f"{indicator_id}-parquet"} <= names
    assert {"territoires-commune", "territoires-epci", "territoires-departement"} <= names
    for resource in package["resources"]:
        assert resource["licenses"], resource["name"]
        if resource["format"] == "csv":
            assert resource["sources"] and all(s["path"].startswith("https://") for s in resource["sources"])
    sources = {p["source_id"] for p in package["itdd:provenance"]}
    assert {"populations_legales", "surfaces_ign"} <= sources
    assert all(re.fullmatch(r"[0-9a-f]{64}", p["sha256"]) for p in package["itdd:provenance"])


def test_every_csv_row_matches_indicator_values(published: Path, offline_db: Path) -> None:
    with duckdb.connect(str(offline_db), read_only=True) as con:
        for indicator_id in indicators_with_values(offline_db):
            csv = pd.read_csv(published / "donnees" / f"{indicator_id}.csv", dtype={"code": str})
            assert list(csv.columns) == ["indicator_id", "level", "code", "name", "year", "value", "unit", "status"]
            expected = con.execute(
                "SELECT level, code, year, value, status FROM indicator_values WHERE indicator_id = ?", [indicator_id]
            ).df()
            merged = expected.merge(csv, on=["level", "code", "year"], how="outer", indicator=True)
            assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head()
            assert (merged["status_x"] == merged["status_y"]).all()
            assert (merged["indicator_id"] == indicator_id).all()
            # Missing is not zero: a NULL in the database is an empty cell, never 0.
            assert (merged["value_x"].isna() == merged["value_y"].isna()).all()
            known = merged.dropna(subset=["value_x"])
            assert (known["value_x"] == known["value_y"]).all()  # shortest repr reads back exactly
            parquet = con.execute(
                f"SELECT * FROM read_parquet('{published / 'donnees' / f'{indicator_id}.parquet'}')"
            ).df()
            pd.testing.assert_frame_equal(
                parquet.astype({"year": "int64"}), csv.astype({"year": "int64"}), check_dtype=False
            )


def test_published_csv_figures(published: Path) -> None:
    lines = (published / "donnees" / "population.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "indicator_id,level,code,name,year,value,unit,status"
    assert "population,commune,33063,Bordeaux,2023,267991,habitants,ok" in lines
    assert "population,departement,33,Gironde,2023,1690493,habitants,ok" in lines
    # Rows run from commune up to France, each level by code and year.
    levels = [line.split(",")[1] for line in lines[1:]]
    assert levels == sorted(levels, key=["commune", "epci", "departement", "region", "france"].index)


def test_dashboard_download_is_the_published_file(published: Path, offline_db: Path) -> None:
    from dashboard.app import create_app

    client = create_app(offline_db).server.test_client()
    for indicator_id in indicators_with_values(offline_db):
        served = client.get(f"/telecharger/{indicator_id}.csv").data
        assert served == (published / "donnees" / f"{indicator_id}.csv").read_bytes(), indicator_id


def test_geojson_opens_in_geopandas(published: Path, offline_db: Path) -> None:
    gpd = pytest.importorskip("geopandas")
    with duckdb.connect(str(offline_db), read_only=True) as con:
        counts = dict(con.execute("SELECT level, count(*) FROM geometries GROUP BY level").fetchall())
    for level, count in counts.items():
        frame = gpd.read_file(published / "donnees" / f"territoires-{level}.geojson")
        assert len(frame) == count, level
        assert frame.crs.to_epsg() == 4326 and frame.geometry.is_valid.all()
    communes = gpd.read_file(published / "donnees" / "territoires-commune.geojson").set_index("code")
    bordeaux = communes.loc["33063"]
    assert bordeaux["name"] == "Bordeaux"
    assert bordeaux["population"] == 267991 and bordeaux["population__year"] == 2023
    assert bordeaux["population__status"] == "ok"
    assert bordeaux["population__progress"] is None  # a context indicator has no category
    assert 10 < bordeaux.geometry.area * 1e4 < 100_000  # degrees² to a plausible size, not a point


def test_dcat_catalogue_is_rdf_with_a_dataset_per_indicator(published: Path, offline_db: Path) -> None:
    rdflib = pytest.importorskip("rdflib")
    base = published.as_uri() + "/"
    graph = rdflib.Graph().parse(published / "catalogue.jsonld", format="json-ld", publicID=base)
    dcat, dct = rdflib.Namespace("http://www.w3.org/ns/dcat#"), rdflib.Namespace("http://purl.org/dc/terms/")
    datasets = set(graph.subjects(rdflib.RDF.type, dcat.Dataset))
    assert {str(graph.value(d, dct.identifier)) for d in datasets} == set(indicators_with_values(offline_db))
    for dataset in datasets:
        assert graph.value(dataset, dct.title) and graph.value(dataset, dct.license)
        distributions = list(graph.objects(dataset, dcat.distribution))
        assert len(distributions) == 2
        for distribution in distributions:
            url = str(graph.value(distribution, dcat.downloadURL))
            assert url.startswith(base) and Path(url.removeprefix("file://")).is_file(), url


def test_site_links_resolve_and_call_no_outside_host(published: Path) -> None:
    pages = sorted(published.rglob("*.html"))
    assert len(pages) > 500  # home, method, territories, every indicator and territory
    assert (published / "territoire" / "commune" / "33063.html").is_file()
    assert (published / "indicateur" / "population.html").is_file()
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for kind, target in re.findall(r'<(script|link|img)[^>]*?(?:src|href)="([^"]+)"', text):
            assert not re.match(r"(https?:)?//", target), (page, kind, target)
        for href in re.findall(r'<a [^>]*?href="([^"#]+)', text):
            if not re.match(r"https?://", href):
                assert (page.parent / href).resolve().is_file(), (page, href)
    for asset in ("plotly.min.js", "site.js", "style.css"):
        assert (published / "assets" / asset).is_file()
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", (published / "assets" / "style.css").read_text())


def test_each_id_names_one_element_of_its_page(published: Path) -> None:
    """Labels, links and scripts find an element by its id: a portrait's trend tables once all had the same."""
    repeated = {}
    for page in published.rglob("*.html"):
        ids = Counter(re.findall(r'\sid="([^"]*)"', page.read_text(encoding="utf-8")))
        if max(ids.values(), default=1) > 1:
            repeated[page.relative_to(published).as_posix()] = sorted(i for i, n in ids.items() if n > 1)
    assert repeated == {}
    assert sum(1 for _ in published.rglob("territoire/commune/*.html")) > 500  # the portraits were read


def test_pages_made_in_this_process_are_those_of_the_rendering_processes(
    published: Path, offline_db: Path, tmp_path: Path
) -> None:
    """A page depends only on the database: the first task's pages (home, map, indicators) and a
    task of portraits, rendered in this process as `write_site(workers=1)` does, are byte for
    byte those `itdd publish` had its rendering processes write; so are the search indexes."""
    from dashboard import static_site

    root = tmp_path / "site"
    tasks = static_site.prepare(offline_db, root)
    for task in (tasks[0], tasks[len(tasks) // 2]):
        static_site.render_pages(offline_db, root, task)
    written = [p.relative_to(root) for p in root.rglob("*") if p.is_file() and p.suffix in (".html", ".json")]
    assert sum(p.as_posix().startswith("territoire/") for p in written) >= 30 and len(written) >= 150
    assert [p.as_posix() for p in written if (root / p).read_bytes() != (published / p).read_bytes()] == []


def test_publishing_again_gives_the_same_bytes(published: Path, offline_db: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    result = CliRunner().invoke(app, ["publish", "--db", str(offline_db), "--out", str(again)])
    assert result.exit_code == 0, result.output
    first, second = digests(published), digests(again)
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []


def test_a_failed_publication_leaves_the_previous_one(published: Path, offline_db: Path, tmp_path, monkeypatch):
    import dashboard.site_pool

    out = tmp_path / "site"
    out.mkdir()
    (out / "datapackage.json").write_text("{}")  # an earlier publication
    (out / "index.html").write_text("earlier")
    before = digests(out)

    def broken(db, root, progress=None, **options):
        (root / "index.html").write_text("half")
        raise OSError("disk full")

    monkeypatch.setattr(dashboard.site_pool, "write_site", broken)
    result = CliRunner().invoke(app, ["publish", "--db", str(offline_db), "--out", str(out)])
    assert result.exit_code == 1
    assert "disk full" in result.output and "Traceback" not in result.output
    assert digests(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # no staging folder left behind


def test_publish_gives_the_site_its_base_url(offline_db: Path, tmp_path: Path, monkeypatch) -> None:
    import dashboard.site_pool

    given = {}

    def site(db, root, progress=None, **options):
        given.update(options)
        return 0

    monkeypatch.setattr(dashboard.site_pool, "write_site", site)
    args = ["publish", "--db", str(offline_db), "--out", str(tmp_path / "o"), "--base-url", "https://d.example.fr/x/"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert given == {"base_url": "https://d.example.fr/x/"}  # for the 404 page's links, by name (not `workers`)


def test_publish_refuses_a_folder_it_did_not_write(offline_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "documents"
    out.mkdir()
    (out / "rapport.odt").write_text("not ours")
    result = CliRunner().invoke(app, ["publish", "--db", str(offline_db), "--out", str(out)])
    assert result.exit_code == 1 and "not an itdd publication" in result.output
    assert [p.name for p in out.iterdir()] == ["rapport.odt"]


def test_publish_of_a_database_without_values_stops_before_the_pages(
    offline_db: Path, tmp_path: Path, monkeypatch
) -> None:
    import dashboard.site_pool

    empty = tmp_path / "empty.duckdb"
    empty.write_bytes(offline_db.read_bytes())
    with duckdb.connect(str(empty)) as con:
        con.execute("DELETE FROM indicator_values")
    rendered = []
    monkeypatch.setattr(dashboard.site_pool, "write_site", lambda *args, **options: rendered.append(args) or 0)
    result = CliRunner().invoke(app, ["publish", "--db", str(empty), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1 and "no indicator value to publish" in result.output
    assert "Traceback" not in result.output and rendered == [] and not (tmp_path / "o").exists()


def test_publish_without_a_database_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["publish", "--db", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1 and "itdd build" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "o").exists()


def test_base_url_makes_the_catalogue_links_absolute(offline_db: Path, tmp_path: Path) -> None:
    rdflib = pytest.importorskip("rdflib")
    from etl.publish import write_open_data
    from etl.publish_files import Writer

    with duckdb.connect(str(offline_db), read_only=True) as con:
        write_open_data(con, Writer(tmp_path), "https://data.example.fr/itdd/")
    graph = rdflib.Graph().parse(tmp_path / "catalogue.jsonld", format="json-ld")  # no publicID needed
    urls = {str(o) for o in graph.objects(None, rdflib.URIRef("http://www.w3.org/ns/dcat#downloadURL"))}
    assert "https://data.example.fr/itdd/donnees/population.csv" in urls
    assert all(url.startswith("https://data.example.fr/itdd/donnees/") for url in urls)
