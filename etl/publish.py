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
(`etl.publish_metadata.build_territory`); the publisher is whoever `itdd publish --publisher` names.

Nothing depends on the clock: the same database gives the same bytes. The folder is
written beside the target and swapped in at the end (`etl.publish_files.staged_folder`).
One module per output: `publish_files` (the writer), `publish_geojson`,
`publish_datapackage` and `publish_dcat`, over what `publish_metadata` reads.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from etl.publish_datapackage import datapackage
from etl.publish_dcat import dcat_catalogue
from etl.publish_files import PublishError, Writer, write_parquet
from etl.publish_geojson import territories_geojson
from etl.publish_metadata import build_territory, catalogue_rows, source_rows
from itdd.export import DATA_DIR, FORMATS, LEVEL_ORDER, ExportError, describe, download, file_name, tidy_values


def publishable(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The indicators to publish (those with values); PublishError when there is none."""
    indicators = catalogue_rows(con)
    if indicators.empty:
        raise PublishError("the database has no indicator value to publish: run `itdd build` first")
    return indicators


def write_open_data(
    con: duckdb.DuckDBPyConnection, writer: Writer, base_url: str | None = None, publisher: str | None = None
) -> dict:
    """Every data file, then `datapackage.json` and `catalogue.jsonld`; returns the package."""
    territory = build_territory(con)
    indicators = publishable(con)
    sources = source_rows(con)
    tables: dict[str, pd.DataFrame] = {}
    for indicator_id in indicators["indicator_id"]:
        rows = tidy_values(con, indicator_id)
        tables[indicator_id] = rows
        description = describe(con, indicator_id)
        for fmt in FORMATS:  # the open-data CSV, exact; the French CSV and the workbook, rounded
            try:
                written = download(con, rows, indicator_id, fmt, description)
                writer.write(f"{DATA_DIR}/{file_name(indicator_id, fmt)}", written)
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
