"""The catalogue as built, in the database: its indicators, its sources (with the URL shown to
people) and its progress settings, which the dashboard reads instead of `indicators.yaml`."""

from __future__ import annotations

import duckdb
import pandas as pd

from etl.catalogue import Catalogue
from etl.catalogue_sources import Source
from itdd.model import TABLE
from itdd.sql import registered


def write_catalogue(con: duckdb.DuckDBPyConnection, catalogue: Catalogue, departements: list[str]) -> None:
    indicators = pd.DataFrame(
        [
            {
                "indicator_id": i.id,
                "label_fr": i.label.fr,
                "label_en": i.label.en,
                "finality": i.finality.value,
                "unit": i.unit,
                "polarity": i.polarity,
                "kind": i.kind,
                "levels": ",".join(level.value for level in i.levels),
                "sources": ",".join(catalogue.source_ids(i)),
                "definition_fr": i.definition.fr,
                "definition_en": i.definition.en,
                "limits_fr": i.limits.fr if i.limits else None,
                "metadata": catalogue.newest_first(i).model_dump_json(exclude_none=True),
            }
            for i in catalogue.indicators
        ]
    )
    sources = pd.DataFrame(
        [
            {
                "source_id": s.id,
                "producer": s.producer,
                "title": s.title,
                "title_en": s.title_en,
                # one file, or a per-département URL (several files): its page, else its pattern
                "url": _shown_url(s, departements),
                "licence": s.licence,
                "edition": s.edition,
                # the layout was checked on a real file (its sha256), or only read from others' code
                "verified_sha256": s.verified.sha256 if s.verified else None,
                "from_snapshot": s.snapshot is not None,  # a file of ours, built from registry packages
            }
            for s in catalogue.sources
        ]
    )
    with registered(con, "indicators_df", indicators), registered(con, "sources_df", sources):
        con.execute("CREATE TABLE indicators AS SELECT * FROM indicators_df")
        con.execute("CREATE TABLE sources AS SELECT * FROM sources_df")
    settings = catalogue.progress
    con.execute(TABLE["progress_settings"].create())
    con.execute(
        "INSERT INTO progress_settings VALUES (?, ?, ?)",
        [settings.base_year, settings.tolerance.relative, settings.tolerance.absolute],
    )


def _shown_url(source: Source, departements: list[str]) -> str | None:
    urls = source.download_urls(departements)
    return urls[0] if len(urls) == 1 else source.page or source.url
