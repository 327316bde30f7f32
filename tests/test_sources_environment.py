"""Land, energy, climate and organic-farming sources (issue #3) through `--mirror` on a
local HTTP server: Cerema's land-take CSV, Agence ORE's paginated Data Fair API, Agence
Bio's register, Agreste's farmland and the Citepa inventory in the ministry's format.

Every file is in its producer's layout (delimiter, header, key and year columns, pages),
as read by public code that downloads the real files; the VALUES ARE SYNTHETIC, chosen so
that each expected figure below can be computed by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from etl.build import build
from etl.extract import Cache, DownloadError, fetch, mirrored, session

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parent.parent

# --- Cerema, millésime 2025 (COG 2025): comma, UTF-8 with a BOM, LF, m² written as floats, one
# row per commune: what is known of the real file (shared/opendata MANIFEST, "What could not be found").
CEREMA = "www.data.gouv.fr/fr/datasets/r/b258feec-f8ff-4e0a-93b3-baf1fe46ef66"
YEARS = range(2011, 2025)
DESTINATIONS = ("act", "hab", "mix", "rou", "fer", "inc")


def cerema_header() -> str:
    annual = [
        f"{name}{y % 100:02d}{dest}{(y + 1) % 100:02d}"
        for y in YEARS
        for name, dest in [("naf", "art"), *(("art", d) for d in DESTINATIONS)]
    ]
    totals = ["naf11art25", "art11act25", "art11hab25", "art11mix25", "art11inc25", "art11rou25", "art11fer25"]
    identity = "idcom,idcomtxt,idreg,idregtxt,iddep,iddeptxt,epci25,epci25txt,scot".split(",")
    return ",".join([*identity, *annual, *totals, "pop11", "pop16", "pop22", "surfcom2025", "artcom1125"])


def cerema_row(code: str, name: str, epci: str, habitat_m2: int, activity_m2: int) -> str:
    """Every year the same flow, split into housing and activity (synthetic)."""
    annual = []
    for _ in YEARS:
        annual += [habitat_m2 + activity_m2, activity_m2, habitat_m2, 0, 0, 0, 0]
    total = (habitat_m2 + activity_m2) * len(YEARS)
    totals = [total, activity_m2 * len(YEARS), habitat_m2 * len(YEARS), 0, 0, 0, 0]
    identity = [code, name, "75", "Nouvelle-Aquitaine", "33", "Gironde", epci, "EPCI synthétique", "SCoT"]
    areas = [f"{float(v)}" for v in [*annual, *totals]]  # written as floats, `7351.0`, as the real file
    return ",".join(str(v) for v in [*identity, *areas, 1000, 1100, 1200, 10_000_000, 1.23])


CEREMA_ROWS = [  # 33063 Bordeaux: 60,000 m² a year (6 ha); 33281 Mérignac: 40,000 m² (4 ha)
    cerema_row("33063", "Bordeaux", "243300316", 45_000, 15_000),
    cerema_row("33281", "Mérignac", "243300316", 30_000, 10_000),
    cerema_row("33008", "Porte-de-Benauge", "200069581", 1_000, 0),
]

# --- Agence ORE: Data Fair `lines` pages (JSON); several rows per commune, year and sector.
ORE_BASE = (
    "https://opendata.agenceore.fr/data-fair/api/v1/datasets/consommation-annuelle-d-electricite-et-gaz-par-commune/"
)
ORE_FIRST = (
    ORE_BASE + "lines?size=10000&qs=code_departement:33"
    "&select=annee,code_commune,filiere,code_grand_secteur,conso_totale_mwh,nb_sites"
)
ORE_SECOND = ORE_FIRST + "&after=2%2C33063"
# Dordogne's page: the build also fetches the département of the outside members of its EPCIs.
ORE_DORDOGNE = ORE_FIRST.replace("code_departement:33", "code_departement:24")
ORE_PAGE_DORDOGNE = [
    {"annee": "2022", "code_commune": "24335", "filiere": "Electricité", "code_grand_secteur": "RESIDENTIEL",
     "conso_totale_mwh": 9000, "nb_sites": 1500},
]  # fmt: skip
ORE_PAGE_1 = [
    {"annee": "2022", "code_commune": "33063", "filiere": "Electricité", "code_grand_secteur": "RESIDENTIEL",
     "conso_totale_mwh": 500000.5, "nb_sites": 150000},
    {"annee": "2022", "code_commune": "33063", "filiere": "Gaz", "code_grand_secteur": "RESIDENTIEL",
     "conso_totale_mwh": 300000, "nb_sites": 60000},
    {"annee": "2022", "code_commune": "33063", "filiere": "Electricité", "code_grand_secteur": "TERTIAIRE",
     "conso_totale_mwh": 700000, "nb_sites": 20000},
]  # fmt: skip
ORE_PAGE_2 = [
    {"annee": 2022, "code_commune": "33063", "filiere": "Electricité", "code_grand_secteur": "INDUSTRIE",
     "conso_totale_mwh": 100000.25, "nb_sites": 300},
    # 33281: its industry is below the operator's confidentiality threshold (blank)
    {"annee": "2022", "code_commune": "33281", "filiere": "Electricité", "code_grand_secteur": "RESIDENTIEL",
     "conso_totale_mwh": 150000, "nb_sites": 40000},
    {"annee": "2022", "code_commune": "33281", "filiere": "Gaz", "code_grand_secteur": "INDUSTRIE",
     "conso_totale_mwh": None, "nb_sites": None},
]  # fmt: skip

# --- Agence Bio: comma; a commune absent from a year has no certified operator.
AGENCE_BIO = "www.data.gouv.fr/api/1/datasets/r/b7ce51bf-5675-4843-b618-247ef209416d"
AGENCE_BIO_ROWS = [
    "annee,coderegion,region,codedepartement,departement,codeepci,epci,codeinseecommune,codepostalcommune,"
    "commune,nb_exp,surfab,surfc1,surfc2,surfc3,surfc123,surfbio",
    "2019,75,Nouvelle-Aquitaine,33,Gironde,200069581,CC Convergence Garonne,33008,33760,Porte-de-Benauge,"
    "2,40.5,4.5,0,0,4.5,45",
    "2020,75,Nouvelle-Aquitaine,33,Gironde,200069581,CC Convergence Garonne,33008,33760,Porte-de-Benauge,"
    "3,50,10,0,0,10,60",
    "2020,75,Nouvelle-Aquitaine,33,Gironde,243300316,Bordeaux Métropole,33281,33700,Mérignac,1,12,0,0,0,0,12",
]
# --- Agreste, farm censuses: the ministry's indicator layout (date_mesure, geocode_*, valeur).
AGRESTE_SAU = "www.data.gouv.fr/api/1/datasets/r/b27d31a6-107b-46ee-8427-518799b488f0"
AGRESTE_SAU_ROWS = [
    "date_mesure,geocode_commune,libelle_commune,valeur",
    "2020-01-01T00:00:00.000,33008,Porte-de-Benauge,400.0",
    "2020-01-01T00:00:00.000,33281,Mérignac,80.0",
    "2020-01-01T00:00:00.000,33063,Bordeaux,20.0",
    "2010-01-01T00:00:00.000,33008,Porte-de-Benauge,420.0",
]
# --- Citepa inventory by département and sector (no total row); another département too.
CITEPA = "www.data.gouv.fr/fr/datasets/r/c1cfbd06-7ebb-4629-aab3-5df4d347e053"
SECTORS = ("Agriculture", "Déchets", "Energie", "Industrie hors Energie", "Résidentiel", "Tertiaire", "Transports")
CITEPA_ROWS = [
    "date_mesure,geocode_departement,secteur,valeur",
    *(f"2021-01-01T00:00:00.000,33,{s},{1_000_000 + 100 * i}" for i, s in enumerate(SECTORS)),
    *(f"2021-01-01T00:00:00.000,40,{s},500000" for s in SECTORS),
]


def write_environment_mirror(root: Path, pages: tuple[list, list] = (ORE_PAGE_1, ORE_PAGE_2)) -> Path:
    texts = {
        CEREMA: "\ufeff" + "\n".join([cerema_header(), *CEREMA_ROWS]) + "\n",
        AGENCE_BIO: "\n".join(AGENCE_BIO_ROWS) + "\n",
        AGRESTE_SAU: "\n".join(AGRESTE_SAU_ROWS) + "\n",
        CITEPA: "\n".join(CITEPA_ROWS) + "\n",
    }
    first, second = pages
    total = len(first) + len(second)
    texts[ORE_FIRST.removeprefix("https://")] = json.dumps({"total": total, "results": first, "next": ORE_SECOND})
    texts[ORE_SECOND.removeprefix("https://")] = json.dumps({"total": total, "results": second})
    texts[ORE_DORDOGNE.removeprefix("https://")] = json.dumps({"total": 1, "results": ORE_PAGE_DORDOGNE})
    for path, text in texts.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")  # the '?' of a query is part of the name
    return root


@pytest.fixture(scope="module")
def environment_db(tmp_path_factory, serve_folder, few_rows_catalogue) -> tuple[Path, object]:
    folder = tmp_path_factory.mktemp("environment")
    base = serve_folder(write_environment_mirror(folder / "mirror"))
    db = folder / "itdd.duckdb"
    report = build(few_rows_catalogue, db, mirror=base, cache_dir=folder / "cache")
    return db, report


@pytest.fixture
def value(environment_db):
    con = duckdb.connect(str(environment_db[0]), read_only=True)

    def get(indicator: str, level: str, code: str, year: int) -> tuple[float | None, str]:
        rows = con.execute(
            "SELECT value, status FROM indicator_values WHERE indicator_id = ? AND level = ? AND code = ? AND year = ?",
            [indicator, level, code, year],
        ).fetchall()
        assert len(rows) == 1, (indicator, level, code, year, rows)
        return rows[0]

    yield get
    con.close()


def test_every_new_source_loads_and_the_others_fail_cleanly(environment_db) -> None:
    outcomes = {s.source_id: s.status for s in environment_db[1].sources}
    for source in ("cerema_conso_naf", "ore_conso_elec_gaz", "agence_bio_communes", "agreste_sau"):
        assert outcomes[source] == "downloaded", outcomes
    assert outcomes["citepa_ges_departements"] == "downloaded"
    assert outcomes["insee_comparateur"] == "failed"  # not in this mirror: reported, not a crash


def test_cerema_land_take_in_hectares_and_per_inhabitant(value) -> None:
    assert value("surface_naf_consommee", "commune", "33063", 2023) == pytest.approx((6.0, "ok"))
    assert value("surface_naf_consommee", "commune", "33008", 2011) == pytest.approx((0.1, "ok"))
    # 60,000 m² = 6 ha for Bordeaux's 267,991 inhabitants of 2023: 0.02239 ha per 1,000.
    ratio, status = value("consommation_espaces_naf", "commune", "33063", 2023)
    assert status == "ok" and ratio == pytest.approx(6 / 267_991 * 1000)
    # The EPCI sums its communes; only two of Bordeaux Métropole's 28 are in the fixture.
    assert value("surface_naf_consommee", "epci", "243300316", 2023) == pytest.approx((10.0, "incomplete"))


def test_land_take_target_reads_the_zan_reference_decade(environment_db) -> None:
    with duckdb.connect(str(environment_db[0]), read_only=True) as con:
        row = con.execute(
            "SELECT target_value, target_year, category FROM indicator_progress "
            "WHERE indicator_id = 'surface_naf_consommee' AND level = 'commune' AND code = '33063'"
        ).fetchone()
    # Half the 2011-2020 mean (6 ha a year) by 2030. The flow stayed at 6 ha: no growth where a
    # halving was needed, so R = 0, limited progress.
    assert row[0] == pytest.approx(3.0) and row[1] == 2030
    assert row[2] == "limited_progress"


def test_ore_pages_summed_over_operators_and_sectors(value) -> None:
    # Bordeaux 2022: 500,000.5 + 300,000 + 700,000 + 100,000.25 MWh over two pages.
    total, status = value("conso_energie_par_habitant", "commune", "33063", 2022)
    assert status == "ok" and total == pytest.approx(1_600_000.75 / 265_328, rel=1e-9)
    residential, _ = value("conso_energie_residentielle_par_habitant", "commune", "33063", 2022)
    assert residential == pytest.approx(800_000.5 / 265_328, rel=1e-9)
    # Mérignac: a masked part makes the sum a lower bound, flagged, never complete.
    merignac, status = value("conso_energie_par_habitant", "commune", "33281", 2022)
    assert status == "incomplete" and merignac is not None
    # Dordogne's page gives Port-Sainte-Foy-et-Ponchapt, the outside member of CC du Pays Foyen
    foy, status = value("conso_energie_residentielle_par_habitant", "commune", "24335", 2022)
    assert status == "ok" and foy == pytest.approx(9000 / 2_515, rel=1e-9)  # its 2022 legal population


def test_organic_share_counts_absent_communes_as_zero(value) -> None:
    assert value("surface_bio", "commune", "33063", 2020) == (0.0, "ok")  # absent from the register
    assert value("part_surface_bio", "commune", "33008", 2020) == pytest.approx((15.0, "ok"))  # 60 / 400
    # Bordeaux Métropole: (12 + 0) ha organic over (80 + 20) ha of farmland, where both are known.
    share, status = value("part_surface_bio", "epci", "243300316", 2020)
    assert share == pytest.approx(12.0) and status == "incomplete"  # the other communes lack a SAU
    assert value("exploitations_bio", "commune", "33008", 2019) == (2.0, "ok")


def test_greenhouse_gases_per_inhabitant_for_the_departement_only(value, environment_db) -> None:
    emissions = sum(1_000_000 + 100 * i for i in range(len(SECTORS)))
    per_inhabitant, status = value("emissions_ges_par_habitant", "departement", "33", 2021)
    assert status == "ok" and per_inhabitant == pytest.approx(emissions / 1_654_970)
    with duckdb.connect(str(environment_db[0]), read_only=True) as con:
        codes = con.execute(
            "SELECT DISTINCT code FROM indicator_values WHERE indicator_id = 'emissions_ges_par_habitant'"
        ).fetchall()
    assert codes == [("33",)]  # the Landes (40) row of the national file is not a territory here


def test_an_api_page_that_fails_names_the_page(tmp_path, serve_folder) -> None:
    mirror = write_environment_mirror(tmp_path / "mirror")
    (mirror / ORE_SECOND.removeprefix("https://")).unlink()
    base = serve_folder(mirror)
    with pytest.raises(DownloadError) as failure:
        fetch("ore", ORE_FIRST, Cache(tmp_path / "cache"), session(retries=0), base, "results", "next")
    assert failure.value.url == ORE_SECOND and "HTTP 404" in failure.value.reason
    assert not list((tmp_path / "cache").rglob("*.jsonl"))  # nothing half-written is kept
    assert [p.name for p in (tmp_path / "cache").rglob("*")] == []  # nor any partial or pending file


def test_api_pages_that_are_not_rows_are_refused(tmp_path, serve_folder) -> None:
    mirror = write_environment_mirror(tmp_path / "mirror")
    (mirror / ORE_SECOND.removeprefix("https://")).write_text("<html>maintenance</html>")
    base = serve_folder(mirror)
    with pytest.raises(DownloadError, match="not JSON"):
        fetch("ore", ORE_FIRST, Cache(tmp_path / "c1"), session(retries=0), base, "results", "next")
    (mirror / ORE_SECOND.removeprefix("https://")).write_text(json.dumps({"next": ORE_FIRST, "results": [{}]}))
    with pytest.raises(DownloadError, match="already read"):  # a loop of pages ends
        fetch("ore", ORE_FIRST, Cache(tmp_path / "c2"), session(retries=0), base, "results", "next")
    (mirror / ORE_SECOND.removeprefix("https://")).write_text(json.dumps({"rows": []}))
    with pytest.raises(DownloadError, match="no list 'results'"):
        fetch("ore", ORE_FIRST, Cache(tmp_path / "c3"), session(retries=0), base, "results", "next")


def test_mirror_keeps_the_query_in_the_file_name(tmp_path) -> None:
    url = "https://h.example/api/lines?size=2&qs=a:33"
    assert mirrored(url, "http://127.0.0.1:9") == "http://127.0.0.1:9/h.example/api/lines%3Fsize%3D2%26qs%3Da%3A33"
    assert mirrored(url, str(tmp_path)).endswith("/h.example/api/lines%3Fsize%3D2%26qs%3Da%3A33")
    assert mirrored("https://h.example/a.csv", "http://m") == "http://m/h.example/a.csv"
