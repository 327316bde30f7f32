"""Nothing wrong gets in (issue #15): each malformed producer file of the corpus is refused
with the rule it breaks, a bad download never replaces the last good one in the cache, and
two builds of one database never run at once.

The corpus (tests/fixtures/bad_sources, SYNTHETIC values in the producers' layouts) is read
through the same door as a download (`etl.build.load_source`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import pytest
import yaml

from etl.build import _create_provenance, _drop_source, build, load_source
from etl.extract import Cache, Download
from etl.load import LoadError
from etl.lock import build_lock
from etl.paths import data_dir

BAD = Path(__file__).parent / "fixtures" / "bad_sources"
CASES = yaml.safe_load((BAD / "cases.yaml").read_text(encoding="utf-8"))
GOOD = {  # the corpus's well-formed files, each source's control
    "insee_comparateur": {"members": {"base_cc_comparateur.CSV": "comparateur-good.csv"}},
    "insee_filosofi_2019": {
        "members": {
            f"cc_filosofi_2019_{lv}.csv": f"filosofi2019-{lv}.csv" for lv in ("COM", "EPCI", "DEP", "REG", "METRO")
        }
    },
}


@pytest.fixture(scope="module")
def territory_con(offline_db):
    """Gironde's communes and links, as a build sees them before its sources."""
    con = duckdb.connect()
    con.execute(f"ATTACH '{offline_db}' AS built (READ_ONLY)")
    for table in ("territories", "territory_links", "commune_changes", "france_departements"):
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM built.{table}")
    con.execute("DETACH built")
    _create_provenance(con)
    yield con
    con.close()


def payload(case: dict, folder: Path) -> Path:
    """The file as downloaded: the case's own file, or a zip of its members."""
    if "file" in case:
        return BAD / case["file"]
    target = folder / f"{case['case']}.zip"
    with zipfile.ZipFile(target, "w") as zf:
        for member, name in case["members"].items():
            zf.writestr(member, (BAD / name).read_bytes())
    return target


def load_case(case: dict, con, folder: Path, catalogue) -> None:
    source = catalogue.source(case["source"])
    if "max_bytes" in case:
        source = source.model_copy(update={"max_bytes": case["max_bytes"]})
    path = payload(case, folder)
    got = Download(source.id, source.download_urls(["33"])[0], path, "0" * 64, path.stat().st_size, "2026-01-01", False)
    try:
        load_source(con, source, got, "33")
    finally:
        _drop_source(con, source)
        con.execute("DELETE FROM provenance")


def test_the_corpus_is_large():
    assert len(CASES) >= 40 and len({c["case"] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("source_id", sorted(GOOD))
def test_the_corpus_s_good_files_load(source_id, territory_con, tmp_path, few_rows_catalogue):
    """The harness is sound: the same files, well formed, pass every rule."""
    load_case({"case": "good", "source": source_id, **GOOD[source_id]}, territory_con, tmp_path, few_rows_catalogue)


@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_each_malformed_file_is_refused_with_its_rule(case, territory_con, tmp_path, catalogue, few_rows_catalogue):
    with pytest.raises(LoadError) as caught:
        load_case(case, territory_con, tmp_path, catalogue if case["catalogue"] == "strict" else few_rows_catalogue)
    message = str(caught.value)
    assert case["expect"] in message, message
    assert f"source '{case['source']}'" in message and payload(case, tmp_path).name in message  # which file


def test_a_message_names_the_column_and_shows_rows(territory_con, tmp_path, few_rows_catalogue):
    case = next(c for c in CASES if c["case"] == "comparateur-duplicate-row")
    with pytest.raises(LoadError) as caught:
        load_case(case, territory_con, tmp_path, few_rows_catalogue)
    assert "column(s) CODGEO" in str(caught.value) and "commune, 33063, 2018, 2" in str(caught.value)


# --- the cache keeps only good downloads ---------------------------------------------------------


def extract_mirror(root: Path) -> Path:
    """The embedded extract laid out as the producers publish it (real Gironde rows)."""
    manifest = json.loads((data_dir() / "extract" / "manifest.json").read_text())
    for entry in manifest["files"]:
        parts = urlsplit(entry["url"])
        target = root / (parts.netloc + parts.path + (f"?{parts.query}" if parts.query else ""))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(data_dir() / "extract" / entry["file"], target)
    return root


def energy(db: Path) -> list:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "SELECT year, value FROM indicator_values WHERE indicator_id = 'conso_energie_par_habitant' "
            "AND level = 'departement' ORDER BY year"
        ).fetchall()


def test_good_then_html_with_200_then_404_keeps_the_good_copy(tmp_path, catalogue, serve_folder):
    mirror = extract_mirror(tmp_path / "mirror")
    base, cache_dir = serve_folder(mirror), tmp_path / "cache"
    ore = next(s for s in catalogue.sources if s.id == "ore_conso_departements")
    published = mirror / (lambda p: p.netloc + p.path)(urlsplit(ore.url))
    cache = Cache(cache_dir)

    first = build(catalogue, tmp_path / "1.duckdb", mirror=base, cache_dir=cache_dir)
    assert {s.source_id: s.status for s in first.sources}["ore_conso_departements"] == "downloaded"
    good = cache.meta(ore.url)["sha256"]
    values = energy(tmp_path / "1.duckdb")
    assert len(values) > 5

    published.write_bytes((BAD / "html-page.html").read_bytes())  # a maintenance page, served with 200
    second = build(catalogue, tmp_path / "2.duckdb", mirror=base, cache_dir=cache_dir)
    outcome = next(s for s in second.sources if s.source_id == "ore_conso_departements")
    assert outcome.status == "cached" and "missing column(s)" in outcome.detail, outcome.detail
    assert cache.meta(ore.url)["sha256"] == good  # the bad page did not replace it
    assert energy(tmp_path / "2.duckdb") == values

    published.unlink()  # then the producer is down
    third = build(catalogue, tmp_path / "3.duckdb", mirror=base, cache_dir=cache_dir)
    outcome = next(s for s in third.sources if s.source_id == "ore_conso_departements")
    assert outcome.status == "cached" and "HTTP 404" in outcome.detail
    assert energy(tmp_path / "3.duckdb") == values
    assert not [p for p in cache_dir.rglob("*") if p.name.startswith(".")]  # no pending or partial file left


def test_strict_refuses_a_bad_file_and_keeps_the_database(tmp_path, catalogue, serve_folder, offline_db):
    mirror = extract_mirror(tmp_path / "mirror")
    comparateur = mirror / "www.insee.fr/fr/statistiques/fichier/2521169/base_cc_comparateur_csv.zip"
    with zipfile.ZipFile(comparateur) as zf:
        rows = zf.read("base_cc_comparateur.CSV").split(b"\r\n")
    bordeaux = next(r for r in rows if r.startswith(b"33063;"))
    with zipfile.ZipFile(comparateur, "w") as zf:  # real rows, Bordeaux's twice
        zf.writestr("base_cc_comparateur.CSV", b"\r\n".join([*rows[:-1], bordeaux, b""]))
    embedded = {
        json_entry["source_id"]
        for json_entry in json.loads((data_dir() / "extract" / "manifest.json").read_text())["files"]
    }
    kept = [s for s in catalogue.sources if s.snapshot or s.id in embedded]  # the sources the mirror has
    strict = catalogue.model_copy(
        update={
            "sources": kept,
            "indicators": [
                i
                for i in catalogue.indicators
                if not i.needs_any_of({s.id for s in catalogue.sources} - {s.id for s in kept})
            ],
            "boundaries": None,
        }
    )
    db = tmp_path / "itdd.duckdb"
    db.write_bytes(offline_db.read_bytes())
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    with pytest.raises(LoadError, match="insee_comparateur.*rule `unique key`"):
        build(strict, db, mirror=serve_folder(mirror), strict=True, cache_dir=tmp_path / "cache")
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    url = "https://www.insee.fr/fr/statistiques/fichier/2521169/base_cc_comparateur_csv.zip"
    assert Cache(tmp_path / "cache").meta(url) is None  # the bad file was not kept
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == [".itdd.duckdb.lock"]


# --- one build at a time --------------------------------------------------------------------------


def run_build(db: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "itdd.cli", "build", "--offline", "--db", str(db), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "ITDD_CACHE": str(db.parent / "cache"), "COLUMNS": "200"},
    )  # fmt: skip


def test_a_second_build_waits_then_names_the_holder(tmp_path):
    db = tmp_path / "itdd.duckdb"
    with build_lock(db, timeout=0):
        waiting = run_build(db, "--wait", "1")
        out, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 1 and "Traceback" not in err
    assert f"another build (PID {os.getpid()}) is writing" in err
    assert not db.exists()


def test_two_builds_at_once_both_succeed_one_after_the_other(tmp_path):
    db = tmp_path / "itdd.duckdb"
    first, second = run_build(db), run_build(db)
    results = [p.communicate(timeout=120) for p in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], results
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM indicator_values").fetchone()[0] > 40000
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == [".itdd.duckdb.lock"]
