"""`catalogue.jsonld`: a DCAT-AP catalogue for data.gouv.fr or a CKAN portal to harvest, one
dataset per indicator with its CSV and Parquet as distributions."""

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
from itdd.export import DATA_DIR

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
    licence = {"@id": licence_of(PUBLISHED_LICENCE)["path"]}
    agent = {"@type": "foaf:Agent", "foaf:name": publisher or DEFAULT_PUBLISHER}
    suffix = f" — {territory.name}" if territory else ""
    spatial = {"dct:spatial": territory.spatial} if territory else {}
    shared = {"dct:license": licence, "dct:publisher": agent, **spatial}  # every dataset's, in this order
    datasets = [
        dataset(row, sources_of(row, sources), tables[row.indicator_id], files, shared, suffix)
        for row in indicators.itertuples()
    ]
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


def dataset(
    row, own: pd.DataFrame, table: pd.DataFrame, files: dict[str, Published], shared: dict, suffix: str
) -> dict:
    """An indicator's dataset (`own`: its sources; `shared`: licence, publisher and spatial coverage)."""
    years = years_of(table)
    described = {
        "@id": f"#{row.indicator_id}",
        "@type": "dcat:Dataset",
        "dct:identifier": row.indicator_id,
        "dct:title": {"@value": f"{text_of(row.label_fr)}{suffix}", "@language": "fr"},
        "dct:description": {"@value": description_of(row), "@language": "fr"},
        "dcat:keyword": [
            {"@value": k, "@language": "fr"} for k in ("développement durable", "agenda 21", row.finality)
        ],
        "dcat:theme": {"@id": f"{EU}/data-theme/{FINALITY_THEMES.get(row.finality, 'SOCI')}"},
        **shared,
        "dct:source": [{"@id": s.url} for s in own.itertuples() if s.url],
        "dcat:distribution": [
            distribution(row, files[f"{DATA_DIR}/{row.indicator_id}.{ext}"], fmt, media, shared["dct:license"])
            for ext, fmt, media in (
                ("csv", "CSV", "text/csv"),
                ("parquet", "PARQUET", "application/vnd.apache.parquet"),
            )
        ],
    }
    if years:
        described["dct:temporal"] = {
            "@type": "dct:PeriodOfTime",
            "dcat:startDate": {"@value": str(years[0]), "@type": "xsd:gYear"},
            "dcat:endDate": {"@value": str(years[-1]), "@type": "xsd:gYear"},
        }
    fetched = sorted(str(d) for d in own["fetched_at"] if text_of(d))
    if fetched:  # the last download of its sources: a recorded date, not the clock
        described["dct:modified"] = {"@value": fetched[-1][:10], "@type": "xsd:date"}
    return described


def distribution(row, published: Published, fmt: str, media: str, licence: dict) -> dict:
    """One published file of an indicator, with its size and checksum."""
    return {
        "@id": f"{published.path}#distribution",
        "@type": "dcat:Distribution",
        "dct:title": f"{text_of(row.label_fr)} ({fmt})",
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
