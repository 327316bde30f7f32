"""`datapackage.json`: a Frictionless Data Package describing every published file (schemas,
units, sources, licences, provenance, sizes and hashes)."""

from __future__ import annotations

import pandas as pd

from etl.publish_files import Published
from etl.publish_metadata import (
    DEFAULT_PUBLISHER,
    PUBLISHED_LICENCE,
    TITLE,
    Territory,
    description_of,
    licence_of,
    sources_of,
    text_of,
    years_of,
)
from itdd.export import DATA_DIR, LEVEL_ORDER
from itdd.model import DOWNLOAD

FRICTIONLESS_TYPES = {"VARCHAR": "string", "INTEGER": "integer", "BIGINT": "integer", "DOUBLE": "number"}
TIDY_FIELDS = [  # the Data Package's fields, from the schema of the downloads (itdd.model.DOWNLOAD)
    {"name": f.name, "type": FRICTIONLESS_TYPES[f.type], "description": f.description}
    | ({"constraints": {"enum": LEVEL_ORDER}} if f.name == "level" else {})
    for f in DOWNLOAD.fields
]
FILE_KEY = [k for k in DOWNLOAD.primary_key if k != "indicator_id"]  # one indicator per file


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
    resources = [
        resource
        for row in indicators.itertuples()
        for resource in indicator_resources(row, sources_of(row, sources), tables[row.indicator_id], files)
    ]
    resources += [geojson_resource(files[f"{DATA_DIR}/territoires-{level}.geojson"], level) for level in levels]
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
        "licenses": [licence_of(PUBLISHED_LICENCE)],
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


def indicator_resources(row, own: pd.DataFrame, table: pd.DataFrame, files: dict[str, Published]) -> list[dict]:
    """An indicator's CSV and Parquet resources, with its schema and metadata (`own`: its sources)."""
    unit = text_of(row.unit)
    fields = [
        {**f, "description": f"{f['description']} ({unit})"} if f["name"] == "value" and unit else f
        for f in TIDY_FIELDS
    ]
    common = {
        "title": text_of(row.label_fr),
        "description": description_of(row),
        "sources": [{"title": f"{s.producer} — {s.title}", "path": s.url} for s in own.itertuples()],
        "licenses": [licence_of(name) for name in dict.fromkeys(own["licence"])] or [licence_of(PUBLISHED_LICENCE)],
        "itdd:finality": row.finality,
        "itdd:unit": unit,
        "itdd:polarity": text_of(row.polarity) or None,
        "itdd:years": years_of(table),
    }
    schema = {"fields": fields, "primaryKey": FILE_KEY, "missingValues": [""]}
    csv, parquet = files[f"{DATA_DIR}/{row.indicator_id}.csv"], files[f"{DATA_DIR}/{row.indicator_id}.parquet"]
    return [
        {"name": row.indicator_id, **_file(csv, "csv", "text/csv"), "encoding": "utf-8",
         "dialect": {"delimiter": ","}, "schema": schema, **common},
        {"name": f"{row.indicator_id}-parquet", **_file(parquet, "parquet", "application/vnd.apache.parquet"),
         "schema": schema, **common},
    ]  # fmt: skip


def geojson_resource(geo: Published, level: str) -> dict:
    """The territories of a level with each indicator's latest value and progress category."""
    return {
        "name": f"territoires-{level}",
        **_file(geo, "geojson", "application/geo+json"),
        "title": f"Territoires ({level}) : dernière valeur et catégorie de progrès de chaque indicateur",
        "description": (
            "Propriétés : code, name ; pour chaque indicateur <id> : la valeur de la dernière année "
            "disponible à ce niveau, <id>__year, <id>__status et <id>__progress (méthode de "
            "Statistique Canada). Contours simplifiés pour l'affichage."
        ),
        "licenses": [licence_of(PUBLISHED_LICENCE)],
    }


def _file(published: Published, fmt: str, media: str) -> dict:
    described: dict[str, object] = {"path": published.path, "format": fmt, "mediatype": media}
    if fmt != "parquet":  # frictionless reads Parquet through pyarrow and cannot count its bytes
        described.update(bytes=published.bytes, hash=f"sha256:{published.sha256}")
    return described
