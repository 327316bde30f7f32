"""The vocabulary the ETL and the dashboard share: territorial levels, table names and the
database schema. Each fact is written here once; `etl` writes the database by it and
`dashboard` reads the database by it, and neither imports the other."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

# An id of an indicator, a source, a variable or a policy (indicators.yaml, policies.yaml);
# download file names start with one (itdd.export).
NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class Level(StrEnum):
    """Territorial levels, from the commune up to France: the order of every listing."""

    commune = "commune"
    epci = "epci"
    departement = "departement"
    region = "region"
    france = "france"


LEVELS: tuple[str, ...] = tuple(level.value for level in Level)  # commune up to France
# Where a territory search lists each level's matches: a département before an EPCI before
# a commune of the same name ("Gironde" the département before the communes "Gironde-sur-Dropt").
SEARCH_ORDER: tuple[str, ...] = ("departement", "epci", "commune", "region", "france")
SEARCH_RANK: dict[str, int] = {level: rank for rank, level in enumerate(SEARCH_ORDER)}


def sql_level_list(levels: tuple[str, ...] = LEVELS) -> str:
    """The levels as a DuckDB list literal, for `list_position(…, level)` in an ORDER BY."""
    return "[" + ", ".join(f"'{level}'" for level in levels) + "]"


# ---------------------------------------------------------------------------------------
# The database schema, declared once, as data (in the spirit of PUDL's FIELD_METADATA and
# RESOURCE_METADATA): each field's type, description and unit, each table's fields and
# primary key. The ETL's CREATE TABLE statements and column orders, the dashboard's column
# lists, the published Data Package's fields and the README's tables follow it; a test
# checks a built database against it, table by table and column by column.

SCHEMA_VERSION = 3  # 1: before `itdd_meta`; 3: `progress_settings`; raise it with any change a reader must know of


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # DuckDB's
    description: str
    unit: str | None = None


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...] = ()
    required: bool = False  # a database without it is no itdd database (`database_problem`)
    intermediate: bool = False  # a layer of the build kept for audit, not read by the dashboard

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    def create(self, if_not_exists: bool = False) -> str:
        """Its CREATE TABLE statement (CREATE OR REPLACE unless `if_not_exists`)."""
        head = "CREATE TABLE IF NOT EXISTS" if if_not_exists else "CREATE OR REPLACE TABLE"
        return f"{head} {self.name} ({', '.join(f'{f.name} {f.type}' for f in self.fields)})"


# Fields that mean the same in every table that has them.
FIELD_METADATA = {
    f.name: f
    for f in (
        Field("indicator_id", "VARCHAR", "Indicator id (indicators.yaml)"),
        Field("level", "VARCHAR", "Territorial level: " + ", ".join(LEVELS)),
        Field("code", "VARCHAR", "Official code of the territory (COG; SIREN for an EPCI; FR, METRO for France)"),
        Field("name", "VARCHAR", "Name of the territory"),
        Field("year", "INTEGER", "Year of the value"),
        Field("status", "VARCHAR", "ok, incomplete (a partial aggregate), secret or missing"),
        Field("source_id", "VARCHAR", "Source id (indicators.yaml)"),
        Field("polarity", "VARCHAR", "higher_is_better, lower_is_better, or empty for a context indicator"),
        Field("base_year", "INTEGER", "First year with a usable value from the base year on"),
        Field("last_year", "INTEGER", "Last year with a usable value"),
        Field("cagr", "DOUBLE", "Compound annual growth between the base and last years", "fraction a year"),
        Field("reason", "VARCHAR", "Why there is no verdict, or what qualifies it (comma-separated codes)"),
        Field("verdict", "VARCHAR", "The comparison's conclusion"),
        Field("weight", "DOUBLE", "Weight"),
        Field("label_fr", "VARCHAR", "Label in French"),
        Field("label_en", "VARCHAR", "Label in English"),
        Field("category", "VARCHAR", "Progress category (itdd.method)"),
        Field("policy_id", "VARCHAR", "Policy id (policies.yaml)"),
        Field("component_id", "VARCHAR", "Indicator id of a composite's component"),
    )
}


def _fields(spec: str, **own: Field) -> tuple[Field, ...]:
    """'indicator_id, level, x DOUBLE' -> Fields: shared ones by name, others `name TYPE`
    (described in `own` when they need more than their name)."""
    out = []
    for item in (s.strip() for s in spec.split(",")):
        name, _, kind = item.partition(" ")
        out.append(own.get(name) or (Field(name, kind, name.replace("_", " ")) if kind else FIELD_METADATA[name]))
    return tuple(out)


KEY = "indicator_id, level, code"
TABLES = (
    Table("territories", "Every territory of the build, commune up to France", _fields("level, code, name"),
          ("level", "code"), required=True),
    Table("build_territory", "The territory of the build",
          _fields("level, code, name, spelling VARCHAR, tncc INTEGER"), ("level", "code")),
    Table("territory_links", "Each territory's enclosing territories",
          _fields("child_level VARCHAR, child_code VARCHAR, parent_level VARCHAR, parent_code VARCHAR"),
          ("child_level", "child_code", "parent_level", "parent_code"), required=True),
    Table("geometries", "Outlines, WGS84 GeoJSON, coverage-simplified", _fields("level, code, geojson VARCHAR"),
          ("level", "code"), required=True),
    Table("indicator_values", "One value per indicator, territory and year",
          _fields(f"{KEY}, year, value DOUBLE, numerator DOUBLE, denominator DOUBLE, status",
                  value=Field("value", "DOUBLE", "The indicator's value", "the indicator's unit")),
          ("indicator_id", "level", "code", "year"), required=True),
    Table("indicator_coverage", "What share of an aggregate's members and population it covers",
          _fields(f"{KEY}, year, members INTEGER, members_with_data INTEGER, population_share DOUBLE"),
          ("indicator_id", "level", "code", "year")),
    Table("indicator_gaps", "Each declared level without any value, and why",
          _fields("indicator_id, level, reason, sources VARCHAR[]"), ("indicator_id", "level"), required=True),
    Table("provenance", "Each loaded file: where from, when, its hash",
          _fields("source_id, url VARCHAR, fetched_at VARCHAR, sha256 VARCHAR, bytes BIGINT, rows BIGINT"),
          required=True),
    Table("indicators", "The catalogue's indicators as built",
          _fields("indicator_id, label_fr, label_en, finality VARCHAR, unit VARCHAR, polarity, kind VARCHAR, "
                  "levels VARCHAR, sources VARCHAR, definition_fr VARCHAR, definition_en VARCHAR, "
                  "limits_fr VARCHAR, metadata VARCHAR"), ("indicator_id",), required=True),
    Table("sources", "The catalogue's sources as built",
          _fields("source_id, producer VARCHAR, title VARCHAR, title_en VARCHAR, url VARCHAR, licence VARCHAR, "
                  "edition VARCHAR, verified_sha256 VARCHAR, from_snapshot BOOLEAN"), ("source_id",)),
    Table("build_sources", "Each source's outcome in the build",
          _fields("source_id, status, detail VARCHAR", status=Field("status", "VARCHAR", "embedded, downloaded, "
                  "unchanged, cached, failed or skipped")), ("source_id",), required=True),
    Table("national_scope", "The départements each région or France sum of a national file counts",
          _fields("source_id, variable VARCHAR, level, code, year, departements BIGINT, expected BIGINT, "
                  "missing VARCHAR[]"), ("source_id", "variable", "level", "code", "year")),
    Table("referential", "Every commune of the reference list, resolved",
          _fields("code, name, departement VARCHAR, region VARCHAR, epci VARCHAR, source_id"), ("code",)),
    Table("commune_postcodes", "La Poste's postcodes of each commune", _fields("code, postcode VARCHAR"),
          ("code", "postcode")),
    Table("indicator_progress", "Is a territory getting better on an indicator (etl/progress.py)",
          _fields(f"{KEY}, base_year, last_year, base_value DOUBLE, last_value DOUBLE, cagr, target_value DOUBLE, "
                  "target_year INTEGER, ratio_to_required DOUBLE, category, reason, polarity, "
                  "signed_cagr DOUBLE, limit_coefficient DOUBLE, points INTEGER, incomplete_points INTEGER"),
          ("indicator_id", "level", "code"), required=True),
    Table("indicator_status", "Each value against its enclosing territories' (a view: etl/progress.py)",
          _fields(f"{KEY}, year, value DOUBLE, reference_level VARCHAR, reference_code VARCHAR, "
                  "reference_value DOUBLE, reference_status VARCHAR, difference DOUBLE, position VARCHAR, "
                  "tolerance DOUBLE"), ("indicator_id", "level", "code", "year", "reference_level", "reference_code")),
    Table("status_settings", "What `indicator_status` compares: each indicator's polarity, levels and tolerance",
          _fields("indicator_id, polarity, levels VARCHAR[], tolerance_relative DOUBLE, tolerance_absolute DOUBLE"),
          ("indicator_id",)),
    Table("progress_summary", "Per territory and finality, how many indicators in each category",
          _fields("level, code, finality VARCHAR, category, indicators INTEGER, indicator_ids VARCHAR[]"),
          ("level", "code", "finality", "category")),
    Table("progress_categories", "Each category's labels and rule (itdd.method)",
          _fields("category, rank BIGINT, label_fr, label_en, rule_fr VARCHAR, rule_en VARCHAR"), ("category",)),
    Table("progress_reasons", "Each reason code's meaning (itdd.method)", _fields("reason, meaning_en VARCHAR"),
          ("reason",)),
    Table("progress_settings", "The catalogue's progress settings, for the method's prose (an indicator may "
          "override them)", _fields("base_year, tolerance_relative DOUBLE, tolerance_absolute DOUBLE",
          base_year=Field("base_year", "INTEGER", "A trend starts at the first year with a value from this one on"))),
    Table("composite_components", "Each component's part in a composite index",
          _fields(f"{KEY}, year, component_id, component_year INTEGER, value DOUBLE, normalised DOUBLE, weight, "
                  "contribution DOUBLE"), ("indicator_id", "level", "code", "year", "component_id")),
    Table("composite_bounds", "The bounds each component is normalised on",
          _fields("indicator_id, level, component_id, polarity, weight, minimum DOUBLE, maximum DOUBLE, "
                  "reference_first INTEGER, reference_last INTEGER"), ("indicator_id", "level", "component_id")),
    Table("territory_peers", "Each territory's comparable territories, nearest first",
          _fields("level, code, peer_code VARCHAR, rank INTEGER, distance DOUBLE"), ("level", "code", "peer_code")),
    Table("peer_features", "The characteristics peers are found on",
          _fields("level, indicator_id, year, transform VARCHAR, weight, used BOOLEAN, territories INTEGER"),
          ("level", "indicator_id")),
    Table("peer_settings", "How many peers, and how few make no comparison",
          _fields("k INTEGER, min_peers INTEGER")),
    Table("indicator_peer_comparison", "Each territory's growth against its peers'",
          _fields(f"{KEY}, base_year, last_year, cagr, peer_n INTEGER, peer_median_cagr DOUBLE, "
                  "peer_q1_cagr DOUBLE, peer_q3_cagr DOUBLE, verdict, reason"), ("indicator_id", "level", "code"),
          required=True),
    Table("policy_effects", "Each declared policy's effect by synthetic control",
          _fields("policy_id, name VARCHAR, indicator_id, level, code, start_year INTEGER, expected VARCHAR, "
                  "pre_years INTEGER, post_years INTEGER, donors INTEGER, effect DOUBLE, rmse_pre DOUBLE, "
                  "p_value DOUBLE, as_good INTEGER, verdict, reason"), ("policy_id", "indicator_id"), required=True),
    Table("policy_series", "A policy's territory and its synthetic control, by year",
          _fields("policy_id, indicator_id, year, actual DOUBLE, synthetic DOUBLE"), ("policy_id", "indicator_id", "year")),
    Table("policy_weights", "The synthetic control's donors and weights",
          _fields("policy_id, indicator_id, donor_code VARCHAR, weight"), ("policy_id", "indicator_id", "donor_code")),
    Table("itdd_meta", "The database's own facts: the schema version it was built with",
          _fields("schema_version INTEGER")),  # checked on its own: an older file has none
    # Intermediate layers (besides `raw_<source>`, one per source, in the producer's columns).
    Table("observations", "Each source's values, on the source's own code list",
          _fields("source_id, variable VARCHAR, level, code, year, value DOUBLE, status"), intermediate=True),
    Table("obs", "The observations on the reference code list", _fields("source_id, variable VARCHAR, level, code, "
          "year, value DOUBLE, status"), intermediate=True),
    Table("code_map", "Each vintage's old commune codes to the reference ones",
          _fields("vintage INTEGER, old_code VARCHAR, code"), intermediate=True),
    Table("referential_rows", "What each referential source says of each commune or EPCI (etl.catalogue_sources.Attribute)",
          _fields("source_id, level, code, name, departement VARCHAR, region VARCHAR, epci VARCHAR, "
                  "epci_name VARCHAR"), intermediate=True),
    Table("commune_changes", "INSEE's history of commune changes (old_name: the old code's name)",
          _fields("old_code VARCHAR, new_code VARCHAR, date VARCHAR, event VARCHAR, old_name VARCHAR"),
          intermediate=True),
    Table("commune_splits", "Communes split from another, and when", _fields("date VARCHAR, code"), intermediate=True),
    Table("france_departements", "Every département of France", _fields("code, name, region VARCHAR"),
          intermediate=True),
    Table("france_regions", "Every région of France", _fields("code, name"), intermediate=True),
)  # fmt: skip
TABLE = {t.name: t for t in TABLES}
REQUIRED_TABLES = tuple(t.name for t in TABLES if t.required)
INTERMEDIATE_TABLES = tuple(t.name for t in TABLES if t.intermediate)


def columns(table: str) -> list[str]:
    return TABLE[table].columns


# The columns of every download of indicator values (CSV, Parquet, workbook, the Data
# Package's resources): not a table of the database, a view of `indicator_values` with
# each territory's name and each indicator's unit. Described in French, as published.
DOWNLOAD = Table(
    "tidy_values",
    "Valeurs d'un indicateur, par territoire et année",
    (
        Field("indicator_id", "VARCHAR", "Identifiant de l'indicateur (indicators.yaml)"),
        Field("level", "VARCHAR", "Niveau territorial"),
        Field("code", "VARCHAR", "Code officiel du territoire (COG, SIREN pour les EPCI)"),
        Field("name", "VARCHAR", "Nom du territoire"),
        Field("year", "INTEGER", "Année de la donnée"),
        Field("value", "DOUBLE", "Valeur (vide : manquante ou secrète, voir status)"),
        Field("unit", "VARCHAR", "Unité de la valeur"),
        Field("status", "VARCHAR", "ok, incomplete (agrégat partiel), secret, missing…"),
    ),
    ("indicator_id", "level", "code", "year"),
)
