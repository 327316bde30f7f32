"""Real trends (issue #11): the producers' files of several editions, read as published, give
the same figures from the embedded extract (`itdd build --offline`) and from the shared
mirror served over HTTP (`itdd build --mirror`). Every expected figure below was read by
hand from the files of ../shared/opendata (MANIFEST §1, §2, §9-§12, §15, §16)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import pytest

from etl.build import build
from etl.paths import data_dir
from etl.transform import national_totals

ORE_CONSO = (
    "opendata.agenceore.fr/api/explore/v2.1/catalog/datasets/"
    "conso-elec-gaz-annuelle-par-secteur-dactivite-agregee-departement/exports/csv"
)


@pytest.fixture(scope="module", params=["offline", "mirror"])
def real_db(request, tmp_path_factory, catalogue, serve_folder) -> Path:
    """The database of both ways in: the embedded extract, and the real mirror over HTTP."""
    if request.param == "offline":
        return request.getfixturevalue("offline_db")
    shared = request.getfixturevalue("shared_opendata")
    folder = tmp_path_factory.mktemp("mirror")
    build(catalogue, folder / "itdd.duckdb", mirror=serve_folder(shared), cache_dir=folder / "cache")
    return folder / "itdd.duckdb"


@pytest.fixture(scope="module")
def q(real_db):
    con = duckdb.connect(str(real_db), read_only=True)
    yield lambda sql, *params: con.execute(sql, list(params)).fetchall()
    con.close()


def series(q, indicator: str, level: str, code: str) -> dict[int, float]:
    rows = q(
        "SELECT year, value FROM indicator_values WHERE indicator_id = ? AND level = ? AND code = ? "
        "AND value IS NOT NULL ORDER BY year",
        indicator,
        level,
        code,
    )
    return {year: value for year, value in rows}


def test_median_income_at_every_level_as_published(q):
    assert series(q, "revenu_median", "commune", "33063") == {2018: 23070, 2019: 23360, 2020: 23860, 2021: 24870}
    assert series(q, "revenu_median", "epci", "243300316")[2018] == 22760
    assert series(q, "revenu_median", "departement", "33")[2019] == 22640
    assert series(q, "revenu_median", "region", "75")[2019] == 21540
    # INSEE's METRO file is France métropolitaine, named so, and never passed off as France
    assert series(q, "revenu_median", "france", "METRO")[2019] == 21930
    assert q("SELECT name FROM territories WHERE level = 'france' AND code = 'METRO'") == [("France métropolitaine",)]
    assert series(q, "revenu_median", "france", "FR") == {}


def test_poverty_rate(q):
    poverty = series(q, "taux_pauvrete", "commune", "33063")
    assert poverty[2018] == 16 and poverty[2021] == 17
    assert series(q, "taux_pauvrete", "departement", "33")[2018] == 12.6
    # `s` (2019 on) and blanks (2018) are both withheld: secret, never zero and never missing
    statuses = dict(
        q(
            "SELECT year, count(*) FROM indicator_values WHERE indicator_id = 'taux_pauvrete' AND level = 'commune' "
            "AND status = 'secret' GROUP BY year"
        )
    )
    assert set(statuses) == {2018, 2019, 2020, 2021} and min(statuses.values()) > 300


def test_unemployment_from_two_census_editions(q):
    bordeaux = series(q, "taux_chomage_15_64", "commune", "33063")
    assert bordeaux[2017] == pytest.approx(15.34, abs=0.005) and bordeaux[2018] == pytest.approx(14.47, abs=0.005)
    assert series(q, "taux_chomage_15_64", "departement", "33")[2017] == pytest.approx(13.41, abs=0.005)
    # Porte-de-Benauge with Saint-Genis-du-Bois (merged in 2025), from the 2017 edition's code list
    assert series(q, "taux_chomage_15_64", "commune", "33008")[2017] == pytest.approx(5.84, abs=0.005)


def test_energy_per_inhabitant_times_population_is_ore_s_total(q):
    ((value, population, status),) = q(
        "SELECT value, denominator, status FROM indicator_values WHERE indicator_id = 'conso_energie_par_habitant' "
        "AND level = 'departement' AND code = '33' AND year = 2021"
    )
    assert status == "ok" and value * population == pytest.approx(16_912_458, abs=1)
    # 2011 has no row from the transmission operator: flagged, not passed off as complete
    statuses = dict(
        q("SELECT year, status FROM obs WHERE source_id = 'ore_conso_departements' AND variable = 'conso_elec_gaz_mwh'")
    )
    assert statuses[2011] == "incomplete" and statuses[2021] == "ok"


def test_sum_of_ore_rows_read_by_hand(shared_opendata):
    rows = csv.DictReader(io.StringIO((shared_opendata / ORE_CONSO).read_text(encoding="utf-8")), delimiter=";")
    total = sum(float(r["consototale"]) for r in rows if r["annee"] == "2021" and r["code_departement"] == "33")
    assert total == pytest.approx(16_912_458, abs=1)


def test_done_when_counts(q):
    with_values = q("SELECT count(DISTINCT indicator_id) FROM indicator_values WHERE value IS NOT NULL")[0][0]
    assert with_values >= 15
    multi_year = q(
        "SELECT count(*) FROM (SELECT indicator_id FROM indicator_values WHERE level = 'commune' AND code = '33063' "
        "AND value IS NOT NULL GROUP BY 1 HAVING count(DISTINCT year) >= 2)"
    )[0][0]
    assert multi_year >= 8
    judged = q(
        "SELECT count(*) FROM indicator_progress WHERE level = 'commune' AND code = '33063' "
        "AND category NOT IN ('unable_to_assess')"
    )[0][0]
    assert judged >= 4


def hand_category(points: list[tuple[int, float]], polarity: str, natural_limit: float | None) -> str:
    """The method written out again, for series without a usable target (README, "Progress")."""
    (t0, y0), (t1, y1) = points[0], points[-1]
    signed = ((y1 / y0) ** (1 / (t1 - t0)) - 1) * (1 if polarity == "higher_is_better" else -1)
    c = 1 - (y0 / natural_limit) ** 4.44 if natural_limit else 1.0
    if signed >= 0.015 * c:
        return "on_track"
    if signed >= 0.005 * c:
        return "acceleration_needed"
    return "limited_progress" if signed >= 0 else "deterioration"


def test_bordeaux_categories_agree_with_the_method_by_hand(q, catalogue):
    assessed = q(
        "SELECT indicator_id, category, target_value FROM indicator_progress WHERE level = 'commune' "
        "AND code = '33063' AND category NOT IN ('unable_to_assess')"
    )
    checked = 0
    for indicator_id, category, target_value in assessed:
        indicator = catalogue.indicator(indicator_id)
        if target_value is not None and indicator.target.reference_year is None:
            continue  # an absolute or period target: covered by tests/test_progress.py
        points = [
            (year, value)
            for year, value in series(q, indicator_id, "commune", "33063").items()
            if year >= catalogue.progress.base_year
        ]
        limit = indicator.progress.natural_limit if indicator.progress else None
        assert category == hand_category(points, indicator.polarity, limit), indicator_id
        checked += 1
    assert checked >= 4
    categories = dict(q("SELECT indicator_id, category FROM indicator_progress WHERE code = '33063'"))
    # poverty 16 -> 17 % over 2018-2021, median income +2.5 %/yr, unemployment 15.34 -> 14.47 %
    assert categories["taux_pauvrete"] == "deterioration"
    assert categories["revenu_median"] == "on_track"
    assert categories["taux_chomage_15_64"] == "on_track"


def test_the_summary_agrees_with_the_assessments(q):
    summary = dict(
        q(
            "SELECT category, sum(indicators) FROM progress_summary WHERE level = 'commune' AND code = '33063' GROUP BY 1"
        )
    )
    counted = dict(
        q(
            "SELECT category, count(*) FROM indicator_progress WHERE level = 'commune' AND code = '33063' "
            "AND category IS NOT NULL GROUP BY 1"
        )
    )
    assert summary == counted


def test_references_say_why_they_are_missing(q):
    gaps = dict(q("SELECT level, reason FROM indicator_gaps WHERE indicator_id = 'taux_chomage_15_64'"))
    assert gaps == {"region": "national_file_not_loaded", "france": "national_file_not_loaded"}
    assert q("SELECT reason FROM indicator_gaps WHERE indicator_id = 'surface_bio' AND level = 'commune'") in (
        [("source_not_loaded",)],
    )


# --- the embedded extract is the mirror's files, trimmed ---------------------------------------


def mirror_file(shared: Path, url: str) -> Path:
    parts = urlsplit(url)
    return shared / (parts.netloc + parts.path + (f"?{parts.query}" if parts.query else ""))


def test_every_extract_file_keeps_the_producer_s_lines(shared_opendata):
    manifest = json.loads((data_dir() / "extract" / "manifest.json").read_text())
    for entry in manifest["files"]:
        original = mirror_file(shared_opendata, entry["url"])
        embedded = data_dir() / "extract" / entry["file"]
        assert hashlib.sha256(original.read_bytes()).hexdigest() == entry["mirror_sha256"]
        if not zipfile.is_zipfile(embedded):
            assert embedded.read_bytes() == original.read_bytes()
            continue
        with zipfile.ZipFile(embedded) as mine, zipfile.ZipFile(original) as theirs:
            for name in mine.namelist():
                kept, published = mine.read(name), theirs.read(name)
                lines = set(published.splitlines(keepends=True))
                assert set(kept.splitlines(keepends=True)) <= lines, name  # lines as published, none invented
                assert kept == published or "_REG" in name, name  # only a région file is cut, to one région


def test_verified_layouts_name_the_real_file_they_were_checked_on(catalogue, shared_opendata):
    verified = [s for s in catalogue.sources if s.verified]
    assert len(verified) >= 9
    for source in verified:
        path = mirror_file(shared_opendata, source.download_urls([catalogue.territory])[0])
        assert hashlib.sha256(path.read_bytes()).hexdigest() == source.verified.sha256, source.id
    unverified = {s.id for s in catalogue.sources if s.url and not s.verified}
    assert {"cerema_conso_naf", "ore_conso_elec_gaz", "agence_bio_communes", "insee_filosofi_2021"} <= unverified


# --- région and France sums of national files (SYNTHETIC observations) -------------------------


def test_national_totals_need_every_departement():
    con = duckdb.connect()
    con.execute("CREATE TABLE france_departements AS SELECT * FROM (VALUES ('33', 'G', '75'), ('24', 'D', '75'), "
                "('75', 'P', '11'), ('971', 'Gp', '01')) AS t(code, name, region)")  # fmt: skip
    con.execute("CREATE TABLE _non_additive (source_id VARCHAR, variable VARCHAR)")
    con.execute("INSERT INTO _non_additive VALUES ('s', 'median')")
    con.execute("""CREATE TABLE observations AS SELECT * FROM (VALUES
        ('s', 'count', 'commune', '33063', 2020, 10.0, 'ok'), ('s', 'count', 'commune', '24335', 2020, 1.0, 'ok'),
        ('s', 'count', 'commune', '75056', 2020, 100.0, 'ok'), ('s', 'count', 'commune', '75101', 2020, 7.0, 'ok'),
        ('s', 'count', 'commune', '97101', 2020, 5.0, 'ok'),
        ('s', 'median', 'commune', '33063', 2020, 20.0, 'ok'), ('s', 'median', 'commune', '24335', 2020, 30.0, 'ok'),
        ('g', 'count', 'commune', '33063', 2020, 10.0, 'ok')
    ) AS t(source_id, variable, level, code, year, value, status)""")
    national_totals(con)
    added = {row[:5]: row[5:] for row in con.execute(
        "SELECT source_id, variable, level, code, year, value, status FROM observations WHERE level <> 'commune'"
    ).fetchall()}  # fmt: skip
    assert added[("s", "count", "region", "75", 2020)] == (11.0, "ok")  # Gironde and Dordogne
    assert added[("s", "count", "region", "11", 2020)] == (100.0, "ok")  # Paris once, not its arrondissement too
    assert added[("s", "count", "france", "FR", 2020)] == (116.0, "ok")
    assert added[("s", "count", "france", "METRO", 2020)] == (111.0, "ok")
    assert not any(key[0] == "g" for key in added)  # a one-département file sums to nothing above it
    assert not any(key[1] == "median" for key in added)  # a median is never summed
