"""`itdd build --mirror` through the real download path, against servers on 127.0.0.1."""

from __future__ import annotations

import http.server
import os
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import duckdb
import pytest

from etl.build import build
from etl.catalogue_reader import load_catalogue
from etl.extract import DownloadError

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parent.parent

COMPARATEUR = "www.insee.fr/fr/statistiques/fichier/2521169/base_cc_comparateur_csv.zip"
FILOSOFI = "www.insee.fr/fr/statistiques/fichier/6036902/base-cc-filosofi-2019_CSV.zip"
# INSEE's format (`;`, CRLF, CODGEO as text, blank = withheld) with SYNTHETIC values:
# 33008 and 33409 are separate communes in the 2021 code list; 33063 has a blank.
COMPARATEUR_COLUMNS = (
    "CODGEO;P13_POP;P18_POP;P18_POP1564;P18_CHOM1564;P18_ACT1564;P18_MEN;NAISD20;DECESD20;P18_LOG;P18_RP;"
    "P18_RSECOCC;P18_LOGVAC;P18_RP_PROP;P13_EMPLT;P18_EMPLT;P18_EMPLT_SAL;ETTOT18;ETAZ18"
)
COMPARATEUR_ROWS = {
    "33008": "400;500;300;20;200;200;5;4;250;200;20;30;150;90;100;60;40;10",
    "33409": "80;84;55;5;50;35;1;1;40;35;2;3;30;10;10;5;6;3",
    "33063": "240000;250000;170000;;120000;130000;3000;2000;150000;130000;5000;15000;40000;180000;190000;170000;30000;100",
    "33001": "1900;2000;1300;100;1000;850;20;15;900;800;40;60;600;500;550;400;150;20",
}
HISTORY = "www.insee.fr/fr/statistiques/fichier/8377162/v_mvt_commune_2025.csv"
HISTORY_ROWS = [  # INSEE's layout; the mergers are real, the MOD 21 split of 33001 is SYNTHETIC
    "MOD,DATE_EFF,TYPECOM_AV,COM_AV,TNCC_AV,NCC_AV,NCCENR_AV,LIBELLE_AV,TYPECOM_AP,COM_AP,TNCC_AP,NCC_AP,NCCENR_AP,LIBELLE_AP",
    "32,2025-01-01,COM,33008,0,PORTE DE BENAUGE,Porte-de-Benauge,Porte-de-Benauge,COM,33008,0,PORTE DE BENAUGE,Porte-de-Benauge,Porte-de-Benauge",
    "32,2025-01-01,COM,33409,0,ST GENIS DU BOIS,St-Genis-du-Bois,Saint-Genis-du-Bois,COM,33008,0,PORTE DE BENAUGE,Porte-de-Benauge,Porte-de-Benauge",
    "32,2025-01-01,COM,33409,0,ST GENIS DU BOIS,St-Genis-du-Bois,Saint-Genis-du-Bois,COMD,33409,0,ST GENIS DU BOIS,St-Genis-du-Bois,Saint-Genis-du-Bois",
    "32,2019-01-01,COM,33092,0,CANTOIS,Cantois,Cantois,COM,33008,0,PORTE DE BENAUGE,Porte-de-Benauge,Porte-de-Benauge",
    "21,2023-01-01,COM,33001,0,ABZAC,Abzac,Abzac,COM,33998,0,SYNTHETIQUE,Synthétique,Synthétique",
]
RP_AGE = "www.insee.fr/fr/statistiques/fichier/8581696/base-cc-evol-struct-pop-2022_csv.zip"
RP_AGE_ROWS = ["CODGEO;P22_POP;P22_POP0019;P22_POP65P", "33008;600;120;150", "33063;268000;60000;40000"]
RP_EMPLOI = "www.insee.fr/fr/statistiques/fichier/8581444/base-cc-emploi-pop-active-2022_csv.zip"
RP_EMPLOI_ROWS = [  # 2025 code list: 33409 is already part of 33008
    "CODGEO;P16_POP1564;P22_POP1564;P16_ACTOCC1564;P22_ACTOCC1564",
    "33008;300;350;210;245",
    "33063;170000;180000;110000;120000,5",
]
HISTORIQUE = "www.insee.fr/fr/statistiques/fichier/7632565/base-cc-serie-historique-2020_csv.zip"
HISTORIQUE_ROWS = [  # 2023 code list: 33409 is still separate; SYNTHETIC values
    "CODGEO;P20_POP;P14_POP;P09_POP;P20_LOG;P14_LOG;P09_LOG;P20_LOGVAC;P14_LOGVAC;P09_LOGVAC;"
    "P20_RSECOCC;P14_RSECOCC;P09_RSECOCC;SUPERF",
    "33008;520;510;500;260;255;240;13;15;20;10;10;10;12.5",
    "33409;85;84;80;40;40;38;2;2;4;1;1;1;3.1",
]
FILOSOFI_HEADER = "CODGEO;NBMENFISC19;MED19;TP6019;TP60AGE119;TP60TOL219;PIMP19;PPSOC19;RD19"
FILOSOFI_MEMBERS = {  # INSEE's June 2022 release: one member per level, `s` = secret
    "cc_filosofi_2019_COM.csv": [FILOSOFI_HEADER, "33063;1000;23000;16;s;25;60;6;4,5", "33002;400;20000;s;s;s;s;s;s"],
    **{f"cc_filosofi_2019_{level}.csv": [FILOSOFI_HEADER] for level in ("EPCI", "DEP", "REG", "METRO")},
}


def write_synthetic_mirror(root: Path) -> Path:
    files = {
        COMPARATEUR: (
            "base_cc_comparateur.CSV",
            [COMPARATEUR_COLUMNS, *(f"{c};{r}" for c, r in COMPARATEUR_ROWS.items())],
        ),
        RP_AGE: ("base-cc-evol-struct-pop-2022.CSV", RP_AGE_ROWS),
        RP_EMPLOI: ("base-cc-emploi-pop-active-2022.CSV", RP_EMPLOI_ROWS),
        HISTORIQUE: ("base-cc-serie-historique-2020.CSV", HISTORIQUE_ROWS),
    }
    for path, members in [*((p, {m: lines}) for p, (m, lines) in files.items()), (FILOSOFI, FILOSOFI_MEMBERS)]:
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(target, "w") as zf:
            for member, lines in members.items():
                zf.writestr(member, "\r\n".join(lines) + "\r\n")
    (root / HISTORY).parent.mkdir(parents=True)
    (root / HISTORY).write_text("\n".join(HISTORY_ROWS) + "\n", encoding="utf-8")
    return root


def values(db: Path, indicator: str) -> dict:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT level, code, year, value, status FROM indicator_values WHERE indicator_id = ?", [indicator]
        ).fetchall()
    return {(lv, code, year): (value, status) for lv, code, year, value, status in rows}


def test_mirror_over_http_harmonises_and_aggregates(tmp_path, few_rows_catalogue, serve_folder):
    base = serve_folder(write_synthetic_mirror(tmp_path / "mirror"))
    db = tmp_path / "itdd.duckdb"
    report = build(few_rows_catalogue, db, mirror=base, cache_dir=tmp_path / "cache")
    assert {s.source_id: s.status for s in report.sources}["insee_comparateur"] == "downloaded"
    rate = values(db, "taux_chomage_15_64")
    # INSEE's history carries 33409 (Saint-Genis-du-Bois) into 33008: (20 + 5) / (200 + 50)
    assert rate[("commune", "33008", 2018)] == (pytest.approx(10.0), "ok")
    assert ("commune", "33409", 2018) not in rate
    assert rate[("commune", "33063", 2018)] == (None, "missing")  # blank is not zero
    # 33001 split after the 2021 code list (synthetic event): flagged, not apportioned
    assert rate[("commune", "33001", 2018)] == (None, "missing")
    # The département lacks most communes: a value over those known, flagged as such
    assert rate[("departement", "33", 2018)] == (pytest.approx(25 / 250 * 100), "incomplete")
    with duckdb.connect(str(db), read_only=True) as con:
        events = {e for (e,) in con.execute("SELECT DISTINCT event FROM commune_changes").fetchall()}
    assert events == {"INSEE MOD 32"}  # the downloaded history replaced the snapshot's
    with duckdb.connect(str(db), read_only=True) as con:
        prov = con.execute("SELECT url, bytes, rows FROM provenance WHERE source_id = 'insee_comparateur'").fetchone()
    assert prov[0] == f"https://{COMPARATEUR}" and prov[1] > 0 and prov[2] == 4
    employment = values(db, "taux_emploi_15_64")
    assert employment[("commune", "33008", 2016)] == (pytest.approx(70.0), "ok")
    assert employment[("commune", "33063", 2022)][0] == pytest.approx(120000.5 / 180000 * 100)  # comma decimal
    assert values(db, "indice_vieillissement")[("commune", "33008", 2022)] == (pytest.approx(125.0), "ok")
    # Historical series (2023 code list) and comparateur (2021) make one series, 33409 carried.
    vacancy = values(db, "part_logements_vacants")
    assert vacancy[("commune", "33008", 2009)] == (pytest.approx(24 / 278 * 100), "ok")
    assert vacancy[("commune", "33008", 2018)] == (pytest.approx(33 / 290 * 100), "ok")  # comparateur
    assert vacancy[("commune", "33008", 2020)] == (pytest.approx(15 / 300 * 100), "ok")
    assert ("commune", "33409", 2020) not in vacancy
    poverty = values(db, "taux_pauvrete")
    assert poverty[("commune", "33063", 2019)] == (16.0, "ok")
    assert poverty[("commune", "33002", 2019)] == (None, "secret")
    assert poverty[("commune", "33003", 2019)] == (None, "missing")  # not in the file at all


def test_folder_mirror_takes_the_same_path(tmp_path, few_rows_catalogue):
    mirror = write_synthetic_mirror(tmp_path / "mirror")
    db = tmp_path / "itdd.duckdb"
    build(few_rows_catalogue, db, mirror=str(mirror), cache_dir=tmp_path / "cache")
    assert values(db, "taux_chomage_15_64")[("commune", "33063", 2018)] == (None, "missing")
    assert values(db, "taux_chomage_15_64")[("commune", "33008", 2018)] == (pytest.approx(10.0), "ok")


def test_a_missing_file_is_reported_and_its_indicators_left_without_values(tmp_path, catalogue, serve_folder):
    base = serve_folder(tmp_path)  # serves nothing under www.insee.fr
    db = tmp_path / "itdd.duckdb"
    report = build(catalogue, db, mirror=base, cache_dir=tmp_path / "cache")
    failed = {s.source_id: s for s in report.sources if s.status == "failed"}
    assert list(failed) == [s.id for s in catalogue.sources if s.url]  # every downloaded source
    assert "HTTP 404" in failed["insee_comparateur"].detail and COMPARATEUR in failed["insee_comparateur"].detail
    assert values(db, "taux_chomage_15_64") == {}
    assert values(db, "population")[("commune", "33063", 2023)] == (267991, "ok")


def test_strict_makes_a_failure_fatal_and_keeps_the_previous_database(tmp_path, catalogue, serve_folder, offline_db):
    db = tmp_path / "itdd.duckdb"
    db.write_bytes(offline_db.read_bytes())
    before = db.read_bytes()
    base = serve_folder(tmp_path / "empty")
    with pytest.raises(DownloadError) as caught:
        build(catalogue, db, mirror=base, strict=True, cache_dir=tmp_path / "cache")
    assert caught.value.source_id == "insee_mouvements_communes"  # the first source to fail
    assert db.read_bytes() == before
    assert not any(p.name.endswith(".building") for p in tmp_path.iterdir())


def test_an_unreachable_source_falls_back_to_its_last_download(tmp_path, few_rows_catalogue, serve_folder):
    cache = tmp_path / "cache"
    build(
        few_rows_catalogue,
        tmp_path / "first.duckdb",
        mirror=serve_folder(write_synthetic_mirror(tmp_path / "m")),
        cache_dir=cache,
    )
    report = build(
        few_rows_catalogue, tmp_path / "second.duckdb", mirror=serve_folder(tmp_path / "empty"), cache_dir=cache
    )
    outcome = next(s for s in report.sources if s.source_id == "insee_comparateur")
    assert (
        outcome.status == "cached" and "HTTP 404" in outcome.detail and "using the copy downloaded 20" in outcome.detail
    )
    assert values(tmp_path / "second.duckdb", "taux_chomage_15_64")[("commune", "33008", 2018)][0] == pytest.approx(10)
    assert values(tmp_path / "second.duckdb", "population")[("commune", "33008", 2021)] == (586, "ok")


def run_cli(*args: str, cache: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "itdd.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "ITDD_CACHE": str(cache), "COLUMNS": "200"},
    )


def test_cli_summarises_failed_sources_and_strict_exits_1(tmp_path, serve_folder):
    base = serve_folder(tmp_path / "empty")
    db = tmp_path / "x.duckdb"
    relaxed = run_cli("build", "--mirror", base, "--db", str(db), cache=tmp_path / "cache")
    assert relaxed.returncode == 0, relaxed.stderr
    downloaded = [s.id for s in load_catalogue(ROOT / "indicators.yaml").sources if s.url]
    assert "failed" in relaxed.stdout
    assert f"{len(downloaded)} source(s) failed:" in relaxed.stderr
    failed = [line.split(":")[0].strip() for line in relaxed.stderr.splitlines() if "HTTP 404" in line]
    assert failed == downloaded  # one line each, in the catalogue's order
    assert "taux_chomage_15_64" in relaxed.stderr and "No network?" not in relaxed.stderr  # a 404 is not the network
    strict = run_cli("build", "--strict", "--mirror", base, "--db", str(db), cache=tmp_path / "cache")
    assert strict.returncode == 1
    assert "insee_mouvements_communes" in strict.stderr and "HTTP 404" in strict.stderr
    assert "Traceback" not in strict.stderr
    listing = run_cli("sources", "--db", str(db), cache=tmp_path / "cache")
    assert listing.returncode == 0
    assert "insee_comparateur" in listing.stdout and "failed: " in listing.stdout and "embedded" in listing.stdout
    assert "format non vérifié sur un fichier réel" in listing.stdout and "verified" in listing.stdout


class StallingHandler(http.server.SimpleHTTPRequestHandler):
    """Sends headers and a first chunk, then stalls: a build blocked mid-download."""

    release = threading.Event()

    def do_GET(self):  # noqa: N802 (http.server API)
        self.send_response(200)
        self.send_header("Content-Length", "1000000")
        self.end_headers()
        self.wfile.write(b"x" * 1000)
        self.wfile.flush()
        self.release.wait(30)

    def log_message(self, *args):
        pass


def test_killing_a_build_leaves_the_previous_database_readable(tmp_path, serve_folder, offline_db):
    db = tmp_path / "itdd.duckdb"
    db.write_bytes(offline_db.read_bytes())
    before = db.read_bytes()
    base = serve_folder(tmp_path, StallingHandler)
    build_process = subprocess.Popen(
        [sys.executable, "-m", "itdd.cli", "build", "--mirror", base, "--db", str(db)],
        env={**os.environ, "ITDD_CACHE": str(tmp_path / "cache")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        staging = tmp_path / f".itdd.duckdb.{build_process.pid}.building"  # its own staging file
        deadline = time.monotonic() + 30
        while not staging.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert staging.exists(), "the build never started writing"
        time.sleep(0.5)  # well into the download
        build_process.send_signal(signal.SIGKILL)
        build_process.wait(10)
    finally:
        StallingHandler.release.set()
        build_process.kill()
    assert db.read_bytes() == before
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM territories").fetchone()[0] == 568


def test_real_insee_files_from_the_shared_mirror(tmp_path, catalogue, serve_folder, shared_opendata):
    """Issue figures on INSEE's own comparateur file (Gironde rows), served over HTTP."""
    base = serve_folder(shared_opendata)
    db = tmp_path / "itdd.duckdb"
    build(catalogue, db, mirror=base, cache_dir=tmp_path / "cache")
    rate = values(db, "taux_chomage_15_64")
    assert rate[("commune", "33063", 2018)][0] == pytest.approx(14.47, abs=0.005)
    assert rate[("departement", "33", 2018)] == (pytest.approx(12.75, abs=0.005), "ok")
    assert rate[("commune", "33008", 2018)][0] == pytest.approx(5.89, abs=0.005)
    # The file only covers Gironde: CC du Pays Foyen lacks its Dordogne member
    assert rate[("epci", "243301371", 2018)][1] == "incomplete"
    with duckdb.connect(str(db), read_only=True) as con:
        pop = con.execute(
            "SELECT value FROM obs WHERE variable = 'population_recensement' AND code = '33008' AND year = 2018"
        ).fetchone()
        coverage = con.execute(
            "SELECT members, members_with_data FROM indicator_coverage WHERE indicator_id = 'taux_chomage_15_64' "
            "AND code = '243301371' AND year = 2018"
        ).fetchone()
        withheld = con.execute(
            "SELECT count(*) FROM raw_insee_filosofi_2019 WHERE TP6019 = 's' AND _itdd_level = 'commune' "
            "AND CODGEO NOT IN ('33008', '33409')"
        ).fetchone()[0]
    assert pop == (584,)
    assert coverage == (20, 19)

    poverty = values(db, "taux_pauvrete")
    assert poverty[("commune", "33063", 2019)] == (16.0, "ok")
    secret = [k for k, (v, status) in poverty.items() if status == "secret" and k[2] == 2019]
    assert all(poverty[k][0] is None for k in secret)
    # every `s` in INSEE's 2019 commune file is a secret, but for 33409 and 33008, merged since
    assert len(secret) == withheld > 300
    # a median or rate of merged communes is not carried
    assert values(db, "revenu_median")[("commune", "33008", 2019)] == (None, "missing")
