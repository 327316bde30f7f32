"""indicators.yaml validation: every error reported at once, with ids and choices."""

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from etl.catalogue_reader import CatalogueError, load_catalogue, parse_catalogue
from itdd.cli import app

ROOT = Path(__file__).resolve().parent.parent
BROKEN = Path(__file__).parent / "fixtures" / "broken_indicators.yaml"


def test_shipped_catalogue_is_valid():
    catalogue = load_catalogue(ROOT / "indicators.yaml")
    ids = {i.id for i in catalogue.indicators}
    assert {"population", "densite_population", "evolution_population"} <= ids
    for indicator in catalogue.indicators:
        for ref in indicator.refs():
            assert ref.variable in catalogue.source(ref.source).variables


def test_the_catalogue_covers_the_five_finalities_with_the_required_indicators():
    catalogue = load_catalogue(ROOT / "indicators.yaml")
    assert len(catalogue.indicators) >= 25
    assert {i.finality.value for i in catalogue.indicators} == {
        "climat", "biodiversite", "cohesion_sociale", "epanouissement", "production_consommation"
    }  # fmt: skip
    required = """taux_chomage_15_64 taux_emploi_15_64 taux_pauvrete revenu_median part_logements_vacants
        part_residences_secondaires taux_natalite taux_mortalite indice_vieillissement consommation_espaces_naf
        conso_energie_par_habitant emissions_ges_par_habitant part_surface_bio""".split()
    assert set(required) <= {i.id for i in catalogue.indicators}
    for indicator in catalogue.indicators:
        if indicator.kind != "composite":
            assert indicator.refs() and all(catalogue.source(r.source).licence for r in indicator.refs())
        assert indicator.definition.fr and indicator.unit


def test_broken_file_reports_every_error():
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(BROKEN)
    errors = "\n".join(caught.value.errors)
    expected = [
        "sources[1] (no_origin): give exactly one of `url`",
        "sources[2] (bad_format).format: Input should be 'csv', 'xlsx', 'geojson' or 'json'",
        "indicators[0] (bad_finality).finality: Input should be 'climat', 'biodiversite'",
        "indicators[1] (bad_polarity).polarity: Input should be 'higher_is_better' or 'lower_is_better'",
        "indicators[2] (ratio_without_denominator): kind ratio needs denominator",
        "indicators[3] (extra_field).colour: unknown field",
        "indicators[4] (bad_level).levels.1: Input should be 'commune', 'epci', 'departement', 'region' or 'france'",
        "indicators (unknown_source): unknown source 'nowhere'; declared sources: bad_format, bad_variable_ok, no_origin",
        "indicators (unknown_variable): source 'bad_variable_ok' has no variable 'absent'; it has: population",
        "indicators (unknown_source): id declared more than once",
    ]
    for message in expected:
        assert message in errors, f"missing: {message}\n--- got:\n{errors}"
    assert len(caught.value.errors) == len(expected)


def test_not_a_mapping_and_bad_yaml(tmp_path):
    with pytest.raises(CatalogueError, match="must be a mapping"):
        parse_catalogue(["a", "list"], tmp_path / "x.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources: [\n")
    with pytest.raises(CatalogueError, match="not valid YAML"):
        load_catalogue(bad)
    with pytest.raises(CatalogueError, match="cannot read the file"):
        load_catalogue(tmp_path / "absent.yaml")


def test_a_key_written_twice_is_an_error(tmp_path):
    doubled = tmp_path / "doubled.yaml"
    doubled.write_text((ROOT / "indicators.yaml").read_text() + "\nsources: []\n")
    with pytest.raises(CatalogueError, match="key 'sources' appears twice"):
        load_catalogue(doubled)


def test_check_command_exits_1_and_names_each_error():
    result = CliRunner().invoke(app, ["check", "--catalogue", str(BROKEN)])
    assert result.exit_code == 1
    assert "10 error(s)" in result.output
    assert "bad_polarity" in result.output and "Traceback" not in result.output


def test_check_command_accepts_the_shipped_file():
    result = CliRunner().invoke(app, ["check", "--catalogue", str(ROOT / "indicators.yaml")])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output


def test_indicators_command_lists_sources_and_licences():
    result = CliRunner().invoke(
        app, ["indicators", "--catalogue", str(ROOT / "indicators.yaml")], env={"COLUMNS": "250"}
    )
    assert result.exit_code == 0, result.output
    assert "densite_population" in result.output and "Licence Ouverte" in result.output


def test_composite_leaves_room_with_checked_components(tmp_path):
    raw = yaml.safe_load((ROOT / "indicators.yaml").read_text())
    raw["indicators"].append(
        {
            "id": "indice_test",
            "label": {"fr": "Indice"},
            "finality": "epanouissement",
            "unit": "indice",
            "kind": "composite",
            "components": ["population", "absent_indicator"],
            "levels": ["commune"],
            "definition": {"fr": "…"},
        }
    )
    with pytest.raises(CatalogueError) as caught:
        parse_catalogue(raw, tmp_path / "x.yaml")
    assert caught.value.errors == ["indicators (indice_test).components: unknown indicator 'absent_indicator'"]


def _source(**fields) -> dict:
    return {
        "id": "s",
        "producer": "p",
        "title": "t",
        "title_en": "t",
        "licence": "l",
        "url": "https://h/x",
        "variables": {},
        **fields,
    }


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"format": "json"}, "`records` (the key of each page's rows) goes with format json"),
        ({"format": "csv", "records": "results"}, "`records` (the key of each page's rows) goes with format json"),
        ({"format": "csv", "next_page": "next"}, "`next_page` is for a paginated JSON API"),
        ({"format": "csv", "absent": "nothing"}, "absent: Input should be 'missing' or 'zero'"),
    ],
)
def test_json_api_and_absent_settings_are_checked(fields, message) -> None:
    with pytest.raises(CatalogueError) as caught:
        parse_catalogue({"reference_code_list": 2025, "sources": [_source(**fields)], "indicators": []}, Path("x"))
    assert any(message in error for error in caught.value.errors), caught.value.errors


def test_a_url_names_the_departement(catalogue) -> None:
    ore = catalogue.source("ore_conso_elec_gaz")
    assert "{departement}" in ore.url
    assert ["qs=code_departement:40&" in url for url in ore.download_urls(["40", "32"])] == [True, False]
    assert "qs=code_departement:32&" in ore.download_urls(["40", "32"])[1]
    assert catalogue.source("insee_comparateur").download_urls(["40", "32"]) == [
        catalogue.source("insee_comparateur").url
    ]


BAD_CATALOGUES = sorted((Path(__file__).parent / "fixtures" / "bad_catalogues").glob("*.yaml"))


def expected_message(path: Path) -> str:
    """The first line of each broken catalogue says what `itdd check` must report."""
    first = path.read_bytes().split(b"\n", 1)[0].decode("ascii")
    assert first.startswith("# expect: "), path.name
    return first.removeprefix("# expect: ")


def test_the_corpus_of_broken_catalogues_is_large():
    assert len(BAD_CATALOGUES) >= 40


@pytest.mark.parametrize("path", BAD_CATALOGUES, ids=lambda p: p.stem)
def test_each_broken_catalogue_gets_its_precise_message(path):
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path)
    assert any(expected_message(path) in error for error in caught.value.errors), caught.value.errors


def test_broken_catalogues_stop_the_cli_cleanly_and_touch_nothing(tmp_path, offline_db):
    db = tmp_path / "itdd.duckdb"
    db.write_bytes(offline_db.read_bytes())
    before = db.read_bytes()
    runner = CliRunner()
    for path in BAD_CATALOGUES:
        checked = runner.invoke(app, ["check", "--catalogue", str(path)])
        assert checked.exit_code == 1 and expected_message(path) in checked.output, (path.name, checked.output)
        built = runner.invoke(app, ["build", "--offline", "--db", str(db), "--catalogue", str(path)])
        assert built.exit_code == 1 and "Traceback" not in built.output, path.name
        assert not isinstance(built.exception, Exception) or isinstance(built.exception, SystemExit), path.name
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["itdd.duckdb"]  # no staging file left


def test_english_pages_get_each_source_title_and_limit_in_english(tmp_path) -> None:
    raw = yaml.safe_load((ROOT / "indicators.yaml").read_text())
    del raw["sources"][0]["title_en"]
    raw["indicators"][0]["limits"] = {"fr": "Indicateur de contexte."}
    raw["indicators"][1]["limits"]["en"] = ""
    with pytest.raises(CatalogueError) as caught:
        parse_catalogue(raw, tmp_path / "x.yaml")
    for message in (
        "sources[0] (insee_mouvements_communes).title_en: Field required",
        "indicators[0] (population).limits.en: Field required",
        "indicators[1] (densite_population).limits.en: String should have at least 1 character",
    ):
        assert message in caught.value.errors, caught.value.errors
