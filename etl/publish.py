"""`itdd publish`: the open-data files and their metadata, from the built database.

Writes, into a folder:
- `donnees/<indicator>.csv` and `.parquet`: the tidy values, exact (the writer of `itdd.export`);
- `donnees/<indicator>-fr.csv` and `.xlsx`: the same rows for people, rounded to the
  indicator's decimals, for a spreadsheet set to French (`itdd.export.FORMATS`);
- `donnees/territoires-<level>.geojson`: each territory with, per indicator, the value of
  the latest year with values at that level, its status and its progress category;
- `datapackage.json`: a Frictionless Data Package (schemas, units, sources, licences,
  provenance, sizes and hashes);
- `catalogue.jsonld`: a DCAT-AP catalogue for data.gouv.fr or a CKAN portal to harvest.

Titles and the spatial coverage name the territory the database was built for
(`build_territory`); the publisher is whoever `itdd publish --publisher` names.

Nothing depends on the clock: the same database gives the same bytes. The folder is
written beside the target and swapped in at the end (`staged_folder`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from itdd.export import DATA_DIR, FORMATS, LEVEL_ORDER, ExportError, download, file_name, tidy_values
from itdd.model import DOWNLOAD
from itdd.sql import literal, registered

log = logging.getLogger(__name__)

MARKER = "datapackage.json"  # a folder holding it is a publication that may be replaced
LICENCES = {  # licence as written in indicators.yaml -> SPDX id, URL
    "Licence Ouverte / Etalab 2.0": ("etalab-2.0", "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"),
    "ODbL": ("ODbL-1.0", "https://opendatacommons.org/licenses/odbl/1-0/"),
}
PUBLISHED_LICENCE = "Licence Ouverte / Etalab 2.0"
TITLE = "Indicateurs territoriaux de développement durable"
DEFAULT_PUBLISHER = "itdd"  # without --publisher
LEVEL_NAMES = {"departement": "département", "region": "région", "france": "pays"}
FINALITY_THEMES = {  # finality -> EU data theme (DCAT-AP controlled vocabulary)
    "climat": "ENVI",
    "biodiversite": "ENVI",
    "cohesion_sociale": "SOCI",
    "epanouissement": "SOCI",
    "production_consommation": "ECON",
}
EU = "http://publications.europa.eu/resource/authority"
DCAT_CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "spdx": "http://spdx.org/rdf/terms#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
FRICTIONLESS_TYPES = {"VARCHAR": "string", "INTEGER": "integer", "BIGINT": "integer", "DOUBLE": "number"}
TIDY_FIELDS = [  # the Data Package's fields, from the schema of the downloads (itdd.model.DOWNLOAD)
    {"name": f.name, "type": FRICTIONLESS_TYPES[f.type], "description": f.description}
    | ({"constraints": {"enum": LEVEL_ORDER}} if f.name == "level" else {})
    for f in DOWNLOAD.fields
]
FILE_KEY = [k for k in DOWNLOAD.primary_key if k != "indicator_id"]  # one indicator per file


class PublishError(Exception):
    """The output folder cannot be used, or the database cannot be published."""


@dataclass(frozen=True)
class Published:
    """One written file: its path relative to the publication, size and SHA-256."""

    path: str
    bytes: int
    sha256: str


class Writer:
    """Writes files under `root`, remembering each one's size and hash."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: dict[str, Published] = {}

    def write(self, relative: str, data: bytes | str) -> Published:
        raw = data.encode("utf-8") if isinstance(data, str) else data
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(raw)
        return self.record(relative)

    def record(self, relative: str) -> Published:
        """Remember a file written under `root` by someone else."""
        raw = (self.root / relative).read_bytes()
        self.files[relative] = Published(relative, len(raw), hashlib.sha256(raw).hexdigest())
        return self.files[relative]

    def write_json(self, relative: str, data: object, indent: int | None = 1) -> Published:
        separators = None if indent else (",", ":")
        return self.write(relative, json.dumps(data, ensure_ascii=False, indent=indent, separators=separators) + "\n")


@contextmanager
def staged_folder(out: Path) -> Iterator[Path]:
    """Yield an empty folder beside `out`; on success it replaces `out`, on failure it is removed.

    `out` must be new, empty, or an earlier publication (it holds MARKER): publishing never
    deletes a folder it did not write."""
    out = out.resolve()
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).is_file())):
        raise PublishError(f"{out} exists and is not an itdd publication (no {MARKER}): choose a new or empty folder")
    staging = out.with_name(f".{out.name}.publishing")
    previous = out.with_name(f".{out.name}.previous")
    for leftover in (staging, previous):
        shutil.rmtree(leftover, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if out.exists():
        os.replace(out, previous)
    os.replace(staging, out)
    shutil.rmtree(previous, ignore_errors=True)


def catalogue_rows(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Indicators with at least one value, in catalogue order, with their metadata parsed."""
    rows = con.execute(
        """
        SELECT * FROM indicators AS i
        WHERE EXISTS (SELECT 1 FROM indicator_values AS v
                      WHERE v.indicator_id = i.indicator_id AND v.value IS NOT NULL)
        ORDER BY i.finality, i.indicator_id
        """
    ).df()
    rows["meta"] = [json.loads(m) if isinstance(m, str) else {} for m in rows["metadata"]]
    return rows


def source_rows(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Sources that went into the build, with their recorded download (date, hash, size)."""
    return con.execute(
        """
        SELECT s.source_id, s.producer, s.title, s.url, s.licence,
               p.url AS fetched_from, p.fetched_at, p.sha256, p.bytes
        FROM sources AS s JOIN provenance AS p USING (source_id)
        ORDER BY s.source_id
        """
    ).df()


def latest_values(con: duckdb.DuckDBPyConnection, level: str) -> pd.DataFrame:
    """Per indicator, each territory's value in the latest year with values at `level`,
    with its status and progress category (NULL without an assessment)."""
    progress = (
        "(SELECT indicator_id, level, code, category FROM indicator_progress)"
        if con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'indicator_progress'"
        ).fetchone()[0]
        else "(SELECT NULL::VARCHAR AS indicator_id, NULL AS level, NULL AS code, NULL::VARCHAR AS category)"
    )
    return con.execute(
        f"""
        WITH latest AS (
            SELECT indicator_id, max(year) AS year FROM indicator_values
            WHERE level = $1 AND value IS NOT NULL GROUP BY indicator_id
        )
        SELECT v.indicator_id, v.code, v.year, v.value, v.status, p.category
        FROM indicator_values AS v JOIN latest USING (indicator_id, year)
        LEFT JOIN {progress} AS p ON p.indicator_id = v.indicator_id AND p.level = v.level AND p.code = v.code
        WHERE v.level = $1
        ORDER BY v.indicator_id, v.code
        """,  # noqa: S608 (fragments of code; values as parameters)
        [level],
    ).df()


def territories_geojson(con: duckdb.DuckDBPyConnection, level: str, indicator_ids: list[str]) -> dict:
    """The territories of `level` with geometry, and per indicator `<id>`, `<id>__year`,
    `<id>__status` and `<id>__progress` as properties (null where there is no value)."""
    shapes = con.execute(
        """
        SELECT g.code, coalesce(t.name, g.code) AS name, g.geojson FROM geometries AS g
        LEFT JOIN territories AS t ON t.level = g.level AND t.code = g.code
        WHERE g.level = ? ORDER BY g.code
        """,
        [level],
    ).fetchall()
    latest = latest_values(con, level)
    by_key = {(r.indicator_id, r.code): r for r in latest.itertuples()}
    present = [i for i in indicator_ids if i in set(latest["indicator_id"])]
    features = []
    for code, name, geometry in shapes:
        properties = {"code": code, "name": name}
        for indicator_id in present:
            row = by_key.get((indicator_id, code))
            properties[indicator_id] = _number(row.value) if row else None
            properties[f"{indicator_id}__year"] = int(row.year) if row else None
            properties[f"{indicator_id}__status"] = row.status if row else None
            properties[f"{indicator_id}__progress"] = (_text(row.category) or None) if row else None
        features.append({"type": "Feature", "id": code, "properties": properties, "geometry": json.loads(geometry)})
    return {"type": "FeatureCollection", "features": features}


@dataclass(frozen=True)
class Territory:
    """The territory a database was built for."""

    level: str
    code: str
    name: str

    @property
    def spatial(self) -> dict:
        """DCAT's spatial coverage: the territory, named, with its INSEE code."""
        return {
            "@type": "dct:Location",
            "skos:prefLabel": {"@value": self.name, "@language": "fr"},
            "dct:identifier": f"{LEVEL_NAMES.get(self.level, self.level)} {self.code} (code officiel géographique)",
        }


def build_territory(con: duckdb.DuckDBPyConnection) -> Territory:
    """`build_territory`, or for an older build its first département."""
    exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'build_territory'")
    sql = (
        "SELECT level, code, name FROM build_territory"
        if exists.fetchone()[0]
        else "SELECT level, code, name FROM territories WHERE level = 'departement' ORDER BY code LIMIT 1"
    )
    row = con.execute(sql).fetchone()
    if row is None:
        raise PublishError("the database names no territory: run `itdd build` first")
    return Territory(*row)


def write_open_data(
    con: duckdb.DuckDBPyConnection, writer: Writer, base_url: str | None = None, publisher: str | None = None
) -> dict:
    """Every data file, then `datapackage.json` and `catalogue.jsonld`; returns the package."""
    territory = build_territory(con)
    indicators = catalogue_rows(con)
    if indicators.empty:
        raise PublishError("the database has no indicator value to publish: run `itdd build` first")
    sources = source_rows(con)
    tables: dict[str, pd.DataFrame] = {}
    for indicator_id in indicators["indicator_id"]:
        rows = tidy_values(con, indicator_id)
        tables[indicator_id] = rows
        for fmt in FORMATS:  # the open-data CSV, exact; the French CSV and the workbook, rounded
            try:
                writer.write(f"{DATA_DIR}/{file_name(indicator_id, fmt)}", download(con, rows, indicator_id, fmt))
            except ExportError as e:
                raise PublishError(str(e)) from None
        write_parquet(con, writer, f"{DATA_DIR}/{indicator_id}.parquet", rows)
    levels = [
        level
        for level in LEVEL_ORDER
        if con.execute("SELECT count(*) FROM geometries WHERE level = ?", [level]).fetchone()[0]
    ]
    for level in levels:
        collection = territories_geojson(con, level, indicators["indicator_id"].tolist())
        writer.write_json(f"{DATA_DIR}/territoires-{level}.geojson", collection, indent=None)
    package = datapackage(indicators, sources, tables, levels, writer.files, territory, publisher)
    writer.write_json("datapackage.json", package)
    catalogue = dcat_catalogue(indicators, sources, tables, writer.files, base_url, territory, publisher)
    writer.write_json("catalogue.jsonld", catalogue)
    return package


def write_parquet(con: duckdb.DuckDBPyConnection, writer: Writer, relative: str, rows: pd.DataFrame) -> Published:
    """`rows` as Parquet, written by DuckDB."""
    target = writer.root / relative
    with registered(con, "_tidy", rows.astype({"year": "Int32"})) as view:
        con.execute(f"COPY {view} TO {literal(str(target))} (FORMAT parquet, COMPRESSION zstd)")
    return writer.record(relative)


def _licence(name: str) -> dict:
    spdx, url = LICENCES.get(name, (None, None))
    return {k: v for k, v in {"name": spdx, "path": url, "title": name}.items() if v}


def _sources_of(row, sources: pd.DataFrame) -> pd.DataFrame:
    """The indicator's sources, once each (a source fetched per département has several downloads)."""
    wanted = [s for s in str(row.sources or "").split(",") if s]
    return sources[sources["source_id"].isin(wanted)].drop_duplicates("source_id")


def _description(row) -> str:
    parts = [_text(row.definition_fr)]
    if _text(row.limits_fr):
        parts.append(f"Limites : {_text(row.limits_fr)}")
    return "\n\n".join(p for p in parts if p)


def datapackage(
    indicators: pd.DataFrame,
    sources: pd.DataFrame,
    tables: dict[str, pd.DataFrame],
    levels: list[str],
    files: dict[str, Published],
    territory: Territory,
    publisher: str | None = None,
) -> dict:
    """The Frictionless Data Package describing every file written so far."""
    resources = []
    for row in indicators.itertuples():
        own = _sources_of(row, sources)
        unit = _text(row.unit)
        fields = [
            {**f, "description": f"{f['description']} ({unit})"} if f["name"] == "value" and unit else f
            for f in TIDY_FIELDS
        ]
        common = {
            "title": _text(row.label_fr),
            "description": _description(row),
            "sources": [{"title": f"{s.producer} — {s.title}", "path": s.url} for s in own.itertuples()],
            "licenses": [_licence(name) for name in dict.fromkeys(own["licence"])] or [_licence(PUBLISHED_LICENCE)],
            "itdd:finality": row.finality,
            "itdd:unit": unit,
            "itdd:polarity": _text(row.polarity) or None,
            "itdd:years": _years(tables[row.indicator_id]),
        }
        schema = {"fields": fields, "primaryKey": FILE_KEY, "missingValues": [""]}
        csv, parquet = files[f"{DATA_DIR}/{row.indicator_id}.csv"], files[f"{DATA_DIR}/{row.indicator_id}.parquet"]
        resources += [
            {"name": row.indicator_id, **_file(csv, "csv", "text/csv"), "encoding": "utf-8",
             "dialect": {"delimiter": ","}, "schema": schema, **common},
            {"name": f"{row.indicator_id}-parquet", **_file(parquet, "parquet", "application/vnd.apache.parquet"),
             "schema": schema, **common},
        ]  # fmt: skip
    for level in levels:
        geo = files[f"{DATA_DIR}/territoires-{level}.geojson"]
        resources.append(
            {
                "name": f"territoires-{level}",
                **_file(geo, "geojson", "application/geo+json"),
                "title": f"Territoires ({level}) : dernière valeur et catégorie de progrès de chaque indicateur",
                "description": (
                    "Propriétés : code, name ; pour chaque indicateur <id> : la valeur de la dernière année "
                    "disponible à ce niveau, <id>__year, <id>__status et <id>__progress (méthode de "
                    "Statistique Canada). Contours simplifiés pour l'affichage."
                ),
                "licenses": [_licence(PUBLISHED_LICENCE)],
            }
        )
    return {
        "profile": "data-package",
        "name": "itdd-indicateurs",
        "title": f"{TITLE} — {territory.name}",
        "description": (
            f"Indicateurs de développement durable de {territory.name} par commune, EPCI, département, région "
            "et France, calculés par itdd à partir des fichiers des producteurs (voir sources) ; les taux agrégés "
            "sont des sommes de numérateurs sur des sommes de dénominateurs. La France compte ses 101 "
            "départements, jamais les collectivités d'outre-mer ; la France métropolitaine est nommée ainsi."
        ),
        "itdd:territory": {"level": territory.level, "code": territory.code, "name": territory.name},
        "contributors": [{"title": publisher or DEFAULT_PUBLISHER, "role": "publisher"}],
        "licenses": [_licence(PUBLISHED_LICENCE)],
        "sources": [
            {"title": f"{s.producer} — {s.title}", "path": s.url}
            for s in sources.drop_duplicates("source_id").itertuples()
        ],
        "itdd:provenance": [
            {
                "source_id": s.source_id,
                "fetched_from": s.fetched_from,
                "fetched_at": s.fetched_at,
                "sha256": s.sha256,
                "bytes": int(s.bytes),
            }
            for s in sources.itertuples()
        ],  # fmt: skip
        "resources": resources,
    }


def dcat_catalogue(
    indicators: pd.DataFrame,
    sources: pd.DataFrame,
    tables: dict[str, pd.DataFrame],
    files: dict[str, Published],
    base_url: str | None = None,
    territory: Territory | None = None,
    publisher: str | None = None,
) -> dict:
    """A DCAT-AP catalogue (JSON-LD): one dataset per indicator, its CSV and Parquet as distributions.

    IRIs are relative to the catalogue's own address unless `base_url` is given."""
    licence = {"@id": _licence(PUBLISHED_LICENCE)["path"]}
    agent = {"@type": "foaf:Agent", "foaf:name": publisher or DEFAULT_PUBLISHER}
    suffix = f" — {territory.name}" if territory else ""
    spatial = {"dct:spatial": territory.spatial} if territory else {}
    datasets = []
    for row in indicators.itertuples():
        own = _sources_of(row, sources)
        years = _years(tables[row.indicator_id])
        distributions = []
        for ext, fmt, media in (("csv", "CSV", "text/csv"), ("parquet", "PARQUET", "application/vnd.apache.parquet")):
            published = files[f"{DATA_DIR}/{row.indicator_id}.{ext}"]
            distributions.append(
                {
                    "@id": f"{published.path}#distribution",
                    "@type": "dcat:Distribution",
                    "dct:title": f"{_text(row.label_fr)} ({fmt})",
                    "dcat:accessURL": {"@id": published.path},
                    "dcat:downloadURL": {"@id": published.path},
                    "dct:format": {"@id": f"{EU}/file-type/{fmt}"},
                    "dcat:mediaType": {"@id": f"https://www.iana.org/assignments/media-types/{media}"},
                    "dcat:byteSize": {"@value": str(published.bytes), "@type": "xsd:nonNegativeInteger"},
                    "spdx:checksum": {
                        "@type": "spdx:Checksum",
                        "spdx:algorithm": {"@id": "http://spdx.org/rdf/terms#checksumAlgorithm_sha256"},
                        "spdx:checksumValue": published.sha256,
                    },
                    "dct:license": licence,
                }
            )
        dataset = {
            "@id": f"#{row.indicator_id}",
            "@type": "dcat:Dataset",
            "dct:identifier": row.indicator_id,
            "dct:title": {"@value": f"{_text(row.label_fr)}{suffix}", "@language": "fr"},
            "dct:description": {"@value": _description(row), "@language": "fr"},
            "dcat:keyword": [
                {"@value": k, "@language": "fr"} for k in ("développement durable", "agenda 21", row.finality)
            ],
            "dcat:theme": {"@id": f"{EU}/data-theme/{FINALITY_THEMES.get(row.finality, 'SOCI')}"},
            "dct:license": licence,
            "dct:publisher": agent,
            **spatial,
            "dct:source": [{"@id": s.url} for s in own.itertuples() if s.url],
            "dcat:distribution": distributions,
        }
        if years:
            dataset["dct:temporal"] = {
                "@type": "dct:PeriodOfTime",
                "dcat:startDate": {"@value": str(years[0]), "@type": "xsd:gYear"},
                "dcat:endDate": {"@value": str(years[-1]), "@type": "xsd:gYear"},
            }
        fetched = sorted(str(d) for d in own["fetched_at"] if _text(d))
        if fetched:  # the last download of its sources: a recorded date, not the clock
            dataset["dct:modified"] = {"@value": fetched[-1][:10], "@type": "xsd:date"}
        datasets.append(dataset)
    context = {**DCAT_CONTEXT, **({"@base": base_url} if base_url else {})}
    return {
        "@context": context,
        "@id": "catalogue.jsonld",
        "@type": "dcat:Catalog",
        "dct:title": {"@value": f"{TITLE}{suffix}", "@language": "fr"},
        "dct:description": {
            "@value": "Indicateurs de développement durable publiés avec itdd, avec leurs sources et leur méthode.",
            "@language": "fr",
        },
        "dct:language": {"@id": f"{EU}/language/FRA"},
        "dct:license": licence,
        "dct:publisher": agent,
        **spatial,
        "dcat:dataset": datasets,
    }


def _file(published: Published, fmt: str, media: str) -> dict:
    described: dict[str, object] = {"path": published.path, "format": fmt, "mediatype": media}
    if fmt != "parquet":  # frictionless reads Parquet through pyarrow and cannot count its bytes
        described.update(bytes=published.bytes, hash=f"sha256:{published.sha256}")
    return described


def _years(rows: pd.DataFrame) -> list[int]:
    return sorted({int(y) for y in rows.dropna(subset=["value"])["year"]})


def _number(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _text(value) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
